"""Encoding answers into the choice matrix (scoring/encode.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from questionnaires import load_questionnaire
from questionnaires.model import Questionnaire
from scoring import EncodedResponses
from scoring import ResponseError
from scoring import UnknownCodes
from scoring import encode_columns
from scoring import encode_responses


@pytest.fixture
def q(features_path: Path) -> Questionnaire:
    return load_questionnaire(features_path)


def test_codes_become_option_indices_and_masks(q: Questionnaire) -> None:
    # features.yaml scored items: K1 truefalse (T F DK), K2 single (A B C DK),
    # M1 multiple (A B C), S1 truefalse (T F), P1 single (A B)
    enc = encode_responses(
        q,
        [
            {"K1": "T", "K2": "DK", "M1": ["A", "C"], "S1": "F", "P1": "B", "sex": "1"},
            {},
            {"K1": None, "K2": "", "M1": [], "S1": True, "P1": "A"},
        ],
    )
    assert enc.item_ids == ("K1", "K2", "M1", "S1", "P1")
    assert enc.choice.tolist() == [
        [0, 3, 0b101, 1, 1],
        [-1, -1, -1, -1, -1],
        [-1, -1, 0, 0, 0],  # an empty selection is answered with nothing chosen
    ]
    assert enc.answered.tolist() == [[True] * 5, [False] * 5, [False, False, True, True, True]]
    assert enc.choice.dtype == np.int8
    assert enc.n == 3


def test_selection_expands_masks_and_indices(q: Questionnaire) -> None:
    enc = encode_responses(q, [{"M1": ["A", "C"], "K2": "C"}, {"M1": ["B"]}, {}])
    assert enc.selection("M1").tolist() == [
        [True, False, True],
        [False, True, False],
        [False, False, False],
    ]
    assert enc.selection("K2").tolist() == [
        [False, False, True, False],
        [False, False, False, False],
        [False, False, False, False],
    ]
    with pytest.raises(ResponseError, match="not a scored item"):
        enc.selection("sex")


def test_columns_path_matches_dict_path(q: Questionnaire) -> None:
    answers = [
        {"K1": "F", "K2": "A", "M1": ["A", "B"], "S1": "T", "P1": "A"},
        {"K1": "DK", "M1": ["C"]},
        {},
    ]
    columns = {
        "K1": ["F", "DK", ""],
        "K2": ["A", "", ""],
        "M1": ["A;B", "C", ""],
        "S1": ["T", "", ""],
        "P1": ["A", None, ""],
        "remark": ["x", "y", "z"],
    }
    a = encode_responses(q, answers)
    b = encode_columns(q, columns)
    np.testing.assert_array_equal(a.choice, b.choice)
    assert a.same_items(b)


def test_other_spellings_are_accepted(q: Questionnaire) -> None:
    enc = encode_columns(
        q,
        {
            "K1": [" T ", False],
            "K2": ["C", "B "],
            "M1": ["B , A", "A|C"],
            "S1": ["F", "T"],
            "P1": [float("nan"), "A"],
        },
    )
    assert enc.choice.tolist() == [[0, 2, 0b011, 1, -1], [1, 1, 0b101, 0, 0]]


def test_numeric_codes_of_likert_like_items(features_path: Path) -> None:
    text = features_path.read_text(encoding="utf-8").replace(
        """          - {code: A, label: {zh-CN: 明天很可能下雨, en: Rain is likely tomorrow}}
          - {code: B, label: {zh-CN: 明天80%的地区下雨, en: It rains on 80% of the area}}
        key: A""",
        """          - {code: "1", label: {zh-CN: 明天很可能下雨, en: Rain is likely tomorrow}}
          - {code: "2", label: {zh-CN: 明天80%的地区下雨, en: It rains on 80% of the area}}
        key: "1\"""",
    )
    from questionnaires import parse_questionnaire

    q = parse_questionnaire(text)
    enc = encode_responses(q, [{"P1": 2}, {"P1": 1.0}, {"P1": "1"}])
    assert enc.choice[:, 4].tolist() == [1, 0, 0]


