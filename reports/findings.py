"""The report's main findings (主要结论) and recommendations (建议), by explicit rules.

Pure functions of :class:`~reports.model.ReportData` and the labels; the PDF
and the web dashboard show the same texts. The rules:

Findings (at most six, in this order, each with its figure and interval):

1. the headline rate with its interval, and its change since the latest earlier
   wave with the test of the change;
2. the verdict against the target and the published national and Zhejiang rates
   (:attr:`ReportData.verdicts`: the test the logit interval inverts);
3. key groups: the highest and the lowest **reliable** group (an estimate flagged
   unreliable or suppressed is never ranked or named; how many were left out is said);
4. urban minus rural, with its interval and test (when the table has ``urban`` and both
   estimates are reliable);
5. towns: the highest and the lowest reliable town, whether the towns differ by more than
   sampling error (the Rao-Scott test of :attr:`ReportData.towns`), and how many towns'
   direct estimates are unreliable (the model estimates of chapter 3 cover them);
6. capacity indicators: how many are off track, cannot be judged because some units have
   not reported (incomplete), have no report, or are out of date.

Recommendations, each tied to a finding:

* groups whose interval lies wholly below the headline rate (reliable ones only),
  with the plan's action for that group;
* the towns (镇, not streets) when rural residents are significantly behind;
* capacity indicators off track (with their responsible units), indicators without a
  current report, and the units that have not reported a partial total;
* the target: close the gap / keep the level / look to the 2035 target (25%);
* towns whose direct estimate is unreliable: a larger sample in the next round.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from reports.capacity import ProgressStatus
from reports.labels import Labels
from reports.labels import ci_text
from reports.labels import p_text
from reports.labels import pct
from reports.labels import signed
from reports.model import DomainRow
from reports.model import ReportData
from reports.model import Verdict
from reports.spec import PUBLISHED_DIGITS

logger = logging.getLogger(__name__)

#: at most this many findings are listed
MAX_FINDINGS = 6


def _uncertain_extremes(lab: Labels, ranked: list[tuple[str, DomainRow]]) -> str:
    """The sentence saying which named extreme (lowest, highest of ``ranked``, in order of
    their estimates) is uncertain: its interval overlaps the next one's ('' when neither).
    Overlapping intervals do not prove equal rates, but then the order is not shown either."""
    if len(ranked) < 3:
        return ""
    (low, lr), (second_low, sl) = ranked[0], ranked[1]
    (high, hr), (second_high, sh) = ranked[-1], ranked[-2]
    close = []
    if sl.ci_low <= lr.ci_high:
        close.append(lab.t("finding_close_pair", a=low, b=second_low))
    if sh.ci_high >= hr.ci_low:
        close.append(lab.t("finding_close_pair", a=high, b=second_high))
    if not close:
        return ""
    return lab.t("finding_order_uncertain", pairs=lab.t("finding_pair_sep").join(close),
                 level=lab.level_pct)  # fmt: skip


def _rate(lab: Labels, row: DomainRow) -> str:
    """``15.0%（95%置信区间13.6%–16.5%）`` in the language of ``lab``."""
    return lab.t(
        "rate_ci",
        rate=pct(row.estimate),
        low=pct(row.ci_low),
        high=pct(row.ci_high),
        level=lab.level_pct,
    )


def _p(p: float) -> str:
    return p_text(p)


def reliable(rows: Sequence[tuple[str, DomainRow]]) -> list[tuple[str, DomainRow]]:
    """The labelled rows that may be ranked: shown and not flagged unreliable.

    Example:
        >>> reliable([("a", row_ok), ("b", row_flagged)])  # doctest: +SKIP
        [('a', row_ok)]
    """
    return [(k, r) for k, r in rows if not r.suppressed and not r.unreliable]


def reference_label(lab: Labels, key: str) -> str:
    """``全国`` / ``浙江省`` / ``目标`` (the key itself for other references)."""
    return lab.t_or(f"ref_{key}", key)


def verdict_text(lab: Labels, v: Verdict) -> str:
    """``高于浙江省（13.53%，2020年），差异显著（p = 0.012）`` and the like."""
    name = reference_label(lab, v.key)
    return lab.t(
        f"verdict_{v.status}",
        label=name,
        rate=pct(v.rate, PUBLISHED_DIGITS),
        year=v.year,
        diff=signed(100 * v.difference),
        p=_p(v.p_value),
    )


def findings(data: ReportData, lab: Labels) -> list[str]:
    """The numbered main findings (rules: module docstring).

    Example:
        >>> findings(data, Labels("zh-CN", q, data.rules))[0]  # doctest: +SKIP
        '全市具备科学素质的公民比例为15.0%（95%置信区间13.6%–16.5%）……'
    """
    out: list[str] = []
    o = data.overall
    if o.suppressed:
        return [lab.t("finding_none")]
    text = lab.t("finding_overall", rate=_rate(lab, o))
    ch = data.change
    if ch is not None:
        d = ch.difference
        key = "finding_change_sig" if ch.significant else "finding_change_nonsig"
        text += lab.t(
            key,
            year=ch.previous_year,
            diff=signed(100 * d.estimate),
            low=signed(100 * d.ci_low),
            high=signed(100 * d.ci_high),
            p=_p(ch.p_value),
            level=lab.level_pct,
        )
    out.append(text)
    if data.verdicts:
        sep = lab.t("clause_sep")
        out.append(
            lab.t("finding_verdicts", parts=sep.join(verdict_text(lab, v) for v in data.verdicts))
        )
    groups = [(lab.group_label(r.key), r) for r in data.groups.rows]
    ranked = reliable(groups)
    if len(ranked) >= 2:
        ranked.sort(key=lambda x: x[1].estimate)
        (low, lr), (high, hr) = ranked[0], ranked[-1]
        text = lab.t(
            "finding_groups", high=high, high_rate=_rate(lab, hr), low=low, low_rate=_rate(lab, lr)
        )
        text += _uncertain_extremes(lab, ranked)
        left = len(groups) - len(ranked)
        if left:
            text += lab.t("finding_left_out", k=left)
        out.append(text)
    gap = data.urban_gap
    urban = next((b for b in data.breakdowns if b.name == "urban"), None)
    pair = urban.rows[:2] if urban is not None else ()
    if gap is not None and len(pair) == 2 and len(reliable([("", x) for x in pair])) == 2:
        row, p = gap
        u, r = pair
        key = "finding_urban_sig" if p < 1 - data.rules.level else "finding_urban_nonsig"
        out.append(
            lab.t(
                key,
                urban=lab.option_label("urban", u.key),
                urban_rate=_rate(lab, u),
                rural=lab.option_label("urban", r.key),
                rural_rate=_rate(lab, r),
                diff=f"{100 * row.estimate:.1f}",
                ci=ci_text(row.ci_low, row.ci_high),
                p=_p(p),
                level=lab.level_pct,
            )
        )
    towns = [(lab.option_label("town", r.key), r) for r in data.towns.rows]
    ranked = reliable(towns)
    if len(ranked) >= 2:
        ranked.sort(key=lambda x: x[1].estimate)
        (low, lr), (high, hr) = ranked[0], ranked[-1]
        text = lab.t(
            "finding_towns",
            k=len(ranked),
            high=high,
            high_rate=_rate(lab, hr),
            low=low,
            low_rate=_rate(lab, lr),
        )
        text += _uncertain_extremes(lab, ranked)
        test = data.towns.test
        if test is not None:
            key = "finding_towns_differ" if test.p < 0.05 else "finding_towns_same"
            text += lab.t(key, p=_p(test.p))
        left = len(towns) - len(ranked)
        if left:
            text += lab.t("finding_towns_left_out", k=left,
                          cv=f"{100 * data.rules.reliability.max_cv:g}")  # fmt: skip
        out.append(text)
    if data.capacity is not None:
        off = [
            p.indicator.label.get(lab.lang)
            for p in data.capacity
            if p.status is ProgressStatus.OFF_TRACK
        ]
        incomplete = [
            p.indicator.label.get(lab.lang)
            for p in data.capacity
            if p.status is ProgressStatus.INCOMPLETE
        ]
        missing = sum(1 for p in data.capacity if p.status is ProgressStatus.NO_DATA)
        stale = sum(1 for p in data.capacity if p.stale)
        sep = lab.t("list_sep")
        n = len(data.capacity)
        if off:
            text = lab.t("finding_capacity", k=len(off), n=n, names=sep.join(off))
        elif incomplete:
            # not "all on track": those short of it with units missing cannot be judged
            text = lab.t("finding_capacity_no_off", n=n)
        else:
            text = lab.t("finding_capacity_ok", n=n)
        if incomplete:
            text += lab.t(
                "finding_capacity_incomplete", k=len(incomplete), names=sep.join(incomplete)
            )
        if missing or stale:
            text += lab.t("finding_capacity_gaps", missing=missing, stale=stale)
        out.append(text)
    return out[:MAX_FINDINGS]


def recommendations(data: ReportData, lab: Labels) -> list[str]:
    """Recommendations tied to the findings (rules: module docstring).

    Example:
        >>> recommendations(data, Labels("zh-CN", q, data.rules))  # doctest: +SKIP
    """
    out: list[str] = []
    o = data.overall
    if o.suppressed:
        return out
    sep = lab.t("list_sep")
    behind = [
        (r.key, lab.group_label(r.key), r)
        for r in data.groups.rows
        if not r.suppressed and not r.unreliable and r.ci_high < o.estimate
    ]
    if behind:
        names = sep.join(
            lab.t("name_rate", name=label, rate=pct(r.estimate)) for _, label, r in behind
        )
        actions = []
        for key, _, _ in behind:
            try:
                actions.append(lab.t(f"action_{key}"))
            except KeyError:
                continue
        joined = lab.t("clause_sep").join(actions)
        out.append(lab.t("rec_groups", names=names, actions=joined or lab.t("action_default")))
    gap = data.urban_gap
    urban = next((b for b in data.breakdowns if b.name == "urban"), None)
    pair = urban.rows[:2] if urban is not None else ()
    both = len(pair) == 2 and len(reliable([("", x) for x in pair])) == 2
    if gap is not None and both and gap[1] < 1 - data.rules.level and gap[0].estimate > 0:
        rural_towns = [
            lab.option_label("town", r.key)
            for r in data.towns.rows
            if lab.option_label("town", r.key).endswith("镇")
        ]
        out.append(
            lab.t(
                "rec_rural",
                diff=f"{100 * gap[0].estimate:.1f}",
                towns=sep.join(rural_towns) or lab.t("rec_rural_all"),
            )
        )
    if data.capacity is not None:
        off = [p for p in data.capacity if p.status is ProgressStatus.OFF_TRACK]
        if off:
            items = sep.join(
                lab.t(
                    "rec_capacity_item",
                    name=p.indicator.label.get(lab.lang),
                    unit=p.indicator.responsible.get(lab.lang),
                    share=pct(p.share or 0.0),
                    expected=pct(p.expected_share),
                )
                for p in off
            )
            out.append(lab.t("rec_capacity", items=items))
        gaps = [p for p in data.capacity if p.status is ProgressStatus.NO_DATA or p.stale]
        if gaps:
            names = sep.join(
                lab.t(
                    "name_unit",
                    name=p.indicator.label.get(lab.lang),
                    unit=p.indicator.responsible.get(lab.lang),
                )
                for p in gaps
            )
            out.append(lab.t("rec_reporting", names=names))
        partial = [p for p in data.capacity if p.partial and p not in gaps]
        if partial:
            names = sep.join(
                lab.t(
                    "name_unit",
                    name=p.indicator.label.get(lab.lang),
                    unit=lab.t("list_sep").join(u.name.get(lab.lang) for u in p.missing_units),
                )
                for p in partial
            )
            out.append(lab.t("rec_partial", names=names))
    target = next((v for v in data.verdicts if v.key == "target"), None)
    if target is not None:
        out.append(lab.t(f"rec_target_{target.status}", rate=pct(target.rate, 1), year=target.year))
    towns_unreliable = [r for r in data.towns.rows if r.unreliable and not r.suppressed]
    if towns_unreliable:
        out.append(
            lab.t(
                "rec_sample", k=len(towns_unreliable), cv=f"{100 * data.rules.reliability.max_cv:g}"
            )
        )
    return out
