"""Capacity reporting workflows (no Flask): rounds, reporters, versions, review, evidence.

Used by the pages (:mod:`survey.capacity.web`) and ``kesu capacity``
(:mod:`survey.capacity.cli`). The checks, progress and index are the pure functions of
:mod:`reports.capacity_round`; every change is audit-logged (``capacity.*`` actions).

Versions: a unit's latest version is edited in place while it is a draft; a submitted
version waits for review (no edits); editing a returned or accepted version starts a new
draft version with its values (so the history of what was returned or accepted stays).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.capacity import CapacityPlan
from reports.capacity import evaluate_capacity
from reports.capacity import load_capacity_plan
from reports.capacity_round import CheckIssue
from reports.capacity_round import EnteredValue
from reports.capacity_round import RoundRecord
from reports.capacity_round import RoundSummary
from reports.capacity_round import Submission
from reports.capacity_round import SubmissionStatus
from reports.capacity_round import accepted_values
from reports.capacity_round import check_values
from reports.capacity_round import plan_from_text
from reports.capacity_round import previous_values
from reports.capacity_round import summarise_round
from reports.errors import CapacityError
from survey.capacity.models import CapacityEvidence
from survey.capacity.models import CapacityReporter
from survey.capacity.models import CapacityRound
from survey.capacity.models import CapacitySubmission
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ConflictError
from survey.errors import NotFoundError
from survey.models import User
from survey.models import now_utc
from survey.services import audit

logger = logging.getLogger(__name__)

#: evidence files: allowed extensions -> the content type they are stored and served as
EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
#: the first bytes each type must start with (a renamed .exe is refused)
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}
#: the largest evidence file accepted (bytes)
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


# -- rounds ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _plan(text: str, file: str) -> CapacityPlan:
    return plan_from_text(text, file)


def plan_of(rnd: CapacityRound) -> CapacityPlan:
    """The plan the round was opened with."""
    return _plan(rnd.plan_text, rnd.plan_file or "capacity.yaml")


def get_round(session: Session, name: str) -> CapacityRound:
    """The round called ``name`` (NotFoundError if none)."""
    rnd = None
    if 0 < len(name) <= 64:
        rnd = session.scalars(select(CapacityRound).where(CapacityRound.name == name)).first()
    if rnd is None:
        raise NotFoundError(f"no capacity round named {name[:64]!r}", param="round")
    return rnd


def open_round(
    session: Session,
    name: str,
    year: int,
    due: dt.date,
    plan_path: str | Path | None,
    *,
    actor: str,
) -> CapacityRound:
    """Open a new round with the plan file (default: Yiwu's plan), or reopen a closed one.

    Raises:
        BadRequestError: the plan file is invalid (file and line named).
    """
    begin_write(session)
    found = session.scalars(select(CapacityRound).where(CapacityRound.name == name)).first()
    if found is not None:
        found.status, found.closed_at = "open", None
        audit(session, actor, "capacity.round_reopen", name)
        session.commit()
        return found
    try:
        plan = load_capacity_plan(plan_path) if plan_path else load_capacity_plan()
    except CapacityError as exc:
        raise BadRequestError(str(exc), param="plan") from None
    path = Path(plan_path) if plan_path else Path(plan.file)
    rnd = CapacityRound(
        name=name,
        year=year,
        due=due,
        plan_file=path.name,
        plan_text=path.read_text("utf-8"),
        status="open",
    )
    session.add(rnd)
    audit(session, actor, "capacity.round_open", name, year=year, due=due.isoformat())
    session.commit()
    return rnd


def close_round(session: Session, name: str, *, actor: str) -> CapacityRound:
    """Close a round: reporters can no longer edit it (the review goes on)."""
    begin_write(session)
    rnd = get_round(session, name)
    rnd.status, rnd.closed_at = "closed", now_utc()
    audit(session, actor, "capacity.round_close", name)
    session.commit()
    return rnd


def list_rounds(session: Session) -> list[CapacityRound]:
    return list(session.scalars(select(CapacityRound).order_by(CapacityRound.year.desc())))


# -- reporters -----------------------------------------------------------------------------------


def bind_reporter(session: Session, username: str, unit: str, *, actor: str) -> None:
    """Make ``username`` (role ``reporter``) the reporter of unit ``unit``."""
    begin_write(session)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or user.role != "reporter":
        raise BadRequestError(
            f"{username!r} is not a user with the role reporter", param="username"
        )
    row = session.scalars(
        select(CapacityReporter).where(CapacityReporter.user_id == user.id)
    ).first()
    if row is None:
        session.add(CapacityReporter(user_id=user.id, unit_code=unit))
    else:
        row.unit_code = unit
    audit(session, actor, "capacity.reporter", username, unit=unit)
    session.commit()


def reporter_unit(session: Session, user: User | None) -> str | None:
    """The unit ``user`` reports for (None: not a unit reporter)."""
    if user is None or user.role != "reporter":
        return None
    code: str | None = session.scalars(
        select(CapacityReporter.unit_code).where(CapacityReporter.user_id == user.id)
    ).first()
    return code


# -- submissions ---------------------------------------------------------------------------------


def _entries(values: Mapping[str, Any]) -> dict[str, EnteredValue]:
    return {
        k: EnteredValue(v.get("value"), str(v.get("note", "")), bool(v.get("confirmed")))
        for k, v in values.items()
    }


def _stored(entries: Mapping[str, EnteredValue]) -> dict[str, Any]:
    return {
        k: {"value": e.value, "note": e.note, "confirmed": e.confirmed} for k, e in entries.items()
    }


def versions(session: Session, rnd: CapacityRound, unit: str) -> list[CapacitySubmission]:
    """The unit's versions in the round, oldest first."""
    return list(
        session.scalars(
            select(CapacitySubmission)
            .where(CapacitySubmission.round_id == rnd.id, CapacitySubmission.unit_code == unit)
            .order_by(CapacitySubmission.version)
        )
    )


def latest(session: Session, rnd: CapacityRound, unit: str) -> CapacitySubmission | None:
    found = versions(session, rnd, unit)
    return found[-1] if found else None


def record_of(session: Session, rnd: CapacityRound) -> RoundRecord:
    """The round as plain data for :mod:`reports.capacity_round`."""
    subs = session.scalars(
        select(CapacitySubmission).where(CapacitySubmission.round_id == rnd.id)
    ).all()
    return RoundRecord(
        name=rnd.name,
        year=rnd.year,
        due=rnd.due,
        closed=rnd.status == "closed",
        submissions=tuple(
            Submission(
                s.unit_code,
                s.version,
                SubmissionStatus(s.status),
                _entries(s.values),
                s.submitted_at,
                s.reviewed_at,
                s.reason,
            )
            for s in subs
        ),
    )


def all_records(session: Session) -> tuple[RoundRecord, ...]:
    return tuple(record_of(session, r) for r in list_rounds(session))


def previous_of(
    session: Session, rnd: CapacityRound, unit: str
) -> tuple[dict[str, float], dict[str, float]]:
    """The unit's accepted values of the two rounds before this one (for the checks)."""
    return previous_values(plan_of(rnd), all_records(session), unit, rnd.year)


@dataclass(frozen=True)
class SaveResult:
    submission: CapacitySubmission
    issues: list[CheckIssue]
    submitted: bool


def save_values(
    session: Session,
    rnd: CapacityRound,
    unit: str,
    entries: Mapping[str, EnteredValue],
    *,
    actor: str,
    submit: bool,
    source: str = "web",
) -> SaveResult:
    """Save the unit's figures as its draft (always: nothing typed is lost), and submit
    them when ``submit`` and no blocking issue remains (unconfirmed outliers block too).

    Raises:
        ConflictError: the round is closed, or the latest version waits for review.
    """
    plan = plan_of(rnd)
    known = {i.id for i in plan.indicators_of(unit)}
    entries = {k: e for k, e in entries.items() if k in known}
    prev, before = previous_of(session, rnd, unit)
    begin_write(session)
    if rnd.status != "open":
        raise ConflictError(f"round {rnd.name!r} is closed", param="round")
    sub = latest(session, rnd, unit)
    if sub is not None and sub.status == "submitted":
        raise ConflictError(
            "submitted: waiting for the review; it cannot be changed now", param="status"
        )
    now = now_utc()
    if sub is None or sub.status in ("returned", "accepted"):
        version = 1 if sub is None else sub.version + 1
        sub = CapacitySubmission(
            round_id=rnd.id,
            unit_code=unit,
            version=version,
            status="draft",
            values={},
            reason="",
            created_at=now,
        )
        session.add(sub)
    sub.values = _stored(entries)
    sub.updated_at = now
    issues = check_values(plan, unit, entries, prev, before, submitting=submit)
    submitted = submit and not issues
    if submitted:
        sub.status, sub.submitted_at = "submitted", now
    session.flush()
    audit(
        session,
        actor,
        "capacity.submit" if submitted else "capacity.save",
        f"{rnd.name}/{unit}",
        version=sub.version,
        source=source,
        issues=[i.rule for i in issues],
    )
    session.commit()
    return SaveResult(sub, issues, submitted)


def review(
    session: Session, rnd: CapacityRound, unit: str, accept: bool, reason: str, *, actor: str
) -> CapacitySubmission:
    """Accept, or return with a reason, the unit's submitted version (audit-logged).

    Raises:
        BadRequestError: a return without a reason.
        ConflictError: nothing submitted to review.
    """
    reason = reason.strip()
    if not accept and not reason:
        raise BadRequestError("a returned submission needs a reason", param="reason")
    begin_write(session)
    sub = latest(session, rnd, unit)
    if sub is None or sub.status != "submitted":
        raise ConflictError(f"{unit}: nothing submitted to review", param="status")
    sub.status = "accepted" if accept else "returned"
    sub.reviewed_at, sub.reviewed_by, sub.reason = now_utc(), actor, reason
    audit(
        session,
        actor,
        "capacity.accept" if accept else "capacity.return",
        f"{rnd.name}/{unit}",
        version=sub.version,
        reason=reason,
    )
    session.commit()
    return sub


# -- status -----------------------------------------------------------------------------------


def round_summary(session: Session, rnd: CapacityRound, today: dt.date | None = None) -> Any:
    """Progress of every indicator (accepted values up to the round) and the round summary."""
    plan = plan_of(rnd)
    records = tuple(r for r in all_records(session) if r.year <= rnd.year)
    values = accepted_values(plan, records)
    progress = evaluate_capacity(plan, values, dt.date(rnd.year, 12, 31))
    summary: RoundSummary = summarise_round(
        plan, (record_of(session, rnd), *records), progress, today or dt.date.today()
    )
    return plan, progress, summary


def status_dict(session: Session, name: str, today: dt.date | None = None) -> dict[str, Any]:
    """``kesu capacity status --json``: per indicator value, target, expected, status; per
    unit submitted/accepted/overdue; the index and its coverage."""
    rnd = get_round(session, name)
    plan, progress, summary = round_summary(session, rnd, today)
    return {
        "round": rnd.name,
        "year": rnd.year,
        "due": rnd.due.isoformat(),
        "status": rnd.status,
        "indicators": [
            {
                "id": p.indicator.id,
                "label": p.indicator.label.get(),
                "value": p.value,
                "target": p.indicator.target,
                "expected": round(p.expected, 2),
                "status": "missing" if p.value is None else p.status.value,
                "missing_units": [u.code for u in p.missing_units],
            }
            for p in progress
        ],
        "units": [
            {
                "unit": u.code,
                "name": u.name,
                "status": u.status,
                "submitted": None if u.first_submitted is None else u.first_submitted.isoformat(),
                "accepted": u.status == "accepted",
                "on_time": u.on_time,
                "overdue": u.overdue,
                "completeness": u.completeness,
                "contact": u.contact,
            }
            for u in summary.units
        ],
        "index": {
            "value": summary.index.value,
            "covered": summary.index.covered,
            "total": summary.index.total,
            "families": dict(summary.index.families),
            "weights": dict(summary.index.weights),
        },
    }


# -- evidence ---------------------------------------------------------------------------------


def evidence_dir(instance_path: str) -> Path:
    """Where evidence files are stored: ``<instance>/capacity-evidence`` (never static/)."""
    return Path(instance_path) / "capacity-evidence"


def store_evidence(
    session: Session,
    instance_path: str,
    rnd: CapacityRound,
    unit: str,
    filename: str,
    data: bytes,
    *,
    actor: str,
) -> CapacityEvidence:
    """Keep an evidence file (type by extension and first bytes; at most
    :data:`EVIDENCE_MAX_BYTES`) under a random name.

    Raises:
        BadRequestError: empty, too large, or not one of :data:`EVIDENCE_TYPES`.
    """
    name = Path(filename or "").name[:200]
    ext = Path(name).suffix.lower()
    ctype = EVIDENCE_TYPES.get(ext)
    if not data:
        raise BadRequestError("the evidence file is empty", param="file")
    if len(data) > EVIDENCE_MAX_BYTES:
        raise BadRequestError(
            f"the evidence file is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB",
            param="file",
            got=len(data),
        )
    if ctype is None or not data.startswith(_MAGIC[ctype]):
        raise BadRequestError(
            "evidence must be a PDF, JPEG, PNG, .xlsx or .docx file",
            param="file",
            got=name,
            expected=", ".join(EVIDENCE_TYPES),
        )
    if rnd.status != "open":
        raise ConflictError(f"round {rnd.name!r} is closed", param="round")
    folder = evidence_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16)
    (folder / stored).write_bytes(data)
    begin_write(session)
    row = CapacityEvidence(
        round_id=rnd.id,
        unit_code=unit,
        filename=name,
        content_type=ctype,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_name=stored,
        uploaded_by=actor,
    )
    session.add(row)
    audit(session, actor, "capacity.evidence", f"{rnd.name}/{unit}", file=name, size=len(data))
    session.commit()
    return row


