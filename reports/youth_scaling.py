"""The youth monitoring's inputs and their preparation: weights, scores, scaling, plausible values.

:class:`YouthRound` is what a round collected; :func:`seat_weights` gives every
seat its final weight (class base weight, classes whose session never took place,
absent students, :func:`sampling.schools.absence_adjusted_weights`);
:func:`grade_data` scores each grade's booklet and builds its IRT response matrix
(items not reached are missing, not wrong); :func:`scale_grades` calibrates the
grades and links them (:mod:`scoring.irt.vertical`); :func:`draw_scores` draws
plausible scale scores from a latent regression on the background
(:func:`conditioning_matrix`). The estimates are :mod:`reports.youth_estimates`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import Questionnaire
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling.schools import absence_adjusted_weights
from scoring import score_responses
from scoring.irt import calibrate
from scoring.irt import plausible_values
from scoring.irt.params import ItemParameters
from scoring.irt.vertical import ReportingScale
from scoring.irt.vertical import VerticalScale
from scoring.irt.vertical import link_grades
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
