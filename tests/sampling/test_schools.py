"""School samples: frame checks, the three-stage probabilities (by simulation), weights, CLI."""

from __future__ import annotations

import csv
import doctest
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import sampling.school_frame
import sampling.schools
from kesu.cli import main
from sampling.errors import FrameError
from sampling.errors import MarginError
from sampling.errors import SelectionError
from sampling.schools import SchoolDesign
from sampling.schools import absence_adjusted_weights
from sampling.schools import class_inclusion_probabilities
from sampling.schools import draw_school_sample
from sampling.schools import school_frame_from_columns

#: two towns: "east" draws 2 of 4 schools (one large enough for certainty), "west" 1 of 3
FRAME = {
    "school_id": ["e1", "e2", "e3", "e4", "w1", "w2", "w3", "w4"],
    "town": ["east"] * 4 + ["west"] * 4,
    "school_type": [
        "public",
        "private",
        "public",
        "public",
        "public",
        "public",
        "private",
        "public",
    ],
    "students_g4": ["40", "90", "300", "135", "45", "120", "75", ""],
    "classes_g4": ["1", "2", "7", "3", "1", "3", "2", ""],
    "students_g8": ["0", "0", "400", "0", "0", "0", "0", "310"],
    "classes_g8": ["0", "0", "9", "0", "0", "0", "0", "7"],
}
DESIGN = {
    "kind": "schools",
    "grades": {
        "4": {"schools": {"east": 2, "west": 1}, "classes_per_school": 2},
        "8": {"schools": {"east": 1, "west": 1}, "classes_per_school": 1},
    },
}


def _frame() -> tuple[SchoolDesign, sampling.schools.SchoolFrame]:
    design = SchoolDesign.from_mapping(DESIGN)
    return design, school_frame_from_columns(FRAME, design)


def test_three_stage_inclusion_probabilities_by_simulation(rng):
    """Every class's (so every student's) selection frequency matches prob1 x prob2."""
    design, frame = _frame()
    reps = 2000
    counts: dict[str, int] = {}
    for _ in range(reps):
        for row in draw_school_sample(frame, design, rng).rows:
            counts[row["class_id"]] = counts.get(row["class_id"], 0) + 1
    checked = 0
    for grade in ("4", "8"):
        prob1, prob_class = class_inclusion_probabilities(frame, design, grade)
        for i, school in enumerate(frame.school):
            for k in range(1, int(frame.classes[grade][i]) + 1):
                pi = prob_class[i]
                freq = counts.get(f"{school}-g{grade}-{k:02d}", 0) / reps
                tol = 4.5 * np.sqrt(pi * (1 - pi) / reps) + 1e-12
                assert abs(freq - pi) <= tol, (school, grade, k, freq, pi)
                checked += 1
    assert checked == sum(int(c.sum()) for c in frame.classes.values())
    # the large school is a certainty unit: prob1 = 1 (2 x 300 >= 565)
    assert class_inclusion_probabilities(frame, design, "4")[0][2] == 1.0


def test_weights_give_unbiased_totals(rng):
    """Horvitz-Thompson: the mean over draws of sum(class_weight) is the number of classes;
    sum(class_weight x class size) equals the enrolment in every draw (PPS by enrolment)."""
    design, frame = _frame()
    reps = 1000
    totals: dict[str, list[float]] = {"4": [], "8": []}
    for _ in range(reps):
        sums = {"4": 0.0, "8": 0.0}
        students = {"4": 0.0, "8": 0.0}
        for row in draw_school_sample(frame, design, rng).rows:
            sums[row["grade"]] += row["class_weight"]
            students[row["grade"]] += (
                row["class_weight"] * row["grade_students"] / row["grade_classes"]
            )
        for g in sums:
            totals[g].append(sums[g])
            assert students[g] == pytest.approx(frame.students[g].sum())
    for g in ("4", "8"):
        values = np.array(totals[g])
        truth = frame.classes[g].sum()
        # grade 8 takes every school with certainty: exact; grade 4 varies from draw to draw
        assert (values.std() > 0) == (g == "4")
        assert abs(values.mean() - truth) <= 4 * values.std() / np.sqrt(reps) + 1e-9, g


