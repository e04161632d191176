"""The national 100-point score, levels and the literacy flag, vectorised.

Rules (from the questionnaire's ``scoring`` block, see ``questionnaires/FORMAT.md``):

* **Item points.** Single-choice and true/false items: ``points`` when the chosen
  option is the key, else 0. Multiple-answer items: ``points`` for exactly the keyed
  options (exact match, the default); with ``partial_credit: true``

      points_j = points * max(0, (R - W) / K)

  where ``R`` is the number of keyed options chosen, ``W`` the number of other options
  chosen and ``K`` the number of keyed options (right-minus-wrong Pick-N scoring, cf.
  Bauer, Holzer, Kopp & Fischer (2011), *Adv. Health Sci. Educ.* 16:211-221).
  "Don't know" (``DK``) and no answer are wrong (0 points); an item hidden by skip
  logic has no answer and is wrong too (see :mod:`scoring.encode`).
* **Dimensions.** ``raw_d = sum of points of the items of dimension d``;
  ``scaled_d = raw_d * max_d / rawmax_d`` where ``rawmax_d`` is the sum of the items'
  ``points`` (with 50 items x 2 points split 20/10/10/10 the scaling is the identity).
* **Total.** ``total = sum_d scaled_d``, rounded to 9 decimals so that a total that is
  70 in exact arithmetic is 70, not 69.99999999999999 (scaled parts such as 27*40/27
  plus 7*20/21 ... accumulate binary rounding error). Scaled scores are rounded alike.
* **Levels.** Levels are listed highest first with minima ``m_0 > m_1 > ... > 0``; a
  respondent is at the highest level whose minimum the total reaches: ``total >= m``
  when ``inclusive`` (the default), ``total > m`` otherwise. The lowest level (minimum
  0) is always reached, so a total of 0 is at the lowest level in both modes.
* **Literate**, by rule set:

  - ``national-2021``: the level is the ``literate_level`` or higher (levels are
    cumulative: the advanced are literate), i.e. the total reaches its minimum (70).
  - ``miller``: every dimension's scaled score reaches its ``cut`` (``>=`` when
    inclusive, ``>`` otherwise); Miller (1983), *Daedalus* 112(2):29-48, the rule of
    the Chinese survey before 2016.
  - ``benchmark-2016``: the share of scored items fully right is ``>= benchmark_pass``
    (0.6), as in 《中国公民科学素质基准》 (2016); always ``>=``.

  Levels are computed from the total under every rule set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import RULE_SETS
from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from questionnaires.model import ScoringRules
from scoring.encode import EncodedResponses
from scoring.encode import encode_responses
from scoring.errors import ResponseError
from scoring.errors import RuleError
from scoring.sheet import ScoreSheet

logger = logging.getLogger(__name__)

#: totals, scaled scores and thresholds are rounded to this many decimals before comparing
DECIMALS = 9


@dataclass(frozen=True)
class _Plan:
    """Everything about the questionnaire that scoring needs, as arrays."""

    item_ids: tuple[str, ...]
    item_types: tuple[ItemType, ...]
    codes: tuple[tuple[str, ...], ...]
    key: NDArray[np.int64]  # option index, or bit mask of keyed options
    points: NDArray[np.float64]
    partial: tuple[int, ...]  # columns scored with partial credit
    dims: tuple[str, ...]
    item_dim: NDArray[np.intp]
    dim_max: NDArray[np.float64]
    dim_rawmax: NDArray[np.float64]


def _plan(questionnaire: Questionnaire) -> _Plan:
    rules = questionnaire.scoring
    items = questionnaire.scored_items
    if not items:
        raise RuleError(
            f"questionnaire {questionnaire.id} has no scored items",
            param="questionnaire",
            hint="give test items a 'key', 'points' and 'dimension'",
        )
    dims = tuple(d.id for d in rules.dimensions)
    key = np.empty(len(items), dtype=np.int64)
    points = np.empty(len(items), dtype=np.float64)
    item_dim = np.empty(len(items), dtype=np.intp)
    partial: list[int] = []
    for j, item in enumerate(items):
        spec = item.key
        if spec is None:  # pragma: no cover - scored_items only holds keyed items
            continue
        codes = item.codes
        if item.type is ItemType.MULTIPLE:
            key[j] = sum(1 << codes.index(c) for c in spec.correct)
            if spec.partial_credit:
                partial.append(j)
        else:
            (only,) = tuple(spec.correct)
            key[j] = codes.index(only)
        points[j] = spec.points
        if spec.dimension not in dims:
            raise RuleError(
                f"item {item.id}: dimension {spec.dimension!r} is not a scoring dimension",
                param=item.id,
                got=spec.dimension,
                expected=f"one of {', '.join(dims)}",
            )
        item_dim[j] = dims.index(spec.dimension)
    dim_max = np.array([d.maximum for d in rules.dimensions], dtype=np.float64)
    dim_rawmax = np.bincount(item_dim, weights=points, minlength=len(dims)).astype(np.float64)
    empty = [d for d, m, r in zip(dims, dim_max, dim_rawmax, strict=True) if m > 0 and r <= 0]
    if empty:
        raise RuleError(
            f"dimension(s) {', '.join(empty)} have a maximum but no scored item",
            param="dimensions",
            hint="add items to the dimension or remove it from 'scoring.dimensions'",
        )
    return _Plan(
        item_ids=tuple(i.id for i in items),
        item_types=tuple(i.type for i in items),
        codes=tuple(i.codes for i in items),
        key=key,
        points=points,
        partial=tuple(partial),
        dims=dims,
        item_dim=item_dim,
        dim_max=dim_max,
        dim_rawmax=dim_rawmax,
    )


def score_responses(
    questionnaire: Questionnaire,
    responses: EncodedResponses | Sequence[Mapping[str, Any]],
    *,
    rule: str | None = None,
) -> ScoreSheet:
    """Score a batch of responses: item points, dimensions, total, level, literacy.

    Formulas are in the module docstring (:mod:`scoring.score`). No Python loop runs
    over respondents: item scores are one comparison of the encoded matrix with the
    key vector, dimension scores are counts of right answers per group of items.

    Sources: the 2021 national scoring (knowledge 40, method 20, spirit 20,
    application 20; levels 85/70/55) of the China Civic Scientific Literacy Survey
    (CRISP); Miller (1983); 《中国公民科学素质基准》 (2016).

    Args:
        questionnaire: holds the keys, points, dimensions and scoring rules.
        responses: an :class:`~scoring.encode.EncodedResponses` (encoded with a
            questionnaire that has the same scored items and option codes, for example
            the same questionnaire before a key correction), or answer dicts, which are
            encoded first with :func:`~scoring.encode.encode_responses`.
        rule: override the questionnaire's rule set (``national-2021``, ``miller``,
            ``benchmark-2016``), for instance to compare rules on the same data.

    Returns:
        A frozen :class:`~scoring.sheet.ScoreSheet`.

    Raises:
        ResponseError: an answer cannot be encoded, or the encoding's items or option
            codes differ from the questionnaire's.
        RuleError: unknown rule set; ``miller`` without a cut for every dimension.

    Example:
        >>> sheet = score_responses(q, [{"K1": "T", "K2": "C", "M1": ["A", "B"],
        ...                              "S1": "F", "P1": "A"}])  # doctest: +SKIP
        >>> sheet.total.tolist(), sheet.level_labels.tolist()       # doctest: +SKIP
        ([10.0], ['advanced'])
    """
    rules = questionnaire.scoring
    rule_set = rules.rule if rule is None else rule
    if rule_set not in RULE_SETS:
        raise RuleError(
            f"unknown scoring rule set {rule_set!r}",
            param="rule",
            got=rule_set,
            expected=f"one of {', '.join(RULE_SETS)}",
        )
    plan = _plan(questionnaire)
    if isinstance(responses, EncodedResponses):
        encoded = responses
    else:
        encoded = encode_responses(questionnaire, responses)
    _check_encoding(plan, encoded, questionnaire.id)

    choice = encoded.choice
    answered = choice >= 0
    right = choice == plan.key.astype(choice.dtype)[None, :]
    partial_exact = _partial_points(plan, choice)
    raw, n_right = _dimension_points(plan, right, partial_exact)
    partial_points = np.round(partial_exact, DECIMALS)
    unrounded = raw * plan.dim_max / plan.dim_rawmax
    raw = np.round(raw, DECIMALS)
    scaled = np.round(unrounded, DECIMALS)
    # sum the unrounded parts, then round: exact-arithmetic 70 stays 70
    total = np.round(unrounded.sum(axis=1), DECIMALS)
    share_right = n_right / right.shape[1]
    level = assign_levels(total, rules)
    literate = _literate(rule_set, rules, level, scaled, share_right)
    logger.debug(
        "scored %d respondents (%s): mean total %.3f",
        encoded.n,
        rule_set,
        float(total.mean()) if encoded.n else float("nan"),
    )
    return ScoreSheet(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        content_hash=questionnaire.content_hash,
        rule=rule_set,
        item_ids=plan.item_ids,
        item_dimensions=tuple(plan.dims[d] for d in plan.item_dim),
        item_max=plan.points.copy(),
        dimension_ids=plan.dims,
        dimension_max=plan.dim_max,
        total_max=float(rules.total),
        level_codes=tuple(lv.code for lv in rules.levels),
        answered=answered,
        right=right,
        partial_columns=plan.partial,
        partial_points=partial_points,
        raw=raw,
        scaled=scaled,
        total=total,
        share_right=share_right,
        level=level,
        literate=literate,
    )


def _check_encoding(plan: _Plan, encoded: EncodedResponses, qid: str) -> None:
    if encoded.item_ids != plan.item_ids or encoded.item_types != plan.item_types:
        raise ResponseError(
            f"the responses were encoded for other scored items than questionnaire {qid}'s",
            param="responses",
            got=encoded.item_ids,
            expected=plan.item_ids,
            hint="encode the answers again with this questionnaire",
        )
    for item_id, got, expected in zip(plan.item_ids, encoded.codes, plan.codes, strict=True):
        if got != expected:
            raise ResponseError(
                f"item {item_id}: the responses were encoded with other option codes",
                param=item_id,
                got=got,
                expected=expected,
                hint="encode the answers again with this questionnaire",
            )


def _popcount(x: NDArray[np.int64], bits: int) -> NDArray[np.int64]:
    out = np.zeros_like(x)
    for b in range(bits):
        out += (x >> b) & 1
    return out


def _partial_points(plan: _Plan, choice: NDArray[np.signedinteger[Any]]) -> NDArray[np.float64]:
    """``(n, p)`` points of the partial-credit columns: points * max(0, (R - W) / K).

    Not rounded: dimension sums use these exact-as-possible values, the sheet stores
    them rounded to :data:`DECIMALS`.
    """
    out = np.zeros((choice.shape[0], len(plan.partial)), dtype=np.float64)
    for m, j in enumerate(plan.partial):
        col = choice[:, j].astype(np.int64)
        chosen = np.where(col >= 0, col, 0)
        key = int(plan.key[j])
        n_bits = len(plan.codes[j])
        r = _popcount(chosen & key, n_bits)
        w = _popcount(chosen & ~key, n_bits)
        share = np.maximum(0, r - w) / bin(key).count("1")
        out[:, m] = plan.points[j] * share
    return out


def _dimension_points(
    plan: _Plan, right: NDArray[np.bool_], partial_points: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Raw points per dimension and the number of items fully right, per respondent.

    Items of the same dimension and the same points form a group whose points are
    ``points * (number right in the group)``: counting booleans avoids building the
    ``(n, k)`` float matrix (the dominant cost at a million respondents).
    """
    n = right.shape[0]
    raw = np.zeros((n, len(plan.dims)), dtype=np.float64)
    n_right = np.zeros(n, dtype=np.int32)
    partial = set(plan.partial)
    groups: dict[tuple[int, float], list[int]] = {}
    for j in range(len(plan.item_ids)):
        if j not in partial:
            groups.setdefault((int(plan.item_dim[j]), float(plan.points[j])), []).append(j)
    for (d, pts), cols in groups.items():
        block = right[:, cols[0] : cols[-1] + 1] if _contiguous(cols) else right[:, cols]
        # right is column-major, so this adds whole columns (no per-row reduction)
        count = np.add.reduce(block, axis=1, dtype=np.int32)
        n_right += count
        raw[:, d] += pts * count
    for m, j in enumerate(plan.partial):
        raw[:, plan.item_dim[j]] += partial_points[:, m]
        n_right += right[:, j]
    return raw, n_right


