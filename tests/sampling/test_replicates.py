"""Replicate-weight variance against R (values from tests/sampling/r/replicates.R).

In R:
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dstrat_nofpc <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat)
    stats <- function(d) list(svymean(~api00, d), svytotal(~enroll, d),
                              svyratio(~api.stu, ~enroll, d), svyby(~api00, ~stype, d, svymean),
                              degf(d))     # each as c(coef, SE)
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling._hadamard import hadamard
from sampling.design import SurveyDesign
from sampling.errors import DesignError
from sampling.estimation import svy_mean
from sampling.estimation import svy_ratio
from sampling.estimation import svy_total
from sampling.replicates import replicate_design

EXACT = 1e-9


def check_stats(design, data, ref_mean, ref_total, ref_ratio, ref_by, ref_degf):
    m = svy_mean(data["api00"], design)
    assert_allclose([m.estimate[0], m.se[0]], ref_mean, rtol=EXACT)
    t = svy_total(data["enroll"], design)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=EXACT)
    r = svy_ratio(data["api.stu"], data["enroll"], design)
    assert_allclose([r.estimate[0], r.se[0]], ref_ratio, rtol=EXACT)
    b = svy_mean(data["api00"], design, by=data["stype"])
    assert_allclose(np.concatenate([b.estimate, b.se]), ref_by, rtol=EXACT)
    assert design.degf == ref_degf


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    return SurveyDesign(weights=apiclus1["pw"], psu=apiclus1["dnum"], fpc=apiclus1["fpc"])


def test_jk1_matches_r(dclus1, apiclus1):
    check_stats(
        replicate_design(dclus1, "jk1"),
        apiclus1,
        # stats(as.svrepdesign(dclus1, type="JK1"))
        (644.16939890710375, 26.329360589527564),
        (3404940.1345291086, 932235.0270412137),
        (0.84970874172448774, 0.0095170851756147829),
        (
            648.86805555555554,
            618.57142857142856,
            631.43999999999994,
            25.374303552398203,
            46.344121745186008,
            33.687619998631355,
        ),
        14.0,
    )


def test_jk1_mse_and_without_fpc_match_r(dclus1, apiclus1):
    check_stats(
        replicate_design(dclus1, "jk1", mse=True),
        apiclus1,
        # stats(as.svrepdesign(dclus1, type="JK1", mse=TRUE))
        (644.16939890710375, 26.334857668459147),
        (3404940.1345291086, 932235.0270412137),
        (0.84970874172448774, 0.0095193634815645602),
        (
            648.86805555555554,
            618.57142857142856,
            631.43999999999994,
            25.380122540309987,
            46.359577638221516,
            33.687692042207338,
        ),
        14.0,
    )
    nofpc = SurveyDesign(weights=apiclus1["pw"], psu=apiclus1["dnum"])
    check_stats(
        replicate_design(nofpc, "jk1"),
        apiclus1,
        # stats(as.svrepdesign(svydesign(id=~dnum, weights=~pw, data=apiclus1), type="JK1"))
        (644.16939890710375, 26.594161357710547),
        (3404940.1345291086, 941610.7409119783),
        (0.84970874172448774, 0.0096128008105158466),
        (
            648.86805555555554,
            618.57142857142856,
            631.43999999999994,
            25.629499080217279,
            46.81021582282844,
            34.026424567149519,
        ),
        14.0,
    )


def test_jkn_matches_r(apistrat):
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["stype"], fpc=apistrat["fpc"])
    check_stats(
        replicate_design(d, "jkn"),
        apistrat,
        # stats(as.svrepdesign(dstrat, type="JKn"))
        (662.28736315932076, 9.4089408027845032),
        (3687177.5324382801, 114641.71610078026),
        (0.83695688694052162, 0.0077725090399876785),
        (
            674.42999999999995,
            625.82000000000005,
            636.60000000000002,
            12.382479793907278,
            14.937129185393131,
            16.214707308184476,
        ),
        197.0,
    )


def test_brr_and_fay_match_r(apistrat):
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["stype"])
    check_stats(
        replicate_design(d, "brr"),
        apistrat,
        # stats(as.svrepdesign(dstrat_nofpc, type="BRR"))   (100 pairs, Paley matrix of order 104)
        (662.28736315932076, 9.8997009186218872),
        (3687177.5324382801, 121870.07391383384),
        (0.83695688694052162, 0.0075354633321959392),
        (
            674.42999999999995,
            625.82000000000005,
            636.60000000000002,
            13.029478116946962,
            14.744883858477834,
            17.514930773485801,
        ),
        100.0,
    )
    check_stats(
        replicate_design(d, "fay", fay_rho=0.3),
        apistrat,
        # stats(as.svrepdesign(dstrat_nofpc, type="Fay", fay.rho=0.3))
        (662.28736315932076, 9.8997009186218907),
        (3687177.5324382801, 121870.0739138338),
        (0.83695688694052162, 0.0075306560870518459),
        (
            674.42999999999995,
            625.82000000000005,
            636.60000000000002,
            13.029478116946981,
            14.744883858477829,
            17.514930773485801,
        ),
        100.0,
    )


def test_brr_small_pairs_match_r(apistrat):
    # small <- apistrat[1:12, ]; small$pair <- rep(c(5,3,1,6,2,4), each=2)
    # bsmall <- as.svrepdesign(svydesign(id=~1, strata=~pair, weights=~pw, data=small), "BRR")
    # ncol(bsmall$repweights$weights)
    ref_ncol = 8.0
    # m <- svymean(~api00, bsmall); c(coef(m), SE(m))
    ref_mean = (654.14810836932361, 31.885057228857548)
    # r <- svyratio(~api.stu, ~enroll, bsmall); c(coef(r), SE(r))
    ref_ratio = (0.85687039509350771, 0.017654232853764017)
    small = {k: v[:12] for k, v in apistrat.items()}
    pair = np.repeat([5, 3, 1, 6, 2, 4], 2)
    b = replicate_design(SurveyDesign(weights=small["pw"], strata=pair), "brr")
    assert b.n_replicates == ref_ncol
    m = svy_mean(small["api00"], b)
    assert_allclose([m.estimate[0], m.se[0]], ref_mean, rtol=EXACT)
    r = svy_ratio(small["api.stu"], small["enroll"], b)
    assert_allclose([r.estimate[0], r.se[0]], ref_ratio, rtol=EXACT)


def test_hadamard_matrices_are_orthogonal_with_r_orders():
    # dim(hadamard(n)) in R for n = 3, 5, 10, 20, 50, 100, 200: 4 8 12 24 56 104 212
    for n, order in [(3, 4), (5, 8), (10, 12), (20, 24), (50, 56), (100, 104), (200, 212)]:
        h = 2.0 * hadamard(n) - 1.0
        assert h.shape == (order, order)
        assert_allclose(h.T @ h, order * np.eye(order))


# --- agreement with Taylor linearisation ---------------------------------------------------


def test_jackknife_total_equals_taylor_and_mean_is_close(dclus1, apiclus1):
    jk = replicate_design(dclus1, "jk1")
    # for a linear statistic the JK1 variance is the Taylor variance exactly
    t_jk = svy_total(apiclus1["enroll"], jk)
    t_ty = svy_total(apiclus1["enroll"], dclus1)
    assert_allclose(t_jk.se, t_ty.se, rtol=1e-10)
    m_jk = svy_mean(apiclus1["api00"], jk)
    m_ty = svy_mean(apiclus1["api00"], dclus1)
    assert_allclose(m_jk.se, m_ty.se, rtol=0.15)


def test_rao_wu_bootstrap_agrees_with_taylor(apistrat, rng):
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["stype"])
    boot = replicate_design(d, "bootstrap", replicates=2000, rng=rng)
    # Rao-Wu: every replicate keeps each stratum's weight total in expectation
    assert boot.n_replicates == 2000 and boot.scale == pytest.approx(1 / 1999)
    ty = svy_total(apistrat["enroll"], d).se[0]
    bt = svy_total(apistrat["enroll"], boot).se[0]
    # Monte Carlo error of a bootstrap SE with 2000 replicates is about 1/sqrt(2*2000) = 1.6%
    assert abs(bt / ty - 1) < 0.06


def test_replicate_methods_check_the_design(dclus1, apistrat):
    d = SurveyDesign(weights=apistrat["pw"], strata=apistrat["stype"])
    with pytest.raises(DesignError, match="JK1 is for unstratified designs"):
        replicate_design(d, "jk1")
    with pytest.raises(DesignError, match="JKn is for stratified designs"):
        replicate_design(dclus1, "jkn")
    odd = SurveyDesign(weights=np.ones(5), strata=[1, 1, 2, 2, 2])
    with pytest.raises(DesignError, match="odd number of PSUs"):
        replicate_design(odd, "brr")
    with pytest.raises(DesignError, match="needs a random generator"):
        replicate_design(d, "bootstrap")


def test_replicate_design_effects_match_r(dclus1, apiclus1):
    # deff(svymean(~api00, as.svrepdesign(dclus1, type="JK1"), deff=TRUE))
    ref_mean = 11.689737092138804
    # deff(svyby(~api00, ~stype, jk, svymean, deff=TRUE))
    ref_by = (8.476554921893598, 3.3107403513339935, 2.4577827561792147)
    jk = replicate_design(dclus1, "jk1")
    assert_allclose(svy_mean(apiclus1["api00"], jk).deff[0], ref_mean, rtol=EXACT)
    assert_allclose(svy_mean(apiclus1["api00"], jk, by=apiclus1["stype"]).deff, ref_by, rtol=EXACT)
