"""Sample size for a proportion: textbook examples, exact-variance checks and simulations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kesu.cli import main
from sampling.errors import SamplingError
from sampling.size import DomainSpec
from sampling.size import design_effect
from sampling.size import moe_for_size
from sampling.size import size_for_domains
from sampling.size import size_for_proportion
from sampling.size import z_value

DATA = Path(__file__).parent / "data"
#: town/street codes of the default questionnaire (tests/sampling/data/sample_strata.csv has
#: illustrative adult populations, not official figures)
TOWNS = (
    "fotang", "suxi", "shangxi", "dachen", "yiting", "chian", "choucheng", "futian",
    "jiangdong", "choujiang", "beiyuan", "houzhai", "niansanli", "chengxi",
)  # fmt: skip


def test_lohr_2022_recipe_example() -> None:
    """Lohr (2022), §2.7 (Example 2.11 in the 2nd ed.): recipes in a cookbook.

    N = 1251 recipes, 95% confidence, margin 0.03, p = 1/2. The book prints
    n0 = 1.96^2 (1/2)(1/2) / 0.03^2 ~ 1067 and, with n = n0 / (1 + n0 / N), n = 576.
    """
    res = size_for_proportion(0.5, moe=0.03, confidence=0.95, population=1251, fpc_form="simple")
    assert round(res.n_srs) == 1067
    assert res.completes == 576


def test_cochran_1977_section_4_4_formula_is_the_exact_srswor_size() -> None:
    """Cochran (1977), §4.4: n0 = t^2 PQ / d^2 and n = n0 / (1 + (n0 - 1) / N).

    Independent check: the SRSWOR variance of a proportion is (N - n)/(N - 1) PQ / n
    (Cochran 1977, Theorem 3.2), so the required n is the smallest integer with
    t^2 (N - n)/(N - 1) PQ / n <= d^2. The formula must give exactly that integer.
    """
    for population, p, d in [
        (1251, 0.5, 0.03),
        (5000, 0.15, 0.02),
        (800, 0.3, 0.05),
        (300, 0.1, 0.04),
    ]:
        t = z_value(0.95)
        n = np.arange(1, population + 1)
        ok = t * t * (population - n) / (population - 1) * p * (1 - p) / n <= d * d
        smallest = int(n[ok][0])
        assert size_for_proportion(p, moe=d, population=population).completes == smallest


def test_standard_textbook_numbers() -> None:
    # 95%, d = 0.05, P = 0.5: the familiar n0 = 384.1 -> 385 (t = 1.96)
    assert size_for_proportion(0.5, moe=0.05).n_srs == pytest.approx(384.146, abs=1e-3)
    assert size_for_proportion(0.5, moe=0.05).completes == 385
    # with t = 2 (Cochran's usual rounding of 1.9545 for 95.45%): n0 = 4 PQ / d^2 = 400
    assert size_for_proportion(0.5, moe=0.05, confidence=0.9544997361).n_srs == pytest.approx(400)


def test_cv_target() -> None:
    # CV^2 = q / (n p): p = 0.15, CV = 0.1 -> n0 = 0.85 / (0.15 * 0.01) = 566.67 -> 567
    res = size_for_proportion(0.15, cv=0.1)
    assert res.n_srs == pytest.approx(0.85 / 0.0015)
    assert res.completes == 567
    se = math.sqrt(0.15 * 0.85 / res.completes)
    assert se / 0.15 <= 0.1


def test_kish_1965_design_effect_formula() -> None:
    """Kish (1965), §5.4: deff = 1 + roh (b - 1) for clusters of b elements."""
    assert design_effect(10, 0.05) == pytest.approx(1.45)
    assert design_effect(1, 0.3) == 1.0
    via_icc = size_for_proportion(0.15, moe=0.02, cluster_size=10, icc=0.05)
    via_deff = size_for_proportion(0.15, moe=0.02, deff=1.45)
    assert via_icc.n_design == pytest.approx(via_deff.n_design)
    assert via_icc.n_design == pytest.approx(1.45 * via_icc.n_srs)


def test_design_effect_by_simulation_with_known_icc() -> None:
    """Clusters with beta-distributed rates have ICC 1 / (a + b + 1): the variance of
    the sample rate is deff = 1 + (m - 1) rho times the SRS variance."""
    rng = np.random.default_rng(44)
    p, rho, m, k, reps = 0.15, 0.05, 10, 40, 20_000
    ab = 1 / rho - 1
    rates = rng.beta(p * ab, (1 - p) * ab, size=(reps, k))
    yes = rng.binomial(m, rates).sum(axis=1)
    est = yes / (k * m)
    realised = est.var(ddof=1) / (p * (1 - p) / (k * m))
    assert realised == pytest.approx(design_effect(m, rho), rel=0.04)


def test_margin_is_met_in_repeated_clustered_samples() -> None:
    """Known truth p = 0.15: a clustered sample of the size computed with deff from the
    ICC covers p within +-0.02 in about 95% of samples."""
    rng = np.random.default_rng(17)
    p, rho, m = 0.15, 0.05, 10
    res = size_for_proportion(p, moe=0.02, cluster_size=m, icc=rho)
    k = math.ceil(res.completes / m)
    ab = 1 / rho - 1
    reps = 6000
    rates = rng.beta(p * ab, (1 - p) * ab, size=(reps, k))
    est = rng.binomial(m, rates).sum(axis=1) / (k * m)
    coverage = np.mean(np.abs(est - p) <= 0.02)
    assert 0.935 < coverage < 0.965  # +-5 binomial SEs around 0.95


def test_response_and_eligibility_inflate_the_issued_sample() -> None:
    res = size_for_proportion(0.15, moe=0.03, deff=1.5, response_rate=0.8, eligibility_rate=0.9)
    assert res.completes == math.ceil(z_value(0.95) ** 2 * 0.15 * 0.85 / 0.03**2 * 1.5)
    assert res.issued == math.ceil(res.completes / 0.72)


def test_moe_for_size_inverts_size() -> None:
    res = size_for_proportion(0.2, moe=0.025, deff=1.3, population=40_000)
    assert moe_for_size(0.2, res.n_fpc, deff=1.3, population=40_000) == pytest.approx(0.025)
    assert moe_for_size(0.2, res.completes, deff=1.3, population=40_000) <= 0.025


def test_domains_strata_add_and_crossclasses_divide_by_share() -> None:
    towns = {"fotang": DomainSpec(0.12, population=150_000), "suxi": DomainSpec(0.14)}
    plan = size_for_domains(towns, moe=0.05, deff=1.5)
    assert plan.strata_total == plan.domains["fotang"].completes + plan.domains["suxi"].completes
    assert plan.completes == plan.strata_total and plan.binding == "strata"
    groups = {"farmer": DomainSpec(0.05, share=0.2), "youth": DomainSpec(0.25, share=0.25)}
    plan = size_for_domains(groups, moe=0.03, deff=1.5, response_rate=0.8)
    farmer = plan.domains["farmer"].completes
    youth = plan.domains["youth"].completes
    assert plan.crossclass_total == max(math.ceil(farmer / 0.2), math.ceil(youth / 0.25))
    assert plan.binding == ("farmer" if farmer / 0.2 > youth / 0.25 else "youth")
    assert plan.issued == math.ceil(plan.completes / 0.8)
    overall = size_for_proportion(0.15, moe=0.005)
    assert size_for_domains(groups, overall=overall, moe=0.03).binding == "overall"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0.0, "moe": 0.03}, "rate must be strictly between 0 and 1"),
        ({"rate": 0.2}, "exactly one of moe"),
        ({"rate": 0.2, "moe": 0.03, "cv": 0.1}, "exactly one of moe"),
        ({"rate": 0.2, "moe": 3}, "moe is an absolute margin"),
        ({"rate": 0.2, "cv": -1}, "cv must be > 0"),
        ({"rate": 0.2, "moe": 0.03, "deff": 2, "icc": 0.1, "cluster_size": 5}, "not both"),
        ({"rate": 0.2, "moe": 0.03, "icc": 0.1}, "go together"),
        ({"rate": 0.2, "moe": 0.03, "response_rate": 0}, "response_rate must be in"),
        ({"rate": 0.2, "moe": 0.03, "population": 0}, "population must be >= 1"),
        ({"rate": 0.2, "moe": 0.03, "confidence": 95}, "confidence must be in"),
    ],
)
def test_bad_input(kwargs: dict[str, float], message: str) -> None:
    rate = kwargs.pop("rate")
    with pytest.raises(SamplingError, match=message):
        size_for_proportion(rate, **kwargs)


def test_cli_size_plan_table() -> None:
    strata = DATA / "sample_strata.csv"
    res = CliRunner().invoke(
        main,
        [
            "sample", "size", "--rate", "0.15", "--moe", "0.02", "--icc", "0.05",
            "--cluster-size", "10", "--response-rate", "0.85", "--eligibility", "0.95",
            "--strata", str(strata), "--allocation", "power", "--power", "0.5",
            "--domain-moe", "0.08",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    rows = {ln.split()[0]: ln.split() for ln in lines if ln and ln.split()[0] in TOWNS + ("total",)}
    assert len(rows) == 15
    n = {k: int(v[2]) for k, v in rows.items()}
    assert sum(v for k, v in n.items() if k != "total") == n["total"]
    # every town meets its own margin (column 'moe'), and the city-wide requirement is met
    assert all(float(v[5]) <= 0.08 + 1e-9 for k, v in rows.items() if k != "total")
    population = sum(float(v[1].replace(",", "")) for k, v in rows.items() if k != "total")
    overall = size_for_proportion(0.15, moe=0.02, cluster_size=10, icc=0.05, population=population)
    assert n["total"] >= overall.completes
    assert "expected overall moe" in res.output


def test_cli_size_without_strata_and_bad_input() -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["sample", "size", "--rate", "0.5", "--moe", "0.03"])
    assert res.exit_code == 0 and "completes 1068" in res.output
    res = runner.invoke(main, ["sample", "size", "--rate", "0.5"])
    assert res.exit_code == 1 and "exactly one of moe" in res.output


def test_cli_size_with_cost_model() -> None:
    runner = CliRunner()
    args = ["sample", "size", "--rate", "0.15", "--moe", "0.02", "--icc", "0.05"]
    res = runner.invoke(main, [*args, "--cost-psu", "400", "--cost-interview", "20"])
    assert res.exit_code == 0, res.output
    # m_opt = sqrt(400 * 0.95 / (20 * 0.05)) = 19.49 -> 19; deff = 1 + 18 * 0.05 = 1.9
    assert "19.49 -> 19 interviews per PSU" in res.output
    assert "deff 1.900" in res.output
    res = runner.invoke(
        main, ["sample", "size", "--rate", "0.15", "--moe", "0.02", "--cost-psu", "400"]
    )
    assert res.exit_code == 1 and "--cost-psu needs --cost-interview and --icc" in res.output
