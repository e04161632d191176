"""Classical item analysis (scoring/items.py) against independent formulas.

References: a direct covariance-matrix computation (numpy), Hoyt's two-way ANOVA form of
alpha (statsmodels OLS + anova_lm), scipy's point-biserial correlation, statsmodels'
weighted correlation, and the frequency-weight construction (an integer weight equals
the row repeated that many times).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.weightstats import DescrStatsW

from questionnaires import load_questionnaire
from questionnaires.model import Questionnaire
from scoring import ScoringError
from scoring import WeightsError
from scoring import encode_responses
from scoring.items import FlagThresholds
from scoring.items import ItemFlag
from scoring.items import analyze_items
from scoring.items import analyze_responses
from scoring.items import group_membership


def _simulate(rng: np.random.Generator, n: int = 400, k: int = 10) -> np.ndarray:
    """Right/wrong answers from a 2PL model: known structure, realistic correlations."""
    theta = rng.normal(size=n)
    a = rng.uniform(0.5, 2.0, size=k)
    b = rng.normal(scale=1.0, size=k)
    p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    return (rng.random((n, k)) < p).astype(np.float64)


def _alpha_cov(x: np.ndarray) -> float:
    """Cronbach (1951) from the sample covariance matrix: the total's variance is its sum."""
    cov = np.cov(x, rowvar=False, ddof=1)
    k = x.shape[1]
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


def _alpha_hoyt(x: np.ndarray) -> float:
    """Hoyt (1941): alpha = 1 - MS(residual) / MS(persons) in a persons x items ANOVA."""
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    n, k = x.shape
    long = pd.DataFrame(
        {
            "y": x.ravel(),
            "person": np.repeat(np.arange(n), k).astype(str),
            "item": np.tile(np.arange(k), n).astype(str),
        }
    )
    table = anova_lm(smf.ols("y ~ C(person) + C(item)", data=long).fit())
    ms = table["sum_sq"] / table["df"]
    return float(1 - ms["Residual"] / ms["C(person)"])


def test_tiny_case_by_hand() -> None:
    x = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    a = analyze_items(x)
    # p = .75 .5 .25; sum pq = .625; totals 3 2 1 0 have variance 1.25
    assert a.difficulty.tolist() == [0.75, 0.5, 0.25]
    assert a.alpha == pytest.approx(1.5 * (1 - 0.625 / 1.25))
    assert a.kr20 == pytest.approx(0.75)
    assert a.sem == pytest.approx(np.sqrt(1.25) * np.sqrt(0.25))
    assert a.mean_total == 1.5
    # upper 27% of 4 = 1.08 people: all of total 3 and 0.08 of total 2
    d1 = (1 + 0.08) / 1.08 - (0 + 0.08) / 1.08
    assert a.discrimination[0] == pytest.approx(d1)
    assert a.discrimination[1] == pytest.approx(1.0)


def test_alpha_matches_covariance_and_anova_forms(rng: np.random.Generator) -> None:
    x = _simulate(rng, n=80, k=8)
    a = analyze_items(x)
    assert a.alpha == pytest.approx(_alpha_cov(x), rel=1e-12)
    assert a.alpha == pytest.approx(_alpha_hoyt(x), rel=1e-9)
    # KR-20 written out with p q and the population variance of the number right
    p = x.mean(axis=0)
    kr20 = 8 / 7 * (1 - (p * (1 - p)).sum() / x.sum(axis=1).var())
    assert a.kr20 == pytest.approx(kr20, rel=1e-12)
    assert a.sem == pytest.approx(x.sum(axis=1).std() * np.sqrt(1 - _alpha_cov(x)), rel=1e-12)


def test_point_biserials_and_alpha_if_deleted(rng: np.random.Generator) -> None:
    x = _simulate(rng)
    a = analyze_items(x)
    total = x.sum(axis=1)
    for j in range(x.shape[1]):
        r = stats.pointbiserialr(x[:, j], total - x[:, j]).statistic
        assert a.pbis[j] == pytest.approx(r, rel=1e-10)
        assert a.alpha_if_deleted[j] == pytest.approx(_alpha_cov(np.delete(x, j, 1)), rel=1e-10)


def test_partial_credit_points_use_alpha_not_kr20(rng: np.random.Generator) -> None:
    x = _simulate(rng, n=200, k=6) * 2.0
    x[:, 0] = rng.integers(0, 3, size=200)  # an item with 0, 1 or 2 points
    a = analyze_items(x, max_points=[2.0] * 6)
    assert a.kr20 is None
    with_right = analyze_items(x, max_points=[2.0] * 6, right=x == 2)
    r = (x == 2).astype(float)
    p = r.mean(axis=0)
    assert with_right.kr20 == pytest.approx(1.2 * (1 - (p * (1 - p)).sum() / r.sum(1).var()))
    assert a.alpha == pytest.approx(_alpha_cov(x), rel=1e-12)
    assert a.difficulty[0] == pytest.approx(x[:, 0].mean() / 2)


