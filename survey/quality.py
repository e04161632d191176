"""Quality flags of responses: speeders, straightlining, attention checks, duplicates.

Pure functions over a questionnaire, answer dicts and numbers (no Flask, no database);
:mod:`survey.monitoring` gathers the wave-level facts (median duration, duplicated
devices and answer patterns) and :func:`flags_for` combines them per response.

* speeder: interview duration under ``speeder_share`` (default 1/3) of the median
  duration of the wave's complete responses (Greszki, Meyer & Schoen 2015 use shares of
  the median; AAPOR's task force on data quality lists the rule);
* straightlining: every row of a grid with at least ``straightline_min_rows`` rows
  (attention-check rows left out) has the same answer;
* attention: an item or grid row with ``attention_check`` was answered otherwise;
* duplicate device: another complete web response of the wave came from the same
  browser (a random id in a cookie, never a fingerprint of the device);
* duplicate answers: another complete response of the wave has the identical answer
  vector (free-text items left out).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from questionnaires import ItemType
from questionnaires import Questionnaire

logger = logging.getLogger(__name__)

#: the flag columns, in export order
FLAG_NAMES = ("speeder", "straightline", "attention", "duplicate_device", "duplicate_answers")
DEFAULT_SPEEDER_SHARE = 1 / 3
DEFAULT_STRAIGHTLINE_MIN_ROWS = 4


_Checks = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, ...], ...]]
_T = TypeVar("_T")
_CHECKS: dict[tuple[int, ...], tuple[tuple[Any, ...], Any]] = {}
_RULES: dict[tuple[int, ...], tuple[tuple[Any, ...], Any]] = {}


def _remembered(
    cache: dict[tuple[int, ...], tuple[tuple[Any, ...], Any]], objects: tuple[Any, ...],
    make: Callable[[], _T],
) -> _T:  # fmt: skip
    """What ``make`` gives for these objects, made once while they live: the entry holds
    the objects and is found by their identities (an id is not reused while its object
    lives); at most 64 entries are kept."""
    key = tuple(map(id, objects))
    found = cache.get(key)
    if found is None or any(a is not b for a, b in zip(found[0], objects, strict=True)):
        if len(cache) > 64:
            cache.clear()
        found = cache[key] = (objects, make())
    result: _T = found[1]
    return result


def _checks(q: Questionnaire) -> _Checks:
    """(variable, expected code) of the attention checks, and each grid's substantive rows
    (per questionnaire object, cached: computed once per export, not per row)."""
    return _remembered(_CHECKS, (q,), lambda: _collect_checks(q))


def _collect_checks(q: Questionnaire) -> _Checks:
    attention: list[tuple[str, str]] = []
    grids: list[tuple[str, ...]] = []
    for item in q.items:
        if item.attention_expect is not None:
            attention.append((item.id, item.attention_expect))
        attention += [(r.id, r.attention_expect) for r in item.rows if r.attention_expect]
        if item.type is ItemType.GRID:
            grids.append(tuple(r.id for r in item.rows if r.attention_expect is None))
    return tuple(attention), tuple(grids)


def attention_failed(q: Questionnaire, answers: Mapping[str, Any]) -> bool:
    """True when an answered attention check differs from the expected code."""
    return _attention_failed(_checks(q)[0], answers.get)


def straightlined(q: Questionnaire, answers: Mapping[str, Any], min_rows: int) -> bool:
    """True when a grid with >= ``min_rows`` substantive rows has one answer in every row."""
    return _straightlined(_long_grids(_checks(q)[1], min_rows), answers.get)


def _attention_failed(checks: tuple[tuple[str, str], ...], get: Callable[[str], Any]) -> bool:
    return _differs([get(var) for var, _ in checks], [expected for _, expected in checks])


def _differs(given: Sequence[Any], expected: Sequence[str]) -> bool:
    """Whether an answered attention check (not None) differs from its expected code."""
    for value, code in zip(given, expected, strict=True):
        if value is not None and value != code:
            return True
    return False


def _long_grids(grids: tuple[tuple[str, ...], ...], min_rows: int) -> tuple[tuple[str, ...], ...]:
    return tuple(rows for rows in grids if len(rows) >= max(min_rows, 2))


def _straightlined(grids: tuple[tuple[str, ...], ...], get: Callable[[str], Any]) -> bool:
    for rows in grids:
        if _one_code(tuple(map(get, rows))):
            return True
    return False


def _one_code(given: Sequence[Any]) -> bool:
    """Whether every row of a grid has the same non-empty code (a value equal to a str
    is a str)."""
    first = given[0]
    return isinstance(first, str) and bool(first) and given.count(first) == len(given)


def answers_hash(q: Questionnaire, answers: Mapping[str, Any]) -> str:
    """SHA-256 of the answers to every non-text item (canonical JSON, sorted keys)."""
    text_vars = {v for item in q.items if item.type is ItemType.TEXT for v in item.variables}
    kept = {k: v for k, v in answers.items() if k not in text_vars}
    blob = json.dumps(kept, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def duration_seconds(paradata: Mapping[str, Any]) -> float | None:
    """Seconds on the pages (sum of the per-page times kept in the paradata)."""
    seconds = paradata.get("seconds")
    if not isinstance(seconds, Mapping) or not seconds:
        return None
    total = 0.0
    for v in seconds.values():
        if isinstance(v, int | float) and math.isfinite(v):
            total += float(v)
    return round(total, 1)


def speeder_threshold(durations: Sequence[float] | NDArray[np.float64], share: float) -> float:
    """``share`` times the median of the finite durations (NaN when there are none)."""
    arr = np.asarray(durations, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return math.nan
    return float(share * np.median(arr))


@dataclass(frozen=True)
class WaveQuality:
    """Wave-level facts the per-response flags need."""

    median_seconds: float
    speeder_seconds: float
    straightline_min_rows: int
    duplicate_devices: frozenset[str]
    duplicate_hashes: frozenset[str]


class FlagRules:
    """The flag rules of one questionnaire and one wave's facts, prepared once: the
    attention checks' variables and expected codes, and the grids long enough to count
    as straightlined. :func:`flags_for` and the exports (row after row) both use them.

    The answers the rules read are :attr:`inputs` (the attention checks' variables, then
    each long grid's rows); :meth:`flags_of` takes their values in that order, so that an
    export hands over one tuple it took from its record of answers in one call."""

    def __init__(self, q: Questionnaire, context: WaveQuality) -> None:
        attention, grids = _checks(q)
        self.attention = attention
        self.grids = _long_grids(grids, context.straightline_min_rows)
        self.inputs: tuple[str, ...] = (*(var for var, _ in attention),
                                        *(row for rows in self.grids for row in rows))  # fmt: skip
        self.expected = tuple(code for _, code in attention)
        starts = list(itertools.accumulate((len(rows) for rows in self.grids),
                                           initial=len(attention)))  # fmt: skip
        self.grid_slices = tuple(slice(a, b) for a, b in itertools.pairwise(starts))
        self.speeder_seconds = (context.speeder_seconds
                                if math.isfinite(context.speeder_seconds) else None)  # fmt: skip
        self.devices, self.hashes = context.duplicate_devices, context.duplicate_hashes

    def flags(
        self, get: Callable[[str], Any], duration: float | None, device_id: str | None,
        answer_hash: str | None, mode: str,
    ) -> tuple[int, ...]:  # fmt: skip
        """The 0/1 flags in :data:`FLAG_NAMES` order; ``get`` looks an answer up."""
        return self.flags_of(tuple(map(get, self.inputs)), duration, device_id, answer_hash,
                             mode)  # fmt: skip

    def flags_of(
        self, values: Sequence[Any], duration: float | None, device_id: str | None,
        answer_hash: str | None, mode: str,
    ) -> tuple[int, ...]:  # fmt: skip
        """:meth:`flags` from the answers to :attr:`inputs`, in that order (None: not
        answered). Attention: an answered check that differs from its expected code.
        Straightlining: a long grid whose every row has the same non-empty code."""
        limit = self.speeder_seconds
        speeder = duration is not None and limit is not None and duration < limit
        attention = _differs(values[: len(self.expected)], self.expected)
        straight = False
        for rows in self.grid_slices:
            if _one_code(values[rows]):
                straight = True
                break
        return (
            int(speeder), int(straight), int(attention),
            int(mode == "web" and device_id is not None and device_id in self.devices),
            int(answer_hash is not None and answer_hash in self.hashes),
        )  # fmt: skip


def flag_rules(q: Questionnaire, context: WaveQuality) -> FlagRules:
    """:class:`FlagRules` of ``q`` and ``context``, remembered for the objects' lifetime."""
    return _remembered(_RULES, (q, context), lambda: FlagRules(q, context))


def flags_for(
    q: Questionnaire,
    answers: Mapping[str, Any],
    *,
    duration: float | None,
    device_id: str | None,
    answer_hash: str | None,
    mode: str,
    context: WaveQuality,
) -> dict[str, int]:
    """The 0/1 flags of :data:`FLAG_NAMES` for one complete response."""
    flags = flag_rules(q, context).flags(answers.get, duration, device_id, answer_hash, mode)
    return dict(zip(FLAG_NAMES, flags, strict=True))
