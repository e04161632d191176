"""The live dashboard of a wave and its PDF report, for the wave's admins, statisticians
and viewers.

Both pages show :func:`reports.report_data_for_table` of the wave's analysis table: the
dashboard renders the figures as HTML, the download renders the same object as the PDF
(:func:`reports.pdf.build_pdf`), so the two can never disagree. A wave whose questionnaire
has scales and no test items (the civil servants' mental-health survey) shows
:func:`reports.wellbeing.wellbeing_for_table` instead, with the same suppression as its
PDF (:func:`reports.wellbeing_pdf.build_wellbeing_pdf`). Figures are cached per wave
until a response is added, changed or rejected.

Which responses are estimated (:func:`estimation_scope`): when some complete responses
carry a design weight (``base_weight``, from the sampled case's selection probabilities),
the estimates are design-weighted and use exactly those; the others - open-link responses
(a non-probability sample), invitations without a sample design (``kesu wave invite``) and
cases whose probabilities are incomplete - are left out, counted by reason on the page and
in the PDF's methods appendix, never silently. When no response has a design weight, every
complete response counts equally and both say the estimates are unweighted.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.i18n import LANGUAGES
from kesu.i18n import tr
from questionnaires.model import Questionnaire
from reports import report_data_for_table
from reports.findings import findings
from reports.findings import recommendations
from reports.findings import reference_label
from reports.labels import Labels
from reports.labels import ci_text
from reports.labels import num
from reports.labels import p_text
from reports.labels import pct
from reports.labels import signed
from reports.model import DomainRow
from reports.model import ReportData
from reports.pdf import build_pdf
from reports.scope import EstimationScope
from reports.scope import estimation_scope
from reports.sections import groups_test_text as breakdown_test_text
from reports.spec import ReportSpec
from reports.spec import default_job
from reports.townmap import TILE_POSITIONS
from reports.townmap import class_labels
from reports.townmap import rate_class
from reports.wellbeing import WellbeingData
from reports.wellbeing import is_wellbeing
from reports.wellbeing import wellbeing_for_table
from reports.wellbeing_pdf import build_wellbeing_pdf
from reports.wellbeing_pdf import groups_test_text
from reports.wellbeing_pdf import share_cell_text
from reports.wellbeing_pdf import table_note
from reports.wellbeing_pdf import wellbeing_findings
from survey.analysis import analysis_table
from survey.auth import MONITOR_ROLES
from survey.auth import wave_role_required
from survey.capacity.services import report_capacity
from survey.db import get_session
from survey.errors import BadRequestError
from survey.errors import ConflictError
from survey.models import LOCAL_TIME
from survey.models import Response
from survey.models import now_utc
from survey.services import audit
from survey.services import get_wave
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/admin/waves")

#: report languages a download may ask for
PDF_LANGUAGES = LANGUAGES
_CACHE_SIZE = 8
#: waves filled with simulated answers (``make run``); their reports say so on every page
SYNTHETIC_WAVES = frozenset({"demo"})


def scope_view(scope: EstimationScope, lang: str) -> dict[str, Any]:
    """The dashboard's "which responses, how weighted" box, in ``lang``."""
    if scope.design_weighted:
        how = tr(lang, "dash_scope_design", used=scope.used)
    else:
        how = tr(lang, "dash_scope_unweighted", used=scope.used)
    # the reasons as the PDF report words them (reports.appendix)
    left = [tr(lang, f"m_left_{r}", n=k) for r, k in scope.left_out.items()]
    return {
        "title": tr(lang, "dash_scope_title"),
        "how": how,
        "left_out": tr(lang, "dash_scope_left_out", n=sum(scope.left_out.values())) if left else "",
        "reasons": left,
        "literate": ""
        if scope.left_out_literate is None
        else tr(lang, "dash_left_literate", rate=f"{100 * scope.left_out_literate:.1f}"),
    }


