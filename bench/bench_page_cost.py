"""Benchmark: the in-process cost of one question page, beside a bare Flask page.

Run: ``.venv/bin/python bench/bench_page_cost.py [--n 2000] [--db sqlite|pg|both]
[--profile]``

Setup (not timed): a wave with the Yiwu questionnaire on SQLite (a file) and on
PostgreSQL (a fresh schema of ``KESU_TEST_DATABASE_URL``, default the local test
server); one respondent who consented and is on the second page.

Timed: ``--n`` GETs of that question page through Flask's test client (the whole Flask
request: session cookie, the response's row, skip logic, rendering with the CSRF token),
and ``--n`` GETs of the bare Flask "hello" app of ``bench/_survey_hello.py``, in the same
process; ms per page (best of 3 runs) and the ratio of the rates (goal >= 0.6 over HTTP,
where the server's own cost per request is added to both; see bench_survey_load.py).
``--profile``: pyinstrument-like cProfile summary of the question page.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def setup(url: str, instance: Path) -> tuple[object, str]:
    from questionnaires import DEFAULT_QUESTIONNAIRE
    from survey import create_app
    from survey.db import database
    from survey.db import upgrade
    from survey.models import WaveStatus
    from survey.services import create_invitations
    from survey.services import create_wave
    from survey.services import set_wave_status

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                      "GENERATE_SECRET_KEY": True,
                      "COOKIE_SECURE": False})  # fmt: skip
    upgrade(database(app).engine)
    with app.app_context():
        session = database(app).sessionmaker()
        create_wave(session, name="bench", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                    source_name=DEFAULT_QUESTIONNAIRE.name, actor="bench")  # fmt: skip
        set_wave_status(session, "bench", WaveStatus.OPEN, "bench")
        token = create_invitations(session, "bench", 1, actor="bench")[0]
        session.close()
    client = app.test_client()
    page = client.get(f"/s/{token}").get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post(f"/s/{token}", data={"csrf_token": csrf, "consent": "yes"})
    assert r.status_code == 303, r.status_code
    path = r.headers["Location"]
    assert client.get(path).status_code == 200
    return client, path


def per_page(client: object, path: str, n: int) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            r = client.get(path)  # type: ignore[attr-defined]
        best = min(best, (time.perf_counter() - t0) / n)
        assert r.status_code == 200
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--db", default="both")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="cumulative", help="--profile: pstats sort key")
    ap.add_argument("--top", type=int, default=40, help="--profile: rows shown")
    args = ap.parse_args()
    from _pgschema import create_schema
    from _survey_hello import app as hello

    hello_client = hello.test_client()
    hello_ms = per_page(hello_client, "/", args.n) * 1000
    print(f"kesu question page, in process, {os.cpu_count()} cores (a loaded machine: compare "
          f"the ratio, not the ms)\nbare Flask hello: {hello_ms:.3f} ms per page")  # fmt: skip
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
                client, path = setup(url, Path(tmp) / f"inst-{label}")
                ms = per_page(client, path, args.n) * 1000
                print(f"{label:<10} question page {ms:.3f} ms; rate ratio page/hello "
                      f"{hello_ms / ms:.2f}; over HTTP with the server's ~0.9 ms per request "
                      f"added to both: {(hello_ms + 0.9) / (ms + 0.9):.2f}")  # fmt: skip
                if args.profile:
                    prof = cProfile.Profile()
                    prof.enable()
                    for _ in range(args.n):
                        client.get(path)  # type: ignore[attr-defined]
                    prof.disable()
                    stats = pstats.Stats(prof).sort_stats(args.sort)
                    stats.print_stats(args.top)
        finally:
            from _pgschema import drop_schema

            for _, _, pg in dbs:
                if pg:
                    drop_schema(*pg)


if __name__ == "__main__":
    main()
