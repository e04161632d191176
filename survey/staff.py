"""Staff console pages: the response browser and one response, filtered downloads,
invitation status with resending and reminder lists, the audit-log viewers, and the
management of users and API tokens.

Who may see what (:mod:`survey.auth`): the response browser is for the wave's admins and
statisticians, and for interviewers, who see only their own cases (another case is the
same 404 as a missing one); viewers see aggregates only (403). Invitations carry the
respondents' links and are for wave admins; the wave's audit log for wave admins, the
whole log and the accounts for site admins. Every form carries a CSRF token; every change
is audit-logged; every POST ends in a redirect with a confirmation (a token or a new link
is shown once, from the session's one-time message).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import Response as FlaskResponse
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import stream_with_context
from flask import url_for
from sqlalchemy import select

from survey.admin import public_base_url
from survey.auth import DATA_ROLES
from survey.auth import role_required
from survey.auth import wave_role_required
from survey.browse import FILTER_KEYS
from survey.browse import FLAGS
from survey.browse import MODES
from survey.browse import PAGE_SIZES
from survey.browse import REVIEWS
from survey.browse import STATUSES
from survey.browse import FilterChoices
from survey.browse import ResponseFilter
from survey.browse import audit_actions
from survey.browse import audit_page
from survey.browse import filter_choices
from survey.browse import iter_pages
from survey.browse import list_responses
from survey.browse import local_time
from survey.browse import parse_filter
from survey.browse import parse_page
from survey.browse import response_detail
from survey.browse import wave_audit_condition
from survey.db import begin_write
from survey.db import get_session
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.errors import SurveyError
from survey.i18n import current_language
from survey.i18n import ui_label
from survey.i18n import ui_text
from survey.invitations import INVITATION_STATUSES
from survey.invitations import REMINDED_MODES
from survey.invitations import list_invitations
from survey.invitations import mark_listed_sent
from survey.invitations import remind_all
from survey.invitations import reminder_csv
from survey.invitations import reminder_text
from survey.invitations import resend
from survey.invitations import status_counts
from survey.models import ROLES
from survey.models import ApiToken
from survey.models import Response
from survey.models import User
from survey.monitor import FILTERED_FORMATS
from survey.monitor import export_response
from survey.monitoring import review_response
from survey.security import attachment
from survey.services import MIN_PASSWORD_LENGTH
from survey.services import audit
from survey.services import create_user
from survey.services import set_password
from survey.services import wave_is_anonymous
from survey.users import create_api_token
from survey.users import get_user
from survey.users import list_users
from survey.users import revoke_api_token
from survey.users import set_active

logger = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/admin")

#: who may open the response browser (interviewers: their own cases only)
BROWSE_ROLES = ("admin", "statistician", "interviewer")
#: the session key of a text shown once in its own box (a new token, a new link); kept
#: apart from the flashed messages so that it is not repeated among them
ONCE_KEY = "staff_once"


def init_app(app: Flask) -> None:
    """Template helpers: Beijing times, the pager."""
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.globals.update(iter_pages=iter_pages, page_sizes=PAGE_SIZES)


def _own_user_id() -> int | None:
    """The interviewer's id when the user's role on the wave is interviewer, else None."""
    return int(g.user.id) if g.wave_role == "interviewer" else None


def _filter() -> tuple[ResponseFilter, FilterChoices]:
    db = get_session()
    choices = filter_choices(db, g.wave, current_language())
    return parse_filter(request.args, choices, own_user_id=_own_user_id()), choices


def _show_once(text: str) -> None:
    """Show ``text`` once, on the page the redirect leads to."""
    session[ONCE_KEY] = text


def _pop_once() -> list[str]:
    text = session.pop(ONCE_KEY, None)
    return [text] if isinstance(text, str) else []


def _back_args() -> dict[str, Any]:
    """The list's filter and page, carried by a form's ``f_*`` fields (to go back to)."""
    keys = (*FILTER_KEYS, "page", "per")
    found: dict[str, Any] = {
        k[2:]: v[:64] for k, v in request.form.items() if k.startswith("f_") and v
    }
    return {k: v for k, v in found.items() if k in keys}


# -- responses ---------------------------------------------------------------------------------
@bp.get("/waves/<name>/responses")
@wave_role_required(*BROWSE_ROLES)
def responses(name: str) -> Any:
    """The wave's responses, by id, highest first (an anonymous wave's in the order of their
    drawn ids, which says nothing of when they came): filters, pages, timestamps, flags."""
    return _responses_page(name, request.args)


def _responses_page(
    name: str, args: Any, error: str | None = None, ticked: frozenset[int] = frozenset(),
    reason: str = "",
) -> Any:  # fmt: skip
    db = get_session()
    choices = filter_choices(db, g.wave, current_language())
    # a bad filter (a date typed wrong, "from" after "to") is said above the filters, which
    # keep what was chosen; the list shows what the other filters let through
    used, raw, bad, filter_error = dict(args.items()), dict(args.items()), "", ""
    while True:
        try:
            flt = parse_filter(used, choices, own_user_id=_own_user_id())
            number, size = parse_page(used)
            break
        except BadRequestError as exc:
            if exc.param not in used:  # pragma: no cover - every filter error names its key
                raise
            if not bad:
                filter_error, bad = exc.page_text(), exc.param or ""
            used.pop(exc.param or "")
    page, rows = list_responses(db, g.wave, flt, number, size)
    html = render_template(
        "staff/responses.html", name=name, flt=flt, choices=choices, page=page, rows=rows,
        args={**flt.args(), "per": str(size)}, statuses=STATUSES, flags=FLAGS, modes=MODES,
        reviews=REVIEWS, can_review=g.wave_role in DATA_ROLES, formats=FILTERED_FORMATS,
        error=error, ticked=ticked, reason=reason, anonymous=wave_is_anonymous(g.wave),
        bad=bad, raw=raw, filter_error=filter_error,
    )  # fmt: skip
    return (html, 400) if error or filter_error else html


@bp.get("/waves/<name>/responses/<id:response_id>")
@wave_role_required(*BROWSE_ROLES)
def response(name: str, response_id: int) -> Any:
    """One response: answers with question and option labels, score, flags, paradata,
    review history; accept or reject (statisticians and admins)."""
    back = {k: v for k, v in request.args.items() if k in (*FILTER_KEYS, "page", "per") and v}
    return _response_page(name, response_id, back)


def _response_page(
    name: str, response_id: int, back: dict[str, str], error: str | None = None,
    reason: str = "",
) -> Any:  # fmt: skip
    lang = current_language()
    db = get_session()
    detail = response_detail(db, g.wave, response_id, language=lang, own_user_id=_own_user_id())
    page = render_template(
        "staff/response.html", name=name, d=detail, back=back, error=error, reason=reason,
        can_review=g.wave_role in DATA_ROLES, towns=filter_choices(db, g.wave, lang).towns,
        anonymous=wave_is_anonymous(g.wave),
    )  # fmt: skip
    return (page, 400) if error else page


@bp.post("/waves/<name>/responses/<id:response_id>/decision")
@wave_role_required(*DATA_ROLES)
def decide(name: str, response_id: int) -> Any:
    """Accept or reject one response with a reason (audited); back to its page. A missing
    reason is shown next to the field, the choice kept."""
    try:
        review_response(get_session(), response_id, request.form.get("decision", ""),
                        request.form.get("reason", ""), actor=g.user.username,
                        wave_name=name)  # fmt: skip
    except BadRequestError as exc:
        get_session().rollback()
        return _response_page(name, response_id, _back_args(), error=exc.page_text(),
                              reason=request.form.get("reason", "")[:500])  # fmt: skip
    decision = request.form.get("decision", "")
    flash(ui_text("flash_reviewed", id=response_id, decision=ui_label("review", decision)))
    back = _back_args()
    return redirect(url_for("staff.response", name=name, response_id=response_id, **back),
                    code=303)  # fmt: skip


@bp.post("/waves/<name>/responses/accept")
@wave_role_required(*DATA_ROLES)
def accept_many(name: str) -> Any:
    """Accept the ticked responses with one reason (each audited on its own)."""
    ids = []
    for value in request.form.getlist("ids")[:500]:
        if not value.isdecimal() or len(value) > 12:
            raise BadRequestError("ids are response numbers", param="ids", got=value[:20])
        ids.append(int(value))
    args = _back_args()
    if not ids:
        flash(ui_text("browse_none_ticked"))
        return redirect(url_for("staff.responses", name=name, **args), code=303)
    db = get_session()
    found = set(db.scalars(select(Response.id).where(Response.wave_id == g.wave.id,
                                                     Response.id.in_(ids))))  # fmt: skip
    db.rollback()
    if found != set(ids):  # another wave's response: nothing is changed
        raise NotFoundError("no such response in this wave", param="ids",
                            ui="err_browse_no_response")  # fmt: skip
    reason = request.form.get("reason", "").strip()
    if not 3 <= len(reason) <= 500:
        return _responses_page(name, args, error=ui_text("err_review_reason"),
                               ticked=frozenset(ids), reason=reason[:500])  # fmt: skip
    for rid in ids:
        review_response(db, rid, "accepted", reason, actor=g.user.username, wave_name=name)
    flash(ui_text("browse_accepted_many", count=len(ids)))
    return redirect(url_for("staff.responses", name=name, **args), code=303)


@bp.get("/waves/<name>/responses/download/<fmt>")
@wave_role_required(*DATA_ROLES)
def download(name: str, fmt: str) -> Any:
    """The export (CSV, .sav, .dta) of exactly the responses the filter lets through; the
    filter is in the file name (``w1-responses-town-fotang.csv``)."""
    if fmt not in FILTERED_FORMATS:
        raise BadRequestError("unknown export format", param="format", got=fmt[:32],
                              expected=FILTERED_FORMATS, ui="err_browse_format")  # fmt: skip
    flt, _ = _filter()
    return export_response(name, fmt, g.user.username, flt)


# -- invitations -------------------------------------------------------------------------------
@bp.get("/waves/<name>/invitations")
@wave_role_required("admin")
def invitations(name: str) -> Any:
    """The wave's sample invitations: status with times, resend, reminders."""
    status = request.args.get("status", "")
    if status and status not in (*INVITATION_STATUSES, "pending"):
        raise BadRequestError(f"unknown invitation status {status[:20]!r}", param="status",
                              ui="err_browse_filter",
                              ui_params={"param": "status", "value": status[:20]})  # fmt: skip
    number, size = parse_page(request.args)
    db = get_session()
    lang = current_language()
    towns = filter_choices(db, g.wave, lang).towns
    town = request.args.get("town", "")
    if town and town not in towns:
        raise BadRequestError(
            f"unknown town {town[:20]!r}", param="town", ui="err_browse_filter",
            ui_params={"param": ui_text("mon_town"), "value": town[:20]},
        )  # fmt: skip
    household = request.args.get("household", "").strip()[:64]
    page, rows = list_invitations(db, g.wave, status, number, size, town=town or None,
                                  household=household)  # fmt: skip
    example = reminder_text(g.wave, public_base_url() + "/s/…", lang)
    args = {k: v for k, v in (("status", status), ("town", town), ("household", household),
                              ("per", str(size))) if v}  # fmt: skip
    return render_template(
        "staff/invitations.html", name=name, page=page, rows=rows, status=status,
        counts=status_counts(db, g.wave), statuses=INVITATION_STATUSES, example=example,
        args=args, secrets=_pop_once(), towns=towns, town=town, household=household,
        reminded_modes=REMINDED_MODES,
    )  # fmt: skip


