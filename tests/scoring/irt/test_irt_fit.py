"""Fit: Lord-Wingersky, S-X2, information and reliability."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate
from scipy import stats
from scipy.special import expit

from scoring.irt import AbilityEstimates
from scoring.irt import AbilityMethod
from scoring.irt import IRTError
from scoring.irt import ItemParameters
from scoring.irt import calibrate
from scoring.irt import empirical_reliability
from scoring.irt import fit as fitmod
from scoring.irt import gauss_hermite
from scoring.irt import item_fit_sx2
from scoring.irt import marginal_reliability
from scoring.irt import standard_error_curve
from scoring.irt import sum_score_distribution
from scoring.irt.irf import category_log_probs

PARAMS = ItemParameters(
    ("a", "b", "c", "d"),
    ("2pl", "3pl", "grm", "2pl"),
    [1.4, 1.1, 0.9, 0.6],
    [[-0.3, np.nan], [0.4, np.nan], [-1.0, 0.7], [1.2, np.nan]],
    [0.0, 0.2, 0.0, 0.0],
)


def _logp(theta: np.ndarray) -> np.ndarray:
    a, d, c = PARAMS.slope_intercept()
    return category_log_probs(a, d, c, PARAMS.n_categories, theta)


def test_lord_wingersky_equals_pattern_enumeration() -> None:
    theta = np.array([-1.0, 0.0, 1.5])
    p = np.exp(_logp(theta))
    dist = sum_score_distribution(_logp(theta), PARAMS.n_categories)
    brute = np.zeros_like(dist)
    for pattern in itertools.product(*(range(k) for k in PARAMS.n_categories)):
        prob = np.prod([p[j, k] for j, k in enumerate(pattern)], axis=0)
        brute[sum(pattern)] += prob
    assert_allclose(dist, brute, rtol=1e-12)
    assert_allclose(dist.sum(axis=0), 1.0)


def test_sx2_without_collapsing_by_enumeration(rng: np.random.Generator) -> None:
    """Orlando-Thissen expected proportions from all response patterns."""
    cats = PARAMS.n_categories
    patterns = np.array(list(itertools.product(*(range(k) for k in cats))))
    quad = gauss_hermite(61)
    p = np.exp(_logp(quad.nodes))
    pat_prob = np.array(
        [np.prod([p[j, k] for j, k in enumerate(row)], axis=0) @ quad.weights for row in patterns]
    )
    x = patterns[rng.choice(len(patterns), size=3000, p=pat_prob / pat_prob.sum())].astype(float)
    res = item_fit_sx2(x, PARAMS, min_expected=0.0)
    total = x.sum(axis=1)
    smax = int((cats - 1).sum())
    for j in range(4):
        stat = 0.0
        groups = 0
        for s in range(1, smax):
            in_s = patterns.sum(axis=1) == s
            n_s = float((total == s).sum())
            if n_s == 0:
                continue
            groups += 1
            for k in range(cats[j]):
                e = pat_prob[in_s & (patterns[:, j] == k)].sum() / pat_prob[in_s].sum()
                o = float(((total == s) & (x[:, j] == k)).sum())
                if e == 0:  # impossible cell (e.g. top category with total 1)
                    assert o == 0
                    continue
                stat += (o - n_s * e) ** 2 / (n_s * e)
        assert_allclose(res.statistic[j], stat, rtol=1e-9)
        free = {"2pl": 2, "3pl": 3, "grm": 3}[PARAMS.models[j].value]
        assert res.df[j] == groups * (cats[j] - 1) - free
        assert_allclose(res.p_value[j], stats.chi2.sf(stat, res.df[j]), rtol=1e-9)


def test_sx2_flags_a_misfitting_item(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    a, b = np.full(15, 1.3), np.linspace(-1.5, 1.5, 15)
    x, theta = sim.two_pl(rng, 3000, a, b)
    x = x.copy()
    x[:, 0] = rng.random(3000) < expit(2.0 * (theta**2 - 1.0))  # U-shaped: no 2PL fits
    params = calibrate(x, se_method="none").params
    res = item_fit_sx2(x, params)
    assert res.p_value[0] < 1e-6
    assert "item1" in res.misfitting()
    assert np.mean(res.p_value[1:] < 0.01) <= 0.15
    assert res.n_persons == 3000 and np.all(res.df > 0)


def test_sx2_uses_complete_patterns_only() -> None:
    x = np.array([[1, 0, 2, 1], [0, np.nan, 1, 0], [1, 1, 0, 0]], dtype=float)
    assert item_fit_sx2(x, PARAMS).n_persons == 2


def test_information_curves_and_marginal_reliability() -> None:
    theta = np.linspace(-3, 3, 7)
    items = fitmod.item_information(PARAMS, theta)
    total = fitmod.test_information(PARAMS, theta)
    assert_allclose(total, items.sum(axis=1))
    assert_allclose(standard_error_curve(PARAMS, theta), 1 / np.sqrt(total))
    err, _ = integrate.quad(
        lambda t: stats.norm.pdf(t) / fitmod.test_information(PARAMS, [t])[0], -12, 12
    )
    assert_allclose(marginal_reliability(PARAMS, n_quadrature=121), 1 / (1 + err), rtol=1e-6)
    cond, _ = integrate.quad(
        lambda t: stats.norm.pdf(t) * (1 - 1 / (1 + fitmod.test_information(PARAMS, [t])[0])),
        -12,
        12,
    )
    assert_allclose(marginal_reliability(PARAMS, method="conditional"), cond, rtol=1e-6)
    with pytest.raises(IRTError, match="unknown marginal reliability"):
        marginal_reliability(PARAMS, method="alpha")


def test_empirical_reliability_formulas() -> None:
    theta = np.array([-1.0, 0.0, 1.0, 2.0])
    se = np.array([0.5, 0.5, 0.5, 0.5])
    flags = np.zeros(4, dtype=bool)
    answered = np.full(4, 3)
    var = theta.var()
    eap = AbilityEstimates(theta, se, AbilityMethod.EAP, answered, flags)
    wle = AbilityEstimates(theta, se, AbilityMethod.WLE, answered, flags)
    assert_allclose(empirical_reliability(eap), var / (var + 0.25))
    assert_allclose(empirical_reliability(wle), 1 - 0.25 / var)
