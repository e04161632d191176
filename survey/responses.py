"""Respondent services: start, save each page, submit, and open-link recruitment.

An answer is acknowledged only after it is committed: the views call these functions and
redirect only when they return. Each save runs in one write transaction that locks the
response row (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and
checks the revision the page was rendered at, so a double click or a replayed form changes
nothing and never records a second response.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from questionnaires import Questionnaire
from scoring import ScoringError
from scoring import score_record
from survey.answers import apply_page
from survey.db import HotRead
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ClosedError
from survey.errors import ConflictError
from survey.errors import ForbiddenError
from survey.errors import NotFoundError
from survey.flow import missing_required
from survey.flow import walk
from survey.models import Invitation
from survey.models import QuestionnaireVersion
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import Wave
from survey.models import WaveStatus
from survey.models import now_utc
from survey.quality import answers_hash
from survey.quality import duration_seconds
from survey.services import cached_questionnaire
from survey.services import day_of
from survey.services import is_anonymous
from survey.services import new_token
from survey.services import questionnaire_of
from survey.services import refuse_if_anonymous
from survey.services import unordered_id
from survey.services import wave_is_anonymous
from survey.services import wave_is_open

logger = logging.getLogger(__name__)

#: seconds on one page above this are counted as this (a pause, not reading time)
MAX_PAGE_SECONDS = 3600
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class Respondent:
    """What a respondent page needs: the invitation's wave, questionnaire and response."""

    token: str
    wave_name: str
    survey_year: int
    allow_learn: bool
    is_open: bool
    questionnaire: Questionnaire
    response_id: int | None
    status: str | None
    page: str
    revision: int
    answers: dict[str, Any]
    mode: str
    #: answered through a unit link of an anonymous wave: no device data, coarse times
    anonymous: bool = False
    #: the wave's settings (help resources of the duty-of-care message)
    settings: dict[str, Any] = field(default_factory=dict)
    interviewer_id: int | None = None

    @property
    def complete(self) -> bool:
        return self.status == ResponseStatus.COMPLETE.value


def check_interviewer(mode: str, assigned: int | None, user_id: int | None) -> None:
    """The pages of a CAPI case are for the interviewer it is assigned to, logged in.

    A previous interviewer (after reassignment), another staff user and a logged-out
    browser holding the link are refused: the token alone is not enough for a CAPI case.

    Raises:
        ForbiddenError: ``mode`` is ``capi`` and ``user_id`` is not ``assigned``.
    """
    if mode != "capi":
        return
    if user_id is None or assigned is None or user_id != assigned:
        raise ForbiddenError(
            "this interview can only be run by the interviewer the case is assigned to",
            param="interviewer", hint="log in as that interviewer (/field)",
            ui="err_capi_interviewer",
        )  # fmt: skip


@dataclass(frozen=True)
class SaveResult:
    """Outcome of posting a page.

    Attributes:
        outcome: ``saved`` (go to ``page``), ``complete`` (submitted), ``stale`` (an older
            revision: nothing changed, go to ``page``) or ``invalid`` (see ``errors``).
        page: the section to show next.
        errors: variable -> message when ``invalid``.
        answers: the answers to show again when ``invalid`` (not stored).
        notes: variable -> neutral note of a newly shown question when ``invalid``.
    """

    outcome: str
    page: str
    errors: dict[str, str]
    answers: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)


def valid_token(token: str) -> bool:
    """Cheap shape check before touching the database."""
    return 16 <= len(token) <= 64 and set(token) <= _TOKEN_CHARS


def _invitation(session: Session, token: str) -> Invitation:
    if not valid_token(token):
        raise NotFoundError(
            "no such survey link", param="token", hint="check the link", ui="err_no_link"
        )
    inv = session.scalars(select(Invitation).where(Invitation.token == token)).one_or_none()
    if inv is None:
        raise NotFoundError(
            "no such survey link", param="token", hint="check the link", ui="err_no_link"
        )
    return inv


