"""Loading questionnaire files: the model, and one test per kind of validation error."""

from __future__ import annotations

from pathlib import Path

import pytest

from questionnaires import ItemType
from questionnaires import QuestionnaireError
from questionnaires import load_questionnaire
from questionnaires import parse_questionnaire
from questionnaires.loader import content_hash


def test_features_questionnaire_loads(features_path: Path) -> None:
    q = load_questionnaire(features_path)
    assert q.id == "features-test"
    assert q.languages == ("zh-CN", "en")
    assert [s.id for s in q.sections] == ["about", "test", "attitudes"]
    assert {i.type for i in q.items} == set(ItemType)
    assert q.variables[-2:] == ("V1", "V2")
    assert q.item("V2").id == "views"
    assert q.item("views").rows[1].attention_expect == "3"
    assert q.points_by_dimension() == {"knowledge": 4, "method": 2, "spirit": 2, "application": 2}
    assert q.content_hash == content_hash(features_path.read_bytes())
    assert len(q.content_hash) == 64


def test_item_details(features_path: Path) -> None:
    q = load_questionnaire(features_path)
    k1, k2, m1, s1 = (q.item(i) for i in ("K1", "K2", "M1", "S1"))
    assert k1.codes == ("T", "F", "DK") and k1.key is not None
    assert k1.key.correct == {"T"} and k1.key.points == 2 and k1.key.dimension == "knowledge"
    assert k1.key.explanation is not None and "5,000" in k1.key.explanation.get("en")
    assert k2.codes == ("A", "B", "C", "DK") and k2.randomize
    assert k2.option("DK") is not None and k2.option("DK").fixed  # type: ignore[union-attr]
    assert m1.key is not None and m1.key.correct == {"A", "B"} and m1.key.partial_credit
    assert s1.codes == ("T", "F")  # dont_know: false
    interest = q.item("interest")
    assert [o.value for o in interest.options] == [1, 2, 3, 4]
    birth = q.item("birth_year")
    assert (birth.minimum, birth.maximum, birth.integer) == (1900, 2010, True)
    assert q.item("remark").required is False and q.item("remark").max_length == 200
    assert q.item("channels").option("none").exclusive  # type: ignore[union-attr]


def test_derived_variables_and_groups(features_path: Path) -> None:
    q = load_questionnaire(features_path)
    env = q.environment({"birth_year": 1960, "occupation": "farmer"})
    assert env["age"] == 65 and env["senior"] is True
    assert q.group_flags({"birth_year": 1960, "occupation": "farmer"}) == {
        "elderly": True,
        "farmer": True,
        "young_farmer": False,
    }
    assert q.group_flags({"birth_year": 1995, "occupation": "farmer"}, survey_year=2025) == {
        "elderly": False,
        "farmer": True,
        "young_farmer": True,
    }
    # a wave in another year can override the reference year
    assert q.environment({"birth_year": 1966}, survey_year=2026)["age"] == 60
    assert q.group_flags({}) == {"elderly": False, "farmer": False, "young_farmer": False}


def test_scoring_defaults_when_absent() -> None:
    text = """
id: tiny
version: "1"
title: 小问卷
languages: [zh-CN]
population: {min_age: 18, max_age: 69}
reference_year: 2025
sections:
  - id: s
    title: 页
    items:
      - {id: q1, type: text, text: 说点什么}
"""
    q = parse_questionnaire(text)
    assert [d.maximum for d in q.scoring.dimensions] == [40, 20, 20, 20]
    assert [lv.minimum for lv in q.scoring.levels] == [85, 70, 55, 0]
    assert q.scoring.rule == "national-2021" and q.scoring.inclusive


# --- every kind of validation error, with its message and line ------------------------


def _mutate(features_path: Path, old: str, new: str) -> str:
    text = features_path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in features.yaml"
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    """The line of the last occurrence of ``needle`` (which may span lines)."""
    at = text.rfind(needle)
    if at < 0:
        raise AssertionError(f"{needle!r} not found")
    return text.count("\n", 0, at) + 1


