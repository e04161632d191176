"""Staff pages: login, waves (create, open, close, invite), sample import, invitation
links and QR sheets, assignments, wave members and settings.

Who may do what is checked by the decorators of :mod:`survey.auth`: creating and
changing waves is for admins; a wave's page is for its admins, statisticians and
viewers; interviewers are sent to their assignment list (``/field``).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping
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
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from sqlalchemy import func
from sqlalchemy import select

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import ItemType
from survey import security
from survey.anonymity import parse_units
from survey.anonymity import save_unit_links
from survey.anonymity import unit_links
from survey.anonymity import unit_links_csv
from survey.answers import FIELD_PREFIX
from survey.answers import apply_page
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
from survey.db import begin_write
from survey.db import get_session
from survey.errors import BadRequestError
from survey.errors import SurveyError
from survey.errors import TooManyRequestsError
from survey.fieldwork import SELECTION_METHODS
from survey.fieldwork import assign
from survey.fieldwork import update_settings
from survey.fieldwork import wave_settings
from survey.flow import walk
from survey.i18n import current_language
from survey.i18n import ui_disposition
from survey.i18n import ui_label
from survey.i18n import ui_text
from survey.invitations import mark_sent
from survey.models import LOCAL_TIME
from survey.models import Invitation
from survey.models import User
from survey.models import WaveStatus
from survey.render import error_summary
from survey.render import render_items
from survey.respond import page_view
from survey.sample import import_sample
from survey.sample import invitation_links
from survey.sample import links_csv
from survey.sample import qr_sheet_pdf
from survey.security import uploaded_file
from survey.services import MODES
from survey.services import WAVE_NAME
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
from survey.settings_form import settings_fields
from survey.settings_form import settings_from_form
from survey.towns import resolve_town
from survey.towns import town_code
from survey.towns import town_labels
from survey.towns import towns_of
from survey.users import grant
from survey.users import members
from survey.users import revoke
from survey.waves import WaveEdit
from survey.waves import delete_wave
from survey.waves import duplicate_wave
from survey.waves import response_count
from survey.waves import update_wave

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
        kept = username.strip()[:64]  # shown again; the password never is
        if not kept or not password:
            error = ui_text("staff_login_missing")
            return render_template("admin/login.html", error=error, username=kept), 400
        db = get_session()
        try:
            user = authenticate(db, username, password, address=security.client_address())
        except TooManyRequestsError as exc:
            page = render_template("admin/login.html", error=exc.page_text(), username=kept)
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
            if user.role == "reporter":
                return redirect(url_for("capacity.home"), code=303)
            return redirect(url_for("admin.waves"), code=303)
        error = ui_text("staff_login_failed")
        return render_template("admin/login.html", error=error, username=kept), 401
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
    response = redirect(url_for("admin.login"), code=303)
    # the offline CAPI store (IndexedDB, Cache Storage, service worker) leaves with the login
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/")
@login_required
def waves() -> Any:
    """List the waves the user may see, with their response counts."""
    if g.user.role == "interviewer":
        return redirect(url_for("capi.assignments"), code=303)
    if g.user.role in ("proctor", "principal"):
        return redirect(url_for("classroom.home"), code=303)
    if g.user.role == "reporter":
        return redirect(url_for("capacity.home"), code=303)
    db = get_session()
    allowed = visible_wave_ids(db, g.user)
    rows = [w for w in list_waves(db) if allowed is None or w.id in allowed]
    return render_template("admin/waves.html", waves=rows)


def _date(value: str | None, field: str) -> datetime | None:
    """A time typed into a form (``datetime-local``: no zone) as the survey's local time
    (:data:`~survey.models.LOCAL_TIME`, Beijing), the zone staff pages show times in; it
    was read as UTC, so a wave set to open at 09:00 opened at 17:00."""
    if not value:
        return None
    try:
        typed = datetime.fromisoformat(value)
    except ValueError:
        message = ui_text("err_date", field=ui_text(f"date_{field}"))
        raise SurveyError(message, param=field) from None
    return typed if typed.tzinfo is not None else typed.replace(tzinfo=LOCAL_TIME)


def _wave_dates(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, datetime | None]:
    """The wave's typed opening and closing times (:func:`_date`); a bad one is added to
    ``errors`` beside its field (the new-wave and the edit form)."""
    dates: dict[str, datetime | None] = {}
    for key in ("opens_at", "closes_at"):
        try:
            dates[key] = _date(form.get(key), key)
        except SurveyError as exc:
            dates[key] = None
            errors[key] = exc.page_text()
    return dates


def _typed_time(value: datetime | None) -> str:
    """A stored time as a ``datetime-local`` field shows it: Beijing time, to the minute."""
    return value.astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M") if value else ""


#: what separates the ids of a typed list: spaces and new lines, ASCII and Chinese commas
#: (，、) and semicolons
_LIST_SEPARATORS = re.compile(r"[\s,，、;；]+")
#: the fields of the new-wave form (an error of another parameter is shown at the name;
#: the questionnaire's, at the file)
_NEW_WAVE_FIELDS = ("name", "file", "survey_year", "opens_at", "closes_at", "modes")


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required("admin")
def new_wave() -> Any:
    """Create a wave from an uploaded or a bundled questionnaire file."""
    bundled = bundled_questionnaires()
    if request.method == "GET":
        return render_template("admin/new_wave.html", bundled=bundled, errors={}, form={})
    form = request.form
    kept = {**_form(), "modes": ",".join(form.getlist("modes"))}
    # what can be checked before the file is read, all at once (each beside its field)
    errors: dict[str, str] = {}
    if not WAVE_NAME.fullmatch(form.get("name", "").strip()):
        errors["name"] = ui_text("err_wave_name")
    upload = uploaded_file()
    if upload is None and form.get("bundled") not in bundled:
        errors["file"] = ui_text("err_choose_questionnaire")
    year = form.get("survey_year", "").strip()
    if year and not (year.isdecimal() and len(year) == 4):
        errors["survey_year"] = ui_text("err_survey_year")
    if not form.getlist("modes"):  # none ticked: said, not taken for "web"
        errors["modes"] = ui_text("err_wave_modes")
    dates = _wave_dates(form, errors)
    if errors:
        page = render_template("admin/new_wave.html", bundled=bundled, errors=errors, form=kept)
        return page, 400
    if upload is not None:
        data, source = upload
    else:
        path = bundled[form["bundled"]]
        data, source = path.read_bytes(), path.name
    try:
        summary = create_wave(
            get_session(),
            name=form.get("name", ""),
            questionnaire_data=data,
            source_name=source,
            actor=g.user.username,
            survey_year=int(year) if year else None,
            allow_learn=form.get("allow_learn") == "1",
            open_recruitment=form.get("open_recruitment") == "1",
            modes=tuple(form.getlist("modes")),
            opens_at=dates["opens_at"],
            closes_at=dates["closes_at"],
        )
    except SurveyError as exc:
        get_session().rollback()
        field = "file" if exc.param == "questionnaire" else exc.param
        field = field if field in _NEW_WAVE_FIELDS else "name"
        page = render_template(
            "admin/new_wave.html", bundled=bundled, errors={field: exc.page_text()}, form=kept
        )
        return page, exc.status if exc.status != 404 else 400
    flash(ui_text("flash_wave_created", name=summary.name))
    return redirect(url_for("admin.wave", name=summary.name), code=303)


# -- the wave page, by task ------------------------------------------------------------------
#: the roles the team tab gives: a school's proctor and principal are given with their school
#: (``kesu classroom grant``), and a capacity reporter reports for a unit, on no wave
TEAM_ROLES = ("viewer", "interviewer", "statistician", "admin")
#: accounts made for one place (a school, a reporting unit), which take no other wave role
OWN_PLACE_ROLES = ("proctor", "principal", "reporter")
#: the wave page's tabs, in order (which ones a user sees depends on the wave role)
TABS = ("overview", "sample", "fieldwork", "team", "settings", "data")
#: where the tokens of the invitations created last are kept between the POST and the page
NEW_LINKS = "kesu_new_links"


def _tabs(role: str) -> tuple[str, ...]:
    admin = role == "admin"
    shown = {"overview", "fieldwork"} | ({"sample", "team", "settings"} if admin else set())
    if role in DATA_ROLES:
        shown.add("data")
    return tuple(t for t in TABS if t in shown)


def _form() -> dict[str, str]:
    """The posted fields as they were typed (shown again beside an error)."""
    return {k: v[:2000] for k, v in request.form.items() if k != "csrf_token"}


def _in_place(exc: SurveyError, field: str) -> dict[str, str]:
    """An error of a service as ``{field: text}`` for the form that caused it."""
    get_session().rollback()
    return {field: exc.page_text()}


def wave_page(
    name: str,
    tab: str = "overview",
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Any:
    """The wave page on ``tab``; ``errors`` (field -> text) are shown next to their fields
    of the form just posted, whose values ``form`` shows again."""
    db = get_session()
    w = get_wave(db, name)
    tabs = _tabs(g.wave_role)
    if tab not in tabs:
        tab = "overview"
    q = questionnaire_of(w.questionnaire_version)
    anonymous = wave_is_anonymous(w)
    lang = current_language()
    context: dict[str, Any] = {
        "w": summarize(db, w),
        "tab": tab,
        "tabs": tabs,
        "errors": errors or {},
        "form": form or {},
        "notice": notice,
        "role": g.wave_role,
        "can_read_data": g.wave_role in DATA_ROLES,
        "anonymous": anonymous,
        "towns": [(t.code, t.label(lang)) for t in towns_of(q)],
        "roles": TEAM_ROLES,
        "modes": MODES,
    }
    if tab == "sample":
        context["units"] = unit_links(db, name) if anonymous else []
        context["new_links"] = _new_links(db, w)
    elif tab == "team":
        context["members"] = members(db, name)
    elif tab == "settings":
        current = wave_settings(w)
        context["settings"] = {**settings_fields(current), **(form or {})}
        context["selection_methods"] = SELECTION_METHODS
    elif tab == "overview" and g.wave_role == "admin":
        context["responses"] = response_count(db, name)
    g.page_url = url_for("admin.wave", name=name, tab=tab)
    return render_template("admin/wave.html", **context), status


def _new_links(db: Any, wave: Any) -> list[str]:
    """The links created by this user's last "create invitation links" on this wave."""
    kept = session.get(NEW_LINKS)
    if not isinstance(kept, dict) or kept.get("wave") != wave.name:
        return []
    first, last = int(kept.get("first", 0)), int(kept.get("last", -1))
    tokens = db.scalars(
        select(Invitation.token)
        .where(Invitation.wave_id == wave.id, Invitation.id >= first, Invitation.id <= last)
        .order_by(Invitation.id)
    ).all()
    return [public_url("respond.start", token=t) for t in tokens]