def test_certainty_school_is_its_own_stratum_with_classes_as_psus(rng):
    design, frame = _frame()
    rows = [r for r in draw_school_sample(frame, design, rng).rows if r["school_id"] == "e3"]
    g4 = [r for r in rows if r["grade"] == "4"]
    assert len(g4) == 2 and all(r["certainty"] == 1 and r["prob1"] == 1.0 for r in g4)
    assert {r["var_stratum"] for r in g4} == {"e3-g4"}
    assert {r["var_psu"] for r in g4} == {r["class_id"] for r in g4}
    assert all(r["prob2"] == 2 / 7 and r["class_weight"] == 3.5 for r in g4)


def test_frame_errors_name_row_and_column():
    design = SchoolDesign.from_mapping(DESIGN)
    bad = {k: list(v) for k, v in FRAME.items()}
    bad["classes_g4"][3] = "0"
    with pytest.raises(
        FrameError, match=r"frame: row 5, column 'classes_g4': grade 4 has 135 students in 0"
    ):
        school_frame_from_columns(bad, design)
    bad = {k: list(v) for k, v in FRAME.items()}
    bad["students_g8"][2] = "4OO"
    with pytest.raises(FrameError, match=r"row 4, column 'students_g8': '4OO' is not a number"):
        school_frame_from_columns(bad, design)
    bad = {k: list(v) for k, v in FRAME.items()}
    bad["school_id"][5] = "e1"
    with pytest.raises(FrameError, match=r"row 7, column 'school_id'.*already used on row 2"):
        school_frame_from_columns(bad, design)
    with pytest.raises(FrameError, match="missing column 'classes_g8'"):
        school_frame_from_columns({k: v for k, v in FRAME.items() if k != "classes_g8"}, design)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"kind": "schools"}, "grades: must map"),
        ({"kind": "schools", "grades": {"4": {}}}, "exactly one of schools"),
        ({"kind": "schools", "grades": {"4": {"schools_total": 2, "clases": 1}}}, "clases"),
        ({"kind": "schools", "grades": {"4": {"schools_total": 0}}}, "schools_total must be"),
        ({"kind": "schools", "method": "pps", "grades": {"4": {"schools_total": 2}}}, "invalid"),
    ],
)
def test_design_errors(mapping, message):
    with pytest.raises(SelectionError, match=message):
        SchoolDesign.from_mapping(mapping)


def test_too_many_schools_is_an_error(rng):
    design = SchoolDesign.from_mapping(
        {"kind": "schools", "grades": {"8": {"schools": {"east": 2, "west": 1}}}}
    )
    frame = school_frame_from_columns(FRAME, design)
    with pytest.raises(FrameError, match="asks for 2 schools but has 1"):
        draw_school_sample(frame, design, rng)


def test_allocation_of_a_total_keeps_two_schools_per_town(rng):
    design = SchoolDesign.from_mapping({"kind": "schools", "grades": {"4": {"schools_total": 5}}})
    frame = school_frame_from_columns(FRAME, design)
    drawn = draw_school_sample(frame, design, rng)
    assert drawn.schools["4"] == {"east": 3, "west": 2}


def test_absence_adjustment_by_hand():
    # class a: 4 seats, 3 answered; class b: session never held; same cell -> a carries b
    w = absence_adjusted_weights(
        [10.0] * 4 + [30.0] * 2,
        ["a"] * 4 + ["b"] * 2,
        ["c"] * 6,
        [1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 0, 0],
    )
    # a1 = (10 + 30) / 10 = 4; a2 = 4 seats / 3 respondents
    assert w.tolist() == pytest.approx([10 * 4 * 4 / 3] * 3 + [0.0] * 3)
    with pytest.raises(MarginError):  # a held class where nobody answered
        absence_adjusted_weights([1.0, 1.0], ["a", "a"], ["c", "c"], [0, 0], [1, 1])


