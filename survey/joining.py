"""Students joining a classroom session with its code and a seat number (no name).

A seat belongs to the first browser that takes it (the browser keeps a signed
cookie naming the seat, :mod:`survey.sessions`); another browser typing the same
seat is refused and learns nothing about it, and a browser in one open session
cannot join another. Each seat has its own invitation (mode ``class``) whose
deadline is the session's time limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.classroom import effective_status
from survey.classroom import normalize_code
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.models import ClassSession
from survey.models import Invitation
from survey.models import SessionSeat
from survey.models import now_utc
from survey.services import new_token

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Joined:
    """A seat taken by this browser: its session, seat number and invitation token."""

    session_id: int
    seat: int
    token: str


def join_seat(session: Session, raw_code: str, raw_seat: str, held: Joined | None) -> Joined:
    """Take (or get back) a seat of an open session with its code and seat number.

    ``held`` is the seat this browser holds already (from its signed cookie).

    Raises:
        BadRequestError: malformed code or seat; no open session with this code; a seat
            outside the class; the seat taken by another browser; this browser in another
            session that is still going on. The messages name no other student.
    """
    code = normalize_code(raw_code)
    seat_text = raw_seat.strip()
    if code is None:
        raise BadRequestError("malformed session code", param="code", ui="err_code_format")
    if not (seat_text.isdecimal() and len(seat_text) <= 3):
        raise BadRequestError("the seat must be a number", param="seat", ui="err_seat_number")
    seat_no = int(seat_text)
    begin_write(session)
    cs = session.scalars(select(ClassSession).where(ClassSession.code == code)).one_or_none()
    state = effective_status(cs) if cs is not None else "closed"
    if cs is None or state == "closed":
        raise BadRequestError("no open session with this code", param="code", ui="err_code_unknown")
    if held is not None and held.session_id != cs.id:
        other = session.get(ClassSession, held.session_id)
        if other is not None and effective_status(other) != "closed":
            raise BadRequestError(
                "this browser is in another session", param="code", ui="err_other_session"
            )
        held = None
    if held is not None and held.seat != seat_no:
        raise BadRequestError(
            "this browser has another seat",
            param="seat",
            ui="err_own_seat",
            ui_params={"seat": held.seat},
        )
    if not 1 <= seat_no <= cs.seats:
        raise BadRequestError(
            "no such seat in this session",
            param="seat",
            ui="err_seat_range_join",
            ui_params={"max": cs.seats},
        )
    seat = session.scalars(
        select(SessionSeat)
        .where(SessionSeat.session_id == cs.id, SessionSeat.seat == seat_no)
        .with_for_update()
    ).one()
    inv = session.get(Invitation, seat.invitation_id) if seat.invitation_id else None
    if inv is not None and seat.status == "joined":
        if held is None or held.token != inv.token:
            raise BadRequestError("this seat is taken", param="seat", ui="err_seat_taken")
        session.rollback()
        return Joined(cs.id, seat_no, inv.token)  # the same browser coming back
    if seat.status in ("absent", "refused", "complete", "timeout"):
        raise BadRequestError("this seat is not open", param="seat", ui="err_seat_taken")
    if state == "locked" and seat.status != "released":
        raise BadRequestError(
            "the session takes no new students", param="code", ui="err_session_locked"
        )
    cls = cs.school_class
    deadline = cs.closes_at.isoformat()
    if inv is None:  # first join of this seat
        inv = Invitation(
            wave_id=cs.wave_id,
            token=new_token(),
            stratum=cls.stratum,
            psu=cls.school_id,
            town=cls.town,
            mode="class",
            household_id=f"{cls.class_id}:{seat_no}"[:64],
            attributes={
                "class_id": cls.class_id,
                "school_id": cls.school_id,
                "seat": seat_no,
                "session": cs.id,
                "deadline": deadline,
            },
        )
        session.add(inv)
        session.flush()
        seat.invitation_id = inv.id
    else:  # a released seat: continue with a token only this browser knows
        inv.token = new_token()
    seat.status = "joined"
    seat.joined_at = now_utc()
    token = inv.token
    try:
        session.commit()
    except IntegrityError:  # pragma: no cover - two browsers in the same instant
        session.rollback()
        raise BadRequestError("this seat is taken", param="seat", ui="err_seat_taken") from None
    logger.info("session %s: seat %s joined", cs.id, seat_no)
    return Joined(cs.id, seat_no, token)
