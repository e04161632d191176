"""The ``nonresponse:`` step of a job: weighting-class adjustment on the cases table.

Expected weights are computed by hand from the formulas of
:func:`sampling.weighting.adjust_nonresponse` (Valliant, Dever & Kreuter 2018, §13.5):
within a class ``a1 = W_all / (W_ER + W_ENR + W_IN)`` spreads the unknown-eligibility
cases, then ``a2 = (W_ER + W_ENR) a1 / (W_ER a1)`` moves the eligible nonrespondents'
weight to the respondents.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from kesu.cli import main
from kesu.errors import KesuError
from sampling.errors import JobError
from sampling.job import load_cases
from sampling.job import load_job
from sampling.job import load_table
from sampling.job import parse_job
from sampling.job import run_estimates
from sampling.job import run_weighting

# Two weighting classes (town a, town b). Outcomes mix AAPOR codes and ER/ENR/UNK/IN.
CASES: list[dict[str, Any]] = [
    {"case": "c1", "town": "a", "disposition": "1.1", "base_weight": 10, "respondent_id": 1},
    {"case": "c2", "town": "a", "disposition": "ER", "base_weight": 20, "respondent_id": 2},
    {"case": "c3", "town": "a", "disposition": "2.11", "base_weight": 10, "respondent_id": ""},
    {"case": "c4", "town": "a", "disposition": "3.11", "base_weight": 20, "respondent_id": ""},
    {"case": "c5", "town": "a", "disposition": "4.10", "base_weight": 10, "respondent_id": ""},
    {"case": "c6", "town": "b", "disposition": "1.1", "base_weight": 5, "respondent_id": 3},
    {"case": "c7", "town": "b", "disposition": "1.1", "base_weight": 15, "respondent_id": 4},
    {"case": "c8", "town": "b", "disposition": "ENR", "base_weight": 10, "respondent_id": ""},
    {"case": "c9", "town": "b", "disposition": "2.20", "base_weight": 10, "respondent_id": ""},
]
# Town a: W_ER = 30, W_ENR = 10, W_UNK = 20, W_IN = 10.
#   a1 = 70 / 50 = 1.4; a2 = (40 * 1.4) / (30 * 1.4) = 4/3; factor 1.4 * 4/3 = 28/15.
# Town b: W_ER = 20, W_ENR = 20, no UNK/IN: a1 = 1, a2 = 40 / 20 = 2.
FACTOR = {"a": 1.4 * 4 / 3, "b": 2.0}
# The data rows (respondents) in another order than the cases.
DATA: dict[str, list[Any]] = {
    "respondent_id": [4, 1, 3, 2],
    "sex": ["f", "m", "m", "f"],
    "base_weight": [15, 10, 5, 20],
    "y": [1, 0, 1, 1],
}
EXPECTED = [15 * 2.0, 10 * 28 / 15, 5 * 2.0, 20 * 28 / 15]  # 30, 18.667, 10, 37.333


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def data_rows(data: dict[str, list[Any]] = DATA) -> list[dict[str, Any]]:
    return [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    write_csv(tmp_path / "data.csv", data_rows())
    write_csv(tmp_path / "cases.csv", CASES)
    return tmp_path


NR = "nonresponse: {cases: cases.csv, outcome: disposition, classes: [town]}\n"


def write_job(folder: Path, text: str) -> Path:
    path = folder / "job.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def weigh(folder: Path, text: str) -> Any:
    job = load_job(write_job(folder, text))
    return run_weighting(job, load_table(job), load_cases(job))


def test_adjusted_weights_equal_the_closed_form(job_dir: Path) -> None:
    sample = weigh(job_dir, "data: data.csv\ndesign: {weights: base_weight}\n" + NR)
    assert_allclose(sample.design.weights, EXPECTED, rtol=1e-12)
    # town a keeps the weight of its eligible cases: 70 - 1.4 * 10 (ineligible); b keeps 40
    assert_allclose(sample.design.weights.sum(), 56.0 + 40.0, rtol=1e-12)
    (step,) = sample.steps
    d = step.diagnostics
    assert d.method == "nonresponse"
    assert d.sum_before == 110.0 and d.sum_after == pytest.approx(96.0)
    assert d.notes["classes"] == 2 and d.notes["respondents"] == 4
    assert d.notes["cases"] == 9 and d.notes["case_weights"] == "base_weight"
    assert d.notes["adjustment_max"] == pytest.approx(2.0)
    # weighted response rates: a: 30 / (40 + e * 20) with e = 40 / 50; b: 20 / 40
    assert d.notes["response_rate_min"] == pytest.approx(0.5)
    assert d.notes["response_rate_max"] == pytest.approx(30 / (40 + 0.8 * 20))


def test_without_classes_one_class(job_dir: Path) -> None:
    sample = weigh(
        job_dir,
        "data: data.csv\ndesign: {weights: base_weight}\n"
        "nonresponse: {cases: cases.csv, outcome: disposition}\n",
    )
    # all cases: W = 110, known = 90 (UNK 20), a1 = 11/9; ER 50, ENR 30: a2 = 80/50
    assert_allclose(sample.design.weights, np.array(DATA["base_weight"]) * 11 / 9 * 1.6)


def test_household_weights_give_the_factor_of_the_base_weights(tmp_path: Path) -> None:
    """Nonrespondents without a within-household probability: adjust household weights;
    each respondent's base weight (household weight / prob3) gets its household's factor."""
    cases = [
        {**{k: v for k, v in c.items() if k != "base_weight"}, "household_weight": c["base_weight"]}
        for c in CASES
    ]
    write_csv(tmp_path / "cases.csv", cases)
    persons = {4: 3, 1: 2, 3: 1, 2: 4}  # eligible adults in each respondent's household
    data = dict(DATA)
    data["base_weight"] = [
        w * persons[i] for w, i in zip(DATA["base_weight"], DATA["respondent_id"], strict=True)
    ]
    write_csv(tmp_path / "data.csv", data_rows(data))
    sample = weigh(
        tmp_path,
        "data: data.csv\ndesign: {weights: base_weight}\n"
        "nonresponse:\n  cases: cases.csv\n  weights: household_weight\n"
        "  outcome: disposition\n  classes: town\n",
    )
    expected = [e * persons[i] for e, i in zip(EXPECTED, DATA["respondent_id"], strict=True)]
    assert_allclose(sample.design.weights, expected, rtol=1e-12)
    assert sample.steps[0].diagnostics.notes["case_weights"] == "household_weight"


def test_nonresponse_then_raking_meets_the_margins(job_dir: Path) -> None:
    sample = weigh(
        job_dir,
        "data: data.csv\ndesign: {weights: base_weight}\n" + NR + "calibration:\n"
        "  method: raking\n  margins: {sex: {f: 60, m: 40}}\n  tolerance: 1.0e-12\n",
    )
    w = sample.design.weights
    sex = np.array(DATA["sex"])
    assert_allclose([w[sex == "f"].sum(), w[sex == "m"].sum()], [60.0, 40.0], rtol=1e-10)
    # raking started from the adjusted weights: within each sex their ratios are kept
    f = sex == "f"
    start = np.array(EXPECTED)
    assert_allclose(w[f] / start[f], (60 / start[f].sum()) * np.ones(2))
    assert_allclose(w[~f] / start[~f], (40 / start[~f].sum()) * np.ones(2))
    assert [s.diagnostics.method for s in sample.steps] == ["nonresponse", "rake"]
    assert sample.steps[1].diagnostics.sum_before == pytest.approx(96.0)
    assert sample.design.is_calibrated


def test_replicate_weights_start_from_the_adjusted_weights(job_dir: Path) -> None:
    write_csv(
        job_dir / "data.csv",
        [{**r, "psu": i} for i, r in enumerate(data_rows(), start=1)],
    )
    job = load_job(
        write_job(
            job_dir,
            "data: data.csv\ndesign: {weights: base_weight, psu: psu}\n" + NR + "variance: jk1\n"
            "estimates: [{total: y}]\n",
        )
    )
    sample = run_weighting(job, load_table(job), load_cases(job))
    assert sample.replicate is not None
    assert_allclose(sample.replicate.weights, EXPECTED)
    reps = sample.replicate.replicate_weights()
    # JK1 drops one PSU and multiplies the others by 4/3
    assert_allclose(reps[1:, 0], np.array(EXPECTED[1:]) * 4 / 3)
    (est,) = run_estimates(job, sample)
    assert est.estimate[0] == pytest.approx(EXPECTED[0] + EXPECTED[2] + EXPECTED[3])


def test_wave_job_reads_the_fieldwork_through_the_loader() -> None:
    """A wave job without cases: uses the wave's fieldwork table (int ids, -1 = none)."""
    fieldwork = {
        "town": np.array([c["town"] for c in CASES]),
        "weighting_outcome": np.array(["ER", "ER", "ENR", "UNK", "IN", "ER", "ER", "ENR", "ENR"]),
        "respondent_id": np.array(
            [-1 if c["respondent_id"] == "" else c["respondent_id"] for c in CASES], dtype=np.int64
        ),
        "base_weight": np.array([float(c["base_weight"]) for c in CASES]),
    }
    data = {k: np.array(v) for k, v in DATA.items()}
    job = parse_job(
        {"wave": "w1", "design": {"weights": "base_weight"}, "nonresponse": {"classes": "town"}}
    )
    asked: list[str] = []

    def loader(name: str) -> dict[str, Any]:
        asked.append(name)
        return fieldwork

    cases = load_cases(job, cases_loader=loader)
    assert asked == ["w1"]
    sample = run_weighting(job, load_table(job, wave_loader=lambda name: data), cases)
    assert_allclose(sample.design.weights, EXPECTED, rtol=1e-12)
    with pytest.raises(JobError, match="a cases loader is needed"):
        load_cases(job)
    with pytest.raises(JobError, match="no cases table was given"):
        run_weighting(job, load_table(job, wave_loader=lambda name: data))


