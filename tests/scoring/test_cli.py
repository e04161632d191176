"""``kesu score`` and ``kesu items`` on small CSV files (scoring/cli.py)."""

from __future__ import annotations

import contextlib
import csv
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from kesu.cli import main
from questionnaires import load_questionnaire
from scoring import encode_responses
from scoring import score_responses
from scoring.items import analyze_responses

HEADER = ["respondent_id", "sex", "K1", "K2", "M1", "S1", "P1", "remark", "weight"]
ROWS = [
    ["r1", "1", "T", "C", "A;B", "F", "A", "很好, 谢谢", "2"],  # all right: 10
    ["r2", "2", "DK", "C", "A", "F", "", "", "1"],  # 2 + 1 + 2 = 5
    ["r3", "1", "F", "A", "", "T", "B", "", "1"],  # 0
    ["r4", "2", "T", "C", "B;A", "F", "B", "", "1.5"],  # 8
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def responses(tmp_path: Path) -> Path:
    return _write(tmp_path / "answers.csv", HEADER, ROWS)


def test_score_round_trip(responses: Path, features_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(
        main, ["score", str(responses), "-q", str(features_path), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "4 respondents scored (national-2021)" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = _read(out)
    assert list(rows[0]) == HEADER + [
        "item_K1", "item_K2", "item_M1", "item_S1", "item_P1", "score_knowledge",
        "score_method", "score_spirit", "score_application", "score_total", "level", "literate",
    ]  # fmt: skip
    for row, original in zip(rows, ROWS, strict=True):
        assert [row[h] for h in HEADER] == original  # every input column kept as it was
    assert [r["score_total"] for r in rows] == ["10", "5", "0", "8"]
    assert [r["item_M1"] for r in rows] == ["2", "1", "0", "2"]
    assert [r["score_knowledge"] for r in rows] == ["4", "2", "0", "4"]
    assert [r["level"] for r in rows] == ["advanced", "low", "low", "literate"]
    assert [r["literate"] for r in rows] == ["1", "0", "0", "1"]


def test_score_replaces_old_score_columns(features_path: Path, tmp_path: Path) -> None:
    src = _write(
        tmp_path / "old.csv",
        [*HEADER, "score_total", "level"],
        [[*r, "99", "advanced"] for r in ROWS],
    )
    out = tmp_path / "rescored.csv"
    result = CliRunner().invoke(
        main, ["score", str(src), "-q", str(features_path), "-o", str(out), "--rule", "miller"]
    )
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert list(rows[0]).count("score_total") == 1
    assert [r["score_total"] for r in rows] == ["10", "5", "0", "8"]
    # Miller cuts 2/1/1/1: r4 has application 0
    assert [r["literate"] for r in rows] == ["1", "0", "0", "0"]


def test_score_errors_name_row_and_item(features_path: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", HEADER, [*ROWS, ["r5", "1", "T", "E", "", "", "", "", "1"]])
    runner = CliRunner()
    result = runner.invoke(main, ["score", str(bad), "-q", str(features_path), "-o", "-"])
    assert result.exit_code == 1
    # strict codes: the unknown value, its count and row, the valid codes
    assert "bad.csv: 1 cell holds a value that is neither" in result.output
    assert "column 'K2' (item K2): 'E' x1 (row 6). Codes: A, B, C, D" in result.output
    lenient = runner.invoke(
        main, ["score", str(bad), "-q", str(features_path), "-o", "-", "--unknown-codes", "missing"]
    )
    assert lenient.exit_code == 0, lenient.output
    no_items = _write(tmp_path / "no_items.csv", ["respondent_id", "K1"], [["r1", "T"]])
    result = runner.invoke(main, ["score", str(no_items), "-q", str(features_path), "-o", "-"])
    assert result.exit_code == 1
    assert "have no column: K2, M1, S1, P1" in result.output
    result = runner.invoke(main, ["score", str(no_items)])
    assert result.exit_code == 2
    assert "needs --questionnaire and -o" in result.output


def test_score_wave_without_survey_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "survey.analysis", None)  # importing it fails
    result = CliRunner().invoke(main, ["score", "--wave", "2025-spring"])
    assert result.exit_code == 1
    assert "needs the web survey (survey.analysis cannot be imported" in result.output
    assert "Export the wave to CSV" in result.output
    result = CliRunner().invoke(main, ["score", "--wave", "w", "--rule", "miller"])
    assert result.exit_code == 2
    assert "stored questionnaire and rules" in result.output


class FakeSurvey:
    """Stand-ins for the web survey's modules, recording what the CLI does with them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.session = types.SimpleNamespace(
            rollback=lambda: self.calls.append(("rollback",)),
            close=lambda: self.calls.append(("close",)),
        )

        class SurveyError(ValueError):
            pass

        self.SurveyError = SurveyError
        app = types.SimpleNamespace(app_context=contextlib.nullcontext)
        database = types.SimpleNamespace(
            sessionmaker=lambda: self.session,
            engine=types.SimpleNamespace(dispose=lambda: self.calls.append(("dispose",))),
        )
        self.modules = {
            "survey": types.SimpleNamespace(create_app=lambda config: app),
            "survey.db": types.SimpleNamespace(database=lambda a: database),
            "survey.errors": types.SimpleNamespace(SurveyError=SurveyError),
            "survey.analysis": types.SimpleNamespace(),
            "survey.services": types.SimpleNamespace(),
        }
        for name, module in self.modules.items():
            monkeypatch.setitem(sys.modules, name, module)


def test_score_wave_calls_the_survey(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSurvey(monkeypatch)

    def rescore_wave(session: Any, name: str, actor: str) -> int:
        assert session is fake.session
        fake.calls.append(("rescore", name, actor))
        return 120

    fake.modules["survey.analysis"].rescore_wave = rescore_wave
    result = CliRunner().invoke(main, ["score", "--wave", "w1", "--actor", "admin"])
    assert result.exit_code == 0, result.output
    assert fake.calls == [("rescore", "w1", "admin"), ("close",), ("dispose",)]
    assert "rescored 120 complete responses of wave w1" in result.output

    def missing_wave(session: Any, name: str, actor: str) -> int:
        raise fake.SurveyError(f"no wave named {name!r}")

    fake.modules["survey.analysis"].rescore_wave = missing_wave
    fake.calls.clear()
    result = CliRunner().invoke(main, ["score", "--wave", "nope"])
    assert result.exit_code == 1
    assert "no wave named 'nope'" in result.output
    assert fake.calls == [("rollback",), ("close",), ("dispose",)]


def test_items_csv_and_pdf(responses: Path, features_path: Path, tmp_path: Path) -> None:
    out, opts, pdf = tmp_path / "items.csv", tmp_path / "options.csv", tmp_path / "items.pdf"
    result = CliRunner().invoke(
        main,
        ["items", str(responses), "-q", str(features_path), "--weights", "weight",
         "-o", str(out), "--options-csv", str(opts), "--pdf", str(pdf)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "n 4 (weights sum 5.5)" in result.output
    rows = _read(out)
    assert [r["item"] for r in rows] == ["K1", "K2", "M1", "S1", "P1"]
    # weighted share right on K1: (2 + 1.5) / 5.5
    assert float(rows[0]["difficulty"]) == pytest.approx(3.5 / 5.5)
    q = load_questionnaire(features_path)
    answers = [
        {"K1": "T", "K2": "C", "M1": ["A", "B"], "S1": "F", "P1": "A"},
        {"K1": "DK", "K2": "C", "M1": ["A"], "S1": "F"},
        {"K1": "F", "K2": "A", "S1": "T", "P1": "B"},
        {"K1": "T", "K2": "C", "M1": ["A", "B"], "S1": "F", "P1": "B"},
    ]
    direct = analyze_responses(q, encode_responses(q, answers), weights=[2, 1, 1, 1.5])
    for row, expected in zip(rows, direct.to_rows(), strict=True):
        assert float(row["pbis"]) == pytest.approx(expected["pbis"], rel=1e-9)
        assert float(row["discrimination"]) == pytest.approx(expected["discrimination"])
        assert row["flags"] == expected["flags"]
    options = _read(opts)
    assert (options[0]["item"], options[0]["option"], options[0]["key"]) == ("K1", "T", "1")
    assert options[0]["share"] == format(3.5 / 5.5, ".10g")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    if Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc").is_file():
        assert b"/FontFile2" in data  # the TrueType font is embedded


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
@pytest.mark.parametrize(
    ("weights", "title", "not_said"),
    [(["--weights", "weight"], "按最终权数加权", "未加权"), ([], "未加权", "权数")],
)
def test_items_pdf_title_says_whether_it_is_weighted(
    responses: Path,
    features_path: Path,
    tmp_path: Path,
    weights: list[str],
    title: str,
    not_said: str,
) -> None:
    """Without --weights the page said "按最终权数加权" (weighted by the final weights) and
    gave a weight sum; it says unweighted and gives no weights."""
    pdf = tmp_path / "items.pdf"
    args = ["items", str(responses), "-q", str(features_path), *weights, "--pdf", str(pdf)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert title in text and not_said not in text


def test_items_rejects_bad_weights(responses: Path, features_path: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path / "w.csv", HEADER, [[*r[:-1], "x"] for r in ROWS])
    runner = CliRunner()
    q_args = ["-q", str(features_path)]
    result = runner.invoke(main, ["items", str(bad), *q_args, "--weights", "weight"])
    assert result.exit_code == 1
    assert "w.csv: row 2, column 'weight': 'x' is not a number" in result.output
    result = runner.invoke(main, ["items", str(responses), *q_args, "--weights", "w"])
    assert "there is no column 'w' (needed by --weights)" in result.output
    result = runner.invoke(
        main, ["items", str(responses), "-q", str(features_path), "--group-share", "0.9"]
    )
    assert result.exit_code == 2


def test_items_wave_uses_the_survey(
    monkeypatch: pytest.MonkeyPatch, features_path: Path, rng: np.random.Generator, tmp_path: Path
) -> None:
    q = load_questionnaire(features_path)
    answers = [
        {i.id: i.codes[rng.integers(len(i.codes))] for i in q.scored_items if i.id != "M1"}
        | {"M1": [c for c in ("A", "B", "C") if rng.random() < 0.5]}
        for _ in range(40)
    ]
    sheet = score_responses(q, answers)
    weights = rng.integers(1, 4, size=40).astype(float)
    table = {
        "respondent_id": np.arange(40),
        "base_weight": weights,
        **sheet.columns(),
    }
    fake = FakeSurvey(monkeypatch)
    fake.modules["survey.services"].get_wave = lambda session, name: types.SimpleNamespace(
        questionnaire_version=name
    )
    fake.modules["survey.services"].questionnaire_of = lambda version: q
    fake.modules["survey.analysis"].analysis_table = lambda session, name: table
    runner = CliRunner()

    # without survey.analysis.wave_answers: item points of the analysis table only
    result = runner.invoke(main, ["items", "--wave", "w1", "--weights", "base_weight"])
    assert result.exit_code == 0, result.output
    assert f"n 40 (weights sum {weights.sum():.1f}); 5 items" in result.output
    full = analyze_responses(q, answers, weights=weights)
    expected = f"K1       knowledge    {full.difficulty[0]:6.3f} {full.pbis[0]:7.3f}"
    assert expected in result.output

    # with it: option frequencies too, same item statistics
    fake.modules["survey.analysis"].wave_answers = lambda session, name: answers
    out = tmp_path / "options.csv"
    result = runner.invoke(
        main, ["items", "--wave", "w1", "--weights", "base_weight", "--options-csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert expected in result.output
    rows = _read(out)
    assert len(rows) == len(full.options)
    assert float(rows[0]["share"]) == pytest.approx(full.options[0].share)

    result = runner.invoke(main, ["items", "--wave", "w1", "--weights", "weight"])
    assert result.exit_code == 1
    assert "has no column 'weight'" in result.output
    fake.modules["survey.analysis"].wave_answers = lambda session, name: answers[:-1]
    result = runner.invoke(main, ["items", "--wave", "w1"])
    assert "wave_answers gave 39 rows, the analysis table 40" in result.output
