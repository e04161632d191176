"""Capacity reporting pages: the unit reporter's form, Excel template and evidence; the
科协's round page (progress, index, overdue units with reminders), review and exports.

Access (recorded on every view for ``tests/survey/test_access.py``): a unit reporter
(role ``reporter``) sees only its own unit, which comes from its account, never from
the URL; an evidence file of another unit is the same 404 as a missing one. Review
(accept/return) is the admin's (the 科协); statisticians and viewers (the plan's leading
group) see rounds and progress. Services: :mod:`survey.capacity.services`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for

from kesu.tables import csv_bytes
from reports.capacity import FAMILIES
from reports.capacity_round import CheckIssue
from reports.capacity_round import EnteredValue
from reports.capacity_round import parse_entry
from reports.capacity_round import reminder_text
from reports.capacity_workbook import import_template
from reports.capacity_workbook import template_xlsx
from survey.auth import role_required
from survey.capacity import services as svc
from survey.capacity.models import CapacityEvidence
from survey.db import get_session
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.errors import SurveyError
from survey.i18n import ui_text
from survey.security import uploaded_file

logger = logging.getLogger(__name__)

bp = Blueprint("capacity", __name__, url_prefix="/capacity")

#: who sees rounds and progress (the admin always may)
VIEW_ROLES = ("statistician", "viewer")


def _unit() -> str:
    """The logged-in reporter's unit (404 for an account bound to none)."""
    unit = svc.reporter_unit(get_session(), g.user)
    if unit is None:
        raise NotFoundError("this account reports for no unit", param="unit")
    return unit


def _lang() -> str:
    lang: str = g.get("lang", "zh-CN")
    return lang


@bp.get("/")
@role_required("reporter", *VIEW_ROLES)
def home() -> Any:
    """Reporters: the rounds with their unit's state; the 科协: every round."""
    db = get_session()
    rounds = svc.list_rounds(db)
    unit = svc.reporter_unit(db, g.user) if g.user.role == "reporter" else None
    states = {}
    if unit is not None:
        for rnd in rounds:
            sub = svc.latest(db, rnd, unit)
            states[rnd.name] = "not_started" if sub is None else sub.status
    return render_template(
        "capacity/home.html",
        rounds=rounds,
        unit=unit,
        states=states,
        reporter=g.user.role == "reporter",
    )


# -- the unit reporter --------------------------------------------------------------------------


def _form_entries(
    plan: Any, unit: str
) -> tuple[dict[str, EnteredValue], dict[str, str], list[CheckIssue]]:
    entries, typed, bad = {}, {}, []
    for ind in plan.indicators_of(unit):
        text = request.form.get(f"v_{ind.id}", "")[:64]
        typed[ind.id] = text
        note = request.form.get(f"n_{ind.id}", "")[:500]
        confirmed = request.form.get(f"c_{ind.id}") == "1"
        try:
            value = parse_entry(text)
        except ValueError:
            bad.append(CheckIssue(ind.id, "number", params={"got": text}))
            continue
        entries[ind.id] = EnteredValue(value, note, confirmed)
    return entries, typed, bad


@bp.route("/r/<round_name>", methods=["GET", "POST"])
@role_required("reporter")
def form(round_name: str) -> Any:
    """The unit's figures: save a draft, or submit (checks: reports.capacity_round)."""
    db = get_session()
    unit = _unit()
    rnd = svc.get_round(db, round_name)
    plan = svc.plan_of(rnd)
    prev, _ = svc.previous_of(db, rnd, unit)
    history = svc.versions(db, rnd, unit)
    sub = history[-1] if history else None
    issues: list[CheckIssue] = []
    status = 200
    entries = svc._entries(sub.values) if sub is not None else {}
    typed = {k: ("" if e.value is None else f"{e.value:g}") for k, e in entries.items()}
    if request.method == "POST":
        entries, typed, issues = _form_entries(plan, unit)
        if issues:
            status = 400
        else:
            submit = request.form.get("action") == "submit"
            result = svc.save_values(db, rnd, unit, entries, actor=g.user.username, submit=submit)
            if result.submitted:
                flash(ui_text("cap_submitted"))
                return redirect(url_for("capacity.form", round_name=rnd.name), code=303)
            if not submit:
                flash(ui_text("cap_saved"))
                return redirect(url_for("capacity.form", round_name=rnd.name), code=303)
            issues, status = result.issues, 422
            history = svc.versions(db, rnd, unit)
            sub = history[-1]
    by_ind: dict[str, list[str]] = {}
    for issue in issues:
        by_ind.setdefault(issue.indicator, []).append(issue.message(_lang()))
    page = render_template(
        "capacity/form.html",
        rnd=rnd,
        plan=plan,
        unit=plan.unit(unit),
        sub=sub,
        history=history,
        entries=entries,
        typed=typed,
        prev=prev,
        issues=by_ind,
        outliers={i.indicator for i in issues if i.rule == "outlier"},
        evidence=svc.evidence_list(db, rnd, unit),
        lang=_lang(),
        editable=rnd.status == "open" and (sub is None or sub.status != "submitted"),
    )
    return page, status


