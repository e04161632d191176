"""The youth monitoring's booklets: anchors identical across grades, structure, no identifiers."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import ItemType
from questionnaires import load_questionnaire
from questionnaires import validate_file

GRADES = {"4": "youth-g4-2025.yaml", "8": "youth-g8-2025.yaml"}
STAFF = ("youth-principal-2025.yaml", "youth-teacher-2025.yaml")
ANCHORS = tuple(f"C{j:02d}" for j in range(1, 11))
#: answers a student booklet must never ask for (direct identifiers of a child)
IDENTIFIER_WORDS = ("姓名", "名字", "电话", "手机", "身份证", "学号", "住址")


def _booklet(grade: str):
    return load_questionnaire(QUESTIONNAIRE_DIR / GRADES[grade])


@pytest.mark.parametrize("name", [*GRADES.values(), *STAFF])
def test_valid(name):
    assert validate_file(QUESTIONNAIRE_DIR / name) == []


def test_anchor_items_are_identical_in_both_grades():
    q4, q8 = _booklet("4"), _booklet("8")
    for item_id in ANCHORS:
        a, b = q4.item(item_id), q8.item(item_id)
        same = {f.name for f in dataclasses.fields(a)} - {"line", "section"}
        for name in same:
            assert getattr(a, name) == getattr(b, name), (item_id, name)
    common = {i.id for i in q4.scored_items} & {i.id for i in q8.scored_items}
    assert common == set(ANCHORS)


@pytest.mark.parametrize("grade", ["4", "8"])
def test_test_structure(grade):
    q = _booklet(grade)
    items = q.scored_items
    dims = Counter(i.key.dimension for i in items if i.key)
    assert set(dims) == {"knowledge", "method", "spirit", "application"}
    assert dims["knowledge"] >= 14 and dims["method"] >= 6 and dims["spirit"] >= 5
    assert 30 <= len(items) <= 32
    assert {i.type for i in items} == {ItemType.SINGLE, ItemType.TRUEFALSE, ItemType.MULTIPLE}
    for item in items:
        assert item.key is not None and item.key.explanation is not None
        assert item.key.correct <= set(item.codes), item.id
        assert "DK" not in item.codes  # no "don't know" in the children's test
        assert item.required
        if item.type is ItemType.MULTIPLE:
            assert item.key.partial_credit
    for name in (
        "books",
        "read_science",
        "activities",
        "lives_with",
        "talk_science",
        "device",
        "venue_visits",
        "other_venues",
        "venue_time",
    ):
        assert q.has_variable(name) and not q.item(name).required, name
    assert q.population.max_age <= 16 and q.scoring.literate_level == "medium"
    assert q.items_by_concept() == {"sex": q.item("sex")}


@pytest.mark.parametrize("name", [*GRADES.values(), *STAFF])
def test_no_direct_identifiers_and_every_text_in_both_languages(name):
    q = load_questionnaire(QUESTIONNAIRE_DIR / name)
    assert q.privacy is not None
    assert any(word in q.privacy.get("zh-CN") for word in ("姓名", "名字"))  # says none is asked
    for item in q.items:
        assert item.text.languages >= {"zh-CN", "en"}, item.id
        text = item.text.get("zh-CN")
        if item.type is ItemType.TEXT:
            assert name in STAFF and not item.required
            continue
        assert not any(word in text for word in IDENTIFIER_WORDS), (item.id, text)
