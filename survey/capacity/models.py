"""Tables of capacity reporting (migration ``0007_capacity``).

A round stores the plan file's text it was opened with (a later edit of the file does
not change an open round). A unit's figures are versions of :class:`CapacitySubmission`:
a draft is edited in place; a returned or accepted version is never changed, editing it
starts a new version (the history is kept). Evidence files live outside ``static/``
under the instance folder, named by a random key; the table keeps their metadata.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from survey.db import Base
from survey.models import CheckedString
from survey.models import CheckedText
from survey.models import UTCDateTime
from survey.models import now_utc


class CapacityRound(Base):
    """A reporting round (e.g. 2025年度, due 2026-01-31)."""

    __tablename__ = "capacity_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(CheckedString(16), default="open")
    plan_file: Mapped[str] = mapped_column(CheckedString(255), default="")
    plan_text: Mapped[str] = mapped_column(CheckedText())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CapacityReporter(Base):
    """A unit reporter's account: the unit it reports for (one unit per account)."""

    __tablename__ = "capacity_reporter"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    unit_code: Mapped[str] = mapped_column(CheckedString(32))


class CapacitySubmission(Base):
    """One version of a unit's figures in a round (``values``: indicator -> value, note,
    confirmed)."""

    __tablename__ = "capacity_submission"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_code", "version", name="uq_capacity_submission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("capacity_round.id"), index=True)
    unit_code: Mapped[str] = mapped_column(CheckedString(32))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(CheckedString(16), default="draft")
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(CheckedString(64))
    reason: Mapped[str] = mapped_column(CheckedText(), default="")


class CapacityEvidence(Base):
    """An evidence file of a unit in a round (stored under the instance folder)."""

    __tablename__ = "capacity_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("capacity_round.id"), index=True)
    unit_code: Mapped[str] = mapped_column(CheckedString(32))
    filename: Mapped[str] = mapped_column(CheckedString(255))
    content_type: Mapped[str] = mapped_column(CheckedString(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(CheckedString(64))
    stored_name: Mapped[str] = mapped_column(CheckedString(64), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    uploaded_by: Mapped[str] = mapped_column(CheckedString(64))