@bp.get("/r/<round_name>/template.xlsx")
@role_required("reporter")
def template(round_name: str) -> Any:
    """The unit's pre-filled Excel template."""
    db = get_session()
    unit = _unit()
    rnd = svc.get_round(db, round_name)
    prev, _ = svc.previous_of(db, rnd, unit)
    sub = svc.latest(db, rnd, unit)
    current = svc._entries(sub.values) if sub is not None else {}
    data = template_xlsx(svc.plan_of(rnd), unit, rnd.name, prev, current)
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=f"capacity-{rnd.name}-{unit}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.post("/r/<round_name>/upload")
@role_required("reporter")
def upload(round_name: str) -> Any:
    """Upload the filled template: read and checked like the form; errors by cell."""
    db = get_session()
    unit = _unit()
    rnd = svc.get_round(db, round_name)
    upload = uploaded_file()
    if upload is None:
        raise BadRequestError(
            "choose the filled-in template (.xlsx)", param="file", ui="cap_choose_template"
        )
    data, filename = upload
    prev, before = svc.previous_of(db, rnd, unit)
    entries, errors = import_template(data, svc.plan_of(rnd), unit, prev, before, name=filename)
    reading = [e for e in errors if e.reading]
    if reading or not entries:
        lines = [str(e) for e in errors] or [ui_text("cap_upload_empty")]
        return render_template("capacity/upload_errors.html", rnd=rnd, errors=lines), 400
    result = svc.save_values(
        db, rnd, unit, entries, actor=g.user.username, submit=not errors, source="xlsx"
    )
    if result.submitted:
        flash(ui_text("cap_submitted"))
    else:
        for e in errors:
            flash(str(e))
        flash(ui_text("cap_saved"))
    return redirect(url_for("capacity.form", round_name=rnd.name), code=303)


@bp.post("/r/<round_name>/evidence")
@role_required("reporter")
def evidence_upload(round_name: str) -> Any:
    """Attach an evidence file (PDF, images, Office; size limit)."""
    db = get_session()
    unit = _unit()
    rnd = svc.get_round(db, round_name)
    upload = uploaded_file()
    if upload is None:
        raise BadRequestError("choose a file", param="file", ui="cap_choose_evidence")
    data, filename = upload
    svc.store_evidence(
        db, current_app.instance_path, rnd, unit, filename, data, actor=g.user.username
    )
    flash(ui_text("cap_evidence_saved"))
    return redirect(url_for("capacity.form", round_name=rnd.name), code=303)


