"""Encode a batch of answers once into a compact integer matrix.

Scoring works on one matrix ``choice`` of shape ``(n respondents, k scored items)``:

* single-choice and true/false items: the index of the chosen option in the item's
  option list (``item.codes``; a "don't know" option ``DK`` has its own index);
* multiple-answer items: a bit mask of the chosen options (bit ``i`` set when
  option ``i`` was chosen), so that "exactly the keyed options" is one integer
  comparison and partial credit is two population counts;
* ``-1``: no answer.

The dtype is the smallest of int8/int16/int32 that holds every index and mask.
:meth:`EncodedResponses.selection` expands a multiple-answer column to a boolean
``(n, options)`` matrix.

Skip logic: the encoder does not evaluate relevance. A scored item hidden by skip
logic has no answer and is encoded as missing, so it counts as wrong and the
maximum score stays the same for everyone (the national test has no skip logic;
the web survey drops answers to items that became hidden before it stores them).
"""

from __future__ import annotations

import enum
import itertools
import logging
import math
import operator
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from scoring.errors import ResponseError

logger = logging.getLogger(__name__)

#: separators accepted between codes of a multiple-answer item written as text ("A;B")
SEPARATORS = (";", ",", "|")
_UNKNOWN = -2


class UnknownCodes(enum.Enum):
    """What to do with an answer code that is not one of the item's options."""

    #: raise :class:`~scoring.errors.ResponseError` naming the row, item and code (default)
    FAIL = "fail"
    #: treat the whole answer as missing (so it scores as wrong) and log a warning with the count
    MISSING = "missing"


@dataclass(frozen=True)
class EncodedResponses:
    """A batch of answers to the scored items, encoded once.

    Attributes:
        item_ids: the encoded answer variables, in questionnaire order (the columns of
            ``choice``): the scored items, or the variables asked for (scale items).
        item_types: ``single``, ``truefalse`` or ``multiple`` for each column.
        codes: the option codes of each item, in questionnaire order (``DK`` included).
        choice: ``(n, k)`` integer matrix: option index (single, true/false), bit mask
            of chosen options (multiple) or ``-1`` (no answer); stored column-major
            (Fortran order) and read-only; a row-major array given is copied.
    """

    item_ids: tuple[str, ...]
    item_types: tuple[ItemType, ...]
    codes: tuple[tuple[str, ...], ...]
    choice: NDArray[np.signedinteger[Any]]

    def __post_init__(self) -> None:
        k = len(self.item_ids)
        if self.choice.ndim != 2 or self.choice.shape[1] != k:
            raise ResponseError(
                "the choice matrix must have one column per scored item",
                param="choice",
                got=self.choice.shape,
                expected=f"(n, {k})",
            )
        if len(self.item_types) != k or len(self.codes) != k:
            raise ResponseError(
                "item_ids, item_types and codes must have the same length",
                param="codes",
                got=(k, len(self.item_types), len(self.codes)),
            )
        if not self.choice.flags.f_contiguous:
            # column-major: scoring works column by column (about 3x faster than row-major)
            object.__setattr__(self, "choice", np.asfortranarray(self.choice))
        self.choice.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.choice.shape[0])

    @property
    def answered(self) -> NDArray[np.bool_]:
        """``(n, k)``: the respondent gave an answer ("don't know" counts as an answer)."""
        return self.choice >= 0

    def column(self, item_id: str) -> int:
        """The column index of an item; :class:`ResponseError` if it is not scored."""
        try:
            return self.item_ids.index(item_id)
        except ValueError:
            raise ResponseError(
                f"item {item_id!r} is not a scored item of this encoding",
                param="item_id",
                got=item_id,
                expected=f"one of {', '.join(self.item_ids)}",
            ) from None

    def selection(self, item_id: str) -> NDArray[np.bool_]:
        """``(n, options)`` boolean matrix: option ``i`` chosen (for any scored item).

        For single and true/false items each answered row has exactly one ``True``;
        unanswered rows are all ``False``.
        """
        j = self.column(item_id)
        col = self.choice[:, j].astype(np.int64)
        m = len(self.codes[j])
        answered = col >= 0
        if self.item_types[j] is ItemType.MULTIPLE:
            bits = np.int64(1) << np.arange(m, dtype=np.int64)
            chosen: NDArray[np.bool_] = (col[:, None] & bits[None, :]) != 0
        else:
            chosen = col[:, None] == np.arange(m)[None, :]
        return np.logical_and(chosen, answered[:, None])

    def same_items(self, other: EncodedResponses) -> bool:
        """True when both encodings have the same items, types and option codes."""
        return (
            self.item_ids == other.item_ids
            and self.item_types == other.item_types
            and self.codes == other.codes
        )