@bp.post("/waves/<name>/invitations/<id:invitation_id>/resend")
@wave_role_required("admin")
def resend_invitation(name: str, invitation_id: int) -> Any:
    """Resend one invitation: the same link, or a new one (the old stops working)."""
    new_link = request.form.get("link") == "new"
    token = resend(get_session(), g.wave, invitation_id, new_link=new_link,
                   actor=g.user.username)  # fmt: skip
    link = f"{public_base_url()}/s/{token}"
    _show_once(ui_text("inv_resent_new" if new_link else "inv_resent_same", link=link))
    return redirect(url_for("staff.invitations", name=name, status=request.form.get(
        "status", "") or None), code=303)  # fmt: skip


@bp.post("/waves/<name>/invitations/remind")
@wave_role_required("admin")
def remind(name: str) -> Any:
    """Record a reminder (same links) for every invitation not completed."""
    count = remind_all(get_session(), g.wave, actor=g.user.username)
    flash(ui_text("inv_reminded", count=count))
    return redirect(url_for("staff.invitations", name=name), code=303)


@bp.get("/waves/<name>/reminders.csv")
@wave_role_required("admin")
def reminders(name: str) -> Any:
    """Everyone not completed, with status, link and the reminder text (CSV with BOM);
    the links count as handed out from now on."""
    db = get_session()
    begin_write(db)
    marked = mark_listed_sent(db, g.wave)
    audit(db, g.user.username, "wave.reminders", name, newly_sent=marked)
    db.commit()
    body = reminder_csv(db, g.wave, public_base_url(), current_language())
    out = FlaskResponse(stream_with_context(body), mimetype="text/csv")
    out.headers["Content-Disposition"] = attachment(f"{name}-reminders.csv")
    return out


