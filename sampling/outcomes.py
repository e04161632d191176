"""AAPOR final disposition codes and outcome rates (the one place for both).

Every sampled case ends with a final disposition code of the AAPOR Standard
Definitions (AAPOR 2023, 10th ed., Table 1 for in-person household surveys,
Table 2 for telephone, Table 4 for internet surveys of named persons). The
codes group into eight categories:

* 1.1 complete (I), 1.2 partial (P)
* 2.1x refusal and break-off (R), 2.2x non-contact (NC), 2.3x other (O)
* 3.1x unknown if household/occupied (UH), 3.2-3.9 unknown, other (UO)
* 4.x not eligible (NE)

Rates (AAPOR 2023, "Standard Definitions", section "Response rates" pp. 61-64),
with ``e`` the estimated share of eligible cases among those of unknown
eligibility; by default the proportional allocation ("CASRO") estimate from the
cases whose eligibility was determined, ``e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)``::

    RR1 = I / ((I+P) + (R+NC+O) + (UH+UO))
    RR2 = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))
    RR3 = I / ((I+P) + (R+NC+O) + e(UH+UO))
    RR4 = (I+P) / ((I+P) + (R+NC+O) + e(UH+UO))
    RR5 = I / ((I+P) + (R+NC+O))
    RR6 = (I+P) / ((I+P) + (R+NC+O))
    COOP1 = I / ((I+P) + R + O)          COOP2 = (I+P) / ((I+P) + R + O)
    COOP3 = I / ((I+P) + R)              COOP4 = (I+P) / ((I+P) + R)
    REF1 = R / ((I+P) + (R+NC+O) + (UH+UO))
    REF2 = R / ((I+P) + (R+NC+O) + e(UH+UO))
    REF3 = R / ((I+P) + (R+NC+O))
    CON1 = ((I+P) + R + O) / ((I+P) + (R+NC+O) + (UH+UO))
    CON2 = ((I+P) + R + O) / ((I+P) + (R+NC+O) + e(UH+UO))
    CON3 = ((I+P) + R + O) / ((I+P) + (R+NC+O))

A rate whose denominator is zero is NaN. Pure functions over codes and counts
(no I/O); used by :mod:`reports.fieldwork` and the web survey's fieldwork monitor.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kesu.strings.outcomes import DISPOSITION_LABELS
from sampling.errors import SamplingError

logger = logging.getLogger(__name__)

#: AAPOR categories in report order
CATEGORIES: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
#: category -> (weighting class used by nonresponse adjustment): eligible respondent,
#: eligible nonrespondent, unknown eligibility, ineligible
WEIGHTING_CLASS: dict[str, str] = {
    "I": "ER", "P": "ENR", "R": "ENR", "NC": "ENR", "O": "ENR",
    "UH": "UNK", "UO": "UNK", "NE": "IN",
}  # fmt: skip

#: the detailed codes offered when recording a contact attempt or a final outcome
#: (AAPOR 2023, Table 1), with their zh-CN / en labels: defined once, in the catalogue
#: part :mod:`kesu.strings.outcomes`, beside the category labels
DISPOSITIONS: dict[str, tuple[str, str]] = DISPOSITION_LABELS


def aapor_category(code: Any) -> str:
    """The AAPOR category (I, P, R, NC, O, UH, UO or NE) of a disposition code.

    The first digit gives the group (1 interview, 2 eligible non-interview,
    3 unknown eligibility, 4 not eligible); the first digit after the point
    splits groups 1-3 (AAPOR 2023, Table 1): 1.1 complete, 1.2 partial; 2.1
    refusal/break-off, 2.2 non-contact, other 2.x other; 3.1 unknown if
    household, other 3.x unknown other.

    Args:
        code: a code such as ``"1.1"``, ``"2.112"`` or ``"4.70"`` (any object whose
            ``str`` is one).

    Returns:
        The category label.

    Raises:
        SamplingError: not an AAPOR final disposition code.

    Example:
        >>> [aapor_category(c) for c in ("1.1", "1.2", "2.11", "2.20", "3.13", "4.5")]
        ['I', 'P', 'R', 'NC', 'UH', 'NE']
    """
    text = str(code).strip()
    parts = text.split(".")
    if (
        len(parts) != 2
        or not all(p.isdecimal() for p in parts)
        or parts[0] not in ("1", "2", "3", "4")
    ):
        raise SamplingError(
            "not an AAPOR disposition code",
            param="outcome",
            got=code,
            expected="codes such as 1.1, 1.2, 2.11, 2.20, 2.30, 3.10, 3.20, 4.10",
        )
    head, sub = parts
    if head == "1":
        return "I" if sub.startswith("1") else "P"
    if head == "2":
        return {"1": "R", "2": "NC"}.get(sub[0], "O")
    if head == "3":
        return "UH" if sub.startswith("1") else "UO"
    return "NE"


def count_categories(codes: Iterable[Any] | ArrayLike) -> dict[str, int]:
    """Number of cases in each AAPOR category (every category present, possibly 0).

    Each distinct code is classified once, so a million cases cost a ``numpy.unique``.

    Args:
        codes: one final disposition code per sampled case.

    Returns:
        ``{category: count}`` in :data:`CATEGORIES` order.

    Raises:
        SamplingError: an unknown code.

    Example:
        >>> count_categories(["1.1", "1.1", "2.11", "4.10"])["I"]
        2
    """
    arr = np.asarray(codes if isinstance(codes, np.ndarray) else list(codes))  # type: ignore[arg-type]
    arr = arr.reshape(-1).astype(str)
    counts = dict.fromkeys(CATEGORIES, 0)
    if arr.size == 0:
        return counts
    uniq, n = np.unique(arr, return_counts=True)
    for code, k in zip(uniq.tolist(), n.tolist(), strict=True):
        counts[aapor_category(code)] += int(k)
    return counts


@dataclass(frozen=True, slots=True)
class OutcomeRates:
    """AAPOR outcome rates of a set of cases (formulas: module docstring).

    Attributes:
        counts: category -> number of cases.
        e: the eligibility share used for the unknown cases in RR3/RR4, REF2, CON2.
        rr1 .. con3: the rates; NaN when the denominator is zero.
    """

    counts: Mapping[str, int]
    e: float
    rr1: float
    rr2: float
    rr3: float
    rr4: float
    rr5: float
    rr6: float
    coop1: float
    coop2: float
    coop3: float
    coop4: float
    ref1: float
    ref2: float
    ref3: float
    con1: float
    con2: float
    con3: float

    @property
    def cases(self) -> int:
        """Total number of cases."""
        return int(sum(self.counts.values()))

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (NaN kept as float)."""
        out: dict[str, Any] = {"counts": dict(self.counts), "cases": self.cases, "e": self.e}
        for name in RATE_NAMES:
            out[name] = getattr(self, name)
        return out


