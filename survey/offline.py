"""Offline CAPI on the server side: what a tablet takes with it, its key, and the outbox.

The design follows Enketo/ODK Central. The tablet fetches a *bundle* while online (the
assigned cases, their questionnaires as :mod:`survey.device_form` trees, the state of each
case), works offline, and uploads each finished interview as one submission with a random
``instance_id``:

* idempotent: a replay of an ``instance_id`` gets the stored answer, nothing changes;
* conflicts are refused with 409 and a reason: the case was reassigned, the wave closed,
  the interview was completed meanwhile, or the edit is based on a stale version (the
  response's revision moved since the bundle, ODK Central's ``deprecatedID`` idea);
* the answers go through the online path's own functions: the roster through
  :func:`survey.fieldwork.record_roster` (the server selects the respondent again and
  refuses a different choice), the interview through
  :func:`survey.responses.save_page` page by page, with the same validation.

The device key (:func:`device_key`) encrypts the tablet's store (AES-GCM in the browser).
It is HMAC-SHA256(secret key, user id): the server stores nothing, the same interviewer
gets the same key after a new login (unsent interviews stay readable), another user never.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.answers import field_name
from survey.db import begin_write
from survey.device_form import device_form
from survey.errors import BadRequestError
from survey.errors import SurveyError
from survey.fieldwork import MemberInput
from survey.fieldwork import record_roster
from survey.fieldwork import start_interview
from survey.fieldwork import wave_settings
from survey.models import HouseholdRoster
from survey.models import Invitation
from survey.models import OfflineSubmission
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.models import WaveMember
from survey.responses import save_page
from survey.services import questionnaire_of
from survey.services import wave_is_open

logger = logging.getLogger(__name__)

_INSTANCE = re.compile(r"^[A-Za-z0-9:_-]{8,64}$")
MAX_PAGES = 200


def device_key(secret: str, user_id: int) -> str:
    """The interviewer's 256-bit device key, base64: HMAC-SHA256(secret, purpose | user id)."""
    mac = hmac.new(secret.encode(), f"kesu-capi-device-key|{user_id}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def bundle(session: Session, user: User, language: str) -> dict[str, Any]:
    """The assigned cases with what the tablet needs to work on them offline."""
    rows = session.execute(
        select(Invitation, Response.revision, Response.status, HouseholdRoster.selected)
        .join(Wave, Invitation.wave_id == Wave.id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .outerjoin(HouseholdRoster, HouseholdRoster.invitation_id == Invitation.id)
        .where(Invitation.interviewer_id == user.id)
        # a case counts only on a wave where the user is still an interviewer
        .where(
            select(WaveMember.id)
            .where(WaveMember.wave_id == Wave.id, WaveMember.user_id == user.id,
                   WaveMember.role == "interviewer")
            .exists()
        )
        .order_by(Wave.name, Invitation.household_id, Invitation.id)
    ).all()  # fmt: skip
    forms: dict[str, Any] = {}
    cases = []
    for inv, revision, status, selected in rows:
        wave = inv.wave
        q = questionnaire_of(wave.questionnaire_version)
        forms.setdefault(q.content_hash, device_form(q, language))
        settings = wave_settings(wave)
        cases.append({
            "id": inv.id, "wave": wave.name, "household_id": inv.household_id or str(inv.id),
            "town": inv.town or "", "psu": inv.psu or "", "open": wave_is_open(wave),
            "year": wave.survey_year, "form": q.content_hash,
            "case_type": inv.attributes.get("case_type", "household"),
            "selection": settings["selection"],
            "serial": int(inv.attributes.get("household_number") or inv.id),
            "min_age": q.population.min_age, "max_age": q.population.max_age,
            "roster_selected": selected,
            "revision": revision, "status": status.value if status is not None else None,
        })  # fmt: skip
    session.rollback()
    return {"cases": cases, "forms": forms}


# -- the outbox ----------------------------------------------------------------------------


def _refusal(reason: str, message: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return 409, {"state": "refused", "reason": reason, "message": message, **extra}


def _members(raw: Any) -> list[MemberInput] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or len(raw) > 30:
        raise BadRequestError("roster: a list of 1-30 members", param="roster")
    out = []
    for i, m in enumerate(raw):
        where = f"roster line {i + 1}"
        if not isinstance(m, dict):
            raise BadRequestError(f"{where}: an object", param="roster")
        label, sex, age = m.get("label"), m.get("sex"), m.get("age")
        birthday = m.get("birthday", "")
        if not isinstance(label, str) or not 1 <= len(label.strip()) <= 16:
            raise BadRequestError(f"{where}: a nickname (1-16 characters)", param="label")
        if sex not in ("1", "2"):
            raise BadRequestError(f"{where}: sex is '1' or '2'", param="sex")
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
            raise BadRequestError(f"{where}: age is a whole number 0-120", param="age")
        if not isinstance(birthday, str) or len(birthday) > 5:
            raise BadRequestError(f"{where}: birthday is MM-DD", param="birthday")
        out.append(MemberInput(label.strip(), sex, age, birthday))
    if len({m.label for m in out}) != len(out):
        raise BadRequestError("give each member a different nickname", param="label")
    return out


def _form_values(value: Any, where: str) -> list[str]:
    """One answer as the posted form field's values (the online path's input)."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise BadRequestError(f"{where}: an answer is text, a number or a list", param=where)
        out.append(v if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else str(v))
    return out


def _pages(raw: Any) -> list[tuple[str, dict[str, list[str]]]]:
    if not isinstance(raw, list) or len(raw) > MAX_PAGES:
        raise BadRequestError(f"pages: a list of at most {MAX_PAGES} pages", param="pages")
    out = []
    for i, page in enumerate(raw):
        if not isinstance(page, dict) or not isinstance(page.get("page"), str):
            raise BadRequestError(f"pages[{i}]: an object with 'page' and 'answers'", param="pages")
        answers = page.get("answers")
        if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
            raise BadRequestError(f"pages[{i}].answers: an object", param="answers")
        form = {field_name(k): _form_values(v, f"pages[{i}].{k[:40]}") for k, v in answers.items()}
        out.append((page["page"][:64], form))
    return out


def parse_submission(payload: Any) -> dict[str, Any]:
    """Check the shape of an uploaded interview. Raises BadRequestError naming the field."""
    if not isinstance(payload, dict):
        raise BadRequestError("the body is a JSON object", param="body")
    instance = payload.get("instance_id")
    if not isinstance(instance, str) or not _INSTANCE.match(instance):
        raise BadRequestError("instance_id: 8-64 letters, digits, - _ :", param="instance_id")
    case_id = payload.get("case_id")
    if isinstance(case_id, bool) or not isinstance(case_id, int) or not 0 < case_id < 2**31:
        raise BadRequestError("case_id: a case number", param="case_id")
    base = payload.get("base_revision")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int) or base < 0):
        raise BadRequestError("base_revision: null or a revision number", param="base_revision")
    selected = payload.get("selected")
    if selected is not None and not isinstance(selected, str):
        raise BadRequestError("selected: the selected member's nickname", param="selected")
    language = payload.get("language", "zh-CN")
    if language not in ("zh-CN", "en"):
        raise BadRequestError("language: zh-CN or en", param="language")
    return {
        "instance_id": instance, "case_id": case_id, "base_revision": base,
        "roster": _members(payload.get("roster")), "selected": selected,
        "pages": _pages(payload.get("pages", [])), "language": language,
    }  # fmt: skip


def _conflict(session: Session, user: User, sub: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """(0, {}) when the case may take this upload, else the refusal."""
    inv = session.get(Invitation, sub["case_id"])
    member = inv is not None and session.scalars(
        select(WaveMember.id).where(WaveMember.wave_id == inv.wave_id,
                                    WaveMember.user_id == user.id)
    ).first() is not None  # fmt: skip
    if inv is None or not (member or user.role == "admin"):
        return 404, {"state": "refused", "reason": "no_case", "message": "no such assignment"}
    if inv.interviewer_id != user.id and user.role != "admin":
        return _refusal("reassigned", "this case was reassigned to another interviewer; "
                        "the answers stay on this tablet, ask your supervisor")  # fmt: skip
    if not wave_is_open(inv.wave):
        return _refusal("closed", "the wave is closed; ask your supervisor")
    resp = session.scalars(select(Response).where(Response.invitation_id == inv.id)).one_or_none()
    if resp is not None and resp.status is ResponseStatus.COMPLETE:
        return _refusal("complete", "this interview was completed already (on another device)")
    current = None if resp is None else resp.revision
    if current != sub["base_revision"]:
        return _refusal(
            "stale", "the interview was changed on another device since this tablet took it; "
            "this edit is based on an old version", base_revision=sub["base_revision"],
            current_revision=current,
        )  # fmt: skip
    return 0, {}


def _apply(session: Session, user: User, sub: Mapping[str, Any], device: Mapping[str, str]) -> \
        tuple[int, dict[str, Any]]:  # fmt: skip
    inv_id = sub["case_id"]
    has_roster = session.scalars(
        select(HouseholdRoster.id).where(HouseholdRoster.invitation_id == inv_id)
    ).first() is not None  # fmt: skip
    if sub["roster"] is not None and not has_roster:
        roster = record_roster(session, user, inv_id, sub["roster"])
        if sub["selected"] is not None and roster.selected != sub["selected"]:
            # the server's selection stands; the interview was with someone else
            return 422, {"state": "refused", "reason": "selection",
                         "message": f"the roster selects {roster.selected!r}, "
                                    f"the tablet chose {sub['selected']!r}"}  # fmt: skip
    token = start_interview(session, user, inv_id, device=device, language=sub["language"])
    revision = 0
    resp = session.scalars(select(Response).where(Response.invitation_id == inv_id)).one()
    revision = resp.revision
    session.rollback()
    state = "saved"
    for page, form in sub["pages"]:
        result = save_page(session, token, page, revision, form, language=sub["language"],
                           user_id=user.id)  # fmt: skip
        if result.outcome == "invalid":
            return 422, {"state": "refused", "reason": "invalid", "page": page,
                         "message": f"page {page}: answers not accepted",
                         "errors": result.errors}  # fmt: skip
        if result.outcome == "stale":
            return _refusal("stale", "the interview changed while it was being received")
        revision += 1
        state = result.outcome
    return 200, {"state": "sent", "interview": state, "revision": revision}


def receive(
    session: Session, user: User, payload: Any, *, device: Mapping[str, str]
) -> tuple[int, dict[str, Any]]:
    """Take one interview from a tablet's outbox; returns (HTTP status, answer).

    Raises:
        BadRequestError: a malformed upload (nothing is stored).
    """
    sub = parse_submission(payload)
    begin_write(session)
    known = session.scalars(
        select(OfflineSubmission).where(OfflineSubmission.instance_id == sub["instance_id"])
    ).one_or_none()
    if known is None:
        status, body = _conflict(session, user, sub)
        if status == 404:
            session.rollback()
            return status, body
        claim = OfflineSubmission(instance_id=sub["instance_id"], invitation_id=sub["case_id"],
                                  user_id=user.id, status="processing", http_status=0,
                                  result={})  # fmt: skip
        session.add(claim)
        try:
            session.commit()
        except IntegrityError:  # the same instance, uploaded at the same moment
            session.rollback()
            return 409, {"state": "waiting", "reason": "busy", "message": "being received; retry"}
        if status == 0:
            try:
                status, body = _apply(session, user, sub, device)
            except SurveyError as exc:
                session.rollback()
                status = 409 if exc.status in (404, 409, 410) else 422
                body = {"state": "refused", "reason": "refused", "message": exc.message}
        body = {**body, "instance_id": sub["instance_id"]}
        begin_write(session)
        row = session.get(OfflineSubmission, claim.id, with_for_update=True)
        assert row is not None
        row.status = "sent" if status == 200 else "refused"
        row.http_status = status
        row.result = body
        session.commit()
        logger.info("offline submission for case %s: %s", sub["case_id"], status)
        return status, body
    if known.user_id != user.id:
        session.rollback()
        return 404, {"state": "refused", "reason": "no_case", "message": "no such assignment"}
    status, body = known.http_status, dict(known.result)
    session.rollback()
    if status == 0:
        return 409, {"state": "waiting", "reason": "busy", "message": "being received; retry"}
    return status, {**body, "replay": True}
