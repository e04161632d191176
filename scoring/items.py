"""Item analysis by classical test theory, weighted by survey weights when given.

Notation: ``x_ij`` points of respondent ``i`` on item ``j`` (``0..c_j``), ``X_i = sum_j x_ij``
the raw total, weights ``w_i >= 0`` with ``W = sum w_i`` (all 1 when unweighted).
Every mean, variance and covariance is the weighted *population* form
``E[x] = sum w x / W``, ``V[x] = sum w (x - E[x])^2 / W``: with integer weights this
is exactly the unweighted statistic of the data with each row repeated ``w_i`` times,
and correlations, alpha and KR-20 do not depend on the divisor.

* difficulty ``p_j = E[x_j] / c_j`` (share correct for right/wrong items);
* corrected item-total (item-rest) point-biserial ``r_j = corr(x_j, X - x_j)``;
* upper-lower discrimination ``D_j = p_j(upper) - p_j(lower)`` for the 27% of the
  weight with the highest and lowest totals (Kelley 1939). Respondents tied on the
  total at a group boundary all belong to the group with the same fraction of their
  weight, so the groups hold exactly 27% of the weight and do not depend on row order;
* Cronbach's ``alpha = k/(k-1) (1 - sum_j V[x_j] / V[X])`` and alpha-if-item-deleted
  (the same over the other ``k-1`` items);
* KR-20 ``= k/(k-1) (1 - sum_j p_j q_j / V[Y])`` on the right/wrong matrix (``Y`` number
  fully right, ``p_j`` share fully right): given explicitly, or taken from the points
  when every item is scored right/wrong; it equals alpha when all items are right/wrong
  with the same points;
* standard error of measurement ``SEM = sqrt(V[X]) sqrt(1 - alpha)``;
* option (distractor) frequencies: the weighted share choosing each option, overall and
  in the upper and lower groups, plus the share with no answer.

Sources: Crocker & Algina (1986), *Introduction to Classical and Modern Test Theory*,
ch. 7 (alpha, KR-20, SEM) and ch. 14 (difficulty, discrimination, point-biserial,
distractors); Cronbach (1951), *Psychometrika* 16:297-334; Kuder & Richardson (1937),
*Psychometrika* 2:151-160; Kelley (1939), *J. Educ. Psychol.* 30:17-24.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import Questionnaire
from scoring.encode import EncodedResponses
from scoring.encode import encode_responses
from scoring.errors import ScoringError
from scoring.errors import WeightsError
from scoring.score import score_responses

logger = logging.getLogger(__name__)

#: label of the "no answer" row of option frequencies
NO_ANSWER = "(none)"


class ItemFlag(enum.StrEnum):
    """Why an item deserves a second look."""

    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"
    NOT_DISCRIMINATING = "not_discriminating"


@dataclass(frozen=True, slots=True)
class FlagThresholds:
    """Thresholds of the item flags and the share of each extreme group.

    Attributes:
        too_easy: flag when difficulty ``> too_easy`` (0.95).
        too_hard: flag when difficulty ``< too_hard`` (0.10).
        min_pbis: flag when the corrected point-biserial is ``< min_pbis`` (0.15) or
            undefined (an item everyone answers alike).
        group_share: share of the weight in the upper and in the lower group (0.27).
    """

    too_easy: float = 0.95
    too_hard: float = 0.10
    min_pbis: float = 0.15
    group_share: float = 0.27

    def __post_init__(self) -> None:
        if not 0.0 < self.group_share <= 0.5:
            raise ScoringError(
                "group_share must be in (0, 0.5]",
                param="group_share",
                got=self.group_share,
                hint="the classic choice is 0.27 (Kelley 1939)",
            )
        if not 0.0 <= self.too_hard <= self.too_easy <= 1.0:
            raise ScoringError(
                "need 0 <= too_hard <= too_easy <= 1",
                param="too_easy",
                got=(self.too_hard, self.too_easy),
            )


@dataclass(frozen=True, slots=True)
class OptionFrequency:
    """How often one option of an item was chosen (weighted shares)."""

    item_id: str
    code: str
    key: bool
    share: float
    share_upper: float
    share_lower: float


@dataclass(frozen=True)
class ItemAnalysis:
    """Classical item statistics of ``k`` items; arrays are ``(k,)`` and read-only."""

    item_ids: tuple[str, ...]
    item_dimensions: tuple[str, ...]
    max_points: NDArray[np.float64]
    difficulty: NDArray[np.float64]
    pbis: NDArray[np.float64]
    discrimination: NDArray[np.float64]
    alpha_if_deleted: NDArray[np.float64]
    flags: tuple[tuple[ItemFlag, ...], ...]
    alpha: float
    kr20: float | None
    sem: float
    mean_total: float
    sd_total: float
    n: int
    weight_sum: float
    weighted: bool
    thresholds: FlagThresholds
    options: tuple[OptionFrequency, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("max_points", "difficulty", "pbis", "discrimination", "alpha_if_deleted"):
            getattr(self, name).setflags(write=False)

    @property
    def k(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    def flagged(self) -> dict[str, tuple[ItemFlag, ...]]:
        """Items with at least one flag."""
        return {i: f for i, f in zip(self.item_ids, self.flags, strict=True) if f}

    def option_summary(self, item_id: str) -> str:
        """``"A 12.0% | B* 70.0% | (none) 3.0%"`` (``*`` marks keyed options)."""
        parts = [
            f"{o.code}{'*' if o.key else ''} {100 * o.share:.1f}%"
            for o in self.options
            if o.item_id == item_id
        ]
        return " | ".join(parts)

    def summary(self) -> dict[str, Any]:
        """Test-level statistics as plain values."""
        return {
            "n": self.n,
            "weight_sum": self.weight_sum,
            "weighted": self.weighted,
            "items": self.k,
            "mean_total": self.mean_total,
            "sd_total": self.sd_total,
            "alpha": self.alpha,
            "kr20": self.kr20,
            "sem": self.sem,
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per item, for a CSV file (flags joined with ``;``)."""
        rows = []
        for j, item in enumerate(self.item_ids):
            rows.append(
                {
                    "item": item,
                    "dimension": self.item_dimensions[j],
                    "max_points": float(self.max_points[j]),
                    "difficulty": float(self.difficulty[j]),
                    "pbis": float(self.pbis[j]),
                    "discrimination": float(self.discrimination[j]),
                    "alpha_if_deleted": float(self.alpha_if_deleted[j]),
                    "flags": ";".join(self.flags[j]),
                    "options": self.option_summary(item),
                }
            )
        return rows

    def option_rows(self) -> list[dict[str, Any]]:
        """One dict per item and option, for a CSV file."""
        return [
            {
                "item": o.item_id,
                "option": o.code,
                "key": int(o.key),
                "share": o.share,
                "share_upper": o.share_upper,
                "share_lower": o.share_lower,
            }
            for o in self.options
        ]


