"""Estimators against R's survey package (values from tests/sampling/r/estimates.R).

Each reference value carries the R code that produced it. Designs in R:

    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus2 <- svydesign(id=~dnum+snum, weights=~pw, fpc=~fpc1+fpc2, data=apiclus2)
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling.design import LonelyPSU
from sampling.design import SurveyDesign
from sampling.errors import SamplingError
from sampling.errors import SinglePSUError
from sampling.estimation import svy_mean
from sampling.estimation import svy_proportion
from sampling.estimation import svy_ratio
from sampling.estimation import svy_total

EXACT = 1e-9  # no iteration involved
GLM = 1e-8  # R's svyciprop(method="logit") goes through glm's IRLS


@pytest.fixture(scope="module")
def dstrat(apistrat):
    return SurveyDesign(weights=apistrat["pw"], strata=apistrat["stype"], fpc=apistrat["fpc"])


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    return SurveyDesign(weights=apiclus1["pw"], psu=apiclus1["dnum"], fpc=apiclus1["fpc"])


@pytest.fixture(scope="module")
def dclus2(apiclus2):
    return SurveyDesign(
        weights=apiclus2["pw"],
        psu=[apiclus2["dnum"], apiclus2["snum"]],
        fpc=[apiclus2["fpc1"], apiclus2["fpc2"]],
    )


# --- stratified design ----------------------------------------------------------------


def test_stratified_mean_matches_r(dstrat, apistrat):
    # m <- svymean(~api00, dstrat, deff=TRUE); c(coef(m), SE(m), deff(m), degf(dstrat))
    ref = (662.28736315932076, 9.4089408027845831, 1.2044572685377175, 197.0)
    # confint(m, df=degf(dstrat))
    ref_ci = (643.7321882720862, 680.84253804655532)
    est = svy_mean(apistrat["api00"], dstrat, name="api00")
    assert_allclose([est.estimate[0], est.se[0], est.deff[0]], ref[:3], rtol=EXACT)
    assert est.df[0] == ref[3] == dstrat.degf
    assert_allclose(np.ravel(est.confint()), ref_ci, rtol=EXACT)


def test_stratified_total_and_ratio_match_r(dstrat, apistrat):
    # m <- svytotal(~enroll, dstrat, deff=TRUE); c(coef(m), SE(m), deff(m))
    ref_total = (3687177.5324382801, 114641.71610078031, 0.36201812236340364)
    # r <- svyratio(~api.stu, ~enroll, dstrat, deff=TRUE); c(coef(r), SE(r), deff(r))
    ref_ratio = (0.83695688694052173, 0.0077571031666378793, 0.5931250440124004)
    tot = svy_total(apistrat["enroll"], dstrat)
    assert_allclose([tot.estimate[0], tot.se[0], tot.deff[0]], ref_total, rtol=EXACT)
    rat = svy_ratio(apistrat["api.stu"], apistrat["enroll"], dstrat)
    assert_allclose([rat.estimate[0], rat.se[0], rat.deff[0]], ref_ratio, rtol=EXACT)


def test_fpc_as_fraction_equals_fpc_as_count(apistrat):
    # apistrat$frac <- n_h / fpc; svymean(~api00, svydesign(..., fpc=~frac))
    ref = (662.28736315932076, 9.4089408027845831)
    n_h = {s: np.sum(apistrat["stype"] == s) for s in ("E", "H", "M")}
    frac = np.array([n_h[s] for s in apistrat["stype"]]) / apistrat["fpc"]
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["stype"], fpc=frac)
    est = svy_mean(apistrat["api00"], d)
    assert_allclose([est.estimate[0], est.se[0]], ref, rtol=EXACT)


# --- cluster designs -------------------------------------------------------------------


def test_one_stage_cluster_matches_r(dclus1, apiclus1):
    # m <- svymean(~api00, dclus1, deff=TRUE); c(coef(m), SE(m), deff(m), degf(dclus1))
    ref_mean = (644.16939890710387, 23.542240693781039, 9.3458694505909516, 14.0)
    # m <- svytotal(~enroll, dclus1, deff=TRUE); c(coef(m), SE(m), deff(m))
    ref_total = (3404940.1345291086, 932235.02704121382, 31.31065609434944)
    # r <- svyratio(~api.stu, ~enroll, dclus1, deff=TRUE); c(coef(r), SE(r), deff(r))
    ref_ratio = (0.84970874172448763, 0.0083862971693910854, 4.3393114408874585)
    m = svy_mean(apiclus1["api00"], dclus1)
    assert_allclose([m.estimate[0], m.se[0], m.deff[0]], ref_mean[:3], rtol=EXACT)
    assert m.df[0] == ref_mean[3]
    t = svy_total(apiclus1["enroll"], dclus1)
    assert_allclose([t.estimate[0], t.se[0], t.deff[0]], ref_total, rtol=EXACT)
    r = svy_ratio(apiclus1["api.stu"], apiclus1["enroll"], dclus1)
    assert_allclose([r.estimate[0], r.se[0], r.deff[0]], ref_ratio, rtol=EXACT)


def test_two_stage_cluster_with_fpc_at_both_stages_matches_r(dclus2, apiclus2):
    # m <- svymean(~api00, dclus2); c(coef(m), SE(m), degf(dclus2))
    ref_mean = (670.8118081180811, 30.099027376836585, 39.0)
    # m <- svytotal(~enroll, dclus2, na.rm=TRUE); c(coef(m), SE(m))
    ref_total = (2639272.9300000002, 799637.77364835772)
    m = svy_mean(apiclus2["api00"], dclus2)
    assert_allclose([m.estimate[0], m.se[0]], ref_mean[:2], rtol=EXACT)
    assert m.df[0] == ref_mean[2]
    t = svy_total(apiclus2["enroll"], dclus2, na_rm=True)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=EXACT)


def test_two_stage_without_later_fpc_uses_ultimate_clusters(apiclus2):
    # svymean(~api00, svydesign(id=~dnum+snum, weights=~pw, data=apiclus2))
    ref_wr = (670.8118081180811, 30.711576309328848)
    # svymean(~api00, svydesign(id=~dnum, weights=~pw, fpc=~fpc1, data=apiclus2))
    ref_first = (670.8118081180811, 29.889162472471149)
    psu = [apiclus2["dnum"], apiclus2["snum"]]
    wr = SurveyDesign(weights=apiclus2["pw"], psu=psu)
    first = SurveyDesign(weights=apiclus2["pw"], psu=psu, fpc=[apiclus2["fpc1"]])
    for design, ref in ((wr, ref_wr), (first, ref_first)):
        m = svy_mean(apiclus2["api00"], design)
        assert_allclose([m.estimate[0], m.se[0]], ref, rtol=EXACT)


# --- domains ----------------------------------------------------------------------------


def test_domain_means_match_svyby(dclus1, apiclus1):
    # b <- svyby(~api00, ~stype, dclus1, svymean, deff=TRUE); c(coef(b), SE(b), deff(b))
    ref = np.reshape(
        (
            648.86805555555554,
            618.57142857142856,
            631.44000000000005,
            22.362408893831891,
            38.020249359407529,
            31.609465227245522,
            6.5836735250278027,
            2.2282593168686184,
            2.1638997200804555,
        ),
        (3, 3),
    )
    # sapply(c("E","H","M"), function(s) degf(subset(dclus1, stype == s)))
    ref_df = (14.0, 7.0, 11.0)
    est = svy_mean(apiclus1["api00"], dclus1, by={"stype": apiclus1["stype"]})
    assert [d["stype"] for d in est.domains] == ["E", "H", "M"]
    assert_allclose(est.estimate, ref[0], rtol=EXACT)
    assert_allclose(est.se, ref[1], rtol=EXACT)
    assert_allclose(est.deff, ref[2], rtol=EXACT)
    assert_allclose(est.df, ref_df)


def test_domain_totals_and_ratios_match_svyby(dclus1, apiclus1):
    # b <- svyby(~enroll, ~stype, dclus1, svytotal, deff=TRUE); c(coef(b), SE(b), deff(b))
    ref_t = np.reshape(
        (
            2109717.1268348661,
            535594.86956787028,
            759628.13812637213,
            631349.38627510949,
            226716.59470640964,
            213635.484268131,
            125.03907530965466,
            4.6458157418574588,
            13.014931705502859,
        ),
        (3, 3),
    )
    # b <- svyby(~api.stu, ~stype, dclus1, svyratio, denominator=~enroll); c(coef(b), SE(b))
    ref_r = np.reshape(
        (
            0.85326723460236475,
            0.83006825075834167,
            0.85367375128102307,
            0.012533608596504734,
            0.014726073243273293,
            0.011142028669572547,
        ),
        (2, 3),
    )
    by = {"stype": apiclus1["stype"]}
    t = svy_total(apiclus1["enroll"], dclus1, by=by)
    assert_allclose(np.vstack([t.estimate, t.se, t.deff]), ref_t, rtol=EXACT)
    r = svy_ratio(apiclus1["api.stu"], apiclus1["enroll"], dclus1, by=by)
    assert_allclose(np.vstack([r.estimate, r.se]), ref_r, rtol=EXACT)


def test_crossed_domains_match_svyby(dstrat, apistrat):
    # b <- svyby(~api00, ~stype+awards, dstrat, svymean); c(coef(b), SE(b))
    # (R order: E.No H.No M.No E.Yes H.Yes M.Yes)
    ref = np.reshape(
        (
            659.81481481481478,
            608.79411764705878,
            599.11538461538464,
            679.83561643835617,
            662.0,
            677.20833333333337,
            25.766732465194423,
            15.771328616039634,
            21.641981592085468,
            13.979701345051113,
            30.676620777711246,
            21.522836522895506,
        ),
        (2, 6),
    )
    est = svy_mean(
        apistrat["api00"], dstrat, by={"stype": apistrat["stype"], "awards": apistrat["awards"]}
    )
    r_order = [(s, a) for a in ("No", "Yes") for s in ("E", "H", "M")]
    ours = {(d["stype"], d["awards"]): i for i, d in enumerate(est.domains)}
    idx = [ours[key] for key in r_order]
    assert_allclose(est.estimate[idx], ref[0], rtol=EXACT)
    assert_allclose(est.se[idx], ref[1], rtol=EXACT)


def test_two_stage_domain_means_match_svyby(dclus2, apiclus2):
    # b <- svyby(~api00, ~stype, dclus2, svymean); c(coef(b), SE(b))
    ref = np.reshape(
        (
            692.81040086673897,
            598.34065934065927,
            642.35199999999998,
            29.926604237402984,
            17.694167126090964,
            45.091316300331123,
        ),
        (2, 3),
    )
    est = svy_mean(apiclus2["api00"], dclus2, by=apiclus2["stype"])
    assert_allclose(np.vstack([est.estimate, est.se]), ref, rtol=EXACT)


def test_domain_covariance_gives_contrast_se(dclus1, apiclus1):
    # dc <- update(dclus1, e=as.numeric(stype=="E"), h=as.numeric(stype=="H"),
    #              ye=api00*(stype=="E"), yh=api00*(stype=="H"))
    # k <- svycontrast(svyratio(~ye+yh, ~e+h, dc, covmat=TRUE), c(1,0,0,-1)); c(coef(k), SE(k))
    ref = (30.296626984127101, 30.027606191845468)
    est = svy_mean(apiclus1["api00"], dclus1, by={"stype": apiclus1["stype"]})
    c = np.array([1.0, -1.0, 0.0])
    assert_allclose([c @ est.estimate, np.sqrt(c @ est.vcov @ c)], ref, rtol=EXACT)


# --- proportions -----------------------------------------------------------------------


def test_proportion_logit_and_beta_intervals_match_svyciprop(dclus1, apiclus1):
    # p <- svyciprop(~awd, dclus1, method="logit"); c(coef(p), SE(p), confint(p))
    ref_logit = (
        0.71038251366085281,
        0.033018299553718856,
        0.63483919161018365,
        0.77581651144581154,
    )
    # p <- svyciprop(~awd, dclus1, method="beta"); c(coef(p), confint(p))
    ref_beta = (0.7103825136612022, 0.6334368390614713, 0.77933853617829973)
    # confint(svyciprop(~awd, dclus1, method="logit", level=0.9))
    ref_logit90 = (0.64898407542832992, 0.76493134891802239)
    p = svy_proportion(apiclus1["awd"], dclus1)
    assert p.statistic == "proportion"
    assert_allclose([p.estimate[0], p.se[0]], ref_logit[:2], rtol=GLM)
    assert_allclose(np.ravel(p.confint()), ref_logit[2:], rtol=GLM)
    assert_allclose(np.ravel(p.confint(method="beta")), ref_beta[1:], rtol=EXACT)
    assert_allclose(p.estimate[0], ref_beta[0], rtol=EXACT)
    assert_allclose(np.ravel(p.confint(level=0.9)), ref_logit90, rtol=GLM)


def test_stratified_proportion_beta_interval_and_deff(dstrat, apistrat):
    # p <- svyciprop(~awd, dstrat, method="beta", level=0.9); c(coef(p), confint(p))
    ref_beta = (0.63893606405057835, 0.57845827597309518, 0.69621293338959189)
    # m <- svymean(~awd, dstrat, deff=TRUE); c(coef(m), SE(m), deff(m))
    ref_mean = (0.63893606405057835, 0.034405917997268901, 1.0551940279056065)
    p = svy_proportion(apistrat["awd"], dstrat, ci="beta", level=0.9)
    assert_allclose(np.ravel(p.confint()), ref_beta[1:], rtol=EXACT)
    assert_allclose([p.estimate[0], p.se[0], p.deff[0]], ref_mean, rtol=EXACT)


def test_domain_proportions_match_svyby_svyciprop(dclus1, apiclus1, dstrat, apistrat):
    # b <- svyby(~awd, ~stype, dclus1, svyciprop, method="logit", vartype=c("se","ci"))
    # c(coef(b), SE(b), b$ci_l, b$ci_u)
    ref1 = np.reshape(
        (
            0.77083333333299497,
            0.42857142857142855,
            0.51999999999976942,
            0.029045869400819581,
            0.14564997480928515,
            0.11663552959343176,
            0.70273635558432412,
            0.15524887996845013,
            0.27919560626385459,
            0.82716730358288637,
            0.75373792249790328,
            0.75185693096425366,
        ),
        (4, 3),
    )
    # b <- svyby(~awd, ~stype, dclus1, svyciprop, method="beta", vartype="ci")
    # c(coef(b), b$ci_l, b$ci_u)
    ref1b = np.reshape(
        (
            0.77083333333333337,
            0.42857142857142855,
            0.52000000000000002,
            0.70199571785507875,
            0.13504524783140967,
            0.26389145356250587,
            0.83041516809416505,
            0.76576419065658075,
            0.76857236632381776,
        ),
        (3, 3),
    )
    # b <- svyby(~awd, ~stype, dstrat, svyciprop, method="logit", vartype=c("se","ci"))
    ref2 = np.reshape(
        (
            0.72999999999946841,
            0.32000000000009809,
            0.48000000000023041,
            0.04411208550124824,
            0.064395050509116258,
            0.069596602658173495,
            0.63426172256265978,
            0.20612034158237974,
            0.34516116912563682,
            0.8082534842320156,
            0.46031567048130428,
            0.61781688662269818,
        ),
        (4, 3),
    )
    # deff(svyby(~awd, ~stype, dstrat, svymean, deff=TRUE))
    ref2_deff = (1.0000000004792537, 0.9999999982083061, 0.99999999845155096)
    p = svy_proportion(apiclus1["awd"], dclus1, by={"stype": apiclus1["stype"]})
    lo, hi = p.confint()
    assert_allclose(np.vstack([p.estimate, p.se, lo, hi]), ref1, rtol=GLM)
    lo, hi = p.confint(method="beta")
    assert_allclose(np.vstack([p.estimate, lo, hi]), ref1b, rtol=EXACT)
    q = svy_proportion(apistrat["awd"], dstrat, by={"stype": apistrat["stype"]})
    lo, hi = q.confint()
    assert_allclose(np.vstack([q.estimate, q.se, lo, hi]), ref2, rtol=GLM)
    # R's svyby(svymean) deff is ~1 here up to its own rounding
    assert_allclose(q.deff, ref2_deff, rtol=1e-8)


# --- lonely PSUs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "ref_mean", "ref_total", "ref_by"),
    [
        # options(survey.lonely.psu="certainty")
        # dlonely <- svydesign(id=~1, strata=~cname, weights=~pw, data=apistrat)
        # svymean(~api00, dlonely); svytotal(~enroll, dlonely); svyby(~api00,~stype,dlonely,svymean)
        (
            LonelyPSU.CERTAINTY,
            (662.28736315932076, 8.9253823461979103),
            (3687177.5324382801, 104655.05412664465),
            (
                674.42999999999995,
                625.82000000000005,
                636.60000000000002,
                11.948955441076643,
                14.519471765997706,
                15.222693695579984,
            ),
        ),
        # options(survey.lonely.psu="adjust"), same calls
        (
            LonelyPSU.ADJUST,
            (662.28736315932076, 9.0267056827731729),
            (3687177.5324382801, 116699.16428831987),
            (
                674.42999999999995,
                625.82000000000005,
                636.60000000000002,
                12.057218713817674,
                15.095058435249747,
                15.943575111920493,
            ),
        ),
        # options(survey.lonely.psu="average"), same calls
        (
            LonelyPSU.AVERAGE,
            (662.28736315932076, 10.86362943415773),
            (3687177.5324382801, 127382.075337972),
            (
                674.42999999999995,
                625.82000000000005,
                636.60000000000002,
                12.457647211950958,
                16.155776748734151,
                17.260912201292324,
            ),
        ),
    ],
)
def test_lonely_psu_policies_match_r(apistrat, policy, ref_mean, ref_total, ref_by):
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["cname"], lonely_psu=policy)
    m = svy_mean(apistrat["api00"], d)
    assert_allclose([m.estimate[0], m.se[0]], ref_mean, rtol=EXACT)
    t = svy_total(apistrat["enroll"], d)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=EXACT)
    b = svy_mean(apistrat["api00"], d, by=apistrat["stype"])
    assert_allclose(np.concatenate([b.estimate, b.se]), ref_by, rtol=EXACT)


def test_lonely_psu_fail_names_the_stratum(apistrat):
    # sum(table(apistrat$cname) == 1)
    assert 13.0 == 13
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["cname"])
    with pytest.raises(SinglePSUError, match=r"stratum '.+' has only one PSU at stage 1"):
        svy_mean(apistrat["api00"], d)


# --- hand-computed cases ------------------------------------------------------------------


def test_stratified_srs_total_by_hand():
    # stratum 1: N=10, n=2, y=(1, 3); stratum 2: N=20, n=3, y=(2, 4, 9)
    y = np.array([1.0, 3.0, 2.0, 4.0, 9.0])
    w = np.array([5.0, 5.0, 20 / 3, 20 / 3, 20 / 3])
    d = SurveyDesign(weights=w, strata=[1, 1, 2, 2, 2], fpc=[10, 10, 20, 20, 20])
    est = svy_total(y, d)
    # V = N_h^2 (1 - n_h/N_h) s_h^2 / n_h, s_1^2 = 2, s_2^2 = 13
    v = 10**2 * (1 - 2 / 10) * 2.0 / 2 + 20**2 * (1 - 3 / 20) * 13.0 / 3
    assert_allclose(est.estimate[0], 5 * 4 + 20 / 3 * 15, rtol=1e-12)
    assert_allclose(est.se[0] ** 2, v, rtol=1e-12)
    assert est.df[0] == 3


def test_cluster_mean_by_hand():
    # 4 equal-weight clusters with totals (y, n): (3, 2), (5, 2), (4, 1), (8, 3)
    y = np.array([1.0, 2.0, 5.0, 0.0, 4.0, 2.0, 3.0, 3.0])
    psu = np.array([1, 1, 2, 2, 3, 4, 4, 4])
    d = SurveyDesign(weights=np.ones(8), psu=psu)
    est = svy_mean(y, d)
    ybar = 20.0 / 8.0
    t = np.array([3.0, 5.0, 4.0, 8.0]) - ybar * np.array([2.0, 2.0, 1.0, 3.0])
    v = 4 / 3 * np.sum((t - t.mean()) ** 2) / 8.0**2
    assert_allclose([est.estimate[0], est.se[0] ** 2], [ybar, v], rtol=1e-12)


def test_wilson_interval_by_hand():
    d = SurveyDesign(weights=np.ones(40), psu=np.arange(40))
    y = np.r_[np.ones(10), np.zeros(30)]
    p = svy_proportion(y, d)
    lo, hi = p.confint(method="wilson")
    # SRS with replacement: se^2 = p(1-p)/(n-1) -> n_eff = n - 1 = 39
    from scipy.stats import t

    z = t.ppf(0.975, 39)
    n_eff, ph = 39.0, 0.25
    centre = (ph + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
    half = z * np.sqrt(ph * (1 - ph) / n_eff + z**2 / (4 * n_eff**2)) / (1 + z**2 / n_eff)
    assert_allclose([lo[0], hi[0]], [centre - half, centre + half], rtol=1e-12)


def test_boundary_proportion_gets_flag_and_finite_interval():
    d = SurveyDesign(weights=np.ones(40), psu=np.arange(40))
    p = svy_proportion(np.zeros(40), d)
    lo, hi = p.confint()
    assert "boundary" in p.flags[0]
    assert lo[0] == 0.0 and 0.0 < hi[0] < 0.15


# --- domains are zero weights, missing values, validation ----------------------------------


def test_domain_equals_subset_design(dclus1, apiclus1):
    by = svy_mean(apiclus1["api00"], dclus1, by=apiclus1["stype"]).select(by="H")
    sub = svy_mean(apiclus1["api00"], dclus1.subset(apiclus1["stype"] == "H"))
    assert_allclose([by.estimate[0], by.se[0], by.df[0]], [sub.estimate[0], sub.se[0], sub.df[0]])


def test_missing_values_are_an_error_unless_na_rm(dclus2, apiclus2):
    with pytest.raises(SamplingError, match=r"'enroll' is missing for \d+ respondent\(s\)"):
        svy_total(apiclus2["enroll"], dclus2, name="enroll")
    ok = ~np.isnan(apiclus2["enroll"])
    a = svy_mean(apiclus2["enroll"], dclus2, na_rm=True)
    b = svy_mean(np.nan_to_num(apiclus2["enroll"]), dclus2.subset(ok))
    assert_allclose([a.estimate[0], a.se[0]], [b.estimate[0], b.se[0]], rtol=1e-12)


def test_proportion_rejects_non_binary(dclus1, apiclus1):
    with pytest.raises(SamplingError, match="must be 0/1"):
        svy_proportion(apiclus1["api00"], dclus1, name="api00")


def test_reliability_flags(dclus1, apiclus1):
    est = svy_mean(apiclus1["api00"], dclus1, by=apiclus1["stype"])
    n = dict(zip([d["by"] for d in est.domains], est.n, strict=True))
    flags = dict(zip([d["by"] for d in est.domains], est.flags, strict=True))
    assert n["H"] < 30 and "small_n" in flags["H"]
    assert n["E"] >= 30 and "small_n" not in flags["E"]
    rows = est.to_rows()
    assert set(rows[0]) == {
        "statistic",
        "variable",
        "domain",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "cv",
        "n",
        "flags",
    }
