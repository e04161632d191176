"""Capacity rounds, pure: each check rule, accepted values, units' timeliness, the index
against a hand computation, missing is never zero, the weight sensitivity, the plan's
validation (file, line, indicator) and the Excel template's round trip (errors by cell)."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest

from reports.capacity import DEFAULT_CAPACITY_PLAN
from reports.capacity import ProgressStatus
from reports.capacity import evaluate_capacity
from reports.capacity import load_capacity_plan
from reports.capacity import parse_capacity_plan
from reports.capacity_demo import demo_rounds
from reports.capacity_round import EnteredValue
from reports.capacity_round import RoundRecord
from reports.capacity_round import Submission
from reports.capacity_round import SubmissionStatus
from reports.capacity_round import accepted_values
from reports.capacity_round import capacity_index
from reports.capacity_round import check_value
from reports.capacity_round import parse_entry
from reports.capacity_round import reminder_text
from reports.capacity_round import round_from_dict
from reports.capacity_round import round_to_dict
from reports.capacity_round import unit_statuses
from reports.capacity_round import weight_sensitivity
from reports.capacity_workbook import import_template
from reports.capacity_workbook import template_xlsx
from reports.errors import CapacityError

PLAN = """\
title: test
start: 2021-01-01
units:
  - {code: a, name: Unit A, contact: "0579-1"}
  - {code: b, name: Unit B}
index:
  weights: {people: 2, funds: 1, venues: 1, media: 0.5, activities: 0.5}
indicators:
  - {id: trained, label: trained, target: 1000, kind: cumulative, deadline: 2025-12-31,
     family: activities, reporters: [a], max_per_unit: 5000}
  - {id: bases, label: bases, target: 100, kind: stock, deadline: 2025-12-31,
     family: venues, reporters: [a, b]}
  - {id: volunteers, label: volunteers, target: 400, kind: stock, deadline: 2025-12-31,
     family: people, reporters: [b]}
  - {id: events, label: events, target: 50, kind: annual, deadline: 2025-12-31,
     family: activities, reporters: [b]}
  - {id: funds, label: funds, target: 200, kind: annual, deadline: 2025-12-31,
     family: funds, reporters: [a]}
