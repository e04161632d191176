"""Errors raised by :mod:`reports`.

Like :mod:`sampling.errors`, every error names what was wrong (``param``), what
was found (``got``), what was expected and how to fix it (``hint``). Errors
about an input file also carry its ``file``, ``line`` and ``column``.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class ReportError(ValueError):
    """Base class of every error raised by :mod:`reports`."""

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
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
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


class CapacityError(ReportError):
    """A capacity-indicator file (targets YAML or reported-values CSV) is invalid."""


class SpecError(ReportError):
    """A report job or report options are invalid."""
