"""Invitation status, resending and reminder lists (services; views in :mod:`survey.staff`).

An invitation's status is the furthest step it reached (:func:`invitation_status`):

* ``created`` - the link exists but was never handed out;
* ``sent`` - handed out: the links CSV, the QR sheets or a reminder list was downloaded
  (``sent_at``, the first time; a reminder list marks only the invitations it lists);
* ``opened`` - the respondent opened the link (the consent page; ``opened_at``, the first
  time; not recorded in anonymous waves);
* ``started`` - a response exists (``Response.started_at``);
* ``completed`` - the response is complete (``Response.completed_at``).

Resending (LimeSurvey's "reminder", KoboToolbox has none) keeps the same link by default:
the link is the respondent's way back to the answers already given, and the printed QR
code stays valid. A new link is for a link that went astray (forwarded, posted): the old
one stops working at once, the answers given so far stay with the invitation. Both count
a reminder (``reminders``, ``reminded_at``) and are audit-logged.

Reminders (the list and "record a reminder for everyone") are for the invitations that
respondents fill in themselves (:data:`REMINDED_MODES`: web) and have not completed. A
face-to-face or telephone case is visited or called by its interviewer (its visits are
recorded on the case page), a classroom session is run by its teacher: a reminder link
is not their way in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from kesu.i18n import tr
from kesu.tables import iter_csv_bytes
from survey.browse import Page
from survey.browse import local_time
from survey.browse import make_page
from survey.csvsafe import spreadsheet_safe
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.models import now_utc
from survey.services import audit
from survey.services import new_token
from survey.services import questionnaire_of
from survey.services import refuse_if_anonymous

logger = logging.getLogger(__name__)

#: the steps of an invitation, in order
INVITATION_STATUSES = ("created", "sent", "opened", "started", "completed")
#: the modes whose invitations get reminders: respondents answer by the link themselves
REMINDED_MODES = ("web",)


def invitation_status(
    sent_at: datetime | None, opened_at: datetime | None, response_status: str | None
) -> str:
    """The furthest step an invitation reached (see the module docstring)."""
    if response_status == ResponseStatus.COMPLETE.value:
        return "completed"
    if response_status:
        return "started"
    if opened_at is not None:
        return "opened"
    if sent_at is not None:
        return "sent"
    return "created"


def _status_condition(status: str) -> ColumnElement[bool]:
    complete = Response.status == ResponseStatus.COMPLETE
    if status == "completed":
        return complete
    if status == "started":
        return and_(Response.id.is_not(None), ~complete)
    no_response = Response.id.is_(None)
    if status == "opened":
        return and_(no_response, Invitation.opened_at.is_not(None))
    if status == "sent":
        return and_(no_response, Invitation.opened_at.is_(None), Invitation.sent_at.is_not(None))
    if status == "created":
        return and_(no_response, Invitation.opened_at.is_(None), Invitation.sent_at.is_(None))
    if status == "pending":  # not completed
        return or_(no_response, ~complete)
    raise BadRequestError(f"unknown invitation status {status[:20]!r}", param="status",
                          got=status[:20], expected=(*INVITATION_STATUSES, "pending"),
                          ui="err_browse_filter",
                          ui_params={"param": "status", "value": status[:20]})  # fmt: skip


@dataclass(frozen=True)
class InvitationRow:
    """One invitation with its status and the times of each step."""

    id: int
    household_id: str
    town: str
    mode: str
    interviewer: str
    token: str
    status: str
    created_at: datetime | None
    sent_at: datetime | None
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    reminders: int
    reminded_at: datetime | None
    response_id: int | None

    @property
    def status_at(self) -> datetime | None:
        """When the invitation reached its status (the list's one time column)."""
        return {
            "created": self.created_at, "sent": self.sent_at, "opened": self.opened_at,
            "started": self.started_at, "completed": self.completed_at,
        }.get(self.status)  # fmt: skip


def _query(wave: Wave) -> Any:
    return (
        select(Invitation.id, Invitation.household_id, Invitation.town, Invitation.mode,
               User.username, Invitation.token, Invitation.created_at, Invitation.sent_at,
               Invitation.opened_at, Invitation.reminders, Invitation.reminded_at,
               Response.id.label("response_id"), Response.status, Response.started_at,
               Response.completed_at)
        .select_from(Invitation)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False))
    )  # fmt: skip


