"""Database engine, sessions and migrations.

The engine and ``sessionmaker`` are built by the app factory (:func:`init_app`) and kept
in ``app.extensions["kesu_db"]``; :func:`get_session` caches one session per app context
on ``g`` and ``teardown_appcontext`` closes it.

SQLite (the embedded default) is opened for durability and concurrent writers: WAL
journal, ``synchronous=FULL`` (a commit survives a power cut, not only a process
crash), a busy timeout so writers wait for each other, and foreign keys on.
Transactions that will write start with ``BEGIN IMMEDIATE`` (see :func:`begin_write`):
a deferred transaction that reads first and writes later can fail at once with
``SQLITE_BUSY`` when another process committed in between, whatever the timeout.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from flask import Flask
from flask import current_app
from flask import g
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql import Select

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_WRITE_OPTION = "kesu_write"
_READ_OPTION = "kesu_single_read"


class Base(DeclarativeBase):
    """Declarative base of every kesu table."""


@dataclass(frozen=True)
class Database:
    """What the factory stores in ``app.extensions["kesu_db"]``."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


def create_db_engine(
    url: str, *, busy_timeout_ms: int = 10_000, pool_size: int = 5, pre_ping: bool = False
) -> Engine:
    """An engine for ``url`` with kesu's durability settings (see the module docstring).

    ``pre_ping`` checks each pooled connection with a round trip before use; off by default
    (it costs one query per request): a connection found dead is discarded by the pool and
    only the request that met it fails.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, json_deserializer=json_loads
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping, pool_recycle=1800,
        json_deserializer=json_loads,
    )  # fmt: skip


def json_loads(text: str | bytes) -> Any:
    """JSON text -> Python objects, for every JSON column read (answers, scores, paradata),
    equal to what :func:`json.loads` gives.

    msgspec parses several times faster than :mod:`json` (a question page decodes one
    document, an export three per response) and gives the same values, integers beyond 64
    bits included; the few texts it refuses - ``NaN``/``Infinity`` that :func:`json.dumps`
    writes for a non-finite float, a number beyond the float range (``1e400``), a lone
    surrogate escape - are read by :func:`json.loads`, as before.
    """
    try:
        return _DECODE(text)
    except msgspec.DecodeError:
        return json.loads(text)


_DECODE = msgspec.json.Decoder().decode


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT" or options.get(_READ_OPTION):
            return  # the sqlite3 module is in autocommit mode: no BEGIN, one statement
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE_OPTION) else "BEGIN")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writing one (``BEGIN IMMEDIATE`` on SQLite).

    Call first in a service that writes, before any query; a no-op when a transaction
    is already open. On PostgreSQL it only starts the transaction. A session left on a
    :func:`read_connection` (no transaction at the database) is rolled back first, so the
    writes that follow are one transaction and not autocommitted one by one.
    """
    if session.in_transaction():
        options = session.connection().get_execution_options()
        if not (options.get(_READ_OPTION) or options.get("isolation_level") == "AUTOCOMMIT"):
            return
        session.rollback()
    session.connection(execution_options={_WRITE_OPTION: True})


def read_connection(session: Session) -> Any:
    """A connection for one read-only statement, without BEGIN/ROLLBACK round trips.

    Outside a transaction the statement runs in autocommit mode (a single query sees a
    consistent snapshot on its own); inside one, the transaction's connection is used.
    On SQLite no BEGIN is sent (the driver is in autocommit mode, see ``_on_begin``), which
    saves the ``PRAGMA read_uncommitted`` pair that SQLAlchemy's AUTOCOMMIT isolation level
    costs there; on PostgreSQL the AUTOCOMMIT level only flips the driver's flag.
    """
    if session.in_transaction():
        return session.connection()
    if session.get_bind().dialect.name == "sqlite":
        return session.connection(execution_options={_READ_OPTION: True})
    return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: bind names in the order of the driver's positional parameters; None: named
    positions: tuple[str, ...] | None
    binds: Mapping[str, Callable[[Any], Any] | None]
    #: (column position, result processor) of the columns that have one
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]
    compiled: Any
    #: PostgreSQL: the statement with $1, $2, ... for libpq and the bind names in that
    #: order (see :meth:`_HotConnection.fetch`); None elsewhere
    numbered: tuple[bytes, tuple[str, ...]] | None = None


