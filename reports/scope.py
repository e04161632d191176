"""Which complete responses of a survey wave enter design-weighted estimates.

Shared by the live dashboard (``survey.dashboard``) and ``kesu report --wave``, so that
the page, its PDF and the command line estimate from the same rows. When some complete
responses carry a design weight (``base_weight``, from the sampled case's selection
probabilities), the estimates are design-weighted and use exactly those; the others -
open-link responses (a non-probability sample), invitations without a sample design
(``kesu wave invite``) and cases whose probabilities are incomplete - are left out,
counted by reason, never silently. When no response has a design weight, every complete
response counts equally and the output says the estimates are unweighted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: why a complete response is not in design-weighted estimates, in the order shown
LEFT_OUT_REASONS = ("open_link", "no_design", "incomplete_design")
#: the unweighted literate share of the left-out responses is shown from this many on
#: (the report's default suppression threshold)
LEFT_OUT_MIN_N = 10


@dataclass(frozen=True)
class EstimationScope:
    """Which complete responses the live estimates use, and how they are weighted.

    Attributes:
        complete: complete, non-rejected responses of the wave.
        used: those in the estimates.
        design_weighted: True: weighted by ``base_weight``; False: equal weights.
        left_out: reason (:data:`LEFT_OUT_REASONS`) -> number of responses left out.
        left_out_literate: unweighted share literate among the left-out responses (None
            below :data:`LEFT_OUT_MIN_N`); describes only them, not the population.
    """

    complete: int
    used: int
    design_weighted: bool
    left_out: Mapping[str, int]
    left_out_literate: float | None = None

    def note(self) -> str:
        """The report note ``left_out:open_link=1;no_design=2`` ('' when none)."""
        if not self.left_out:
            return ""
        return "left_out:" + ";".join(f"{k}={v}" for k, v in self.left_out.items())


def estimation_scope(
    table: Mapping[str, NDArray[Any]],
) -> tuple[dict[str, NDArray[Any]], EstimationScope]:
    """The rows of an analysis table that the live estimates use (module docstring).

    A design weight is a finite ``base_weight`` > 0. Left-out rows are classed as
    ``open_link`` (``open_link`` = 1), ``incomplete_design`` (some of ``prob1..prob3``
    known) or ``no_design``.

    Returns:
        The table to estimate from (the rows with a design weight; every row, without the
        ``base_weight`` column, when none has one) and its :class:`EstimationScope`.

    Example:
        >>> t = {"respondent_id": np.array([1, 2]), "base_weight": np.array([90.0, np.nan]),
        ...      "open_link": np.array([0, 1]), "literate": np.array([1, 0])}
        >>> estimation_scope(t)[1].left_out
        {'open_link': 1}
    """
    n = len(table["respondent_id"])
    missing = np.full(n, np.nan)
    weights = np.asarray(table.get("base_weight", missing), dtype=np.float64)
    usable = np.isfinite(weights) & (weights > 0)
    if not usable.any():
        rows = {k: np.asarray(v) for k, v in table.items() if k != "base_weight"}
        return rows, EstimationScope(n, n, False, {})
    left = ~usable
    open_link = np.asarray(table.get("open_link", np.zeros(n)), dtype=np.float64) == 1
    has_prob = np.zeros(n, dtype=bool)
    for name in ("prob1", "prob2", "prob3"):
        if name in table:
            has_prob |= np.isfinite(np.asarray(table[name], dtype=np.float64))
    reason = np.where(open_link, "open_link", np.where(has_prob, "incomplete_design", "no_design"))
    counts = {r: int(np.sum(left & (reason == r))) for r in LEFT_OUT_REASONS}
    left_out = {r: k for r, k in counts.items() if k}
    literate = None
    if int(left.sum()) >= LEFT_OUT_MIN_N and "literate" in table:
        literate = float(np.mean(np.asarray(table["literate"], dtype=np.float64)[left]))
    rows = {k: np.asarray(v)[usable] for k, v in table.items()}
    return rows, EstimationScope(n, int(usable.sum()), True, left_out, literate)
