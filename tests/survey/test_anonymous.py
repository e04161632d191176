"""Anonymous waves (unit links, quotas, nothing that points at a person or a device) and
the duty-of-care message, on SQLite and PostgreSQL.

"Nothing links an answer to a person or device" is checked the hard way: requests carry a
recognisable client address, User-Agent and device cookie, and afterwards every column of
every table (and the rate limiter's storage) is searched for them.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import MENTAL_HEALTH
from survey_testlib import mental_health_pages
from survey_testlib import open_wave
from survey_testlib import post_page

from survey.anonymity import UnitSpec
from survey.anonymity import parse_units
from survey.anonymity import save_unit_links
from survey.anonymity import unit_links
from survey.db import Base
from survey.db import database
from survey.errors import BadRequestError
from survey.errors import ConflictError
from survey.fieldwork import update_settings
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.sample import import_sample
from survey.security import RedactTokens
from survey.services import create_invitations
from survey.services import create_user
from survey.services import create_wave
from survey.services import set_wave_status

PROBE_ADDRESS = "203.0.113.77"
PROBE_AGENT = "ProbeAgent/7.7 (iPhone) MicroMessenger/8.0 probe-ua-4242"
PROBE_COOKIE = "probedevicecookie0123456789"


def _mh_wave(session: Session, name: str = "mh", quota: int = 2) -> str:
    create_wave(session, name=name, questionnaire_data=MENTAL_HEALTH.read_bytes(),
                source_name=MENTAL_HEALTH.name, actor="test")  # fmt: skip
    set_wave_status(session, name, WaveStatus.OPEN, "test")
    save_unit_links(session, name, [UnitSpec("gov01", "市政府办公室", quota),
                                    UnitSpec("town07", "佛堂镇", 50)], actor="test")  # fmt: skip
    return name


def _unit_token(session: Session, wave: str, unit: str) -> str:
    return next(link.token for link in unit_links(session, wave) if link.unit == unit)


def _answer(client: FlaskClient, unit_token: str, item9: str = "0") -> tuple[str, dict[str, str]]:
    """Start from the unit link and answer every page; returns the invitation token and the
    HTML of the pages after the first one and of the thanks page."""
    r = client.post(f"/u/{unit_token}")
    assert r.status_code == 303, r.data[:500]
    token = r.headers["Location"].rsplit("/", 1)[-1]
    assert client.post(f"/s/{token}").status_code == 303
    seen: dict[str, str] = {}
    for rev, (page, data) in enumerate(mental_health_pages(item9=item9).items()):
        r = post_page(client, token, page, data, rev)
        assert r.status_code == 303, (page, r.data[:800])
        follow = client.get(r.headers["Location"])
        seen[r.headers["Location"].rsplit("/", 1)[-1]] = follow.get_data(as_text=True)
    return token, seen


def _probe_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROBE_ADDRESS, HTTP_USER_AGENT=PROBE_AGENT)
    client.set_cookie("kesu_device", PROBE_COOKIE, domain="survey.test")
    return client


def _dump(app: Flask) -> str:
    """Every row of every table as text."""
    parts = []
    with database(app).engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                parts.append(json.dumps(dict(row._mapping), default=str, ensure_ascii=False))
    return "\n".join(parts)


def test_anonymous_answers_point_at_no_person_or_device(
    app: Flask, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    wave = _mh_wave(session)
    caplog.set_level(logging.DEBUG)
    client = _probe_client(app)
    unit = _unit_token(session, wave, "gov01")
    page = client.get(f"/u/{unit}").get_data(as_text=True)
    assert "参加匿名调查" in page and "市政府办公室" in page
    token = client.post(f"/u/{unit}").headers["Location"].rsplit("/", 1)[-1]
    consent = client.get(f"/s/{token}").get_data(as_text=True)
    # the consent page says what is not recorded
    assert "匿名调查。" in consent and "不记录您的IP地址" in consent
    assert "设备类型" not in consent  # the non-anonymous paradata notice is not shown
    r = client.post(f"/s/{token}")
    assert "kesu_device" not in r.headers.get("Set-Cookie", "")
    for rev, (name, data) in enumerate(mental_health_pages().items()):
        assert post_page(client, token, name, data, rev).status_code == 303
    dump = _dump(app)
    for probe in (PROBE_ADDRESS, "probe-ua-4242", "ProbeAgent", PROBE_COOKIE, "MicroMessenger"):
        assert probe not in dump, probe
    resp = session.scalars(select(Response)).one()
    assert resp.status is ResponseStatus.COMPLETE and resp.device_id is None
    assert set(resp.paradata) == {"seconds"}  # no device class (phone, WeChat...)
    for moment in (resp.started_at, resp.updated_at, resp.completed_at):
        assert isinstance(moment, datetime) and moment.hour == moment.minute == moment.second == 0
    inv = session.scalars(select(Invitation)).one()
    assert (inv.psu, inv.household_id, inv.stratum, inv.attributes) == ("gov01", None, None, {})
    assert inv.created_at.hour == inv.created_at.minute == 0
    assert resp.score is not None
    assert resp.score["scales"]["phq9"] == {"score": 8.0, "band": "mild", "answered": 9}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert PROBE_ADDRESS not in logged and "ProbeAgent" not in logged


def test_unit_quota_and_no_personal_recruitment(app: Flask, session: Session) -> None:
    wave = _mh_wave(session, quota=2)
    unit = _unit_token(session, wave, "gov01")
    for _ in range(2):
        _answer(app.test_client(), unit)
    # a third person of the unit: the quota of completes is reached
    full = app.test_client().get(f"/u/{unit}")
    assert full.status_code == 403 and "本单位的填答已满" in full.get_data(as_text=True)
    assert app.test_client().post(f"/u/{unit}").status_code == 403
    assert [(u.unit, u.started, u.complete) for u in unit_links(session, wave)] == [
        ("gov01", 2, 2), ("town07", 0, 0),
    ]  # fmt: skip
    # nothing that names a person: invitations, a sample, CAPI, a wave-wide open link
    with pytest.raises(ConflictError, match="anonymous"):
        create_invitations(session, wave, 1, actor="test")
    session.rollback()
    sample = b"household_id,stratum,psu,town,prob1,prob2\nh1,s,p,fotang,0.5,0.5\n"
    with pytest.raises(ConflictError, match="anonymous"):
        import_sample(session, wave, sample, actor="test")
    session.rollback()
    with pytest.raises(BadRequestError, match="unit links only"):
        create_wave(session, name="mh2", questionnaire_data=MENTAL_HEALTH.read_bytes(),
                    source_name="mh.yaml", actor="test", open_recruitment=True)  # fmt: skip
    session.rollback()
    # an unknown unit link is a 404 page, not a 500
    assert app.test_client().get("/u/" + "x" * 32).status_code == 404


def test_anonymous_ids_do_not_give_the_order_of_starting(app: Flask, session: Session) -> None:
    from survey.export import export_batches
    from survey.export import export_plan
    from survey.services import UNORDERED_ID_BASE
    from survey.services import UNORDERED_ID_SPAN

    wave = _mh_wave(session)
    unit = _unit_token(session, wave, "town07")
    started = []  # invitation tokens in the order people started
    for _ in range(12):
        client = app.test_client()
        token = client.post(f"/u/{unit}").headers["Location"].rsplit("/", 1)[-1]
        assert client.post(f"/s/{token}").status_code == 303  # consent: the response
        started.append(token)
    session.expire_all()
    by_token = {inv.token: inv for inv in session.scalars(select(Invitation))}
    invitation_ids = [by_token[t].id for t in started]
    responses = {r.invitation_id: r.id for r in session.scalars(select(Response))}
    response_ids = [responses[i] for i in invitation_ids]
    for ids in (invitation_ids, response_ids):
        assert len(set(ids)) == 12
        assert all(UNORDERED_ID_BASE <= i < UNORDERED_ID_BASE + UNORDERED_ID_SPAN for i in ids)
        # 12 drawn ids come in the order of starting once in 12! (4.8e8) runs
        assert ids != sorted(ids) and ids != sorted(ids, reverse=True)
    # the export (in id order) holds the drawn ids, not ranks that would give the order
    plan = export_plan(session, wave)
    exported = [row[0] for batch in export_batches(session, plan) for row in batch]
    assert exported == sorted(response_ids)
    # the response browser opens a response by its drawn id
    create_user(session, "ada", "a long enough password", actor="test", role="admin")
    staff = app.test_client()
    login = {"username": "ada", "password": "a long enough password"}
    assert staff.post("/admin/login", data=login).status_code == 303
    assert staff.get(f"/admin/waves/{wave}/responses/{response_ids[5]}").status_code == 200
    listing = staff.get(f"/admin/waves/{wave}/responses").get_data(as_text=True)
    assert "排列顺序与填答先后无关" in listing and "按编号从大到小" not in listing
    # times kept to the UTC day are shown as that day, not as 08:00 Beijing time
    day = session.get(Response, response_ids[5]).started_at.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    page = staff.get(f"/admin/waves/{wave}/responses/{response_ids[5]}").get_data(as_text=True)
    for html in (listing, page):
        assert f"{day} 08:00" not in html and re.search(rf"<td>{day}</td>|<dd>{day}</dd>", html)
        # and the note under them says so, instead of "all times are Beijing time"
        assert "只记日期（按世界协调时 UTC）" in html and "时间均为北京时间" not in html
    # a wave that is not anonymous keeps automatic ids, in the order of starting
    plain = []
    for token in create_invitations(session, open_wave(session, "plain"), 3, actor="test"):
        assert app.test_client().post(f"/s/{token}").status_code == 303
        session.rollback()  # a new transaction: it sees the response just made
        plain.append(session.scalars(select(Response.id).join(Invitation).where(
            Invitation.token == token)).one())  # fmt: skip
    assert plain == sorted(plain) and len(set(plain)) == 3


def test_anonymity_as_a_wave_setting(app: Flask, session: Session, features_bytes: bytes) -> None:
    create_wave(session, name="w", questionnaire_data=features_bytes, source_name="f.yaml",
                actor="test", open_recruitment=True)  # fmt: skip
    set_wave_status(session, "w", WaveStatus.OPEN, "test")
    settings = update_settings(session, "w", {"anonymous": True}, actor="test")
    assert settings["anonymous"] is True
    with pytest.raises(ConflictError):
        create_invitations(session, "w", 1, actor="test")
    session.rollback()
    # the wave-wide open link no longer starts responses
    from survey.models import Wave

    open_token = session.scalars(select(Wave.open_token)).one()
    session.rollback()
    assert app.test_client().post(f"/o/{open_token}").status_code == 409
    save_unit_links(session, "w", [UnitSpec("u1", "", 10)], actor="test")
    client = _probe_client(app)
    client.post(f"/u/{_unit_token(session, 'w', 'u1')}")
    token = session.scalars(select(Invitation.token)).one()
    session.rollback()
    client.post(f"/s/{token}")
    assert session.scalars(select(Response.device_id)).one() is None
    session.rollback()
    # once responses exist anonymity cannot be switched off (nor on for another wave)
    with pytest.raises(ConflictError, match="only before"):
        update_settings(session, "w", {"anonymous": False}, actor="test")
    session.rollback()
    create_wave(session, name="mh", questionnaire_data=MENTAL_HEALTH.read_bytes(),
                source_name="mh.yaml", actor="test")  # fmt: skip
    with pytest.raises(ConflictError, match="questionnaire is anonymous"):
        update_settings(session, "mh", {"anonymous": False}, actor="test")


def test_closing_the_wave_coarsens_abandoned_responses(app: Flask, session: Session) -> None:
    wave = _mh_wave(session)
    client = app.test_client()
    token = client.post(f"/u/{_unit_token(session, wave, 'town07')}").headers["Location"]
    token = token.rsplit("/", 1)[-1]
    client.post(f"/s/{token}")
    post_page(client, token, "mood", mental_health_pages()["mood"], 0)  # then abandoned
    set_wave_status(session, wave, WaveStatus.CLOSED, "test")
    resp = session.scalars(select(Response)).one()
    assert resp.status is ResponseStatus.PARTIAL
    assert resp.updated_at.hour == resp.updated_at.minute == resp.updated_at.second == 0
    assert resp.updated_at.microsecond == 0


def test_item_9_shows_help_on_the_next_page_and_the_thanks_page(
    app: Flask, session: Session
) -> None:
    wave = _mh_wave(session)
    unit = _unit_token(session, wave, "town07")
    _, pages = _answer(app.test_client(), unit, item9="1")
    for html in (pages["worry"], pages["work"], pages["about"]):
        assert "请关心一下自己" in html and "不如死掉或用某种方式伤害自己" in html
        assert 'href="tel:12356"' in html and "12320" in html and "120" in html
    thanks = pages["done"]
    assert "提交成功" in thanks and "请关心一下自己" in thanks and "tel:12356" in thanks
    # another respondent, item 9 "not at all": no message on the pages, the thanks page
    # shows only the general note with the lines
    _, calm = _answer(app.test_client(), unit, item9="0")
    assert "请关心一下自己" not in calm["worry"] and "tel:" not in calm["worry"]
    assert "需要帮助时" in calm["done"] and "tel:12356" in calm["done"]
    assert "不如死掉" not in calm["done"]
    # the flag is counted in the stored scales, not logged or shown to staff by person
    flags = sorted(r["flags"]["self_harm"] for r in session.scalars(select(Response.score)))
    assert flags == [0, 1]


def test_city_help_lines_replace_the_defaults(app: Flask, session: Session) -> None:
    wave = _mh_wave(session)
    lines = [{"name": {"zh-CN": "义乌市心理援助热线", "en": "Yiwu helpline"},
              "phone": "0579-8500 1234", "hours": "24小时"}]  # fmt: skip
    update_settings(session, wave, {"help_resources": lines}, actor="test")
    _, pages = _answer(app.test_client(), _unit_token(session, wave, "town07"), item9="2")
    assert "义乌市心理援助热线" in pages["worry"] and "0579-8500 1234" in pages["worry"]
    assert "12320" not in pages["worry"]
    for bad in ([{"name": "x", "phone": "call me"}], [{"phone": "12356"}], "12356",
                [{"name": "x", "phone": "1", "web": "x"}]):  # fmt: skip
        with pytest.raises(BadRequestError, match="help_resources"):
            update_settings(session, wave, {"help_resources": bad}, actor="test")
    # an empty list goes back to the questionnaire's lines
    update_settings(session, wave, {"help_resources": []}, actor="test")
    _, again = _answer(app.test_client(), _unit_token(session, wave, "town07"), item9="2")
    assert "12320" in again["worry"] and "义乌市心理援助热线" not in again["worry"]


def test_units_file_and_admin_pages(app: Flask, session: Session) -> None:
    assert [u.unit for u in parse_units("\ufeffunit,label,quota\na1,甲局,5\nb2,,3\n".encode())] == [
        "a1", "b2",
    ]  # fmt: skip
    for bad, where in ((b"unit,label,quota\na1,x,five\n", "row 2"),
                       (b"unit,label,quota\na 1,x,5\n", "row 2"),
                       (b"unit,label,quota\na1,x,0\n", "row 2"), (b"label,quota\nx,1\n", "unit"),
                       # GB18030 (Excel on Chinese Windows) is read; the code 甲 is then checked
                       ("unit,quota\n甲,1\n".encode("gb18030"), "row 2: unit code '甲'"),
                       (b"unit,quota\n\x80\xff,1\n", "neither UTF-8 nor GB18030")):  # fmt: skip
        with pytest.raises(BadRequestError, match=where):
            parse_units(bad)
    with pytest.raises(BadRequestError, match="twice"):
        save_unit_links(session, "none", [UnitSpec("a", "", 1), UnitSpec("a", "", 2)], actor="t")


def test_exports_codebook_and_analysis_table_carry_the_scales(app: Flask, session: Session) -> None:
    from survey.analysis import analysis_table
    from survey.codebook import codebook_rows
    from survey.export import export_batches
    from survey.export import export_plan
    from survey.export import iter_csv

    wave = _mh_wave(session)
    unit = _unit_token(session, wave, "town07")
    _answer(app.test_client(), unit, item9="1")
    _answer(app.test_client(), unit, item9="0")
    table = analysis_table(session, wave)
    # rows in id order, which in an anonymous wave is not the order of answering
    assert sorted(
        zip(table["scale_phq9"].tolist(), table["flag_self_harm"].tolist(), strict=True)
    ) == [(8.0, 0.0), (9.0, 1.0)]  # eight 1s, item 9 = 0 or 1
    assert table["band_phq9"].tolist() == ["mild", "mild"]
    assert table["scale_work_stress"].tolist() == [3.0, 3.0]
    assert "score_total" not in table and "literate" not in table
    assert table["psu"].tolist() == ["town07", "town07"]
    plan = export_plan(session, wave)
    text = b"".join(iter_csv(plan, export_batches(session, plan))).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["flag_self_harm"] for r in rows) == ["0", "1"]
    assert [r["band_gad7"] for r in rows] == ["mild", "mild"]  # seven 1s: 7
    book = {r["variable"]: r for r in codebook_rows(plan)}
    assert book["band_phq9"]["codes"].startswith("minimal=1 minimal 无或极轻微")
    assert book["flag_self_harm"]["label_en"].startswith("PHQ-9 item 9 positive")
    assert "score_total" not in book


def test_request_log_lines_lose_address_and_agent() -> None:
    lines = {
        # werkzeug
        '203.0.113.77 - - [01/Jun/2025 10:00:01] "POST /u/AbCdEfGhIjKlMnOpQrStUvWx HTTP/1.1" 303 -':
            '- - - [01/Jun/2025 10:00:01] "POST /u/<token> HTTP/1.1" 303 -',
        # gunicorn's default access format
        '203.0.113.77 - - [01/Jun/2025:10:00:01 +0000] "GET /s/AbCdEfGhIjKlMnOpQrStUvWx/q/mood '
        'HTTP/1.1" 200 512 "-" "ProbeAgent/7.7 MicroMessenger"':
            '- - - [01/Jun/2025:10:00:01 +0000] "GET /s/<token>/q/mood HTTP/1.1" 200 512 "-" "-"',
    }  # fmt: skip
    f = RedactTokens()
    for line, expected in lines.items():
        record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, line, (), None)
        f.filter(record)
        assert record.getMessage() == expected
    # what a browser loads with the pages loses them too
    favicon = '203.0.113.77 - - [01/Jun/2025 10:00:01] "GET /favicon.ico HTTP/1.1" 404 -'
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, favicon, (), None)
    f.filter(record)
    assert record.getMessage().startswith("- - - [")
    # staff pages keep their addresses (audit of logins)
    staff = '203.0.113.77 - - [01/Jun/2025 10:00:01] "GET /admin/ HTTP/1.1" 200 -'
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, staff, (), None)
    f.filter(record)
    assert record.getMessage() == staff


def test_rate_limit_keys_hold_no_address(app_factory: Any) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    with database(app).sessionmaker() as s:
        wave = _mh_wave(s)
        unit = _unit_token(s, wave, "town07")
    client = _probe_client(app)
    client.post(f"/u/{unit}")
    storage = app.extensions["kesu_limiter"]._storage
    keys = " ".join(map(str, [*storage.storage, *storage.events, *storage.expirations]))
    assert "unit:" in keys and unit not in keys
    assert PROBE_ADDRESS not in keys


def test_dashboard_and_pdf_of_a_mental_health_wave(app: Flask, session: Session) -> None:
    from pypdf import PdfReader

    from survey.services import create_user

    wave = _mh_wave(session, quota=30)
    unit = _unit_token(session, wave, "gov01")
    for k in range(12):
        _answer(app.test_client(), unit, item9="1" if k == 0 else "0")
    staff = app.test_client()
    create_user(session, "ana", "correct horse battery", actor="test", role="admin")
    staff.post("/admin/login", data={"username": "ana", "password": "correct horse battery"})
    page = staff.get(f"/admin/waves/{wave}/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "抑郁症状（PHQ-9）" in html and "按单位类型分" in html
    # one raised flag among 12: its share is not shown anywhere, nor "1" person
    assert "PHQ-9第9题阳性" in html and "8.3" not in html
    # the findings of the PDF's summary, the flag's among them without its share
    assert "主要结论" in html and "不等于临床诊断" in html
    assert "（近两周有过轻生或自伤念头）的比例为保护个人不予显示" in html
    assert "得分在10分及以上（筛查阳性）的比例" in html
    pdf = staff.get(f"/admin/waves/{wave}/report.pdf?language=en")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Depressive symptoms (PHQ-9)" in text


def test_response_page_names_scales_and_bands(app: Flask, session: Session) -> None:
    """The response page shows a scale's score under the scale's label with its band's
    label in the page's language (it showed ``phq9`` and ``8.0 mild`` on a Chinese page)."""
    from questionnaires import load_questionnaire
    from survey.browse import score_lines

    q = load_questionnaire(MENTAL_HEALTH)
    wave = _mh_wave(session)
    _answer(app.test_client(), _unit_token(session, wave, "town07"), item9="1")
    sheet = session.scalars(select(Response.score)).one()
    zh = dict(score_lines(q, sheet, "zh-CN"))
    phq9, gad7 = q.scale("phq9"), q.scale("gad7")
    mild = next(b for b in phq9.bands if b.code == "mild").label
    assert zh[phq9.label.get("zh-CN")] == f"9（{mild.get('zh-CN')}）"
    assert zh[gad7.label.get("zh-CN")].startswith("7（")
    en = dict(score_lines(q, sheet, "en"))
    assert en[phq9.label.get("en")] == f"9 ({mild.get('en')})"
    assert "phq9" not in zh and "mild" not in "".join(zh.values())
    assert score_lines(q, None, "zh-CN") == []