def encode_responses(
    questionnaire: Questionnaire,
    answers: Sequence[Mapping[str, Any]],
    *,
    unknown: UnknownCodes = UnknownCodes.FAIL,
    variables: Sequence[str] | None = None,
) -> EncodedResponses:
    """Encode answer dicts (as the web survey stores them) into an :class:`EncodedResponses`.

    Each answer dict maps a variable (item id) to its value: a code string for
    single and true/false items (``'T'``, ``'F'``, ``'DK'``; Python ``True``/``False``
    are read as ``'T'``/``'F'``), a list of codes for multiple-answer items (a string
    ``"A;B"`` is accepted too), anything for unscored items (ignored). An absent key,
    ``None`` or ``""`` is no answer. By default the questionnaire's scored items are
    encoded; ``variables`` names other answer variables instead (the scales' items and
    grid rows: :attr:`Questionnaire.scale_variables`), encoded the same way.

    Args:
        questionnaire: the questionnaire the answers belong to.
        answers: one mapping per respondent.
        unknown: policy for codes that are not options of the item.
        variables: the answer variables to encode (default: the scored items).

    Returns:
        The encoded batch, rows in the order of ``answers``.

    Raises:
        ResponseError: an answer is not a mapping, or (policy ``FAIL``) an answer code
            is not an option of its item; the message names the row and the item.

    Example:
        >>> enc = encode_responses(q, [{"K1": "T", "M1": ["A", "B"]}, {}])  # doctest: +SKIP
        >>> enc.choice.tolist()                                             # doctest: +SKIP
        [[0, -1, 3, -1, -1], [-1, -1, -1, -1, -1]]
    """
    for row, a in enumerate(answers):
        if not isinstance(a, Mapping):
            raise ResponseError(
                f"answers[{row}] is not a mapping of variable -> answer",
                param="answers",
                got=type(a).__name__,
                expected="a dict such as {'K1': 'T', 'M1': ['A', 'B']}",
            )
    pairs = _variable_items(questionnaire, variables)
    columns = {var: _AnswerColumn(answers, var) for var, _ in pairs}
    return _encode(pairs, columns, len(answers), unknown, source="answers")


def _variable_items(
    questionnaire: Questionnaire, variables: Sequence[str] | None
) -> list[tuple[str, Item]]:
    """(variable, item holding its options) for the scored items or the given variables."""
    if variables is None:
        return [(item.id, item) for item in questionnaire.scored_items]
    out = []
    for var in variables:
        if not questionnaire.has_variable(var):
            raise ResponseError(
                f"{var!r} is not an answer variable of questionnaire {questionnaire.id}",
                param="variables",
                got=var,
            )
        item = questionnaire.item(var)
        if not item.type.has_options and item.type is not ItemType.GRID:
            raise ResponseError(
                f"{var!r} is a {item.type.value} item: only items with options can be encoded",
                param="variables",
                got=var,
            )
        out.append((var, item))
    return out


class _AnswerColumn(Sequence[Any]):
    """One variable of a list of answer dicts, read lazily (no intermediate list)."""

    def __init__(self, answers: Sequence[Mapping[str, Any]], name: str) -> None:
        self._answers = answers
        self._get = operator.methodcaller("get", name)

    def __len__(self) -> int:
        return len(self._answers)

    def __getitem__(self, row: Any) -> Any:
        if isinstance(row, slice):
            return [self._get(a) for a in self._answers[row]]
        return self._get(self._answers[row])

    def __iter__(self) -> Iterator[Any]:
        return map(self._get, self._answers)


def encode_columns(
    questionnaire: Questionnaire,
    columns: Mapping[str, Sequence[Any]],
    *,
    unknown: UnknownCodes = UnknownCodes.FAIL,
    variables: Sequence[str] | None = None,
) -> EncodedResponses:
    """Encode columns of an exported table (for instance a CSV read as text).

    ``columns`` maps each scored item id to its column; values are code strings,
    multiple answers are written ``"A;B"`` (``,`` and ``|`` also separate codes), an
    empty cell or ``None`` is no answer. Other columns are ignored.

    Args:
        questionnaire: the questionnaire whose scored items the columns hold.
        columns: variable name -> sequence of values, all of the same length.
        unknown: policy for codes that are not options of the item.
        variables: the answer variables to encode (default: the scored items).

    Returns:
        The encoded batch.

    Raises:
        ResponseError: a scored item (or a listed variable) has no column, the columns
            differ in length, or (policy ``FAIL``) a code is not an option of its item.

    Example:
        >>> enc = encode_columns(q, {"K1": ["T", "DK"], "M1": ["A;B", ""], ...})  # doctest: +SKIP
    """
    pairs = _variable_items(questionnaire, variables)
    missing = [var for var, _ in pairs if var not in columns]
    if missing:
        what = "scored item(s)" if variables is None else "variable(s)"
        raise ResponseError(
            f"{len(missing)} {what} have no column: {', '.join(missing)}",
            param="columns",
            got=sorted(columns)[:20],
            expected="one column per item, named by the variable (item id or grid row id)",
            hint="export the responses with the questionnaire's variable names as headers",
        )
    lengths = {var: len(columns[var]) for var, _ in pairs}
    n = next(iter(lengths.values()), 0)
    if any(v != n for v in lengths.values()):
        raise ResponseError(
            "the item columns have different lengths",
            param="columns",
            got=lengths,
        )
    return _encode(pairs, {var: columns[var] for var, _ in pairs}, n, unknown, "columns")


