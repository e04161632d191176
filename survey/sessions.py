"""Classroom sessions of the youth monitoring: the join page, the proctor's pages, the
principals' school sheets and the notice for parents and schools.

Plain HTML forms and server-side state (the proctor's board refreshes itself with a
``<meta http-equiv="refresh">``), so the pages work on old school PCs with JavaScript
off, in large text. Services are in :mod:`survey.classroom`.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import segno
from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from survey import security
from survey.auth import login_required
from survey.auth import public
from survey.auth import visible_wave_ids
from survey.auth import wave_role_required
from survey.classroom import MAX_SEATS
from survey.classroom import classes_for
from survey.classroom import effective_status
from survey.classroom import finish_expired
from survey.classroom import finish_session
from survey.classroom import get_class_session
from survey.classroom import lock_session
from survey.classroom import mark_seats
from survey.classroom import normalize_code
from survey.classroom import open_session
from survey.classroom import seat_board
from survey.db import get_session
from survey.errors import BadRequestError
from survey.errors import SurveyError
from survey.i18n import ui_text
from survey.joining import Joined
from survey.joining import join_seat
from survey.models import LOCAL_TIME
from survey.models import SchoolClass
from survey.models import Wave
from survey.school_sheets import school_sheet_pdf
from survey.school_sheets import school_sheets
from survey.services import get_wave
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

bp = Blueprint("classroom", __name__, url_prefix="/class")

SEAT_COOKIE = "kesu_seat"
RUN_ROLES = ("statistician", "proctor")
SHEET_ROLES = ("statistician", "principal")
BOARD_REFRESH_SECONDS = 20


def init_app(app: Flask) -> None:
    """Rate-limit joining (a whole class shares one school address: a generous limit)."""
    security.limit(app, "classroom.join", "RATE_LIMIT_CLASS_JOIN", methods=["POST"])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kesu-class-seat")


def _held_seat() -> Joined | None:
    raw = request.cookies.get(SEAT_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    try:
        return Joined(int(data["s"]), int(data["n"]), str(data["t"]))
    except (KeyError, TypeError, ValueError):
        return None


def _remember_seat(response: WerkzeugResponse, joined: Joined) -> None:
    response.set_cookie(
        SEAT_COOKIE,
        _serializer().dumps({"s": joined.session_id, "n": joined.seat, "t": joined.token}),
        max_age=int(timedelta(hours=12).total_seconds()),
        httponly=True,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        samesite="Lax",
    )


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL_TIME).strftime("%H:%M")


# -- students ----------------------------------------------------------------------------------
@bp.route("/", methods=["GET", "POST"])
@public
def join() -> Any:
    """Join a session with its code and a seat number (no name, no phone number)."""
    code = request.values.get("code", "")[:32]
    seat = request.form.get("seat", "")[:8]
    if request.method == "POST":
        try:
            joined = join_seat(get_session(), code, seat, _held_seat())
        except SurveyError as exc:
            get_session().rollback()
            page = render_template(
                "classroom/join.html", code=code, seat=seat, error=exc.page_text()
            )
            return page, exc.status
        response = redirect(url_for("respond.start", token=joined.token), code=303)
        _remember_seat(response, joined)
        return response
    shown = normalize_code(code) or ""
    return render_template("classroom/join.html", code=shown, seat="", error=None)


@bp.get("/notice")
@public
def notice() -> Any:
    """The notice for parents and schools (printable)."""
    return render_template("classroom/notice.html")


# -- proctors and principals ---------------------------------------------------------------------
@bp.get("/w/")
@login_required
def home() -> Any:
    """The waves with classes that the user may run or read."""
    db = get_session()
    allowed = visible_wave_ids(db, g.user)
    ids = set(db.scalars(select(SchoolClass.wave_id).distinct()).all())
    waves = db.scalars(select(Wave).where(Wave.id.in_(sorted(ids))).order_by(Wave.name)).all()
    rows = [w for w in waves if allowed is None or w.id in allowed]
    return render_template("classroom/home.html", waves=rows)


@bp.get("/w/<name>")
@wave_role_required(*RUN_ROLES, "principal")
def classes(name: str) -> Any:
    """The classes of the user's schools in the wave, their sessions and the open form."""
    db = get_session()
    wave = g.wave
    finish_expired(db, wave)
    q = questionnaire_of(wave.questionnaire_version)
    rows = classes_for(db, g.user, wave)
    return render_template(
        "classroom/classes.html",
        wave=wave,
        rows=rows,
        minutes=int(q.minutes or 40),
        can_run=g.wave_role != "principal",
        max_seats=MAX_SEATS,
    )


def _int(field: str) -> int:
    raw = request.form.get(field, "").strip()
    if not (raw.isdecimal() and len(raw) <= 6):
        raise BadRequestError(f"{field} must be a whole number", param=field, ui="err_whole_number")
    return int(raw)