@bp.get("/waves/<name>")
@wave_role_required(*MONITOR_ROLES)
def wave(name: str) -> Any:
    """One wave, organised by task: overview, sample and invitations, fieldwork, team,
    settings, data (``?tab=``)."""
    return wave_page(name, request.args.get("tab", "overview")[:16])


def _back(name: str, tab: str) -> Any:
    return redirect(url_for("admin.wave", name=name, tab=tab), code=303)


@bp.post("/waves/<name>/status")
@wave_role_required("admin")
def wave_status(name: str) -> Any:
    """Open or close a wave (closing asks for a confirmation first)."""
    value = request.form.get("status", "")
    if value not in (WaveStatus.OPEN.value, WaveStatus.CLOSED.value):
        errors = {"status": ui_text("err_status")}
        return wave_page(name, errors=errors, form=_form(), status=400)
    if value == WaveStatus.CLOSED.value and request.form.get("confirm") != "1":
        errors = {"status": ui_text("err_confirm_close")}
        return wave_page(name, errors=errors, form=_form(), status=400)
    set_wave_status(get_session(), name, WaveStatus(value), g.user.username)
    flash(ui_text(f"flash_wave_{value}", name=name))
    return _back(name, "overview")


@bp.post("/waves/<name>/invite")
@wave_role_required("admin")
def invite(name: str) -> Any:
    """Create invitation links; the page the browser is sent to shows them at its top
    (reloading it creates nothing)."""
    form = _form()
    errors: dict[str, str] = {}
    raw = form.get("count", "").strip()
    count = int(raw) if raw.isdecimal() and len(raw) <= 6 else 0
    if not 1 <= count <= 10_000:
        errors["invite.count"] = ui_text("err_invite_count")
    db = get_session()
    wave_row = get_wave(db, name)
    town = None
    if form.get("town"):
        town = resolve_town(questionnaire_of(wave_row.questionnaire_version), form["town"])
        if town is None:
            errors["invite.town"] = ui_text("err_town", value=form["town"][:40])
    # a stratum or village of an imported sample (its rows have household ids) is one of
    # the sample's: a typed name that is not would make a design variable of its own in the
    # weights. A wave without an imported sample takes any.
    for key, column in (("stratum", Invitation.stratum), ("psu", Invitation.psu)):
        value = form.get(key, "").strip()
        form[key] = value
        if len(value) > 64:
            errors[f"invite.{key}"] = ui_text("err_text_long", max=64)
            continue
        known = {str(v) for v in db.scalars(select(column).where(
            Invitation.wave_id == wave_row.id, Invitation.household_id.is_not(None),
            column.is_not(None)).distinct())}  # fmt: skip
        if value and known and value not in known:
            shown = "、".join(sorted(known)[:8]) + ("…" if len(known) > 8 else "")
            errors[f"invite.{key}"] = ui_text(f"err_invite_{key}", value=value[:40], known=shown)
    db.rollback()
    if errors:
        return wave_page(name, "sample", errors=errors, form=form, status=400)
    try:
        tokens = create_invitations(
            db,
            name,
            count,
            actor=g.user.username,
            town=town,
            stratum=form.get("stratum") or None,
            psu=form.get("psu") or None,
        )
    except SurveyError as exc:
        return wave_page(
            name,
            "sample",
            errors=_in_place(exc, "invite.count"),
            form=form,
            status=exc.status if exc.status != 404 else 400,
        )
    ids = db.execute(
        select(func.min(Invitation.id), func.max(Invitation.id)).where(
            Invitation.token.in_([tokens[0], tokens[-1]])
        )
    ).one()
    session[NEW_LINKS] = {"wave": name, "first": int(ids[0]), "last": int(ids[1])}
    flash(ui_text("flash_invited", count=len(tokens)))
    return _back(name, "sample")


