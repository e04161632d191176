"""Benchmark and recovery study of scoring.irt against girth and PyPI mirt, in one run.

Run: ``.venv/bin/python bench/bench_irt.py [--repeat 3] [--quick] [--skip-girth]``
(peers come from the ``bench`` extra: ``pip install -e '.[bench]'``).

Prints:
  1. speed: 2PL calibration of 20,000 persons x 50 items (seeded truth) by kesu,
     mirt (Rust core) and girth, without and with standard errors; best of
     ``--repeat`` runs (girth once); ratios peer / kesu and recovery RMSE of a, b;
  2. recovery: 5,000 persons x 40 items, 2PL and 3PL (Beta(5,17) prior on c for
     kesu and mirt): RMSE of a, b, c against the truth, RMSE of EAP theta, and
     the largest absolute difference between kesu and each peer; for the 2PL
     also S-X2 and marginal reliability of kesu and mirt on the same parameters;
  3. standard errors by simulation: 200 replications of 1,000 x 10 (2PL) with
     fixed truth: empirical SD of the estimates vs the mean reported SE
     (observed information, Louis 1982) and 95% interval coverage.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from _irt_peers import Fit
from _irt_peers import fit_girth
from _irt_peers import fit_kesu
from _irt_peers import fit_mirt
from _irt_peers import mirt_fit_statistics
from _irt_peers import rmse
from _irt_peers import simulate
from scipy.special import expit

from scoring.irt import ItemParameters
from scoring.irt import calibrate
from scoring.irt import estimate_ability
from scoring.irt import item_fit_sx2
from scoring.irt import marginal_reliability


def best_of(repeat: int, fn, *args, **kwargs) -> Fit:  # type: ignore[no-untyped-def]
    fits = [fn(*args, **kwargs) for _ in range(repeat)]
    return min(fits, key=lambda f: f.seconds)


def speed(args: argparse.Namespace) -> None:
    n, n_items = (5000, 30) if args.quick else (20000, 50)
    rng = np.random.default_rng(20250601)
    x, _, truth = simulate(rng, n, n_items)
    print(f"\n== 1. speed: 2PL, {n:,} persons x {n_items} items (best of {args.repeat}) ==")
    fit_kesu(x[:500], "2pl", se=True)  # warm up imports and caches
    fit_mirt(x[:500].copy(), "2pl", se=True)
    rows = []
    for se in (False, True):
        k = best_of(args.repeat, fit_kesu, x, "2pl", se=se)
        m = best_of(args.repeat, fit_mirt, x, "2pl", se=se)
        rows.append((se, k, m))
    g = None if args.skip_girth else fit_girth(x, "2pl")
    print(f"{'':14}{'seconds':>9}{'ratio/kesu':>12}{'RMSE a':>9}{'RMSE b':>9}{'EM it':>7}")
    for se, k, m in rows:
        tag = "with SE" if se else "no SE"
        for f in (k, m):
            print(
                f"{f.name + ' ' + tag:14}{f.seconds:9.3f}{f.seconds / k.seconds:12.2f}"
                f"{rmse(f.a, truth['a']):9.4f}{rmse(f.b, truth['b']):9.4f}{f.iterations:7d}"
            )
    if g is not None:
        k0 = rows[0][1]
        print(
            f"{'girth no SE':14}{g.seconds:9.3f}{g.seconds / k0.seconds:12.2f}"
            f"{rmse(g.a, truth['a']):9.4f}{rmse(g.b, truth['b']):9.4f}{'':>7}"
        )
    k, m = rows[1][1], rows[1][2]
    print(
        f"kesu - mirt: loglik {k.loglik - m.loglik:+.4f}; max |a diff| "
        f"{np.max(np.abs(k.a - m.a)):.2e}, max |b diff| {np.max(np.abs(k.b - m.b)):.2e}; "
        f"max |SE(a) diff| {np.max(np.abs(k.se_a - m.se_a)):.2e}"  # type: ignore[operator]
    )


def recovery(args: argparse.Namespace) -> None:
    n, n_items = (2000, 20) if args.quick else (5000, 40)
    print(f"\n== 2. recovery: {n:,} persons x {n_items} items ==")
    for model in ("2pl", "3pl"):
        rng = np.random.default_rng(7 if model == "2pl" else 8)
        x, theta, truth = simulate(rng, n, n_items, guessing=model == "3pl")
        fits = [fit_kesu(x, model, se=True), fit_mirt(x, model, se=True)]
        if not args.skip_girth:
            try:
                fits.append(fit_girth(x, model))
            except Exception as exc:  # a broken peer is reported, not fatal
                print(f"girth {model}: failed ({type(exc).__name__}: {str(exc)[:80]})")
        k = fits[0]
        params = ItemParameters(
            tuple(map(str, range(n_items))), (model,) * n_items, k.a, k.b[:, None], k.c
        )
        eap = estimate_ability(x, params)
        print(f"{model}: {'':6}{'RMSE a':>9}{'RMSE b':>9}{'RMSE c':>9}{'max|Δa| vs kesu':>17}"
              f"{'max|Δb|':>9}{'seconds':>9}")  # fmt: skip
        for f in fits:
            print(
                f"  {f.name:10}{rmse(f.a, truth['a']):9.4f}{rmse(f.b, truth['b']):9.4f}"
                f"{rmse(f.c, truth['c']):9.4f}{np.max(np.abs(f.a - k.a)):17.2e}"
                f"{np.max(np.abs(f.b - k.b)):9.2e}{f.seconds:9.3f}"
            )
        print(
            f"  theta (EAP, kesu items): RMSE {rmse(eap.theta, theta):.4f}, "
            f"mean posterior SD {np.sqrt(np.mean(eap.se**2)):.4f}"
        )
        if model == "2pl":
            fit_agreement(x)


def fit_agreement(x: np.ndarray) -> None:
    """S-X2 and marginal reliability of kesu and mirt on mirt's own 2PL parameters."""
    a, b, table, rxx = mirt_fit_statistics(x)
    ids = tuple(map(str, range(a.size)))
    params = ItemParameters(ids, ("2pl",) * a.size, a, b[:, None], np.zeros(a.size))
    ours = item_fit_sx2(x, params)
    names = list(table)
    stat = table[names[0]]
    df = table[names[1]]
    pval = table[names[2]]
    print(
        f"  S-X2 on mirt's parameters ({names}): max |stat diff| "
        f"{np.max(np.abs(ours.statistic - stat)):.2e}, df equal: "
        f"{bool(np.all(ours.df == df))}, max |p diff| {np.max(np.abs(ours.p_value - pval)):.2e}"
    )
    mine = marginal_reliability(params, method="conditional")
    print(f"  marginal reliability (conditional): kesu {mine:.6f}, mirt marginal_rxx {rxx:.6f}")


