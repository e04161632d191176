"""Benchmark: literacy rates of 5 key groups with logit intervals, and raking to 3 margins.

Run: ``.venv/bin/python bench/bench_estimation.py [--n 300000] [--repeat 7] [--no-svy] [--no-r]``

A synthetic national-scale sample (bench/_estimation_data.py: 300,000 respondents,
31 strata, ~1,500 PSUs) is analysed in ONE run by

* kesu (this package): ``SurveyDesign`` + ``svy_proportion(by=group)`` + logit
  intervals, and ``rake`` to sex x age band x education margins;
* svy (PyPI, Rust core; ``pip install svy`` into .venv, it is in the ``bench`` extra):
  ``Sample`` + ``estimation.prop(by=, ci_method="logit")`` and ``weighting.rake``;
* R's survey package through ``Rscript`` (if available): ``svyby(svyciprop,
  method="logit")`` and ``rake``.

Each timing is the best of ``--repeat`` wall-clock runs, from columns in memory to
the results (the design is built inside the timed call for every tool; a second
line times the estimate alone with the design already built). kesu and svy runs
are interleaved so that load on the machine hits both alike. The results of the
three tools are compared (largest differences printed). Goal: kesu at least 3x
faster than svy on both tasks.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _estimation_data import make_sample  # noqa: E402

from sampling import SurveyDesign  # noqa: E402
from sampling import rake  # noqa: E402
from sampling import svy_proportion  # noqa: E402

HERE = Path(__file__).parent


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, Any]]:
    """Best time of each function, running them in turn ``repeat`` times."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {k: (min(v), results[k]) for k, v in times.items()}


# -- kesu ---------------------------------------------------------------------------------


