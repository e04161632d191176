"""Synthetic national-scale literacy sample for bench/bench_estimation.py.

31 strata (provinces), about 1,500 PSUs (48 per stratum), about 200 adults per PSU:
300,000 respondents with a design weight, five key groups with different literacy
rates, PSU random effects (so the design effect is realistic), and three raking
margins (sex 2 levels, age band 5, education 4) whose population totals differ from
the weighted sample on purpose.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

GROUPS = np.array(["youth", "farmer", "worker", "elderly", "cadre"])
GROUP_SHARES = np.array([0.25, 0.30, 0.25, 0.15, 0.05])
GROUP_RATES = np.array([0.25, 0.08, 0.12, 0.04, 0.35])


def make_sample(
    n: int = 300_000, strata: int = 31, psus: int = 1_500, seed: int = 2025
) -> tuple[dict[str, NDArray], dict[str, dict[int, float]]]:
    """Columns of the synthetic sample and the raking margins (population totals)."""
    rng = np.random.default_rng(seed)
    per_stratum = psus // strata
    n_psu = per_stratum * strata
    sizes = rng.integers(150, 251, n_psu).astype(float)
    sizes = np.floor(sizes / sizes.sum() * n).astype(int)
    sizes[: n - sizes.sum()] += 1
    psu = np.repeat(np.arange(n_psu), sizes)
    stratum = psu // per_stratum
    stratum_weight = rng.uniform(200, 2_000, strata)
    weight = stratum_weight[stratum] * rng.uniform(0.7, 1.3, n_psu)[psu] * rng.uniform(0.9, 1.1, n)
    group = rng.choice(5, size=n, p=GROUP_SHARES)
    effect = rng.normal(0, 0.4, n_psu)[psu]
    logit = np.log(GROUP_RATES / (1 - GROUP_RATES))[group] + effect
    literate = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    sex = rng.choice([1, 2], size=n, p=[0.52, 0.48])
    agegrp = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.15, 0.22, 0.25, 0.22, 0.16])
    edu = rng.choice([1, 2, 3, 4], size=n, p=[0.3, 0.35, 0.2, 0.15])
    total = weight.sum()
    margins: dict[str, dict[int, float]] = {}
    for name, values, shares in (
        ("sex", sex, [0.50, 0.50]),
        ("agegrp", agegrp, [0.18, 0.20, 0.22, 0.22, 0.18]),
        ("edu", edu, [0.35, 0.33, 0.19, 0.13]),
    ):
        levels = np.unique(values)
        margins[name] = {int(lv): float(total * s) for lv, s in zip(levels, shares, strict=True)}
    columns = {
        "stratum": stratum,
        "psu": psu,
        "weight": weight,
        "group": GROUPS[group],
        "literate": literate,
        "sex": sex,
        "agegrp": agegrp,
        "edu": edu,
    }
    return columns, margins
