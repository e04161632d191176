"""The report's result chapters as platypus flowables.

Each function takes the :class:`~reports.model.ReportData`, a
:class:`~reports.render.Renderer` and its chapter number, and returns
flowables; nothing here computes a statistic (the figures come from
:mod:`reports.data`). Every estimate flagged unreliable carries "†" in text,
tables and charts (hatched), and the tables' notes say what it means.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from reports.charts import RefLine
from reports.charts import Series
from reports.charts import hbar_chart
from reports.charts import stacked_chart
from reports.charts import trend_chart
from reports.findings import reference_label
from reports.labels import Labels
from reports.labels import p_text
from reports.model import Breakdown
from reports.model import DomainRow
from reports.model import ReportData
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.render import ci_text
from reports.render import num
from reports.render import pct
from reports.spec import PUBLISHED_DIGITS
from reports.spec import PUBLISHED_NATIONAL
from reports.spec import PUBLISHED_ZHEJIANG
from reports.townmap import Tile
from reports.townmap import tile_map

logger = logging.getLogger(__name__)

Flowables = list[Any]


def ref_lines(r: Renderer, data: ReportData) -> list[RefLine]:
    """Reference lines (in percent) for rate charts: national, Zhejiang, target.

    Example:
        >>> ref_lines(renderer, data)[0].value  # doctest: +SKIP
        15.37
    """
    return [
        RefLine(
            100 * c.rate,
            r.t(
                "ref_line",
                label=c.label.get(r.lang) if c.label else reference_label(r, c.key),
                rate=pct(c.rate, PUBLISHED_DIGITS),
                year=c.year,
            ),
        )
        for c in data.spec.comparisons
    ]


def _legend(r: Renderer) -> list[tuple[str, str]]:
    return [("hatch", r.t("legend_unreliable")), ("whisker", r.t("legend_ci", level=r.level_pct))]


def rate_chart(
    r: Renderer, data: ReportData, labelled: list[tuple[str, DomainRow]], **options: Any
) -> Any:
    """Bars of labelled rates with intervals, the reference lines and the legend."""
    return hbar_chart([r.bar(label, row) for label, row in labelled], font=r.font,
                      width=PORTRAIT_WIDTH, refs=ref_lines(r, data), legend=_legend(r), cap=100,
                      **options)  # fmt: skip


def overall(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Chapter: the overall level, its distribution over the levels, dimensions and trend.

    Example:
        >>> flowables = overall(data, renderer, 1)  # doctest: +SKIP
    """
    o = data.overall
    out: Flowables = [r.h1(number, r.t("sec_overall"))]
    out.append(
        r.p(
            r.t(
                "overall_intro",
                rate=r.rate_text(o),
                low=pct(o.ci_low),
                high=pct(o.ci_high),
                level=r.level_pct,
                n=f"{o.n:,}",
            )
        )
    )
    out.append(r.h2(1, r.t("sec_levels")))
    bands = r.t("list_sep").join(r.level_band(row.key) for row in data.levels.rows)
    literate = r.questionnaire.scoring.level(r.questionnaire.scoring.literate_level)
    out.append(r.p(r.t("levels_intro", n=len(data.levels.rows), bands=bands,
                       cut=f"{literate.minimum:g}" if literate else "",
                       name=r.level_label(literate.code) if literate else "",
                       band=r.level_band(literate.code) if literate else "")))  # fmt: skip
    seg_labels = [r.level_label(row.key) for row in data.levels.rows]
    rows = []
    for g, bd in data.levels_by_group.items():
        shares = [row.estimate for row in bd.rows]
        rows.append((r.group_label(g), shares, any(row.suppressed for row in bd.rows)))
    note = r.t("suppressed", m=data.rules.suppress_below)
    chart = stacked_chart(rows, seg_labels, font=r.font, width=PORTRAIT_WIDTH, suppressed_note=note)
    out.append(r.figure(chart, r.t("fig_levels")))
    labelled = [(r.level_label(row.key), row) for row in data.levels.rows]
    # each level's scores in its notes: the row of the literate band is not the literate share
    out += r.domain_table(r.t("tab_levels"), labelled, first=r.t("col_level"), rate="col_share",
                          notes=[r.level_band(row.key) for row in data.levels.rows])  # fmt: skip
    out.append(r.h2(2, r.t("sec_dimensions")))
    out.append(r.p(r.t("dimensions_intro")))
    dims = list(data.dimensions.items())
    if dims:
        header = [r.t("col_group")] + [r.dimension_label(d) for d, _ in dims]
        groups = [row.key for row in dims[0][1].rows]
        body = []
        for k, key in enumerate(groups):
            cells = [r.group_label(key)]
            for _, bd in dims:
                row = bd.rows[k]
                mark = r.t("unreliable_mark") if row.unreliable else ""
                ci = f"{num(row.ci_low, 1)}–{num(row.ci_high, 1)}"
                value = f"{num(row.estimate, 1)}{mark}"
                cells.append("—" if row.suppressed else r.t("bracketed", value=value, inner=ci))
            body.append(cells)
        widths = [110] + [(PORTRAIT_WIDTH - 112) / len(dims)] * len(dims)
        out += r.table(r.t("tab_dimensions"), header, body, widths)
    out.append(r.h2(3, r.t("sec_trend")))
    out += _trend(data, r)
    return out


