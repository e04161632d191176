"""The national score, levels and literacy rules (scoring/score.py, scoring/sheet.py).

features.yaml (tests/questionnaires/data) is a 10-point test: K1 (truefalse, key T) and
K2 (single, key C, has DK) are knowledge (max 4), M1 (multiple, key A+B, partial credit)
is method (max 2), S1 (truefalse, key F) spirit (max 2), P1 (single, key A) application
(max 2); every item is worth 2 points, so scaled = raw. Levels: advanced >= 8.5,
literate >= 7, basic >= 5.5, low >= 0; Miller cuts 2/1/1/1.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from questionnaires import QuestionnaireError
from questionnaires import load_questionnaire
from questionnaires import parse_questionnaire
from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from scoring import ResponseError
from scoring import RuleError
from scoring import ScoringError
from scoring import assign_levels
from scoring import encode_responses
from scoring import score_responses

ALL_RIGHT = {"K1": "T", "K2": "C", "M1": ["A", "B"], "S1": "F", "P1": "A"}
ALL_WRONG = {"K1": "F", "K2": "A", "M1": ["C"], "S1": "T", "P1": "B"}


@pytest.fixture
def text(features_path: Path) -> str:
    return features_path.read_text(encoding="utf-8")


@pytest.fixture
def q(features_path: Path) -> Questionnaire:
    return load_questionnaire(features_path)


def _variant(text: str, old: str, new: str) -> Questionnaire:
    assert old in text
    return parse_questionnaire(text.replace(old, new))


def test_all_right(q: Questionnaire) -> None:
    sheet = score_responses(q, [ALL_RIGHT])
    assert sheet.points.tolist() == [[2.0] * 5]
    assert sheet.right.all()
    assert sheet.raw.tolist() == [[4.0, 2.0, 2.0, 2.0]]
    assert sheet.scaled.tolist() == [[4.0, 2.0, 2.0, 2.0]]
    assert sheet.total.tolist() == [10.0]
    assert sheet.share_right.tolist() == [1.0]
    assert sheet.level_labels.tolist() == ["advanced"]
    assert sheet.literate.tolist() == [True]


def test_all_wrong_and_all_missing(q: Questionnaire) -> None:
    sheet = score_responses(q, [ALL_WRONG, {}])
    assert sheet.points.sum() == 0.0
    assert sheet.total.tolist() == [0.0, 0.0]
    assert sheet.level_labels.tolist() == ["low", "low"]
    assert sheet.literate.tolist() == [False, False]
    assert sheet.answered[0].all()
    assert not sheet.answered[1].any()


def test_dont_know_and_missing_are_wrong(q: Questionnaire) -> None:
    sheet = score_responses(q, [{"K1": "DK", "K2": "DK", "M1": ["A", "B"], "S1": "F"}])
    # K1, K2 don't know; P1 missing: 2 (M1) + 2 (S1)
    assert sheet.right.tolist() == [[False, False, True, True, False]]
    assert sheet.answered.tolist() == [[True, True, True, True, False]]
    assert sheet.total.tolist() == [4.0]
    assert sheet.level_labels.tolist() == ["low"]


@pytest.mark.parametrize(
    ("chosen", "points", "right"),
    [
        (["A", "B"], 2.0, True),
        (["B", "A"], 2.0, True),
        (["A"], 1.0, False),  # 2 * (1 - 0) / 2
        (["A", "B", "C"], 1.0, False),  # 2 * (2 - 1) / 2
        (["A", "C"], 0.0, False),  # 2 * (1 - 1) / 2
        (["C"], 0.0, False),  # max(0, (0 - 1) / 2)
        ([], 0.0, False),
        (None, 0.0, False),
    ],
)
def test_multiple_answer_partial_credit(
    q: Questionnaire, chosen: list[str] | None, points: float, right: bool
) -> None:
    sheet = score_responses(q, [{"M1": chosen}])
    assert sheet.points[0, 2] == points
    assert sheet.right[0, 2] == right
    assert sheet.raw[0, 1] == points


@pytest.mark.parametrize(
    ("chosen", "points"),
    [(["A", "B"], 2.0), (["A"], 0.0), (["A", "B", "C"], 0.0), (["C"], 0.0)],
)
def test_multiple_answer_exact_match(text: str, chosen: list[str], points: float) -> None:
    q = _variant(text, "        partial_credit: true\n", "")
    sheet = score_responses(q, [{"M1": chosen}])
    assert sheet.points[0, 2] == points
    assert sheet.partial_columns == ()


def test_partial_credit_with_three_keyed_options(text: str) -> None:
    q = _variant(text, "key: [A, B]", "key: [A, B, C]")
    sheet = score_responses(q, [{"M1": ["A"]}, {"M1": ["A", "B"]}, {"M1": ["A", "B", "C"]}])
    # 2 * 1/3 rounded to 1e-9, 2 * 2/3, 2
    assert sheet.points[:, 2].tolist() == [0.666666667, 1.333333333, 2.0]
    assert sheet.right[:, 2].tolist() == [False, False, True]


def test_exactly_on_threshold_inclusive_and_exclusive(text: str, q: Questionnaire) -> None:
    # K1 + K2 + S1 right (6) and half of M1 (1): total exactly 7, the literate minimum
    answers = [{"K1": "T", "K2": "C", "S1": "F", "M1": ["A"]}, {**ALL_RIGHT, "M1": ["A"]}]
    inclusive = score_responses(q, answers)
    assert inclusive.total.tolist() == [7.0, 9.0]
    assert inclusive.level_labels.tolist() == ["literate", "advanced"]
    assert inclusive.literate.tolist() == [True, True]
    exclusive = score_responses(_variant(text, "inclusive: true", "inclusive: false"), answers)
    assert exclusive.level_labels.tolist() == ["basic", "advanced"]
    assert exclusive.literate.tolist() == [False, True]


def test_assign_levels_on_every_boundary(text: str, q: Questionnaire) -> None:
    totals = np.array([0.0, 5.4999, 5.5, 6.9, 7.0, 8.4999999, 8.5, 10.0])
    assert assign_levels(totals, q.scoring).tolist() == [3, 3, 2, 2, 1, 1, 0, 0]
    exclusive = _variant(text, "inclusive: true", "inclusive: false").scoring
    # a total of 0 is still at the lowest level
    assert assign_levels(totals, exclusive).tolist() == [3, 3, 3, 2, 2, 1, 1, 0]


def test_miller_rule(text: str) -> None:
    q = _variant(text, "rule: national-2021", "rule: miller")
    answers = [
        {**ALL_RIGHT, "M1": ["C"]},  # total 8 but method 0 < cut 1
        {"K1": "T", "M1": ["A"], "S1": "F", "P1": "A"},  # 2/1/2/2: every cut reached exactly
        ALL_RIGHT,
    ]
    sheet = score_responses(q, answers)
    assert sheet.rule == "miller"
    assert sheet.total.tolist() == [8.0, 7.0, 10.0]
    assert sheet.literate.tolist() == [False, True, True]
    assert sheet.level_labels.tolist() == ["literate", "literate", "advanced"]
    national = score_responses(q, answers, rule="national-2021")
    assert national.literate.tolist() == [True, True, True]
    strict = _variant(
        text.replace("inclusive: true", "inclusive: false"), "rule: national-2021", "rule: miller"
    )
    assert score_responses(strict, answers).literate.tolist() == [False, False, True]


def test_benchmark_rule(text: str) -> None:
    q = _variant(text, "rule: national-2021", "rule: benchmark-2016")
    answers = [
        {"K1": "T", "K2": "C", "S1": "F"},  # 3 of 5 right = 0.6: passes; total 6 (basic)
        {"K1": "T", "K2": "C", "M1": ["A"]},  # 2 of 5 fully right (M1 half): fails
        {"K1": "T", "K2": "C", "S1": "F", "M1": ["A"]},  # total 7 but still 3 of 5
    ]
    sheet = score_responses(q, answers)
    assert sheet.share_right.tolist() == [0.6, 0.4, 0.6]
    assert sheet.literate.tolist() == [True, False, True]
    assert sheet.level_labels.tolist() == ["basic", "low", "literate"]
    higher = _variant(
        text.replace("benchmark_pass: 0.6", "benchmark_pass: 0.8"),
        "rule: national-2021",
        "rule: benchmark-2016",
    )
    assert score_responses(higher, answers).literate.tolist() == [False, False, False]


def test_unknown_rule_is_rejected(q: Questionnaire) -> None:
    with pytest.raises(RuleError, match="unknown scoring rule set 'pisa'") as err:
        score_responses(q, [ALL_RIGHT], rule="pisa")
    assert "national-2021" in str(err.value.expected)


def _float_questionnaire(inclusive: bool = True) -> Questionnaire:
    """Raw maxima 27/21/9/12 scaled to 40/20/20/20: factors that are not binary fractions."""
    plan = [("knowledge", 9, 3), ("method", 7, 3), ("spirit", 9, 1), ("application", 2, 6)]
    items = []
    for dim, points, count in plan:
        for i in range(count):
            items.append(
                f"""      - id: {dim[0].upper()}{i}
        type: truefalse
        dont_know: false
        text: t
        key: T
        points: {points}
        dimension: {dim}"""
            )
    body = "\n".join(items)
    return parse_questionnaire(
        f"""id: floats
