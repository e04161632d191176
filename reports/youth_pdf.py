"""The youth chapter of the evaluation report and the school feedback sheets (PDF).

:func:`chapter` lays out :class:`~reports.youth_model.YouthResults` as a numbered
chapter of the report (:func:`reports.pdf.build_pdf` adds it when the report job
names a ``youth:`` results file), with the report's three-line tables and numbered
figures; :func:`school_sheet_pdf` makes one school's sheet, for that school's
principal only. Nothing here computes a statistic; every domain below
:data:`~reports.youth_model.SUPPRESS_BELOW` students is shown as suppressed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import Spacer

from kesu.i18n import check_language
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.charts import Bar
from reports.charts import hbar_chart
from reports.charts import stacked_chart
from reports.fonts import register_report_fonts
from reports.labels import DASH
from reports.labels import ci_text
from reports.labels import num
from reports.labels import pct
from reports.model import Rules
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.youth_model import SUPPRESS_BELOW
from reports.youth_model import UNRELIABLE_CV
from reports.youth_model import UNRELIABLE_DF
from reports.youth_model import UNRELIABLE_N
from reports.youth_model import GradeResults
from reports.youth_model import PVStat
from reports.youth_model import SchoolResult
from reports.youth_model import YouthBreakdown
from reports.youth_model import YouthDomain
from reports.youth_model import YouthResults
from sampling.results import Reliability

logger = logging.getLogger(__name__)

Flowables = list[Any]


def _share(stat: PVStat | None, mark: str = "") -> str:
    return DASH if stat is None else pct(stat.estimate) + mark


def _share_ci(stat: PVStat | None) -> str:
    if stat is None or not stat.interval_shown:
        return DASH
    return ci_text(stat.ci_low, stat.ci_high)


def _score(stat: PVStat | None, mark: str = "") -> str:
    return DASH if stat is None else f"{stat.estimate:.0f}{mark}"


def _score_ci(stat: PVStat | None) -> str:
    if stat is None or not stat.interval_shown:
        return DASH
    return f"{stat.ci_low:.0f}–{stat.ci_high:.0f}"


def _domain_label(r: Renderer, b: YouthBreakdown, key: str) -> str:
    if key == "":
        return r.t("y_all")
    if b.variable == "town":
        return r.option_label("town", key)
    if b.variable == "school_type":
        return r.t(f"y_type_{key}") if key in ("public", "private") else key
    if b.variable == "sex":
        return r.t(f"y_sex_{key}") if key in ("1", "2") else key
    labels = b.value_labels.get(key)
    if labels is None:
        return key
    return labels[1] if r.lang == "en" else labels[0]


def _atleast_name(y: YouthResults, r: Renderer) -> str:
    return y.levels.label(y.levels.codes[y.at_least_level], r.lang)


def _grade(r: Renderer, grade: str) -> str:
    return r.t("y_grade", grade=grade)


def _source(y: YouthResults, r: Renderer) -> str:
    """The source line under the chapter's tables (the youth monitoring, not the adult survey)."""
    synthetic = r.t("source_synthetic") if y.synthetic else ""
    return r.t("y_source", year=y.year) + synthetic + r.t("y_source_marks")


def chapter(y: YouthResults, r: Renderer, number: int) -> Flowables:
    """The youth chapter: sample, headline, levels, towns, groups, factors, raw view, method.

    Example:
        >>> flowables = chapter(results, renderer, 7)  # doctest: +SKIP
    """
    level = _atleast_name(y, r)
    out: Flowables = [r.h1(number, r.t("sec_youth")), r.p(r.t("y_intro"))]
    for g in y.grades:
        p = g.participation
        out.append(
            r.p(
                r.t(
                    "y_sample",
                    grade=g.grade,
                    schools=p.schools,
                    classes=p.classes,
                    seats=f"{p.seats:,}",
                    resp=f"{p.respondents:,}",
                    timeout=p.timeout,
                    absent=p.absent,
                    refused=p.refused,
                    rate=pct(p.rate),
                )
            )
        )
    header = [
        r.t("y_col_grade"),
        r.t("col_n"),
        r.t("y_col_atleast", level=level),
        r.t("col_ci", level="95"),
        r.t("y_col_mean"),
        r.t("col_ci", level="95"),
    ]
    rows = [
        [
            _grade(r, g.grade),
            f"{g.overall.n:,}",
            _share(g.overall.at_least),
            _share_ci(g.overall.at_least),
            _score(g.overall.mean_score),
            _score_ci(g.overall.mean_score),
        ]
        for g in y.grades
    ]
    out += r.table(
        r.t("y_tab_headline"), header, rows, [70, 55, 85, 85, 70, 88], source=_source(y, r)
    )
    out += _levels(y, r)
    out += _towns(y, r, level)
    out += _groups(y, r, level)
    out += _factors(y, r, level)
    out += _raw(y, r)
    out += _method(y, r)
    return out