def _trend(data: ReportData, r: Renderer) -> Flowables:
    out: Flowables = [r.p(r.t("trend_intro", level=r.level_pct))]
    years = [t.year for t in data.trend if t.year]
    first = min(years + [2015]) if years else 2015
    yiwu = tuple(
        (t.year, 100 * t.row.estimate, 100 * t.row.ci_low, 100 * t.row.ci_high)
        for t in data.trend
        if t.year and not t.row.suppressed
    )
    nan = math.nan
    nat = tuple((y, 100 * v, nan, nan) for y, v in PUBLISHED_NATIONAL.items() if y >= first)
    zj = tuple((y, 100 * v, nan, nan) for y, v in PUBLISHED_ZHEJIANG.items() if y >= first)
    # the published rates are labelled as published, with two decimals (15.37, as in the
    # text and the comparison table; shared/domain.md), the survey's estimates with one
    series = [
        Series(r.t("trend_yiwu"), yiwu, "circle"),
        Series(r.t("trend_national"), nat, "square", (5, 2), digits=PUBLISHED_DIGITS),
        Series(r.t("trend_zhejiang"), zj, "triangle", (1, 2), digits=PUBLISHED_DIGITS),
    ]
    refs = [
        line
        for line, c in zip(ref_lines(r, data), data.spec.comparisons, strict=True)
        if c.key == "target"
    ]
    chart = trend_chart(series, font=r.font, width=PORTRAIT_WIDTH, refs=refs)
    out.append(r.figure(chart, r.t("fig_trend")))
    if len(data.trend) < 2:
        out.append(r.p(r.t("trend_none")))
    rows = [(r.t("bracketed", value=t.wave, inner=t.year), t.row) for t in data.trend]
    out += r.domain_table(r.t("tab_trend"), rows, first=r.t("col_wave"),
                          source=r.t("source_trend") + r.t("source_marks"))  # fmt: skip
    return out