@bp.post("/waves/<name>/units")
@wave_role_required("admin")
def save_units(name: str) -> Any:
    """Create or update the unit links of an anonymous wave from a CSV (unit, label, quota)."""
    upload = uploaded_file()
    if upload is None:
        errors = {"units.file": ui_text("err_units_file")}
        return wave_page(name, "sample", errors=errors, status=400)
    try:
        saved = save_unit_links(get_session(), name, parse_units(upload[0]), actor=g.user.username)
    except SurveyError as exc:
        return wave_page(name, "sample", errors=_in_place(exc, "units.file"), status=400)
    flash(ui_text("flash_units_saved", count=len(saved)))
    return _back(name, "sample")


@bp.post("/waves/<name>/import")
@wave_role_required("admin")
def import_cases(name: str) -> Any:
    """Import a sample file (CSV) as the wave's cases: all rows or none."""
    upload = uploaded_file()
    form = _form()
    if upload is None:
        errors = {"import.file": ui_text("err_sample_file")}
        return wave_page(name, "sample", errors=errors, form=form, status=400)
    mode = form.get("mode", "capi")
    try:
        result = import_sample(get_session(), name, upload[0], actor=g.user.username, mode=mode)
    except SurveyError as exc:
        return wave_page(
            name, "sample", errors=_in_place(exc, "import.file"), form=form, status=400
        )
    flash(ui_text("flash_imported", count=result.count, name=name))
    return _back(name, "sample")


