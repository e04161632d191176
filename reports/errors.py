"""Errors raised by :mod:`reports`.

Like :mod:`sampling.errors`, every error names what was wrong (``param``), what
was found (``got``), what was expected and how to fix it (``hint``). Errors
about an input file also carry its ``file``, ``line`` and ``column``.
"""

from __future__ import annotations

import logging

from kesu.errors import KesuError

logger = logging.getLogger(__name__)


class ReportError(KesuError):
    """Base class of every error raised by :mod:`reports`."""


class CapacityError(ReportError):
    """A capacity-indicator file (targets YAML or reported-values CSV) is invalid."""


class SpecError(ReportError):
    """A report job or report options are invalid."""
