"""Fieldwork outcomes and AAPOR response rates for the report.

The disposition codes, categories and rate formulas live in :mod:`sampling.outcomes`
(AAPOR 2023, Standard Definitions, 10th ed.); this module adds the paradata summary
(median interview length, speeders) and turns their errors into :class:`ReportError`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from reports.errors import ReportError
from sampling import outcomes as aapor
from sampling.errors import SamplingError
from sampling.outcomes import CATEGORIES

logger = logging.getLogger(__name__)


def aapor_category(code: Any) -> str:
    """The AAPOR category (I, P, R, NC, O, UH, UO or NE) of a disposition code
    (:func:`sampling.outcomes.aapor_category`).

    Raises:
        ReportError: a code that is not an AAPOR final disposition.

    Example:
        >>> [aapor_category(c) for c in ("1.1", "1.2", "2.11", "2.20", "3.13", "4.5")]
        ['I', 'P', 'R', 'NC', 'UH', 'NE']
    """
    try:
        return aapor.aapor_category(code)
    except SamplingError as exc:
        raise ReportError(
            exc.message, param=exc.param, got=exc.got, expected=exc.expected
        ) from None


@dataclass(frozen=True, slots=True)
class FieldworkSummary:
    """Counts per AAPOR category, the response rates and paradata summaries.

    Attributes:
        counts: category -> number of cases.
        sampled: total number of sampled cases.
        e: estimated eligibility share of the unknown cases.
        rr1, rr2, rr3, rr4, coop1, ref1, con1: AAPOR rates (NaN when undefined).
        median_minutes: median interview duration of completes (NaN without paradata).
        speeders: completes faster than the speeding threshold (0 without paradata).
        speeding_minutes: the threshold used.
        first_date, last_date: the fieldwork period (dates of the cases' outcomes; None
            without a ``date`` column).
    """

    counts: dict[str, int]
    sampled: int
    e: float
    rr1: float
    rr2: float
    rr3: float
    rr4: float
    coop1: float
    ref1: float
    con1: float
    median_minutes: float = math.nan
    speeders: int = 0
    speeding_minutes: float = math.nan
    first_date: dt.date | None = None
    last_date: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form."""
        return {
            "counts": dict(self.counts),
            "sampled": self.sampled,
            "e": self.e,
            "rates": {
                k: getattr(self, k) for k in ("rr1", "rr2", "rr3", "rr4", "coop1", "ref1", "con1")
            },
            "median_minutes": self.median_minutes,
            "speeders": self.speeders,
            "speeding_minutes": self.speeding_minutes,
            "first_date": None if self.first_date is None else self.first_date.isoformat(),
            "last_date": None if self.last_date is None else self.last_date.isoformat(),
        }


def summarize_fieldwork(
    outcomes: Sequence[Any] | ArrayLike,
    minutes: ArrayLike | None = None,
    *,
    speeding_share: float = 0.3,
    dates: Sequence[dt.date | None] | None = None,
) -> FieldworkSummary:
    """Count AAPOR categories and compute the response rates (formulas: module docstring).

    Args:
        outcomes: final disposition code of every sampled case.
        minutes: interview duration of every case (NaN where there was no interview).
        speeding_share: completes faster than this share of the median are speeders
            (a common paradata rule; Zhang & Conrad 2014 use 30% of the median).
        dates: date of every case's outcome (None where unknown): the fieldwork period.

    Returns:
        :class:`FieldworkSummary`.

    Raises:
        ReportError: an unknown disposition code, or no cases.

    Example:
        >>> s = summarize_fieldwork(["1.1", "1.1", "2.11", "3.10", "4.10"])
        >>> round(s.rr1, 4), round(s.rr3, 4)
        (0.5, 0.5333)
    """
    codes = np.asarray(outcomes).reshape(-1)
    if codes.size == 0:
        raise ReportError("the fieldwork file has no cases", param="outcome")
    uniq, inverse = np.unique(codes.astype(str), return_inverse=True)
    cats = np.array([aapor_category(u) for u in uniq])[inverse]
    counts = {c: int((cats == c).sum()) for c in CATEGORIES}
    rates = aapor.outcome_rates(counts)
    median = math.nan
    speeders = 0
    threshold = math.nan
    if minutes is not None:
        mins = np.asarray(minutes, dtype=np.float64).reshape(-1)
        if mins.shape != codes.shape:
            raise ReportError(
                "one duration per case is needed",
                param="minutes",
                got=mins.shape,
                expected=codes.shape,
            )
        done = mins[(cats == "I") & np.isfinite(mins)]
        if done.size:
            median = float(np.median(done))
            threshold = speeding_share * median
            speeders = int((done < threshold).sum())
    return FieldworkSummary(
        counts=counts,
        sampled=int(codes.size),
        e=aapor.estimate_e(counts),
        rr1=rates.rr1,
        rr2=rates.rr2,
        rr3=rates.rr3,
        rr4=rates.rr4,
        coop1=rates.coop1,
        ref1=rates.ref1,
        con1=rates.con1,
        median_minutes=median,
        speeders=speeders,
        speeding_minutes=threshold,
        first_date=min(known) if (known := [d for d in dates or () if d is not None]) else None,
        last_date=max(known) if known else None,
    )
