"""Issue 12 on the sampling side: job files, design columns and tables as people have them.

* the same data as UTF-8 CSV, GB18030 CSV, .xlsx and Parquet gives the same
  ``kesu estimate`` and ``kesu sample draw``;
* job files are YAML 1.2 (``1e-12`` a number, ``yes``/``no`` strings), a key written
  twice stops with FILE:LINE, an unknown key lists the valid ones;
* design columns with blank/NA cells or impossible fpc values stop with row and
  column, as R's ``svydesign`` does (reference runs in the docstrings);
* rows a user wants out are named by ``exclude:`` and counted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from kesu.cli import main
from kesu.errors import KesuError
from kesu.tables import read_table
from kesu.tables import write_columns
from sampling.job import load_job
from sampling.job import load_table
from sampling.job import run_estimates
from sampling.job import run_weighting

from .conftest import DATA

JOB = """\
data: {data}
design: {{weights: pw, strata: stype, fpc: fpc}}
calibration:
  method: raking
  tolerance: 1e-12
  max_iter: 200
  margins: {{awd: {{yes: 3000, no: 3194}}}}
estimates:
  - {{mean: api00, by: stype}}
  - {{mean: won, by: awd}}
"""


def _strat(tmp_path: Path) -> Path:
    """apistrat with the awards column as yes/no (YAML 1.1 would read those as booleans)."""
    table = read_table(DATA / "apistrat.csv")
    columns = {name: table.labels(name) for name in table.order}
    columns["awd"] = np.where(columns["awards"] == "Yes", "yes", "no")
    columns["won"] = np.where(columns["awards"] == "Yes", 1, 0)
    out = tmp_path / "strat.csv"
    write_columns(out, columns)
    return out


def _estimate(job: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["estimate", str(job), "--json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)["estimates"]
    return rows


def test_yaml_12_numbers_and_strings_and_every_format_the_same(
    tmp_path: Path, realfiles: Any
) -> None:
    strat = _strat(tmp_path)
    files = realfiles.as_formats(tmp_path, strat, text_numbers=["api00", "pw"])
    reference = None
    for fmt, path in {"csv": strat, **files}.items():
        job = tmp_path / f"job-{fmt}.yaml"
        job.write_text(JOB.format(data=path.name), encoding="utf-8")
        rows = _estimate(job)
        if reference is None:
            reference = rows
            # raking to the yes/no margins worked: the weighted share of award schools
            award = next(r for r in rows if r["domain"] == {"awd": "yes"})
            assert award["variable"] == "won" and award["estimate"] == pytest.approx(1.0)
        assert rows == reference, fmt
    spec = load_job(tmp_path / "job-csv.yaml")
    assert spec.calibration is not None and spec.calibration.tolerance == 1e-12
    assert set(spec.calibration.margins["awd"]) == {"yes", "no"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("design: {weights: pw}\ndesign: {weights: pw, strata: stype}\n",
         r"job\.yaml:3: key 'design' is written twice \(first on line 2\)"),
        ("design:\n  weights: pw\n  strata: stype\n  weigths: pw\n",
         r"job\.yaml:5: unknown key design\.weigths; expected one of: fpc, lonely_psu, nest, "
         r"prob, psu, replicate_weights, strata, weights"),
        ("design: {weights: pw}\ncalibration: {method: raking, tolerance: '1e-12',\n"
         "  margins: {stype: {E: 1, H: 1, M: 1}}}\n",
         r"job\.yaml:3: calibration\.tolerance must be a number; got '1e-12'"),
        ("design: {weights: pw}\nexclude: {stype: {E: 1}}\n",
         r"job\.yaml:3: exclude\.stype must be a value or a list"),
    ],
)  # fmt: skip
def test_job_file_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    job = tmp_path / "job.yaml"
    job.write_text("data: x.csv\n" + text, encoding="utf-8")
    with pytest.raises(KesuError, match=message):
        load_job(job)


def _design_job(tmp_path: Path, rows: list[list[Any]], design: str, extra: str = "") -> Path:
    header = ["id", "stratum", "psu", "fpc", "w", "y"]
    write_columns(tmp_path / "d.csv", {h: [r[j] for r in rows] for j, h in enumerate(header)})
    job = tmp_path / "job.yaml"
    job.write_text(
        f"data: d.csv\ndesign: {design}\nestimates: [{{mean: y}}]\n{extra}", encoding="utf-8"
    )
    return job


ROWS = [
    [1, "a", "p1", 10, 2.0, 1.0], [2, "a", "p1", 10, 2.0, 0.0], [3, "a", "p2", 10, 2.0, 1.0],
    [4, "a", "p2", 10, 2.0, 3.0], [5, "b", "p3", 8, 4.0, 2.0], [6, "b", "p3", 8, 4.0, 5.0],
    [7, "b", "p4", 8, 4.0, 1.0], [8, "b", "p4", 8, 4.0, 2.0],
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "design", "message"),
    [
        # R: svydesign(ids=~psu, strata=~stratum, weights=~w, data=d) with d$psu[3] <- NA
        #    Error: missing values in `id'
        ((2, 2, ""), "{weights: w, strata: stratum, psu: psu}",
         r"d\.csv: row 4, column 'psu': missing value .*missing values in `id'"),
        ((5, 2, "NA"), "{weights: w, strata: stratum, psu: psu}",
         r"d\.csv: row 7, column 'psu': missing value"),
        # R: ... with d$stratum[1] <- NA: Error: missing values in `strata'
        ((0, 1, "NA"), "{weights: w, strata: stratum, psu: psu}",
         r"d\.csv: row 2, column 'stratum': missing value .*missing values in `strata'"),
        # R: ... weights=~w with d$w[5] <- NA: Error: missing values in `weights'
        ((4, 4, ""), "{weights: w, strata: stratum, psu: psu}",
         r"d\.csv: row 6, column 'w': missing value"),
        ((4, 4, -4.0), "{weights: w, strata: stratum, psu: psu}",
         r"d\.csv: row 6, column 'w': weights must be finite and >= 0"),
        # R: fpc=~fpc with d$fpc[6] <- NA: Error: missing values in `fpc'
        ((5, 3, ""), "{weights: w, strata: stratum, psu: psu, fpc: fpc}",
         r"d\.csv: row 7, column 'fpc': missing value"),
        # R: fpc = 1 in every row: Error (record 1 stage 1: fpc = 1 ... subscript out of bounds)
        (None, "{weights: w, strata: stratum, psu: psu, fpc: one}",
         r"d\.csv: row 2, column 'one': fpc at stage 1 is 1 in every row"),
        # R: popsize 1 in stratum b for 2 sampled PSUs: FPC implies >100% sampling in some strata
        ((4, 3, 1), "{weights: w, strata: stratum, psu: psu, fpc: fpc}",
         r"row 6, column 'fpc': fpc varies within stratum 'b'"),
        (("b", 3, 1), "{weights: w, strata: stratum, psu: psu, fpc: fpc}",
         r"d\.csv: row 6, column 'fpc': fpc implies more sampled than population units in "
         r"stratum 'b'"),
    ],
)  # fmt: skip
def test_design_columns_with_missing_or_impossible_cells_stop_with_row_and_column(
    tmp_path: Path, change: Any, design: str, message: str
) -> None:
    rows = [list(r) for r in ROWS]
    if change is not None and change[0] == "b":
        for r in rows:
            if r[1] == "b":
                r[change[1]] = change[2]
    elif change is not None:
        rows[change[0]][change[1]] = change[2]
    if "one" in design:
        rows = [[*r[:3], 1, *r[4:]] for r in rows]
        design = design.replace("one", "fpc")
        message = message.replace("'one'", "'fpc'")
    job = _design_job(tmp_path, rows, design)
    result = CliRunner().invoke(main, ["estimate", str(job)])
    assert result.exit_code == 1
    assert __import__("re").search(message, result.output), result.output


def test_rows_left_out_on_purpose_are_named_and_counted(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][2] = ""  # a PSU nobody recorded
    job = _design_job(
        tmp_path, rows, "{weights: w, strata: stratum, psu: psu}", 'exclude: {psu: [""]}\n'
    )
    result = CliRunner().invoke(main, ["estimate", str(job), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["excluded"] == [{"column": "psu", "values": [""], "rows": 1}]
    assert printed["estimates"][0]["n"] == 7
    spec = load_job(job)
    sample = run_weighting(spec, load_table(spec))
    assert sample.excluded[0].rows == 1 and sample.table.n_rows == 7
    (est,) = run_estimates(spec, sample)
    kept = [r for r in ROWS if r[0] != 3]
    expected = sum(r[4] * r[5] for r in kept) / sum(r[4] for r in kept)
    assert est.estimate[0] == pytest.approx(expected, rel=1e-14)


def test_sample_draw_reads_every_format_alike(tmp_path: Path, realfiles: Any) -> None:
    frame = DATA / "sample_frame.csv"
    files = realfiles.as_formats(tmp_path, frame, text_numbers=["population"])
    outputs = {}
    for fmt, path in {"csv": frame, **files}.items():
        out = tmp_path / f"sample-{fmt}.csv"
        args = ["sample", "draw", str(path), "--design", str(DATA / "sample_design.yaml"),
                "--seed", "7", "-o", str(out)]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        outputs[fmt] = out.read_bytes()
    assert outputs["csv"].startswith(b"\xef\xbb\xbf")
    for fmt, data in outputs.items():
        assert data == outputs["csv"], fmt
