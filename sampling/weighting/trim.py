"""Weight trimming with redistribution (R's ``trimWeights(strict = TRUE)``).

Weights above ``upper`` (below ``lower``) are set to the bound; the amount cut
off is shared equally among the weights that were not trimmed, so the total
is unchanged; this repeats until no weight is outside the bounds (Potter
1990; Valliant, Dever & Kreuter 2018, §14.4; R's ``trimWeights``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sampling.errors import ConvergenceError
from sampling.errors import WeightingError
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
) -> WeightingResult:
    """Trim weights to ``[lower, upper]`` keeping their total (R's ``trimWeights``).

    One pass: ``w' = min(max(w, lower), upper)``, then
    ``w'_i += sum(w - w') / #(not trimmed)`` for the weights that were inside.
    With ``strict=True`` passes repeat until no weight is outside the bounds.
    Quantile caps (``upper_quantile=0.95``) are computed once from the input
    weights (R/numpy type-7 quantiles). Rows with weight 0 are left alone.

    Args:
        weights: current weights.
        variables: unused (same signature as the other methods).
        upper, lower: absolute caps.
        upper_quantile, lower_quantile: caps as quantiles of the positive weights.
        strict: repeat until every weight is within the bounds.
        max_iter: safety limit on passes.

    Returns:
        WeightingResult (no calibration record: trimming keeps the design's).

    Raises:
        WeightingError: no cap, both an absolute and a quantile cap, or caps that
            cannot keep the total (e.g. ``upper * n < sum(w)``).

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
    w = before.copy()
    passes = 0
    trimmed = np.zeros_like(active)
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
    diagnostics = summarize(
        "trim",
        before,
        w,
        iterations=max(passes, 1),
        converged=True,
        notes={"lower": lo, "upper": hi, "trimmed": int(trimmed.sum()), "passes": passes},
    )
    options = {
        "upper": upper,
        "lower": lower,
        "upper_quantile": upper_quantile,
        "lower_quantile": lower_quantile,
        "strict": strict,
        "max_iter": max_iter,
    }
    return WeightingResult(
        weights=w,
        converged=True,
        iterations=max(passes, 1),
        diagnostics=diagnostics,
        step=WeightingStep("trim", {}, options),
        calibration=None,
    )
