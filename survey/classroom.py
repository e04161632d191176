"""Classroom sessions of the youth monitoring: services (no Flask), used by
:mod:`survey.sessions` (pages) and ``kesu classroom`` (command line).

* The **class list** of a grade wave (``kesu sample draw`` with a school design) is
  imported into :class:`~survey.models.SchoolClass` rows: class, school, town and the
  design columns the weights need, and no student names.
* A **proctor** (a teacher with the ``proctor`` role on the wave and a
  :class:`~survey.models.SchoolAccess` row for the school) opens a session for a class:
  a short code (6 characters without look-alikes such as 0/O, 1/I/L) and one seat per
  student on the class list, with a time limit.
* A **student** joins with the code and a seat number: the seat gets its own
  invitation (mode ``class``) whose deadline is the session's; the browser keeps a
  signed cookie naming the seat, so a seat taken by one browser cannot be taken by
  another, and a browser in one open session cannot join another. Nothing about the
  student is asked or stored beyond the seat number and the answers.
* The proctor sees each seat's state (not joined, answering page k of n, finished),
  may mark seats absent or refusing, free a seat so its student can move to another
  computer (the old browser's link stops working), stop new joins and close the
  session; closing (or the time limit) turns unjoined seats into absentees and
  unfinished ones into time-outs. These outcomes feed the absence adjustment of the
  weights (:func:`sampling.schools.absence_adjusted_weights`).

Students joining is :mod:`survey.joining`; the principals' school sheets are
:mod:`survey.school_sheets`; a round for the analysis is :mod:`survey.youth_data`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.auth import wave_role
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ConflictError
from survey.errors import NotFoundError
from survey.models import ClassSession
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import SchoolAccess
from survey.models import SchoolClass
from survey.models import SessionSeat
from survey.models import User
from survey.models import Wave
from survey.models import WaveMember
from survey.models import now_utc
from survey.services import audit
from survey.services import get_wave
from survey.services import new_token
from survey.services import questionnaire_of
from survey.services import wave_is_open
from survey.users import get_user

logger = logging.getLogger(__name__)

#: session codes: 6 of 31 characters without look-alikes (0/O, 1/I/L): 887 million codes
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_SEATS = 80
MINUTES = (5, 180)
#: roles that act for their schools only
SCHOOL_ROLES = ("proctor", "principal")
#: roles that see and run every school's classes
ALL_SCHOOLS_ROLES = ("admin", "statistician")
#: the class-list columns kept with each class for the weights
DESIGN_COLUMNS = ("prob1", "prob2", "prob3", "class_weight", "var_stratum", "var_psu", "certainty")
CLASS_LIST_REQUIRED = (
    "class_id",
    "grade",
    "school_id",
    "town",
    "stratum",
    "school_type",
    "class_number",
    "expected_students",
    *DESIGN_COLUMNS[:-1],
)


def normalize_code(raw: str) -> str | None:
    """The session code as typed (spaces, dashes and case ignored), or None if malformed.

    Example:
        >>> normalize_code(" ab3-k9m "), normalize_code("AB0K9M")
        ('AB3K9M', None)
    """
    code = "".join(ch for ch in raw.upper() if ch not in " -\t")[:16]
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


# -- class list and school access ---------------------------------------------------------------
def import_classes(
    session: Session, wave_name: str, rows: Sequence[Mapping[str, str]], *, grade: str, actor: str
) -> int:
    """Store the wave's classes from class-list rows (those of ``grade``); returns the count.

    A class already imported is updated; a row of another grade is skipped (one class
    list serves every grade wave).

    Raises:
        BadRequestError: a required column is missing or a number is malformed (the
            message names the line), or no row has the grade.
    """
    if not rows:
        raise BadRequestError("the class list is empty", param="classes")
    missing = [c for c in CLASS_LIST_REQUIRED if c not in rows[0]]
    if missing:
        raise BadRequestError(
            f"line 1: missing column {missing[0]!r}",
            param=missing[0],
            hint="use the class list written by kesu sample draw with a school design",
        )
    begin_write(session)
    wave = get_wave(session, wave_name)
    existing = {
        c.class_id: c
        for c in session.scalars(select(SchoolClass).where(SchoolClass.wave_id == wave.id))
    }
    count = 0
    for line, row in enumerate(rows, start=2):
        if str(row["grade"]).strip() != grade:
            continue
        try:
            design: dict[str, Any] = {k: float(row[k]) for k in DESIGN_COLUMNS[:4]}
            number = int(float(row["class_number"]))
            expected = round(float(row["expected_students"]))
        except ValueError:
            raise BadRequestError(
                f"line {line}: prob1, prob2, prob3, class_weight, class_number and "
                "expected_students must be numbers",
                param="classes",
                got={k: row.get(k) for k in ("class_id", "prob1", "class_weight")},
            ) from None
        design.update(var_stratum=str(row["var_stratum"]), var_psu=str(row["var_psu"]))
        class_id = str(row["class_id"]).strip()[:64]
        target = existing.get(class_id) or SchoolClass(wave_id=wave.id, class_id=class_id)
        target.grade = grade
        target.school_id = str(row["school_id"]).strip()[:64]
        target.school_name = str(row.get("school_name") or row["school_id"]).strip()[:128]
        target.school_type = str(row["school_type"]).strip()[:32]
        target.town = str(row["town"]).strip()[:64]
        target.stratum = str(row["stratum"]).strip()[:64]
        target.class_number = number
        target.expected_students = expected
        target.design = design
        session.add(target)
        count += 1
    if count == 0:
        session.rollback()
        raise BadRequestError(f"no class of grade {grade} in the class list", param="grade")
    audit(session, actor, "classroom.import", wave_name, classes=count, grade=grade)
    session.commit()
    return count


def grant_school(
    session: Session, wave_name: str, username: str, school_id: str, role: str, *, actor: str
) -> None:
    """Make ``username`` the proctor or principal of a school on a wave (audited)."""
    if role not in SCHOOL_ROLES:
        raise BadRequestError("role must be proctor or principal", param="role", got=role[:32])
    begin_write(session)
    wave = get_wave(session, wave_name)
    user = get_user(session, username)
    known = session.scalars(
        select(SchoolClass.id)
        .where(SchoolClass.wave_id == wave.id, SchoolClass.school_id == school_id)
        .limit(1)
    ).first()
    if known is None:
        raise NotFoundError(f"no class of school {school_id!r} in wave {wave_name}", param="school")
    member = session.scalars(
        select(WaveMember).where(WaveMember.wave_id == wave.id, WaveMember.user_id == user.id)
    ).one_or_none()
    if member is None:
        session.add(WaveMember(wave_id=wave.id, user_id=user.id, role=role))
    elif member.role != role:
        raise ConflictError(
            f"{username} already has the role {member.role} on wave {wave_name}",
            param="role",
            hint="use one account per role",
        )
    if (
        session.scalars(
            select(SchoolAccess).where(
                SchoolAccess.wave_id == wave.id,
                SchoolAccess.user_id == user.id,
                SchoolAccess.school_id == school_id,
            )
        ).one_or_none()
        is None
    ):
        session.add(SchoolAccess(wave_id=wave.id, user_id=user.id, school_id=school_id))
    audit(session, actor, "classroom.grant", wave_name, user=username, school=school_id, role=role)
    session.commit()


def allowed_schools(session: Session, user: User, wave: Wave) -> set[str] | None:
    """The schools ``user`` acts for on ``wave`` (None: every school; empty: none).

    Admins and statisticians act for every school; proctors and principals for their
    :class:`~survey.models.SchoolAccess` rows; anyone else for none.
    """
    role = wave_role(session, user, wave)
    if role in ALL_SCHOOLS_ROLES:
        return None
    if role not in SCHOOL_ROLES:
        return set()
    return set(
        session.scalars(
            select(SchoolAccess.school_id).where(
                SchoolAccess.wave_id == wave.id, SchoolAccess.user_id == user.id
            )
        ).all()
    )


def check_school(session: Session, user: User, wave: Wave, school_id: str) -> None:
    """NotFoundError unless ``user`` acts for ``school_id`` on ``wave`` (the same answer as
    for a class that does not exist)."""
    schools = allowed_schools(session, user, wave)
    if schools is not None and school_id not in schools:
        # the same answer as for a class that does not exist: nothing to learn by probing
        raise NotFoundError("no such class or session", param="class", ui="err_class_not_found")


# -- sessions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassView:
    """A class with its sessions, for the proctor's list."""

    id: int
    class_id: str
    grade: str
    school_id: str
    school_name: str
    class_number: int
    expected_students: int
    sessions: tuple[tuple[int, str, str], ...]  # (id, code, effective status)