def test_cli_draw_writes_class_list_without_names(tmp_path: Path):
    frame = tmp_path / "schools.csv"
    with frame.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(FRAME))
        writer.writerows(zip(*FRAME.values(), strict=True))
    design = tmp_path / "design.yaml"
    design.write_text(
        "kind: schools\ngrades:\n  '4': {schools: {east: 2, west: 1}, classes_per_school: 2}\n"
        "  '8': {schools: {east: 1, west: 1}}\n",
        encoding="utf-8",
    )
    out, schools = tmp_path / "classes.csv", tmp_path / "sampled-schools.csv"
    result = CliRunner().invoke(
        main,
        [
            "sample",
            "draw",
            str(frame),
            "--design",
            str(design),
            "--seed",
            "7",
            "-o",
            str(out),
            "--schools",
            str(schools),
            "--teachers",
            str(tmp_path / "teachers.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "grade 4: 3 schools, 6 classes" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, as Excel wants
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    header = set(rows[0])
    assert {"class_id", "prob1", "prob2", "prob3", "class_weight", "var_psu"} <= header
    assert not header & {"name", "student", "student_name", "phone", "seat"}
    with schools.open(encoding="utf-8-sig") as fh:
        principals = list(csv.DictReader(fh))
    # one row per school (e3 teaches both sampled grades), importable as a sample file
    assert sorted(r["person_id"] for r in principals) == sorted({r["school_id"] for r in rows})
    assert {r["grades"] for r in principals if r["school_id"] == "e3"} == {"4;8"}
    with (tmp_path / "teachers.csv").open(encoding="utf-8-sig") as fh:
        teachers = list(csv.DictReader(fh))
    assert [t["class_id"] for t in teachers] == [r["class_id"] for r in rows]
    assert all(t["psu"] == t["school_id"] and t["stratum"] for t in teachers)
    # a broken frame: exit 1 with file, row and column
    frame.write_text(frame.read_text(encoding="utf-8-sig").replace("300", "3x0"), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sample", "draw", str(frame), "--design", str(design), "--seed", "7", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "schools.csv: row 4, column 'students_g4': '3x0' is not a number" in result.output


def test_cli_draw_reads_every_frame_format_alike(tmp_path: Path, realfiles: Any) -> None:
    """The school frame as UTF-8 CSV, GB18030 CSV (Chinese town names), .xlsx (with a
    notes sheet, numbers stored as text) and Parquet: the same class list, byte for byte;
    an enrolment written ``1,205`` is a number."""
    header = list(FRAME)
    towns = {"east": "稠城街道", "west": "佛堂镇"}
    rows = [
        [towns[v] if name == "town" else (int(v) if v.isdigit() else (v or None))
         for name, v in zip(header, values, strict=True)]
        for values in zip(*FRAME.values(), strict=True)
    ]  # fmt: skip
    rows[2][header.index("students_g8")] = 1205
    files = realfiles.write_formats(tmp_path, "schools", header, rows, text_numbers=["classes_g4"])
    text = files["gb18030"].read_bytes().decode("gb18030").replace("1205", '"1,205"')
    files["gb18030"].write_bytes(text.encode("gb18030"))
    design = tmp_path / "design.yaml"
    design.write_text(
        "kind: schools\ngrades:\n  '4': {schools: {稠城街道: 2, 佛堂镇: 1}}\n"
        "  '8': {schools: {稠城街道: 1, 佛堂镇: 1}}\n",
        encoding="utf-8",
    )
    outputs = {}
    for fmt, path in files.items():
        out = tmp_path / f"classes-{fmt}.csv"
        args = ["sample", "draw", str(path), "--design", str(design), "--seed", "3", "-o", str(out)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (fmt, result.output)
        outputs[fmt] = out.read_bytes()
    assert "稠城街道".encode() in outputs["utf8"]
    for fmt, data in outputs.items():
        assert data == outputs["utf8"], fmt


@pytest.mark.parametrize("module", [sampling.schools, sampling.school_frame])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
