"""A whole simulated round of the youth monitoring (frame -> sample -> sessions -> answers).

**Synthetic** (模拟数据): built from :mod:`reports.youth_synthetic` (the school
population and the IRT truth) and :mod:`sampling.schools` (the three-stage draw),
plus simulated principals' and science teachers' answers whose resources follow
the school's true mean ability. Feeds ``kesu demo``, the tests and
``bench/bench_youth_coverage.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from questionnaires.model import ItemType
from reports.youth_synthetic import GRADE_ABILITY
from reports.youth_synthetic import PRINCIPAL_BOOKLET
from reports.youth_synthetic import TEACHER_BOOKLET
from reports.youth_synthetic import TrueItem
from reports.youth_synthetic import load_youth_booklets
from reports.youth_synthetic import simulate_attendance
from reports.youth_synthetic import simulate_booklet_answers
from reports.youth_synthetic import simulate_students
from reports.youth_synthetic import synthetic_school_frame
from reports.youth_synthetic import youth_truth

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ principal and teacher answers
#: typical counts of the principal and teacher questionnaires' number items (synthetic)
_TYPICAL_COUNTS = {
    "sci_teachers_ft": 3.0,
    "sci_teachers_pt": 4.0,
    "lessons_g4": 2.0,
    "lessons_g8": 6.0,
    "labs": 2.0,
    "events": 6.0,
    "years_science": 9.0,
    "class_size": 44.0,
}


def simulate_staff_answers(
    q: Questionnaire, driver: NDArray[np.float64], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Answers of principals (one per school) or teachers (one per class).

    ``driver`` is a standardised school or class quality (here from the true
    mean ability): better-resourced schools report more labs, clubs and
    partnerships, and their teachers more hands-on work. Yes/no items say
    "yes" with ``logistic(0.3 + driver)``; ordered options and grids move
    with ``driver``; counts are Poisson around :data:`_TYPICAL_COUNTS`.
    """
    n = driver.size
    cols: dict[str, NDArray[Any]] = {}
    for item in q.items:
        if item.type is ItemType.TEXT:
            continue
        if item.type is ItemType.NUMBER:
            lam = _TYPICAL_COUNTS.get(item.id, 3.0) * np.exp(0.35 * driver)
            lo, hi = item.minimum or 0, item.maximum or 100
            cols[item.id] = np.clip(rng.poisson(lam), lo, hi).astype(object)
        elif item.type is ItemType.GRID:
            for row in item.rows:
                cols[row.id] = _ordered(item.codes, -0.6 * driver, rng)
        elif item.codes[:2] == ("yes", "no"):
            yes = rng.random(n) < 1 / (1 + np.exp(-(0.3 + driver)))
            cols[item.id] = np.where(yes, "yes", "no").astype(object)
        else:
            sign = -1.0 if item.id in ("lab_access",) else 1.0  # options listed best first
            codes = tuple(c for c in item.codes if c != "unknown")
            cols[item.id] = _ordered(codes, sign * 0.7 * driver, rng)
    return [
        {k: v[i].item() if isinstance(v[i], np.generic) else v[i] for k, v in cols.items()}
        for i in range(n)
    ]


