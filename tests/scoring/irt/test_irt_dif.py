"""Mantel-Haenszel DIF against R's mantelhaen.test and simulated DIF."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import expit

from scoring.irt import ResponseDataError
from scoring.irt import ets_class
from scoring.irt import mantel_haenszel
from scoring.irt import mantel_haenszel_dif

# tests/scoring/irt/r/mh_rubin_reference.R: rows reference/focal, columns right/wrong
TABLES = [[[12, 8], [20, 5]], [[25, 10], [18, 12]], [[30, 6], [22, 11]], [[15, 3], [9, 6]]]
R_ALPHA = 1.48615085034711  # mantelhaen.test(tab, correct = TRUE)$estimate
R_CHI2 = 1.39402796930375  # mantelhaen.test(tab, correct = TRUE)$statistic
R_P = 0.237726048125028  # mantelhaen.test(tab, correct = TRUE)$p.value
R_CI = (0.822917054249271, 2.68392098399559)  # $conf.int (Robins-Breslow-Greenland variance)
R_CHI2_UNCORRECTED = 1.77411666367227  # mantelhaen.test(tab, correct = FALSE)$statistic


def test_mantel_haenszel_matches_r() -> None:
    mh = mantel_haenszel(TABLES)
    assert_allclose(mh.alpha, R_ALPHA, rtol=1e-12)
    assert_allclose(mh.chi2, R_CHI2, rtol=1e-12)
    assert_allclose(mh.p_value, R_P, rtol=1e-10)
    se_log = (np.log(R_CI[1]) - np.log(R_CI[0])) / (2 * stats.norm.ppf(0.975))
    assert_allclose(mh.se_delta, 2.35 * se_log, rtol=1e-10)
    assert_allclose(mh.delta, -2.35 * np.log(R_ALPHA), rtol=1e-12)
    assert_allclose(mantel_haenszel(TABLES, correct=False).chi2, R_CHI2_UNCORRECTED, rtol=1e-12)


def test_mantel_haenszel_by_hand() -> None:
    t = [[[10, 10], [5, 15]], [[20, 5], [10, 10]], [[1, 0], [0, 0]]]  # last stratum: T < 2
    mh = mantel_haenszel(t)
    assert_allclose(mh.alpha, (150 / 40 + 200 / 45) / (50 / 40 + 50 / 45))
    # E(A) = nR m1 / T; Var(A) = nR nF m1 m0 / (T^2 (T - 1))
    ea = 20 * 15 / 40 + 25 * 30 / 45
    va = 20 * 20 * 15 * 25 / (40**2 * 39) + 25 * 20 * 30 * 15 / (45**2 * 44)
    assert_allclose(mh.chi2, (abs(30 - ea) - 0.5) ** 2 / va)


@pytest.mark.parametrize(
    ("delta", "se", "p", "expected"),
    [
        (-0.8, 0.1, 1e-6, "A"),
        (-1.2, 0.3, 0.01, "B-"),
        (1.7, 0.2, 1e-4, "C+"),
        (-1.7, 0.5, 0.01, "B-"),  # |delta| >= 1.5 but not significantly above 1
        (-2.5, 1.0, 0.2, "A"),  # not significant
    ],
)
def test_ets_classes(delta: float, se: float, p: float, expected: str) -> None:
    assert ets_class(delta, se, p) == expected


def test_simulated_dif_is_found(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    n, n_items = 4000, 15
    a, b = np.full(n_items, 1.3), np.linspace(-1.5, 1.5, n_items)
    focal = rng.random(n) < 0.5
    theta = rng.normal(size=n) - 0.3 * focal  # impact: a real ability difference
    shift = np.zeros(n_items)
    shift[3] = 1.0  # item 4 is harder for the focal group
    bb = b + np.outer(focal, shift)
    x = (rng.random((n, n_items)) < expit(a * (theta[:, None] - bb))).astype(float)
    groups = np.where(focal, "women", "men")
    res = mantel_haenszel_dif(x, groups, focal="women", reference="men", purify=True)
    assert res.ets[3].startswith("C-")
    assert res.flagged(("C",)) == ("item4",)
    assert np.mean([e == "A" for i, e in enumerate(res.ets) if i != 3]) > 0.8
    assert "item4" not in res.matched_on
    assert res.n_focal + res.n_reference == n


def test_graded_items_use_mantel_and_smd(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    n = 3000
    focal = rng.random(n) < 0.5
    b = np.tile([-0.8, 0.0, 0.8], (8, 1))
    x, theta = sim.grm(rng, n, np.full(8, 1.5), b)
    star = expit(1.5 * (theta[:, None] - (b[0] + 1.0)))  # item 1 harder for the focal group
    x[focal, 0] = (rng.random((focal.sum(), 1)) < star[focal]).sum(axis=1)
    res = mantel_haenszel_dif(x, focal.astype(int), focal=1, reference=0)
    assert res.ets[0] == "CC" and res.smd[0] < -0.3
    assert np.isnan(res.alpha_mh[0])
    assert np.mean([e == "AA" for e in res.ets[1:]]) > 0.8


def test_group_errors() -> None:
    x = np.ones((4, 2))
    with pytest.raises(ResponseDataError, match="both groups") as info:
        mantel_haenszel_dif(x, [1, 1, 1, 1], focal=2, reference=1)
    assert info.value.got == {"reference": 4, "focal": 0}
    with pytest.raises(ResponseDataError, match="one group label per person"):
        mantel_haenszel_dif(x, [1, 2], focal=2, reference=1)