def _row(r: Any) -> InvitationRow:
    status = r.status.value if r.status is not None else None
    return InvitationRow(
        id=r.id, household_id=r.household_id or str(r.id), town=r.town or "", mode=r.mode,
        interviewer=r.username or "", token=r.token,
        status=invitation_status(r.sent_at, r.opened_at, status), created_at=r.created_at,
        sent_at=r.sent_at, opened_at=r.opened_at, started_at=r.started_at,
        completed_at=r.completed_at, reminders=int(r.reminders or 0),
        reminded_at=r.reminded_at, response_id=r.response_id,
    )  # fmt: skip


def status_counts(session: Session, wave: Wave) -> dict[str, int]:
    """How many of the wave's sample invitations are at each step."""
    counts = dict.fromkeys(INVITATION_STATUSES, 0)
    for status in INVITATION_STATUSES:
        counts[status] = int(
            session.scalar(
                select(func.count())
                .select_from(Invitation)
                .outerjoin(Response, Response.invitation_id == Invitation.id)
                .where(
                    Invitation.wave_id == wave.id,
                    Invitation.open_link.is_(False),
                    _status_condition(status),
                )
            )  # fmt: skip
            or 0
        )
    session.rollback()
    return counts


def list_invitations(
    session: Session,
    wave: Wave,
    status: str,
    number: int,
    size: int,
    *,
    town: str | None = None,
    household: str = "",
) -> tuple[Page, list[InvitationRow]]:
    """A page of the wave's sample invitations (by id), of one status ('' for all), of one
    town (a code) and whose household id contains ``household`` when given."""
    where: list[ColumnElement[bool]] = [_status_condition(status)] if status else []
    if town:
        where.append(Invitation.town == town)
    if household:
        where.append(Invitation.household_id.contains(household, autoescape=True))
    total = session.scalar(
        select(func.count())
        .select_from(Invitation)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False), *where)
    )  # fmt: skip
    page = make_page(number, size, int(total or 0))
    rows = [
        _row(r)
        for r in session.execute(
            _query(wave).where(*where).order_by(Invitation.id).offset(page.offset).limit(size)
        )
    ]
    session.rollback()
    return page, rows