def test_integer_weights_equal_repeated_rows(rng: np.random.Generator) -> None:
    x = _simulate(rng, n=120, k=7)
    w = rng.integers(0, 5, size=120)
    weighted = analyze_items(x, weights=w.astype(float))
    repeated = analyze_items(np.repeat(x, w, axis=0))
    for name in ("difficulty", "pbis", "discrimination", "alpha_if_deleted"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-10)
    for name in ("alpha", "kr20", "sem", "mean_total", "sd_total"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-10)
    assert weighted.weighted and not repeated.weighted
    assert weighted.weight_sum == w.sum() == repeated.n


def test_weighted_point_biserial_matches_statsmodels(rng: np.random.Generator) -> None:
    x = _simulate(rng, n=300, k=6)
    w = rng.gamma(2.0, 50.0, size=300)
    a = analyze_items(x, weights=w)
    total = x.sum(axis=1)
    for j in range(6):
        corr = DescrStatsW(np.column_stack([x[:, j], total - x[:, j]]), weights=w).corrcoef
        assert a.pbis[j] == pytest.approx(corr[0, 1], rel=1e-10)
    cov = DescrStatsW(x, weights=w).cov
    assert a.alpha == pytest.approx(6 / 5 * (1 - np.trace(cov) / cov.sum()), rel=1e-10)


def test_discrimination_index_matches_the_classic_groups(rng: np.random.Generator) -> None:
    # 100 people; the top 27 have totals 4-5, the middle 46 totals 2-3, the bottom 27 0-1,
    # so the 27% groups are the same whatever the tie rule
    k = 5
    rows = []
    for size, choices in ((27, (4, 5)), (46, (2, 3)), (27, (0, 1))):
        for _ in range(size):
            right = rng.choice(k, size=rng.choice(choices), replace=False)
            row = np.zeros(k)
            row[right] = 1
            rows.append(row)
    x = np.array(rows)
    x = x[rng.permutation(100)]
    total = x.sum(axis=1)
    order = np.argsort(-total, kind="stable")
    classic = x[order[:27]].mean(axis=0) - x[order[-27:]].mean(axis=0)
    np.testing.assert_allclose(analyze_items(x).discrimination, classic, rtol=1e-12)


def test_group_membership_shares_ties() -> None:
    total = np.array([5.0, 3.0, 3.0, 3.0, 1.0])
    w = np.array([1.0, 1.0, 2.0, 1.0, 1.0])
    up = group_membership(total, w, 0.5, upper=True)  # 3 of weight 6: 1 at 5, 2 of 4 at 3
    np.testing.assert_allclose(up, [1.0, 0.5, 0.5, 0.5, 0.0])
    assert float(w @ up) == pytest.approx(3.0)
    lo = group_membership(total, w, 0.27, upper=False)  # 1.62: 1 at 1, 0.62 of 4 at 3
    np.testing.assert_allclose(lo, [0.0, 0.155, 0.155, 0.155, 1.0])


def test_flags_and_thresholds(rng: np.random.Generator) -> None:
    x = _simulate(rng, n=400, k=6)
    x[:, 0] = 1.0  # everyone right: too easy, no discrimination (undefined correlation)
    x[:, 1] = 0.0
    x[:5, 1] = 1.0  # 5 of 400 right: too hard
    x[:, 2] = rng.integers(0, 2, size=400)  # noise: does not discriminate
    a = analyze_items(x, item_ids=[f"Q{j}" for j in range(6)])
    assert np.isnan(a.pbis[0]) and np.isnan(a.alpha_if_deleted).sum() == 0
    assert a.flags[0] == (ItemFlag.TOO_EASY, ItemFlag.NOT_DISCRIMINATING)
    assert ItemFlag.TOO_HARD in a.flags[1]
    assert a.flags[2] == (ItemFlag.NOT_DISCRIMINATING,)
    assert set(a.flagged()) >= {"Q0", "Q1", "Q2"}
    assert all(not a.flags[j] for j in range(3, 6) if 0.1 <= a.difficulty[j] <= 0.95
               and a.pbis[j] >= 0.15)  # fmt: skip
    loose = analyze_items(x, thresholds=FlagThresholds(too_hard=0.0, min_pbis=-1.0))
    assert ItemFlag.TOO_HARD not in loose.flags[1]
    assert loose.flags[2] == ()
    with pytest.raises(ScoringError, match="group_share"):
        FlagThresholds(group_share=0.6)


