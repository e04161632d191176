"""Wave management beyond creation: edit, duplicate, delete.

Creating, opening and closing a wave are in :mod:`survey.services`; this module changes
a wave's own fields (survey year, dates, modes, learning page, open link), copies a
wave (questionnaire, settings and team; no cases, no responses) and deletes one. Every
change is audit-logged. A wave holding responses is deleted only when the caller says
so (``with_responses=True``: the web page asks for the wave's name typed again), like
LimeSurvey's "delete survey" with its warning about the response table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ConflictError
from survey.models import ClassSession
from survey.models import ContactAttempt
from survey.models import HouseholdRoster
from survey.models import Invitation
from survey.models import Response
from survey.models import SchoolAccess
from survey.models import SchoolClass
from survey.models import SchoolSheet
from survey.models import SessionSeat
from survey.models import UnitLink
from survey.models import Wave
from survey.models import WaveMember
from survey.models import WaveStatus
from survey.services import MODES
from survey.services import WAVE_NAME
from survey.services import audit
from survey.services import get_wave
from survey.services import new_token
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaveEdit:
    """The fields of a wave an admin may change after creating it."""

    survey_year: int
    allow_learn: bool
    open_recruitment: bool
    modes: tuple[str, ...]
    opens_at: datetime | None
    closes_at: datetime | None


def update_wave(session: Session, name: str, edit: WaveEdit, *, actor: str) -> Wave:
    """Change a wave's fields (checked; audit-logged with the old and new values).

    Raises:
        BadRequestError: unknown mode, survey year out of range, closing before opening.
    """
    bad = [m for m in edit.modes if m not in MODES]
    if bad or not edit.modes:
        raise BadRequestError(
            "unknown mode", param="modes", got=bad, expected=MODES, ui="err_wave_modes"
        )
    if not 1900 <= edit.survey_year <= 2200:
        raise BadRequestError(
            "survey year out of range",
            param="survey_year",
            got=edit.survey_year,
            ui="err_survey_year",
        )
    if edit.opens_at and edit.closes_at and edit.closes_at <= edit.opens_at:
        raise BadRequestError(
            "the wave must close after it opens", param="closes_at", ui="err_wave_dates"
        )
    begin_write(session)
    wave = get_wave(session, name)
    if questionnaire_of(wave.questionnaire_version).anonymous and (
        edit.open_recruitment or set(edit.modes) != {"web"}
    ):
        raise BadRequestError(
            "an anonymous questionnaire is answered on the web through unit links only",
            param="modes",
            ui="err_anonymous_modes",
        )
    changes: dict[str, object] = {}
    for key in ("survey_year", "allow_learn", "open_recruitment", "opens_at", "closes_at"):
        new = getattr(edit, key)
        if getattr(wave, key) != new:
            changes[key] = new.isoformat() if isinstance(new, datetime) else new
            setattr(wave, key, new)
    if list(wave.modes or []) != list(edit.modes):
        changes["modes"] = list(edit.modes)
        wave.modes = list(edit.modes)
    if wave.open_recruitment and not wave.open_token:
        wave.open_token = new_token()
    audit(session, actor, "wave.edit", name, **changes)
    session.commit()
    return wave


def duplicate_wave(session: Session, name: str, new_name: str, *, actor: str) -> Wave:
    """A new draft wave with ``name``'s questionnaire version, fields, settings and team
    (members and their roles); no cases, invitations or responses.

    Raises:
        BadRequestError: an invalid name. ConflictError: the name is taken.
    """
    new_name = new_name.strip()
    if not WAVE_NAME.fullmatch(new_name):
        raise BadRequestError(
            "a wave name is 1-64 letters, digits, '-', '_' or '.'",
            param="name",
            got=new_name[:64],
            ui="err_wave_name",
        )
    begin_write(session)
    source = get_wave(session, name)
    copy = Wave(
        name=new_name,
        questionnaire_version_id=source.questionnaire_version_id,
        status=WaveStatus.DRAFT,
        survey_year=source.survey_year,
        allow_learn=source.allow_learn,
        open_recruitment=source.open_recruitment,
        open_token=new_token() if source.open_recruitment else None,
        modes=list(source.modes or []),
        opens_at=None,
        closes_at=None,
        settings=dict(source.settings or {}),
    )
    session.add(copy)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(
            f"a wave named {new_name!r} exists already",
            param="name",
            ui="err_wave_exists",
            ui_params={"name": new_name},
        ) from None
    team = session.scalars(select(WaveMember).where(WaveMember.wave_id == source.id)).all()
    session.add_all(WaveMember(wave_id=copy.id, user_id=m.user_id, role=m.role) for m in team)
    audit(session, actor, "wave.duplicate", new_name, source=name, members=len(team))
    session.commit()
    return copy


def response_count(session: Session, name: str) -> int:
    """How many responses (partial or complete) a wave holds."""
    wave = get_wave(session, name)
    n = session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))
    return int(n or 0)


def delete_wave(session: Session, name: str, *, actor: str, with_responses: bool = False) -> int:
    """Delete a wave with its invitations, cases, members and classroom records; returns
    the number of responses deleted with it.

    Raises:
        ConflictError: the wave holds responses and ``with_responses`` is False.
    """
    begin_write(session)
    wave = get_wave(session, name)
    responses = int(
        session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id)) or 0
    )
    if responses and not with_responses:
        raise ConflictError(
            f"wave {name!r} holds {responses} responses",
            param="confirm_name",
            ui="err_delete_has_responses",
            ui_params={"n": responses},
        )
    invitations = select(Invitation.id).where(Invitation.wave_id == wave.id).scalar_subquery()
    sessions = select(ClassSession.id).where(ClassSession.wave_id == wave.id).scalar_subquery()
    n_inv = int(
        session.scalar(select(func.count(Invitation.id)).where(Invitation.wave_id == wave.id)) or 0
    )
    session.execute(delete(SessionSeat).where(SessionSeat.session_id.in_(sessions)))
    session.execute(delete(SessionSeat).where(SessionSeat.invitation_id.in_(invitations)))
    for model in (ContactAttempt, HouseholdRoster):
        session.execute(delete(model).where(model.invitation_id.in_(invitations)))
    session.execute(delete(Response).where(Response.wave_id == wave.id))
    session.execute(delete(Invitation).where(Invitation.wave_id == wave.id))
    for table in (ClassSession, SchoolClass, SchoolAccess, SchoolSheet, UnitLink, WaveMember):
        session.execute(delete(table).where(table.wave_id == wave.id))
    session.delete(wave)
    audit(session, actor, "wave.delete", name, invitations=n_inv, responses=responses)
    session.commit()
    logger.info("wave %s deleted (%d invitations, %d responses)", name, n_inv, responses)
    return responses
