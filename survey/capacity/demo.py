"""The demo's capacity reporting (``make run``): the simulated rounds 2021-2025 of
:mod:`reports.capacity_demo` stored as rounds and versioned submissions (late, returned
and missing units included; the 2025 round stays open), and a reporter account for
稠城街道, the unit that has not reported yet, for the person trying the demo."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.capacity import DEFAULT_CAPACITY_PLAN
from reports.capacity import load_capacity_plan
from reports.capacity_demo import demo_rounds
from survey.capacity.models import CapacityReporter
from survey.capacity.models import CapacityRound
from survey.capacity.models import CapacitySubmission
from survey.db import begin_write
from survey.models import User
from survey.services import audit
from survey.services import create_user
from survey.services import set_password

logger = logging.getLogger(__name__)

#: the demo's unit reporter: 稠城街道 has not reported in the 2025 round
DEMO_REPORTER = "chouchengjiedao"
DEMO_REPORTER_UNIT = "zj_cc"


def seed_capacity_rounds(session: Session, *, actor: str = "demo") -> int:
    """Store the simulated rounds once (nothing when any round exists); returns how many
    submissions were stored."""
    if session.scalars(select(CapacityRound.id)).first() is not None:
        session.rollback()
        return 0
    plan = load_capacity_plan()
    text = DEFAULT_CAPACITY_PLAN.read_text("utf-8")
    begin_write(session)
    stored = 0
    for rec in demo_rounds(plan):
        rnd = CapacityRound(
            name=rec.name,
            year=rec.year,
            due=rec.due,
            plan_text=text,
            plan_file=DEFAULT_CAPACITY_PLAN.name,
            status="closed" if rec.closed else "open",
        )
        session.add(rnd)
        session.flush()
        for sub in rec.submissions:
            session.add(
                CapacitySubmission(
                    round_id=rnd.id,
                    unit_code=sub.unit,
                    version=sub.version,
                    status=sub.status.value,
                    values={
                        k: {"value": e.value, "note": e.note, "confirmed": e.confirmed}
                        for k, e in sub.values.items()
                    },
                    submitted_at=sub.submitted_at,
                    reviewed_at=sub.reviewed_at,
                    reviewed_by="demo" if sub.reviewed_at else None,
                    reason=sub.reason,
                    created_at=sub.submitted_at,
                    updated_at=sub.submitted_at,
                )
            )
            stored += 1
    audit(session, actor, "capacity.demo_rounds", "", submissions=stored)
    session.commit()
    return stored


def demo_reporter(session: Session, password: str, *, actor: str = "demo") -> str:
    """Create (or give a new password to) the demo's reporter of 稠城街道."""
    exists = session.scalars(select(User).where(User.username == DEMO_REPORTER)).first()
    session.rollback()
    if exists is None:
        user = create_user(session, DEMO_REPORTER, password, actor=actor, role="reporter")
        begin_write(session)
        session.add(CapacityReporter(user_id=user.id, unit_code=DEMO_REPORTER_UNIT))
        session.commit()
    else:
        set_password(session, DEMO_REPORTER, password, actor=actor)
    return DEMO_REPORTER
