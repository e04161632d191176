"""Scale scores, bands and flags (scoring/scales.py) against hand-computed cases.

tests/questionnaires/data/scales.yaml (values written in its header comment):
``sym`` = sum of s1..s4 (a=0 b=1 c=2 d=3), prorated with >= 3 answered, bands 0-3/4-8/9-12,
flag ``hi4`` when s4 >= 2; ``mood`` = mean of m1..m4 (1-5, m3 reversed as 6 - v, m4 has
"don't know"), >= 2 answered, bands 1-2.2/2.3-3.5/3.6-5; ``six`` = sum of six 0/1 items,
prorated with >= 4 answered. The bundled civil-servant questionnaire gives the PHQ-9
(bands 0-4/5-9/10-14/15-19/20-27), GAD-7 (0-4/5-9/10-14/15-21) and work-stress cases.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import load_questionnaire
from questionnaires.model import Questionnaire
from scoring import ResponseError
from scoring import RuleError
from scoring import care_flags_raised
from scoring import encode_columns
from scoring import encode_responses
from scoring import score_record
from scoring import score_scales

DATA = Path(__file__).parent.parent / "questionnaires" / "data"
MH = QUESTIONNAIRE_DIR / "civil-servant-mh-2025.yaml"
NAN = math.nan


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(DATA / "scales.yaml")


@pytest.fixture(scope="module")
def mh() -> Questionnaire:
    return load_questionnaire(MH)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _sym(codes: str) -> dict[str, str]:
    return {f"s{i + 1}": c for i, c in enumerate(codes) if c != "_"}


@pytest.mark.parametrize(
    ("codes", "score", "band"),
    [
        ("aaaa", 0, "low"),  # lowest score
        ("daaa", 3, "low"),  # top edge of low
        ("dbaa", 4, "mid"),  # bottom edge of mid
        ("ddca", 8, "mid"),  # top edge of mid
        ("ddda", 9, "high"),  # bottom edge of high
        ("dddd", 12, "high"),  # highest score
        ("dd_c", 11, "high"),  # prorated: 8 * 4/3 = 10.67 -> 11
        ("bb_a", 3, "low"),  # prorated: 2 * 4/3 = 2.67 -> 3
        ("b_cc", 7, "mid"),  # prorated: 5 * 4/3 = 6.67 -> 7
        ("dd__", NAN, ""),  # 2 answered < min 3: no score
        ("____", NAN, ""),
    ],
)
def test_sum_scale_band_edges_and_prorating(
    q: Questionnaire, codes: str, score: float, band: str
) -> None:
    sheet = score_scales(q, [_sym(codes)])
    cols = sheet.columns()
    assert _same(float(cols["scale_sym"][0]), score)
    assert cols["band_sym"].tolist() == [band]
    assert int(sheet.answered[0, 0]) == sum(c != "_" for c in codes)


@pytest.mark.parametrize(
    ("answers", "score", "band"),
    [
        ({"m1": "1", "m2": "1", "m3": "5", "m4": "1"}, 1.0, "low"),  # m3 5 -> 1
        ({"m1": "2", "m2": "3", "m3": "4", "m4": "DK"}, 7 / 3, "mid"),  # (2+3+2)/3, DK missing
        ({"m1": "2", "m2": "2", "m3": "4", "m4": "3"}, 2.25, "low"),  # in the 2.2-2.3 gap
        ({"m1": "3", "m2": "4"}, 3.5, "mid"),  # top edge of mid
        ({"m1": "4", "m2": "3", "m3": "2"}, 11 / 3, "high"),  # (4+3+4)/3
        ({"m1": "5", "m2": "4", "m3": "1", "m4": "5"}, 4.75, "high"),
        ({"m1": "1", "m3": "1"}, 3.0, "mid"),  # reversed 1 -> 5
        ({"m1": "5"}, NAN, ""),  # 1 answered < min 2
        ({"m1": "5", "m4": "DK"}, NAN, ""),  # "don't know" is not an answer
    ],
)
def test_mean_scale_reverse_items_and_gaps(
    q: Questionnaire, answers: dict[str, str], score: float, band: str
) -> None:
    cols = score_scales(q, [answers]).columns()
    got = float(cols["scale_mood"][0])
    assert _same(got, round(score, 9))
    assert cols["band_mood"].tolist() == [band]


@pytest.mark.parametrize(
    ("codes", "score"),
    [
        ("yyyyyy", 6),
        ("yyyn__", 5),  # 3 * 6/4 = 4.5 -> 5 (half up, not to even)
        ("ynnn__", 2),  # 1 * 6/4 = 1.5 -> 2
        ("yyyyy_", 6),  # 5 * 6/5 = 6
        ("nnnnnn", 0),
        ("yyy___", NAN),  # 3 answered < min 4
    ],
)
def test_prorated_sum_rounds_half_up(q: Questionnaire, codes: str, score: float) -> None:
    answers = {f"x{i + 1}": c for i, c in enumerate(codes) if c != "_"}
    sheet = score_scales(q, [answers])
    assert _same(float(sheet.columns()["scale_six"][0]), score)
    assert "band_six" not in sheet.columns()  # a scale without bands has no band column


@pytest.mark.parametrize(
    ("s4", "flag"), [("a", 0.0), ("b", 0.0), ("c", 1.0), ("d", 1.0), ("_", NAN)]
)
def test_single_item_flag(q: Questionnaire, s4: str, flag: float) -> None:
    sheet = score_scales(q, [_sym("aaa" + s4)])
    assert _same(float(sheet.columns()["flag_hi4"][0]), flag)
    assert care_flags_raised(q, _sym("aaa" + s4)) == (("hi4",) if flag == 1 else ())


# PHQ-9: nine items 0-3; each case is the nine answers and its hand-added total
PHQ9 = [
    ("000000000", 0, "minimal"),
    ("000000211", 4, "minimal"),
    ("000002111", 5, "mild"),
    ("333000000", 9, "mild"),
    ("333100000", 10, "moderate"),
    ("333320000", 14, "moderate"),
    ("333330000", 15, "moderately_severe"),
    ("333333100", 19, "moderately_severe"),
    ("333333200", 20, "severe"),
    ("333333333", 27, "severe"),
]
GAD7 = [
    ("0000000", 0, "minimal"),
    ("0000022", 4, "minimal"),
    ("0000023", 5, "mild"),
    ("3330000", 9, "mild"),
    ("3331000", 10, "moderate"),
    ("3333200", 14, "moderate"),
    ("3333300", 15, "severe"),
    ("3333333", 21, "severe"),
]


@pytest.mark.parametrize(("codes", "total", "band"), PHQ9)
def test_phq9_band_edges(mh: Questionnaire, codes: str, total: int, band: str) -> None:
    answers = {f"phq9_{i + 1}": c for i, c in enumerate(codes)}
    record = score_record(mh, answers)
    assert record["scales"]["phq9"] == {"score": float(total), "band": band, "answered": 9}
    assert record["flags"]["self_harm"] == (1 if codes[8] != "0" else 0)
    assert record["content_hash"] == mh.content_hash
    assert "total" not in record  # no test items: no literacy score


@pytest.mark.parametrize(("codes", "total", "band"), GAD7)
def test_gad7_band_edges(mh: Questionnaire, codes: str, total: int, band: str) -> None:
    answers = {f"gad7_{i + 1}": c for i, c in enumerate(codes)}
    assert score_record(mh, answers)["scales"]["gad7"] == {
        "score": float(total),
        "band": band,
        "answered": 7,
    }


def test_phq9_needs_all_nine_items(mh: Questionnaire) -> None:
    answers = {f"phq9_{i}": "3" for i in range(1, 9)}  # item 9 missing
    record = score_record(mh, answers)
    assert record["scales"]["phq9"] == {"score": None, "band": None, "answered": 8}
    assert record["flags"]["self_harm"] is None  # not answered: unknown, not "no"


@pytest.mark.parametrize(
    ("codes", "score", "band"),
    [
        # ws1..ws6 answers; ws4 and ws5 are reversed as 6 - v; mean over those answered
        ("555115", 5.0, "high"),  # 5 5 5 5 5 5
        ("111551", 1.0, "low"),  # 1 1 1 1 1 1
        ("432513", 3.0, "medium"),  # 4 3 2 1 5 3 = 18/6
        ("22242_", 2.4, "low"),  # 2 2 2 2 4 = 12/5: top edge of low
        ("333442", 2.5, "medium"),  # 3 3 3 2 2 2 = 15/6: bottom edge of medium
        ("33322_", 3.4, "medium"),  # 3 3 3 4 4 = 17/5: top edge of medium
        ("33321_", 3.6, "high"),  # 3 3 3 4 5 = 18/5
        ("1111__", NAN, ""),  # 4 answered < min 5
    ],
)
def test_work_stress_reverse_and_minimum(
    mh: Questionnaire, codes: str, score: float, band: str
) -> None:
    answers = {f"ws{i + 1}": c for i, c in enumerate(codes) if c != "_"}
    got = score_record(mh, answers)["scales"]["work_stress"]
    assert _same(NAN if got["score"] is None else got["score"], score)
    assert (got["band"] or "") == band


def test_vectorised_equals_one_by_one_and_csv_encoding(q: Questionnaire) -> None:
    rng = np.random.default_rng(7)
    rows: list[dict[str, Any]] = []
    for _ in range(300):
        a: dict[str, Any] = {}
        for v in ("s1", "s2", "s3", "s4"):
            a[v] = rng.choice(["a", "b", "c", "d", None, ""])
        for v in ("m1", "m2", "m3"):
            a[v] = rng.choice(["1", "2", "3", "4", "5", None])
        a["m4"] = rng.choice(["1", "3", "5", "DK", None])
        for v in ("x1", "x2", "x3", "x4", "x5", "x6"):
            a[v] = rng.choice(["y", "n", None])
        rows.append(a)
    batch = score_scales(q, rows)
    for i in (0, 17, 299):
        one = score_scales(q, [rows[i]])
        np.testing.assert_array_equal(one.score[0], batch.score[i])
        np.testing.assert_array_equal(one.band[0], batch.band[i])
        np.testing.assert_array_equal(one.flags[0], batch.flags[i])
    # the same answers as exported CSV text columns, through the same encoder
    columns = {v: ["" if r.get(v) is None else str(r[v]) for r in rows] for v in q.scale_variables}
    encoded = encode_columns(q, columns, variables=q.scale_variables)
    from_csv = score_scales(q, encoded)
    np.testing.assert_array_equal(from_csv.score, batch.score)
    np.testing.assert_array_equal(from_csv.flags, batch.flags)


def test_band_shares_weighted(q: Questionnaire) -> None:
    sheet = score_scales(q, [_sym("aaaa"), _sym("dbaa"), _sym("dddd"), _sym("dd__")])
    assert sheet.band_shares("sym") == {"low": 1 / 3, "mid": 1 / 3, "high": 1 / 3}
    w = np.array([1.0, 3.0, 4.0, 100.0])  # the unscored row's weight does not count
    assert sheet.band_shares("sym", w) == {"low": 1 / 8, "mid": 3 / 8, "high": 4 / 8}


def test_errors(q: Questionnaire, mh: Questionnaire, features_path: Path) -> None:
    with pytest.raises(ResponseError, match=r"row 1, item s2: 'z' is not an option"):
        score_scales(q, [_sym("aaaa"), {"s2": "z"}])
    features = load_questionnaire(features_path)
    with pytest.raises(RuleError, match="has no scales"):
        score_scales(features, [{}])
    # an encoding of other variables is refused, not misread
    other = encode_responses(mh, [{}], variables=("phq9_1", "phq9_2"))
    with pytest.raises(ResponseError, match="not encoded for the scale items"):
        score_scales(mh, other)
    with pytest.raises(ResponseError, match="'note' is a text item"):
        encode_responses(q, [{}], variables=("note",))
    assert "scales" not in score_record(features, {"K1": "T"})


def test_kesu_score_adds_scale_columns(tmp_path: Path) -> None:
    import csv

    from click.testing import CliRunner

    from kesu.cli import main

    header = [
        "id",
        "s1",
        "s2",
        "s3",
        "s4",
        "m1",
        "m2",
        "m3",
        "m4",
        "x1",
        "x2",
        "x3",
        "x4",
        "x5",
        "x6",
    ]
    rows = [
        ["r1", "d", "b", "a", "c", "1", "1", "5", "DK", "y", "y", "n", "n", "", ""],
        ["r2", "a", "", "", "a", "", "", "", "", "", "", "", "", "", ""],
    ]
    src = tmp_path / "answers.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(
        main, ["score", str(src), "-q", str(DATA / "scales.yaml"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0])[len(header) :] == [
        "scale_sym",
        "band_sym",
        "scale_mood",
        "band_mood",
        "scale_six",
        "flag_hi4",
    ]
    # r1: sym 3+1+0+2 = 6 (mid), flag s4 = c; mood (1 + 1 + (6-5)) / 3 = 1 (low);
    # six: 2 of 4 answered, prorated 2 * 6/4 = 3
    assert [
        got[0][c] for c in ("scale_sym", "band_sym", "flag_hi4", "scale_mood", "scale_six")
    ] == [
        "6",
        "mid",
        "1",
        "1",
        "3",
    ]
    # r2: two answers < 3: empty cells, never 0
    assert [got[1][c] for c in ("scale_sym", "band_sym", "scale_mood", "flag_hi4")] == [
        "",
        "",
        "",
        "0",
    ]
    assert "scales (unweighted) sym: low 0.0%, mid 100.0%" in result.output