"""


@pytest.fixture
def plan():
    return parse_capacity_plan(PLAN, "plan.yaml")


def _rules(issues):
    return [(i.rule, i.blocking) for i in issues]


# -- each check rule ------------------------------------------------------------------------


def test_number_rule_blank_is_missing_not_zero():
    assert parse_entry("") is None and parse_entry("  ") is None
    assert parse_entry("1,200") == 1200 and parse_entry("１２") == 12
    with pytest.raises(ValueError):
        parse_entry("lots")


def test_negative_and_range(plan):
    trained = plan.indicator("trained")
    assert _rules(check_value(trained, EnteredValue(-1), None)) == [("negative", True)]
    assert _rules(check_value(trained, EnteredValue(5001), None)) == [("range", True)]
    assert check_value(trained, EnteredValue(5000), None) == []


def test_missing_needs_a_note_on_submission_only(plan):
    bases = plan.indicator("bases")
    assert _rules(check_value(bases, EnteredValue(None), 10)) == [("missing_note", True)]
    assert check_value(bases, EnteredValue(None), 10, submitting=False) == []
    assert check_value(bases, EnteredValue(None, "not counted yet"), 10) == []


def test_stock_cannot_fall_without_a_note(plan):
    bases = plan.indicator("bases")
    issue = check_value(bases, EnteredValue(8), 10)
    assert _rules(issue) == [("stock_fall", True)] and "10" in issue[0].message("en")
    assert check_value(bases, EnteredValue(8, "two bases closed"), 10) == []
    assert check_value(bases, EnteredValue(30), 10) == []  # stocks have no outlier rule


def test_cumulative_cannot_go_backwards(plan):
    trained = plan.indicator("trained")
    assert _rules(check_value(trained, EnteredValue(900, "typo?"), 1000)) == [
        ("cumulative_back", True)
    ]


def test_outlier_asks_for_a_confirmation(plan):
    events = plan.indicator("events")
    assert _rules(check_value(events, EnteredValue(41), 20)) == [("outlier", False)]
    assert _rules(check_value(events, EnteredValue(9), 20)) == [("outlier", False)]
    assert check_value(events, EnteredValue(40), 20) == []  # exactly x2 is not beyond
    assert check_value(events, EnteredValue(41, "", True), 20) == []
    # cumulative: this year's increase against last year's increase (400 -> 900)
    trained = plan.indicator("trained")
    assert _rules(check_value(trained, EnteredValue(1900), 1000, 600)) == [("outlier", False)]
    assert check_value(trained, EnteredValue(1700), 1000, 600) == []


# -- a round's record -----------------------------------------------------------------------


def _at(day):
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9), dt.UTC)


def _round(year, subs, due=None):
    return RoundRecord(f"{year}", year, due or dt.date(year + 1, 1, 31), tuple(subs))


def test_accepted_values_cumulative_totals_become_increases(plan):
    r24 = _round(
        2024,
        [
            Submission(
                "a",
                1,
                SubmissionStatus.ACCEPTED,
                {"trained": EnteredValue(600), "bases": EnteredValue(40)},
            )
        ],
    )
    r25 = _round(
        2025,
        [
            Submission(
                "a",
                1,
                SubmissionStatus.ACCEPTED,
                {"trained": EnteredValue(900), "bases": EnteredValue(45)},
            ),
            Submission("a", 2, SubmissionStatus.DRAFT, {"trained": EnteredValue(5000)}),
            Submission("b", 1, SubmissionStatus.SUBMITTED, {"bases": EnteredValue(50)}),
        ],
    )
    values = accepted_values(plan, (r25, r24))
    trained = sorted((v.date.year, v.value) for v in values if v.indicator == "trained")
    assert trained == [(2024, 600), (2025, 300)]
    progress = {p.indicator.id: p for p in evaluate_capacity(plan, values, dt.date(2025, 12, 31))}
    assert progress["trained"].value == 900  # the latest accepted total, not the draft
    assert progress["bases"].value == 45  # b's submission waits for review: not counted
    assert progress["volunteers"].value is None  # nothing accepted: missing, not 0


SHARED = """\
title: shared
start: 2021-01-01
units:
  - {code: a, name: {zh-CN: 甲单位, en: Unit A}}
  - {code: b, name: {zh-CN: 乙单位, en: Unit B}}
indicators:
  - {id: trained, label: trained, target: 1000, kind: cumulative, deadline: 2025-12-31,
     reporters: [a, b]}
  - {id: bases, label: bases, target: 100, kind: stock, deadline: 2025-12-31,
     reporters: [a, b]}
  - {id: events, label: events, target: 50, kind: annual, deadline: 2025-12-31,
     reporters: [a, b]}
"""


def shared_rounds(b_2025: SubmissionStatus | None):
    """Units a and b report every indicator; in 2025 b's submission is ``b_2025``."""
    both = {"a": {"trained": 300, "bases": 50, "events": 20},
            "b": {"trained": 200, "bases": 45, "events": 20}}  # fmt: skip
    r24 = _round(2024, [Submission(u, 1, SubmissionStatus.ACCEPTED,
                                   {k: EnteredValue(v) for k, v in vals.items()})
                        for u, vals in both.items()])  # fmt: skip
    subs = [Submission("a", 1, SubmissionStatus.ACCEPTED, {"trained": EnteredValue(450),
            "bases": EnteredValue(60), "events": EnteredValue(30)})]  # fmt: skip
    if b_2025 is not None:
        b = {"trained": EnteredValue(400), "bases": EnteredValue(35), "events": EnteredValue(15)}
        subs.append(Submission("b", 1, b_2025, b))
    return (r24, _round(2025, subs))