def kesu_domains(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    design = SurveyDesign(weights=cols["weight"], strata=cols["stratum"], psu=cols["psu"])
    return kesu_estimate(cols, design)


def kesu_estimate(cols: dict[str, np.ndarray], design: SurveyDesign) -> dict[str, np.ndarray]:
    est = svy_proportion(cols["literate"], design, by={"group": cols["group"]})
    lo, hi = est.confint()
    labels = np.array([d["group"] for d in est.domains])
    return {"group": labels, "est": est.estimate, "se": est.se, "lo": lo, "hi": hi}


def kesu_rake(cols: dict[str, np.ndarray], margins: dict[str, dict[int, float]]) -> np.ndarray:
    return rake(cols["weight"], cols, margins=margins, tol=1e-8).weights


def kesu_raked_domains(
    cols: dict[str, np.ndarray], margins: dict[str, dict[int, float]]
) -> dict[str, np.ndarray]:
    """Rake, then domain rates with the calibrated (regression-residual) variance."""
    design = SurveyDesign(weights=cols["weight"], strata=cols["stratum"], psu=cols["psu"])
    design = design.apply_weighting(rake(design.weights, cols, margins=margins, tol=1e-8))
    return kesu_estimate(cols, design)


# -- svy ----------------------------------------------------------------------------------


def svy_tasks(cols: dict[str, np.ndarray], margins: dict[str, dict[int, float]]) -> Any:
    import polars as pl
    import svy

    df = pl.DataFrame(cols)
    design = svy.Design(stratum="stratum", psu="psu", wgt="weight")

    def domains(sample: Any = None) -> dict[str, np.ndarray]:
        s = sample if sample is not None else svy.Sample(df, design)
        est = s.estimation.prop("literate", by="group", ci_method="logit")
        tab = est.to_polars() if hasattr(est, "to_polars") else None
        return {"estimate": est, "table": tab}

    def raking() -> np.ndarray:
        s = svy.Sample(df, design).weighting.rake(controls=margins, tol=1e-8)
        return s.data["rk_wgt"].to_numpy()

    def raked_domains() -> dict[str, Any]:
        s = svy.Sample(df, design).weighting.rake(controls=margins, tol=1e-8)
        return domains(s)

    shared = svy.Sample(df, design)
    domains(shared)  # build its cached design once
    return domains, (lambda: domains(shared)), raking, raked_domains, svy.__version__


def svy_rows(result: dict[str, Any]) -> dict[str, np.ndarray] | None:
    """The literate == 1 rows of svy's prop table, by group (None if the API differs)."""
    tab = result["table"]
    if tab is None:
        return None
    cols = set(tab.columns)
    if not {"group", "literate", "est", "se"} <= cols:
        return None
    tab = tab.filter(tab["literate"].cast(str) == "1").sort("group")
    out = {
        "group": tab["group"].to_numpy(),
        "est": tab["est"].to_numpy(),
        "se": tab["se"].to_numpy(),
    }
    if {"lci", "uci"} <= cols:
        out["lo"], out["hi"] = tab["lci"].to_numpy(), tab["uci"].to_numpy()
    return out


# -- R ------------------------------------------------------------------------------------


def run_r(
    cols: dict[str, np.ndarray],
    margins: dict[str, dict[int, float]],
    repeat: int,
    calibrated: bool,
) -> Any:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sample.csv"
        with data.open("w", newline="") as fh:
            w = csv.writer(fh)
            names = list(cols)
            w.writerow(names)
            w.writerows(zip(*[cols[k].tolist() for k in names], strict=True))
        marg = Path(tmp) / "margins.csv"
        with marg.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["variable", "level", "total"])
            for var, table in margins.items():
                for level, total in table.items():
                    w.writerow([var, level, repr(total)])
        proc = subprocess.run(
            [
                rscript,
                str(HERE / "_estimation_r.R"),
                str(data),
                str(marg),
                str(repeat),
                "calibrated" if calibrated else "plain",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        print("R failed:\n" + proc.stderr[-2000:])
        return None
    out: dict[str, Any] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "domain_groups":
            out["group"] = np.array(parts[1:])
        elif parts:
            out[parts[0]] = np.array([float(x) for x in parts[1:]])
    return out


def ratio(a: float | None, b: float) -> str:
    return "-" if a is None else f"{a / b:6.1f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--strata", type=int, default=31)
    ap.add_argument("--psu", type=int, default=1_500)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--r-repeat", type=int, default=3)
    ap.add_argument("--no-svy", action="store_true")
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument(
        "--no-r-calibrated",
        action="store_true",
        help="skip R's svyby(svyciprop) on the raked design (about 30 s)",
    )
    args = ap.parse_args()

    cols, margins = make_sample(args.n, args.strata, args.psu)
    n_psu = len(np.unique(cols["psu"]))
    print(
        f"sample: {args.n:,} respondents, {args.strata} strata, {n_psu:,} PSUs, 5 groups; "
        f"raking margins sex(2) x agegrp(5) x edu(4)"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )

    design = SurveyDesign(weights=cols["weight"], strata=cols["stratum"], psu=cols["psu"])
    tasks: dict[str, Callable[[], Any]] = {
        "kesu_domains": lambda: kesu_domains(cols),
        "kesu_estimate_only": lambda: kesu_estimate(cols, design),
        "kesu_rake": lambda: kesu_rake(cols, margins),
        "kesu_raked_domains": lambda: kesu_raked_domains(cols, margins),
    }
    svy_version = None
    if not args.no_svy:
        try:
            svy_dom, svy_dom_cached, svy_rk, svy_raked, svy_version = svy_tasks(cols, margins)
            tasks.update(
                {
                    "svy_domains": svy_dom,
                    "svy_estimate_only": svy_dom_cached,
                    "svy_rake": svy_rk,
                    "svy_raked_domains": svy_raked,
                }
            )
        except ImportError:
            print("svy is not installed (pip install svy into .venv): skipped")
    timed = interleaved(tasks, args.repeat)
    r = None if args.no_r else run_r(cols, margins, args.r_repeat, not args.no_r_calibrated)

    def t(name: str) -> float | None:
        return timed[name][0] if name in timed else None

    rt_dom = float(r["domain_seconds"][0]) if r else None
    rt_rake = float(r["rake_seconds"][0]) if r else None
    rt_raked = float(r["raked_domain_seconds"][0]) if r and "raked_domain_seconds" in r else None
    rows = [
        ("domain rates, design built", t("kesu_domains"), t("svy_domains"), rt_dom),
        ("domain rates, design reused", t("kesu_estimate_only"), t("svy_estimate_only"), None),
        ("raking to 3 margins", t("kesu_rake"), t("svy_rake"), rt_rake),
        ("rake + domain rates", t("kesu_raked_domains"), t("svy_raked_domains"), rt_raked),
    ]
    label = f"svy {svy_version}" if svy_version else "svy"
    print()
    head = f"{'task (best of runs, seconds)':<30}{'kesu':>9}{label:>14}{'R survey':>10}"
    print(head + f"{'svy/kesu':>10}{'R/kesu':>9}")
    for name, k, s, rr in rows:
        assert k is not None
        fs = "-" if s is None else f"{s:.4f}"
        fr = "-" if rr is None else f"{rr:.3f}"
        print(f"{name:<30}{k:>9.4f}{fs:>14}{fr:>10}{ratio(s, k):>10}{ratio(rr, k):>9}")

    # -- agreement between the tools --------------------------------------------------
    ours = timed["kesu_domains"][1]
    print()
    rates = zip(ours["group"], ours["est"], ours["se"], strict=True)
    print("kesu domain rates (se):", ", ".join(f"{g} {e:.4f} ({s:.4f})" for g, e, s in rates))
    if "svy_domains" in timed:
        theirs = svy_rows(timed["svy_domains"][1])
        if theirs is not None and list(theirs["group"]) == list(ours["group"]):
            print(
                "svy vs kesu: max |diff| estimate "
                f"{np.max(np.abs(theirs['est'] - ours['est'])):.2e}, "
                f"se {np.max(np.abs(theirs['se'] - ours['se'])):.2e}"
                + (
                    f", logit CI {np.max(np.abs(theirs['lo'] - ours['lo'])):.2e}"
                    if "lo" in theirs
                    else ""
                )
            )
        theirs_raked = svy_rows(timed["svy_raked_domains"][1])
        raked = timed["kesu_raked_domains"][1]
        if theirs_raked is not None:
            print(
                "svy vs kesu after raking: max |diff| estimate "
                f"{np.max(np.abs(theirs_raked['est'] - raked['est'])):.2e}, "
                f"se {np.max(np.abs(theirs_raked['se'] - raked['se'])):.2e} "
                f"(largest se ratio svy/kesu {np.max(theirs_raked['se'] / raked['se']):.4f})"
            )
        w_svy = timed["svy_rake"][1]
        w_ours = timed["kesu_rake"][1]
        print(
            f"svy vs kesu raked weights: max relative diff {np.max(np.abs(w_svy / w_ours - 1)):.2e}"
        )
    if r:
        order = np.argsort(r["group"])
        print(
            "R vs kesu: max |diff| estimate "
            f"{np.max(np.abs(r['domain_est'][order] - ours['est'])):.2e}, "
            f"se {np.max(np.abs(r['domain_se'][order] - ours['se'])):.2e}, "
            f"logit CI {np.max(np.abs(r['domain_lo'][order] - ours['lo'])):.2e}"
        )
        w = timed["kesu_rake"][1]
        ref = r["rake_weights"]
        ours_w = np.array([w.sum(), (w**2).sum(), w.min(), w.max()])
        gap = np.max(np.abs(ours_w / ref - 1))
        print(f"R vs kesu raked weights (sum, sum^2, min, max): max relative diff {gap:.2e}")
        if "raked_domain_se" in r:
            raked = timed["kesu_raked_domains"][1]
            # R's rake() projects on one margin at a time (10 sweeps); kesu uses the
            # joint regression of calibrate(calfun="raking"), so SEs differ slightly
            print(
                "R rake() vs kesu after raking: max |diff| estimate "
                f"{np.max(np.abs(r['raked_domain_est'][order] - raked['est'])):.2e}, "
                f"se {np.max(np.abs(r['raked_domain_se'][order] - raked['se'])):.2e}"
            )


if __name__ == "__main__":
    main()