@bp.post("/waves/<name>/assign")
@wave_role_required("admin")
def assign_cases(name: str) -> Any:
    """Assign cases (by household ids, town or PSU) to an interviewer. A town is named by
    its code or its name on the questionnaire's list; an assignment that matches no case
    changes nothing and says so beside the form."""
    form = _form()
    db = get_session()
    errors: dict[str, str] = {}
    username = form.get("username", "").strip()
    unassign = form.get("unassign") == "yes"
    if username and unassign:
        errors["assign.username"] = ui_text("err_assign_or_unassign")
    elif username:
        user = db.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            errors["assign.username"] = ui_text("err_unknown_user", user=username[:64])
        elif user.role != "interviewer":
            errors["assign.username"] = ui_text("err_not_interviewer", user=username[:64])
    elif not unassign:  # an empty name once unassigned whole towns without a word
        errors["assign.username"] = ui_text("err_assign_who")
    town = None
    if form.get("town", "").strip():
        q = questionnaire_of(get_wave(db, name).questionnaire_version)
        town = resolve_town(q, form["town"])
        if town is None:
            errors["assign.town"] = ui_text("err_town", value=form["town"][:40])
    # spaces, commas (a Chinese keyboard types "，" and "、"), semicolons or new lines
    households = [h for h in _LIST_SEPARATORS.split(form.get("households", "")) if h][:10_000]
    psu = form.get("psu", "").strip() or None
    if not (households or town or psu):
        errors.setdefault("assign.households", ui_text("err_assign_what"))
    if errors:
        return wave_page(name, "fieldwork", errors=errors, form=form, status=400)
    try:
        count = assign(
            db,
            name,
            username or None,
            actor=g.user.username,
            household_ids=households,
            town=town,
            psu=psu,
        )
    except SurveyError as exc:
        place = "assign.households" if exc.param == "household_ids" else "assign.username"
        return wave_page(name, "fieldwork", errors=_in_place(exc, place), form=form,
                         status=exc.status)  # fmt: skip
    if count == 0:
        errors = {"assign.households": ui_text("err_assigned_none")}
        return wave_page(name, "fieldwork", errors=errors, form=form, status=422)
    flash(ui_text("flash_unassigned" if unassign else "flash_assigned", count=count))
    return _back(name, "fieldwork")


