"""Capacity reporting rounds, pure: the checks of a unit's figures, accepted submissions as
reported values, each unit's completeness and timeliness, and the composite capacity index.

No web or database here (``survey/capacity/`` stores rounds and submissions and calls
these functions; ``kesu demo`` and the report call them on a round file).

**Checks** (:func:`check_values`), per indicator a unit reports, against the unit's
values of the previous accepted round:

* ``number`` - the value is a number (a blank is *missing*, never 0);
* ``negative`` - the value is >= 0;
* ``range`` - the value is at most the indicator's ``max_per_unit``;
* ``missing_note`` - a value left blank on submission needs a note saying why;
* ``stock_fall`` - a stock (bases, teams, volunteers) below last round needs a note;
* ``cumulative_back`` - a cumulative count (the running total since the plan's start)
  cannot fall below last round's total;
* ``outlier`` - an annual value, or a cumulative count's increase, more than
  :data:`OUTLIER_FACTOR` times or less than 1/:data:`OUTLIER_FACTOR` of last year's is
  asked to be confirmed (a confirmation, not an error).

**Reported values** (:func:`accepted_values`): stock and annual values are taken as
they are, dated the round's period end; a cumulative running total becomes the increase
over the unit's previous accepted total, so :func:`reports.capacity.evaluate_capacity`
(which sums cumulative rows) gives back the latest total.

**Capacity index** (:func:`capacity_index`), in the spirit of the national
科普能力发展指数 (a weighted composite of normalised indicators by family)::

    s_i = min(v_i / T_i, cap)                      (indicator i with a value; T_i its target)
    F_f = mean of s_i over the indicators of family f that have a value
    I   = 100 * sum_f w_f F_f / sum_f w_f          (over families with at least one value)

with the family weights ``w_f`` and ``cap`` of the plan's ``index:`` block. Missing
indicators are left out (never 0); the coverage (indicators with a value / all, and the
families without any) is reported with the index. :func:`weight_sensitivity` recomputes
the index with each family weight halved and increased by half (the others rescaled to
sum to 1) and with equal weights.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import numpy as np

from questionnaires.model import Text
from reports.capacity import FAMILIES
from reports.capacity import CapacityIndicator
from reports.capacity import CapacityPlan
from reports.capacity import IndicatorKind
from reports.capacity import IndicatorProgress
from reports.capacity import ReportedValue
from reports.capacity import parse_capacity_plan
from reports.errors import CapacityError

#: an annual value (or a cumulative increase) beyond this factor of last year's is an outlier
OUTLIER_FACTOR = 2.0


class SubmissionStatus(enum.StrEnum):
    """Where a unit's submission is in the review."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class EnteredValue:
    """One figure a unit enters: ``value`` None is missing (never 0)."""

    value: float | None
    note: str = ""
    confirmed: bool = False


#: check messages (zh-CN first, English second); {placeholders} from ``CheckIssue.params``
MESSAGES: dict[str, dict[str, str]] = {
    "number": {"zh-CN": "不是数字：{got}", "en": "not a number: {got}"},
    "negative": {"zh-CN": "不能为负数", "en": "cannot be negative"},
    "range": {"zh-CN": "超出合理范围（最大 {max}）", "en": "out of range (at most {max})"},
    "missing_note": {
        "zh-CN": "未填数值时请在说明中写明原因",
        "en": "a value left blank needs a note saying why",
    },
    "stock_fall": {
        "zh-CN": "存量指标比上期（{previous}）减少，请在说明中写明原因",
        "en": "a stock below last round ({previous}) needs a note",
    },
    "cumulative_back": {
        "zh-CN": "累计数不能小于上期（{previous}）",
        "en": "a cumulative count cannot fall below last round ({previous})",
    },
    "outlier": {
        "zh-CN": "与上年（{previous}）相差超过{factor}倍，请核实后勾选确认",
        "en": "more than {factor} times off last year ({previous}): check and confirm",
    },
}