def _levels(y: YouthResults, r: Renderer) -> Flowables:
    names = [y.levels.label(c, r.lang) for c in y.levels.codes]
    out: Flowables = [r.h2(1, r.t("y_levels_h")), r.p(r.t("y_levels_intro", level="95"))]
    bars = [
        (_grade(r, g.grade), [s.estimate for s in g.overall.levels], g.overall.suppressed)
        for g in y.grades
    ]
    chart = stacked_chart(
        bars,
        names,
        font=r.font,
        width=PORTRAIT_WIDTH,
        label_width=60,
        suppressed_note=r.t("y_suppressed", m=SUPPRESS_BELOW),
    )
    out.append(r.figure(chart, r.t("y_fig_levels")))
    rows = [
        [_grade(r, g.grade), name, _share(stat), _share_ci(stat)]
        for g in y.grades
        for name, stat in zip(names, g.overall.levels, strict=False)
    ]
    header = [r.t("y_col_grade"), r.t("y_col_level"), r.t("y_col_share"), r.t("col_ci", level="95")]
    out += r.table(
        r.t("y_tab_levels"), header, rows, [80, 120, 110, 143], numeric_from=2, source=_source(y, r)
    )
    return out


def _bar(r: Renderer, label: str, row: YouthDomain) -> Bar:
    stat = row.at_least
    if row.suppressed or stat is None:
        return Bar(label, math.nan, state="suppressed", note=r.t("y_suppressed", m=SUPPRESS_BELOW))
    mark = r.t("unreliable_mark") if row.unreliable else ""
    low, high = (100 * stat.ci_low, 100 * stat.ci_high) if stat.interval_shown else (math.nan,) * 2
    state = "unreliable" if row.unreliable else "ok"
    return Bar(
        label, 100 * stat.estimate, low, high, state, text=f"{100 * stat.estimate:.1f}{mark}"
    )


def _towns(y: YouthResults, r: Renderer, level: str) -> Flowables:
    out: Flowables = [r.h2(2, r.t("y_towns_h")), r.p(r.t("y_towns_intro", level=level, ci="95"))]
    item = r.questionnaire.items_by_concept().get("town")
    order = {code: k for k, code in enumerate(item.codes)} if item is not None else {}
    whisker = ("whisker", r.t("legend_ci", level="95"))
    for g in y.grades:
        try:
            towns = g.breakdown("town")
        except KeyError:
            continue
        rows = sorted(towns.rows, key=lambda row: (order.get(row.key, len(order)), row.key))
        bars = [_bar(r, _domain_label(r, towns, row.key), row) for row in rows]
        # the whisker's key only where a whisker is drawn
        drawn = any(math.isfinite(bar.low) for bar in bars)
        legend = [*([whisker] if drawn else []), ("hatch", r.t("y_unreliable"))]
        chart = hbar_chart(
            bars,
            font=r.font,
            width=PORTRAIT_WIDTH,
            label_width=80,
            cap=100,
            bar_height=10,
            gap=5,
            legend=legend,
        )
        out.append(r.figure(chart, r.t("y_fig_towns", grade=g.grade, level=level)))
    return out


def _domain_rows(
    r: Renderer, g: GradeResults, b: YouthBreakdown, *, with_grade: bool = True
) -> list[list[str]]:
    rows = []
    for row in b.rows:
        first = [_grade(r, g.grade)] if with_grade else []
        label = _domain_label(r, b, row.key)
        if row.suppressed:
            hidden = r.t("y_suppressed", m=SUPPRESS_BELOW)
            rows.append([*first, label, f"{row.n:,}", hidden, DASH, DASH, DASH])
            continue
        mark = r.t("unreliable_mark") if row.unreliable else ""
        rows.append(
            [
                *first,
                label,
                f"{row.n:,}",
                _share(row.at_least, mark),
                _share_ci(row.at_least),
                _score(row.mean_score, mark),
                _score_ci(row.mean_score),
            ]
        )
    return rows


def _header(r: Renderer, first: str, level: str) -> list[str]:
    return [
        r.t("y_col_grade"),
        first,
        r.t("col_n"),
        r.t("y_col_atleast", level=level),
        r.t("col_ci", level="95"),
        r.t("y_col_mean"),
        r.t("col_ci", level="95"),
    ]


