"""School samples: town strata -> PPS schools -> whole classes -> every student of a class.

The design of China's compulsory-education quality monitoring, here with the
towns/streets (镇街) as strata (../shared/domain.md): for each sampled grade
(4 and 8, optionally a senior-high grade),

1. **schools** in each town stratum with probability proportional to the
   grade's enrolment, without replacement (:func:`sampling.selection.select_pps`,
   certainty schools first): ``prob1 = n_h M_i / M_h``;
2. **classes**: ``c`` of the school's ``C_i`` classes of the grade by simple random
   sampling (or systematic) of the class numbers: ``prob2 = c / C_i``
   (all classes when ``C_i <= c``);
3. **students**: every student of a sampled class: ``prob3 = 1``.

A student's base weight is ``1 / (prob1 prob2 prob3)`` (Kish 1965, §7.1; Lohr
2022, §6.4); with equal class sizes the design is self-weighting within a town.
The frame is one row per school (town, school type, level, students and
classes per grade); the sample is one row per sampled class, **with no
student names**: students are later known only by class and seat number.

For variance estimation, non-certainty schools are the PSUs within town strata;
a certainty school (prob1 = 1) is its own stratum with its classes as PSUs
(``var_stratum``, ``var_psu``), the usual treatment of self-representing units
(Wolter 2007, §2.4). :func:`absence_adjusted_weights` applies the two
nonresponse steps of school surveys: classes whose session never took place
within grade x town, then absent students within their class.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling.allocation import allocate
from sampling.errors import FrameError
from sampling.errors import SelectionError
from sampling.school_frame import SCHOOL_DESIGN_KIND
from sampling.school_frame import GradeDesign
from sampling.school_frame import SchoolColumns
from sampling.school_frame import SchoolDesign
from sampling.school_frame import SchoolFrame
from sampling.school_frame import read_school_frame
from sampling.school_frame import school_frame_from_columns
from sampling.school_frame import school_frame_from_table
from sampling.selection import WithinMethod
from sampling.selection import pps_inclusion_probabilities
from sampling.selection import select_pps
from sampling.selection import srs_indices
from sampling.selection import systematic_indices
from sampling.weighting.nonresponse import adjust_nonresponse

logger = logging.getLogger(__name__)

__all__ = [
    "CLASS_COLUMNS",
    "SCHOOL_DESIGN_KIND",
    "GradeDesign",
    "SchoolColumns",
    "SchoolDesign",
    "SchoolFrame",
    "SchoolSample",
    "absence_adjusted_weights",
    "class_inclusion_probabilities",
    "draw_school_sample",
    "read_school_frame",
    "school_frame_from_columns",
    "school_frame_from_table",
    "schools_per_stratum",
    "write_class_list",
]

FloatArray = NDArray[np.float64]

#: columns of the class list, in order (other frame columns follow)
CLASS_COLUMNS: tuple[str, ...] = (
    "class_id",
    "grade",
    "stratum",
    "town",
    "school_id",
    "school_type",
    "class_number",
    "grade_classes",
    "grade_students",
    "expected_students",
    "certainty",
    "prob1",
    "prob2",
    "prob3",
    "class_weight",
    "var_stratum",
    "var_psu",
)


def schools_per_stratum(
    frame: SchoolFrame, design: SchoolDesign, grade: GradeDesign
) -> dict[str, int]:
    """Schools to draw per stratum for one grade: the design's counts, or the total allocated.

    Allocation shares ``schools_total`` over the strata that teach the grade in
    proportion to their enrolment of the grade (or equally, or by Bankier's
    power rule), with at least ``min_schools`` (or all the stratum has) and at
    most the schools the stratum has (:func:`sampling.allocation.allocate`).

    Raises:
        FrameError: a stratum asks for more schools than it has, or a count names
            a stratum the frame lacks.
    """
    strata = [s for s in frame.strata() if frame.offering(grade.grade, s).size]
    available = {s: int(frame.offering(grade.grade, s).size) for s in strata}
    where = f"grades.{grade.grade}"
    if grade.schools is not None:
        unknown = [s for s in grade.schools if s not in available and grade.schools[s] > 0]
        if unknown:
            raise FrameError(
                f"{where}: stratum {unknown[0]!r} has no school teaching grade {grade.grade}",
                param=f"{where}.schools",
                got=unknown[0],
                expected=strata,
            )
        absent = [s for s in strata if s not in grade.schools]
        if absent:
            raise FrameError(
                f"{where}: stratum {absent[0]!r} has no school count in the design",
                param=f"{where}.schools",
                got=absent[0],
                hint=f"add {absent[0]}: N (0 leaves the stratum out on purpose)",
            )
        counts = {s: int(grade.schools[s]) for s in strata}
    else:
        total = int(grade.schools_total or 0)
        maxima = [available[s] for s in strata]
        if total > sum(maxima):
            raise FrameError(
                f"{where}: schools_total {total} is more than the {sum(maxima)} schools "
                f"teaching grade {grade.grade}",
                param=f"{where}.schools_total",
                got=total,
            )
        sizes = [
            float(frame.students[grade.grade][frame.offering(grade.grade, s)].sum()) for s in strata
        ]
        counts = allocate(
            total,
            sizes,
            design.allocation,
            strata=strata,
            power=design.power,
            minimum=[min(design.min_schools, m) for m in maxima],
            maximum=maxima,
        ).as_dict()
    for s in strata:
        if counts[s] > available[s]:
            raise FrameError(
                f"{where}: stratum {s!r} asks for {counts[s]} schools but has {available[s]}",
                param=f"{where}.schools",
                got=counts[s],
                expected=f"<= {available[s]}",
            )
    return counts


def class_inclusion_probabilities(
    frame: SchoolFrame, design: SchoolDesign, grade: str
) -> tuple[FloatArray, FloatArray]:
    """Exact inclusion probabilities of each school and of each of its classes, for one grade.

    Formula: ``prob1_i = n_h M_i / M_h`` with certainty units removed first
    (:func:`sampling.selection.pps_inclusion_probabilities`), ``prob2_i =
    min(c, C_i) / C_i``; a student's inclusion probability is ``prob1_i prob2_i``
    (every student of a sampled class is taken). Schools without the grade get 0.

    Returns:
        ``(prob1, prob_class)``, both (N,) over the frame's schools.

    Example:
        >>> d = SchoolDesign.from_mapping({"grades": {"4": {"schools": {"t": 1}}}})
        >>> f = school_frame_from_columns({"school_id": ["a", "b"], "town": ["t", "t"],
        ...     "school_type": ["p", "p"], "students_g4": [30, 90], "classes_g4": [1, 3]}, d)
        >>> [p.tolist() for p in class_inclusion_probabilities(f, d, "4")]
        [[0.25, 0.75], [0.25, 0.25]]
    """
    spec = _grade_spec(design, grade)
    counts = schools_per_stratum(frame, design, spec)
    prob1 = np.zeros(len(frame.school))
    for stratum, n_h in counts.items():
        where = frame.offering(grade, stratum)
        if n_h > 0:
            prob1[where] = pps_inclusion_probabilities(frame.students[grade][where], n_h)
    c = frame.classes[grade]
    prob2 = np.where(c > 0, np.minimum(spec.classes_per_school, c) / np.maximum(c, 1), 0.0)
    return prob1, prob1 * prob2


def _grade_spec(design: SchoolDesign, grade: str) -> GradeDesign:
    for g in design.grades:
        if g.grade == grade:
            return g
    raise SelectionError(
        f"grade {grade!r} is not in the design",
        param="grade",
        expected=[g.grade for g in design.grades],
    )


@dataclass(frozen=True, slots=True, eq=False)
class SchoolSample:
    """Result of :func:`draw_school_sample`.

    Attributes:
        rows: one dict per sampled class, keys :data:`CLASS_COLUMNS` then other frame columns.
        schools: grade -> stratum -> schools drawn.
    """

    rows: tuple[dict[str, Any], ...]
    schools: Mapping[str, Mapping[str, int]]

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of the class list."""
        return tuple(self.rows[0]) if self.rows else CLASS_COLUMNS

    def school_rows(self) -> list[dict[str, Any]]:
        """One row per sampled school: the sample file of the principal questionnaire.

        ``person_id`` and ``psu`` are the school id, so ``kesu wave`` can import it as is.
        """
        out: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            row = out.setdefault(
                r["school_id"],
                {
                    "person_id": r["school_id"],
                    "school_id": r["school_id"],
                    "stratum": r["stratum"],
                    "town": r["town"],
                    "psu": r["school_id"],
                    "school_type": r["school_type"],
                    "grades": [],
                    "classes_sampled": 0,
                },
            )
            if r["grade"] not in row["grades"]:
                row["grades"].append(r["grade"])
            row["classes_sampled"] += 1
        return [{**r, "grades": ";".join(r["grades"])} for r in out.values()]

    def teacher_rows(self) -> list[dict[str, Any]]:
        """One row per sampled class: the sample file of the science-teacher questionnaire."""
        return [
            {
                "person_id": r["class_id"],
                "class_id": r["class_id"],
                "school_id": r["school_id"],
                "grade": r["grade"],
                "stratum": r["stratum"],
                "town": r["town"],
                "psu": r["school_id"],
            }
            for r in self.rows
        ]


