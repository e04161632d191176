"""The youth monitoring's analysis: weights, scaling, plausible values and level shares.

Input: a :class:`YouthRound` (the grade booklets, the class list of the
sample, the seats of every sampled class with what happened in its session,
the students' answers keyed by class and seat, and optionally the principal
and teacher questionnaires keyed by school and class). Steps:

1. **weights** (:func:`sampling.schools.absence_adjusted_weights`): class base
   weight ``1/(prob1 prob2)``, classes whose session never took place within
   grade x town, absent and refusing students within their class;
2. **scores**: each booklet scored on its 100-point scale (the raw view);
3. **scaling** (:mod:`scoring.irt`): each grade calibrated on its own (2PL, graded
   response model for the partial-credit items; students' weights; items not
   reached are missing, not wrong), grades chained through the anchor items
   and the base grade centred on its items (:func:`scoring.irt.vertical.link_grades`);
4. **plausible values**: ``n_pv`` draws per student from a latent regression on
   sex, town, school type, the background answers (with missing flags) and the
   school's mean percent correct (Mislevy 1991; the conditioning PISA and
   TIMSS use), so that group comparisons are not shrunk;
5. **estimates** (:func:`pv_statistic`): every statistic is computed once per
   plausible value with the survey design (schools as PSUs within town strata,
   certainty schools' classes as PSUs; Taylor linearisation) and combined by
   Rubin's rules; grades placed by linking also carry the linking error.

Domains with fewer than :data:`~reports.youth_model.SUPPRESS_BELOW` students are
suppressed in every output; a school's own results are computed for its
school sheet only (:mod:`reports.youth_pdf`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from reports.youth_model import SUPPRESS_BELOW
from reports.youth_model import GradeResults
from reports.youth_model import Participation
from reports.youth_model import PVStat
from reports.youth_model import RawView
from reports.youth_model import ScaleInfo
from reports.youth_model import SchoolResult
from reports.youth_model import YouthBreakdown
from reports.youth_model import YouthDomain
from reports.youth_model import YouthResults
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling import svy_mean
from sampling.schools import absence_adjusted_weights
from scoring import score_responses
from scoring.irt import calibrate
from scoring.irt import empirical_reliability
from scoring.irt import estimate_ability
from scoring.irt import plausible_values
from scoring.irt import rubin_combine
from scoring.irt.params import ItemParameters
from scoring.irt.vertical import DEFAULT_LEVELS
from scoring.irt.vertical import ProficiencyLevels
from scoring.irt.vertical import ReportingScale
from scoring.irt.vertical import VerticalScale
from scoring.irt.vertical import link_grades
from scoring.items import analyze_items
from scoring.sheet import ScoreSheet

logger = logging.getLogger(__name__)

#: seat statuses whose answers are used (``timeout``: ran out of time, answers kept)
RESPONDENT_STATUSES = ("complete", "timeout")
SEAT_STATUSES = ("complete", "timeout", "absent", "refused", "pending")
#: student background items used as conditioning variables and as factors
BACKGROUND_ITEMS = (
    "books",
    "read_science",
    "talk_science",
    "venue_visits",
    "device",
    "other_venues",
    "lives_with",
    "activities",
    "like_science",
)
#: principal (school) and teacher (class) items shown as factors
PRINCIPAL_FACTORS = ("clubs", "partner_base", "labs")
TEACHER_FACTORS = ("hands_on", "lab_access")


@dataclass(frozen=True, slots=True)
class YouthResponse:
    """One student's answers, known only by class and seat (no name)."""

    class_id: str
    seat: int
    answers: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class YouthRound:
    """Everything one round of the youth monitoring collected.

    Attributes:
        booklets: grade -> student questionnaire (order: the linking chain, base first).
        classes: the class list (``sampling.schools.CLASS_COLUMNS`` rows; ``school_name``
            optional).
        seats: columns ``class_id``, ``seat``, ``status`` (:data:`SEAT_STATUSES`), ``held``.
        responses: the answers of the students who took part.
        principal: school id -> principal questionnaire answers (``principal_booklet``).
        teacher: class id -> science teacher questionnaire answers (``teacher_booklet``).
        year, synthetic: the round's year; simulated data.
    """

    booklets: Mapping[str, Questionnaire]
    classes: Sequence[Mapping[str, Any]]
    seats: Mapping[str, NDArray[Any]]
    responses: Sequence[YouthResponse]
    principal: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    teacher: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    principal_booklet: Questionnaire | None = None
    teacher_booklet: Questionnaire | None = None
    year: int = 2025
    synthetic: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class GradeData:
    """The respondents of one grade: design columns, answers, scores, item matrix."""

    grade: str
    columns: dict[str, NDArray[Any]]
    records: list[dict[str, Any]]
    sheet: ScoreSheet
    items: NDArray[np.float64]
    design: SurveyDesign

    @property
    def n(self) -> int:
        """Respondents."""
        return len(self.records)


