"""Exports (CSV, .sav, .dta read back with pyreadstat and pandas), codebook, the cases
file, the JSON API (token auth, pagination, JSON errors) and the CLI commands."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import complete
from survey_testlib import post_page

from kesu.cli import main
from survey.export import export_plan
from survey.export import export_stream
from survey.models import AuditLog
from survey.models import Response
from survey.services import create_invitations
from survey.services import create_user
from survey.users import create_api_token
from survey.users import grant
from survey.users import revoke_api_tokens

PAGES_B = {
    "about": {"q_sex": "1", "q_birth_year": "1960", "q_occupation": "worker",
              "q_channels": ["none"]},
    "test": {"q_K1": "F", "q_K2": "DK", "q_M1": ["C"], "q_S1": "T", "q_P1": "A"},
    "attitudes": {"q_interest": "1", "q_V1": "2", "q_V2": "1"},
}  # fmt: skip


@pytest.fixture
def filled(client: FlaskClient, session: Session, wave: str) -> str:
    attrs = {"prob1": 0.2, "prob2": 0.05, "prob3": 0.5}
    a, b, c = create_invitations(session, wave, 3, actor="t", stratum="fotang", psu="v01",
                                 town="fotang", attributes=attrs)  # fmt: skip
    complete(client, a)
    complete(client.application.test_client(), b, PAGES_B)
    other = client.application.test_client()
    other.post(f"/s/{c}")
    post_page(other, c, "about", FEATURES_PAGES["about"], 0)
    return wave


def _bytes(session: Session, wave: str, fmt: str) -> bytes:
    return b"".join(export_stream(session, wave, fmt))


def test_csv_has_every_planned_column_and_the_unscored_answers(session: Session, filled: str):
    data = _bytes(session, filled, "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    plan = export_plan(session, filled)
    assert list(rows[0]) == [c.name for c in plan.columns]
    a, b, partial = rows
    assert (a["channels"], a["channels_tv"], a["channels_app"], a["channels_paper"]) == (
        "tv;app", "1", "1", "0")  # fmt: skip
    assert b["channels"] == "none" and b["channels_none"] == "1" and b["channels_tv"] == "0"
    assert a["score_total"] == "10" and b["score_total"] == "2" and a["level"] == "advanced"
    assert a["base_weight"] == repr(1 / (0.2 * 0.05 * 0.5)) and a["prob3"] == "0.5"
    assert a["disposition"] == "1.1" and a["group_farmer"] == "1" and b["group_elderly"] == "1"
    assert b["quality_attention"] == "1" and a["quality_attention"] == "0"
    assert partial["status"] == "partial" and partial["score_total"] == ""
    # 5 of the 14 questions it would be shown answered (the first page): 5/14 < 1/2, so a
    # break-off (2.12), not a partial interview (AAPOR 2023: partial needs at least 50%)
    assert partial["disposition"] == "2.12"
    assert a["questionnaire_hash"] == plan.questionnaire.content_hash


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_sav_and_dta_round_trip_with_labels(session: Session, filled: str, tmp_path: Path, fmt):
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(_bytes(session, filled, fmt))
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    df, meta = read(str(path))
    labels = meta.column_names_to_labels
    assert labels["sex"] == "您的性别" and labels["channels_tv"].endswith("电视")
    assert meta.variable_value_labels["sex"] == {1: "男", 2: "女"}
    assert meta.variable_value_labels["K1"]  # true/false codes T/F/DK -> 1..3 with labels
    k1 = {v: k for k, v in meta.variable_value_labels["K1"].items()}
    assert "channels" not in df.columns  # the joined text column is CSV-only
    assert df["respondent_id"].tolist() == sorted(df["respondent_id"].tolist())
    assert df["sex"].tolist()[:2] == [2, 1] and math.isnan(df["channels_tv"].tolist()[2]) is False
    assert df["channels_tv"].tolist()[:2] == [1, 0]
    assert df["score_total"].tolist()[:2] == [10, 2] and math.isnan(df["score_total"].tolist()[2])
    assert df["wave"].tolist()[0] == filled and df["stratum"].tolist()[0] == "fotang"
    option_label = {o.code: o.label.get("zh-CN") for o in
                    export_plan(session, filled).questionnaire.item("K1").options}  # fmt: skip
    assert df["K1"].tolist()[0] == k1[option_label["T"]]
    if fmt == "dta":  # a second, independent reader
        frame = pd.read_stata(path, convert_categoricals=False)
        assert frame["sex"].tolist()[:2] == [2, 1]
        with pd.io.stata.StataReader(path) as reader:
            assert reader.variable_labels()["sex"] == "您的性别"


def test_codebook_and_cases_file(session: Session, filled: str) -> None:
    text = _bytes(session, filled, "codebook-csv").decode("utf-8-sig")
    book = list(csv.DictReader(io.StringIO(text)))
    plan = export_plan(session, filled)
    assert [r["variable"] for r in book] == [c.name for c in plan.columns]
    farm = next(r for r in book if r["variable"] == "farm_years")
    assert farm["shown_if"] == "(occupation == 'farmer')" and farm["type"] == "numeric"
    sex = next(r for r in book if r["variable"] == "sex")
    assert sex["codes"] == "1=1 男; 2=2 女" and sex["label_en"] == "Your sex"
    pdf = _bytes(session, filled, "codebook-pdf")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Codebook" in text and "farm_years" in text
    cases = list(csv.DictReader(io.StringIO(_bytes(session, filled, "cases").decode("utf-8-sig"))))
    assert [c["disposition"] for c in cases] == ["1.1", "1.1", "2.12"]
    assert [c["weighting_outcome"] for c in cases] == ["ER", "ER", "ENR"]
    assert float(cases[0]["base_weight"]) == pytest.approx(200.0)


@pytest.fixture
def api(app: Flask, session: Session, filled: str) -> dict[str, str]:
    create_user(session, "stan", "a long enough password", actor="t", role="statistician")
    create_user(session, "vic", "a long enough password", actor="t", role="viewer")
    grant(session, filled, "stan", "statistician", actor="t")
    grant(session, filled, "vic", "viewer", actor="t")
    return {u: create_api_token(session, u, actor="t") for u in ("stan", "vic")}


def _get(client: FlaskClient, path: str, token: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = client.get(path, headers=headers)
    return r.status_code, (r.get_json() if r.is_json else {})


def test_api_token_auth_and_cursor_pagination(client, session, filled, api) -> None:  # type: ignore[no-untyped-def]
    w = f"/api/v1/waves/{filled}"
    assert _get(client, w, None)[0] == 401
    assert _get(client, w, "kesu_" + "x" * 40)[0] == 401
    status, body = _get(client, "/api/v1/waves", api["vic"])
    assert status == 200 and [x["name"] for x in body["data"]] == [filled]
    status, body = _get(client, w, api["vic"])
    assert status == 200 and body["rates"]["counts"]["I"] == 2
    assert _get(client, f"{w}/responses", api["vic"])[0] == 403  # viewers: aggregates only
    seen, cursor = [], ""
    while True:
        status, body = _get(client, f"{w}/responses?limit=1&status=all{cursor}", api["stan"])
        assert status == 200 and len(body["data"]) <= 1
        seen += [d["id"] for d in body["data"]]
        if body["next"] is None:
            break
        cursor = f"&after={body['next']}"
    session.rollback()
    assert seen == sorted(session.scalars(select(Response.id)).all())
    status, body = _get(client, f"{w}/responses?limit=1000", api["stan"])
    assert len(body["data"]) == 2 and body["data"][0]["quality"]["attention"] == 0
    assert body["data"][0]["score"]["total"] == 10 and body["data"][0]["answers"]["sex"] == "2"
    status, body = _get(client, f"{w}/cases?limit=2", api["stan"])
    assert [c["disposition"] for c in body["data"]] == ["1.1", "1.1"] and body["next"]
    r = client.get(f"{w}/export/csv", headers={"Authorization": f"Bearer {api['stan']}"})
    assert r.status_code == 200 and r.data.startswith("\ufeff".encode())
    assert "Content-Length" not in r.headers  # a CSV's length is not known beforehand
    for fmt in ("sav", "dta", "codebook-csv"):  # these are: the browser shows the progress
        r = client.get(f"{w}/export/{fmt}", headers={"Authorization": f"Bearer {api['stan']}"})
        assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(r.data) > 100
    for bad in (
        "?limit=0",
        "?limit=1001",
        "?limit=abc",
        "?limit=²",
        "?after=-1",
        "?status=x",
        "?page=2",
    ):
        status, body = _get(client, f"{w}/responses{bad}", api["stan"])
        assert status == 400 and body["status"] == 400 and body["message"], bad
    assert _get(client, "/api/v1/waves/nosuch", api["stan"])[0] == 404
    assert _get(client, f"{w}/export/xls", api["stan"])[0] == 400
    session.rollback()
    revoke_api_tokens(session, "stan", actor="t")
    assert _get(client, w, api["stan"])[0] == 401
    actions = session.scalars(select(AuditLog.action)).all()
    assert "user.token" in actions and "wave.export" in actions


def test_cli_export_and_fieldwork_status(app, session, filled, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KESU_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("KESU_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()

    def kesu(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    out = tmp_path / "w.dta"
    assert "wrote" in kesu("export", filled, "--format", "dta", "-o", str(out))
    assert pyreadstat.read_dta(str(out))[0].shape[0] == 3
    status = kesu("fieldwork", "status", filled)
    assert "3 sampled cases, 2 completes" in status and "RR1" in status
    sample = tmp_path / "s.csv"
    sample.write_text("household_id,stratum,psu,town\nh1,s,p,t\n", encoding="utf-8")
    assert "imported 1 cases" in kesu("wave", "import", filled, str(sample), "--mode", "phone")
    review = kesu("fieldwork", "review", filled, "1", "--reject", "--reason", "test reject")
    assert "rejected" in review
