"""Benchmark: exporting 300,000 responses as CSV, SPSS .sav and Stata .dta, streamed.

Run: ``.venv/bin/python bench/bench_export.py [--n 300000] [--small 30000] [--base 10000]
[--formats csv,sav,dta] [--no-pg] [--no-sqlite] [--no-peer]``

Setup (not timed): a wave with the Yiwu questionnaire on SQLite (a file) and on
PostgreSQL (a fresh schema of ``KESU_BENCH_PG_URL``, default the test server), filled
with bulk inserts: ``--base`` respondents simulated by :mod:`reports.synthetic`, scored
by :func:`scoring.score_responses`, repeated to ``--n`` (and ``--small``) responses with
their invitations (design probabilities) and page times; on PostgreSQL then
``VACUUM ANALYZE``, as autovacuum does after a bulk load.

Each export runs in a fresh subprocess (``survey.export.export_stream`` writing to a
file), which reports the wall time (what a user waits for), the seconds to the first
bytes (``first B``: when a browser's download starts), the CPU time of the process
and of its export workers (a large export is made by one worker process per CPU,
``KESU_EXPORT_WORKERS``), its peak RSS above the RSS after imports (``ru_maxrss``), the
largest worker's peak RSS and, in a second run on the small wave, the tracemalloc peak
of the calling process. Memory is flat when the 300,000-row export needs no more than
the small one. Goal (issue 15): >= 20,000 rows/s for every format on both databases;
the ``goal`` column is rows/s / 20,000. The machine's load average and the CPU time of a
fixed pure-Python workload (:func:`reference_seconds`) are printed first: the figures are
only as good as the machine is quiet, and rows/s scale with its speed, which varies from
one virtual machine (and day) to the next by a quarter and more.

Peer, side by side: the same rows collected into a pandas DataFrame, then
``pyreadstat.write_sav`` / ``pyreadstat.write_dta`` / ``DataFrame.to_csv`` (what a
non-streaming export does). Ratios are peer / kesu (time and memory).

Previous implementation, side by side: the per-row export as it was before issue 15
(``--previous``, a git revision, default the main of 2026-12-06 before the change; its
source is extracted with ``git archive`` and run the same way) on the small wave (its
rate does not depend on the size; at ~2,000 rows/s the big wave would take minutes);
ratio of the rates kesu / previous.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _pgschema import create_schema
from _pgschema import drop_schema

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stop_fork_server() -> None:
    """Stop (and reap) the export workers' fork server, so that its CPU time and its
    workers' (which it reaped) count in this process's children (Python 3.11's private
    API; a bench may use it, kesu does not)."""
    try:
        from multiprocessing import forkserver

        forkserver._forkserver._stop()  # type: ignore[attr-defined]
    except (AttributeError, ImportError, OSError):
        pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- setup -------------------------------------------------------------------------------------
def fill(url: str, name: str, n: int, base: int, seed: int = 7) -> None:
    """Create the tables (if needed) and a wave ``name`` with ``n`` complete responses."""
    from sqlalchemy import func
    from sqlalchemy import insert
    from sqlalchemy import select
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from questionnaires import DEFAULT_QUESTIONNAIRE
    from questionnaires import load_questionnaire
    from reports.synthetic import answers_to_records
    from reports.synthetic import simulate_answers
    from reports.synthetic import simulate_people
    from scoring import score_responses
    from survey.db import Base
    from survey.db import create_db_engine
    from survey.models import Invitation
    from survey.models import Response
    from survey.quality import answers_hash
    from survey.services import create_wave

    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    engine = create_db_engine(url)
    Base.metadata.create_all(engine)
    rng = np.random.default_rng(seed)
    people = simulate_people(base, rng)
    records = answers_to_records(q, simulate_answers(q, people, rng), 2025)
    sheet = score_responses(q, records)
    sheets = [sheet.to_dict(i) for i in range(base)]
    hashes = [answers_hash(q, r) for r in records]
    seconds = rng.gamma(9.0, 120.0, n)
    start = datetime(2025, 5, 1, 8, tzinfo=UTC)
    with Session(engine) as session:
        wave_id = create_wave(
            session, name=name, questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
            source_name=DEFAULT_QUESTIONNAIRE.name, actor="bench",
        ).id  # fmt: skip
        offset = int(session.scalar(select(func.max(Invitation.id))) or 0)
        for lo in range(0, n, 5000):
            hi = min(lo + 5000, n)
            invitations, responses = [], []
            for i in range(lo, hi):
                k = i % base
                town = str(people["town"][k])
                began = start + timedelta(minutes=i % 50_000)
                invitations.append({
                    "id": offset + i + 1, "wave_id": wave_id, "token": uuid.uuid4().hex,
                    "stratum": town, "psu": f"{town}-{i % 7}", "town": town, "mode": "capi",
                    "attributes": {"prob1": 0.1, "prob2": 0.02, "prob3": 0.5,
                                   "household_weight": 500.0, "household_number": i + 1},
                    "open_link": False, "household_id": f"{town}-{i:06d}",
                })  # fmt: skip
                responses.append({
                    "wave_id": wave_id, "invitation_id": offset + i + 1, "status": "complete",
                    "started_at": began, "updated_at": began, "completed_at": began,
                    "mode": "capi", "language": "zh-CN", "answers": records[k],
                    "paradata": {"seconds": {"all": float(seconds[i])}}, "score": sheets[k],
                    "page": "", "revision": 10, "rejected": False, "review": "",
                    "duration_seconds": float(seconds[i]), "answers_hash": hashes[k],
                })  # fmt: skip
            session.execute(insert(Invitation), invitations)
            session.execute(insert(Response), responses)
            session.commit()
    if engine.dialect.name == "postgresql":
        # what autovacuum does within a minute of a bulk load (PostgreSQL's docs advise it
        # after one): statistics for the planner, the visibility map for index-only scans.
        # A wave that filled over weeks of fieldwork has both.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE response, invitation"))
    engine.dispose()


def reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python workload (ten million additions in a loop),
    best of three: how fast this machine runs Python today, to compare runs of different
    days (an export's rows/s scale with it)."""
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.process_time() - t0)
    return best