@bp.post("/waves/<name>/members")
@wave_role_required("admin")
def wave_members(name: str) -> Any:
    """Give a user a role on this wave, or remove them (after a confirmation)."""
    form = _form()
    db = get_session()
    username = form.get("username", "").strip()
    role = form.get("role", "")
    errors: dict[str, str] = {}
    removing = form.get("action") == "remove"
    site_role = db.scalars(select(User.role).where(User.username == username)).first()
    if not username:
        errors["members.username"] = ui_text("err_username_missing")
    elif site_role is None:
        errors["members.username"] = ui_text("err_unknown_user", user=username[:64])
    elif not removing and site_role in OWN_PLACE_ROLES:
        errors["members.username"] = ui_text(
            "err_member_account", user=username[:64], role=ui_label("role", site_role)
        )
    if removing and form.get("confirm") != "1" and not errors:
        errors["members.confirm"] = ui_text("err_confirm_remove", user=username[:64])
    if not removing and role not in TEAM_ROLES:
        errors["members.role"] = ui_text("err_member_role")
    if errors:
        return wave_page(name, "team", errors=errors, form=form, status=400)
    try:
        if removing:
            revoke(db, name, username, actor=g.user.username)
        else:
            grant(db, name, username, role, actor=g.user.username)
    except SurveyError as exc:
        return wave_page(
            name, "team", errors=_in_place(exc, "members.username"), form=form, status=400
        )
    if removing:
        flash(ui_text("flash_member_removed", user=username))
    else:
        flash(ui_text("flash_member_granted", user=username, role=ui_label("role", role)))
    return _back(name, "team")


