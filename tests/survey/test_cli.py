"""``kesu db``, ``kesu user``, ``kesu wave`` and the demo hook behind ``make run``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES

from kesu.cli import main
from survey.models import AuditLog
from survey.models import Response
from survey.models import User


@pytest.fixture
def kesu(empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KESU_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("KESU_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("KESU_SECRET_KEY", raising=False)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result.output

    return run


def test_db_user_and_wave_commands(kesu, empty_database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert "empty" in kesu("db", "current")
    assert "database at revision" in kesu("db", "upgrade")
    assert "role viewer" in kesu("user", "create", "alice", "--password", "correct horse battery")
    assert "exists" in kesu("user", "create", "alice", "--password", "another good one 7", ok=False)
    assert "at least 12" in kesu("user", "create", "bob", "--password", "short", ok=False)
    out = kesu("wave", "create", "w1", "--questionnaire", str(FEATURES), "--open-recruitment")
    assert "features-test v1.0" in out
    assert "exists" in kesu("wave", "create", "w1", "--questionnaire", str(FEATURES), ok=False)
    assert "w1 is open" in kesu("wave", "open", "w1")
    links = kesu("wave", "invite", "w1", "--count", "3", "--base-url", "https://s.example/")
    tokens = re.findall(r"^https://s\.example/s/([A-Za-z0-9_-]{32})$", links, re.M)
    assert len(tokens) == 3
    listing = kesu("wave", "list")
    assert re.search(r"w1\s+open\s+features-test v1.0\s+invitations\s+3", listing)
    assert "w1 is closed" in kesu("wave", "close", "w1")
    assert "rescored 0" in kesu("wave", "rescore", "w1")
    assert "no wave named 'nosuch'" in kesu("wave", "open", "nosuch", ok=False)
    engine = create_engine(empty_database_url)
    with Session(engine) as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    engine.dispose()
    assert actions == [
        "user.create",
        "wave.create",
        "wave.open",
        "wave.invite",
        "wave.closed",
        "wave.rescore",
    ]


def test_wave_list_when_empty(kesu) -> None:  # type: ignore[no-untyped-def]
    kesu("db", "upgrade")
    assert "no waves" in kesu("wave", "list")


def test_demo_hook_prepares_an_open_wave_and_an_admin(
    empty_database_url: str, tmp_path: Path
) -> None:
    from survey.demo import run_demo

    lines: list[str] = []
    config = {"DATABASE_URL": empty_database_url, "INSTANCE_PATH": str(tmp_path / "inst")}
    info = run_demo("127.0.0.1", 5055, config=config, serve=False, echo=lines.append)
    assert info.respondent_url.startswith("http://127.0.0.1:5055/s/")
    assert info.open_url.startswith("http://127.0.0.1:5055/o/")
    assert any(info.password in line for line in lines)
    # a second run reuses the wave and the invitation, and gives a new password
    again = run_demo("127.0.0.1", 5055, config=config, serve=False, echo=lines.append)
    assert again.respondent_url == info.respondent_url and again.password != info.password

    from survey import create_app
    from survey.db import database

    app = create_app({"TESTING": True, **config})
    client = app.test_client()
    token = info.respondent_url.rsplit("/", 1)[1]
    with database(app).sessionmaker() as session:
        seeded = len(session.scalars(select(Response)).all())  # the demo's simulated interviews
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    login = client.post(
        "/admin/login",
        data={"username": info.username, "password": again.password},
    )
    assert login.status_code in (303, 400)  # 400 only when CSRF is on (it is outside tests)
    # the printed capacity link is plain ASCII (a terminal ends a link at a CJK character)
    # and opens the 2025 round (for a logged-in staff user: the login page otherwise)
    assert info.capacity_url.isascii()
    rounds = client.get(info.capacity_url.removeprefix("http://127.0.0.1:5055"))
    if login.status_code == 303:
        assert rounds.status_code == 200 and "2025年度" in rounds.get_data(as_text=True)
    else:
        assert rounds.status_code in (302, 303)
    with database(app).sessionmaker() as session:
        assert len(session.scalars(select(Response)).all()) == seeded  # a GET creates nothing
        # the simulated capacity rounds (stored once): late, returned and missing units
        from survey.capacity.services import list_rounds
        from survey.capacity.services import status_dict

        assert [r.name for r in list_rounds(session)][:2] == ["2025年度", "2024年度"]
        status = status_dict(session, "2025年度")
        units = {u["unit"]: u for u in status["units"]}
        assert units["zj_cc"]["status"] == "not_started" and units["zj_cc"]["overdue"]
        assert units["wgl"]["on_time"] is False and units["lgb"]["status"] == "submitted"
        # 市教育局 held the youth monitoring (the report's youth chapter shows its results)
        youth = next(i for i in status["indicators"] if i["id"] == "youth_monitoring")
        assert youth["value"] == 1 and youth["status"] == "achieved"
    assert any(again.reporter_password in line for line in lines)
    with database(app).sessionmaker() as session:  # the reporter of 稠城街道
        from survey.capacity.services import reporter_unit

        user = session.scalars(select(User).where(User.username == again.reporter)).one()
        assert user.role == "reporter" and reporter_unit(session, user) == "zj_cc"
    database(app).engine.dispose()