def evidence_list(session: Session, rnd: CapacityRound, unit: str) -> list[CapacityEvidence]:
    return list(
        session.scalars(
            select(CapacityEvidence).where(
                CapacityEvidence.round_id == rnd.id, CapacityEvidence.unit_code == unit
            )
        )
    )


def report_capacity(session: Session, survey_year: int | None) -> dict[str, Any] | None:
    """The report's capacity figures from the accepted submissions: the latest round of
    ``survey_year`` or before (any round when None); None without rounds. Keys are
    :class:`reports.model.ReportData` fields (``dataclasses.replace``)."""
    rounds = [r for r in list_rounds(session) if survey_year is None or r.year <= survey_year]
    if not rounds:
        return None
    rnd = rounds[0]
    plan, progress, summary = round_summary(session, rnd)
    return {
        "capacity": progress,
        "capacity_tolerance": plan.tolerance,
        "capacity_as_of": dt.date(rnd.year, 12, 31),
        "capacity_round": summary,
    }


def load_report_capacity(survey_year: int | None) -> dict[str, Any] | None:
    """:func:`report_capacity` on the configured database (``kesu report --wave``); None
    for a database without the capacity tables (not upgraded to migration 0006)."""
    from sqlalchemy import inspect

    from survey.analysis import _with_database

    def work(session: Session, _: str) -> dict[str, Any] | None:
        if not inspect(session.get_bind()).has_table("capacity_round"):
            return None
        return report_capacity(session, survey_year)

    found: dict[str, Any] | None = _with_database(work, "", None)
    return found