#: a bind of psycopg's "pyformat" style as SQLAlchemy writes it, or an escaped percent sign
_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")


def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``sql`` in psycopg's named style -> libpq's numbered one and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match[1]
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PYFORMAT.sub(number, sql).encode("utf-8"), tuple(names)


class HotRead:
    """One read-only SELECT on a hot path (a respondent's page), without SQLAlchemy's
    per-execution work.

    Through a session, running a compiled statement costs five times the query itself on
    SQLite (about 100 µs against 20 µs: the statement's cache key, the execution context,
    the result object) and, on PostgreSQL, a transaction. Here the statement is compiled
    once per dialect; each call binds the parameters and converts the row with the
    statement's own column types (so values are exactly what the ORM reads: enums, UTC
    datetimes, JSON by :func:`json_loads`), and runs it as one statement outside a
    transaction (SQLite: the driver's autocommit mode, see ``_on_begin``; PostgreSQL:
    ``autocommit``; a single statement sees one consistent snapshot) on the DBAPI
    connection the engine's hot reads keep (:class:`_HotConnection`).

    Inside a session's transaction it runs on that transaction's connection (reading what
    the transaction wrote). Should the driver raise (a dropped connection), the connection
    is discarded and the statement runs through SQLAlchemy as anywhere else, so the error
    is reported, and a dead connection replaced, exactly as on every other path.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, engine: Engine) -> _Compiled:
        dialect = engine.dialect
        compiled = self.statement.compile(dialect=dialect)
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        ]
        processed = tuple((i, f) for i, f in enumerate(results) if f is not None)
        positions = tuple(compiled.positiontup) if compiled.positiontup else None
        sql = str(compiled)
        numbered = _numbered(sql) if dialect.driver == "psycopg" and positions is None else None
        return _Compiled(sql, positions, binds, processed, compiled, numbered)

    def one_or_none(
        self, bind: Session | Engine, params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The one row (a tuple) or None; more than one row raises like ``one_or_none``.

        ``bind``: a session (its transaction's connection when one is open) or the engine
        (a page that reads nothing else needs no session).
        """
        if isinstance(bind, Session) and bind.in_transaction():
            row = bind.connection().execute(self.statement, dict(params)).one_or_none()
            return tuple(row) if row is not None else None
        engine = bind.get_bind() if isinstance(bind, Session) else bind
        assert isinstance(engine, Engine)
        compiled = self._compiled.get(engine.dialect.name)
        if compiled is None:
            compiled = self._compiled[engine.dialect.name] = self._compile(engine)
        try:
            rows = _run(engine, compiled, params)
        except Exception as exc:  # noqa: BLE001 - the ordinary path below reports it
            logger.info("hot read fell back to SQLAlchemy: %s", type(exc).__name__)
        else:
            if len(rows) > 1:
                raise MultipleResultsFound("more than one row where one or none was required")
            return rows[0] if rows else None
        if isinstance(bind, Session):
            row = read_connection(bind).execute(self.statement, dict(params)).one_or_none()
        else:
            with engine.connect() as connection:
                row = connection.execute(self.statement, dict(params)).one_or_none()
        return tuple(row) if row is not None else None


