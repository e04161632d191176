"""Influencing factors, capacity indicators and the two appendices (methods, items)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from reports.capacity import ProgressStatus
from reports.capacity_round import RoundSummary
from reports.capacity_round import UnitStatus
from reports.charts import hbar_chart
from reports.charts import progress_chart
from reports.fonts import font_display_name
from reports.items_page import item_analysis_flowables
from reports.items_page import item_analysis_title
from reports.labels import p_text
from reports.labels import signed
from reports.model import ReportData
from reports.model import SeparatedLevel
from reports.render import PORTRAIT_WIDTH
from reports.render import Renderer
from reports.render import ci_text
from reports.render import num
from reports.render import pct
from sampling.outcomes import CATEGORIES

logger = logging.getLogger(__name__)

Flowables = list[Any]


def _separated_text(
    r: Renderer, separated: Sequence[SeparatedLevel], suppress_below: int, *, shared: bool = False
) -> str:
    """Which control levels the adjusted model left out, and why (the outcome does not vary
    in them: quasi-complete separation). A level with fewer than ``suppress_below``
    respondents is named without its count or its outcome: the report shows no figure of
    a group that small (its rate would be 0% or 100%). ``shared``: said once for every
    item's model."""
    parts = []
    for s in separated:
        control, level = r.t(f"control_{s.control}"), r.option_label(s.control, s.level)
        if s.n < suppress_below:
            parts.append(r.t("factors_separated_small", control=control, level=level,
                             m=suppress_below))  # fmt: skip
            continue
        key = "factors_separated_all" if s.outcome else "factors_separated_none"
        parts.append(r.t(key, control=control, level=level, n=f"{s.n:,}"))
    key = "factors_separated_shared" if shared else "factors_separated"
    return r.t(key, levels=r.t("list_sep").join(parts))