version: "1"
title: floats
languages: [zh-CN]
population: {{min_age: 18, max_age: 69}}
reference_year: 2025
scoring:
  inclusive: {str(inclusive).lower()}
sections:
  - id: s
    title: s
    items:
{body}
"""
    )


def test_a_total_of_exactly_70_from_scaled_parts_is_70() -> None:
    q = _float_questionnaire()
    # raw 27/27, 7/21, 9/9, 2/12 -> 40 + 20/3 + 20 + 10/3 = 70 exactly
    exact = Fraction(40) + Fraction(7 * 20, 21) + Fraction(20) + Fraction(2 * 20, 12)
    assert exact == 70
    naive = 27 * (40 / 27) + 7 * (20 / 21) + 9 * (20 / 9) + 2 * (20 / 12)
    assert naive != 70  # plain floating point misses the threshold
    answers = {"K0": "T", "K1": "T", "K2": "T", "M0": "T", "S0": "T", "A0": "T"}
    sheet = score_responses(q, [answers])
    assert sheet.total.tolist() == [70.0]
    assert sheet.level_labels.tolist() == ["literate"]
    assert sheet.literate.tolist() == [True]
    assert sheet.scaled[0].tolist() == [40.0, 6.666666667, 20.0, 3.333333333]
    excl = score_responses(_float_questionnaire(inclusive=False), [answers])
    assert excl.level_labels.tolist() == ["basic"]


def test_dimension_maxima_must_sum_to_total(text: str) -> None:
    with pytest.raises(QuestionnaireError, match="dimension maxima sum to 11"):
        _variant(text, "application: {max: 2, cut: 1}", "application: {max: 3, cut: 1}")


def test_score_sheet_rows_and_columns(q: Questionnaire) -> None:
    sheet = score_responses(q, [ALL_RIGHT, {"K1": "T", "M1": ["A"]}])
    assert sheet.score_columns == (
        "item_K1", "item_K2", "item_M1", "item_S1", "item_P1",
        "score_knowledge", "score_method", "score_spirit", "score_application",
        "score_total", "level", "literate",
    )  # fmt: skip
    row = sheet.row(1)
    assert row == {
        "item_K1": 2.0, "item_K2": 0.0, "item_M1": 1.0, "item_S1": 0.0, "item_P1": 0.0,
        "score_knowledge": 2.0, "score_method": 1.0, "score_spirit": 0.0,
        "score_application": 0.0, "score_total": 3.0, "level": "low", "literate": 0,
    }  # fmt: skip
    cols = sheet.columns()
    assert list(cols) == list(sheet.score_columns)
    assert cols["item_M1"].tolist() == [2.0, 1.0]
    assert cols["level"].tolist() == ["advanced", "low"]
    assert cols["literate"].tolist() == [1, 0]
    stored = sheet.to_dict(1)
    assert json.loads(json.dumps(stored)) == stored
    assert stored["items"]["M1"] == 1.0
    assert stored["right"]["K1"] is True
    assert stored["total"] == 3.0
    assert stored["level"] == "low"
    assert stored["content_hash"] == q.content_hash
    assert sheet.to_dict(-1) == stored
    with pytest.raises(ScoringError, match="out of range"):
        sheet.row(2)


def test_level_shares(q: Questionnaire) -> None:
    sheet = score_responses(q, [ALL_RIGHT, ALL_WRONG, ALL_WRONG, {**ALL_RIGHT, "P1": "B"}])
    assert sheet.level_shares() == {"advanced": 0.25, "literate": 0.25, "basic": 0.0, "low": 0.5}
    w = np.array([1.0, 1.0, 1.0, 5.0])
    assert sheet.level_shares(w) == {
        "advanced": 0.125, "literate": 0.625, "basic": 0.0, "low": 0.25,
    }  # fmt: skip
    with pytest.raises(ScoringError, match="weights"):
        sheet.level_shares(np.array([1.0, -1.0, 1.0, 1.0]))


def test_sheet_arrays_are_read_only(q: Questionnaire) -> None:
    sheet = score_responses(q, [ALL_RIGHT])
    for name in ("right", "points", "raw", "scaled", "total", "level", "literate"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(sheet, name)[0] = 0


def test_rescoring_after_a_key_correction(text: str, q: Questionnaire) -> None:
    encoded = encode_responses(q, [ALL_RIGHT, {"P1": "B"}])
    corrected = _variant(
        text,
        "        key: A\n        points: 2\n        dimension: application",
        "        key: B\n        points: 2\n        dimension: application",
    )
    sheet = score_responses(corrected, encoded)
    assert sheet.points[:, 4].tolist() == [0.0, 2.0]
    assert sheet.content_hash == corrected.content_hash != q.content_hash


def test_encoding_of_another_questionnaire_is_rejected(text: str, q: Questionnaire) -> None:
    encoded = encode_responses(q, [ALL_RIGHT])
    other = _variant(
        text,
        "- {code: C, label: {zh-CN: 一年, en: A year}}",
        "- {code: C, label: {zh-CN: 一年, en: A year}}\n"
        "          - {code: D, label: {zh-CN: 十年, en: Ten years}}",
    )
    with pytest.raises(ResponseError, match="item K2: the responses were encoded with other"):
        score_responses(other, encoded)
    k1_key = "        key: true\n        points: 2\n        dimension: knowledge\n"
    k1_explanation = text[text.index(k1_key) + len(k1_key) :].splitlines(keepends=True)[0]
    fewer = _variant(text, k1_key + k1_explanation, "")
    with pytest.raises(ResponseError, match="other scored items"):
        score_responses(fewer, encoded)


# --- an independent per-respondent reference: exact rational arithmetic, plain Python ---


def _reference(q: Questionnaire, answers: dict[str, Any]) -> tuple[Fraction, str, bool]:
    rules = q.scoring
    raw: dict[str, Fraction] = {d.id: Fraction(0) for d in rules.dimensions}
    rawmax: dict[str, Fraction] = {d.id: Fraction(0) for d in rules.dimensions}
    n_right = 0
    for item in q.scored_items:
        key = item.key
        assert key is not None
        pts = Fraction(key.points)
        rawmax[key.dimension] += pts
        given = answers.get(item.id)
        if item.type is ItemType.MULTIPLE:
            chosen = set(given or [])
            ok = given is not None and chosen == set(key.correct)
            if key.partial_credit and given is not None:
                r, w = len(chosen & key.correct), len(chosen - key.correct)
                earned = pts * max(Fraction(0), Fraction(r - w, len(key.correct)))
            else:
                earned = pts if ok else Fraction(0)
        else:
            ok = given in key.correct
            earned = pts if ok else Fraction(0)
        n_right += ok
        raw[key.dimension] += earned
    scaled = {d.id: raw[d.id] * Fraction(d.maximum) / rawmax[d.id] for d in rules.dimensions}
    total = sum(scaled.values(), Fraction(0))
    level = next(
        lv.code
        for lv in rules.levels
        if (total >= Fraction(lv.minimum) if rules.inclusive else total > Fraction(lv.minimum))
        or lv.minimum == 0
    )
    codes = [lv.code for lv in rules.levels]
    literate = codes.index(level) <= codes.index(rules.literate_level)
    return total, level, literate


def _random_answers(q: Questionnaire, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        a: dict[str, Any] = {}
        for item in q.scored_items:
            if rng.random() < 0.1:
                continue  # missing
            codes = item.codes
            if item.type is ItemType.MULTIPLE:
                a[item.id] = [c for c in codes if rng.random() < 0.5]
            else:
                a[item.id] = codes[rng.integers(len(codes))]
        out.append(a)
    return out


def test_vectorised_scores_match_a_per_respondent_reference(
    q: Questionnaire, rng: np.random.Generator
) -> None:
    answers = _random_answers(q, rng, 400)
    sheet = score_responses(q, answers)
    for i, a in enumerate(answers):
        total, level, literate = _reference(q, a)
        assert sheet.total[i] == pytest.approx(float(total), abs=1e-9)
        assert sheet.level_codes[sheet.level[i]] == level
        assert bool(sheet.literate[i]) == literate


def test_default_questionnaire_scores_on_100_points(rng: np.random.Generator) -> None:
    from questionnaires import DEFAULT_QUESTIONNAIRE

    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    assert len(q.scored_items) == 50
    right = {}
    for item in q.scored_items:
        assert item.key is not None
        right[item.id] = (
            sorted(item.key.correct)
            if item.type is ItemType.MULTIPLE
            else next(iter(item.key.correct))
        )
    answers = [right, {}, *_random_answers(q, rng, 300)]
    sheet = score_responses(q, answers)
    assert sheet.total[:2].tolist() == [100.0, 0.0]
    assert sheet.scaled[0].tolist() == [40.0, 20.0, 20.0, 20.0]
    assert sheet.level_labels[:2].tolist() == ["advanced", "low"]
    np.testing.assert_array_equal(sheet.scaled, sheet.raw)  # 2 points x 20/10/10/10 items
    for i, a in enumerate(answers):
        total, level, literate = _reference(q, a)
        assert sheet.total[i] == pytest.approx(float(total), abs=1e-9)
        assert sheet.level_codes[sheet.level[i]] == level
        assert bool(sheet.literate[i]) == literate