#: the rate attributes of :class:`OutcomeRates`
RATE_NAMES: tuple[str, ...] = (
    "rr1", "rr2", "rr3", "rr4", "rr5", "rr6", "coop1", "coop2", "coop3", "coop4",
    "ref1", "ref2", "ref3", "con1", "con2", "con3",
)  # fmt: skip


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def estimate_e(counts: Mapping[str, int]) -> float:
    """Proportional estimate of the eligible share among unknown-eligibility cases.

    ``e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)``: the share eligible among the cases whose
    eligibility was determined (AAPOR 2023, p. 62; Smith 2009, "A revised review of
    methods to estimate the status of cases with unknown eligibility").

    Args:
        counts: category -> count (missing categories count 0).

    Returns:
        ``e`` in [0, 1]; NaN when no case has known eligibility.

    Example:
        >>> estimate_e({"I": 50, "R": 30, "NE": 20})
        0.8
    """
    known = sum(int(counts.get(c, 0)) for c in ("I", "P", "R", "NC", "O"))
    return _ratio(known, known + int(counts.get("NE", 0)))


def outcome_rates(counts: Mapping[str, int], e: float | None = None) -> OutcomeRates:
    """AAPOR RR1-RR6, COOP1-4, REF1-3 and CON1-3 from category counts.

    Formulas in the module docstring (AAPOR 2023, Standard Definitions, pp. 61-64).

    Args:
        counts: category (:data:`CATEGORIES`) -> number of cases; missing ones are 0.
        e: eligible share of the unknown-eligibility cases; default
            :func:`estimate_e`, and 1 (all unknown cases eligible, as RR1) when that is
            undefined.

    Returns:
        :class:`OutcomeRates`.

    Raises:
        SamplingError: an unknown category, a negative count, or ``e`` outside [0, 1].

    Example:
        >>> r = outcome_rates({"I": 50, "P": 10, "R": 20, "NC": 10, "O": 10, "UH": 15,
        ...                    "UO": 5, "NE": 20})
        >>> round(r.rr1, 4), round(r.rr3, 4), round(r.coop1, 4)
        (0.4167, 0.4286, 0.5556)
    """
    unknown = [c for c in counts if c not in CATEGORIES]
    if unknown:
        raise SamplingError(
            "unknown AAPOR category", param="counts", got=unknown[0], expected=CATEGORIES
        )
    full = {c: int(counts.get(c, 0)) for c in CATEGORIES}
    negative = [c for c, k in full.items() if k < 0]
    if negative:
        raise SamplingError("a count is negative", param=negative[0], got=full[negative[0]])
    if e is None:
        e = estimate_e(full)
        if math.isnan(e):
            e = 1.0
    elif not 0.0 <= e <= 1.0:
        raise SamplingError("e must be a share in [0, 1]", param="e", got=e)
    i, p, r, nc, o = (full[c] for c in ("I", "P", "R", "NC", "O"))
    unk = full["UH"] + full["UO"]
    interviews = i + p
    eligible_known = interviews + r + nc + o
    d_all = eligible_known + unk
    d_e = eligible_known + e * unk
    contacted = interviews + r + o
    return OutcomeRates(
        counts=full,
        e=float(e),
        rr1=_ratio(i, d_all),
        rr2=_ratio(interviews, d_all),
        rr3=_ratio(i, d_e),
        rr4=_ratio(interviews, d_e),
        rr5=_ratio(i, eligible_known),
        rr6=_ratio(interviews, eligible_known),
        coop1=_ratio(i, interviews + r + o),
        coop2=_ratio(interviews, interviews + r + o),
        coop3=_ratio(i, interviews + r),
        coop4=_ratio(interviews, interviews + r),
        ref1=_ratio(r, d_all),
        ref2=_ratio(r, d_e),
        ref3=_ratio(r, eligible_known),
        con1=_ratio(contacted, d_all),
        con2=_ratio(contacted, d_e),
        con3=_ratio(contacted, eligible_known),
    )


def rates_for_codes(codes: Iterable[Any] | ArrayLike, e: float | None = None) -> OutcomeRates:
    """:func:`outcome_rates` of :func:`count_categories` of final disposition codes.

    Example:
        >>> round(rates_for_codes(["1.1", "1.1", "2.11", "3.10", "4.10"]).rr3, 4)
        0.5333
    """
    return outcome_rates(count_categories(codes), e)


def weighting_outcome(code: Any) -> str:
    """The nonresponse-adjustment class of a disposition: ER, ENR, UNK or IN.

    Complete interviews are eligible respondents; partials, refusals, non-contacts
    and other eligible non-interviews are eligible nonrespondents (Valliant, Dever &
    Kreuter 2018, §13.5); 3.x unknown; 4.x ineligible.

    Example:
        >>> [weighting_outcome(c) for c in ("1.1", "1.2", "3.19", "4.70")]
        ['ER', 'ENR', 'UNK', 'IN']
    """
    return WEIGHTING_CLASS[aapor_category(code)]
