"""Staff pages: login, waves (create, open, close, invite), sample import, invitation
links and QR sheets, assignments, wave members and settings.

Who may do what is checked by the decorators of :mod:`survey.auth`: creating and
changing waves is for admins; a wave's page is for its admins, statisticians and
viewers; interviewers are sent to their assignment list (``/field``).
"""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import session
from flask import url_for

from questionnaires import QUESTIONNAIRE_DIR
from survey import security
from survey.anonymity import parse_units
from survey.anonymity import save_unit_links
from survey.anonymity import unit_links
from survey.anonymity import unit_links_csv
from survey.auth import DATA_ROLES
from survey.auth import MONITOR_ROLES
from survey.auth import SESSION_KEY
from survey.auth import end_staff_session
from survey.auth import load_user
from survey.auth import login_required
from survey.auth import public
from survey.auth import role_required
from survey.auth import start_staff_session
from survey.auth import visible_wave_ids
from survey.auth import wave_role_required
from survey.db import get_session
from survey.errors import SurveyError
from survey.errors import TooManyRequestsError
from survey.fieldwork import assign
from survey.fieldwork import update_settings
from survey.fieldwork import wave_settings
from survey.i18n import ui_disposition
from survey.i18n import ui_label
from survey.i18n import ui_text
from survey.models import ROLES
from survey.models import WaveStatus
from survey.sample import import_sample
from survey.sample import invitation_links
from survey.sample import links_csv
from survey.sample import qr_sheet_pdf
from survey.sample import resolve_town
from survey.sample import town_labels
from survey.services import audit
from survey.services import authenticate
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import get_wave
from survey.services import list_waves
from survey.services import questionnaire_of
from survey.services import set_wave_status
from survey.services import summarize
from survey.services import wave_is_anonymous
from survey.users import grant
from survey.users import members
from survey.users import revoke

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    """Rate-limit the login form; template helpers for the display names of stored codes
    and for the links respondents open."""
    security.limit(app, "admin.login", "RATE_LIMIT_LOGIN", methods=["POST"])
    app.jinja_env.globals.update(label=ui_label, disposition=ui_disposition, public_url=public_url)


def public_base_url() -> str:
    """Where respondents reach this server: ``PUBLIC_BASE_URL`` when configured, else the
    address this request came to (the port really served; the proxy's host and scheme
    with ``PROXY_FIX_X_FOR``). Every link kesu shows or exports starts with it."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")


def public_url(endpoint: str, **values: Any) -> str:
    """The full link of ``endpoint`` for respondents (see :func:`public_base_url`)."""
    path = url_for(endpoint, **values)[len(request.script_root) :]
    return public_base_url() + path


def bundled_questionnaires() -> dict[str, Path]:
    """Questionnaire files shipped with kesu, by file name."""
    return {p.name: p for p in sorted(QUESTIONNAIRE_DIR.glob("*.yaml"))}


#: kept for blueprints written against the first admin module (the app loads the user)
_load_user = load_user
__all__ = ["bp", "login_required", "role_required", "wave_role_required"]


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """Log in with username and password (a new server-side session)."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")[:256]
        db = get_session()
        try:
            user = authenticate(db, username, password, address=security.client_address())
        except TooManyRequestsError as exc:
            page = render_template("admin/login.html", error=exc.page_text())
            return page, 429, {"Retry-After": str(exc.retry_after)}
        if user is not None:
            end_staff_session(db, session.get(SESSION_KEY), "replaced")
            key = start_staff_session(db, user)
            audit(db, user.username, "user.login", user.username,
                  address=security.client_address()[:64])  # fmt: skip
            db.commit()
            session.clear()
            session[SESSION_KEY] = key
            if user.role == "interviewer":
                return redirect(url_for("capi.assignments"), code=303)
            if user.role in ("proctor", "principal"):
                return redirect(url_for("classroom.home"), code=303)
            return redirect(url_for("admin.waves"), code=303)
        error = ui_text("staff_login_failed")
        return render_template("admin/login.html", error=error), 401
    return render_template("admin/login.html", error=error)


