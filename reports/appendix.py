"""Influencing factors, capacity indicators and the two appendices (methods, items)."""

from __future__ import annotations

import logging
import math
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from reports.charts import hbar_chart
from reports.charts import progress_chart
from reports.fonts import FALLBACK_CID_FONT
from reports.items_page import item_analysis_flowables
from reports.model import ReportData
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.render import ci_text
from reports.render import num
from reports.render import pct
from reports.render import simple_table
from sampling.outcomes import CATEGORIES

logger = logging.getLogger(__name__)

Flowables = list[Any]


def factors(data: ReportData, r: Renderer) -> Flowables:
    """Section 7: channels and participation: literacy by choice, adjusted odds ratios,
    and the median scores of the key groups.

    Example:
        >>> flowables = factors(data, renderer)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("sec_factors"), "h1"), r.p(r.t("factors_intro"))]
    if not data.factors:
        out.append(r.p(r.t("factors_none")))
    controls = r.t("list_sep").join(r.t(f"control_{c}") for c in data.adjusted_for)
    if data.factors and controls:
        out.append(r.p(r.t("factors_adjusted", controls=controls)))
    for f in data.factors:
        title = r.item_label(f.item)
        out.append(r.p(title, "h2"))
        labels = [r.option_label(f.item, row.key) for row in f.shares.rows]
        if f.multiple:
            bars = [r.bar(label, row) for label, row in zip(labels, f.shares.rows, strict=True)]
            chart = hbar_chart(bars, font=r.font, width=PORTRAIT_WIDTH, label_width=150, cap=100)
            out.append(chart)
        header = [r.t("col_option"), r.t("col_share"), r.t("col_ci", level=r.level_pct),
                  r.t("col_lit_yes")]  # fmt: skip
        if f.multiple:
            header.append(r.t("col_lit_no"))
        header.append(r.t("col_adj_or", level=r.level_pct))
        rows = []
        no_rows = f.literacy_no.rows if f.literacy_no is not None else [None] * len(labels)
        adj_rows = f.adjusted.rows if f.adjusted is not None else [None] * len(labels)
        for label, share, yes, no, adj in zip(labels, f.shares.rows, f.literacy_yes.rows,
                                              no_rows, adj_rows, strict=True):  # fmt: skip
            cells = [label, r.rate_text(share),
                     "—" if share.suppressed else ci_text(share.ci_low, share.ci_high),
                     r.rate_text(yes) + f" (n={yes.n})"]  # fmt: skip
            if no is not None:
                cells.append(r.rate_text(no) + f" (n={no.n})")
            cells.append(_odds_ratio_text(r, adj))
            rows.append(cells)
        widths = [112, 45, 72, 88, 88, 88] if f.multiple else [140, 60, 85, 103, 105]
        out += [Spacer(1, 2 * mm), simple_table(r, header, rows, widths)]
        if f.adjusted_test is not None:
            t = f.adjusted_test
            out += [
                Spacer(1, 1 * mm),
                r.p(r.t("factors_adjusted_test", f=num(t.f), df1=f"{t.df1:g}", df2=f"{t.df2:g}",
                        p=_p_text(t.p)), "small"),
            ]  # fmt: skip
        elif f.adjusted_note:
            out += [Spacer(1, 1 * mm), r.p(r.t(f"factors_{f.adjusted_note}"), "small")]
    if data.median_scores is not None:
        labelled = [(r.group_label(row.key), row) for row in data.median_scores.rows]
        out += [
            r.p(r.t("median_title"), "h2"),
            r.p(r.t("median_intro")),
            r.domain_table(
                labelled, first=r.t("col_group"), rate=r.t("col_median"), scale_pct=False
            ),
        ]
    return out


def _odds_ratio_text(r: Renderer, row: Any) -> str:
    """``1.52 (1.10–2.10)``; the reference option; "—" when suppressed or not fitted."""
    if row is None or row.suppressed or not math.isfinite(row.estimate):
        return "—"
    if "reference" in row.flags:
        return r.t("or_reference")
    return f"{num(row.estimate)} ({num(row.ci_low)}–{num(row.ci_high)})"


def _p_text(p: float) -> str:
    """``p < 0.001`` or ``p = 0.076`` (the relation included)."""
    if not math.isfinite(p):
        return "p = —"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def capacity(data: ReportData, r: Renderer) -> Flowables:
    """Section 8: capacity indicators against their targets.

    Example:
        >>> flowables = capacity(data, renderer)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("sec_capacity"), "h1")]
    if data.capacity is None:
        out.append(r.p(r.t("capacity_none")))
        return out
    tol = f"{100 * data.capacity_tolerance:g}"
    as_of = (data.capacity_as_of or data.generated).isoformat()
    out.append(r.p(r.t("capacity_intro", date=as_of, tol=tol)))
    chart_rows = []
    table_rows = []
    for p in data.capacity:
        ind = p.indicator
        label = ind.label.get(r.lang)
        status = r.t(f"status_{p.status.value}")
        chart_rows.append((label, p.share, p.expected_share, p.status.value, status))
        value = "—" if p.value is None else f"{p.value:,.0f}"
        table_rows.append(
            [label, f"{ind.target:,.0f} {ind.unit.get(r.lang)}", ind.deadline.isoformat(),
             ind.responsible.get(r.lang), value, "—" if p.share is None else pct(p.share),
             pct(p.expected_share), status]
        )  # fmt: skip
    legend = [r.t("legend_progress"), r.t("legend_off_track"), r.t("legend_expected")]
    out.append(progress_chart(chart_rows, font=r.font, width=PORTRAIT_WIDTH, legend=legend))
    keys = ("col_indicator", "col_target", "col_deadline", "col_responsible", "col_value",
            "col_progress", "col_expected", "col_status")  # fmt: skip
    header = [r.t(k) for k in keys]
    out += [
        Spacer(1, 3 * mm),
        simple_table(
            r, header, table_rows, [92, 62, 58, 76, 50, 46, 46, 63], numeric_from=4, numeric_to=6
        ),  # fmt: skip
    ]
    return out


