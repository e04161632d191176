"""Raking (iterative proportional fitting) to several categorical margins.

Each cycle post-stratifies to every margin in turn, ``w_i <- w_i N_{a,l} /
hat N_{a,l}``, until all margins are met (Deming & Stephan 1940; Lohr 2022,
§8.6.2). The weights equal those of ``calibrate(method="raking")`` at
convergence. The variance uses the regression on all margins jointly, as R's
``calibrate(calfun="raking")`` (R's ``rake()`` projects one margin at a time
and gives slightly different standard errors).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sampling._codes import IntArray
from sampling._codes import combine_codes
from sampling._codes import group_sum
from sampling._model import ModelMatrix
from sampling.design import CalibrationRecord
from sampling.errors import ConvergenceError
from sampling.errors import WeightingError
from sampling.weighting._margins import Margin
from sampling.weighting._margins import margin_checks
from sampling.weighting._margins import prepare_margins
from sampling.weighting.base import WeightingResult
from sampling.weighting.base import WeightingStep
from sampling.weighting.base import as_weights
from sampling.weighting.base import summarize
from sampling.weighting.base import used_columns as _used

logger = logging.getLogger(__name__)


def _relevel(margin: Margin, levels: IntArray) -> Margin:
    """The margin with the cell table's level codes (for :func:`margin_checks`)."""
    return Margin(margin.variable, levels, margin.levels, margin.targets)


def _decode(cells: IntArray, sizes: list[int]) -> list[IntArray]:
    """Level codes of each margin for every crossed cell (first margin varies slowest)."""
    out = []
    rest = cells.astype(np.intp)
    for size in reversed(sizes):
        out.append(rest % size)
        rest = rest // size
    return out[::-1]


def rake(
    weights: ArrayLike,
    variables: Mapping[str, Any],
    *,
    margins: Mapping[str, Mapping[Any, float]],
    max_iter: int = 100,
    tol: float = 1e-10,
) -> WeightingResult:
    """Rake ``weights`` to categorical margins by iterative proportional fitting.

    Convergence: ``max |hat N_{a,l} - N_{a,l}| / (1 + N_{a,l}) < tol`` over
    all margins and levels (R's ``grake`` criterion). R: ``rake(design,
    list(~a, ~b), list(pop_a, pop_b))``; the same weights as
    ``calibrate(design, ~a + b, pop, calfun="raking")``.

    Args:
        weights: current weights.
        variables: columns holding the margin variables.
        margins: ``{variable: {level: population_count}}``.
        max_iter: maximum number of cycles.
        tol: tolerance on the relative margin error.

    Returns:
        WeightingResult with a calibration record on all margins jointly.

    Raises:
        MarginError: an empty cell, an unknown level, margins with different totals.
        ConvergenceError: margins not met after ``max_iter`` cycles.

    Example:
        >>> v = {"a": [1, 1, 2, 2], "b": [1, 2, 1, 2]}
        >>> r = rake([1.0] * 4, v, margins={"a": {1: 3, 2: 5}, "b": {1: 4, 2: 4}})
        >>> r.weights.round(6).tolist()
        [1.5, 1.5, 2.5, 2.5]
    """
    before = as_weights(weights)
    if not margins:
        raise WeightingError("raking needs at least one margin", param="margins")
    if max_iter < 1 or not tol > 0:
        raise WeightingError("max_iter must be >= 1 and tol > 0", param="max_iter")
    prepared = prepare_margins(before, variables, margins)
    # Every row of a cell of the cross-classification of all margins gets the same
    # factor, so IPF runs on the table of cell totals (a few dozen numbers) and the
    # rows are touched once at the end.
    sizes = [len(m.levels) for m in prepared]
    cell, cells = combine_codes([m.codes for m in prepared], sizes)
    cell_total = group_sum(cell, cells.shape[0], before)
    cell_levels = _decode(cells, sizes)
    factor = np.ones(cells.shape[0])
    converged = False
    iterations = 0
    error = float("inf")
    for cycle in range(1, max_iter + 1):
        iterations = cycle
        for m, levels in zip(prepared, cell_levels, strict=True):
            current = np.bincount(levels, weights=cell_total * factor, minlength=len(m.levels))
            step = np.zeros(len(m.levels))
            np.divide(m.targets, current, out=step, where=current > 0)
            factor *= step[levels]
        error = 0.0
        for m, levels in zip(prepared[:-1], cell_levels[:-1], strict=True):
            current = np.bincount(levels, weights=cell_total * factor, minlength=len(m.levels))
            error = max(error, float(np.max(np.abs(current - m.targets) / (1.0 + m.targets))))
        if error < tol:
            converged = True
            break
    after = before * factor[cell]
    if not converged:
        raise ConvergenceError(
            f"raking did not converge in {max_iter} iterations "
            f"(largest relative margin error {error:.3g})",
            param="max_iter",
            got=max_iter,
            hint="raise max_iter, or collapse sparse levels so the margins are compatible",
        )
    # margin totals before/after from the cell table (same numbers, no pass over rows)
    checks = margin_checks(
        cell_total,
        cell_total * factor,
        tuple(_relevel(m, lv) for m, lv in zip(prepared, cell_levels, strict=True)),
    )
    diagnostics = summarize(
        "rake", before, after, iterations=iterations, converged=True, margins=checks
    )
    model = ModelMatrix(
        factors=tuple(m.codes for m in prepared),
        n_levels=tuple(len(m.levels) for m in prepared),
        numeric=np.zeros((before.shape[0], 0)),
        intercept=True,
    )
    return WeightingResult(
        weights=after,
        converged=True,
        iterations=iterations,
        diagnostics=diagnostics,
        step=WeightingStep(
            "rake",
            _used(variables, margins),
            {"margins": margins, "max_iter": max_iter, "tol": tol},
        ),
        calibration=CalibrationRecord("rake", model, before, after),
    )
