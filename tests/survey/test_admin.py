"""Administrator pages: login, waves, invitations, QR code, audit log."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES

from survey.errors import ConflictError
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import QuestionnaireVersion
from survey.models import User
from survey.services import create_user


@pytest.fixture
def admin(client: FlaskClient, session: Session) -> FlaskClient:
    create_user(session, "alice", "correct horse battery", actor="test")
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
    create_user(session, "bob", "a long enough password", actor="test")
    r = client.post("/admin/login", data={"username": "bob", "password": "wrong password!"})
    assert r.status_code == 401
    r = client.post("/admin/login", data={"username": "nobody", "password": "whatever12"})
    assert r.status_code == 401
    assert client.get("/admin/").status_code == 303


def test_passwords_are_stored_hashed(session: Session) -> None:
    create_user(session, "carol", "my secret passphrase", actor="test")
    stored = session.scalars(select(User).where(User.username == "carol")).one().password_hash
    assert "my secret passphrase" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    with pytest.raises(ConflictError):
        create_user(session, "carol", "another passphrase", actor="test")


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
    assert "draft" in page and "features-test v1.0" in page and "/o/" in page
    r = admin.post("/admin/waves/pilot-2025/status", data={"status": "open"})
    assert r.status_code == 303
    assert "open" in admin.get("/admin/").data.decode()
    r = admin.post("/admin/waves/pilot-2025/invite", data={"count": "3", "town": "fotang"})
    links = re.findall(r"/s/([A-Za-z0-9_-]{32})", r.data.decode())
    assert len(links) == 3
    session.rollback()
    towns = session.scalars(select(Invitation.town).where(Invitation.open_link.is_(False))).all()
    assert towns == ["fotang"] * 3
    qr = admin.get("/admin/waves/pilot-2025/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    admin.post("/admin/waves/pilot-2025/status", data={"status": "closed"})
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
    r = admin.post("/admin/waves/new", data={"name": "b1", "bundled": "features.yaml"})
    assert r.status_code == 303
    assert (
        admin.post("/admin/waves/new", data={"name": "b1", "bundled": "features.yaml"}).status_code
        == 409
    )


def test_an_invalid_questionnaire_upload_lists_its_problems(
    admin: FlaskClient, session: Session
) -> None:
    bad = FEATURES.read_text(encoding="utf-8").replace("key: C", "key: Z")
    data = {"name": "bad", "file": (io.BytesIO(bad.encode()), "bad.yaml")}
    r = admin.post("/admin/waves/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 400
    assert "bad.yaml:" in r.data.decode()
    assert _actions(session) == ["user.create", "user.login"]


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
