"""Quadrature, item response functions and their derivatives (closed forms)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate
from scipy import stats
from scipy.special import expit

from scoring.irt import IRTError
from scoring.irt import ItemParameters
from scoring.irt import gauss_hermite
from scoring.irt import item_information
from scoring.irt.irf import category_log_probs
from scoring.irt.irf import group_param_derivs
from scoring.irt.irf import theta_derivs


@pytest.mark.parametrize(("power", "moment"), [(2, 1.0), (4, 3.0), (6, 15.0), (8, 105.0)])
def test_gauss_hermite_normal_moments_are_exact(power: int, moment: float) -> None:
    q = gauss_hermite(5)  # exact up to degree 2*5-1 = 9
    assert_allclose(q.expect(q.nodes**power), moment, rtol=1e-12)
    assert_allclose(q.weights.sum(), 1.0, rtol=1e-14)


def test_gauss_hermite_known_integrals() -> None:
    q = gauss_hermite(21, mean=0.5, sd=2.0)
    # E[exp(tX)] = exp(t mu + t^2 sigma^2 / 2) for X ~ N(mu, sigma^2)
    assert_allclose(q.expect(np.exp(0.3 * q.nodes)), np.exp(0.15 + 0.09 * 2), rtol=1e-12)
    # E[sigma(aX + b)] against adaptive quadrature: accurate on the calibration's
    # N(0, 1) with 21 nodes; a wide latent distribution needs more nodes
    for n_points, mean, sd, rtol in ((21, 0.0, 1.0, 1e-7), (61, 0.5, 2.0, 1e-7)):
        qq = gauss_hermite(n_points, mean=mean, sd=sd)
        ref, _ = integrate.quad(
            lambda t, m=mean, s=sd: expit(1.3 * t - 0.4) * stats.norm.pdf(t, m, s),
            -np.inf,
            np.inf,
            epsabs=1e-14,
            epsrel=1e-13,
        )
        assert_allclose(qq.expect(expit(1.3 * qq.nodes - 0.4)), ref, rtol=rtol)


def test_gauss_hermite_rejects_bad_input() -> None:
    with pytest.raises(IRTError, match="between 2 and 200"):
        gauss_hermite(1)
    with pytest.raises(IRTError, match="positive"):
        gauss_hermite(5, sd=0.0)


def test_category_probabilities_by_hand() -> None:
    a = np.array([1.2, 0.8, 1.5])
    d = np.array([[0.3, -np.inf], [1.0, -0.5], [-0.2, -np.inf]])
    c = np.array([0.0, 0.0, 0.25])
    theta = np.array([-1.0, 0.0, 2.0])
    p = np.exp(category_log_probs(a, d, c, np.array([2, 3, 2]), theta))
    s = expit(1.2 * theta + 0.3)
    assert_allclose(p[0, 1], s)
    assert_allclose(p[0, 0], 1 - s)
    assert np.all(p[0, 2] == 0)
    s1, s2 = expit(0.8 * theta + 1.0), expit(0.8 * theta - 0.5)
    assert_allclose(p[1], np.vstack([1 - s1, s1 - s2, s2]), rtol=1e-12)
    assert_allclose(p[2, 1], 0.25 + 0.75 * expit(1.5 * theta - 0.2), rtol=1e-12)
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_log_probabilities_are_finite_far_out() -> None:
    a = np.array([2.0, 1.0])
    d = np.array([[0.0, -np.inf], [3.0, -3.0]])
    lp = category_log_probs(a, d, np.zeros(2), np.array([2, 3]), np.array([-60.0, 60.0]))
    assert np.all(np.isfinite(lp[:, :2])) and np.all(np.isfinite(lp[1]))
    assert_allclose(lp[0, 0, 0], -1e-52, atol=1e-40)  # log(1 - sigma(-120)) ~ 0
    assert_allclose(lp[0, 1, 0], -120.0, rtol=1e-12)


@pytest.mark.parametrize("guess", [False, True])
def test_parameter_derivatives_match_finite_differences(guess: bool) -> None:
    theta = np.linspace(-3, 3, 7)
    if guess:
        a, d, c = np.array([1.3]), np.array([[-0.4]]), np.array([0.2])
        vals = np.array([1.3, -0.4, np.log(0.2 / 0.8)])
    else:
        a, d, c = np.array([1.3]), np.array([[1.0, 0.1, -0.7]]), None
        vals = np.array([1.3, 1.0, 0.1, -0.7])

    def probs(v: np.ndarray) -> np.ndarray:
        cc = None if c is None else expit(v[-1:])
        dd = v[1 : 1 + d.shape[1]][None, :]
        return group_param_derivs(v[:1], dd, cc, theta)[0][0]

    p, dp, d2p = group_param_derivs(a, d, c, theta, second=True)
    h = 1e-6
    for m in range(vals.size):
        e = np.zeros(vals.size)
        e[m] = h
        num = (probs(vals + e) - probs(vals - e)) / (2 * h)
        assert_allclose(dp[0, :, :, m], num, atol=1e-8)
        for k in range(vals.size):
            f = np.zeros(vals.size)
            f[k] = h
            grad_k = group_param_derivs
            plus = grad_k(
                np.r_[vals + f][:1],
                (vals + f)[1 : 1 + d.shape[1]][None, :],
                None if c is None else expit((vals + f)[-1:]),
                theta,
            )[1]
            minus = grad_k(
                np.r_[vals - f][:1],
                (vals - f)[1 : 1 + d.shape[1]][None, :],
                None if c is None else expit((vals - f)[-1:]),
                theta,
            )[1]
            assert d2p is not None
            assert_allclose(d2p[0, :, :, m, k], (plus - minus)[0, :, :, m] / (2 * h), atol=1e-7)
    assert_allclose(p.sum(axis=1), 1.0)


def test_theta_derivatives_match_finite_differences() -> None:
    a = np.array([1.1, 0.7, 1.8])
    d = np.array([[0.5, -np.inf], [1.2, -0.8], [0.0, -np.inf]])
    c = np.array([0.0, 0.0, 0.2])
    theta = np.linspace(-2.5, 2.5, 6)
    p, d1, d2 = theta_derivs(a, d, c, theta)
    h = 1e-5
    pp, d1p, _ = theta_derivs(a, d, c, theta + h)
    pm, d1m, _ = theta_derivs(a, d, c, theta - h)
    assert_allclose(d1, (pp - pm) / (2 * h), atol=1e-9)
    assert_allclose(d2, (d1p - d1m) / (2 * h), atol=1e-8)


def test_information_closed_forms() -> None:
    params = ItemParameters(
        ("p2", "p3", "g"),
        ("2pl", "3pl", "grm"),
        [1.7, 1.2, 0.9],
        [[0.3, np.nan], [-0.5, np.nan], [-1.0, 0.8]],
        [0.0, 0.2, 0.0],
    )
    theta = np.linspace(-3, 3, 13)
    info = item_information(params, theta)
    p = expit(1.7 * (theta - 0.3))
    assert_allclose(info[:, 0], 1.7**2 * p * (1 - p), rtol=1e-10)
    p3 = 0.2 + 0.8 * expit(1.2 * (theta + 0.5))
    lord = 1.2**2 * (p3 - 0.2) ** 2 / 0.8**2 * (1 - p3) / p3  # Lord (1980) eq. 5-9
    assert_allclose(info[:, 1], lord, rtol=1e-10)
    # graded: Samejima's sum over categories of P'^2/P; numerical derivative
    s1, s2 = (expit(0.9 * (theta - b)) for b in (-1.0, 0.8))
    cats = np.vstack([1 - s1, s1 - s2, s2])
    h = 1e-6
    s1h, s2h = (expit(0.9 * (theta + h - b)) for b in (-1.0, 0.8))
    dcat = (np.vstack([1 - s1h, s1h - s2h, s2h]) - cats) / h
    assert_allclose(info[:, 2], (dcat**2 / cats).sum(axis=0), rtol=1e-5)
