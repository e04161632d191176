"""Administrator pages: login, waves, invitations, QR code, audit log."""

from __future__ import annotations

import io
import re
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES
from survey_testlib import complete

from survey.errors import ConflictError
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import QuestionnaireVersion
from survey.models import Response
from survey.models import User
from survey.models import Wave
from survey.services import create_invitations
from survey.services import create_user


@pytest.fixture
def admin(client: FlaskClient, session: Session) -> FlaskClient:
    create_user(session, "alice", "correct horse battery", actor="test", role="admin")
    r = client.post("/admin/login", data={"username": "alice", "password": "correct horse battery"})
    assert r.status_code == 303
    return client


def _actions(session: Session) -> list[str]:
    session.rollback()
    return [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id)).all()]


def test_admin_pages_need_login(client: FlaskClient) -> None:
    for path in ("/admin/", "/admin/waves/new", "/admin/waves/w1"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["Location"].endswith("/admin/login")


def test_wrong_password_is_refused(client: FlaskClient, session: Session) -> None:
    create_user(session, "bob", "a long enough password", actor="test", role="admin")
    r = client.post("/admin/login", data={"username": "bob", "password": "wrong password!"})
    assert r.status_code == 401
    html = r.data.decode()  # the name kept, never the password
    assert 'name="username"' in html and 'value="bob"' in html and "wrong password!" not in html
    r = client.post("/admin/login", data={"username": "", "password": ""})
    assert r.status_code == 400 and "请填写用户名和密码" in r.data.decode()
    r = client.post("/admin/login", data={"username": "nobody", "password": "whatever12"})
    assert r.status_code == 401
    assert client.get("/admin/").status_code == 303


def test_passwords_are_stored_hashed(session: Session) -> None:
    create_user(session, "carol", "my secret passphrase", actor="test", role="admin")
    stored = session.scalars(select(User).where(User.username == "carol")).one().password_hash
    assert "my secret passphrase" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    with pytest.raises(ConflictError):
        create_user(session, "carol", "another passphrase", actor="test", role="admin")


def test_create_open_close_a_wave_from_an_upload(admin: FlaskClient, session: Session) -> None:
    data = {
        "name": "pilot-2025",
        "survey_year": "2025",
        "allow_learn": "1",
        "open_recruitment": "1",
        "modes": ["web", "capi"],
        "file": (io.BytesIO(FEATURES.read_bytes()), "features.yaml"),
    }
    r = admin.post("/admin/waves/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 303, r.data[:500]
    page = admin.get("/admin/waves/pilot-2025").data.decode()
    assert "已创建调查轮次 pilot-2025（草稿）。" in page  # the flash message
    assert "<dd>草稿</dd>" in page and "features-test v1.0" in page and "/o/" in page
    r = admin.post("/admin/waves/pilot-2025/status", data={"status": "open"})
    assert r.status_code == 303
    assert "<td>开放中</td>" in admin.get("/admin/").data.decode()
    r = admin.post("/admin/waves/pilot-2025/invite", data={"count": "3", "town": "fotang"})
    assert r.status_code == 303  # redirect after the POST: a reload creates nothing
    page = admin.get(r.headers["Location"]).data.decode()
    links = re.findall(r"/s/([A-Za-z0-9_-]{32})", page)
    assert len(links) == 3 and "已生成 3 个邀请链接" in page
    assert page.index("/s/" + links[0]) < page.index('id="count"')  # the new links on top
    session.rollback()
    towns = session.scalars(select(Invitation.town).where(Invitation.open_link.is_(False))).all()
    assert towns == ["fotang"] * 3
    qr = admin.get("/admin/waves/pilot-2025/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    unconfirmed = admin.post("/admin/waves/pilot-2025/status", data={"status": "closed"})
    assert unconfirmed.status_code == 400 and "关闭调查前请先勾选" in unconfirmed.data.decode()
    r = admin.post("/admin/waves/pilot-2025/status", data={"status": "closed", "confirm": "1"})
    assert r.status_code == 303
    assert "已关闭" in admin.get(r.headers["Location"]).data.decode()
    assert _actions(session) == [
        "user.create",
        "user.login",
        "wave.create",
        "wave.open",
        "wave.invite",
        "wave.closed",
    ]


def test_create_a_wave_from_a_bundled_file(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("survey.admin.bundled_questionnaires", lambda: {"features.yaml": FEATURES})
    r = admin.post(
        "/admin/waves/new", data={"name": "b1", "bundled": "features.yaml", "modes": "web"}
    )
    assert r.status_code == 303
    again = admin.post(
        "/admin/waves/new", data={"name": "b1", "bundled": "features.yaml", "modes": "web"}
    )
    assert again.status_code == 409 and "已经有名为“b1”的调查轮次" in again.data.decode()
    bad_name = admin.post(
        "/admin/waves/new", data={"name": "x y", "bundled": "features.yaml", "modes": "web"}
    )
    assert "调查轮次名称只能用" in bad_name.data.decode()


def test_an_invalid_questionnaire_upload_lists_its_problems(
    admin: FlaskClient, session: Session
) -> None:
    bad = FEATURES.read_text(encoding="utf-8").replace("key: C", "key: Z")
    data = {"name": "bad", "modes": "web", "file": (io.BytesIO(bad.encode()), "bad.yaml")}
    r = admin.post("/admin/waves/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 400
    assert "问卷文件有问题" in r.data.decode() and "bad.yaml:" in r.data.decode()
    # beside the file field, not the name
    assert re.search(r'id="err-file" role="alert">问卷文件有问题', r.data.decode())
    assert _actions(session) == ["user.create", "user.login"]


def test_the_new_wave_form_says_every_problem_at_once_beside_its_field(
    admin: FlaskClient, session: Session
) -> None:
    r = admin.post("/admin/waves/new", data={"name": "", "survey_year": "25"})
    html = r.data.decode()
    assert r.status_code == 400 and "有 4 处需要修改" in html
    for field in ("name", "file", "survey_year", "modes"):
        assert f'id="err-{field}"' in html, field
    assert "请至少选择一种调查方式" in html  # none ticked is not taken for "web"
    assert _actions(session) == ["user.create", "user.login"]


def test_a_waves_times_are_typed_and_shown_in_beijing_time(
    admin: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("survey.admin.bundled_questionnaires", lambda: {"features.yaml": FEATURES})
    form = {"name": "t1", "bundled": "features.yaml", "modes": "web"}
    form["opens_at"] = "2026-12-08T09:00"
    r = admin.post("/admin/waves/new", data=form)
    assert r.status_code == 303
    session.rollback()
    opens = session.scalars(select(Wave.opens_at).where(Wave.name == "t1")).one()
    assert opens == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 09:00 in Yiwu is 01:00 UTC
    assert "<dd>2026-12-08 09:00</dd>" in admin.get("/admin/waves/t1").data.decode()
    assert 'value="2026-12-08T09:00"' in admin.get("/admin/waves/t1/edit").data.decode()


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"name": "x y", "bundled": "features.yaml"}, 400),
        ({"name": "ok"}, 400),
        ({"name": "ok", "bundled": "features.yaml", "survey_year": "20x5"}, 400),
        ({"name": "ok", "bundled": "features.yaml", "modes": ["carrier-pigeon"]}, 400),
        ({"name": "ok", "bundled": "features.yaml", "opens_at": "tomorrow"}, 400),
    ],
)
def test_bad_wave_forms_are_refused(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch, form: dict[str, object], status: int
) -> None:
    monkeypatch.setattr("survey.admin.bundled_questionnaires", lambda: {"features.yaml": FEATURES})
    assert admin.post("/admin/waves/new", data=form).status_code == status


def test_bad_admin_actions_are_refused(admin: FlaskClient, wave: str) -> None:
    assert admin.get("/admin/waves/nosuch").status_code == 404
    assert admin.post("/admin/waves/nosuch/status", data={"status": "open"}).status_code == 404
    assert admin.post(f"/admin/waves/{wave}/status", data={"status": "gone"}).status_code == 400
    assert admin.post(f"/admin/waves/{wave}/invite", data={"count": "many"}).status_code == 400


def test_upload_size_is_limited(admin: FlaskClient, app: Flask) -> None:
    # a raw body (the test client would spool a big multipart dict to a temporary file)
    big = b"#" * (app.config["MAX_UPLOAD_LENGTH"] + 10)
    r = admin.post("/admin/waves/new", data=big, content_type="multipart/form-data; boundary=x")
    assert r.status_code == 413
    small_limit = admin.post("/admin/login", data=b"u" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert small_limit.status_code == 413


def test_questionnaire_versions_are_immutable(session: Session, wave: str) -> None:
    version = session.scalars(select(QuestionnaireVersion)).one()
    version.yaml_text = version.yaml_text + "\n# changed"
    with pytest.raises(ConflictError):
        session.commit()
    session.rollback()


def test_logout(admin: FlaskClient) -> None:
    assert admin.post("/admin/logout").status_code == 303
    assert admin.get("/admin/").status_code == 303


def test_bundled_questionnaires_are_listed() -> None:
    from survey.admin import bundled_questionnaires

    files = bundled_questionnaires()
    assert "yiwu-csl-2025.yaml" in files and all(isinstance(p, Path) for p in files.values())


def test_staff_pages_are_chinese_first_with_an_english_switch(
    admin: FlaskClient, wave: str
) -> None:
    listing = admin.get("/admin/").data.decode()
    assert (
        'lang="zh-CN"' in listing and '<a href="/admin/?lang=en" lang="en">English</a>' in listing
    )
    assert "<h1>调查轮次</h1>" in listing and "退出（alice）" in listing
    assert "<td>开放中</td>" in listing and "Waves" not in listing
    page = admin.get(f"/admin/waves/{wave}").data.decode()
    assert "<dd>管理员</dd>" in page and "关闭本轮调查" in page
    assert "生成邀请链接" in admin.get(f"/admin/waves/{wave}?tab=sample").data.decode()
    # the switch redirects to the clean address and sticks for the next pages
    r = admin.get(f"/admin/waves/{wave}?lang=en")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/admin/waves/{wave}")
    page = admin.get(f"/admin/waves/{wave}").data.decode()
    assert 'lang="en"' in page and f"<h1>Wave {wave}</h1>" in page
    assert "<dd>Open</dd>" in page and "<dd>Administrator</dd>" in page
    assert "Log out (alice)" in page
    assert "Close wave" in page and "调查轮次" not in page
    monitor = admin.get(f"/admin/waves/{wave}/monitor").data.decode()
    assert "Fieldwork monitor: " in monitor and "Refusal rate REF1" in monitor
    r = admin.post(f"/admin/waves/{wave}/invite", data={"count": "many"})
    assert r.status_code == 400 and "Enter a whole number from 1 to 10000." in r.data.decode()
    # the page answered in place: its language switch leads to a page, never a 405
    switch = re.search(r'<a href="([^"]+)" lang="zh-CN">', r.data.decode())
    assert switch is not None and "/invite" not in switch.group(1)
    assert admin.get(switch.group(1).replace("&amp;", "&")).status_code == 303
    admin.get("/admin/?lang=zh-CN")
    monitor = admin.get(f"/admin/waves/{wave}/monitor").data.decode()
    assert f"实地监控：{wave}" in monitor and "拒访率 REF1" in monitor and "不合格（NE）" in monitor
    r = admin.post(f"/admin/waves/{wave}/invite", data={"count": "many"})
    assert r.status_code == 400 and "请填写 1 到 10000 之间的整数。" in r.data.decode()
    assert 'value="many"' in r.data.decode()  # the input kept beside its error


def test_error_pages_follow_the_language_and_json_stays_english(
    admin: FlaskClient, wave: str
) -> None:
    r = admin.get("/admin/waves/nosuch")
    html = r.data.decode()
    assert r.status_code == 404 and "找不到页面" in html and "没有名为“nosuch”的调查轮次。" in html
    assert "没有这个页面" in admin.get("/admin/nopage").data.decode()
    r = admin.get("/admin/waves/nosuch", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json is not None and r.json["error"] == "NotFoundError"
    assert r.json["message"] == "no wave named 'nosuch'"  # JSON stays English
    admin.get("/admin/?lang=en")
    html = admin.get("/admin/waves/nosuch").data.decode()
    assert "Not found" in html and "No wave named &#39;nosuch&#39;." in html


def test_review_decisions_show_in_chinese_and_are_stored_as_codes(
    admin: FlaskClient, session: Session, wave: str
) -> None:
    token = create_invitations(session, wave, 1, actor="t")[0]
    complete(admin.application.test_client(), token)
    session.rollback()
    response_id = session.scalars(select(Response.id)).one()
    form = {"decision": "rejected", "reason": "same answers as another"}
    r = admin.post(f"/admin/waves/{wave}/responses/{response_id}/review", data=form)
    assert r.status_code == 303
    page = admin.get(r.headers["Location"]).data.decode()
    assert f"答卷 {response_id}：不通过。" in page
    assert f'<th scope="row">{response_id}</th>' in page and "<td>不通过</td>" in page
    session.rollback()
    stored = session.get(Response, response_id)
    assert stored is not None and (stored.review, stored.rejected) == ("rejected", True)