def check_weights(weights: Any, n: int) -> NDArray[np.float64]:
    """Validate survey weights: ``(n,)``, finite, ``>= 0``, positive sum; return float64.

    Args:
        weights: the weights, or None for unweighted (all 1).
        n: number of respondents.

    Returns:
        ``(n,)`` float64 weights (a new array; the input is not changed).

    Raises:
        WeightsError: naming what is wrong (length, the first bad row, all zero).

    Example:
        >>> check_weights(None, 3)
        array([1., 1., 1.])
    """
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise WeightsError(
            "one weight per respondent is needed",
            param="weights",
            got=w.shape,
            expected=f"({n},)",
        )
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise WeightsError(
            f"weight of row {int(bad[0])} is not a finite number >= 0 ({bad.size} such rows)",
            param="weights",
            got=float(w[bad[0]]),
            hint="fix or drop respondents with missing or negative weights",
        )
    if not w.sum() > 0:
        raise WeightsError("the weights sum to 0", param="weights", got=0.0)
    return w


def group_membership(
    total: NDArray[np.float64], weights: NDArray[np.float64], share: float, upper: bool
) -> NDArray[np.float64]:
    """Fraction ``f_i`` in [0, 1] of each respondent's weight in the upper (or lower) group.

    Formula: sort distinct totals from the extreme inwards, with weight mass ``M_s`` at
    total ``s`` and mass ``B_s`` beyond it; ``f_i = clip((share W - B_s) / M_s, 0, 1)``
    for ``s = X_i``, so ``sum w_i f_i = share W`` and tied respondents share a fraction.
    Source: Kelley (1939) for the 27% groups; the tie rule is ours.

    Args:
        total: ``(n,)`` totals (rounded to 1e-9 before ties are found).
        weights: ``(n,)`` weights, ``>= 0``.
        share: share of the weight in the group, in ``(0, 0.5]``.
        upper: the group of the highest totals (else the lowest).

    Returns:
        ``(n,)`` fractions in [0, 1].

    Example:
        >>> group_membership(np.array([1., 2, 2, 3]), np.ones(4), 0.5, upper=True)
        array([0. , 0.5, 0.5, 1. ])
    """
    t = np.round(np.asarray(total, dtype=np.float64), 9)
    distinct, inverse = np.unique(-t if upper else t, return_inverse=True)
    mass = np.bincount(inverse, weights=weights, minlength=distinct.size)
    beyond = np.cumsum(mass) - mass
    target = share * float(weights.sum())
    safe = np.where(mass > 0, mass, 1.0)
    frac = np.where(mass > 0, np.clip((target - beyond) / safe, 0.0, 1.0), 0.0)
    return frac[inverse]


