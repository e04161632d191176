"""Errors raised by :mod:`scoring`.

Every error names what was wrong (``param``), what was found (``got``), what
was expected and how to fix it (``hint``), following svy's ``SvyError`` and
:mod:`sampling.errors`.
"""

from __future__ import annotations

from kesu.errors import KesuError


class ScoringError(KesuError):
    """Base class of every error raised by :mod:`scoring`."""


class ResponseError(ScoringError):
    """An answer cannot be encoded: unknown option code, wrong type, missing column."""


class RuleError(ScoringError):
    """The questionnaire's scoring rules cannot be applied (unknown rule, missing cut...)."""


class WeightsError(ScoringError):
    """Survey weights given to an item analysis are unusable (length, negative, all zero)."""