# ------------------------------------------------------------------ weights and tables
def seat_weights(rnd: YouthRound) -> dict[str, NDArray[Any]]:
    """Every seat with its class's design columns, response flag and final weight."""
    by_class = {str(r["class_id"]): r for r in rnd.classes}
    cls = np.asarray(rnd.seats["class_id"]).astype(str)
    unknown = sorted(set(cls) - set(by_class))
    if unknown:
        from reports.errors import ReportError

        raise ReportError(
            f"seats of class {unknown[0]!r}, which is not in the class list",
            param="class_id",
            got=unknown[0],
            hint="use the class list the sample was drawn with",
        )
    status = np.asarray(rnd.seats["status"]).astype(str)
    answered = {(r.class_id, int(r.seat)) for r in rnd.responses}
    seats = np.asarray(rnd.seats["seat"]).astype(np.int64)
    responded = np.array(
        [
            s in RESPONDENT_STATUSES and (c, int(k)) in answered
            for c, k, s in zip(cls, seats, status, strict=True)
        ]
    )
    cols: dict[str, NDArray[Any]] = {"class_id": cls, "seat": seats, "status": status}
    for name in ("grade", "stratum", "town", "school_id", "school_type", "var_stratum", "var_psu"):
        cols[name] = np.array([str(by_class[c][name]) for c in cls])
    base = np.array([float(by_class[c]["class_weight"]) for c in cls])
    cell = np.char.add(np.char.add(cols["grade"], "|"), cols["stratum"])
    cols["base_weight"] = base
    cols["responded"] = responded.astype(np.int64)
    cols["held"] = np.asarray(rnd.seats["held"]).astype(np.int64)
    cols["weight"] = absence_adjusted_weights(base, cls, cell, responded, cols["held"])
    return cols


def _item_matrix(sheet: ScoreSheet, q: Questionnaire) -> NDArray[np.float64]:
    """``(n, k)`` categories for IRT: 0/1, partial credit 0..K-1; not answered = NaN."""
    x = np.where(sheet.right, 1.0, 0.0)
    for m, j in enumerate(sheet.partial_columns):
        item = q.item(sheet.item_ids[j])
        keyed = len(item.key.correct) if item.key is not None else 1
        x[:, j] = np.round(sheet.partial_points[:, m] / sheet.item_max[j] * keyed)
    for j in range(x.shape[1]):  # collapse score categories nobody reached (GRM needs each)
        col = x[:, j]
        seen = np.unique(col[sheet.answered[:, j]])
        x[:, j] = np.searchsorted(seen, col)
    return np.where(sheet.answered, x, np.nan)


def grade_data(rnd: YouthRound, seats: Mapping[str, NDArray[Any]]) -> dict[str, GradeData]:
    """The respondents of each grade with their answers, scores and design."""
    answers = {(r.class_id, int(r.seat)): r.answers for r in rnd.responses}
    out = {}
    for grade, q in rnd.booklets.items():
        rows = np.flatnonzero((seats["grade"] == grade) & (seats["responded"] == 1))
        if rows.size == 0:
            continue
        records = [dict(answers[(str(seats["class_id"][i]), int(seats["seat"][i]))]) for i in rows]
        cols = {k: np.asarray(v)[rows] for k, v in seats.items()}
        sheet = score_responses(q, records)
        cols.update(sheet.columns())
        for name in ("sex", *BACKGROUND_ITEMS, "parent_edu"):
            if q.has_variable(name):
                cols[name] = np.array([_code(rec.get(name)) for rec in records])
        design = SurveyDesign(
            weights=cols["weight"],
            strata=cols["var_stratum"],
            psu=cols["var_psu"],
            lonely_psu=LonelyPSU.ADJUST,
        )
        out[grade] = GradeData(grade, cols, records, sheet, _item_matrix(sheet, q), design)
    return out