def effective_status(cs: ClassSession, at: datetime | None = None) -> str:
    """``open``, ``locked`` or ``closed`` (a session past its time limit is closed)."""
    if cs.status == "closed" or (at or now_utc()) >= cs.closes_at:
        return "closed"
    return cs.status


def classes_for(session: Session, user: User, wave: Wave) -> list[ClassView]:
    """The wave's classes of the schools ``user`` acts for, with their sessions."""
    schools = allowed_schools(session, user, wave)
    stmt = select(SchoolClass).where(SchoolClass.wave_id == wave.id)
    if schools is not None:
        stmt = stmt.where(SchoolClass.school_id.in_(sorted(schools)))
    classes = session.scalars(stmt.order_by(SchoolClass.school_id, SchoolClass.class_number)).all()
    sessions: dict[int, list[tuple[int, str, str]]] = {}
    ids = [c.id for c in classes]
    if ids:
        for cs in session.scalars(
            select(ClassSession)
            .where(ClassSession.school_class_id.in_(ids))
            .order_by(ClassSession.id)
        ):
            sessions.setdefault(cs.school_class_id, []).append(
                (cs.id, cs.code, effective_status(cs))
            )
    return [
        ClassView(
            c.id,
            c.class_id,
            c.grade,
            c.school_id,
            c.school_name or c.school_id,
            c.class_number,
            c.expected_students,
            tuple(sessions.get(c.id, ())),
        )
        for c in classes
    ]