CASES = [
    # (name, old, new, expected message part, line marker (a text on the reported line))
    (
        "yaml-syntax",
        "title: {zh-CN: 功能测试问卷, en: Feature test questionnaire}",
        "title: {zh-CN: 功能测试问卷, en: [}",
        "YAML syntax error",
        "title: {zh-CN: 功能测试问卷",
    ),
    (
        "duplicate-key",
        'version: "1.0"\n',
        'version: "1.0"\nversion: "2.0"\n',
        "key 'version' is written twice (first on line 3)",
        'version: "2.0"',
    ),
    (
        "unknown-key",
        "minutes: 3\n",
        "minutes: 3\ncolour: red\n",
        "unknown key 'colour' in the questionnaire",
        "colour: red",
    ),
    (
        "missing-key",
        "reference_year: 2025\n",
        "",
        "missing required key 'reference_year'",
        "id: features-test",
    ),
    (
        "wrong-type",
        "minutes: 3",
        "minutes: three",
        "'minutes' must be a number, not a string",
        "minutes: three",
    ),
    (
        "key-not-option",
        "        key: C\n",
        "        key: D\n",
        "item K2: answer key 'D' is not one of the options A, B, C",
        "key: D",
    ),
    (
        "key-multiple-unknown",
        "key: [A, B]",
        "key: [A, E]",
        "item M1: answer key 'E' is not one of the options A, B, C",
        "key: [A, E]",
    ),
    (
        "key-two-for-single",
        "        key: C\n",
        "        key: [A, C]\n",
        "a single item has one right answer, not 2",
        "key: [A, C]",
    ),
    (
        "duplicate-item-id",
        "      - id: S1\n",
        "      - id: K1\n",
        "id 'K1' is used twice (first on line",
        "- id: K1",
    ),
    (
        "duplicate-option",
        "- {code: B, label: {zh-CN: 一个月",
        "- {code: A, label: {zh-CN: 一个月",
        "option code 'A' appears twice",
        "code: A, label: {zh-CN: 一个月",
    ),
    (
        "bad-option-code",
        "- {code: B, label: {zh-CN: 一个月",
        "- {code: 'B B', label: {zh-CN: 一个月",
        "option code 'B B' must be letters",
        "label: {zh-CN: 一个月",
    ),
    (
        "unknown-type",
        "type: likert",
        "type: slider",
        "item interest: unknown item type 'slider'",
        "type: slider",
    ),
    (
        "key-on-number",
        "        integer: true\n        unit:",
        "        integer: true\n        key: 3\n        unit:",
        "unknown key 'key' in an item",
        "key: 3",
    ),
    (
        "points-without-key",
        "        key: A\n        points: 2\n        dimension: application",
        "        points: 2\n        dimension: application",
        "item P1: 'points' given but the item has no 'key'",
        "        points: 2",
    ),
    (
        "unknown-dimension",
        "dimension: application",
        "dimension: applied",
        "unknown dimension 'applied'",
        "dimension: applied",
    ),
    (
        "negative-points",
        "        key: A\n        points: 2",
        "        key: A\n        points: -2",
        "'points' must be greater than 0",
        "points: -2",
    ),
    (
        "maxima-sum",
        "knowledge: {max: 4, cut: 2}",
        "knowledge: {max: 5, cut: 2}",
        "dimension maxima sum to 11 (knowledge 5 + method 2 + spirit 2 + application 2), "
        "not the total 10",
        "  dimensions:",
    ),
    (
        "level-order",
        "en: Advanced}, min: 8.5}",
        "en: Advanced}, min: 6}",
        "levels must be listed from the highest minimum to the lowest",
        "en: Literate}, min: 7",
    ),
    (
        "lowest-level",
        "en: Low}, min: 0}",
        "en: Low}, min: 1}",
        "the lowest level must start at min 0",
        "  levels:",
    ),
    (
        "unknown-rule",
        "rule: national-2021",
        "rule: national-2030",
        "unknown rule set 'national-2030'",
        "rule: national-2030",
    ),
    (
        "expression-syntax",
        "relevant: occupation == 'farmer'",
        "relevant: occupation = 'farmer'",
        "item farm_years: bad relevant expression",
        "relevant: occupation = 'farmer'",
    ),
    (
        "unknown-reference",
        "relevant: occupation == 'farmer'",
        "relevant: ocupation == 'farmer'",
        "relevance refers to unknown variable 'ocupation'",
        "- id: farm_years",
    ),
    (
        "forward-reference",
        "relevant: occupation == 'farmer'",
        "relevant: K1 == 'T'",
        "relevance refers to item 'K1' (line",
        "- id: farm_years",
    ),
    (
        "cycle",
        "age: survey_year - birth_year",
        "age: survey_year - birth_year + (senior * 0)",
        "skip logic has a cycle: age -> senior -> age",
        "age: survey_year",
    ),
    (
        "code-typo",
        "rule: occupation == 'farmer'",
        "rule: occupation == 'famer'",
        "rule compares 'occupation' with 'famer', which is not one of its codes farmer, worker, "
        "other",
        "  farmer:",
    ),
    (
        "grid-as-variable",
        "rule: occupation == 'farmer'",
        "rule: views == '1'",
        "refers to grid 'views', which has no single answer",
        "  farmer:",
    ),
    (
        "missing-language",
        "title: {zh-CN: 功能测试问卷, en: Feature test questionnaire}",
        "title: 功能测试问卷",
        "'title' has no en text",
        "title: 功能测试问卷",
    ),
    (
        "unknown-language",
        "title: {zh-CN: 功能测试问卷, en: Feature test questionnaire}",
        "title: {zh-CN: 功能测试问卷, en: Feature test, fr: Test}",
        "'title' has text in 'fr', which is not one of the questionnaire's languages",
        "title: {zh-CN: 功能测试问卷",
    ),
    (
        "min-above-max",
        "        min: 1900\n        max: 2010",
        "        min: 2011\n        max: 2010",
        "max (2010) is smaller than min (2011)",
        "max: 2010",
    ),
    (
        "attention-code",
        'attention_check: "3"',
        'attention_check: "7"',
        "attention check expects '7', which is not one of the options 1, 2, 3, 4",
        'attention_check: "7"',
    ),
    (
        "unknown-option-set",
        "scale: agree4\n        text: {zh-CN: 我对",
        "scale: agree9\n        text: {zh-CN: 我对",
        "unknown option set 'agree9' (option_sets: agree4)",
        "scale: agree9",
    ),
    (
        "population",
        "population: {min_age: 18, max_age: 69}",
        "population: {min_age: 70, max_age: 69}",
        "max_age 69 is below min_age 70",
        "population:",
    ),
    (
        "dimension-empty",
        "        key: F\n        points: 2\n        dimension: spirit",
        "        key: F\n        points: 2\n        dimension: method",
        "dimension 'spirit' has max 2 but no scored item",
        "- id: K1",
    ),
    (
        "reserved-id",
        "      - id: remark\n",
        "      - id: count\n",
        "id 'count' is a reserved word",
        "- id: count",
    ),
    (
        "one-option",
        '          - {code: "2", label: {zh-CN: 女, en: Female}}\n',
        "",
        "a question needs at least two options",
        'options:\n          - {code: "1", label: {zh-CN: 男',
    ),
    (
        "item-not-mapping",
        "      - id: remark\n",
        "      - just a string\n      - id: remark\n",
        "an item must be a mapping, not a string",
        "- just a string",
    ),
    (
        "required-not-bool",
        "        required: false\n",
        "        required: maybe\n",
        "'required' must be true or false, not a string",
        "required: maybe",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "message", "marker"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_validation_error(
    features_path: Path, name: str, old: str, new: str, message: str, marker: str
) -> None:
    text = _mutate(features_path, old, new)
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(text, source="broken.yaml")
    problems = info.value.problems
    matching = [p for p in problems if message in str(p)]
    assert matching, f"no problem says {message!r}; got:\n{info.value}"
    expected_line = _line_of(text, marker)
    assert matching[0].line == expected_line, str(matching[0])
    assert str(matching[0]).startswith(f"broken.yaml:{expected_line}: ")


def test_miller_needs_cuts(features_path: Path) -> None:
    text = _mutate(features_path, "rule: national-2021", "rule: miller")
    text = text.replace("method: {max: 2, cut: 1}", "method: {max: 2}")
    with pytest.raises(
        QuestionnaireError, match="rule 'miller' needs a 'cut' for dimension 'method'"
    ):
        parse_questionnaire(text)


def test_section_without_items(features_path: Path) -> None:
    text = features_path.read_text(encoding="utf-8")
    start = text.index("  - id: attitudes")
    text = text[:start] + "  - id: attitudes\n    title: {zh-CN: 看法, en: Views}\n    items: []\n"
    with pytest.raises(QuestionnaireError, match="a section needs at least one item"):
        parse_questionnaire(text)


def test_comma_in_flow_text_gets_a_hint(features_path: Path) -> None:
    text = _mutate(features_path, "en: Feature test questionnaire}", "en: Feature test, for all}")
    with pytest.raises(QuestionnaireError, match=r"text in 'for all'.*put the text in quotes"):
        parse_questionnaire(text)


def test_not_utf8() -> None:
    with pytest.raises(QuestionnaireError, match=r"<string>:2: the file is not UTF-8 text"):
        parse_questionnaire(b"id: x\ntitle: \xff\xfe\n")


def test_top_level_not_a_mapping() -> None:
    with pytest.raises(QuestionnaireError, match="the questionnaire must be a mapping, not a list"):
        parse_questionnaire("- a\n- b\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="cannot read file"):
        load_questionnaire(tmp_path / "nope.yaml")


def test_all_problems_reported_at_once(features_path: Path) -> None:
    text = _mutate(features_path, "minutes: 3", "minutes: three")
    text = text.replace("        key: C\n", "        key: D\n")
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(text)
    assert len(info.value.problems) == 2
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines)


def test_yes_no_codes_stay_strings() -> None:
    text = """
id: yn
version: "1"
title: 是否
languages: [zh-CN]
population: {min_age: 18, max_age: 69}
reference_year: 2025
sections:
  - id: s
    title: 页
    items:
      - id: q
        type: single
        text: 是吗
        options:
          - {code: yes, label: 是}
          - {code: no, label: 否}
"""
    assert parse_questionnaire(text).item("q").codes == ("yes", "no")


def test_grid_id_clashing_with_a_derived_variable(features_path: Path) -> None:
    # found by the fuzz test: a grid named like a derived variable crashed the checks
    text = _mutate(features_path, "      - id: views\n", "      - id: age\n")
    with pytest.raises(QuestionnaireError, match="derived variable 'age' has the name of an item"):
        parse_questionnaire(text)
