"""The fieldwork monitor page, the review of responses, and export downloads.

The monitor (admins, statisticians, viewers of the wave) shows AAPOR rates by wave, town
and interviewer, completes against targets, interview lengths and quality flags.
Statisticians accept or reject flagged responses (with a reason, audit-logged) and
download the exports (CSV, .sav, .dta, codebook, cases), which are streamed.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from flask import Response as FlaskResponse
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for

from survey.auth import DATA_ROLES
from survey.auth import MONITOR_ROLES
from survey.auth import wave_role_required
from survey.browse import ResponseFilter
from survey.db import get_session
from survey.export import EXTENSIONS
from survey.export import FORMATS
from survey.export import MEDIA_TYPES
from survey.export import SizedStream
from survey.export import export_stream
from survey.i18n import ui_label
from survey.i18n import ui_text
from survey.monitoring import fieldwork_status
from survey.monitoring import review_response
from survey.quality import FLAG_NAMES
from survey.security import attachment
from survey.services import audit
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

bp = Blueprint("monitor", __name__, url_prefix="/admin/waves")
#: flagged responses shown on the monitor; all of them, paged, in the response browser
FLAGGED_SHOWN = 20


@bp.get("/<name>/monitor")
@wave_role_required(*MONITOR_ROLES)
def status(name: str) -> str:
    """Fieldwork figures of a wave."""
    figures = fieldwork_status(get_session(), name, max_flagged=FLAGGED_SHOWN)
    town_names, group_names = _code_names()
    # towns in the questionnaire's order, as on every other page (then any other code)
    order = {code: i for i, code in enumerate(town_names)}
    by_town = sorted(figures.by_town, key=lambda r: (order.get(r.key, len(order)), r.key))
    return render_template(
        "monitor/status.html", s=figures, flags=FLAG_NAMES, by_town=by_town,
        can_review=g.wave_role in DATA_ROLES, town_names=town_names, group_names=group_names,
    )  # fmt: skip


def _code_names() -> tuple[dict[str, str], dict[str, str]]:
    """Town and key-group names from the wave's questionnaire, in the page's language
    (codes such as ``fotang`` stay the keys; a code the questionnaire lacks shows as is)."""
    q = questionnaire_of(g.wave.questionnaire_version)
    lang = g.get("lang", "zh-CN")
    town = q.items_by_concept().get("town")
    towns = {o.code: o.label.get(lang) for o in town.options} if town is not None else {}
    return towns, {group.id: group.label.get(lang) for group in q.groups}


@bp.post("/<name>/responses/<id:response_id>/review")
@wave_role_required(*DATA_ROLES)
def review(name: str, response_id: int) -> Any:
    """Accept or reject a response, with a reason."""
    decision = request.form.get("decision", "")
    review_response(get_session(), response_id, decision, request.form.get("reason", ""),
                    actor=g.user.username, wave_name=name)  # fmt: skip
    flash(ui_text("flash_reviewed", id=response_id, decision=ui_label("review", decision)))
    return redirect(url_for("monitor.status", name=name), code=303)


#: the formats with one response a row, which a filter of the response browser applies to
FILTERED_FORMATS = ("csv", "sav", "dta")


def export_response(
    name: str, fmt: str, actor: str, only: ResponseFilter | None = None
) -> FlaskResponse:
    """A streamed download of the wave's export in ``fmt`` (audited); with ``only`` just
    the responses that filter lets through, the filter stated in the file name
    (``w1-responses-town-fotang.csv``) and in the audit entry."""
    from survey.errors import BadRequestError

    db = get_session()
    if fmt not in FORMATS:
        raise BadRequestError("unknown export format", param="format", got=fmt[:32],
                              expected=FORMATS)  # fmt: skip
    if only is not None and fmt not in FILTERED_FORMATS:
        raise BadRequestError("filters apply to the csv, sav and dta exports", param="format",
                              got=fmt[:32], expected=FILTERED_FORMATS,
                              ui="err_browse_format")  # fmt: skip
    if only is None:
        audit(db, actor, "wave.export", name, format=fmt)
        filename = f"{name}.{EXTENSIONS[fmt]}"
    else:
        audit(db, actor, "wave.export", name, format=fmt, filter=only.args())
        filename = f"{name}-responses-{only.describe()}.{EXTENSIONS[fmt]}"
    db.commit()
    body = export_stream(db, name, fmt, only)
    response = FlaskResponse(stream_with_context(body), mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = attachment(filename)
    if isinstance(body, SizedStream):
        # the browser shows the progress, and sees a download cut short as incomplete
        response.content_length = body.length
    return response


@bp.get("/<name>/export/<fmt>")
@wave_role_required(*DATA_ROLES)
def export(name: str, fmt: str) -> Any:
    """Download the wave's data in one of the export formats (an unknown format: the
    wave's data tab, saying so beside the list of formats)."""
    if fmt not in FORMATS and request.accept_mimetypes.best != "application/json":
        from survey.admin import wave_page

        errors = {"export": ui_text("err_export_format", fmt=fmt[:32])}
        return wave_page(name, "data", errors=errors, status=400)
    return export_response(name, fmt, g.user.username)
