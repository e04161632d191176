"""Frame checking (errors name the line and column), the design file, and the multistage draw."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from numpy.testing import assert_allclose

from kesu.cli import main
from sampling.errors import FrameError
from sampling.errors import SelectionError
from sampling.frame import SAMPLE_COLUMNS
from sampling.frame import FrameColumns
from sampling.frame import SampleDesign
from sampling.frame import draw_sample
from sampling.frame import parse_frame
from sampling.frame import psu_counts
from sampling.frame import read_frame
from sampling.selection import pps_inclusion_probabilities

DATA = Path(__file__).parent / "data"
FRAME = DATA / "sample_frame.csv"
DESIGN = DATA / "sample_design.yaml"
HH = FrameColumns(households="households")


def _design(**changes: object) -> SampleDesign:
    data = yaml.safe_load(DESIGN.read_text(encoding="utf-8"))
    data.update(changes)
    return SampleDesign.from_mapping(data)


def test_read_frame() -> None:
    f = read_frame(FRAME, HH)
    assert f.strata() == ("fotang", "suxi", "choucheng")
    assert f.psu[:2] == ("fo01", "fo02")
    assert f.size[3] == 9800.0 and f.households is not None and f.households[3] == 3400
    assert f.line[0] == 2 and f.extra["psu_name"][0] == "村一"
    assert f.rows_of("suxi").tolist() == list(range(8, 14))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("town,psu,population\nfotang,fo01,0\n", r"row 2, column 'population': size must be > 0"),
        (
            "town,psu,population\na,p1,5\na,p2,-4\n",
            r"row 3, column 'population': size must be > 0",
        ),
        ("town,psu,population\na,p1,abc\n", r"row 2, column 'population': 'abc' is not a number"),
        ("town,psu,pop\na,p1,5\n", r"row 1: missing column 'population'"),
        (
            "town,psu,population\na,p1,5\nb,p2,7\nb,p1,3\n",
            r"row 4, column 'psu': PSU id 'p1' already used on row 2",
        ),
        ("town,psu,population\na,,5\n", r"row 2, column 'psu': empty value"),
        ("town,psu,population\n", "no rows"),
        ("", "empty"),
    ],
)
def test_bad_frames_name_line_and_column(text: str, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        parse_frame(text.splitlines())


def test_household_count_must_be_whole() -> None:
    text = "town,psu,population,households\na,p1,50,12.5\n"
    with pytest.raises(FrameError, match=r"row 2, column 'households': .*whole number"):
        parse_frame(text.splitlines(), HH)


def test_stratum_asking_for_more_psus_than_it_has() -> None:
    frame = read_frame(FRAME, HH)
    design = _design(psus={"fotang": 3, "suxi": 7, "choucheng": 2})
    with pytest.raises(
        FrameError, match=r"stratum 'suxi' asks for 7 PSUs but the frame has only 6"
    ):
        psu_counts(frame, design)
    with pytest.raises(FrameError, match=r"stratum 'yiting' of the design is not in the frame"):
        psu_counts(frame, _design(psus={"fotang": 3, "suxi": 3, "choucheng": 2, "yiting": 2}))
    with pytest.raises(FrameError, match=r"stratum 'choucheng' of the frame has no PSU count"):
        psu_counts(frame, _design(psus={"fotang": 3, "suxi": 3}))
    assert (
        psu_counts(frame, _design(psus={"fotang": 3, "suxi": 3, "choucheng": 0}))["choucheng"] == 0
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"psu_count": 3}, "unknown key psu_count; expected one of: columns, "),
        ({"psus_total": 9}, "exactly one of psus"),
        ({"method": "lottery"}, "invalid design value"),
        ({"households_per_psu": 0}, "households_per_psu must be a whole number >= 1"),
        ({"columns": {"stratum": "town", "weight": "w"}}, "columns:"),
        ({"columns": {"stratum": "town"}}, "set households_assumed"),
        ({"psu_allocation": "neyman"}, "psu_allocation must be proportional, equal or power"),
    ],
)
def test_bad_design_files(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        _design(**changes)


def test_draw_carries_probabilities_of_every_stage() -> None:
    frame = read_frame(FRAME, HH)
    drawn = draw_sample(frame, _design(), np.random.default_rng(2025))
    assert drawn.columns[: len(SAMPLE_COLUMNS)] == SAMPLE_COLUMNS
    assert "psu_name" in drawn.columns
    assert len(drawn.rows) == 9 * 10
    ids = [r["household_id"] for r in drawn.rows]
    assert len(set(ids)) == len(ids)
    for stratum in frame.strata():
        where = frame.rows_of(stratum)
        pi = dict(
            zip(
                [frame.psu[i] for i in where],
                pps_inclusion_probabilities(frame.size[where], 3),
                strict=True,
            )
        )
        for row in (r for r in drawn.rows if r["stratum"] == stratum):
            assert row["prob1"] == pytest.approx(pi[row["psu"]], rel=1e-15)
            assert row["prob2"] == pytest.approx(10 / row["psu_households"], rel=1e-15)
            assert row["prob3"] is None
            assert row["household_weight"] == pytest.approx(
                1 / (row["prob1"] * row["prob2"]), rel=1e-15
            )
            assert 1 <= row["household_number"] <= row["psu_households"]
            assert row["household_id"] == f"{row['psu']}-{row['household_number']:04d}"
    # fo04 (9800 people) exceeds fotang's interval X/3 and is a certainty PSU
    fo04 = [r for r in drawn.rows if r["psu"] == "fo04"]
    assert fo04 and all(r["prob1"] == 1.0 and r["certainty"] == 1 for r in fo04)


def test_draw_is_reproducible_and_seed_dependent() -> None:
    frame = read_frame(FRAME, HH)
    a = draw_sample(frame, _design(), np.random.default_rng(7)).rows
    b = draw_sample(frame, _design(), np.random.default_rng(7)).rows
    c = draw_sample(frame, _design(), np.random.default_rng(8)).rows
    assert a == b
    assert [r["household_id"] for r in a] != [r["household_id"] for r in c]


@pytest.mark.parametrize("method", ["systematic", "brewer", "sampford"])
def test_household_weights_are_unbiased_for_the_household_total(method: str) -> None:
    """Horvitz-Thompson: E[sum of 1/(prob1 prob2)] = number of households in the frame."""
    frame = read_frame(FRAME, HH)
    assert frame.households is not None
    truth = float(frame.households.sum())
    design = _design(method=method, household_method="srs", households_per_psu=5)
    rng = np.random.default_rng(99)
    draws = 300
    totals = np.array(
        [
            sum(r["household_weight"] for r in draw_sample(frame, design, rng).rows)
            for _ in range(draws)
        ]
    )
    se = totals.std(ddof=1) / np.sqrt(draws)
    assert abs(totals.mean() - truth) < 4 * se


def test_allocated_psus_and_assumed_household_count() -> None:
    frame = read_frame(FRAME)  # no household column
    design = SampleDesign.from_mapping(
        {"psus_total": 8, "min_psus": 2, "households_assumed": 300, "households_per_psu": 12}
    )
    counts = psu_counts(frame, design)
    assert sum(counts.values()) == 8 and min(counts.values()) >= 2
    # proportional to stratum population: choucheng (20,740) > fotang (18,910) > suxi (8,960)
    assert counts == {"fotang": 3, "suxi": 2, "choucheng": 3}
    drawn = draw_sample(frame, design, np.random.default_rng(1))
    assert all(r["prob2"] == pytest.approx(12 / 300) for r in drawn.rows)
    with pytest.raises(FrameError, match="more than the 19 PSUs"):
        psu_counts(frame, SampleDesign.from_mapping({"psus_total": 20, "households_assumed": 9}))


def test_small_psu_takes_all_households() -> None:
    frame = parse_frame(["town,psu,population,households", "a,p1,50,4", "a,p2,80,30"], HH)
    design = SampleDesign.from_mapping(
        {"columns": {"households": "households"}, "psus": {"a": 2}, "households_per_psu": 6}
    )
    rows = draw_sample(frame, design, np.random.default_rng(0)).rows
    p1 = [r for r in rows if r["psu"] == "p1"]
    assert len(p1) == 4 and all(r["prob2"] == 1.0 for r in p1)


def test_cli_draw_writes_sample_file(tmp_path: Path) -> None:
    out1, out2 = tmp_path / "s1.csv", tmp_path / "s2.csv"
    runner = CliRunner()
    for out in (out1, out2):
        res = runner.invoke(
            main,
            ["sample", "draw", str(FRAME), "--design", str(DESIGN), "--seed", "31", "-o", str(out)],
        )
        assert res.exit_code == 0, res.output
    assert out1.read_bytes() == out2.read_bytes()
    assert out1.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows Chinese
    with out1.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 90
    assert tuple(rows[0])[: len(SAMPLE_COLUMNS)] == SAMPLE_COLUMNS
    assert rows[0]["prob3"] == ""
    w = [float(r["household_weight"]) for r in rows]
    p = [float(r["prob1"]) * float(r["prob2"]) for r in rows]
    assert_allclose(w, 1 / np.array(p), rtol=1e-15)


def test_cli_draw_reports_bad_frame(tmp_path: Path) -> None:
    bad = tmp_path / "frame.csv"
    bad.write_text("town,psu,population,households\nfotang,fo01,0,10\n", encoding="utf-8")
    res = CliRunner().invoke(
        main,
        [
            "sample",
            "draw",
            str(bad),
            "--design",
            str(DESIGN),
            "--seed",
            "1",
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 1
    assert "frame.csv: row 2, column 'population'" in res.output
