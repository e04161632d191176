"""Real tables in, right numbers out: the report on labels, missing columns, Excel and GB18030.

Issue 12: ``kesu report`` on a table whose town column says ``Fotang`` (or 佛堂镇)
exited 0 with n = 0 for that town; a table without ``group_farmer`` exited 0 and
农民 disappeared; .xlsx and GB18030 files were refused. Issue 13 (item 5): a report
job is an estimate job plus ``report:``, and extra domains appear as tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from kesu.cli import main
from kesu.tables import write_columns
from reports.loaders import report_from_job

from .conftest import REPORT_DATE

JOB = """\
data: {data}
design: {{weights: weight, strata: stratum, psu: psu, nest: true}}
report:
  wave_name: test-2025
  survey_year: 2025
  sae: false
{extra}"""


@pytest.fixture(scope="module")
def small(table_factory: Any) -> dict[str, Any]:
    return table_factory(600, 5)


def _job(folder: Path, data: str, extra: str = "") -> Path:
    job = folder / f"job-{Path(data).stem}.yaml"
    job.write_text(JOB.format(data=data, extra=extra), encoding="utf-8")
    return job


def _figures(job: Path) -> dict[str, Any]:
    figures = report_from_job(job, generated=REPORT_DATE).to_dict()
    del figures["fingerprint"]["job_hash"]  # the job files differ in their data: line
    return json.loads(json.dumps(figures))


def test_the_same_table_in_every_format_gives_the_same_report(
    small: dict[str, Any], tmp_path: Path, realfiles: Any
) -> None:
    csv_file = tmp_path / "scored.csv"
    real = dict(small)  # Chinese cells as a real file has them: town labels, a note
    real["town"] = np.where(small["town"] == "fotang", "佛堂镇", small["town"])
    real["备注"] = np.where(np.arange(600) % 4 == 0, "入户访问，已核实", "")
    write_columns(csv_file, real)
    files = realfiles.as_formats(tmp_path, csv_file, text_numbers=["score_total", "weight"])
    reference = _figures(_job(tmp_path, csv_file.name))
    assert reference["overall"]["n"] == 600
    for fmt, path in files.items():
        assert _figures(_job(tmp_path, path.name)) == reference, fmt


def test_town_labels_in_any_language_are_the_codes(small: dict[str, Any], tmp_path: Path) -> None:
    write_columns(tmp_path / "codes.csv", small)
    labelled = dict(small)
    town = small["town"].astype(object)
    labelled["town"] = np.where(town == "fotang", np.where(np.arange(town.size) % 2, "Fotang",
                                "佛堂镇"), np.where(town == "suxi", "Suxi Town", town))  # fmt: skip
    write_columns(tmp_path / "labels.csv", labelled)
    codes = _figures(_job(tmp_path, "codes.csv"))
    labels = _figures(_job(tmp_path, "labels.csv"))
    fotang = next(r for r in labels["towns"]["rows"] if r["key"] == "fotang")
    assert fotang["n"] == int((small["town"] == "fotang").sum()) > 0
    assert labels["towns"] == codes["towns"] and labels["overall"] == codes["overall"]


def test_unknown_towns_stop_the_report_listing_values_counts_and_rows(
    small: dict[str, Any], tmp_path: Path
) -> None:
    bad = dict(small)
    bad["town"] = small["town"].astype(object).copy()
    bad["town"][[3, 10, 11]] = "Fotang Twon"
    bad["town"][20] = "义乌市"
    write_columns(tmp_path / "bad.csv", bad)
    job = _job(tmp_path, "bad.csv")
    result = CliRunner().invoke(main, ["report", str(job), "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1
    assert "bad.csv: 4 cells hold values that are neither codes nor labels" in result.output
    assert "column 'town' (item town): 'Fotang Twon' x3 (rows 5, 12, 13); '义乌市' x1 (row 22)" in (
        result.output
    )
    assert not (tmp_path / "r.pdf").exists()


def test_a_missing_key_group_column_stops_the_report_by_name(
    small: dict[str, Any], tmp_path: Path
) -> None:
    write_columns(
        tmp_path / "nofarmer.csv", {k: v for k, v in small.items() if k != "group_farmer"}
    )
    job = _job(tmp_path, "nofarmer.csv")
    result = CliRunner().invoke(main, ["report", str(job), "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1
    assert "has no column 'group_farmer'" in result.output


def test_a_report_job_runs_in_kesu_estimate_and_weight_with_its_extra_domains(
    small: dict[str, Any], tmp_path: Path
) -> None:
    write_columns(tmp_path / "scored.csv", small)
    extra = (
        "  domains: [urban, [sex, urban], {mean: score_total, by: education}]\n"
        "estimates:\n  - {total: literate, by: town}\n"
        "exclude: {rejected: [1], sex: ['2']}\n"
    )
    job = _job(tmp_path, "scored.csv", extra)
    runner = CliRunner()
    out = runner.invoke(main, ["estimate", str(job), "--json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.output)
    women = int((small["sex"].astype(str) == "2").sum())
    assert printed["excluded"] == [
        {"column": "rejected", "values": ["1"], "rows": 0},
        {"column": "sex", "values": ["2"], "rows": women},
    ]
    estimates = printed["estimates"]
    assert estimates[0]["variable"] == "literate" and estimates[0]["n"] == 600 - women
    assert {tuple(e["domain"]) for e in estimates} >= {(), ("urban",), ("sex", "urban"),
                                                       ("education",), ("town",)}  # fmt: skip
    weighted = runner.invoke(main, ["weight", str(job), "-o", str(tmp_path / "w.csv")])
    assert weighted.exit_code == 0, weighted.output
    assert f"exclude: sex): sex in ('2'): {women} rows" in weighted.output
    data = report_from_job(job, generated=REPORT_DATE)
    assert [t.key for t in data.extra_tables] == [
        "report.domains[0].by", "report.domains[1].by", "report.domains[2].mean",
        "estimates[0].total",
    ]  # fmt: skip
    by_urban = data.extra_tables[0]
    assert [lv for (lv,) in by_urban.levels] == ["urban", "rural"]  # questionnaire order
    overall = next(e for e in estimates if not e["domain"])
    assert data.overall.estimate == pytest.approx(overall["estimate"], rel=1e-12)
    assert [e.rows for e in data.exclusions] == [0, women]
    from reports.pdf import build_pdf

    text = "\n".join(p.extract_text() for p in PdfReader(_pdf(build_pdf(data, "en"))).pages)
    assert "Additional domains" in text and "total score: mean by Education" in text
    # the methods state the exclusion, rule by rule
    assert f"left out by the job's exclude: rules (rejected in (1): 0; sex in (2): {women})" in (
        " ".join(text.split())
    )


def _pdf(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
