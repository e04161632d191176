"""Ability estimation with fixed items: closed forms and independent root finding."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate
from scipy import optimize
from scipy import stats
from scipy.special import expit

from scoring.irt import ItemParameters
from scoring.irt import ResponseDataError
from scoring.irt import estimate_ability
from scoring.irt import score_response

RASCH = ItemParameters(
    tuple(f"r{j}" for j in range(5)),
    ("rasch",) * 5,
    np.ones(5),
    np.array([[-1.5], [-0.5], [0.0], [0.7], [1.4]]),
    np.zeros(5),
)
MIXED = ItemParameters(
    ("a", "b", "c", "d"),
    ("2pl", "3pl", "grm", "2pl"),
    [1.4, 1.1, 0.9, 0.6],
    [[-0.3, np.nan, np.nan], [0.4, np.nan, np.nan], [-1.0, 0.2, 1.1], [1.2, np.nan, np.nan]],
    [0.0, 0.2, 0.0, 0.0],
    latent_mean=0.3,
    latent_sd=1.2,
)


def category_probs(params: ItemParameters, theta: float) -> list[np.ndarray]:
    """Independent evaluation of P_jk(theta) from the IRT form (not the kernels)."""
    out = []
    for j in range(params.n_items):
        b = params.b[j][~np.isnan(params.b[j])]
        star = params.c[j] + (1 - params.c[j]) * expit(params.a[j] * (theta - b))
        if b.size > 1:
            star = expit(params.a[j] * (theta - b))
        bounds = np.r_[1.0, star, 0.0]
        out.append(bounds[:-1] - bounds[1:])
    return out


def loglik(params: ItemParameters, pattern: list[float], theta: float) -> float:
    probs = category_probs(params, theta)
    return float(sum(np.log(probs[j][int(x)]) for j, x in enumerate(pattern) if not np.isnan(x)))


def test_rasch_ml_solves_expected_score_equals_raw_score() -> None:
    b = RASCH.b[:, 0]
    patterns = np.array([[1, 0, 0, 0, 0], [1, 1, 0, 1, 0], [1, 1, 1, 1, 0]], dtype=float)
    est = estimate_ability(patterns, RASCH, method="ml")
    for i, row in enumerate(patterns):
        # Rasch: the sum score is sufficient; ML solves sum_j P_j(theta) = r
        root = optimize.brentq(
            lambda t, r: expit(t - b).sum() - r, -8, 8, args=(row.sum(),), xtol=1e-14
        )
        assert_allclose(est.theta[i], root, atol=1e-9)
        p = expit(root - b)
        assert_allclose(est.se[i], 1 / np.sqrt((p * (1 - p)).sum()), rtol=1e-8)


def test_ml_perfect_score_hits_the_bound_wle_does_not() -> None:
    perfect = np.ones((1, 5))
    ml = estimate_ability(perfect, RASCH, method="ml", bounds=(-5.0, 5.0))
    assert ml.at_bound[0] and ml.theta[0] == 5.0
    wle = estimate_ability(perfect, RASCH, method="wle")
    assert not wle.at_bound[0] and 1.5 < wle.theta[0] < 4.5


@pytest.mark.parametrize(
    "pattern",
    [[1, 0, 2, 1], [1, 1, 3, 1], [np.nan, 0, 0, 0]],
)
def test_wle_map_eap_against_independent_computation(pattern: list[float]) -> None:
    h = 1e-5

    def score(t: float) -> float:
        return (loglik(MIXED, pattern, t + h) - loglik(MIXED, pattern, t - h)) / (2 * h)

    def info_and_j(t: float) -> tuple[float, float]:
        info = warm = 0.0
        for j, x in enumerate(pattern):
            if np.isnan(x):
                continue
            p0 = category_probs(MIXED, t)[j]
            pp, pm = category_probs(MIXED, t + h)[j], category_probs(MIXED, t - h)[j]
            d1 = (pp - pm) / (2 * h)
            h2 = 1e-4  # larger step: a second difference loses digits to rounding
            p2p, p2m = category_probs(MIXED, t + h2)[j], category_probs(MIXED, t - h2)[j]
            d2 = (p2p - 2 * p0 + p2m) / h2**2
            info += float((d1 * d1 / p0).sum())
            warm += float((d1 * d2 / p0).sum())
        return info, warm

    # Warm (1989): dlogL/dtheta + J / (2 I) = 0
    def warm_eq(t: float) -> float:
        i, j = info_and_j(t)
        return score(t) + j / (2 * i)

    grid = np.linspace(-6, 6, 49)
    vals = np.array([warm_eq(t) for t in grid])
    k = int(np.nonzero((vals[:-1] > 0) & (vals[1:] <= 0))[0][0])
    wle_ref = optimize.brentq(warm_eq, grid[k], grid[k + 1], xtol=1e-12)
    est = estimate_ability(np.array([pattern]), MIXED, method="wle")
    assert_allclose(est.theta[0], wle_ref, atol=1e-6)
    assert_allclose(est.se[0], 1 / np.sqrt(info_and_j(wle_ref)[0]), rtol=1e-5)

    mu, sd = MIXED.latent_mean, MIXED.latent_sd
    res = optimize.minimize_scalar(
        lambda t: -(loglik(MIXED, pattern, t) + stats.norm.logpdf(t, mu, sd)),
        bounds=(-6, 6),
        method="bounded",
        options={"xatol": 1e-12},
    )
    map_est = estimate_ability(np.array([pattern]), MIXED, method="map")
    assert_allclose(map_est.theta[0], res.x, atol=1e-6)

    def post(t: float, power: int) -> float:
        return t**power * np.exp(loglik(MIXED, pattern, t)) * stats.norm.pdf(t, mu, sd)

    z = integrate.quad(post, -12, 12, args=(0,), epsabs=1e-13)[0]
    m1 = integrate.quad(post, -12, 12, args=(1,), epsabs=1e-13)[0] / z
    m2 = integrate.quad(post, -12, 12, args=(2,), epsabs=1e-13)[0] / z
    eap = estimate_ability(np.array([pattern]), MIXED, method="eap")
    assert_allclose(eap.theta[0], m1, atol=1e-7)
    assert_allclose(eap.se[0], np.sqrt(m2 - m1 * m1), atol=1e-7)


def test_no_answers() -> None:
    empty = np.full((2, 4), np.nan)
    eap = estimate_ability(empty, MIXED)
    assert_allclose(eap.theta, MIXED.latent_mean, atol=1e-12)
    assert_allclose(eap.se, MIXED.latent_sd, rtol=1e-9)
    wle = estimate_ability(empty, MIXED, method="wle")
    assert np.all(np.isnan(wle.theta)) and np.all(wle.n_answered == 0)
    map_est = estimate_ability(empty, MIXED, method="map")
    assert_allclose(map_est.theta, MIXED.latent_mean, atol=1e-8)


def test_score_response_equals_matrix_scoring() -> None:
    theta, se = score_response({"a": 1, "c": 2, "d": None}, MIXED, method="wle")
    est = estimate_ability(np.array([[1, np.nan, 2, np.nan]]), MIXED, method="wle")
    assert theta == est.theta[0] and se == est.se[0]
    with pytest.raises(ResponseDataError, match="not in the parameter set") as info:
        score_response({"zz": 1}, MIXED)
    assert info.value.got == ["zz"]


def test_shape_and_category_errors() -> None:
    with pytest.raises(ResponseDataError, match="one column per item"):
        estimate_ability(np.zeros((3, 2)), MIXED)
    with pytest.raises(ResponseDataError, match="top category of item c"):
        estimate_ability(np.array([[1, 1, 4, 0]]), MIXED)


def test_estimates_track_true_abilities(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    a, b = rng.uniform(0.8, 2.0, 30), rng.normal(0, 1, 30)
    x, theta = sim.two_pl(rng, 2000, a, b)
    params = ItemParameters(tuple(map(str, range(30))), ("2pl",) * 30, a, b[:, None], np.zeros(30))
    for method in ("eap", "map", "wle"):
        est = estimate_ability(x, params, method=method)
        rmse = np.sqrt(np.mean((est.theta - theta) ** 2))
        # the reported SEs describe the actual errors
        assert abs(rmse / np.sqrt(np.mean(est.se**2)) - 1) < 0.1, method
    eap = estimate_ability(x, params)
    assert abs(np.var(eap.theta) + np.mean(eap.se**2) - 1) < 0.08  # law of total variance
