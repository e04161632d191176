"""Allocation methods against brute force and numerical optimisation; rounding; cost model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize

from sampling.allocation import AllocationMethod
from sampling.allocation import allocate
from sampling.allocation import allocation_shares
from sampling.allocation import cluster_plan
from sampling.allocation import optimal_cluster_size
from sampling.allocation import optimal_total_for_budget
from sampling.allocation import round_preserving_total
from sampling.errors import SamplingError

N = np.array([1200.0, 3400.0, 800.0, 2600.0])
S = np.array([0.30, 0.42, 0.25, 0.36])
C = np.array([4.0, 1.0, 9.0, 2.0])


def _variance(n: np.ndarray, pop: np.ndarray = N, sd: np.ndarray = S) -> float:
    """Variance of the stratified estimator of a total (Cochran 1977, eq. 5.6)."""
    return float(np.sum(pop**2 * sd**2 / n * (1 - n / pop)))


def _constrained_minimum(objective, constraint, x0: np.ndarray) -> np.ndarray:
    res = minimize(
        objective,
        x0,
        method="SLSQP",
        constraints=[{"type": "eq", "fun": constraint}],
        bounds=[(1e-3, None)] * x0.size,
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert res.success, res.message
    return res.x


def test_proportional_and_equal() -> None:
    a = allocate(100, N, "proportional", strata=["a", "b", "c", "d"])
    assert a.sizes.sum() == 100
    assert_allclose(a.exact, 100 * N / N.sum())
    assert a.as_dict() == {"a": 15, "b": 43, "c": 10, "d": 32}
    e = allocate(10, N, "equal")
    assert e.sizes.tolist() == [3, 3, 2, 2]  # 2.5 each; ties go to the first strata


def test_largest_remainder_rounding() -> None:
    # Hamilton's method: floors 3, 4, 1 (total 8); remainders .6 .1 .3 -> +1 to the first, third
    assert round_preserving_total([3.6, 4.1, 1.3], 10).tolist() == [4, 4, 2]
    rng = np.random.default_rng(1)
    for _ in range(200):
        x = rng.dirichlet(np.ones(6)) * 57
        r = round_preserving_total(x, 57)
        assert r.sum() == 57 and np.all(np.abs(r - x) < 1)


def test_neyman_matches_brute_force_integer_optimum() -> None:
    """Neyman (Cochran 1977, §5.5): n_h proportional to N_h S_h minimises the variance."""
    pop, sd, n = N[:3], S[:3], 40
    candidates = [
        (a, b, n - a - b) for a, b in itertools.product(range(1, n), repeat=2) if a + b < n
    ]
    best = min(
        ((_variance(np.array(c, dtype=float), pop, sd), c) for c in candidates),
        key=lambda t: t[0],
    )
    neyman = allocate(n, pop, "neyman", sd=sd)
    assert _variance(neyman.sizes.astype(float), pop, sd) <= best[0] * 1.005
    assert np.abs(neyman.sizes - np.array(best[1])).max() <= 1


def test_neyman_continuous_matches_numerical_optimum() -> None:
    n = 300.0
    x = _constrained_minimum(
        lambda v: float(np.sum(N**2 * S**2 / v)), lambda v: v.sum() - n, np.full(4, n / 4)
    )
    assert_allclose(allocate(300, N, "neyman", sd=S).exact, x, rtol=1e-4)


def test_optimal_under_cost_matches_numerical_optimum() -> None:
    """Cochran (1977), §5.5: minimise V subject to sum c_h n_h = C -> n_h ~ N_h S_h / sqrt(c_h)."""
    budget = 1000.0
    x = _constrained_minimum(
        lambda v: float(np.sum(N**2 * S**2 / v)),
        lambda v: float(C @ v) - budget,
        np.full(4, budget / C.sum()),
    )
    total = optimal_total_for_budget(budget, N, S, C)
    assert_allclose(total, x.sum(), rtol=1e-4)
    shares = allocation_shares(N, "optimal", sd=S, cost=C)
    assert_allclose(total * shares / shares.sum(), x, rtol=1e-4)
    exact = allocate(round(total), N, "optimal", sd=S, cost=C).exact
    assert_allclose(exact / exact.sum(), x / x.sum(), rtol=1e-4)


@pytest.mark.parametrize("q", [0.0, 0.3, 0.5, 1.0])
def test_power_allocation_minimises_bankiers_criterion(q: float) -> None:
    """Bankier (1988): minimise sum_h X_h^(2q) CV_h^2 with CV_h^2 = S_h^2 / (n_h Ybar_h^2)."""
    means = np.array([0.10, 0.18, 0.08, 0.15])
    sd = np.sqrt(means * (1 - means))
    n = 400.0
    x = _constrained_minimum(
        lambda v: float(np.sum(N ** (2 * q) * sd**2 / (v * means**2))),
        lambda v: v.sum() - n,
        np.full(4, n / 4),
    )
    got = allocate(400, N, "power", sd=sd, mean=means, power=q).exact
    assert_allclose(got, x, rtol=1e-4)


def test_power_allocation_limits() -> None:
    # equal unit CVs: q = 1 is proportional, q = 0 is equal
    assert_allclose(allocate(100, N, "power", power=1.0).exact, 100 * N / N.sum())
    assert_allclose(allocate(100, N, "power", power=0.0).exact, np.full(4, 25.0))


def test_bounds_hold_and_total_is_kept() -> None:
    a = allocate(100, N, "proportional", minimum=20, maximum=35)
    assert a.sizes.sum() == 100
    assert a.sizes.min() >= 20 and a.sizes.max() <= 35
    # per-stratum maximum (e.g. PSUs available)
    b = allocate(12, N, "proportional", minimum=2, maximum=[3, 10, 10, 10])
    assert b.sizes.sum() == 12 and b.sizes[0] <= 3 and b.sizes.min() >= 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": 10, "minimum": 3}, "minimum sizes add up to more than the total"),
        ({"total": 50, "maximum": 10}, "maximum sizes add up to less than the total"),
        ({"total": 10, "method": "neyman"}, "sd is required"),
        ({"total": 10, "method": "optimal", "sd": S}, "cost is required"),
        ({"total": 10, "method": "magic"}, "magic"),
        ({"total": 10, "sd": [1, 2]}, None),
        ({"total": -1}, "total must be a non-negative integer"),
        ({"total": 10, "minimum": 1.5}, "whole numbers"),
    ],
)
def test_bad_allocation_input(kwargs: dict[str, object], message: str | None) -> None:
    method = kwargs.pop("method", "proportional")
    total = kwargs.pop("total")
    if message is None:  # sd is ignored by proportional allocation
        assert allocate(total, N, method, **kwargs).sizes.sum() == total  # type: ignore[arg-type]
        return
    with pytest.raises((SamplingError, ValueError), match=message):
        allocate(total, N, method, **kwargs)  # type: ignore[arg-type]


def test_bad_population() -> None:
    with pytest.raises(SamplingError, match="population sizes must be positive"):
        allocate(10, [100, 0], AllocationMethod.PROPORTIONAL)


def test_optimal_cluster_size_minimises_variance_for_fixed_budget() -> None:
    """Hansen, Hurwitz & Madow (1953); Kish (1965, §8.3): m_opt = sqrt(c1 (1 - rho) / (c2 rho)).

    For a budget B, k = B / (c1 + c2 m) PSUs and V ~ (1 + (m - 1) rho) / (k m); the
    minimiser over a fine grid of m must equal the closed form.
    """
    for c1, c2, rho in [(400, 20, 0.05), (150, 30, 0.02), (1000, 25, 0.15)]:
        m = np.linspace(1, 200, 400_001)
        v = (1 + (m - 1) * rho) * (c1 + c2 * m) / m
        assert optimal_cluster_size(c1, c2, rho) == pytest.approx(m[np.argmin(v)], abs=1e-3)


def test_cluster_plan() -> None:
    p = cluster_plan(400, 20, 0.05, budget=20_000)
    assert p.persons_per_psu == 19 and p.psus == 20_000 // (400 + 20 * 19)
    assert p.deff == pytest.approx(1.9) and p.cost <= 20_000
    q = cluster_plan(400, 20, 0.05, srs_size=1225, persons_per_psu=10)
    assert q.psus == 178  # ceil(1225 * 1.45 / 10) = ceil(177.6)
    assert q.effective_n >= 1225
    with pytest.raises(SamplingError, match="icc must be strictly between 0 and 1"):
        cluster_plan(400, 20, 0.0, budget=1000)
    with pytest.raises(SamplingError, match="exactly one of budget or srs_size"):
        cluster_plan(400, 20, 0.05)
    with pytest.raises(SamplingError, match="does not cover one PSU"):
        cluster_plan(400, 20, 0.05, budget=100)
