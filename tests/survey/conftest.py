"""Fixtures of the survey tests.

Every database test runs on SQLite and, when ``KESU_TEST_DATABASE_URL`` is set (CI sets
it), on PostgreSQL too, each test in its own schema that is dropped afterwards.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))

from survey_testlib import DB_KINDS  # noqa: E402
from survey_testlib import FEATURES  # noqa: E402
from survey_testlib import PG_URL  # noqa: E402
from survey_testlib import make_app  # noqa: E402
from survey_testlib import open_wave  # noqa: E402
from survey_testlib import pg_schema_url  # noqa: E402

from survey.db import Base  # noqa: E402
from survey.db import database  # noqa: E402
from survey.services import create_invitations  # noqa: E402


@pytest.fixture(params=DB_KINDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database (no tables): a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kesu.sqlite3'}"
        return
    assert PG_URL is not None
    schema = f"kesu_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_schema_url(PG_URL, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _pg_tables() -> Iterator[str]:
    """One PostgreSQL schema with the tables for the whole run (emptied before each test)."""
    assert PG_URL is not None
    schema = f"kesu_s_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = pg_schema_url(PG_URL, schema)
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=DB_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with the tables and no rows (SQLite file, or the emptied PG schema)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kesu.sqlite3'}"
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("_pg_tables")
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~50 ms a hash; tests use a cheap PBKDF2 (check_password_hash reads both)."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(
        "survey.services.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh database with the tables created (CSRF and rate limits off)."""
    application = make_app(database_url, tmp_path)
    engine = database(application).engine
    yield application
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with database(app).sessionmaker() as s:
        yield s


@pytest.fixture
def features_bytes() -> bytes:
    return FEATURES.read_bytes()


@pytest.fixture
def wave(session: Session) -> str:
    return open_wave(session)


@pytest.fixture
def token(session: Session, wave: str) -> str:
    return create_invitations(session, wave, 1, actor="test", stratum="S1", psu="P1")[0]


@pytest.fixture
def app_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build extra apps on the test database (tables created); engines disposed after."""
    made: list[Flask] = []

    def build(**config: Any) -> Flask:
        application = make_app(config.pop("DATABASE_URL", database_url), tmp_path, **config)
        made.append(application)
        return application

    yield build
    for application in made:
        database(application).engine.dispose()
