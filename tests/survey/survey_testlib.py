"""Helpers shared by the survey tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from survey import create_app
from survey.models import WaveStatus
from survey.services import create_wave
from survey.services import set_wave_status

TESTS_DIR = Path(__file__).parent.parent
FEATURES = TESTS_DIR / "questionnaires" / "data" / "features.yaml"
PG_URL = os.environ.get("KESU_TEST_DATABASE_URL")
DB_KINDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

#: a complete, valid set of answers to features.yaml, page by page (all test items right)
FEATURES_PAGES: dict[str, dict[str, Any]] = {
    "about": {
        "q_sex": "2",
        "q_birth_year": "1980",
        "q_occupation": "farmer",
        "q_farm_years": "12",
        "q_channels": ["tv", "app"],
        "q_remark": "",
    },
    "test": {"q_K1": "T", "q_K2": "C", "q_M1": ["A", "B"], "q_S1": "F", "q_P1": "A"},
    "attitudes": {"q_interest": "4", "q_V1": "3", "q_V2": "3"},
}


#: the civil servants' mental-health questionnaire (anonymous, PHQ-9 item 9 care flag)
MENTAL_HEALTH = TESTS_DIR.parent / "questionnaires" / "civil-servant-mh-2025.yaml"


def mental_health_pages(
    item9: str = "0", phq: str = "1", gad: str = "1"
) -> dict[str, dict[str, Any]]:
    """A complete set of answers to the mental-health questionnaire, page by page."""
    mood: dict[str, Any] = {f"q_phq9_{i}": phq for i in range(1, 9)}
    mood["q_phq9_9"] = item9
    mood["q_phq9_difficulty"] = "1"
    return {
        "mood": mood,
        "worry": {f"q_gad7_{i}": gad for i in range(1, 8)},
        "work": {f"q_ws{i}": "3" for i in range(1, 7)},
        "about": {
            "q_unit_type": "gov",
            "q_rank_band": "clerk",
            "q_age_band": "a30",
            "q_sex": "2",
        },
    }


def pg_schema_url(base: str, schema: str) -> str:
    """``base`` with every connection's search_path set to ``schema``."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def make_app(database_url: str, tmp_path: Path, **config: Any) -> Flask:
    settings: dict[str, Any] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SERVER_NAME": "survey.test",
    }
    settings.update(config)
    return create_app(settings)


def open_wave(session: Session, name: str = "w1", **kwargs: Any) -> str:
    """Create and open a wave with the features questionnaire; return its name."""
    create_wave(
        session,
        name=name,
        questionnaire_data=FEATURES.read_bytes(),
        source_name="features.yaml",
        actor="test",
        **kwargs,
    )
    set_wave_status(session, name, WaveStatus.OPEN, "test")
    return name


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def rev_from(html: str) -> str:
    match = re.search(r'name="rev" value="(\d+)"', html)
    assert match, "no revision in the page"
    return match.group(1)


def post_page(client: FlaskClient, token: str, page: str, data: dict[str, Any], rev: int) -> Any:
    form = {"rev": str(rev), "page": page, **data}
    return client.post(f"/s/{token}/q/{page}", data=form)


def complete(client: FlaskClient, token: str, pages: dict[str, dict[str, Any]] | None = None):
    """Consent and answer every page of features.yaml; return the last response."""
    pages = pages or FEATURES_PAGES
    r = client.post(f"/s/{token}")
    assert r.status_code == 303, r.data
    rev = 0
    for page, data in pages.items():
        r = post_page(client, token, page, data, rev)
        assert r.status_code == 303, (page, r.status_code, r.data[:2000])
        rev += 1
    return r


# -- a real server and a small HTTP client ----------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """gunicorn serving ``survey:create_app()`` on 127.0.0.1 in its own process group."""

    def __init__(
        self,
        database_url: str,
        instance: Path,
        workers: int = 2,
        gunicorn_args: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(
            KESU_DATABASE_URL=database_url,
            KESU_SECRET_KEY="live-server-test-secret-0123456789abcdef",
            KESU_COOKIE_SECURE="false",
            KESU_RATELIMIT_ENABLED="false",
            KESU_INSTANCE_PATH=str(instance),
            **env,
        )
        self.workers = workers
        self.gunicorn_args = gunicorn_args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "2",
            "--log-level",
            "warning",
            *self.gunicorn_args,
            "survey:create_app()",
        ]
        self.proc = subprocess.Popen(
            cmd, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                status, _, _ = Browser(self.base).get("/api/health")
                if status == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not answer /api/health in 20 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (master and workers) and reap the master."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        # SIGKILL leaves no chance to reap the workers: wait until the group is gone
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.proc = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill(signal.SIGTERM if exc[0] is None else signal.SIGKILL)


class Browser:
    """A tiny cookie-keeping HTTP/1.1 client (no redirects followed)."""

    def __init__(self, base: str, timeout: float = 10.0) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any, str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"User-Agent": "Mozilla/5.0 (iPhone) Mobile kesu-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read().decode("utf-8", "replace")
            for value in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return resp.status, resp.headers, data
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, Any, str]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, Any]) -> tuple[int, Any, str]:
        return self.request("POST", path, urllib.parse.urlencode(form, doseq=True).encode())


def answer_over_http(
    base: str,
    token: str,
    pages: dict[str, dict[str, Any]],
    acknowledged: list[tuple[str, str, int]] | None = None,
) -> bool:
    """Consent and answer every page through a real server, with CSRF tokens.

    Appends ``(token, page, revision)`` to ``acknowledged`` for every save the server
    acknowledged (303); returns True when the final submission was acknowledged.
    """
    b = Browser(base)
    status, _, html = b.get(f"/s/{token}")
    if status != 200:
        raise AssertionError(f"consent page: {status}")
    status, headers, _ = b.post(f"/s/{token}", {"csrf_token": csrf_from(html)})
    if status != 303:
        raise AssertionError(f"consent: {status}")
    done = False
    for page, data in pages.items():
        status, _, html = b.get(f"/s/{token}/q/{page}")
        if status != 200:
            raise AssertionError(f"GET {page}: {status}")
        rev = int(rev_from(html))
        form = {**data, "csrf_token": csrf_from(html), "rev": rev, "page": page}
        status, headers, body = b.post(f"/s/{token}/q/{page}", form)
        if status != 303:
            raise AssertionError(f"POST {page}: {status} {body[:300]}")
        if acknowledged is not None:
            acknowledged.append((token, page, rev))
        done = headers["Location"].endswith("/done")
    return done


def expected_answers(page: dict[str, Any]) -> dict[str, Any]:
    """What the database should hold for one page of ``FEATURES_PAGES``-style data."""
    numbers = {"birth_year", "farm_years"}
    out: dict[str, Any] = {}
    for field, value in page.items():
        var = field[2:]
        if value in ("", [], None):
            continue
        out[var] = int(value) if var in numbers else value
    return out


# -- browser tests: Debian's Chromium driven by Playwright (never `playwright install`) --------
#: Debian's Chromium (package chromium); .ci/run installs it
CHROMIUM = Path("/usr/bin/chromium")
#: the flags every browser test launches it with
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: ``pytestmark = needs_chromium`` in a browser test module
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed")
