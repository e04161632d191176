"""Errors raised by :mod:`sampling`.

Every error names what was wrong (``param``), what was found (``got``), what
was expected and how to fix it (``hint``), following svy's ``SvyError``.
"""

from __future__ import annotations

from kesu.errors import KesuError


class SamplingError(KesuError):
    """Base class of every error raised by :mod:`sampling`."""


class DesignError(SamplingError):
    """The survey design is inconsistent (lengths, weights, fpc, nesting)."""


class SinglePSUError(DesignError):
    """A stratum has one PSU and the lonely-PSU policy is ``fail``."""


class ConvergenceError(SamplingError):
    """An iterative weighting method did not converge."""


class JobError(SamplingError):
    """A weighting or estimation job file is invalid (unknown key, missing column...)."""


class MarginError(SamplingError):
    """A margin or total cannot be met (empty cell, unknown level, inconsistent totals)."""


class WeightingError(SamplingError):
    """A weighting step got invalid input (unknown method, bad bounds, impossible caps)."""


class FrameError(SamplingError):
    """A sampling frame is invalid; the message names the line and column of the CSV."""


class SelectionError(SamplingError):
    """A sample design or selection request cannot be met (sizes, counts, design file keys)."""


class SmallAreaError(SamplingError):
    """Small-area model input is invalid (lengths, non-positive variances, singular covariates)."""