def test_bad_input_is_rejected() -> None:
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(WeightsError, match="one weight per respondent"):
        analyze_items(x, weights=[1.0])
    with pytest.raises(WeightsError, match="row 1"):
        analyze_items(x, weights=[1.0, float("nan")])
    with pytest.raises(WeightsError, match="sum to 0"):
        analyze_items(x, weights=[0.0, 0.0])
    with pytest.raises(ScoringError, match="at least 2 items"):
        analyze_items(x[:, :1])
    with pytest.raises(ScoringError, match="within 0..max_points"):
        analyze_items(x * 3)


@pytest.fixture
def q(features_path: Path) -> Questionnaire:
    return load_questionnaire(features_path)


def test_option_frequencies_by_hand(q: Questionnaire) -> None:
    answers = [
        {"K1": "T", "K2": "C", "M1": ["A", "B"], "S1": "F", "P1": "A"},  # total 10
        {"K1": "T", "K2": "C", "M1": ["A"], "S1": "F", "P1": "B"},  # 7
        {"K1": "DK", "K2": "A", "M1": ["A", "C"], "S1": "T"},  # 0
        {"K1": "F", "K2": "DK", "S1": "F", "P1": "A"},  # 4
    ]
    a = analyze_responses(q, answers)
    k2 = {o.code: o for o in a.options if o.item_id == "K2"}
    assert [c for c in k2] == ["A", "B", "C", "DK", "(none)"]
    assert [k2[c].share for c in k2] == [0.25, 0.0, 0.5, 0.25, 0.0]
    assert k2["C"].key and not k2["A"].key
    # upper 27% = 1.08 people: respondent 0 and 0.08 of respondent 1 (both chose C)
    assert k2["C"].share_upper == pytest.approx(1.0)
    # lower: respondent 2 (chose A) and 0.08 of respondent 3 (chose DK)
    assert k2["A"].share_lower == pytest.approx(1 / 1.08)
    assert k2["DK"].share_lower == pytest.approx(0.08 / 1.08)
    m1 = {o.code: o.share for o in a.options if o.item_id == "M1"}
    assert m1 == {"A": 0.75, "B": 0.25, "C": 0.25, "(none)": 0.25}
    assert a.option_summary("P1") == "A* 50.0% | B 25.0% | (none) 25.0%"
    assert a.difficulty.tolist() == [0.5, 0.5, 0.375, 0.75, 0.5]  # M1: (2 + 1 + 0 + 0) / 8


def test_weighted_options_equal_repeated_answers(
    q: Questionnaire, rng: np.random.Generator
) -> None:
    codes = {i.id: i.codes for i in q.scored_items}
    answers = []
    for _ in range(60):
        a: dict[str, object] = {k: c[rng.integers(len(c))] for k, c in codes.items() if k != "M1"}
        a["M1"] = [c for c in codes["M1"] if rng.random() < 0.5]
        answers.append(a)
    w = rng.integers(1, 4, size=60)
    weighted = analyze_responses(q, encode_responses(q, answers), weights=w.astype(float))
    repeated = analyze_responses(q, [a for a, m in zip(answers, w, strict=True) for _ in range(m)])
    assert len(weighted.options) == len(repeated.options) == (3 + 4 + 3 + 2 + 2) + 5
    for o, r in zip(weighted.options, repeated.options, strict=True):
        assert (o.item_id, o.code, o.key) == (r.item_id, r.code, r.key)
        assert o.share == pytest.approx(r.share, rel=1e-12)
        assert o.share_upper == pytest.approx(r.share_upper, rel=1e-12, abs=1e-15)
        assert o.share_lower == pytest.approx(r.share_lower, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(weighted.discrimination, repeated.discrimination, rtol=1e-10)


def test_rows_for_csv(q: Questionnaire) -> None:
    answers = [
        {"K1": "T", "K2": "C", "M1": ["A", "B"], "S1": "F", "P1": "A"},
        {"K1": "F", "K2": "C", "M1": ["A"], "S1": "F", "P1": "B"},
        {"K1": "T", "K2": "B", "M1": ["C"], "S1": "T", "P1": "A"},
    ]
    a = analyze_responses(q, answers)
    rows = a.to_rows()
    assert [r["item"] for r in rows] == ["K1", "K2", "M1", "S1", "P1"]
    assert rows[2]["dimension"] == "method"
    assert rows[2]["max_points"] == 2.0
    assert set(rows[0]) == {
        "item", "dimension", "max_points", "difficulty", "pbis", "discrimination",
        "alpha_if_deleted", "flags", "options",
    }  # fmt: skip
    assert a.summary()["n"] == 3
    assert a.option_rows()[0] == {
        "item": "K1", "option": "T", "key": 1, "share": 2 / 3,
        "share_upper": 1.0, "share_lower": 1.0,  # groups of 0.81: respondents 0 and 2
    }  # fmt: skip
