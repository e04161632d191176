"""Errors raised by :mod:`scoring.irt`.

They subclass :class:`scoring.errors.ScoringError`, so they carry ``param``,
``got``, ``expected`` and ``hint`` and a caller that catches ``ScoringError``
(or ``ValueError``) catches them too.
"""

from __future__ import annotations

from scoring.errors import ScoringError


class IRTError(ScoringError):
    """Base class of every error raised by :mod:`scoring.irt`."""


class ResponseDataError(IRTError):
    """The response matrix, the weights or the item models are invalid."""


class ConvergenceError(IRTError):
    """Marginal maximum likelihood (EM) did not converge within ``max_iter``."""


class ParamsFileError(IRTError):
    """An item-parameter mapping (JSON/YAML params file) is malformed."""


class LinkingError(IRTError):
    """Two calibrations cannot be linked (too few anchors, bad method...)."""
