"""The mental-health survey report as a PDF: :func:`build_wellbeing_pdf` (pure).

Same look as the literacy report (:mod:`reports.pdf`): A4, the embedded CJK font,
the report's paragraph and table styles, the greyscale stacked-bar chart, a table of
contents, and on every page the footer with the page number and the data fingerprint
("模拟数据" first when the data are simulated). Sections: summary with the key results,
one section per scale with bands (chart, then a table per domain), the PHQ-9 item-9
flag, methods (scales and sources, anonymity, duty of care, weighting, suppression,
limitations). Every figure comes from :class:`reports.wellbeing.WellbeingData`; a
suppressed cell is printed as "—" and a group under the threshold as "<10".
"""

from __future__ import annotations

import io
import logging
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether
from reportlab.platypus import PageBreak
from reportlab.platypus import Paragraph
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus.tableofcontents import TableOfContents

from reports.charts import stacked_chart
from reports.fonts import register_cjk_font
from reports.i18n import check_language
from reports.i18n import tr
from reports.labels import DASH
from reports.labels import ci_text
from reports.labels import num
from reports.labels import pct
from reports.pdf import MARGIN
from reports.pdf import _canvas_maker
from reports.pdf import _ReportDoc
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.render import simple_table
from reports.render import table_style
from reports.wellbeing import ShareCell
from reports.wellbeing import ShareRow
from reports.wellbeing import ShareTable
from reports.wellbeing import WellbeingData

logger = logging.getLogger(__name__)

Flowables = list[Any]


class _Page:
    """Renderer, data and running numbers of headings, tables and figures."""

    def __init__(self, data: WellbeingData, r: Renderer) -> None:
        self.data = data
        self.r = r
        self.section = 0
        self.tables = 0
        self.figures = 0

    def t(self, key: str, **values: Any) -> str:
        return self.r.t(key, **values)

    @property
    def level(self) -> str:
        return f"{100 * self.data.spec.level:g}"

    def heading(self, title: str) -> Paragraph:
        self.section += 1
        nums = self.t("mh_nums")
        number = nums[self.section - 1] if nums else str(self.section)
        return self.r.p(self.t("mh_sec", num=number, title=title), "h1")

    def scale_label(self, scale_id: str) -> str:
        return self.data.questionnaire.scale(scale_id).label.get(self.r.lang)

    def flag_label(self, flag_id: str) -> str:
        for f in self.data.questionnaire.scale_flags:
            if f.id == flag_id:
                return f.label.get(self.r.lang)
        return flag_id

    def band_label(self, scale_id: str, code: str) -> str:
        band = self.data.questionnaire.scale(scale_id).band(code)
        return band.label.get(self.r.lang) if band is not None else code

    def domain_label(self, by: str) -> str:
        try:
            return self.t(f"mh_dom_{by}")
        except KeyError:
            return self.data.questionnaire.item(by).text.get(self.r.lang)

    def group_label(self, by: str, key: str) -> str:
        if key == "":
            return self.t("mh_overall")
        return self.r.option_label(by, key)

    def n_text(self, row: ShareRow) -> str:
        return self.t("mh_below_n", m=self.data.min_n) if row.below_threshold else str(row.n)


def _mark(page: _Page, cell: ShareCell) -> str:
    return page.t("unreliable_mark") if cell.unreliable else ""


def _cell(page: _Page, cell: ShareCell, style: Any) -> Paragraph:
    if cell.suppressed:
        return Paragraph(DASH, style)
    text = f"{pct(cell.estimate)}{_mark(page, cell)}<br/>({ci_text(cell.ci_low, cell.ci_high)})"
    return Paragraph(text, style)


def _share_table(page: _Page, table: ShareTable, headers: list[str]) -> Table:
    s = page.r.styles
    data: list[list[Any]] = [[Paragraph(escape(h), s["cell"]) for h in headers]]
    for row in (table.total, *table.rows):
        label = page.group_label(table.by, row.key)
        data.append(
            [Paragraph(escape(label), s["cell"]), Paragraph(page.n_text(row), s["cellr"])]
            + [_cell(page, c, s["cellr"]) for c in row.cells]
        )
    k = len(headers) - 2
    widths = [96.0, 40.0] + [(PORTRAIT_WIDTH - 136.0) / k] * k
    out = Table(data, colWidths=widths, repeatRows=1)
    out.setStyle(table_style(page.r.font, 1, len(headers) - 1))
    return out