# -- audit log ---------------------------------------------------------------------------------
def _audit_view(where: Any, *, name: str | None) -> Any:
    db = get_session()
    number, size = parse_page(request.args)
    actions = audit_actions(db, where)
    action = request.args.get("action", "").strip()
    if action and action not in actions:
        raise BadRequestError(f"unknown action {action[:40]!r}", param="action",
                              ui="err_browse_filter",
                              ui_params={"param": "action", "value": action[:40]})  # fmt: skip
    actor = request.args.get("actor", "").strip()[:64]
    page, rows = audit_page(db, where=where, actor=actor, action=action, number=number,
                            size=size)  # fmt: skip
    args = {k: v for k, v in {"actor": actor, "action": action, "per": str(size)}.items() if v}
    return render_template("staff/audit.html", name=name, page=page, rows=rows,
                           actions=actions, action=action, actor=actor, args=args)  # fmt: skip


@bp.get("/audit")
@role_required("admin")
def audit_log() -> Any:
    """The whole audit log (site admins), newest first, filterable, paged."""
    return _audit_view(None, name=None)


@bp.get("/waves/<name>/audit")
@wave_role_required("admin")
def wave_audit(name: str) -> Any:
    """The audit log of one wave (its admins): the wave, its responses and its cases."""
    return _audit_view(wave_audit_condition(g.wave), name=name)


