"""The base of every kesu error: what was wrong, what was found, how to fix it.

Each package owns its errors (``sampling.errors``, ``scoring.errors``,
``reports.errors``, ``questionnaires.errors``, ``kesu.tables.TableError``...) and
derives them from :class:`KesuError`, so every message has the same shape,
following svy's ``SvyError``::

    [file[:line]: ][row r, ][column 'x': ]message; got 'y'; expected z. Hint: how to fix it

``line`` is a line of a text file (YAML); ``row`` is a row of a table as a
spreadsheet numbers it (the header is row 1).
"""

from __future__ import annotations

import copy
from typing import Any
from typing import Self


class KesuError(ValueError):
    """An error that names the parameter, the value found, what was expected and a hint.

    Attributes:
        message: what is wrong.
        param: the parameter, key, column or item concerned.
        got: the value found.
        expected: what would have been accepted.
        hint: how to fix it.
        file, line, row, column: where in an input file (optional).

    Example:
        >>> str(KesuError("unknown method", param="method", got="rak", expected="rake"))
        "unknown method; got 'rak'; expected rake"
        >>> str(KesuError("missing value", file="data.csv", row=7, column="psu"))
        "data.csv: row 7, column 'psu': missing value"
    """

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        got: Any = None,
        expected: Any = None,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.message = message
        self.param = param
        self.got = got
        self.expected = expected
        self.hint = hint
        self.file = file
        self.line = line
        self.column = column
        self.row = row
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        place = []
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column:
            place.append(f"column {self.column!r}")
        if place:
            where += ", ".join(place) + ": "
        parts = [where + self.message]
        if self.got is not None:
            parts.append(f"got {self.got!r}")
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        text = "; ".join(parts)
        if self.hint:
            # a message that lists problems line by line ends with a newline: the hint follows
            text += f"Hint: {self.hint}" if text.endswith("\n") else f". Hint: {self.hint}"
        return text

    def located(self, file: str | None = None, line: int | None = None) -> Self:
        """A copy of this error that names ``file`` and ``line`` (kept where already set).

        Loaders use it to add the place in a YAML file to an error raised by a pure
        parser that only knew the key.
        """
        out = copy.copy(self)
        if out.file is None and file is not None:
            out.file = file
        if out.line is None and line is not None:
            out.line = line
        out.args = (out._render(),)
        return out
