"""Shared types of the weighting steps: result, replayable step, diagnostics.

Every weighting method has the signature
``method(weights, variables, **options) -> WeightingResult``: ``weights`` are
the current weights (never modified), ``variables`` maps column names to
arrays (the columns the method reads), and the options are keyword-only.
The :class:`WeightingResult` carries the new weights, convergence
information, diagnostics, the :class:`~sampling.design.CalibrationRecord`
the variance needs, and a :class:`WeightingStep` that re-runs the same
method on other weights (replicate weights are re-calibrated with it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling.design import CalibrationRecord
from sampling.errors import WeightingError

logger = logging.getLogger(__name__)


def kish_deff(weights: ArrayLike) -> float:
    """Kish's design effect due to unequal weights, ``n sum(w^2) / (sum w)^2 = 1 + cv(w)^2``.

    Only positive weights count. Source: Kish (1965), §11.7; Kish (1992).

    Example:
        >>> round(kish_deff([1.0, 1.0, 1000.0]), 6)
        2.988042
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w[w > 0]
    if w.size == 0:
        return float("nan")
    return float(w.size * np.dot(w, w) / w.sum() ** 2)


def kish_ess(weights: ArrayLike) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)`` = n / deff.

    Example:
        >>> kish_ess([1.0, 1.0, 1.0, 1.0])
        4.0
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w[w > 0]
    if w.size == 0:
        return 0.0
    return float(w.sum() ** 2 / np.dot(w, w))


def base_weights(*probabilities: ArrayLike) -> FloatArray:
    """Design (base) weights ``1 / (p1 p2 ...)`` from the selection probability of each stage.

    Source: Lohr (2022), §6.2 (weights of multistage samples are products).

    Raises:
        WeightingError: a probability is missing, <= 0 or > 1.

    Example:
        >>> base_weights([0.1, 0.5], [0.5, 0.5]).tolist()
        [20.0, 4.0]
    """
    if not probabilities:
        raise WeightingError("base_weights needs at least one probability array", param="prob")
    prod = np.ones_like(np.asarray(probabilities[0], dtype=np.float64))
    for stage, p in enumerate(probabilities, start=1):
        arr = np.asarray(p, dtype=np.float64)
        bad = np.flatnonzero(~(arr > 0) | ~(arr <= 1))
        if bad.size:
            raise WeightingError(
                f"selection probability of stage {stage} must be in (0, 1] (row {bad[0] + 1})",
                param=f"prob{stage}",
                got=float(arr[bad[0]]),
            )
        prod = prod * arr
    return 1.0 / prod


@dataclass(frozen=True, slots=True)
class MarginCheck:
    """Weighted total of one margin level (or numeric total) before and after a step."""

    variable: str
    level: str | None
    target: float
    before: float
    after: float

    @property
    def error(self) -> float:
        """Absolute error after the step."""
        return abs(self.after - self.target)


