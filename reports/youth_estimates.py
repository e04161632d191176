"""The youth monitoring's estimates: every statistic once per plausible value, combined.

:func:`pv_statistic` is the one place where a weighted mean (a level share, a
share at medium or above, a mean scale score) meets the survey design and
Rubin's rules; the functions below apply it to the grade, its domains, the
background factors and each school (whose figures go only into its own sheet).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from reports.youth_model import SUPPRESS_BELOW
from reports.youth_model import Participation
from reports.youth_model import PVStat
from reports.youth_model import RawView
from reports.youth_model import SchoolResult
from reports.youth_model import YouthBreakdown
from reports.youth_model import YouthDomain
from reports.youth_scaling import BACKGROUND_ITEMS
from reports.youth_scaling import PRINCIPAL_FACTORS
from reports.youth_scaling import TEACHER_FACTORS
from reports.youth_scaling import GradeData
from reports.youth_scaling import YouthRound
from sampling import SurveyDesign
from sampling import svy_mean
from scoring.irt import rubin_combine
from scoring.irt.vertical import ProficiencyLevels
from scoring.items import analyze_items

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ estimates
def pv_statistic(
    values: Sequence[NDArray[np.float64]],
    design: SurveyDesign,
    by: NDArray[Any] | None = None,
    *,
    shifted: Callable[[float], Sequence[NDArray[np.float64]]] | None = None,
    link_shift: float = 0.0,
    share: bool = False,
) -> dict[str, PVStat]:
    """A weighted mean per domain, combined over plausible values, with its interval.

    Formula: for each plausible value ``m`` the estimate ``Q_m`` and its Taylor
    variance ``U_m`` (:func:`sampling.svy_mean`: schools as PSUs within town
    strata; Särndal et al. 1992, §5.6), combined by Rubin's rules with the
    Barnard-Rubin df from the domain's design df (:func:`scoring.irt.rubin_combine`;
    Rubin 1987; von Davier, Gonzalez & Mislevy 2009). With ``shifted`` (values
    recomputed with the scale moved by ``± link_shift``) the linking-error
    variance ``((Q(+s) - Q(-s)) / 2)^2`` is added (the PISA link error for
    level percentages; OECD 2014, ch. 12).

    Args:
        values: one ``(n,)`` array per plausible value (level indicators or scores).
        design: the grade's design (respondents only).
        by: domain labels (None: the whole grade).
        shifted: ``shift -> values`` for the link-error term.
        link_shift: the linking error in scale points.
        share: the values are 0/1 indicators: logit intervals (:meth:`PVStat.combine`).

    Returns:
        Domain label (``""`` without ``by``) -> :class:`PVStat`.
    """
    est, var, keys, df, n = [], [], None, None, np.zeros(0)
    domain_by = None if by is None else {"d": np.asarray(by).astype(str)}
    for v in values:
        e = svy_mean(v, design, by=domain_by, name="pv")
        est.append(e.estimate)
        var.append(np.diag(e.vcov))
        keys = [dom.get("d", "") for dom in e.domains]
        df, n = e.df, e.n
    link_var = np.zeros(len(keys or []))
    if shifted is not None and link_shift > 0:
        up = _domain_means(shifted(link_shift), design.weights, by)
        down = _domain_means(shifted(-link_shift), design.weights, by)
        link_var = np.array([((up.get(k, 0.0) - down.get(k, 0.0)) / 2) ** 2 for k in keys or []])
    q = np.array(est)
    u = np.nan_to_num(np.array(var), nan=0.0)
    out = {}
    for j, key in enumerate(keys or []):
        if df is None or not (np.isfinite(df[j]) and df[j] > 0):
            # one PSU per stratum in the domain: no design variance (R's svyby says NA too)
            out[key] = PVStat.combine(float(q[:, j].mean()), math.nan, 0.0, math.nan,
                                      float(link_var[j]), share=share, n=n[j])  # fmt: skip
            continue
        r = rubin_combine(q[:, j], u[:, j], df_complete=float(df[j]))
        out[key] = PVStat.combine(
            float(r.estimate),
            float(r.total),
            float(r.df),
            float(r.fmi),
            float(link_var[j]),
            share=share,
            n=n[j],
        )
    return out


def _domain_means(
    values: Sequence[NDArray[np.float64]], weights: NDArray[np.float64], by: NDArray[Any] | None
) -> dict[str, float]:
    labels = np.full(weights.size, "") if by is None else np.asarray(by).astype(str)
    out = {}
    for key in np.unique(labels):
        w = weights * (labels == key)
        out[str(key)] = float(np.mean([w @ v / w.sum() for v in values]))
    return out


@dataclass(frozen=True, slots=True, eq=False)
class GradeScores:
    data: GradeData
    scores: NDArray[np.float64]  # (n, M) plausible scale scores
    link_points: float  # linking error in scale points


def domain_estimates(
    gs: GradeScores,
    levels: ProficiencyLevels,
    at_least: int,
    by: NDArray[Any] | None,
    order: Sequence[str] = (),
) -> list[YouthDomain]:
    d = gs.data
    grade = d.grade
    labels = np.full(d.n, "") if by is None else np.asarray(by).astype(str)
    m = gs.scores.shape[1]
    lv = [levels.level_of(grade, gs.scores[:, k]) for k in range(m)]

    def level_values(k: int, above: bool = False) -> Callable[[float], list[NDArray[np.float64]]]:
        def at(shift: float) -> list[NDArray[np.float64]]:
            out = []
            for j in range(m):
                lvj = levels.level_of(grade, gs.scores[:, j] + shift)
                out.append(((lvj >= k) if above else (lvj == k)).astype(np.float64))
            return out

        return at

    def score_values(shift: float) -> list[NDArray[np.float64]]:
        return [gs.scores[:, j] + shift for j in range(m)]

    shares = [
        pv_statistic(
            [(x == k).astype(np.float64) for x in lv],
            d.design,
            by,
            shifted=level_values(k),
            share=True,
            link_shift=gs.link_points,
        )
        for k in range(len(levels.codes))
    ]
    above = pv_statistic(
        [(x >= at_least).astype(np.float64) for x in lv],
        d.design,
        by,
        shifted=level_values(at_least, True),
        share=True,
        link_shift=gs.link_points,
    )
    means = pv_statistic(
        score_values(0.0), d.design, by, shifted=score_values, link_shift=gs.link_points
    )
    rows = []
    rank = {k: i for i, k in enumerate(order)}
    for key in sorted(set(labels.tolist()), key=lambda k: (rank.get(k, len(rank)), _order_key(k))):
        mask = labels == key
        n = int(mask.sum())
        schools = len(set(d.columns["school_id"][mask].tolist()))
        if n < SUPPRESS_BELOW or key not in means:
            rows.append(YouthDomain(key, n, schools, True))
            continue
        rows.append(
            YouthDomain(
                key, n, schools, False, tuple(s[key] for s in shares), above[key], means[key]
            )
        )
    return rows


def _order_key(key: str) -> tuple[int, str]:
    return (0 if key != "" else -1, key)


def factor_breakdowns(
    gs: GradeScores, q: Questionnaire, rnd: YouthRound, levels: ProficiencyLevels, at_least: int
) -> list[YouthBreakdown]:
    d = gs.data
    out = []
    for name in BACKGROUND_ITEMS:
        if name not in d.columns or name == "activities":
            continue
        item = q.item(name)
        values = np.where(d.columns[name] == "", "missing", d.columns[name])
        out.append(
            YouthBreakdown(
                name,
                (item.text.get("zh-CN"), item.text.get("en")),
                tuple(domain_estimates(gs, levels, at_least, values, [*item.codes, "missing"])),
                _option_labels(item),
                "student",
            )
        )
    sources = (
        ("principal", PRINCIPAL_FACTORS, rnd.principal, rnd.principal_booklet, "school_id"),
        ("teacher", TEACHER_FACTORS, rnd.teacher, rnd.teacher_booklet, "class_id"),
    )
    for source, names, answers, q_other, key_col in sources:
        if not answers or q_other is None:
            continue
        for name in names:
            item = q_other.item(name)
            keys = d.columns[key_col]
            values = np.array(
                [_factor_value(item.type, answers.get(str(k), {}).get(name)) for k in keys]
            )
            out.append(
                YouthBreakdown(
                    name,
                    (item.text.get("zh-CN"), item.text.get("en")),
                    tuple(domain_estimates(gs, levels, at_least, values, [*item.codes, "missing"])),
                    _option_labels(item),
                    source,
                )
            )
    return out


def _factor_value(kind: ItemType, value: Any) -> str:
    if value is None or value == "":
        return "missing"
    if kind is ItemType.NUMBER:  # counts: 0, 1, 2 or more
        return "2+" if float(value) >= 2 else str(int(float(value)))
    return str(value)


def _option_labels(item: Any) -> dict[str, tuple[str, str]]:
    labels = {o.code: (o.label.get("zh-CN"), o.label.get("en")) for o in item.options}
    labels["missing"] = ("未回答", "No answer")
    return labels


def raw_view(d: GradeData) -> RawView:
    total = svy_mean(d.columns["score_total"].astype(np.float64), d.design, name="score_total")
    lo, hi = total.confint()
    dims = {}
    for j, dim in enumerate(d.sheet.dimension_ids):
        pct = 100.0 * d.sheet.scaled[:, j] / d.sheet.dimension_max[j]
        e = svy_mean(pct, d.design, name=dim)
        dims[dim] = (float(e.estimate[0]), float(e.se[0]))
    shares = d.sheet.level_shares(d.columns["weight"])
    alpha = analyze_items(np.asarray(d.sheet.points), max_points=d.sheet.item_max).alpha
    return RawView(
        float(total.estimate[0]),
        float(total.se[0]),
        float(lo[0]),
        float(hi[0]),
        dims,
        shares,
        float(alpha),
    )


def participation(seats: Mapping[str, NDArray[Any]], grade: str) -> Participation:
    g = seats["grade"] == grade
    st = seats["status"][g]
    held = seats["held"][g] == 1
    w = seats["base_weight"][g]
    resp = seats["responded"][g] == 1
    rate = float(w[resp].sum() / w[held].sum()) if held.any() else 0.0
    return Participation(
        schools=len(set(seats["school_id"][g].tolist())),
        classes=len(set(seats["class_id"][g].tolist())),
        classes_held=len(set(seats["class_id"][g][held].tolist())),
        seats=int(g.sum()),
        complete=int((st == "complete").sum()),
        timeout=int((st == "timeout").sum()),
        absent=int((st == "absent").sum()),
        refused=int((st == "refused").sum()),
        rate=rate,
    )


def school_results(
    gs: GradeScores,
    levels: ProficiencyLevels,
    at_least: int,
    seats: Mapping[str, NDArray[Any]],
    names: Mapping[str, str],
    town_means: Mapping[str, float],
    city: YouthDomain,
) -> list[SchoolResult]:
    """Each school's figures (simple random sampling of students within the school)."""
    d = gs.data
    out = []
    n_lv = len(levels.codes)
    for school in sorted(set(d.columns["school_id"].tolist())):
        mask = d.columns["school_id"] == school
        first = int(np.flatnonzero(mask)[0])
        in_school = (seats["school_id"] == school) & (seats["grade"] == d.grade)
        seat_count = int(in_school.sum())
        base = dict(
            school_id=school,
            school_name=names.get(school, school),
            town=str(d.columns["town"][first]),
            school_type=str(d.columns["school_type"][first]),
            grade=d.grade,
            n=int(mask.sum()),
            seats=seat_count,
            classes=len(set(seats["class_id"][in_school].tolist())),
        )
        if mask.sum() < SUPPRESS_BELOW:
            out.append(SchoolResult(**base, suppressed=True))
            continue
        w = d.columns["weight"][mask]
        sc = gs.scores[mask]
        lv = np.stack([levels.level_of(d.grade, sc[:, k]) for k in range(sc.shape[1])], axis=1)
        shares = tuple(
            float(np.mean([(w @ (lv[:, j] == k)) / w.sum() for j in range(lv.shape[1])]))
            for k in range(n_lv)
        )
        mean_stat = _srs_pv_stat([sc[:, j] for j in range(sc.shape[1])], w, False)
        above = _srs_pv_stat(
            [(lv[:, j] >= at_least).astype(np.float64) for j in range(lv.shape[1])], w, True
        )
        dims = {
            dim: float(w @ (100 * d.sheet.scaled[mask, j] / d.sheet.dimension_max[j]) / w.sum())
            for j, dim in enumerate(d.sheet.dimension_ids)
        }
        city_levels = tuple(s.estimate for s in city.levels)
        out.append(
            SchoolResult(
                **base,
                suppressed=False,
                mean_score=mean_stat,
                levels=shares,
                at_least=above,
                dimensions=dims,
                town_mean=town_means.get(base["town"]),
                city_mean=city.mean_score.estimate if city.mean_score else None,
                city_levels=city_levels,
            )
        )
    return out


def _srs_pv_stat(
    values: Sequence[NDArray[np.float64]],
    w: NDArray[np.float64],
    share: bool,
) -> PVStat:
    """Weighted mean over PVs; within variance: students as a with-replacement sample."""
    est, var = [], []
    for v in values:
        mean = float(w @ v / w.sum())
        resid = w * (v - mean) / w.sum()
        n = v.size
        est.append(mean)
        var.append(float(n / (n - 1) * resid @ resid))
    r = rubin_combine(est, var, df_complete=float(len(values[0]) - 1))
    return PVStat.combine(
        float(r.estimate),
        float(r.total),
        float(r.df),
        float(r.fmi),
        share=share,
        n=float(len(values[0])),
    )