@dataclass(frozen=True, slots=True)
class CheckIssue:
    """A problem of one entered figure.

    Attributes:
        indicator: the indicator's id.
        rule: ``number``, ``negative``, ``range``, ``missing_note``, ``stock_fall``,
            ``cumulative_back`` or ``outlier``.
        blocking: False for ``outlier`` (confirming it lets the submission through).
        params: values of the message's placeholders.
    """

    indicator: str
    rule: str
    blocking: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "zh-CN") -> str:
        """The message in ``lang`` (zh-CN when unknown)."""
        texts = MESSAGES[self.rule]
        return texts.get(lang, texts["zh-CN"]).format(**self.params)


def parse_entry(text: str) -> float | None:
    """A figure typed in a form or cell: blank -> None; ``1,200`` and full-width digits
    are numbers (the table layer's rule). Raises ValueError for anything else."""
    from kesu.tables import is_missing
    from kesu.tables import parse_number

    if text is None or is_missing(str(text)):
        return None
    number = parse_number(str(text))
    if number is None or not math.isfinite(number):
        raise ValueError(text)
    return float(number)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


def check_value(
    ind: CapacityIndicator,
    entry: EnteredValue,
    previous: float | None,
    before_previous: float | None = None,
    *,
    submitting: bool = True,
) -> list[CheckIssue]:
    """The issues of one figure (rules: module docstring).

    Args:
        ind: the indicator.
        entry: what the unit entered.
        previous: the unit's value in its previous accepted round (None: none).
        before_previous: the value of the round before that (cumulative increases).
        submitting: a draft is saved with missing values and unconfirmed outliers.

    Example:
        >>> from reports.capacity import load_capacity_plan
        >>> ind = load_capacity_plan().indicator("kepu_bases")
        >>> [i.rule for i in check_value(ind, EnteredValue(40), previous=45)]
        ['stock_fall']
    """
    out: list[CheckIssue] = []
    v = entry.value
    if v is None:
        if submitting and not entry.note.strip():
            out.append(CheckIssue(ind.id, "missing_note"))
        return out
    if v < 0:
        return [CheckIssue(ind.id, "negative")]
    if ind.max_per_unit is not None and v > ind.max_per_unit:
        out.append(CheckIssue(ind.id, "range", params={"max": _fmt(ind.max_per_unit)}))
    if previous is not None:
        if ind.kind is IndicatorKind.STOCK and v < previous and not entry.note.strip():
            out.append(CheckIssue(ind.id, "stock_fall", params={"previous": _fmt(previous)}))
        if ind.kind is IndicatorKind.CUMULATIVE and v < previous:
            out.append(CheckIssue(ind.id, "cumulative_back", params={"previous": _fmt(previous)}))
        now, last = v, previous
        if ind.kind is IndicatorKind.CUMULATIVE:
            now = v - previous
            last = previous - before_previous if before_previous is not None else math.nan
        if (
            ind.kind is not IndicatorKind.STOCK
            and math.isfinite(last)
            and last > 0
            and now >= 0
            and (now > OUTLIER_FACTOR * last or now < last / OUTLIER_FACTOR)
            and not entry.confirmed
            and submitting
        ):
            params = {"previous": _fmt(last), "factor": f"{OUTLIER_FACTOR:g}"}
            out.append(CheckIssue(ind.id, "outlier", blocking=False, params=params))
    return out


def check_values(
    plan: CapacityPlan,
    unit: str,
    entries: Mapping[str, EnteredValue],
    previous: Mapping[str, float],
    before_previous: Mapping[str, float] | None = None,
    *,
    submitting: bool = True,
) -> list[CheckIssue]:
    """The issues of every indicator ``unit`` reports (plan order); indicators without an
    entry count as blank."""
    before = before_previous or {}
    out: list[CheckIssue] = []
    for ind in plan.indicators_of(unit):
        entry = entries.get(ind.id, EnteredValue(None))
        out += check_value(
            ind, entry, previous.get(ind.id), before.get(ind.id), submitting=submitting
        )
    return out


# -- a round's record (what the database holds, as plain data) -------------------------------