def test_a_unit_missing_from_an_indicator_is_named_and_not_judged_off_track():
    """The city's value is the sum over an indicator's reporters: with b's 2025 figures
    missing (waiting for review, or never sent), the totals are partial. A partial total
    short of its target cannot say the indicator is behind (incomplete, never off track);
    one that already reaches the target is achieved, marked partial."""
    plan = parse_capacity_plan(SHARED, "shared.yaml")
    on = dt.date(2025, 12, 31)
    for b_2025 in (SubmissionStatus.SUBMITTED, None):
        rounds = shared_rounds(b_2025)
        values = accepted_values(plan, rounds)
        got = {p.indicator.id: p for p in evaluate_capacity(plan, values, on)}
        # cumulative: a's 450 and b's running total of 2024 (200), nothing of b's 2025
        assert got["trained"].value == 650
        assert got["trained"].status is ProgressStatus.INCOMPLETE
        assert [u.code for u in got["trained"].missing_units] == ["b"]
        assert got["trained"].partial
        # annual: b's 2025 events are missing, not 0; the partial total is not off track
        assert got["events"].value == 30 and got["events"].status is ProgressStatus.INCOMPLETE
        assert [u.code for u in got["events"].missing_units] == ["b"]
        # stock: b's last count (45) stays in; a + 45 reaches the target: achieved, partial
        assert got["bases"].value == 105 and got["bases"].status is ProgressStatus.ACHIEVED
        assert got["bases"].partial
    # with b's figures accepted the totals are complete, and short ones are off track
    complete = shared_rounds(SubmissionStatus.ACCEPTED)
    got = {p.indicator.id: p for p in evaluate_capacity(plan, accepted_values(plan, complete), on)}
    assert got["trained"].value == 850 and got["trained"].status is ProgressStatus.OFF_TRACK
    assert got["events"].value == 45 and got["events"].status is ProgressStatus.OFF_TRACK
    assert got["bases"].value == 95 and got["bases"].status is ProgressStatus.OFF_TRACK
    assert not any(p.missing_units or p.partial for p in got.values())
    # nobody reported this year: no partial total (the annual one has no data, the others
    # are out of date as a whole), so no unit is singled out
    later = evaluate_capacity(plan, accepted_values(plan, complete), dt.date(2026, 12, 31))
    assert not any(p.missing_units for p in later)
    assert {p.status for p in later} == {ProgressStatus.NO_DATA, ProgressStatus.OFF_TRACK}


def test_the_demo_round_marks_the_indicators_of_units_that_did_not_report():
    """The demo's 2025 round: 市委老干部局's submission waits for review and 稠城街道 has not
    reported; their indicators are partial, never "behind target" for want of figures."""
    plan = load_capacity_plan()
    progress = evaluate_capacity(plan, accepted_values(plan, demo_rounds(plan)),
                                 dt.date(2025, 12, 31))  # fmt: skip
    partial = {p.indicator.id: [u.code for u in p.missing_units] for p in progress if p.partial}
    assert partial == {"elderly_trained": ["lgb"], "scientist_spirit_bases": ["zj_cc"]}
    for p in progress:
        assert p.status is not ProgressStatus.OFF_TRACK or not p.partial, p.indicator.id


def test_unit_statuses_late_overdue_returned(plan):
    rnd = _round(
        2025,
        [
            Submission(
                "a",
                1,
                SubmissionStatus.RETURNED,
                {"trained": EnteredValue(1)},
                _at("2026-01-20"),
                _at("2026-01-22"),
                "wrong",
            ),
            Submission(
                "a",
                2,
                SubmissionStatus.ACCEPTED,
                {
                    "trained": EnteredValue(900),
                    "bases": EnteredValue(None, "not counted yet"),
                    "funds": EnteredValue(10),
                },
                _at("2026-02-03"),
                _at("2026-02-04"),
            ),
        ],
    )
    a, b = unit_statuses(plan, rnd, dt.date(2026, 2, 10))
    assert (a.status, a.on_time, a.overdue, a.returns) == ("accepted", True, False, 1)
    assert a.completeness == pytest.approx(2 / 3)
    assert (b.status, b.on_time, b.overdue, b.completeness) == ("not_started", None, True, 0.0)
    assert not unit_statuses(plan, rnd, dt.date(2026, 1, 31))[1].overdue  # not yet
    text = reminder_text(plan, rnd, b)
    assert "Unit B" in text and "2026-01-31" in text and "3" in text


