"""Fieldwork outcomes and AAPOR response rates.

Every sampled case gets a final disposition code of the AAPOR Standard
Definitions (AAPOR 2023, 10th ed., Table 1 for in-person household surveys):

* 1.1 complete (I), 1.2 partial (P)
* 2.1x refusal and break-off (R), 2.2x non-contact (NC), 2.3x other (O)
* 3.1x unknown if household/occupied (UH), 3.2-3.9 unknown, other (UO)
* 4.x not eligible (NE)

Rates (AAPOR 2023, pp. 61-64), with ``e`` the estimated share of eligible
cases among those of unknown eligibility, here the share eligible among the
cases whose eligibility was determined, ``e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)``:

    RR1 = I / ((I+P) + (R+NC+O) + (UH+UO))
    RR2 = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))
    RR3 = I / ((I+P) + (R+NC+O) + e(UH+UO))
    RR4 = (I+P) / ((I+P) + (R+NC+O) + e(UH+UO))
    COOP1 = I / ((I+P) + R + O)
    REF1 = R / ((I+P) + (R+NC+O) + (UH+UO))
    CON1 = ((I+P) + R + O) / ((I+P) + (R+NC+O) + (UH+UO))
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from reports.errors import ReportError

logger = logging.getLogger(__name__)

#: AAPOR categories in report order
CATEGORIES: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")


def aapor_category(code: Any) -> str:
    """The AAPOR category (I, P, R, NC, O, UH, UO or NE) of a disposition code.

    Raises:
        ReportError: a code that is not an AAPOR final disposition.

    Example:
        >>> [aapor_category(c) for c in ("1.1", "1.2", "2.11", "2.20", "3.13", "4.5")]
        ['I', 'P', 'R', 'NC', 'UH', 'NE']
    """
    text = str(code).strip()
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts) or parts[0] not in "1234":
        raise ReportError(
            "not an AAPOR disposition code",
            param="outcome",
            got=code,
            expected="codes such as 1.1, 1.2, 2.11, 2.20, 2.30, 3.10, 3.20, 4.10",
        )
    head, sub = parts[0], parts[1]
    if head == "1":
        return "I" if sub.startswith("1") else "P"
    if head == "2":
        return {"1": "R", "2": "NC"}.get(sub[0], "O")
    if head == "3":
        return "UH" if sub.startswith("1") else "UO"
    return "NE"


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
        }


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def summarize_fieldwork(
    outcomes: Sequence[Any] | ArrayLike,
    minutes: ArrayLike | None = None,
    *,
    speeding_share: float = 0.3,
) -> FieldworkSummary:
    """Count AAPOR categories and compute the response rates (formulas: module docstring).

    Args:
        outcomes: final disposition code of every sampled case.
        minutes: interview duration of every case (NaN where there was no interview).
        speeding_share: completes faster than this share of the median are speeders
            (a common paradata rule; Zhang & Conrad 2014 use 30% of the median).

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
    i, p, r, nc, o = (counts[c] for c in ("I", "P", "R", "NC", "O"))
    uh, uo, ne = counts["UH"], counts["UO"], counts["NE"]
    known = i + p + r + nc + o
    e = _ratio(known, known + ne)
    e_used = 1.0 if math.isnan(e) else e
    all_unknown = known + uh + uo
    some_unknown = known + e_used * (uh + uo)
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
        e=e,
        rr1=_ratio(i, all_unknown),
        rr2=_ratio(i + p, all_unknown),
        rr3=_ratio(i, some_unknown),
        rr4=_ratio(i + p, some_unknown),
        coop1=_ratio(i, i + p + r + o),
        ref1=_ratio(r, all_unknown),
        con1=_ratio(i + p + r + o, all_unknown),
        median_minutes=median,
        speeders=speeders,
        speeding_minutes=threshold,
    )
