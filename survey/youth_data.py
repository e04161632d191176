"""A youth-monitoring round from the survey database, for :func:`reports.youth.analyse_youth`.

Each grade wave contributes its questionnaire (the grade booklet), its sampled
classes (:class:`~survey.models.SchoolClass`), the seats of their sessions with
what happened (complete, time-out, absent, refused; a class whose session never
took place has ``held = 0``) and the answers of the students who took part.
Principal and teacher waves contribute their answers keyed by the ``school_id``
and ``class_id`` of the invitations (``kesu sample draw --schools/--teachers``
files imported as their samples).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.youth import YouthResponse
from reports.youth import YouthRound
from survey.classroom import finish_expired
from survey.errors import BadRequestError
from survey.models import ClassSession
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import SchoolClass
from survey.models import SessionSeat
from survey.services import get_wave
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

#: when a seat sat more than one session (a make-up session), the best outcome counts
_RANK = {"complete": 4, "timeout": 3, "refused": 2, "absent": 1}


def load_youth_round(
    session: Session,
    waves: Sequence[str],
    *,
    principal_wave: str | None = None,
    teacher_wave: str | None = None,
    synthetic: bool = False,
) -> YouthRound:
    """Assemble the round of the grade ``waves`` (base grade first), closing expired sessions.

    Raises:
        NotFoundError: an unknown wave. BadRequestError: a wave without classes, two waves
            of one grade, or a session still running (close it first).
    """
    booklets: dict[str, Any] = {}
    classes: list[dict[str, Any]] = []
    seats: dict[str, list[Any]] = {"class_id": [], "seat": [], "status": [], "held": []}
    responses: list[YouthResponse] = []
    year = 0
    for name in waves:
        wave = get_wave(session, name)
        finish_expired(session, wave)
        rows = session.scalars(select(SchoolClass).where(SchoolClass.wave_id == wave.id)).all()
        if not rows:
            raise BadRequestError(
                f"wave {name} has no classes",
                param="wave",
                hint="kesu classroom import WAVE classes.csv --grade G",
            )
        grade = rows[0].grade
        if grade in booklets:
            raise BadRequestError(f"two waves of grade {grade}", param="wave", got=name)
        booklets[grade] = questionnaire_of(wave.questionnaire_version)
        year = year or wave.survey_year
        running = session.scalars(
            select(ClassSession.id).where(
                ClassSession.wave_id == wave.id, ClassSession.status != "closed"
            )
        ).first()
        if running is not None:
            raise BadRequestError(
                f"wave {name} has a session still running",
                param="session",
                hint="end it on its board, then analyse",
            )
        for c in rows:
            classes.append(
                {
                    "class_id": c.class_id,
                    "grade": c.grade,
                    "stratum": c.stratum,
                    "town": c.town,
                    "school_id": c.school_id,
                    "school_type": c.school_type,
                    "school_name": c.school_name,
                    **c.design,
                }
            )
        outcome = _seat_outcomes(session, [c.id for c in rows])
        for c in rows:
            mine = outcome.get(c.id)
            if not mine:  # no session took place: the class counts as not responding
                for k in range(1, max(c.expected_students, 1) + 1):
                    _append(seats, c.class_id, k, "absent", 0)
                continue
            for k, (status, answers) in sorted(mine.items()):
                _append(seats, c.class_id, k, status, 1)
                if answers is not None:
                    responses.append(YouthResponse(c.class_id, k, answers))
    return YouthRound(
        booklets=booklets,
        classes=tuple(classes),
        seats={k: np.array(v) for k, v in seats.items()},
        responses=tuple(responses),
        principal=_answers_by(session, principal_wave, "school_id"),
        teacher=_answers_by(session, teacher_wave, "class_id"),
        principal_booklet=_booklet(session, principal_wave),
        teacher_booklet=_booklet(session, teacher_wave),
        year=year,
        synthetic=synthetic,
    )


def _append(seats: dict[str, list[Any]], class_id: str, seat: int, status: str, held: int) -> None:
    seats["class_id"].append(class_id)
    seats["seat"].append(seat)
    seats["status"].append(status)
    seats["held"].append(held)


def _seat_outcomes(
    session: Session, class_pks: Sequence[int]
) -> dict[int, dict[int, tuple[str, dict[str, Any] | None]]]:
    """class pk -> seat -> (final status, answers of respondents), best over its sessions."""
    rows = session.execute(
        select(
            ClassSession.school_class_id,
            SessionSeat.seat,
            SessionSeat.status,
            Response.status,
            Response.answers,
        )
        .join(SessionSeat, SessionSeat.session_id == ClassSession.id)
        .outerjoin(Response, Response.invitation_id == SessionSeat.invitation_id)
        .where(ClassSession.school_class_id.in_(list(class_pks)), ClassSession.status == "closed")
    ).all()
    out: dict[int, dict[int, tuple[str, dict[str, Any] | None]]] = {}
    for pk, seat, status, resp_status, answers in rows:
        final = "complete" if resp_status is ResponseStatus.COMPLETE else status
        final = final if final in _RANK else "absent"
        kept = dict(answers) if final in ("complete", "timeout") and answers else None
        if kept is None and final in ("complete", "timeout"):
            final = "refused"
        seen = out.setdefault(pk, {}).get(seat)
        if seen is None or _RANK[final] > _RANK[seen[0]]:
            out[pk][seat] = (final, kept)
    return out


def _answers_by(session: Session, wave_name: str | None, key: str) -> dict[str, dict[str, Any]]:
    if wave_name is None:
        return {}
    wave = get_wave(session, wave_name)
    rows = session.execute(
        select(Invitation.attributes, Invitation.household_id, Response.answers)
        .join(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id, Response.status == ResponseStatus.COMPLETE)
    ).all()
    out = {}
    for attributes, household, answers in rows:
        ident = (attributes or {}).get(key) or household
        if ident:
            out[str(ident)] = dict(answers)
    return out


def _booklet(session: Session, wave_name: str | None) -> Any:
    return (
        None
        if wave_name is None
        else questionnaire_of(get_wave(session, wave_name).questionnaire_version)
    )
