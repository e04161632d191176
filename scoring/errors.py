"""Errors raised by :mod:`scoring`.

Every error names what was wrong (``param``), what was found (``got``), what
was expected and how to fix it (``hint``), following svy's ``SvyError`` and
:mod:`sampling.errors`.
"""

from __future__ import annotations

from typing import Any


class ScoringError(ValueError):
    """Base class of every error raised by :mod:`scoring`."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        got: Any = None,
        expected: Any = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.param = param
        self.got = got
        self.expected = expected
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        if self.got is not None:
            parts.append(f"got {self.got!r}")
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        text = "; ".join(parts)
        if self.hint:
            text += f". Hint: {self.hint}"
        return text


class ResponseError(ScoringError):
    """An answer cannot be encoded: unknown option code, wrong type, missing column."""


class RuleError(ScoringError):
    """The questionnaire's scoring rules cannot be applied (unknown rule, missing cut...)."""


class WeightsError(ScoringError):
    """Survey weights given to an item analysis are unusable (length, negative, all zero)."""