def groups(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Chapter: the five key groups.

    Example:
        >>> flowables = groups(data, renderer, 2)  # doctest: +SKIP
    """
    rows = [("", data.overall)] + [(row.key, row) for row in data.groups.rows]
    labelled = [(r.group_label(k), row) for k, row in rows]
    chart = rate_chart(r, data, labelled, label_width=120)
    defs = []
    for g in data.questionnaire.groups:
        defs.append(
            f"{r.group_label(g.id)}：{r.t_or(f'group_def_{g.id}', g.rule.source)}"
            if r.lang == "zh-CN"
            else f"{r.group_label(g.id)}: {r.t_or(f'group_def_{g.id}', g.rule.source)}"
        )
    return [
        r.h1(number, r.t("sec_groups")),
        r.p(
            r.t(
                "groups_intro",
                level=r.level_pct,
                defs=r.t("clause_sep").join(defs),
            )
        ),
        r.figure(chart, r.t("fig_groups")),
        *r.domain_table(r.t("tab_groups"), labelled, first=r.t("col_group")),
    ]


def towns(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Chapter: the 14 towns/streets: map, bars, table, small-area estimates.

    Example:
        >>> flowables = towns(data, renderer, 3)  # doctest: +SKIP
    """
    labelled = [(r.option_label("town", row.key), row) for row in data.towns.rows]
    out: Flowables = [r.h1(number, r.t("sec_towns")), r.h2(1, r.t("sec_towns_direct"))]
    out.append(r.p(r.t("towns_intro", level=r.level_pct)))
    if labelled:
        tiles = [
            Tile(
                row.key,
                label,
                100 * row.estimate if not row.suppressed else math.nan,
                r.rate_text(row),
                row.unreliable,
            )
            for label, row in labelled
        ]
        out.append(
            r.figure(
                tile_map(
                    tiles,
                    font=r.font,
                    width=PORTRAIT_WIDTH,
                    legend_unreliable=r.t("legend_unreliable"),
                    legend_suppressed=r.t("suppressed", m=data.rules.suppress_below),
                ),
                r.t("fig_map"),
            )
        )
        chart = rate_chart(r, data, labelled, bar_height=11, gap=5)
        out += r.domain_table(r.t("tab_towns"), labelled, first=r.t("col_town"))
        out += _groups_test(r, data.towns, {row.key: label for label, row in labelled})
        out.append(r.figure(chart, r.t("fig_towns")))
    out.append(r.h2(2, r.t("sae_head")))
    sae = data.sae
    if sae is None:
        why = next((n.split(":", 1)[1] for n in data.notes if n.startswith("sae_skipped")), "-")
        out.append(r.p(r.t("sae_none", why=why)))
        return out
    names = [_covariate(r, n) for n in sae.covariate_names if n != "(intercept)"]
    cov = r.t("sae_cov", names=r.t("list_sep").join(names)) if names else r.t("sae_cov_none")
    out.append(
        r.p(r.t("sae_intro", cov=cov, deff=num(sae.deff), level=r.level_pct, boot=sae.bootstrap))
    )
    index = {a: i for i, a in enumerate(sae.areas)}
    rows = []
    for label, row in labelled:
        i = index.get(row.key)
        direct_ci = "—" if row.suppressed else ci_text(row.ci_low, row.ci_high)
        if i is None:
            rows.append([label, f"{row.n:,}", r.rate_text(row), direct_ci, "—", "—", "—", "—"])
            continue
        cv = math.sqrt(sae.mse[i]) / sae.estimate[i] if sae.estimate[i] > 0 else math.nan
        model_ci = ci_text(sae.ci_low[i], sae.ci_high[i])
        # the same rule as the direct estimates': a CV above the limit is marked
        mark = r.t("unreliable_mark") if cv > data.rules.reliability.max_cv else ""
        rows.append(
            [
                label,
                f"{row.n:,}",
                r.rate_text(row),
                direct_ci,
                pct(sae.estimate[i]) + mark,
                model_ci,
                pct(cv),
                num(sae.gamma[i]),
            ]
        )
    header = [
        r.t(k, level=r.level_pct)
        for k in (
            "col_town",
            "col_n",
            "col_direct",
            "col_direct_ci",
            "col_model",
            "col_model_ci",
            "col_model_cv",
            "col_gamma",
        )
    ]
    out += r.table(r.t("tab_sae"), header, rows, [84, 38, 50, 62, 50, 62, 48, 52], numeric_from=1)
    return out


def _covariate(r: Renderer, name: str) -> str:
    return r.t_or(f"covariate_{name}", name)


def breakdowns(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Chapter: urban/rural, age band, sex and education.

    Example:
        >>> flowables = breakdowns(data, renderer, 4)  # doctest: +SKIP
    """
    out: Flowables = [r.h1(number, r.t("sec_breakdowns")), r.p(r.t("breakdowns_intro"))]
    for k, bd in enumerate(data.breakdowns, start=1):
        if bd.name == "age_band":
            labelled = [(r.t("age_band", band=row.key.replace("-", "–")), row) for row in bd.rows]
        else:
            labelled = [(r.option_label(bd.name, row.key), row) for row in bd.rows]
        out.append(r.h2(k, r.t(f"bd_{bd.name}")))
        if bd.name == "urban" and data.urban_gap is not None:
            row, p = data.urban_gap
            out.append(
                r.p(
                    r.t(
                        "urban_gap",
                        diff=f"{100 * row.estimate:.1f}",
                        ci=ci_text(row.ci_low, row.ci_high),
                        level=r.level_pct,
                        p=p_text(p),
                    )
                )
            )
        out += r.domain_table(
            r.t("tab_breakdown", name=r.t(f"bd_{bd.name}")), labelled, first=r.t(f"bd_{bd.name}")
        )
        if not (bd.name == "urban" and data.urban_gap is not None):  # that gap has its test
            out += _groups_test(r, bd, {row.key: label for label, row in labelled})
    return out


def _groups_test(r: Renderer, bd: Breakdown, labels: Mapping[str, str]) -> Flowables:
    """The sentence of :func:`groups_test_text` as a small paragraph (none: nothing)."""
    text = groups_test_text(r, bd, labels)
    return [r.p(text, "small")] if text else []


def groups_test_text(lab: Labels, bd: Breakdown, labels: Mapping[str, str]) -> str:
    """The sentence under a table of the literacy rate by a variable (PDF and dashboard):
    its groups' Rao-Scott test and the groups it leaves out (rate not published), or why
    there is none ('' with fewer than two groups with respondents); ``labels``: group key
    -> its name."""
    with_n = [row for row in bd.rows if row.n > 0]
    if bd.test is None:
        return lab.t("bd_test_none") if len(with_n) >= 2 else ""
    t = bd.test
    left = [labels.get(row.key, row.key) for row in with_n if row.key not in bd.tested]
    left_out = lab.t("bd_test_left_out", groups=lab.t("list_sep").join(left)) if left else ""
    return lab.t("bd_test", f=num(t.f), df1=num(t.df1, 1), df2=num(t.df2, 1), p=p_text(t.p),
                 left_out=left_out)  # fmt: skip
