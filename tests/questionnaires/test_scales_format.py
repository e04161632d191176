"""The ``scales:``, ``care:`` and ``anonymous`` keys of the questionnaire format.

One test for the model, one per kind of mistake (each names the file, line and scale).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import QuestionnaireError
from questionnaires import load_questionnaire
from questionnaires import parse_questionnaire
from questionnaires.model import ScaleMethod

DATA = Path(__file__).parent / "data"
TEXT = (DATA / "scales.yaml").read_text(encoding="utf-8")


def _problems(old: str, new: str) -> str:
    assert old in TEXT, old
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(TEXT.replace(old, new, 1), source="scales.yaml")
    return str(info.value)


def _line(fragment: str) -> int:
    return TEXT[: TEXT.index(fragment)].count("\n") + 1


def test_scales_model() -> None:
    q = load_questionnaire(DATA / "scales.yaml")
    sym, mood, six = q.scales
    assert (sym.id, sym.method, sym.items, sym.min_answered, sym.prorate) == (
        "sym",
        ScaleMethod.SUM,
        ("s1", "s2", "s3", "s4"),
        3,
        True,
    )
    assert (sym.low, sym.high, sym.whole) == (0, 12, True)
    assert [(b.code, b.minimum, b.maximum) for b in sym.bands] == [
        ("low", 0, 3),
        ("mid", 4, 8),
        ("high", 9, 12),
    ]
    assert [(f.id, f.variable, f.minimum, f.care) for f in sym.flags] == [("hi4", "s4", 2, True)]
    assert mood.method is ScaleMethod.MEAN and mood.reverse == {"m3"}
    assert (mood.low, mood.high) == (1, 5)  # Likert values default to 1..k
    assert six.bands == () and six.min_answered == 4
    assert q.scale_variables[:5] == ("s1", "s2", "s3", "s4", "m1")
    assert [f.id for f in q.scale_flags] == ["hi4"]
    assert q.care is not None and q.care.resources[0].phone == "12356"
    assert q.anonymous is False
    assert q.scale("mood") is mood


def test_bundled_mental_health_questionnaire() -> None:
    q = load_questionnaire(QUESTIONNAIRE_DIR / "civil-servant-mh-2025.yaml")
    assert q.anonymous and not q.scored_items
    phq9, gad7, ws = q.scales
    assert len(phq9.items) == 9 and (phq9.low, phq9.high) == (0, 27)
    assert [(b.minimum, b.maximum) for b in phq9.bands] == [
        (0, 4),
        (5, 9),
        (10, 14),
        (15, 19),
        (20, 27),
    ]
    assert [(b.minimum, b.maximum) for b in gad7.bands] == [(0, 4), (5, 9), (10, 14), (15, 21)]
    assert ws.reverse == {"ws4", "ws5"} and ws.method is ScaleMethod.MEAN
    # the published cut-offs (10 or more); the own work-stress items have none
    assert phq9.screen_bands == ("moderate", "moderately_severe", "severe")
    assert gad7.screen_bands == ("moderate", "severe") and ws.screen_bands == ()
    (flag,) = q.scale_flags
    assert (flag.variable, flag.minimum, flag.care) == ("phq9_9", 1, True)
    assert {r.phone for r in q.care.resources} >= {"12356", "12320"}  # type: ignore[union-attr]
    # no identifying question: no birth year, no free text, no unit name
    assert {i.type.value for i in q.items} <= {"grid", "likert", "single"}
    assert {i.id for i in q.items} >= {"unit_type", "rank_band", "age_band", "sex"}
    for item in q.items:
        assert item.text.get("en") and item.text.get("zh-CN")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "items: [s1, s2, s3, s4]",
            "items: [s1, s2, s3, s9]",
            "scale item 's9' is not an item or grid row",
        ),
        ("items: [s1, s2, s3, s4]", "items: [s1, s2, s3, s3]", "scale item 's3' is listed twice"),
        (
            "items: [s1, s2, s3, s4]",
            "items: [s1, s2, s3, note]",
            "scale item 'note' is a text item",
        ),
        ("reverse: [m3]", "reverse: [m9]", "reverse-coded item 'm9' is not one of the scale's"),
        ("score: mean", "score: median", "unknown scoring rule 'median' (sum or mean)"),
        ("    min_answered: 3\n", "    min_answered: 5\n", "min_answered 5 is more than"),
        (
            "    prorate: true\n    min_answered: 3\n",
            "    min_answered: 3\n",
            "set 'prorate: true' or min_answered",
        ),
        (
            "    score: mean\n",
            "    score: mean\n    prorate: true\n",
            "'prorate' applies to sum scores only",
        ),
        (
            "{code: mid, min: 4, max: 8",
            "{code: mid, min: 3, max: 8",
            "min 3 is not above the previous band's max 3",
        ),
        ("{code: mid, min: 4, max: 8", "{code: mid, min: 4, max: 2", "max 2 is below its min 4"),
        (
            "{code: low, min: 0, max: 3",
            "{code: low, min: 1, max: 3",
            "the first band starts at 1, above the lowest possible score 0",
        ),
        (
            "{code: high, min: 9, max: 12",
            "{code: high, min: 9, max: 11",
            "the last band ends at 11, below the highest possible score 12",
        ),
        (
            "{code: high, min: 9, max: 12",
            "{code: low, min: 9, max: 12",
            "band code 'low' appears twice",
        ),
        ("        item: s4\n", "        item: m1\n", "item 'm1' is not one of the scale's items"),
        (
            "        min: 2\n        care",
            "        min: 4\n        care",
            "no option of 's4' has a value of 4 or more",
        ),
        ("      hi4:", "      mood:", "name 'mood' is already used by a scale or flag"),
        ('phone: "12356"', 'phone: "call us"', "is not a telephone number"),
        ('{code: "3", value: 3,', '{code: "3",', "option(s) 3 have no 'value'"),
        # a grid option without a value would silently take its position (3)
        (
            "{code: c, value: 2,",
            "{code: c,",
            "scale item 's1': options c and d have the same value 3",
        ),
        (
            "score: sum\n    prorate",
            "score: sum\n    extra: 1\n    prorate",
            "unknown key 'extra' in a scale",
        ),
        (
            "score: sum\n    prorate",
            "score: sum\n    screen_from: top\n    prorate",
            "screen_from 'top' is not one of the bands after the first (mid, high)",
        ),
        (  # the first band would make every score a positive screen
            "score: sum\n    prorate",
            "score: sum\n    screen_from: low\n    prorate",
            "screen_from 'low' is not one of the bands after the first",
        ),
    ],
)
def test_scale_mistakes_are_located(old: str, new: str, message: str) -> None:
    text = _problems(old, new)
    assert message in text
    assert text.startswith("scales.yaml:")


def test_care_flag_needs_a_care_block() -> None:
    start = TEXT.index("care:\n  message")
    end = TEXT.index("sections:")
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(TEXT[:start] + TEXT[end:], source="scales.yaml")
    message = str(info.value)
    assert f"scales.yaml:{_line('      hi4:')}: scale sym: flag hi4 has 'care: true'" in message


def test_anonymous_must_be_a_boolean() -> None:
    text = _problems("reference_year: 2025\n", 'reference_year: 2025\nanonymous: "yes"\n')
    assert "'anonymous' must be true or false" in text


def test_xlsform_export_says_what_it_leaves_out(tmp_path: Path) -> None:
    pytest.importorskip("pyxform")
    from click.testing import CliRunner

    from kesu.cli import main

    source = QUESTIONNAIRE_DIR / "civil-servant-mh-2025.yaml"
    out = tmp_path / "mh.xlsx"
    result = CliRunner().invoke(
        main, ["questionnaire", "export", str(source), "--format", "xlsform", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "scales (phq9, gad7, work_stress)" in result.output
    assert "duty-of-care message" in result.output and "anonymous: true" in result.output
    assert out.stat().st_size > 0
