"""Issue 12 on the scoring side: ``kesu score`` and ``kesu irt calibrate`` on real tables.

The same responses as UTF-8 CSV, GB18030 CSV (as Excel on Chinese Windows saves it),
.xlsx and Parquet give the same scored file; labels become codes and unknown values
stop with their counts and rows (a GB18030 file used to end in a 30-line traceback);
the IRT reader refuses a duplicated column header (it used to give one item 4 values
for 2 rows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from kesu.cli import main
from kesu.tables import read_table
from kesu.tables import write_columns
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.synthetic import answers_to_records
from reports.synthetic import simulate_answers
from reports.synthetic import simulate_people

Q = str(DEFAULT_QUESTIONNAIRE)


@pytest.fixture(scope="module")
def responses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    rng = np.random.default_rng(3)
    people = simulate_people(120, rng)
    records = answers_to_records(q, simulate_answers(q, people, rng), 2025)
    columns: dict[str, Any] = {"respondent_id": [f"r{i:03d}" for i in range(len(records))]}
    for var in q.variables:
        columns[var] = [rec.get(var) for rec in records]
    # Chinese cells, as a real file has them: town labels and a free-text note
    columns["town"] = ["佛堂镇" if t == "fotang" else t for t in columns["town"]]
    columns["备注"] = ["电话访问" if i % 3 else None for i in range(len(records))]
    path = tmp_path_factory.mktemp("responses") / "responses.csv"
    write_columns(path, columns)
    return path


def _score(path: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["score", str(path), "-q", Q, "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8-sig")


def test_every_format_scores_the_same(responses: Path, tmp_path: Path, realfiles: Any) -> None:
    files = realfiles.as_formats(tmp_path, responses, text_numbers=["birth_year"])
    reference = _score(responses, tmp_path / "scored.csv")
    header = reference.splitlines()[0].split(",")
    assert {"score_total", "literate", "group_farmer", "group_elderly"} <= set(header)
    for fmt, path in files.items():
        assert _score(path, tmp_path / f"scored-{fmt}.csv") == reference, fmt


def test_labels_become_codes_and_unknown_values_stop(responses: Path, tmp_path: Path) -> None:
    table = read_table(responses)
    columns = {name: table.labels(name) for name in table.order}
    town = columns["town"].astype(object)
    assert "佛堂镇" in town
    coded = dict(columns, town=np.where(town == "佛堂镇", "fotang", town))
    write_columns(tmp_path / "codes.csv", coded)
    out = _score(tmp_path / "codes.csv", tmp_path / "scored-codes.csv")
    assert out == _score(responses, tmp_path / "scored.csv")  # 佛堂镇 is written as fotang
    town[[4, 9]] = "义乌"
    write_columns(tmp_path / "bad.csv", dict(columns, town=town))
    gbk = tmp_path / "bad-gbk.csv"
    gbk.write_bytes((tmp_path / "bad.csv").read_text(encoding="utf-8-sig").encode("gb18030"))
    result = CliRunner().invoke(main, ["score", str(gbk), "-q", Q, "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "column 'town' (item town): '义乌' x2 (rows 6, 11)" in result.output


def test_irt_calibrate_reads_every_format_alike(
    responses: Path, tmp_path: Path, realfiles: Any
) -> None:
    scored = tmp_path / "scored.csv"
    _score(responses, scored)
    files = realfiles.as_formats(tmp_path, scored)
    items = "item_K01,item_K02,item_K03,item_K04,item_K05,item_K06"
    params = {}
    for fmt, path in {"csv": scored, **files}.items():
        out = tmp_path / f"{fmt}.params.json"
        args = ["irt", "calibrate", str(path), "--items", items, "--se", "none", "-o", str(out)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        found = json.loads(out.read_text(encoding="utf-8"))
        found["meta"].pop("source")
        params[fmt] = found
    for fmt, found in params.items():
        assert found == params["csv"], fmt


def test_irt_refuses_a_duplicated_column(tmp_path: Path) -> None:
    bad = tmp_path / "dup.csv"
    bad.write_text("respondent_id,item_K1,item_K1,item_K2\nr1,1,0,1\nr2,0,1,1\n", "utf-8")
    result = CliRunner().invoke(main, ["irt", "calibrate", str(bad), "-o", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "dup.csv: row 1, column 'item_K1': columns B and C are both named 'item_K1'" in (
        result.output
    )