@dataclass(frozen=True)
class WaveFigures:
    """The report figures of a wave at one state of its responses."""

    data: ReportData | None  # None while the wave has no complete response
    questionnaire: Questionnaire
    respondents: int
    #: the figures of a mental-health wave (scales, no test items), else None
    wellbeing: WellbeingData | None = None
    scope: EstimationScope | None = None


def _shape(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, in order (what its pickled objects hold)."""
    return tuple(f.name for f in dataclasses.fields(cls))


def _same_shapes(stored: dict[str, tuple[str, ...]]) -> bool:
    """Whether every dataclass a stored file holds objects of still has the fields it had
    (an upgrade that adds a field would give objects without it)."""
    import importlib

    for name, fields in stored.items():
        module, _, qualname = name.rpartition(":")
        try:
            cls: Any = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            return False
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)) or _shape(cls) != fields:
            return False
    return True


class _FigureCache:
    """Per-process LRU of :class:`StoredFigures` with the last result of each wave on disk.

    Memory: ``(wave id, questionnaire hash, response state)`` -> :class:`StoredFigures`.
    Disk (``<instance>/figures/<wave id>.pickle``, written atomically, shared by the
    server's processes): the field names of every dataclass stored (a file whose classes
    have changed since, after an upgrade, is not read), then each wave's last result with
    its key and time, so a new process or a changed wave answers at once (the last result,
    with its time) while a background thread computes the new figures. The files are
    written only by the app itself.
    """

    def __init__(self, folder: Path | None) -> None:
        self._items: OrderedDict[tuple[Any, ...], StoredFigures] = OrderedDict()
        self._lock = threading.Lock()
        self.folder = folder
        #: wave id -> the thread computing its figures (one at a time per wave)
        self.running: dict[int, threading.Thread] = {}

    def get(self, key: tuple[Any, ...]) -> StoredFigures | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: StoredFigures) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)

    def _path(self, wave_id: int) -> Path | None:
        return None if self.folder is None else self.folder / f"{wave_id}.pickle"

    def last(self, wave_id: int, q: Questionnaire) -> tuple[tuple[Any, ...], StoredFigures] | None:
        """The wave's last stored result and its key (None: never computed, or unreadable);
        the questionnaire (compiled rules, not stored) is ``q``."""
        path = self._path(wave_id)
        if path is None or not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                shapes = pickle.load(fh)  # first: the shapes of the classes stored
                if not isinstance(shapes, dict) or not _same_shapes(shapes):
                    raise TypeError("figures stored by another version of kesu")
                reader = pickle.Unpickler(fh)
                reader.persistent_load = lambda pid: q  # type: ignore[method-assign]
                key, computed_at, parts = reader.load()
        except Exception as exc:  # a torn or old file: computed again
            logger.warning("figure cache %s unreadable (%s); computing again", path.name,
                           type(exc).__name__)  # fmt: skip
            return None
        return tuple(key), StoredFigures(WaveFigures(questionnaire=q, **parts), computed_at)

    def save(self, wave_id: int, key: tuple[Any, ...], stored: StoredFigures) -> None:
        self.put(key, stored)
        path = self._path(wave_id)
        if path is None:
            return
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = stored.figures
            parts = {"data": f.data, "respondents": f.respondents,
                     "wellbeing": f.wellbeing, "scope": f.scope}  # fmt: skip
            shapes: dict[str, tuple[str, ...]] = {}

            def persistent_id(obj: Any) -> str | None:
                # the questionnaire (compiled rules) is not stored: the reader puts it back
                if isinstance(obj, Questionnaire):
                    return "questionnaire"
                cls = type(obj)
                if dataclasses.is_dataclass(cls):  # every class stored, however deep
                    shapes.setdefault(f"{cls.__module__}:{cls.__qualname__}", _shape(cls))
                return None

            body = io.BytesIO()
            writer = pickle.Pickler(body, protocol=pickle.HIGHEST_PROTOCOL)
            writer.persistent_id = persistent_id  # type: ignore[method-assign]
            writer.dump((key, stored.computed_at, parts))
            with tmp.open("wb") as fh:
                pickle.dump(shapes, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.write(body.getbuffer())
            os.replace(tmp, path)
        except (OSError, pickle.PicklingError, AttributeError, TypeError) as exc:
            # a read-only instance folder (or figures that cannot be stored): memory only
            logger.warning("figure cache not written (%s)", type(exc).__name__)
            tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredFigures:
    """Computed figures and when (UTC) they were computed; ``fresh`` is False when they
    belong to an earlier state of the responses (newer ones are being computed)."""

    figures: WaveFigures
    computed_at: datetime
    fresh: bool = True


def init_app(app: Flask) -> None:
    """Give the app its figure cache (the last results on disk in ``<instance>/figures``)."""
    app.extensions["kesu_dashboard"] = _FigureCache(Path(app.instance_path) / "figures")


def _state_key(session: Session, wave: Any) -> tuple[Any, ...]:
    """The wave's data version: questionnaire, number of responses, last change, id sum."""
    state = session.execute(
        select(func.count(Response.id), func.max(Response.updated_at), func.sum(Response.id)).where(
            Response.wave_id == wave.id
        )
    ).one()
    last = state[1].isoformat() if state[1] is not None else None
    return (wave.id, wave.questionnaire_version.content_hash, int(state[0] or 0), last,
            int(state[2] or 0))  # fmt: skip


def compute_figures(session: Session, wave_name: str) -> WaveFigures:
    """The report figures of a wave, computed from its analysis table (no cache).

    Raises:
        NotFoundError: no such wave.
    """
    wave = get_wave(session, wave_name)
    q = questionnaire_of(wave.questionnaire_version)
    table, scope = estimation_scope(analysis_table(session, wave_name))
    n = scope.used
    data = None
    wellbeing = None
    if n:
        spec = ReportSpec(
            job=default_job(table, wave.name),
            wave_name=wave.name,
            survey_year=wave.survey_year,
            synthetic=wave.name in SYNTHETIC_WAVES,
        )
        if is_wellbeing(q):
            wellbeing = wellbeing_for_table(table, q, spec, wave_name=wave.name)
        else:
            data = report_data_for_table(table, q, spec, wave_name=wave.name)
            if scope.left_out:
                data = dataclasses.replace(data, notes=(*data.notes, scope.note()))
    return WaveFigures(data=data, questionnaire=q, respondents=n, wellbeing=wellbeing,
                       scope=scope)  # fmt: skip


def store_figures(app: Flask, wave_name: str) -> None:
    """Compute a wave's figures for its current state and store them (own session)."""
    from survey.db import database

    cache: _FigureCache = app.extensions["kesu_dashboard"]
    with app.app_context():
        session = database(app).sessionmaker()
        try:
            wave = get_wave(session, wave_name)
            wave_id, key = wave.id, _state_key(session, wave)
            figures = compute_figures(session, wave_name)
            session.rollback()
        finally:
            session.close()
    cache.save(wave_id, key, StoredFigures(figures, now_utc()))


def _refresh(app: Flask, wave_id: int, wave_name: str) -> None:
    """Background thread: :func:`store_figures`, errors logged (the next view retries)."""
    cache: _FigureCache = app.extensions["kesu_dashboard"]
    try:
        store_figures(app, wave_name)
    except Exception:
        logger.exception("wave %s: computing the dashboard figures failed", wave_name)
    finally:
        cache.running.pop(wave_id, None)


def refresh_in_background(wave_id: int, wave_name: str) -> threading.Thread:
    """Start computing a wave's figures in a thread (one per wave at a time)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    cache: _FigureCache = app.extensions["kesu_dashboard"]
    with cache._lock:
        running = cache.running.get(wave_id)
        if running is not None and running.is_alive():
            return running
        thread = threading.Thread(target=_refresh, args=(app, wave_id, wave_name),
                                  name=f"kesu-figures-{wave_id}", daemon=True)  # fmt: skip
        cache.running[wave_id] = thread
    thread.start()
    return thread


def wait_for_figures(app: Flask, timeout: float = 120.0) -> None:
    """Wait until no background computation of figures runs (tests)."""
    cache: _FigureCache = app.extensions["kesu_dashboard"]
    for thread in list(cache.running.values()):
        thread.join(timeout)


def wave_figures(session: Session, wave_name: str, *, stale_ok: bool = False) -> StoredFigures:
    """The report figures of a wave with the time they were computed.

    From the cache when they belong to the wave's current data version
    (:func:`_state_key`); else computed now, or - ``stale_ok`` (the dashboard) and an
    earlier result exists - that earlier result (``fresh=False``, with its time) while a
    background thread computes the new one. The figures are those of
    :func:`compute_figures` either way (a test compares the two).

    Raises:
        NotFoundError: no such wave.
    """
    wave = get_wave(session, wave_name)
    key = _state_key(session, wave)
    cache: _FigureCache = current_app.extensions["kesu_dashboard"]
    found = cache.get(key)
    if found is not None:
        return found
    last = cache.last(wave.id, questionnaire_of(wave.questionnaire_version))
    if last is not None and last[0] == key:
        cache.put(key, last[1])
        return last[1]
    if last is not None and stale_ok:
        refresh_in_background(wave.id, wave_name)
        return dataclasses.replace(last[1], fresh=False)
    stored = StoredFigures(compute_figures(session, wave_name), now_utc())
    cache.save(wave.id, key, stored)
    return stored


def _row_view(label: str, row: DomainRow, labels: Labels, scale: float = 100.0) -> dict[str, Any]:
    """One table row and its bar, formatted as in the PDF."""
    shown = not row.suppressed and row.estimate == row.estimate
    return {
        "label": label,
        "n": row.n,
        "rate": labels.rate_text(row) if scale == 100.0 else num(row.estimate, 1),
        "ci": "—"
        if row.suppressed
        else (
            ci_text(row.ci_low, row.ci_high)
            if scale == 100.0
            else f"{num(row.ci_low, 1)}–{num(row.ci_high, 1)}"
        ),
        "cv": "—" if row.suppressed else pct(row.cv),
        "deff": "—" if row.suppressed else num(row.deff),
        "notes": labels.flag_text(row),
        "unreliable": row.unreliable,
        # bar geometry in percent of the chart width (SVG attributes: no inline styles)
        "bar": max(0.0, min(100.0, scale * row.estimate)) if shown else None,
        "low": max(0.0, min(100.0, scale * row.ci_low)) if shown else None,
        "high": max(0.0, min(100.0, scale * row.ci_high)) if shown else None,
    }


def _town_tiles(data: ReportData, labels: Labels) -> list[dict[str, Any]]:
    """The schematic town map of the PDF as CSS-grid tiles (positions, shading class)."""
    tiles = []
    for row in data.towns.rows:
        col, line = TILE_POSITIONS.get(row.key, (0, 5))
        value = float("nan") if row.suppressed else 100 * row.estimate
        tiles.append({"label": labels.option_label("town", row.key), "text": labels.rate_text(row),
                      "col": col, "row": line, "shade": rate_class(value),
                      "unreliable": row.unreliable and not row.suppressed})  # fmt: skip
    return tiles


def _capacity_rows(data: ReportData, labels: Labels) -> list[dict[str, Any]] | None:
    """The capacity table of the PDF: reporting dates, missing as missing, stale flagged."""
    if data.capacity is None:
        return None
    rows = []
    for p in data.capacity:
        status = labels.t(f"status_{p.status.value}") + (labels.t("stale_mark") if p.stale else "")
        mark = labels.t("partial_mark") if p.partial else ""
        rows.append({
            "label": p.indicator.label.get(labels.lang),
            "target": p.indicator.target_text(labels.lang),
            "value": labels.t("not_reported") if p.value is None else f"{p.value:,.0f}{mark}",
            "date": "—" if p.last_report is None else p.last_report.isoformat(),
            "progress": "—" if p.share is None else pct(p.share),
            "expected": pct(p.expected_share), "status": status + mark,
            "off": p.status.value == "off_track", "missing": p.value is None,
        })  # fmt: skip
    return rows


def dashboard_view(data: ReportData, lang: str) -> dict[str, Any]:
    """Everything the dashboard template shows, from the report's figures (the PDF's
    findings, verdicts, recommendations, town map and capacity table included)."""
    labels = Labels(lang, data.questionnaire, data.rules, group_ages=data.group_ages)
    groups = [_row_view(labels.group_label(""), data.overall, labels)] + [
        _row_view(labels.group_label(r.key), r, labels) for r in data.groups.rows
    ]
    towns = [_row_view(labels.option_label("town", r.key), r, labels) for r in data.towns.rows]
    town_names = {r.key: labels.option_label("town", r.key) for r in data.towns.rows}
    levels = [_row_view(labels.level_label(r.key), r, labels) for r in data.levels.rows]
    dimensions = [
        {
            "label": labels.dimension_label(dim_id),
            "rows": [
                _row_view(labels.group_label(r.key), r, labels, scale=1.0) for r in breakdown.rows
            ],
        }
        for dim_id, breakdown in data.dimensions.items()
    ]
    change = None
    if data.change is not None:
        change = {
            "wave": data.change.previous_wave,
            "difference": signed(100 * data.change.difference.estimate),
            "p": p_text(data.change.p_value),
            "significant": data.change.significant,
        }
    verdicts = [
        {"label": reference_label(labels, v.key), "year": v.year, "rate": pct(v.rate, 2),
         "difference": signed(100 * v.difference), "p": p_text(v.p_value),
         "verdict": labels.t(f"verdict_short_{v.status}")}
        for v in data.verdicts
    ]  # fmt: skip
    return {
        "t": labels.t,
        "lang": labels.lang,
        "level_pct": labels.level_pct,
        "headline": _row_view(labels.group_label(""), data.overall, labels),
        "groups": groups,
        "towns": towns,
        "towns_test": breakdown_test_text(labels, data.towns, town_names),
        "levels": levels,
        "dimensions": dimensions,
        "change": change,
        "findings": findings(data, labels),
        "recommendations": recommendations(data, labels),
        "verdicts": verdicts,
        "tiles": _town_tiles(data, labels),
        "tile_legend": class_labels(),
        "capacity": _capacity_rows(data, labels),
        "fingerprint": data.fingerprint,
        "synthetic": data.spec.synthetic,
        "generated": data.generated.isoformat(),
    }


def wellbeing_view(data: WellbeingData, lang: str) -> dict[str, Any]:
    """The dashboard of a mental-health wave: each scale's band shares by group, and the
    flags, formatted as in the PDF (suppressed cells "—", groups under the threshold "<10")."""
    labels = Labels(lang, data.questionnaire, data.rules)

    def cell(c: Any) -> str:
        return share_cell_text(data, labels, c)

    def rows(table: Any) -> list[dict[str, Any]]:
        out = []
        for row in (table.total, *table.rows):
            label = (
                labels.t("mh_overall") if not row.key else labels.option_label(table.by, row.key)
            )
            n = labels.t("mh_below_n", m=data.min_n) if row.below_threshold else str(row.n)
            out.append({"label": label, "n": n, "cells": [cell(c) for c in row.cells]})
        return out

    sections = []
    for scale in data.questionnaire.scales:
        if not scale.bands:
            continue
        bands = [b.label.get(lang) for b in scale.bands]
        tables = [{"by": labels.t(f"mh_dom_{t.by}") if t.by else labels.t("mh_overall"),
                   "rows": rows(t), "test": groups_test_text(data, labels, t)}
                  for t in data.tables if t.measure == scale.id and t.by]  # fmt: skip
        sections.append({"title": scale.label.get(lang), "bands": bands, "tables": tables})
    for flag in data.questionnaire.scale_flags:
        tables = [{"by": labels.t(f"mh_dom_{t.by}"), "rows": rows(t),
                   "test": groups_test_text(data, labels, t)}
                  for t in data.tables if t.measure == flag.id and t.by]  # fmt: skip
        sections.append({"title": flag.label.get(lang), "bands": [labels.t("col_share")],
                         "tables": tables})  # fmt: skip
    return {
        "t": labels.t,
        "lang": labels.lang,
        "findings": wellbeing_findings(data, labels),
        "sections": sections,
        "respondents": data.respondents,
        "note": table_note(data, labels),
        "fingerprint": data.fingerprint,
        "synthetic": data.spec.synthetic,
        "generated": data.generated.isoformat(),
    }  # fmt: skip


@bp.get("/<name>/dashboard")
@wave_role_required(*MONITOR_ROLES)
def show(name: str) -> Any:
    """The live figures of a wave."""
    return _show(name)


def _show(name: str, report_error: str | None = None) -> Any:
    stored = wave_figures(get_session(), name, stale_ok=True)
    figures = stored.figures
    lang = g.get("lang", "zh-CN")
    local = stored.computed_at.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M:%S")
    key = "dash_computed_at" if stored.fresh else "dash_computed_stale"
    computed = tr(lang, key, time=local)
    scope = (
        scope_view(figures.scope, lang)
        if figures.scope is not None and figures.respondents
        else None
    )
    if figures.wellbeing is not None:
        return render_template(
            "dashboard/wellbeing.html", name=name, view=wellbeing_view(figures.wellbeing, lang),
            pdf_languages=PDF_LANGUAGES, lang=lang, scope=scope, computed=computed,
            fresh=stored.fresh,
        )  # fmt: skip
    view = dashboard_view(figures.data, lang) if figures.data is not None else None
    return render_template(
        "dashboard/show.html", name=name, view=view, pdf_languages=PDF_LANGUAGES, lang=lang,
        no_data=report_error or tr(lang, "dash_no_data"), scope=scope, computed=computed,
        fresh=stored.fresh,
    )  # fmt: skip


@bp.get("/<name>/report.pdf")
@wave_role_required(*MONITOR_ROLES)
def report_pdf(name: str) -> Any:
    """The wave's PDF evaluation report (``?language=en`` for English)."""
    lang = request.args.get("language", g.get("lang", "zh-CN"))
    if lang not in PDF_LANGUAGES:
        raise BadRequestError(f"unknown report language {lang!r}", param="language",
                              expected=" or ".join(PDF_LANGUAGES))  # fmt: skip
    session = get_session()
    figures = wave_figures(session, name).figures  # the report: always the current data
    if figures.wellbeing is not None:
        pdf = build_wellbeing_pdf(figures.wellbeing, lang)
    elif figures.data is None:
        if request.accept_mimetypes.best == "application/json":
            raise ConflictError(f"wave {name!r} has no complete response yet: no report to build")
        # a person who clicked the link: the dashboard page says why, no dead end
        g.page_url = url_for("dashboard.show", name=name)
        return _show(name, tr(lang, "err_report_no_data")), 409
    else:
        data = figures.data
        capacity = report_capacity(session, data.spec.survey_year or None)
        if capacity is not None:  # the accepted submissions of the capacity rounds
            data = dataclasses.replace(data, **capacity)
        pdf = build_pdf(data, lang)
    audit(session, g.user.username, "report.download", name, language=lang,
          rows=figures.respondents)  # fmt: skip
    session.commit()
    return send_file(
        io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
        download_name=f"kesu-report-{name}-{lang}.pdf",
    )  # fmt: skip
