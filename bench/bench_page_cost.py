"""Benchmark: the in-process cost of one question page, beside a bare Flask page.

Run: ``.venv/bin/python bench/bench_page_cost.py [--n 2000] [--db sqlite|pg|both]
[--posts 200] [--profile get|post] [--sort tottime] [--top 40]``

Setup (not timed): a wave with the Yiwu questionnaire on SQLite (a file) and on
PostgreSQL (a fresh schema of ``KESU_TEST_DATABASE_URL``, default the local test
server), with kesu's production settings (rate limits on, in memory; CSRF on); one
respondent who consented and is on the first question page, and ``--posts`` more.

Timed, in the same process, through Flask's test client (the whole Flask request:
session cookie, hooks, the response's row, skip logic, the page with its CSRF token):

* GET: ``--n`` loads of that question page, and ``--n`` of the bare Flask "hello" app of
  ``bench/_survey_hello.py``; ms per page (best of 3 runs) and the ratio of the rates, and
  the process's CPU ms per page (best of 3; on a shared, loaded machine steadier than the
  wall time; the PostgreSQL server's CPU is not in it);
* POST: each of the ``--posts`` respondents answers the first page (CSRF, rate limit,
  validation, the locked write and its commit, the redirect); ms per answer page.

On SQLite it also counts the SQL statements each request sends (the driver's trace):
a page load is one SELECT. The goal of issue 15, question pages at >= 0.6 of a bare Flask
page's rate, is stated over HTTP, where the server's own work per request (accept, parse,
write, close) is added to both sides: ``bench_survey_load.py`` measures and checks it.
This script shows where a page's own time goes (``--profile get`` or ``post``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Statements:
    """SQL statements sent by SQLite connections opened after :meth:`attach` (a count)."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.set_trace_callback(self._seen)

        engine.dispose()  # reconnect with the trace

    def _seen(self, _sql: str) -> None:
        self.count += 1


def setup(url: str, instance: Path, respondents: int) -> tuple[Any, list[tuple[Any, str]]]:
    """The app and ``respondents`` (client, first question page) pairs, consented."""
    from bench_survey_load import CSRF

    from questionnaires import DEFAULT_QUESTIONNAIRE
    from survey import create_app
    from survey.db import database
    from survey.db import upgrade
    from survey.models import WaveStatus
    from survey.services import create_invitations
    from survey.services import create_wave
    from survey.services import set_wave_status

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                      "GENERATE_SECRET_KEY": True, "COOKIE_SECURE": False,
                      # a consent and a page per respondent from one address: no 429 here
                      "RATE_LIMIT_SUBMIT": "100000 per minute",
                      "RATE_LIMIT_OPEN_START": "100000 per minute"})  # fmt: skip
    upgrade(database(app).engine)
    with app.app_context():
        session = database(app).sessionmaker()
        create_wave(session, name="bench", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                    source_name=DEFAULT_QUESTIONNAIRE.name, actor="bench")  # fmt: skip
        set_wave_status(session, "bench", WaveStatus.OPEN, "bench")
        tokens = create_invitations(session, "bench", respondents, actor="bench")
        session.close()
    out = []
    for token in tokens:
        client = app.test_client()
        page = client.get(f"/s/{token}").get_data(as_text=True)
        r = client.post(f"/s/{token}", data={"csrf_token": CSRF.search(page)[1]})  # type: ignore[index]
        assert r.status_code == 303, r.status_code
        out.append((client, r.headers["Location"]))
    assert out[0][0].get(out[0][1]).status_code == 200
    return app, out


def best_of_3(run: Callable[[], None], n: int) -> tuple[float, float]:
    """The best of 3 runs of ``n`` calls: wall seconds and CPU seconds per call."""
    wall = cpu = float("inf")
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            run()
        wall = min(wall, (time.perf_counter() - t0) / n)
        cpu = min(cpu, (time.process_time() - c0) / n)
    return wall, cpu


