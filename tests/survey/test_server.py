"""A real server (gunicorn, several workers) with concurrent clients, and a crash test:
SIGKILL in the middle of a burst of submissions loses no acknowledged answer."""

from __future__ import annotations

import http.client
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from survey_testlib import FEATURES
from survey_testlib import FEATURES_PAGES
from survey_testlib import Browser
from survey_testlib import LiveServer
from survey_testlib import answer_over_http
from survey_testlib import csrf_from
from survey_testlib import expected_answers
from survey_testlib import rev_from

from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import set_wave_status


@pytest.fixture
def live_db(empty_database_url: str) -> Iterator[sessionmaker[Session]]:
    """The test database migrated with Alembic and holding an open wave ``w1``."""
    engine = create_db_engine(empty_database_url)
    upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        create_wave(
            session,
            name="w1",
            questionnaire_data=FEATURES.read_bytes(),
            source_name="features.yaml",
            actor="test",
        )
        set_wave_status(session, "w1", WaveStatus.OPEN, "test")
    yield factory
    engine.dispose()


def _invite(factory: sessionmaker[Session], n: int) -> list[str]:
    with factory() as session:
        return create_invitations(session, "w1", n, actor="test")


def _responses(factory: sessionmaker[Session]) -> dict[str, Response]:
    with factory() as session:
        rows = session.execute(select(Invitation.token, Response).join(Response)).all()
        return {token: resp for token, resp in rows}


def test_concurrent_respondents_against_a_real_server(
    live_db: sessionmaker[Session], empty_database_url: str, tmp_path: Path
) -> None:
    tokens = _invite(live_db, 31)
    racer, tokens = tokens[0], tokens[1:]
    with LiveServer(empty_database_url, tmp_path / "inst", workers=2) as server:
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(
                pool.map(lambda t: answer_over_http(server.base, t, FEATURES_PAGES), tokens)
            )
        assert all(results)
        # six identical final submissions at once (double clicks, retries): one response
        b = Browser(server.base)
        _, _, html = b.get(f"/s/{racer}")
        b.post(f"/s/{racer}", {"csrf_token": csrf_from(html)})
        for page in ("about", "test"):
            _, _, html = b.get(f"/s/{racer}/q/{page}")
            form = {**FEATURES_PAGES[page], "csrf_token": csrf_from(html)}
            b.post(f"/s/{racer}/q/{page}", {**form, "rev": rev_from(html), "page": page})
        _, _, html = b.get(f"/s/{racer}/q/attitudes")
        final = {
            **FEATURES_PAGES["attitudes"],
            "csrf_token": csrf_from(html),
            "rev": rev_from(html),
            "page": "attitudes",
        }

        def submit(_: int) -> int:
            clone = Browser(server.base)
            clone.cookies = dict(b.cookies)
            status, headers, _ = clone.post(f"/s/{racer}/q/attitudes", final)
            assert headers["Location"].endswith("/done")
            return status

        with ThreadPoolExecutor(max_workers=6) as pool:
            assert set(pool.map(submit, range(6))) == {303}
    stored = _responses(live_db)
    assert len(stored) == 31
    expected = {}
    for page in FEATURES_PAGES.values():
        expected.update(expected_answers(page))
    for resp in stored.values():
        assert resp.status is ResponseStatus.COMPLETE
        assert resp.answers == expected
        assert resp.score is not None and resp.score["total"] == 10.0
    assert stored[racer].revision == 3


def test_sigkill_during_a_burst_loses_no_acknowledged_answer(
    live_db: sessionmaker[Session], empty_database_url: str, tmp_path: Path
) -> None:
    tokens = _invite(live_db, 400)
    work: queue.Queue[str] = queue.Queue()
    for t in tokens:
        work.put(t)
    acknowledged: list[tuple[str, str, int]] = []
    failures: list[str] = []
    killed = threading.Event()

    server = LiveServer(empty_database_url, tmp_path / "inst", workers=2).start()

    def client() -> None:
        while not killed.is_set():
            try:
                token = work.get_nowait()
            except queue.Empty:
                return
            try:
                answer_over_http(server.base, token, FEATURES_PAGES, acknowledged)
            except (OSError, http.client.HTTPException):
                if not killed.is_set():
                    failures.append(f"{token}: connection failed before the kill")
                return
            except AssertionError as exc:
                if not killed.is_set():
                    failures.append(f"{token}: {exc}")
                return

    threads = [threading.Thread(target=client) for _ in range(12)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    killed.set()
    server.kill()  # SIGKILL to master and workers, mid-burst
    at_kill = len(acknowledged)
    for th in threads:
        th.join(timeout=20)
    assert not failures, failures[:5]
    assert at_kill >= 60, "the burst did not get going"

    stored = _responses(live_db)
    completed = 0
    for token, page, rev in list(acknowledged):
        resp = stored.get(token)
        assert resp is not None, f"acknowledged save of {page} is missing"
        assert resp.revision >= rev + 1
        for var, value in expected_answers(FEATURES_PAGES[page]).items():
            assert resp.answers.get(var) == value, (token, page, var)
        if page == "attitudes":
            assert resp.status is ResponseStatus.COMPLETE
            completed += 1
    assert completed > 0
    # the database is intact after the crash
    with live_db() as session:
        if session.bind is not None and session.bind.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert session.scalar(select(func.count()).select_from(Response)) >= completed
