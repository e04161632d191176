"""Tables of the web survey (SQLAlchemy 2.0 declarative models).

Models only persist data: validation lives in :mod:`survey.answers`, workflows in
:mod:`survey.services`, scoring in :mod:`scoring`. Every schema change needs an Alembic
migration in ``survey/migrations/versions``.
"""

from __future__ import annotations

import enum
import logging
from datetime import UTC
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import event
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.types import TypeDecorator

from survey.db import Base
from survey.errors import BadRequestError
from survey.errors import ConflictError

logger = logging.getLogger(__name__)


#: the survey's local time (Yiwu): times staff type (a wave's opening, a date filter) are
#: read in it and the times staff pages, dashboards and proctors' pages show are given in it;
#: times are stored in UTC (:class:`UTCDateTime`)
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as UTC; always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class CheckedString(TypeDecorator[str]):
    """``String(length)`` that refuses, on SQLite and PostgreSQL alike, what it cannot store.

    PostgreSQL rejects a NUL character and a text longer than the column (a 500 if
    unchecked), SQLite stores both; this type raises :class:`BadRequestError` naming the
    column for either, whether the value is written or compared, so every database and
    every path (web, CLI, bulk insert) answers the same 4xx. SQLAlchemy wraps the error in
    ``StatementError``; :mod:`survey.errors` unwraps it.
    """

    impl = String
    cache_ok = True
    #: ``table.column``, filled in by :func:`_name_checked_columns` (for the message)
    column = ""

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str):
            where = self.column or "a text field"
            if "\x00" in value:
                raise BadRequestError(f"{where}: NUL characters are not allowed", param=where,
                                      ui="err_nul", ui_params={"field": where})  # fmt: skip
            length = getattr(self.impl, "length", None)
            if length is not None and len(value) > length:
                raise BadRequestError(
                    f"{where}: at most {length} characters (got {len(value)})", param=where,
                    ui="err_field_too_long", ui_params={"field": where, "length": length},
                )  # fmt: skip
        return value


class CheckedText(CheckedString):
    """``Text`` without a length limit, refusing NUL characters (see :class:`CheckedString`)."""

    impl = Text
    cache_ok = True


class WaveStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ResponseStatus(enum.StrEnum):
    PARTIAL = "partial"
    COMPLETE = "complete"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class QuestionnaireVersion(Base):
    """The exact bytes of a questionnaire file; immutable once stored."""

    __tablename__ = "questionnaire_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(CheckedString(64))
    version: Mapped[str] = mapped_column(CheckedString(64))
    content_hash: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    #: deferred: loaded only when the parsed questionnaire is not cached yet
    yaml_text: Mapped[str] = mapped_column(CheckedText(), deferred=True)
    source_name: Mapped[str] = mapped_column(CheckedString(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


@event.listens_for(QuestionnaireVersion, "before_update")
def _questionnaire_version_is_immutable(_mapper: Any, _conn: Any, target: Any) -> None:
    raise ConflictError(
        f"questionnaire version {target.content_hash[:12]} is immutable: "
        "store the changed file as a new version instead"
    )


class Wave(Base):
    """One fieldwork round with a frozen questionnaire version."""

    __tablename__ = "wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    status: Mapped[WaveStatus] = mapped_column(_enum(WaveStatus, "wave_status"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    survey_year: Mapped[int] = mapped_column(Integer)
    allow_learn: Mapped[bool] = mapped_column(Boolean, default=True)
    open_recruitment: Mapped[bool] = mapped_column(Boolean, default=False)
    open_token: Mapped[str | None] = mapped_column(CheckedString(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: fieldwork settings (GPS, quality thresholds, targets, door-step rule); see
    #: :data:`survey.fieldwork.WAVE_SETTINGS` for the keys and defaults
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship(lazy="joined")


class Invitation(Base):
    """An invitation link: an unguessable token plus optional sample attributes."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    token: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    stratum: Mapped[str | None] = mapped_column(CheckedString(64))
    psu: Mapped[str | None] = mapped_column(CheckedString(64))
    town: Mapped[str | None] = mapped_column(CheckedString(64))
    mode: Mapped[str] = mapped_column(CheckedString(16), default="web")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    open_link: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: the sampled household (or person) id from the sample file
    household_id: Mapped[str | None] = mapped_column(CheckedString(64), index=True)
    #: the interviewer this case is assigned to (CAPI)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: a final AAPOR disposition set by staff (overrides the derived one unless complete)
    disposition: Mapped[str | None] = mapped_column(CheckedString(16))
    #: when the link was first handed out (links CSV, QR sheet, reminder list; migration 0006)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when the link was first opened (the consent page; not for anonymous waves)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: reminders sent (``survey.invitations.resend``) and the time of the last one
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    wave: Mapped[Wave] = relationship(lazy="joined")


class UnitLink(Base):
    """An open link of one unit of an anonymous wave, with the unit's quota of completes.

    Anyone with the link may answer; nothing ties a response to a person. ``unit`` is
    written into the ``psu`` of the invitations the link creates (the unit is the
    cluster of the design).
    """

    __tablename__ = "unit_link"
    __table_args__ = (UniqueConstraint("wave_id", "unit", name="uq_unit_link_wave_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    token: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    unit: Mapped[str] = mapped_column(CheckedString(64))
    label: Mapped[str] = mapped_column(CheckedString(128), default="")
    #: completes accepted from this link; new starts are refused once it is reached
    quota: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    wave: Mapped[Wave] = relationship(lazy="joined")


class Response(Base):
    """One respondent's answers to one invitation (at most one response per invitation)."""

    __tablename__ = "response"
    __table_args__ = (Index("ix_response_wave_status", "wave_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    status: Mapped[ResponseStatus] = mapped_column(_enum(ResponseStatus, "response_status"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(CheckedString(16), default="web")
    language: Mapped[str] = mapped_column(CheckedString(16), default="zh-CN")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    paradata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    page: Mapped[str] = mapped_column(CheckedString(64), default="")
    #: bumped by every accepted save; a form carries the revision it was rendered at, so a
    #: replayed or double-clicked submission (an older revision) changes nothing
    revision: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)
    #: CAPI: the interviewer who conducted the interview
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: a random id kept in a cookie of the respondent's browser (duplicate detection)
    device_id: Mapped[str | None] = mapped_column(CheckedString(64))
    #: seconds spent on the pages (sum of the page times), set on completion
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    #: SHA-256 of the substantive answers, set on completion (duplicate detection)
    answers_hash: Mapped[str | None] = mapped_column(CheckedString(64))
    #: a statistician's decision: '' (none), 'accepted' or 'rejected'
    review: Mapped[str] = mapped_column(CheckedString(16), default="")
    review_reason: Mapped[str | None] = mapped_column(CheckedText())
    reviewed_by: Mapped[str | None] = mapped_column(CheckedString(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# the quality facts of a wave (survey.monitoring.quality_context) read these two without
# touching the wide rows: the duplicated answer patterns and the median duration
Index("ix_response_wave_status_hash", Response.wave_id, Response.status, Response.answers_hash)
Index(
    "ix_response_wave_status_duration",
    Response.wave_id,
    Response.status,
    Response.duration_seconds,
)
Index("ix_response_wave_device", Response.wave_id, Response.device_id)

#: roles a user can have; ``admin`` may do everything on every wave; ``proctor`` (a
#: teacher running classroom sessions) and ``principal`` (their school's results) act only
#: for the schools of their :class:`SchoolAccess` rows; ``reporter`` (a member unit's
#: capacity reporter) sees only its own unit's figures (``survey.capacity``)
ROLES = ("admin", "statistician", "interviewer", "viewer", "proctor", "principal", "reporter")


class User(Base):
    """A staff account; ``role`` is the default role (admin: every wave)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    password_hash: Mapped[str] = mapped_column(CheckedString(255))
    role: Mapped[str] = mapped_column(CheckedString(16), default="admin")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class StaffSession(Base):
    """A staff login, revocable on the server (logout, password change, ``kesu user disable``).

    The signed cookie holds a random key; only its SHA-256 is stored, so a copy of the
    database opens no session. A request is logged in only while its row is neither
    revoked nor expired (``survey.auth.load_user``).
    """

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    key_hash: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why it ended: logout, password, disabled, ...
    revoked_reason: Mapped[str | None] = mapped_column(CheckedString(32))


class LoginFailure(Base):
    """Consecutive failed logins for one username (known or not), for the per-account
    slowdown (``survey.services.authenticate``); keyed by the SHA-256 of the casefolded
    name, so a mistyped password in the name field is not stored."""

    __tablename__ = "login_failure"

    key_hash: Mapped[str] = mapped_column(CheckedString(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class AuditLog(Base):
    """One administrative action: who did what to which object, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    actor: Mapped[str] = mapped_column(CheckedString(64))
    action: Mapped[str] = mapped_column(CheckedString(64))
    target: Mapped[str] = mapped_column(CheckedString(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WaveMember(Base):
    """A user's role on one wave (non-admins see only the waves they are members of)."""

    __tablename__ = "wave_member"
    __table_args__ = (UniqueConstraint("wave_id", "user_id", name="uq_wave_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    role: Mapped[str] = mapped_column(CheckedString(16))


class ApiToken(Base):
    """A read-only API token; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    label: Mapped[str] = mapped_column(CheckedString(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ContactAttempt(Base):
    """One visit, call or reminder to a sampled case, with its AAPOR disposition code."""

    __tablename__ = "contact_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    disposition: Mapped[str] = mapped_column(CheckedString(16))
    note: Mapped[str] = mapped_column(CheckedString(200), default="")


class HouseholdRoster(Base):
    """The door-step roster and the respondent selected from it (one per household).

    ``members`` holds only what the selection needs: a nickname or initials, sex, age
    (and birthday month-day for the next-birthday rule); ``prob3`` = 1 / eligible.
    """

    __tablename__ = "household_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    method: Mapped[str] = mapped_column(CheckedString(16))
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    selected: Mapped[str] = mapped_column(CheckedString(64))
    eligible: Mapped[int] = mapped_column(Integer)
    prob3: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class OfflineSubmission(Base):
    """An interview uploaded from a tablet's outbox (survey/offline.py), once per instance id.

    The device names each interview with a random ``instance_id``; a replay of the same
    id gets the stored answer (``http_status`` and ``result``) and changes nothing.
    """

    __tablename__ = "offline_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: 'processing', 'sent' or 'refused'
    status: Mapped[str] = mapped_column(CheckedString(16))
    http_status: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# -- youth monitoring in schools (survey/classroom.py) -------------------------------------------
class SchoolClass(Base):
    """A sampled class of a wave (one row of the class list of ``kesu sample draw``).

    Holds the design columns the weights need; never a student's name (students are
    known only by class and seat number).
    """

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("wave_id", "class_id", name="uq_school_class"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    class_id: Mapped[str] = mapped_column(String(64))
    grade: Mapped[str] = mapped_column(String(8))
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    school_name: Mapped[str] = mapped_column(String(128), default="")
    school_type: Mapped[str] = mapped_column(String(32), default="")
    town: Mapped[str] = mapped_column(String(64), default="")
    stratum: Mapped[str] = mapped_column(String(64), default="")
    class_number: Mapped[int] = mapped_column(Integer, default=0)
    expected_students: Mapped[int] = mapped_column(Integer, default=0)
    #: the class list's design columns (prob1, prob2, prob3, class_weight, var_stratum, var_psu)
    design: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClassSession(Base):
    """A proctored classroom session of one class: a short join code and a time limit.

    ``status``: ``open`` (students may join), ``locked`` (answering, no new joins),
    ``closed`` (over: unjoined seats absent, unfinished ones timed out).
    """

    __tablename__ = "class_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    seats: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    school_class: Mapped[SchoolClass] = relationship(lazy="joined")


class SessionSeat(Base):
    """One seat of a session: who sat there is never recorded, only what happened.

    ``status``: ``pending`` (not joined), ``joined``, ``released`` (the proctor freed the
    seat so its student can continue on another computer), ``absent``, ``refused``,
    ``complete`` or ``timeout`` (final statuses are written when the session closes).
    """

    __tablename__ = "session_seat"
    __table_args__ = (UniqueConstraint("session_id", "seat", name="uq_session_seat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_session.id"), index=True)
    seat: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SchoolAccess(Base):
    """A proctor's or principal's school on a wave (they act for no other school)."""

    __tablename__ = "school_access"
    __table_args__ = (UniqueConstraint("wave_id", "user_id", "school_id", name="uq_school_access"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    school_id: Mapped[str] = mapped_column(String(64))


class SchoolSheet(Base):
    """A school's feedback sheet (PDF) for one wave, for that school's principal only."""

    __tablename__ = "school_sheet"
    __table_args__ = (UniqueConstraint("wave_id", "school_id", name="uq_school_sheet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    school_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def _name_checked_columns() -> None:
    """Give every :class:`CheckedString` its ``table.column`` name (for error messages)."""
    for table in Base.metadata.tables.values():
        for col in table.columns:
            if isinstance(col.type, CheckedString):
                col.type.column = f"{table.name}.{col.name}"


from survey.capacity import models as _capacity_models  # noqa: E402  (tables of survey.capacity)

_name_checked_columns()
assert _capacity_models