@bp.get("/evidence/<id:evidence_id>")
@role_required("reporter", "statistician")
def evidence(evidence_id: int) -> Any:
    """An evidence file, always as a download (never shown inline; nosniff)."""
    db = get_session()
    row = db.get(CapacityEvidence, evidence_id)
    if row is not None and g.user.role == "reporter" and row.unit_code != _unit():
        row = None  # another unit's file: the same answer as a missing one
    if row is None:
        raise NotFoundError("no such evidence file", param="evidence")
    path = svc.evidence_dir(current_app.instance_path) / row.stored_name
    response = send_file(
        io.BytesIO(path.read_bytes()),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- the 科协 ------------------------------------------------------------------------------------


@bp.get("/rounds/<round_name>")
@role_required(*VIEW_ROLES)
def round_page(round_name: str) -> Any:
    """Progress against targets, the index and its sensitivity, units (overdue first)
    with contacts and reminder texts: the dashboard of the plan's leading group."""
    db = get_session()
    rnd = svc.get_round(db, round_name)
    plan, progress, summary = svc.round_summary(db, rnd)
    record = svc.record_of(db, rnd)
    reminders = {
        u.code: reminder_text(plan, record, u, _lang()) for u in summary.units if u.overdue
    }
    return render_template(
        "capacity/round.html",
        rnd=rnd,
        plan=plan,
        progress=progress,
        summary=summary,
        reminders=reminders,
        families=FAMILIES,
        lang=_lang(),
    )


@bp.get("/rounds/<round_name>/status.json")
@role_required(*VIEW_ROLES)
def status_json(round_name: str) -> Any:
    """The round's status as JSON (``kesu capacity status --json``)."""
    return svc.status_dict(get_session(), round_name)


@bp.get("/rounds/<round_name>/units/<unit>")
@role_required("statistician")
def unit_page(round_name: str, unit: str) -> Any:
    """A unit's versions with their values, checks, evidence and review history."""
    db = get_session()
    rnd = svc.get_round(db, round_name)
    plan = svc.plan_of(rnd)
    try:
        info = plan.unit(unit)
    except KeyError:
        raise NotFoundError(f"no unit {unit[:32]!r} in this round's plan", param="unit") from None
    prev, before = svc.previous_of(db, rnd, unit)
    history = svc.versions(db, rnd, unit)
    checks: dict[str, list[str]] = {}
    if history:
        from reports.capacity_round import check_values

        for issue in check_values(plan, unit, svc._entries(history[-1].values), prev, before):
            checks.setdefault(issue.indicator, []).append(issue.message(_lang()))
    return render_template(
        "capacity/unit.html",
        rnd=rnd,
        plan=plan,
        unit=info,
        history=history,
        prev=prev,
        checks=checks,
        evidence=svc.evidence_list(db, rnd, unit),
        lang=_lang(),
    )


@bp.post("/rounds/<round_name>/units/<unit>/review")
@role_required()
def review(round_name: str, unit: str) -> Any:
    """Accept, or return with a reason (the 科协 admin; audit-logged)."""
    db = get_session()
    rnd = svc.get_round(db, round_name)
    action = request.form.get("action", "")
    if action not in ("accept", "return"):
        raise BadRequestError("action must be accept or return", param="action", got=action[:20])
    svc.review(
        db,
        rnd,
        unit,
        action == "accept",
        request.form.get("reason", "")[:1000],
        actor=g.user.username,
    )
    flash(ui_text("cap_accepted" if action == "accept" else "cap_returned"))
    return redirect(url_for("capacity.round_page", round_name=rnd.name), code=303)


@bp.get("/rounds/<round_name>/demonstration.csv")
@role_required(*VIEW_ROLES)
def demonstration(round_name: str) -> Any:
    """Export for the 全国科普示范县 self-assessment: per indicator, family, value,
    target, completion and status, and the index (UTF-8 CSV with a BOM)."""
    db = get_session()
    rnd = svc.get_round(db, round_name)
    plan, progress, summary = svc.round_summary(db, rnd)
    header = [
        "指标代码",
        "指标",
        "统计类别",
        "计量单位",
        "目标值",
        "完成值",
        "完成率%",
        "状态",
        "牵头单位",
        "最近报送",
    ]
    rows = []
    for p in progress:
        ind = p.indicator
        rows.append(
            [
                ind.id,
                ind.label.get(),
                ui_text(f"cap_family_{ind.family}"),
                ind.unit.get(),
                ind.target,
                "" if p.value is None else p.value,
                "" if p.share is None else round(100 * p.share, 1),
                ui_text("cap_missing")
                if p.value is None
                else ui_text(f"cap_progress_{p.status.value}"),
                ind.responsible.get(),
                "" if p.last_report is None else p.last_report.isoformat(),
            ]
        )
    idx = summary.index
    rows.append(
        [
            "capacity_index",
            ui_text("cap_index"),
            "",
            "",
            100,
            "" if idx.value is None else round(idx.value, 1),
            "",
            ui_text("cap_coverage", covered=idx.covered, total=idx.total),
            "",
            "",
        ]
    )
    data = csv_bytes(header, rows)
    return send_file(
        io.BytesIO(data),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"shifanxian-{rnd.name}-{dt.date.today().isoformat()}.csv",
    )


def init_app(app: Any) -> None:
    """Nothing to set up (kept for symmetry with the other blueprints)."""


__all__ = ["SurveyError", "bp"]
