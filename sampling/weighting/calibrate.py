"""Calibration to categorical margins and numeric totals: linear (GREG), raking, logit.

Find weights ``w_i = d_i g_i`` with ``g_i = 1 + F(x_i' eta)`` such that
``sum_i w_i x_i = T`` (Deville & Särndal 1992; Särndal 2007). ``F`` is the
calibration function:

* linear: ``F(u) = u`` (GREG), optionally truncated to ``L <= g <= U``;
* raking: ``F(u) = exp(u) - 1`` (multiplicative, the IPF solution);
* logit: bounded, ``L < g < U``.

``eta`` is found by Newton's method as in R's ``grake``:
``eta += ginv(X' diag(d F'(X eta)) X) (T - X' w)``; the unbounded linear case
is solved in closed form as R's ``regcalibrate``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sampling._codes import FloatArray
from sampling._model import ModelMatrix
from sampling._model import scaled_pinv
from sampling.design import CalibrationRecord
from sampling.errors import ConvergenceError
from sampling.errors import WeightingError
from sampling.weighting._margins import build_model
from sampling.weighting._margins import margin_checks
from sampling.weighting._margins import prepare_margins
from sampling.weighting._margins import prepare_totals
from sampling.weighting.base import WeightingResult
from sampling.weighting.base import WeightingStep
from sampling.weighting.base import as_weights
from sampling.weighting.base import summarize
from sampling.weighting.base import used_columns

logger = logging.getLogger(__name__)

CALIBRATION_FUNCTIONS = ("linear", "raking", "logit")

Calfun = tuple[
    Callable[[FloatArray, float, float], FloatArray],
    Callable[[FloatArray, float, float], FloatArray],
]


def _linear_f(u: FloatArray, lo: float, hi: float) -> FloatArray:
    return np.clip(u + 1.0, lo, hi) - 1.0


def _linear_df(u: FloatArray, lo: float, hi: float) -> FloatArray:
    return ((u < hi - 1.0) & (u > lo - 1.0)).astype(np.float64)


def _raking_f(u: FloatArray, lo: float, hi: float) -> FloatArray:
    with np.errstate(over="ignore"):
        return np.clip(np.exp(u), lo, hi) - 1.0


def _raking_df(u: FloatArray, lo: float, hi: float) -> FloatArray:
    with np.errstate(over="ignore"):
        return np.where((u < hi - 1.0) & (u > lo - 1.0), np.exp(u), 0.0)


def _logit_q(u: FloatArray, lo: float, hi: float) -> tuple[FloatArray, float]:
    """``q = expit(A u + log((1-L)/(U-1)))`` so that ``g = L + (U - L) q``."""
    from scipy import special  # only logit calibration needs it

    a = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
    return special.expit(a * u + np.log((1.0 - lo) / (hi - 1.0))), a


def _logit_f(u: FloatArray, lo: float, hi: float) -> FloatArray:
    # R's cal.logit: (L(U-1) + U(1-L) e^{Au}) / (U-1 + (1-L) e^{Au}) - 1, written stably
    q, _ = _logit_q(u, lo, hi)
    return lo + (hi - lo) * q - 1.0


def _logit_df(u: FloatArray, lo: float, hi: float) -> FloatArray:
    q, a = _logit_q(u, lo, hi)
    return (hi - lo) * a * q * (1.0 - q)


_CALFUNS: dict[str, Calfun] = {
    "linear": (_linear_f, _linear_df),
    "raking": (_raking_f, _raking_df),
    "logit": (_logit_f, _logit_df),
}


def _check_bounds(method: str, bounds: Any) -> tuple[float, float]:
    if bounds is None:
        if method == "logit":
            raise WeightingError(
                "logit calibration needs bounds", param="bounds", hint="e.g. bounds: [0.5, 2.0]"
            )
        return -np.inf, np.inf
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError) as exc:
        raise WeightingError("bounds must be two numbers [lower, upper]", param="bounds") from exc
    if not lo < 1.0 < hi:
        raise WeightingError(
            "bounds on g = final/initial weight must satisfy lower < 1 < upper",
            param="bounds",
            got=[lo, hi],
        )
    if method == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise WeightingError("logit calibration needs finite bounds", param="bounds", got=bounds)
    return lo, hi


def calibrate(
    weights: ArrayLike,
    variables: Mapping[str, Any],
    *,
    margins: Mapping[str, Mapping[Any, float]] | None = None,
    totals: Mapping[str, float] | None = None,
    method: str = "linear",
    bounds: tuple[float, float] | list[float] | None = None,
    population: float | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> WeightingResult:
    """Calibrate ``weights`` to categorical margins and numeric totals.

    Solves ``sum_i d_i g_i x_i = T`` with ``g = 1 + F(x' eta)`` (Deville &
    Särndal 1992). ``x`` is the intercept (with margins, or with
    ``population``), the treatment dummies of each margin and the numeric
    variables. Convergence as R's ``grake``: ``max |T - hat T| / (1 + |T|) < tol``.
    R: ``calibrate(design, ~a + b + x, pop, calfun=method, bounds=bounds)``.

    Args:
        weights: current weights ``d``.
        variables: columns holding the margin and total variables.
        margins: ``{variable: {level: population_count}}``.
        totals: ``{numeric_variable: population_total}``.
        method: ``linear``, ``raking`` or ``logit``.
        bounds: ``[L, U]`` limits on ``g = w/d`` (required for logit).
        population: population size, for an intercept when there are no margins.
        max_iter: maximum Newton iterations.
        tol: convergence tolerance.

    Returns:
        WeightingResult with the calibration record for the variance.

    Raises:
        MarginError: impossible margins (empty cell, unknown level, inconsistent totals).
        WeightingError: bad method/bounds, or linear calibration giving negative weights.
        ConvergenceError: the totals cannot be met (e.g. bounds too narrow).

    Example:
        >>> r = calibrate([1.0, 1.0, 1.0], {"x": [1.0, 2.0, 3.0]}, totals={"x": 12.0})
        >>> r.weights.round(6).tolist()
        [1.428571, 1.857143, 2.285714]
    """
    before = as_weights(weights)
    if method not in CALIBRATION_FUNCTIONS:
        raise WeightingError(
            "unknown calibration method",
            param="method",
            got=method,
            expected=", ".join(CALIBRATION_FUNCTIONS),
        )
    if not margins and not totals:
        raise WeightingError("calibration needs margins or totals", param="margins")
    lo, hi = _check_bounds(method, bounds)
    prepared = prepare_margins(before, variables, margins or {})
    names, numeric, numeric_targets = prepare_totals(before, variables, totals or {})
    intercept = bool(prepared) or population is not None
    model, target = build_model(
        prepared, numeric, numeric_targets, intercept=intercept, population=population
    )
    if method == "linear" and not (np.isfinite(lo) or np.isfinite(hi)):
        g, iterations = _linear_closed_form(model, before, target), 1
    else:
        g, iterations = _newton(model, before, target, method, lo, hi, max_iter, tol)
    after = before * g
    negative = int(np.sum(after < 0))
    if negative:
        raise WeightingError(
            f"linear calibration gave {negative} negative weight(s)",
            param="method",
            got=method,
            hint="use bounds (e.g. [0.3, 3]) or method logit/raking",
        )
    achieved = model.xtdz(after, np.ones_like(after))
    error = float(np.max(np.abs(achieved - target) / (1.0 + np.abs(target))))
    if not error < max(tol, 1e-9):
        raise ConvergenceError(
            f"calibration could not meet the totals (largest relative error {error:.3g})",
            param="bounds",
            got=bounds,
            hint="widen the bounds, raise max_iter or collapse sparse levels",
        )
    checks = margin_checks(before, after, prepared, names, numeric, numeric_targets)
    diagnostics = summarize(
        f"calibrate({method})",
        before,
        after,
        iterations=iterations,
        converged=True,
        margins=checks,
        notes={"g_range": [float(g[before > 0].min()), float(g[before > 0].max())]},
    )
    options = {
        "margins": margins,
        "totals": totals,
        "method": method,
        "bounds": bounds,
        "population": population,
        "max_iter": max_iter,
        "tol": tol,
    }
    return WeightingResult(
        weights=after,
        converged=True,
        iterations=iterations,
        diagnostics=diagnostics,
        step=WeightingStep("calibrate", used_columns(variables, margins, totals), options),
        calibration=CalibrationRecord(f"calibrate({method})", model, before, after),
    )


def _linear_closed_form(model: ModelMatrix, d: FloatArray, target: FloatArray) -> FloatArray:
    """``g = 1 + X lambda``, ``lambda = (X'DX)^- (T - X'd)`` (R's ``regcalibrate``)."""
    pinv, scaling = scaled_pinv(model.gram(d))
    rhs = target - model.xtdz(d, np.ones_like(d))
    lam = (pinv @ (rhs / scaling)) / scaling
    g = 1.0 + model.xb(lam)
    # one refinement step against rounding in the normal equations
    rhs2 = target - model.xtdz(d * g, np.ones_like(d))
    lam2 = (pinv @ (rhs2 / scaling)) / scaling
    return g + model.xb(lam2)


def _newton(
    model: ModelMatrix,
    d: FloatArray,
    target: FloatArray,
    method: str,
    lo: float,
    hi: float,
    max_iter: int,
    tol: float,
) -> tuple[FloatArray, int]:
    """Newton iterations of R's ``grake`` (step halving on non-finite values)."""
    f, df = _CALFUNS[method]
    ones = np.ones_like(d)
    sample_total = model.xtdz(d, ones)
    eta = np.zeros(model.n_columns)
    u = np.zeros_like(d)
    deriv = df(u, lo, hi)
    misfit = target - sample_total - model.xtdz(d, f(u, lo, hi))
    for iteration in range(1, max_iter + 1):
        pinv, scaling = scaled_pinv(model.gram(d * deriv))
        step = (pinv @ (misfit / scaling)) / scaling
        eta = eta + step
        u = model.xb(eta)
        g_off = f(u, lo, hi)
        deriv = df(u, lo, hi)
        halvings = 0
        while not (np.all(np.isfinite(g_off)) and np.all(np.isfinite(deriv))):
            halvings += 1
            if halvings > 50:
                raise ConvergenceError("calibration diverged", param="method", got=method)
            step = step / 2.0
            eta = eta - step
            u = model.xb(eta)
            g_off = f(u, lo, hi)
            deriv = df(u, lo, hi)
        misfit = target - sample_total - model.xtdz(d, g_off)
        if np.all(np.abs(misfit) / (1.0 + np.abs(target)) < tol):
            return 1.0 + g_off, iteration
    worst = float(np.max(np.abs(misfit) / (1.0 + np.abs(target))))
    raise ConvergenceError(
        f"{method} calibration did not converge in {max_iter} iterations "
        f"(largest relative error {worst:.3g})",
        param="max_iter",
        got=max_iter,
        hint="widen the bounds, raise max_iter or collapse sparse levels",
    )