def _summary(page: _Page) -> Flowables:
    data, r = page.data, page.r
    q, lang = data.questionnaire, r.lang
    title = (
        data.spec.title.get(lang)
        if data.spec.title
        else tr(lang, "title", survey=q.title.get(lang))
    )
    out: Flowables = [r.p(title, "title"), r.p(page.t("mh_subtitle"), "subtitle")]
    if data.spec.wave_name:
        out.append(
            r.p(
                tr(
                    lang,
                    "wave_line",
                    wave=data.spec.wave_name,
                    year=data.spec.survey_year or data.generated.year,
                ),
                "subtitle",
            )
        )
    out.append(r.p(tr(lang, "generated", date=data.generated.isoformat()), "subtitle"))
    if data.spec.synthetic:
        out += [Spacer(1, 4 * mm), r.p(tr(lang, "synthetic"), "banner")]
    out += [Spacer(1, 6 * mm), page.heading(tr(lang, "summary"))]
    out.append(
        r.p(page.t("mh_summary_text", n=data.respondents, units=data.units, level=page.level))
    )
    if "unweighted" in data.notes:
        out.append(r.p(page.t("mh_unweighted")))
    elif data.spec.job.calibration is not None and data.population > 0:
        rate = pct(data.respondents / data.population)
        out.append(r.p(page.t("mh_population", population=f"{data.population:,.0f}", rate=rate)))
    means: list[list[str]] = []
    for mean in data.means:
        means.append(
            [
                page.t("mh_mean", scale=page.scale_label(mean.scale_id)),
                num(mean.estimate, 1),
                f"{num(mean.ci_low, 1)}–{num(mean.ci_high, 1)}",
                str(mean.n),
            ]
        )
    shares: list[list[str]] = []
    for t in data.tables:
        if t.by:
            continue
        for code, cell in zip(t.categories, t.total.cells, strict=True):
            if t.flag:
                name = page.flag_label(t.measure)
            else:
                band = page.band_label(t.measure, code)
                name = page.t("mh_band", scale=page.scale_label(t.measure), band=band)
            shown = not cell.suppressed
            shares.append(
                [
                    name,
                    pct(cell.estimate) + _mark(page, cell) if shown else DASH,
                    ci_text(cell.ci_low, cell.ci_high) if shown else DASH,
                    page.n_text(t.total),
                ]
            )
    ci_head = page.t("mh_col_ci", level=page.level)
    page.tables += 2
    out += [
        Spacer(1, 3 * mm),
        r.p(page.t("mh_key_means"), "h2"),
        simple_table(
            r,
            [page.t("mh_col_measure"), page.t("mh_mean_head"), ci_head, page.t("mh_col_n")],
            means,
            [250, 70, 110, 63],
        ),
        r.p(page.t("mh_key_shares"), "h2"),
        simple_table(
            r,
            [page.t("mh_col_measure"), page.t("mh_col_estimate"), ci_head, page.t("mh_col_n")],
            shares,
            [250, 70, 110, 63],
        ),
        r.p(_note(page), "small"),
    ]
    return out


def _note(page: _Page) -> str:
    rel = page.data.spec.job.reliability
    return page.t(
        "mh_table_note",
        m=page.data.min_n,
        c1=page.data.min_cell - 1,
        level=page.level,
        rn=rel.min_n,
        cv=f"{100 * rel.max_cv:g}",
    )


def _greys(k: int) -> tuple[float, ...]:
    """``k`` grey levels from light (lowest band) to dark (most severe band)."""
    return tuple(0.92 - 0.80 * i / max(k - 1, 1) for i in range(k))