def _new_code(session: Session) -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if (
            session.scalars(select(ClassSession.id).where(ClassSession.code == code)).first()
            is None
        ):
            return code
    raise ConflictError("could not find a free session code", param="code")  # pragma: no cover


def open_session(
    session: Session, user: User, wave_name: str, class_pk: int, seats: int, minutes: int
) -> ClassSession:
    """Open a session for a class: a new code, ``seats`` seats and a time limit (audited).

    Raises:
        NotFoundError: no such class, or not one of the user's schools.
        ClosedError/BadRequestError: the wave is not open; seats or minutes out of range.
        ConflictError: the class has a session that is still open.
    """
    if not 1 <= seats <= MAX_SEATS:
        raise BadRequestError(
            "seats must be 1..80",
            param="seats",
            got=seats,
            ui="err_seats_range",
            ui_params={"max": MAX_SEATS},
        )
    if not MINUTES[0] <= minutes <= MINUTES[1]:
        raise BadRequestError(
            "minutes must be 5..180",
            param="minutes",
            got=minutes,
            ui="err_minutes_range",
            ui_params={"lo": MINUTES[0], "hi": MINUTES[1]},
        )
    begin_write(session)
    wave = get_wave(session, wave_name)
    cls = session.get(SchoolClass, class_pk)
    if cls is None or cls.wave_id != wave.id:
        raise NotFoundError("no such class or session", param="class", ui="err_class_not_found")
    check_school(session, user, wave, cls.school_id)
    if not wave_is_open(wave):
        raise BadRequestError("the wave is not open", param="wave", ui="closed_body")
    for other in session.scalars(
        select(ClassSession).where(ClassSession.school_class_id == cls.id)
    ):
        if effective_status(other) != "closed":
            raise ConflictError(
                "this class has a session that is still open",
                param="class",
                ui="err_session_running",
            )
    now = now_utc()
    cs = ClassSession(
        wave_id=wave.id,
        school_class_id=cls.id,
        code=_new_code(session),
        seats=seats,
        minutes=minutes,
        status="open",
        opened_by=user.id,
        opened_at=now,
        closes_at=now + timedelta(minutes=minutes),
    )
    session.add(cs)
    session.flush()
    session.add_all(SessionSeat(session_id=cs.id, seat=k) for k in range(1, seats + 1))
    audit(
        session,
        user.username,
        "classroom.open",
        wave_name,
        class_id=cls.class_id,
        session_id=cs.id,
        seats=seats,
        minutes=minutes,
    )
    session.commit()
    return cs


def get_class_session(
    session: Session, user: User, wave_name: str, session_id: int
) -> ClassSession:
    """A session of the wave that ``user`` may run (404 otherwise: wrong wave or school)."""
    wave = get_wave(session, wave_name)
    cs = session.get(ClassSession, session_id)
    if cs is None or cs.wave_id != wave.id:
        raise NotFoundError("no such class or session", param="session", ui="err_class_not_found")
    check_school(session, user, wave, cs.school_class.school_id)
    return cs


@dataclass(frozen=True)
class SeatView:
    """What the proctor sees of a seat: its number and state (never an answer)."""

    seat: int
    state: str  # pending, joined, answering, complete, released, absent, refused, timeout
    page: int = 0
    pages: int = 0


def seat_board(session: Session, cs: ClassSession) -> list[SeatView]:
    """Every seat of a session with its current state and progress."""
    rows = session.execute(
        select(
            SessionSeat.seat, SessionSeat.status, Response.status, Response.page, Response.wave_id
        )
        .outerjoin(Response, Response.invitation_id == SessionSeat.invitation_id)
        .where(SessionSeat.session_id == cs.id)
        .order_by(SessionSeat.seat)
    ).all()
    wave = session.get(Wave, cs.wave_id)
    q = questionnaire_of(wave.questionnaire_version) if wave is not None else None
    sections = [s.id for s in q.sections] if q is not None else []
    out = []
    for seat, status, resp_status, page, _ in rows:
        if status in ("joined",) and resp_status is ResponseStatus.COMPLETE:
            out.append(SeatView(seat, "complete"))
        elif status == "joined" and resp_status is not None:
            k = sections.index(page) + 1 if page in sections else 0
            out.append(SeatView(seat, "answering", k, len(sections)))
        else:
            out.append(SeatView(seat, status))
    return out


