"""Weighting steps against R's survey package (values from tests/sampling/r/weighting.R).

In R:
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    pop.types <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
    pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))
    pop.rk <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, sch.wideYes=5122)
    pop.lin <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069)
    wsum <- function(d) { w <- weights(d); c(sum(w), sum(w^2), min(w), max(w)) }
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling.design import SurveyDesign
from sampling.errors import ConvergenceError
from sampling.errors import MarginError
from sampling.errors import WeightingError
from sampling.estimation import svy_mean
from sampling.estimation import svy_total
from sampling.replicates import replicate_design
from sampling.weighting import WEIGHTING_METHODS
from sampling.weighting import adjust_nonresponse
from sampling.weighting import base_weights
from sampling.weighting import calibrate
from sampling.weighting import get_weighting_method
from sampling.weighting import kish_deff
from sampling.weighting import kish_ess
from sampling.weighting import poststratify
from sampling.weighting import rake
from sampling.weighting import trim_weights

EXACT = 1e-9
ITER = 1e-6

TYPES = {"E": 4421, "H": 755, "M": 1018}
SCHWIDE = {"No": 1072, "Yes": 5122}


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    return SurveyDesign(weights=apiclus1["pw"], psu=apiclus1["dnum"], fpc=apiclus1["fpc"])


@pytest.fixture(scope="module")
def linear(dclus1, apiclus1):
    return calibrate(dclus1.weights, apiclus1, margins={"stype": TYPES}, totals={"api99": 3914069})


def wsum(w):
    return [w.sum(), (w**2).sum(), w.min(), w.max()]


def mean_se(y, design, **kw):
    est = svy_mean(y, design, **kw)
    return np.concatenate([est.estimate, est.se])


def test_poststratify_matches_r(dclus1, apiclus1):
    # ps <- postStratify(dclus1, ~stype, pop.types); wsum(ps)
    ref_w = (6194.0, 217899.87170634919, 30.701388888888886, 53.928571428571423)
    # m <- svymean(~api00, ps); c(coef(m), SE(m))
    ref_mean = (642.31078821158212, 23.920486445090386)
    # m <- svytotal(~enroll, ps); c(coef(m), SE(m))
    ref_total = (3680892.9451190475, 406292.63629480189)
    # b <- svyby(~api00, ~sch.wide, ps, svymean); c(coef(b), SE(b))
    ref_by = (612.06261493838826, 647.16112840438916, 27.373195519123293, 24.397066901528049)
    res = poststratify(dclus1.weights, apiclus1, margins={"stype": TYPES})
    ps = dclus1.apply_weighting(res)
    assert_allclose(wsum(ps.weights), ref_w, rtol=EXACT)
    assert_allclose(mean_se(apiclus1["api00"], ps), ref_mean, rtol=EXACT)
    t = svy_total(apiclus1["enroll"], ps)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=EXACT)
    assert_allclose(mean_se(apiclus1["api00"], ps, by=apiclus1["sch.wide"]), ref_by, rtol=EXACT)


def test_rake_matches_r_rake_and_calibrate_raking(dclus1, apiclus1):
    # rk <- rake(dclus1, list(~stype,~sch.wide), list(pop.types,pop.schwide),
    #            control=list(maxit=200, epsilon=1e-14)); wsum(rk)
    ref_rake_w = (6194.0000000000009, 220478.02175136181, 29.870675492685031, 67.1255292411943)
    # cr <- calibrate(dclus1, ~stype+sch.wide, pop.rk, calfun="raking", epsilon=1e-13, maxit=100)
    # wsum(cr)
    ref_cal_w = (6194.0, 220478.02175136161, 29.870675492685056, 67.125529241194243)
    # m <- svymean(~api00, cr); c(coef(m), SE(m))
    ref_mean = (641.23032092682001, 23.703616887921733)
    # m <- svytotal(~enroll, cr); c(coef(m), SE(m))
    ref_total = (3647280.1480651777, 400603.25686200417)
    # b <- svyby(~api00, ~stype, cr, svymean); c(coef(b), SE(b))
    ref_by = (
        647.44657922841645,
        621.29186105489759,
        629.02153826664698,
        22.808412194096867,
        36.743144877767541,
        29.962880959058364,
    )
    res = rake(dclus1.weights, apiclus1, margins={"stype": TYPES, "sch.wide": SCHWIDE})
    assert res.converged and res.iterations > 1
    rk = dclus1.apply_weighting(res)
    assert_allclose(wsum(rk.weights), ref_rake_w, rtol=ITER)
    assert_allclose(wsum(rk.weights), ref_cal_w, rtol=ITER)
    assert_allclose(mean_se(apiclus1["api00"], rk), ref_mean, rtol=ITER)
    t = svy_total(apiclus1["enroll"], rk)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=ITER)
    assert_allclose(mean_se(apiclus1["api00"], rk, by=apiclus1["stype"]), ref_by, rtol=ITER)


def test_rake_agrees_with_calibrate_raking(dclus1, apiclus1):
    margins = {"stype": TYPES, "sch.wide": SCHWIDE}
    ipf = rake(dclus1.weights, apiclus1, margins=margins, tol=1e-13)
    newton = calibrate(dclus1.weights, apiclus1, margins=margins, method="raking", tol=1e-13)
    assert_allclose(ipf.weights, newton.weights, rtol=1e-10)
    a = svy_mean(apiclus1["api00"], dclus1.apply_weighting(ipf))
    b = svy_mean(apiclus1["api00"], dclus1.apply_weighting(newton))
    assert_allclose(a.se, b.se, rtol=1e-9)


def test_linear_calibration_matches_r(dclus1, apiclus1, linear):
    # lin <- calibrate(dclus1, ~stype+api99, pop.lin); wsum(lin)
    ref_w = (6194.0000000000018, 228638.9096471614, 14.168097522849909, 62.05152514097972)
    # m <- svymean(~api00, lin); c(coef(m), SE(m))
    ref_mean = (665.30907116577976, 3.4417531164048429)
    # m <- svytotal(~enroll, lin); c(coef(m), SE(m))
    ref_total = (3638487.2041318817, 385524.42735247884)
    # b <- svyby(~api00, ~stype, lin, svymean); c(coef(b), SE(b))
    ref_by = (
        674.70404551265665,
        630.51487957576876,
        650.31342584447896,
        6.4780659133782947,
        32.700046540091741,
        17.606258150087246,
    )
    lin = dclus1.apply_weighting(linear)
    assert_allclose(wsum(lin.weights), ref_w, rtol=EXACT)
    assert_allclose(mean_se(apiclus1["api00"], lin), ref_mean, rtol=EXACT)
    t = svy_total(apiclus1["enroll"], lin)
    assert_allclose([t.estimate[0], t.se[0]], ref_total, rtol=EXACT)
    assert_allclose(mean_se(apiclus1["api00"], lin, by=apiclus1["stype"]), ref_by, rtol=EXACT)
    margins = {m.level or m.variable: m for m in linear.diagnostics.margins}
    assert_allclose(margins["api99"].after, 3914069, rtol=1e-12)
    assert_allclose(margins["H"].after, 755, rtol=1e-12)


def test_logit_and_bounded_linear_calibration_match_r(dclus1, apiclus1):
    # lgt <- calibrate(dclus1, ~stype+api99, pop.lin, calfun="logit", bounds=c(0.7,1.7),
    #                  epsilon=1e-13, maxit=100); wsum(lgt)
    ref_w = (6194.0, 231077.81929638379, 23.722524613133299, 57.434335436234853)
    # range(weights(lgt) / weights(dclus1))
    ref_g = (0.70087532724331425, 1.6968813100772475)
    # m <- svymean(~api00, lgt); c(coef(m), SE(m))
    ref_mean = (665.46096942853796, 3.4199837215694835)
    # blin <- calibrate(dclus1, ~stype+api99, pop.lin, calfun="linear", bounds=c(0.6,1.6),
    #                   epsilon=1e-13, maxit=100); wsum(blin)
    ref_bw = (6194.0, 229573.61310936554, 20.308197784423797, 54.155194091796801)
    # m <- svymean(~api00, blin); c(coef(m), SE(m))
    ref_bmean = (665.48494593063015, 3.4183874028725811)
    kw = {"margins": {"stype": TYPES}, "totals": {"api99": 3914069}}
    res = calibrate(dclus1.weights, apiclus1, method="logit", bounds=(0.7, 1.7), **kw)
    g = res.weights / dclus1.weights
    assert_allclose(wsum(res.weights), ref_w, rtol=ITER)
    assert_allclose([g.min(), g.max()], ref_g, rtol=ITER)
    assert_allclose(mean_se(apiclus1["api00"], dclus1.apply_weighting(res)), ref_mean, rtol=ITER)
    res = calibrate(dclus1.weights, apiclus1, method="linear", bounds=(0.6, 1.6), **kw)
    assert_allclose(wsum(res.weights), ref_bw, rtol=ITER)
    assert_allclose(mean_se(apiclus1["api00"], dclus1.apply_weighting(res)), ref_bmean, rtol=ITER)


def test_trim_weights_matches_r(dclus1, apiclus1, linear):
    # tr <- trimWeights(lin, upper=36, lower=30, strict=TRUE); wsum(tr)
    ref_strict = (6194.0000000000009, 210920.39851367287, 30.482198585810345, 36.0)
    # m <- svymean(~api00, tr); c(coef(m), SE(m))
    ref_mean = (650.08947950598144, 4.7768878369403156)
    # wsum(trimWeights(lin, upper=36, lower=30, strict=FALSE))
    ref_once = (6194.0000000000018, 211399.85391746392, 30.0, 39.089892008981522)
    # quantile(weights(lin), 0.95)
    ref_q = 51.599689778313405
    lin = dclus1.apply_weighting(linear)
    res = trim_weights(lin.weights, upper=36, lower=30)
    assert_allclose(wsum(res.weights), ref_strict, rtol=EXACT)
    assert_allclose(mean_se(apiclus1["api00"], lin.apply_weighting(res)), ref_mean, rtol=EXACT)
    once = trim_weights(lin.weights, upper=36, lower=30, strict=False)
    assert_allclose(wsum(once.weights), ref_once, rtol=EXACT)
    q = trim_weights(lin.weights, upper_quantile=0.95)
    assert_allclose(q.diagnostics.notes["upper"], ref_q, rtol=EXACT)
    assert q.weights.max() <= ref_q * (1 + 1e-12)
    assert_allclose(q.weights.sum(), lin.weights.sum(), rtol=1e-12)


def test_replicate_weights_are_recalibrated(dclus1, apiclus1, linear):
    # jk <- as.svrepdesign(dclus1)
    # m <- svymean(~api00, calibrate(jk, ~stype+api99, pop.lin)); c(coef(m), SE(m))
    ref_lin = (665.30907116577976, 3.9428544837676145)
    # m <- svymean(~api00, calibrate(jk, ~stype+sch.wide, pop.rk, calfun="raking",
    #                                epsilon=1e-13, maxit=100)); c(coef(m), SE(m))
    ref_rake = (641.23032092682001, 26.873980435666741)
    # m <- svymean(~api00, postStratify(jk, ~stype, pop.types)); c(coef(m), SE(m))
    ref_ps = (642.31078821158223, 26.934535367426029)
    jk = replicate_design(dclus1, "jk1")
    assert_allclose(mean_se(apiclus1["api00"], jk.apply_weighting(linear)), ref_lin, rtol=EXACT)
    margins = {"stype": TYPES, "sch.wide": SCHWIDE}
    rk = rake(dclus1.weights, apiclus1, margins=margins, tol=1e-13)
    assert_allclose(mean_se(apiclus1["api00"], jk.apply_weighting(rk)), ref_rake, rtol=ITER)
    ps = poststratify(dclus1.weights, apiclus1, margins={"stype": TYPES})
    assert_allclose(mean_se(apiclus1["api00"], jk.apply_weighting(ps)), ref_ps, rtol=EXACT)


# --- hand-computed cases -------------------------------------------------------------------


def test_rake_two_by_two_by_hand():
    # IPF on a 2x2 table with unit weights converges to the independence fit
    v = {"a": np.array([1, 1, 2, 2]), "b": np.array([1, 2, 1, 2])}
    res = rake(np.ones(4), v, margins={"a": {1: 30, 2: 70}, "b": {1: 40, 2: 60}})
    assert_allclose(res.weights, [12.0, 18.0, 28.0, 42.0], rtol=1e-10)


def test_linear_calibration_by_hand():
    # one numeric total, no intercept: g = 1 + x * (T - sum d x) / sum d x^2
    x = np.array([1.0, 2.0, 3.0])
    res = calibrate(np.ones(3), {"x": x}, totals={"x": 12.0})
    lam = (12.0 - 6.0) / 14.0
    assert_allclose(res.weights, 1.0 + lam * x, rtol=1e-12)


def test_trim_by_hand():
    # cap 3: cut 2 from the 5, add 2/3 to each of the three others
    res = trim_weights([1.0, 1.0, 1.0, 5.0], upper=3.0)
    assert_allclose(res.weights, [5 / 3, 5 / 3, 5 / 3, 3.0], rtol=1e-12)
    # strict (as R): a weight pushed over the cap by the redistribution is trimmed again;
    # passes repeat until none exceeds it, converging to (3.95, 3.95, 4, 4)
    res = trim_weights([3.9, 1.0, 1.0, 10.0], upper=4.0)
    assert res.diagnostics.notes["passes"] > 2
    assert res.weights.max() <= 4.0
    assert_allclose(np.sort(res.weights), [3.95, 3.95, 4.0, 4.0], rtol=1e-12)
    assert_allclose(res.weights.sum(), 15.9, rtol=1e-12)


def test_trim_then_recalibrate_by_hand():
    # cells x = rows 1-2 (target 2), y = rows 3-4 (target 6); cap 4. Trimming alone gives
    # (4/3, 4/3, 4/3, 4): x = 8/3, y = 16/3. Trim <-> post-stratify cycles converge to the
    # weights that meet both: y's rows (w, 4) with w + 4 = 6, x's rows (1, 1).
    cells = {"c": np.array(["x", "x", "y", "y"])}
    ps = poststratify([1.0, 1.0, 1.0, 5.0], cells, margins={"c": {"x": 2, "y": 6}})
    only = trim_weights(ps.weights, upper=4.0)
    assert_allclose(only.weights, [4 / 3, 4 / 3, 4 / 3, 4.0], rtol=1e-12)
    res = trim_weights(ps.weights, upper=4.0, recalibrate=ps.step, tol=1e-12)
    assert_allclose(res.weights, [1.0, 1.0, 2.0, 4.0], rtol=1e-9)
    notes = res.diagnostics.notes
    assert notes["recalibrated"] == "poststratify" and notes["cycles"] > 1
    assert_allclose(notes["error_trim_only"], (8 / 3 - 2) / 2, rtol=1e-12)
    assert res.diagnostics.max_margin_error < 1e-9
    assert {(m.level, m.target) for m in res.diagnostics.margins} == {("x", 2.0), ("y", 6.0)}
    # y needs 6 from two rows: a cap of 2.9 cannot meet it
    with pytest.raises(ConvergenceError, match="both the caps and the margins"):
        trim_weights(ps.weights, upper=2.9, recalibrate=ps.step, max_cycles=50)


def test_nonresponse_with_dispositions_by_hand():
    # class A: ER 2, 2; ENR 2; UNK 2; IN 2  (all weight 2)
    # a1 = 10 / 8; eligible = (4 + 2) * a1 = 7.5; a2 = 7.5 / (4 a1) = 1.5
    # class B: ER 3, ENR 1 (a partial interview, 1.2, is a nonrespondent: the analysis
    # table holds completes only; sampling.outcomes.weighting_outcome)
    # a2 = 4 / 3, so the respondent ends with 3 * 4 / 3 = 4
    disp = np.array(["1.1", "1.1", "2.11", "3.21", "4.10", "1.1", "1.2"])
    cls = np.array(["A", "A", "A", "A", "A", "B", "B"])
    w = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 3.0, 1.0])
    res = adjust_nonresponse(w, {"disp": disp, "town": cls}, outcome="disp", classes=["town"])
    assert_allclose(res.weights, [3.75, 3.75, 0, 0, 0, 4.0, 0], rtol=1e-12)
    kept = adjust_nonresponse(
        w, {"disp": disp, "town": cls}, outcome="disp", classes=["town"], keep_ineligible=True
    )
    assert_allclose(kept.weights[4], 2.5, rtol=1e-12)
    with pytest.raises(MarginError, match=r"weighting class \{'town': 'B'\} has no respondents"):
        adjust_nonresponse(
            w,
            {"d": np.concatenate([disp[:5], ["2.1", "2.2"]]), "town": cls},
            outcome="d",
            classes=["town"],
        )


def test_indicator_written_as_floats_is_an_indicator():
    # a 0/1 column saved by a tool that writes floats: 1.0 responded, 0.0 did not
    res = adjust_nonresponse([2.0, 2.0, 2.0], {"r": ["1.0", "1.0", "0.0"]}, outcome="r")
    assert_allclose(res.weights, [3.0, 3.0, 0.0], rtol=1e-12)
    with pytest.raises(WeightingError, match="unknown disposition"):
        adjust_nonresponse([1.0, 1.0], {"r": ["1.1", "1.9x"]}, outcome="r")


def test_base_weights_and_kish():
    assert_allclose(base_weights([0.1, 0.5], [0.5, 0.25]), [20.0, 8.0])
    # balance's design_effect((1, 1, 1000)) = 2.9880418803112336
    assert_allclose(kish_deff([1.0, 1.0, 1000.0]), 2.9880418803112336, rtol=1e-12)
    assert_allclose(kish_ess([1.0, 1.0, 1000.0]), 3 / 2.9880418803112336, rtol=1e-12)


# --- impossible margins and bad input ---------------------------------------------------------


def test_empty_cell_names_variable_and_level(apiclus1, dclus1):
    with pytest.raises(MarginError, match=r"level 'X' of 'stype' has a population total"):
        rake(dclus1.weights, apiclus1, margins={"stype": {**TYPES, "X": 10}})


def test_unknown_level_in_data_is_named(apiclus1, dclus1):
    with pytest.raises(MarginError, match=r"level 'M' of 'stype' without a population total"):
        rake(dclus1.weights, apiclus1, margins={"stype": {"E": 5000, "H": 1194}})


def test_inconsistent_margins_are_named(apiclus1, dclus1):
    with pytest.raises(MarginError, match=r"margins 'stype' and 'sch.wide' disagree"):
        rake(dclus1.weights, apiclus1, margins={"stype": TYPES, "sch.wide": {"No": 1, "Yes": 2}})


def test_logit_bounds_that_cannot_be_met(apiclus1, dclus1):
    with pytest.raises(ConvergenceError):
        calibrate(
            dclus1.weights,
            apiclus1,
            margins={"stype": TYPES},
            totals={"api99": 3914069},
            method="logit",
            bounds=(0.95, 1.05),
            max_iter=30,
        )


def test_registry_lists_valid_names():
    assert set(WEIGHTING_METHODS) == {"nonresponse", "poststratify", "rake", "calibrate", "trim"}
    with pytest.raises(WeightingError, match="calibrate, nonresponse, poststratify, rake, trim"):
        get_weighting_method("ipw")


def test_inputs_are_not_mutated(dclus1, apiclus1):
    w = np.array(dclus1.weights, copy=True)
    before = w.copy()
    rake(w, apiclus1, margins={"stype": TYPES, "sch.wide": SCHWIDE})
    trim_weights(w, upper=34)
    assert np.array_equal(w, before)


def test_design_effects_after_calibration_match_r(dclus1, apiclus1, linear):
    # deff(svymean(~api00, lin, deff=TRUE))
    ref_mean = 0.21022362910884659
    # deff(svytotal(~enroll, lin, deff=TRUE))
    ref_total = 4.128304105425773
    lin = dclus1.apply_weighting(linear)
    assert_allclose(svy_mean(apiclus1["api00"], lin).deff[0], ref_mean, rtol=EXACT)
    assert_allclose(svy_total(apiclus1["enroll"], lin).deff[0], ref_total, rtol=EXACT)


def test_two_calibration_steps_match_r(dclus1, apiclus1):
    # ps_lin <- calibrate(postStratify(dclus1, ~stype, pop.types), ~stype+api99, pop.lin)
    # m <- svymean(~api00, ps_lin); c(coef(m), SE(m))
    ref = (665.353726953511, 3.421697851067671)
    # b <- svyby(~api00, ~sch.wide, ps_lin, svymean); c(coef(b), SE(b))
    ref_by = (627.98012534815962, 671.5021519788645, 16.379050115921618, 4.4558293468516652)
    ps = poststratify(dclus1.weights, apiclus1, margins={"stype": TYPES})
    d1 = dclus1.apply_weighting(ps)
    lin = calibrate(d1.weights, apiclus1, margins={"stype": TYPES}, totals={"api99": 3914069})
    d2 = d1.apply_weighting(lin)
    assert len(d2.calibrations) == 2
    assert_allclose(mean_se(apiclus1["api00"], d2), ref, rtol=EXACT)
    assert_allclose(mean_se(apiclus1["api00"], d2, by=apiclus1["sch.wide"]), ref_by, rtol=EXACT)
