"""Compare kesu's Fay-Herriot EBLUP with samplics' (and R sae's stored output) on the same data.

Run: ``.venv/bin/python bench/compare_sae.py [--reps 200]``  (needs ``pip install samplics``,
listed in the ``bench`` extra).

Prints, in one run:
  * the milk data (R sae's ``milk``, 43 areas): sigma_u^2, EBLUPs and MSEs by REML and ML
    from kesu and samplics, each as the largest absolute difference from R sae's values
    (tests/sampling/r/fay_herriot.Rout);
  * the 14-town data set whose REML estimate of sigma_u^2 is 0 (how each handles it);
  * fit + predict time for ``--reps`` simulated 14-town data sets, kesu vs samplics, and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import logging
import platform
import re
import time
import warnings
from pathlib import Path

import numpy as np

from sampling.sae import fay_herriot

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "sampling" / "data"
ROUT = ROOT / "tests" / "sampling" / "r" / "fay_herriot.Rout"


def read_rout() -> dict[str, dict[str, np.ndarray]]:
    """Blocks '== name METHOD' of the R output, each key -> values."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for block in re.split(r"^== ", ROUT.read_text(), flags=re.M)[1:]:
        lines = block.strip().splitlines()
        values = {}
        for line in lines[1:]:
            key, rest = line.split(" ", 1)
            values[key] = np.array([float(v) for v in rest.split(",")])
        out[lines[0].strip()] = values
    return out


def milk() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    with (DATA / "sae_milk.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r["yi"]) for r in rows])
    sd = np.array([float(r["SD"]) for r in rows])
    major = np.array([int(r["MajorArea"]) for r in rows])
    x = np.column_stack([(major == k).astype(float) for k in (2, 3, 4)])
    return y, sd, x, np.array([int(r["SmallArea"]) for r in rows])


def towns() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    with (DATA / "sae_towns_zero.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r["direct"]) for r in rows])
    sd = np.sqrt([float(r["var"]) for r in rows])
    x = np.array([[float(r["urban"]), float(r["college"])] for r in rows])
    return y, sd, x, np.arange(1, len(rows) + 1)


def samplics_fit(method: str, y, sd, x, area) -> tuple[float, np.ndarray, np.ndarray]:
    from samplics.sae import EblupAreaModel
    from samplics.utils.types import FitMethod

    model = EblupAreaModel(method=FitMethod.reml if method == "reml" else FitMethod.ml)
    model.fit(yhat=y, X=x, area=area, error_std=sd, intercept=True, tol=1e-10, maxiter=200)
    model.predict(X=x, area=area, intercept=True)
    sigma2 = float(np.asarray(model.re_std).ravel()[0]) ** 2
    est = np.array([float(model.area_est[a]) for a in area])
    mse = np.array([float(model.area_mse[a]) for a in area])
    return sigma2, est, mse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import samplics

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"samplics {samplics.__version__}"
    )
    ref = read_rout()
    y, sd, x, area = milk()
    print("\nmilk data, 43 areas: largest |difference| from R sae")
    print(f"{'method':<7}{'tool':<10}{'sigma2_u':>12}{'eblup':>12}{'mse':>12}")
    for method in ("reml", "ml"):
        r = ref[f"milk {method.upper()}"]
        k = fay_herriot(y, sd**2, x, method=method)
        s2, est, mse = samplics_fit(method, y, sd, x, area)
        for tool, (a, e, m) in {
            "kesu": (k.sigma2_u, k.estimate, k.mse),
            "samplics": (s2, est, mse),
        }.items():
            print(
                f"{method:<7}{tool:<10}{abs(a - r['refvar'][0]):>12.2e}"
                f"{np.abs(e - r['eblup']).max():>12.2e}{np.abs(m - r['mse']).max():>12.2e}"
            )

    y, sd, x, area = towns()
    r = ref["towns_zero REML"]
    print("\n14 towns whose REML sigma2_u is 0 (R sae: sigma2_u = 0, EBLUP = synthetic)")
    syn = fay_herriot(y, sd**2, x, zero_variance="synthetic")
    adj = fay_herriot(y, sd**2, x)
    print(
        f"kesu synthetic : sigma2_u {syn.sigma2_u:.3g}, max |eblup - R| "
        f"{np.abs(syn.estimate - r['eblup']).max():.2e}, max |mse - R| "
        f"{np.abs(syn.mse - r['mse']).max():.2e}"
    )
    print(
        f"kesu adjusted  : sigma2_u {adj.sigma2_u:.3g} (Li-Lahiri), "
        f"gamma {adj.gamma.min():.2f}-{adj.gamma.max():.2f}"
    )
    try:
        s2, est, mse = samplics_fit("reml", y, sd, x, area)
        print(
            f"samplics       : sigma2_u {s2:.3g}, "
            f"max |eblup - R| {np.abs(est - r['eblup']).max():.2e}, "
            f"max |mse - R| {np.abs(mse - r['mse']).max():.2e}"
        )
    except Exception as exc:  # report, do not hide, a peer failure
        print(f"samplics       : failed ({type(exc).__name__}: {exc})")

    rng = np.random.default_rng(1)
    m = 14
    xs = rng.uniform(0.2, 0.95, (m, 1))
    var = 0.15 * 0.85 / rng.integers(100, 300, m) * 1.6
    data = [
        0.05 + 0.15 * xs[:, 0] + rng.normal(0, 0.03, m) + rng.normal(0, np.sqrt(var))
        for _ in range(args.reps)
    ]
    areas = np.arange(1, m + 1)
    times = {}
    for tool in ("kesu", "samplics"):
        t0 = time.perf_counter()
        for direct in data:
            if tool == "kesu":
                fay_herriot(direct, var, xs)
            else:
                samplics_fit("reml", direct, np.sqrt(var), xs, areas)
        times[tool] = time.perf_counter() - t0
    print(f"\nfit + predict, {args.reps} simulated 14-town data sets (REML):")
    for tool, t in times.items():
        print(f"  {tool:<9}{t:8.3f} s  ({1e3 * t / args.reps:.2f} ms per fit)")
    print(f"  ratio samplics / kesu: {times['samplics'] / times['kesu']:.1f}x")


if __name__ == "__main__":
    main()