# -- users and API tokens ----------------------------------------------------------------------
def _users_page(error: str | None = None, form: dict[str, str] | None = None,
                status: int = 200) -> Any:  # fmt: skip
    db = get_session()
    accounts = list_users(db)
    tokens = db.execute(
        select(ApiToken.id, User.username, ApiToken.label, ApiToken.created_at,
               ApiToken.last_used_at, ApiToken.revoked)
        .join(User, ApiToken.user_id == User.id)
        .order_by(User.username, ApiToken.id)
    ).all()  # fmt: skip
    created = {u.username: u.created_at for u in db.scalars(select(User))}
    db.rollback()
    page = render_template("staff/users.html", accounts=accounts, tokens=tokens, roles=ROLES,
                           created=created, error=error, form=form or {},
                           min_password=MIN_PASSWORD_LENGTH,
                           secrets=_pop_once())  # fmt: skip
    return page, status


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Any:
    """Staff accounts and API tokens (site admins); POST adds an account."""
    if request.method == "POST":
        return _add_user()
    return _users_page()


def _form_error(exc: SurveyError, form: dict[str, str]) -> Any:
    get_session().rollback()
    field = exc.param or ""
    return _users_page(error=exc.page_text(), form={**form, "field": field},
                       status=exc.status if exc.status != 404 else 400)  # fmt: skip


def _add_user() -> Any:
    """Add an account (password checked as ``kesu user add`` does)."""
    form = {"username": request.form.get("username", "")[:64],
            "role": request.form.get("role", "viewer")[:16]}  # fmt: skip
    try:
        create_user(get_session(), form["username"], request.form.get("password", "")[:256],
                    actor=g.user.username, role=form["role"])  # fmt: skip
    except SurveyError as exc:
        return _form_error(exc, form)
    flash(ui_text("users_added", user=form["username"].strip()))
    return redirect(url_for("staff.users"), code=303)


@bp.post("/users/<username>/active")
@role_required("admin")
def user_active(username: str) -> Any:
    """Disable an account (its sessions end at once) or enable it again."""
    active = request.form.get("active") == "1"
    if not active and username == g.user.username:
        raise BadRequestError("you cannot disable your own account", param="username",
                              ui="err_users_self")  # fmt: skip
    set_active(get_session(), username, active, actor=g.user.username)
    flash(ui_text("users_enabled" if active else "users_disabled", user=username))
    return redirect(url_for("staff.users"), code=303)


@bp.post("/users/<username>/password")
@role_required("admin")
def user_password(username: str) -> Any:
    """Set a new password (checked; the account's sessions end)."""
    get_user(get_session(), username)
    try:
        set_password(get_session(), username, request.form.get("password", "")[:256],
                     actor=g.user.username)  # fmt: skip
    except SurveyError as exc:
        return _form_error(exc, {"reset": username})
    flash(ui_text("users_password_set", user=username))
    return redirect(url_for("staff.users"), code=303)


@bp.post("/users/<username>/tokens")
@role_required("admin")
def user_token(username: str) -> Any:
    """A new read-only API token, shown once (stored as SHA-256)."""
    token = create_api_token(get_session(), username, actor=g.user.username,
                             label=request.form.get("label", "")[:64])  # fmt: skip
    _show_once(ui_text("users_token_created", user=username, token=token))
    return redirect(url_for("staff.users"), code=303)


@bp.post("/tokens/<id:token_id>/revoke")
@role_required("admin")
def token_revoke(token_id: int) -> Any:
    """Revoke one API token (audited)."""
    owner = revoke_api_token(get_session(), token_id, actor=g.user.username)
    flash(ui_text("users_token_revoked", user=owner))
    return redirect(url_for("staff.users"), code=303)
