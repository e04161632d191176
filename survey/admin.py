"""Administrator pages: login, waves (create from a questionnaire file, open, close, invite).

Richer fieldwork administration and roles come in a later issue.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from flask import Blueprint
from flask import Flask
from flask import abort
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
from survey.db import get_session
from survey.errors import SurveyError
from survey.models import User
from survey.models import WaveStatus
from survey.services import audit
from survey.services import authenticate
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import get_wave
from survey.services import list_waves
from survey.services import set_wave_status
from survey.services import summarize

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    """Rate-limit the login form."""
    security.limit(app, "admin.login", "RATE_LIMIT_LOGIN", methods=["POST"])


def bundled_questionnaires() -> dict[str, Path]:
    """Questionnaire files shipped with kesu, by file name."""
    return {p.name: p for p in sorted(QUESTIONNAIRE_DIR.glob("*.yaml"))}


@bp.before_request
def _load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        user = get_session().get(User, user_id)
        if user is not None and user.active:
            g.user = user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Redirect to the login page unless an administrator is logged in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("admin.login"), code=303)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with username and password."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:256]
        db = get_session()
        user = authenticate(db, username, password)
        if user is not None:
            session.clear()
            session["user_id"] = user.id
            audit(db, user.username, "user.login", user.username)
            db.commit()
            return redirect(url_for("admin.waves"), code=303)
        error = "Wrong username or password."
        db.rollback()
        logger.info("failed admin login")
        return render_template("admin/login.html", error=error), 401
    return render_template("admin/login.html", error=error)


@bp.post("/logout")
def logout() -> Any:
    """Log out."""
    session.pop("user_id", None)
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
@login_required
def waves() -> str:
    """List the waves with their response counts."""
    return render_template("admin/waves.html", waves=list_waves(get_session()))


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise SurveyError(f"{field}: not a date (YYYY-MM-DD)", param=field) from None


@bp.route("/waves/new", methods=["GET", "POST"])
@login_required
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
            raise SurveyError("choose a bundled questionnaire or upload a file", param="file")
        year = form.get("survey_year", "").strip()
        if year and not year.isdigit():
            raise SurveyError("survey year must be a year such as 2025", param="survey_year")
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
            render_template("admin/new_wave.html", bundled=bundled, error=str(exc)),
            exc.status if exc.status != 404 else 400,
        )
    flash(f"Wave {summary.name} created (draft).")
    return redirect(url_for("admin.wave", name=summary.name), code=303)


@bp.get("/waves/<name>")
@login_required
def wave(name: str) -> str:
    """One wave: status, counts, open link and QR code."""
    db = get_session()
    summary = summarize(db, get_wave(db, name))
    return render_template("admin/wave.html", w=summary, tokens=None)


@bp.post("/waves/<name>/status")
@login_required
def wave_status(name: str) -> Any:
    """Open or close a wave."""
    value = request.form.get("status", "")
    if value not in (WaveStatus.OPEN.value, WaveStatus.CLOSED.value):
        raise SurveyError("status must be open or closed", param="status", got=value[:16])
    set_wave_status(get_session(), name, WaveStatus(value), g.user.username)
    return redirect(url_for("admin.wave", name=name), code=303)


@bp.post("/waves/<name>/invite")
@login_required
def invite(name: str) -> Any:
    """Create invitation links and show them once."""
    try:
        count = int(request.form.get("count", ""))
    except ValueError:
        raise SurveyError("count must be a number", param="count") from None
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
    summary = summarize(db, get_wave(db, name))
    return render_template("admin/wave.html", w=summary, tokens=tokens)


@bp.get("/waves/<name>/qr.svg")
@login_required
def qr(name: str) -> Any:
    """QR code of the wave's open link (SVG)."""
    wave = get_wave(get_session(), name)
    if not wave.open_token:
        abort(404, "This wave has no open link.")
    link = url_for("respond.open_link", token=wave.open_token, _external=True)
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", scale=6, border=2)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/svg+xml", max_age=0)
