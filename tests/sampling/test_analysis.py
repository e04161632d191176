"""svy_glm, svy_quantile, tables, Rao-Scott, t-tests, svy_var and replicate logit intervals
against R's survey package.

Reference values: ``tests/sampling/data/analysis_fixtures.json``, written by
``Rscript tests/sampling/r/analysis.R`` (R 4.2.2, survey 4.1-1). Every fixture holds
the R code that produced its values (``fixtures[name]["r"]``); failures print it. The
designs in R (same names below):

    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus2 <- svydesign(id=~dnum+snum, weights=~pw, fpc=~fpc1+fpc2, data=apiclus2)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    jkn_strat <- as.svrepdesign(dstrat, type="JKn"); jk1_clus1 <- as.svrepdesign(dclus1, "JK1")
    brr_strat <- as.svrepdesign(svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat), "BRR")
    dtwo <- svydesign(id=~psu+ssu, strata=~stratum, fpc=~fpc1+fpc2, weights=~w, nest=TRUE,
                      data=two_stage.csv)       # 8 strata x 4 PSUs x 3 SSUs, 480 persons
    jkn_two <- as.svrepdesign(dtwo, "JKn"); brr_two <- as.svrepdesign(<dtwo without fpc>, "BRR")
    cols_two <- svrepdesign(data=two, repweights="repw[0-9]+", weights=~w, type="JKn",
                            rscales=jkn_two$rscales, scale=jkn_two$scale)

R's term names are mapped to statsmodels' (``factor(stype)H`` -> ``C(stype)[T.H]``) by
:func:`statsmodels_name`, and the mapping is checked for every model.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling.design import SurveyDesign
from sampling.estimation import svy_proportion
from sampling.glm import svy_glm
from sampling.moments import svy_ttest
from sampling.moments import svy_var
from sampling.quantiles import svy_quantile
from sampling.replicates import replicate_design
from sampling.replicates import replicate_design_from_weights
from sampling.tables import svy_chisq
from sampling.tables import svy_factor_mean
from sampling.tables import svy_factor_total
from sampling.tables import svy_table

DATA = Path(__file__).parent / "data"
FIXTURES: dict[str, Any] = json.loads((DATA / "analysis_fixtures.json").read_text())["fixtures"]
RTOL = 1e-7  # "estimates and SEs to 1e-6": iterative fits agree to ~1e-9 here


def r_value(name: str) -> np.ndarray:
    return np.asarray(FIXTURES[name]["value"], dtype=np.float64)


def check(name: str, got: Any, rtol: float = RTOL, atol: float = 0.0) -> None:
    """Compare with the R fixture ``name``; the message shows its R code."""
    want = r_value(name)
    assert_allclose(
        np.ravel(np.asarray(got, dtype=np.float64)),
        want,
        rtol=rtol,
        atol=atol,
        err_msg=f"R: {FIXTURES[name]['r']}",
    )


def statsmodels_name(r_name: str) -> str:
    """R's coefficient name -> statsmodels' (``factor(x)2:age`` -> ``C(x)[T.2]:age``)."""
    if r_name == "(Intercept)":
        return "Intercept"
    parts = []
    for part in r_name.split(":"):
        m = re.fullmatch(r"factor\((\w+)\)(.+)", part)
        parts.append(f"C({m.group(1)})[T.{m.group(2)}]" if m else part)
    return ":".join(parts)


def r_formula(r_call: str) -> tuple[str, str]:
    """The statsmodels formula and the family of a fixture's ``svyglm`` call."""
    m = re.match(r"m_ <- svyglm\((.+?), (\w+(?:\(.+?\))?), family = (\w+)", r_call)
    assert m, r_call
    formula = re.sub(r"factor\((\w+)\)", r"C(\1)", m.group(1))
    return formula, "binomial" if m.group(3) == "quasibinomial" else "gaussian"


# -- data and designs ---------------------------------------------------------------------


def read_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(rows[0]):
        raw = [r[j] for r in rows[1:]]
        try:
            cols[name] = np.array([np.nan if v == "NA" else float(v) for v in raw])
        except ValueError:
            cols[name] = np.array(raw)
    return cols


