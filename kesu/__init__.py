"""kesu (科素): the citizen science-literacy survey and assessment engine.

This package holds only the console entry point (:mod:`kesu.cli`) and the
version; the work is done in ``questionnaires``, ``survey``, ``scoring``,
``sampling`` and ``reports``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("kesu")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