def _step_name(r: Renderer, method: str) -> str:
    try:
        return r.t(f"m_step_{method}")
    except KeyError:
        return method


def _note_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def methods(data: ReportData, r: Renderer) -> Flowables:
    """Appendix A: population, design, fieldwork/AAPOR, weighting, variance, deff, rules.

    Example:
        >>> flowables = methods(data, renderer)  # doctest: +SKIP
    """
    q = data.questionnaire
    d = data.design
    out: Flowables = [r.p(r.t("app_methods"), "h1"), r.p(r.t("m_population"), "h2")]
    pop = q.population.description.get(r.lang) if q.population.description else ""
    out.append(
        r.p(
            r.t(
                "m_population_text",
                population=pop,
                wave=data.spec.wave_name,
                year=data.spec.survey_year or "—",
            )
        )  # fmt: skip
    )
    out.append(r.p(r.t("m_design"), "h2"))
    out.append(r.p(r.t("m_design_text", strata=d.n_strata, psu=d.n_psu, n=d.n, df=d.degf)))
    if d.unweighted:
        out.append(r.p(r.t("m_design_unweighted")))
    rejected = [n for n in data.notes if n.startswith("rejected:")]
    if rejected:
        out.append(r.p(r.t("m_rejected", k=rejected[0].split(":")[1])))
    out.append(r.p(r.t("m_fieldwork"), "h2"))
    fw = data.fieldwork
    if fw is None:
        out.append(r.p(r.t("m_fieldwork_none")))
    else:
        out.append(
            r.p(
                r.t(
                    "m_fieldwork_text",
                    sampled=fw.sampled,
                    e=num(fw.e, 3),
                    median=num(fw.median_minutes, 1),
                    speeders=fw.speeders,
                    speed=num(fw.speeding_minutes, 1),
                )
            )  # fmt: skip
        )
        rows = [[r.t(f"aapor_{c}"), str(fw.counts[c])] for c in CATEGORIES]
        rates = [[r.t(f"rate_{k}"), pct(getattr(fw, k))] for k in
                 ("rr1", "rr2", "rr3", "rr4", "coop1", "ref1", "con1")]  # fmt: skip
        out.append(simple_table(r, [r.t("col_item"), r.t("col_count")], rows, [200, 80]))
        out.append(Spacer(1, 2 * mm))
        out.append(simple_table(r, [r.t("col_rate_name"), "%"], rates, [200, 80]))
    out.append(r.p(r.t("m_weighting"), "h2"))
    out.append(r.p(r.t("m_weighting_text")))
    if d.steps:
        header = [r.t(k) for k in ("col_step", "m_diag_iter", "m_diag_err", "m_diag_deff",
                                   "m_diag_ess", "m_diag_range", "m_diag_sum")]  # fmt: skip
        rows = [
            [_step_name(r, s.method), str(s.iterations), num(s.max_margin_error, 3),
             f"{s.kish_deff_before:.3f} → {s.kish_deff_after:.3f}",
             f"{s.ess_before:.0f} → {s.ess_after:.0f}",
             f"{s.min_weight:.1f}–{s.max_weight:.1f} ({s.ratio:.1f})", f"{s.sum_after:,.0f}"]
            for s in d.steps
        ]  # fmt: skip
        out.append(simple_table(r, header, rows, [112, 46, 50, 75, 66, 80, 64]))
        for s in d.steps:
            if s.notes:
                parts = [f"{k} = {_note_value(v)}" for k, v in s.notes.items()]
                out.append(r.p(f"{_step_name(r, s.method)}: " + "; ".join(parts), "small"))
    out.append(r.p(r.t("m_variance"), "h2"))
    if d.variance == "taylor":
        out.append(r.p(r.t("m_variance_taylor", df=d.degf)))
    else:
        out.append(r.p(r.t("m_variance_rep", method=d.variance)))
    out.append(r.p(r.t("m_lonely", policy=d.lonely_psu)))
    adjusted = [n for n in data.notes if n.startswith("lonely_psu_adjusted:")]
    if adjusted:
        out.append(r.p(r.t("m_lonely_adjusted", why=adjusted[0].split(":", 1)[1])))
    out.append(r.p(r.t("m_deff"), "h2"))
    out.append(r.p(r.t("m_deff_text", deff=num(data.overall.deff), kish=num(d.kish_deff))))
    rel = data.rules.reliability
    out.append(r.p(r.t("m_rules"), "h2"))
    out.append(
        r.p(
            r.t(
                "m_rules_text",
                m=data.rules.suppress_below,
                min_n=rel.min_n,
                cv=f"{100 * rel.max_cv:g}",
                level=r.level_pct,
            )
        )  # fmt: skip
    )
    fp = data.fingerprint
    out.append(r.p(r.t("m_fingerprint"), "h2"))
    out.append(
        r.p(
            r.t(
                "m_fingerprint_text",
                q=fp.questionnaire_hash[:16],
                rows=fp.rows,
                data=fp.data_hash[:16],
                job=fp.job_hash[:16],
                version=fp.kesu_version,
                date=data.generated.isoformat(),
            ),
            "small",
        )  # fmt: skip
    )
    key = "m_font_fallback" if r.font == FALLBACK_CID_FONT else "m_font"
    out.append(r.p(r.t(key, font=r.font), "small"))
    return out


def items(data: ReportData, r: Renderer) -> Flowables:
    """Appendix B: the item-analysis table of :mod:`reports.items_page` (landscape pages).

    Example:
        >>> flowables = items(data, renderer)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("app_items"), "h1")]
    if data.items is None:
        out.append(r.p(r.t("items_none")))
        return out
    dims = {d.id: d.label.get(r.lang) for d in data.questionnaire.scoring.dimensions}
    out += item_analysis_flowables(
        data.items, font_name=r.font, language=r.lang, dimension_labels=dims,
        title=r.t("items_title"),
    )  # fmt: skip
    return out
