"""Respondent pages: consent, paged questions, thank-you and "learn the answers".

Plain HTML forms, so the survey works with JavaScript off and in WeChat's in-app
browser; skip logic runs on the server. Preferences (language, large text) live in the
signed session cookie; the invitation token in the URL identifies the response. Unit
links (``/u/<token>``) recruit for anonymous waves (:mod:`survey.anonymity`); the
duty-of-care message (:mod:`survey.care`) is computed here from the stored answers.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.wrappers import Request
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from kesu.i18n import LANGUAGE_NAMES
from kesu.i18n import normalize_language
from kesu.i18n import tr
from questionnaires import Item
from questionnaires import ItemType
from questionnaires import Questionnaire
from survey import security
from survey.anonymity import start_unit_response
from survey.anonymity import unit_state
from survey.answers import FIELD_PREFIX
from survey.auth import public
from survey.caches import keep
from survey.care import care_view
from survey.ctx import current_application
from survey.ctx import current_g
from survey.ctx import current_request
from survey.ctx import current_session
from survey.db import database
from survey.db import get_session
from survey.errors import BadRequestError
from survey.flow import offered
from survey.flow import option_order
from survey.flow import row_order
from survey.flow import walk
from survey.invitations import mark_opened
from survey.models import Wave
from survey.models import WaveStatus
from survey.render import PageShell
from survey.render import error_summary
from survey.render import render_items
from survey.render import slot
from survey.responses import Respondent
from survey.responses import check_interviewer
from survey.responses import load_respondent
from survey.responses import open_wave_state
from survey.responses import save_page
from survey.responses import start_open_response
from survey.responses import start_response
from survey.responses import valid_token
from survey.services import questionnaire_of
from survey.services import wave_is_anonymous
from survey.services import wave_is_open

logger = logging.getLogger(__name__)

bp = Blueprint("respond", __name__)

OPEN_COOKIE = "kesu_open"
#: a random per-browser id (not a fingerprint): duplicate-response detection
DEVICE_COOKIE = "kesu_device"


def init_app(app: Flask) -> None:
    """Template helpers and rate limits of the respondent pages."""
    app.jinja_env.globals.update(t=_t, tx=_tx, languages=LANGUAGE_NAMES, switch_url=switch_url)
    #: rendered question pages with slots, per questionnaire, page, language, ... (PageShell)
    app.extensions["kesu_page_shells"] = {}
    security.limit(app, "respond.page", "RATE_LIMIT_SUBMIT", key_func=_token_key, methods=["POST"])
    security.limit(app, "respond.start", "RATE_LIMIT_SUBMIT", key_func=_token_key, methods=["POST"])
    security.limit(app, "respond.open_link", "RATE_LIMIT_OPEN_START", methods=["POST"])
    security.limit(
        app, "respond.unit_link", "RATE_LIMIT_OPEN_START", key_func=_unit_key, methods=["POST"]
    )


def _unit_key() -> str:
    # anonymous waves: limit per unit link, never per client address (none is kept)
    token = (request.view_args or {}).get("token", "")
    return "unit:" + hashlib.sha256(token[:64].encode("utf-8")).hexdigest()[:24]


def _token_key() -> str:
    # many respondents can share one address (a village's network): limit per link; the
    # key is a hash, so the limiter's storage (Redis) holds no usable invitation token
    token = str((request.view_args or {}).get("token", ""))[:64]
    return "token:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


def switch_url(key: str, value: str) -> str:
    """The link of a language or text-size switch (``?lang=en``, ``?text=large``).

    It must lead to a page that answers GET: the page's own address when the view set one
    (``g.page_url``: a form answered in place after a POST, a page shown instead of a
    download), else the current address of a GET, else the current path when it answers
    GET, else the staff or respondent start page (never a 405).
    """
    if g.get("page_url"):
        base = str(g.page_url)
    elif request.method == "GET":
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("lang", "text")]
        base = request.path + (f"?{urlencode(kept)}" if kept else "")
    elif request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        base = request.path
    else:
        base = url_for("admin.waves") if request.path.startswith("/admin") else "/"
    return base + ("&" if "?" in base else "?") + urlencode({key: value})


def _t(key: str, **params: Any) -> str:
    return tr(g.get("lang", "zh-CN"), key, **params)


def _tx(text: Any) -> str:
    return "" if text is None else str(text.get(g.get("lang", "zh-CN")))


@bp.before_app_request
def _preferences() -> Any:
    """Apply ``?lang=`` and ``?text=`` switches, then redirect to the clean URL."""
    req, sess, ns = current_request(), current_session(), current_g()  # (every request)
    ns.lang = normalize_language(sess.get("lang"))
    ns.large = bool(sess.get("large"))
    args = req.args if req.method == "GET" and req.query_string else None  # (parse if any)
    if args is not None and ("lang" in args or "text" in args):
        if args.get("lang") in LANGUAGE_NAMES:
            sess["lang"] = args["lang"]
        if args.get("text") in ("large", "normal"):
            sess["large"] = args["text"] == "large"
        # keep the other parameters (a classroom QR link carries its session code)
        kept = [(k, v) for k, v in args.items(multi=True) if k not in ("lang", "text")]
        return redirect(req.path + (f"?{urlencode(kept)}" if kept else ""), code=303)
    return None


def device_class(user_agent: str) -> dict[str, str]:
    """Coarse device and browser class from a User-Agent (the string itself is not kept)."""
    ua = user_agent.lower()
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        device = "tablet"
    elif "mobi" in ua or "iphone" in ua or "android" in ua:
        device = "phone"
    else:
        device = "desktop"
    browser = "wechat" if "micromessenger" in ua else "other"
    return {"device": device, "browser": browser}


@bp.get("/")
@public
def index() -> str:
    """A landing page for people who arrive without a link: the waves anyone may answer
    now (open, within their dates, with an open link), else "no survey is open"."""
    db = get_session()
    waves = [w for w in db.scalars(select(Wave).where(Wave.status == WaveStatus.OPEN,
                                                      Wave.open_recruitment.is_(True)))
             if w.open_token and wave_is_open(w) and not wave_is_anonymous(w)]  # fmt: skip
    public = [
        (questionnaire_of(w.questionnaire_version).title.get(g.lang), w.open_token)
        for w in sorted(waves, key=lambda w: w.id)
    ]
    db.rollback()
    return render_template("respond/index.html", public=public)


def _to_current(r: Respondent) -> WerkzeugResponse:
    if r.complete:
        return redirect(url_for("respond.done", token=r.token), code=303)
    return redirect(url_for("respond.page", token=r.token, section=r.page), code=303)


@bp.route("/s/<token>", methods=["GET", "POST"])
@public
def start(token: str) -> Any:
    """Consent page (GET); agreeing creates the response and opens the first page (POST)."""
    db = get_session()
    r = _respondent(db, token)
    if r.response_id is not None:
        return _to_current(r)
    if not r.is_open:
        return render_template("respond/closed.html", time_up=r.mode == "class"), 403
    if request.method == "POST":
        if r.anonymous:
            # no User-Agent class, no device cookie: nothing that points at a device
            started = start_response(db, token, language=g.lang, device={}, device_id=None)
            return _to_current(started)
        device = device_class(request.headers.get("User-Agent", ""))
        device_id = _device_id()
        started = start_response(db, token, language=g.lang, device=device, device_id=device_id,
                                 user_id=_user_id())  # fmt: skip
        response = _to_current(started)
        _remember_device(response, device_id)
        return response
    if not r.anonymous:
        mark_opened(db, token)  # invitation status "opened" (once; survey.invitations)
    return render_template("respond/consent.html", r=r, q=r.questionnaire)


def _user_id() -> int | None:
    user = g.get("user")
    return int(user.id) if user is not None else None


def _respondent(db: Any, token: str) -> Respondent:
    """The respondent behind ``token``; a CAPI case only for its assigned interviewer."""
    r = load_respondent(db, token)
    check_interviewer(r.mode, r.interviewer_id, _user_id())
    return r


def _device_id() -> str:
    """This browser's random id (cookie), used only to spot two responses from one browser."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if 16 <= len(raw) <= 64 and valid_token(raw):
        return raw
    return secrets.token_urlsafe(18)