_WIDTHS = [52, 110, 42, 70, 68, 50, 61]


def _groups(y: YouthResults, r: Renderer, level: str) -> Flowables:
    rows = []
    for g in y.grades:
        for var in ("school_type", "sex"):
            try:
                rows += _domain_rows(r, g, g.breakdown(var))
            except KeyError:
                continue
    if not rows:
        return []
    header = _header(r, r.t("y_col_category"), level)
    return [
        r.h2(3, r.t("y_groups_h")),
        *r.table(r.t("y_tab_groups"), header, rows, _WIDTHS, numeric_from=2, source=_source(y, r)),
    ]


def _factors(y: YouthResults, r: Renderer, level: str) -> Flowables:
    """One table per grade and questionnaire: each factor's question, then its answers."""
    out: Flowables = [r.h2(4, r.t("y_factors_h")), r.p(r.t("y_factors_intro"))]
    header = _header(r, r.t("y_col_category"), level)[1:]
    widths = [_WIDTHS[0] + _WIDTHS[1], *_WIDTHS[2:]]
    indent = "\u3000" if r.lang == "zh-CN" else "  "
    for g in y.grades:
        for source in ("student", "principal", "teacher"):
            factors = [b for b in g.factors if b.source == source]
            if not factors:
                continue
            rows: list[list[Any]] = []
            for b in factors:
                title = b.label[1] if r.lang == "en" else b.label[0]
                rows.append([r.p(title, _title_style(r)), "", "", "", "", ""])
                for row in _domain_rows(r, g, b, with_grade=False):
                    rows.append([indent + row[0], *row[1:]])
            caption = r.t("y_factor_table", grade=g.grade, source=r.t(f"y_source_{source}"))
            out += r.table(caption, header, rows, widths, source=_source(y, r))
    return out


def _title_style(r: Renderer) -> str:
    """A left-aligned heading cell (a factor's question above its answers)."""
    if "cellt" not in r.styles:
        r.styles["cellt"] = ParagraphStyle("cellt", parent=r.styles["cellh"], alignment=0)
    return "cellt"


def _raw(y: YouthResults, r: Renderer) -> Flowables:
    dims = list(y.grades[0].raw.dimensions) if y.grades else []
    header = [r.t("y_col_grade"), r.t("y_col_raw"), r.t("col_ci", level="95")]
    header += [r.dimension_label(d) for d in dims] + [r.t("y_col_alpha")]
    rows = []
    for g in y.grades:
        raw = g.raw
        cells = [
            _grade(r, g.grade),
            num(raw.mean, 1),
            f"{num(raw.ci_low, 1)}–{num(raw.ci_high, 1)}",
        ]
        cells += [num(raw.dimensions[d][0], 1) for d in dims] + [num(raw.alpha)]
        rows.append(cells)
    widths = [50, 56, 66] + [56] * len(dims) + [57]
    return [
        r.h2(5, r.t("y_raw_h")),
        r.p(r.t("y_raw_intro")),
        *r.table(r.t("y_tab_raw"), header, rows, widths, source=_source(y, r)),
    ]


def _method(y: YouthResults, r: Renderer) -> Flowables:
    sep = r.t("list_sep")
    out: Flowables = [r.h2(6, r.t("y_method_h"))]
    linked = [g for g in y.grades if g.scale.anchors]
    if linked:
        g = linked[0]
        link = f"{g.scale.link_error:.1f}"
        out.append(r.p(r.t("y_method_scale", anchors=len(g.scale.anchors), link=link)))
        drifting = sorted({a for g in linked for a in g.scale.drifting})
        out.append(
            r.p(
                r.t("y_method_drift", names=sep.join(drifting), n=len(drifting))
                if drifting
                else r.t("y_method_nodrift")
            )
        )
    basis = y.levels.basis
    if basis.startswith("item mapping RP 0.40/0.60/0.80"):
        basis = r.t("y_basis_rp")
    cuts = {g: "/".join(f"{c:.0f}" for c in v) for g, v in y.levels.cuts.items()}
    out.append(
        r.p(r.t("y_method_cuts", basis=basis, cuts4=cuts.get("4", DASH), cuts8=cuts.get("8", DASH)))
    )
    out.append(r.p(r.t("y_method_pv", m=y.n_pv)))
    rel = sep.join(_grade(r, g.grade) + " " + num(g.scale.reliability) for g in y.grades)
    out.append(r.p(r.t("y_reliability", values=rel)))
    out.append(
        r.p(
            r.t(
                "y_unreliable_note",
                n=UNRELIABLE_N,
                df=f"{UNRELIABLE_DF:g}",
                cv=f"{100 * UNRELIABLE_CV:g}",
            )
        )
    )
    out.append(r.p(r.t("y_method_privacy", m=SUPPRESS_BELOW)))
    return out