# -- the index -------------------------------------------------------------------------------


def _progress(plan, values):
    rows = [
        Submission(
            "a",
            1,
            SubmissionStatus.ACCEPTED,
            {k: EnteredValue(v) for k, v in values.items() if k in ("trained", "bases", "funds")},
        ),
        Submission(
            "b",
            1,
            SubmissionStatus.ACCEPTED,
            {k: EnteredValue(v) for k, v in values.items() if k in ("volunteers", "events")},
        ),
    ]
    rnd = _round(2025, rows)
    return evaluate_capacity(plan, accepted_values(plan, (rnd,)), dt.date(2025, 12, 31))


def test_index_against_a_hand_computation(plan):
    progress = _progress(
        plan, {"trained": 800, "bases": 120, "volunteers": 100, "events": 25, "funds": 150}
    )
    idx = capacity_index(progress, plan.weights, plan.cap)
    # s: trained 0.8, bases min(1.2, 1) = 1, volunteers 0.25, events 0.5, funds 0.75
    # families: activities (0.8 + 0.5) / 2 = 0.65, venues 1, people 0.25, funds 0.75, media -
    # weights 2, 1, 1, 0.5, 0.5 of 5 -> 0.4, 0.2, 0.2, 0.1, 0.1 (media has no data: left out)
    hand = 100 * (0.4 * 0.25 + 0.2 * 0.75 + 0.2 * 1.0 + 0.1 * 0.65) / (0.4 + 0.2 + 0.2 + 0.1)
    assert idx.value == pytest.approx(hand) and idx.value == pytest.approx(57.2222222)
    assert idx.families["media"] is None and idx.missing_families == ("media",)
    assert (idx.covered, idx.total) == (5, 5)


def test_missing_is_never_zero(plan):
    full = {"trained": 800, "bases": 120, "volunteers": 100, "events": 25, "funds": 150}
    without = {k: v for k, v in full.items() if k != "events"}
    idx = capacity_index(_progress(plan, without), plan.weights)
    assert idx.covered == 4 and "events" not in idx.scores
    assert idx.families["activities"] == pytest.approx(0.8)  # events left out, not 0
    zero = capacity_index(_progress(plan, {**without, "events": 0}), plan.weights)
    assert zero.families["activities"] == pytest.approx(0.4) and zero.value < idx.value
    assert capacity_index(_progress(plan, {}), plan.weights).value is None


def test_weight_sensitivity_by_hand(plan):
    progress = _progress(
        plan, {"trained": 800, "bases": 120, "volunteers": 100, "events": 25, "funds": 150}
    )
    rows = {(r.scenario, r.family, r.factor): r for r in weight_sensitivity(progress, plan.weights)}
    assert len(rows) == 12 and rows[("configured", "", 1.0)].change == 0
    # people x 0.5: raw 0.2, 0.2, 0.2, 0.1, 0.1 -> over the families with data (0.7)
    hand = 100 * (0.2 * 0.25 + 0.2 * 0.75 + 0.2 * 1.0 + 0.1 * 0.65) / 0.7
    half = rows[("family", "people", 0.5)]
    assert half.value == pytest.approx(hand)
    assert sum(half.weights.values()) == pytest.approx(1.0)
    equal = rows[("equal", "", 1.0)].value
    assert equal == pytest.approx(100 * (0.25 + 0.75 + 1.0 + 0.65) / 4)


