"""The default Yiwu questionnaire (questionnaires/yiwu-csl-2025.yaml).

Other packages depend on its ids and codes, so these tests pin them down and
check the properties issue 2 asks for: 50 scored items worth 100 points split
40/20/20/20, keys among the options, explanations and every text in zh-CN and
en, the 14 towns and streets, the key groups and the attention check.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import DONT_KNOW
from questionnaires import ItemType
from questionnaires import Questionnaire
from questionnaires import Text
from questionnaires import load_questionnaire
from questionnaires import validate_file

LANGUAGES = ("zh-CN", "en")

TOWNS = {
    "fotang": "佛堂镇",
    "suxi": "苏溪镇",
    "shangxi": "上溪镇",
    "dachen": "大陈镇",
    "yiting": "义亭镇",
    "chian": "赤岸镇",
    "choucheng": "稠城街道",
    "futian": "福田街道",
    "jiangdong": "江东街道",
    "choujiang": "稠江街道",
    "beiyuan": "北苑街道",
    "houzhai": "后宅街道",
    "niansanli": "廿三里街道",
    "chengxi": "城西街道",
}

DEMOGRAPHIC_CODES = {
    "sex": ("1", "2"),
    "education": ("none", "primary", "junior", "senior", "college", "bachelor", "graduate"),
    "occupation": (
        "head",
        "professional",
        "clerk",
        "service",
        "agriculture",
        "production",
        "other_work",
        "student",
        "retired",
        "unemployed",
    ),
    "employer": (
        "party_gov",
        "public_inst",
        "soe",
        "private",
        "foreign",
        "self_employed",
        "none",
    ),
    "urban": ("urban", "rural"),
}

TEST_IDS = {
    "knowledge": [f"K{i:02d}" for i in range(1, 21)],
    "method": [f"M{i:02d}" for i in range(1, 11)],
    "spirit": [f"S{i:02d}" for i in range(1, 11)],
    "application": [f"A{i:02d}" for i in range(1, 11)],
}


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(DEFAULT_QUESTIONNAIRE)


def _texts(obj: Any, path: str = "questionnaire") -> Iterator[tuple[str, Text]]:
    """Every Text inside a questionnaire object, with a readable path to it."""
    if isinstance(obj, Text):
        yield path, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name.startswith("_"):
                continue
            name = getattr(obj, "id", None) or getattr(obj, "code", None) or ""
            yield from _texts(getattr(obj, f.name), f"{path}/{name}.{f.name}")
    elif isinstance(obj, tuple | list):
        for i, value in enumerate(obj):
            yield from _texts(value, f"{path}[{i}]")


def test_file_validates_without_problems() -> None:
    assert validate_file(DEFAULT_QUESTIONNAIRE) == []


def test_metadata(q: Questionnaire) -> None:
    assert q.id == "yiwu-csl-2025"
    assert q.version == "2025.1"
    assert q.reference_year == 2025
    assert q.languages == LANGUAGES
    assert (q.population.min_age, q.population.max_age) == (18, 69)
    assert q.minutes is not None and 15 <= q.minutes <= 20
    assert q.content_hash == hashlib.sha256(DEFAULT_QUESTIONNAIRE.read_bytes()).hexdigest()


def test_privacy_notice_says_what_is_not_collected(q: Questionnaire) -> None:
    assert q.privacy is not None
    zh, en = q.privacy.get("zh-CN"), q.privacy.get("en")
    for word in ("姓名", "电话", "身份证", "随时停止", "统计"):
        assert word in zh, word
    for word in ("name", "phone", "ID card", "stop at any time", "statistics"):
        assert word in en, word


def test_every_text_is_given_in_both_languages(q: Questionnaire) -> None:
    texts = list(_texts(q))
    assert len(texts) > 300  # the walk really reaches options, rows and explanations
    for path, text in texts:
        for lang in LANGUAGES:
            value = dict(text.values).get(lang, "")
            assert value.strip(), f"{path} has no {lang} text"


def test_exactly_fifty_scored_items_with_the_fixed_ids(q: Questionnaire) -> None:
    scored = q.scored_items
    assert len(scored) == 50
    for dim, ids in TEST_IDS.items():
        assert [i.id for i in scored if i.key is not None and i.key.dimension == dim] == ids


def test_points_sum_to_100_split_40_20_20_20(q: Questionnaire) -> None:
    assert all(i.key is not None and i.key.points == 2 for i in q.scored_items)
    assert q.points_by_dimension() == {
        "knowledge": 40.0,
        "method": 20.0,
        "spirit": 20.0,
        "application": 20.0,
    }
    assert sum(q.points_by_dimension().values()) == q.scoring.total == 100


def test_scoring_rules(q: Questionnaire) -> None:
    rules = q.scoring
    assert rules.rule == "national-2021"
    assert [(d.id, d.maximum, d.cut) for d in rules.dimensions] == [
        ("knowledge", 40, 24),
        ("method", 20, 12),
        ("spirit", 20, 12),
        ("application", 20, 12),
    ]
    assert [(lv.code, lv.minimum) for lv in rules.levels] == [
        ("advanced", 85),
        ("literate", 70),
        ("basic", 55),
        ("low", 0),
    ]
    assert [lv.label.get("zh-CN") for lv in rules.levels] == [
        "具备高阶科学素质",
        "具备科学素质",
        "基本具备科学素质",
        "具备较低科学素质",
    ]
    assert rules.inclusive is True
    assert rules.literate_level == "literate"


def test_every_key_is_among_its_items_options(q: Questionnaire) -> None:
    for item in q.scored_items:
        assert item.key is not None
        real = set(item.codes) - {DONT_KNOW}
        assert item.key.correct, item.id
        assert item.key.correct <= real, f"{item.id}: key {item.key.correct} not in {real}"
        if item.type is ItemType.MULTIPLE:
            # a multiple-answer item must leave at least one wrong option to avoid
            assert item.key.correct != real, item.id
        else:
            assert len(item.key.correct) == 1, item.id


def test_every_test_item_has_a_short_explanation_in_both_languages(q: Questionnaire) -> None:
    for item in q.scored_items:
        assert item.key is not None and item.key.explanation is not None, item.id
        zh = item.key.explanation.get("zh-CN")
        en = item.key.explanation.get("en")
        assert zh and en and zh != en, item.id
        assert len(zh) <= 80, f"{item.id}: zh-CN explanation is {len(zh)} characters"


def test_item_types_are_mixed_and_keys_balanced(q: Questionnaire) -> None:
    scored = q.scored_items
    types = Counter(i.type for i in scored)
    assert types[ItemType.MULTIPLE] >= 2
    assert types[ItemType.SINGLE] >= 10
    knowledge = [i for i in scored if i.key is not None and i.key.dimension == "knowledge"]
    tf = [i for i in knowledge if i.type is ItemType.TRUEFALSE]
    assert len(tf) > len(knowledge) / 2  # mostly true/false
    assert all(DONT_KNOW in i.codes for i in tf)  # with "don't know"
    multiples = [i for i in scored if i.type is ItemType.MULTIPLE]
    assert any(i.key is not None and i.key.partial_credit for i in multiples)
    tf_keys = Counter(next(iter(i.key.correct)) for i in scored if i.type is ItemType.TRUEFALSE)
    assert set(tf_keys) == {"T", "F"}
    assert max(tf_keys.values()) <= 0.65 * sum(tf_keys.values())
    single_keys = Counter(next(iter(i.key.correct)) for i in scored if i.type is ItemType.SINGLE)
    assert len(single_keys) >= 3
    assert max(single_keys.values()) <= 0.5 * sum(single_keys.values())
    for item in scored:
        if item.type is ItemType.SINGLE:
            assert 3 <= len([c for c in item.codes if c != DONT_KNOW]) <= 4, item.id


def test_demographics_use_concepts_named_like_their_items(q: Questionnaire) -> None:
    concepts = q.items_by_concept()
    expected = {
        "sex",
        "birth_year",
        "education",
        "occupation",
        "employer",
        "town",
        "urban",
        "years_in_yiwu",
    }
    assert set(concepts) == expected
    assert all(item.id == concept for concept, item in concepts.items())
    for item_id, codes in DEMOGRAPHIC_CODES.items():
        assert q.item(item_id).codes == codes, item_id


def test_the_14_towns_and_streets(q: Questionnaire) -> None:
    town = q.item("town")
    assert {o.code: o.label.get("zh-CN") for o in town.options} == TOWNS
    assert len(town.options) == 14


@pytest.mark.parametrize(
    ("birth_year", "ok"),
    [(2007, True), (2008, False), (1956, True), (1955, False), (1980, True)],
)
def test_birth_year_constraint_keeps_ages_18_to_69(
    q: Questionnaire, birth_year: int, ok: bool
) -> None:
    item = q.item("birth_year")
    assert item.constraint is not None and item.constraint_message is not None
    assert item.constraint.test(q.environment({"birth_year": birth_year})) is ok


def test_years_in_yiwu_cannot_exceed_age(q: Questionnaire) -> None:
    item = q.item("years_in_yiwu")
    assert item.constraint is not None
    env = q.environment({"birth_year": 1985, "years_in_yiwu": 40})  # age 40
    assert item.constraint.test(env)
    env = q.environment({"birth_year": 1985, "years_in_yiwu": 41})
    assert not item.constraint.test(env)


def test_employer_is_asked_only_of_people_in_work(q: Questionnaire) -> None:
    rule = q.item("employer").relevant
    assert rule is not None
    for occupation in DEMOGRAPHIC_CODES["occupation"]:
        expected = occupation not in ("student", "retired", "unemployed")
        assert rule.test({"occupation": occupation}) is expected, occupation


def test_elderly_digital_training_is_asked_only_from_60(q: Questionnaire) -> None:
    rule = q.item("elderly_digital").relevant
    assert rule is not None
    assert rule.test(q.environment({"birth_year": 1965}))  # 60
    assert not rule.test(q.environment({"birth_year": 1966}))  # 59


def test_the_five_key_groups(q: Questionnaire) -> None:
    labels = {g.id: g.label.get("zh-CN") for g in q.groups}
    assert labels == {
        "youth": "青少年（18-35岁）",
        "farmer": "农民",
        "worker": "产业工人",
        "elderly": "老年人",
        "cadre": "领导干部和公务员",
    }


@pytest.mark.parametrize(
    ("answers", "members"),
    [
        # a 66-year-old farmer
        (
            {"birth_year": 1959, "occupation": "agriculture", "employer": "none"},
            {"elderly", "farmer"},
        ),
        # a 30-year-old civil servant
        ({"birth_year": 1995, "occupation": "clerk", "employer": "party_gov"}, {"youth", "cadre"}),
        # a 35-year-old factory worker (35 is still youth), a 36-year-old one is not
        (
            {"birth_year": 1990, "occupation": "production", "employer": "private"},
            {"youth", "worker"},
        ),
        ({"birth_year": 1989, "occupation": "production", "employer": "private"}, {"worker"}),
        # the head of a public institution is a cadre; the head of a private firm is not
        ({"birth_year": 1975, "occupation": "head", "employer": "public_inst"}, {"cadre"}),
        ({"birth_year": 1975, "occupation": "head", "employer": "private"}, set()),
        # a retired 60-year-old: employer is not asked (null), so not a cadre
        ({"birth_year": 1965, "occupation": "retired"}, {"elderly"}),
        # a 59-year-old trader
        ({"birth_year": 1966, "occupation": "service", "employer": "self_employed"}, set()),
    ],
)
def test_group_membership(q: Questionnaire, answers: dict[str, Any], members: set[str]) -> None:
    flags = q.group_flags(answers)
    assert set(flags) == {"youth", "farmer", "worker", "elderly", "cadre"}
    assert {g for g, flag in flags.items() if flag} == members


def test_attention_check_expects_agree(q: Questionnaire) -> None:
    grid = q.item("ATT1")
    assert grid.type is ItemType.GRID
    row = next(r for r in grid.rows if r.id == "ATT1")
    assert row.attention_expect == "4"
    option = grid.option("4")
    assert option is not None
    assert option.label.get("zh-CN") == "比较同意"
    assert option.label.get("en") == "Agree"
    assert "比较同意" in row.text.get("zh-CN")
    assert "Agree" in row.text.get("en")
    assert grid.codes == ("1", "2", "3", "4", "5")
    checks = [r.id for item in q.items for r in item.rows if r.attention_expect is not None]
    checks += [i.id for i in q.items if i.attention_expect is not None]
    assert checks == ["ATT1"]


def test_non_test_items(q: Questionnaire) -> None:
    channels = q.item("channels")
    assert channels.type is ItemType.MULTIPLE
    assert set(channels.codes) == {
        "tv",
        "internet",
        "phone_app",
        "wechat",
        "newspaper",
        "radio",
        "friends",
        "community",
        "other",
        "none",
    }
    assert [o.code for o in channels.options if o.exclusive] == ["none"]
    assert q.item("kepu_app").codes == ("often", "sometimes", "never", "never_heard")
    venues = q.item("visit_venue")
    assert venues.type is ItemType.MULTIPLE
    assert [o.code for o in venues.options if o.exclusive] == ["none"]
    assert q.item("events").codes == ("yes", "no")
    assert q.item("elderly_digital").codes == ("yes", "no")
    remark = q.item("remark")
    assert remark.type is ItemType.TEXT and remark.required is False
    assert not any(i.scored for i in (channels, venues, remark, q.item("kepu_app")))


def test_pages_have_at_most_ten_questions(q: Questionnaire) -> None:
    sizes = {s.id: sum(len(item.rows) or 1 for item in s.items) for s in q.sections}
    assert all(2 <= n <= 10 for n in sizes.values()), sizes
    test_pages = [s.id for s in q.sections if any(i.scored for i in s.items)]
    assert test_pages == ["knowledge_1", "knowledge_2", "method", "spirit", "application"]
    assert all(sizes[page] >= 5 for page in [*test_pages, "attitudes"]), sizes
