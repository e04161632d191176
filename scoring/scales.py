"""Scores, bands and flags of a questionnaire's scales (PHQ-9, GAD-7, ...), vectorised.

A scale (``scales:`` in the questionnaire, ``questionnaires/FORMAT.md``) reads answer
variables whose options carry numeric values. Answers are encoded once, with the same
encoder as the test items (:func:`scoring.encode.encode_responses` with
``variables=questionnaire.scale_variables``: one option index per variable, ``-1`` for
no answer); a lookup table turns indices into values. Rules, for a scale with ``k``
items and respondent ``i`` who answered ``m_i`` of them:

* **value** of an answer: its option's ``value``; "don't know" and no answer are
  missing. A **reverse-coded** item scores ``lo + hi - value`` (``lo``/``hi`` the
  lowest and highest option values of that item), so agreement with a positively
  worded statement lowers a stress score.
* **sum**: ``S_i = Σ values``; with ``prorate: true`` and ``m_i < k`` the sum of the
  answered items is scaled up, ``S_i = k · (Σ values) / m_i`` (person-mean
  imputation), rounded half up to a whole number when every option value is whole,
  so that bands written on whole numbers apply. Without prorating a sum needs every
  item (the loader refuses ``min_answered < k``).
* **mean**: ``S_i = (Σ values) / m_i``.
* **missing**: ``m_i < min_answered`` gives no score (NaN), no band and is counted.
* **band**: the last band whose minimum is ``<= S_i`` (scores are rounded to
  :data:`scoring.score.DECIMALS` decimals first). Bands are listed from low to high
  and cover the whole range (checked by the loader); a mean or prorated score that
  falls between one band's written maximum and the next band's minimum (e.g. 2.45
  between "1–2.4" and "2.5–3.4") belongs to the lower band.
* **flag**: 1 when the flagged item's own value (never reversed) is ``>= min``, 0
  when lower, NaN when the item was not answered.

Sources: PHQ-9 sum scoring and bands, Kroenke, Spitzer & Williams (2001), *J Gen
Intern Med* 16:606-613; GAD-7, Spitzer et al. (2006), *Arch Intern Med* 166:1092-1097;
prorating (person-mean imputation) of short symptom scales, e.g. Fox-Wasylyshyn &
El-Masri (2005), *Res Nurs Health* 28:488-495.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import Questionnaire
from questionnaires.model import Scale
from questionnaires.model import ScaleMethod
from questionnaires.scales import option_values
from scoring.encode import EncodedResponses
from scoring.encode import encode_responses
from scoring.errors import ResponseError
from scoring.errors import RuleError
from scoring.errors import ScoringError
from scoring.score import DECIMALS

logger = logging.getLogger(__name__)

#: analysis-table column prefixes: scale score, band code, flag (1/0/NaN)
SCALE_PREFIX = "scale_"
BAND_PREFIX = "band_"
FLAG_PREFIX = "flag_"


@dataclass(frozen=True)
class ScaleSheet:
    """Scale scores of ``n`` respondents on ``s`` scales with ``f`` flags (read-only arrays).

    Attributes:
        questionnaire_id, questionnaire_version, content_hash: the questionnaire scored with.
        scale_ids: the scales (columns of ``score``, ``band``, ``answered``).
        band_codes: each scale's band codes, from low to high.
        flag_ids: the flags (columns of ``flags``); ``flag_care`` marks duty-of-care flags.
        answered: ``(n, s)`` number of the scale's items answered.
        score: ``(n, s)`` score, NaN when fewer than ``min_answered`` items were answered.
        band: ``(n, s)`` int8 index into ``band_codes[j]``; -1 without a score (or bands).
        flags: ``(n, f)`` 1.0 raised, 0.0 not raised, NaN item not answered.
    """

    questionnaire_id: str
    questionnaire_version: str
    content_hash: str
    scale_ids: tuple[str, ...]
    band_codes: tuple[tuple[str, ...], ...]
    flag_ids: tuple[str, ...]
    flag_care: tuple[bool, ...]
    answered: NDArray[np.int16]
    score: NDArray[np.float64]
    band: NDArray[np.int8]
    flags: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = self.score.shape[0]
        s, f = len(self.scale_ids), len(self.flag_ids)
        shapes = {
            "answered": (self.answered.shape, (n, s)),
            "score": (self.score.shape, (n, s)),
            "band": (self.band.shape, (n, s)),
            "flags": (self.flags.shape, (n, f)),
        }
        for name, (got, expected) in shapes.items():
            if got != expected:
                raise ScoringError(
                    f"ScaleSheet.{name} has the wrong shape", param=name, got=got, expected=expected
                )
        if len(self.band_codes) != s or len(self.flag_care) != f:
            raise ScoringError(
                "one band list per scale and one care mark per flag", param="band_codes"
            )
        for name in shapes:
            getattr(self, name).setflags(write=False)

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.score.shape[0])

    def _scale(self, scale_id: str) -> int:
        try:
            return self.scale_ids.index(scale_id)
        except ValueError:
            raise ScoringError(
                f"no scale {scale_id!r}",
                param="scale_id",
                got=scale_id,
                expected=f"one of {', '.join(self.scale_ids)}",
            ) from None

    def band_labels(self, scale_id: str) -> NDArray[np.str_]:
        """``(n,)`` band codes of a scale as strings ('' without a score)."""
        j = self._scale(scale_id)
        codes = np.asarray((*self.band_codes[j], ""))
        return codes[self.band[:, j]]  # -1 picks the trailing ''

    @property
    def columns_names(self) -> tuple[str, ...]:
        """The analysis-table columns, in order."""
        out: list[str] = []
        for scale_id, codes in zip(self.scale_ids, self.band_codes, strict=True):
            out.append(SCALE_PREFIX + scale_id)
            if codes:
                out.append(BAND_PREFIX + scale_id)
        return (*out, *(FLAG_PREFIX + f for f in self.flag_ids))

    def columns(self) -> dict[str, NDArray[Any]]:
        """Analysis-table columns: ``scale_<id>`` (float64, NaN missing), ``band_<id>``
        (band code, '' missing; only for scales with bands), ``flag_<id>`` (1.0/0.0/NaN)."""
        out: dict[str, NDArray[Any]] = {}
        for j, (scale_id, codes) in enumerate(zip(self.scale_ids, self.band_codes, strict=True)):
            out[SCALE_PREFIX + scale_id] = self.score[:, j]
            if codes:
                out[BAND_PREFIX + scale_id] = self.band_labels(scale_id)
        for m, flag_id in enumerate(self.flag_ids):
            out[FLAG_PREFIX + flag_id] = self.flags[:, m]
        return out

    def care_raised(self, i: int = 0) -> tuple[str, ...]:
        """The duty-of-care flags raised for respondent ``i``."""
        row = self.flags[i]
        return tuple(f for m, f in enumerate(self.flag_ids) if self.flag_care[m] and row[m] == 1)

    def to_dict(self, i: int = 0) -> dict[str, Any]:
        """One respondent's scales and flags as JSON-ready values.

        Example:
            >>> score_scales(q, [answers]).to_dict(0)["scales"]["phq9"]  # doctest: +SKIP
            {'score': 11.0, 'band': 'moderate', 'answered': 9}
        """
        if not -self.n <= i < self.n:
            raise ScoringError(
                "respondent index out of range", param="i", got=i, expected=f"0..{self.n - 1}"
            )
        scales: dict[str, Any] = {}
        for j, scale_id in enumerate(self.scale_ids):
            value = float(self.score[i, j])
            b = int(self.band[i, j])
            scales[scale_id] = {
                "score": None if np.isnan(value) else value,
                "band": self.band_codes[j][b] if b >= 0 else None,
                "answered": int(self.answered[i, j]),
            }
        flags = {
            f: (None if np.isnan(v) else int(v))
            for f, v in zip(self.flag_ids, self.flags[i], strict=True)
        }
        return {"scales": scales, "flags": flags}

    def band_shares(
        self, scale_id: str, weights: NDArray[np.float64] | None = None
    ) -> dict[str, float]:
        """Share of scored respondents in each band (weighted when ``weights`` are given).

        Formula: ``Σ w_i [band_i = b] / Σ w_i`` over respondents with a score.
        """
        j = self._scale(scale_id)
        w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (self.n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ScoringError(
                "weights must be finite, >= 0 and one per respondent",
                param="weights",
                got=w.shape,
                expected=f"({self.n},)",
            )
        band = self.band[:, j]
        scored = band >= 0
        total = float(w[scored].sum())
        counts = np.bincount(band[scored], weights=w[scored], minlength=len(self.band_codes[j]))
        return {
            code: (float(c) / total if total > 0 else float("nan"))
            for code, c in zip(self.band_codes[j], counts, strict=True)
        }


@dataclass(frozen=True)
class _Plan:
    """What scoring the scales needs, as arrays."""

    variables: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]
    table: NDArray[np.float64]  # (k, max options + 1): option values, NaN-padded
    low: NDArray[np.float64]  # (k,) lowest option value
    high: NDArray[np.float64]  # (k,) highest option value


def _plan(questionnaire: Questionnaire) -> _Plan:
    variables = questionnaire.scale_variables
    items = [questionnaire.item(v) for v in variables]
    width = max((len(i.options) for i in items), default=0) + 1
    table = np.full((len(items), width), np.nan)
    low = np.empty(len(items))
    high = np.empty(len(items))
    for j, item in enumerate(items):
        values = np.array([np.nan if v is None else v for v in option_values(item)], dtype=float)
        table[j, : len(values)] = values
        low[j], high[j] = np.nanmin(values), np.nanmax(values)
    return _Plan(variables, tuple(i.codes for i in items), table, low, high)


def score_scales(
    questionnaire: Questionnaire,
    responses: EncodedResponses | Sequence[Mapping[str, Any]],
) -> ScaleSheet:
    """Score every scale of a questionnaire: scores, bands and flags (rules: module docstring).

    No Python loop runs over respondents: option indices become values by one table
    lookup, each scale is a few column reductions.

    Args:
        questionnaire: holds the scales (``questionnaire.scales``).
        responses: answer dicts (as the web survey stores them), or an
            :class:`~scoring.encode.EncodedResponses` of ``questionnaire.scale_variables``.

    Returns:
        A frozen :class:`ScaleSheet`.

    Raises:
        RuleError: the questionnaire has no scales.
        ResponseError: an answer is not an option of its item, or the encoding's
            variables or codes differ from the questionnaire's.

    Example:
        >>> sheet = score_scales(q, [{"phq9_1": "1", ..., "phq9_9": "2"}])  # doctest: +SKIP
        >>> sheet.columns()["band_phq9"].tolist()                           # doctest: +SKIP
        ['mild']
    """
    if not questionnaire.scales:
        raise RuleError(
            f"questionnaire {questionnaire.id} has no scales",
            param="questionnaire",
            hint="define 'scales:' in the questionnaire (questionnaires/FORMAT.md)",
        )
    plan = _plan(questionnaire)
    if isinstance(responses, EncodedResponses):
        encoded = responses
    else:
        encoded = encode_responses(questionnaire, responses, variables=plan.variables)
    if encoded.item_ids != plan.variables or encoded.codes != plan.codes:
        raise ResponseError(
            f"the responses were not encoded for the scale items of {questionnaire.id}",
            param="responses",
            got=encoded.item_ids,
            expected=plan.variables,
            hint="encode with variables=questionnaire.scale_variables",
        )
    k = len(plan.variables)
    # -1 (no answer) picks the NaN in the last column of each row of the table
    values = plan.table[np.arange(k)[None, :], encoded.choice]
    position = {v: j for j, v in enumerate(plan.variables)}
    scales = questionnaire.scales
    n = encoded.n
    answered = np.zeros((n, len(scales)), dtype=np.int16)
    score = np.full((n, len(scales)), np.nan)
    band = np.full((n, len(scales)), -1, dtype=np.int8)
    for s, scale in enumerate(scales):
        cols = [position[v] for v in scale.items]
        answered[:, s], score[:, s] = _score(scale, values[:, cols], plan, cols)
        band[:, s] = _bands(scale, score[:, s])
    flag_list = questionnaire.scale_flags
    flags = np.full((n, len(flag_list)), np.nan)
    for m, flag in enumerate(flag_list):
        raw = values[:, position[flag.variable]]
        flags[:, m] = np.where(np.isnan(raw), np.nan, (raw >= flag.minimum).astype(float))
    logger.debug("scored %d respondents on %d scales", n, len(scales))
    return ScaleSheet(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        content_hash=questionnaire.content_hash,
        scale_ids=tuple(s.id for s in scales),
        band_codes=tuple(tuple(b.code for b in s.bands) for s in scales),
        flag_ids=tuple(f.id for f in flag_list),
        flag_care=tuple(f.care for f in flag_list),
        answered=answered,
        score=score,
        band=band,
        flags=flags,
    )


def _score(
    scale: Scale, sub: NDArray[np.float64], plan: _Plan, cols: list[int]
) -> tuple[NDArray[np.int16], NDArray[np.float64]]:
    """``(answered, score)`` of one scale from its ``(n, k)`` value block."""
    if scale.reverse:
        sub = sub.copy()
        for j, var in enumerate(scale.items):
            if var in scale.reverse:
                c = cols[j]
                sub[:, j] = plan.low[c] + plan.high[c] - sub[:, j]
    present = ~np.isnan(sub)
    m = np.add.reduce(present, axis=1, dtype=np.int16)
    total = np.where(present, sub, 0.0).sum(axis=1)
    k = len(scale.items)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale.method is ScaleMethod.MEAN:
            raw = total / m
        elif scale.prorate:
            raw = np.where(m < k, total * k / m, total)
            if scale.whole:
                # half up: 13.5 -> 14 (np.round would give 14 but 12.5 -> 12)
                raw = np.floor(np.round(raw, DECIMALS) + 0.5)
        else:
            raw = total
    result = np.where(m >= scale.min_answered, np.round(raw, DECIMALS), np.nan)
    return m, result


def _bands(scale: Scale, score: NDArray[np.float64]) -> NDArray[np.int8]:
    """Band index of each score: the last band whose minimum is ``<=`` the score."""
    if not scale.bands:
        return np.full(score.shape[0], -1, dtype=np.int8)
    minima = np.round(np.array([b.minimum for b in scale.bands]), DECIMALS)
    index = np.searchsorted(minima, np.nan_to_num(score, nan=-np.inf), side="right") - 1
    index = np.where(np.isnan(score), -1, np.maximum(index, 0))
    return index.astype(np.int8)


def care_flags_raised(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The duty-of-care flags (``care: true``) raised by one respondent's answers so far.

    The same rule as :func:`score_scales` (it is one row of it).

    Example:
        >>> care_flags_raised(q, {"phq9_9": "1"})  # doctest: +SKIP
        ('self_harm',)
    """
    if not any(f.care for f in questionnaire.scale_flags):
        return ()
    return score_scales(questionnaire, [answers]).care_raised(0)