def _response(session: Session, invitation_id: int, *, lock: bool = False) -> Response | None:
    stmt = select(Response).where(Response.invitation_id == invitation_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def _view(inv: Invitation, resp: Response | None) -> Respondent:
    wave = inv.wave
    return Respondent(
        token=inv.token,
        wave_name=wave.name,
        survey_year=wave.survey_year,
        allow_learn=wave.allow_learn,
        is_open=wave_is_open(wave),
        questionnaire=questionnaire_of(wave.questionnaire_version),
        response_id=resp.id if resp else None,
        status=resp.status.value if resp else None,
        page=resp.page if resp else "",
        revision=resp.revision if resp else 0,
        answers=dict(resp.answers) if resp else {},
        mode=inv.mode,
        anonymous=wave_is_anonymous(wave),
        settings=dict(wave.settings or {}),
        interviewer_id=inv.interviewer_id,
    )


def _is_open(
    status: WaveStatus,
    opens: datetime | None,
    closes: datetime | None,
    attributes: Mapping[str, Any] | None = None,
) -> bool:
    now = now_utc()
    deadline = invitation_deadline(attributes)
    return (
        status is WaveStatus.OPEN
        and (opens is None or now >= opens)
        and (closes is None or now < closes)
        and (deadline is None or now < deadline)
    )


def invitation_deadline(attributes: Mapping[str, Any] | None) -> datetime | None:
    """An invitation's own deadline (``attributes["deadline"]``, ISO 8601), e.g. a
    classroom session's time limit; None when it has none."""
    raw = (attributes or {}).get("deadline")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _questionnaire(db: Session | Engine, version_id: int, digest: str) -> Questionnaire:
    q = cached_questionnaire(digest)
    if q is None:
        if isinstance(db, Engine):
            with Session(db) as session:
                return _questionnaire(session, version_id, digest)
        version = db.get(QuestionnaireVersion, version_id)
        if version is None:  # pragma: no cover - the foreign key guarantees it
            raise NotFoundError("questionnaire version missing", param="wave")
        q = questionnaire_of(version)
    return q


@functools.cache
def _respondent_query() -> HotRead:
    # built once: statement construction costs as much as running it on SQLite
    return HotRead(
        select(
            Invitation.mode,
            Invitation.interviewer_id,
            Invitation.attributes,
            Wave.name,
            Wave.survey_year,
            Wave.allow_learn,
            Wave.status,
            Wave.opens_at,
            Wave.closes_at,
            Wave.questionnaire_version_id,
            QuestionnaireVersion.content_hash,
            Wave.settings,
            Response.id,
            Response.status,
            Response.page,
            Response.revision,
            Response.answers,
        )
        .join(Wave, Invitation.wave_id == Wave.id)
        .join(QuestionnaireVersion, Wave.questionnaire_version_id == QuestionnaireVersion.id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.token == bindparam("token"))
    )


def load_respondent(db: Session | Engine, token: str) -> Respondent:
    """The respondent behind an invitation token (one query). Raises NotFoundError.

    ``db``: a session, or the engine when the caller reads nothing else (a question page:
    no session is opened at all). A session's open transaction is ended.
    """
    if not valid_token(token):
        raise NotFoundError(
            "no such survey link", param="token", hint="check the link", ui="err_no_link"
        )
    session = db if isinstance(db, Session) else None
    row = _respondent_query().one_or_none(db, {"token": token})
    if row is None:
        if session is not None:
            session.rollback()
        raise NotFoundError(
            "no such survey link", param="token", hint="check the link", ui="err_no_link"
        )
    (mode, interviewer_id, attributes, name, year, learn, status, opens, closes, version_id,
     digest, settings) = row[:12]  # fmt: skip
    response_id, response_status, page, revision, answers = row[12:]
    q = _questionnaire(db, version_id, digest)
    settings = dict(settings or {})
    if session is not None and session.in_transaction():
        session.rollback()  # end the read transaction promptly
    is_open = _is_open(status, opens, closes, attributes)
    return Respondent(
        token=token,
        wave_name=name,
        survey_year=year,
        allow_learn=learn,
        is_open=is_open,
        questionnaire=q,
        response_id=response_id,
        status=response_status.value if response_status is not None else None,
        page=page or "",
        revision=revision or 0,
        answers=dict(answers or {}),
        mode=mode,
        anonymous=is_anonymous(q, settings),
        settings=settings,
        interviewer_id=interviewer_id,
    )


def start_response(
    session: Session,
    token: str,
    *,
    language: str,
    device: Mapping[str, str],
    device_id: str | None = None,
    user_id: int | None = None,
) -> Respondent:
    """Record consent and create the response (idempotent: an existing one is returned).

    In an anonymous wave ``device`` and ``device_id`` are dropped and the start time is
    kept to the day only (:mod:`survey.anonymity`).

    ``user_id`` is the logged-in staff user (a CAPI case needs its assigned interviewer,
    and its interview is started from the case page, :func:`survey.fieldwork.start_interview`).

    Raises:
        NotFoundError: unknown token. ClosedError: the wave is not open.
        ForbiddenError: a CAPI case and not its interviewer. ConflictError: a CAPI case
        whose interview was not started from the case page.
    """
    begin_write(session)
    inv = _invitation(session, token)
    check_interviewer(inv.mode, inv.interviewer_id, user_id)
    if not wave_is_open(inv.wave):
        raise ClosedError("this survey is not open", param="wave", ui="closed_body")
    deadline = invitation_deadline(inv.attributes)
    if deadline is not None and now_utc() >= deadline:
        raise ClosedError("the time for this session is up", param="deadline", ui="err_time_up")
    resp = _response(session, inv.id, lock=True)
    if resp is None and inv.mode == "capi":
        raise ConflictError("start the interview from the case page", param="case",
                            hint="/field", ui="err_capi_start")  # fmt: skip
    if resp is None:
        q = questionnaire_of(inv.wave.questionnaire_version)
        first = walk(q, {}, inv.wave.survey_year).section_ids
        now = now_utc()
        anonymous = wave_is_anonymous(inv.wave)
        paradata: dict[str, Any] = {"seconds": {}}
        if not anonymous:
            paradata["device"] = dict(device)
        resp = Response(
            # an anonymous wave's ids carry no order (survey.services.unordered_id)
            id=unordered_id(session, Response) if anonymous else None,
            wave_id=inv.wave_id,
            invitation_id=inv.id,
            status=ResponseStatus.PARTIAL,
            started_at=day_of(now) if anonymous else now,
            # the last-save time times the pages; coarsened on completion if anonymous
            updated_at=now,
            mode=inv.mode,
            language=language,
            answers={},
            paradata=paradata,
            page=first[0] if first else "",
            revision=0,
            device_id=None if anonymous else device_id,
        )
        session.add(resp)
        session.commit()
        # an anonymous response is never named in the log: a time-stamped id could be
        # matched with who was seen answering at that moment
        logger.info("response %s started", "(anonymous)" if anonymous else resp.id)
    view = _view(inv, resp)
    session.rollback()
    return view


def _seconds(since: datetime, now: datetime) -> float:
    return round(min(max((now - since).total_seconds(), 0.0), MAX_PAGE_SECONDS), 1)


@functools.cache
def _save_query() -> Executable:
    # built once (see _respondent_query)
    return (
        select(
            Response,
            Invitation.mode,
            Invitation.interviewer_id,
            Wave.status,
            Wave.opens_at,
            Wave.closes_at,
            Wave.survey_year,
            Wave.questionnaire_version_id,
            QuestionnaireVersion.content_hash,
            Wave.settings,
            Invitation.attributes,
        )
        .join(Invitation, Response.invitation_id == Invitation.id)
        .join(Wave, Invitation.wave_id == Wave.id)
        .join(QuestionnaireVersion, Wave.questionnaire_version_id == QuestionnaireVersion.id)
        .where(Invitation.token == bindparam("token"))
        .with_for_update(of=Response)
    )


def save_page(
    session: Session,
    token: str,
    section_id: str,
    revision: int,
    form: Mapping[str, Sequence[str]],
    *,
    language: str,
    user_id: int | None = None,
    draft: bool = False,
) -> SaveResult:
    """Validate and store one page; on the last page, submit and score the response.

    ``user_id``: the logged-in staff user (a CAPI case's pages need its assigned
    interviewer, :func:`check_interviewer`). ``draft`` (the "上一页" button): keep what
    was typed on this page without asking for the missing answers (answers that do not
    parse are left out), then go to the previous page; the furthest page reached stays
    (a required answer left open is asked again before the submission).

    Raises:
        NotFoundError: unknown token or page. ClosedError: wave not open or no consent yet.
        BadRequestError: tampered fields or page, answers to hidden items.
        ForbiddenError: a CAPI case and not its assigned interviewer.
    """
    begin_write(session)
    if not valid_token(token):
        raise NotFoundError(
            "no such survey link", param="token", hint="check the link", ui="err_no_link"
        )
    # one query: the response (locked) with what is needed of its wave
    row = session.execute(_save_query(), {"token": token}).one_or_none()
    if row is None:
        _invitation(session, token)  # NotFoundError for an unknown link
        raise ClosedError(
            "please agree to take part first", param="consent", ui="err_consent_first"
        )
    (resp, mode, assigned, status, opens, closes, survey_year, version_id, digest, settings,
     attributes) = row  # fmt: skip
    check_interviewer(mode, assigned, user_id)
    if revision < 0:
        raise BadRequestError("missing or malformed revision", param="rev", ui="err_form_stale")
    if resp.status is ResponseStatus.COMPLETE or revision < resp.revision:
        # a double click or a replayed form: acknowledged, nothing changes
        page = resp.page
        session.rollback()
        return SaveResult("stale", page, {}, {})
    if revision > resp.revision:
        raise BadRequestError(
            "the form's revision is newer than the response", param="rev", ui="err_form_stale"
        )
    if not _is_open(status, opens, closes, attributes):
        if not _is_open(status, opens, closes):
            raise ClosedError("this survey is not open any more", param="wave", ui="closed_body")
        raise ClosedError("the time for this session is up", param="deadline", ui="err_time_up")
    q = _questionnaire(session, version_id, digest)
    anonymous = is_anonymous(q, settings)
    current = walk(q, resp.answers, survey_year)
    if section_id not in current.section_ids:
        raise NotFoundError(
            "no such page for this respondent",
            param="page",
            got=section_id[:64],
            ui="err_page_not_in_survey",
        )
    if resp.page in current.section_ids and current.index(section_id) > current.index(resp.page):
        raise BadRequestError(
            "this page is not reached yet",
            param="page",
            got=section_id[:64],
            ui="err_page_not_reached",
        )
    outcome = apply_page(
        q, section_id, resp.answers, form, survey_year=survey_year, language=language
    )
    if draft:
        return _save_draft(session, resp, outcome, section_id, anonymous)
    if not outcome.ok:
        session.rollback()
        return SaveResult(
            "invalid", section_id, outcome.errors, outcome.answers, notes=outcome.notes
        )
    now = now_utc()
    paradata = dict(resp.paradata or {})
    seconds = dict(paradata.get("seconds") or {})
    seconds[section_id] = round(seconds.get(section_id, 0.0) + _seconds(resp.updated_at, now), 1)
    paradata["seconds"] = seconds
    nxt = outcome.visibility.next_section(section_id)
    resp.answers = outcome.answers
    resp.paradata = paradata
    resp.language = language
    resp.updated_at = now
    resp.revision = resp.revision + 1
    result = "saved"
    if nxt is None:
        missing = missing_required(outcome.visibility)
        if missing:
            nxt = missing[0][0]
        else:
            resp.status = ResponseStatus.COMPLETE
            resp.completed_at = now
            if anonymous:
                resp.updated_at = resp.completed_at = day_of(now)
            resp.score = _score_or_none(q, outcome.answers)
            resp.duration_seconds = duration_seconds(paradata)
            resp.answers_hash = answers_hash(q, outcome.answers)
            if resp.mode == "capi":
                paradata["ended"] = now.isoformat()
            result, nxt = "complete", ""
    resp.page = nxt
    session.commit()
    logger.info("response %s %s (revision %s)", "(anonymous)" if anonymous else resp.id, result,
                resp.revision)  # fmt: skip
    return SaveResult(result, nxt, {}, {})


def _save_draft(
    session: Session, resp: Response, outcome: Any, section_id: str, anonymous: bool
) -> SaveResult:
    """Store a page's answers as they are (see :func:`save_page`, ``draft``)."""
    vis = outcome.visibility
    now = now_utc()
    paradata = dict(resp.paradata or {})
    seconds = dict(paradata.get("seconds") or {})
    seconds[section_id] = round(seconds.get(section_id, 0.0) + _seconds(resp.updated_at, now), 1)
    paradata["seconds"] = seconds
    resp.answers = outcome.answers
    resp.paradata = paradata
    resp.updated_at = now
    resp.revision = resp.revision + 1
    if resp.page not in vis.section_ids:
        resp.page = section_id
    previous = vis.previous_section(section_id) or section_id
    session.commit()
    logger.info("response %s draft of %s (revision %s)", "(anonymous)" if anonymous else resp.id,
                section_id, resp.revision)  # fmt: skip
    return SaveResult("saved", previous, {}, {})


def score_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """One respondent's stored result: test score and/or scales (:func:`scoring.score_record`)."""
    return score_record(questionnaire, answers)


def _score_or_none(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> dict[str, Any] | None:
    # a scoring problem must never lose a submission: store the answers, rescore later
    try:
        return score_answers(questionnaire, answers)
    except ScoringError as exc:
        logger.error("scoring failed (%s); run `kesu wave rescore`", type(exc).__name__)
        return None


def start_open_response(session: Session, open_token: str) -> str:
    """Create an invitation for a respondent who came through a wave's open link.

    Raises:
        NotFoundError: no open-recruitment wave with this link. ClosedError: not open.
    """
    if not valid_token(open_token):
        raise NotFoundError("no such survey link", param="token", ui="err_no_link")
    begin_write(session)
    wave = session.scalars(
        select(Wave).where(Wave.open_token == open_token, Wave.open_recruitment.is_(True))
    ).one_or_none()
    if wave is None:
        raise NotFoundError("no such survey link", param="token", ui="err_no_link")
    if not wave_is_open(wave):
        raise ClosedError("this survey is not open", param="wave", ui="closed_body")
    refuse_if_anonymous(wave, "the wave-wide open link")
    token = new_token()
    session.add(Invitation(wave_id=wave.id, token=token, mode="web", open_link=True))
    session.commit()
    return token


def open_wave_state(session: Session, open_token: str) -> tuple[str, bool]:
    """``(wave name, is open)`` of an open-recruitment link. Raises NotFoundError."""
    if not valid_token(open_token):
        raise NotFoundError("no such survey link", param="token", ui="err_no_link")
    wave = session.scalars(
        select(Wave).where(Wave.open_token == open_token, Wave.open_recruitment.is_(True))
    ).one_or_none()
    if wave is None:
        raise NotFoundError("no such survey link", param="token", ui="err_no_link")
    state = (wave.name, wave_is_open(wave))
    session.rollback()
    return state