def _remember_device(response: WerkzeugResponse, device_id: str) -> None:
    cfg = current_app.config
    response.set_cookie(
        DEVICE_COOKIE,
        device_id,
        max_age=int(timedelta(days=int(cfg["OPEN_LINK_COOKIE_DAYS"])).total_seconds()),
        httponly=True,
        secure=bool(cfg["SESSION_COOKIE_SECURE"]),
        samesite="Lax",
    )


def _display_values(
    q: Questionnaire, items: tuple[Item, ...], answers: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        for var in item.variables:
            value = answers.get(var)
            if value is None:
                continue
            out[var] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return out


def _posted_values(items: tuple[Item, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        for var in item.variables:
            posted = request.form.getlist(FIELD_PREFIX + var)
            if item.type is ItemType.MULTIPLE:
                out[var] = posted
            elif posted:
                out[var] = posted[0]
    return out


def _choices(var: str, options: Any, current: Any, lang: str) -> list[dict[str, Any]]:
    chosen = {current} if isinstance(current, str) else set(current or ())
    return [
        {
            "id": f"f-{var}-{o.code}",
            "code": o.code,
            "label": o.label.get(lang),
            "checked": o.code in chosen,
            "exclusive": o.exclusive,
        }
        for o in options
    ]


def _field(var: str, item: Item, errors: dict[str, str], notes: dict[str, str]) -> dict[str, Any]:
    described = []
    if item.help is not None:
        described.append(f"h-{item.id}")
    if var in errors:
        described.append(f"e-{var}")
    elif var in notes:
        described.append(f"n-{var}")
    note = None if var in errors else notes.get(var)
    return {"var": var, "error": errors.get(var), "note": note,
            "describedby": " ".join(described)}  # fmt: skip


def page_view(
    items: tuple[Item, ...],
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    lang: str,
    seed: int,
    first_number: int,
    notes: dict[str, str] | None = None,
    env: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Plain dicts for the page template: texts in ``lang``, options in display order,
    current values, errors and the neutral notes of newly shown questions (the template
    only loops; rendering stays cheap)."""
    notes = notes or {}
    out: list[dict[str, Any]] = []
    for n, item in enumerate(items, start=first_number):
        view: dict[str, Any] = {
            "id": item.id,
            "n": n,
            "type": item.type.value,
            "text": item.text.get(lang),
            "required": item.required,
            "help": item.help.get(lang) if item.help is not None else None,
            **_field(item.id, item, errors, notes),
        }
        if item.type is ItemType.GRID:
            view["rows"] = [
                {
                    "text": row.text.get(lang),
                    **_field(row.id, item, errors, notes),
                    "options": _choices(row.id, item.options, values.get(row.id), lang),
                }
                for row in row_order(item, seed)
            ]
        elif item.type.has_options:
            view["kind"] = "checkbox" if item.type is ItemType.MULTIPLE else "radio"
            options = offered(option_order(item, seed), env)
            view["options"] = _choices(item.id, options, values.get(item.id), lang)
        else:
            value = values.get(item.id)
            view["value"] = "" if value is None else str(value)
            view["integer"] = item.integer
            view["max_length"] = item.max_length or 500
            view["unit"] = item.unit.get(lang) if item.unit is not None else None
        out.append(view)
    return out


#: rendered items of pages with nothing filled in (see :func:`_render_page`), with their
#: UTF-8 bytes (what a page shell sends), oldest first out
_FRESH_PAGES: dict[tuple[Any, ...], tuple[Markup, bytes]] = {}
_FRESH_PAGES_MAX = 2048


def _render_page(
    r: Respondent,
    section_id: str,
    answers: dict[str, Any],
    errors: dict[str, str],
    values: dict[str, Any] | None = None,
    status: int = 200,
    notes: dict[str, str] | None = None,
) -> Any:
    q = r.questionnaire
    req, ns, app = current_request(), current_g(), current_application()
    lang = ns.lang
    vis = walk(q, answers, r.survey_year)
    if section_id not in vis.section_ids:
        abort(404, _t("err_page_not_in_survey"))
    index = vis.index(section_id)
    if r.page in vis.section_ids and index > vis.index(r.page):
        return _to_current(r)
    section, items = vis.sections[index]
    number = sum(len(its) for _, its in vis.sections[:index])
    shown = values if values is not None else _display_values(q, items, answers)
    seed = r.response_id or 0
    # a page with nothing filled in yet (the usual GET after "下一页") is the same markup
    # for everyone: cached per questionnaire, page, language, numbering and items shown
    # (and the respondent when an item's order is shuffled)
    env = q.environment(vis.answers, r.survey_year)
    # options offered by a condition on earlier answers (choice_filter) are part of the key
    filtered = q.filtered_option_items
    offers = tuple(
        tuple(o.code for o in offered(i.options, env)) for i in items if i.id in filtered
    )
    key = None
    if not shown and not errors and not notes:
        shuffled = seed if any(item.randomize for item in items) else None
        key = (q.content_hash, section_id, lang, number, tuple(i.id for i in items), shuffled,
               offers)  # fmt: skip
    cached = _FRESH_PAGES.get(key) if key is not None else None
    view: list[dict[str, Any]] = []
    items_utf8: bytes | None = None
    if cached is not None:
        items_html, items_utf8 = cached
    else:
        view = page_view(
            items, shown, errors, lang=lang, seed=seed, first_number=number + 1, notes=notes,
            env=env,
        )  # fmt: skip
        items_html = render_items(
            view, {k: _t(k) for k in ("required_mark", "optional_mark", "choose_any")}
        )
        if key is not None:
            items_utf8 = items_html.encode("utf-8")
            keep(_FRESH_PAGES, key, (items_html, items_utf8), _FRESH_PAGES_MAX)
    care = care_view(q, r.answers, r.settings, lang)
    is_last = vis.next_section(section_id) is None
    previous = vis.previous_section(section_id)
    context: dict[str, Any] = {
        "title": q.title.get(lang),
        "section_title": section.title.get(lang),
        "intro": section.intro.get(lang) if section.intro is not None else None,
        "section_id": section.id,
        "errors": error_summary(view, errors) if errors else [],
        "page_number": index + 1,
        "pages": len(vis.sections),
        "is_last": is_last,
        "previous": previous,
        "care": care,
    }
    if errors or (care and care.raised) or not _shell_allowed(req, ns, app):
        page_html = render_template("respond/page.html", r=r, items_html=items_html,
                                    rev=r.revision, **context)  # fmt: skip
        return page_html, status
    # the page around the items from its shell: everything it shows follows from this key
    shell_key = (q.content_hash, section_id, lang, ns.large, index, len(vis.sections), is_last,
                 previous, req.script_root)  # fmt: skip
    shells: dict[tuple[Any, ...], PageShell] = app.extensions["kesu_page_shells"]
    shell = shells.get(shell_key)
    if shell is None:
        shell = keep(shells, shell_key, _page_shell(r, context), _FRESH_PAGES_MAX)
    if items_utf8 is None:
        items_utf8 = items_html.encode("utf-8")
    filled = {"token": r.token.encode("ascii"), "csrf": security.csrf_token().encode("ascii"),
              "rev": str(r.revision).encode("ascii"), "items": items_utf8}  # fmt: skip
    return shell.fill(filled), status


def _shell_allowed(req: Request, ns: Any, app: Flask) -> bool:
    """Whether this request's page may come from a :class:`PageShell`: a GET without query
    parameters (the language and text-size links keep them), no flashed message, no page
    address set by the view (``ns``: ``g``), templates that do not change while the app
    runs."""
    return (
        req.method == "GET"
        and not req.query_string
        and "_flashes" not in current_session()
        and not ns.get("page_url")
        and not app.config["TEMPLATES_AUTO_RELOAD"]
        and not app.debug
    )


@dataclass(frozen=True)
class _ShellRespondent:
    """What ``respond/page.html`` may read of the respondent while its shell is rendered:
    the token (a slot) and the questionnaire (part of the shell's key)."""

    token: str
    questionnaire: Questionnaire


def _page_shell(r: Respondent, context: dict[str, Any]) -> PageShell:
    """``respond/page.html`` rendered with slots for the token, CSRF token, revision and
    items. Everything else it shows must follow from the shell's key in
    :func:`_render_page` (questionnaire, page, language, text size, position, address):
    ``tests/survey/test_respond_i15.py`` compares shells with pages rendered anew."""
    token = str(slot("token"))
    g.page_url = request.path.replace(f"/s/{r.token}/", f"/s/{token}/", 1)
    try:
        html = render_template(
            "respond/page.html",
            r=_ShellRespondent(token, r.questionnaire),
            items_html=slot("items"),
            rev=slot("rev"),
            csrf_token=lambda: slot("csrf"),
            **context,
        )
    finally:
        g.pop("page_url", None)
    return PageShell(html)


@bp.route("/s/<token>/q/<section>", methods=["GET", "POST"])
@public
def page(token: str, section: str) -> Any:
    """One page of questions (GET); validate and save it, then go on (POST)."""
    if current_request().method == "GET":
        r = _respondent(database(current_application()).engine, token)  # one query, no session
        if r.response_id is None:
            return redirect(url_for("respond.start", token=token), code=303)
        if r.complete:
            return _to_current(r)
        return _render_page(r, section, r.answers, {})
    # POST: save_page loads and locks what it needs (one write transaction)
    db = get_session()
    if request.form.get("page", section) != section:
        raise BadRequestError(
            "the form's page does not match the address", param="page", ui="err_form_stale"
        )
    raw_rev = request.form.get("rev", "")
    rev = int(raw_rev) if raw_rev.isdecimal() and len(raw_rev) < 10 else -1  # checked by save_page
    form = request.form.to_dict(flat=False)
    draft = form.pop("action", [""])[-1] == "back"  # "上一页": keep this page's answers
    result = save_page(db, token, section, rev, form, language=g.lang, user_id=_user_id(),
                       draft=draft)  # fmt: skip
    if result.outcome == "invalid":
        r = load_respondent(db, token)
        items = walk(r.questionnaire, result.answers, r.survey_year).items_of(section)
        who = "(anonymous)" if r.anonymous else r.response_id
        logger.info("response %s: %d field(s) need attention, %d new", who, len(result.errors),
                    len(result.notes))  # fmt: skip
        # a newly shown question alone is no mistake: the page again, with a note, 200
        status = 422 if result.errors else 200
        return _render_page(r, section, result.answers, result.errors, _posted_values(items),
                            status, notes=result.notes)  # fmt: skip
    if result.outcome == "complete" or (result.outcome == "stale" and not result.page):
        return redirect(url_for("respond.done", token=token), code=303)
    return redirect(url_for("respond.page", token=token, section=result.page), code=303)


@bp.get("/s/<token>/done")
@public
def done(token: str) -> Any:
    """Thank-you page."""
    r = _respondent(get_session(), token)
    if not r.complete:
        return _to_current(r) if r.response_id else redirect(url_for("respond.start", token=token))
    care = care_view(r.questionnaire, r.answers, r.settings, g.lang)
    return render_template("respond/thanks.html", r=r, care=care)


@bp.get("/s/<token>/learn")
@public
def learn(token: str) -> Any:
    """The right answer and explanation of each test item (after submission)."""
    r = _respondent(get_session(), token)
    if not r.complete:
        abort(403, _t("err_learn_after_submit"))
    if not r.allow_learn or r.mode == "class":  # classmates may still be answering
        abort(404, _t("err_learn_not_offered"))
    return render_template("respond/learn.html", r=r, q=r.questionnaire, items=_learn_items(r))


def _learn_items(r: Respondent) -> list[dict[str, Any]]:
    out = []
    for item in r.questionnaire.scored_items:
        key = item.key
        if key is None:  # pragma: no cover - scored_items have keys
            continue
        given = r.answers.get(item.id)
        chosen = set(given) if isinstance(given, list) else ({given} if given else set())
        out.append(
            {
                "item": item,
                "right": [o for o in item.options if o.code in key.correct],
                "chosen": [o for o in item.options if o.code in chosen],
                "correct": chosen == set(key.correct),
                "explanation": key.explanation,
            }
        )
    return out


def _open_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kesu-open-link")


def _remembered(open_token: str) -> str | None:
    raw = request.cookies.get(OPEN_COOKIE)
    if not raw:
        return None
    try:
        data = _open_serializer().loads(raw)
    except BadSignature:
        return None
    value = data.get(open_token[:64]) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@bp.route("/o/<token>", methods=["GET", "POST"])
@public
def open_link(token: str) -> Any:
    """Open-recruitment link: one response per browser, remembered by a signed cookie."""
    db = get_session()
    known = _remembered(token)
    if known:
        return redirect(url_for("respond.start", token=known), code=303)
    _name, is_open = open_wave_state(db, token)
    if not is_open:
        return render_template("respond/closed.html"), 403
    if request.method == "GET":
        return render_template("respond/open.html", token=token)
    invitation = start_open_response(db, token)
    response = redirect(url_for("respond.start", token=invitation), code=303)
    _remember(response, token, invitation)
    return response


@bp.route("/u/<token>", methods=["GET", "POST"])
@public
def unit_link(token: str) -> Any:
    """A unit's open link of an anonymous wave: anyone may start, up to the unit's quota.

    The browser remembers its response for the session only (a cookie without an expiry
    date), so a shared computer does not keep it.
    """
    db = get_session()
    known = _remembered(token)
    if known:
        return redirect(url_for("respond.start", token=known), code=303)
    state = unit_state(db, token)
    if not state.is_open:
        return render_template("respond/closed.html"), 403
    if state.full:
        return render_template("respond/unit_full.html"), 403
    if request.method == "GET":
        return render_template("respond/unit.html", token=token, unit=state.label)
    invitation = start_unit_response(db, token)
    response = redirect(url_for("respond.start", token=invitation), code=303)
    _remember(response, token, invitation, session_only=True)
    return response


def _remember(
    response: WerkzeugResponse, open_token: str, invitation: str, *, session_only: bool = False
) -> None:
    data: dict[str, str] = {}
    raw = request.cookies.get(OPEN_COOKIE)
    if raw:
        try:
            loaded = _open_serializer().loads(raw)
            if isinstance(loaded, dict):
                data = {str(k): str(v) for k, v in list(loaded.items())[-9:]}
        except BadSignature:
            data = {}
    data[open_token] = invitation
    cfg = current_app.config
    days = timedelta(days=int(cfg["OPEN_LINK_COOKIE_DAYS"]))
    response.set_cookie(
        OPEN_COOKIE,
        _open_serializer().dumps(data),
        max_age=None if session_only else int(days.total_seconds()),
        httponly=True,
        secure=bool(cfg["SESSION_COOKIE_SECURE"]),
        samesite="Lax",
    )