def analyze_items(
    scores: NDArray[np.float64],
    *,
    max_points: Sequence[float] | NDArray[np.float64] | None = None,
    weights: NDArray[np.float64] | Sequence[float] | None = None,
    item_ids: Sequence[str] | None = None,
    item_dimensions: Sequence[str] | None = None,
    thresholds: FlagThresholds | None = None,
    right: NDArray[np.bool_] | None = None,
) -> ItemAnalysis:
    """Classical item analysis of a ``(n, k)`` matrix of item points.

    Formulas are in the module docstring (:mod:`scoring.items`).

    Args:
        scores: ``(n, k)`` points earned (missing answers already scored 0).
        max_points: ``(k,)`` maximum points per item (default: 1, right/wrong data).
        weights: ``(n,)`` survey weights (default: unweighted).
        item_ids: names of the items (default ``item1..itemk``).
        item_dimensions: dimension of each item (default empty strings).
        thresholds: flag thresholds and extreme-group share.
        right: ``(n, k)`` fully-right indicators for KR-20 (default: ``scores == max``
            when every score is 0 or the maximum, else KR-20 is None).

    Returns:
        A frozen :class:`ItemAnalysis` (``options`` empty: see :func:`analyze_responses`).

    Raises:
        ScoringError: bad shapes, points outside ``0..max_points``, fewer than 2 items.
        WeightsError: unusable weights.

    Example:
        >>> x = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
        >>> round(analyze_items(x).alpha, 4)
        0.75
    """
    th = thresholds or FlagThresholds()
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 1:
        raise ScoringError(
            "item analysis needs a (respondents, items) matrix with at least 2 items",
            param="scores",
            got=x.shape,
        )
    n, k = x.shape
    c = np.ones(k) if max_points is None else np.asarray(max_points, dtype=np.float64)
    ids = tuple(item_ids) if item_ids is not None else tuple(f"item{j + 1}" for j in range(k))
    dims = tuple(item_dimensions) if item_dimensions is not None else ("",) * k
    if c.shape != (k,) or len(ids) != k or len(dims) != k:
        raise ScoringError(
            "max_points, item_ids and item_dimensions need one entry per item",
            param="max_points",
            got=(c.shape, len(ids), len(dims)),
            expected=k,
        )
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x > c[None, :] + 1e-9):
        raise ScoringError(
            "item points must be finite and within 0..max_points",
            param="scores",
            hint="score missing answers as 0 before the item analysis",
        )
    w = check_weights(weights, n)
    wn = w / w.sum()

    mean = wn @ x
    xc = x - mean[None, :]
    total = x.sum(axis=1)
    tc = total - float(wn @ total)
    var_items = wn @ (xc * xc)
    var_total = float(wn @ (tc * tc))
    cov_total = (wn * tc) @ xc
    var_rest = var_total - 2.0 * cov_total + var_items
    tol = 1e-12 * max(1.0, float(np.max(c)) ** 2)

    pbis = _ratio(
        cov_total - var_items,
        np.sqrt(np.clip(var_items * var_rest, 0.0, None)),
        (var_items > tol) & (var_rest > tol),
    )
    alpha = _alpha(k, float(var_items.sum()), var_total, tol)
    if k > 2:
        alpha_del = _ratio(var_items.sum() - var_items, var_rest, var_rest > tol)
        alpha_del = (k - 1) / (k - 2) * (1.0 - alpha_del)
    else:
        alpha_del = np.full(k, np.nan)
    if right is None and bool(np.all((x == 0) | (x == c[None, :]))):
        right = x == c[None, :]
    kr20 = None
    if right is not None:
        r = np.asarray(right, dtype=np.float64)
        if r.shape != x.shape:
            raise ScoringError("right must have the shape of scores", param="right", got=r.shape)
        p = wn @ r
        y = r.sum(axis=1)
        var_y = float(wn @ (y - wn @ y) ** 2)
        kr20 = _alpha(k, float((p * (1 - p)).sum()), var_y, 1e-12)
    sd_total = float(np.sqrt(var_total))
    sem = sd_total * float(np.sqrt(1.0 - alpha)) if np.isfinite(alpha) else float("nan")

    difficulty = mean / c
    upper = w * group_membership(total, w, th.group_share, upper=True)
    lower = w * group_membership(total, w, th.group_share, upper=False)
    discrimination = (upper @ x / upper.sum() - lower @ x / lower.sum()) / c
    flags = tuple(_flags(difficulty[j], pbis[j], th) for j in range(k))
    logger.info("item analysis: %d respondents, %d items, alpha %.3f", n, k, alpha)
    return ItemAnalysis(
        item_ids=ids,
        item_dimensions=dims,
        max_points=c.copy(),
        difficulty=difficulty,
        pbis=pbis,
        discrimination=discrimination,
        alpha_if_deleted=alpha_del,
        flags=flags,
        alpha=alpha,
        kr20=kr20,
        sem=sem,
        mean_total=float(wn @ total),
        sd_total=sd_total,
        n=n,
        weight_sum=float(w.sum()),
        weighted=weights is not None,
        thresholds=th,
    )