@bp.post("/w/<name>/open")
@wave_role_required(*RUN_ROLES)
def open_class(name: str) -> Any:
    """Open a session for a class and show its board."""
    cs = open_session(get_session(), g.user, name, _int("class"), _int("seats"), _int("minutes"))
    return redirect(url_for("classroom.board", name=name, sid=cs.id), code=303)


@bp.get("/w/<name>/s/<int:sid>")
@wave_role_required(*RUN_ROLES)
def board(name: str, sid: int) -> Any:
    """The session's board: code and QR, time left and every seat's state."""
    db = get_session()
    cs = get_class_session(db, g.user, name, sid)
    if cs.status != "closed" and effective_status(cs) == "closed":
        finish_session(db, cs, actor="system:time-limit", at=cs.closes_at)
    state = effective_status(cs)
    seats = seat_board(db, cs)
    counts: dict[str, int] = {}
    for s in seats:
        counts[s.state] = counts.get(s.state, 0) + 1
    left = (
        max(0, int((cs.closes_at - datetime.now(UTC)).total_seconds() // 60))
        if state != "closed"
        else 0
    )
    join_url = url_for("classroom.join", code=cs.code, _external=True)
    refresh = (
        BOARD_REFRESH_SECONDS if state != "closed" and request.args.get("auto") != "0" else None
    )
    return render_template(
        "classroom/board.html",
        wave=g.wave,
        cs=cs,
        cls=cs.school_class,
        state=state,
        seats=seats,
        counts=counts,
        left=left,
        join_url=join_url,
        refresh=refresh,
        opened=_local(cs.opened_at),
        closes=_local(cs.closed_at or cs.closes_at),
    )


@bp.get("/w/<name>/s/<int:sid>/qr.svg")
@wave_role_required(*RUN_ROLES)
def qr(name: str, sid: int) -> Any:
    """QR code of the session's join page with its code filled in (SVG)."""
    cs = get_class_session(get_session(), g.user, name, sid)
    buffer = io.BytesIO()
    link = url_for("classroom.join", code=cs.code, _external=True)
    segno.make(link, error="m").save(buffer, kind="svg", scale=8, border=2)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/svg+xml", max_age=0)


@bp.route("/w/<name>/s/<int:sid>/seats", methods=["GET", "POST"])
@wave_role_required(*RUN_ROLES)
def seats(name: str, sid: int) -> Any:
    """Mark seats absent or refusing, or free a seat for another computer."""
    db = get_session()
    cs = get_class_session(db, g.user, name, sid)
    if request.method == "POST":
        chosen = [int(s) for s in request.form.getlist("seat") if s.isdecimal() and len(s) <= 3]
        changed = mark_seats(
            db, cs, chosen, request.form.get("action", "")[:16], actor=g.user.username
        )
        flash(ui_text("class_seats_changed", count=changed))
        return redirect(url_for("classroom.board", name=name, sid=sid), code=303)
    return render_template(
        "classroom/seats.html",
        wave=g.wave,
        cs=cs,
        cls=cs.school_class,
        seats=seat_board(db, cs),
        state=effective_status(cs),
    )


@bp.post("/w/<name>/s/<int:sid>/lock")
@wave_role_required(*RUN_ROLES)
def lock(name: str, sid: int) -> Any:
    """Stop new students joining (those in go on)."""
    db = get_session()
    lock_session(db, get_class_session(db, g.user, name, sid), actor=g.user.username)
    return redirect(url_for("classroom.board", name=name, sid=sid), code=303)


@bp.post("/w/<name>/s/<int:sid>/close")
@wave_role_required(*RUN_ROLES)
def close(name: str, sid: int) -> Any:
    """End the session: unjoined seats are absent, unfinished answers stop."""
    db = get_session()
    finish_session(db, get_class_session(db, g.user, name, sid), actor=g.user.username)
    flash(ui_text("class_closed_flash"))
    return redirect(url_for("classroom.board", name=name, sid=sid), code=303)


@bp.get("/w/<name>/schools")
@wave_role_required(*SHEET_ROLES)
def sheets(name: str) -> Any:
    """The feedback sheets of the user's schools (a principal sees only their own)."""
    wave = get_wave(get_session(), name)
    rows = school_sheets(get_session(), g.user, wave)
    return render_template("classroom/sheets.html", wave=wave, rows=rows)


@bp.get("/w/<name>/schools/<school>.pdf")
@wave_role_required(*SHEET_ROLES)
def sheet_pdf(name: str, school: str) -> Any:
    """One school's feedback sheet (PDF), for that school's principal."""
    db = get_session()
    pdf = school_sheet_pdf(db, g.user, get_wave(db, name), school[:64])
    return send_file(
        io.BytesIO(pdf), mimetype="application/pdf", download_name=f"{school[:64]}.pdf"
    )
