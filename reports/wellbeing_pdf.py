"""The mental-health survey report as a PDF: :func:`build_wellbeing_pdf` (pure).

The same official form as the literacy report (:mod:`reports.pdf`, GB/T 9704 where
it fits): a cover, a table of contents, the summary, numbered chapters 一、二、… on new
pages, the methods appendix; serif body and sans headings (embedded TrueType), numbered
three-line tables with the source below, numbered figures, the running head and
"— N —" page numbers with the data fingerprint. Chapters: one per scale with bands
(a stacked chart of the bands by group, then a table per domain), the PHQ-9 item-9
flag; the appendix states the scales and their sources, anonymity, the duty of care,
the weighting and the suppression. Every figure comes from
:class:`reports.wellbeing.WellbeingData`: a suppressed cell is printed "—", a group
under the threshold has n "<10", an unstable estimate is marked †.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from reportlab.platypus import KeepTogether
from reportlab.platypus import NextPageTemplate
from reportlab.platypus import PageBreak

from kesu.i18n import check_language
from kesu.i18n import tr
from questionnaires.model import Scale
from reports.charts import stacked_chart
from reports.fonts import register_report_fonts
from reports.front import cover_page
from reports.front import wave_text
from reports.labels import DASH
from reports.labels import Labels
from reports.labels import ci_text
from reports.labels import num
from reports.labels import p_text
from reports.labels import pct
from reports.pdf import contents
from reports.pdf import render_document
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.wellbeing import MAX_CI_WIDTH
from reports.wellbeing import ShareCell
from reports.wellbeing import ShareRow
from reports.wellbeing import ShareTable
from reports.wellbeing import WellbeingData

logger = logging.getLogger(__name__)

Flowables = list[Any]


class _Lookups:
    """The data and the label lookups of this report, in ``labels``' language (the PDF's
    renderer, or the dashboard's labels)."""

    def __init__(self, data: WellbeingData, labels: Labels) -> None:
        self.data = data
        self.labels = labels

    def t(self, key: str, **values: Any) -> str:
        return self.labels.t(key, **values)

    @property
    def level(self) -> str:
        return f"{100 * self.data.spec.level:g}"

    def scale_label(self, scale_id: str) -> str:
        return self.data.questionnaire.scale(scale_id).label.get(self.labels.lang)

    def flag_label(self, flag_id: str) -> str:
        for f in self.data.questionnaire.scale_flags:
            if f.id == flag_id:
                return f.label.get(self.labels.lang)
        return flag_id

    def band_label(self, scale_id: str, code: str) -> str:
        band = self.data.questionnaire.scale(scale_id).band(code)
        return band.label.get(self.labels.lang) if band is not None else code

    def domain_label(self, by: str) -> str:
        try:
            return self.t(f"mh_dom_{by}")
        except KeyError:
            return self.data.questionnaire.item(by).text.get(self.labels.lang)

    def group_label(self, by: str, key: str) -> str:
        return self.t("mh_overall") if key == "" else self.labels.option_label(by, key)

    def n_text(self, row: ShareRow) -> str:
        return self.t("mh_below_n", m=self.data.min_n) if row.below_threshold else f"{row.n:,}"

    def mark(self, cell: ShareCell) -> str:
        return self.t("unreliable_mark") if cell.unreliable else ""

    def share(self, cell: ShareCell) -> str:
        return DASH if cell.suppressed else pct(cell.estimate) + self.mark(cell)

    def interval(self, cell: ShareCell) -> str:
        if cell.suppressed or not cell.ci_high - cell.ci_low < MAX_CI_WIDTH:
            return DASH  # hidden, or too wide to say anything (MAX_CI_WIDTH)
        return ci_text(cell.ci_low, cell.ci_high)

    def cell_text(self, cell: ShareCell) -> str:
        """A share with its interval in brackets on one line (none when hidden or too wide)."""
        interval = self.interval(cell)
        if cell.suppressed or interval == DASH:
            return self.share(cell)
        return self.t("bracketed", value=self.share(cell), inner=interval)

    def test_text(self, tables: Sequence[ShareTable]) -> str:
        """The groups' Rao-Scott tests of ``tables`` (those by a domain) as one sentence,
        with the groups each left out, or why there is no test; '' without a table by a
        domain. With several tables each test is named by its domain."""
        by_domain = [t for t in tables if t.by]
        several = len(by_domain) > 1
        sep = self.t("colon")
        tests, left_out, too_few, one_category = [], [], [], []
        for t in by_domain:
            domain = self.domain_label(t.by)
            if t.test is None:
                if len(t.tested) >= 2:  # enough groups, but their answers too concentrated
                    one_category.append(domain)
                elif sum(row.n > 0 for row in t.rows) >= 2:
                    too_few.append(domain)
                continue
            tests.append(
                self.t(
                    "mh_test_one",
                    domain=f"{domain} " if several else "",
                    f=num(t.test.f),
                    df1=num(t.test.df1, 1),
                    df2=num(t.test.df2, 1),
                    p=p_text(t.test.p),
                )
            )
            left_out += [
                (f"{domain}{sep}" if several else "") + self.group_label(t.by, row.key)
                for row in t.rows
                if row.n > 0 and row.key not in t.tested
            ]
        out = []
        if tests:
            groups = self.t("list_sep").join(left_out)
            out.append(
                self.t(
                    "mh_test",
                    tests=self.t("clause_sep").join(tests),
                    left_out=self.t("mh_test_left_out", groups=groups) if left_out else "",
                )
            )
        if too_few:
            out.append(self.t("mh_test_none", domains=self.t("list_sep").join(too_few)))
        if one_category:
            out.append(self.t("mh_test_same", domains=self.t("list_sep").join(one_category)))
        return "".join(out) if self.labels.lang == "zh-CN" else " ".join(out)


class _Page(_Lookups):
    """The lookups with the PDF's renderer (paragraphs, tables, figures)."""

    def __init__(self, data: WellbeingData, r: Renderer) -> None:
        super().__init__(data, r)
        self.r = r


def wellbeing_findings(data: WellbeingData, labels: Labels) -> list[str]:
    """The summary's numbered findings in ``labels``' language (the PDF and the dashboard
    state the same ones): see :func:`_findings`."""
    return _findings(_Lookups(data, labels))


def share_cell_text(data: WellbeingData, labels: Labels, cell: ShareCell) -> str:
    """A published share as the PDF shows it, on one line: "68.7 (66.5–70.8)", "80.3†"
    (its interval 30 points wide or more is not shown), or "—" (hidden)."""
    return _Lookups(data, labels).cell_text(cell)


def groups_test_text(data: WellbeingData, labels: Labels, table: ShareTable) -> str:
    """The sentence under a table by a group variable stating its Rao-Scott test ('' with
    none), as the PDF prints it: the dashboard shows the same."""
    return _Lookups(data, labels).test_text([table])


def report_title(data: WellbeingData, lang: str) -> str:
    """The job's title, else "<questionnaire title>评估报告"."""
    if data.spec.title:
        return data.spec.title.get(lang)
    return tr(lang, "title", survey=data.questionnaire.title.get(lang))


def _cover(page: _Page) -> Flowables:
    data, r = page.data, page.r
    issuer = data.spec.issuer.get(r.lang) if data.spec.issuer else page.t("cover_unknown")
    sample = page.t("mh_cover_sample", n=f"{data.respondents:,}", units=data.units)
    rows = [
        (page.t("cover_issuer"), issuer),
        (page.t("cover_population"), r.population_text()),
        (page.t("cover_sample"), sample),
        (page.t("cover_wave"), wave_text(r, data.spec.wave_name or page.t("cover_unknown"),
                                         data.spec.survey_year or data.generated.year)),
        (page.t("cover_date"), r.date(data.generated)),
    ]  # fmt: skip
    return cover_page(r, report_title(data, r.lang), page.t("mh_subtitle"), rows, issuer=issuer,
                      day=data.generated, synthetic=data.spec.synthetic)  # fmt: skip


def _summary(page: _Page) -> Flowables:
    data, r = page.data, page.r
    out: Flowables = [r.h1(0, page.t("summary"))]
    out.append(
        r.p(
            page.t("mh_summary_text", n=f"{data.respondents:,}", units=data.units, level=page.level)
        )
    )
    if "unweighted" in data.notes:
        out.append(r.p(page.t("mh_unweighted")))
    elif data.spec.job.calibration is not None and data.population > 0:
        rate = pct(data.respondents / data.population)
        out.append(r.p(page.t("mh_population", population=f"{data.population:,.0f}", rate=rate)))
    findings = _findings(page)
    if findings:
        out += [r.h2(1, page.t("findings")), *r.numbered(findings)]
        out.append(r.h2(2, page.t("mh_key_head")))
    ci_head = page.t("mh_col_ci", level=page.level)
    means = [
        [
            page.scale_label(m.scale_id),
            num(m.estimate, 1),
            f"{num(m.ci_low, 1)}–{num(m.ci_high, 1)}",
            f"{m.n:,}",
        ]
        for m in data.means
    ]
    out += r.table(
        page.t("mh_key_means"),
        [page.t("mh_col_measure"), page.t("mh_mean_head"), ci_head, page.t("mh_col_n")],
        means,
        [200, 70, 110, 73],
    )
    shares: list[list[str]] = []
    for t in data.tables:
        if t.by:
            continue
        for code, cell in zip(t.categories, t.total.cells, strict=True):
            if t.flag:
                name = page.flag_label(t.measure)
            else:
                name = page.t(
                    "mh_band",
                    scale=page.scale_label(t.measure),
                    band=page.band_label(t.measure, code),
                )
            shares.append([name, page.share(cell), page.interval(cell), page.n_text(t.total)])
    out += r.table(
        page.t("mh_key_shares"),
        [page.t("mh_col_measure"), page.t("mh_col_estimate"), ci_head, page.t("mh_col_n")],
        shares,
        [200, 70, 110, 73],
    )
    out.append(r.p(_note(page), "note"))
    return out


def _findings(page: _Lookups) -> list[str]:
    """The summary's statements: for each scale with a cut-off, the share screening
    positive with its interval and the mean score; for each flag, its share; then what a
    screen is not (none without cut-offs or flags)."""
    data, out = page.data, []
    for scale in data.questionnaire.scales:
        if not scale.screen_from:
            continue
        cell = data.screen(scale.id).total.cells[0]
        name = page.scale_label(scale.id)
        cut = _cut(scale)
        mean = next((m for m in data.means if m.scale_id == scale.id), None)
        mean_text = num(mean.estimate, 1) if mean is not None else DASH
        if cell.suppressed:
            out.append(page.t("mh_find_screen_hidden", scale=name, cut=cut))
        elif page.interval(cell) == DASH:
            out.append(page.t("mh_find_screen_noci", scale=name, cut=cut,
                              rate=page.share(cell), mean=mean_text))  # fmt: skip
        else:
            out.append(page.t("mh_find_screen", scale=name, cut=cut, rate=page.share(cell),
                              level=page.level, low=pct(cell.ci_low), high=pct(cell.ci_high),
                              mean=mean_text))  # fmt: skip
        out[-1] += _differences(page, [t for t in data.screens if t.measure == scale.id])
    for f in data.questionnaire.scale_flags:
        cell = data.table(f.id, "").total.cells[0]
        name = page.flag_label(f.id)
        if cell.suppressed:
            out.append(page.t("mh_find_flag_hidden", flag=name))
        elif page.interval(cell) == DASH:
            out.append(page.t("mh_find_flag_noci", flag=name, rate=page.share(cell)))
        else:
            low, high = pct(cell.ci_low), pct(cell.ci_high)
            out.append(page.t("mh_find_flag", flag=name, rate=page.share(cell),
                              level=page.level, low=low, high=high))  # fmt: skip
        if f.care:
            out[-1] += page.t("mh_find_care")
    if out:
        out.append(page.t("mh_find_caution"))
    return out


def _differences(page: _Lookups, tables: Sequence[ShareTable]) -> str:
    """Which group variables' groups differ: their Rao-Scott tests (:attr:`ShareTable.test`)
    rejected at 0.05 after Holm's correction for the variables tested (Holm 1979; the
    finding is one statement about all of them), or that none do; '' when no table has a
    test."""
    from statsmodels.stats.multitest import multipletests

    tested = [t for t in tables if t.by and t.test is not None]
    if not tested:
        return ""
    rejected = multipletests([t.test.p for t in tested if t.test is not None], alpha=0.05,
                             method="holm")[0]  # fmt: skip
    differ = [page.domain_label(t.by) for t, r in zip(tested, rejected, strict=True) if r]
    k = len(tested)
    if not differ:
        return page.t("mh_find_no_difference", k=k)
    return page.t("mh_find_differences", domains=page.t("list_sep").join(differ), k=k)


def _cut(scale: Scale) -> str:
    """The score from which ``scale`` screens positive (its ``screen_from`` band's
    minimum: ``10``; ``3.5`` for a mean score); '' without a cut-off."""
    band = scale.band(scale.screen_from) if scale.screen_from else None
    if band is None:
        return ""
    return num(band.minimum, 0 if float(band.minimum).is_integer() else 1)


def _note(page: _Lookups) -> str:
    rel = page.data.spec.job.reliability
    return page.t(
        "mh_table_note",
        m=page.data.min_n,
        c1=page.data.min_cell - 1,
        level=page.level,
        rn=rel.min_n,
        cv=f"{100 * rel.max_cv:g}",
        w=f"{100 * MAX_CI_WIDTH:g}",
    )


def table_note(data: WellbeingData, labels: Labels) -> str:
    """The note under the tables (what "—", "<10", † and the brackets mean): the PDF's
    and the dashboard's."""
    return _note(_Lookups(data, labels))


def _greys(k: int) -> tuple[float, ...]:
    """``k`` grey levels from light (lowest band) to dark (most severe band)."""
    return tuple(0.92 - 0.80 * i / max(k - 1, 1) for i in range(k))


def _share_table(page: _Page, table: ShareTable, title: str, bands: list[str]) -> Flowables:
    r = page.r
    rows: list[list[Any]] = []
    for row in (table.total, *table.rows):
        cells: list[Any] = [page.group_label(table.by, row.key), page.n_text(row)]
        for cell in row.cells:
            if cell.suppressed:
                cells.append(DASH)
            else:  # the share, its interval on a second line (none when too wide)
                interval = page.interval(cell)
                if interval != DASH:
                    interval = f"（{interval}）" if r.lang == "zh-CN" else f"({interval})"
                cells.append([r.p(page.share(cell), "cellr"), r.p(interval, "cellr")])
        rows.append(cells)
    k = len(bands)
    widths = [88.0, 42.0] + [(PORTRAIT_WIDTH - 130.0) / k] * k
    header = [page.t("mh_col_group"), page.t("mh_col_n"), *bands]
    return r.table(title, header, rows, widths)


def _source(data: WellbeingData, lang: str) -> str:
    """The source line under every table: the survey (its wave is named on the cover and in
    the methods), simulated or not, the marks."""
    survey = data.questionnaire.title.get(lang)
    text = tr(lang, "mh_source", survey=survey)
    synthetic = tr(lang, "source_synthetic") if data.spec.synthetic else ""
    return text + synthetic + tr(lang, "mh_marks")


def _scale_chapter(page: _Page, number: int, scale_id: str) -> Flowables:
    data, r = page.data, page.r
    out: Flowables = [r.h1(number, page.scale_label(scale_id))]
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
                    n=f"{mean.n:,}",
                )
            )
        )
    tables = [t for t in data.tables if t.measure == scale_id and not t.flag]
    total = next(t for t in tables if not t.by)
    bands = [page.band_label(scale_id, c) for c in total.categories]
    chart_rows: list[tuple[str, list[float], bool]] = [
        (page.t("mh_overall"), [c.estimate for c in total.total.cells], total.total.any_suppressed)
    ]
    for t in tables:
        for row in t.rows if t.by else ():
            chart_rows.append(
                (
                    page.group_label(t.by, row.key),
                    [c.estimate for c in row.cells],
                    row.any_suppressed,
                )
            )
    chart = stacked_chart(
        chart_rows,
        bands,
        font=r.font,
        width=PORTRAIT_WIDTH,
        label_width=150,
        suppressed_note=page.t("mh_chart_hidden"),
        greys=_greys(len(bands)),
    )
    out.append(r.figure(chart, page.t("mh_chart_title", scale=page.scale_label(scale_id))))
    k = 0
    for k, t in enumerate([t for t in tables if t.by], start=1):
        by = page.t("mh_by", domain=page.domain_label(t.by))
        title = page.t("mh_table_title", scale=page.scale_label(scale_id), by=by)
        # a few rows each: the heading and its whole table stay on one page
        block = [r.h2(k, by), *_share_table(page, t, title, bands)]
        test = page.test_text([t])
        if test:
            block.append(r.p(test, "small"))
        out.append(KeepTogether(block))
    scale = data.questionnaire.scale(scale_id)
    screens = [t for t in data.screens if t.measure == scale_id]
    if scale.screen_from and screens:
        cut = _cut(scale)
        head = page.t("mh_screen_head", cut=cut)
        title = page.t("mh_screen_table_title", scale=page.scale_label(scale_id), cut=cut)
        block = [r.h2(k + 1, head), *_one_share_table(page, screens, title)]
        test = page.test_text(screens)
        if test:
            block.append(r.p(test, "small"))
        out.append(KeepTogether(block))
    return out


