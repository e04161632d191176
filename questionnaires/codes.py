"""Strict codes: every coded column of a table holds the questionnaire's codes, or stops.

A table made by hand or exported from another system often holds option
*labels* (``佛堂镇``, ``Fotang Town``) or other spellings of a code (``Fotang``,
``1.0`` for ``1``) instead of the codes (``fotang``, ``1``). :func:`recode_table`
maps each cell of the coded columns to its code:

* the code itself;
* the code or any label of the option, in any language of the questionnaire,
  compared after Unicode NFKC folding, ignoring case and repeated spaces
  (``Fotang``, ``FOTANG TOWN``, ``佛堂镇``);
* for whole-number codes, the same number written differently (``1.0``, ``１``);

and a missing cell (empty, ``NA``...; :data:`kesu.tables.MISSING`) stays missing
(``""``). Any other value stops the job with a :class:`CodeError` that lists, per
column, every unknown value with its count and first rows, and the valid codes.
A spelling that two options share is not used (it stays unknown). Multiple-answer
columns (codes joined with ``;``, ``,`` or ``|``) are checked code by code and
written back joined with ``;``.

The code maps of answer variables come from the questionnaire
(:func:`option_codes`); callers add maps for columns they define themselves
(:func:`flag_codes` for 0/1 columns, :func:`level_codes`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from kesu.errors import KesuError
from kesu.tables import Table
from kesu.tables import parse_number
from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from questionnaires.model import Text

logger = logging.getLogger(__name__)

#: separators between the codes of a multiple-answer cell
SEPARATORS = re.compile(r"\s*[;,|；，]\s*")
#: at most this many unknown values and rows are listed per column
SHOWN = 8


class CodeError(KesuError):
    """Values of coded columns that are neither codes nor labels; ``unknown`` lists them."""

    def __init__(self, message: str, unknown: tuple[UnknownValues, ...] = (), **kw: Any) -> None:
        self.unknown = unknown
        super().__init__(message, **kw)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class CodeMap:
    """The codes of one column and the spellings that map to them.

    Attributes:
        codes: the valid codes, in questionnaire order.
        aliases: folded spelling -> code (codes and labels).
        multiple: cells hold several codes (a multiple-answer item).
        what: what the column is, in messages (``item town``, ``key group farmer``).
    """

    codes: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    multiple: bool = False
    what: str = ""

    @classmethod
    def of(
        cls,
        options: Iterable[tuple[str, Text | Iterable[str] | None]],
        *,
        multiple: bool = False,
        what: str = "",
    ) -> CodeMap:
        """A map from ``(code, label)`` pairs (a :class:`Text` or extra spellings)."""
        codes: list[str] = []
        found: dict[str, set[str]] = {}
        for code, label in options:
            codes.append(code)
            spellings = {code}
            if isinstance(label, Text):
                spellings.update(text for _, text in label.values)
            elif label is not None:
                spellings.update(label)
            for s in spellings:
                found.setdefault(_fold(s), set()).add(code)
        aliases = {k: next(iter(v)) for k, v in found.items() if len(v) == 1}
        return cls(tuple(codes), aliases, multiple, what)

    def code_of(self, value: str) -> str | None:
        """The code ``value`` stands for, or None."""
        if value in self.codes:
            return value
        found = self.aliases.get(_fold(value))
        if found is not None:
            return found
        try:
            number = parse_number(value)
        except ValueError:
            return None
        if number is not None and number == int(number):
            return self.aliases.get(str(int(number)))
        return None

    def describe(self, limit: int = 20) -> str:
        """The valid codes, for messages."""
        shown = ", ".join(self.codes[:limit]) + (" ..." if len(self.codes) > limit else "")
        return shown


def option_codes(questionnaire: Questionnaire) -> dict[str, CodeMap]:
    """Answer variable -> :class:`CodeMap` for every item with options (grid rows too)."""
    out: dict[str, CodeMap] = {}
    for item in questionnaire.items:
        if not item.type.has_options and item.type is not ItemType.GRID:
            continue
        options = [(o.code, o.label) for o in item.options]
        if not options:
            continue
        multiple = item.type is ItemType.MULTIPLE
        for variable in item.variables:
            out[variable] = CodeMap.of(options, multiple=multiple, what=f"item {item.id}")
    return out


def flag_codes(what: str) -> CodeMap:
    """A 0/1 column (key-group membership, literate): 0/1, TRUE/FALSE, 是/否, yes/no."""
    return CodeMap.of(
        [("1", ["true", "yes", "是", "y"]), ("0", ["false", "no", "否", "n"])], what=what
    )


def level_codes(questionnaire: Questionnaire) -> CodeMap:
    """The ``level`` column: the scoring levels' codes or labels."""
    return CodeMap.of(
        [(lv.code, lv.label) for lv in questionnaire.scoring.levels], what="the level"
    )