def _scale_section(page: _Page, scale_id: str) -> Flowables:
    data, r = page.data, page.r
    out: Flowables = [page.heading(page.scale_label(scale_id))]
    mean = next((m for m in data.means if m.scale_id == scale_id), None)
    if mean is not None:
        out.append(
            r.p(
                page.t(
                    "mh_mean_text",
                    mean=num(mean.estimate, 1),
                    level=page.level,
                    low=num(mean.ci_low, 1),
                    high=num(mean.ci_high, 1),
                    n=mean.n,
                )
            )
        )
    tables = [t for t in data.tables if t.measure == scale_id and not t.flag]
    total = next(t for t in tables if not t.by)
    codes = total.categories
    bands = [page.band_label(scale_id, c) for c in codes]
    chart_rows: list[tuple[str, list[float], bool]] = [
        (page.t("mh_overall"), [c.estimate for c in total.total.cells], total.total.any_suppressed)
    ]
    for t in tables:
        if not t.by:
            continue
        for row in t.rows:
            label = page.group_label(t.by, row.key)
            chart_rows.append((label, [c.estimate for c in row.cells], row.any_suppressed))
    page.figures += 1
    chart = stacked_chart(
        chart_rows,
        bands,
        font=r.font,
        width=PORTRAIT_WIDTH,
        label_width=150,
        suppressed_note=page.t("mh_chart_hidden"),
        greys=_greys(len(bands)),
    )
    out.append(
        KeepTogether(
            [
                chart,
                r.p(
                    page.t("mh_chart_title", num=page.figures, scale=page.scale_label(scale_id)),
                    "small",
                ),
            ]
        )
    )
    headers = [page.t("mh_col_group"), page.t("mh_col_n"), *bands]
    for t in tables:
        if not t.by:
            continue
        page.tables += 1
        title = page.t(
            "mh_table_title",
            num=page.tables,
            scale=page.scale_label(scale_id),
            by=page.t("mh_by", domain=page.domain_label(t.by)),
        )
        out.append(KeepTogether([r.p(title, "h2"), _share_table(page, t, headers)]))
    out.append(r.p(_note(page), "small"))
    return out


def _flag_section(page: _Page, flag_id: str) -> Flowables:
    data, r = page.data, page.r
    out: Flowables = [page.heading(page.t("mh_flag_title"))]
    tables = [t for t in data.tables if t.measure == flag_id and t.flag]
    total = next(t for t in tables if not t.by).total.cells[0]
    if total.suppressed:
        out.append(r.p(page.t("mh_flag_hidden")))
    else:
        out.append(
            r.p(
                page.t(
                    "mh_flag_text",
                    rate=pct(total.estimate),
                    level=page.level,
                    low=pct(total.ci_low),
                    high=pct(total.ci_high),
                )
            )
        )
    rows: list[list[str]] = []
    for t in tables:
        for row in (t.total,) if not t.by else t.rows:
            cell = row.cells[0]
            label = page.group_label(t.by, row.key)
            if t.by:
                label = (
                    f"{page.domain_label(t.by)}：{label}"
                    if page.r.lang == "zh-CN"
                    else (f"{page.domain_label(t.by)}: {label}")
                )
            rows.append(
                [
                    label,
                    page.n_text(row),
                    DASH if cell.suppressed else pct(cell.estimate) + _mark(page, cell),
                    DASH if cell.suppressed else ci_text(cell.ci_low, cell.ci_high),
                ]
            )
    page.tables += 1
    head = [
        page.t("mh_col_group"),
        page.t("mh_col_n"),
        page.t("mh_col_estimate"),
        page.t("mh_col_ci", level=page.level),
    ]
    out += [
        r.p(page.t("mh_flag_table_title", num=page.tables, flag=page.flag_label(flag_id)), "h2"),
        simple_table(r, head, rows, [220, 60, 90, 123]),
        r.p(_note(page), "small"),
    ]
    return out


