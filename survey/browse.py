"""The response browser: filters, pages, one response with the questionnaire's labels,
and the filter of the filtered exports (services; the views are in :mod:`survey.staff`).

A filter (:class:`ResponseFilter`) is read from a request's query string by
:func:`parse_filter`: every value must be one of the choices the page offers (an unknown
town, interviewer, status, flag, mode or review, or a date that is not ``YYYY-MM-DD``, is
a :class:`~survey.errors.BadRequestError` naming the parameter). Dates are days in
Beijing time (``Asia/Shanghai``, the survey's local time) and bound the response's start.
The quality flags are computed, not stored (:mod:`survey.quality`): a flag filter keeps
complete responses only and is applied after the SQL conditions, the way the exports
compute the flags; everything else is a SQL condition on the export's own join
(response - invitation - interviewer), so the browser and the download agree row for row.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.i18n import tr
from questionnaires import Questionnaire
from questionnaires.model import Item
from questionnaires.model import ItemType
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.models import LOCAL_TIME
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.monitoring import quality_context
from survey.quality import FLAG_NAMES
from survey.quality import WaveQuality
from survey.quality import flags_for
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

#: rows per page a list offers (``?per=``); the first is the default
PAGE_SIZES = (50, 20, 100, 200)
#: the highest page number accepted (beyond the last page a list shows the last one)
MAX_PAGE = 1_000_000
STATUSES = tuple(s.value for s in ResponseStatus)
REVIEWS = ("none", "accepted", "rejected")
MODES = ("web", "capi", "cati", "paper", "class")
#: ``any``: at least one flag, or a review decision (the monitor's "flagged" list)
FLAGS = ("any", *FLAG_NAMES)
FILTER_KEYS = ("status", "town", "interviewer", "flag", "mode", "review", "from", "to")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ResponseFilter:
    """Which responses of a wave a list or a download holds ('' / None: any).

    ``own_user_id`` is never read from a request: it restricts an interviewer to the
    cases assigned to them or interviewed by them.
    """

    status: str = ""
    town: str = ""
    interviewer: str = ""
    flag: str = ""
    mode: str = ""
    review: str = ""
    date_from: date | None = None
    date_to: date | None = None
    own_user_id: int | None = None

    def conditions(self, wave_id: int | None) -> list[ColumnElement[bool]]:
        """SQL conditions over ``Response`` joined to ``Invitation`` and outer-joined to
        the invitation's interviewer (``User``), as :func:`survey.export.export_rows` does;
        ``wave_id`` None: the caller selects the wave (the filter's conditions only)."""
        out: list[ColumnElement[bool]] = [] if wave_id is None else [Response.wave_id == wave_id]
        if self.flag:
            out.append(Response.status == ResponseStatus.COMPLETE)
        if self.status:
            out.append(Response.status == ResponseStatus(self.status))
        if self.town:
            out.append(Invitation.town == self.town)
        if self.interviewer:
            out.append(User.username == self.interviewer)
        if self.mode:
            out.append(Response.mode == self.mode)
        if self.review == "none":
            out.append(or_(Response.review == "", Response.review.is_(None)))
        elif self.review:
            out.append(Response.review == self.review)
        if self.date_from is not None:
            out.append(Response.started_at >= local_day_start(self.date_from))
        if self.date_to is not None:
            out.append(Response.started_at < local_day_start(self.date_to + timedelta(days=1)))
        if self.own_user_id is not None:
            uid = self.own_user_id
            out.append(or_(Invitation.interviewer_id == uid, Response.interviewer_id == uid))
        return out

    def args(self) -> dict[str, str]:
        """The query-string arguments that give this filter back (empty ones left out)."""
        values = {
            "status": self.status, "town": self.town, "interviewer": self.interviewer,
            "flag": self.flag, "mode": self.mode, "review": self.review,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }  # fmt: skip
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.args())

    def describe(self) -> str:
        """The filter for a file name: ``status-complete_town-fotang_from-2026-01-01``
        (``all`` without a filter); ASCII letters, digits, ``-`` and ``_`` only."""
        parts = [f"{k}-{v}" for k, v in self.args().items()]
        text = "_".join(parts) or "all"
        return re.sub(r"[^A-Za-z0-9_-]+", "-", text)[:120]


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in Beijing time, as UTC."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TIME).astimezone(UTC)


