"""School feedback sheets: kept for each school's principal, read by no other school."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.classroom import allowed_schools
from survey.classroom import check_school
from survey.db import begin_write
from survey.errors import NotFoundError
from survey.models import SchoolClass
from survey.models import SchoolSheet
from survey.models import User
from survey.models import Wave
from survey.models import now_utc
from survey.services import audit
from survey.services import get_wave

logger = logging.getLogger(__name__)


def store_school_sheet(
    session: Session,
    wave_name: str,
    school_id: str,
    pdf: bytes,
    summary: Mapping[str, Any],
    *,
    actor: str,
) -> None:
    """Keep (or replace) a school's feedback sheet for its principal (audited)."""
    begin_write(session)
    wave = get_wave(session, wave_name)
    sheet = session.scalars(
        select(SchoolSheet).where(
            SchoolSheet.wave_id == wave.id, SchoolSheet.school_id == school_id
        )
    ).one_or_none()
    if sheet is None:
        sheet = SchoolSheet(wave_id=wave.id, school_id=school_id)
        session.add(sheet)
    sheet.pdf = pdf
    sheet.summary = dict(summary)
    sheet.created_at = now_utc()
    audit(session, actor, "classroom.sheet", wave_name, school=school_id, bytes=len(pdf))
    session.commit()


def school_sheets(session: Session, user: User, wave: Wave) -> list[tuple[str, str, datetime]]:
    """``(school id, school name, created)`` of the sheets ``user`` may read on ``wave``."""
    schools = allowed_schools(session, user, wave)
    stmt = select(SchoolSheet.school_id, SchoolSheet.created_at).where(
        SchoolSheet.wave_id == wave.id
    )
    if schools is not None:
        stmt = stmt.where(SchoolSheet.school_id.in_(sorted(schools)))
    names = dict(
        session.execute(
            select(SchoolClass.school_id, SchoolClass.school_name).where(
                SchoolClass.wave_id == wave.id
            )
        ).all()
    )
    return [
        (s, names.get(s) or s, at)
        for s, at in session.execute(stmt.order_by(SchoolSheet.school_id))
    ]


def school_sheet_pdf(session: Session, user: User, wave: Wave, school_id: str) -> bytes:
    """The PDF of a school's sheet, for someone who acts for that school (404 otherwise)."""
    check_school(session, user, wave, school_id)
    sheet = session.scalars(
        select(SchoolSheet).where(
            SchoolSheet.wave_id == wave.id, SchoolSheet.school_id == school_id
        )
    ).one_or_none()
    if sheet is None:
        raise NotFoundError("no sheet for this school yet", param="school", ui="err_no_sheet")
    return bytes(sheet.pdf)
