"""Weight trimming with redistribution (R's ``trimWeights(strict = TRUE)``), and re-calibration.

Weights above ``upper`` (below ``lower``) are set to the bound; the amount cut
off is shared equally among the weights that were not trimmed, so the total
is unchanged; this repeats until no weight is outside the bounds (Potter
1990; Valliant, Dever & Kreuter 2018, §14.4; R's ``trimWeights``).

Trimming calibrated weights moves the calibration margins (redistributing the
amount cut off shifts weight between cells). With ``recalibrate`` (the step
that calibrated the weights) trimming and re-calibration alternate until both
the caps and the margins hold: trim, re-calibrate the trimmed weights, trim
again, ... (the "rake and trim" cycles of Izrael, Battaglia & Frankel 2009,
*Extreme survey weight adjustment as a component of sample balancing*, and
Valliant, Dever & Kreuter 2018, §14.4). The caps are computed once, from the
input weights, so they stay fixed over the cycles. The diagnostics' margin
checks are the true totals of the final weights against the targets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling.errors import ConvergenceError
from sampling.errors import WeightingError
from sampling.weighting._margins import margin_checks
from sampling.weighting._margins import prepare_margins
from sampling.weighting._margins import prepare_totals
from sampling.weighting.base import MarginCheck
from sampling.weighting.base import WeightingResult
from sampling.weighting.base import WeightingStep
from sampling.weighting.base import as_weights
from sampling.weighting.base import summarize

logger = logging.getLogger(__name__)


def _quantile(w: np.ndarray, q: float | None, name: str) -> float | None:
    if q is None:
        return None
    if not 0.0 < float(q) < 1.0:
        raise WeightingError(f"{name} must be between 0 and 1", param=name, got=q)
    # type 7 quantile (R's default, numpy's "linear") of the positive weights
    return float(np.quantile(w[w > 0], float(q)))


def _trim_passes(
    w: FloatArray, lo: float, hi: float, strict: bool, max_iter: int
) -> tuple[FloatArray, NDArray[np.bool_], int]:
    """One trimming (R's ``trimWeights``): the new weights, the trimmed rows, the passes."""
    active = w > 0
    trimmed = np.zeros_like(active)
    passes = 0
    while True:
        outside = active & ((w < lo) | (w > hi))
        if not outside.any():
            break
        passes += 1
        if passes > max_iter:
            raise ConvergenceError(
                f"trimming did not settle in {max_iter} passes", param="max_iter", got=max_iter
            )
        trimmed |= outside
        new = np.where(active, np.clip(w, lo, hi), w)
        cut = float((w - new).sum())
        inside = active & ~outside
        new[inside] += cut / int(inside.sum())
        w = new
        if not strict:
            break
    return w, trimmed, passes


def _targets(step: WeightingStep, before: FloatArray, after: FloatArray) -> tuple[MarginCheck, ...]:
    """The margins of a calibration step, totalled with ``before`` and ``after`` weights."""
    margins = step.options.get("margins") or {}
    totals = step.options.get("totals") or {}
    prepared = prepare_margins(before, step.variables, margins) if margins else ()
    names, numeric, targets = prepare_totals(before, step.variables, totals)
    return margin_checks(before, after, prepared, names, numeric, targets)


def _relative_error(checks: tuple[MarginCheck, ...]) -> float:
    return max((c.error / abs(c.target) if c.target else c.error for c in checks), default=0.0)


def trim_weights(
    weights: ArrayLike,
    variables: Mapping[str, Any] | None = None,
    *,
    upper: float | None = None,
    lower: float | None = None,
    upper_quantile: float | None = None,
    lower_quantile: float | None = None,
    strict: bool = True,
    max_iter: int = 1000,
    recalibrate: WeightingStep | None = None,
    tol: float = 1e-8,
    max_cycles: int = 200,
) -> WeightingResult:
    """Trim weights to ``[lower, upper]`` keeping their total (R's ``trimWeights``),
    re-calibrating after each trimming when ``recalibrate`` is given.

    One pass: ``w' = min(max(w, lower), upper)``, then
    ``w'_i += sum(w - w') / #(not trimmed)`` for the weights that were inside.
    With ``strict=True`` passes repeat until no weight is outside the bounds.
    Quantile caps (``upper_quantile=0.95``) are computed once from the input
    weights (R/numpy type-7 quantiles). Rows with weight 0 are left alone.

    With ``recalibrate`` (a calibration's :class:`WeightingStep`, e.g.
    ``rake(...).step``) the cycle trim -> re-calibrate repeats until, after a
    trimming, every margin is within ``tol`` (relative: ``|total - target| /
    target``) or, after a re-calibration, every weight is within the caps
    (up to a relative 1e-9): both the caps and the margins then hold.

    Args:
        weights: current weights.
        variables: unused (same signature as the other methods).
        upper, lower: absolute caps.
        upper_quantile, lower_quantile: caps as quantiles of the positive weights.
        strict: repeat until every weight is within the bounds.
        max_iter: safety limit on passes.
        recalibrate: the calibration step to repeat after trimming (None: trim only).
        tol: relative margin tolerance of the trim/re-calibrate cycles.
        max_cycles: safety limit on those cycles.

    Returns:
        WeightingResult (no calibration record: the design keeps the calibration's).
        With ``recalibrate`` the diagnostics hold the margins: ``before`` totals of
        the input weights, ``after`` of the final weights (the true margin errors).

    Raises:
        WeightingError: no cap, both an absolute and a quantile cap, or caps that
            cannot keep the total (e.g. ``upper * n < sum(w)``).
        ConvergenceError: the caps and the margins cannot both be met in
            ``max_cycles`` cycles (a cap too tight for the margins).

    Example:
        >>> trim_weights([1.0, 1.0, 1.0, 5.0], upper=3.0).weights.round(6).tolist()
        [1.666667, 1.666667, 1.666667, 3.0]
    """
    before = as_weights(weights)
    if upper is not None and upper_quantile is not None:
        raise WeightingError("give upper or upper_quantile, not both", param="upper")
    if lower is not None and lower_quantile is not None:
        raise WeightingError("give lower or lower_quantile, not both", param="lower")
    hi = _quantile(before, upper_quantile, "upper_quantile") if upper is None else float(upper)
    lo = _quantile(before, lower_quantile, "lower_quantile") if lower is None else float(lower)
    if hi is None and lo is None:
        raise WeightingError(
            "trimming needs a cap", param="upper", hint="give upper, lower or a quantile"
        )
    hi = np.inf if hi is None else hi
    lo = -np.inf if lo is None else lo
    if not lo < hi:
        raise WeightingError("lower must be below upper", param="lower", got=[lo, hi])
    active = before > 0
    count = int(active.sum())
    total = float(before.sum())
    if hi * count < total * (1 - 1e-12) or lo * count > total * (1 + 1e-12):
        raise WeightingError(
            f"caps [{lo:.6g}, {hi:.6g}] cannot keep the weight total {total:.6g} "
            f"over {count} weights",
            param="upper",
            hint="raise the upper cap (or lower the lower cap)",
        )
    w, trimmed, passes = _trim_passes(before, lo, hi, strict, max_iter)
    notes: dict[str, Any] = {"lower": lo, "upper": hi}
    checks: tuple[MarginCheck, ...] = ()
    if recalibrate is not None:
        first_error = _relative_error(_targets(recalibrate, before, w))
        cycles = 0
        while _relative_error(_targets(recalibrate, w, w)) > tol:
            cycles += 1
            if cycles > max_cycles:
                raise ConvergenceError(
                    f"trimming at [{lo:.6g}, {hi:.6g}] and {recalibrate.method} did not meet "
                    f"both the caps and the margins in {max_cycles} cycles",
                    param="max_cycles",
                    got=max_cycles,
                    hint="raise the cap (e.g. a higher upper_quantile) or collapse sparse "
                    "margin levels",
                )
            w = recalibrate.run(w).weights
            if np.all(w[active] <= hi * (1 + 1e-9)) and np.all(w[active] >= lo * (1 - 1e-9)):
                break
            w, again, more = _trim_passes(w, lo, hi, strict, max_iter)
            trimmed |= again
            passes += more
        checks = _targets(recalibrate, before, w)
        notes.update(
            {
                "recalibrated": recalibrate.method,
                "cycles": cycles,
                "error_trim_only": first_error,
                "error_final": _relative_error(checks),
            }
        )
    notes.update({"trimmed": int(trimmed.sum()), "passes": passes})
    diagnostics = summarize(
        "trim",
        before,
        w,
        iterations=max(passes, 1),
        converged=True,
        margins=checks,
        notes=notes,
    )
    options = {
        "upper": upper,
        "lower": lower,
        "upper_quantile": upper_quantile,
        "lower_quantile": lower_quantile,
        "strict": strict,
        "max_iter": max_iter,
        "recalibrate": recalibrate,
        "tol": tol,
        "max_cycles": max_cycles,
    }
    return WeightingResult(
        weights=w,
        converged=True,
        iterations=max(passes, 1),
        diagnostics=diagnostics,
        step=WeightingStep("trim", {}, options),
        calibration=None,
    )