def factors(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Chapter: information channels and participation: literacy by choice, adjusted odds
    ratios, and the median scores of the key groups.

    Example:
        >>> flowables = factors(data, renderer, 5)  # doctest: +SKIP
    """
    out: Flowables = [r.h1(number, r.t("sec_factors")), r.p(r.t("factors_intro"))]
    if not data.factors:
        out.append(r.p(r.t("factors_none")))
    controls = r.t("list_sep").join(r.t(f"control_{c}") for c in data.adjusted_for)
    if data.factors and controls:
        out.append(r.p(r.t("factors_adjusted", controls=controls)))
    # the levels the models left out, once here when every fitted model left out the same
    fitted = {f.adjusted_separated for f in data.factors if f.adjusted is not None}
    shared = len(fitted) == 1 and () not in fitted
    if shared:
        text = _separated_text(r, next(iter(fitted)), data.rules.suppress_below, shared=True)
        out.append(r.p(text))
    k = 0
    for k, f in enumerate(data.factors, start=1):
        title = r.item_label(f.item)
        out.append(r.h2(k, title))
        labels = [r.option_label(f.item, row.key) for row in f.shares.rows]
        if f.multiple:
            bars = [r.bar(label, row) for label, row in zip(labels, f.shares.rows, strict=True)]
            chart = hbar_chart(
                bars,
                font=r.font,
                width=PORTRAIT_WIDTH,
                label_width=150,
                cap=100,
                bar_height=11,
                gap=5,
            )
            out.append(r.figure(chart, r.t("fig_factor", item=title)))
        header = [
            r.t("col_option"),
            r.t("col_share"),
            r.t("col_ci", level=r.level_pct),
            r.t("col_lit_yes"),
        ]
        if f.multiple:
            header.append(r.t("col_lit_no"))
        header.append(r.t("col_adj_or", level=r.level_pct))
        rows = []
        no_rows = f.literacy_no.rows if f.literacy_no is not None else [None] * len(labels)
        adj_rows = f.adjusted.rows if f.adjusted is not None else [None] * len(labels)
        for label, share, yes, no, adj in zip(
            labels, f.shares.rows, f.literacy_yes.rows, no_rows, adj_rows, strict=True
        ):
            cells = [
                label,
                r.rate_text(share),
                "—" if share.suppressed else ci_text(share.ci_low, share.ci_high),
                _n_text(r, yes),
            ]
            if no is not None:
                cells.append(_n_text(r, no))
            cells.append(_odds_ratio_text(r, adj))
            rows.append(cells)
        widths = [118, 44, 70, 76, 76, 70] if f.multiple else [140, 58, 80, 96, 80]
        out += r.table(r.t("tab_factor", item=title), header, rows, widths)
        if f.adjusted_test is not None:
            t = f.adjusted_test
            out.append(
                r.p(
                    r.t(
                        "factors_adjusted_test",
                        f=num(t.f),
                        df1=f"{t.df1:g}",
                        df2=f"{t.df2:g}",
                        p=p_text(t.p),
                    ),
                    "small",
                )
            )
        elif f.adjusted_note:
            out.append(r.p(r.t(f"factors_{f.adjusted_note}"), "small"))
        if f.adjusted is not None and f.adjusted_separated and not shared:
            text = _separated_text(r, f.adjusted_separated, data.rules.suppress_below)
            out.append(r.p(text, "small"))
    if data.median_scores is not None:
        labelled = [(r.group_label(row.key), row) for row in data.median_scores.rows]
        out += [r.h2(k + 1, r.t("median_title")), r.p(r.t("median_intro"))]
        out += r.domain_table(
            r.t("median_title"),
            labelled,
            first=r.t("col_group"),
            rate="col_median",
            scale_pct=False,
        )
    return out


def _n_text(r: Renderer, row: Any) -> str:
    """A rate with its base: ``15.0%（n=1,234）`` (``(n=1,234)`` in English)."""
    if r.lang == "zh-CN":
        return f"{r.rate_text(row)}（n={row.n:,}）"
    return f"{r.rate_text(row)} (n={row.n:,})"


def _odds_ratio_text(r: Renderer, row: Any) -> str:
    """``1.52 (1.10–2.10)``; the reference option; "—" when suppressed or not fitted."""
    if row is None or row.suppressed or not math.isfinite(row.estimate):
        return "—"
    if "reference" in row.flags:
        return r.t("or_reference")
    return f"{num(row.estimate)} ({num(row.ci_low)}–{num(row.ci_high)})"


def capacity(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Chapter: capacity indicators against their targets, with reporting dates.

    Missing stays missing ("未报送", no bar, never 0%); values older than half a year
    are flagged out of date; a total some of whose reporting units have not reported is
    marked "*" (value and status) and the table's note names those units
    (:attr:`reports.capacity.IndicatorProgress.missing_units`).

    Example:
        >>> flowables = capacity(data, renderer, 6)  # doctest: +SKIP
    """
    out: Flowables = [r.h1(number, r.t("sec_capacity"))]
    if data.capacity is None:
        out.append(r.p(r.t("capacity_none")))
        return out
    tol = f"{100 * data.capacity_tolerance:g}"
    as_of = data.capacity_as_of or data.generated
    out.append(r.p(r.t("capacity_intro", date=r.date(as_of), tol=tol)))
    if as_of != data.generated:
        out.append(
            r.p(r.t("capacity_as_of_note", date=r.date(as_of), report=r.date(data.generated)))
        )
    chart_rows = []
    table_rows = []
    for p in data.capacity:
        ind = p.indicator
        label = ind.label.get(r.lang)
        status = r.t(f"status_{p.status.value}")
        if p.stale:
            status += r.t("stale_mark")
        mark = r.t("partial_mark") if p.partial else ""
        # "数据不全" says it already; a partial total achieved or on track gets the mark
        chart_mark = "" if p.status is ProgressStatus.INCOMPLETE else mark
        chart_rows.append((label, p.share, p.expected_share, p.status.value, status + chart_mark))
        table_rows.append(
            [
                label,
                ind.target_text(r.lang),
                ind.responsible.get(r.lang),
                r.t("not_reported") if p.value is None else f"{p.value:,.0f}{mark}",
                "—" if p.last_report is None else p.last_report.isoformat(),
                "—" if p.share is None else pct(p.share),
                pct(p.expected_share),
                status,
            ]
        )
    legend = [r.t("legend_progress"), r.t("legend_off_track"), r.t("legend_expected")]
    chart = progress_chart(chart_rows, font=r.font, width=PORTRAIT_WIDTH, legend=legend)
    out.append(r.figure(chart, r.t("fig_capacity", date=r.date(as_of))))
    keys = (
        "col_indicator",
        "col_target",
        "col_responsible",
        "col_value",
        "col_last_report",
        "col_progress",
        "col_expected",
        "col_status",
    )
    out += r.table(
        r.t("tab_capacity"),
        [r.t(k) for k in keys],
        table_rows,
        [90, 58, 78, 44, 48, 44, 44, 48],
        numeric_from=3,
        numeric_to=6,
        source=_capacity_source(data, r),
    )
    if data.capacity_round is not None:
        out += capacity_round(data.capacity_round, r)
    return out


def _capacity_source(data: ReportData, r: Renderer) -> str:
    """The capacity table's source and notes; the partial totals named with the units
    that have not reported."""
    text = r.t("capacity_source")
    sep = r.t("list_sep")
    items = [
        r.t(
            "capacity_partial_item",
            name=p.indicator.label.get(r.lang),
            units=sep.join(u.name.get(r.lang) for u in p.missing_units),
        )
        for p in data.capacity or ()
        if p.partial
    ]
    if items:
        text += r.t("capacity_partial_note", items=r.t("clause_sep").join(items))
    return text


def _unit_name(unit: UnitStatus, r: Renderer) -> str:
    """A reporting unit as the report's language names it (its name when it has no label):
    the same in the round's sentence and in its table."""
    return unit.label.get(r.lang) if unit.label else unit.name


def _round_label(summary: RoundSummary, r: Renderer) -> str:
    """The round as the reader refers to it: by the name staff gave it (``“2025年度”``),
    unless the name is in Chinese and the report is not; then by its year (``2025 round``),
    the due date beside it telling it apart.

    Example:
        >>> _round_label(summary, english)  # a round named 2025年度  # doctest: +SKIP
        '2025 round'
    """
    han = any("\u3400" <= c <= "\u9fff" for c in summary.name)
    key = "cap_round_year" if han and not r.lang.startswith("zh") else "cap_round_named"
    return r.t(key, name=summary.name, year=summary.year)


#: an index change (points) beyond which the conclusion is called sensitive to the weights
SENSITIVE_POINTS = 5.0


def capacity_round(summary: RoundSummary, r: Renderer) -> Flowables:
    """The reporting round behind the capacity figures (units' timeliness, who has not
    reported), the capacity index by family and its sensitivity to the weights
    (formula: :mod:`reports.capacity_round`)."""
    units = summary.units
    missing = [u for u in units if u.first_submitted is None]
    sent = [u for u in units if u.first_submitted is not None]
    accepted = [u for u in sent if u.status == "accepted"]
    pending = [u for u in sent if u.status == "submitted"]
    sep = r.t("list_sep")
    names = (
        r.t(
            "cap_round_missing_names",
            names=sep.join(_unit_name(u, r) for u in missing),
        )
        if missing
        else ""
    )
    out: Flowables = [
        r.p(
            r.t(
                "cap_round_intro",
                round=_round_label(summary, r),
                due=r.date(summary.due),
                n=len(units),
                # the units split once by when they submitted (on time, late, not), and the
                # submitted once by review (accepted, waiting, returned): each adds up
                on_time=sum(1 for u in units if u.on_time),
                late=sum(1 for u in units if u.on_time is False),
                missing=len(missing),
                submitted=len(sent),
                accepted=len(accepted),
                returned=sum(1 for u in accepted if u.returns),
                pending=len(pending),
                # returned for correction (or being corrected): the rest of the submitted
                back=len(sent) - len(accepted) - len(pending),
                names=names,
            )
        )
    ]
    rows = []
    for u in units:
        status = r.t(f"cap_status_{u.status}")
        if u.on_time is False:
            status += r.t("cap_late_mark")
        if u.returns:
            status += r.t("cap_returns_mark", n=u.returns)
        rows.append(
            [
                _unit_name(u, r),
                status,
                "—" if u.first_submitted is None else u.first_submitted.date().isoformat(),
                "—" if u.accepted_at is None else u.accepted_at.date().isoformat(),
                "—" if u.first_submitted is None else pct(u.completeness),
            ]
        )
    keys = (
        "col_cap_unit",
        "col_cap_status",
        "col_cap_submitted",
        "col_cap_accepted",
        "col_cap_complete",
    )
    out += r.table(
        r.t("tab_cap_units", round=_round_label(summary, r)),
        [r.t(k) for k in keys],
        rows,
        [120, 130, 72, 72, 56],
        numeric_from=2,
        numeric_to=4,
        source=r.t("capacity_source"),
    )
    idx = summary.index
    if idx.value is None:
        out.append(r.p(r.t("cap_index_none")))
        return out
    out.append(
        r.p(
            r.t(
                "cap_index_intro",
                cap=f"{summary.cap:g}",
                value=f"{idx.value:.1f}",
                covered=idx.covered,
                total=idx.total,
            )
        )
    )
    fam_rows = [
        [
            r.t(f"cap_family_{f}"),
            f"{w:.2f}",
            r.t("cap_family_missing")
            if idx.families.get(f) is None
            else f"{100 * (idx.families[f] or 0):.1f}",
        ]
        for f, w in idx.weights.items()
    ]
    fam_rows.append([r.t("col_cap_index"), f"{sum(idx.weights.values()):.2f}", f"{idx.value:.1f}"])
    out += r.table(
        r.t("tab_cap_index"),
        [r.t("col_cap_family"), r.t("col_cap_weight"), r.t("col_cap_score")],
        fam_rows,
        [150, 100, 100],
        source=r.t("capacity_source"),
    )
    sens_rows = []
    for row in summary.sensitivity:
        if row.scenario == "family":
            name = r.t(
                "cap_scenario_family",
                family=r.t(f"cap_family_{row.family}"),
                factor=f"{row.factor:g}",
            )
        else:
            name = r.t(f"cap_scenario_{row.scenario}")
        sens_rows.append(
            [
                name,
                "—" if row.value is None else f"{row.value:.1f}",
                "—" if row.change is None else f"{row.change:+.2f}",
            ]
        )
    out += r.table(
        r.t("tab_cap_sensitivity"),
        [r.t("col_cap_scenario"), r.t("col_cap_index"), r.t("col_cap_change")],
        sens_rows,
        [170, 90, 90],
        source=r.t("capacity_source"),
    )
    largest = max((abs(x.change) for x in summary.sensitivity if x.change is not None), default=0.0)
    robust = r.t("cap_robust" if largest < SENSITIVE_POINTS else "cap_not_robust")
    out.append(r.p(r.t("cap_sensitivity_note", max=f"{largest:.1f}", robust=robust)))
    return out


def _step_name(r: Renderer, method: str) -> str:
    return r.t_or(f"m_step_{method}", method)


def _calvar(r: Renderer, name: str) -> str:
    return r.t_or(f"calvar_{name}", name)


def _level_label(r: Renderer, var: str, level: str) -> str:
    """``1_18-29`` of ``sex_age`` -> ``男 18–29岁``; a questionnaire code -> its label."""
    if "_" in var and "_" in level:
        parts = []
        for v, code in zip(var.split("_"), level.split("_", 1), strict=False):
            parts.append(r.t("age_band", band=code) if v == "age" else r.option_label(v, code))
        return " ".join(parts)
    return r.option_label(var, level)


def methods(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Appendix: population and criterion, groups, design, fieldwork, weighting with the
    true margin errors, variance and display rules, small areas, data quality, versions.

    Example:
        >>> flowables = methods(data, renderer, 1)  # doctest: +SKIP
    """
    q = data.questionnaire
    d = data.design
    out: Flowables = [r.p(r.t("app_methods"), "h1")]
    # (一) population and criterion
    out.append(r.h2(1, r.t("m_population")))
    literate = next((lv for lv in q.scoring.levels if lv.code == q.scoring.literate_level), None)
    dims = r.t("list_sep").join(
        f"{r.dimension_label(x.id)}{x.maximum:g}分" for x in q.scoring.dimensions
    )
    if r.lang != "zh-CN":
        dims = ", ".join(f"{r.dimension_label(x.id)} {x.maximum:g}" for x in q.scoring.dimensions)
    out.append(
        r.p(
            r.t(
                "m_population_text",
                population=r.population_text(),
                wave=data.spec.wave_name,
                year=data.spec.survey_year or "—",
            )
        )
    )
    out.append(
        r.p(
            r.t(
                "m_criterion",
                total=f"{q.scoring.total:g}",
                dims=dims,
                cut=f"{literate.minimum:g}" if literate else "70",
                levels=r.t("clause_sep").join(
                    r.t("level_min", label=r.level_label(lv.code), min=f"{lv.minimum:g}")
                    for lv in q.scoring.levels
                    if lv.minimum > 0
                ),
            )
        )
    )
    # (二) key groups
    out.append(r.h2(2, r.t("m_groups")))
    for k, g in enumerate(q.groups, start=1):
        out.append(
            r.p(
                f"{k}．{r.group_label(g.id)}：{r.t_or(f'group_def_{g.id}', g.rule.source)}"
                if r.lang == "zh-CN"
                else f"{k}. {r.group_label(g.id)}: {r.t_or(f'group_def_{g.id}', g.rule.source)}"
            )
        )
    out.append(r.p(r.t("m_groups_overlap")))
    # (三) design
    out.append(r.h2(3, r.t("m_design")))
    out.append(r.p(r.t("m_design_text", strata=d.n_strata, psu=d.n_psu, n=f"{d.n:,}", df=d.degf)))
    if d.unweighted:
        out.append(r.p(r.t("m_design_unweighted")))
    # (四) fieldwork
    out += _fieldwork(data, r)
    # (五) weighting
    out += _weighting(data, r)
    # (六) variance and display rules
    out.append(r.h2(6, r.t("m_variance")))
    if d.variance == "taylor":
        out.append(r.p(r.t("m_variance_taylor", df=d.degf, level=r.level_pct)))
    else:
        out.append(r.p(r.t("m_variance_rep", method=d.variance)))
    out.append(r.p(r.t(f"m_lonely_{d.lonely_psu}")))
    adjusted = [n for n in data.notes if n.startswith("lonely_psu_adjusted:")]
    if adjusted:
        out.append(r.p(r.t("m_lonely_adjusted", why=adjusted[0].split(":", 1)[1])))
    out.append(
        r.p(
            r.t(
                "m_deff_text",
                deff=num(data.overall.deff),
                kish=num(d.kish_deff),
                ess=f"{d.n / d.kish_deff:,.0f}",
                n=f"{d.n:,}",
            )
        )
    )
    rel = data.rules.reliability
    out.append(
        r.p(
            r.t(
                "m_rules_text",
                m=data.rules.suppress_below,
                min_n=rel.min_n,
                cv=f"{100 * rel.max_cv:g}",
                level=r.level_pct,
            )
        )
    )
    # (七) small areas
    out.append(r.h2(7, r.t("m_sae")))
    out.append(r.p(r.t("m_sae_text") if data.sae is not None else r.t("m_sae_none")))
    # (八) data quality
    out.append(r.h2(8, r.t("m_quality")))
    out += _quality(data, r)
    # (九) versions
    fp = data.fingerprint
    out.append(r.h2(9, r.t("m_fingerprint")))
    out.append(
        r.p(
            r.t(
                "m_fingerprint_text",
                q=fp.questionnaire_hash[:16],
                rows=f"{fp.rows:,}",
                data=fp.data_hash[:16],
                job=fp.job_hash[:16],
                version=fp.kesu_version,
                date=r.date(data.generated),
            ),
            "small",
        )
    )
    if not r.fonts.embedded:
        out.append(r.p(r.t("m_font_fallback", font=r.fonts.body), "small"))
    elif not r.fonts.serif_found:
        out.append(r.p(r.t("m_font_no_serif", font=r.fonts.body), "small"))
    else:
        body = font_display_name(r.fonts.body, r.lang)
        heading = font_display_name(r.fonts.heading, r.lang)
        out.append(r.p(r.t("m_font", body=body, heading=heading), "small"))
    return out


def _fieldwork(data: ReportData, r: Renderer) -> Flowables:
    out: Flowables = [r.h2(4, r.t("m_fieldwork"))]
    fw = data.fieldwork
    if fw is None:
        return out + [r.p(r.t("m_fieldwork_none"))]
    period = (
        r.t("period", start=r.date(fw.first_date), end=r.date(fw.last_date))
        if fw.first_date is not None and fw.last_date is not None
        else r.t("cover_unknown")
    )
    out.append(
        r.p(
            r.t(
                "m_fieldwork_text",
                period=period,
                sampled=f"{fw.sampled:,}",
                complete=f"{fw.counts.get('I', 0):,}",
                rr1=pct(fw.rr1),
                rr3=pct(fw.rr3),
                coop=pct(fw.coop1),
                e=num(fw.e, 3),
            )
        )
    )
    rows = [
        [f"{r.t(f'aapor_{c}')} ({r.t(f'aapor_code_{c}')})", f"{fw.counts[c]:,}"] for c in CATEGORIES
    ]
    rows += [
        [r.t(f"rate_{k}"), f"{pct(getattr(fw, k))}%"]
        for k in ("rr1", "rr2", "rr3", "rr4", "coop1", "ref1", "con1")
    ]
    out += r.table(
        r.t("tab_aapor"),
        [r.t("col_item"), r.t("col_count")],
        rows,
        [220, 90],
        source=r.t("aapor_source"),
    )
    return out


def _weighting(data: ReportData, r: Renderer) -> Flowables:
    d = data.design
    out: Flowables = [r.h2(5, r.t("m_weighting")), r.p(r.t("m_weighting_text"))]
    for s in d.steps:
        notes = dict(s.notes)
        if s.method == "nonresponse":
            out.append(
                r.p(
                    r.t(
                        "m_nonresponse_text",
                        classes=notes.get("classes", "—"),
                        low=pct(notes.get("response_rate_min") or math.nan),
                        high=pct(notes.get("response_rate_max") or math.nan),
                        factor=num(notes.get("adjustment_max") or math.nan),
                    )
                )
            )
        elif s.method in ("rake", "calibrate", "poststratify"):
            names = r.t("list_sep").join(
                _calvar(r, v) for v in dict.fromkeys(m.variable for m in s.margins)
            )
            out.append(
                r.p(
                    r.t(
                        "m_calibration_text", method=_step_name(r, s.method), variables=names or "—"
                    )
                )
            )
        elif s.method == "trim":
            cap = notes.get("upper", math.inf)
            text = r.t(
                "m_trim_text",
                cap=f"{cap:,.1f}" if math.isfinite(cap) else "—",
                k=notes.get("trimmed", 0),
            )
            if "recalibrated" in notes:
                text += r.t(
                    "m_trim_recalibrated",
                    cycles=notes.get("cycles", 0),
                    before=f"{100 * notes.get('error_trim_only', 0.0):.2f}",
                )
            out.append(r.p(text))
    if data.margins:
        worst = max(abs(m.after - m.target) / m.target for m in data.margins if m.target > 0)
        out.append(r.p(r.t("m_margins_text", worst=f"{100 * worst:.4f}")))
        sources = data.spec.sources
        rows = []
        seen: set[str] = set()
        for m in data.margins:
            rel = (m.after - m.target) / m.target if m.target else math.nan
            first = m.variable not in seen
            seen.add(m.variable)
            rows.append([_calvar(r, m.variable) if first else "",
                         _level_label(r, m.variable, m.level or ""), f"{m.target:,.0f}",
                         f"{m.after:,.0f}", signed(100 * rel, 4)])  # fmt: skip
        header = [r.t(k) for k in ("col_calvar", "col_category", "col_pop_total",
                                   "col_weighted_total", "col_rel_error")]  # fmt: skip
        sep = r.t("clause_sep")
        named = sep.join(
            r.t("source_of", name=_calvar(r, v),
                source=sources[v].get(r.lang) if v in sources else r.t("no_source"))
            for v in seen_order(data)
        )  # fmt: skip
        out += r.table(r.t("tab_margins"), header, rows, [90, 110, 90, 90, 70], numeric_from=2,
                       numeric_to=4, source=r.t("margins_source", sources=named))  # fmt: skip
    if d.steps:
        header = [
            r.t(k) for k in ("col_step", "m_diag_range", "m_diag_deff", "m_diag_ess", "m_diag_sum")
        ]
        rows = [
            [
                _step_name(r, s.method),
                f"{s.min_weight:,.1f}–{s.max_weight:,.1f}（{s.ratio:.1f}）"
                if r.lang == "zh-CN"
                else f"{s.min_weight:,.1f}–{s.max_weight:,.1f} ({s.ratio:.1f})",
                f"{s.kish_deff_before:.3f} → {s.kish_deff_after:.3f}",
                f"{s.ess_before:,.0f} → {s.ess_after:,.0f}",
                f"{s.sum_after:,.0f}",
            ]
            for s in d.steps
        ]
        out += r.table(
            r.t("tab_weighting"),
            header,
            rows,
            [120, 100, 80, 80, 70],
            source=r.t("weighting_source"),
        )
    return out


def seen_order(data: ReportData) -> list[str]:
    """The calibration variables in the order of their margins."""
    return list(dict.fromkeys(m.variable for m in data.margins))


def _quality(data: ReportData, r: Renderer) -> Flowables:
    rejected = next((int(n.split(":")[1]) for n in data.notes if n.startswith("rejected:")), 0)
    fw = data.fieldwork
    parts = []
    if fw is not None and math.isfinite(fw.median_minutes):
        parts.append(
            r.t("m_speed_rule", median=num(fw.median_minutes, 1), speed=num(fw.speeding_minutes, 1))
        )
    if data.speeders is not None:
        parts.append(r.t("m_speeders", k=data.speeders))
    parts.append(r.t("m_rejected", k=rejected))
    left_out = next((n.split(":", 1)[1] for n in data.notes if n.startswith("left_out:")), "")
    if left_out:  # complete responses without a design weight (survey.dashboard)
        counts = dict(part.split("=", 1) for part in left_out.split(";"))
        detail = r.t("clause_sep").join(
            r.t(f"m_left_{reason}", n=n) for reason, n in counts.items()
        )
        parts.append(r.t("m_left_out", k=sum(int(n) for n in counts.values()), detail=detail))
    if data.dropped_rows is not None:
        rules = r.t("clause_sep").join(
            r.t("m_dropped_rule", column=e.column, rows=e.rows,
                values=r.t("list_sep").join(
                    v or r.t("m_dropped_blank") for v in e.values))
            for e in data.exclusions
        ) or "-"  # fmt: skip
        parts.append(r.t("m_dropped", k=data.dropped_rows, rules=rules))
    out: Flowables = [r.p("".join(parts))]
    if any(n == "unweighted" for n in data.notes):
        out.append(r.p(r.t("m_design_unweighted")))
    return out


def items(data: ReportData, r: Renderer, number: int) -> Flowables:
    """Appendix: the item-analysis table of :mod:`reports.items_page` (landscape pages),
    each item with its question as the questionnaire words it (in the report's language).

    Example:
        >>> flowables = items(data, renderer, 2)  # doctest: +SKIP
    """
    out: Flowables = [r.p(r.t("app_items"), "h1")]
    if data.items is None:
        out.append(r.p(r.t("items_none")))
        return out
    dims = {d.id: d.label.get(r.lang) for d in data.questionnaire.scoring.dimensions}
    r.counters.tables += 1
    out += item_analysis_flowables(
        data.items,
        font_name=r.fonts.body,
        heading_font=r.fonts.heading,
        language=r.lang,
        dimension_labels=dims,
        title=r.t("table_label", n=r.counters.tables) + item_analysis_title(data.items, r.lang),
        paragraph=r.p,
        latin_font=r.fonts.latin,
        item_texts={item.id: item.text.get(r.lang) for item in data.questionnaire.items},
    )
    if not data.items.options:
        out.append(r.p(r.t("items_no_options"), "note"))
    return out


__all__ = ["ProgressStatus", "capacity", "factors", "items", "methods"]