def _code(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


# ------------------------------------------------------------------ scaling and PVs
def scale_grades(data: Mapping[str, GradeData], order: Sequence[str]) -> VerticalScale:
    """Calibrate every grade (2PL/GRM, weighted) and chain them onto the base grade's scale."""
    params: dict[str, ItemParameters] = {}
    for g in order:
        d = data[g]
        cal = calibrate(
            d.items,
            item_ids=d.sheet.item_ids,
            model="2pl",
            weights=d.columns["weight"],
            se_method="none",
        )
        params[g] = cal.params
    return link_grades(params, order=order)


def conditioning_matrix(d: GradeData) -> NDArray[np.float64]:
    """Background variables of the latent regression (full column rank).

    Male, towns and school type as dummies; every background item as dummies
    of its answers (a missing answer is its own category; multiple answers one
    dummy per option); the school's mean percent correct. Columns that are
    constant or linearly dependent on earlier ones are dropped.
    """
    n = d.n
    cols: list[NDArray[np.float64]] = []
    for name in ("sex", "town", "school_type", *BACKGROUND_ITEMS):
        if name not in d.columns:
            continue
        values = d.columns[name].astype(str)
        if name == "activities":
            for code in sorted({c for v in values for c in v.split(";") if c}):
                cols.append(np.array([code in v.split(";") for v in values], dtype=np.float64))
            continue
        for level in sorted(set(values))[1:]:
            cols.append((values == level).astype(np.float64))
    pct = d.columns["score_total"].astype(np.float64)
    school = d.columns["school_id"]
    means = {s: float(pct[school == s].mean()) for s in np.unique(school)}
    cols.append(np.array([means[s] for s in school]) / 100.0)
    z = np.column_stack(cols) if cols else np.zeros((n, 0))
    keep: list[int] = []
    for j in range(z.shape[1]):
        if np.ptp(z[:, j]) == 0:
            continue
        trial = np.column_stack([np.ones(n), z[:, keep + [j]]])
        if np.linalg.matrix_rank(trial) == trial.shape[1]:
            keep.append(j)
    return z[:, keep]


def draw_scores(
    d: GradeData,
    params: ItemParameters,
    scale: ReportingScale,
    rng: np.random.Generator,
    n_pv: int,
) -> NDArray[np.float64]:
    """``(n, n_pv)`` plausible scale scores of a grade's students."""
    pv = plausible_values(
        d.items,
        params,
        rng=rng,
        n_draws=n_pv,
        covariates=conditioning_matrix(d),
        weights=d.columns["weight"],
    )
    return scale.to_score(pv.values)


# ------------------------------------------------------------------ estimates
def pv_statistic(
    values: Sequence[NDArray[np.float64]],
    design: SurveyDesign,
    by: NDArray[Any] | None = None,
    *,
    shifted: Callable[[float], Sequence[NDArray[np.float64]]] | None = None,
    link_shift: float = 0.0,
    bounds: tuple[float, float] | None = None,
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
        bounds: cut the interval (``(0, 1)`` for shares).

    Returns:
        Domain label (``""`` without ``by``) -> :class:`PVStat`.
    """
    est, var, keys, df = [], [], None, None
    domain_by = None if by is None else {"d": np.asarray(by).astype(str)}
    for v in values:
        e = svy_mean(v, design, by=domain_by, name="pv")
        est.append(e.estimate)
        var.append(np.diag(e.vcov))
        keys = [dom.get("d", "") for dom in e.domains]
        df = e.df
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
                                      float(link_var[j]), bounds=bounds)  # fmt: skip
            continue
        r = rubin_combine(q[:, j], u[:, j], df_complete=float(df[j]))
        out[key] = PVStat.combine(
            float(r.estimate),
            float(r.total),
            float(r.df),
            float(r.fmi),
            float(link_var[j]),
            bounds=bounds,
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
class _GradeScores:
    data: GradeData
    scores: NDArray[np.float64]  # (n, M) plausible scale scores
    link_points: float  # linking error in scale points


def _domains(
    gs: _GradeScores,
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
            bounds=(0.0, 1.0),
            link_shift=gs.link_points,
        )
        for k in range(len(levels.codes))
    ]
    above = pv_statistic(
        [(x >= at_least).astype(np.float64) for x in lv],
        d.design,
        by,
        shifted=level_values(at_least, True),
        bounds=(0.0, 1.0),
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


def _factor_breakdowns(
    gs: _GradeScores, q: Questionnaire, rnd: YouthRound, levels: ProficiencyLevels, at_least: int
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
                tuple(_domains(gs, levels, at_least, values, [*item.codes, "missing"])),
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
                    tuple(_domains(gs, levels, at_least, values, [*item.codes, "missing"])),
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


def _raw_view(d: GradeData) -> RawView:
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


def _participation(seats: Mapping[str, NDArray[Any]], grade: str) -> Participation:
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


def _school_results(
    gs: _GradeScores,
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
        mean_stat = _srs_pv_stat([sc[:, j] for j in range(sc.shape[1])], w, None)
        above = _srs_pv_stat(
            [(lv[:, j] >= at_least).astype(np.float64) for j in range(lv.shape[1])], w, (0.0, 1.0)
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
    bounds: tuple[float, float] | None,
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
        float(r.estimate), float(r.total), float(r.df), float(r.fmi), bounds=bounds
    )


def analyse_youth(
    rnd: YouthRound,
    *,
    rng: np.random.Generator,
    levels: ProficiencyLevels = DEFAULT_LEVELS,
    scale: ReportingScale | None = None,
    n_pv: int = 5,
    at_least: int = 1,
    detail: bool = True,
) -> YouthResults:
    """The whole youth analysis (see the module docstring); ``detail=False`` skips the
    breakdowns, factors and schools (what the coverage simulation needs)."""
    scale = scale or ReportingScale()
    seats = seat_weights(rnd)
    data = grade_data(rnd, seats)
    order = [g for g in rnd.booklets if g in data]
    vertical = scale_grades(data, order)
    names = {str(r["school_id"]): str(r.get("school_name", r["school_id"])) for r in rnd.classes}
    grades, schools = [], []
    for g in order:
        d = data[g]
        params = vertical.params[g]
        gs = _GradeScores(
            d, draw_scores(d, params, scale, rng, n_pv), vertical.link_error[g] * scale.sd
        )
        overall = _domains(gs, levels, at_least, None)[0]
        breakdowns: list[YouthBreakdown] = []
        factors: list[YouthBreakdown] = []
        if detail:
            q = rnd.booklets[g]
            for var, label in (
                ("town", ("镇街", "Town/street")),
                ("school_type", ("学校类型", "School type")),
                ("sex", ("性别", "Sex")),
            ):
                breakdowns.append(
                    YouthBreakdown(
                        var, label, tuple(_domains(gs, levels, at_least, d.columns[var]))
                    )
                )
            factors = _factor_breakdowns(gs, q, rnd, levels, at_least)
            towns = {
                r.key: r.mean_score.estimate for r in breakdowns[0].rows if r.mean_score is not None
            }
            schools += _school_results(gs, levels, at_least, seats, names, towns, overall)
        eap = estimate_ability(d.items, params)
        lk = vertical.linkings[g]
        st = vertical.stability.get(g)
        info = ScaleInfo(
            lk.slope,
            lk.intercept,
            st.item_ids if st else (),
            st.drifting if st else (),
            gs.link_points,
            d.items.shape[1],
            empirical_reliability(eap, d.columns["weight"]),
        )
        grades.append(
            GradeResults(
                g,
                overall,
                tuple(breakdowns),
                tuple(factors),
                _raw_view(d),
                _participation(seats, g),
                info,
            )
        )
    return YouthResults(
        tuple(grades), tuple(schools), levels, scale, at_least, n_pv, rnd.synthetic, rnd.year
    )