def test_a_respondent_case_with_id_minus_one_is_a_respondent_without_an_id() -> None:
    """-1 is the fieldwork table's "no response": an ER case carrying it has no id."""
    fieldwork = {
        "weighting_outcome": np.array(["ER", "ENR"]),
        "respondent_id": np.array([-1, -1], dtype=np.int64),
        "base_weight": np.array([1.0, 1.0]),
    }
    job = parse_job({"wave": "w1", "design": {"weights": "base_weight"}, "nonresponse": None})
    data = {"respondent_id": np.array([7]), "base_weight": np.array([1.0])}
    table = load_table(job, wave_loader=lambda name: data)
    with pytest.raises(JobError, match="row 2 is a respondent .* without an id"):
        run_weighting(job, table, load_cases(job, cases_loader=lambda name: fieldwork))


def test_a_job_without_the_section_never_calls_the_loader(job_dir: Path) -> None:
    job = parse_job({"wave": "w1", "design": {"weights": "base_weight"}})
    assert load_cases(job, cases_loader=lambda name: pytest.fail("called")) is None


def _cases(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    """CASES with some rows changed: ``c3={"respondent_id": 7}``."""
    return [{**c, **changes.get(c["case"], {})} for c in CASES]


ERRORS = [
    # a data row without its respondent case: the row and the id are named
    pytest.param(
        {"data": {"respondent_id": [4, 1, 9, 2]}, "cases": _cases(c6={"respondent_id": 9.5})},
        "data.csv row 4 (respondent_id '9') has no respondent (ER) case in cases.csv",
        id="data-row-without-case",
    ),
    pytest.param(
        {
            "data": {"respondent_id": [4, 1, 7, 2]},
            "cases": _cases(c6={"respondent_id": 3}, c3={"respondent_id": 7}),
        },
        "data.csv row 4 (respondent_id '7') has no respondent (ER) case in cases.csv; "
        "row 4 of cases.csv has it with outcome '2.11'",
        id="data-row-of-a-nonrespondent",
    ),
    pytest.param(
        {"cases": _cases(c2={"respondent_id": 1})},
        "cases.csv rows 2 and 3 are respondents with the same id '1' in column 'respondent_id'",
        id="duplicate-er-ids",
    ),
    pytest.param(
        {"data": {"respondent_id": [4, 1, 3, 3]}},
        "data.csv rows 4 and 5 have the same respondent_id '3'",
        id="duplicate-data-ids",
    ),
    pytest.param(
        {"cases": _cases(c3={"disposition": "1.1", "respondent_id": 5})},
        "cases.csv row 4 is a respondent (1.1) with respondent_id '5', which is not in the data",
        id="er-case-not-in-data",
    ),
    pytest.param(
        {"cases": _cases(c1={"respondent_id": ""})},
        "cases.csv row 2 is a respondent (1.1) without an id in column 'respondent_id'",
        id="er-case-without-id",
    ),
    pytest.param(
        {"nr": "classes: [region]"},
        "cases.csv: there is no column 'region' (needed by nonresponse.classes)",
        id="missing-class-column",
    ),
    pytest.param(
        {"nr": "weights: hh_weight"},
        "cases.csv: there is no column 'hh_weight' (needed by nonresponse.weights)",
        id="missing-weight-column",
    ),
    pytest.param(
        {"nr": "id: case_id"},
        "cases.csv: there is no column 'case_id' (needed by nonresponse.id)",
        id="missing-id-column",
    ),
    pytest.param(
        {"nr": "outcome: weighting_outcome"},
        "cases.csv: there is no column 'weighting_outcome' (needed by nonresponse.outcome)",
        id="missing-outcome-column",
    ),
    pytest.param(
        {"data": {"respondent_id": None}},
        "data.csv: there is no column 'respondent_id' (needed by nonresponse.id)",
        id="data-without-respondent-id",
    ),
    pytest.param(
        {"cases_file": "nowhere.csv"},
        "cannot read the cases file",
        id="unreadable-cases-file",
    ),
    pytest.param(
        {"cases": _cases(c4={"disposition": "maybe"})},
        "cases.csv row 5: unknown disposition 'maybe' in column 'disposition'",
        id="unknown-disposition",
    ),
    pytest.param(
        {"cases": _cases(c8={"base_weight": ""})},
        "cases.csv row 9 (ENR): the weight in column 'base_weight' is missing",
        id="missing-case-weight",
    ),
    pytest.param(
        {"cases": _cases(c8={"base_weight": -1})},
        "cases.csv row 9 (ENR): the weight in column 'base_weight' is negative",
        id="negative-case-weight",
    ),
    pytest.param(
        {"cases": _cases(c9={"town": ""})},
        "cases.csv row 10: column 'town' (nonresponse.classes) is empty",
        id="empty-class",
    ),
    pytest.param(
        {"cases": _cases(c8={"town": "c"})},
        "nonresponse adjustment: weighting class {'town': 'c'} has no respondents",
        id="class-without-respondents",
    ),
    pytest.param(
        {"data": {"base_weight": [15, 10, 6, 20]}},
        "data.csv row 4: design weight 6 differs from 5 in column 'base_weight' of its case "
        "(row 7 of cases.csv)",
        id="design-weight-differs",
    ),
]


@pytest.mark.parametrize(("change", "message"), ERRORS)
def test_errors_name_the_key_column_and_row(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    data = dict(DATA)
    for key, value in change.get("data", {}).items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    write_csv(tmp_path / "data.csv", data_rows(data))
    write_csv(tmp_path / "cases.csv", change.get("cases", CASES))
    keys = {"cases": change.get("cases_file", "cases.csv"), "outcome": "disposition",
            "classes": "[town]"}  # fmt: skip
    if "nr" in change:  # one key changed (a key written twice is refused: FILE:LINE)
        key, value = change["nr"].split(": ", 1)
        keys[key] = value
    nr = "nonresponse:\n" + "".join(f"  {k}: {v}\n" for k, v in keys.items())
    with pytest.raises(KesuError) as info:
        weigh(tmp_path, "data: data.csv\ndesign: {weights: base_weight}\n" + nr)
    assert message in str(info.value)
    assert info.value.param is not None and info.value.param.startswith("nonresponse")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"classes": ["town"]}, "nonresponse.cases must name the cases file"),
        ({"cases": "c.csv", "class": ["town"]}, "unknown key nonresponse.class"),
        ({"cases": "c.csv", "weights": 3}, "nonresponse.weights must be a column name"),
        ({"cases": "c.csv", "classes": [1]}, "nonresponse.classes must be a column name"),
        ({"cases": ["c.csv"]}, "nonresponse.cases must be a file name"),
        ("yes", "nonresponse must be a mapping"),
    ],
)
def test_invalid_sections_name_the_key(section: Any, message: str) -> None:
    with pytest.raises(JobError, match=message):
        parse_job({"data": "d.csv", "design": {"weights": "w"}, "nonresponse": section})