def _ordered(
    codes: Sequence[str], driver: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[Any]:
    k = len(codes)
    pos = np.clip(np.round((k - 1) / 2 + driver + rng.normal(0, 0.9, driver.size)), 0, k - 1)
    return np.array(codes, dtype=object)[pos.astype(np.int64)]


# ------------------------------------------------------------------ a whole round
#: the demo's school design (``kind: schools``; ``kesu sample draw``): 3 primary schools
#: per town for grade 4 (one class each) and 2 junior schools per town for grade 8
#: (two classes each), about 1,900 and 2,500 students
DEFAULT_YOUTH_DESIGN: Mapping[str, Any] = {
    "kind": "schools",
    "columns": {"school": "school_id", "town": "town", "school_type": "school_type"},
    "method": "systematic",
    "allocation": "equal",
    "min_schools": 2,
    "class_method": "srs",
    "grades": {
        "4": {"schools_total": 42, "classes_per_school": 1},
        "8": {"schools_total": 28, "classes_per_school": 2},
    },
}


@dataclass(frozen=True)
class SimulatedYouthRound:
    """A simulated round: frame, sample, population (with true abilities), what was collected.

    Attributes:
        frame: the school frame's columns (what the education bureau would give).
        sample: the drawn classes (:class:`sampling.schools.SchoolSample`).
        population: every student of the frame (``simulate_students``), with ``theta``.
        round: the collected data, ready for :func:`reports.youth.analyse_youth`.
        truth: the true item parameters.
    """

    frame: dict[str, NDArray[Any]]
    sample: Any
    population: dict[str, NDArray[Any]]
    round: Any
    truth: Mapping[str, TrueItem]


def simulate_youth_round(
    rng: np.random.Generator,
    *,
    design: Mapping[str, Any] | None = None,
    booklets: Mapping[str, Questionnaire] | None = None,
    staff: bool = True,
    year: int = 2025,
) -> SimulatedYouthRound:
    """Frame -> three-stage sample -> sessions with absentees -> answers from the IRT truth.

    Example:
        >>> sim = simulate_youth_round(np.random.default_rng(3), staff=False)  # doctest: +SKIP
        >>> len(sim.round.responses) > 3000  # doctest: +SKIP
        True
    """
    from reports.youth import YouthResponse
    from reports.youth import YouthRound
    from sampling.schools import SchoolDesign
    from sampling.schools import draw_school_sample
    from sampling.schools import school_frame_from_columns

    booklets = booklets or load_youth_booklets()
    truth = youth_truth(booklets)
    frame = synthetic_school_frame(rng)
    school_design = SchoolDesign.from_mapping(design or DEFAULT_YOUTH_DESIGN)
    checked = school_frame_from_columns({k: v.tolist() for k, v in frame.items()}, school_design)
    sample = draw_school_sample(checked, school_design, rng)
    population = simulate_students(frame, rng)
    class_ids = [str(r["class_id"]) for r in sample.rows]
    seats = simulate_attendance(class_ids, population, rng)
    key_index = {k: i for i, k in enumerate(population["student_key"].tolist())}
    responses = []
    for grade, q in booklets.items():
        grade_classes = {str(r["class_id"]) for r in sample.rows if r["grade"] == grade}
        present = np.flatnonzero(
            np.isin(seats["status"], ("complete", "timeout"))
            & np.isin(seats["class_id"], list(grade_classes))
        )
        rows = np.array([key_index[str(k)] for k in seats["student_key"][present]], dtype=np.int64)
        people = {k: v[rows] for k, v in population.items()}
        records = simulate_booklet_answers(
            q, truth, people, seats["status"][present] == "timeout", rng
        )
        for j, rec in zip(present, records, strict=True):
            responses.append(YouthResponse(str(seats["class_id"][j]), int(seats["seat"][j]), rec))
    principal: dict[str, dict[str, Any]] = {}
    teacher: dict[str, dict[str, Any]] = {}
    staff_qs: dict[str, Questionnaire] = {}
    if staff:
        staff_qs = {
            "principal": load_questionnaire(QUESTIONNAIRE_DIR / PRINCIPAL_BOOKLET),
            "teacher": load_questionnaire(QUESTIONNAIRE_DIR / TEACHER_BOOKLET),
        }
        principal, teacher = _staff(sample, population, staff_qs, rng)
    names = dict(zip(frame["school_id"].tolist(), frame["school_name"].tolist(), strict=True))
    classes = tuple({**r, "school_name": names[str(r["school_id"])]} for r in sample.rows)
    rnd = YouthRound(
        booklets=booklets,
        classes=classes,
        seats={k: seats[k] for k in ("class_id", "seat", "status", "held")},
        responses=tuple(responses),
        principal=principal,
        teacher=teacher,
        principal_booklet=staff_qs.get("principal"),
        teacher_booklet=staff_qs.get("teacher"),
        year=year,
        synthetic=True,
    )
    return SimulatedYouthRound(frame, sample, population, rnd, truth)


def _staff(
    sample: Any,
    population: Mapping[str, NDArray[Any]],
    qs: Mapping[str, Questionnaire],
    rng: np.random.Generator,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    def mean_theta(column: str, keys: list[str]) -> NDArray[np.float64]:
        vals = []
        for k in keys:
            th = population["theta"][population[column] == k]
            g = population["grade"][population[column] == k]
            vals.append(
                float(
                    np.mean(th - np.where(g == "8", GRADE_ABILITY["8"][0], GRADE_ABILITY["4"][0]))
                )
            )
        v = np.array(vals)
        z: NDArray[np.float64] = (v - v.mean()) / (v.std() or 1.0)
        return z

    schools = sorted({str(r["school_id"]) for r in sample.rows})
    classes = [str(r["class_id"]) for r in sample.rows]
    p_answers = simulate_staff_answers(qs["principal"], mean_theta("school_id", schools), rng)
    t_answers = simulate_staff_answers(qs["teacher"], mean_theta("class_id", classes), rng)
    for cid, rec in zip(classes, t_answers, strict=True):
        rec["grade_taught"] = cid.split("-g")[-1].split("-")[0]
    return dict(zip(schools, p_answers, strict=True)), dict(zip(classes, t_answers, strict=True))