def answer_forms(app: Any, pages: list[tuple[Any, str]]) -> list[tuple[Any, str, dict[str, Any]]]:
    """For each respondent: the same valid answer to the first page, found by answering
    it as the first respondent (the follow-up questions that the answers show included)."""
    from bench_survey_load import ERROR_FIELD
    from bench_survey_load import FIELD
    from bench_survey_load import answer_for

    from survey.db import database
    from survey.responses import load_respondent

    (probe, path), rest = pages[0], pages[1:]
    with database(app).sessionmaker() as session:
        q = load_respondent(session, path.split("/")[2]).questionnaire
    rng = random.Random(1)
    html = probe.get(path).get_data(as_text=True)
    answers: dict[str, Any] = {}
    for _attempt in range(5):
        for var in dict.fromkeys(FIELD.findall(html)):
            if var not in answers:
                answers[var] = answer_for(q, q.item(var), var, rng)
        r = probe.post(path, data=_form(html, path, answers))
        if r.status_code == 303:
            break
        html = r.get_data(as_text=True)
        for var in ERROR_FIELD.findall(html):
            answers.pop(var, None)
    else:
        raise RuntimeError(f"no valid answer to {path} found")
    return [(c, p, _form(c.get(p).get_data(as_text=True), p, answers)) for c, p in rest]


def _form(html: str, path: str, answers: dict[str, Any]) -> dict[str, Any]:
    from bench_survey_load import CSRF

    form = {"csrf_token": CSRF.search(html)[1], "rev": "0", "page": path.rsplit("/", 1)[1],  # type: ignore[index]
            "action": "next"}  # fmt: skip
    return form | {f"q_{var}": values for var, values in answers.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="page loads per run (3 runs)")
    ap.add_argument("--posts", type=int, default=200, help="respondents answering a page")
    ap.add_argument("--db", default="both")
    ap.add_argument("--profile", choices=["get", "post"], help="cProfile the page's GET or POST")
    ap.add_argument("--sort", default="cumulative", help="--profile: pstats sort key")
    ap.add_argument("--top", type=int, default=40, help="--profile: rows shown")
    args = ap.parse_args()
    from _pgschema import create_schema
    from _survey_hello import app as hello

    hello_client = hello.test_client()
    hello_ms, hello_cpu = (s * 1000 for s in best_of_3(lambda: hello_client.get("/"), args.n))
    print(f"kesu question page, in process, {os.cpu_count()} cores (a loaded machine: compare "
          f"the ratio, not the ms)\nbare Flask hello: {hello_ms:.3f} ms per page "
          f"({hello_cpu:.3f} ms CPU)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        dbs = []
        if args.db in ("sqlite", "both"):
            dbs.append(("SQLite", f"sqlite:///{Path(tmp) / 'b.sqlite3'}", None))
        if args.db in ("pg", "both"):
            base = os.environ.get("KESU_TEST_DATABASE_URL", PG_DEFAULT)
            url, schema = create_schema(base)
            dbs.append(("PostgreSQL", url, (base, schema)))
        try:
            for label, url, _ in dbs:
                run_db(label, url, Path(tmp) / f"inst-{label}", hello_ms, args)
        finally:
            from _pgschema import drop_schema

            for _, _, pg in dbs:
                if pg:
                    drop_schema(*pg)


def run_db(label: str, url: str, instance: Path, hello_ms: float, args: Any) -> None:
    from survey.db import database

    app, pages = setup(url, instance, 2 + args.posts)
    client, path = pages[0]
    statements = Statements()
    statements.attach(database(app).engine)

    def get() -> None:
        r = client.get(path)
        assert r.status_code == 200, r.status_code

    get()
    before = statements.count
    ms, cpu_ms = (s * 1000 for s in best_of_3(get, args.n))
    per_get = (statements.count - before) / (3 * args.n)
    forms = answer_forms(app, pages[1:])  # the first of them finds the answers
    before = statements.count
    t0 = time.perf_counter()
    prof = cProfile.Profile() if args.profile == "post" else None
    if prof:
        prof.enable()
    for who, where, form in forms:
        r = who.post(where, data=form)
        assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:500])
    if prof:
        prof.disable()
    post_ms = (time.perf_counter() - t0) / max(len(forms), 1) * 1000
    per_post = (statements.count - before) / max(len(forms), 1)
    counted = url.startswith("sqlite")
    print(f"{label:<10} question page {ms:.3f} ms, {cpu_ms:.3f} ms CPU (rate ratio page/hello "
          f"{hello_ms / ms:.2f}"
          + (f", {per_get:.1f} SQL statements" if counted else "")
          + f"); answering a page (POST) {post_ms:.2f} ms"
          + (f", {per_post:.1f} SQL statements" if counted else ""))  # fmt: skip
    if args.profile == "get":
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            get()
        prof.disable()
    if prof:
        pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