@dataclass(frozen=True)
class UnknownValues:
    """The unknown values of one column: ``(value, count, first rows)`` each."""

    column: str
    values: tuple[tuple[str, int, tuple[int, ...]], ...]
    valid: str
    what: str = ""

    def __str__(self) -> str:
        parts = []
        for value, count, rows in self.values[:SHOWN]:
            shown = ", ".join(str(r) for r in rows)
            more = ", ..." if count > len(rows) else ""
            parts.append(f"{value!r} x{count} (row{'s' if count > 1 else ''} {shown}{more})")
        if len(self.values) > SHOWN:
            parts.append(f"and {len(self.values) - SHOWN} more values")
        what = f" ({self.what})" if self.what else ""
        return f"column {self.column!r}{what}: {'; '.join(parts)}. Codes: {self.valid}"


@dataclass(frozen=True)
class Recoded:
    """What :func:`recode_table` changed: column -> {spelling: code} it mapped."""

    mapped: Mapping[str, Mapping[str, str]]

    @property
    def cells(self) -> int:
        """Number of distinct spellings mapped to a code."""
        return sum(len(m) for m in self.mapped.values())


def recode_table(
    table: Table,
    maps: Mapping[str, CodeMap],
    *,
    what: str = "the questionnaire",
    lenient: Iterable[str] = (),
    hint: str = "",
) -> tuple[Table, Recoded]:
    """Check and recode the columns of ``table`` named in ``maps`` (those present).

    Args:
        table: the table (its own columns are not changed; a new table is returned).
        maps: column -> code map.
        what: where the codes come from, in messages (the questionnaire's id).
        lenient: columns whose unknown values are left as they are (a caller with its
            own policy for them, such as ``kesu score --unknown-codes missing``).
        hint: added to the error's hint (e.g. how the caller can leave rows out).

    Returns:
        The table with the coded columns as codes, and what was mapped.

    Raises:
        CodeError: unknown values, listed per column with counts, first rows and the
            valid codes.

    Example:
        >>> from kesu.tables import read_table
        >>> t = read_table("town\\n佛堂镇\\nFotang\\nfotang\\n".encode(), name="d.csv")
        >>> m = {"town": CodeMap.of([("fotang", Text.of({"zh-CN": "佛堂镇"}))])}
        >>> recode_table(t, m)[0].labels("town").tolist()
        ['fotang', 'fotang', 'fotang']
    """
    lenient_set = set(lenient)
    problems: list[UnknownValues] = []
    new: dict[str, Any] = {}
    mapped: dict[str, dict[str, str]] = {}
    for name, cmap in maps.items():
        if name not in table:
            continue
        uniq, index = table.distinct_labels(name)
        out: list[str] = []
        bad: list[int] = []
        changed: dict[str, str] = {}
        for j, cell in enumerate(uniq):
            code = _recode_cell(cell, cmap)
            if code is None:
                if name in lenient_set:
                    out.append(cell)
                    continue
                bad.append(j)
                out.append(cell)
                continue
            if code != cell:
                changed[cell] = code
            out.append(code)
        if bad:
            values = []
            for j in bad:
                where = np.flatnonzero(index == j)
                rows = tuple(table.row_number(int(i)) for i in where[:3])
                values.append((uniq[j], int(where.size), rows))
            values.sort(key=lambda v: (-v[1], v[2]))
            problems.append(UnknownValues(name, tuple(values), cmap.describe(), cmap.what))
        if changed:
            mapped[name] = changed
            new[name] = np.asarray(out, dtype=str)[index]
    if problems:
        total = sum(c for p in problems for _, c, _ in p.values)
        lines = "\n  ".join(str(p) for p in problems)
        cells = (
            f"{total} cells hold values that are" if total > 1 else "1 cell holds a value that is"
        )
        raise CodeError(
            f"{cells} neither codes nor labels of {what}:\n  {lines}\n",
            unknown=tuple(problems),
            file=table.source,
            param=problems[0].column,
            hint="correct these cells (the code, or a label in any language of the "
            "questionnaire, is accepted)" + (f"; {hint}" if hint else ""),
        )
    for name, changes in mapped.items():
        logger.info("%s: column %s: mapped %s", table.source, name, changes)
    return (table.with_columns(new) if new else table), Recoded(mapped)


def _recode_cell(cell: str, cmap: CodeMap) -> str | None:
    if cell == "":
        return ""
    if not cmap.multiple:
        return cmap.code_of(cell)
    parts = [p for p in SEPARATORS.split(cell) if p]
    codes = [cmap.code_of(p) for p in parts]
    if any(c is None for c in codes):
        # a label may itself hold a comma: try the whole cell as one option
        whole = cmap.code_of(cell)
        return whole
    return ";".join(c for c in codes if c is not None)
