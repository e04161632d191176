"""The base of every kesu error: what was wrong, what was found, how to fix it.

Each package owns its errors (``sampling.errors``, ``scoring.errors``,
``reports.errors``...) and derives them from :class:`KesuError`, so every message
has the same shape, following svy's ``SvyError``::

    [file:line: ][column 'x': ]message; got 'y'; expected z. Hint: how to fix it
"""

from __future__ import annotations

from typing import Any


class KesuError(ValueError):
    """An error that names the parameter, the value found, what was expected and a hint.

    Attributes:
        message: what is wrong.
        param: the parameter, key, column or item concerned.
        got: the value found.
        expected: what would have been accepted.
        hint: how to fix it.
        file, line, column: where in an input file (optional).

    Example:
        >>> str(KesuError("unknown method", param="method", got="rak", expected="rake"))
        "unknown method; got 'rak'; expected rake"
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
    ) -> None:
        self.message = message
        self.param = param
        self.got = got
        self.expected = expected
        self.hint = hint
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        if self.column:
            where += f"column {self.column!r}: "
        parts = [where + self.message]
        if self.got is not None:
            parts.append(f"got {self.got!r}")
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        text = "; ".join(parts)
        if self.hint:
            text += f". Hint: {self.hint}"
        return text