def _contiguous(cols: list[int]) -> bool:
    return cols == list(range(cols[0], cols[-1] + 1))


def assign_levels(total: NDArray[np.float64], rules: ScoringRules) -> NDArray[np.int8]:
    """Level of each total, as an index into ``rules.levels`` (0 = highest level).

    Formula: with minima ``m_0 > ... > m_{L-1} = 0`` the level is the smallest ``l``
    with ``total >= m_l`` (inclusive) or ``total > m_l`` (exclusive); the lowest level
    is always reached. Totals and minima are rounded to :data:`DECIMALS` decimals first.
    Source: the 2024 national levels (85/70/55), inclusive reading.

    Args:
        total: ``(n,)`` totals.
        rules: the questionnaire's scoring rules (``levels``, ``inclusive``).

    Returns:
        ``(n,)`` int8 level indices.

    Raises:
        RuleError: the rules have no levels.

    Example:
        >>> assign_levels(np.array([85.0, 70.0, 69.9, 0.0]), q.scoring)  # doctest: +SKIP
        array([0, 1, 2, 3], dtype=int8)
    """
    if not rules.levels:
        raise RuleError("the scoring rules have no levels", param="levels")
    minima = [lv.minimum for lv in rules.levels][::-1]
    ascending = np.round(np.array(minima, dtype=np.float64), DECIMALS)
    t = np.round(np.asarray(total, dtype=np.float64), DECIMALS)
    side: Literal["left", "right"] = "right" if rules.inclusive else "left"
    count = np.maximum(np.searchsorted(ascending, t, side=side), 1)
    return np.asarray(len(rules.levels) - count, dtype=np.int8)


