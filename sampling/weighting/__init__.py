"""Weighting steps with one signature and a registry.

``method(weights, variables, **options) -> WeightingResult`` for every entry
of :data:`WEIGHTING_METHODS`; :func:`get_weighting_method` looks one up by
name and lists the valid names when it does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sampling.errors import WeightingError
from sampling.weighting.base import WeightingDiagnostics
from sampling.weighting.base import WeightingResult
from sampling.weighting.base import WeightingStep
from sampling.weighting.base import base_weights
from sampling.weighting.base import kish_deff
from sampling.weighting.base import kish_ess
from sampling.weighting.calibrate import calibrate
from sampling.weighting.nonresponse import adjust_nonresponse
from sampling.weighting.poststratify import poststratify
from sampling.weighting.rake import rake
from sampling.weighting.trim import trim_weights

logger = logging.getLogger(__name__)

#: name -> weighting function (all take ``(weights, variables, **options)``)
WEIGHTING_METHODS: dict[str, Callable[..., WeightingResult]] = {
    "nonresponse": adjust_nonresponse,
    "poststratify": poststratify,
    "rake": rake,
    "calibrate": calibrate,
    "trim": trim_weights,
}


def get_weighting_method(name: str) -> Callable[..., WeightingResult]:
    """The weighting function called ``name``.

    Raises:
        WeightingError: unknown name (the message lists the valid ones).
    """
    try:
        return WEIGHTING_METHODS[name]
    except KeyError:
        raise WeightingError(
            f"unknown weighting method {name!r}",
            param="method",
            got=name,
            expected=", ".join(sorted(WEIGHTING_METHODS)),
        ) from None


__all__ = [
    "WEIGHTING_METHODS",
    "WeightingDiagnostics",
    "WeightingResult",
    "WeightingStep",
    "adjust_nonresponse",
    "base_weights",
    "calibrate",
    "get_weighting_method",
    "kish_deff",
    "kish_ess",
    "poststratify",
    "rake",
    "trim_weights",
]
