"""Which responses the live results weight (issue 14, defect 1) and where printed and
exported links point (defect 2)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import open_wave

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.demo import simulate_wave
from reports.scope import estimation_scope
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling import svy_proportion
from survey.analysis import analysis_table
from survey.demo import seed_simulated_wave
from survey.demo import served_base_url
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.models import now_utc
from survey.services import create_invitations
from survey.services import create_user
from survey.services import create_wave
from survey.services import set_wave_status

PASSWORD = "correct horse battery"


def _admin(app: Flask, session: Session, base: str = "http://survey.test") -> FlaskClient:
    create_user(session, "ana", PASSWORD, actor="test", role="admin")
    client = app.test_client()
    r = client.post("/admin/login", data={"username": "ana", "password": PASSWORD}, base_url=base)
    assert r.status_code == 303
    session.rollback()
    return client


def test_estimation_scope_by_hand() -> None:
    nan = np.nan
    table = {
        "respondent_id": np.arange(6),
        "base_weight": np.array([100.0, 200.0, nan, nan, nan, 0.0]),
        "prob1": np.array([0.1, 0.1, 0.1, nan, nan, nan]),
        "open_link": np.array([0, 0, 0, 1, 0, 0], dtype=np.int8),
        "literate": np.array([1, 0, 1, 1, 0, 0], dtype=np.int8),
    }
    rows, scope = estimation_scope(table)
    assert rows["respondent_id"].tolist() == [0, 1] and scope.design_weighted
    assert scope.left_out == {"open_link": 1, "no_design": 2, "incomplete_design": 1}
    assert scope.note() == "left_out:open_link=1;no_design=2;incomplete_design=1"
    assert scope.left_out_literate is None  # 4 < 10: not shown
    # no design weight anywhere: every row, equal weights, said so
    rows, scope = estimation_scope({**table, "base_weight": np.full(6, nan)})
    assert len(rows["respondent_id"]) == 6 and "base_weight" not in rows
    assert not scope.design_weighted and scope.left_out == {}


def _copy_response(session: Session, wave_id: int, invitation_id: int, like: Response) -> None:
    now = now_utc()
    session.add(
        Response(
            wave_id=wave_id, invitation_id=invitation_id, status=ResponseStatus.COMPLETE,
            started_at=now, updated_at=now, completed_at=now, mode="web", language="zh-CN",
            answers=dict(like.answers), paradata={"seconds": {}}, score=dict(like.score or {}),
            page="", revision=9,
        )
    )  # fmt: skip


def _wave_with_web_open_link_and_plain_responses(session: Session) -> int:
    """The demo wave plus a sampled household answering on the web, an open-link
    respondent and an invitation without a sample design; returns the simulated count."""
    data = DEFAULT_QUESTIONNAIRE.read_bytes()
    create_wave(session, name="demo", questionnaire_data=data, source_name="yiwu.yaml",
                actor="t", open_recruitment=True)  # fmt: skip
    set_wave_status(session, "demo", WaveStatus.OPEN, "t")
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    rng = np.random.default_rng(7)
    seeded = seed_simulated_wave(session, "demo", q, simulate_wave(q, rng, n_psu=28,
                                 households_per_psu=8), actor="t", rng=rng)  # fmt: skip
    like = session.scalars(select(Response).order_by(Response.id)).first()
    assert like is not None
    wave_id = like.wave_id
    # a sampled household answering on the web (it has its probabilities), an open-link
    # respondent, and an invitation of `kesu wave invite` (no sample design)
    sampled = session.scalars(
        select(Invitation)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Response.id.is_(None), Invitation.attributes["base_weight"].as_float() > 0)
        .limit(1)
    ).one()
    sampled.mode = "web"
    open_inv = Invitation(wave_id=wave_id, token="o" * 32, mode="web", open_link=True)
    session.add(open_inv)
    plain = create_invitations(session, "demo", 1, actor="t")[0]
    plain_id = session.scalar(select(Invitation.id).where(Invitation.token == plain))
    for inv_id in (sampled.id, open_inv.id, plain_id):
        _copy_response(session, wave_id, inv_id, like)
    session.commit()
    return seeded


def test_web_and_open_link_responses_do_not_break_the_live_results(
    app: Flask, session: Session
) -> None:
    """Regression: one web response without a base weight made the dashboard and
    report.pdf answer 500 (ReportError: column 'base_weight' row ... is missing)."""
    client = _admin(app, session)
    seeded = _wave_with_web_open_link_and_plain_responses(session)

    page = client.get("/admin/waves/demo/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"以下估计基于 {seeded + 1} 份有抽样设计权数的完成问卷" in html
    assert "公开链接1份，非概率样本" in html and "无抽样设计的邀请链接1份" in html
    # the headline is the estimator's on exactly the design-weighted rows
    table = analysis_table(session, "demo")
    keep = np.isfinite(table["base_weight"])
    assert int(keep.sum()) == seeded + 1
    design = SurveyDesign(weights=table["base_weight"][keep], strata=table["stratum"][keep],
                          psu=table["psu"][keep], lonely_psu=LonelyPSU.ADJUST)  # fmt: skip
    est = svy_proportion(table["literate"][keep].astype(float), design)
    assert f"{100 * float(est.estimate[0]):.1f}%" in html
    pdf = client.get("/admin/waves/demo/report.pdf?language=en")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "2 further complete questionnaire(s) have no design weight" in text
    assert "open link: 1, not a probability sample" in text


def test_a_wave_without_design_weights_is_estimated_unweighted_and_says_so(
    app: Flask, session: Session
) -> None:
    from survey_testlib import complete

    client = _admin(app, session)
    open_wave(session)
    for token in create_invitations(session, "w1", 2, actor="t"):
        complete(app.test_client(), token)
    html = client.get("/admin/waves/w1/dashboard").get_data(as_text=True)
    assert "本轮没有一份完成问卷有抽样设计权数" in html and "2 份完成问卷的未加权估计" in html


# -- links point to the address really served (defect 2) -------------------------------------
def _links_everywhere(client: FlaskClient, base: str) -> dict[str, Any]:
    """The links of links.csv, the wave page and the QR sheet (the URLs it encodes)."""
    import survey.admin

    drawn: list[str] = []
    real = survey.admin.qr_sheet_pdf

    def recording(links: Any, **kwargs: Any) -> bytes:
        drawn.extend(link.url for link in links)
        return real(links, **kwargs)

    survey.admin.qr_sheet_pdf = recording  # type: ignore[assignment]
    try:
        pdf = client.get("/admin/waves/w1/qr.pdf", base_url=base)
    finally:
        survey.admin.qr_sheet_pdf = real
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    return {
        "csv": client.get("/admin/waves/w1/links.csv", base_url=base).get_data(as_text=True),
        "page": client.get("/admin/waves/w1", base_url=base).get_data(as_text=True),
        "qr": "\n".join(drawn),
    }


def test_links_use_the_served_port_not_5000(app: Flask, session: Session) -> None:
    """Regression: with the server on another port, links.csv and the QR sheet still said
    http://127.0.0.1:5000/..."""
    client = _admin(app, session, "http://127.0.0.1:5123")
    open_wave(session, open_recruitment=True)
    create_invitations(session, "w1", 2, actor="t")
    found = _links_everywhere(client, "http://127.0.0.1:5123")
    assert found["csv"].count("http://127.0.0.1:5123/s/") == 2 and ":5000" not in found["csv"]
    assert "http://127.0.0.1:5123/o/" in found["page"] and ":5000" not in found["page"]
    assert found["qr"].count("http://127.0.0.1:5123/s/") == 2