@dataclass(frozen=True, slots=True)
class Submission:
    """One version of a unit's figures in a round."""

    unit: str
    version: int
    status: SubmissionStatus
    values: Mapping[str, EnteredValue]
    submitted_at: dt.datetime | None = None
    reviewed_at: dt.datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """A reporting round: its year, due date, and every unit's submissions."""

    name: str
    year: int
    due: dt.date
    submissions: tuple[Submission, ...]
    closed: bool = False

    @property
    def period_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    def latest(self, unit: str) -> Submission | None:
        """The unit's latest version (None: nothing entered)."""
        mine = [s for s in self.submissions if s.unit == unit]
        return max(mine, key=lambda s: s.version) if mine else None

    def accepted(self, unit: str) -> Submission | None:
        """The unit's latest accepted version (a correction after acceptance is a newer
        version; until it is accepted, the last accepted one counts)."""
        mine = [s for s in self.submissions if s.unit == unit and s.status == "accepted"]
        return max(mine, key=lambda s: s.version) if mine else None


def accepted_values(plan: CapacityPlan, rounds: Sequence[RoundRecord]) -> tuple[ReportedValue, ...]:
    """Accepted submissions of ``rounds`` as reported values (module docstring: a
    cumulative running total becomes its increase over the unit's previous total)."""
    out: list[ReportedValue] = []
    last_total: dict[tuple[str, str], float] = {}
    for rnd in sorted(rounds, key=lambda r: r.year):
        for unit in plan.units:
            sub = rnd.accepted(unit.code)
            if sub is None:
                continue
            for ind in plan.indicators_of(unit.code):
                entry = sub.values.get(ind.id)
                if entry is None or entry.value is None:
                    continue
                value = entry.value
                if ind.kind is IndicatorKind.CUMULATIVE:
                    key = (unit.code, ind.id)
                    value, last_total[key] = value - last_total.get(key, 0.0), value
                out.append(
                    ReportedValue(ind.id, value, rnd.period_end, unit.name.get(), entry.note, 0)
                )
    return tuple(out)