def test_defaults_and_an_empty_section_for_a_wave() -> None:
    job = parse_job({"wave": "w", "design": {"weights": "w"}, "nonresponse": None})
    nr = job.nonresponse
    assert nr is not None and nr.cases is None
    assert (nr.weights, nr.outcome, nr.classes, nr.id) == (
        "base_weight",
        "weighting_outcome",
        (),
        "respondent_id",
    )
    assert parse_job({"data": "d.csv", "design": {"weights": "w"}}).nonresponse is None


def test_kesu_weight_and_estimate_round_trip(job_dir: Path) -> None:
    job = write_job(
        job_dir,
        "data: data.csv\ndesign: {weights: base_weight}\n" + NR + "estimates: [{mean: y}]\n"
        "output: weighted.csv\n",
    )
    runner = CliRunner()
    result = runner.invoke(main, ["weight", str(job)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "nonresponse: converged in 1 iteration(s)" in result.output
    assert "weights sum 110 -> 96" in result.output and "classes: 2" in result.output
    with (job_dir / "weighted.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["respondent_id"] for r in rows] == ["4", "1", "3", "2"]
    assert_allclose([float(r["weight"]) for r in rows], EXPECTED, rtol=1e-12)
    result = runner.invoke(main, ["estimate", str(job), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["estimates"]
    assert row["statistic"] == "proportion" and row["n"] == 4
    assert row["estimate"] == pytest.approx((EXPECTED[0] + EXPECTED[2] + EXPECTED[3]) / 96)


def test_kesu_weight_reports_a_bad_case_without_a_traceback(job_dir: Path) -> None:
    write_csv(job_dir / "cases.csv", _cases(c2={"respondent_id": 1}))
    job = write_job(job_dir, "data: data.csv\ndesign: {weights: base_weight}\n" + NR)
    result = CliRunner().invoke(main, ["weight", str(job), "-o", str(job_dir / "o.csv")])
    assert result.exit_code == 1
    assert "Error: cases.csv rows 2 and 3 are respondents with the same id '1'" in result.output
    assert not (job_dir / "o.csv").exists()
