"""Read-only JSON API for statisticians' scripts, and the health check.

Authentication: ``Authorization: Bearer <token>`` with a token from
``kesu user token USER`` (stored hashed). Pagination is by cursor: list endpoints take
``limit`` (1-1000, default 100) and ``after`` (the ``next`` value of the previous page)
and return ``{"data": [...], "next": cursor or null}``. Every malformed request gets a
4xx JSON error ``{"error", "message", "status"}``.

    GET /api/v1/waves                          waves the token's user may see
    GET /api/v1/waves/<name>                   summary, settings, AAPOR rates
    GET /api/v1/waves/<name>/responses         answers, scores, quality flags, review
    GET /api/v1/waves/<name>/cases             sampled cases with final dispositions
    GET /api/v1/waves/<name>/export/<format>   csv, sav, dta, codebook-csv, codebook-pdf, cases
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from survey.auth import DATA_ROLES
from survey.auth import MONITOR_ROLES
from survey.auth import Access
from survey.auth import mark_access
from survey.auth import public
from survey.auth import user_for_api_token
from survey.auth import visible_wave_ids
from survey.auth import wave_role_required
from survey.browse import FILTER_KEYS
from survey.db import get_session
from survey.db import ping
from survey.errors import BadRequestError
from survey.fieldwork import wave_settings
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import Wave
from survey.monitoring import case_outcomes
from survey.monitoring import format_time
from survey.monitoring import quality_context
from survey.quality import flags_for
from survey.security import MAX_ID
from survey.security import rate_limit_state
from survey.services import list_waves
from survey.services import questionnaire_of
from survey.services import summarize

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


@bp.get("/health")
@public
def health() -> Any:
    """200 with ``{"status": "ok"}`` when the database answers (``degraded`` when Redis is
    configured for the rate limits but does not answer), else 503."""
    try:
        ok = ping(get_session())
    except SQLAlchemyError as exc:
        logger.warning("health check: database error %s", type(exc).__name__)
        ok = False
    limits = rate_limit_state(current_app)
    if not ok:
        return jsonify({"status": "error", "database": "unavailable", "rate_limits": limits}), 503
    # degraded: answers are safe, but rate limits count per worker until Redis is back
    status = "degraded" if limits == "degraded" else "ok"
    return jsonify({"status": status, "database": "ok", "rate_limits": limits})


def _unauthorized(message: str) -> Any:
    response = jsonify({"error": "Unauthorized", "message": message, "status": 401})
    response.headers["WWW-Authenticate"] = 'Bearer realm="kesu"'
    return response, 401


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """An active user's API token in ``Authorization: Bearer``; sets ``g.api_user``."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("send Authorization: Bearer <token> (kesu user token USER)")
        user = user_for_api_token(get_session(), token.strip())
        if user is None:
            return _unauthorized("unknown or revoked token")
        g.api_user = user
        return view(*args, **kwargs)

    return mark_access(wrapped, Access("token"))


def _params(allowed: tuple[str, ...]) -> dict[str, str]:
    unknown = [k for k in request.args if k not in allowed]
    if unknown:
        raise BadRequestError("unknown query parameter", param=unknown[0][:32], expected=allowed)
    return {k: request.args[k] for k in request.args}


