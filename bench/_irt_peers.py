"""Peer wrappers and simulators for bench/bench_irt.py (girth and PyPI mirt).

Peers are installed only by the ``bench`` extra (``pip install -e '.[bench]'``).
Every wrapper returns a :class:`Fit` with the IRT-form parameters (logistic
metric, D = 1) and the wall time of the fit call alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from scoring.irt import calibrate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fit:
    """Parameters of one fit and its time (NaN arrays when a peer has no value)."""

    name: str
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    c: NDArray[np.float64]
    seconds: float
    se_a: NDArray[np.float64] | None = None
    se_b: NDArray[np.float64] | None = None
    loglik: float = float("nan")
    iterations: int = -1


def simulate(
    rng: np.random.Generator, n: int, n_items: int, *, guessing: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    """Right/wrong responses with known truth: a ~ lognormal(0, .3), b ~ N(0, 1), c ~ U(.1, .3)."""
    a = rng.lognormal(0.0, 0.3, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    c = rng.uniform(0.1, 0.3, n_items) if guessing else np.zeros(n_items)
    theta = rng.normal(size=n)
    p = c + (1 - c) * expit(a * (theta[:, None] - b))
    x = (rng.random((n, n_items)) < p).astype(np.float64)
    return x, theta, {"a": a, "b": b, "c": c}


def fit_kesu(x: NDArray[np.float64], model: str, *, se: bool) -> Fit:
    t0 = time.perf_counter()
    cal = calibrate(x, model=model, se_method="observed" if se else "none")
    seconds = time.perf_counter() - t0
    p = cal.params
    return Fit(
        "kesu",
        p.a,
        p.b[:, 0],
        p.c,
        seconds,
        None if p.se_a is None else p.se_a,
        None if p.se_b is None else p.se_b[:, 0],
        cal.loglik,
        cal.n_iterations,
    )


def fit_mirt(x: NDArray[np.float64], model: str, *, se: bool) -> Fit:
    import mirt
    from mirt.estimation import BetaPrior

    priors = {"guessing": BetaPrior(5, 17)} if model == "3pl" else None
    xi = x.astype(np.int64)
    t0 = time.perf_counter()
    res = mirt.fit_mirt(xi, model=model.upper(), compute_standard_errors=se, priors=priors)
    seconds = time.perf_counter() - t0
    coef = res.coef()
    a = coef["discrimination"].to_numpy().astype(np.float64)
    b = coef["difficulty"].to_numpy().astype(np.float64)
    c = coef["guessing"].to_numpy().astype(np.float64) if model == "3pl" else np.zeros(a.size)
    se_a = se_b = None
    if se:
        errors = res.standard_errors() if callable(res.standard_errors) else res.standard_errors
        se_a = np.asarray(errors["discrimination"], dtype=np.float64)
        se_b = np.asarray(errors["difficulty"], dtype=np.float64)
    return Fit(
        "mirt", a, b, c, seconds, se_a, se_b, float(res.log_likelihood), int(res.n_iterations)
    )


def fit_girth(x: NDArray[np.float64], model: str) -> Fit:
    import girth

    fn = {"2pl": girth.twopl_mml, "3pl": girth.threepl_mml}[model]
    t0 = time.perf_counter()
    res = fn(x.T.astype(int))  # girth wants items x persons
    seconds = time.perf_counter() - t0
    a = np.asarray(res["Discrimination"], dtype=np.float64)
    b = np.asarray(res["Difficulty"], dtype=np.float64)
    c = np.asarray(res.get("Guessing", np.zeros(a.size)), dtype=np.float64)
    return Fit("girth", a, b, c, seconds)


def rmse(est: NDArray[np.float64], truth: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean((np.asarray(est) - truth) ** 2)))


def mirt_fit_statistics(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, NDArray[np.float64]], float]:
    """mirt's 2PL fit, its S-X2 table (61 nodes, mincell 1) and marginal_rxx."""
    import mirt

    xi = x.astype(np.int64)
    res = mirt.fit_mirt(xi, model="2PL", compute_standard_errors=False)
    coef = res.coef()
    a = coef["discrimination"].to_numpy().astype(np.float64)
    b = coef["difficulty"].to_numpy().astype(np.float64)
    table = mirt.itemfit(res, xi, statistics=["S_X2"], n_quadpts=61)
    cols = {name: table[name].to_numpy().astype(np.float64) for name in table.columns[1:]}
    return a, b, cols, float(mirt.marginal_rxx(res))
