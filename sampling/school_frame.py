"""The school frame and the design file of a school sample (``kind: schools``).

A school frame is one row per school: school id, town (and stratum), school
type, and for each sampled grade its enrolment and number of classes.
:func:`read_school_frame` reads it (CSV in any encoding, .xlsx, Parquet, by the
table layer :mod:`kesu.tables`) and :func:`school_frame_from_table` checks it, naming
the file, row and column of every problem; :class:`SchoolDesign` reads the design
file. The draw itself is :func:`sampling.schools.draw_school_sample`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kesu.tables import Table
from kesu.tables import TableError
from kesu.tables import label_text
from kesu.tables import read_table
from kesu.tables import table_from_columns
from sampling.allocation import AllocationMethod
from sampling.allocation import design_count
from sampling.allocation import size_allocation
from sampling.errors import FrameError
from sampling.errors import SelectionError
from sampling.frame import _frame_error
from sampling.frame import filled_labels
from sampling.frame import require_frame_columns
from sampling.frame import require_unique_ids
from sampling.selection import PPSMethod
from sampling.selection import WithinMethod

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: ``kind:`` of a design file that describes a school sample (``kesu sample draw``)
SCHOOL_DESIGN_KIND = "schools"

_DESIGN_KEYS = {
    "kind",
    "columns",
    "grades",
    "method",
    "allocation",
    "power",
    "min_schools",
    "class_method",
}
_GRADE_KEYS = {"schools", "schools_total", "classes_per_school", "students", "classes"}
_COLUMN_KEYS = {"school", "town", "stratum", "school_type"}


@dataclass(frozen=True, slots=True)
class SchoolColumns:
    """Names of the school-frame columns.

    Attributes:
        school: school id (unique).
        town: town/street code.
        stratum: stratum column (default: the town).
        school_type: public/private or similar (carried into every output).
    """

    school: str = "school_id"
    town: str = "town"
    stratum: str | None = None
    school_type: str = "school_type"

    @property
    def stratum_column(self) -> str:
        """The stratum column (the town when not set)."""
        return self.stratum or self.town


@dataclass(frozen=True, slots=True)
class GradeDesign:
    """How one grade is sampled.

    Attributes:
        grade: the grade label (``"4"``, ``"8"``).
        students: frame column with the grade's enrolment (the PPS size).
        classes: frame column with the grade's number of classes.
        schools: stratum -> schools to draw, or None to allocate ``schools_total``.
        schools_total: schools to draw over all strata (allocated by enrolment).
        classes_per_school: whole classes to draw in each sampled school.
    """

    grade: str
    students: str
    classes: str
    schools: Mapping[str, int] | None = None
    schools_total: int | None = None
    classes_per_school: int = 1


@dataclass(frozen=True, slots=True)
class SchoolDesign:
    """A three-stage school design (the ``kind: schools`` design file).

    Attributes:
        grades: one :class:`GradeDesign` per sampled grade.
        columns: frame column names.
        method: PPS method for schools.
        allocation: ``proportional`` (to the grade's enrolment), ``equal`` or ``power``.
        power: Bankier exponent for ``power``.
        min_schools: least schools per stratum under allocation (2 allows variance
            estimation; fewer when the town has fewer schools).
        class_method: ``srs`` or ``systematic`` selection of class numbers.
    """

    grades: tuple[GradeDesign, ...]
    columns: SchoolColumns = field(default_factory=SchoolColumns)
    method: PPSMethod = PPSMethod.SYSTEMATIC
    allocation: AllocationMethod = AllocationMethod.PROPORTIONAL
    power: float = 0.5
    min_schools: int = 2
    class_method: WithinMethod = WithinMethod.SRS

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SchoolDesign:
        """Build the design from a parsed YAML mapping; unknown keys are errors.

        Example:
            >>> d = SchoolDesign.from_mapping({"kind": "schools",
            ...     "grades": {"4": {"schools_total": 20}}})
            >>> d.grades[0].students, d.grades[0].classes
            ('students_g4', 'classes_g4')
        """
        if not isinstance(data, Mapping):
            raise SelectionError("the design file must be a mapping", param="design", got=data)
        _unknown(data, _DESIGN_KEYS, "")
        cols = data.get("columns") or {}
        if not isinstance(cols, Mapping):
            raise SelectionError("columns: must be a mapping", param="columns", got=cols)
        _unknown(cols, _COLUMN_KEYS, "columns.")
        grades_raw = data.get("grades")
        if not isinstance(grades_raw, Mapping) or not grades_raw:
            raise SelectionError(
                "grades: must map each sampled grade to its design",
                param="grades",
                got=grades_raw,
                hint='grades: {"4": {schools_total: 40, classes_per_school: 1}}',
            )
        grades = tuple(_grade(str(g), spec) for g, spec in grades_raw.items())
        try:
            design = cls(
                grades=grades,
                columns=SchoolColumns(**{k: str(v) for k, v in cols.items()}),
                method=PPSMethod(data.get("method", "systematic")),
                allocation=AllocationMethod(data.get("allocation", "proportional")),
                power=float(data.get("power", 0.5)),
                min_schools=design_count(data.get("min_schools", 2), "min_schools", 0),
                class_method=WithinMethod(data.get("class_method", "srs")),
            )
        except ValueError as exc:
            if isinstance(exc, SelectionError):
                raise
            raise SelectionError(
                f"invalid design value: {exc}",
                param="design",
                hint="method: systematic|brewer|sampford; class_method: srs|systematic; "
                "allocation: proportional|equal|power",
            ) from None
        size_allocation(design.allocation, "allocation")
        return design


def _unknown(data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise SelectionError(
            f"unknown key {prefix}{unknown[0]!r} in the design file",
            param=f"{prefix}{unknown[0]}",
            expected=sorted(allowed),
        )


def _grade(grade: str, spec: Any) -> GradeDesign:
    where = f"grades.{grade}"
    if not isinstance(spec, Mapping):
        raise SelectionError(f"{where} must be a mapping", param=where, got=spec)
    _unknown(spec, _GRADE_KEYS, f"{where}.")
    if ("schools" in spec) == ("schools_total" in spec):
        raise SelectionError(
            f"{where}: give exactly one of schools (per stratum) or schools_total",
            param=f"{where}.schools",
            hint="schools: {fotang: 3, suxi: 2, ...}  or  schools_total: 40",
        )
    schools = spec.get("schools")
    if schools is not None:
        if not isinstance(schools, Mapping):
            raise SelectionError(f"{where}.schools must map stratum -> count", param=where)
        schools = {str(k): design_count(v, f"{where}.schools.{k}", 0) for k, v in schools.items()}
    total = spec.get("schools_total")
    return GradeDesign(
        grade=grade,
        students=str(spec.get("students", f"students_g{grade}")),
        classes=str(spec.get("classes", f"classes_g{grade}")),
        schools=schools,
        schools_total=None if total is None else design_count(total, f"{where}.schools_total", 1),
        classes_per_school=design_count(
            spec.get("classes_per_school", 1), f"{where}.classes_per_school", 1
        ),
    )


@dataclass(frozen=True, slots=True, eq=False)
class SchoolFrame:
    """A checked school frame, one entry per school in file order.

    Attributes:
        school, town, stratum, school_type: labels per school.
        students: grade -> (N,) enrolment (0 where the school has no such grade).
        classes: grade -> (N,) number of classes (0 where no such grade).
        extra: other columns, name -> values (carried into the class list).
        line: file row of each school (header = 1; for messages).
    """

    school: tuple[str, ...]
    town: tuple[str, ...]
    stratum: tuple[str, ...]
    school_type: tuple[str, ...]
    students: Mapping[str, FloatArray]
    classes: Mapping[str, NDArray[np.int64]]
    extra: Mapping[str, tuple[str, ...]]
    line: tuple[int, ...]

    def strata(self) -> tuple[str, ...]:
        """Stratum labels in order of first appearance."""
        return tuple(dict.fromkeys(self.stratum))

    def offering(self, grade: str, stratum: str) -> NDArray[np.int64]:
        """Positions of the schools of a stratum that teach the grade, in frame order."""
        has = self.students[grade] > 0
        return np.array(
            [i for i, s in enumerate(self.stratum) if s == stratum and has[i]], dtype=np.int64
        )


def _counts(table: Table, column: str) -> NDArray[np.int64]:
    """A count column: whole numbers >= 0, an empty cell = 0 (table-layer number rule)."""
    try:
        values = table.numeric(column, key=column, allow_missing=True)
    except TableError as exc:
        raise _frame_error(exc) from None
    values = np.where(np.isnan(values), 0.0, values)
    bad = np.flatnonzero((values < 0) | (values != np.floor(values)))
    if bad.size:
        i = int(bad[0])
        raise FrameError(
            "must be a whole number >= 0",
            param=column,
            got=float(values[i]),
            hint="0 or an empty cell where the school has no such grade",
            file=table.source,
            row=table.row_number(i),
            column=column,
        )
    return values.astype(np.int64)


def school_frame_from_table(table: Table, design: SchoolDesign) -> SchoolFrame:
    """Check a school frame table (one row per school) and turn it into a
    :class:`SchoolFrame`.

    Checks: every needed column is present; school, town and stratum are filled
    in; school ids are unique; enrolment and class counts are whole numbers >= 0
    (the table layer's number rule, so ``1,205`` and full-width digits count; an
    empty cell is 0); a school with students in a grade has at least one class of
    it, and no more classes than students. Every error names the file, the row
    (header = 1, as the spreadsheet shows it) and the column.

    Raises:
        FrameError: the first problem found.
    """
    cols = design.columns
    needed = [cols.school, cols.town, cols.stratum_column, cols.school_type]
    for g in design.grades:
        needed += [g.students, g.classes]
    needed = list(dict.fromkeys(needed))
    require_frame_columns(table, needed, "columns:/grades:")
    text = filled_labels(table, (cols.school, cols.town, cols.stratum_column))
    require_unique_ids(
        table,
        cols.school,
        text[cols.school].tolist(),
        "school",
        "school ids must be unique over the whole frame",
    )
    students: dict[str, FloatArray] = {}
    classes: dict[str, NDArray[np.int64]] = {}
    for g in design.grades:
        m = _counts(table, g.students)
        c = _counts(table, g.classes)
        bad = np.flatnonzero(((m > 0) != (c > 0)) | (c > m))
        if bad.size:
            i = int(bad[0])
            raise FrameError(
                f"grade {g.grade} has {m[i]} students in {c[i]} classes",
                param=g.classes,
                got=(int(m[i]), int(c[i])),
                hint="a school teaching the grade needs 1..students classes; "
                "leave both 0 when it does not teach the grade",
                file=table.source,
                row=table.row_number(i),
                column=g.classes,
            )
        students[g.grade] = m.astype(np.float64)
        classes[g.grade] = c
    used = set(needed)
    return SchoolFrame(
        school=tuple(text[cols.school].tolist()),
        town=tuple(text[cols.town].tolist()),
        stratum=tuple(text[cols.stratum_column].tolist()),
        school_type=tuple(table.labels(cols.school_type).tolist()),
        students=students,
        classes=classes,
        extra={h: tuple(table.labels(h).tolist()) for h in table.order if h not in used},
        line=tuple(table.row_number(i) for i in range(table.n_rows)),
    )


def school_frame_from_columns(
    columns: Mapping[str, Sequence[Any]], design: SchoolDesign, *, source: str = "frame"
) -> SchoolFrame:
    """:func:`school_frame_from_table` for named columns (one entry per school);
    errors count rows as a file would (header = row 1).

    Example:
        >>> d = SchoolDesign.from_mapping({"grades": {"4": {"schools_total": 1}}})
        >>> f = school_frame_from_columns({"school_id": ["s1"], "town": ["fotang"],
        ...     "school_type": ["public"], "students_g4": ["90"], "classes_g4": ["2"]}, d)
        >>> f.students["4"].tolist(), f.classes["4"].tolist()
        ([90.0], [2])
    """
    text = {name: [label_text(v) for v in values] for name, values in columns.items()}
    return school_frame_from_table(table_from_columns(text, source), design)


def read_school_frame(
    path: str | Path,
    design: SchoolDesign,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
) -> SchoolFrame:
    """Read a school frame (CSV in any encoding, .xlsx, Parquet) and check it; see
    :func:`school_frame_from_table`."""
    try:
        table = read_table(path, encoding=encoding, sheet=sheet, what="school frame", key="frame")
    except TableError as exc:
        raise _frame_error(exc) from None
    return school_frame_from_table(table, design)
