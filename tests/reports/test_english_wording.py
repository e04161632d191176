"""English wording of the report: brackets follow the language (ASCII in English,
full-width in Chinese), the capacity round is named so an English reader can read it,
and a target of 1 takes the unit's singular."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.appendix import capacity_round
from reports.capacity import evaluate_capacity
from reports.capacity import load_capacity_plan
from reports.capacity import parse_capacity_plan
from reports.capacity_demo import demo_rounds
from reports.capacity_round import accepted_values
from reports.capacity_round import summarise_round
from reports.errors import CapacityError
from reports.fonts import register_report_fonts
from reports.model import Reliability
from reports.model import Rules
from reports.render import Renderer


def _renderer(lang: str) -> Renderer:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    return Renderer.create(lang, register_report_fonts(), q, Rules(10, Reliability(), 0.95))


def _texts(flowables: list[object]) -> str:
    """The plain text of the paragraphs and table cells (markup stripped)."""
    out: list[str] = []

    def walk(f: object) -> None:
        if hasattr(f, "_cellvalues"):
            for row in f._cellvalues:
                for cell in row:
                    walk(cell)
        elif isinstance(f, list | tuple):
            for x in f:
                walk(x)
        elif hasattr(f, "text"):
            out.append(re.sub(r"<[^>]+>", "", f.text))

    walk(flowables)
    return "\n".join(out)


@pytest.mark.parametrize(
    ("lang", "cell"), [("zh-CN", "53.1（52.4–53.8）"), ("en", "53.1 (52.4–53.8)")]
)
def test_a_value_with_its_interval_in_brackets_of_the_language(lang: str, cell: str) -> None:
    """The catalogue's bracket (table 3 of the PDFs: test_pdf)."""
    from reports.labels import num

    r = _renderer(lang)
    assert r.t("bracketed", value=num(53.1, 1), inner="52.4–53.8") == cell


@pytest.fixture(scope="module")
def summary():
    plan = load_capacity_plan()
    rounds = demo_rounds(plan)
    on = dt.date(2025, 12, 31)
    progress = evaluate_capacity(plan, accepted_values(plan, rounds), on)
    return summarise_round(plan, rounds, progress, on)


def test_the_english_capacity_text_names_the_round_in_english(summary) -> None:
    """The demo's round is named "2025年度": the English chapter quoted it as it is; it
    now calls it the 2025 round (the due date beside it), in its text and table title.
    The Chinese chapter keeps the name staff gave it."""
    assert summary.name == "2025年度" and summary.year == 2025
    en = _texts(capacity_round(summary, _renderer("en")))
    assert "年度" not in en
    assert "submissions of the 2025 round (due" in en
    assert "Reporting by unit (2025 round)" in en
    zh = _texts(capacity_round(summary, _renderer("zh-CN")))
    assert "“2025年度”填报轮次" in zh and "各单位报送情况（2025年度）" in zh
    # a name in a script English readers read is quoted as it is
    named = _texts(capacity_round(replace(summary, name="2025 H2"), _renderer("en")))
    assert "submissions of the round \u201c2025 H2\u201d (due" in named


def test_a_target_of_one_takes_the_singular_unit() -> None:
    """The demo plan's youth monitoring read "1 rounds a year"."""
    plan = load_capacity_plan()
    assert plan.indicator("youth_monitoring").target_text("en") == "1 round a year"
    assert plan.indicator("youth_monitoring").target_text("zh-CN") == "1 次/年"
    text = """\
title: t
start: 2021-01-01
indicators:
  - {id: one, label: one, target: 1, kind: annual, deadline: 2025-12-31,
     unit: {zh-CN: 次/年, en: rounds a year, en-one: round a year}}
  - {id: two, label: two, target: 2, kind: annual, deadline: 2025-12-31,
     unit: {zh-CN: 次/年, en: rounds a year, en-one: round a year}}
"""
    plan = parse_capacity_plan(text, "t.yaml")
    got = {i.id: i.target_text("en") for i in plan.indicators}
    assert got == {"one": "1 round a year", "two": "2 rounds a year"}
    # a target of 1 with an English unit but no singular is refused, not printed wrong
    with pytest.raises(CapacityError) as info:
        parse_capacity_plan(text.replace(", en-one: round a year}}", "}}", 1), "t.yaml")
    message = str(info.value)
    assert "indicator one" in message and "en-one" in message and "t.yaml" in message
    assert ":5" in message  # the unit's line


def test_the_units_table_names_each_unit_in_the_reports_language(summary) -> None:
    """Table 18 printed the Chinese names ("市科协") in the English report, while the
    sentence above it used the English labels: both now take the unit's label."""
    for lang in ("en", "zh-CN"):
        r = _renderer(lang)
        text = _texts(capacity_round(summary, r))
        for unit in summary.units:
            assert unit.label, unit.code  # the demo plan labels every unit
            assert unit.label.get(lang) in text, (lang, unit.code)
    en = _texts(capacity_round(summary, _renderer("en")))
    assert not any("\u4e00" <= c <= "\u9fff" for c in en), en
