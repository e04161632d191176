"""Run every kesu benchmark in turn (``make bench``); each prints its own side-by-side ratios.

Usage: ``.venv/bin/python bench/run_all.py [--quick] [--only NAME ...]``

Benchmarks are not tests: they time kesu beside its peers (svy, R's survey, girth,
mirt, samplics, bare Flask) in one run on this machine. Run them on a quiet machine;
``--quick`` uses the small sizes each script offers, for a smoke run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

#: name -> (script, arguments for a full run, arguments for a quick run)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "scoring": ("bench_scoring.py", [], ["--n", "100000"]),
    "estimation": ("bench_estimation.py", [], ["--n", "30000", "--repeat", "3"]),
    "glm": ("bench_glm.py", [], ["--n", "30000", "--repeat", "1"]),
    "job": ("bench_job.py", ["--readers"], ["--n", "30000", "--repeat", "2"]),
    "irt": ("bench_irt.py", [], ["--quick"]),
    "sae": ("compare_sae.py", [], ["--reps", "20"]),
    "report": ("bench_report.py", [], ["--n", "20000", "--repeat", "1"]),
    "survey": ("bench_survey_load.py", [], ["--respondents", "50", "--db", "sqlite"]),
    "export": ("bench_export.py", [], ["--n", "20000"]),
    "youth": ("bench_youth_coverage.py", [], ["--quick"]),
    "qr": ("bench_qr_sheet.py", [], ["--n", "500", "--capi", "100", "--peer-n", "20"]),
    "dashboard": ("bench_dashboard.py", [], ["--psus", "28", "--repeat", "1"]),  # 14 towns x 2
    "page": ("bench_page_cost.py", [], ["--n", "300", "--posts", "20", "--db", "sqlite"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), default=None)
    args = parser.parse_args()
    failed = []
    for name, (script, full, quick) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        path = HERE / script
        if not path.exists():
            print(f"== {name}: {script} is missing, skipped", flush=True)
            continue
        command = [sys.executable, str(path), *(quick if args.quick else full)]
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command)
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