def api(name: str) -> dict[str, np.ndarray]:
    cols = read_csv(DATA / f"{name}.csv")
    cols["awd"] = (cols["awards"] == "Yes").astype(float)
    cols["hi"] = (cols["api00"] > 700).astype(float)
    return cols


@pytest.fixture(scope="module")
def data() -> dict[str, dict[str, np.ndarray]]:
    two = read_csv(DATA / "two_stage.csv")
    return {
        "apiclus1": api("apiclus1"),
        "apiclus2": api("apiclus2"),
        "apistrat": api("apistrat"),
        "two": two,
    }


@pytest.fixture(scope="module")
def designs(data: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    c1, c2, st, two = data["apiclus1"], data["apiclus2"], data["apistrat"], data["two"]
    dclus1 = SurveyDesign(weights=c1["pw"], psu=c1["dnum"], fpc=c1["fpc"])
    dclus2 = SurveyDesign(
        weights=c2["pw"], psu=[c2["dnum"], c2["snum"]], fpc=[c2["fpc1"], c2["fpc2"]]
    )
    dstrat = SurveyDesign(weights=st["pw"], strata=st["stype"], fpc=st["fpc"])
    dstrat_nofpc = SurveyDesign(weights=st["pw"], strata=st["stype"])
    psu = [two["psu"], two["ssu"]]
    dtwo = SurveyDesign(
        weights=two["w"], strata=two["stratum"], psu=psu, fpc=[two["fpc1"], two["fpc2"]], nest=True
    )
    dtwo_nofpc = SurveyDesign(weights=two["w"], strata=two["stratum"], psu=psu, nest=True)
    scales = r_value("jkn_two.rscales")
    repw = np.column_stack([two[f"repw{r}"] for r in range(1, scales.size)])
    return {
        "dclus1": (dclus1, "apiclus1"),
        "dclus2": (dclus2, "apiclus2"),
        "dstrat": (dstrat, "apistrat"),
        "jkn_strat": (replicate_design(dstrat, "jkn"), "apistrat"),
        "brr_strat": (replicate_design(dstrat_nofpc, "brr"), "apistrat"),
        "jk1_clus1": (replicate_design(dclus1, "jk1"), "apiclus1"),
        "dtwo": (dtwo, "two"),
        "jkn_two": (replicate_design(dtwo, "jkn"), "two"),
        "brr_two": (replicate_design(dtwo_nofpc, "brr"), "two"),
        "cols_two": (
            replicate_design_from_weights(
                two["w"], repw, "JKn", scale=scales[0], rscales=scales[1:]
            ),
            "two",
        ),
    }


# -- svyglm, regTermTest, odds ratios ---------------------------------------------------------

GLMS = sorted(
    k[: -len(".call")]
    for k in FIXTURES
    if k.startswith("glm.") and k.endswith(".call") and not k.endswith(".test.call")
)


@pytest.mark.parametrize("block_rows", [8192, 7])
@pytest.mark.parametrize("prefix", GLMS)
def test_svy_glm_matches_r(
    prefix: str,
    block_rows: int,
    designs: dict[str, Any],
    data: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the IRLS sums go block by block; the fixtures' data fit in one block of 8192 rows,
    # so they are also fitted in blocks of 7 rows (many blocks and a short last one)
    monkeypatch.setattr("sampling.glm.BLOCK_ROWS", block_rows)
    call = FIXTURES[f"{prefix}.call"]["r"]
    formula, family = r_formula(call)
    design_name = re.search(r"\), (\w+)|, (\w+), family", call)
    r_design = re.search(r"svyglm\(.+?, (subset\(\w+, urban == 1\)|\w+), family", call)
    assert design_name and r_design
    target = r_design.group(1)
    if target.startswith("subset("):
        design, table = designs["dtwo"]
        design = design.subset(data[table]["urban"] == 1)
    else:
        design, table = designs[target]
    model = svy_glm(formula, data[table], design, family=family)
    # statsmodels' names are R's names mapped
    assert list(model.columns) == [
        statsmodels_name(n) for n in FIXTURES[f"{prefix}.names"]["value"]
    ]
    check(f"{prefix}.coef", model.params)
    check(f"{prefix}.se", model.se)
    check(f"{prefix}.p", model.p_values(), rtol=1e-6)
    check(f"{prefix}.df", [model.df_residual], rtol=0)
    low, high = model.coef.confint()
    # limits near zero: compare on the scale of the interval, not relative to ~0
    ci = r_value(f"{prefix}.ci")
    check(f"{prefix}.ci", np.concatenate([low, high]), atol=RTOL * np.abs(ci).max())
    r_test = re.search(r"regTermTest\(m_, ~(.+)\)", FIXTURES[f"{prefix}.test.call"]["r"])
    assert r_test
    term = re.sub(r"factor\((\w+)\)", r"C(\1)", r_test.group(1))
    test = model.wald_test(term)
    check(f"{prefix}.test", [test.f, test.df1, test.df2, test.p], rtol=1e-6)
    if family == "binomial":
        ors = model.odds_ratios()
        lo, hi = ors.confint()
        check(f"{prefix}.or", np.concatenate([ors.estimate, lo, hi]), rtol=1e-6)


def test_glm_rows_have_the_job_shape(designs: dict[str, Any], data: dict[str, Any]) -> None:
    design, table = designs["dtwo"]
    model = svy_glm("literate ~ C(sex) + urban", data[table], design, family="binomial")
    rows = model.to_rows(tests=["C(sex)"])
    kinds = [r["statistic"] for r in rows]
    assert kinds == ["coef"] * 3 + ["odds_ratio"] * 2 + ["wald"]
    assert rows[1]["term"] == "C(sex)[T.2]" and rows[3]["term"] == "C(sex)[T.2]"
    assert set(rows[0]) >= {"term", "estimate", "se", "ci_low", "ci_high", "df", "p"}
    assert set(rows[-1]) >= {"term", "f", "df1", "df2", "p"}
    # one coefficient: the Wald F is the squared t and has the same p-value
    assert rows[-1]["f"] == pytest.approx((rows[1]["estimate"] / rows[1]["se"]) ** 2, rel=1e-10)
    assert rows[-1]["p"] == pytest.approx(rows[1]["p"], rel=1e-10)


def test_gaussian_glm_on_one_binary_is_the_difference_of_domain_means(
    designs: dict[str, Any], data: dict[str, Any]
) -> None:
    """Agreement of two methods: regression coefficient = contrast of domain means."""
    design, table = designs["dtwo"]
    two = data[table]
    model = svy_glm("score ~ urban", two, design)
    from sampling.contrasts import domain_difference
    from sampling.estimation import svy_mean

    means = svy_mean(two["score"], design, by={"urban": two["urban"]})
    diff = domain_difference(means, {"urban": "1"}, {"urban": "0"})
    assert model.params[1] == pytest.approx(diff.estimate[0], rel=1e-12)
    assert model.se[1] == pytest.approx(diff.se[0], rel=1e-10)


def test_hand_computable_regression() -> None:
    """y = 1 + 2x exactly: coefficients exact, SEs zero; weights do not matter."""
    d = SurveyDesign(weights=[1.0, 3.0, 2.0, 5.0], psu=[1, 2, 3, 4])
    model = svy_glm("y ~ x", {"y": [3.0, 5.0, 7.0, 9.0], "x": [1.0, 2.0, 3.0, 4.0]}, d)
    assert_allclose(model.params, [1.0, 2.0], rtol=1e-12)
    assert_allclose(model.se, [0.0, 0.0], atol=1e-12)
    assert model.df_residual == 3 + 1 - 2


def test_hand_computable_logistic_saturated() -> None:
    """One binary covariate: the logit model reproduces the weighted group shares."""
    # group 0: weighted share 3/(3+1) = 0.75; group 1: 1/(1+1) = 0.5
    d = SurveyDesign(weights=[3.0, 1.0, 1.0, 1.0], psu=[1, 2, 3, 4])
    model = svy_glm(
        "y ~ g", {"y": [1.0, 0.0, 1.0, 0.0], "g": [0.0, 0.0, 1.0, 1.0]}, d, family="binomial"
    )
    assert_allclose(model.params, [np.log(3.0), np.log(1.0) - np.log(3.0)], rtol=1e-12)
    assert_allclose(model.odds_ratios().estimate, [1.0 / 3.0], rtol=1e-12)


def test_glm_errors_name_the_problem(designs: dict[str, Any], data: dict[str, Any]) -> None:
    from sampling.errors import SamplingError

    design, table = designs["dtwo"]
    two = data[table]
    with pytest.raises(SamplingError, match="not in the data"):
        svy_glm("score ~ C(nosuch)", two, design)
    with pytest.raises(SamplingError, match=r"\[0, 1\]"):
        svy_glm("score ~ urban", two, design, family="binomial")
    with pytest.raises(SamplingError, match="collinear"):
        svy_glm("score ~ urban + I(2 * urban)", two, design)
    model = svy_glm("score ~ C(edu)", two, design)
    with pytest.raises(SamplingError, match="C\\(edu\\)"):
        model.wald_test("C(sex)")


# -- svyquantile -----------------------------------------------------------------------------

QUANTILES = [
    ("quantile.clus2.math", "dclus2", "api00", [0.25, 0.5, 0.75], "hf1"),
    ("quantile.clus2.hf7", "dclus2", "api00", [0.25, 0.5, 0.75], "hf7"),
    ("quantile.two.math", "dtwo", "score", [0.1, 0.5, 0.9], "hf1"),
    ("quantile.two.hf7", "dtwo", "score", [0.1, 0.5, 0.9], "hf7"),
    ("quantile.two_brr.math", "brr_two", "score", [0.25, 0.5], "hf1"),
    ("quantile.two_brr.hf7", "brr_two", "score", [0.25, 0.5], "hf7"),
    ("quantile.strat_jkn.math", "jkn_strat", "api00", [0.5, 0.9], "hf1"),
]


@pytest.mark.parametrize(("name", "design", "var", "probs", "rule"), QUANTILES)
def test_svy_quantile_matches_r(name, design, var, probs, rule, designs, data) -> None:
    d, table = designs[design]
    q = svy_quantile(data[table][var], d, probs, qrule=rule)
    low, high = q.confint()
    # R's matrix, column by column: quantile, ci.2.5, ci.97.5, se
    check(name, np.concatenate([q.estimate, low, high, q.se]), rtol=1e-9)


@pytest.mark.parametrize(
    ("name", "design", "var", "by", "df"),
    [
        ("quantile.clus1.by_stype", "dclus1", "api00", "stype", "domain"),
        ("quantile.clus1.by_stype.design_df", "dclus1", "api00", "stype", "design"),
        ("quantile.two_jkn.by_urban", "jkn_two", "score", "urban", "domain"),
    ],
)
def test_svy_quantile_by_domain_matches_r(name, design, var, by, df, designs, data) -> None:
    d, table = designs[design]
    cols = data[table]
    q = svy_quantile(cols[var], d, [0.5], by={by: cols[by]}, df=df)
    low, high = q.confint()
    # svyby(..., vartype=c("se","ci"))[, -1]: estimates, SEs, lower, upper limits
    check(name, np.concatenate([q.estimate, q.se, low, high]), rtol=1e-9)


def test_quantile_rules_by_hand() -> None:
    from sampling.quantiles import weighted_quantile

    x, w = [10.0, 20.0, 30.0, 40.0], [1.0, 1.0, 1.0, 1.0]
    # hf1: the smallest x with F(x) >= p; at F = p exactly, that x itself
    assert weighted_quantile(x, w, 0.5) == 20.0
    assert weighted_quantile(x, w, 0.51) == 30.0
    assert weighted_quantile(x, [3.0, 1.0, 1.0, 1.0], 0.5) == 10.0
    # hf7: interpolation at p between (0, 10), (1/3, 20), (2/3, 30), (1, 40)
    assert weighted_quantile(x, w, 0.5, "hf7") == pytest.approx(25.0)
    assert weighted_quantile(x, w, 0.25, "hf7") == pytest.approx(17.5)


def test_quantile_interval_is_fixed_at_its_level(designs, data) -> None:
    from sampling.errors import SamplingError

    d, table = designs["dtwo"]
    q = svy_quantile(data[table]["score"], d, [0.5], level=0.9)
    assert q.confint()[0][0] < q.estimate[0] < q.confint()[1][0]
    with pytest.raises(SamplingError, match="level"):
        q.confint(0.95)


# -- factor means and totals, tables, Rao-Scott -------------------------------------------------


def test_factor_mean_and_covariance_match_r(designs, data) -> None:
    d, table = designs["dclus1"]
    m = svy_factor_mean(data[table]["stype"], d, name="stype")
    check("factor.clus1.mean", np.concatenate([m.estimate, m.vcov.ravel()]), rtol=1e-9)
    by = svy_factor_mean(data[table]["stype"], d, by={"awards": data[table]["awards"]}, name="s")
    # svyby order: stype E (No, Yes), H (No, Yes), M (No, Yes), then the SEs
    est = by.estimate.reshape(2, 3).T.ravel()
    se = by.se.reshape(2, 3).T.ravel()
    check("factor.clus1.by_awards", np.concatenate([est, se]), rtol=1e-9)


@pytest.mark.parametrize(
    ("name", "design", "var", "fn"),
    [
        ("factor.two.total", "dtwo", "edu", svy_factor_total),
        ("factor.strat_jkn.mean", "jkn_strat", "stype", svy_factor_mean),
        ("factor.two_brr.mean", "brr_two", "edu", svy_factor_mean),
    ],
)
def test_factor_estimates_match_r(name, design, var, fn, designs, data) -> None:
    d, table = designs[design]
    m = fn(data[table][var], d, name=var)
    check(name, np.concatenate([m.estimate, m.vcov.ravel()]), rtol=1e-9, atol=1e-15)


def test_svy_table_matches_r(designs, data) -> None:
    d, table = designs["dclus1"]
    cols = data[table]
    t = svy_table({"awards": cols["awards"], "stype": cols["stype"]}, d)
    # R's svytable(~stype + awards): stype varies fastest, as the awards-first cells here
    check("table.clus1", t.estimate, rtol=1e-9)
    check("table.clus1.se", t.se, rtol=1e-9)
    assert t.domains[0] == {"awards": "No", "stype": "E"}


def test_hand_computable_table_and_shares() -> None:
    d = SurveyDesign(weights=[1.0, 2.0, 3.0, 4.0], psu=[1, 2, 3, 4])
    t = svy_table({"a": ["x", "x", "y", "y"], "b": ["1", "2", "1", "1"]}, d)
    assert t.estimate.tolist() == [1.0, 2.0, 7.0, 0.0]
    shares = svy_factor_mean(["x", "x", "y", "y"], d)
    assert_allclose(shares.estimate, [0.3, 0.7])
    # two levels: the shares are 1 - each other, so their covariance is -var
    assert shares.vcov[0, 1] == pytest.approx(-shares.vcov[0, 0])


CHISQ = [
    ("chisq.clus1.F", "dclus1", "stype", "awards", "F"),
    ("chisq.clus1.Chisq", "dclus1", "stype", "awards", "Chisq"),
    ("chisq.clus2.F", "dclus2", "stype", "sch.wide", "F"),
    ("chisq.strat_jkn.F", "jkn_strat", "stype", "awards", "F"),
    ("chisq.strat_brr.F", "brr_strat", "stype", "awards", "F"),
    ("chisq.two.F", "dtwo", "literate", "edu", "F"),
    ("chisq.two.Chisq", "dtwo", "literate", "edu", "Chisq"),
    ("chisq.two_jkn.F", "jkn_two", "literate", "edu", "F"),
    ("chisq.two_brr.F", "brr_two", "town", "edu", "F"),
]


@pytest.mark.parametrize(("name", "design", "a", "b", "stat"), CHISQ)
def test_svy_chisq_matches_r(name, design, a, b, stat, designs, data) -> None:
    d, table = designs[design]
    cols = data[table]
    test = svy_chisq(cols[a], cols[b], d, statistic=stat, names=(a, b))
    if stat == "F":
        check(name, [test.f, test.df1, test.df2, test.p], rtol=1e-8)
    else:
        # R reports Pearson's X^2, its df and the p-value of X^2 / mean(diag(Delta))
        check(name, [test.chisq, test.df1, test.p], rtol=1e-8)


# -- svyttest, svyvar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "design", "var", "group"),
    [
        ("ttest.clus1", "dclus1", "api00", "sch.wide"),
        ("ttest.strat_jkn", "jkn_strat", "api00", "awards"),
        ("ttest.strat_brr", "brr_strat", "api00", "awards"),
        ("ttest.two", "dtwo", "score", "urban"),
        ("ttest.two_jkn", "jkn_two", "score", "urban"),
        ("ttest.two_brr", "brr_two", "score", "urban"),
    ],
)
def test_svy_ttest_matches_r(name, design, var, group, designs, data) -> None:
    d, table = designs[design]
    cols = data[table]
    t = svy_ttest(cols[var], d, group=cols[group], name=var, group_name=group)
    stat = t.estimate[0] / t.se[0]
    check(name, [t.estimate[0], stat, t.df[0], t.p_value()[0]], rtol=1e-8)


@pytest.mark.parametrize(
    ("name", "design", "var"),
    [
        ("var.clus1", "dclus1", "api00"),
        ("var.strat_jkn", "jkn_strat", "api00"),
        ("var.two", "dtwo", "score"),
        ("var.two_brr", "brr_two", "score"),
    ],
)
def test_svy_var_matches_r(name, design, var, designs, data) -> None:
    d, table = designs[design]
    v = svy_var(data[table][var], d)
    check(name, [v.estimate[0], v.se[0]], rtol=1e-9)


def test_svy_var_by_domain_matches_r(designs, data) -> None:
    d, table = designs["dclus1"]
    v = svy_var(data[table]["api00"], d, by={"stype": data[table]["stype"]})
    check("var.clus1.by_stype", np.concatenate([v.estimate, v.se]), rtol=1e-9)


def test_hand_computable_var_and_ttest() -> None:
    d = SurveyDesign(weights=[1.0] * 4, psu=[1, 2, 3, 4])
    assert svy_var([1.0, 2.0, 3.0, 4.0], d).estimate[0] == pytest.approx(5.0 / 3.0)
    t = svy_ttest([1.0, 3.0, 4.0, 8.0], d, group=["a", "a", "b", "b"])
    assert t.estimate[0] == pytest.approx(4.0)  # 6 - 2
    assert t.domains[0] == {"group": "b - a"}
    assert t.df[0] == 3 - 1


# -- proportions: logit (replicate logit variance) vs xlogit (delta method) ----------------------


@pytest.mark.parametrize("design", ["jkn_strat", "brr_strat", "jk1_clus1", "dclus1"])
def test_logit_and_xlogit_intervals_match_r(design, designs, data) -> None:
    d, table = designs[design]
    p = svy_proportion(data[table]["awd"], d)
    lo, hi = p.confint(method="logit")
    check(f"ciprop.{design}.logit", [p.estimate[0], lo[0], hi[0]], rtol=1e-8)
    lo, hi = p.confint(method="xlogit")
    check(f"ciprop.{design}.xlogit", [p.estimate[0], lo[0], hi[0]], rtol=1e-8)


def test_replicate_logit_differs_from_delta_method(designs, data) -> None:
    d, table = designs["brr_strat"]
    p = svy_proportion(data[table]["awd"], d)
    assert p.logit_se is not None
    assert abs(p.confint(method="logit")[0][0] - p.confint(method="xlogit")[0][0]) > 1e-6


def test_logit_by_domain_on_brr_matches_r(designs, data) -> None:
    d, table = designs["brr_two"]
    cols = data[table]
    p = svy_proportion(cols["literate"], d, by={"urban": cols["urban"]})
    lo, hi = p.confint()
    check("ciprop.two_brr.by_urban.logit", np.concatenate([p.estimate, lo, hi]), rtol=1e-8)


@pytest.mark.parametrize(
    ("name", "df"),
    [("ciprop.clus1.by_stype.domain_df", "domain"), ("ciprop.clus1.by_stype.design_df", "design")],
)
def test_domain_or_design_df_matches_r(name, df, designs, data) -> None:
    d, table = designs["dclus1"]
    cols = data[table]
    p = svy_proportion(cols["awd"], d, by={"stype": cols["stype"]}, df=df)
    lo, hi = p.confint()
    check(name, np.concatenate([p.estimate, lo, hi]), rtol=1e-8)
    if df == "design":
        assert (p.df == d.degf).all()


def test_replicate_weight_columns_match_r(designs, data) -> None:
    """svrepdesign(repweights=...) from the data: the same numbers as as.svrepdesign."""
    d, table = designs["cols_two"]
    from sampling.estimation import svy_mean

    m = svy_mean(data[table]["score"], d)
    check("cols_two.mean.score", [m.estimate[0], m.se[0], d.degf], rtol=1e-9)


def test_separated_logistic_fit_stops_and_says_so() -> None:
    """Group b never has the outcome: R's glm stops with a huge coefficient and a warning."""
    d = SurveyDesign(weights=[1.0] * 8, psu=list(range(8)))
    cols = {
        "y": [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        "g": ["a", "a", "a", "a", "b", "b", "b", "b"],
    }
    model = svy_glm("y ~ C(g)", cols, d, family="binomial")
    assert model.params[0] == pytest.approx(np.log(3.0), rel=1e-9)  # group a: 3 of 4
    assert model.params[1] < -15 and model.notes
    assert (
        not np.isfinite(model.odds_ratios().estimate[0]) or model.odds_ratios().estimate[0] < 1e-6
    )


def test_rao_scott_under_simple_random_sampling_by_hand() -> None:
    """Equal weights, every row its own PSU: Delta = n/(n-1) I, so the second-order F is
    Pearson's X^2 (n-1)/(n df1) on df1 and df1 (n-1) df (Rao & Scott 1984)."""
    from scipy import stats

    a = np.array(list("xxxxxyyyyyyyzzzzzzzz"))
    b = np.array([1, 1, 1, 2, 2, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 2, 2, 1, 1])
    n = a.size
    d = SurveyDesign(weights=np.ones(n), psu=np.arange(n))
    table = np.array([[np.sum((a == r) & (b == c)) for c in (1, 2)] for r in "xyz"])
    x2 = stats.chi2_contingency(table, correction=False)[0]
    test = svy_chisq(a, b, d)
    assert test.chisq == pytest.approx(x2, rel=1e-12)
    assert test.df1 == pytest.approx(2.0, rel=1e-12) and test.df2 == pytest.approx(2.0 * (n - 1))
    assert test.f == pytest.approx(x2 * (n - 1) / (n * 2), rel=1e-12)
    first = svy_chisq(a, b, d, statistic="Chisq")
    assert first.p == pytest.approx(stats.chi2.sf(x2 * (n - 1) / n, 2), rel=1e-12)


def test_rao_scott_on_a_table_with_empty_cells() -> None:
    """Each group all in its own category: R's svychisq stops ("system is computationally
    singular"), and so does svy_chisq (it gave F near 0, p near 1). A table with empty
    cells whose contrasts keep their information is tested as R tests it."""
    from sampling.errors import SamplingError

    design = SurveyDesign(weights=np.ones(30), psu=np.arange(30))
    groups = np.repeat(["x", "y", "z"], 10)
    # R: d2 <- data.frame(a=rep(c('x','y','z'),each=10), b=rep(c('1','2','3'),each=10), w=1)
    #    svychisq(~a+b, svydesign(id=~1, weights=~w, data=d2))  -> error: singular
    with pytest.raises(SamplingError, match="computationally singular"):
        svy_chisq(groups, np.repeat(["1", "2", "3"], 10), design)
    # R: b=c(rep('1',10),rep('2',5),rep('3',5),rep('2',5),rep('3',5)) in the same design:
    #    svychisq(~a+b, ds): F = 9.32142857142857, p = 1.17384062995317e-05
    answers = np.array(["1"] * 10 + ["2"] * 5 + ["3"] * 5 + ["2"] * 5 + ["3"] * 5)
    t = svy_chisq(groups, answers, design)
    assert t.f == pytest.approx(9.32142857142857, rel=1e-12)
    assert t.p == pytest.approx(1.17384062995317e-05, rel=1e-9)