def _run(engine: Engine, compiled: _Compiled, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    values = compiled.compiled.construct_params(params)
    for name, process in compiled.binds.items():
        if process is not None:
            values[name] = process(values[name])
    bound: Any = tuple(values[n] for n in compiled.positions) if compiled.positions else values
    hot = _hot_connection(engine)
    if hot.lock.acquire(blocking=False):
        try:
            hot.take(engine)
            fetched = hot.fetch(compiled, bound)
        finally:
            hot.lock.release()
    else:  # another thread of this process is reading: a connection of its own, for once
        spare = _HotConnection()
        spare.take(engine)
        fetched = spare.fetch(compiled, bound)
        spare.give_back()
    out = []
    for row in fetched:
        values_ = list(row)
        for i, process in compiled.processed:
            values_[i] = process(values_[i])
        out.append(tuple(values_))
    return out


class _HotConnection:
    """The connection an engine's hot reads keep checked out of its pool, in this process.

    Checking a connection out of SQLAlchemy's pool and back in (with its reset) costs about
    as much as the query on SQLite; hot reads keep one instead, with one cursor, in
    autocommit mode (no transaction stays open between reads: each one sees what is
    committed; on PostgreSQL the statements are prepared at their first run on a
    connection and run through libpq itself, see :meth:`fetch`). It goes back
    to the pool after :attr:`HOLD_SECONDS` (so the pool's recycling applies); it is closed
    when the engine is disposed or collected, and after any error. One thread uses it
    at a time; another thread meanwhile takes a connection from the pool. A process forked
    with one keeps the parent's untouched (never used, never closed) and opens its own.
    """

    HOLD_SECONDS = 60.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pooled: Any = None
        self.pool: Any = None
        self.pid = 0
        self.since = 0.0
        self.autocommit = False
        self.cursor: Any = None
        #: PostgreSQL: psycopg's loaders for the rows read through libpq, the parameters'
        #: format and the result statuses that mean success (see :meth:`_exec_prepared`)
        self.transformer: Any = None
        self.text_format: tuple[Any, ...] = ()
        self.succeeded: tuple[Any, ...] = ()

    def take(self, engine: Engine) -> Any:
        """The held connection (checked out anew when needed); call with :attr:`lock`."""
        if self.pooled is not None and self.pid != os.getpid():
            _FORKED_COPIES.append((self.pooled, self.cursor))
            self.pooled = self.cursor = None
        now = time.monotonic()
        if self.pooled is not None and self.pool is not engine.pool:
            self.discard()  # the engine was disposed: its old pool is gone
        elif self.pooled is not None and now - self.since > self.HOLD_SECONDS:
            self.give_back()
        if self.pooled is None:
            pooled = engine.raw_connection()
            self.autocommit = engine.dialect.name == "postgresql"
            driver: Any = pooled.driver_connection
            try:
                if self.autocommit:
                    # psycopg is imported here, with PostgreSQL, not by every kesu process
                    from psycopg.adapt import PyFormat
                    from psycopg.adapt import Transformer
                    from psycopg.pq import ExecStatus

                    driver.autocommit = True
                    self.transformer = Transformer.from_context(driver)
                    self.text_format = (PyFormat.TEXT,)
                    self.succeeded = (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK)
                self.cursor = driver.cursor()
            except BaseException:
                pooled.invalidate()
                raise
            self.pooled, self.pool, self.pid, self.since = pooled, engine.pool, os.getpid(), now
        return self.pooled

    def fetch(self, compiled: _Compiled, params: Any) -> list[Any]:
        """The rows of one statement on the held connection (after :meth:`take`); the
        connection is closed if the driver raises."""
        try:
            if self.autocommit and compiled.numbered is not None:
                return self._exec_prepared(*compiled.numbered, params)
            self.cursor.execute(compiled.sql, params)
            rows: list[Any] = self.cursor.fetchall()
        except BaseException:
            self.discard()
            raise
        return rows

    def _exec_prepared(self, sql: bytes, names: tuple[str, ...], params: Any) -> list[Any]:
        """PostgreSQL: the statement run as a prepared statement through libpq (psycopg's
        ``pgconn``), its rows read by psycopg's loaders (the connection's, so JSON is read
        by :func:`json_loads` as everywhere). The same protocol messages as psycopg's cursor
        with ``prepare=True`` (Bind, Execute, Sync), without its Python around them (its
        generators and wait loop, the prepared-statement bookkeeping): about 25 µs of CPU
        less per page load.

        The connection's statements are named in its pool entry's ``info``, which lives
        as long as the connection itself (a connection taken again still has them)."""
        driver: Any = self.pooled.driver_connection
        pgconn = driver.pgconn
        prepared: dict[bytes, bytes] = self.pooled.info.setdefault("kesu_hot_statements", {})
        name = prepared.get(sql)
        if name is None:
            name = b"kesu_hot_%d" % len(prepared)
            self._check(pgconn.prepare(name, sql, None))
            prepared[sql] = name
        args = [params[n] for n in names]
        dumped = self.transformer.dump_sequence(args, self.text_format * len(args))
        result = self._check(pgconn.exec_prepared(name, dumped))
        self.transformer.set_pgresult(result)
        rows: list[Any] = self.transformer.load_rows(0, result.ntuples, tuple)
        return rows

    def _check(self, result: Any) -> Any:
        """A libpq result that succeeded; else a psycopg error with the server's message."""
        if result.status not in self.succeeded:
            import psycopg

            message = result.error_message.decode("utf-8", "replace").strip()
            raise psycopg.OperationalError(message or f"libpq status {result.status}")
        return result

    def discard(self) -> None:
        """Close the held connection (after an error, or when its pool is gone)."""
        pooled, self.pooled, self.cursor = self.pooled, None, None
        if pooled is not None:
            pooled.invalidate()

    def close(self, *_args: Any) -> None:
        """Close the held connection: the engine was disposed (its pool with it) or
        collected, or the process exits."""
        with self.lock:
            if self.pooled is not None and self.pid == os.getpid():
                self.discard()

    def give_back(self) -> None:
        """Return the held connection to the pool, transactional again as the pool keeps
        its connections (a broken one is closed instead)."""
        pooled, cursor, self.pooled, self.cursor = self.pooled, self.cursor, None, None
        if pooled is None or self.pid != os.getpid():
            return
        try:
            cursor.close()
            if self.autocommit:  # PostgreSQL: the pool's connections are transactional
                driver: Any = pooled.driver_connection
                driver.autocommit = False
        except Exception:  # noqa: BLE001 - a broken connection is closed, not pooled
            pooled.invalidate()
            return
        pooled.close()


_HOT: weakref.WeakKeyDictionary[Engine, _HotConnection] = weakref.WeakKeyDictionary()
_HOT_LOCK = threading.Lock()
#: held connections inherited through a fork (see :class:`_HotConnection`)
_FORKED_COPIES: list[Any] = []


def _hot_connection(engine: Engine) -> _HotConnection:
    hot = _HOT.get(engine)
    if hot is None:
        with _HOT_LOCK:
            hot = _HOT.get(engine)
            if hot is None:
                hot = _HOT[engine] = _HotConnection()
                event.listen(engine, "engine_disposed", hot.close)
                weakref.finalize(engine, hot.close)
    return hot


def init_app(app: Flask) -> None:
    """Build the engine and sessionmaker for ``app`` and close sessions after each request."""
    engine = create_db_engine(
        app.config["DATABASE_URL"],
        busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"]),
        pool_size=int(app.config["DATABASE_POOL_SIZE"]),
        pre_ping=bool(app.config["DATABASE_PRE_PING"]),
    )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["kesu_db"] = Database(engine=engine, sessionmaker=factory)
    app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    """The :class:`Database` of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    db: Database = target.extensions["kesu_db"]
    return db


def get_session() -> Session:
    """The session of the current app context (created on first use)."""
    if "kesu_session" not in g:
        g.kesu_session = database().sessionmaker()
    session: Session = g.kesu_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("kesu_session", None)
    if session is not None:
        session.close()


def ping(session: Session) -> bool:
    """True when the database answers ``SELECT 1``."""
    return bool(session.execute(text("SELECT 1")).scalar_one() == 1)


def alembic_config(engine: Engine) -> Any:
    """An Alembic ``Config`` for kesu's migrations that runs on ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (``kesu db upgrade``)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` for an empty database)."""
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at (None before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev
