"""The report's front matter: the cover, and the summary an official presents first
(main findings, the verdict against each target, recommendations).

Every text comes from :mod:`reports.findings` (explicit rules) and the catalogue
:mod:`kesu.i18n`; nothing here computes a statistic.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from reports.charts import Bar
from reports.charts import hbar_chart
from reports.findings import findings
from reports.findings import recommendations
from reports.findings import reference_label
from reports.labels import ci_text
from reports.labels import pct
from reports.labels import signed
from reports.model import ReportData
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.spec import PUBLISHED_DIGITS

logger = logging.getLogger(__name__)

Flowables = list[Any]


def report_title(data: ReportData, lang: str) -> str:
    """The report's title (the job's ``title``, else from the questionnaire).

    Example:
        >>> report_title(data, "zh-CN")  # doctest: +SKIP
        '义乌市公民科学素质调查（2025）评估报告'
    """
    from kesu.i18n import tr

    if data.spec.title:
        return data.spec.title.get(lang)
    return tr(lang, "title", survey=data.questionnaire.title.get(lang))


def _period(data: ReportData, r: Renderer) -> str:
    fw = data.fieldwork
    if fw is None or fw.first_date is None or fw.last_date is None:
        return r.t("cover_unknown")
    return r.t("period", start=r.date(fw.first_date), end=r.date(fw.last_date))


def cover(data: ReportData, r: Renderer) -> Flowables:
    """The cover page: title, issuing unit, date, fieldwork period and sample.

    Example:
        >>> flowables = cover(data, renderer)  # doctest: +SKIP
    """
    d = data.design
    unknown = r.t("cover_unknown")
    issuer = data.spec.issuer.get(r.lang) if data.spec.issuer else unknown
    fieldwork_by = data.spec.fieldwork_by.get(r.lang) if data.spec.fieldwork_by else unknown
    rows = [
        (r.t("cover_issuer"), issuer),
        (r.t("cover_fieldwork_by"), fieldwork_by),
        (r.t("cover_period"), _period(data, r)),
        (r.t("cover_population"), r.population_text()),
        (
            r.t("cover_sample"),
            r.t("cover_sample_text", n=f"{d.n:,}", strata=d.n_strata, psu=d.n_psu),
        ),
        (r.t("cover_wave"), wave_text(r, data.spec.wave_name, data.spec.survey_year)),
        (r.t("cover_date"), r.date(data.generated)),
    ]
    return cover_page(r, report_title(data, r.lang), r.t("subtitle"), rows, issuer=issuer,
                      day=data.generated, synthetic=data.spec.synthetic)  # fmt: skip


def wave_text(r: Renderer, wave: str, year: int | None) -> str:
    """``wave（2025）`` (``wave (2025)`` in English)."""
    shown = year or "—"
    return f"{wave}（{shown}）" if r.lang == "zh-CN" else f"{wave} ({shown})"


def cover_page(
    r: Renderer,
    title: str,
    subtitle: str,
    rows: list[tuple[str, str]],
    *,
    issuer: str,
    day: dt.date,
    synthetic: bool,
) -> Flowables:
    """A cover: title and subtitle, the simulated-data banner, the facts as a two-column
    list (a "data: simulated" row added when ``synthetic``), the issuer and the date.

    Example:
        >>> cover_page(r, "标题", "副标题", [("发布单位", "某单位")], issuer="某单位",
        ...            day=dt.date(2025, 9, 30), synthetic=False)  # doctest: +SKIP
    """
    out: Flowables = [Spacer(1, 30 * mm), r.p(title, "cover_title"), r.p(subtitle, "cover_sub"),
                      Spacer(1, 14 * mm)]  # fmt: skip
    if synthetic:
        out += [r.p(r.t("synthetic"), "banner"), Spacer(1, 10 * mm)]
        rows = [*rows, (r.t("cover_data"), r.t("synthetic_short"))]
    table = Table(
        [[r.p(k, "cover_info"), r.p(v, "cover_info")] for k, v in rows],
        colWidths=[110, 280],
        hAlign="CENTER",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), r.fonts.body),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    out += [
        table,
        Spacer(1, 30 * mm),
        r.p(issuer, "cover_issuer"),
        r.p(r.date(day), "cover_issuer"),
    ]
    return out


def summary(data: ReportData, r: Renderer) -> Flowables:
    """The summary chapter: headline figure, main findings, verdicts, recommendations.

    Example:
        >>> flowables = summary(data, renderer)  # doctest: +SKIP
    """
    o = data.overall
    out: Flowables = [r.h1(0, r.t("summary"))]
    out.append(r.p(r.t("headline"), "center"))
    out.append(r.p(r.t("headline_value", rate=r.rate_text(o)), "big"))
    out.append(
        r.p(
            r.t(
                "headline_ci_level",
                level=r.level_pct,
                low=pct(o.ci_low),
                high=pct(o.ci_high),
                n=f"{o.n:,}",
            ),
            "center",
        )
    )
    if o.unreliable:
        out.append(r.p(r.t("headline_unreliable"), "center"))
    out.append(r.h2(1, r.t("findings")))
    out += r.numbered(findings(data, r))
    out.append(r.h2(2, r.t("verdicts")))
    if data.verdicts:
        out.append(r.p(r.t("verdicts_intro", level=r.level_pct)))
        header = [
            r.t(k, level=r.level_pct)
            for k in (
                "col_reference",
                "col_reference_rate",
                "col_estimate",
                "col_ci",
                "col_difference",
                "col_p",
                "col_verdict",
            )
        ]
        rows = [
            [
                f"{reference_label(r, v.key)}（{v.year}）"
                if r.lang == "zh-CN"
                else f"{reference_label(r, v.key)} ({v.year})",
                pct(v.rate, PUBLISHED_DIGITS),
                r.rate_text(o),
                ci_text(v.ci_low, v.ci_high),
                signed(100 * v.difference),
                "< 0.001" if v.p_value < 0.001 else f"{v.p_value:.3f}",
                r.t(f"verdict_short_{v.status}"),
            ]
            for v in data.verdicts
        ]
        out += r.table(
            r.t("tab_verdicts"),
            header,
            rows,
            [70, 52, 56, 70, 64, 44, 98],
            numeric_from=1,
            numeric_to=5,
        )
        bars = [r.bar(r.t("trend_yiwu"), o)]
        for v in data.verdicts:
            label = (
                f"{reference_label(r, v.key)}（{v.year}）"
                if r.lang == "zh-CN"
                else (f"{reference_label(r, v.key)} ({v.year})")
            )
            bars.append(
                Bar(label, 100 * v.rate, state="reference", text=pct(v.rate, PUBLISHED_DIGITS))
            )
        chart = hbar_chart(
            bars,
            font=r.font,
            width=PORTRAIT_WIDTH,
            label_width=110,
            legend=[
                ("whisker", r.t("legend_ci", level=r.level_pct)),
                ("reference", r.t("legend_reference")),
            ],
        )
        out.append(r.figure(chart, r.t("fig_verdicts")))
    else:
        out.append(r.p(r.t("verdicts_none")))
    out.append(r.h2(3, r.t("recommendations")))
    recs = recommendations(data, r)
    out += r.numbered(recs) if recs else [r.p(r.t("recommendations_none"))]
    out.append(r.p(r.t("recommendations_note"), "note"))
    return out
