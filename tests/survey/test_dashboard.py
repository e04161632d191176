"""The wave dashboard and its PDF: the same figures, checked against the estimators."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.i18n import tr
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.demo import simulate_wave
from reports.labels import ci_text
from reports.labels import pct
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling import svy_proportion
from survey.analysis import analysis_table
from survey.dashboard import wait_for_figures
from survey.demo import seed_simulated_wave
from survey.models import LOCAL_TIME
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.models import User
from survey.models import Wave
from survey.models import WaveStatus
from survey.monitoring import case_outcomes
from survey.services import create_user
from survey.services import create_wave
from survey.services import get_wave
from survey.services import set_wave_status

PASSWORD = "correct horse battery"


def _login(client: FlaskClient, session: Session) -> None:
    create_user(session, "ana", PASSWORD, actor="test", role="admin")
    r = client.post("/admin/login", data={"username": "ana", "password": PASSWORD})
    assert r.status_code == 303


def _simulated_wave(session: Session, name: str) -> int:
    create_wave(
        session,
        name=name,
        questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
        source_name=DEFAULT_QUESTIONNAIRE.name,
        actor="test",
    )
    set_wave_status(session, name, WaveStatus.OPEN, "test")
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    rng = np.random.default_rng(7)
    simulated = simulate_wave(q, rng, n_psu=28, households_per_psu=8)
    return seed_simulated_wave(session, name, q, simulated, actor="test", rng=rng)


@pytest.fixture
def seeded(session: Session) -> int:
    return _simulated_wave(session, "demo")


def _expected_headline(session: Session, wave: str) -> tuple[str, str, int]:
    """The headline computed directly with the estimator: base weights, town strata, PSUs."""
    table = analysis_table(session, wave)
    design = SurveyDesign(
        weights=table["base_weight"],
        strata=table["stratum"],
        psu=table["psu"],
        lonely_psu=LonelyPSU.ADJUST,
    )
    est = svy_proportion(table["literate"].astype(float), design)
    low, high = est.confint()
    return pct(float(est.estimate[0])), ci_text(float(low[0]), float(high[0])), len(table["psu"])


def test_dashboard_shows_the_estimators_figures(
    app: Flask, client: FlaskClient, session: Session, seeded: int
) -> None:
    _login(client, session)
    rate, ci, n = _expected_headline(session, "demo")
    assert n == seeded > 50
    r = client.get("/admin/waves/demo/dashboard")
    assert r.status_code == 200, r.data[:500]
    html = r.get_data(as_text=True)
    assert f'<p class="rate">{rate}%</p>' in html
    assert ci in html
    assert f"已完成问卷：{n} 份" in html
    assert "本报告使用模拟数据" in html  # the demo wave is labelled synthetic
    assert "佛堂镇" in html and "产业工人" in html and "科学知识" in html
    # the PDF's summary: numbered findings, the verdicts, recommendations, the town map
    assert "主要结论" in html and "与目标和参照水平的对照" in html and "建议" in html
    assert 'class="tile col-1 row-2' in html  # 稠城街道 at the centre of the tile grid
    assert "退出（ana）" in html  # the admin bar follows the language too
    # under the towns' table, the PDF's test that the towns differ
    assert re.search(r"各组差异检验（Rao-Scott校正F检验）：F = \d+\.\d\d，自由度", html)
    # no inline styles (the CSP forbids them): bars are SVG attributes
    assert "style=" not in html
    client.get("/admin/waves/demo/dashboard?lang=en")
    html_en = client.get("/admin/waves/demo/dashboard").get_data(as_text=True)
    assert "live results" in html_en and "Fotang Town" in html_en
    assert "Log out (ana)" in html_en and "退出" not in html_en


def test_pdf_download_has_the_same_headline(
    app: Flask, client: FlaskClient, session: Session, seeded: int
) -> None:
    _login(client, session)
    rate, ci, _ = _expected_headline(session, "demo")
    r = client.get("/admin/waves/demo/report.pdf?language=zh-CN")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages[:6])
    assert rate in text and "具备科学素质" in text
    low, high = ci.split("–")
    assert low in text and high in text
    session.rollback()  # a new snapshot: the download was committed by the app's session
    actions = session.scalars(select(AuditLog.action)).all()
    assert "report.download" in actions
    r = client.get("/admin/waves/demo/report.pdf?language=en")
    assert r.status_code == 200
    assert "Evaluation report" in PdfReader(io.BytesIO(r.data)).pages[0].extract_text()


def test_bad_requests(app: Flask, client: FlaskClient, session: Session) -> None:
    assert client.get("/admin/waves/demo/dashboard").status_code == 303  # login first
    _login(client, session)
    assert client.get("/admin/waves/nope/dashboard").status_code == 404
    assert client.get("/admin/waves/nope/report.pdf").status_code == 404
    create_wave(
        session,
        name="empty",
        questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
        source_name="yiwu.yaml",
        actor="test",
    )
    r = client.get("/admin/waves/empty/dashboard")
    assert r.status_code == 200 and "还没有完成的问卷" in r.get_data(as_text=True)
    client.get("/admin/?lang=en")
    html_en = client.get("/admin/waves/empty/dashboard").get_data(as_text=True)
    assert tr("en", "dash_no_data") in html_en and "Log out (ana)" in html_en
    client.get("/admin/?lang=zh-CN")
    assert client.get("/admin/waves/empty/report.pdf").status_code == 409
    r = client.get("/admin/waves/empty/report.pdf?language=fr")
    assert r.status_code == 400 and b"language" in r.data


def test_figures_follow_new_responses(
    app: Flask, client: FlaskClient, session: Session, seeded: int, tmp_path: Path
) -> None:
    _login(client, session)
    first = client.get("/admin/waves/demo/dashboard").get_data(as_text=True)
    count = int(re.search(r"已完成问卷：(\d+) 份", first).group(1))  # type: ignore[union-attr]
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    rng = np.random.default_rng(8)
    more = seed_simulated_wave(
        session, "demo", q, simulate_wave(q, rng, n_psu=28, households_per_psu=2), actor="t",
        rng=rng,
    )  # fmt: skip
    # at once: the last figures with their time, and a note that new ones are computed
    again = client.get("/admin/waves/demo/dashboard").get_data(as_text=True)
    assert f"已完成问卷：{count} 份" in again and "正在重新计算" in again
    wait_for_figures(app)
    again = client.get("/admin/waves/demo/dashboard").get_data(as_text=True)
    assert f"已完成问卷：{count + more} 份" in again and "正在重新计算" not in again
    assert "包含到那时为止的全部回答" in again
    # the PDF report never waits for the background: it has the current figures
    pdf = client.get("/admin/waves/demo/report.pdf")
    assert pdf.status_code == 200


def test_cached_figures_are_those_computed_without_cache(
    app: Flask, app_factory, client: FlaskClient, session: Session, seeded: int
) -> None:  # type: ignore[no-untyped-def]
    """The figures a new process reads from the disk cache equal a fresh computation."""
    import dataclasses

    from survey.dashboard import compute_figures
    from survey.dashboard import dashboard_view
    from survey.dashboard import wave_figures

    _login(client, session)
    assert client.get("/admin/waves/demo/dashboard").status_code == 200  # computes, stores
    other = app_factory(INSTANCE_PATH=app.instance_path)  # another server process
    with other.app_context():
        from survey.db import get_session

        stored = wave_figures(get_session(), "demo")
        assert stored.fresh
        direct = compute_figures(get_session(), "demo")
    cached, fresh = stored.figures.data, direct.data
    assert cached is not None and fresh is not None
    assert cached.fingerprint == fresh.fingerprint
    # every figure shown, in both languages (the time of computation aside)
    for lang in ("zh-CN", "en"):
        a = dashboard_view(dataclasses.replace(cached, generated=fresh.generated), lang)
        b = dashboard_view(fresh, lang)
        a.pop("t"), b.pop("t")  # the label function (bound to equal labels)
        assert a == b
    assert stored.figures.respondents == direct.respondents
    assert stored.figures.scope == direct.scope


def test_figures_stored_by_another_version_are_computed_again(
    app: Flask, app_factory, client: FlaskClient, session: Session, seeded: int
) -> None:  # type: ignore[no-untyped-def]
    """The stored file names the fields of every dataclass it holds, however deep. After
    an upgrade that gave one of them a field (``Breakdown`` got ``test`` and ``tested``), a
    new process does not read the old file (its objects would lack the fields: the PDF
    failed on a missing attribute); it computes the figures again and the PDF is made."""
    import pickle

    import survey.dashboard as dashboard

    _login(client, session)
    assert client.get("/admin/waves/demo/dashboard").status_code == 200  # computes, stores
    wave = session.scalar(select(Wave).where(Wave.name == "demo"))
    q = dashboard.questionnaire_of(wave.questionnaire_version)
    path = Path(app.instance_path) / "figures" / f"{wave.id}.pickle"
    with path.open("rb") as fh:
        shapes, body = pickle.load(fh), fh.read()
    # classes inside the figures, not only the report's own: the job, the weighting steps
    assert shapes["reports.model:Breakdown"][-2:] == ("test", "tested")
    assert any(name.startswith("sampling.") for name in shapes)
    assert any(name.startswith("reports.spec:") for name in shapes)
    assert (
        app_factory(INSTANCE_PATH=app.instance_path).extensions["kesu_dashboard"].last(wave.id, q)
    )  # this version reads its own file
    # the file as the version before Breakdown had its test would have written it
    shapes["reports.model:Breakdown"] = shapes["reports.model:Breakdown"][:-2]
    with path.open("wb") as fh:
        pickle.dump(shapes, fh)
        fh.write(body)
    other = app_factory(INSTANCE_PATH=app.instance_path)  # a process of the new version
    assert other.extensions["kesu_dashboard"].last(wave.id, q) is None
    staff = other.test_client()
    staff.post("/admin/login", data={"username": "ana", "password": PASSWORD})
    pdf = staff.get("/admin/waves/demo/report.pdf")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"


def test_monitor_names_towns_and_groups_from_the_questionnaire(
    client: FlaskClient, session: Session, seeded: int
) -> None:
    """The monitor of a wave with the Yiwu questionnaire shows 佛堂镇, not the code fotang."""
    _login(client, session)
    html = client.get("/admin/waves/demo/monitor").data.decode()
    assert '<th scope="row">佛堂镇</th>' in html
    assert ">fotang<" not in html
    html = client.get("/admin/waves/demo/monitor?lang=en", follow_redirects=True).data.decode()
    assert '<th scope="row">Fotang Town</th>' in html


def test_simulated_cases_keep_their_simulated_outcome(session: Session) -> None:
    """Each simulated household's final disposition in the monitor is its simulated AAPOR
    outcome (refusals 2.11, non-contacts 2.20, ineligibles 4.x …), not 3.11 'not attempted'."""
    create_wave(session, name="sim", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                source_name=DEFAULT_QUESTIONNAIRE.name, actor="test")  # fmt: skip
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    rng = np.random.default_rng(11)
    simulated = simulate_wave(q, rng, n_psu=28, households_per_psu=3)
    seed_simulated_wave(session, "sim", q, simulated, actor="test", rng=rng)
    fw = simulated.fieldwork
    expected = dict(zip(map(str, fw["household_id"]), map(str, fw["outcome"]), strict=True))
    # a simulated partial interview (1.2) stores no response: its outcome is kept as set
    got = {c.household_id: c.disposition for c in case_outcomes(session, get_wave(session, "sim"))}
    assert got == expected
    assert "3.11" not in got.values()
    # each town's cases have its demo interviewer (a disabled account), interviews start
    # in the daytime (09:00-20:00 Beijing time)
    rows = session.execute(
        select(Invitation.town, User.username, User.active, Response.started_at)
        .join(User, Invitation.interviewer_id == User.id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
    ).all()
    assert len(rows) == len(expected)
    assert all(name == f"demo-{town}" and not active for town, name, active, _ in rows)
    hours = [at.astimezone(LOCAL_TIME).hour for *_, at in rows if at is not None]
    assert hours and all(9 <= h < 20 for h in hours)