@bp.post("/waves/<name>/settings")
@wave_role_required("admin")
def wave_settings_update(name: str) -> Any:
    """Change the wave's fieldwork settings from the labelled form (checked field by field)."""
    form = _form()
    db = get_session()
    w = get_wave(db, name)
    current = wave_settings(w)
    towns = towns_of(questionnaire_of(w.questionnaire_version))
    changes, errors = settings_from_form(form, current, towns, current_language())
    if errors:
        return wave_page(name, "settings", errors=errors, form=form, status=400)
    if changes:
        try:
            update_settings(db, name, changes, actor=g.user.username)
        except SurveyError as exc:
            field = exc.param if exc.param in changes else "settings"
            return wave_page(name, "settings", errors=_in_place(exc, field), form=form, status=400)
    flash(ui_text("flash_settings_saved" if changes else "flash_settings_unchanged"))
    return _back(name, "settings")


# -- edit, duplicate, delete -----------------------------------------------------------------
def _edit_page(name: str, errors: dict[str, str], form: dict[str, str], status: int = 200) -> Any:
    db = get_session()
    w = get_wave(db, name)
    values = {
        "survey_year": str(w.survey_year),
        "opens_at": _typed_time(w.opens_at),
        "closes_at": _typed_time(w.closes_at),
        "allow_learn": "1" if w.allow_learn else "",
        "open_recruitment": "1" if w.open_recruitment else "",
    }
    modes = list(w.modes or [])
    if form:
        values = {k: form.get(k, "") for k in values}
        modes = request.form.getlist("modes")
    g.page_url = url_for("admin.edit_wave", name=name)
    page = render_template(
        "admin/edit_wave.html",
        w=summarize(db, w),
        v=values,
        modes=modes,
        all_modes=MODES,
        errors=errors,
    )
    return page, status


@bp.route("/waves/<name>/edit", methods=["GET", "POST"])
@wave_role_required("admin")
def edit_wave(name: str) -> Any:
    """Change the wave's survey year, dates, modes, learning page and open link."""
    if request.method == "GET":
        return _edit_page(name, {}, {})
    form = _form()
    errors: dict[str, str] = {}
    year = form.get("survey_year", "").strip()
    if not (year.isdecimal() and len(year) == 4):
        errors["survey_year"] = ui_text("err_survey_year")
    dates = _wave_dates(form, errors)
    if errors:
        return _edit_page(name, errors, form, 400)
    edit = WaveEdit(
        survey_year=int(year),
        allow_learn=form.get("allow_learn") == "1",
        open_recruitment=form.get("open_recruitment") == "1",
        modes=tuple(request.form.getlist("modes")),
        opens_at=dates["opens_at"],
        closes_at=dates["closes_at"],
    )
    try:
        update_wave(get_session(), name, edit, actor=g.user.username)
    except SurveyError as exc:
        return _edit_page(name, _in_place(exc, exc.param or "survey_year"), form, 400)
    flash(ui_text("flash_wave_saved", name=name))
    return _back(name, "overview")


@bp.post("/waves/<name>/duplicate")
@wave_role_required("admin")
def duplicate(name: str) -> Any:
    """A copy of the wave under a new name (questionnaire, settings, team; no cases)."""
    form = _form()
    if g.user.role != "admin":
        errors = {"duplicate.name": ui_text("err_admin_only")}
        return wave_page(name, errors=errors, form=form, status=403)
    try:
        copy = duplicate_wave(get_session(), name, form.get("new_name", ""), actor=g.user.username)
    except SurveyError as exc:
        return wave_page(
            name,
            errors=_in_place(exc, "duplicate.name"),
            form=form,
            status=exc.status if exc.status != 404 else 400,
        )
    flash(ui_text("flash_wave_duplicated", name=copy.name, source=name))
    return redirect(url_for("admin.wave", name=copy.name), code=303)


