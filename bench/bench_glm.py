"""Benchmark: survey-weighted logistic regression on 300,000 respondents with 10 terms.

Run: ``.venv/bin/python bench/bench_glm.py [--n 300000] [--repeat 5] [--repeat-process 3]
[--reps 40] [--no-svy] [--no-r]``

The synthetic national-scale sample of bench/_estimation_data.py (31 strata, ~1,500
PSUs) plus six numeric covariates; the model

    literate ~ C(sex) + C(agegrp) + C(edu) + C(group) + urban + hhsize + log_income
               + internet + reading + tv                       (10 terms, 19 coefficients)

is fitted, in ONE run, by

* kesu: ``svy_glm(..., family="binomial")`` (statsmodels formula);
* svy (PyPI, Rust core; in the ``bench`` extra): ``Sample(...).glm.fit(family="binomial")``
  — svy has a design-based GLM, so it is the peer;
* R's survey package through ``Rscript`` (if available): ``svyglm(..., family =
  quasibinomial)``.

Three figures, each with the ratio peer time / kesu time (above 1: kesu is faster):

1. in-process, Taylor variance: from columns in memory to coefficients and SEs (the
   design is built inside the timed call);
2. in-process, replicate variance: ``--reps`` delete-a-group jackknife replicate-weight
   columns (JK1 over random groups of PSUs), every replicate refitted;
3. whole process, from the same CSV: ``kesu estimate`` on a job file with the model (what
   a statistician waits for: start-up, reading, design, fit, Wald test, odds ratios,
   JSON) beside ``python`` running a script that reads the CSV with polars and fits with
   svy, and ``Rscript`` reading it with ``read.csv`` (R: one run, it takes long).

Timings are the best of N wall-clock runs (``--repeat`` in-process, ``--repeat-process``
whole-process), kesu and its peers interleaved so load on the machine hits them alike.
The machine is usually shared with other work: read the ratios, not the absolute
times. Coefficients and SEs of the tools are compared (largest relative differences).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
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
from sampling.glm import svy_glm  # noqa: E402
from sampling.replicates import replicate_design_from_weights  # noqa: E402

FORMULA = (
    "literate ~ C(sex) + C(agegrp) + C(edu) + C(group) + urban + hhsize + log_income"
    " + internet + reading + tv"
)
CATEGORICAL = ("sex", "agegrp", "edu", "group")
NUMERIC = ("urban", "hhsize", "log_income", "internet", "reading", "tv")


def make_columns(n: int) -> dict[str, np.ndarray]:
    cols, _ = make_sample(n=n)
    rng = np.random.default_rng(7)
    psu = cols["psu"]
    n_psu = int(psu.max()) + 1
    cols["urban"] = (rng.random(n_psu) < 0.6).astype(np.int64)[psu]
    cols["hhsize"] = rng.integers(1, 7, n)
    cols["log_income"] = np.round(rng.normal(10.5, 0.6, n), 4)
    cols["internet"] = (rng.random(n) < 0.7).astype(np.int64)
    cols["reading"] = rng.integers(0, 6, n)
    cols["tv"] = (rng.random(n) < 0.8).astype(np.int64)
    # literacy also depends on the covariates, so the coefficients are not all ~0
    eta = -1.0 + 0.4 * cols["internet"] + 0.15 * cols["reading"] + 0.3 * (cols["edu"] - 1)
    lit = rng.random(n) < 1 / (1 + np.exp(-(eta + np.log(0.5 + cols["literate"]))))
    cols["literate"] = lit.astype(np.int64)
    return cols


def jackknife_columns(cols: dict[str, np.ndarray], groups: int) -> np.ndarray:
    """(n, groups) delete-a-group jackknife weights: PSUs in random groups, replicate g
    drops group g and scales the rest by groups / (groups - 1)."""
    psu = cols["psu"]
    n_psu = int(psu.max()) + 1
    group_of_psu = np.random.default_rng(11).permutation(n_psu) % groups
    factors = np.full((n_psu, groups), groups / (groups - 1.0))
    factors[np.arange(n_psu), group_of_psu] = 0.0
    return cols["weight"][:, None] * factors[psu]


def best_of(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, Any]]:
    """Best wall-clock time of each function over ``repeat`` interleaved rounds."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {k: (min(v), results[k]) for k, v in times.items()}


def kesu_fit(cols: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray, np.ndarray]:
    design = SurveyDesign(weights=cols["weight"], strata=cols["stratum"], psu=cols["psu"])
    model = svy_glm(FORMULA, cols, design, family="binomial")
    return list(model.columns), model.params, model.se


