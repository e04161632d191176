"""Monte Carlo: 95% logit intervals of group literacy rates cover the truth about 95% of the time.

A synthetic population (6 strata x 40 villages, 60-140 adults per village, five key
groups with different literacy rates and village effects) is sampled many times by a
stratified two-stage design (6 villages per stratum, 15 adults per village, both
stages without replacement). The group rates of the finite population are the truth.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from scipy.special import logit

from sampling.design import SurveyDesign
from sampling.estimation import svy_proportion

GROUP_RATES = np.array([0.08, 0.15, 0.25, 0.35, 0.50])
N_STRATA, VILLAGES, SAMPLE_VILLAGES, SAMPLE_ADULTS = 6, 40, 6, 15


def make_population(rng: np.random.Generator) -> dict[str, np.ndarray]:
    sizes = rng.integers(60, 141, size=(N_STRATA, VILLAGES))
    rows = int(sizes.sum())
    stratum = np.repeat(np.repeat(np.arange(N_STRATA), VILLAGES), sizes.ravel())
    village = np.repeat(np.arange(N_STRATA * VILLAGES), sizes.ravel())
    group = rng.integers(0, 5, rows)
    effect = rng.normal(0.0, 0.5, N_STRATA * VILLAGES)[village]
    literate = rng.random(rows) < expit(logit(GROUP_RATES[group]) + effect)
    return {
        "stratum": stratum,
        "village": village,
        "group": group,
        "literate": literate.astype(float),
        "village_size": sizes.ravel()[village],
    }


def draw_sample(pop: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    starts = np.r_[0, np.cumsum(np.bincount(pop["village"]))]
    rows = []
    for h in range(N_STRATA):
        for v in rng.choice(VILLAGES, SAMPLE_VILLAGES, replace=False) + h * VILLAGES:
            members = np.arange(starts[v], starts[v + 1])
            rows.append(rng.choice(members, SAMPLE_ADULTS, replace=False))
    return np.concatenate(rows)


def test_logit_intervals_cover_the_group_rates(rng):
    pop = make_population(rng)
    truth = np.array([pop["literate"][pop["group"] == g].mean() for g in range(5)])
    covered = []
    for _ in range(300):
        s = draw_sample(pop, rng)
        size = pop["village_size"][s]
        design = SurveyDesign(
            weights=(VILLAGES / SAMPLE_VILLAGES) * size / SAMPLE_ADULTS,
            strata=pop["stratum"][s],
            psu=[pop["village"][s], s],
            fpc=[np.full(s.size, VILLAGES), size],
        )
        est = svy_proportion(pop["literate"][s], design, by={"group": pop["group"][s]})
        assert [d["group"] for d in est.domains] == ["0", "1", "2", "3", "4"]
        low, high = est.confint()
        covered.append((low <= truth) & (truth <= high))
    coverage = np.mean(covered)
    per_group = np.mean(covered, axis=0)
    # 1,500 intervals: a binomial SE of about 0.6 percentage points
    assert 0.93 <= coverage <= 0.97, coverage
    assert np.all(per_group >= 0.90), per_group
