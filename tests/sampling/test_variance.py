"""The variance engine: multistage recursion, lonely units at later stages, calibration residuals.

R reference values from tests/sampling/r/variance.R on data/three_stage.csv:
    d3 <- svydesign(id=~psu+ssu+id, strata=~stratum, fpc=~fpc1+fpc2+fpc3,
                    weights=~w, data=ts, nest=TRUE)
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling._model import ModelMatrix
from sampling.design import CalibrationRecord
from sampling.design import LonelyPSU
from sampling.design import SurveyDesign
from sampling.errors import DesignError
from sampling.errors import SinglePSUError
from sampling.estimation import svy_mean
from sampling.estimation import svy_total
from sampling.variance import calibration_residuals
from sampling.variance import replicate_variance
from sampling.variance import taylor_variance

from .conftest import load_api

EXACT = 1e-9


@pytest.fixture(scope="module")
def ts():
    return load_api("three_stage")


def three_stage(ts, policy, stages=3):
    psu = [ts["psu"], ts["ssu"], ts["id"]][:stages]
    fpc = [ts["fpc1"], ts["fpc2"], ts["fpc3"]][:stages]
    return SurveyDesign(
        weights=ts["w"], strata=ts["stratum"], psu=psu, fpc=fpc, nest=True, lonely_psu=policy
    )


@pytest.mark.parametrize(
    ("policy", "ref_total", "ref_mean", "ref_by", "ref_two"),
    [
        # options(survey.lonely.psu="certainty")
        # svytotal(~y, d3); svymean(~y, d3); svyby(~y, ~g, d3, svymean)   (c(coef, SE))
        # svytotal(~y, svydesign(id=~psu+ssu, strata=~stratum, fpc=~fpc1+fpc2, weights=~w,
        #                        data=ts, nest=TRUE))
        (
            LonelyPSU.CERTAINTY,
            (7470.2611666667653, 567.57842121712008),
            (15.704823756130851, 0.72126804063903305),
            (15.426211778702044, 16.104096334185314, 0.79695483375647713, 0.67019337178215221),
            (7470.2611666667653, 566.70288768666046),
        ),
        # options(survey.lonely.psu="adjust"), same calls
        (
            LonelyPSU.ADJUST,
            (7470.2611666667653, 946.08025695831884),
            (15.704823756130851, 0.78607715278783274),
            (15.426211778702044, 16.104096334185314, 0.85849386265799998, 0.73068670120365109),
            (7470.2611666667653, 945.55526083217364),
        ),
    ],
)
def test_three_stage_recursion_matches_r(ts, policy, ref_total, ref_mean, ref_by, ref_two):
    d3 = three_stage(ts, policy)
    assert len(d3.stages) == 3
    t = svy_total(ts["y"], d3)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=EXACT)
    m = svy_mean(ts["y"], d3)
    assert_allclose([m.estimate[0], m.se[0]], ref_mean, rtol=EXACT)
    b = svy_mean(ts["y"], d3, by=ts["g"])
    assert_allclose(np.concatenate([b.estimate, b.se]), ref_by, rtol=EXACT)
    t2 = svy_total(ts["y"], three_stage(ts, policy, stages=2))
    assert_allclose([t2.estimate[0], t2.se[0]], ref_two, rtol=EXACT)


def test_lonely_unit_at_stage_two_fails_by_default(ts):
    # inherits(try(svytotal(~y, d3)), "try-error") with survey.lonely.psu="fail"
    assert 1.0 == 1
    with pytest.raises(SinglePSUError, match=r"stage-1 unit '3' has only one PSU at stage 2"):
        svy_total(ts["y"], three_stage(ts, LonelyPSU.FAIL))
    with pytest.raises(SinglePSUError, match="'average' is defined for first-stage strata only"):
        svy_total(ts["y"], three_stage(ts, LonelyPSU.AVERAGE))


def test_two_stage_total_by_hand():
    # Lohr (2022) eq. 5.21: V = N^2 (1-n/N) s_t^2/n + N/n sum_i M_i^2 (1-m_i/M_i) s_i^2/m_i
    y = {1: np.array([3.0, 5.0, 4.0]), 2: np.array([6.0, 2.0]), 3: np.array([1.0, 1.0, 7.0])}
    big_m = {1: 10.0, 2: 5.0, 3: 12.0}
    n_psu, big_n = 3, 9.0
    rows = [(i, v) for i in y for v in y[i]]
    psu = np.array([i for i, _ in rows])
    ssu = np.arange(len(rows))
    yy = np.array([v for _, v in rows])
    m_i = np.array([len(y[i]) for i in psu], dtype=float)
    mm = np.array([big_m[i] for i in psu])
    w = big_n / n_psu * mm / m_i
    d = SurveyDesign(weights=w, psu=[psu, ssu], fpc=[np.full(len(rows), big_n), mm])
    t_i = np.array([big_m[i] * y[i].mean() for i in y])
    within = sum(
        big_m[i] ** 2 * (1 - len(y[i]) / big_m[i]) * y[i].var(ddof=1) / len(y[i]) for i in y
    )
    v = big_n**2 * (1 - n_psu / big_n) * t_i.var(ddof=1) / n_psu + big_n / n_psu * within
    est = svy_total(yy, d)
    assert_allclose(est.estimate[0], big_n / n_psu * t_i.sum(), rtol=1e-12)
    assert_allclose(est.se[0] ** 2, v, rtol=1e-12)


def test_certainty_psu_contributes_only_its_second_stage():
    # stratum 2 is one PSU taken with certainty (N = n = 1): no error, no between-PSU term
    strata = np.array([1, 1, 1, 1, 2, 2, 2])
    psu = np.array([1, 1, 2, 2, 3, 3, 3])
    ssu = np.arange(7)
    fpc1 = np.array([4, 4, 4, 4, 1, 1, 1])
    fpc2 = np.array([5, 5, 5, 5, 6, 6, 6])
    y = np.array([1.0, 2.0, 3.0, 5.0, 2.0, 4.0, 9.0])
    w = np.array([5.0] * 4 + [2.0] * 3)
    d = SurveyDesign(weights=w, strata=strata, psu=[psu, ssu], fpc=[fpc1, fpc2])
    v = taylor_variance(y * w, d)[0, 0]
    # stratum 1: N=4, n=2 PSU totals 15, 40 -> 16 (1-2/4) 2/... computed from R's formula
    t = np.array([15.0, 40.0])
    s1 = (1 - 2 / 4) * 2 / 1 * np.sum((t - t.mean()) ** 2)
    s1_within = (
        2
        / 4
        * sum(
            (1 - 2 / 5) * 2 / 1 * np.sum((z - z.mean()) ** 2)
            for z in (np.array([5.0, 10.0]), np.array([15.0, 25.0]))
        )
    )
    z = np.array([4.0, 8.0, 18.0])
    s2_within = 1.0 * (1 - 3 / 6) * 3 / 2 * np.sum((z - z.mean()) ** 2)
    assert_allclose(v, s1 + s1_within + s2_within, rtol=1e-12)


def test_calibration_residuals_equal_dense_weighted_least_squares(rng):
    n = 200
    a = rng.integers(0, 3, n)
    b = rng.integers(0, 4, n)
    x = rng.normal(50, 10, n)
    d = rng.uniform(1, 5, n)
    w = d * rng.uniform(0.8, 1.2, n)
    z = rng.normal(size=(n, 2)) * w[:, None]
    model = ModelMatrix((a, b), (3, 4), x[:, None], True)
    record = CalibrationRecord("test", model, d, w)
    dense = np.column_stack(
        [np.ones(n)]
        + [(a == k).astype(float) for k in (1, 2)]
        + [(b == k).astype(float) for k in (1, 2, 3)]
        + [x]
    )
    sw = np.sqrt(d)
    coef, *_ = np.linalg.lstsq(dense * sw[:, None], (z / w[:, None]) * sw[:, None], rcond=None)
    expected = w[:, None] * (z / w[:, None] - dense @ coef)
    assert_allclose(calibration_residuals(z, record), expected, rtol=1e-9, atol=1e-9)


def test_replicate_variance_mse_and_rscales():
    reps = np.array([[1.0], [2.0], [6.0]])
    v = replicate_variance(reps, [2.0], scale=0.5, rscales=[1.0, 1.0, 2.0])
    assert_allclose(v[0, 0], 0.5 * (4.0 + 1.0 + 2 * 9.0))
    v = replicate_variance(reps, [2.0], scale=0.5, rscales=[1.0, 1.0, 2.0], mse=True)
    assert_allclose(v[0, 0], 0.5 * (1.0 + 0.0 + 2 * 16.0))


def test_scores_must_match_the_design():
    d = SurveyDesign(weights=[1.0, 1.0, 1.0], psu=[1, 2, 3])
    with pytest.raises(DesignError, match="scores must have one row per design row"):
        taylor_variance(np.ones(4), d)
