"""Benchmark: score and classify 1,000,000 responses x 50 items (the default questionnaire).

Run: ``.venv/bin/python bench/bench_scoring.py [--n 1000000] [--loop-sample 20000]``

Prints, in one run:
  * encode time of the exported-CSV path (``encode_columns``) on all n rows, and of the
    answer-dict path (``encode_responses``) on a subsample, extrapolated to n;
  * scoring + classification time of the encoded matrix (``score_responses``), best of 3
    (goal: under 1 s for 1,000,000 x 50);
  * a plain per-respondent Python loop (the obvious implementation), timed on a
    subsample and extrapolated linearly to n, and the ratio loop / vectorised;
  * the item analysis (``analyze_items``) of the same points matrix, for reference.
The loop's results are checked against the vectorised ones on the subsample.
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
from questionnaires.model import ItemType
from questionnaires.model import Questionnaire
from scoring import encode_columns
from scoring import encode_responses
from scoring import score_responses
from scoring.items import analyze_items


def simulate_columns(q: Questionnaire, n: int, seed: int = 1) -> dict[str, list[Any]]:
    """Answers as exported CSV columns: a 2PL-like chance of the key, else a random option."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    columns: dict[str, list[Any]] = {}
    for item in q.scored_items:
        key = item.key
        assert key is not None
        codes = np.array(item.codes, dtype=object)
        p = 1.0 / (1.0 + np.exp(-1.2 * (theta - rng.normal(scale=0.8))))
        right = rng.random(n) < p
        missing = rng.random(n) < 0.03
        if item.type is ItemType.MULTIPLE:
            keyed = ";".join(c for c in item.codes if c in key.correct)
            other = np.array([";".join(sorted({c, k})) for c in item.codes for k in key.correct],
                             dtype=object)  # fmt: skip
            values = np.where(right, keyed, other[rng.integers(len(other), size=n)])
        else:
            values = np.where(
                right, next(iter(key.correct)), codes[rng.integers(len(codes), size=n)]
            )
        values = np.where(missing, "", values)
        columns[item.id] = values.tolist()
    return columns


def columns_to_answers(q: Questionnaire, columns: dict[str, list[Any]], rows: int) -> list[dict]:
    """The same answers as the web survey stores them (lists for multiple-answer items)."""
    out = []
    multiple = {i.id for i in q.scored_items if i.type is ItemType.MULTIPLE}
    for r in range(rows):
        a: dict[str, Any] = {}
        for var, col in columns.items():
            v = col[r]
            if v == "":
                continue
            a[var] = v.split(";") if var in multiple else v
        out.append(a)
    return out


def loop_score(q: Questionnaire, answers: list[dict]) -> list[tuple[float, str, bool]]:
    """The plain per-respondent implementation, written the obvious way."""
    rules = q.scoring
    rawmax = q.points_by_dimension()
    dim_max = {d.id: d.maximum for d in rules.dimensions}
    out = []
    for a in answers:
        raw = dict.fromkeys(dim_max, 0.0)
        for item in q.scored_items:
            key = item.key
            assert key is not None
            given = a.get(item.id)
            if item.type is ItemType.MULTIPLE:
                if given is None:
                    continue
                chosen = set(given)
                if key.partial_credit:
                    r, w = len(chosen & key.correct), len(chosen - key.correct)
                    raw[key.dimension] += key.points * max(0.0, (r - w) / len(key.correct))
                elif chosen == key.correct:
                    raw[key.dimension] += key.points
            elif given in key.correct:
                raw[key.dimension] += key.points
        total = round(sum(raw[d] * dim_max[d] / rawmax[d] for d in raw), 9)
        level = rules.levels[-1].code
        for lv in rules.levels:
            if total >= lv.minimum if rules.inclusive else total > lv.minimum:
                level = lv.code
                break
        codes = [lv.code for lv in rules.levels]
        out.append((total, level, codes.index(level) <= codes.index(rules.literate_level)))
    return out


def line(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<44} {value:>10}  {note}".rstrip())


def best_of(runs: int, fn: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    parser.add_argument("--dict-sample", type=int, default=100_000)
    args = parser.parse_args()
    n = args.n

    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    k = len(q.scored_items)
    print(f"kesu scoring benchmark: {n:,} responses x {k} items ({q.id} v{q.version})")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpu(s) (shared machine: timings are noisy)")  # fmt: skip
    t0 = time.perf_counter()
    columns = simulate_columns(q, n)
    line("simulate answers (setup)", f"{time.perf_counter() - t0:.2f} s")

    t_enc_cols, encoded = best_of(1, lambda: encode_columns(q, columns))
    line(f"encode CSV columns, all {n:,} rows", f"{t_enc_cols:.2f} s")
    m = min(args.dict_sample, n)
    answers = columns_to_answers(q, columns, m)
    t_enc_dict, _ = best_of(1, lambda: encode_responses(q, answers))
    t_enc_dict_n = t_enc_dict * n / m
    line(f"encode answer dicts, {m:,} rows", f"{t_enc_dict:.2f} s",
         f"-> {t_enc_dict_n:.1f} s for {n:,} (extrapolated linearly)")  # fmt: skip

    t_score, sheet = best_of(3, lambda: score_responses(q, encoded))
    goal = "meets" if t_score < 1.0 else "MISSES"
    line(f"score + classify encoded {n:,} x {k}", f"{t_score:.3f} s",
         f"best of 3; {goal} the 1 s goal")  # fmt: skip
    line("  mean total / literate share", f"{sheet.total.mean():.2f}",
         f"{100 * sheet.literate.mean():.2f}% literate")  # fmt: skip

    s = min(args.loop_sample, n)
    sub = columns_to_answers(q, columns, s)
    t_loop, loop = best_of(1, lambda: loop_score(q, sub))
    t_loop_n = t_loop * n / s
    line(f"per-respondent Python loop, {s:,} rows", f"{t_loop:.2f} s",
         f"-> {t_loop_n:.1f} s for {n:,} (extrapolated linearly)")  # fmt: skip
    agree = all(
        abs(tot - sheet.total[i]) < 1e-9
        and lev == sheet.level_codes[sheet.level[i]]
        and lit == bool(sheet.literate[i])
        for i, (tot, lev, lit) in enumerate(loop)
    )
    line(f"  loop == vectorised on the {s:,} rows", str(agree))
    line("RATIO loop / vectorised scoring", f"{t_loop_n / t_score:.0f} x")
    line("ratio loop / (encode dicts + score)", f"{t_loop_n / (t_enc_dict_n + t_score):.1f} x")

    t_items, analysis = best_of(
        1, lambda: analyze_items(sheet.points, max_points=sheet.item_max, right=sheet.right)
    )
    line(f"item analysis (CTT) of {n:,} x {k}", f"{t_items:.2f} s", f"alpha {analysis.alpha:.3f}")


if __name__ == "__main__":
    main()
