"""The report's summary and result sections as platypus flowables.

Each function takes the :class:`~reports.model.ReportData` and a
:class:`~reports.render.Renderer` and returns flowables; nothing here
computes a statistic (the figures come from :mod:`reports.data`).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether
from reportlab.platypus import Spacer
from reportlab.platypus import Table

from reports.charts import Bar
from reports.charts import RefLine
from reports.charts import Series
from reports.charts import hbar_chart
from reports.charts import stacked_chart
from reports.charts import trend_chart
from reports.model import DomainRow
from reports.model import ReportData
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.render import ci_text
from reports.render import num
from reports.render import pct
from reports.render import pp
from reports.render import simple_table
from reports.spec import PUBLISHED_NATIONAL
from reports.spec import PUBLISHED_ZHEJIANG
from reports.spec import Comparison

logger = logging.getLogger(__name__)

Flowables = list[Any]


def comparison_label(r: Renderer, c: Comparison) -> str:
    """The label of a reference rate (its own label, else national/Zhejiang/target).

    Example:
        >>> comparison_label(renderer, Comparison("national", 0.1537, 2024))  # doctest: +SKIP
        '全国'
    """
    if c.label is not None:
        return c.label.get(r.lang)
    key = f"ref_{c.key}"
    try:
        return r.t(key)
    except KeyError:
        return c.key


def ref_lines(r: Renderer, data: ReportData) -> list[RefLine]:
    """Reference lines (in percent) for rate charts.

    Example:
        >>> ref_lines(renderer, data)[0].value  # doctest: +SKIP
        15.37
    """
    return [
        RefLine(
            100 * c.rate,
            r.t("ref_line", label=comparison_label(r, c), rate=pct(c.rate, 2), year=c.year),
        )
        for c in data.spec.comparisons
    ]


def _legend(r: Renderer) -> list[tuple[str, str]]:
    return [("hatch", r.t("legend_unreliable")), ("whisker", r.t("legend_ci", level=r.level_pct))]


def summary(data: ReportData, r: Renderer) -> Flowables:
    """Title block and the one-page summary.

    Example:
        >>> flowables = summary(data, renderer)  # doctest: +SKIP
    """
    wave = data.spec.wave_name
    survey = data.questionnaire.title.get(r.lang)
    title = data.spec.title.get(r.lang) if data.spec.title else r.t("title", survey=survey)
    out: Flowables = [
        r.p(title, "title"),
        r.p(r.t("subtitle"), "subtitle"),
        r.p(r.t("wave_line", wave=wave, year=data.spec.survey_year or "—"), "subtitle"),
        r.p(r.t("generated", date=data.generated.isoformat()), "subtitle"),
    ]
    if data.spec.synthetic:
        out += [Spacer(1, 3 * mm), r.p(r.t("synthetic"), "banner")]
    out += [Spacer(1, 4 * mm), r.p(r.t("summary"), "h1")]
    o = data.overall
    out.append(r.p(r.t("headline"), "subtitle"))
    out.append(r.p(r.t("headline_value", rate=r.rate_text(o)), "big"))
    out.append(
        r.p(
            r.t(
                "headline_ci_level",
                level=r.level_pct,
                low=pct(o.ci_low),
                high=pct(o.ci_high),
                n=o.n,
                deff=num(o.deff),
            ),
            "subtitle",
        )  # fmt: skip
    )
    ch = data.change
    if ch is None:
        out.append(r.p(r.t("no_previous")))
    else:
        d = ch.difference
        verdict = r.t("change_sig" if ch.significant else "change_nonsig")
        out.append(
            r.p(
                r.t("change", year=ch.previous_year, wave=ch.previous_wave,
                    diff=pp(d.estimate), level=r.level_pct, low=pp(d.ci_low), high=pp(d.ci_high),
                    p=_p(ch.p_value), verdict=verdict)
            )
        )  # fmt: skip
    sep = "；" if r.lang == "zh-CN" else "; "
    parts = []
    for c in data.spec.comparisons:
        if o.suppressed:
            break
        key = "compare_same"
        if o.ci_low > c.rate:
            key = "compare_above"
        elif o.ci_high < c.rate:
            key = "compare_below"
        parts.append(r.t(key, label=comparison_label(r, c), rate=pct(c.rate, 2), year=c.year))
    if parts:
        out.append(
            r.p(r.t("compare_head") + ("：" if r.lang == "zh-CN" else ": ") + sep.join(parts))
        )
    bars = [r.bar(r.t("trend_yiwu"), o)]
    for c in data.spec.comparisons:
        label = f"{comparison_label(r, c)} ({c.year})"
        bars.append(Bar(label, 100 * c.rate, state="reference", text=pct(c.rate, 2)))
    out.append(hbar_chart(bars, font=r.font, width=PORTRAIT_WIDTH, label_width=120))
    out += [r.p(r.t("findings"), "h2")]
    for text in _findings(data, r):
        out.append(r.p("● " + text))
    return out


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _extremes(rows: list[tuple[str, DomainRow]]) -> tuple[tuple[str, DomainRow], ...] | None:
    shown = [(label, row) for label, row in rows if not row.suppressed]
    if len(shown) < 2:
        return None
    shown.sort(key=lambda x: x[1].estimate)
    return shown[-1], shown[0]


def _findings(data: ReportData, r: Renderer) -> list[str]:
    out = []
    ext = _extremes([(r.group_label(row.key), row) for row in data.groups.rows])
    if ext:
        (hl, hr), (ll, lr) = ext
        out.append(r.t("finding_groups", high=hl, high_rate=pct(hr.estimate), low=ll,
                       low_rate=pct(lr.estimate)))  # fmt: skip
    ext = _extremes([(r.option_label("town", row.key), row) for row in data.towns.rows])
    if ext:
        (hl, hr), (ll, lr) = ext
        out.append(r.t("finding_towns", high=hl, high_rate=pct(hr.estimate), low=ll,
                       low_rate=pct(lr.estimate)))  # fmt: skip
    if data.capacity is not None:
        off = [p.indicator.label.get(r.lang) for p in data.capacity if p.status == "off_track"]
        sep = "、" if r.lang == "zh-CN" else ", "
        out.append(
            r.t("finding_capacity", k=len(off), names=sep.join(off))
            if off
            else r.t("finding_capacity_ok")
        )
    hidden = sum(1 for row in (*data.groups.rows, *data.towns.rows) if row.suppressed)
    if hidden:
        out.append(r.t("finding_suppressed", k=hidden, m=data.rules.suppress_below))
    return out


def groups(data: ReportData, r: Renderer) -> Flowables:
    """Section 1: the five key groups.

    Example:
        >>> flowables = groups(data, renderer)  # doctest: +SKIP
    """
    rows = [("", data.overall)] + [(row.key, row) for row in data.groups.rows]
    labelled = [(r.group_label(k), row) for k, row in rows]
    chart = hbar_chart(
        [r.bar(label, row) for label, row in labelled], font=r.font, width=PORTRAIT_WIDTH,
        refs=ref_lines(r, data), legend=_legend(r), cap=100,
    )  # fmt: skip
    return [
        r.p(r.t("sec_groups"), "h1"),
        r.p(r.t("groups_intro", level=r.level_pct)),
        chart,
        Spacer(1, 3 * mm),
        r.domain_table(labelled, first=r.t("col_group")),
    ]


def towns(data: ReportData, r: Renderer) -> Flowables:
    """Section 2: the 14 towns/streets, with small-area estimates when fitted.

    Example:
        >>> flowables = towns(data, renderer)  # doctest: +SKIP
    """
    labelled = [(r.option_label("town", row.key), row) for row in data.towns.rows]
    out: Flowables = [r.p(r.t("sec_towns"), "h1"), r.p(r.t("towns_intro", level=r.level_pct))]
    if labelled:
        out.append(
            hbar_chart(
                [r.bar(label, row) for label, row in labelled],
                font=r.font,
                width=PORTRAIT_WIDTH,
                refs=ref_lines(r, data),
                legend=_legend(r),
                cap=100,
            )
        )
        out += [Spacer(1, 3 * mm), r.domain_table(labelled, first=r.t("col_town"))]
    out.append(r.p(r.t("sae_head"), "h2"))
    sae = data.sae
    if sae is None:
        why = next((n.split(":", 1)[1] for n in data.notes if n.startswith("sae_skipped")), "-")
        out.append(r.p(r.t("sae_none", why=why)))
        return out
    names = ", ".join(sae.covariate_names[1:] if sae.covariate_names[:1] == ("(intercept)",)
                      else sae.covariate_names)  # fmt: skip
    cov = r.t("sae_cov", names=names) if names else r.t("sae_cov_none")
    out.append(r.p(r.t("sae_intro", cov=cov)))
    ci = sae.confint(data.rules.level)
    index = {a: i for i, a in enumerate(sae.areas)}
    table_rows = []
    for row in data.towns.rows:
        i = index.get(row.key)
        label = r.option_label("town", row.key)
        direct = r.rate_text(row)
        direct_ci = "—" if row.suppressed else ci_text(row.ci_low, row.ci_high)
        if i is None:
            table_rows.append([label, str(row.n), direct, direct_ci, "—", "—", "—"])
            continue
        table_rows.append(
            [label, str(row.n), direct, direct_ci, pct(float(sae.estimate[i])),
             ci_text(max(float(ci[i, 0]), 0.0), min(float(ci[i, 1]), 1.0)),
             num(float(sae.gamma[i]))]
        )  # fmt: skip
    header = [r.t(k, level=r.level_pct) for k in
              ("col_town", "col_n", "col_direct", "col_direct_ci", "col_model", "col_model_ci",
               "col_gamma")]  # fmt: skip
    out.append(simple_table(r, header, table_rows, [110, 40, 62, 78, 62, 78, 63]))
    return out


def levels(data: ReportData, r: Renderer) -> Flowables:
    """Section 3: distribution over the four levels, overall and by group.

    Example:
        >>> flowables = levels(data, renderer)  # doctest: +SKIP
    """
    codes = [row.key for row in data.levels.rows]
    seg_labels = [r.level_label(c) for c in codes]
    rows = []
    for g, bd in data.levels_by_group.items():
        shares = [row.estimate for row in bd.rows]
        hidden = any(row.suppressed for row in bd.rows)
        rows.append((r.group_label(g), shares, hidden))
    chart = stacked_chart(
        rows, seg_labels, font=r.font, width=PORTRAIT_WIDTH,
        suppressed_note=r.t("suppressed", m=data.rules.suppress_below),
    )  # fmt: skip
    labelled = [(r.level_label(row.key), row) for row in data.levels.rows]
    return [
        r.p(r.t("sec_levels"), "h1"),
        r.p(r.t("levels_intro")),
        chart,
        Spacer(1, 3 * mm),
        r.domain_table(labelled, first=r.t("col_level"), rate="col_share"),
    ]


def dimensions(data: ReportData, r: Renderer) -> Flowables:
    """Section 4: mean dimension scores (percent of maximum) by group, 2 x 2 panels.

    Example:
        >>> flowables = dimensions(data, renderer)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("sec_dimensions"), "h1"), r.p(r.t("dimensions_intro"))]
    panels: list[list[Any]] = []
    half = PORTRAIT_WIDTH / 2 - 4
    for dim_id, bd in data.dimensions.items():
        bars = [r.bar(r.group_label(row.key), row, scale=1.0) for row in bd.rows]
        chart = hbar_chart(bars, font=r.font, width=half, maximum=100, label_width=78,
                           bar_height=9, gap=4)  # fmt: skip
        panels.append([r.p(r.dimension_label(dim_id), "h2"), chart])
    grid: list[list[Any]] = [panels[i : i + 2] for i in range(0, len(panels), 2)]
    if grid and len(grid[-1]) == 1:
        grid[-1].append("")
    if grid:
        out.append(Table(grid, colWidths=[half + 4, half + 4]))
    for dim_id, bd in data.dimensions.items():
        labelled = [(r.group_label(row.key), row) for row in bd.rows]
        out.append(
            KeepTogether([
                r.p(r.dimension_label(dim_id), "h2"),
                r.domain_table(labelled, first=r.t("col_group"), rate="col_mean", scale_pct=False),
            ])
        )  # fmt: skip
    return out


