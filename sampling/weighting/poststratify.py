"""Post-stratification: scale weights so each cell adds up to its population count.

``w_i <- w_i N_c / sum_{j in c} w_j`` for the cell ``c`` of respondent ``i``
(Lohr 2022, §8.6; Holt & Smith 1979). The variance accounts for it with the
cell-indicator regression (R's ``postStratify``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sampling._model import ModelMatrix
from sampling.design import CalibrationRecord
from sampling.errors import WeightingError
from sampling.weighting._margins import margin_checks
from sampling.weighting._margins import prepare_margins
from sampling.weighting.base import WeightingResult
from sampling.weighting.base import WeightingStep
from sampling.weighting.base import as_weights
from sampling.weighting.base import summarize
from sampling.weighting.base import used_columns as _used

logger = logging.getLogger(__name__)


def poststratify(
    weights: ArrayLike,
    variables: Mapping[str, Any],
    *,
    margins: Mapping[str, Mapping[Any, float]],
) -> WeightingResult:
    """Post-stratify ``weights`` to the population counts of one cell variable.

    ``w_i N_c / hat N_c`` where ``hat N_c`` is the weighted sample count of
    cell ``c`` (Lohr 2022, §8.6). R: ``postStratify(design, ~cell, pop)``.

    Args:
        weights: current weights.
        variables: columns; must contain the cell variable.
        margins: ``{cell_variable: {level: population_count}}`` with exactly
            one variable (cross several variables into one column first).

    Returns:
        WeightingResult with a calibration record (cell indicators).

    Raises:
        WeightingError: not exactly one cell variable.
        MarginError: a cell is empty, unknown or has no population count.

    Example:
        >>> cells = {"g": ["a", "a", "b"]}
        >>> r = poststratify([1.0, 1.0, 2.0], cells, margins={"g": {"a": 4, "b": 6}})
        >>> r.weights.tolist()
        [2.0, 2.0, 6.0]
    """
    before = as_weights(weights)
    if len(margins) != 1:
        raise WeightingError(
            "post-stratification takes exactly one cell variable",
            param="margins",
            got=list(margins),
            hint="cross the variables into one column, or use raking for several margins",
        )
    (margin,) = prepare_margins(before, variables, margins)
    k = len(margin.levels)
    current = np.bincount(margin.codes, weights=before, minlength=k)
    factor = np.zeros(k)
    np.divide(margin.targets, current, out=factor, where=current > 0)
    after = before * factor[margin.codes]
    checks = margin_checks(before, after, (margin,))
    diagnostics = summarize(
        "poststratify", before, after, iterations=1, converged=True, margins=checks
    )
    model = ModelMatrix(
        factors=(margin.codes,),
        n_levels=(k,),
        numeric=np.zeros((before.shape[0], 0)),
        intercept=True,
    )
    return WeightingResult(
        weights=after,
        converged=True,
        iterations=1,
        diagnostics=diagnostics,
        step=WeightingStep("poststratify", _used(variables, margins), {"margins": margins}),
        calibration=CalibrationRecord("poststratify", model, before, after),
    )
