"""Contrasts between domains (one design) and between waves (independent samples)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sampling.contrasts import contrast
from sampling.contrasts import domain_difference
from sampling.contrasts import wave_difference
from sampling.design import SurveyDesign
from sampling.errors import SamplingError
from sampling.estimation import svy_mean
from sampling.estimation import svy_proportion


@pytest.fixture(scope="module")
def by_type(apiclus1):
    d = SurveyDesign(weights=apiclus1["pw"], psu=apiclus1["dnum"], fpc=apiclus1["fpc"])
    return svy_mean(apiclus1["api00"], d, by={"stype": apiclus1["stype"]})


def test_domain_difference_uses_the_joint_covariance(by_type):
    diff = domain_difference(by_type, {"stype": "E"}, {"stype": "H"})
    c = np.array([1.0, -1.0, 0.0])
    assert_allclose(diff.estimate[0], c @ by_type.estimate)
    assert_allclose(diff.se[0] ** 2, c @ by_type.vcov @ c)
    assert diff.domains[0] == {"contrast": "stype=E - stype=H"}
    assert diff.df[0] == by_type.design_df
    # the covariance of domains sharing PSUs is not zero (R's svyby assumes it is)
    assert by_type.vcov[0, 1] != 0.0
    lo, hi = diff.confint()
    t = stats.t.ppf(0.975, by_type.design_df)
    assert_allclose([lo[0], hi[0]], diff.estimate[0] + np.array([-t, t]) * diff.se[0])


def test_contrast_checks_length(by_type):
    with pytest.raises(SamplingError, match="one coefficient per estimate entry"):
        contrast(by_type, [1.0, -1.0])


def test_wave_difference_by_hand(rng):
    def wave(p, n):
        y = (rng.random(n) < p).astype(float)
        d = SurveyDesign(weights=np.full(n, 10.0), psu=np.arange(n) // 5)
        g = np.tile(["farmer", "worker"], n // 2)
        return svy_proportion(y, d, by={"group": g})

    w1, w2 = wave(0.2, 400), wave(0.3, 300)
    diff = wave_difference(w2, w1)
    assert [d["group"] for d in diff.domains] == ["farmer", "worker"]
    assert_allclose(diff.estimate, w2.estimate - w1.estimate)
    assert_allclose(diff.se**2, w2.se**2 + w1.se**2)
    v1, v2 = w1.se**2, w2.se**2
    df = (v1 + v2) ** 2 / (v1**2 / w1.df + v2**2 / w2.df)
    assert_allclose(diff.df, df)
    assert "high_cv" not in diff.flags[0]


def test_wave_difference_needs_same_statistic(by_type, apiclus1):
    d = SurveyDesign(weights=apiclus1["pw"], psu=apiclus1["dnum"])
    other = svy_mean(apiclus1["api99"], d, name="api99")
    with pytest.raises(SamplingError, match="same statistic of the same variable"):
        wave_difference(by_type, other)
