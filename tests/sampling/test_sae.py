"""Fay-Herriot EBLUP: R sae reference values, closed forms and a simulation with known truth.

Reference values come from tests/sampling/r/fay_herriot.R (output in fay_herriot.Rout):

    library(sae)   # Molina & Marhuenda (2015); see the script for how it was run here
    milk <- read.csv("tests/sampling/data/sae_milk.csv"); milk$var <- milk$SD^2
    res <- mseFH(yi ~ as.factor(MajorArea), var, method = "REML",   # and method = "ML"
                 MAXITER = 1000, PRECISION = 1e-13, data = milk)
    res$est$fit$refvar; res$est$fit$estcoef$beta; res$est$fit$estcoef$std.error
    res$est$fit$goodness["loglike"]; res$est$eblup; res$mse

    towns <- read.csv("tests/sampling/data/sae_towns_zero.csv")
    res <- mseFH(direct ~ urban + college, var, method = "REML", MAXITER = 1000,
                 PRECISION = 1e-13, data = towns)    # REML estimate of A is 0 here
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling.errors import SmallAreaError
from sampling.sae import FayHerriotResult
from sampling.sae import VarianceMethod
from sampling.sae import ZeroVariance
from sampling.sae import fay_herriot
from sampling.sae import fay_herriot_from_estimate

DATA = Path(__file__).parent / "data"
RTOL = 1e-8  # R iterated to a relative change of 1e-13 in A; we stop at 1e-10 * median(D)

# --- R sae fixtures (values printed by tests/sampling/r/fay_herriot.R) ---------------------
# R: res <- mseFH(yi ~ as.factor(MajorArea), var, method = "REML", ..., data = milk)
# R: res$est$fit$refvar
MILK_REML_REFVAR = 0.0185503347627667
# R: res$est$fit$estcoef$beta
MILK_REML_BETA = np.array(
    [
        0.968188986974966,
        0.132780305456737,
        0.226946224520593,
        -0.241301039944631,
    ]
)
# R: res$est$fit$estcoef$std.error
MILK_REML_BETA_SE = np.array(
    [
        0.0693622082792575,
        0.1030008899485122,
        0.0923299614595035,
        0.0816172170835795,
    ]
)
# R: res$est$fit$goodness["loglike"]
MILK_REML_LOGLIKE = 12.6774716351785
# R: res$est$eblup
MILK_REML_EBLUP = np.array(
    [
        1.021970544150616,
        1.047601951442337,
        1.067951426304240,
        0.760816565088521,
        0.846157043778630,
        0.974372706112787,
        1.058452671947625,
        1.097776256185119,
        1.221545489445673,
        1.195146014837186,
        0.785214919183879,
        1.213946205377047,
        1.209659720793271,
        0.983496441199748,
        1.186424709592605,
        1.155698113921158,
        1.226341250657085,
        1.285648988661415,
        1.236324840854570,
        1.234960139387997,
        1.090301627491470,
        1.192305722833658,
        1.121646766764521,
        1.223029721892272,
        1.193805444394390,
        0.762719589638744,
        0.764955153215244,
        0.733844388082635,
        0.769929554161264,
        0.613441623360486,
        0.769556072273251,
        0.795825311686679,
        0.772318847722633,
        0.610230068312140,
        0.700178189652095,
        0.759278810407126,
        0.529886336457617,
        0.743446678037740,
        0.754899633111872,
        0.770191965715712,
        0.748116423846053,
        0.804077515803998,
        0.681086885060739,
    ]
)
# R: res$mse
MILK_REML_MSE = np.array(
    [
        0.01346025645964558,
        0.00537287973294314,
        0.00570199471705326,
        0.00854175201864537,
        0.00957960971365781,
        0.01167065781787476,
        0.01592619044267680,
        0.01058653591865895,
        0.01418407951076114,
        0.01490151334340153,
        0.00769426999982899,
        0.01633652045732964,
        0.01256275326016498,
        0.01211740316089064,
        0.01203125860464063,
        0.01170917420242539,
        0.01085980295453591,
        0.01369089974849789,
        0.01103469795336772,
        0.01307972199932086,
        0.00994865439383401,
        0.01724404529332814,
        0.01129235066370030,
        0.01362533647556428,
        0.00806579849132421,
        0.00920515125855714,
        0.00920515125855714,
        0.01647698443970739,
        0.00780063882758105,
        0.00609867537867620,
        0.01544162664526910,
        0.01465792170896501,
        0.00902471646086491,
        0.00387078860916731,
        0.00780063882758105,
        0.00964615954403266,
        0.00640434345168304,
        0.01015566826131058,
        0.00720994801244095,
        0.00847029252206650,
        0.00548486513399011,
        0.00920515125855714,
        0.00990364779688792,
    ]
)
# R: res <- mseFH(yi ~ as.factor(MajorArea), var, method = "ML", ..., data = milk)
# R: res$est$fit$refvar
MILK_ML_REFVAR = 0.0155175087124195
# R: res$est$fit$estcoef$beta
MILK_ML_BETA = np.array(
    [
        0.967798625551163,
        0.127875517563521,
        0.226690886798657,
        -0.242580426338674,
    ]
)
# R: res$est$fit$estcoef$std.error
MILK_ML_BETA_SE = np.array(
    [
        0.0659074172432302,
        0.0984093275954180,
        0.0881396752256103,
        0.0775386945035805,
    ]
)
# R: res$est$fit$goodness["loglike"]
MILK_ML_LOGLIKE = 12.7711743117329
# R: res$est$eblup
MILK_ML_EBLUP = np.array(
    [
        1.016173236165762,
        1.043696770902443,
        1.062816709389707,
        0.775349168253941,
        0.855490437302772,
        0.973585661516152,
        1.047478395327357,
        1.095343584639795,
        1.205408965266158,
        1.181256338736814,
        0.803370325854239,
        1.196775366815986,
        1.196158963872710,
        0.991405456617079,
        1.186882870974779,
        1.159036302350483,
        1.223236842460821,
        1.275518643044321,
        1.232284982590296,
        1.230442122531938,
        1.098576953971165,
        1.192159749618061,
        1.127992132420639,
        1.219628467069758,
        1.193625568815757,
        0.759065020902929,
        0.761123147696981,
        0.731564674423882,
        0.766272896830191,
        0.619145439521486,
        0.762938767166244,
        0.786374527782134,
        0.767978090504011,
        0.614134866982852,
        0.701310913918986,
        0.755756347744128,
        0.540664510606220,
        0.741131537991771,
        0.752450559224962,
        0.766242252659605,
        0.746535972009435,
        0.797140366592889,
        0.684097693266086,
    ]
)
# R: res$mse
MILK_ML_MSE = np.array(
    [
        0.01357993842316976,
        0.00551286736321102,
        0.00585058298952622,
        0.00873544899033238,
        0.00977452124304250,
        0.01184073391119598,
        0.01593448853398144,
        0.01082180394627249,
        0.01434594599732251,
        0.01503607161266380,
        0.00791109255279583,
        0.01640450189781563,
        0.01277100976867068,
        0.01233460128121725,
        0.01219248743128062,
        0.01187705558355752,
        0.01104127534001291,
        0.01380513800676540,
        0.01121384303386231,
        0.01321369710082638,
        0.01013828187702348,
        0.01719370041713905,
        0.01146762114996540,
        0.01374182426086140,
        0.00825143205108193,
        0.00934486628869067,
        0.00934486628869067,
        0.01639011956315223,
        0.00794163746561739,
        0.00622226025898510,
        0.01540430121443516,
        0.01465571786112831,
        0.00916543269962814,
        0.00394697658518133,
        0.00794163746561739,
        0.00978237632865480,
        0.00653246451597834,
        0.01028598459102959,
        0.00734713882871860,
        0.00861253181367163,
        0.00559768771154459,
        0.00934486628869067,
        0.01003713148845698,
    ]
)
# R: res <- mseFH(direct ~ urban + college, var, method = "REML", ..., data = towns)
# R: res$est$fit$refvar
TOWNS_ZERO_REML_REFVAR = 0
# R: res$est$fit$estcoef$beta
TOWNS_ZERO_REML_BETA = np.array(
    [
        0.0596583931540224,
        0.0900189850226180,
        0.2773121345647327,
    ]
)
# R: res$est$eblup
TOWNS_ZERO_REML_EBLUP = np.array(
    [
        0.155733892671163,
        0.234957307077951,
        0.145487854051262,
        0.212115865734380,
        0.222875954377490,
        0.161441364625073,
        0.171802144599547,
        0.150842505244578,
        0.119805037915512,
        0.166827993367436,
        0.131392764613879,
        0.136355362318056,
        0.130385088588576,
        0.131479826767841,
    ]
)
# R: res$mse
TOWNS_ZERO_REML_MSE = np.array(
    [
        0.000705406107222740,
        0.000934109228109965,
        0.000408682353273014,
        0.000570231630581444,
        0.000570073576786227,
        0.000491376179718870,
        0.000646594438564500,
        0.000402201065878741,
        0.000450481272384067,
        0.000310353613117262,
        0.000794925159562174,
        0.000435558836885812,
        0.000645834137334245,
        0.000343396270356193,
    ]
)


def _milk() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with (DATA / "sae_milk.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r["yi"]) for r in rows])
    var = np.array([float(r["SD"]) ** 2 for r in rows])
    major = np.array([int(r["MajorArea"]) for r in rows])
    # R's model.matrix(~ as.factor(MajorArea)): intercept + dummies for areas 2, 3, 4
    x = np.column_stack([(major == k).astype(float) for k in (2, 3, 4)])
    return y, var, x


def _towns() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    with (DATA / "sae_towns_zero.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    towns = [r["town"] for r in rows]
    y = np.array([float(r["direct"]) for r in rows])
    var = np.array([float(r["var"]) for r in rows])
    x = np.array([[float(r["urban"]), float(r["college"])] for r in rows])
    return towns, y, var, x


@pytest.mark.parametrize(
    ("method", "refvar", "beta", "beta_se", "loglike", "eblup", "mse"),
    [
        (
            "reml",
            MILK_REML_REFVAR,
            MILK_REML_BETA,
            MILK_REML_BETA_SE,
            MILK_REML_LOGLIKE,
            MILK_REML_EBLUP,
            MILK_REML_MSE,
        ),
        (
            "ml",
            MILK_ML_REFVAR,
            MILK_ML_BETA,
            MILK_ML_BETA_SE,
            MILK_ML_LOGLIKE,
            MILK_ML_EBLUP,
            MILK_ML_MSE,
        ),
    ],
)
def test_milk_matches_r_sae(method, refvar, beta, beta_se, loglike, eblup, mse) -> None:
    y, var, x = _milk()
    r = fay_herriot(y, var, x, method=method)
    assert r.fallback is None
    assert_allclose(r.sigma2_u, refvar, rtol=RTOL)
    assert_allclose(r.beta, beta, rtol=RTOL)
    assert_allclose(np.sqrt(np.diag(r.beta_cov)), beta_se, rtol=RTOL)
    assert_allclose(r.loglik, loglike, rtol=RTOL)
    assert_allclose(r.estimate, eblup, rtol=RTOL)
    assert_allclose(r.mse, mse, rtol=RTOL)


def test_zero_variance_synthetic_matches_r_sae() -> None:
    towns, y, var, x = _towns()
    r = fay_herriot(y, var, x, areas=towns, zero_variance="synthetic")
    assert TOWNS_ZERO_REML_REFVAR == 0 and r.sigma2_u == 0.0
    assert r.fallback is ZeroVariance.SYNTHETIC
    assert_allclose(r.beta, TOWNS_ZERO_REML_BETA, rtol=RTOL)
    assert_allclose(r.estimate, TOWNS_ZERO_REML_EBLUP, rtol=RTOL)
    assert_allclose(r.mse, TOWNS_ZERO_REML_MSE, rtol=RTOL)
    assert np.all(r.gamma == 0)
    assert np.array_equal(r.estimate, r.synthetic)


def _restricted_loglik(a: float, y: np.ndarray, var: np.ndarray, x: np.ndarray) -> float:
    """REML log-likelihood written out with full matrices (independent of sampling.sae)."""
    v = np.diag(a + var)
    vi = np.linalg.inv(v)
    xtvix = x.T @ vi @ x
    p = vi - vi @ x @ np.linalg.inv(xtvix) @ x.T @ vi
    return -0.5 * (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xtvix)[1] + float(y @ p @ y))


def test_zero_variance_adjusted_maximises_li_lahiri_likelihood() -> None:
    from scipy.optimize import minimize_scalar

    towns, y, var, x = _towns()
    r = fay_herriot(y, var, x, areas=towns)  # default policy: ADJUSTED
    assert r.fallback is ZeroVariance.ADJUSTED
    assert r.sigma2_u > 0
    xx = np.column_stack([np.ones(len(y)), x])
    opt = minimize_scalar(
        lambda la: -(la + _restricted_loglik(np.exp(la), y, var, xx)),  # log A + l_R(A), A = e^la
        bounds=(np.log(1e-8), np.log(1.0)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert_allclose(r.sigma2_u, np.exp(opt.x), rtol=1e-5)
    assert np.all((r.gamma > 0) & (r.gamma < 1))
    # the fallback MSE omits the (subtracted) bias term: at least g1 + g2 + 2 g3
    assert_allclose(r.mse, r.g1 + r.g2 + 2 * r.g3, rtol=1e-12)


def test_zero_variance_fail_policy_raises() -> None:
    _, y, var, x = _towns()
    with pytest.raises(SmallAreaError, match="estimate of sigma_u"):
        fay_herriot(y, var, x, zero_variance=ZeroVariance.FAIL)


def test_reml_estimate_maximises_restricted_likelihood() -> None:
    from scipy.optimize import minimize_scalar

    y, var, x = _milk()
    r = fay_herriot(y, var, x)
    xx = np.column_stack([np.ones(len(y)), x])
    opt = minimize_scalar(
        lambda a: -_restricted_loglik(a, y, var, xx),
        bounds=(0.0, 1.0),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert_allclose(r.sigma2_u, opt.x, rtol=1e-5)


def test_shrinkage_and_hand_computed_eblup() -> None:
    y, var, x = _milk()
    r = fay_herriot(y, var, x)
    a = r.sigma2_u
    assert_allclose(r.gamma, a / (a + var), rtol=1e-14)
    # EBLUP lies between direct and synthetic; first area by hand
    gamma0 = a / (a + var[0])
    synth0 = r.beta[0]  # area 1 is in major area 1: only the intercept
    assert_allclose(r.estimate[0], gamma0 * y[0] + (1 - gamma0) * synth0, rtol=1e-13)
    lo = np.minimum(r.direct, r.synthetic)
    hi = np.maximum(r.direct, r.synthetic)
    assert np.all((r.estimate >= lo - 1e-15) & (r.estimate <= hi + 1e-15))
    # model MSE below the direct variance for every area (the point of SAE)
    assert np.all(r.mse < var)


def test_out_of_sample_area_gets_synthetic_estimate() -> None:
    towns, y, var, x = _towns()
    keep = np.arange(len(y)) != 3
    r = fay_herriot(
        y[keep],
        var[keep],
        x[keep],
        areas=[t for t, k in zip(towns, keep, strict=True) if k],
        zero_variance="synthetic",
        out_of_sample=x[~keep],
        out_of_sample_areas=[towns[3]],
    )
    assert r.areas[-1] == "dachen" and not r.in_sample[-1]
    xo = np.concatenate([[1.0], x[3]])
    assert_allclose(r.estimate[-1], xo @ r.beta, rtol=1e-14)
    assert_allclose(r.mse[-1], r.sigma2_u + xo @ r.beta_cov @ xo, rtol=1e-12)
    assert np.isnan(r.direct[-1]) and r.gamma[-1] == 0
    row = r.to_rows()[-1]
    assert row["direct"] is None and row["model_label"].startswith("synthetic")
    assert r.to_rows()[0]["model_label"].startswith("model-based")


def _simulate(method: str, a_true: float, reps: int, seed: int) -> dict[str, float]:
    """Replicate 14 towns with theta = x'beta + u (known truth) and refit each time."""
    rng = np.random.default_rng(seed)
    m = 14
    x = rng.uniform(0.2, 0.95, (m, 1))  # urban share
    beta = np.array([0.05, 0.15])
    n = rng.integers(100, 300, m)
    var = 0.15 * 0.85 / n * 1.6  # p ~ 0.15, deff 1.6, 100-300 interviews per town
    xx = np.column_stack([np.ones(m), x])
    err = np.zeros((reps, m))
    err_direct = np.zeros((reps, m))
    mse_hat = np.zeros((reps, m))
    covered = np.zeros((reps, m), dtype=bool)
    fallbacks = 0
    for k in range(reps):
        theta = xx @ beta + rng.normal(0, np.sqrt(a_true), m)
        direct = theta + rng.normal(0, np.sqrt(var))
        r = fay_herriot(direct, var, x, method=method)
        fallbacks += r.fallback is not None
        err[k] = r.estimate - theta
        err_direct[k] = direct - theta
        mse_hat[k] = r.mse
        ci = r.confint(0.95)
        covered[k] = (ci[:, 0] <= theta) & (theta <= ci[:, 1])
    return {
        "mse": float((err**2).mean()),
        "mse_direct": float((err_direct**2).mean()),
        "pr_over_empirical": float(mse_hat.mean() / (err**2).mean()),
        "coverage": float(covered.mean()),
        "bias_z": float(err.mean() / (err.std() / np.sqrt(err.size))),
        "fallbacks": fallbacks,
    }


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_simulation_with_known_truth(method: str) -> None:
    """EBLUP beats the direct estimator; Prasad-Rao MSE is about right; 95% intervals cover.

    Known truth A = 0.0009 (3 points of town variation beyond the covariate).
    Observed with this seed: EBLUP MSE / direct MSE 0.58, mean PR-MSE / empirical
    MSE 1.10 (REML) and 1.19 (ML), coverage 0.961 (REML) and 0.970 (ML).
    """
    res = _simulate(method, 0.0009, reps=300, seed=20250814)
    assert res["mse"] < 0.7 * res["mse_direct"]
    assert abs(res["bias_z"]) < 4  # unbiased
    assert 0.85 < res["pr_over_empirical"] < 1.3
    assert 0.93 < res["coverage"] < 0.98


