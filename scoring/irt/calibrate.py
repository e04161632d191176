"""Calibrate items: marginal maximum likelihood (EM + SQUAREM) with standard errors."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray
from scipy.special import expit
from threadpoolctl import threadpool_limits

from scoring.irt.data import EncodedResponses
from scoring.irt.data import encode_responses
from scoring.irt.em import BetaPrior
from scoring.irt.em import Layout
from scoring.irt.em import build_layout
from scoring.irt.em import e_step
from scoring.irt.em import m_step
from scoring.irt.em import start_values
from scoring.irt.errors import ConvergenceError
from scoring.irt.errors import ResponseDataError
from scoring.irt.params import ItemModel
from scoring.irt.params import ItemParameters
from scoring.irt.quadrature import Quadrature
from scoring.irt.quadrature import gauss_hermite
from scoring.irt.se import SEMethod
from scoring.irt.se import covariance
from scoring.irt.se import information_matrices

logger = logging.getLogger(__name__)

#: Beta(5, 17) prior on the 3PL lower asymptote (mean 0.2)
DEFAULT_GUESSING_PRIOR = BetaPrior()

__all__ = [
    "DEFAULT_GUESSING_PRIOR",
    "BetaPrior",
    "Calibration",
    "NonConvergence",
    "SEMethod",
    "calibrate",
]


class NonConvergence(StrEnum):
    """What to do when EM stops at ``max_iter`` without converging."""

    FAIL = "fail"  #: raise :class:`ConvergenceError` (default, fail-safe)
    WARN = "warn"  #: log a warning and return the result with ``converged=False``


@dataclass(frozen=True, slots=True)
class Calibration:
    """Result of :func:`calibrate` (frozen).

    Attributes:
        params: the item parameters (with standard errors unless ``se_method='none'``).
        loglik: weighted marginal log-likelihood at the solution (with weights
            normalised to mean 1), without the prior.
        log_prior: log prior density of the 3PL guessing parameters (0 if none).
        converged: max parameter change fell below ``tol``.
        n_iterations: EM maps evaluated (SQUAREM counts each map).
        max_change: last max absolute change of the packed parameters.
        se_method: the method actually used.
        vcov: covariance of the packed slope-intercept parameters (or ``None``).
        labels: names of the packed parameters (``item.a``, ``item.d1``, ``item.g``,
            ``slope`` for a shared Rasch/1PL slope).
        n_persons: persons with positive weight; ``n_patterns`` distinct patterns.
        seconds: wall time of the calibration.
    """

    params: ItemParameters
    loglik: float
    log_prior: float
    converged: bool
    n_iterations: int
    max_change: float
    se_method: SEMethod
    vcov: NDArray[np.float64] | None
    labels: tuple[str, ...]
    n_persons: int
    n_patterns: int
    seconds: float

    @property
    def n_parameters(self) -> int:
        """Number of free item parameters."""
        return len(self.labels)

    @property
    def aic(self) -> float:
        """Akaike information criterion :math:`-2\\ell + 2p`."""
        return -2.0 * self.loglik + 2.0 * self.n_parameters

    @property
    def bic(self) -> float:
        """Bayesian information criterion :math:`-2\\ell + p\\log n`."""
        return -2.0 * self.loglik + self.n_parameters * math.log(self.n_persons)


def calibrate(
    responses: ArrayLike,
    *,
    item_ids: Sequence[str] | None = None,
    model: str | ItemModel | Sequence[str | ItemModel] = ItemModel.TWO_PL,
    weights: ArrayLike | None = None,
    guessing_prior: BetaPrior | None = DEFAULT_GUESSING_PRIOR,
    n_quadrature: int = 21,
    tol: float = 1e-5,
    max_iter: int = 2000,
    se_method: SEMethod | str = SEMethod.AUTO,
    on_nonconvergence: NonConvergence | str = NonConvergence.FAIL,
    accelerate: bool = True,
    blas_threads: int | None = 1,
) -> Calibration:
    """Estimate item parameters by marginal maximum likelihood.

    Formula: maximise :math:`\\sum_i w_i \\log \\int \\prod_{j \\in A_i}
    P_{j x_{ij}}(\\theta)\\,\\phi(\\theta)\\,d\\theta + \\log p(c)` over the item
    parameters, where :math:`A_i` are the items person :math:`i` answered
    (missing is ignored, not scored wrong), :math:`\\phi` the standard normal
    and :math:`p(c)` the Beta prior of the 3PL asymptotes. EM over
    Gauss-Hermite quadrature (Bock & Aitkin 1981; Baker & Kim 2004 ch. 6-8),
    accelerated with SQUAREM (Varadhan & Roland 2008).

    Args:
        responses: ``(n, J)`` scores, NaN = missing; 0/1 or 0..K-1.
        item_ids: item names (default ``item1..itemJ``).
        model: one model for all items or one per item: ``rasch``, ``1pl``,
            ``2pl``, ``3pl`` or ``grm``. Items scored 0..K-1 with K > 2 use the
            graded response model whatever the single model given (the
            Rasch/1PL slope is then shared with them).
        weights: survey weights (normalised to mean 1).
        guessing_prior: Beta prior on 3PL ``c`` (``None`` for plain ML).
        n_quadrature: Gauss-Hermite nodes.
        tol: convergence when the max absolute change of the slope-intercept
            parameters in one EM step is below ``tol``.
        max_iter: maximum EM steps.
        se_method: :class:`SEMethod`; ``auto`` = observed information, or
            sandwich when weights are given.
        on_nonconvergence: :class:`NonConvergence` policy.
        accelerate: use SQUAREM.
        blas_threads: BLAS threads during the fit (``None``: leave the
            library default). The products are thin (patterns x items x 21
            nodes); one thread is as fast on an idle machine and several
            times faster when other processes share the cores.

    Returns:
        A frozen :class:`Calibration`.

    Raises:
        ResponseDataError: invalid responses, weights or models.
        ConvergenceError: no convergence and ``on_nonconvergence='fail'``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> theta = rng.normal(size=2000)
        >>> x = (rng.random((2000, 5)) < 1 / (1 + np.exp(-(theta[:, None])))).astype(float)
        >>> cal = calibrate(x)
        >>> cal.converged, bool(np.all(np.abs(cal.params.a - 1) < 0.25))
        (True, True)
    """
    if blas_threads is None:
        return _calibrate(**locals())
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        return _calibrate(**locals())


def _calibrate(
    responses: ArrayLike,
    *,
    item_ids: Sequence[str] | None,
    model: str | ItemModel | Sequence[str | ItemModel],
    weights: ArrayLike | None,
    guessing_prior: BetaPrior | None,
    n_quadrature: int,
    tol: float,
    max_iter: int,
    se_method: SEMethod | str,
    on_nonconvergence: NonConvergence | str,
    accelerate: bool,
    blas_threads: int | None,
) -> Calibration:
    started = time.perf_counter()
    x_resp = np.asarray(responses, dtype=np.float64)
    n_items = x_resp.shape[1] if x_resp.ndim == 2 else 0
    ids = (
        tuple(f"item{j + 1}" for j in range(n_items))
        if item_ids is None
        else tuple(str(i) for i in item_ids)
    )
    data = encode_responses(x_resp, weights, item_ids=ids)
    models = _resolve_models(model, data.n_cat, ids)
    method = SEMethod(se_method)
    if method is SEMethod.AUTO:
        method = SEMethod.OBSERVED if weights is None else SEMethod.SANDWICH
    policy = NonConvergence(on_nonconvergence)
    layout = build_layout(data.n_cat, models, ids)
    quad = gauss_hermite(n_quadrature)
    x0 = start_values(layout, data, guessing_prior)
    x, n_iter, change, converged = _run_em(
        layout, data, quad, x0, guessing_prior, tol, max_iter, accelerate
    )
    if not converged:
        msg = f"EM did not converge in {n_iter} iterations (max change {change:.2e} > tol {tol:g})"
        if policy is NonConvergence.FAIL:
            raise ConvergenceError(
                msg,
                param="max_iter",
                got=max_iter,
                hint="raise max_iter, loosen tol, or check items with extreme p-values",
            )
        logger.warning(msg)
    es = e_step(layout, data, quad, x)
    lp = _log_prior(layout, x, guessing_prior)
    vcov = None
    if method is not SEMethod.NONE:
        h_obs, xpd, meat = information_matrices(
            layout, data, quad, x, es, guessing_prior, observed=method is not SEMethod.CROSSPRODUCT
        )
        vcov = covariance(method, h_obs, xpd, meat)
    seconds = time.perf_counter() - started
    meta: dict[str, object] = {
        "loglik": es.loglik,
        "converged": converged,
        "n_iterations": n_iter,
        "max_change": change,
        "n_persons": data.n_persons,
        "n_quadrature": n_quadrature,
        "se_method": method.value,
        "weighted": weights is not None,
    }
    params = _to_params(layout, x, vcov, ids, models, meta)
    logger.info(
        "calibrated %d items on %d persons: %d EM steps, loglik %.4f, %.2fs",
        n_items,
        data.n_persons,
        n_iter,
        es.loglik,
        seconds,
    )
    return Calibration(
        params=params,
        loglik=es.loglik,
        log_prior=lp,
        converged=converged,
        n_iterations=n_iter,
        max_change=change,
        se_method=method,
        vcov=vcov,
        labels=layout.labels,
        n_persons=data.n_persons,
        n_patterns=int(data.codes.shape[0]),
        seconds=seconds,
    )


def _resolve_models(
    model: str | ItemModel | Sequence[str | ItemModel],
    n_cat: NDArray[np.int64],
    ids: tuple[str, ...],
) -> tuple[ItemModel, ...]:
    n_items = n_cat.size
    if isinstance(model, str | ItemModel):
        single = ItemModel.parse(model)
        models = []
        for j in range(n_items):
            if n_cat[j] > 2 and single in (ItemModel.TWO_PL, ItemModel.THREE_PL):
                models.append(ItemModel.GRM)
            else:
                models.append(single)
        return tuple(models)
    listed = [ItemModel.parse(m) for m in model]
    if len(listed) != n_items:
        raise ResponseDataError(
            "one model per item", param="model", got=len(listed), expected=n_items
        )
    for j, m in enumerate(listed):
        if m in (ItemModel.TWO_PL, ItemModel.THREE_PL) and n_cat[j] > 2:
            raise ResponseDataError(
                f"item {ids[j]} has {int(n_cat[j])} score categories but model {m.value}",
                param="model",
                got=m.value,
                expected="grm for items scored 0..K-1",
            )
    return tuple(listed)


def _run_em(
    layout: Layout,
    data: EncodedResponses,
    quad: Quadrature,
    x: NDArray[np.float64],
    prior: BetaPrior | None,
    tol: float,
    max_iter: int,
    accelerate: bool,
) -> tuple[NDArray[np.float64], int, float, bool]:
    """EM with SQUAREM-3 extrapolation; returns ``(x, iterations, change, converged)``."""
    n_iter = 0

    def em_map(xv: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
        nonlocal n_iter
        n_iter += 1
        es = e_step(layout, data, quad, xv)
        return m_step(layout, xv, es, data, quad, prior), es.loglik + _log_prior(layout, xv, prior)

    change = math.inf
    step_max = 1.0
    while n_iter < max_iter:
        x1, l0 = em_map(x)
        change = float(np.max(np.abs(x1 - x)))
        if change < tol:
            return x1, n_iter, change, True
        if not accelerate or n_iter >= max_iter:
            x = x1
            continue
        x2, _ = em_map(x1)
        change = float(np.max(np.abs(x2 - x1)))
        if change < tol:
            return x2, n_iter, change, True
        r = x1 - x
        v = x2 - x1 - r
        nv = float(np.sqrt(v @ v))
        if nv == 0.0 or n_iter >= max_iter:
            x = x2
            continue
        alpha = -min(max(float(np.sqrt(r @ r)) / nv, 1.0), step_max)
        if alpha <= -step_max:
            step_max *= 4.0
        accepted = False
        while alpha < -1.0:
            xp = x - 2.0 * alpha * r + alpha * alpha * v
            if _valid(layout, xp):
                x3, lp = em_map(xp)
                if lp >= l0 - 1e-9 * abs(l0):
                    x, accepted = x3, True
                    break
            alpha = 0.5 * (alpha - 1.0)
            if alpha > -1.01:
                break
        if not accepted:
            x = x2
    return x, n_iter, change, False


def _valid(layout: Layout, x: NDArray[np.float64]) -> bool:
    if not np.all(np.isfinite(x)):
        return False
    _, d, _ = layout.unpack(x)
    if d.shape[1] > 1:
        valid = np.isfinite(d[:, 1:])
        gaps = np.where(valid, d[:, :-1] - np.where(valid, d[:, 1:], 0.0), 1.0)
        return bool(np.all(gaps > 0))
    return True


def _log_prior(layout: Layout, x: NDArray[np.float64], prior: BetaPrior | None) -> float:
    if prior is None:
        return 0.0
    g = layout.g_idx[layout.g_idx >= 0]
    if g.size == 0:
        return 0.0
    c = expit(np.clip(x[g], -35.0, 35.0))
    return float(((prior.alpha - 1.0) * np.log(c) + (prior.beta - 1.0) * np.log1p(-c)).sum())


def _report(layout: Layout, x: NDArray[np.float64], rasch: bool) -> NDArray[np.float64]:
    """Reported ``[a | b (padded with 0) | c]`` as one flat vector (for the delta method)."""
    a, d, c = layout.unpack(x)
    scale = float(x[layout.shared_index]) if rasch else 1.0
    b = np.where(np.isfinite(d), -d / a[:, None], 0.0) * scale
    return np.concatenate([a / scale, b.reshape(-1), c])


def _to_params(
    layout: Layout,
    x: NDArray[np.float64],
    vcov: NDArray[np.float64] | None,
    ids: tuple[str, ...],
    models: tuple[ItemModel, ...],
    meta: dict[str, object],
) -> ItemParameters:
    n_items = len(ids)
    kmax = int(layout.n_cat.max())
    rasch = ItemModel.RASCH in models
    rep = _report(layout, x, rasch)
    pad = ~np.isfinite(layout.unpack(x)[1])
    a = rep[:n_items]
    b = rep[n_items : n_items + n_items * (kmax - 1)].reshape(n_items, kmax - 1)
    b = np.where(pad, np.nan, b)
    c = rep[-n_items:]
    latent_sd = float(x[layout.shared_index]) if rasch else 1.0
    se_a = se_b = se_c = None
    if vcov is not None:
        jac = _jacobian(lambda v: _report(layout, v, rasch), x)
        var = np.einsum("op,pq,oq->o", jac, vcov, jac)
        se = np.sqrt(np.maximum(var, 0.0))
        se_a = np.where(np.isclose(jac[:n_items], 0).all(axis=1), np.nan, se[:n_items])
        se_b = np.where(pad, np.nan, se[n_items : n_items + n_items * (kmax - 1)].reshape(b.shape))
        se_c = np.where(layout.g_idx >= 0, se[-n_items:], np.nan)
        if rasch:
            meta = {**meta, "latent_sd_se": float(np.sqrt(vcov[0, 0]))}
    return ItemParameters(
        item_ids=ids,
        models=models,
        a=a,
        b=b,
        c=np.where(layout.g_idx >= 0, c, 0.0),
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
        latent_mean=0.0,
        latent_sd=latent_sd,
        meta=meta,
    )


def _jacobian(
    f: Callable[[NDArray[np.float64]], NDArray[np.float64]], x: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Central-difference Jacobian of a smooth map ``R^P -> R^O``."""
    base = f(x)
    jac = np.empty((base.size, x.size))
    for p in range(x.size):
        h = 1e-6 * max(1.0, abs(float(x[p])))
        xp, xm = x.copy(), x.copy()
        xp[p] += h
        xm[p] -= h
        jac[:, p] = (f(xp) - f(xm)) / (2.0 * h)
    return jac
