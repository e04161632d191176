"""Calibration: agreement with an independent R implementation, recovery, edge cases."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose

from scoring.errors import ScoringError
from scoring.irt import ConvergenceError
from scoring.irt import ItemParameters
from scoring.irt import ResponseDataError
from scoring.irt import calibrate

# ---------------------------------------------------------------------------
# Reference values: tests/scoring/irt/r/mml_reference.R (R 4.x, statmod, numDeriv).
# R maximises the same marginal log-likelihood directly (optim BFGS, no EM) on
# statmod::gauss.quad.prob(21, dist = "normal") and takes SEs from
# solve(numDeriv::hessian(nll, par)); kesu uses EM + SQUAREM and Louis' formula.
# ---------------------------------------------------------------------------
R_2PL_LOGLIK = -1396.67815702809  # cat("2PL loglik", -fit$value)
R_2PL_A = [  # cat("2PL a", a)
    0.660776869620908, 1.01376852667594, 1.64302420799013,
    0.452837957270399, 2.37639667227145, 0.631220810239017,
]  # fmt: skip
R_2PL_B = [  # cat("2PL b", b)    b = -d / a
    -1.2132431169623, -0.388306789697483, 0.0287341241958222,
    0.402013959999853, 0.744427298879713, 1.9982270957523,
]  # fmt: skip
R_2PL_SE_A = [  # cat("2PL se_a", sqrt(diag(solve(hessian(nll2, fit$par)))[1:J]))
    0.179975139954613, 0.2178427898742, 0.385404289220127,
    0.151935015935862, 0.728595281910795, 0.185365460253199,
]  # fmt: skip
R_2PL_SE_B = [  # cat("2PL se_b", se_b)   delta method g = (d/a^2, -1/a)
    0.329765915883959, 0.137185756953144, 0.0912778494521064,
    0.267938411681888, 0.114395433918296, 0.539704759085229,
]  # fmt: skip
R_3PL_LOGPOST = -5749.47728375495  # cat("3PL logpost", -fit$value)  (loglik + Beta(5,17) log prior)
R_3PL_A = [  # cat("3PL a", a)
    1.14227183358644, 1.40972078432943, 2.44192635416368,
    0.76946433232619, 1.46834036973316, 2.25685912484106,
]  # fmt: skip
R_3PL_B = [  # cat("3PL b", -d / a)
    -0.836818448521953, -0.0315482738971765, 0.353258925469449,
    0.596381442091763, 0.92966280237348, 1.02856670395531,
]  # fmt: skip
R_3PL_C = [  # cat("3PL c", cc)
    0.196232137139824, 0.221408766185066, 0.306231351970119,
    0.170776892933922, 0.115502916592923, 0.213653444787244,
]  # fmt: skip
R_3PL_SE_A = [  # cat("3PL se_a", sqrt(diag(V)[1:J]))
    0.181576572430808, 0.303765441870685, 1.14987855477392,
    0.152495514342425, 0.31335360261888, 0.917109987302025,
]  # fmt: skip
R_3PL_SE_C = [  # cat("3PL se_c", cc * (1 - cc) * sqrt(diag(V)[2 * J + 1:J]))
    0.0870713042160855, 0.0951097410337148, 0.0882721930329173,
    0.0721222508287069, 0.0434203534508852, 0.0418453950246709,
]  # fmt: skip
R_GRM_LOGLIK = -2193.52090660477  # cat("GRM loglik", -fit$value)
R_GRM_A = [  # cat("GRM a", sapply(items, `[`, 1))
    1.12538990591818, 2.29512290191407, 0.809902556540557, 0.879295400189441, 0.94675826810585,
]  # fmt: skip
R_GRM_B = [  # cat("GRM b", unlist(lapply(items, function(v) -v[-1] / v[1])))
    -0.813301370243931, 0.46348338320918, -0.486591480465389, 0.761867922120788,
    -0.230682522187946, 0.99331461365555, 0.330704576792122, -0.395219273955075,
]  # fmt: skip


def test_2pl_with_missing_matches_r_direct_mml(small2pl: np.ndarray) -> None:
    cal = calibrate(small2pl, tol=1e-9)
    assert cal.converged
    assert_allclose(cal.loglik, R_2PL_LOGLIK, rtol=1e-10)
    assert_allclose(cal.params.a, R_2PL_A, rtol=1e-5)
    assert_allclose(cal.params.b[:, 0], R_2PL_B, rtol=1e-5, atol=1e-6)
    # Louis observed information = numerical Hessian of the marginal likelihood
    assert_allclose(cal.params.se_a, R_2PL_SE_A, rtol=1e-4)
    assert_allclose(cal.params.se_b[:, 0], R_2PL_SE_B, rtol=1e-4)


def test_3pl_with_beta_prior_matches_r_posterior_mode(small3pl: np.ndarray) -> None:
    cal = calibrate(small3pl, model="3pl", tol=1e-9)
    assert_allclose(cal.loglik + cal.log_prior, R_3PL_LOGPOST, rtol=1e-10)
    assert_allclose(cal.params.a, R_3PL_A, rtol=1e-4)
    assert_allclose(cal.params.b[:, 0], R_3PL_B, rtol=1e-4, atol=1e-5)
    assert_allclose(cal.params.c, R_3PL_C, rtol=1e-4)
    assert_allclose(cal.params.se_a, R_3PL_SE_A, rtol=1e-3)
    assert_allclose(cal.params.se_c, R_3PL_SE_C, rtol=1e-3)


def test_graded_mixed_with_binary_matches_r(smallgrm: np.ndarray) -> None:
    cal = calibrate(smallgrm, model="grm", tol=1e-9)
    assert_allclose(cal.loglik, R_GRM_LOGLIK, rtol=1e-10)
    assert_allclose(cal.params.a, R_GRM_A, rtol=1e-5)
    b = cal.params.b[~np.isnan(cal.params.b)]
    assert_allclose(b, R_GRM_B, rtol=1e-5, atol=1e-6)
    assert cal.params.n_categories.tolist() == [3, 3, 3, 2, 2]


def test_2pl_recovery(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    a = rng.lognormal(0.0, 0.3, 15)
    b = rng.normal(0.0, 1.0, 15)
    x, _ = sim.two_pl(rng, 3000, a, b)
    cal = calibrate(x)
    # thresholds hold for 3000 persons (expected RMSE about 0.05-0.07)
    assert np.sqrt(np.mean((cal.params.a - a) ** 2)) < 0.12
    assert np.sqrt(np.mean((cal.params.b[:, 0] - b) ** 2)) < 0.12
    # the reported SEs are of the size of the actual errors
    z = (cal.params.b[:, 0] - b) / cal.params.se_b[:, 0]
    assert np.mean(np.abs(z) < 2.5) > 0.8


def test_3pl_recovery(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    a = rng.uniform(0.8, 2.0, 12)
    b = rng.uniform(-1.5, 1.5, 12)
    c = rng.uniform(0.1, 0.3, 12)
    x, _ = sim.three_pl(rng, 4000, a, b, c)
    cal = calibrate(x, model="3pl")
    assert np.sqrt(np.mean((cal.params.a - a) ** 2)) < 0.3
    assert np.sqrt(np.mean((cal.params.b[:, 0] - b) ** 2)) < 0.25
    assert np.sqrt(np.mean((cal.params.c - c) ** 2)) < 0.08


def test_grm_recovery(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    a = rng.uniform(0.8, 2.0, 8)
    b = np.sort(rng.normal(0.0, 1.0, (8, 3)), axis=1)
    x, _ = sim.grm(rng, 2000, a, b)
    cal = calibrate(x, model="grm")
    assert np.sqrt(np.mean((cal.params.a - a) ** 2)) < 0.12
    assert np.sqrt(np.mean((cal.params.b - b) ** 2)) < 0.12


def test_rasch_and_1pl_are_the_same_model(rng: np.random.Generator) -> None:
    b = np.linspace(-1.5, 1.5, 10)
    theta = 1.3 * rng.normal(size=3000)
    x = (rng.random((3000, 10)) < 1 / (1 + np.exp(-(theta[:, None] - b)))).astype(float)
    rasch = calibrate(x, model="rasch")
    one = calibrate(x, model="1pl")
    assert_allclose(rasch.loglik, one.loglik, rtol=1e-10)
    assert_allclose(rasch.params.a, 1.0)
    assert_allclose(one.params.a, one.params.a[0])
    # theta' = a * theta: Rasch difficulty = a * b(1PL), latent SD = a
    assert_allclose(rasch.params.b, one.params.a[0] * one.params.b, rtol=1e-6)
    assert_allclose(rasch.params.latent_sd, one.params.a[0], rtol=1e-8)
    assert abs(rasch.params.latent_sd - 1.3) < 0.1
    assert np.sqrt(np.mean((rasch.params.b[:, 0] - b) ** 2)) < 0.1


def test_missing_is_not_wrong_booklet_design(
    sim: SimpleNamespace, rng: np.random.Generator
) -> None:
    """Multistage booklets: a routing block decides who gets the easy or the hard block.

    Routing on observed answers is missing at random, so MML stays consistent;
    scoring the items not administered as wrong biases the difficulties.
    """
    a = np.full(14, 1.2)
    b = np.concatenate([np.linspace(-2, -1, 4), np.linspace(-0.5, 0.5, 6), np.linspace(1, 2, 4)])
    x, _ = sim.two_pl(rng, 4000, a, b)
    x = x.copy()
    routed_up = x[:, 4:10].sum(axis=1) >= 3
    x[routed_up, :4] = np.nan  # easy block not administered
    x[~routed_up, -4:] = np.nan  # hard block not administered
    cal = calibrate(x)
    assert np.sqrt(np.mean((cal.params.b[:, 0] - b) ** 2)) < 0.12
    # the easy items' slopes run away to -infinity: EM cannot converge
    wrong = calibrate(np.nan_to_num(x, nan=0.0), on_nonconvergence="warn", max_iter=300)
    assert not wrong.converged
    assert np.sqrt(np.mean((wrong.params.b[:, 0] - b) ** 2)) > 0.3


def test_integer_weights_equal_replicated_rows(
    sim: SimpleNamespace, rng: np.random.Generator
) -> None:
    a, b = rng.uniform(0.7, 1.8, 6), rng.normal(0, 1, 6)
    x, _ = sim.two_pl(rng, 300, a, b)
    w = rng.integers(1, 4, 300)
    weighted = calibrate(x, weights=w, tol=1e-10, se_method="none")
    copied = calibrate(np.repeat(x, w, axis=0), tol=1e-10, se_method="none")
    assert_allclose(weighted.params.a, copied.params.a, rtol=1e-7)
    assert_allclose(weighted.params.b, copied.params.b, rtol=1e-7, atol=1e-9)


def test_weighted_default_is_sandwich_and_scale_free(
    sim: SimpleNamespace, rng: np.random.Generator
) -> None:
    a, b = rng.uniform(0.7, 1.8, 6), rng.normal(0, 1, 6)
    x, _ = sim.two_pl(rng, 500, a, b)
    w = rng.uniform(0.5, 3.0, 500)
    one = calibrate(x, weights=w)
    ten = calibrate(x, weights=10 * w)
    assert one.se_method.value == "sandwich"
    assert_allclose(one.params.se_b, ten.params.se_b, rtol=1e-8)
    assert_allclose(one.params.a, ten.params.a, rtol=1e-8)


def test_se_methods_agree_roughly_on_a_correct_model(small2pl: np.ndarray) -> None:
    obs = calibrate(small2pl, se_method="observed")
    xpd = calibrate(small2pl, se_method="crossproduct")
    sand = calibrate(small2pl, se_method="sandwich")
    for other in (xpd, sand):
        ratio = other.params.se_a / obs.params.se_a
        assert np.all((ratio > 0.6) & (ratio < 1.6))
    assert calibrate(small2pl, se_method="none").params.se_a is None


def test_nonconvergence_policy(small2pl: np.ndarray) -> None:
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        calibrate(small2pl, max_iter=2)
    assert info.value.param == "max_iter"
    result = calibrate(small2pl, max_iter=2, on_nonconvergence="warn")
    assert not result.converged
    assert result.n_iterations <= 3


def test_acceleration_does_not_change_the_solution(small2pl: np.ndarray) -> None:
    fast = calibrate(small2pl, tol=1e-9, se_method="none")
    slow = calibrate(small2pl, tol=1e-9, accelerate=False, se_method="none", max_iter=5000)
    assert_allclose(fast.params.a, slow.params.a, rtol=1e-6)
    assert fast.n_iterations <= slow.n_iterations


def test_information_criteria(small2pl: np.ndarray) -> None:
    cal = calibrate(small2pl, se_method="none")
    assert cal.n_parameters == 12
    assert_allclose(cal.aic, -2 * cal.loglik + 24)
    assert_allclose(cal.bic, -2 * cal.loglik + 12 * np.log(400))


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (np.ones(50), "fewer than two observed"),
        (np.r_[np.zeros(25), np.full(25, 2.0)], "never observed"),
        (np.r_[np.zeros(25), np.full(25, 0.5)], "invalid score"),
    ],
)
def test_bad_items_are_named(column: np.ndarray, message: str, rng: np.random.Generator) -> None:
    x = (rng.random((50, 3)) < 0.5).astype(float)
    x[:, 1] = column
    with pytest.raises(ResponseDataError, match=message) as info:
        calibrate(x, item_ids=["k1", "k2", "k3"])
    assert "k2" in str(info.value)
    assert isinstance(info.value, ScoringError)


def test_model_errors(sim: SimpleNamespace, rng: np.random.Generator) -> None:
    b = np.array([[-0.5, 0.5], [-1.0, 0.0], [0.0, np.inf], [0.5, np.inf]])
    x, _ = sim.grm(rng, 500, np.full(4, 1.5), b)
    with pytest.raises(ResponseDataError, match="3 score categories but model 2pl"):
        calibrate(x, model=["2pl"] * 4)
    with pytest.raises(ResponseDataError, match="one model per item"):
        calibrate(x, model=["grm"])
    cal = calibrate(x, model="2pl")  # graded items fall back to grm
    assert [m.value for m in cal.params.models] == ["grm", "grm", "2pl", "2pl"]


def test_bad_weights(small2pl: np.ndarray) -> None:
    with pytest.raises(ResponseDataError, match="one weight per person"):
        calibrate(small2pl, weights=np.ones(3))
    w = np.ones(400)
    w[7] = -1
    with pytest.raises(ResponseDataError, match="row 7"):
        calibrate(small2pl, weights=w)


def test_params_file_round_trip(smallgrm: np.ndarray, tmp_path: object) -> None:
    params = calibrate(smallgrm).params
    text = json.dumps(params.to_dict())
    back = ItemParameters.from_dict(json.loads(text))
    assert back.item_ids == params.item_ids
    assert_allclose(back.b, params.b)
    assert_allclose(back.se_b, params.se_b)
    again = ItemParameters.from_dict(yaml.safe_load(yaml.safe_dump(params.to_dict())))
    assert_allclose(again.a, params.a)
    assert again.meta["converged"] is True
