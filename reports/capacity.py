"""Capacity indicators of Yiwu's plan: targets (YAML), reported values (CSV), progress.

The plan (义政办发〔2022〕26号, see ``shared/domain.md``) sets capacity targets such
as 150 science-popularisation bases by 2025. :func:`load_capacity_plan` reads
the targets (``reports/data/capacity.yaml`` is prefilled), units report what
they achieved in a CSV (:func:`load_capacity_values`) and
:func:`evaluate_capacity` compares the two on a date.

Expected progress is linear from the plan's start (or the indicator's own
``start``) to its deadline (Kusek & Rist 2004, *Ten Steps to a Results-Based
Monitoring and Evaluation System*, step 3: targets with interim milestones):

    expected(t) = baseline + (target - baseline) * clip((t - start) / (deadline - start), 0, 1)

and an indicator is **achieved** when ``value >= target``, **on track** when
``value - baseline >= tolerance * (expected - baseline)`` (tolerance 0.9 by
default, ``on_track_tolerance`` in the YAML) before its deadline, **off track**
otherwise (on and after the deadline, whatever falls short of the target: the
tolerance allows for the pace of work towards a deadline, not for missing it)
and **no data** without a report. Annual indicators (events a year) compare the
current calendar year's total with ``target * (share of the year elapsed)``,
the year's deadline being 31 December. A deadline counts as reached on its own
day (the evaluation date is read as the end of that day).

How reported values add up depends on the indicator's ``kind``:

* ``cumulative`` (people trained): each CSV row is what one unit achieved in
  one report; rows up to the date are summed.
* ``stock`` (bases, teams, volunteers): each row is the unit's count on the
  row's date; the latest row of every unit is taken and the units are summed.
* ``annual`` (events a year): rows of the calendar year are summed.

**Partial reports.** When the plan names an indicator's ``reporters`` (the city's value is
the sum over them) and some of them have a current figure while others have none (for
``annual``: no row in the year; otherwise: no row within ``stale_after_days`` of the
evaluation date), the city total is incomplete: :attr:`IndicatorProgress.missing_units`
names the units without a figure. Nothing is imputed: a cumulative or stock indicator keeps
those units' last reported figures (their running total, their last count), an annual one
has nothing of them, so the total is what the units reported, usually less than the
truth. A partial total that reaches the target or the expected progress is **achieved**
or **on track** (the missing units can only add to a cumulative or annual total); one that
falls short is **incomplete** (数据不全), never **off track**: being behind cannot be told
from figures that are missing. When no reporter has a current figure, the indicator is
*no data* or *stale* as above.

File reading is confined to the two ``load_*`` functions; parsing and
evaluation are pure.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import numpy as np

from kesu.errors import KesuError
from kesu.tables import Table
from kesu.tables import TableError
from kesu.tables import parse_date
from kesu.tables import read_table
from kesu.yamlsource import ConfigError
from kesu.yamlsource import LineDict
from kesu.yamlsource import LineList
from kesu.yamlsource import check_keys
from kesu.yamlsource import load_yaml_text
from kesu.yamlsource import read_config_text
from questionnaires.model import Text
from reports.errors import CapacityError

logger = logging.getLogger(__name__)

#: the prefilled targets of Yiwu's plan
DEFAULT_CAPACITY_PLAN = Path(__file__).parent / "data" / "capacity.yaml"
#: an example of the CSV the responsible units fill in
EXAMPLE_CAPACITY_VALUES = Path(__file__).parent / "data" / "capacity-example.csv"
#: columns of the reported-values CSV (``note`` may be left out)
CSV_COLUMNS = ("indicator", "value", "date", "unit", "note")
_PLAN_KEYS = ("title", "source", "start", "on_track_tolerance", "indicators", "units", "tasks",
              "index")  # fmt: skip
_INDICATOR_KEYS = (
    "id", "label", "target", "unit", "kind", "deadline", "start", "baseline", "responsible",
    "family", "reporters", "max_per_unit",
)  # fmt: skip
_UNIT_KEYS = ("code", "name", "contact")
_TASK_KEYS = ("id", "label", "lead", "participants", "indicators")
_INDEX_KEYS = ("cap", "weights")
#: indicator families of the national science-popularisation statistics (全国科普统计):
#: people, funds, venues, media, activities
FAMILIES = ("people", "funds", "venues", "media", "activities")
#: the index weights when the plan gives none (equal)
EQUAL_WEIGHTS = {f: 1 / len(FAMILIES) for f in FAMILIES}


class IndicatorKind(enum.StrEnum):
    """How reported values of an indicator add up (see the module docstring)."""

    CUMULATIVE = "cumulative"
    STOCK = "stock"
    ANNUAL = "annual"


class ProgressStatus(enum.StrEnum):
    """Progress of an indicator against its target on a date."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    #: short of the expected progress while some reporting units have no figure: cannot be
    #: judged (never ``off_track`` because figures are missing; module docstring)
    INCOMPLETE = "incomplete"
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class CapacityIndicator:
    """One capacity target of the plan.

    Attributes:
        id: stable identifier used in the CSV.
        label: what is counted.
        target: the target value (by the deadline; per year for ``annual``).
        unit: unit of the value (persons, person-times, bases...).
        kind: cumulative, stock or annual.
        deadline: date by which the target is to be reached.
        start: date progress is counted from.
        baseline: value at ``start`` (stock indicators; 0 otherwise).
        responsible: the responsible unit.
        line: line of the indicator in the YAML file.
        family: people, funds, venues, media or activities (:data:`FAMILIES`).
        reporters: codes of the units that report it (:class:`CapacityUnit`).
        max_per_unit: the largest plausible value one unit reports (range check), or None.
    """

    id: str
    label: Text
    target: float
    unit: Text
    kind: IndicatorKind
    deadline: dt.date
    start: dt.date
    baseline: float
    responsible: Text
    line: int = 0
    family: str = "activities"
    reporters: tuple[str, ...] = ()
    max_per_unit: float | None = None

    def target_text(self, lang: str) -> str:
        """The target with its unit: ``1 round a year`` takes the unit's singular form
        (the plan's ``en-one``, CLDR's plural category "one") where the plan gives one.

        Example:
            >>> ind = load_capacity_plan().indicator("youth_monitoring")
            >>> ind.target_text("en"), ind.target_text("zh-CN")
            ('1 round a year', '1 次/年')
        """
        one = f"{lang}-one"
        unit = self.unit.get(lang)
        if self.target == 1 and one in self.unit.languages:
            unit = self.unit.get(one)
        return f"{self.target:,.0f} {unit}"