# -- one measured export (in a subprocess) ----------------------------------------------------
PREVIOUS = "694503c"
GOAL = 20_000


def run_one(url: str, name: str, fmt: str, out: str, peer: bool, trace: bool) -> dict[str, Any]:
    import pandas as pd  # noqa: F401  (imported before the baseline, as for the peer)
    import pyreadstat  # noqa: F401
    from sqlalchemy.orm import Session

    from survey.db import create_db_engine
    from survey.export import export_plan
    from survey.export import export_rows
    from survey.export import export_stream

    engine = create_db_engine(url)
    baseline = _rss_mb()
    if trace:
        tracemalloc.start()
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    first = None  # seconds to the first bytes of the download
    with Session(engine) as session:
        if peer:
            rows = _peer(session, name, fmt, out, export_plan, export_rows)
        else:
            rows = -1
            with open(out, "wb") as fh:
                for chunk in export_stream(session, name, fmt):
                    if first is None:
                        first = time.perf_counter() - t0
                    fh.write(chunk)
    seconds = time.perf_counter() - t0
    _stop_fork_server()
    cpu = time.process_time() - c0 + _children_cpu() - k0
    peak_trace = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    engine.dispose()
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"seconds": seconds, "cpu": cpu, "rss_mb": _rss_mb() - baseline,
              "workers_mb": workers_mb, "trace_mb": peak_trace,
              "bytes": os.path.getsize(out), "rows": rows, "first": first}  # fmt: skip
    if not peer:  # not truncated: read the row count back (after the measurements)
        result["rows"] = _count_rows(out, fmt)
    return result


def _count_rows(path: str, fmt: str) -> int:
    import pyreadstat

    if fmt == "csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return sum(1 for _ in csv.reader(fh)) - 1
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    return int(read(path, metadataonly=True)[1].number_rows)


def _peer(session: Any, name: str, fmt: str, out: str, export_plan: Any, export_rows: Any) -> int:
    """The non-streaming way: every row in a DataFrame, then pyreadstat / pandas."""
    import pandas as pd
    import pyreadstat

    plan = export_plan(session, name)
    columns = [c for c in plan.columns if fmt == "csv" or not c.csv_only]
    data = []
    for row in export_rows(session, plan):
        values = []
        for c in columns:
            v = row.get(c.name)
            if fmt != "csv" and c.kind == "code":
                v = c.codes.get(str(v)) if v is not None else None
            values.append(v)
        data.append(values)
    frame = pd.DataFrame(data, columns=[c.name for c in columns])
    del data
    if fmt == "csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        labels = {c.name: c.label for c in columns}
        values = {c.name: dict(c.value_labels) for c in columns if c.value_labels}
        for c in columns:
            if c.kind in ("num", "code"):
                frame[c.name] = pd.to_numeric(frame[c.name], errors="coerce").astype("float64")
            else:
                frame[c.name] = frame[c.name].fillna("").astype(str)
        writer = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta
        writer(frame, out, column_labels=labels, variable_value_labels=values)
    return len(frame)