def _flag_chapter(page: _Page, number: int, flag_id: str) -> Flowables:
    data, r = page.data, page.r
    out: Flowables = [r.h1(number, page.t("mh_flag_title"))]
    tables = [t for t in data.tables if t.measure == flag_id and t.flag]
    total = next(t for t in tables if not t.by).total.cells[0]
    if total.suppressed:
        out.append(r.p(page.t("mh_flag_hidden")))
    else:
        out.append(
            r.p(
                page.t(
                    "mh_flag_text",
                    rate=page.share(total),
                    level=page.level,
                    low=pct(total.ci_low),
                    high=pct(total.ci_high),
                )
            )
        )
    out += _one_share_table(
        page, tables, page.t("mh_flag_table_title", flag=page.flag_label(flag_id))
    )
    test = page.test_text(tables)
    if test:
        out.append(r.p(test, "small"))
    return out


def _one_share_table(page: _Page, tables: Sequence[ShareTable], title: str) -> Flowables:
    """One share (a flag's, a positive screen's) for everyone and each group of every
    domain, one row each, with its interval."""
    r = page.r
    rows: list[list[str]] = []
    sep = r.t("colon")
    for t in tables:
        for row in (t.total,) if not t.by else t.rows:
            label = page.group_label(t.by, row.key)
            if t.by:
                label = f"{page.domain_label(t.by)}{sep}{label}"
            cell = row.cells[0]
            rows.append([label, page.n_text(row), page.share(cell), page.interval(cell)])
    head = [
        page.t("mh_col_group"),
        page.t("mh_col_n"),
        page.t("mh_col_estimate"),
        page.t("mh_col_ci", level=page.level),
    ]
    return r.table(title, head, rows, [220, 60, 70, 103])


def _methods(page: _Page) -> Flowables:
    data, r = page.data, page.r
    lang, q = r.lang, data.questionnaire
    out: Flowables = [r.h1(0, page.t("mh_methods")), r.h2(1, page.t("mh_m_instruments"))]
    sep = page.t("clause_sep")
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
    out += [r.h2(2, page.t("mh_m_anonymity")), r.p(page.t("mh_m_anonymity_text"))]
    out += [r.h2(3, page.t("mh_m_care")), r.p(page.t("mh_m_care_text"))]
    job = data.spec.job
    cal = job.calibration
    if cal is not None and cal.margins:
        joiner = page.t("list_sep")
        names = joiner.join(page.domain_label(m) if q.has_variable(m) else m for m in cal.margins)
        calibration = page.t("mh_m_calibration", margins=names)
    else:
        calibration = page.t("mh_m_no_calibration")
    design = ""
    if job.design.psu:
        strata = page.t("mh_m_strata", strata=job.design.strata) if job.design.strata else ""
        design = page.t("mh_m_design", psu=page.t("list_sep").join(job.design.psu), strata=strata)
    out += [
        r.h2(4, page.t("mh_m_weighting")),
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
        r.h2(5, page.t("mh_m_suppression")),
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
        r.h2(6, page.t("mh_m_limits")),
        r.p(page.t("mh_m_limits_text")),
    ]
    return out


def build_wellbeing_pdf(data: WellbeingData, lang: str = "zh-CN") -> bytes:
    """Render the mental-health report to PDF bytes (deterministic for the same data and
    date: reportlab's invariant mode, the CreationDate is the report date).

    Example:
        >>> pdf = build_wellbeing_pdf(build_wellbeing_data(table, q, spec))  # doctest: +SKIP
        >>> pdf[:5]  # doctest: +SKIP
        b'%PDF-'
    """
    lang = check_language(lang)
    fonts = register_report_fonts()
    r = Renderer.create(lang, fonts, data.questionnaire, data.rules, source=_source(data, lang))
    page = _Page(data, r)
    story: Flowables = [NextPageTemplate("portrait"), *_cover(page), *contents(r)]
    story += _summary(page)
    number = 0
    for scale in data.questionnaire.scales:
        if scale.bands:
            number += 1
            story += [PageBreak(), *_scale_chapter(page, number, scale.id)]
    for flag in data.questionnaire.scale_flags:
        number += 1
        story += [PageBreak(), *_flag_chapter(page, number, flag.id)]
    story += [PageBreak(), *_methods(page)]
    return render_document(story, lang=lang, fonts=fonts, title=report_title(data, lang),
                           issuer=data.spec.issuer.get(lang) if data.spec.issuer else None,
                           fingerprint=data.fingerprint, synthetic=data.spec.synthetic,
                           day=data.generated)  # fmt: skip