def local_time(value: datetime | None, day_only: bool = False) -> str:
    """``YYYY-MM-DD HH:MM`` in Beijing time ('' for None): how staff lists show times;
    ``day_only`` (an anonymous wave's times, kept to their UTC day): ``YYYY-MM-DD``, that
    day, not a midnight shown as 08:00."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if day_only:
        return value.astimezone(UTC).strftime("%Y-%m-%d")
    return value.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class FilterChoices:
    """What a wave's filters may take (the page's select lists)."""

    towns: dict[str, str]  # code -> label
    interviewers: tuple[str, ...]


def filter_choices(session: Session, wave: Wave, language: str = "zh-CN") -> FilterChoices:
    """The towns (the questionnaire's list, plus any other town code the sample holds)
    and the interviewers with cases in the wave."""
    q = questionnaire_of(wave.questionnaire_version)
    town_item = q.items_by_concept().get("town")
    towns = {o.code: o.label.get(language) for o in town_item.options} if town_item else {}
    for code in session.scalars(
        select(Invitation.town).where(Invitation.wave_id == wave.id).distinct()
    ):
        if code and code not in towns:
            towns[code] = code
    names = session.scalars(
        select(User.username)
        .where(
            or_(
                User.id.in_(select(Invitation.interviewer_id).where(Invitation.wave_id == wave.id)),
                User.id.in_(select(Response.interviewer_id).where(Response.wave_id == wave.id)),
            )
        )
        .order_by(User.username)
    ).all()
    session.rollback()
    return FilterChoices(towns, tuple(names))


def _choice(args: Mapping[str, str], key: str, allowed: Sequence[str]) -> str:
    value = str(args.get(key, "") or "").strip()
    if value and value not in allowed:
        raise BadRequestError(f"unknown {key} {value[:40]!r}", param=key, got=value[:40],
                              expected=tuple(allowed)[:30], ui="err_browse_filter",
                              ui_params={"param": key, "value": value[:40]})  # fmt: skip
    return value


def _day(args: Mapping[str, str], key: str) -> date | None:
    value = str(args.get(key, "") or "").strip()
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequestError(f"{key} is a date YYYY-MM-DD", param=key, got=value[:20],
                              ui=f"err_browse_date_{key}") from None  # fmt: skip


def parse_filter(
    args: Mapping[str, str], choices: FilterChoices, *, own_user_id: int | None = None
) -> ResponseFilter:
    """The filter of a query string. Raises BadRequestError for a value not offered."""
    flt = ResponseFilter(
        status=_choice(args, "status", STATUSES),
        town=_choice(args, "town", tuple(choices.towns)),
        interviewer=_choice(args, "interviewer", choices.interviewers),
        flag=_choice(args, "flag", FLAGS),
        mode=_choice(args, "mode", MODES),
        review=_choice(args, "review", REVIEWS),
        date_from=_day(args, "from"),
        date_to=_day(args, "to"),
        own_user_id=own_user_id,
    )
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        raise BadRequestError("from is after to", param="from", ui="err_browse_dates")
    return flt


# -- pages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """One page of a list: ``number`` from 1, ``size`` rows, ``total`` rows in all."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)


def parse_page(args: Mapping[str, str]) -> tuple[int, int]:
    """``(page, per)`` of a query string: page a whole number from 1 (default 1), per one
    of :data:`PAGE_SIZES` (default the first). Raises BadRequestError otherwise."""
    raw = str(args.get("page", "") or "1").strip()
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequestError("page is a whole number from 1", param="page", got=raw[:20],
                              ui="err_browse_page")  # fmt: skip
    per_raw = str(args.get("per", "") or PAGE_SIZES[0]).strip()
    if not per_raw.isdecimal() or int(per_raw) not in PAGE_SIZES:
        sizes = ", ".join(map(str, sorted(PAGE_SIZES)))
        raise BadRequestError("per is a page size offered", param="per", got=per_raw[:20],
                              expected=PAGE_SIZES, ui="err_browse_per",
                              ui_params={"sizes": sizes})  # fmt: skip
    return int(raw), int(per_raw)


def make_page(number: int, size: int, total: int) -> Page:
    """The page ``number`` of ``total`` rows, moved to the last page when beyond it."""
    last = max(1, math.ceil(total / size))
    return Page(min(number, last), size, total)


# -- the list ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResponseRow:
    """One line of the response browser."""

    id: int
    status: str
    mode: str
    household_id: str
    town: str
    interviewer: str
    started_at: datetime | None
    updated_at: datetime | None
    completed_at: datetime | None
    minutes: float
    review: str
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(name for name, on in self.flags.items() if on)


def _base_query(columns: Sequence[Any]) -> Any:
    return (
        select(*columns)
        .select_from(Response)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .outerjoin(User, Invitation.interviewer_id == User.id)
    )


def flag_match(flag: str, flags: Mapping[str, int], review: str) -> bool:
    """Whether a complete response's ``flags`` (and review) pass the flag filter ``flag``."""
    if flag == "any":
        return any(flags.values()) or bool(review)
    return bool(flags.get(flag))


def _flags_of(
    q: Questionnaire, context: WaveQuality, answers: Any, duration: float | None,
    device: str | None, digest: str | None, mode: str,
) -> dict[str, int]:  # fmt: skip
    return flags_for(q, dict(answers or {}), duration=duration, device_id=device,
                     answer_hash=digest, mode=mode, context=context)  # fmt: skip


def flagged_ids(
    session: Session, wave: Wave, flt: ResponseFilter, context: WaveQuality | None = None
) -> list[int]:
    """Ids (ascending) of the responses passing ``flt`` including its flag (streamed)."""
    q = questionnaire_of(wave.questionnaire_version)
    context = context or quality_context(session, wave)
    stmt = (
        _base_query([Response.id, Response.answers, Response.duration_seconds,
                     Response.device_id, Response.answers_hash, Response.mode, Response.review])
        .where(*flt.conditions(wave.id))
        .order_by(Response.id)
        .execution_options(yield_per=2000)
    )  # fmt: skip
    out = []
    for rid, answers, duration, device, digest, mode, review in session.execute(stmt):
        flags = _flags_of(q, context, answers, duration, device, digest, mode)
        if flag_match(flt.flag, flags, review or ""):
            out.append(rid)
    session.rollback()
    return out


def list_responses(
    session: Session, wave: Wave, flt: ResponseFilter, number: int, size: int
) -> tuple[Page, list[ResponseRow]]:
    """The page ``number`` (``size`` rows, by id, highest first: the last to be stored first,
    which for an interview synced from a tablet is not the last to start) of the responses
    passing ``flt``, with their quality flags."""
    context = quality_context(session, wave)
    if flt.flag:
        ids = flagged_ids(session, wave, flt, context)[::-1]
        page = make_page(number, size, len(ids))
        wanted = ids[page.offset : page.offset + size]
        where: list[ColumnElement[bool]] = [Response.id.in_(wanted or [-1])]
    else:
        total = session.scalar(_base_query([func.count()]).where(*flt.conditions(wave.id))) or 0
        page = make_page(number, size, int(total))
        where = flt.conditions(wave.id)
    stmt = (
        _base_query([Response.id, Response.status, Response.mode, Invitation.household_id,
                     Invitation.town, User.username, Response.started_at, Response.updated_at,
                     Response.completed_at, Response.duration_seconds, Response.review,
                     Response.answers, Response.device_id, Response.answers_hash])
        .where(*where)
        .order_by(Response.id.desc())
    )  # fmt: skip
    if not flt.flag:
        stmt = stmt.offset(page.offset).limit(size)
    q = questionnaire_of(wave.questionnaire_version)
    rows = []
    for r in session.execute(stmt):
        complete = r.status is ResponseStatus.COMPLETE
        flags = (
            _flags_of(q, context, r.answers, r.duration_seconds, r.device_id, r.answers_hash,
                      r.mode) if complete else {}
        )  # fmt: skip
        rows.append(
            ResponseRow(
                id=r.id, status=r.status.value, mode=r.mode, household_id=r.household_id or "",
                town=r.town or "", interviewer=r.username or "", started_at=r.started_at,
                updated_at=r.updated_at, completed_at=r.completed_at,
                minutes=r.duration_seconds / 60 if r.duration_seconds is not None else math.nan,
                review=r.review or "", flags=flags,
            )
        )  # fmt: skip
    session.rollback()
    return page, rows


# -- one response ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnswerLine:
    """One answered (or unanswered) variable with the question and option labels."""

    variable: str
    question: str
    answer: str
    code: str
    answered: bool


@dataclass(frozen=True)
class ReviewEvent:
    at: datetime
    actor: str
    action: str
    reason: str


@dataclass(frozen=True)
class ResponseDetail:
    """Everything the page of one response shows."""

    row: ResponseRow
    language: str
    answers: list[AnswerLine]
    #: the score sheet as (label, value) lines in the page's language (:func:`score_lines`)
    score_lines: list[tuple[str, str]]
    paradata: dict[str, Any]
    review_reason: str
    reviewed_by: str
    reviewed_at: datetime | None
    history: list[ReviewEvent]


def _answer_text(item: Item, value: Any, language: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    if item.options:
        values = value if isinstance(value, list) else [value]
        labels = []
        for code in values:
            option = item.option(str(code))
            labels.append(option.label.get(language) if option is not None else str(code))
        return "；".join(labels) if language == "zh-CN" else "; ".join(labels)
    unit = item.unit.get(language) if item.unit is not None else ""
    return f"{value} {unit}".strip()


def answer_lines(q: Questionnaire, answers: Mapping[str, Any], language: str) -> list[AnswerLine]:
    """Every variable of the questionnaire in order, with its question text and the
    label of the chosen option(s) in ``language``; answers the questionnaire lacks last."""
    out = []
    for item in q.items:
        if item.type is ItemType.GRID:
            for row in item.rows:
                value = answers.get(row.id)
                question = f"{item.text.get(language)} — {row.text.get(language)}"
                out.append(AnswerLine(row.id, question, _answer_text(item, value, language),
                                      _code(value), value not in (None, "", [])))  # fmt: skip
            continue
        value = answers.get(item.id)
        out.append(AnswerLine(item.id, item.text.get(language),
                              _answer_text(item, value, language), _code(value),
                              value not in (None, "", [])))  # fmt: skip
    known = set(q.variables)
    for var in sorted(set(answers) - known):
        value = answers[var]
        out.append(AnswerLine(var, var, _code(value), _code(value), True))
    return out


def _code(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def _number_text(value: Any) -> str:
    """A score as the page shows it: at most two decimals, no trailing zeros (``67.33``)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def score_lines(q: Questionnaire, sheet: Mapping[str, Any] | None, language: str) -> list[
        tuple[str, str]]:  # fmt: skip
    """A stored score sheet as (label, value) lines in ``language``: the literacy total,
    level (its label, not its code), literate and each dimension under its label; each
    scale's score with its band's label. Empty when the response has no sheet."""
    if not sheet:
        return []
    lines: list[tuple[str, str]] = []
    if "total" in sheet:
        code = str(sheet.get("level") or "—")
        level = q.scoring.level(code)
        lines += [
            (tr(language, "resp_total"), _number_text(sheet.get("total"))),
            (tr(language, "resp_level"), level.label.get(language) if level else code),
            (tr(language, "resp_literate"),
             tr(language, "resp_yes" if sheet.get("literate") else "resp_no")),
        ]  # fmt: skip
        for dim_id, value in (sheet.get("dimensions") or {}).items():
            dim = q.scoring.dimension(dim_id)
            lines.append((dim.label.get(language) if dim else dim_id, _number_text(value)))
    for scale in q.scales:
        result = (sheet.get("scales") or {}).get(scale.id)
        if not result:
            continue
        value = _number_text(result.get("score"))
        if result.get("band"):
            band = scale.band(result["band"])
            name = band.label.get(language) if band else str(result["band"])
            value = f"{value}（{name}）" if language == "zh-CN" else f"{value} ({name})"
        lines.append((scale.label.get(language), value))
    return lines


def response_detail(
    session: Session, wave: Wave, response_id: int, *, language: str = "zh-CN",
    own_user_id: int | None = None,
) -> ResponseDetail:  # fmt: skip
    """One response of ``wave`` with its labelled answers, score, flags, paradata and
    review history. Raises NotFoundError when it is not in ``wave`` (or, with
    ``own_user_id``, not that interviewer's case): one answer for both."""
    flt = ResponseFilter(own_user_id=own_user_id)
    stmt = _base_query([Response, Invitation.household_id, Invitation.town, User.username]).where(
        Response.id == response_id, *flt.conditions(wave.id)
    )
    found = session.execute(stmt).one_or_none()
    if found is None:
        session.rollback()
        raise NotFoundError("no such response in this wave", param="response",
                            ui="err_browse_no_response")  # fmt: skip
    resp, household, town, username = found
    q = questionnaire_of(wave.questionnaire_version)
    complete = resp.status is ResponseStatus.COMPLETE
    flags = {}
    if complete:
        flags = _flags_of(q, quality_context(session, wave), resp.answers,
                          resp.duration_seconds, resp.device_id, resp.answers_hash,
                          resp.mode)  # fmt: skip
    row = ResponseRow(
        id=resp.id, status=resp.status.value, mode=resp.mode, household_id=household or "",
        town=town or "", interviewer=username or "", started_at=resp.started_at,
        updated_at=resp.updated_at, completed_at=resp.completed_at,
        minutes=resp.duration_seconds / 60 if resp.duration_seconds is not None else math.nan,
        review=resp.review or "", flags=flags,
    )  # fmt: skip
    history = [
        ReviewEvent(a.at, a.actor, a.action, str((a.details or {}).get("reason", "")))
        for a in session.scalars(
            select(AuditLog).where(AuditLog.target == f"response:{resp.id}").order_by(AuditLog.id)
        )
    ]
    detail = ResponseDetail(
        row=row,
        language=resp.language,
        answers=answer_lines(q, dict(resp.answers or {}), language),
        score_lines=score_lines(q, resp.score, language),
        paradata=dict(resp.paradata or {}),
        review_reason=resp.review_reason or "",
        reviewed_by=resp.reviewed_by or "",
        reviewed_at=resp.reviewed_at,
        history=history,
    )
    session.rollback()
    return detail


# -- the audit log -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]

    @property
    def detail_items(self) -> list[tuple[str, str]]:
        """``(key, value)`` as the viewer shows them, by key: blanks (None, "") left out,
        lists and mappings as JSON with Chinese kept as it is (not Python's repr).

        Example:
            >>> row = AuditRow(datetime(2026, 1, 1), "a", "wave.assign", "w",
            ...                {"town": None, "count": 3, "names": {"zh-CN": "热线"}})
            >>> row.detail_items
            [('count', '3'), ('names', '{"zh-CN": "热线"}')]
        """
        out = []
        for key, value in sorted(self.details.items()):
            if value is None or value == "":
                continue
            if isinstance(value, dict | list | tuple):
                text = json.dumps(value, ensure_ascii=False, default=str)
            else:
                text = str(value)
            out.append((key, text if len(text) <= 300 else text[:299] + "…"))
        return out


def wave_audit_condition(wave: Wave) -> ColumnElement[bool]:
    """The audit entries of a wave: those naming it, and those of its responses and cases."""
    responses = select(literal("response:", String).concat(cast(Response.id, String))).where(
        Response.wave_id == wave.id
    )
    cases = select(literal("invitation:", String).concat(cast(Invitation.id, String))).where(
        Invitation.wave_id == wave.id
    )
    return or_(
        AuditLog.target == wave.name,
        and_(AuditLog.target.like("response:%"), AuditLog.target.in_(responses)),
        and_(AuditLog.target.like("invitation:%"), AuditLog.target.in_(cases)),
    )


def audit_actions(session: Session, where: ColumnElement[bool] | None = None) -> list[str]:
    """The distinct actions of the log (the viewer's action filter)."""
    stmt = select(AuditLog.action).distinct().order_by(AuditLog.action)
    if where is not None:
        stmt = stmt.where(where)
    out = list(session.scalars(stmt))
    session.rollback()
    return out


def audit_page(
    session: Session, *, where: ColumnElement[bool] | None, actor: str, action: str,
    number: int, size: int,
) -> tuple[Page, list[AuditRow]]:  # fmt: skip
    """A page of the audit log, newest first, filtered by actor and action (exact)."""
    conditions = [] if where is None else [where]
    if actor:
        conditions.append(AuditLog.actor == actor[:64])
    if action:
        conditions.append(AuditLog.action == action[:64])
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*conditions)) or 0
    page = make_page(number, size, int(total))
    rows = [
        AuditRow(a.at, a.actor, a.action, a.target, dict(a.details or {}))
        for a in session.scalars(
            select(AuditLog).where(*conditions).order_by(AuditLog.id.desc())
            .offset(page.offset).limit(size)
        )
    ]  # fmt: skip
    session.rollback()
    return page, rows


def iter_pages(page: Page, around: int = 2) -> Iterator[int | None]:
    """Page numbers for a pager: the first, the last and ``around`` either side of the
    current one; None where numbers are left out."""
    shown = {1, page.pages, *range(page.number - around, page.number + around + 1)}
    previous = 0
    for n in sorted(x for x in shown if 1 <= x <= page.pages):
        if n > previous + 1:
            yield None
        yield n
        previous = n