def _encode(
    pairs: Sequence[tuple[str, Item]],
    columns: Mapping[str, Sequence[Any]],
    n: int,
    unknown: UnknownCodes,
    source: str,
) -> EncodedResponses:
    dtype = _choice_dtype([item for _, item in pairs])
    choice = np.empty((n, len(pairs)), dtype=dtype, order="F")
    for j, (var, item) in enumerate(pairs):
        values = columns[var]
        if item.type is ItemType.MULTIPLE:
            col = _encode_multiple(var, item, values, unknown, source)
        else:
            col = _encode_single(var, item, values, unknown, source)
        choice[:, j] = col
    logger.debug("encoded %d respondents x %d items (%s)", n, len(pairs), dtype)
    return EncodedResponses(
        item_ids=tuple(var for var, _ in pairs),
        item_types=tuple(item.type for _, item in pairs),
        codes=tuple(item.codes for _, item in pairs),
        choice=choice,
    )


def _choice_dtype(items: Sequence[Item]) -> np.dtype[np.signedinteger[Any]]:
    largest = 0
    for item in items:
        m = len(item.codes)
        if item.type is ItemType.MULTIPLE:
            if m > 31:
                raise ResponseError(
                    f"item {item.id}: a multiple-answer item can have at most 31 options",
                    param=item.id,
                    got=m,
                    hint="split the item into several",
                )
            largest = max(largest, (1 << m) - 1)
        else:
            largest = max(largest, m - 1)
    for candidate in (np.int8, np.int16, np.int32):
        if largest <= np.iinfo(candidate).max:
            return np.dtype(candidate)
    return np.dtype(np.int64)  # pragma: no cover - more than 2**31 options


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, float) and math.isnan(value)


def _normalise(item: Item, value: Any) -> Any:
    """Spellings other than the exact code: whitespace, ints, integral floats, booleans."""
    if isinstance(value, bool):
        if item.type is ItemType.TRUEFALSE:
            return "T" if value else "F"
        return value
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _unknown(
    var: str, item: Item, row: int, value: Any, unknown: UnknownCodes, source: str
) -> None:
    if unknown is UnknownCodes.FAIL:
        raise ResponseError(
            f"{source} row {row}, item {var}: {value!r} is not an option of the item",
            param=var,
            got=value,
            expected=f"one of {', '.join(item.codes)}",
            hint="fix the data or pass unknown=UnknownCodes.MISSING to score it as no answer",
        )


def _encode_single(
    var: str, item: Item, values: Sequence[Any], unknown: UnknownCodes, source: str
) -> NDArray[np.int64]:
    lookup: dict[Any, int] = {code: i for i, code in enumerate(item.codes)}
    lookup[None] = -1
    lookup[""] = -1
    try:
        col = np.fromiter(
            map(lookup.get, values, itertools.repeat(_UNKNOWN)), dtype=np.int64, count=len(values)
        )
    except TypeError:  # an unhashable value (a list given to a single-choice item)
        col = np.full(len(values), _UNKNOWN, dtype=np.int64)
    bad = np.flatnonzero(col == _UNKNOWN)
    n_unknown = 0
    for row in bad.tolist():
        value = values[row]
        if _is_missing(value):
            col[row] = -1
            continue
        norm = _normalise(item, value)
        index = lookup.get(norm, _UNKNOWN) if _hashable(norm) else _UNKNOWN
        if index == _UNKNOWN:
            _unknown(var, item, row, value, unknown, source)
            n_unknown += 1
            index = -1
        col[row] = index
    if n_unknown:
        logger.warning("item %s: %d unknown code(s) scored as no answer", var, n_unknown)
    return col


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _encode_multiple(
    var: str, item: Item, values: Sequence[Any], unknown: UnknownCodes, source: str
) -> NDArray[np.int64]:
    bit = {code: 1 << i for i, code in enumerate(item.codes)}
    col = np.empty(len(values), dtype=np.int64)
    cache: dict[Any, int] = {}
    n_unknown = 0
    for row, value in enumerate(values):
        key = tuple(value) if isinstance(value, list | tuple) else value
        if _hashable(key) and key in cache:
            col[row] = cache[key]
            continue
        if _is_missing(value):
            mask = -1
        else:
            parts = _split(value)
            if parts is None:
                raise ResponseError(
                    f"{source} row {row}, item {var}: a multiple-answer item needs a list of codes",
                    param=var,
                    got=value,
                    expected="a list such as ['A', 'B'] or a string 'A;B'",
                )
            mask = 0
            for part in parts:
                code = _normalise(item, part)
                if not _hashable(code) or code not in bit:
                    _unknown(var, item, row, part, unknown, source)
                    n_unknown += 1
                    mask = -1
                    break
                mask |= bit[code]
        col[row] = mask
        if _hashable(key):
            cache[key] = mask
    if n_unknown:
        logger.warning(
            "item %s: %d answer(s) with unknown codes scored as no answer", var, n_unknown
        )
    return col


def _split(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        text = value
        for sep in SEPARATORS[1:]:
            text = text.replace(sep, SEPARATORS[0])
        return [p for p in (s.strip() for s in text.split(SEPARATORS[0])) if p]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return None
