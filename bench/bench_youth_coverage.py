"""Coverage study of the youth monitoring's level shares (a simulation with known truth).

Run: ``.venv/bin/python bench/bench_youth_coverage.py [--reps 200] [--quick]``

Each replication draws a new synthetic Yiwu school population (about 18,600
grade-4 and 15,900 grade-8 students with true abilities), the three-stage
sample of the demo (42 primary schools x 1 class, 28 junior schools x 2
classes), sessions with 2-10% absentees and answers from the known IRT truth
(``reports/youth_synthetic.py``), then runs the whole analysis
(``reports.youth.analyse_youth``: weights with the absence adjustment, 2PL/GRM
calibration per grade, Stocking-Lord link through the 10 anchors, latent
regression plausible values, school-cluster Taylor variance, Rubin's rules,
link error). It prints, for each grade and level, the true population share
(mean over replications), the mean estimate, the bias, the empirical SD of the
estimates, the mean reported SE, the coverage of the 95% intervals and the SD
of the standardised errors ``(estimate - truth) / se``; the same for the
share at medium or above (中等及以上) and the mean scale score is not checked
here (its truth is the population mean, shown for information).

Not a test (CI runs 5 replications in tests/reports/test_youth.py); the figures
of a 200-replication run are in the issue's closing note.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from reports.youth import analyse_youth
from reports.youth_round import simulate_youth_round
from reports.youth_synthetic import population_level_shares
from scoring.irt.vertical import DEFAULT_LEVELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 replications")
    parser.add_argument("--seed", type=int, default=20250)
    args = parser.parse_args()
    reps = 20 if args.quick else args.reps
    codes = DEFAULT_LEVELS.codes
    rows: dict[tuple[str, int], list[tuple[float, float, float, bool]]] = {}
    started = time.perf_counter()
    for r in range(reps):
        sim = simulate_youth_round(np.random.default_rng(args.seed + r), staff=False)
        res = analyse_youth(
            sim.round, rng=np.random.default_rng(args.seed + 10_000 + r), detail=False
        )
        truth = population_level_shares(sim.population)
        for g in res.grades:
            for k, s in enumerate(g.overall.levels):
                t = float(truth[g.grade][k])
                rows.setdefault((g.grade, k), []).append((t, s.estimate, s.se, s.covers(t)))
            t = float(truth[g.grade][res.at_least_level :].sum())
            s = g.overall.at_least
            if s is not None:
                key = (g.grade, -1)
                rows.setdefault(key, []).append((t, s.estimate, s.se, s.covers(t)))
        if (r + 1) % 10 == 0:
            print(
                f"  {r + 1}/{reps} replications, {time.perf_counter() - started:.0f} s", flush=True
            )
    seconds = time.perf_counter() - started
    print(
        f"\nyouth level shares: {reps} replications, {seconds / reps:.2f} s each "
        f"({platform.processor() or platform.machine()}; machine shared with other jobs)"
    )
    print(
        f"{'grade':>5} {'level':<12}{'truth':>8}{'mean est':>10}{'bias':>9}{'emp SD':>9}"
        f"{'mean SE':>9}{'SE/SD':>7}{'cover':>7}{'z SD':>7}"
    )
    all_cover = []
    for (grade, k), vals in sorted(rows.items()):
        arr = np.array([(t, e, s) for t, e, s, _ in vals])
        cover = np.array([c for *_, c in vals], dtype=float)
        all_cover += cover.tolist() if k >= 0 else []
        truth, est, se = arr[:, 0], arr[:, 1], arr[:, 2]
        err = est - truth
        name = codes[k] if k >= 0 else "medium+"
        print(
            f"{grade:>5} {name:<12}{truth.mean():>8.3f}{est.mean():>10.3f}{err.mean():>+9.4f}"
            f"{err.std(ddof=1):>9.4f}{se.mean():>9.4f}{se.mean() / err.std(ddof=1):>7.2f}"
            f"{cover.mean():>7.3f}{(err / se).std(ddof=1):>7.2f}"
        )
    n = len(all_cover)
    p = float(np.mean(all_cover))
    print(
        f"overall coverage of the level shares: {p:.3f} over {n} intervals "
        f"(binomial SE {np.sqrt(0.95 * 0.05 / n):.3f} around 0.95, ignoring correlation)"
    )


if __name__ == "__main__":
    main()
