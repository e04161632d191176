"""Interviewer (CAPI) pages for tablets: the assignment list, and per household the contact
attempts, the roster with the respondent selection, and the start of the interview.

The interview itself runs in the respondent pages (``/s/<token>/...``) in mode ``capi``.
An interviewer sees and changes only the cases assigned to them
(:func:`survey.fieldwork.own_case` answers 404 for any other case).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped]

from survey.auth import public
from survey.auth import role_required
from survey.db import get_session
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.errors import SurveyError
from survey.fieldwork import ATTEMPT_CODES
from survey.fieldwork import RosterProblems
from survey.fieldwork import assignments as list_assignments
from survey.fieldwork import case_view
from survey.fieldwork import parse_roster
from survey.fieldwork import record_attempt
from survey.fieldwork import record_roster
from survey.fieldwork import start_interview
from survey.fieldwork import village_of
from survey.i18n import current_language
from survey.i18n import ui_disposition
from survey.i18n import ui_text
from survey.offline import bundle
from survey.offline import device_key
from survey.offline import receive
from survey.respond import device_class
from survey.security import SECURITY_HEADERS
from survey.services import get_wave
from survey.services import questionnaire_of
from survey.towns import towns_of

logger = logging.getLogger(__name__)

bp = Blueprint("capi", __name__, url_prefix="/field")

#: the location permission is granted only to the page that asks for it
_GEO_POLICY = SECURITY_HEADERS["Permissions-Policy"].replace("geolocation=()", "geolocation=(self)")


@bp.get("/")
@role_required("interviewer")
def assignments() -> str:
    """The interviewer's households."""
    db = get_session()
    cases = list_assignments(db, g.user)
    towns = town_names(db, sorted({c.wave for c in cases}), current_language())
    return render_template("capi/list.html", cases=cases, towns=towns)


def _line_of(param: str) -> int | None:
    """The roster line (0-based) an error names (``age.3`` -> 3), or None."""
    head, _, tail = param.partition(".")
    return int(tail) if head in ("label", "sex", "age") and tail.isdecimal() else None


def town_names(db: Any, waves: list[str], lang: str) -> dict[tuple[str, str], str]:
    """``(wave, town code) -> town name`` from each wave's questionnaire (in ``lang``)."""
    out: dict[tuple[str, str], str] = {}
    for name in waves:
        q = questionnaire_of(get_wave(db, name).questionnaire_version)
        out.update({(name, t.code): t.label(lang) for t in towns_of(q)})
    db.rollback()
    return out


@bp.get("/cases/<id:case_id>")
@role_required("interviewer")
def case(case_id: int) -> Any:
    """One household: attempts, roster and selection, start of the interview."""
    return _case_page(case_id)