def test_links_use_the_configured_public_base_url(
    app_factory: Any, session: Session, tmp_path: Path
) -> None:
    app = app_factory(PUBLIC_BASE_URL="https://survey.example.cn")
    client = _admin(app, session, "http://127.0.0.1:5123")
    open_wave(session, open_recruitment=True)
    create_invitations(session, "w1", 1, actor="t")
    found = _links_everywhere(client, "http://127.0.0.1:5123")
    assert "https://survey.example.cn/s/" in found["csv"] and "5123" not in found["csv"]
    assert "https://survey.example.cn/o/" in found["page"]
    assert found["qr"].startswith("https://survey.example.cn/s/")
    assert served_base_url(app, "127.0.0.1", 5123) == "https://survey.example.cn"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "http://127.0.0.1:5123"), ("0.0.0.0", "http://127.0.0.1:5123")],
)
def test_make_run_prints_the_port_it_serves(app: Flask, host: str, expected: str) -> None:
    assert served_base_url(app, host, 5123) == expected


def test_cli_links_need_a_base_url(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kesu.cli import main

    open_wave(session)
    monkeypatch.setenv("KESU_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("KESU_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("KESU_PUBLIC_BASE_URL", raising=False)
    out = tmp_path / "links.csv"
    result = CliRunner().invoke(main, ["wave", "links", "w1", "-o", str(out)])
    assert result.exit_code != 0 and "--base-url" in result.output and not out.exists()
    monkeypatch.setenv("KESU_PUBLIC_BASE_URL", '"https://s.example.cn"')
    create_invitations(session, "w1", 1, actor="t")
    result = CliRunner().invoke(main, ["wave", "links", "w1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "https://s.example.cn/s/" in out.read_text(encoding="utf-8-sig")


def test_cli_unit_links_need_a_base_url(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`kesu wave units` printed and wrote "None/u/..." links without an address; now it
    stops before changing anything, as `kesu wave links` does."""
    from click.testing import CliRunner
    from survey_testlib import MENTAL_HEALTH

    from kesu.cli import main
    from survey.anonymity import unit_links

    create_wave(session, name="mh", questionnaire_data=MENTAL_HEALTH.read_bytes(),
                source_name=MENTAL_HEALTH.name, actor="test")  # fmt: skip
    monkeypatch.setenv("KESU_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("KESU_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("KESU_PUBLIC_BASE_URL", raising=False)
    units = tmp_path / "units.csv"
    units.write_text("unit,label,quota\ngov01,市政府办公室,30\n", encoding="utf-8")
    out = tmp_path / "unit-links.csv"
    for args in (["wave", "units", "mh", str(units)], ["wave", "units", "mh", "-o", str(out)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 0 and "--base-url" in result.output, result.output
        assert "None" not in result.output and not out.exists()
    assert unit_links(session, "mh") == []  # nothing saved
    result = CliRunner().invoke(
        main, ["wave", "units", "mh", str(units), "--base-url", "https://s.example.cn/"]
    )
    assert result.exit_code == 0, result.output
    assert "gov01" in result.output and "https://s.example.cn/u/" in result.output
    monkeypatch.setenv("KESU_PUBLIC_BASE_URL", '"https://s.example.cn"')
    result = CliRunner().invoke(main, ["wave", "units", "mh", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "https://s.example.cn/u/" in out.read_text(encoding="utf-8-sig")


def test_kesu_report_wave_uses_the_dashboards_rows_and_says_what_it_left_out(
    app: Flask, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kesu report --wave` on a wave with web, open-link and design-less responses gives
    the dashboard's estimate and prints what it left out (it stopped on base_weight)."""
    from click.testing import CliRunner

    import reports.cli
    from kesu.cli import main
    from survey.capacity.services import report_capacity

    seeded = _wave_with_web_open_link_and_plain_responses(session)
    monkeypatch.setattr(reports.cli, "_wave_table", lambda name: analysis_table(session, name))
    monkeypatch.setattr(reports.cli, "_wave_capacity", lambda y: report_capacity(session, y))
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(main, ["report", "--wave", "demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "left out: open link: 1, not a probability sample" in result.output
    assert "left out: invitations without a sample design: 1" in result.output
    rows, scope = estimation_scope(analysis_table(session, "demo"))
    assert scope.used == seeded + 1
    design = SurveyDesign(weights=rows["base_weight"], strata=rows["stratum"], psu=rows["psu"],
                          lonely_psu=LonelyPSU.ADJUST)  # fmt: skip
    est = svy_proportion(rows["literate"].astype(float), design)
    assert f"literate {100 * float(est.estimate[0]):.1f}%" in result.output
    assert f"n = {seeded + 1}" in result.output
    text = " ".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert "公开链接1份" in re.sub(r"\s+", "", text)
