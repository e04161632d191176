"""Benchmark: survey-weighted logistic regression on 300,000 respondents with 10 terms.

Run: ``.venv/bin/python bench/bench_glm.py [--n 300000] [--repeat 3] [--no-svy] [--no-r]``

The synthetic national-scale sample of bench/_estimation_data.py (31 strata, ~1,500
PSUs) plus six numeric covariates; the model

    literate ~ C(sex) + C(agegrp) + C(edu) + C(group) + urban + hhsize + log_income
               + internet + reading + tv                       (10 terms, 19 coefficients)

is fitted with Taylor (linearisation) variance, in ONE run, by

* kesu: ``svy_glm(..., family="binomial")`` (statsmodels formula, patsy model matrix);
* svy (PyPI, Rust core; in the ``bench`` extra): ``Sample(...).glm.fit(family="binomial")``
  — svy has a design-based GLM, so it is the peer;
* R's survey package through ``Rscript`` (if available): ``svyglm(..., family =
  quasibinomial)``, timed inside R (``system.time``), and also as a whole process.

Each Python timing is the best of ``--repeat`` wall-clock runs from columns in memory to
coefficients and SEs (the design is built inside the timed call); kesu and svy runs are
interleaved so load on the machine hits both alike. Whole-process figures: ``kesu
estimate`` on a job file with the same model (what a statistician waits for, from the
CSV), and ``Rscript`` reading the same CSV. Coefficients and SEs of the tools are
compared (largest relative differences printed). The machine may be shared with other
work: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import csv
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

FORMULA = (
    "literate ~ C(sex) + C(agegrp) + C(edu) + C(group) + urban + hhsize + log_income"
    " + internet + reading + tv"
)
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


def best_of(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, Any]]:
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


def svy_fit_fn(cols: dict[str, np.ndarray]) -> tuple[Callable[[], Any], str]:
    import polars as pl
    import svy

    df = pl.DataFrame({k: v for k, v in cols.items()})
    design = svy.Design(stratum="stratum", psu="psu", wgt="weight")
    x = [svy.Cat("sex"), svy.Cat("agegrp"), svy.Cat("edu"), svy.Cat("group"), *NUMERIC]

    def fit() -> Any:
        s = svy.Sample(df, design)
        return s.glm.fit(y="literate", x=x, family="binomial").fitted

    return fit, svy.__version__


def svy_coefs(fitted: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    coefs = list(fitted.coefs)
    est = np.array([c.est for c in coefs])
    return [c.term for c in coefs], est, np.array([c.se for c in coefs])


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-svy", action="store_true")
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    cols = make_columns(args.n)
    print(f"n = {args.n:,}, model: {FORMULA}")
    print(f"machine: {os.cpu_count()} cores (possibly shared with other work)")
    fns: dict[str, Callable[[], Any]] = {"kesu": lambda: kesu_fit(cols)}
    svy_version = None
    if not args.no_svy:
        try:
            fit, svy_version = svy_fit_fn(cols)
            fit()  # warm-up (imports, Rust init)
            fns["svy"] = fit
        except ImportError:
            print("svy is not installed (pip install -e '.[bench]'): skipped")
    results = best_of(fns, args.repeat)
    k_time, (names, beta, se) = results["kesu"]
    print(f"\nin-process, best of {args.repeat} (design + fit + Taylor variance):")
    print(f"  kesu {k_time:8.3f} s")
    if "svy" in results:
        s_time, fitted = results["svy"]
        print(f"  svy  {s_time:8.3f} s   (svy {svy_version})   svy/kesu = {s_time / k_time:.2f}x")
        _, s_beta, s_se = svy_coefs(fitted)
        if s_beta.shape == beta.shape:
            print(f"  max rel. diff vs svy: coef {_rel(beta, s_beta):.2e}, SE {_rel(se, s_se):.2e}")
        else:
            print(f"  svy returned {s_beta.shape[0]} coefficients, kesu {beta.shape[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        data, job = write_inputs(cols, Path(tmp))
        kesu_bin = Path(sys.executable).with_name("kesu")
        t0 = time.perf_counter()
        out = subprocess.run(
            [str(kesu_bin), "estimate", str(job), "--json"], capture_output=True, text=True
        )
        k_whole = time.perf_counter() - t0
        status = "ok" if out.returncode == 0 else f"failed: {out.stderr[-300:]}"
        print(f"\nwhole process from the CSV: kesu estimate {k_whole:.2f} s ({status})")
        if not args.no_r and shutil.which("Rscript"):
            script = Path(tmp) / "glm.R"
            script.write_text(R_SCRIPT, encoding="utf-8")
            t0 = time.perf_counter()
            r = subprocess.run(["Rscript", str(script), str(data)], capture_output=True, text=True)
            r_whole = time.perf_counter() - t0
            lines = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln}
            if "RTIME" in lines:
                r_fit = float(lines["RTIME"][0])
                r_beta = np.array([float(v) for v in lines["RCOEF"]])
                r_se = np.array([float(v) for v in lines["RSE"]])
                ratio = r_whole / k_whole
                print(f"  R svyglm whole process {r_whole:.2f} s; R/kesu = {ratio:.2f}x")
                print(f"  R svyglm in R (design + fit) {r_fit:.2f} s; R/kesu in-process = "
                      f"{r_fit / k_time:.2f}x")  # fmt: skip
                print(f"  max rel. diff vs R: coef {_rel(beta, r_beta):.2e}, "
                      f"SE {_rel(se, r_se):.2e}")  # fmt: skip
            else:
                print(f"  R failed: {r.stderr[-300:]}")
    return 0


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


if __name__ == "__main__":
    raise SystemExit(main())