def _int(params: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    text = params.get(key)
    if text is None:
        return default
    if not text.isdecimal() or not low <= int(text) <= high:
        raise BadRequestError(f"{key} must be a whole number {low}..{high}", param=key,
                              got=text[:20])  # fmt: skip
    return int(text)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@bp.get("/v1/waves")
@token_required
def waves() -> Any:
    """The waves this token's user may see."""
    _params(())
    db = get_session()
    allowed = visible_wave_ids(db, g.api_user)
    data = [
        {"name": w.name, "status": w.status, "questionnaire": w.questionnaire,
         "content_hash": w.content_hash, "survey_year": w.survey_year,
         "invitations": w.invitations, "partial": w.partial, "complete": w.complete}
        for w in list_waves(db)
        if allowed is None or w.id in allowed
    ]  # fmt: skip
    return jsonify({"data": data, "next": None})


@bp.get("/v1/waves/<name>")
@token_required
@wave_role_required(*MONITOR_ROLES)
def wave(name: str) -> Any:
    """One wave's summary, settings and AAPOR rates of its sampled cases."""
    _params(())
    w: Wave = g.wave
    db = get_session()
    summary = summarize(db, w)
    from sampling.outcomes import rates_for_codes

    rates = rates_for_codes([c.disposition for c in case_outcomes(db, w)]).to_dict()
    rates = {k: (_finite(v) if isinstance(v, float) else v) for k, v in rates.items()}
    return jsonify(
        {"name": summary.name, "status": summary.status, "questionnaire": summary.questionnaire,
         "content_hash": summary.content_hash, "survey_year": summary.survey_year,
         "invitations": summary.invitations, "partial": summary.partial,
         "complete": summary.complete, "settings": wave_settings(w), "rates": rates}
    )  # fmt: skip


@bp.get("/v1/waves/<name>/responses")
@token_required
@wave_role_required(*DATA_ROLES)
def responses(name: str) -> Any:
    """A page of responses: answers, score sheet, quality flags and review."""
    params = _params(("limit", "after", "status"))
    limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = _int(params, "after", 0, 0, MAX_ID)
    status = params.get("status", "complete")
    if status not in ("complete", "partial", "all"):
        raise BadRequestError("status is complete, partial or all", param="status",
                              got=status[:20])  # fmt: skip
    w: Wave = g.wave
    db = get_session()
    q = questionnaire_of(w.questionnaire_version)
    context = quality_context(db, w)
    stmt = select(Response).where(Response.wave_id == w.id, Response.id > after)
    if status != "all":
        stmt = stmt.where(Response.status == ResponseStatus(status))
    rows = db.scalars(stmt.order_by(Response.id).limit(limit + 1)).all()
    data = []
    for r in rows[:limit]:
        complete = r.status is ResponseStatus.COMPLETE
        flags = (
            flags_for(q, dict(r.answers), duration=r.duration_seconds, device_id=r.device_id,
                      answer_hash=r.answers_hash, mode=r.mode, context=context)
            if complete else None
        )  # fmt: skip
        data.append(
            {"id": r.id, "status": r.status.value, "mode": r.mode, "language": r.language,
             "started_at": format_time(r.started_at),
             "completed_at": format_time(r.completed_at),
             "duration_seconds": r.duration_seconds, "answers": r.answers, "score": r.score,
             "quality": flags, "review": r.review, "rejected": bool(r.rejected)}
        )  # fmt: skip
    db.rollback()
    more = len(rows) > limit
    return jsonify({"data": data, "next": str(rows[limit - 1].id) if more else None})


@bp.get("/v1/waves/<name>/cases")
@token_required
@wave_role_required(*DATA_ROLES)
def cases(name: str) -> Any:
    """A page of sampled cases with their final dispositions (invitations and outcomes)."""
    params = _params(("limit", "after"))
    limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = _int(params, "after", 0, 0, MAX_ID)
    w: Wave = g.wave
    from survey.cases import case_record

    found = [c for c in case_outcomes(get_session(), w) if c.invitation_id > after]
    page = found[:limit]
    data = [{"case_id": c.invitation_id, **case_record(c)} for c in page]
    for rec in data:
        for key, value in rec.items():
            if isinstance(value, float) and not math.isfinite(value):
                rec[key] = None
    more = len(found) > limit
    return jsonify({"data": data, "next": str(page[-1].invitation_id) if more else None})


@bp.get("/v1/waves/<name>/export/<fmt>")
@token_required
@wave_role_required(*DATA_ROLES)
def export(name: str, fmt: str) -> Any:
    """The wave's export file, streamed; the response browser's filters (``status``,
    ``town``, ``interviewer``, ``flag``, ``mode``, ``review``, ``from``, ``to``) give the
    export of exactly the responses they let through (csv, sav, dta)."""
    params = _params(FILTER_KEYS)
    from survey.browse import filter_choices
    from survey.browse import parse_filter
    from survey.monitor import export_response

    only = None
    if params:
        only = parse_filter(params, filter_choices(get_session(), g.wave))
    return export_response(name, fmt, f"api:{g.api_user.username}", only)