@bp.route("/waves/<name>/delete", methods=["GET", "POST"])
@wave_role_required("admin")
def delete(name: str) -> Any:
    """Delete a wave after a confirmation; a wave holding responses only when its name
    is typed again (the responses go with it)."""
    db = get_session()
    responses = response_count(db, name)
    errors: dict[str, str] = {}
    if request.method == "POST":
        typed = request.form.get("confirm_name", "").strip()
        if request.form.get("confirm") != "1":
            errors["confirm"] = ui_text("err_confirm_delete")
        elif responses and typed != name:
            errors["confirm_name"] = ui_text("err_delete_type_name", name=name)
        if not errors:
            deleted = delete_wave(db, name, actor=g.user.username, with_responses=typed == name)
            flash(ui_text("flash_wave_deleted", name=name, n=deleted))
            return redirect(url_for("admin.waves"), code=303)
    g.page_url = url_for("admin.delete", name=name)
    page = render_template(
        "admin/delete_wave.html",
        w=summarize(db, get_wave(db, name)),
        responses=responses,
        errors=errors,
        typed=request.form.get("confirm_name", "")[:80],
        ticked=request.form.get("confirm") == "1",
    )
    return page, 400 if errors else 200


# -- questionnaire preview (stores nothing) --------------------------------------------------
def _preview_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="kesu-preview")


def _preview_state(raw: str) -> dict[str, Any]:
    """The answers given so far in this preview (signed, so a tampered state is refused)."""
    if not raw:
        return {}
    try:
        state = _preview_serializer().loads(raw[:200_000])
    except BadSignature:
        raise BadRequestError(
            "the preview's state is damaged; start again", param="state", ui="err_preview_state"
        ) from None
    return state if isinstance(state, dict) else {}


def _preview_page(
    name: str,
    section: str | None,
    answers: dict[str, Any],
    errors: dict[str, str],
    values: dict[str, Any] | None,
    status: int,
    notes: dict[str, str] | None = None,
) -> Any:
    db = get_session()
    w = get_wave(db, name)
    q = questionnaire_of(w.questionnaire_version)
    lang = current_language()
    vis = walk(q, answers, w.survey_year)
    ids = vis.section_ids
    if section not in ids:
        section = ids[0] if section is None or section == "" else None
    state = _preview_serializer().dumps(answers)
    if request.method == "POST":  # answered in place: the switch leads back to this page
        g.page_url = url_for("admin.preview", name=name, page=section or "end", state=state)
    if section is None:  # past the last page
        return render_template(
            "admin/preview.html",
            w=w,
            q=q,
            done=True,
            answered=len(answers),
            state=state,
            title=q.title.get(lang),
        ), status
    items = vis.items_of(section)
    index = vis.index(section)
    number = sum(len(its) for _, its in vis.sections[:index])
    shown = values if values is not None else _preview_values(items, answers)
    view = page_view(items, shown, errors, lang=lang, seed=0, first_number=number + 1, notes=notes)
    texts = {k: ui_text(k) for k in ("required_mark", "optional_mark", "choose_any")}
    sec = next(s for s, _ in vis.sections if s.id == section)
    return render_template(
        "admin/preview.html",
        w=w,
        q=q,
        done=False,
        title=q.title.get(lang),
        section_id=section,
        section_title=sec.title.get(lang),
        intro=sec.intro.get(lang) if sec.intro is not None else None,
        items_html=render_items(view, texts),
        errors=error_summary(view, errors) if errors else [],
        page_number=index + 1,
        pages=len(ids),
        is_last=vis.next_section(section) is None,
        previous=vis.previous_section(section),
        state=state,
    ), status