def _ratio(
    num: NDArray[np.float64], den: NDArray[np.float64], ok: NDArray[np.bool_]
) -> NDArray[np.float64]:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=ok)
    return out


def _alpha(k: int, sum_var: float, var_total: float, tol: float) -> float:
    if var_total <= tol:
        return float("nan")
    return k / (k - 1) * (1.0 - sum_var / var_total)


def _flags(difficulty: float, pbis: float, th: FlagThresholds) -> tuple[ItemFlag, ...]:
    out = []
    if difficulty > th.too_easy:
        out.append(ItemFlag.TOO_EASY)
    if difficulty < th.too_hard:
        out.append(ItemFlag.TOO_HARD)
    if not np.isfinite(pbis) or pbis < th.min_pbis:
        out.append(ItemFlag.NOT_DISCRIMINATING)
    return tuple(out)


def analyze_responses(
    questionnaire: Questionnaire,
    responses: EncodedResponses | Sequence[Mapping[str, Any]],
    *,
    weights: NDArray[np.float64] | Sequence[float] | None = None,
    thresholds: FlagThresholds | None = None,
) -> ItemAnalysis:
    """Score responses and analyse the questionnaire's scored items, options included.

    The item points are those of :func:`scoring.score_responses` (no answer and "don't
    know" score 0); the total is the raw points total; KR-20 uses the fully-right
    indicators (partial credit counts as wrong there). Option frequencies come from
    the encoded answers. Formulas and sources: module docstring.

    Args:
        questionnaire: holds the items, keys and points.
        responses: encoded responses or answer dicts.
        weights: ``(n,)`` survey weights (default: unweighted).
        thresholds: flag thresholds and extreme-group share.

    Returns:
        An :class:`ItemAnalysis` with ``options`` filled in.

    Raises:
        ResponseError, RuleError: from encoding and scoring.
        WeightsError: unusable weights.

    Example:
        >>> analyze_responses(q, answers).to_rows()[0]["difficulty"]  # doctest: +SKIP
        0.62
    """
    th = thresholds or FlagThresholds()
    if isinstance(responses, EncodedResponses):
        encoded = responses
    else:
        encoded = encode_responses(questionnaire, responses)
    sheet = score_responses(questionnaire, encoded)
    points = sheet.points
    base = analyze_items(
        points,
        max_points=sheet.item_max,
        weights=weights,
        item_ids=sheet.item_ids,
        item_dimensions=sheet.item_dimensions,
        thresholds=th,
        right=sheet.right,
    )
    w = check_weights(weights, sheet.n)
    total = points.sum(axis=1)
    upper = w * group_membership(total, w, th.group_share, upper=True)
    lower = w * group_membership(total, w, th.group_share, upper=False)
    keys = {item.id: item.key.correct for item in questionnaire.scored_items if item.key}
    options = option_frequencies(encoded, keys, w, upper, lower)
    return dataclasses.replace(base, options=options)


