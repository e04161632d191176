"""``kesu demo`` end to end on a small sample, and ``kesu report`` reproducing its PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from kesu.cli import main
from reports.fieldwork import summarize_fieldwork
from reports.synthetic import YIWU_TOWNS

FILES = (
    "frame.csv", "sample.csv", "fieldwork.csv", "responses.csv", "scored.csv", "weights-job.yaml",
    "weighted.csv", "estimates.json", "report.pdf", "report-job.yaml",
    "capacity-rounds.json", "estimates-2021.json", "estimates-2023.json", "youth-results.json",
    "youth/schools.csv", "youth/school-design.yaml", "youth/classes.csv", "youth/seats.csv",
    "youth/responses-g4.csv", "youth/responses-g8.csv", "youth/principal.csv",
    "youth/teacher.csv", "youth/school-results.json", "youth/truth.json",
)  # fmt: skip


def _read(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        main, ["demo", "--out", str(out), "--n-psu", "30", "--households", "12", "--seed", "7"]
    )
    assert result.exit_code == 0, result.output
    assert "synthetic demo:" in result.output
    return out


def test_every_intermediate_file_is_left(demo_dir):
    for name in FILES:
        assert (demo_dir / name).is_file(), name
    assert (demo_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_sample_design_and_fieldwork_files(demo_dir):
    sample = _read(demo_dir / "sample.csv")
    towns = {r["stratum"] for r in sample}
    assert towns == {t.code for t in YIWU_TOWNS}
    psus = {}
    for r in sample:
        psus.setdefault(r["stratum"], set()).add(r["psu"])
    assert all(len(v) >= 2 for v in psus.values())
    field = _read(demo_dir / "fieldwork.csv")
    assert len(field) == len(sample)
    completes = [r for r in field if r["outcome"] == "1.1"]
    assert all(0 < float(r["prob3"]) <= 1 for r in completes)
    scored = _read(demo_dir / "scored.csv")
    assert len(scored) == len(completes)


def test_weights_are_raked_to_the_census_total(demo_dir):
    rows = _read(demo_dir / "weighted.csv")
    w = np.array([float(r["weight"]) for r in rows])
    total = sum(t.adults for t in YIWU_TOWNS)
    assert w.sum() == pytest.approx(total, rel=1e-9)  # trimming keeps the raked total
    assert (w > 0).all()


def test_weights_job_adjusts_for_nonresponse_by_town_from_the_fieldwork_file(demo_dir):
    """The job's first step, recomputed by hand: in each town the household weights of the
    eligible (complete, partial, refusal, non-contact...) and unknown cases go to the
    completes, so the completes' household weights add up to the town's sampled total
    less the ineligible share (Valliant, Dever & Kreuter 2018, 13.5)."""
    from sampling.job import load_cases
    from sampling.job import load_job
    from sampling.job import load_table
    from sampling.job import run_weighting

    field = _read(demo_dir / "fieldwork.csv")
    job = load_job(demo_dir / "weights-job.yaml")
    sample = run_weighting(job, load_table(job), load_cases(job))
    step = sample.steps[0]
    assert step.diagnostics.method == "nonresponse"
    expected = {}
    for town in {r["town"] for r in field}:
        rows = [r for r in field if r["town"] == town]
        w = {k: 0.0 for k in "RNUI"}
        for r in rows:
            head = r["outcome"].split(".")[0]
            kind = "R" if r["outcome"] == "1.1" else {"1": "N", "2": "N", "3": "U", "4": "I"}[head]
            w[kind] += float(r["household_weight"])
        a1 = sum(w.values()) / (w["R"] + w["N"] + w["I"])  # unknowns spread over the known
        a2 = (w["R"] + w["N"]) * a1 / (w["R"] * a1)  # eligible nonrespondents to completes
        factor = a1 * a2
        for r in rows:
            if r["outcome"] == "1.1":
                expected[r["respondent_id"]] = float(r["household_weight"]) * factor
    adjusted = dict(
        zip(field_ids := [r["respondent_id"] for r in field], step.weights, strict=True)
    )
    for rid, value in expected.items():
        assert adjusted[rid] == pytest.approx(value, rel=1e-12)
    assert len(expected) == sum(1 for i in field_ids if i)


def test_report_shows_the_aapor_rates_of_the_fieldwork_file(demo_dir):
    field = _read(demo_dir / "fieldwork.csv")
    minutes = [float(r["minutes"]) if r["minutes"] else np.nan for r in field]
    s = summarize_fieldwork([r["outcome"] for r in field], minutes)
    text = "\n".join(p.extract_text() for p in PdfReader(demo_dir / "report.pdf").pages)
    tokens = [t.strip() for t in text.splitlines()]
    i = tokens.index("应答率 RR1")
    assert tokens[i + 1] == f"{100 * s.rr1:.1f}%"
    j = tokens.index("应答率 RR3")
    assert tokens[j + 1] == f"{100 * s.rr3:.1f}%"
    assert "模拟数据" in text


def test_estimates_file_is_an_earlier_wave_for_the_next_report(demo_dir):
    payload = json.loads((demo_dir / "estimates.json").read_text("utf-8"))
    assert payload["wave"] == "demo-2025" and payload["year"] == 2025
    assert payload["figures"]["overall"]["estimate"] == pytest.approx(
        payload["overall"]["rows"][0]["estimate"]
    )
    assert [t["year"] for t in payload["figures"]["trend"]] == [2021, 2023, 2025]


def test_demo_simulates_a_youth_round_with_its_chapter_and_school_sheets(demo_dir):
    youth = demo_dir / "youth"
    published = json.loads((demo_dir / "youth-results.json").read_text("utf-8"))
    assert "schools" not in published  # no school's figures in the published results
    assert [g["grade"] for g in published["grades"]] == ["4", "8"]
    truth = json.loads((youth / "truth.json").read_text("utf-8"))["level_shares"]
    for g in published["grades"]:
        levels = g["overall"]["levels"]
        assert sum(s["estimate"] for s in levels) == pytest.approx(1.0)
        for s, true in zip(levels, truth[g["grade"]], strict=True):  # the known IRT truth
            assert abs(s["estimate"] - true) < 4 * s["se"]
    seats = _read(youth / "seats.csv")
    assert {"complete", "absent"} <= {r["status"] for r in seats}
    classes = _read(youth / "classes.csv")
    assert not set(classes[0]) & {"name", "student", "seat", "phone"}
    schools = {r["school_id"] for r in classes}
    sheets = sorted((youth / "sheets").glob("*.pdf"))
    assert {p.stem for p in sheets} == schools
    sheet = "\n".join(p.extract_text() for p in PdfReader(sheets[0]).pages)
    names = {r["school_id"]: r["school_name"] for r in _read(youth / "schools.csv")}
    assert "仅供本校校长使用" in sheet and names[sheets[0].stem] in sheet
    assert names[sheets[1].stem] not in sheet
    text = "\n".join(p.extract_text() for p in PdfReader(demo_dir / "report.pdf").pages)
    assert re.search(r"[一二三四五六七八九十]+、青少年科学素质监测（中小学）", text)
    assert "中等及以上" in text
    assert not any(name in text for name in names.values())  # no school in the report


def test_kesu_report_reproduces_the_demo_pdf(demo_dir):
    out = demo_dir / "again.pdf"
    today = dt.date.today().isoformat()
    result = CliRunner().invoke(
        main, ["report", str(demo_dir / "report-job.yaml"), "-o", str(out), "--date", today]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (demo_dir / "report.pdf").read_bytes()


def test_kesu_report_english_and_estimates(demo_dir):
    out = demo_dir / "en.pdf"
    est = demo_dir / "est.json"
    result = CliRunner().invoke(
        main,
        ["report", str(demo_dir / "report-job.yaml"), "-o", str(out), "--lang", "en",
         "--estimates", str(est)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = PdfReader(io.BytesIO(out.read_bytes())).pages
    assert "Share of citizens with science literacy" in "\n".join(p.extract_text() for p in pages)
    assert "Youth science literacy in schools" in "\n".join(p.extract_text() for p in pages)
    assert json.loads(est.read_text("utf-8"))["wave"] == "demo-2025"


def test_kesu_report_for_a_wave_uses_the_survey_loader(monkeypatch, table, tmp_path):
    import reports.cli
    import survey.analysis

    monkeypatch.setattr(survey.analysis, "load_analysis_table", lambda name: table)
    monkeypatch.setattr(reports.cli, "_wave_capacity", lambda year: None)  # no rounds
    out = tmp_path / "wave.pdf"
    result = CliRunner().invoke(main, ["report", "--wave", "test-2025", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "test-2025: literate" in result.output
    assert out.read_bytes()[:5] == b"%PDF-"


def test_kesu_report_wave_errors_are_clean(monkeypatch, tmp_path):
    import survey.analysis

    def fail(name):
        raise LookupError(f"no wave named {name}")

    monkeypatch.setattr(survey.analysis, "load_analysis_table", fail)
    result = CliRunner().invoke(main, ["report", "--wave", "nope", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "cannot load wave 'nope'" in result.output and "Traceback" not in result.output
    both = CliRunner().invoke(main, ["report", "-o", str(tmp_path / "x.pdf")])
    assert both.exit_code == 2 and "either JOB_FILE or --wave" in both.output


def test_the_reporting_rounds_counts_add_up_and_the_youth_monitoring_was_held(demo_dir):
    """The capacity chapter splits the units once by when they submitted and the submitted
    once by review, so that each count adds up; the youth monitoring, whose results the
    youth chapter shows, is reported as held, not as missing."""
    text = "".join(p.extract_text() for p in PdfReader(demo_dir / "report.pdf").pages)
    text = re.sub(r"\s+", "", text)
    m = re.search(r"应报送单位(\d+)个：按时提交(\d+)个，逾期提交(\d+)个，未报送(\d+)个", text)
    assert m is not None, "the units' sentence"
    n, on_time, late, missing = map(int, m.groups())
    assert n == on_time + late + missing
    m = re.search(r"已提交的(\d+)个单位中，审核通过(\d+)个（其中(\d+)个经退回更正后通过），"
                  r"待审核(\d+)个，退回待重报(\d+)个", text)  # fmt: skip
    assert m is not None, "the review's sentence"
    submitted, accepted, returned, pending, back = map(int, m.groups())
    assert submitted == on_time + late == accepted + pending + back and returned <= accepted
    row = re.search(r"青少年科学素质监测（每年开展一次）[^\n]{0,40}", text)
    assert row is not None and "未报送" not in row.group(0)
