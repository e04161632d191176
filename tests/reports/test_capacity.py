"""Capacity targets and reported values: loader errors name file/line/column; progress by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.capacity import DEFAULT_CAPACITY_PLAN
from reports.capacity import EXAMPLE_CAPACITY_VALUES
from reports.capacity import IndicatorKind
from reports.capacity import ProgressStatus
from reports.capacity import evaluate_capacity
from reports.capacity import load_capacity_plan
from reports.capacity import load_capacity_values
from reports.capacity import parse_capacity_plan
from reports.capacity import parse_capacity_values
from reports.errors import CapacityError

PLAN = """\
title: test
start: 2021-01-01
on_track_tolerance: 0.9
indicators:
  - id: trained
    label: trained
    target: 1000
    kind: cumulative
    deadline: 2025-01-01
  - id: bases
    label: bases
    target: 100
    kind: stock
    baseline: 20
    deadline: 2025-01-01
  - id: events
    label: events
    target: 100
    kind: annual
    deadline: 2025-12-31
"""


def test_prefilled_plan_has_the_targets_of_the_plan():
    plan = load_capacity_plan()
    targets = {i.id: i.target for i in plan.indicators}
    assert targets == {
        "rural_talents": 40_000, "vocational_training": 100_000, "elderly_trained": 80_000,
        "kepu_bases": 150, "volunteer_teams": 15, "volunteers": 1_500, "kepu_events": 100,
        "scientist_spirit_bases": 14, "youth_monitoring": 1,
        # the national statistics' funds and media families, where the plan is silent
        "kepu_funds": 800, "kepu_media": 300,
    }  # fmt: skip
    assert plan.indicator("kepu_events").kind is IndicatorKind.ANNUAL
    assert all(i.deadline == dt.date(2025, 12, 31) for i in plan.indicators)
    assert all(i.responsible.get("zh-CN") for i in plan.indicators)
    values = load_capacity_values(EXAMPLE_CAPACITY_VALUES, plan)
    assert len(values) == 20


def test_linear_expected_progress_by_hand():
    plan = parse_capacity_plan(PLAN)
    rows = parse_capacity_values(
        "indicator,value,date,unit\n"
        "trained,200,2021-12-31,A\n"
        "trained,250,2022-12-31,B\n"
        "bases,30,2022-06-30,A\n"
        "bases,15,2022-12-31,A\n"  # later count of unit A replaces its earlier one
        "bases,10,2022-12-31,B\n"
        "events,60,2023-03-01,A\n"
        "events,500,2022-06-01,A\n"  # another year: not counted in 2023
        "trained,999,2024-01-01,A\n",  # after the evaluation date: ignored
        plan,
    )
    on = dt.date(2023, 1, 1)
    got = {p.indicator.id: p for p in evaluate_capacity(plan, rows, on)}
    share = (on - dt.date(2021, 1, 1)).days / (dt.date(2025, 1, 1) - dt.date(2021, 1, 1)).days
    t = got["trained"]
    assert t.value == 450 and t.expected == pytest.approx(1000 * share)
    # 450 >= 0.9 * 499.7 = 449.7 -> on track
    assert t.status is ProgressStatus.ON_TRACK
    b = got["bases"]
    assert b.value == 20 + 15 + 10
    assert b.expected == pytest.approx(20 + 80 * share)
    assert b.status is ProgressStatus.OFF_TRACK  # 45 - 20 < 0.9 * (59.98 - 20)
    # only 2023's rows count on 2023-01-01: the 2022 row is another year, so 2023 has no
    # report yet, which is missing (no data), not 0% done
    e = got["events"]
    assert e.value is None and e.share is None and e.reports == 0
    assert e.status is ProgressStatus.NO_DATA


def test_reports_older_than_half_a_year_are_flagged_stale():
    plan = parse_capacity_plan(PLAN)
    rows = parse_capacity_values(
        "indicator,value,date,unit\nbases,30,2024-06-30,A\ntrained,500,2025-03-31,A\n", plan
    )
    got = {p.indicator.id: p for p in evaluate_capacity(plan, rows, dt.date(2025, 6, 30))}
    assert got["bases"].stale and got["bases"].last_report == dt.date(2024, 6, 30)
    assert got["bases"].value == 50  # the old value is still shown, flagged
    assert not got["trained"].stale
    fresh = evaluate_capacity(plan, rows, dt.date(2024, 12, 1))
    assert not any(p.stale for p in fresh)


def test_annual_and_achieved_and_no_data():
    plan = parse_capacity_plan(PLAN)
    rows = parse_capacity_values(
        "indicator,value,date,unit\nevents,40,2023-03-01,A\nevents,70,2023-06-30,B\n"
        "trained,1200,2023-01-01,A\n",
        plan,
    )
    on = dt.date(2023, 7, 1)
    got = {p.indicator.id: p for p in evaluate_capacity(plan, rows, on)}
    assert got["events"].value == 110
    # the year's deadline is 31 December: 181 of its 364 days have passed on 1 July
    assert got["events"].expected == pytest.approx(100 * 181 / 364)
    assert got["events"].status is ProgressStatus.ACHIEVED
    assert got["trained"].status is ProgressStatus.ACHIEVED
    assert got["bases"].status is ProgressStatus.NO_DATA and got["bases"].value is None
    # on 31 December the whole year's target is due (not 364/365 of it), and 95 of 100
    # events then is short of it: off track, the tolerance being for progress on the way
    rows = parse_capacity_values("indicator,value,date,unit\nevents,95,2023-06-30,A\n", plan)
    last_day = {p.indicator.id: p for p in evaluate_capacity(plan, rows, dt.date(2023, 12, 31))}
    assert last_day["events"].expected_share == 1.0
    assert last_day["events"].status is ProgressStatus.OFF_TRACK
    before = {p.indicator.id: p for p in evaluate_capacity(plan, rows, dt.date(2023, 12, 1))}
    assert before["events"].status is ProgressStatus.ON_TRACK  # 95 >= 0.9 x 100 x 334/364


@pytest.mark.parametrize(
    ("csv_text", "line", "column", "words"),
    [
        ("indicator,value,date,unit\nnope,1,2023-01-01,A\n", 2, "indicator", "unknown indicator"),
        ("indicator,value,date,unit\ntrained,1,2023-01-01,A\ntrained,x,2023-01-01,A\n", 3,
         "value", "not a number"),
        ("indicator,value,date,unit\ntrained,-5,2023-01-01,A\n", 2, "value", ">= 0"),
        ("indicator,value,date,unit\ntrained,5,2023-02-30,A\n", 2, "date", "YYYY-MM-DD"),
        ("indicator,value,date,unit\ntrained,5,下个月,A\n", 2, "date", "not a date"),
        ("indicator,value,date,unit\ntrained,5,2023-01-01,A\ntrained,,2023-01-01,A\n", 3,
         "value", "not a number >= 0"),
        ("indicator,value,date,unit\ntrained,5,2023-01-01,\n", 2, "unit", "empty"),
        ("indicator,value,date,unit,colour\n", 1, "colour", "unknown column"),
    ],
)  # fmt: skip
def test_value_errors_name_file_row_and_column(csv_text, line, column, words):
    plan = parse_capacity_plan(PLAN)
    with pytest.raises(CapacityError) as info:
        parse_capacity_values(csv_text, plan, "units.csv")
    err = info.value
    assert (err.file, err.row, err.column) == ("units.csv", line, column)
    assert words in str(err) and f"units.csv: row {line}, column {column!r}:" in str(err)


def test_values_as_excel_writes_them_on_chinese_windows(tmp_path, realfiles):
    """GB18030 CSV with 2024/6/30 dates and 1,200 values; the same as .xlsx and Parquet."""
    import datetime as dt

    plan = parse_capacity_plan(PLAN)
    header = ["indicator", "value", "date", "unit", "note"]
    rows = [["trained", 1200, dt.date(2023, 6, 30), "稠城街道", "上半年"],
            ["trained", 800.5, dt.date(2023, 12, 31), "佛堂镇", None]]  # fmt: skip
    files = realfiles.write_formats(tmp_path, "capacity", header, rows, text_numbers=["value"])
    got = {fmt: load_capacity_values(path, plan) for fmt, path in files.items()}
    for fmt, values in got.items():
        assert [(v.value, v.date, v.unit) for v in values] == [
            (1200.0, dt.date(2023, 6, 30), "稠城街道"),
            (800.5, dt.date(2023, 12, 31), "佛堂镇"),
        ], fmt


def test_missing_column_and_file(tmp_path):
    plan = parse_capacity_plan(PLAN)
    with pytest.raises(CapacityError, match="missing column 'date'"):
        parse_capacity_values("indicator,value,unit\n", plan, "u.csv")
    with pytest.raises(CapacityError, match="cannot read"):
        load_capacity_values(tmp_path / "absent.csv", plan)


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("target: 1000", "target: -3"), 7, "target must be a number > 0"),
        (("deadline: 2025-01-01\n  - id: bases", "deadline: 2020-01-01\n  - id: bases"), 9,
         "deadline must be after the start"),
        (("kind: stock", "kind: heap"), 13, "unknown kind"),
        (("id: events", "id: trained"), 16, "already used on line 5"),
        (("    label: bases\n", "    label: bases\n    colour: red\n"), 12,
         "unknown key indicators[1].colour"),
        (("start: 2021-01-01", "start: soon"), 2, "start is not a date"),
    ],
)  # fmt: skip
def test_plan_errors_name_the_line(change, line, words):
    old, new = change
    text = PLAN.replace(old, new, 1)
    with pytest.raises(CapacityError) as info:
        parse_capacity_plan(text, "plan.yaml")
    assert words in str(info.value)
    assert info.value.line == line, str(info.value)


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(CapacityError) as info:
        parse_capacity_plan("indicators:\n  - id: [unclosed\n", "p.yaml")
    assert info.value.line is not None and info.value.file == "p.yaml"


def test_default_plan_file_exists():
    assert DEFAULT_CAPACITY_PLAN.is_file()