def draw_school_sample(
    frame: SchoolFrame, design: SchoolDesign, rng: np.random.Generator
) -> SchoolSample:
    """Draw schools (PPS in town strata), whole classes and so every student, for each grade.

    See the module docstring for the three stages and their probabilities.
    Class ids are ``<school>-g<grade>-<class number, 2 digits>``; the class
    number is the school's own numbering of the grade's classes (四(3)班 = 3).

    Raises:
        FrameError: see :func:`schools_per_stratum`.

    Example:
        >>> d = SchoolDesign.from_mapping({"grades": {"4": {"schools": {"t": 1}}}})
        >>> f = school_frame_from_columns({"school_id": ["a"], "town": ["t"],
        ...     "school_type": ["p"], "students_g4": [90], "classes_g4": [2]}, d)
        >>> draw_school_sample(f, d, np.random.default_rng(1)).rows[0]["prob2"]
        0.5
    """
    rows: list[dict[str, Any]] = []
    drawn: dict[str, dict[str, int]] = {}
    for spec in design.grades:
        g = spec.grade
        counts = schools_per_stratum(frame, design, spec)
        drawn[g] = counts
        for stratum, n_h in counts.items():
            if n_h == 0:
                logger.warning("grade %s, stratum %s: no schools requested", g, stratum)
                continue
            where = frame.offering(g, stratum)
            picked = select_pps(frame.students[g][where], n_h, rng, design.method)
            for idx, prob1, certain in zip(
                picked.indices, picked.prob, picked.certainty, strict=True
            ):
                i = int(where[idx])
                rows += _classes_of(frame, design, spec, i, float(prob1), bool(certain), rng)
    logger.info("drew %d classes: %s", len(rows), {g: sum(c.values()) for g, c in drawn.items()})
    return SchoolSample(rows=tuple(rows), schools=drawn)


