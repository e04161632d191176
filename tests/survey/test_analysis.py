"""The analysis table of a wave and rescoring (hand-computed expected values)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from numpy.testing import assert_array_equal
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES
from survey_testlib import FEATURES_PAGES
from survey_testlib import complete
from survey_testlib import post_page

from kesu.cli import main
from survey.analysis import analysis_table
from survey.analysis import load_analysis_table
from survey.analysis import rescore_wave
from survey.analysis import wave_answers
from survey.models import AuditLog
from survey.models import QuestionnaireVersion
from survey.models import Response
from survey.services import create_invitations

# respondent B: a 65-year-old worker; only P1 right (features.yaml keys: K1 T, K2 C,
# M1 A+B, S1 F, P1 A; 2 points each); fails the attention row V2 (expects "3")
PAGES_B: dict[str, dict[str, Any]] = {
    "about": {
        "q_sex": "1",
        "q_birth_year": "1960",
        "q_occupation": "worker",
        "q_channels": ["none"],
    },
    "test": {"q_K1": "F", "q_K2": "DK", "q_M1": ["C"], "q_S1": "T", "q_P1": "A"},
    "attitudes": {"q_interest": "1", "q_V1": "2", "q_V2": "1"},
}


def _fill_wave(client: FlaskClient, session: Session, wave: str) -> list[str]:
    a, b, partial, rejected = create_invitations(
        session,
        wave,
        4,
        actor="t",
        stratum="fotang",
        psu="v07",
        town="fotang",
        attributes={"base_weight": 250.0, "ssu": "h3"},
    )
    complete(client, a)
    complete(client, b, PAGES_B)
    client.post(f"/s/{partial}")
    post_page(client, partial, "about", FEATURES_PAGES["about"], 0)
    complete(client, rejected)
    session.rollback()
    rows = session.scalars(select(Response).order_by(Response.id)).all()
    rows[-1].rejected = True
    session.commit()
    return [a, b]


def test_analysis_table_columns_and_values(
    client: FlaskClient, session: Session, wave: str
) -> None:
    _fill_wave(client, session, wave)
    t = analysis_table(session, wave)
    assert len(t["respondent_id"]) == 2  # the partial and the rejected response are left out
    assert t["respondent_id"].dtype == np.int64
    assert_array_equal(t["wave"], ["w1", "w1"])
    assert_array_equal(t["stratum"], ["fotang", "fotang"])
    assert_array_equal(t["psu"], ["v07", "v07"])
    assert_array_equal(t["ssu"], ["h3", "h3"])
    assert_array_equal(t["base_weight"], [250.0, 250.0])
    assert_array_equal(t["sex"], ["2", "1"])
    assert_array_equal(t["birth_year"], [1980.0, 1960.0])
    assert_array_equal(t["age"], [45.0, 65.0])  # survey_year 2025 - birth_year
    assert_array_equal(t["occupation"], ["farmer", "worker"])
    assert_array_equal(t["town"], ["fotang", "fotang"])  # no town item: the invitation's
    assert_array_equal(t["group_elderly"], [0, 1])
    assert_array_equal(t["group_farmer"], [1, 0])
    assert_array_equal(t["group_young_farmer"], [0, 0])
    # A: every item right (2 points each); B: only P1
    assert_array_equal(t["item_K1"], [2.0, 0.0])
    assert_array_equal(t["item_P1"], [2.0, 2.0])
    assert_array_equal(t["score_knowledge"], [4.0, 0.0])
    assert_array_equal(t["score_application"], [2.0, 2.0])
    assert_array_equal(t["score_total"], [10.0, 2.0])
    assert_array_equal(t["level"], ["advanced", "low"])
    assert_array_equal(t["literate"], [1, 0])
    assert_array_equal(t["status"], ["complete", "complete"])
    assert_array_equal(t["rejected"], [0, 0])
    assert_array_equal(t["quality_attention"], [0, 1])


def test_wave_answers_follow_the_table_rows(
    client: FlaskClient, session: Session, wave: str
) -> None:
    _fill_wave(client, session, wave)
    answers = wave_answers(session, wave)
    table = analysis_table(session, wave)
    assert len(answers) == len(table["respondent_id"]) == 2
    assert [a["occupation"] for a in answers] == table["occupation"].tolist()
    assert answers[1]["M1"] == ["C"] and answers[1]["birth_year"] == 1960


def test_empty_wave_gives_empty_columns(session: Session, wave: str) -> None:
    t = analysis_table(session, wave)
    assert len(t["respondent_id"]) == 0 and len(t["score_total"]) == 0
    assert "group_farmer" in t and "item_K1" in t


def test_rescore_wave_stores_sheets_and_audits(
    client: FlaskClient, session: Session, wave: str
) -> None:
    _fill_wave(client, session, wave)
    rows = session.scalars(select(Response).where(Response.score.is_not(None))).all()
    for row in rows:
        row.score = None
    session.commit()
    t = analysis_table(session, wave)  # scored on the fly when sheets are missing
    assert_array_equal(t["score_total"], [10.0, 2.0])
    assert rescore_wave(session, wave, "cli:test") == 3  # rejected responses are rescored too
    session.rollback()
    totals = [r.score["total"] for r in session.scalars(select(Response)).all() if r.score]
    assert sorted(totals) == [2.0, 10.0, 10.0]
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "wave.rescore")).one()
    assert audit.actor == "cli:test" and audit.details["count"] == 3


def test_load_analysis_table_from_a_database_url(
    client: FlaskClient, session: Session, wave: str, database_url: str
) -> None:
    _fill_wave(client, session, wave)
    t = load_analysis_table(wave, database_url)
    assert_array_equal(t["score_total"], [10.0, 2.0])


def test_unscored_answers_hash_quality_and_rejected_rows(
    client: FlaskClient, session: Session, wave: str
) -> None:
    _fill_wave(client, session, wave)
    t = analysis_table(session, wave, include_rejected=True)
    assert_array_equal(t["rejected"], [0, 0, 1])
    assert_array_equal(t["channels"], ["tv;app", "none", "tv;app"])
    assert_array_equal(t["channels_tv"], [1.0, 0.0, 1.0])
    assert_array_equal(t["channels_none"], [0.0, 1.0, 0.0])
    assert_array_equal(t["farm_years"][:2], [12.0, np.nan])  # not asked of the worker
    assert_array_equal(t["interest"], ["4", "1", "4"])
    assert_array_equal(t["V2"], ["3", "1", "3"])
    assert "remark" not in t and "K1" not in t  # free text and scored answers stay out
    q_hash = session.scalars(select(QuestionnaireVersion.content_hash)).one()
    assert set(t["questionnaire_hash"].tolist()) == {q_hash}
    assert_array_equal(t["quality_duplicate_answers"], [1, 0, 1])  # A and the rejected one
    assert_array_equal(t["mode"], ["web", "web", "web"])


def test_fieldwork_table_for_the_report(client: FlaskClient, session: Session, wave: str) -> None:
    from reports.fieldwork import summarize_fieldwork
    from survey.analysis import fieldwork_table

    _fill_wave(client, session, wave)
    fw = fieldwork_table(session, wave)
    # two completes, the rejected complete, and a partial below half answered (break-off)
    assert_array_equal(fw["outcome"], ["1.1", "1.1", "2.12", "1.1"])
    assert_array_equal(fw["weighting_outcome"], ["ER", "ER", "ENR", "ENR"])
    assert_array_equal(fw["rejected"], [0, 0, 0, 1])
    summary = summarize_fieldwork(fw["outcome"], fw["minutes"])
    assert summary.counts["I"] == 3 and summary.rr1 == 3 / 4


def test_wave_job_with_nonresponse_reads_the_fieldwork(
    client: FlaskClient,
    session: Session,
    wave: str,
    app: Flask,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``kesu weight`` on a ``wave:`` job whose ``nonresponse:`` step names no cases file:
    the wave's fieldwork table is loaded (survey.analysis.load_fieldwork) and matched."""
    _fill_wave(client, session, wave)
    monkeypatch.setenv("KESU_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("KESU_INSTANCE_PATH", str(tmp_path / "instance"))
    job = tmp_path / "job.yaml"
    job.write_text(
        f"wave: {wave}\ndesign: {{weights: base_weight}}\n"
        "nonresponse: {classes: [town]}\noutput: weighted.csv\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["weight", str(job)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # 4 cases of 250: two ER, the break-off and the rejected complete ENR (one class):
    # a1 = 1, a2 = 1000 / 500 = 2, so each respondent carries 500
    assert "nonresponse: converged" in result.output and "weights sum 1000 -> 1000" in result.output
    with (tmp_path / "weighted.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    ids = analysis_table(session, wave)["respondent_id"].tolist()
    assert [int(r["respondent_id"]) for r in rows] == ids
    assert [float(r["weight"]) for r in rows] == [500.0, 500.0]
    # the report job (kesu report) loads the same fieldwork and lists the step in its appendix;
    # it names the wave's questionnaire (the bundled one has other key groups: the report
    # would stop naming the missing group_* columns)
    job.write_text(
        job.read_text(encoding="utf-8") + f"report: {{questionnaire: '{FEATURES}'}}\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        main, ["report", str(job), "-o", str(report), "--lang", "en"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = "\n".join(page.extract_text() for page in PdfReader(report).pages)
    assert "Nonresponse adjustment" in text and "weighting classes" in text