@dataclass(frozen=True, slots=True)
class CapacityUnit:
    """A member unit of the plan that reports (code, name, who to contact)."""

    code: str
    name: Text
    contact: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class CapacityTask:
    """A task of the plan (a key-group action or an infrastructure project)."""

    id: str
    label: Text
    lead: str
    participants: tuple[str, ...]
    indicators: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    """The capacity plan (a parsed ``capacity.yaml``): targets, units, tasks, index weights."""

    title: Text
    source: str
    start: dt.date
    tolerance: float
    indicators: tuple[CapacityIndicator, ...]
    file: str = ""
    units: tuple[CapacityUnit, ...] = ()
    tasks: tuple[CapacityTask, ...] = ()
    #: family -> weight of the capacity index (sums to 1)
    weights: Mapping[str, float] = field(default_factory=lambda: dict(EQUAL_WEIGHTS))
    #: the cap of an indicator's normalised value in the index
    cap: float = 1.0

    def unit(self, code: str) -> CapacityUnit:
        """The unit with this code (KeyError if none)."""
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)

    def indicators_of(self, code: str) -> tuple[CapacityIndicator, ...]:
        """The indicators unit ``code`` reports, in plan order."""
        return tuple(ind for ind in self.indicators if code in ind.reporters)

    def indicator(self, indicator_id: str) -> CapacityIndicator:
        """The indicator with this id (KeyError if none)."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)


@dataclass(frozen=True, slots=True)
class ReportedValue:
    """One row of the reported-values CSV."""

    indicator: str
    value: float
    date: dt.date
    unit: str
    note: str
    line: int


@dataclass(frozen=True, slots=True)
class IndicatorProgress:
    """An indicator's progress on ``as_of``.

    Attributes:
        indicator: the target.
        value: the achieved value (None without reports).
        expected: the value expected on ``as_of`` under linear progress.
        share: value / target (None without reports).
        expected_share: expected / target.
        status: achieved, on track, off track or no data.
        last_report: date of the latest report counted (None without reports).
        reports: number of CSV rows counted.
        stale: the latest report is older than the evaluation date by more than
            ``stale_after_days`` (the value is shown, flagged as out of date).
        missing_units: reporters of the indicator without a current figure while others
            have one (the value is a partial total; module docstring), in plan order.
    """

    indicator: CapacityIndicator
    value: float | None
    expected: float
    share: float | None
    expected_share: float
    status: ProgressStatus
    last_report: dt.date | None
    reports: int
    stale: bool = False
    missing_units: tuple[CapacityUnit, ...] = ()

    @property
    def partial(self) -> bool:
        """The value is a partial total: some reporting units have no current figure."""
        return self.value is not None and bool(self.missing_units)


# -- the targets (YAML) ----------------------------------------------------------------------


def _text(value: Any, where: str, file: str, line: int) -> Text:
    if isinstance(value, str) and value.strip():
        return Text.of(value)
    if isinstance(value, Mapping) and value and all(isinstance(v, str) for v in value.values()):
        return Text.of({str(k): str(v) for k, v in value.items()})
    raise CapacityError(
        f"{where} must be a text or {{zh-CN: ..., en: ...}}", file=file, line=line, got=value
    )


def _date(value: Any, where: str, file: str, line: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value))
    except ValueError:
        raise CapacityError(
            f"{where} is not a date", file=file, line=line, got=value, hint="write YYYY-MM-DD"
        ) from None


def _positive(value: Any, where: str, file: str, line: int, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise CapacityError(
            f"{where} must be a number {'>= 0' if allow_zero else '> 0'}",
            file=file,
            line=line,
            got=value,
        )
    return float(value)


def _unknown_keys(d: LineDict, allowed: tuple[str, ...], where: str, file: str) -> None:
    check_keys(d, allowed, where, error=CapacityError, file=file)


def parse_capacity_plan(text: str, file: str = "capacity.yaml") -> CapacityPlan:
    """Parse and check the capacity-target YAML text.

    Raises:
        CapacityError: naming the file and line of the first problem (unknown key,
            missing target, a date that is not ``YYYY-MM-DD``, duplicate ids...).

    Example:
        >>> plan = parse_capacity_plan(DEFAULT_CAPACITY_PLAN.read_text("utf-8"))
        >>> plan.indicator("kepu_bases").target
        150.0
    """
    try:
        data = load_yaml_text(text, file)
    except ConfigError as exc:
        raise CapacityError(exc.message, file=file, line=exc.line, hint=exc.hint) from None
    if not isinstance(data, LineDict):
        raise CapacityError("the file must be a mapping with indicators:", file=file, line=1)
    _unknown_keys(data, _PLAN_KEYS, "", file)
    start = _date(data.get("start", "2021-01-01"), "start", file, data.line_of("start"))
    tol = data.get("on_track_tolerance", 0.9)
    if not (isinstance(tol, int | float) and not isinstance(tol, bool) and 0 < tol <= 1):
        raise CapacityError(
            "on_track_tolerance must be in (0, 1]",
            file=file,
            line=data.line_of("on_track_tolerance"),
            got=tol,
        )
    entries = data.get("indicators")
    if not isinstance(entries, LineList) or not entries:
        raise CapacityError(
            "indicators: must be a non-empty list", file=file, line=data.line_of("indicators")
        )
    out: list[CapacityIndicator] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        line = entries.line_of(i)
        if not isinstance(entry, LineDict):
            raise CapacityError("each indicator must be a mapping", file=file, line=line)
        _unknown_keys(entry, _INDICATOR_KEYS, f"indicators[{i}]", file)
        for key in ("id", "label", "target", "deadline"):
            if key not in entry:
                raise CapacityError(f"indicator needs {key}:", file=file, line=entry.line)
        ind_id = entry["id"]
        if not isinstance(ind_id, str) or not ind_id.isidentifier():
            raise CapacityError(
                "id must be a name of letters, digits and _",
                file=file,
                line=entry.line_of("id"),
                got=ind_id,
            )
        if ind_id in seen:
            raise CapacityError(
                f"indicator id {ind_id!r} already used on line {seen[ind_id]}",
                file=file,
                line=entry.line_of("id"),
            )
        seen[ind_id] = entry.line_of("id")
        kind_text = entry.get("kind", "cumulative")
        try:
            kind = IndicatorKind(kind_text)
        except ValueError:
            raise CapacityError(
                "unknown kind",
                file=file,
                line=entry.line_of("kind"),
                got=kind_text,
                expected=" | ".join(k.value for k in IndicatorKind),
            ) from None
        ind_start = _date(entry.get("start", start), "start", file, entry.line_of("start"))
        deadline = _date(entry["deadline"], "deadline", file, entry.line_of("deadline"))
        if deadline <= ind_start:
            raise CapacityError(
                "deadline must be after the start",
                file=file,
                line=entry.line_of("deadline"),
                got=str(deadline),
                expected=f"after {ind_start}",
            )
        target = _positive(entry["target"], "target", file, entry.line_of("target"))
        unit = _text(entry.get("unit", "-"), "unit", file, entry.line_of("unit"))
        if target == 1 and "en" in unit.languages and "en-one" not in unit.languages:
            # the English report would print "1 rounds a year"
            raise CapacityError(
                f"indicator {ind_id}: a target of 1 needs the unit's English singular (en-one)",
                file=file,
                line=entry.line_of("unit"),
                got=unit.get("en"),
                hint="add en-one, e.g. {zh-CN: 次/年, en: rounds a year, en-one: round a year}",
            )
        baseline = _positive(
            entry.get("baseline", 0), "baseline", file, entry.line_of("baseline"), allow_zero=True
        )
        out.append(
            CapacityIndicator(
                id=ind_id,
                label=_text(entry["label"], "label", file, entry.line_of("label")),
                target=target,
                unit=unit,
                kind=kind,
                deadline=deadline,
                start=ind_start,
                baseline=baseline,
                responsible=_text(
                    entry.get("responsible", "-"), "responsible", file, entry.line_of("responsible")
                ),
                line=entry.line,
                family=_family(entry, file),
                reporters=_codes(entry, "reporters", file),
                max_per_unit=None
                if entry.get("max_per_unit") is None
                else _positive(
                    entry["max_per_unit"], "max_per_unit", file, entry.line_of("max_per_unit")
                ),
            )
        )
    units = _units(data, file)
    codes = {u.code for u in units}
    if units:
        for ind in out:
            for code in ind.reporters:
                if code not in codes:
                    raise CapacityError(
                        f"indicator {ind.id}: reporter {code!r} is not one of the units",
                        file=file,
                        line=ind.line,
                        expected=", ".join(sorted(codes)),
                    )
    tasks = _tasks(data, file, codes, {ind.id for ind in out})
    cap, weights = _index(data, file)
    return CapacityPlan(
        title=_text(data.get("title", "capacity"), "title", file, data.line_of("title")),
        source=str(data.get("source", "")),
        start=start,
        tolerance=float(tol),
        indicators=tuple(out),
        file=file,
        units=units,
        tasks=tasks,
        weights=weights,
        cap=cap,
    )


def _family(entry: LineDict, file: str) -> str:
    family = entry.get("family", "activities")
    if family not in FAMILIES:
        raise CapacityError(
            f"indicator {entry.get('id')}: unknown family",
            file=file,
            line=entry.line_of("family"),
            got=family,
            expected=" | ".join(FAMILIES),
        )
    return str(family)


def _codes(entry: LineDict, key: str, file: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CapacityError(
            f"{key} must be a list of unit codes", file=file, line=entry.line_of(key), got=value
        )
    return tuple(value)


def _units(data: LineDict, file: str) -> tuple[CapacityUnit, ...]:
    entries = data.get("units", LineList())
    if not isinstance(entries, LineList):
        raise CapacityError("units: must be a list", file=file, line=data.line_of("units"))
    out: list[CapacityUnit] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, LineDict):
            raise CapacityError("each unit must be a mapping", file=file, line=entries.line_of(i))
        _unknown_keys(entry, _UNIT_KEYS, f"units[{i}]", file)
        code = entry.get("code")
        if not isinstance(code, str) or not code.isidentifier() or code in seen:
            raise CapacityError(
                "unit code missing, not a name of letters, digits and _, or used twice",
                file=file,
                line=entry.line,
                got=code,
            )
        seen.add(code)
        name = _text(entry.get("name"), f"unit {code}: name", file, entry.line_of("name"))
        out.append(CapacityUnit(code, name, str(entry.get("contact", "")), entry.line))
    return tuple(out)


def _tasks(
    data: LineDict, file: str, codes: set[str], indicator_ids: set[str]
) -> tuple[CapacityTask, ...]:
    entries = data.get("tasks", LineList())
    if not isinstance(entries, LineList):
        raise CapacityError("tasks: must be a list", file=file, line=data.line_of("tasks"))
    out: list[CapacityTask] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, LineDict):
            raise CapacityError("each task must be a mapping", file=file, line=entries.line_of(i))
        _unknown_keys(entry, _TASK_KEYS, f"tasks[{i}]", file)
        task_id = str(entry.get("id", ""))
        lead = entry.get("lead")
        if lead not in codes:
            raise CapacityError(
                f"task {task_id}: lead unit is not one of the units",
                file=file,
                line=entry.line_of("lead"),
                got=lead,
                expected=", ".join(sorted(codes)),
            )
        participants = _codes(entry, "participants", file)
        for code in participants:
            if code not in codes:
                raise CapacityError(
                    f"task {task_id}: participant {code!r} is not one of the units",
                    file=file,
                    line=entry.line_of("participants"),
                )
        inds = _codes(entry, "indicators", file)
        for ind_id in inds:
            if ind_id not in indicator_ids:
                raise CapacityError(
                    f"task {task_id}: indicator {ind_id!r} is not in indicators",
                    file=file,
                    line=entry.line_of("indicators"),
                )
        label = _text(entry.get("label"), f"task {task_id}: label", file, entry.line_of("label"))
        out.append(CapacityTask(task_id, label, str(lead), participants, inds, entry.line))
    return tuple(out)


def _index(data: LineDict, file: str) -> tuple[float, dict[str, float]]:
    block = data.get("index")
    if block is None:
        return 1.0, dict(EQUAL_WEIGHTS)
    _unknown_keys(block, _INDEX_KEYS, "index", file)
    cap = block.get("cap", 1.0)
    if not (isinstance(cap, int | float) and not isinstance(cap, bool) and cap >= 1):
        raise CapacityError(
            "index.cap must be a number >= 1", file=file, line=block.line_of("cap"), got=cap
        )
    raw = block.get("weights", EQUAL_WEIGHTS)
    line = block.line_of("weights") if isinstance(block, LineDict) else 0
    if not isinstance(raw, Mapping) or set(raw) != set(FAMILIES):
        raise CapacityError(
            "index.weights must give a weight to each family",
            file=file,
            line=line,
            got=sorted(raw) if isinstance(raw, Mapping) else raw,
            expected=", ".join(FAMILIES),
        )
    weights = {f: _positive(raw[f], f"index.weights.{f}", file, line) for f in FAMILIES}
    total = sum(weights.values())
    return float(cap), {f: w / total for f, w in weights.items()}


def load_capacity_plan(path: str | Path = DEFAULT_CAPACITY_PLAN) -> CapacityPlan:
    """Read a capacity-target YAML file (default: the plan's prefilled targets).

    Raises:
        CapacityError: unreadable file or invalid content (file and line named).

    Example:
        >>> load_capacity_plan().indicator("volunteers").target
        1500.0
    """
    p = Path(path)
    try:
        text = read_config_text(p, "capacity targets file")
    except ConfigError as exc:
        raise CapacityError(exc.message, file=str(p), hint=exc.hint) from None
    return parse_capacity_plan(text, str(p))


# -- the reported values (CSV) ---------------------------------------------------------------


def parse_capacity_values(
    text: str, plan: CapacityPlan, file: str = "capacity.csv"
) -> tuple[ReportedValue, ...]:
    """Parse and check reported-values CSV text (see :func:`capacity_values_from_table`).

    Example:
        >>> plan = load_capacity_plan()
        >>> rows = parse_capacity_values(
        ...     "indicator,value,date,unit\\nkepu_bases,12,2024-06-30,稠城街道\\n", plan)
        >>> rows[0].value
        12.0
    """
    try:
        table = read_table(text.encode("utf-8"), name=file, what="capacity values")
    except TableError as exc:
        raise _capacity_error(exc) from None
    return capacity_values_from_table(table, plan)


def _capacity_error(exc: KesuError) -> CapacityError:
    return CapacityError(
        exc.message,
        file=exc.file,
        line=exc.line,
        row=exc.row,
        column=exc.column,
        got=exc.got,
        expected=exc.expected,
        hint=exc.hint,
    )


def capacity_values_from_table(table: Table, plan: CapacityPlan) -> tuple[ReportedValue, ...]:
    """Check the reported values (columns :data:`CSV_COLUMNS`; ``note`` may be left out).

    Values follow the table layer's number rule (``1,200`` and full-width digits are
    numbers) and must be >= 0; dates may be written ``2024-06-30`` or as Excel on
    Chinese Windows writes them (``2024/6/30``).

    Raises:
        CapacityError: naming file, row and column (unknown indicator, a value that
            is not a number >= 0, a date that is not a date, no unit...).
    """
    file = table.source
    for name in table.order:
        if name not in CSV_COLUMNS:
            raise CapacityError(
                "unknown column", file=file, row=1, column=name, expected=", ".join(CSV_COLUMNS)
            )
    for name in CSV_COLUMNS[:4]:
        if name not in table:
            raise CapacityError(
                f"missing column {name!r}", file=file, row=1, expected=", ".join(CSV_COLUMNS)
            )
    try:
        values = table.numeric("value", allow_missing=True)
    except TableError as exc:
        raise _capacity_error(exc) from None
    indicators = table.labels("indicator")
    dates = table.labels("date")
    units = table.labels("unit")
    notes = table.labels("note") if "note" in table else np.full(table.n_rows, "")
    ids = {ind.id for ind in plan.indicators}
    out: list[ReportedValue] = []
    for i in range(table.n_rows):
        row = table.row_number(i)
        ind = str(indicators[i])
        if ind not in ids:
            raise CapacityError(
                "unknown indicator",
                file=file,
                row=row,
                column="indicator",
                got=ind,
                expected=", ".join(sorted(ids)),
            )
        value = float(values[i])
        if not math.isfinite(value) or value < 0:
            raise CapacityError(
                "not a number >= 0",
                file=file,
                row=row,
                column="value",
                got=None if math.isnan(value) else value,
                hint="write plain digits, e.g. 1200",
            )
        try:
            date = parse_date(str(dates[i]))
        except ValueError:
            raise CapacityError(
                "not a date",
                file=file,
                row=row,
                column="date",
                got=str(dates[i]),
                hint="write YYYY-MM-DD, e.g. 2024-06-30",
            ) from None
        if not units[i]:
            raise CapacityError(
                "empty", file=file, row=row, column="unit", hint="name the reporting unit"
            )
        out.append(ReportedValue(ind, value, date, str(units[i]), str(notes[i]), row))
    return tuple(out)


def load_capacity_values(path: str | Path, plan: CapacityPlan) -> tuple[ReportedValue, ...]:
    """Read a reported-values table (CSV in any encoding, .xlsx or Parquet, by
    :mod:`kesu.tables`); see :func:`capacity_values_from_table`.

    Example:
        >>> len(load_capacity_values(EXAMPLE_CAPACITY_VALUES, load_capacity_plan()))
        20
    """
    try:
        table = read_table(path, what="capacity values")
    except TableError as exc:
        raise _capacity_error(exc) from None
    return capacity_values_from_table(table, plan)


# -- progress --------------------------------------------------------------------------------


def _elapsed_share(start: dt.date, end: dt.date, on: dt.date) -> float:
    span = (end - start).days
    return min(max((on - start).days / span, 0.0), 1.0) if span > 0 else 1.0


def _achieved(ind: CapacityIndicator, rows: Sequence[ReportedValue], as_of: dt.date) -> float:
    if ind.kind is IndicatorKind.STOCK:
        latest: dict[str, ReportedValue] = {}
        for r in rows:
            if r.unit not in latest or r.date >= latest[r.unit].date:
                latest[r.unit] = r
        return ind.baseline + sum(r.value for r in latest.values())
    if ind.kind is IndicatorKind.ANNUAL:
        return sum(r.value for r in rows if r.date.year == as_of.year)
    return ind.baseline + sum(r.value for r in rows)


#: a report older than this (days before the evaluation date) is flagged as out of date
STALE_AFTER_DAYS = 183


def missing_reporters(
    plan: CapacityPlan,
    ind: CapacityIndicator,
    rows: Sequence[ReportedValue],
    as_of: dt.date,
    stale_after_days: int = STALE_AFTER_DAYS,
) -> tuple[CapacityUnit, ...]:
    """The reporters of ``ind`` without a current figure among the counted ``rows``, when
    at least one of them has one (else ``()``: no data, or out of date as a whole).

    A row belongs to a unit when its ``unit`` is the unit's code or one of its names; it
    is current when dated within ``stale_after_days`` of ``as_of`` (annual indicators:
    any counted row, the rows being those of ``as_of``'s year).

    Example:
        >>> plan = load_capacity_plan()
        >>> rows = parse_capacity_values(
        ...     "indicator,value,date,unit\\nelderly_trained,60800,2025-12-31,市民政局\\n", plan)
        >>> [u.code for u in missing_reporters(plan, plan.indicator("elderly_trained"),
        ...                                     rows, dt.date(2025, 12, 31))]
        ['lgb']
    """
    codes = {u.code for u in plan.units}
    units = [plan.unit(c) for c in ind.reporters if c in codes]
    if not units:
        return ()
    current = {
        r.unit
        for r in rows
        if ind.kind is IndicatorKind.ANNUAL or (as_of - r.date).days <= stale_after_days
    }
    missing = tuple(
        u for u in units if not current & {u.code, *(text for _, text in u.name.values)}
    )
    return missing if len(missing) < len(units) else ()


def evaluate_capacity(
    plan: CapacityPlan,
    values: Sequence[ReportedValue],
    as_of: dt.date,
    *,
    stale_after_days: int = STALE_AFTER_DAYS,
) -> tuple[IndicatorProgress, ...]:
    """Progress of every indicator on ``as_of`` (rows dated later are ignored).

    Formula: module docstring (linear expected progress, tolerance from the plan).
    Missing stays missing: an indicator without a report counted on ``as_of``
    (for ``annual`` indicators: none in ``as_of``'s year) is **no data**, never 0;
    a latest report more than ``stale_after_days`` before ``as_of`` is flagged
    ``stale`` (half a year by default: the plan's units report twice a year); a total
    some of whose reporting units have no current figure names them (``missing_units``)
    and is **incomplete** rather than off track (module docstring, "Partial reports").

    Args:
        plan: the targets.
        values: reported values (any order).
        as_of: the evaluation date (usually the report date).
        stale_after_days: age of the latest report beyond which it is out of date.

    Returns:
        One :class:`IndicatorProgress` per indicator, in plan order.

    Example:
        >>> plan = load_capacity_plan()
        >>> rows = parse_capacity_values(
        ...     "indicator,value,date,unit\\nkepu_bases,150,2024-06-30,市科协\\n", plan)
        >>> p = evaluate_capacity(plan, rows, dt.date(2024, 7, 1))
        >>> [x.status.value for x in p if x.indicator.id == "kepu_bases"]
        ['achieved']
    """
    out = []
    for ind in plan.indicators:
        rows = [r for r in values if r.indicator == ind.id and r.date <= as_of]
        if ind.kind is IndicatorKind.ANNUAL:
            rows = [r for r in rows if r.date.year == as_of.year]
            year_start = dt.date(as_of.year, 1, 1)
            # the year's deadline is 31 December: on it the whole target is due (with
            # 1 January of the next year as the end, 31 December was 364/365 = 99.7%)
            share = _elapsed_share(year_start, dt.date(as_of.year, 12, 31), as_of)
            expected = ind.target * share
            base = 0.0
        else:
            share = _elapsed_share(ind.start, ind.deadline, as_of)
            expected = ind.baseline + (ind.target - ind.baseline) * share
            base = ind.baseline
        missing: tuple[CapacityUnit, ...] = ()
        if not rows:
            status, value, ratio, last = ProgressStatus.NO_DATA, None, None, None
        else:
            value = _achieved(ind, rows, as_of)
            ratio = value / ind.target
            last = max(r.date for r in rows)
            missing = missing_reporters(plan, ind, rows, as_of, stale_after_days)
            if value >= ind.target:
                status = ProgressStatus.ACHIEVED
            elif share < 1.0 and value - base >= plan.tolerance * (expected - base):
                status = ProgressStatus.ON_TRACK
            elif missing:
                status = ProgressStatus.INCOMPLETE
            else:
                status = ProgressStatus.OFF_TRACK
        stale = last is not None and (as_of - last).days > stale_after_days
        out.append(
            IndicatorProgress(
                indicator=ind,
                value=value,
                expected=expected,
                share=ratio,
                expected_share=expected / ind.target,
                status=status,
                last_report=last,
                reports=len(rows),
                stale=stale,
                missing_units=missing,
            )
        )
    return tuple(out)