def _seat_invitations(
    session: Session, cs: ClassSession
) -> list[tuple[SessionSeat, Invitation | None]]:
    seats = session.scalars(
        select(SessionSeat)
        .where(SessionSeat.session_id == cs.id)
        .order_by(SessionSeat.seat)
        .with_for_update()
    ).all()
    ids = [s.invitation_id for s in seats if s.invitation_id is not None]
    invs = (
        {i.id: i for i in session.scalars(select(Invitation).where(Invitation.id.in_(ids)))}
        if ids
        else {}
    )
    return [(s, invs.get(s.invitation_id) if s.invitation_id else None) for s in seats]


def _stop_answering(inv: Invitation, at: datetime) -> None:
    inv.attributes = {**(inv.attributes or {}), "deadline": at.isoformat()}


def finish_session(
    session: Session, cs: ClassSession, *, actor: str, at: datetime | None = None
) -> None:
    """Close a session: unjoined seats absent, unfinished ones timed out, answering stops.

    Idempotent; called by the proctor's "close" and for sessions past their time limit.
    """
    begin_write(session)
    # lock the session row only (its class is eager-loaded with an outer join, which
    # PostgreSQL cannot lock)
    cs = session.scalars(
        select(ClassSession).where(ClassSession.id == cs.id).with_for_update(of=ClassSession)
    ).one()
    if cs.status == "closed":
        session.rollback()
        return
    at = min(at or now_utc(), cs.closes_at)
    wave = session.get(Wave, cs.wave_id)
    tested = (
        {i.id for i in questionnaire_of(wave.questionnaire_version).scored_items} if wave else set()
    )
    responses = session.execute(
        select(Response.invitation_id, Response.status, Response.answers)
        .join(SessionSeat, SessionSeat.invitation_id == Response.invitation_id)
        .where(SessionSeat.session_id == cs.id)
    ).all()
    complete = {i for i, status, _ in responses if status is ResponseStatus.COMPLETE}
    # a student out of time counts when they answered at least one test question
    answered = {i for i, _, answers in responses if tested & set(answers or {})}
    for seat, inv in _seat_invitations(session, cs):
        if seat.status in ("pending", "released") and inv is None:
            seat.status = "absent"
        elif inv is not None and seat.status in ("joined", "released"):
            if inv.id in complete:
                seat.status = "complete"
            elif inv.id in answered:
                seat.status = "timeout"
            else:  # joined, but never agreed to start
                seat.status = "refused"
            _stop_answering(inv, at)
    cs.status = "closed"
    cs.closed_at = at
    audit(session, actor, "classroom.close", str(cs.id), code=cs.code)
    session.commit()


def finish_expired(session: Session, wave: Wave) -> int:
    """Close every session of the wave that is past its time limit; returns how many."""
    now = now_utc()
    expired = session.scalars(
        select(ClassSession).where(
            ClassSession.wave_id == wave.id,
            ClassSession.status != "closed",
            ClassSession.closes_at <= now,
        )
    ).all()
    session.rollback()
    for cs in expired:
        finish_session(session, cs, actor="system:time-limit", at=cs.closes_at)
    return len(expired)


def lock_session(session: Session, cs: ClassSession, *, actor: str) -> None:
    """Stop new joins (students already in go on answering)."""
    begin_write(session)
    if effective_status(cs) == "open":
        cs.status = "locked"
        audit(session, actor, "classroom.lock", str(cs.id))
    session.commit()


def mark_seats(
    session: Session, cs: ClassSession, seats: Sequence[int], action: str, *, actor: str
) -> int:
    """Mark not-yet-joined seats ``absent``/``refused``/``pending``, or ``release`` joined seats.

    Releasing gives the seat's invitation a new token: the old browser's link stops
    working and the student continues, answers kept, after joining again with the
    code and seat number on another computer. Returns the seats changed.
    """
    if action not in ("absent", "refused", "pending", "release"):
        raise BadRequestError("unknown seat action", param="action", got=action[:16])
    if effective_status(cs) == "closed":
        raise BadRequestError("the session is closed", param="session", ui="err_session_closed")
    begin_write(session)
    wanted = {int(s) for s in seats}
    changed = 0
    for seat, inv in _seat_invitations(session, cs):
        if seat.seat not in wanted:
            continue
        if action == "release":
            if inv is not None and seat.status == "joined":
                inv.token = new_token()
                seat.status = "released"
                changed += 1
        elif inv is None and seat.status in ("pending", "absent", "refused"):
            seat.status = action
            changed += 1
    audit(
        session,
        actor,
        f"classroom.seat_{action}",
        str(cs.id),
        seats=sorted(wanted),
        changed=changed,
    )
    session.commit()
    return changed