def _classes_of(
    frame: SchoolFrame,
    design: SchoolDesign,
    spec: GradeDesign,
    i: int,
    prob1: float,
    certain: bool,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    g = spec.grade
    big_c = int(frame.classes[g][i])
    c = min(spec.classes_per_school, big_c)
    if design.class_method is WithinMethod.SYSTEMATIC:
        numbers = systematic_indices(big_c, c, rng) + 1
    else:
        numbers = srs_indices(big_c, c, rng) + 1
    prob2 = c / big_c
    school = frame.school[i]
    out = []
    for number in numbers:
        class_id = f"{school}-g{g}-{int(number):02d}"
        row: dict[str, Any] = {
            "class_id": class_id,
            "grade": g,
            "stratum": frame.stratum[i],
            "town": frame.town[i],
            "school_id": school,
            "school_type": frame.school_type[i],
            "class_number": int(number),
            "grade_classes": big_c,
            "grade_students": int(frame.students[g][i]),
            "expected_students": round(float(frame.students[g][i]) / big_c, 1),
            "certainty": int(certain),
            "prob1": prob1,
            "prob2": prob2,
            "prob3": 1.0,
            "class_weight": 1.0 / (prob1 * prob2),
            # self-representing schools: their own stratum, classes as PSUs
            "var_stratum": f"{school}-g{g}" if certain else f"{frame.stratum[i]}-g{g}",
            "var_psu": class_id if certain else f"{school}-g{g}",
        }
        for name, values in frame.extra.items():
            row.setdefault(name, values[i])
        out.append(row)
    return out


def write_class_list(sample: SchoolSample, path: str | Path) -> None:
    """Write the class list (CSV, UTF-8 with a BOM, by :func:`kesu.tables.write_csv`;
    one row per sampled class; no student names). Probabilities and weights keep
    their shortest exact form, so a re-read list gives the same weights."""
    from kesu.tables import write_csv

    header = list(sample.columns)
    write_csv(path, header, ([row.get(k) for k in header] for row in sample.rows))


def absence_adjusted_weights(
    class_weight: ArrayLike,
    class_id: ArrayLike,
    cell: ArrayLike,
    responded: ArrayLike,
    held: ArrayLike,
) -> FloatArray:
    """Student weights after the two nonresponse steps of a school survey.

    One row per seat of every sampled class (present or not). Steps (Valliant,
    Dever & Kreuter 2018, §13.5; the TIMSS/PIRLS school, class and student
    adjustments, Martin, Mullis & Hooper 2016 ch. 3):

    1. classes whose session never took place (``held`` false on all its seats)
       give their weight to the held classes of the same ``cell`` (grade x town):
       ``a1 = sum_all W_class / sum_held W_class`` over class weights;
    2. within each held class, absent or refusing students give their weight to
       the students who answered: ``a2 = seats / respondents``.

    A respondent's final weight is ``class_weight a1 a2``; every other seat gets 0.

    Args:
        class_weight: (n,) base weight 1 / (prob1 prob2) of each seat's class.
        class_id: (n,) the seat's class.
        cell: (n,) the class's adjustment cell (e.g. ``"4|fotang"``).
        responded: (n,) 0/1, the student answered.
        held: (n,) 0/1, the class's session took place.

    Raises:
        MarginError: a cell has no held class, or a held class has no respondent
            (from :func:`sampling.weighting.adjust_nonresponse`).

    Example:
        >>> absence_adjusted_weights([4.0] * 4, ["a", "a", "b", "b"], ["c"] * 4,
        ...                          [1, 0, 0, 0], [1, 1, 0, 0]).tolist()
        [16.0, 0.0, 0.0, 0.0]
    """
    w = np.asarray(class_weight, dtype=np.float64)
    classes = np.asarray(class_id).astype(str)
    cells = np.asarray(cell).astype(str)
    resp = np.asarray(responded, dtype=np.int64)
    took_place = np.asarray(held, dtype=np.int64)
    first = np.unique(classes, return_index=True)[1]
    step1 = adjust_nonresponse(
        w[first],
        {"held": took_place[first], "cell": cells[first]},
        outcome="held",
        classes=["cell"],
    )
    factor = {classes[j]: step1.weights[k] / w[j] for k, j in enumerate(first) if w[j] > 0}
    a1 = np.array([factor.get(c, 0.0) for c in classes])
    keep = took_place == 1
    out = np.zeros_like(w)
    if keep.any():
        step2 = adjust_nonresponse(
            (w * a1)[keep],
            {"r": resp[keep], "class": classes[keep]},
            outcome="r",
            classes=["class"],
        )
        out[keep] = step2.weights
    return out
