"""The result of scoring a batch of responses: :class:`ScoreSheet`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.errors import ScoringError

logger = logging.getLogger(__name__)

#: prefix of the per-item points columns of the analysis table (``item_K01``)
ITEM_PREFIX = "item_"
#: prefix of the scaled dimension score columns (``score_knowledge``)
SCORE_PREFIX = "score_"
#: the remaining score columns of the analysis table, in order
TOTAL_COLUMN = "score_total"
LEVEL_COLUMN = "level"
LITERATE_COLUMN = "literate"


@dataclass(frozen=True)
class ScoreSheet:
    """Scores of ``n`` respondents on ``k`` scored items and ``d`` dimensions.

    Built by :func:`scoring.score_responses`; every array is read-only.

    Attributes:
        questionnaire_id, questionnaire_version, content_hash: the questionnaire scored with.
        rule: the rule set that decided ``literate`` (``national-2021``, ``miller``,
            ``benchmark-2016``).
        item_ids: the scored items (columns of the item matrices).
        item_dimensions: the dimension of each item.
        item_max: ``(k,)`` points of a fully right answer.
        dimension_ids: the dimensions (columns of ``raw`` and ``scaled``).
        dimension_max: ``(d,)`` each dimension's maximum on the total scale.
        total_max: the maximum total (100).
        level_codes: level codes from highest to lowest (``advanced ... low``).
        answered: ``(n, k)`` bool, an answer was given ("don't know" counts as given).
        right: ``(n, k)`` bool, fully right (multiple-answer: exactly the keyed options).
        partial_columns: the item columns scored with partial credit.
        partial_points: ``(n, len(partial_columns))`` points earned on those items
            (rounded to 1e-9).
        raw: ``(n, d)`` raw points per dimension (rounded to 1e-9, like ``scaled``).
        scaled: ``(n, d)`` raw points scaled to the dimension maximum.
        total: ``(n,)`` total score, ``0..total_max``, rounded to 1e-9.
        share_right: ``(n,)`` share of scored items fully right.
        level: ``(n,)`` int8 index into ``level_codes``.
        literate: ``(n,)`` bool, literate under ``rule``.

    The ``(n, k)`` float matrix of points earned, :attr:`points`, is built on first
    access (``right * item_max`` with the partial-credit columns filled in): scoring
    a million respondents does not need it, an item analysis does.
    """

    questionnaire_id: str
    questionnaire_version: str
    content_hash: str
    rule: str
    item_ids: tuple[str, ...]
    item_dimensions: tuple[str, ...]
    item_max: NDArray[np.float64]
    dimension_ids: tuple[str, ...]
    dimension_max: NDArray[np.float64]
    total_max: float
    level_codes: tuple[str, ...]
    answered: NDArray[np.bool_]
    right: NDArray[np.bool_]
    partial_columns: tuple[int, ...]
    partial_points: NDArray[np.float64]
    raw: NDArray[np.float64]
    scaled: NDArray[np.float64]
    total: NDArray[np.float64]
    share_right: NDArray[np.float64]
    level: NDArray[np.int8]
    literate: NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = self.total.shape[0]
        k, d = len(self.item_ids), len(self.dimension_ids)
        shapes = {
            "item_max": (self.item_max.shape, (k,)),
            "dimension_max": (self.dimension_max.shape, (d,)),
            "answered": (self.answered.shape, (n, k)),
            "right": (self.right.shape, (n, k)),
            "partial_points": (self.partial_points.shape, (n, len(self.partial_columns))),
            "raw": (self.raw.shape, (n, d)),
            "scaled": (self.scaled.shape, (n, d)),
            "share_right": (self.share_right.shape, (n,)),
            "level": (self.level.shape, (n,)),
            "literate": (self.literate.shape, (n,)),
        }
        for name, (got, expected) in shapes.items():
            if got != expected:
                raise ScoringError(
                    f"ScoreSheet.{name} has the wrong shape", param=name, got=got, expected=expected
                )
        if len(self.item_dimensions) != k:
            raise ScoringError("one dimension per item", param="item_dimensions")
        for name in shapes:
            getattr(self, name).setflags(write=False)
        self.total.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.total.shape[0])

    @cached_property
    def points(self) -> NDArray[np.float64]:
        """``(n, k)`` float64 points earned per item (read-only; built on first access)."""
        out = self.right * self.item_max[None, :]
        for m, j in enumerate(self.partial_columns):
            out[:, j] = self.partial_points[:, m]
        out.setflags(write=False)
        return out

    def item_points(self, j: int) -> NDArray[np.float64]:
        """``(n,)`` points earned on item column ``j`` (without building :attr:`points`)."""
        if j in self.partial_columns:
            return self.partial_points[:, self.partial_columns.index(j)]
        column: NDArray[np.float64] = self.right[:, j] * self.item_max[j]
        return column

    def respondent_points(self, i: int) -> NDArray[np.float64]:
        """``(k,)`` points earned by respondent ``i`` on each item."""
        i = self._check_row(i)
        out: NDArray[np.float64] = self.right[i] * self.item_max
        for m, j in enumerate(self.partial_columns):
            out[j] = self.partial_points[i, m]
        return out

    @property
    def level_labels(self) -> NDArray[np.str_]:
        """``(n,)`` level codes as strings (``'literate'``...)."""
        return np.asarray(self.level_codes)[self.level]

    @property
    def item_columns(self) -> tuple[str, ...]:
        """Analysis-table names of the item columns: ``item_<ID>``."""
        return tuple(ITEM_PREFIX + i for i in self.item_ids)

    @property
    def score_columns(self) -> tuple[str, ...]:
        """Every score column of the analysis table, in order."""
        return (
            *self.item_columns,
            *(SCORE_PREFIX + d for d in self.dimension_ids),
            TOTAL_COLUMN,
            LEVEL_COLUMN,
            LITERATE_COLUMN,
        )

    def _check_row(self, i: int) -> int:
        if not -self.n <= i < self.n:
            raise ScoringError(
                "respondent index out of range", param="i", got=i, expected=f"0..{self.n - 1}"
            )
        return i % self.n

    def to_dict(self, i: int = 0) -> dict[str, Any]:
        """One respondent's result as JSON-ready plain values, for storing with the response.

        Example:
            >>> score_responses(q, [answers]).to_dict(0)["total"]  # doctest: +SKIP
            70.0
        """
        i = self._check_row(i)
        return {
            "questionnaire_id": self.questionnaire_id,
            "questionnaire_version": self.questionnaire_version,
            "content_hash": self.content_hash,
            "rule": self.rule,
            "items": {
                item: float(p)
                for item, p in zip(self.item_ids, self.respondent_points(i), strict=True)
            },
            "right": {item: bool(r) for item, r in zip(self.item_ids, self.right[i], strict=True)},
            "raw": {dim: float(v) for dim, v in zip(self.dimension_ids, self.raw[i], strict=True)},
            "dimensions": {
                dim: float(v) for dim, v in zip(self.dimension_ids, self.scaled[i], strict=True)
            },
            "total": float(self.total[i]),
            "share_right": float(self.share_right[i]),
            "level": self.level_codes[int(self.level[i])],
            "literate": bool(self.literate[i]),
        }

    def row(self, i: int = 0) -> dict[str, Any]:
        """One respondent's score columns of the analysis table (``literate`` as 0/1)."""
        i = self._check_row(i)
        out: dict[str, Any] = {
            name: float(p)
            for name, p in zip(self.item_columns, self.respondent_points(i), strict=True)
        }
        for dim, v in zip(self.dimension_ids, self.scaled[i], strict=True):
            out[SCORE_PREFIX + dim] = float(v)
        out[TOTAL_COLUMN] = float(self.total[i])
        out[LEVEL_COLUMN] = self.level_codes[int(self.level[i])]
        out[LITERATE_COLUMN] = int(self.literate[i])
        return out

    def columns(self) -> dict[str, NDArray[Any]]:
        """The score columns of the analysis table for the whole batch.

        ``item_<ID>`` (points), ``score_<dimension>`` (scaled), ``score_total`` as float64;
        ``level`` as strings; ``literate`` as int8 0/1.
        """
        out: dict[str, NDArray[Any]] = {}
        for j, name in enumerate(self.item_columns):
            out[name] = self.item_points(j)
        for m, dim in enumerate(self.dimension_ids):
            out[SCORE_PREFIX + dim] = self.scaled[:, m]
        out[TOTAL_COLUMN] = self.total
        out[LEVEL_COLUMN] = self.level_labels
        out[LITERATE_COLUMN] = self.literate.astype(np.int8)
        return out

    def level_shares(self, weights: NDArray[np.float64] | None = None) -> dict[str, float]:
        """Share of respondents at each level (weighted when ``weights`` are given).

        Formula: ``sum(w_i [level_i = l]) / sum(w_i)``; not cumulative.
        """
        w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (self.n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ScoringError(
                "weights must be finite, >= 0, one per respondent and not all zero",
                param="weights",
                got=w.shape,
                expected=f"({self.n},)",
            )
        counts = np.bincount(self.level, weights=w, minlength=len(self.level_codes))
        total = float(w.sum())
        return {code: float(c) / total for code, c in zip(self.level_codes, counts, strict=True)}