def _methods(page: _Page) -> Flowables:
    data, r = page.data, page.r
    lang = r.lang
    q = data.questionnaire
    out: Flowables = [page.heading(page.t("mh_methods")), r.p(page.t("mh_m_instruments"), "h2")]
    sep = "；" if lang == "zh-CN" else "; "
    for scale in q.scales:
        if scale.method.value == "mean":
            method = page.t("mh_m_mean")
        else:
            method = page.t("mh_m_sum_prorated" if scale.prorate else "mh_m_sum")
        reverse = ""
        if scale.reverse:
            reverse = page.t("mh_m_reverse", items=", ".join(sorted(scale.reverse)))
        bands = sep.join(b.label.get(lang) for b in scale.bands) or DASH
        out.append(
            r.p(
                page.t(
                    "mh_m_scale",
                    scale=scale.label.get(lang),
                    items=len(scale.items),
                    method=method,
                    low=f"{scale.low:g}",
                    high=f"{scale.high:g}",
                    min_answered=scale.min_answered,
                    reverse=reverse,
                    bands=bands,
                    reference=scale.reference or DASH,
                )
            )
        )
    out += [r.p(page.t("mh_m_anonymity"), "h2"), r.p(page.t("mh_m_anonymity_text"))]
    out += [r.p(page.t("mh_m_care"), "h2"), r.p(page.t("mh_m_care_text"))]
    job = data.spec.job
    cal = job.calibration
    if cal is not None and cal.margins:
        joiner = "、" if lang == "zh-CN" else ", "
        names = joiner.join(page.domain_label(m) if q.has_variable(m) else m for m in cal.margins)
        calibration = page.t("mh_m_calibration", margins=names)
    else:
        calibration = page.t("mh_m_no_calibration")
    design = ""
    if job.design.psu:
        strata = page.t("mh_m_strata", strata=job.design.strata) if job.design.strata else ""
        design = page.t("mh_m_design", psu="、".join(job.design.psu), strata=strata)
    out += [
        r.p(page.t("mh_m_weighting"), "h2"),
        r.p(
            page.t(
                "mh_m_weighting_text",
                weights=job.design.weights,
                calibration=calibration,
                design=design,
            )
        ),
    ]
    counts = dict(data.suppressed)
    out += [
        r.p(page.t("mh_m_suppression"), "h2"),
        r.p(
            page.t(
                "mh_m_suppression_text",
                m=data.min_n,
                c1=data.min_cell - 1,
                total=sum(counts.values()),
                small_n=counts.get("small_n", 0),
                small_cell=counts.get("small_cell", 0),
                complementary=counts.get("complementary", 0),
            )
        ),
        r.p(page.t("mh_m_limits"), "h2"),
        r.p(page.t("mh_m_limits_text")),
        Spacer(1, 3 * mm),
        r.p(
            page.t(
                "mh_m_fingerprint",
                fingerprint=data.fingerprint.short(),
                date=data.generated.isoformat(),
            ),
            "small",
        ),
    ]
    return out


def build_wellbeing_pdf(data: WellbeingData, lang: str = "zh-CN") -> bytes:
    """Render the mental-health report to PDF bytes (deterministic for the same data and
    date: reportlab's invariant mode).

    Example:
        >>> pdf = build_wellbeing_pdf(build_wellbeing_data(table, q, spec))  # doctest: +SKIP
        >>> pdf[:5]  # doctest: +SKIP
        b'%PDF-'
    """
    lang = check_language(lang)
    font = register_cjk_font()
    r = Renderer.create(lang, font, data.questionnaire, data.rules)
    page = _Page(data, r)
    story: Flowables = _summary(page)
    toc = TableOfContents()
    toc.levelStyles = [r.styles["toc0"], r.styles["toc1"]]
    story += [Spacer(1, 6 * mm), r.p(tr(lang, "toc"), "h2"), toc, PageBreak()]
    for scale in data.questionnaire.scales:
        if scale.bands:
            story += _scale_section(page, scale.id)
            story.append(PageBreak())
    for flag in data.questionnaire.scale_flags:
        story += _flag_section(page, flag.id)
        story.append(PageBreak())
    story += _methods(page)
    buffer = io.BytesIO()
    q = data.questionnaire
    title = (
        data.spec.title.get(lang)
        if data.spec.title
        else tr(lang, "title", survey=q.title.get(lang))
    )
    doc = _ReportDoc(
        buffer,
        title=title,
        author="kesu",
        subject=data.fingerprint.short(),
        invariant=True,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
    )
    left = data.fingerprint.short()
    if data.spec.synthetic:
        left = f"[{tr(lang, 'synthetic_short')}] " + left
    doc.multiBuild(story, canvasmaker=_canvas_maker(font, lang, left, data.generated.isoformat()))
    logger.info("mental-health report: %d pages, %d bytes", doc.page, buffer.tell())
    return buffer.getvalue()