@bp.post("/logout")
@public
def logout() -> Any:
    """Log out: the server-side session ends (a copied cookie no longer works)."""
    db = get_session()
    if end_staff_session(db, session.get(SESSION_KEY), "logout") and g.get("user") is not None:
        audit(db, g.user.username, "user.logout", g.user.username)
    db.commit()
    session.clear()
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
@login_required
def waves() -> Any:
    """List the waves the user may see, with their response counts."""
    if g.user.role == "interviewer":
        return redirect(url_for("capi.assignments"), code=303)
    if g.user.role in ("proctor", "principal"):
        return redirect(url_for("classroom.home"), code=303)
    db = get_session()
    allowed = visible_wave_ids(db, g.user)
    rows = [w for w in list_waves(db) if allowed is None or w.id in allowed]
    return render_template("admin/waves.html", waves=rows)


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        message = ui_text("err_date", field=ui_text(f"date_{field}"))
        raise SurveyError(message, param=field) from None


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required("admin")
def new_wave() -> Any:
    """Create a wave from an uploaded or a bundled questionnaire file."""
    bundled = bundled_questionnaires()
    if request.method == "GET":
        return render_template("admin/new_wave.html", bundled=bundled, error=None)
    form = request.form
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            data, source = upload.read(), upload.filename
        elif form.get("bundled") in bundled:
            path = bundled[form["bundled"]]
            data, source = path.read_bytes(), path.name
        else:
            raise SurveyError(ui_text("err_choose_questionnaire"), param="file")
        year = form.get("survey_year", "").strip()
        if year and not year.isdecimal():
            raise SurveyError(ui_text("err_survey_year"), param="survey_year")
        summary = create_wave(
            get_session(),
            name=form.get("name", ""),
            questionnaire_data=data,
            source_name=source,
            actor=g.user.username,
            survey_year=int(year) if year else None,
            allow_learn=form.get("allow_learn") == "1",
            open_recruitment=form.get("open_recruitment") == "1",
            modes=tuple(form.getlist("modes")) or ("web",),
            opens_at=_date(form.get("opens_at"), "opens_at"),
            closes_at=_date(form.get("closes_at"), "closes_at"),
        )
    except SurveyError as exc:
        get_session().rollback()
        return (
            render_template("admin/new_wave.html", bundled=bundled, error=exc.page_text()),
            exc.status if exc.status != 404 else 400,
        )
    flash(ui_text("flash_wave_created", name=summary.name))
    return redirect(url_for("admin.wave", name=summary.name), code=303)


@bp.get("/waves/<name>")
@wave_role_required(*MONITOR_ROLES)
def wave(name: str) -> Any:
    """One wave: status, counts, open link, sample, members and settings."""
    return _wave_page(name)


def _wave_page(name: str, tokens: list[str] | None = None, error: str | None = None) -> Any:
    db = get_session()
    w = get_wave(db, name)
    summary = summarize(db, w)
    anonymous = wave_is_anonymous(w)
    units = unit_links(db, name) if anonymous and g.wave_role == "admin" else []
    page = render_template(
        "admin/wave.html",
        w=summary,
        tokens=tokens,
        error=error,
        role=g.wave_role,
        can_read_data=g.wave_role in DATA_ROLES,
        members=members(db, name) if g.wave_role == "admin" else [],
        roles=ROLES,
        settings=json.dumps(wave_settings(w), ensure_ascii=False, indent=1),
        anonymous=anonymous,
        units=units,
        towns=town_labels(questionnaire_of(w.questionnaire_version)),
    )
    return (page, 400) if error else page


@bp.post("/waves/<name>/status")
@wave_role_required("admin")
def wave_status(name: str) -> Any:
    """Open or close a wave."""
    value = request.form.get("status", "")
    if value not in (WaveStatus.OPEN.value, WaveStatus.CLOSED.value):
        raise SurveyError(ui_text("err_status"), param="status", got=value[:16])
    set_wave_status(get_session(), name, WaveStatus(value), g.user.username)
    return redirect(url_for("admin.wave", name=name), code=303)


@bp.post("/waves/<name>/invite")
@wave_role_required("admin")
def invite(name: str) -> Any:
    """Create invitation links and show them once."""
    try:
        count = int(request.form.get("count", ""))
    except ValueError:
        raise SurveyError(ui_text("err_count"), param="count") from None
    db = get_session()
    tokens = create_invitations(
        db,
        name,
        count,
        actor=g.user.username,
        stratum=request.form.get("stratum") or None,
        psu=request.form.get("psu") or None,
        town=request.form.get("town") or None,
    )
    return _wave_page(name, tokens=tokens)


@bp.post("/waves/<name>/units")
@wave_role_required("admin")
def save_units(name: str) -> Any:
    """Create or update the unit links of an anonymous wave from a CSV (unit, label, quota)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise SurveyError(ui_text("err_units_file"), param="file")
    try:
        saved = save_unit_links(get_session(), name, parse_units(upload.read()),
                                actor=g.user.username)  # fmt: skip
    except SurveyError as exc:
        get_session().rollback()
        return _wave_page(name, error=exc.page_text())
    flash(ui_text("flash_units_saved", count=len(saved)))
    return redirect(url_for("admin.wave", name=name), code=303)


@bp.get("/waves/<name>/units.csv")
@wave_role_required("admin")
def units_download(name: str) -> Any:
    """The unit links with their progress, as CSV (UTF-8 with BOM)."""
    db = get_session()
    base = str(current_app.config.get("PUBLIC_BASE_URL") or request.url_root)
    data = unit_links_csv(unit_links(db, name), base)
    audit(db, g.user.username, "wave.unit_links", name)
    db.commit()
    return send_file(io.BytesIO(data), mimetype="text/csv; charset=utf-8", as_attachment=True,
                     download_name=f"{name}-units.csv", max_age=0)  # fmt: skip


@bp.get("/waves/<name>/qr.svg")
@wave_role_required("admin")
def qr(name: str) -> Any:
    """QR code of the wave's open link (SVG)."""
    wave = get_wave(get_session(), name)
    if not wave.open_token:
        abort(404, ui_text("err_no_open_link"))
    link = public_url("respond.open_link", token=wave.open_token)
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", scale=6, border=2)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/svg+xml", max_age=0)


