"""The cases file: one row per sampled case with its final disposition and design columns.

This is the input of nonresponse weighting (:func:`sampling.weighting.adjust_nonresponse`
with ``outcome="disposition"``, or the ER/ENR/UNK/IN column ``weighting_outcome``): every
sampled household, respondent or not. A complete interview that a statistician rejected
counts as an eligible nonrespondent (ENR) there, so its weight goes to the others.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from sampling.outcomes import weighting_outcome
from survey.csvsafe import spreadsheet_safe
from survey.monitoring import CaseOutcome
from survey.monitoring import case_outcomes
from survey.services import get_wave

logger = logging.getLogger(__name__)

CASE_COLUMNS = (
    "household_id", "stratum", "psu", "town", "mode", "interviewer", "attempts",
    "disposition", "aapor_category", "weighting_outcome", "respondent_id", "status",
    "rejected", "prob1", "prob2", "prob3", "household_weight", "base_weight", "minutes",
)  # fmt: skip


def case_record(case: CaseOutcome) -> dict[str, Any]:
    """The cases-file row of one case (column names: :data:`CASE_COLUMNS`)."""
    attrs = case.attributes
    prob = [attrs.get(k) for k in ("prob1", "prob2", "prob3")]
    base = attrs.get("base_weight")
    if base is None and all(isinstance(p, int | float) and p > 0 for p in prob):
        base = 1.0 / (prob[0] * prob[1] * prob[2])  # type: ignore[operator]
    household = attrs.get("household_weight")
    if household is None and all(isinstance(p, int | float) and p > 0 for p in prob[:2]):
        household = 1.0 / (prob[0] * prob[1])  # type: ignore[operator]
    outcome = (
        "ENR" if case.rejected and case.category == "I" else weighting_outcome(case.disposition)
    )
    return {
        "household_id": case.household_id, "stratum": case.stratum, "psu": case.psu,
        "town": case.town, "mode": case.mode, "interviewer": case.interviewer,
        "attempts": case.attempts, "disposition": case.disposition,
        "aapor_category": case.category, "weighting_outcome": outcome,
        "respondent_id": case.response_id, "status": case.status,
        "rejected": int(case.rejected), "prob1": prob[0], "prob2": prob[1], "prob3": prob[2],
        "household_weight": household, "base_weight": base,
        "minutes": None if math.isnan(case.minutes) else round(case.minutes, 2),
    }  # fmt: skip


def iter_cases_csv(session: Session, wave_name: str) -> Iterator[bytes]:
    """The cases file as CSV (UTF-8 with BOM; formula-safe texts, :mod:`survey.csvsafe`)."""
    cases = case_outcomes(session, get_wave(session, wave_name))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(CASE_COLUMNS))
    buffer.write("\ufeff")
    writer.writeheader()
    for i, case in enumerate(cases, start=1):
        rec = case_record(case)
        writer.writerow({k: "" if v is None else spreadsheet_safe(v) for k, v in rec.items()})
        if i % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