def _preview_values(items: Any, answers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        for var in item.variables:
            value = answers.get(var)
            if value is not None:
                out[var] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return out


@bp.route("/waves/<name>/preview", methods=["GET", "POST"])
@wave_role_required(*MONITOR_ROLES)
def preview(name: str) -> Any:
    """Walk the wave's questionnaire page by page as a respondent would, skip logic and
    checks included, without storing anything: the answers travel in a signed field of
    the page (nothing is written to the database, no invitation, no response)."""
    if request.method == "GET":
        answers = _preview_state(request.args.get("state", ""))
        return _preview_page(name, request.args.get("page", ""), answers, {}, None, 200)
    answers = _preview_state(request.form.get("state", ""))
    section = request.form.get("page", "")[:64]
    w = get_wave(get_session(), name)
    q = questionnaire_of(w.questionnaire_version)
    if section not in {s.id for s in q.sections}:
        raise BadRequestError("no such page", param="page", ui="err_preview_state")
    fields = {k: v for k, v in request.form.lists() if k not in ("state", "csrf_token")}
    if request.form.get("action") == "back":
        previous = walk(q, answers, w.survey_year).previous_section(section)
        return redirect(
            url_for(
                "admin.preview",
                name=name,
                page=previous or section,
                state=_preview_serializer().dumps(answers),
            ),
            code=303,
        )
    outcome = apply_page(
        q, section, answers, fields, survey_year=w.survey_year, language=current_language()
    )
    if not outcome.ok:
        items = outcome.visibility.items_of(section)
        posted: dict[str, Any] = {}
        for item in items:
            for var in item.variables:
                got = request.form.getlist(FIELD_PREFIX + var)
                posted[var] = got if item.type is ItemType.MULTIPLE else (got[0] if got else None)
        return _preview_page(
            name,
            section,
            outcome.answers,
            outcome.errors,
            {k: v for k, v in posted.items() if v is not None},
            422,
            outcome.notes,
        )
    following = outcome.visibility.next_section(section)
    return redirect(
        url_for(
            "admin.preview",
            name=name,
            page=following or "end",
            state=_preview_serializer().dumps(outcome.answers),
        ),
        code=303,
    )


@bp.get("/waves/<name>/units.csv")
@wave_role_required("admin")
def units_download(name: str) -> Any:
    """The unit links with their progress, as CSV (UTF-8 with BOM)."""
    db = get_session()
    base = str(current_app.config.get("PUBLIC_BASE_URL") or request.url_root)
    data = unit_links_csv(unit_links(db, name), base)
    audit(db, g.user.username, "wave.unit_links", name)
    db.commit()
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
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


def _links(name: str) -> Any:
    db = get_session()
    begin_write(db)
    mark_sent(db, get_wave(db, name))  # invitation status "sent" (survey.invitations)
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
    """Printable A4 invitation slips with QR codes of the invitations not completed:
    web-mode ones only (the households an interviewer visits get none) unless
    ``?mode=all``; ``?town=`` (code or name) keeps one town."""
    db = get_session()
    q = questionnaire_of(get_wave(db, name).questionnaire_version)
    labels = town_labels(q)
    town = request.args.get("town", "").strip()
    code = town_code(q, town)
    mode = None if request.args.get("mode") == "all" else "web"
    begin_write(db)
    found = invitation_links(db, name, public_base_url(), mode=mode, town=code,
                             not_completed=True)  # fmt: skip
    mark_sent(db, get_wave(db, name), ids=[link.invitation_id for link in found])
    audit(db, g.user.username, "wave.links", name, count=len(found), pdf=True)
    db.commit()
    if not found:  # nothing silent: an empty sheet would look like a fault
        flash(ui_text("slip_none", town=labels.get(code or "", town) or "—"))
        return redirect(url_for("admin.wave", name=name, tab="sample"), code=303)
    pdf = qr_sheet_pdf(found, title=name, town_labels=labels,
                       survey_title=q.title.get("zh-CN"))  # fmt: skip
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{name}-qr.pdf", max_age=0)  # fmt: skip