def measure(url: str, name: str, fmt: str, peer: bool, trace: bool, tmp: Path,
            root: Path = ROOT) -> dict[str, Any]:  # fmt: skip
    out = tmp / f"{name}-{fmt}-{'peer' if peer else 'kesu'}.out"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", url, name, fmt, str(out),
           "1" if peer else "0", "1" if trace else "0", str(root)]  # fmt: skip
    # cwd: the worker processes of a large export start from a fork server, which imports
    # kesu from its working directory first (Python 3.11 ignores the sys.path it is given)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out.unlink(missing_ok=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--small", type=int, default=30_000)
    ap.add_argument("--base", type=int, default=10_000)
    ap.add_argument("--formats", default="csv,sav,dta")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--previous", default=PREVIOUS,
                    help="git revision of the previous export ('' to skip)")  # fmt: skip
    args = ap.parse_args()
    formats = args.formats.split(",")
    print(f"kesu export benchmark: {args.n:,} and {args.small:,} responses, Yiwu questionnaire; "
          f"{platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}; goal >= {GOAL:,} rows/s; reference workload "
          f"{reference_seconds():.2f} s CPU (see reference_seconds)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        previous = None
        if args.previous:
            previous = tmp / "previous"
            previous.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.previous],
                                     capture_output=True, check=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(previous)], input=archive, check=True)
        dbs = [] if args.no_sqlite else [("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", None)]
        pg_base = os.environ.get("KESU_BENCH_PG_URL", PG_DEFAULT)
        if not args.no_pg:
            url, schema = create_schema(pg_base)
            dbs.append(("PostgreSQL", url, schema))
        try:
            for label, url, _ in dbs:
                t0 = time.perf_counter()
                fill(url, "big", args.n, args.base)
                fill(url, "small", args.small, args.base)
                print(f"\n{label}: filled in {time.perf_counter() - t0:.0f} s (not timed below)")
                print(f"{'format':<6} {'rows':>8} {'seconds':>8} {'first B':>7} {'rows/s':>8} "
                      f"{'goal':>5} "
                      f"{'CPU s':>6} {'RSS MB':>7} {'worker MB':>9} {'RSS small':>9} "
                      f"{'trace MB small':>14} {'MB file':>8}"
                      f" | previous rows/s (small)  kesu/previous"
                      f" | peer s  peer RSS  time ratio  RSS ratio")  # fmt: skip
                for fmt in formats:
                    big = measure(url, "big", fmt, False, False, tmp)
                    if big["rows"] != args.n:
                        print(f"{fmt}: {big['rows']} rows read back, expected {args.n}")
                    small = measure(url, "small", fmt, False, False, tmp)
                    traced = measure(url, "small", fmt, False, True, tmp)
                    rate = args.n / big["seconds"]
                    line = (f"{fmt:<6} {args.n:>8,} {big['seconds']:>8.1f} {big['first']:>7.1f} "
                            f"{rate:>8,.0f} {rate / GOAL:>5.2f} {big['cpu']:>6.1f} "
                            f"{big['rss_mb']:>7.0f} "
                            f"{big['workers_mb']:>9.0f} {small['rss_mb']:>9.0f} "
                            f"{traced['trace_mb']:>14.1f} "
                            f"{big['bytes'] / 2**20:>8.0f}")  # fmt: skip
                    if previous is not None:
                        old = measure(url, "small", fmt, False, False, tmp, previous)
                        old_rate = args.small / old["seconds"]
                        line += f" | {old_rate:>23,.0f} {rate / old_rate:>14.1f}"
                    if not args.no_peer:
                        p = measure(url, "big", fmt, True, False, tmp)
                        line += (f" | {p['seconds']:>6.1f} {p['rss_mb']:>8.0f}"
                                 f"  {p['seconds'] / big['seconds']:>10.2f}"
                                 f"  {p['rss_mb'] / max(big['rss_mb'], 1):>9.1f}")  # fmt: skip
                    print(line, flush=True)
        finally:
            for _, _, schema in dbs:
                if schema:
                    drop_schema(pg_base, schema)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        url, name, fmt, out, peer, trace, code_root = sys.argv[2:9]
        sys.path.insert(0, code_root)  # this tree's code, or the previous revision's
        print(json.dumps(run_one(url, name, fmt, out, peer == "1", trace == "1")))
    else:
        main()