def kesu_replicate_fit(
    cols: dict[str, np.ndarray], repw: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    groups = repw.shape[1]
    design = replicate_design_from_weights(cols["weight"], repw, "JK1", scale=(groups - 1) / groups)
    model = svy_glm(FORMULA, cols, design, family="binomial")
    return list(model.columns), model.params, model.se


def svy_fit_fn(cols: dict[str, np.ndarray], repw: np.ndarray | None = None) -> Callable[[], Any]:
    import polars as pl
    import svy

    data = dict(cols)
    rep_wgts = None
    if repw is not None:
        groups = repw.shape[1]
        data.update({f"rw{g + 1}": repw[:, g] for g in range(groups)})
        rep_wgts = svy.JackknifeWgts(
            prefix="rw", n_reps=groups, kind="jk1", scale=(groups - 1) / groups
        )
    df = pl.DataFrame(data)
    if rep_wgts is None:
        design = svy.Design(stratum="stratum", psu="psu", wgt="weight")
    else:
        design = svy.Design(wgt="weight", rep_wgts=rep_wgts)
    x = [*(svy.Cat(c) for c in CATEGORICAL), *NUMERIC]
    method = None if repw is None else "replication"

    def fit() -> Any:
        s = svy.Sample(df, design)
        return s.glm.fit(y="literate", x=x, family="binomial", method=method).fitted

    return fit


def svy_coefs(fitted: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    coefs = list(fitted.coefs)
    est = np.array([c.est for c in coefs])
    return [c.term for c in coefs], est, np.array([c.se for c in coefs])


SVY_SCRIPT = f"""
import json, sys
import polars as pl
import svy

df = pl.read_csv(sys.argv[1])
design = svy.Design(stratum="stratum", psu="psu", wgt="weight")
x = [*(svy.Cat(c) for c in {CATEGORICAL!r}), *{NUMERIC!r}]
fitted = svy.Sample(df, design).glm.fit(y="literate", x=x, family="binomial").fitted
coefs = list(fitted.coefs)
print(json.dumps({{"coef": [c.est for c in coefs], "se": [c.se for c in coefs]}}))
"""

R_SCRIPT = r"""
suppressMessages(library(survey))
d <- read.csv(commandArgs(TRUE)[1])
t <- system.time({
  des <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = d)
  m <- svyglm(literate ~ factor(sex) + factor(agegrp) + factor(edu) + factor(group) + urban +
              hhsize + log_income + internet + reading + tv, des, family = quasibinomial)
})
cat("RTIME", t[["elapsed"]], "\n")
cat("RCOEF", sprintf("%.17g", coef(m)), "\n")
cat("RSE", sprintf("%.17g", SE(m)), "\n")
"""


def write_inputs(cols: dict[str, np.ndarray], folder: Path) -> tuple[Path, Path]:
    data = folder / "glm.csv"
    names = list(cols)
    with data.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        w.writerows(zip(*(cols[k].tolist() for k in names), strict=True))
    job = folder / "glm-job.yaml"
    job.write_text(
        "data: glm.csv\n"
        "design: {weights: weight, strata: stratum, psu: psu}\n"
        "estimates:\n"
        f'  - glm: "{FORMULA}"\n'
        "    family: binomial\n"
        '    tests: ["C(group)"]\n',
        encoding="utf-8",
    )
    return data, job


def run_process(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - t0, out


def whole_process(
    cols: dict[str, np.ndarray], beta: np.ndarray, se: np.ndarray, args: argparse.Namespace
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data, job = write_inputs(cols, Path(tmp))
        kesu = str(Path(sys.executable).with_name("kesu"))
        commands = {"kesu": [kesu, "estimate", str(job), "--json"]}
        if not args.no_svy and _has_svy():
            script = Path(tmp) / "svy_glm.py"
            script.write_text(SVY_SCRIPT, encoding="utf-8")
            commands["svy"] = [sys.executable, str(script), str(data)]
        runs: dict[str, list[float]] = {k: [] for k in commands}
        outputs: dict[str, subprocess.CompletedProcess[str]] = {}
        for _ in range(args.repeat_process):
            for name, command in commands.items():
                seconds, outputs[name] = run_process(command)
                runs[name].append(seconds)
        print(
            f"\nwhole process from the CSV ({data.stat().st_size / 1e6:.0f} MB), "
            f"best of {args.repeat_process}:"
        )
        k_whole = min(runs["kesu"])
        k_out = outputs["kesu"]
        if k_out.returncode != 0:
            print(f"  kesu estimate failed: {k_out.stderr[-300:]}")
            return
        rows = json.loads(k_out.stdout)["estimates"]
        k_beta = np.array([r["estimate"] for r in rows if r["statistic"] == "coef"])
        print(f"  kesu estimate (fit, Wald test, odds ratios, JSON)  {k_whole:6.2f} s")
        print(f"    same coefficients as in-process: {_rel(k_beta, beta):.1e}")
        if "svy" in runs:
            s_whole = min(runs["svy"])
            s_out = outputs["svy"]
            if s_out.returncode == 0:
                got = json.loads(s_out.stdout.strip().splitlines()[-1])
                print(
                    f"  python + polars.read_csv + svy glm fit  {s_whole:14.2f} s   "
                    f"svy/kesu = {s_whole / k_whole:.2f}x"
                )
                _compare("svy", beta, se, got["coef"], got["se"])
            else:
                print(f"  svy script failed: {s_out.stderr[-300:]}")
        if not args.no_r and shutil.which("Rscript"):
            script = Path(tmp) / "glm.R"
            script.write_text(R_SCRIPT, encoding="utf-8")
            r_whole, r = run_process(["Rscript", str(script), str(data)])
            lines = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln}
            if "RTIME" in lines:
                r_fit = float(lines["RTIME"][0])
                r_beta = np.array([float(v) for v in lines["RCOEF"]])
                r_se = np.array([float(v) for v in lines["RSE"]])
                print(
                    f"  Rscript read.csv + svyglm (one run)  {r_whole:17.2f} s   "
                    f"R/kesu = {r_whole / k_whole:.2f}x   (svyglm alone in R: {r_fit:.2f} s)"
                )
                _compare("R", beta, se, r_beta, r_se)
            else:
                print(f"  R failed: {r.stderr[-300:]}")


def _has_svy() -> bool:
    try:
        import svy  # noqa: F401
    except ImportError:
        print("svy is not installed (pip install -e '.[bench]'): skipped")
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5, help="in-process runs (best of)")
    parser.add_argument("--repeat-process", type=int, default=3, help="whole-process runs")
    parser.add_argument("--reps", type=int, default=40, help="replicates (0: skip)")
    parser.add_argument("--no-svy", action="store_true")
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    cols = make_columns(args.n)
    print(f"n = {args.n:,}, model: {FORMULA}")
    print(f"machine: {os.cpu_count()} cores, shared with other work: read the ratios")
    use_svy = not args.no_svy and _has_svy()
    if use_svy:
        import svy

        print(f"svy {svy.__version__}")

    fns: dict[str, Callable[[], Any]] = {"kesu": lambda: kesu_fit(cols)}
    if use_svy:
        fns["svy"] = svy_fit_fn(cols)
        fns["svy"]()  # warm-up (imports, Rust init)
    kesu_fit(cols)  # warm-up (imports)
    results = best_of(fns, args.repeat)
    k_time, (names, beta, se) = results["kesu"]
    print(f"\nin-process, Taylor variance, best of {args.repeat} (design + fit + variance):")
    print(f"  kesu {k_time:8.3f} s")
    if "svy" in results:
        s_time, fitted = results["svy"]
        print(f"  svy  {s_time:8.3f} s   svy/kesu = {s_time / k_time:.2f}x")
        _compare("svy", beta, se, *svy_coefs(fitted)[1:])

    if args.reps:
        repw = jackknife_columns(cols, args.reps)
        fns = {"kesu": lambda: kesu_replicate_fit(cols, repw)}
        if use_svy:
            fns["svy"] = svy_fit_fn(cols, repw)
        repeat = max(1, args.repeat // 2)
        results = best_of(fns, repeat)
        k_rep, (_, r_beta, r_se) = results["kesu"]
        print(
            f"\nin-process, replicate variance ({args.reps} JK1 replicates, each refitted "
            f"from the full-sample coefficients), best of {repeat}:"
        )
        print(f"  kesu {k_rep:8.3f} s   ({k_rep / (args.reps + 1) * 1e3:.0f} ms per fit)")
        if "svy" in results:
            s_rep, fitted = results["svy"]
            print(f"  svy  {s_rep:8.3f} s   svy/kesu = {s_rep / k_rep:.2f}x")
            _compare("svy", r_beta, r_se, *svy_coefs(fitted)[1:])

    whole_process(cols, beta, se, args)
    return 0


def _compare(peer: str, beta: np.ndarray, se: np.ndarray, p_beta: Any, p_se: Any) -> None:
    p_beta, p_se = np.asarray(p_beta), np.asarray(p_se)
    if p_beta.shape != beta.shape:
        print(f"  {peer} returned {p_beta.shape[0]} coefficients, kesu {beta.shape[0]}")
        return
    print(f"  max rel. diff vs {peer}: coef {_rel(beta, p_beta):.1e}, SE {_rel(se, p_se):.1e}")


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


if __name__ == "__main__":
    raise SystemExit(main())