# ------------------------------------------------------------------ school sheets
def _town_labels(lang: str) -> dict[str, str]:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    item = q.items_by_concept().get("town")
    return {o.code: o.label.get(lang) for o in item.options} if item is not None else {}


SHEET_SIDE = 25 * mm


def school_sheet_pdf(
    y: YouthResults,
    school_id: str,
    *,
    lang: str = "zh-CN",
    generated: dt.date | None = None,
) -> bytes:
    """The feedback sheet of one school (every grade it took part in), as PDF bytes.

    Raises:
        KeyError: the school did not take part.

    Example:
        >>> school_sheet_pdf(results, "fotang-p01")[:5]  # doctest: +SKIP
        b'%PDF-'
    """
    mine = y.schools_of(school_id)
    if not mine:
        raise KeyError(school_id)
    lang = check_language(lang)
    fonts = register_report_fonts()
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    r = Renderer.create(lang, fonts, q, Rules(SUPPRESS_BELOW, Reliability(), 0.95))
    towns = _town_labels(lang)
    first = mine[0]
    kind = r.t(f"y_type_{first.school_type}") if first.school_type in ("public", "private") else ""
    story: Flowables = [r.p(r.t("sheet_title"), "title"), r.p(r.t("sheet_confidential"), "banner")]
    if y.synthetic:
        story += [Spacer(1, 4 * mm), r.p(r.t("synthetic"), "banner")]
    story += [
        Spacer(1, 6 * mm),
        r.p(
            r.t(
                "sheet_school",
                name=first.school_name,
                town=towns.get(first.town, first.town),
                type=kind,
            ),
            "plain",
        ),
        r.p(r.t("generated", date=(generated or dt.date.today()).isoformat()), "plain"),
    ]
    for k, s in enumerate(mine, start=1):
        story += _sheet_grade(y, r, s, k)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=SHEET_SIDE,
        rightMargin=SHEET_SIDE,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=r.t("sheet_title"),
        author="kesu",
        invariant=True,
        initialFontName=fonts.body,
    )
    footer = first.school_name

    def on_page(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.body, 8)
        text = r.t("sheet_footer", school=footer, page=canvas.getPageNumber())
        canvas.drawCentredString(A4[0] / 2, 11 * mm, text)
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _sheet_grade(y: YouthResults, r: Renderer, s: SchoolResult, number: int) -> Flowables:
    level = _atleast_name(y, r)
    grade = y.grade(s.grade)
    out: Flowables = [r.h2(number, r.t("sheet_grade_h", grade=s.grade))]
    out.append(r.p(r.t("sheet_participation", classes=s.classes, seats=s.seats, n=s.n)))
    if s.suppressed or s.mean_score is None or s.at_least is None:
        out.append(r.p(r.t("sheet_suppressed", m=SUPPRESS_BELOW), "banner"))
        return out
    town = DASH if s.town_mean is None else f"{s.town_mean:.0f}"
    city = DASH if s.city_mean is None else f"{s.city_mean:.0f}"
    out.append(
        r.p(
            r.t(
                "sheet_mean",
                mean=_score(s.mean_score),
                ci=_score_ci(s.mean_score),
                town=town,
                city=city,
            )
        )
    )
    out.append(
        r.p(
            r.t(
                "sheet_atleast",
                level=level,
                school=_share(s.at_least),
                ci=_share_ci(s.at_least),
                city=_share(grade.overall.at_least),
            )
        )
    )
    names = [y.levels.label(c, r.lang) for c in y.levels.codes]
    chart = stacked_chart(
        [
            (r.t("sheet_school_row"), list(s.levels), False),
            (r.t("sheet_city_row"), list(s.city_levels), False),
        ],
        names,
        font=r.font,
        width=PORTRAIT_WIDTH,
        label_width=60,
    )
    out.append(r.figure(chart, r.t("sheet_levels")))
    rows = [
        [r.dimension_label(d), num(v, 1), num(grade.raw.dimensions.get(d, (math.nan,))[0], 1)]
        for d, v in s.dimensions.items()
    ]
    header = [r.t("sheet_col_dim"), r.t("sheet_col_school"), r.t("sheet_col_city")]
    out += r.table(r.t("sheet_dims"), header, rows, [200, 126, 127], source="")
    out.append(r.p(r.t("sheet_note"), "note"))
    return out