def previous_values(
    plan: CapacityPlan, rounds: Sequence[RoundRecord], unit: str, year: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The unit's accepted values of the last two rounds before ``year`` (for the checks)."""
    earlier = sorted((r for r in rounds if r.year < year), key=lambda r: -r.year)
    found: list[dict[str, float]] = []
    for rnd in earlier:
        sub = rnd.accepted(unit)
        if sub is not None:
            found.append({k: e.value for k, e in sub.values.items() if e.value is not None})
        if len(found) == 2:
            break
    found += [{}, {}]
    return found[0], found[1]


@dataclass(frozen=True, slots=True)
class UnitStatus:
    """A unit's reporting in a round.

    Attributes:
        status: ``not_started`` or the latest version's :class:`SubmissionStatus`.
        first_submitted: when the unit first submitted (None: never).
        accepted_at: when its accepted version was accepted.
        on_time: first submitted on or before the due date (None: not submitted).
        overdue: not submitted and the due date has passed.
        completeness: share of its indicators with a value in its latest version.
        returns: how many times it was returned.
    """

    code: str
    name: str
    contact: str
    status: str
    first_submitted: dt.datetime | None
    accepted_at: dt.datetime | None
    on_time: bool | None
    overdue: bool
    completeness: float
    indicators: int
    returns: int
    #: the unit's name in every language (``name`` is the zh-CN one)
    label: Text | None = None


def unit_statuses(plan: CapacityPlan, rnd: RoundRecord, today: dt.date) -> tuple[UnitStatus, ...]:
    """Completeness and timeliness of every unit that reports something (plan order)."""
    out = []
    for unit in plan.units:
        inds = plan.indicators_of(unit.code)
        if not inds:
            continue
        mine = [s for s in rnd.submissions if s.unit == unit.code]
        latest = rnd.latest(unit.code)
        sent = [s.submitted_at for s in mine if s.submitted_at is not None]
        first = min(sent) if sent else None
        accepted = rnd.accepted(unit.code)
        filled = 0
        if latest is not None:
            filled = sum(
                1
                for i in inds
                if (e := latest.values.get(i.id)) is not None and e.value is not None
            )
        out.append(
            UnitStatus(
                code=unit.code,
                name=unit.name.get(),
                contact=unit.contact,
                status="not_started" if latest is None else latest.status.value,
                first_submitted=first,
                accepted_at=accepted.reviewed_at if accepted else None,
                on_time=None if first is None else first.date() <= rnd.due,
                overdue=first is None and today > rnd.due,
                completeness=filled / len(inds),
                indicators=len(inds),
                returns=sum(1 for s in mine if s.status == "returned"),
                label=unit.name,
            )
        )
    return tuple(out)


#: reminder text for an overdue unit (zh-CN first; {placeholders} filled in)
REMINDER = {
    "zh-CN": (
        "{unit}：您好！《{plan}》{round}能力建设指标填报已于{due}截止，贵单位尚未提交"
        "（需填报{n}项指标）。请登录 kesu 填报或上传 Excel 模板，如有困难请联系市科协。"
    ),
    "en": (
        "{unit}: the capacity figures of {round} ({plan}) were due on {due}; your unit has "
        "not submitted them yet ({n} indicators). Please log in to kesu or upload the Excel "
        "template, or contact the Association for Science and Technology."
    ),
}


def reminder_text(
    plan: CapacityPlan, rnd: RoundRecord, unit: UnitStatus, lang: str = "zh-CN"
) -> str:
    """A reminder ready to send to an overdue unit."""
    template = REMINDER.get(lang, REMINDER["zh-CN"])
    return template.format(
        unit=unit.name,
        plan=plan.title.get(lang),
        round=rnd.name,
        due=rnd.due.isoformat(),
        n=unit.indicators,
    )


# -- the capacity index ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapacityIndex:
    """The composite index (module docstring) and what it covers.

    Attributes:
        value: the index (0-100 x cap), None when no indicator has a value.
        families: family -> its score F_f (None: no indicator of the family has a value).
        scores: indicator id -> s_i (indicators with a value only).
        weights: the family weights used.
        covered: indicators with a value; total: all indicators.
    """

    value: float | None
    families: Mapping[str, float | None]
    scores: Mapping[str, float]
    weights: Mapping[str, float]
    covered: int
    total: int

    @property
    def missing_families(self) -> tuple[str, ...]:
        return tuple(f for f, s in self.families.items() if s is None)


def capacity_index(
    progress: Sequence[IndicatorProgress], weights: Mapping[str, float], cap: float = 1.0
) -> CapacityIndex:
    """The capacity index of evaluated indicators (formula: module docstring).

    Example:
        >>> from reports.capacity import load_capacity_plan, evaluate_capacity
        >>> plan = load_capacity_plan()
        >>> capacity_index(evaluate_capacity(plan, (), dt.date(2025, 12, 31)), plan.weights).value
    """
    scores: dict[str, float] = {}
    by_family: dict[str, list[float]] = {f: [] for f in FAMILIES}
    for p in progress:
        if p.value is None:
            continue
        s = min(p.value / p.indicator.target, cap)
        scores[p.indicator.id] = s
        by_family.setdefault(p.indicator.family, []).append(s)
    families = {f: (float(np.mean(v)) if v else None) for f, v in by_family.items()}
    present = [f for f, s in families.items() if s is not None]
    total_w = sum(weights.get(f, 0.0) for f in present)
    value = None
    if present and total_w > 0:
        value = 100 * sum(weights.get(f, 0.0) * (families[f] or 0.0) for f in present) / total_w
    return CapacityIndex(value, families, scores, dict(weights), len(scores), len(progress))


@dataclass(frozen=True, slots=True)
class SensitivityRow:
    """The index under one set of weights."""

    scenario: str
    family: str
    factor: float
    weights: Mapping[str, float]
    value: float | None
    change: float | None


def weight_sensitivity(
    progress: Sequence[IndicatorProgress], weights: Mapping[str, float], cap: float = 1.0
) -> tuple[SensitivityRow, ...]:
    """The index with the configured weights, equal weights, and each family's weight
    times 0.5 and 1.5 (the weights then rescaled to sum to 1); ``change`` is the
    difference from the configured index."""
    base = capacity_index(progress, weights, cap).value
    rows: list[SensitivityRow] = []

    def add(scenario: str, family: str, factor: float, w: Mapping[str, float]) -> None:
        total = sum(w.values())
        w = {f: x / total for f, x in w.items()}
        v = capacity_index(progress, w, cap).value
        change = None if v is None or base is None else v - base
        rows.append(SensitivityRow(scenario, family, factor, w, v, change))

    add("configured", "", 1.0, weights)
    add("equal", "", 1.0, dict.fromkeys(FAMILIES, 1.0))
    for f in FAMILIES:
        for factor in (0.5, 1.5):
            add(
                "family",
                f,
                factor,
                {g: x * (factor if g == f else 1.0) for g, x in weights.items()},
            )
    return tuple(rows)


# -- round files (JSON: what `kesu capacity status --json` and the demo write) ----------------


def round_to_dict(rnd: RoundRecord) -> dict[str, Any]:
    """A round as JSON-ready data (read back by :func:`round_from_dict`)."""

    def when(x: dt.datetime | None) -> str | None:
        return None if x is None else x.isoformat()

    return {
        "name": rnd.name,
        "year": rnd.year,
        "due": rnd.due.isoformat(),
        "closed": rnd.closed,
        "submissions": [
            {
                "unit": s.unit,
                "version": s.version,
                "status": s.status.value,
                "submitted_at": when(s.submitted_at),
                "reviewed_at": when(s.reviewed_at),
                "reason": s.reason,
                "values": {
                    k: {"value": e.value, "note": e.note, "confirmed": e.confirmed}
                    for k, e in s.values.items()
                },
            }
            for s in rnd.submissions
        ],
    }


def round_from_dict(data: Mapping[str, Any], file: str = "round.json") -> RoundRecord:
    """Read back :func:`round_to_dict` (CapacityError naming the file and the field)."""
    try:
        subs = tuple(
            Submission(
                unit=str(s["unit"]),
                version=int(s["version"]),
                status=SubmissionStatus(s["status"]),
                values={
                    str(k): EnteredValue(
                        None if e["value"] is None else float(e["value"]),
                        str(e.get("note", "")),
                        bool(e.get("confirmed", False)),
                    )
                    for k, e in s["values"].items()
                },
                submitted_at=None
                if s.get("submitted_at") is None
                else dt.datetime.fromisoformat(s["submitted_at"]),
                reviewed_at=None
                if s.get("reviewed_at") is None
                else dt.datetime.fromisoformat(s["reviewed_at"]),
                reason=str(s.get("reason", "")),
            )
            for s in data["submissions"]
        )
        return RoundRecord(
            name=str(data["name"]),
            year=int(data["year"]),
            due=dt.date.fromisoformat(str(data["due"])),
            submissions=subs,
            closed=bool(data.get("closed", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CapacityError(f"not a capacity round file: {exc!r}", file=file) from None


def load_rounds(path: str | Path) -> tuple[RoundRecord, ...]:
    """Read a rounds file: ``{"rounds": [round, ...]}`` (JSON)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise CapacityError(f"cannot read the capacity rounds file: {exc}", file=str(p)) from None
    if not isinstance(data, dict) or not isinstance(data.get("rounds"), list):
        raise CapacityError('expected {"rounds": [...]}', file=str(p))
    return tuple(round_from_dict(r, str(p)) for r in data["rounds"])


# -- the report's view of a round --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundSummary:
    """What the report's capacity chapter shows about the latest round."""

    name: str
    year: int
    due: dt.date
    units: tuple[UnitStatus, ...]
    index: CapacityIndex
    sensitivity: tuple[SensitivityRow, ...]
    cap: float = 1.0


def summarise_round(
    plan: CapacityPlan,
    rounds: Sequence[RoundRecord],
    progress: Sequence[IndicatorProgress],
    today: dt.date,
) -> RoundSummary:
    """The latest round's unit statuses, the index and its weight sensitivity."""
    rnd = max(rounds, key=lambda r: r.year)
    return RoundSummary(
        name=rnd.name,
        year=rnd.year,
        due=rnd.due,
        units=unit_statuses(plan, rnd, today),
        index=capacity_index(progress, plan.weights, plan.cap),
        sensitivity=weight_sensitivity(progress, plan.weights, plan.cap),
        cap=plan.cap,
    )


def plan_from_text(text: str, file: str) -> CapacityPlan:
    """The plan stored with a round (its file text)."""
    return parse_capacity_plan(text, file)