def _case_page(
    case_id: int,
    *,
    roster_error: str | None = None,
    roster_params: tuple[str, ...] = (),
    roster_form: dict[str, list[str]] | None = None,
    attempt_error: str | None = None,
    attempt_param: str = "",
    attempt_form: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    db = get_session()
    view = case_view(db, g.user, case_id)
    codes = [(c, ui_disposition(c)) for c in ATTEMPT_CODES]
    towns = dict(town_names(db, [view.invitation.wave.name], current_language()))
    g.page_url = url_for("capi.case", case_id=case_id)
    kept = roster_form or {}
    rows = max(8, len(kept.get("label", [])))
    html = render_template(
        "capi/case.html", v=view, codes=codes, rows=range(rows), town=towns.get(
            (view.invitation.wave.name, view.invitation.town or ""), view.invitation.town or ""
        ), village=village_of(view.invitation.attributes), roster_error=roster_error,
        roster_lines={_line_of(p) for p in roster_params}, kept=kept, attempt_error=attempt_error,
        attempt_param=attempt_param, attempt_form=attempt_form or {},
    )  # fmt: skip
    response = make_response(html, status)
    if view.settings["gps"]:
        response.headers["Permissions-Policy"] = _GEO_POLICY
    return response


@bp.post("/cases/<id:case_id>/attempt")
@role_required("interviewer")
def attempt(case_id: int) -> Any:
    """Record a contact attempt and its outcome."""
    code = request.form.get("disposition", "")
    note = request.form.get("note", "")
    try:
        record_attempt(get_session(), g.user, case_id, code, note)
    except SurveyError as exc:
        if isinstance(exc, NotFoundError):
            raise
        get_session().rollback()
        return _case_page(case_id, attempt_error=exc.page_text(), attempt_param=exc.param or "",
                          attempt_form={"disposition": code[:16], "note": note[:400]},
                          status=exc.status)  # fmt: skip
    flash(ui_text("flash_recorded", code=code, label=ui_disposition(code)))
    return redirect(url_for("capi.case", case_id=case_id), code=303)


@bp.post("/cases/<id:case_id>/roster")
@role_required("interviewer")
def roster(case_id: int) -> Any:
    """Record the household roster and select the respondent; a mistake (age 200, nobody
    of the survey's ages) is shown beside the roster, on the same page, with what was typed."""
    form = request.form.to_dict(flat=False)
    try:
        chosen = record_roster(get_session(), g.user, case_id, parse_roster(form))
    except SurveyError as exc:
        if isinstance(exc, NotFoundError):
            raise
        get_session().rollback()
        kept = {k: [v[:16] for v in form.get(k, [])] for k in ("label", "sex", "age", "birthday")}
        problems = exc.problems if isinstance(exc, RosterProblems) else [exc]
        return _case_page(case_id, roster_error=exc.page_text(),
                          roster_params=tuple(p.param or "" for p in problems),
                          roster_form=kept, status=exc.status)  # fmt: skip
    flash(ui_text("flash_selected", label=chosen.selected, eligible=chosen.eligible))
    return redirect(url_for("capi.case", case_id=case_id), code=303)


def _gps() -> tuple[float, float, float | None] | None:
    if request.form.get("gps_consent") != "1":
        return None
    try:
        lat, lon = float(request.form["lat"]), float(request.form["lon"])
        acc = float(request.form["acc"]) if request.form.get("acc") else None
    except (KeyError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequestError(ui_text("err_not_location"), param="lat")
    return lat, lon, acc


@bp.post("/cases/<id:case_id>/start")
@role_required("interviewer")
def start(case_id: int) -> Any:
    """Start (or resume) the interview in the question pages."""
    token = start_interview(
        get_session(), g.user, case_id,
        device=device_class(request.headers.get("User-Agent", "")), gps=_gps(), language=g.lang,
    )  # fmt: skip
    return redirect(url_for("respond.start", token=token), code=303)


# -- offline CAPI (survey/offline.py; the page runs survey/static/capi-offline.js) ---------------

_STATIC = Path(__file__).parent / "static"


@bp.get("/offline")
@role_required("interviewer")
def offline() -> Any:
    """The offline interviewer app: list, roster and interview work without a network."""
    from kesu.i18n import CATALOGUE

    texts = {
        k: v
        for k, v in CATALOGUE[g.lang].items()
        if k.startswith(("off_", "field_")) or k in ("err_date_answer", "err_not_offered")
    }
    return render_template("capi/offline.html", offline_texts=texts)


@bp.get("/sw.js")
@public
def service_worker() -> Any:
    """The service worker (scope /field/): caches the app shell, never answers or cases."""
    response = make_response((_STATIC / "capi-sw.js").read_text(encoding="utf-8"))
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _json(status: int, body: dict[str, Any]) -> Any:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/key")
@role_required("interviewer")
def api_key() -> Any:
    """The device key for this interviewer (AES-GCM, kept in the tab's sessionStorage) and a
    fresh CSRF token for the uploads."""
    key = device_key(str(current_app.config["SECRET_KEY"]), g.user.id)
    return _json(200, {"key": key, "csrf_token": generate_csrf(), "user": g.user.username})


@bp.get("/api/bundle")
@role_required("interviewer")
def api_bundle() -> Any:
    """The assigned cases and their questionnaires for offline work."""
    return _json(200, bundle(get_session(), g.user, g.lang))


@bp.post("/api/submissions")
@role_required("interviewer")
def api_submit() -> Any:
    """One interview from the tablet's outbox (JSON; X-CSRFToken header); idempotent."""
    payload = request.get_json(silent=True)
    if payload is None:
        return _json(
            400,
            {
                "state": "refused",
                "reason": "malformed",
                "message": "the body is not JSON (Content-Type application/json)",
            },
        )
    try:
        status, body = receive(
            get_session(),
            g.user,
            payload,
            device=device_class(request.headers.get("User-Agent", "")),
        )
    except SurveyError as exc:
        get_session().rollback()
        return _json(
            exc.status,
            {"state": "refused", "reason": "malformed", "message": exc.message, "param": exc.param},
        )
    return _json(status, body)