@dataclass(frozen=True, slots=True)
class WeightingDiagnostics:
    """Diagnostics of one weighting step (logged, printed by ``kesu weight``).

    Attributes:
        method: the method name.
        iterations: iterations used (1 for closed-form steps).
        converged: whether the tolerance was met.
        max_margin_error: largest absolute error of a margin total after the step.
        kish_deff_before, kish_deff_after: Kish design effects of the weights.
        ess_before, ess_after: Kish effective sample sizes.
        sum_before, sum_after: weight totals.
        min_weight, max_weight: smallest positive and largest weight after.
        ratio: max / min positive weight after.
        margins: margin totals before/after (empty for steps without targets).
        notes: extra facts (e.g. how many weights were trimmed).
    """

    method: str
    iterations: int
    converged: bool
    max_margin_error: float
    kish_deff_before: float
    kish_deff_after: float
    ess_before: float
    ess_after: float
    sum_before: float
    sum_after: float
    min_weight: float
    max_weight: float
    ratio: float
    margins: tuple[MarginCheck, ...] = ()
    notes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def max_relative_error(self) -> float:
        """Largest ``|after - target| / (1 + |target|)`` over the margins (R's criterion)."""
        return max((m.error / (1.0 + abs(m.target)) for m in self.margins), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (for JSON)."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "method",
                "iterations",
                "converged",
                "max_margin_error",
                "kish_deff_before",
                "kish_deff_after",
                "ess_before",
                "ess_after",
                "sum_before",
                "sum_after",
                "min_weight",
                "max_weight",
                "ratio",
            )
        }
        out["margins"] = [
            {
                "variable": m.variable,
                "level": m.level,
                "target": m.target,
                "before": m.before,
                "after": m.after,
            }
            for m in self.margins
        ]
        out["notes"] = dict(self.notes)
        return out

    def format(self) -> str:
        """A few readable lines for the console."""
        head = (
            f"{self.method}: {'converged' if self.converged else 'NOT converged'} "
            f"in {self.iterations} iteration(s)"
        )
        if self.margins:
            head += (
                f", largest margin error {self.max_margin_error:.3g} "
                f"(relative {self.max_relative_error:.2g})"
            )
        lines = [
            head,
            f"  Kish deff {self.kish_deff_before:.4f} -> {self.kish_deff_after:.4f}, "
            f"ESS {self.ess_before:.1f} -> {self.ess_after:.1f}",
            f"  weights sum {self.sum_before:.6g} -> {self.sum_after:.6g}, "
            f"range [{self.min_weight:.6g}, {self.max_weight:.6g}], ratio {self.ratio:.4g}",
        ]
        for m in self.margins:
            level = "" if m.level is None else f"={m.level}"
            lines.append(
                f"  {m.variable}{level}: target {m.target:.6g}, before {m.before:.6g}, "
                f"after {m.after:.6g}"
            )
        for k, v in self.notes.items():
            lines.append(f"  {k}: {v}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True, eq=False)
class WeightingStep:
    """A weighting method with its inputs, to re-run on other weights (replicates).

    Attributes:
        method: name in :data:`sampling.weighting.WEIGHTING_METHODS`.
        variables: the columns the method reads.
        options: its keyword options.
    """

    method: str
    variables: Mapping[str, NDArray[Any]]
    options: Mapping[str, Any]

    def run(self, weights: ArrayLike) -> WeightingResult:
        """Apply the step to ``weights`` (e.g. one column of replicate weights)."""
        from sampling.weighting import get_weighting_method

        return get_weighting_method(self.method)(weights, self.variables, **dict(self.options))


@dataclass(frozen=True, slots=True, eq=False)
class WeightingResult:
    """Output of every weighting method.

    Attributes:
        weights: the new weights.
        converged: whether the method met its tolerance.
        iterations: iterations used.
        diagnostics: see :class:`WeightingDiagnostics`.
        step: how to re-run the method on other weights.
        calibration: what the variance engine must account for (None for
            trimming and nonresponse adjustment).
    """

    weights: FloatArray
    converged: bool
    iterations: int
    diagnostics: WeightingDiagnostics
    step: WeightingStep
    calibration: CalibrationRecord | None = None


def _weight_stats(w: FloatArray) -> tuple[int, float, float, float, float]:
    """Count, sum, sum of squares, min and max of the positive weights."""
    pos = w[w > 0]
    if pos.size == 0:
        return 0, 0.0, 0.0, float("nan"), float("nan")
    return (
        int(pos.size),
        float(pos.sum()),
        float(np.dot(pos, pos)),
        float(pos.min()),
        float(pos.max()),
    )


def summarize(
    method: str,
    before: FloatArray,
    after: FloatArray,
    *,
    iterations: int,
    converged: bool,
    margins: tuple[MarginCheck, ...] = (),
    notes: Mapping[str, Any] | None = None,
) -> WeightingDiagnostics:
    """Build the diagnostics of a step and log them."""
    n_b, sum_b, sq_b, _, _ = _weight_stats(before)
    n_a, sum_a, sq_a, lo, hi = _weight_stats(after)
    diag = WeightingDiagnostics(
        method=method,
        iterations=iterations,
        converged=converged,
        max_margin_error=max((m.error for m in margins), default=0.0),
        kish_deff_before=n_b * sq_b / sum_b**2 if n_b else float("nan"),
        kish_deff_after=n_a * sq_a / sum_a**2 if n_a else float("nan"),
        ess_before=sum_b**2 / sq_b if n_b else 0.0,
        ess_after=sum_a**2 / sq_a if n_a else 0.0,
        sum_before=float(before.sum()),
        sum_after=float(after.sum()),
        min_weight=lo,
        max_weight=hi,
        ratio=hi / lo if lo > 0 else float("inf"),
        margins=margins,
        notes=dict(notes or {}),
    )
    logger.info(
        "%s: kish_deff %.4f -> %.4f, kish_ess %.1f -> %.1f, %d iteration(s), converged=%s",
        method,
        diag.kish_deff_before,
        diag.kish_deff_after,
        diag.ess_before,
        diag.ess_after,
        iterations,
        converged,
    )
    return diag


def as_weights(weights: ArrayLike) -> FloatArray:
    """Validated float copy of input weights (finite, >= 0, not all zero)."""
    w = np.array(weights, dtype=np.float64, copy=True).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise WeightingError(
            f"weights must be finite and >= 0 (row {bad[0] + 1})",
            param="weights",
            got=float(w[bad[0]]),
        )
    if not np.any(w > 0):
        raise WeightingError("all weights are zero", param="weights")
    return w


def used_columns(variables: Mapping[str, Any], *groups: Any) -> dict[str, NDArray[Any]]:
    """The columns of ``variables`` named by the keys of ``groups`` (kept by a step)."""
    names: list[str] = []
    for g in groups:
        if g:
            names.extend(str(k) for k in g)
    return {k: np.asarray(variables[k]) for k in names if k in variables}