def test_unknown_code_fails_naming_row_and_item(q: Questionnaire) -> None:
    with pytest.raises(ResponseError) as err:
        encode_responses(q, [{"K2": "C"}, {"K2": "E"}])
    assert "row 1, item K2" in str(err.value)
    assert err.value.param == "K2"
    assert "A, B, C, DK" in str(err.value)
    with pytest.raises(ResponseError, match="row 0, item M1"):
        encode_responses(q, [{"M1": ["A", "Z"]}])
    with pytest.raises(ResponseError, match="needs a list"):
        encode_responses(q, [{"M1": 3}])
    with pytest.raises(ResponseError, match="K2"):
        encode_responses(q, [{"K2": ["A"]}])


def test_unknown_code_as_missing_logs(q: Questionnaire, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scoring.encode"):
        enc = encode_responses(
            q, [{"K2": "E", "M1": ["A", "Z"]}, {"K2": "A"}], unknown=UnknownCodes.MISSING
        )
    assert enc.choice[:, 1].tolist() == [-1, 0]
    assert enc.choice[:, 2].tolist() == [-1, -1]  # the whole answer, not just the bad code
    assert "K2: 1 unknown code" in caplog.text
    assert "M1: 1 answer(s) with unknown codes" in caplog.text


def test_missing_column_and_unequal_lengths(q: Questionnaire) -> None:
    with pytest.raises(ResponseError, match="no column: M1, P1") as err:
        encode_columns(q, {"K1": ["T"], "K2": ["C"], "S1": ["F"]})
    assert err.value.hint is not None
    with pytest.raises(ResponseError, match="different lengths"):
        encode_columns(q, {"K1": ["T"], "K2": ["C"], "M1": ["A"], "S1": ["F"], "P1": []})


def test_answers_must_be_mappings(q: Questionnaire) -> None:
    with pytest.raises(ResponseError, match=r"answers\[1\]"):
        encode_responses(q, [{}, ["K1", "T"]])  # type: ignore[list-item]


def test_encoded_matrix_is_column_major_and_read_only(q: Questionnaire) -> None:
    enc = encode_responses(q, [{"K1": "T"}, {"K1": "F"}])
    assert enc.choice.flags.f_contiguous
    with pytest.raises(ValueError, match="read-only"):
        enc.choice[0, 0] = 1
    row_major = np.zeros((2, 5), dtype=np.int8)
    built = EncodedResponses(enc.item_ids, enc.item_types, enc.codes, row_major)
    assert built.choice.flags.f_contiguous
    assert row_major.flags.writeable  # the caller's array is not touched
    with pytest.raises(ResponseError, match="one column per scored item"):
        EncodedResponses(enc.item_ids, enc.item_types, enc.codes, np.zeros((2, 4), np.int8))


def test_dtype_grows_with_options() -> None:
    from questionnaires import parse_questionnaire

    options = "\n".join(f"          - {{code: O{i}, label: o{i}}}" for i in range(9))
    text = f"""id: wide
version: "1"
title: wide
languages: [zh-CN]
population: {{min_age: 18, max_age: 69}}
reference_year: 2025
scoring:
  total: 2
  dimensions: {{knowledge: {{max: 2}}}}
  levels: [{{code: literate, label: 具备, min: 1}}, {{code: low, label: 低, min: 0}}]
sections:
  - id: s
    title: s
    items:
      - id: W
        type: multiple
        text: w
        options:
{options}
        key: [O0, O8]
        points: 2
        dimension: knowledge
"""
    q = parse_questionnaire(text)
    enc = encode_responses(q, [{"W": ["O8"]}])
    assert enc.choice.dtype == np.int16
    assert enc.choice[0, 0] == 256