def se_by_simulation(args: argparse.Namespace) -> None:
    reps = 50 if args.quick else 200
    n, n_items = 1000, 10
    rng = np.random.default_rng(11)
    a = np.linspace(0.6, 2.0, n_items)
    b = np.linspace(-1.5, 1.5, n_items)
    est_a, est_b, se_a, se_b = [], [], [], []
    t0 = time.perf_counter()
    for _ in range(reps):
        theta = rng.normal(size=n)
        x = (rng.random((n, n_items)) < expit(a * (theta[:, None] - b))).astype(float)
        p = calibrate(x).params
        est_a.append(p.a)
        est_b.append(p.b[:, 0])
        se_a.append(p.se_a)
        se_b.append(p.se_b[:, 0])  # type: ignore[index]
    ea, eb, sa, sb = (np.array(v) for v in (est_a, est_b, se_a, se_b))
    print(f"\n== 3. SEs by simulation: {reps} x ({n} persons x {n_items} items), "
          f"{time.perf_counter() - t0:.1f}s ==")  # fmt: skip
    print(f"{'item':>5}{'a':>6}{'SD(a^)':>9}{'mean SE':>9}{'cover':>7}"
          f"{'b':>7}{'SD(b^)':>9}{'mean SE':>9}{'cover':>7}")  # fmt: skip
    for j in range(n_items):
        ca = np.mean(np.abs(ea[:, j] - a[j]) < 1.96 * sa[:, j])
        cb = np.mean(np.abs(eb[:, j] - b[j]) < 1.96 * sb[:, j])
        print(
            f"{j + 1:5d}{a[j]:6.2f}{ea[:, j].std(ddof=1):9.4f}{sa[:, j].mean():9.4f}{ca:7.2f}"
            f"{b[j]:7.2f}{eb[:, j].std(ddof=1):9.4f}{sb[:, j].mean():9.4f}{cb:7.2f}"
        )
    ratio_a = sa.mean(axis=0) / ea.std(axis=0, ddof=1)
    ratio_b = sb.mean(axis=0) / eb.std(axis=0, ddof=1)
    print(
        f"mean SE / empirical SD: a {ratio_a.mean():.3f} (range {ratio_a.min():.2f}-"
        f"{ratio_a.max():.2f}), b {ratio_b.mean():.3f} (range {ratio_b.min():.2f}-"
        f"{ratio_b.max():.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    parser.add_argument("--skip-girth", action="store_true")
    parser.add_argument("--only", choices=["speed", "recovery", "se"], default=None)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    if args.only in (None, "speed"):
        speed(args)
    if args.only in (None, "recovery"):
        recovery(args)
    if args.only in (None, "se"):
        se_by_simulation(args)


if __name__ == "__main__":
    main()