def test_simulation_small_model_variance_fallback_is_conservative() -> None:
    """With A = 0.0002 REML is often 0; the Li-Lahiri fallback keeps intervals conservative.

    Observed: 124 of 300 fits fell back; MSE ratio to direct 0.33; PR-MSE / empirical
    1.75; coverage 0.988.
    """
    res = _simulate("reml", 0.0002, reps=300, seed=7)
    assert res["fallbacks"] > 60  # the boundary case really happens
    assert res["mse"] < 0.5 * res["mse_direct"]
    assert res["pr_over_empirical"] > 1.0  # MSE over- rather than under-stated
    assert res["coverage"] > 0.95


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variances": [0.001, 0.0, 0.002, 0.001, 0.002]}, "area 1 must be finite and > 0"),
        ({"variances": [0.001, 0.002]}, "same length"),
        ({"direct": [0.1, np.nan, 0.2, 0.1, 0.3]}, "area 1 is missing"),
        ({"covariates": [[1.0], [2.0]]}, "one row per area"),
        ({"covariates": [[1, 2], [2, 4], [3, 6], [4, 8], [5, 10]]}, "collinear"),
        ({"areas": ["a", "b", "a", "c", "d"]}, "appears twice"),
        ({"covariates": [[1, 2, 3, 4]] * 5}, "more areas than"),
    ],
)
def test_bad_input(kwargs, message) -> None:
    args = {
        "direct": [0.1, 0.2, 0.15, 0.3, 0.12],
        "variances": [0.001, 0.002, 0.001, 0.004, 0.002],
        "covariates": [[0.2], [0.5], [0.4], [0.9], [0.3]],
    }
    args.update(kwargs)
    with pytest.raises(SmallAreaError, match=message):
        fay_herriot(args.pop("direct"), args.pop("variances"), args.pop("covariates"), **args)


def test_adapter_for_domain_estimates() -> None:
    towns, y, var, x = _towns()
    est = SimpleNamespace(
        estimate=y[:10],
        vcov=np.diag(var[:10]),
        domains=[{"town": t} for t in towns[:10]],
    )
    covs = {t: list(row) for t, row in zip(towns, x, strict=True)}
    r = fay_herriot_from_estimate(est, covs, covariate_names=["urban", "college"])
    direct = fay_herriot(y[:10], var[:10], x[:10], out_of_sample=x[10:])
    assert isinstance(r, FayHerriotResult)
    assert r.areas == tuple(towns)
    assert r.covariate_names == ("(intercept)", "urban", "college")
    assert_allclose(r.estimate, direct.estimate, rtol=1e-14)
    assert r.method is VarianceMethod.REML
    with pytest.raises(SmallAreaError, match="no covariates for area 'fotang'"):
        fay_herriot_from_estimate(est, {t: covs[t] for t in towns[1:]})
