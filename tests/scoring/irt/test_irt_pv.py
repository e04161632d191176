"""Plausible values and Rubin's rules."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from scoring.irt import IRTError
from scoring.irt import ItemParameters
from scoring.irt import estimate_ability
from scoring.irt import plausible_values
from scoring.irt import rubin_combine

# tests/scoring/irt/r/mh_rubin_reference.R, mitools::MIcombine(est, var)
EST = [0.512, 0.498, 0.530, 0.505, 0.521]
VAR = [0.0021, 0.0019, 0.0023, 0.0020, 0.0022]
R_ESTIMATE = 0.5132  # coef(MIcombine(est, var))
R_VARIANCE = 0.00229284  # vcov(MIcombine(est, var))
R_DF = 565.474786142919  # MIcombine(est, var)$df
R_MISSINFO = 0.0873275895721224  # MIcombine(est, var)$missinfo
# Barnard & Rubin (1999) df with complete-data df 30 (mice; mitools uses vbar/(vbar+B)
# for 1 - lambda and gives 25.0202304856168):
R_DF_BR = 24.6848183203298  # mice::pool.scalar(q, u, n = 32, k = 2)$df
R_FMI_BR = 0.150271146675652  # mice::pool.scalar(q, u, n = 32, k = 2)$fmi


def test_rubin_matches_mitools() -> None:
    r = rubin_combine(EST, VAR)
    assert_allclose(r.estimate, R_ESTIMATE, rtol=1e-12)
    assert_allclose(r.total, R_VARIANCE, rtol=1e-12)
    assert_allclose(r.df, R_DF, rtol=1e-10)
    assert_allclose(r.fmi, R_MISSINFO, rtol=1e-10)
    br = rubin_combine(EST, VAR, df_complete=30)
    assert_allclose(br.df, R_DF_BR, rtol=1e-10)
    assert_allclose(br.fmi, R_FMI_BR, rtol=1e-10)


def test_rubin_by_hand_and_vector_input() -> None:
    q = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0]])
    u = np.array([[0.5, 1.0], [0.5, 1.0], [0.5, 1.0]])
    r = rubin_combine(q, u)
    assert_allclose(r.estimate, [2.0, 10.0])
    assert_allclose(r.between, [1.0, 0.0])
    assert_allclose(r.total, [0.5 + 4 / 3, 1.0])
    assert r.df[1] == np.inf and r.fmi[1] == 0.0
    lo, hi = r.confint()
    assert lo[1] < 10 < hi[1]


def test_rubin_input_errors() -> None:
    with pytest.raises(IRTError, match="at least 2"):
        rubin_combine([1.0], [1.0])
    with pytest.raises(IRTError, match="same shape"):
        rubin_combine([1.0, 2.0], [1.0])
    with pytest.raises(IRTError, match=">= 0"):
        rubin_combine([1.0, 2.0], [1.0, -1.0])


def _params(a: np.ndarray, b: np.ndarray) -> ItemParameters:
    return ItemParameters(tuple(map(str, range(a.size))), ("2pl",) * a.size, a, b[:, None], 0 * a)


def test_plausible_values_follow_the_posterior(rng: np.random.Generator) -> None:
    params = _params(np.array([1.2, 0.8, 1.5, 1.0]), np.array([-1.0, 0.0, 0.5, 1.0]))
    x = np.tile([[1.0, 1.0, 0.0, np.nan]], (4000, 1))  # one pattern, many draws
    pv = plausible_values(x, params, rng=rng, n_draws=5)
    eap = estimate_ability(x[:1], params)
    assert pv.values.shape == (4000, 5)
    draws = pv.values.ravel()
    assert abs(draws.mean() - eap.theta[0]) < 0.03
    assert abs(draws.std() - eap.se[0]) < 0.03


def test_latent_regression_recovers_group_difference(
    sim: SimpleNamespace, rng: np.random.Generator
) -> None:
    n = 3000
    group = rng.integers(0, 2, n)
    a, b = np.full(12, 1.3), np.linspace(-1.5, 1.5, 12)
    x, theta = sim.two_pl(rng, n, a, b)
    theta = theta * 0.8 + 0.6 * group  # true group difference 0.6
    from scipy.special import expit

    x = (rng.random((n, 12)) < expit(a * (theta[:, None] - b))).astype(float)
    params = _params(a, b)
    plain = plausible_values(x, params, rng=rng, n_draws=5)
    cond = plausible_values(x, params, rng=rng, n_draws=5, covariates=group)
    assert cond.beta is not None
    assert abs(cond.beta[1] - 0.6) < 0.1
    diff_cond = [v[group == 1].mean() - v[group == 0].mean() for v in cond.values.T]
    diff_plain = [v[group == 1].mean() - v[group == 0].mean() for v in plain.values.T]
    assert abs(np.mean(diff_cond) - 0.6) < 0.08
    assert np.mean(diff_plain) < np.mean(diff_cond) - 0.05  # no conditioning: shrunk
    est = [v[group == 1].mean() - v[group == 0].mean() for v in cond.values.T]
    var = [
        v[group == 1].var(ddof=1) / (group == 1).sum()
        + v[group == 0].var(ddof=1) / (group == 0).sum()
        for v in cond.values.T
    ]
    combined = rubin_combine(est, var)
    assert combined.total > np.mean(var)  # measurement error adds between-PV variance


def test_covariate_errors() -> None:
    params = _params(np.ones(2), np.zeros(2))
    with pytest.raises(IRTError, match="covariates"):
        plausible_values(np.ones((3, 2)), params, rng=np.random.default_rng(0), covariates=[1, 2])
