"""The app factory: configuration order, secret key, default database, migrations."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from survey import create_app
from survey.config import DEFAULT_SECRET_KEY
from survey.db import Base
from survey.db import begin_write
from survey.db import current_revision
from survey.db import database
from survey.db import downgrade
from survey.db import read_connection
from survey.db import upgrade
from survey.errors import SurveyError
from survey.models import AuditLog
from survey.services import audit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("KESU_SECRET_KEY", "KESU_DATABASE_URL", "KESU_INSTANCE_PATH", "KESU_REDIS_URL"):
        monkeypatch.delenv(key, raising=False)


def test_refuses_the_placeholder_secret_outside_tests(tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match="placeholder SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


@pytest.mark.parametrize("setting", ["two", "0", "-1", "1.5", " "])
def test_refuses_an_export_workers_setting_that_is_not_a_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    from survey.export import export_workers

    monkeypatch.setenv("KESU_EXPORT_WORKERS", setting)
    if not setting.strip():  # blank: as if unset (every CPU)
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
        assert export_workers() >= 1
        return
    with pytest.raises(SurveyError, match="KESU_EXPORT_WORKERS") as caught:
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert caught.value.got == setting and caught.value.hint
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "3")
    create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert export_workers() == 3


def test_generated_secret_is_persisted_privately(tmp_path: Path) -> None:
    first = create_app({"INSTANCE_PATH": str(tmp_path), "GENERATE_SECRET_KEY": True})
    second = create_app({"INSTANCE_PATH": str(tmp_path), "GENERATE_SECRET_KEY": True})
    key = first.config["SECRET_KEY"]
    assert key == second.config["SECRET_KEY"] and len(key) >= 48 and key != DEFAULT_SECRET_KEY
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_configuration_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.py").write_text(
        'SECRET_KEY = "from-instance-file-0123456789abcdef"\nPUBLIC_BASE_URL = "https://i"\n'
        'RATE_LIMIT_LOGIN = "1 per hour"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KESU_PUBLIC_BASE_URL", "https://env")
    monkeypatch.setenv("KESU_DATABASE_POOL_SIZE", "7")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "RATE_LIMIT_LOGIN": "2 per hour"})
    assert app.config["SECRET_KEY"] == "from-instance-file-0123456789abcdef"  # instance file
    assert app.config["PUBLIC_BASE_URL"] == "https://env"  # environment beats the file
    assert app.config["DATABASE_POOL_SIZE"] == 7  # JSON-parsed
    assert app.config["RATE_LIMIT_LOGIN"] == "2 per hour"  # the caller's mapping wins


def test_default_database_is_a_durable_sqlite_file(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kesu.sqlite3'}"
    engine = database(app).engine
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
    assert (tmp_path / "kesu.sqlite3").exists()


def test_redis_url_selects_redis_for_rate_limits(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"


def test_health_check(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": "ok", "rate_limits": "memory"}


def test_health_check_reports_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
    r = app.test_client().get("/api/health")
    assert r.status_code == 503
    assert r.json == {"status": "error", "database": "unavailable", "rate_limits": "memory"}
    database(app).engine.dispose()


def test_migrations_create_the_model_schema_and_revert(
    empty_database_url: str, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    app = create_app(
        {"TESTING": True, "DATABASE_URL": empty_database_url, "INSTANCE_PATH": str(tmp_path)}
    )
    engine = database(app).engine
    assert current_revision(engine) is None
    upgrade(engine)
    from alembic.script import ScriptDirectory

    from survey.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert [current_revision(engine)] == head  # one head, and the database is at it
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_a_write_after_a_single_read_is_one_transaction(app: Flask, session: Session) -> None:
    """read_connection sends no BEGIN (SQLite) or runs in autocommit (PostgreSQL); a
    begin_write on the same session starts a real transaction, so a rollback undoes it."""
    before = session.scalar(select(func.count()).select_from(AuditLog))
    session.rollback()
    read_connection(session).execute(select(func.count()).select_from(AuditLog)).scalar()
    begin_write(session)
    audit(session, "test", "probe", "nothing")
    session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditLog)) == before


def test_survey_errors_are_kesu_errors_that_echo_nothing_sent() -> None:
    import pickle

    from kesu.errors import KesuError
    from survey.errors import BadRequestError
    from survey.errors import NotFoundError

    exc = BadRequestError("unknown export format", param="format", got="<script>x",
                          expected=("csv", "sav"), hint="choose one")  # fmt: skip
    assert isinstance(exc, KesuError) and isinstance(exc, ValueError) and exc.status == 400
    assert str(exc) == "unknown export format; expected ('csv', 'sav'); choose one"
    assert "<script>" not in str(exc) and exc.got == "<script>x" and exc.param == "format"
    assert str(pickle.loads(pickle.dumps(exc))) == str(exc)  # from an export worker
    missing = NotFoundError("no such wave", param="wave", ui="err_no_link")
    assert missing.status == 404 and missing.ui == "err_no_link" and str(missing) == "no such wave"