def mark_opened(session: Session, token: str) -> bool:
    """Record the first opening of an invitation link (no-op after the first; committed).
    Returns True when this was the first."""
    begin_write(session)
    result = session.execute(
        update(Invitation)
        .where(Invitation.token == token, Invitation.opened_at.is_(None))
        .values(opened_at=now_utc())
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(session: Session, wave: Wave, ids: Iterable[int] | None = None) -> int:
    """Record that the wave's links (or those of ``ids``) were handed out, where not yet
    recorded (not committed). Returns how many were marked now."""
    stmt = update(Invitation).where(
        Invitation.wave_id == wave.id, Invitation.open_link.is_(False),
        Invitation.sent_at.is_(None),
    )  # fmt: skip
    if ids is not None:
        stmt = stmt.where(Invitation.id.in_(list(ids)))
    result = session.execute(stmt.values(sent_at=now_utc()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def resend(session: Session, wave: Wave, invitation_id: int, *, new_link: bool, actor: str) -> str:
    """Record a reminder for one invitation; with ``new_link`` the invitation gets a new
    token (the old link stops working; answers given stay). Returns the token to send.

    Raises:
        NotFoundError: no such invitation in the wave. BadRequestError: anonymous wave, or
        the invitation is completed already (nothing to remind of).
    """
    refuse_if_anonymous(wave, "resending invitations")
    begin_write(session)
    found = session.execute(
        select(Invitation, Response.status)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.id == invitation_id, Invitation.wave_id == wave.id,
               Invitation.open_link.is_(False))
    ).one_or_none()  # fmt: skip
    if found is None:
        session.rollback()
        raise NotFoundError("no such invitation in this wave", param="invitation",
                            ui="err_inv_unknown")  # fmt: skip
    inv, status = found
    if status is ResponseStatus.COMPLETE:
        session.rollback()
        raise BadRequestError("this invitation is completed", param="invitation",
                              ui="err_inv_completed")  # fmt: skip
    now = now_utc()
    if new_link:
        inv.token = new_token()
    inv.reminders = int(inv.reminders or 0) + 1
    inv.reminded_at = now
    if inv.sent_at is None:
        inv.sent_at = now
    audit(session, actor, "invitation.resend", f"invitation:{inv.id}", new_link=new_link,
          wave=wave.name)  # fmt: skip
    token = inv.token
    session.commit()
    return token


def _to_remind(wave: Wave) -> Any:
    """The ids of the invitations a reminder is for: self-completion (:data:`REMINDED_MODES`),
    not completed."""
    return (
        select(Invitation.id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False),
               Invitation.mode.in_(REMINDED_MODES), _status_condition("pending"))
    )  # fmt: skip


def remind_all(session: Session, wave: Wave, *, actor: str) -> int:
    """Record a reminder (same links) for every self-completion invitation not completed
    (:func:`_to_remind`); returns how many."""
    refuse_if_anonymous(wave, "reminders")
    begin_write(session)
    ids = list(session.scalars(_to_remind(wave)))
    now = now_utc()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(
            update(Invitation).where(Invitation.id.in_(chunk))
            .values(reminders=Invitation.reminders + 1, reminded_at=now)
        )  # fmt: skip
        session.execute(
            update(Invitation).where(Invitation.id.in_(chunk), Invitation.sent_at.is_(None))
            .values(sent_at=now)
        )  # fmt: skip
    audit(session, actor, "wave.remind", wave.name, count=len(ids))
    session.commit()
    return len(ids)


def reminder_text(wave: Wave, link: str, language: str = "zh-CN", *, started: bool = True) -> str:
    """The ready-to-send reminder (SMS or WeChat) for one link, in ``language``: to go on
    (``started``: answers are saved), or to begin."""
    title = questionnaire_of(wave.questionnaire_version).title.get(language)
    key = "inv_reminder_text" if started else "inv_reminder_text_new"
    return tr(language, key, title=title, link=link)


def mark_listed_sent(session: Session, wave: Wave) -> int:
    """Mark the invitations of the reminder list as handed out (:func:`mark_sent`; not
    committed): those the list holds, not the wave's other links."""
    return mark_sent(session, wave, list(session.scalars(_to_remind(wave))))


REMINDER_HEADER = ("household_id", "town", "mode", "interviewer", "status", "sent_at",
                   "opened_at", "started_at", "reminders", "link", "message")  # fmt: skip


def reminder_rows(
    session: Session, wave: Wave, base_url: str, language: str = "zh-CN"
) -> Iterator[list[Any]]:
    """One row per invitation a reminder is for (:func:`_to_remind`): its status, times
    (Beijing), link and the reminder message with the link filled in."""
    base = base_url.rstrip("/")
    rows = session.execute(
        _query(wave).where(Invitation.mode.in_(REMINDED_MODES), _status_condition("pending"))
        .order_by(Invitation.id)
    ).all()  # fmt: skip
    session.rollback()
    for r in rows:
        row = _row(r)
        link = f"{base}/s/{row.token}"
        yield [spreadsheet_safe(row.household_id), spreadsheet_safe(row.town), row.mode,
               row.interviewer, row.status, local_time(row.sent_at), local_time(row.opened_at),
               local_time(row.started_at), row.reminders, link,
               reminder_text(wave, link, language, started=row.status == "started")]  # fmt: skip


def reminder_csv(
    session: Session, wave: Wave, base_url: str, language: str = "zh-CN"
) -> Iterator[bytes]:
    """The reminder list as CSV (UTF-8 with a BOM, :func:`kesu.tables.iter_csv_bytes`)."""
    return iter_csv_bytes(REMINDER_HEADER, reminder_rows(session, wave, base_url, language))
