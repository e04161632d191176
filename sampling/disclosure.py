"""Cell suppression for published tables (statistical disclosure control).

A published table of shares (rows: the groups of one variable, e.g. unit types;
columns: mutually exclusive categories, e.g. PHQ-9 bands) is checked on its
**unweighted counts** ``n[i, j]`` (respondents of group ``i`` in category ``j``).
Each row is published with its size and its shares (which sum to 100%), and the
table's total row (everyone) is published too, so both the rows and the columns
have known margins. Rules, applied in this order:

1. **Threshold** (primary): a row with fewer than ``min_n`` respondents is
   suppressed whole (default 10, the rule of the reports).
2. **Small cells** (primary): a cell with ``1 <= n[i, j] < min_cell`` respondents
   (default 3: one or two people) is suppressed: a member of the group could
   recognise the other person(s) in it, so the cell would reveal an individual.
   Empty cells (0) are shown.
3. **Complementary**: a suppressed cell that is the only one suppressed in its
   row can be recomputed from the row's 100%; one that is the only one in its
   column can be recomputed (approximately, with weights) from the total row and
   the other groups. Until no row and no column has exactly one suppressed cell,
   another cell of that row or of that column is suppressed as well: preferably
   one whose column (row) already has a suppressed cell, so that the new cell
   does not start a new chain, then the smallest count, then the leftmost
   (topmost) cell; in a column, ties go to the smaller group.

This is the classic greedy heuristic for two-dimensional tables with margins
(Hundepool et al. (2012), *Statistical Disclosure Control*, Wiley, §5.2-5.4 and
§5.6 on secondary suppression; the threshold and cell-size rules of §5.2); it
guarantees that no suppressed cell is the only unknown of a published row or
column sum. It does not solve the minimum-loss optimisation (e.g. R's
``sdcTable`` with ``method = "OPT"``), and it does not protect against "100%"
group disclosure (every member of a group in one category), which needs a
whole group of at least ``min_n`` in one category.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling.errors import SamplingError

logger = logging.getLogger(__name__)

#: reasons a cell is suppressed, in :attr:`Suppression.reasons`
SMALL_N = "small_n"
SMALL_CELL = "small_cell"
COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class Suppression:
    """Which cells of a table are suppressed, and why.

    Attributes:
        counts: ``(r, c)`` the unweighted counts checked.
        reasons: ``(r, c)`` '' (shown), ``small_n``, ``small_cell`` or ``complementary``.
        min_n, min_cell: the thresholds used.
    """

    counts: NDArray[np.int64]
    reasons: NDArray[np.str_]
    min_n: int
    min_cell: int

    @property
    def suppressed(self) -> NDArray[np.bool_]:
        """``(r, c)`` True where the cell is not published."""
        out: NDArray[np.bool_] = self.reasons != ""
        return out

    @property
    def row_suppressed(self) -> NDArray[np.bool_]:
        """``(r,)`` True where the whole row is below the threshold."""
        out: NDArray[np.bool_] = np.all(self.reasons == SMALL_N, axis=1)
        return out

    def summary(self) -> dict[str, int]:
        """How many cells were suppressed by each rule."""
        return {
            reason: int((self.reasons == reason).sum())
            for reason in (SMALL_N, SMALL_CELL, COMPLEMENTARY)
        }


def suppress_table(counts: ArrayLike, *, min_n: int = 10, min_cell: int = 3) -> Suppression:
    """Primary and complementary suppression of a table of counts (rules: module docstring).

    Args:
        counts: ``(r, c)`` non-negative whole counts; rows are groups, columns categories.
        min_n: rows with fewer respondents are suppressed whole.
        min_cell: cells with 1 to ``min_cell - 1`` respondents are suppressed (1: none).

    Returns:
        A :class:`Suppression`.

    Raises:
        SamplingError: counts not a 2-d array of whole numbers >= 0, or thresholds < 1.

    Example:
        >>> s = suppress_table([[20, 2], [15, 5], [30, 9]])
        >>> s.reasons.tolist()
        [['complementary', 'small_cell'], ['complementary', 'complementary'], ['', '']]
    """
    n = np.asarray(counts)
    if n.ndim != 2 or n.size == 0:
        raise SamplingError(
            "counts must be a non-empty 2-d table", param="counts", got=getattr(n, "shape", None)
        )
    if not np.issubdtype(n.dtype, np.number) or np.any(n < 0) or np.any(n != np.round(n)):
        raise SamplingError("counts must be whole numbers >= 0", param="counts")
    if min_n < 1 or min_cell < 1:
        raise SamplingError(
            "min_n and min_cell must be at least 1", param="min_n", got=(min_n, min_cell)
        )
    n = n.astype(np.int64)
    reasons = np.full(n.shape, "", dtype=object)
    small_rows = n.sum(axis=1) < min_n
    reasons[small_rows, :] = SMALL_N
    small = (n >= 1) & (n < min_cell) & (reasons == "")
    reasons[small] = SMALL_CELL
    _complementary(n, reasons)
    result = Suppression(n, reasons.astype(str), min_n, min_cell)
    logger.debug("suppression of a %s table: %s", n.shape, result.summary())
    return result


def _complementary(n: NDArray[np.int64], reasons: NDArray[Any]) -> None:
    """Add complementary suppressions in place until no row or column has exactly one."""
    rows, cols = n.shape
    row_size = n.sum(axis=1)
    changed = True
    while changed:
        changed = False
        for i in range(rows):
            hidden = reasons[i] != ""
            if hidden.sum() == 1 and cols > 1:
                free = np.flatnonzero(~hidden)
                # a column that has no suppressed cell yet would need one more
                fresh = (reasons[:, free] == "").all(axis=0)
                order = np.lexsort((free, n[i, free], fresh))
                reasons[i, int(free[order[0]])] = COMPLEMENTARY
                changed = True
        for j in range(cols):
            hidden = reasons[:, j] != ""
            if hidden.sum() == 1 and rows > 1:
                free = np.flatnonzero(~hidden)
                fresh = (reasons[free, :] == "").all(axis=1)
                order = np.lexsort((free, row_size[free], n[free, j], fresh))
                reasons[int(free[order[0]]), j] = COMPLEMENTARY
                changed = True
