"""Benchmark: a whole ``kesu estimate`` job beside svy's whole process, and ``kesu --help``.

Run: ``.venv/bin/python bench/bench_job.py [--n 300000] [--repeat 5]``

What a statistician waits for, from the shell prompt to the printed table, on a
synthetic national-scale sample (bench/_estimation_data.py: 300,000 respondents,
31 strata, ~1,500 PSUs) saved as a CSV file:

* **kesu**: ``kesu estimate job.yaml`` — read the CSV (kesu.tables, pyarrow), build
  the stratified cluster design, rake to sex x age band x education, estimate the
  literacy rate of 5 groups with logit intervals (design df), print the table;
* **svy** (PyPI, Rust core; in the ``bench`` extra): a Python process that reads the
  same CSV with polars (svy's own data frame library), builds ``svy.Design``, rakes
  with ``weighting.rake`` and runs ``estimation.prop(by="group", ci_method="logit")``.

Both are separate processes (interpreter start and imports included), run in turn
``--repeat`` times so that load on the machine hits both alike; the best time of
each is compared and the ratio printed (goal: kesu at most half of svy). The two
tools' rates and standard errors are compared too. ``kesu --help`` and
``kesu estimate --help`` are timed the same way (goal: under 0.5 s).

``--readers`` also times reading the same CSV into text columns with the candidate
libraries of the table layer (pyarrow, which kesu uses; polars; the stdlib ``csv``
module, which kesu used before), each in a fresh process: import and read times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from _estimation_data import make_sample  # noqa: E402

KESU = str(Path(sys.executable).parent / "kesu")

SVY_JOB = r"""
import json, sys
import polars as pl
import svy

data, margins_file = sys.argv[1], sys.argv[2]
margins = {k: {int(a): b for a, b in v.items()} for k, v in json.load(open(margins_file)).items()}
df = pl.read_csv(data)
design = svy.Design(stratum="stratum", psu="psu", wgt="weight")
sample = svy.Sample(df, design).weighting.rake(controls=margins, tol=1e-8)
est = sample.estimation.prop("literate", by="group", ci_method="logit")
print(est)
tab = est.to_polars()
tab = tab.filter(tab["literate"].cast(str) == "1").sort("group")
print(json.dumps({"group": tab["group"].to_list(), "est": tab["est"].to_list(),
                  "se": tab["se"].to_list()}))
"""


def write_inputs(folder: Path, n: int) -> tuple[Path, Path, Path]:
    cols, margins = make_sample(n)
    data = folder / "sample.csv"
    names = list(cols)
    text = [",".join(names)]
    columns = [
        [repr(float(x)) for x in cols[k].tolist()]
        if k == "weight"
        else cols[k].astype(str).tolist()
        for k in names
    ]
    text += [",".join(row) for row in zip(*columns, strict=True)]
    data.write_text("\n".join(text) + "\n", encoding="utf-8")
    margins_file = folder / "margins.json"
    margins_file.write_text(json.dumps(margins))
    lines = [
        "data: sample.csv",
        "design: {weights: weight, strata: stratum, psu: psu}",
        "calibration:",
        "  method: raking",
        "  tolerance: 1e-8",
        "  margins:",
    ]
    for var, levels in margins.items():
        inner = ", ".join(f"{k}: {v!r}" for k, v in levels.items())
        lines.append(f"    {var}: {{{inner}}}")
    lines += ["estimates:", "  - {mean: literate, by: group, ci: logit}"]
    job = folder / "job.yaml"
    job.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data, margins_file, job


READERS = {
    "pyarrow.csv (kesu.tables)": (
        "import pyarrow as pa, pyarrow.csv as c",
        "names = open(path).readline().strip().split(',')\n"
        "c.read_csv(path, convert_options=c.ConvertOptions("
        "column_types=dict.fromkeys(names, pa.string())), "
        "parse_options=c.ParseOptions(newlines_in_values=True))",
    ),
    "polars": ("import polars as pl", "pl.read_csv(path, infer_schema=False)"),
    "csv (stdlib)": (
        "import csv, numpy as np",
        "rows = list(csv.reader(open(path, newline='')))\n"
        "cols = [np.array(c, dtype=str) for c in zip(*rows[1:])]",
    ),
}
READ_PROBE = """
import time
path = {path!r}
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{read}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def compare_readers(data: Path, repeat: int) -> None:
    """Import and read times of the candidate CSV readers, each in a fresh process."""
    print(f"\n{'reading the CSV into text columns':<34}{'import s':>9}{'read s':>9}")
    for name, (imports, read) in READERS.items():
        code = READ_PROBE.format(path=str(data), imports=imports, read=read)
        best = (float("inf"), float("inf"))
        for _ in range(repeat):
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{name:<34}not available ({proc.stderr.strip().splitlines()[-1]})")
                break
            got = tuple(float(x) for x in proc.stdout.split())
            best = (min(best[0], got[0]), min(best[1], got[1]))
        else:
            print(f"{name:<34}{best[0]:>9.3f}{best[1]:>9.3f}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds (all threads) of a process, and its output."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, _children_cpu() - cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-svy", action="store_true")
    ap.add_argument("--readers", action="store_true", help="also compare the CSV readers")
    args = ap.parse_args()
    try:
        import svy
    except ImportError:
        svy = None
        print("svy is not installed (make bench installs the bench extra): kesu only")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data, margins, job = write_inputs(folder, args.n)
        size = data.stat().st_size / 1e6
        print(
            f"sample: {args.n:,} respondents, 31 strata, ~1,500 PSUs; CSV {size:.1f} MB; raking "
            "to sex(2) x agegrp(5) x edu(4); literacy rate of 5 groups, logit intervals"
        )
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
            f"Python {platform.python_version()}; best of {args.repeat} runs, wall clock"
        )
        tasks = {
            "kesu --help": [KESU, "--help"],
            "kesu estimate --help": [KESU, "estimate", "--help"],
            "kesu estimate job.yaml": [KESU, "estimate", str(job), "--json"],
        }
        if svy is not None and not args.no_svy:
            tasks["svy: read, rake, prop"] = [
                sys.executable,
                "-c",
                SVY_JOB,
                str(data),
                str(margins),
            ]
        times: dict[str, list[float]] = {k: [] for k in tasks}
        cpus: dict[str, list[float]] = {k: [] for k in tasks}
        out: dict[str, str] = {}
        for _ in range(args.repeat):
            for name, command in tasks.items():
                seconds, cpu, out[name] = run(command, folder)
                times[name].append(seconds)
                cpus[name].append(cpu)
        if args.readers:
            compare_readers(data, args.repeat)
    best = {k: min(v) for k, v in times.items()}
    median = {k: float(np.median(v)) for k, v in times.items()}
    cpu = {k: min(v) for k, v in cpus.items()}
    print()
    print(f"{'whole process':<28}{'best s':>9}{'median s':>10}{'CPU s':>8}")
    for name in times:
        print(f"{name:<28}{best[name]:>9.3f}{median[name]:>10.3f}{cpu[name]:>8.3f}")
    job, peer = "kesu estimate job.yaml", "svy: read, rake, prop"
    if peer in best:
        ratio = best[job] / best[peer]
        verdict = "met" if ratio <= 0.5 else "NOT met"
        print(
            f"\nkesu / svy (whole job): {ratio:.2f}x best wall clock (goal <= 0.5x: {verdict}); "
            f"{median[job] / median[peer]:.2f}x median; {cpu[job] / cpu[peer]:.2f}x CPU time"
        )
        ours = json.loads(out["kesu estimate job.yaml"])["estimates"]
        theirs = json.loads(out["svy: read, rake, prop"].strip().splitlines()[-1])
        rows = sorted(ours, key=lambda r: r["domain"]["group"])
        est = np.array([r["estimate"] for r in rows])
        se = np.array([r["se"] for r in rows])
        print(
            "svy vs kesu: max |diff| rate "
            f"{np.max(np.abs(est - np.array(theirs['est']))):.2e}, se "
            f"{np.max(np.abs(se - np.array(theirs['se']))):.2e} (groups "
            f"{', '.join(theirs['group'])})"
        )
    for name in ("kesu --help", "kesu estimate --help"):
        verdict = "met" if best[name] < 0.5 else "NOT met"
        print(f"{name}: {best[name]:.3f} s (goal < 0.5 s: {verdict})")


if __name__ == "__main__":
    main()
