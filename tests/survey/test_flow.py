"""Pure parts of the respondent flow: skip logic, option order, answer parsing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from survey_testlib import FEATURES

import survey
from kesu.i18n import CATALOGUE
from kesu.i18n import code_label
from questionnaires import load_questionnaire
from sampling.outcomes import CATEGORIES
from survey.answers import parse_number
from survey.answers import parse_text
from survey.fieldwork import SELECTION_METHODS
from survey.flow import missing_required
from survey.flow import option_order
from survey.flow import row_order
from survey.flow import walk
from survey.models import ROLES
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.quality import FLAG_NAMES
from survey.respond import device_class

Q = load_questionnaire(FEATURES)


def test_walk_keeps_only_visible_answers() -> None:
    answers = {"birth_year": 1980, "occupation": "worker", "farm_years": 5, "K1": "T"}
    vis = walk(Q, answers, 2025)
    assert vis.section_ids == ("about", "test", "attitudes")
    assert "farm_years" not in vis.answers and vis.answers["K1"] == "T"
    assert [i.id for i in vis.items_of("about")] == [
        "sex",
        "birth_year",
        "occupation",
        "channels",
        "museum_day",
        "remark",
    ]
    # no birth year: age unknown, the 'test' section (age >= 18) is hidden with its answers
    hidden = walk(Q, {"K1": "T"}, 2025)
    assert hidden.section_ids == ("about", "attitudes") and "K1" not in hidden.answers
    assert hidden.next_section("about") == "attitudes"
    assert hidden.previous_section("about") is None


def test_missing_required_lists_visible_required_answers() -> None:
    vis = walk(Q, {"birth_year": 1980, "occupation": "farmer"}, 2025)
    missing = missing_required(vis)
    assert ("about", "sex") in missing and ("about", "farm_years") in missing
    assert ("about", "remark") not in missing  # optional
    assert ("attitudes", "V1") in missing and ("attitudes", "V2") in missing


def test_option_order_keeps_fixed_options_and_is_stable() -> None:
    channels = Q.item("channels")
    orders = {tuple(o.code for o in option_order(channels, seed)) for seed in range(40)}
    assert len(orders) == 6  # 3! orders of the movable options, "none" fixed last
    assert all(order[-1] == "none" for order in orders)
    assert option_order(channels, 7) == option_order(channels, 7)
    k2 = Q.item("K2")
    assert all(option_order(k2, s)[-1].code == "DK" for s in range(20))
    assert [o.code for o in option_order(Q.item("occupation"), 3)] == ["farmer", "worker", "other"]
    rows = {tuple(r.id for r in row_order(Q.item("views"), s)) for s in range(20)}
    assert rows == {("V1", "V2"), ("V2", "V1")}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1980", 1980), (" 1980 ", 1980), ("１９８０", 1980), ("+1980", 1980), ("1980.0", 1980)],
)
def test_parse_number_accepts(raw: str, expected: int) -> None:
    assert parse_number(Q.item("birth_year"), [raw], "en") == (expected, None)


@pytest.mark.parametrize("raw", ["1e3", "inf", "0x7bc", "1,980", "--1", "1980 年", "١٩٨٠x"])
def test_parse_number_refuses(raw: str) -> None:
    value, error = parse_number(Q.item("birth_year"), [raw], "en")
    assert value is None and error


def test_parse_text_strips_control_characters() -> None:
    assert parse_text(Q.item("remark"), ["a\x00b\r\nc\x1b"], "en") == ("ab\nc", None)
    assert parse_text(Q.item("remark"), ["   "], "en") == (None, None)


def test_device_class() -> None:
    assert device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148") == {
        "device": "phone",
        "browser": "other",
    }
    assert device_class("Mozilla/5.0 (iPad; CPU OS 16_0)")["device"] == "tablet"
    assert device_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")["device"] == "desktop"
    assert device_class("... MicroMessenger/8.0 ... Android 12 Mobile")["browser"] == "wechat"


def test_ui_catalogue_has_every_key_in_both_languages() -> None:
    assert set(CATALOGUE["zh-CN"]) == set(CATALOGUE["en"])
    assert all(CATALOGUE["en"].values()) and all(CATALOGUE["zh-CN"].values())


def test_every_template_key_is_in_the_catalogue() -> None:
    templates = Path(survey.__file__).parent / "templates"
    used: set[str] = set()
    for path in templates.rglob("*.html"):
        used.update(re.findall(r"(?<![.\w])t\('([a-z0-9_]+)'", path.read_text(encoding="utf-8")))
    assert len(used) > 150
    assert used - set(CATALOGUE["zh-CN"]) == set()


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("status", [s.value for s in WaveStatus]),
        ("role", list(ROLES)),
        ("review", ["accepted", "rejected"]),
        ("response", [s.value for s in ResponseStatus]),
        ("mode", ["web", "capi", "cati", "paper", "class"]),
        ("selection", [*SELECTION_METHODS, "kish_serial", "kish_1949"]),
        ("flag", list(FLAG_NAMES)),
        ("aapor", list(CATEGORIES)),
    ],
)
def test_stored_codes_have_chinese_and_english_names(kind: str, codes: list[str]) -> None:
    for code in codes:
        zh, en = code_label(kind, code, "zh-CN"), code_label(kind, code, "en")
        assert zh != code and re.search(r"[\u4e00-\u9fff]", zh), (kind, code, zh)
        assert en and not re.search(r"[\u4e00-\u9fff]", en), (kind, code, en)
    assert code_label("status", "nosuch", "zh-CN") == "nosuch" and code_label("review", "") == ""


def test_disposition_labels_come_from_the_aapor_table() -> None:
    assert code_label("disposition", "2.24") == "家中无人"
    assert code_label("disposition", "2.24", "en") == "No one at residence"
    assert code_label("disposition", "9.9") == "9.9" and code_label("disposition", None) == ""