# -- the plan file --------------------------------------------------------------------------


def test_yiwu_plan_units_tasks_and_weights():
    plan = load_capacity_plan()
    assert len(plan.units) == 13 and len(plan.tasks) == 7
    assert {t.id for t in plan.tasks} >= {"youth", "farmers", "workers", "elderly", "cadres"}
    assert sum(plan.weights.values()) == pytest.approx(1.0)
    assert {i.family for i in plan.indicators} == {
        "people",
        "funds",
        "venues",
        "media",
        "activities",
    }
    assert all(i.reporters for i in plan.indicators)
    assert [i.id for i in plan.indicators_of("tsw")] == ["volunteer_teams", "volunteers"]


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        (
            "reporters: [b]}\n  - {id: events",
            "reporters: [c]}\n  - {id: events",
            "indicator volunteers: reporter 'c' is not one of the units",
            13,
        ),
        ("family: funds", "family: money", "indicator funds: unknown family", 18),
        ("media: 0.5, ", "", "index.weights must give a weight to each family", 7),
        ("{code: b, name: Unit B}", "{code: a, name: Unit B}", "unit code", 5),
    ],
)
def test_plan_errors_name_file_line_and_indicator(old, new, message, line):
    assert old in PLAN
    with pytest.raises(CapacityError) as err:
        parse_capacity_plan(PLAN.replace(old, new, 1), "plan.yaml")
    assert message in str(err.value) and f"plan.yaml:{line}" in str(err.value)


def test_task_naming_an_unknown_unit_or_indicator():
    text = DEFAULT_CAPACITY_PLAN.read_text("utf-8").replace("lead: nyj", "lead: nobody")
    with pytest.raises(CapacityError, match="task farmers: lead unit is not one of the units"):
        parse_capacity_plan(text, "capacity.yaml")


# -- the Excel template ---------------------------------------------------------------------


def _edit(data, cells):
    book = openpyxl.load_workbook(io.BytesIO(data))
    for cell, value in cells.items():
        book["填报"][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_round_trip_and_errors_by_cell(plan):
    current = {
        "trained": EnteredValue(950, "from the ledger"),
        "funds": EnteredValue(None, "not counted yet"),
    }
    data = template_xlsx(plan, "a", "2025", {"trained": 600, "bases": 40}, current)
    entries, errors = import_template(
        data, plan, "a", {"trained": 600, "bases": 40}, submitting=False
    )
    assert errors == []
    assert entries["trained"] == EnteredValue(950, "from the ledger")
    assert (
        entries["funds"] == EnteredValue(None, "not counted yet") and entries["bases"].value is None
    )
    # rows: 2 trained, 3 bases, 4 funds
    bad = _edit(data, {"F2": "九百", "A4": "volunteers"})
    _, errors = import_template(bad, plan, "a", {})
    assert [e.cell for e in errors] == ["F2", "A4"] and all(e.reading for e in errors)
    assert "not a number" in str(errors[0]) and "not an indicator of this unit" in str(errors[1])
    checks = _edit(data, {"F2": 500, "F3": 30, "G3": None})
    _, errors = import_template(checks, plan, "a", {"trained": 600, "bases": 40})
    assert [(e.cell, e.reading) for e in errors] == [("F2", False), ("G3", False)]
    assert "累计数不能小于上期" in errors[0].message and "存量指标比上期" in errors[1].message
    _, errors = import_template(b"not a workbook", plan, "a", {})
    assert len(errors) == 1 and errors[0].reading


def test_round_file_round_trip():
    rounds = demo_rounds(load_capacity_plan())
    again = tuple(round_from_dict(json.loads(json.dumps(round_to_dict(r)))) for r in rounds)
    assert again == rounds
    with pytest.raises(CapacityError, match="not a capacity round file"):
        round_from_dict({"name": "x"}, "r.json")
