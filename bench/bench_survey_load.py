"""Load benchmark of the web survey: simulated respondents against gunicorn.

For each database (SQLite file and PostgreSQL) it starts gunicorn with several sync
workers serving ``survey:create_app()``, and in the same run a bare Flask "hello" app
served the same way (the ceiling). Two phases:

1. saturation: C concurrent clients with no pause request the hello page, then question
   pages of consented respondents, for S seconds each, alternating for R rounds (the
   machine's other load shifts between rounds) -> requests/s and the median of the
   rounds' ratios (goal: question pages >= 0.6 of the bare-Flask rate, issue 15);
2. respondents: N simulated respondents (default 200) answer the whole questionnaire,
   pausing a random 0.5..1.5 x THINK seconds before each answer as people do, with CSRF
   tokens and cookies -> completed questionnaires/s, page requests/s, p50/p99 latency
   (goal: p99 < 200 ms), errors (goal 0) and, read back from the database, lost answers
   (goal 0: every acknowledged page is stored).

Both apps run with the same number of sync workers, gunicorn's access log off and its
log level at warning, kesu with its production settings (rate limits on, in each
worker's memory as without Redis; no debug). Exit status 1 when a goal is missed.

Run:  .venv/bin/python bench/bench_survey_load.py [--respondents 200] [--db sqlite]
      [--rounds 3] [--seconds 5]   (--respondents 0: the saturation phase only)
Needs the bench extra (aiohttp). PostgreSQL from KESU_TEST_DATABASE_URL or --pg-url.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import aiohttp
from _pgschema import create_schema
from _pgschema import drop_schema
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Item
from questionnaires import ItemType
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import set_wave_status

ROOT = Path(__file__).resolve().parent.parent
#: issue 15: question pages at >= 0.6 of a bare Flask page's rate; respondents' p99
RATIO_GOAL = 0.6
P99_GOAL_MS = 200
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REV = re.compile(r'name="rev" value="(\d+)"')
FIELD = re.compile(r'name="q_(\w+)"')
ERROR_FIELD = re.compile(r'id="e-(\w+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """gunicorn in its own process group; ``app`` is a WSGI import string."""

    def __init__(self, app: str, workers: int, env: dict[str, str], chdir: Path = ROOT) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--chdir",
            str(chdir),
            app,
        ]
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, start_new_session=True)

    async def wait(self, path: str) -> None:
        async with aiohttp.ClientSession() as s:
            for _ in range(300):
                try:
                    async with s.get(self.base + path) as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.base}{path} did not answer")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # process group id
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        self.proc.wait(timeout=20)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: int = 0
    completed: int = 0
    acknowledged: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return 1000 * data[min(len(data) - 1, int(q * len(data)))]


def answer_for(q: Questionnaire, item: Item, var: str, rng: random.Random) -> list[str]:
    """A valid answer to one variable (generic: the benchmark does not know the file)."""
    if item.type is ItemType.NUMBER:
        if item.concept == "birth_year":
            value = q.reference_year - rng.randint(20, 65)
        else:
            value = int(item.minimum) if item.minimum is not None else 1
            value = max(value, 1)
            if item.maximum is not None:
                value = min(value, int(item.maximum))
        return [str(value)]
    if item.type is ItemType.TEXT:
        return ["ok"]
    row_expect = next((r.attention_expect for r in item.rows if r.id == var), None)
    expect = row_expect or item.attention_expect
    if expect:
        return [expect]
    codes = [o.code for o in item.options if not o.exclusive]
    if item.type is ItemType.MULTIPLE:
        return rng.sample(codes, k=min(2, len(codes)))
    return [rng.choice(codes)]


async def respondent(
    base: str,
    connector: aiohttp.BaseConnector,
    token: str,
    q: Questionnaire,
    think: float,
    stats: Stats,
    seed: int,
) -> None:
    rng = random.Random(seed)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(
        connector=connector, connector_owner=False, cookie_jar=jar
    ) as s:

        async def call(method: str, url: str, **kw: Any) -> tuple[int, str, str]:
            t0 = time.perf_counter()
            async with s.request(method, base + url, allow_redirects=False, **kw) as r:
                body = await r.text()
                stats.latencies.append(time.perf_counter() - t0)
                return r.status, body, r.headers.get("Location", "")

        await asyncio.sleep(rng.uniform(0, think))  # respondents arrive over time
        status, html, _ = await call("GET", f"/s/{token}")
        if status != 200:
            stats.errors.append(f"consent page {status}")
            return
        status, _, where = await call(
            "POST", f"/s/{token}", data={"csrf_token": CSRF.search(html)[1]}
        )
        while status == 303 and "/q/" in where:
            page = where.rsplit("/", 1)[1]
            status, html, _ = await call("GET", where.replace(base, ""))
            stats.pages += 1
            if status != 200:
                stats.errors.append(f"GET {page} {status}")
                return
            answers: dict[str, list[str]] = {}
            for _attempt in range(3):
                for var in FIELD.findall(html):
                    if var not in answers:
                        answers[var] = answer_for(q, q.item(var), var, rng)
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
                form = [("csrf_token", CSRF.search(html)[1]), ("rev", REV.search(html)[1])]
                form += [("page", page)] + [(f"q_{v}", x) for v, xs in answers.items() for x in xs]
                status, html, where = await call("POST", f"/s/{token}/q/{page}", data=form)
                if status not in (200, 422):
                    break
                # 200: a question appeared because of an answer (skip logic), shown with a
                # note; 422: an answer was refused. Answer the page again as shown.
                for var in ERROR_FIELD.findall(html):
                    answers.pop(var, None)
            if status != 303:
                stats.errors.append(f"POST {page} {status}")
                return
            stats.acknowledged.append((token, page, answers))
        if where.endswith("/done"):
            stats.completed += 1
        else:
            stats.errors.append(f"ended at {status} {where}")


async def saturate(
    base: str, paths: Sequence[str], clients: int, seconds: float
) -> tuple[int, list[float], int]:
    count, lat, errors = 0, [], 0
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    jar = aiohttp.CookieJar(unsafe=True)  # keep the session cookie, as a browser does
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as s:

        async def loop(i: int) -> None:
            nonlocal count, errors
            k = i
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                async with s.get(base + paths[k % len(paths)], allow_redirects=False) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                lat.append(time.perf_counter() - t0)
                count += 1
                k += clients

        await asyncio.gather(*(loop(i) for i in range(clients)))
    return count, lat, errors


def prepare(url: str, questionnaire: Path, n: int) -> list[str]:
    engine = create_db_engine(url)
    upgrade(engine)
    with sessionmaker(bind=engine)() as session:
        create_wave(
            session,
            name="bench",
            questionnaire_data=questionnaire.read_bytes(),
            source_name=questionnaire.name,
            actor="bench",
        )
        set_wave_status(session, "bench", WaveStatus.OPEN, "bench")
        tokens = create_invitations(session, "bench", n, actor="bench")
    engine.dispose()
    return tokens


def lost_answers(url: str, stats: Stats, q: Questionnaire) -> int:
    """Acknowledged pages whose answers are not in the database."""
    engine = create_db_engine(url)
    with sessionmaker(bind=engine)() as session:
        rows = dict(session.execute(select(Invitation.token, Response).join(Response)).all())
    engine.dispose()
    lost = 0
    for token, _page, answers in stats.acknowledged:
        resp = rows.get(token)
        if resp is None:
            lost += 1
            continue
        for var, values in answers.items():
            item = q.item(var)
            stored = resp.answers.get(var)
            if item.type is ItemType.MULTIPLE:
                ok = stored is not None and sorted(stored) == sorted(values)
            elif item.type is ItemType.NUMBER:
                ok = stored == int(values[0])
            else:
                ok = stored == values[0]
            if not ok:
                lost += 1
    complete = sum(1 for r in rows.values() if r.status is ResponseStatus.COMPLETE)
    if complete < stats.completed:
        lost += stats.completed - complete
    return lost


async def run_db(
    label: str, url: str, args: argparse.Namespace, q: Questionnaire
) -> dict[str, Any]:
    tokens = prepare(url, args.questionnaire, args.respondents + args.saturation_tokens)
    env = {
        "KESU_DATABASE_URL": url,
        "KESU_SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
        "KESU_COOKIE_SECURE": "false",
        "KESU_INSTANCE_PATH": tempfile.mkdtemp(prefix="kesu-bench-"),
        "KESU_DATABASE_POOL_SIZE": "4",
    }
    hello = Gunicorn("_survey_hello:app", args.workers, {}, chdir=ROOT / "bench")
    survey = Gunicorn("survey:create_app()", args.workers, env)
    try:
        await hello.wait("/")
        await survey.wait("/api/health")
        # consent some respondents so that their first question page can be fetched
        sat_tokens = tokens[args.respondents :]
        pages = []
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            for t in sat_tokens:
                async with s.get(f"{survey.base}/s/{t}") as r:
                    html = await r.text()
                data = {"csrf_token": CSRF.search(html)[1]}
                async with s.post(f"{survey.base}/s/{t}", data=data, allow_redirects=False) as r:
                    pages.append(r.headers["Location"].replace(survey.base, ""))
        rounds = []
        for _ in range(args.rounds):
            c0 = hello.cpu_seconds()
            h_n, h_lat, h_err = await saturate(hello.base, ["/"], args.clients, args.seconds)
            h_cpu = hello.cpu_seconds() - c0
            c0 = survey.cpu_seconds()
            p_n, p_lat, p_err = await saturate(survey.base, pages, args.clients, args.seconds)
            p_cpu = survey.cpu_seconds() - c0
            rounds.append((h_n, h_lat, h_err, h_cpu, p_n, p_lat, p_err, p_cpu))
        stats = Stats()
        connector = aiohttp.TCPConnector(limit=0)
        t0 = time.perf_counter()
        await asyncio.gather(
            *(
                respondent(survey.base, connector, t, q, args.think, stats, i)
                for i, t in enumerate(tokens[: args.respondents])
            )
        )
        wall = max(time.perf_counter() - t0, 1e-9)
        await connector.close()
    finally:
        survey.stop()
        hello.stop()
    lost = lost_answers(url, stats, q)
    h_n = sum(r[0] for r in rounds)
    p_n = sum(r[4] for r in rounds)
    return {
        "db": label,
        "ratios": [r[4] / max(r[0], 1) for r in rounds],
        "ratio": statistics.median(r[4] / max(r[0], 1) for r in rounds),
        "hello_rps": statistics.median(r[0] for r in rounds) / args.seconds,
        "hello_p50": 1000 * statistics.median(x for r in rounds for x in r[1]),
        "page_rps": statistics.median(r[4] for r in rounds) / args.seconds,
        "page_p50": 1000 * statistics.median(x for r in rounds for x in r[5]),
        "hello_cpu_ms": 1000 * sum(r[3] for r in rounds) / max(h_n, 1),
        "page_cpu_ms": 1000 * sum(r[7] for r in rounds) / max(p_n, 1),
        "sat_errors": sum(r[2] + r[6] for r in rounds),
        "completed_per_s": stats.completed / wall,
        "completed": stats.completed,
        "requests_per_s": len(stats.latencies) / wall,
        "p50": stats.pct(0.50),
        "p99": stats.pct(0.99),
        "errors": len(stats.errors),
        "error_samples": stats.errors[:3],
        "lost": lost,
        "wall": wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=200)
    parser.add_argument(
        "--think",
        type=float,
        default=5.0,
        help="mean pause before each answer in s (people take 30-100 s a page; 5 s is brisk)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=32, help="saturation-phase clients")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="saturation: seconds per app and round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="saturation: hello/page rounds")
    parser.add_argument("--saturation-tokens", type=int, default=50)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("KESU_TEST_DATABASE_URL"))
    parser.add_argument("--questionnaire", type=Path, default=DEFAULT_QUESTIONNAIRE)
    args = parser.parse_args()
    q = load_questionnaire(args.questionnaire)
    print(
        f"kesu survey load: {args.respondents} respondents (think {args.think:g} s), "
        f"gunicorn {args.workers} sync workers, {os.cpu_count()} cores, questionnaire "
        f"{q.id} ({len(q.sections)} pages, {sum(1 for _ in q.items)} items)"
    )
    results = []
    for label in args.db.split(","):
        if label == "sqlite":
            tmp = tempfile.mkdtemp(prefix="kesu-bench-db-")
            results.append(asyncio.run(run_db(label, f"sqlite:///{tmp}/bench.sqlite3", args, q)))
        elif label == "postgresql":
            if not args.pg_url:
                print("postgresql: skipped (set KESU_TEST_DATABASE_URL or --pg-url)")
                continue
            url, schema = create_schema(args.pg_url)
            try:
                results.append(asyncio.run(run_db(label, url, args, q)))
            finally:
                drop_schema(args.pg_url, schema)
    print()
    print(
        f"{'db':<11}{'hello r/s':>10}{'page r/s':>10}{'ratio':>7}  |"
        f"{'done/s':>8}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}{'lost':>6}"
    )
    missed = []
    for r in results:
        print(
            f"{r['db']:<11}{r['hello_rps']:>10.0f}{r['page_rps']:>10.0f}"
            f"{r['ratio']:>7.2f}  |{r['completed_per_s']:>8.2f}"
            f"{r['requests_per_s']:>8.1f}{r['p50']:>8.1f}{r['p99']:>8.1f}{r['errors']:>7}"
            f"{r['lost']:>6}"
        )
        print(
            f"   rounds' ratios {' '.join(f'{x:.2f}' for x in r['ratios'])}; server CPU per "
            f"request: hello {r['hello_cpu_ms']:.2f} ms, question page {r['page_cpu_ms']:.2f} "
            f"ms; saturation p50 hello {r['hello_p50']:.1f} ms, page {r['page_p50']:.1f} ms; "
            f"{r['completed']} questionnaires in {r['wall']:.1f} s"
        )
        if r["error_samples"]:
            print("   errors:", r["error_samples"])
        if r["ratio"] < RATIO_GOAL:
            missed.append(f"{r['db']}: ratio {r['ratio']:.2f} < {RATIO_GOAL}")
        if r["sat_errors"]:
            missed.append(f"{r['db']}: {r['sat_errors']} errors while saturating")
        if args.respondents:
            if r["p99"] >= P99_GOAL_MS:
                missed.append(f"{r['db']}: p99 {r['p99']:.0f} ms >= {P99_GOAL_MS} ms")
            if r["errors"] or r["lost"]:
                missed.append(f"{r['db']}: {r['errors']} errors, {r['lost']} lost answers")
    print(
        "\nratio = question-page GET rate / bare-Flask hello rate (closed loop, "
        f"{args.clients} clients, no pause; median of {args.rounds} rounds); right side: "
        "simulated respondents with pauses; completed = whole questionnaires acknowledged; "
        "lost = acknowledged answers missing from the database."
    )
    print(
        f"goals: ratio >= {RATIO_GOAL}, p99 < {P99_GOAL_MS} ms, no errors, nothing lost: "
        + ("met" if not missed else "MISSED - " + "; ".join(missed))
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
