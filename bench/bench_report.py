"""Benchmark: the evaluation report for 100,000 responses (goal: under 10 s in total).

Run: ``.venv/bin/python bench/bench_report.py [--n 100000] [--base 10000] [--lang zh-CN]``

A synthetic analysis table of ``--base`` simulated respondents (reports.synthetic,
scored with scoring.score_responses) is repeated to ``--n`` rows, each copy in its
own PSUs (towns x 3 clusters x copies) with weights divided by the number of copies.
Data generation is not timed. Timed stages, each the best of ``--repeat`` runs:

  * estimates: ``reports.data.build_report_data`` (every svy_* call, item analysis,
    Fay-Herriot);
  * charts and tables: building the report's flowables (reportlab Drawings, Tables);
  * PDF: layout and rendering (``reports.pdf.build_pdf`` minus the flowables).

There is no peer implementation of this report to compare with; the ratio printed
is the total against the 10 s budget of issue 9.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

import numpy as np

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from questionnaires.model import Questionnaire
from reports.data import build_report_data
from reports.fonts import register_report_fonts
from reports.pdf import build_pdf
from reports.pdf import report_story
from reports.render import Renderer
from reports.spec import ReportSpec
from reports.spec import default_job
from reports.synthetic import YIWU_TOWNS
from reports.synthetic import answers_to_records
from reports.synthetic import simulate_answers
from reports.synthetic import simulate_people
from scoring import score_responses

BUDGET_SECONDS = 10.0


def base_table(q: Questionnaire, n: int, seed: int) -> dict[str, Any]:
    """A scored synthetic analysis table of ``n`` respondents (design columns included)."""
    rng = np.random.default_rng(seed)
    people = simulate_people(n, rng)
    records = answers_to_records(q, simulate_answers(q, people, rng), 2025)
    sheet = score_responses(q, records)
    table: dict[str, Any] = {k: np.asarray(v) for k, v in people.items() if k != "theta"}
    town = people["town"]
    table["stratum"] = town
    table["psu"] = np.array([f"{t}-{i % 3}" for i, t in enumerate(town)])
    sizes = {t.code: t.adults for t in YIWU_TOWNS}
    counts = {c: max(int((town == c).sum()), 1) for c in sizes}
    table["weight"] = np.array([sizes[t] / counts[t] for t in town]) * rng.uniform(0.7, 1.3, n)
    for g in q.groups:
        table[f"group_{g.id}"] = np.array([int(q.group_flags(r, 2025)[g.id]) for r in records])
    table.update(sheet.columns())
    for item in ("channels", "visit_venue", "events", "kepu_app"):
        values = [r.get(item) for r in records]
        table[item] = np.array(
            [";".join(v) if isinstance(v, list) else ("" if v is None else v) for v in values]
        )
    return table


def repeat_table(table: dict[str, Any], copies: int) -> dict[str, Any]:
    """``copies`` copies of the table, each in its own PSUs, weights divided by ``copies``."""
    out = {k: np.concatenate([np.asarray(v)] * copies) for k, v in table.items()}
    n = len(table["psu"])
    copy_id = np.repeat(np.arange(copies), n).astype(str)
    out["psu"] = np.char.add(np.char.add(out["psu"].astype(str), "-c"), copy_id)
    out["weight"] = out["weight"] / copies
    out["respondent_id"] = np.arange(1, n * copies + 1)
    return out


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--lang", default="zh-CN")
    args = parser.parse_args()
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    t0 = time.perf_counter()
    base = base_table(q, args.base, 1)
    table = repeat_table(base, max(1, args.n // args.base))
    n = len(table["psu"])
    print(f"kesu report benchmark on {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"data: {n:,} respondents x {len(table)} columns "
          f"(generated in {time.perf_counter() - t0:.1f} s, not timed)")  # fmt: skip
    spec = ReportSpec(job=default_job(table), wave_name="bench", survey_year=2025)
    t_est, data = best(lambda: build_report_data(table, q, spec), args.repeat)
    fonts = register_report_fonts()
    r = Renderer.create(args.lang, fonts, q, data.rules, group_ages=data.group_ages)
    t_story, _ = best(lambda: report_story(data, r), args.repeat)
    t_pdf, pdf = best(lambda: build_pdf(data, args.lang), args.repeat)
    total = t_est + t_pdf
    print(f"{'stage':28s} {'seconds':>8s}")
    print(f"{'estimates (ReportData)':28s} {t_est:8.2f}")
    print(f"{'charts and tables':28s} {t_story:8.2f}")
    print(f"{'PDF layout and rendering':28s} {t_pdf - t_story:8.2f}")
    print(f"{'total':28s} {total:8.2f}   ({len(pdf):,} bytes)")
    verdict = "within" if total < BUDGET_SECONDS else "OVER"
    print(f"ratio total / budget {BUDGET_SECONDS:.0f} s: {total / BUDGET_SECONDS:.2f} ({verdict})")
    print(f"literate: {100 * data.overall.estimate:.2f}% (n = {data.overall.n:,}, "
          f"{data.design.n_psu} PSUs, {data.design.n_strata} strata)")  # fmt: skip


if __name__ == "__main__":
    main()