def breakdowns(data: ReportData, r: Renderer) -> Flowables:
    """Section 5: urban/rural, age band, sex and education.

    Example:
        >>> flowables = breakdowns(data, renderer)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("sec_breakdowns"), "h1"), r.p(r.t("breakdowns_intro"))]
    for bd in data.breakdowns:
        if bd.name == "age_band":
            labelled = [(r.t("age_band", band=row.key), row) for row in bd.rows]
        else:
            labelled = [(r.option_label(bd.name, row.key), row) for row in bd.rows]
        out.append(
            KeepTogether([
                r.p(r.t(f"bd_{bd.name}"), "h2"),
                r.domain_table(labelled, first=r.t(f"bd_{bd.name}")),
            ])
        )  # fmt: skip
    return out


def trend(data: ReportData, r: Renderer) -> Flowables:
    """Section 6: trends across waves with the published national and Zhejiang rates.

    Example:
        >>> flowables = trend(data, renderer)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("sec_trend"), "h1"), r.p(r.t("trend_intro", level=r.level_pct))]
    years = [t.year for t in data.trend if t.year]
    first = min(years + [2015]) if years else 2015
    yiwu = tuple(
        (t.year, 100 * t.row.estimate, 100 * t.row.ci_low, 100 * t.row.ci_high)
        for t in data.trend
        if t.year and not t.row.suppressed
    )
    nat = tuple(
        (y, 100 * v, math.nan, math.nan) for y, v in PUBLISHED_NATIONAL.items() if y >= first
    )
    zj = tuple(
        (y, 100 * v, math.nan, math.nan) for y, v in PUBLISHED_ZHEJIANG.items() if y >= first
    )
    series = [
        Series(r.t("trend_yiwu"), yiwu, "circle"),
        Series(r.t("trend_national"), nat, "square", (5, 2)),
        Series(r.t("trend_zhejiang"), zj, "triangle", (1, 2)),
    ]
    targets = [c for c in data.spec.comparisons if c.key == "target"]
    refs = [
        RefLine(100 * c.rate, r.t("ref_line", label=comparison_label(r, c), rate=pct(c.rate, 2),
                                  year=c.year))
        for c in targets
    ]  # fmt: skip
    out.append(trend_chart(series, font=r.font, width=PORTRAIT_WIDTH, refs=refs))
    if len(data.trend) < 2:
        out.append(r.p(r.t("trend_none")))
    rows = [(f"{t.wave} ({t.year})", t.row) for t in data.trend]
    out += [Spacer(1, 3 * mm), r.domain_table(rows, first=r.t("col_wave"))]
    return out