@bp.post("/waves/<name>/import")
@wave_role_required("admin")
def import_cases(name: str) -> Any:
    """Import a sample file (CSV) as the wave's cases: all rows or none."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise SurveyError(ui_text("err_sample_file"), param="file")
    mode = request.form.get("mode", "capi")
    try:
        result = import_sample(get_session(), name, upload.read(), actor=g.user.username, mode=mode)
    except SurveyError as exc:
        get_session().rollback()
        return _wave_page(name, error=exc.page_text())
    flash(ui_text("flash_imported", count=result.count, name=name))
    return redirect(url_for("admin.wave", name=name), code=303)


def _links(name: str) -> Any:
    db = get_session()
    found = invitation_links(db, name, public_base_url())
    audit(db, g.user.username, "wave.links", name, count=len(found))
    db.commit()
    return found


@bp.get("/waves/<name>/links.csv")
@wave_role_required("admin")
def links_download(name: str) -> Any:
    """The wave's invitation links as CSV (UTF-8 with BOM)."""
    data = links_csv(_links(name))
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
                     download_name=f"{name}-links.csv", max_age=0)  # fmt: skip


@bp.get("/waves/<name>/qr.pdf")
@wave_role_required("admin")
def qr_sheets(name: str) -> Any:
    """Printable A4 invitation slips with QR codes: web-mode invitations only (the
    households an interviewer visits get none) unless ``?mode=all``; ``?town=`` (code or
    name) keeps one town."""
    db = get_session()
    q = questionnaire_of(get_wave(db, name).questionnaire_version)
    labels = town_labels(q)
    town = request.args.get("town", "").strip()
    code = resolve_town(town, labels) if town else None
    mode = None if request.args.get("mode") == "all" else "web"
    found = invitation_links(db, name, public_base_url(), mode=mode, town=code)
    audit(db, g.user.username, "wave.links", name, count=len(found), pdf=True)
    db.commit()
    if not found:  # nothing silent: an empty sheet would look like a fault
        flash(ui_text("slip_none", town=labels.get(code or "", town) or "—"))
        return redirect(url_for("admin.wave", name=name), code=303)
    pdf = qr_sheet_pdf(found, title=name, town_labels=labels,
                       survey_title=q.title.get("zh-CN"))  # fmt: skip
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{name}-qr.pdf", max_age=0)  # fmt: skip


@bp.post("/waves/<name>/assign")
@wave_role_required("admin")
def assign_cases(name: str) -> Any:
    """Assign cases (by household ids, town or PSU) to an interviewer."""
    form = request.form
    households = [h for h in form.get("households", "").replace(",", " ").split() if h][:10_000]
    count = assign(
        get_session(), name, form.get("username", "").strip() or None, actor=g.user.username,
        household_ids=households, town=form.get("town") or None, psu=form.get("psu") or None,
    )  # fmt: skip
    flash(ui_text("flash_assigned", count=count))
    return redirect(url_for("admin.wave", name=name), code=303)


@bp.post("/waves/<name>/members")
@wave_role_required("admin")
def wave_members(name: str) -> Any:
    """Give a user a role on this wave, or remove them."""
    username = request.form.get("username", "").strip()
    if request.form.get("action") == "remove":
        revoke(get_session(), name, username, actor=g.user.username)
    else:
        grant(get_session(), name, username, request.form.get("role", ""), actor=g.user.username)
    return redirect(url_for("admin.wave", name=name), code=303)


@bp.post("/waves/<name>/settings")
@wave_role_required("admin")
def wave_settings_update(name: str) -> Any:
    """Change the wave's fieldwork settings (JSON object of the keys to change)."""
    try:
        changes = json.loads(request.form.get("settings", ""))
    except ValueError:
        raise SurveyError(ui_text("err_settings_json"), param="settings") from None
    if not isinstance(changes, dict):
        raise SurveyError(ui_text("err_settings_json"), param="settings")
    update_settings(get_session(), name, changes, actor=g.user.username)
    return redirect(url_for("admin.wave", name=name), code=303)