def _literate(
    rule_set: str,
    rules: ScoringRules,
    level: NDArray[np.int8],
    scaled: NDArray[np.float64],
    share_right: NDArray[np.float64],
) -> NDArray[np.bool_]:
    if rule_set == "national-2021":
        codes = [lv.code for lv in rules.levels]
        if rules.literate_level not in codes:
            raise RuleError(
                f"literate level {rules.literate_level!r} is not one of the levels",
                param="literate_level",
                got=rules.literate_level,
                expected=f"one of {', '.join(codes)}",
            )
        return level <= codes.index(rules.literate_level)
    if rule_set == "miller":
        missing = [d.id for d in rules.dimensions if d.cut is None]
        if missing:
            raise RuleError(
                f"rule 'miller' needs a cut for dimension(s) {', '.join(missing)}",
                param="dimensions",
                hint="add 'cut:' to each dimension in the questionnaire's scoring block",
            )
        cuts = np.round(np.array([d.cut for d in rules.dimensions], dtype=np.float64), DECIMALS)
        passed = scaled >= cuts[None, :] if rules.inclusive else scaled > cuts[None, :]
        return np.asarray(np.all(passed, axis=1), dtype=np.bool_)
    # benchmark-2016
    return np.round(share_right, DECIMALS) >= round(rules.benchmark_pass, DECIMALS)