def option_frequencies(
    encoded: EncodedResponses,
    keys: Mapping[str, frozenset[str]],
    weights: NDArray[np.float64],
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
) -> tuple[OptionFrequency, ...]:
    """Weighted share choosing each option, overall and in the upper and lower groups.

    Formula: ``share_o = sum_i w_i [i chose o] / sum_i w_i``; the group shares use the
    group weights ``w_i f_i`` (:func:`group_membership`) instead of ``w_i``. A last row
    per item (code ``(none)``) is the share with no answer. For multiple-answer items
    the shares of the options add up to more than 1. Source: Crocker & Algina (1986)
    ch. 14 (distractor analysis).

    Args:
        encoded: the encoded answers.
        keys: keyed option codes per item id.
        weights, upper, lower: ``(n,)`` respondent, upper-group and lower-group weights.

    Returns:
        One :class:`OptionFrequency` per item and option, in questionnaire order.

    Example:
        >>> option_frequencies(enc, {"K1": frozenset({"T"})}, w, up, lo)[0].share  # doctest: +SKIP
        0.8
    """
    out: list[OptionFrequency] = []
    sums = [float(v.sum()) for v in (weights, upper, lower)]
    for item_id, codes in zip(encoded.item_ids, encoded.codes, strict=True):
        chosen = encoded.selection(item_id).astype(np.float64)
        none = (~encoded.answered[:, encoded.column(item_id)]).astype(np.float64)
        table = np.column_stack([chosen, none])
        shares = [
            (v @ table) / s if s > 0 else np.full(table.shape[1], np.nan)
            for v, s in zip((weights, upper, lower), sums, strict=True)
        ]
        key = keys.get(item_id, frozenset())
        for m, code in enumerate((*codes, NO_ANSWER)):
            out.append(
                OptionFrequency(
                    item_id=item_id,
                    code=code,
                    key=code in key,
                    share=float(shares[0][m]),
                    share_upper=float(shares[1][m]),
                    share_lower=float(shares[2][m]),
                )
            )
    return tuple(out)
