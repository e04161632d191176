"""Ability estimation with fixed item parameters: EAP, MAP, WLE and ML.

The item parameters come from a calibration (or a params file), so any new
response pattern can be scored the moment it arrives. The prior is the
calibration's latent distribution :math:`N(\\mu, \\sigma^2)` stored in the
:class:`~scoring.irt.params.ItemParameters`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from scoring.irt.data import EncodedResponses
from scoring.irt.data import encode_responses
from scoring.irt.errors import ResponseDataError
from scoring.irt.irf import TINY
from scoring.irt.irf import category_log_probs
from scoring.irt.irf import theta_derivs
from scoring.irt.params import ItemParameters
from scoring.irt.quadrature import gauss_hermite

logger = logging.getLogger(__name__)

__all__ = [
    "AbilityEstimates",
    "AbilityMethod",
    "encode_for_scoring",
    "estimate_ability",
    "pattern_log_likelihood",
    "posterior_on_grid",
    "score_response",
]


class AbilityMethod(StrEnum):
    """Ability estimator."""

    EAP = "eap"  #: posterior mean (Bock & Mislevy 1982), SE = posterior SD
    MAP = "map"  #: posterior mode, SE = 1/sqrt(I + 1/sigma^2)
    WLE = "wle"  #: Warm's (1989) weighted likelihood, SE = 1/sqrt(I)
    ML = "ml"  #: maximum likelihood, SE = 1/sqrt(I) (infinite for all-right/all-wrong)


@dataclass(frozen=True, slots=True)
class AbilityEstimates:
    """Ability estimates of each person (frozen).

    Attributes:
        theta: estimates ``(n,)`` (NaN where undefined: WLE/ML with no answers).
        se: standard errors ``(n,)`` (posterior SD for EAP).
        method: the estimator.
        n_answered: number of items each person answered.
        at_bound: the root search stopped at a bound of ``bounds`` (ML for
            perfect scores, rare 3PL patterns).
    """

    theta: NDArray[np.float64]
    se: NDArray[np.float64]
    method: AbilityMethod
    n_answered: NDArray[np.int64]
    at_bound: NDArray[np.bool_]


def encode_for_scoring(responses: ArrayLike, params: ItemParameters) -> EncodedResponses:
    """Encode a response matrix whose columns follow ``params.item_ids``.

    Raises:
        ResponseDataError: wrong number of columns or a score above an item's
            top category.
    """
    x = np.asarray(responses, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != params.n_items:
        raise ResponseDataError(
            "responses need one column per item of the parameter set",
            param="responses",
            got=x.shape,
            expected=f"(n, {params.n_items}) in the order {list(params.item_ids)[:5]}...",
        )
    return encode_responses(x, item_ids=params.item_ids, n_categories=params.n_categories)


def estimate_ability(
    responses: ArrayLike,
    params: ItemParameters,
    *,
    method: AbilityMethod | str = AbilityMethod.EAP,
    n_quadrature: int = 61,
    bounds: tuple[float, float] = (-6.0, 6.0),
) -> AbilityEstimates:
    """Estimate :math:`\\theta` for every row of ``responses`` with fixed items.

    Formulas (Baker & Kim 2004, ch. 7; Warm 1989):

    * EAP :math:`\\hat\\theta = \\sum_q \\theta_q L(\\theta_q) w_q / \\sum_q L(\\theta_q) w_q`
      on Gauss-Hermite nodes of :math:`N(\\mu,\\sigma^2)`, SE = posterior SD;
    * MAP solves :math:`\\partial \\log L/\\partial\\theta - (\\theta-\\mu)/\\sigma^2 = 0`;
    * WLE solves :math:`\\partial \\log L/\\partial\\theta + J(\\theta)/(2I(\\theta)) = 0`
      with :math:`I = \\sum_j\\sum_k P'^2_{jk}/P_{jk}`,
      :math:`J = \\sum_j\\sum_k P'_{jk}P''_{jk}/P_{jk}`;
    * ML solves :math:`\\partial \\log L/\\partial\\theta = 0`.

    Roots are bracketed on a grid over ``bounds`` (the root with the largest
    penalised likelihood when there are several, as can happen for the 3PL)
    and refined by the Illinois method to 1e-10.

    Args:
        responses: ``(n, J)`` scores in the column order of ``params.item_ids``,
            NaN = not answered (ignored).
        params: fixed item parameters.
        method: ``eap``, ``map``, ``wle`` or ``ml``.
        n_quadrature: nodes for EAP.
        bounds: search interval for MAP/WLE/ML.

    Returns:
        :class:`AbilityEstimates` with one entry per row.

    Raises:
        ResponseDataError: shape or score values do not match ``params``.

    Example:
        >>> p = ItemParameters(("q1", "q2"), ("2pl", "2pl"), [1.0, 1.0], [[0.0], [0.0]], [0, 0])
        >>> est = estimate_ability([[1.0, 0.0]], p, method="ml")
        >>> round(float(est.theta[0]), 6)
        0.0
    """
    how = AbilityMethod(method)
    data = encode_for_scoring(responses, params)
    a, d, c = params.slope_intercept()
    answered = (data.codes >= 0).sum(axis=1)
    if how is AbilityMethod.EAP:
        theta, se = _eap(data, params, n_quadrature)
        bound = np.zeros(theta.size, dtype=bool)
    else:
        theta, se, bound = _solve_theta(data, a, d, c, params, how, bounds)
        if how is not AbilityMethod.MAP:
            none = answered == 0
            theta[none] = np.nan
            se[none] = np.nan
    rows = data.inverse
    return AbilityEstimates(
        theta=theta[rows],
        se=se[rows],
        method=how,
        n_answered=answered[rows].astype(np.int64),
        at_bound=bound[rows],
    )


def score_response(
    response: Mapping[str, float | None],
    params: ItemParameters,
    *,
    method: AbilityMethod | str = AbilityMethod.EAP,
) -> tuple[float, float]:
    """Score one person's answers given as ``{item_id: score}``.

    Items of ``params`` absent from ``response`` (or ``None``/NaN) count as not
    administered. Formula and estimators as in :func:`estimate_ability`.

    Returns:
        ``(theta, se)``.

    Raises:
        ResponseDataError: an item id unknown to ``params``.

    Example:
        >>> p = ItemParameters(("q1", "q2"), ("2pl", "2pl"), [1.0, 1.0], [[0.0], [0.0]], [0, 0])
        >>> theta, se = score_response({"q1": 1, "q2": 0}, p)
        >>> round(theta, 6)
        0.0
    """
    unknown = sorted(set(map(str, response)) - set(params.item_ids))
    if unknown:
        raise ResponseDataError(
            "answers to items that are not in the parameter set",
            param="response",
            got=unknown,
            hint="score only calibrated items, or recalibrate",
        )
    row = np.full(params.n_items, np.nan)
    for j, item in enumerate(params.item_ids):
        value = response.get(item)
        if value is not None:
            row[j] = float(value)
    est = estimate_ability(row[None, :], params, method=method)
    return float(est.theta[0]), float(est.se[0])


def _eap(
    data: EncodedResponses, params: ItemParameters, n_quadrature: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    quad = gauss_hermite(n_quadrature, params.latent_mean, params.latent_sd)
    post = posterior_on_grid(data, params, quad.nodes, quad.log_weights)
    mean = quad.nodes @ post
    var = (quad.nodes**2) @ post - mean**2
    return mean, np.sqrt(np.maximum(var, 0.0))


def posterior_on_grid(
    data: EncodedResponses,
    params: ItemParameters,
    grid: NDArray[np.float64],
    log_prior: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Normalised posterior ``(T, U)`` of each pattern on ``grid`` (log-space)."""
    logl = pattern_log_likelihood(data, params, grid)
    logl += log_prior[:, None] if log_prior.ndim == 1 else log_prior
    logl -= logl.max(axis=0)
    np.exp(logl, out=logl)
    logl /= logl.sum(axis=0)
    return logl


def pattern_log_likelihood(
    data: EncodedResponses, params: ItemParameters, grid: NDArray[np.float64]
) -> NDArray[np.float64]:
    """:math:`\\log L_i(\\theta_t)` ``(T, U)`` of each pattern on ``grid``."""
    a, d, c = params.slope_intercept()
    return data.pattern_sums(category_log_probs(a, d, c, params.n_categories, grid))


def _person_terms(
    codes: NDArray[np.int16],
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64],
    theta: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Score, information and Warm's J at person-specific ``theta`` ``(U,)``."""
    p, d1, d2 = theta_derivs(a, d, c, theta)  # (U, J, K)
    obs = codes >= 0
    idx = np.maximum(codes, 0)[:, :, None].astype(np.int64)
    pk = np.take_along_axis(p, idx, axis=2)[:, :, 0]
    dk = np.take_along_axis(d1, idx, axis=2)[:, :, 0]
    score = np.where(obs, dk / np.maximum(pk, TINY), 0.0).sum(axis=1)
    safe = np.maximum(p, TINY)
    info = np.where(obs, (d1 * d1 / safe).sum(axis=2), 0.0).sum(axis=1)
    warm = np.where(obs, (d1 * d2 / safe).sum(axis=2), 0.0).sum(axis=1)
    return score, info, warm


def _solve_theta(
    data: EncodedResponses,
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64],
    params: ItemParameters,
    how: AbilityMethod,
    bounds: tuple[float, float],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise ResponseDataError("bounds must be (low, high)", param="bounds", got=bounds)
    mu, sd = params.latent_mean, params.latent_sd
    grid = np.linspace(lo, hi, int(np.ceil((hi - lo) / 0.1)) + 1)
    n_cat = params.n_categories
    # grid quantities: score, information, Warm's J per item and category
    p, d1, d2 = theta_derivs(a, d, c, grid)  # (T, J, K)
    safe = np.maximum(p, TINY)
    score_tab = np.where(p > 0, d1 / safe, 0.0).transpose(1, 2, 0)  # (J, K, T)
    gscore = data.pattern_sums(score_tab)
    info = data.answered_sums((d1 * d1 / safe).sum(axis=2).T)
    warm = data.answered_sums((d1 * d2 / safe).sum(axis=2).T)
    logl = data.pattern_sums(category_log_probs(a, d, c, n_cat, grid))

    def extra(
        th: NDArray[np.float64], i_th: NDArray[np.float64], j_th: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        if how is AbilityMethod.MAP:
            return -(th - mu) / (sd * sd)
        if how is AbilityMethod.WLE:
            return np.where(i_th > 0, j_th / (2.0 * np.maximum(i_th, TINY)), 0.0)
        return np.zeros_like(th)

    g = gscore + extra(grid[:, None], info, warm)
    crit = logl.copy()
    if how is AbilityMethod.MAP:
        crit -= 0.5 * ((grid[:, None] - mu) / sd) ** 2
    elif how is AbilityMethod.WLE:
        crit += 0.5 * np.log(np.maximum(info, TINY))
    down = (g[:-1] > 0) & (g[1:] <= 0)
    score_cells = np.where(down, np.maximum(crit[:-1], crit[1:]), -np.inf)
    cell = np.argmax(score_cells, axis=0)
    has_root = np.any(down, axis=0)
    n_pat = data.codes.shape[0]
    cols = np.arange(n_pat)
    left, right = grid[cell], grid[cell + 1]
    g_left, g_right = g[cell, cols], g[cell + 1, cols]

    def fn(th: NDArray[np.float64], rows: NDArray[np.int64]) -> NDArray[np.float64]:
        s, i_th, j_th = _person_terms(data.codes[rows], a, d, c, th)
        return s + extra(th, i_th, j_th)

    theta = _illinois(fn, left, right, g_left, g_right, has_root)
    at_bound = ~has_root
    # no sign change: the penalised likelihood is monotone on the interval
    theta = np.where(has_root, theta, np.where(g[0] <= 0, lo, hi))
    _, i_hat, _ = _person_terms(data.codes, a, d, c, theta)
    if how is AbilityMethod.MAP:
        i_hat = i_hat + 1.0 / (sd * sd)
    se = np.where(i_hat > 0, 1.0 / np.sqrt(np.maximum(i_hat, TINY)), np.inf)
    return theta, se, at_bound


def _illinois(
    call: Callable[[NDArray[np.float64], NDArray[np.int64]], NDArray[np.float64]],
    left: NDArray[np.float64],
    right: NDArray[np.float64],
    f_left: NDArray[np.float64],
    f_right: NDArray[np.float64],
    active: NDArray[np.bool_],
    tol: float = 1e-10,
    max_iter: int = 60,
) -> NDArray[np.float64]:
    """Vectorised Illinois (modified regula falsi) root finder on brackets.

    ``f_left > 0 >= f_right`` on every active bracket (Dowell & Jarratt 1971).
    """
    lo, hi, flo, fhi = left.copy(), right.copy(), f_left.copy(), f_right.copy()
    x = 0.5 * (lo + hi)
    todo = np.nonzero(active)[0]
    side = np.zeros(lo.size, dtype=np.int8)
    for _ in range(max_iter):
        if todo.size == 0:
            break
        left_t, h, fl, fh = lo[todo], hi[todo], flo[todo], fhi[todo]
        denom = fh - fl
        safe = np.where(denom != 0, denom, 1.0)
        xn = np.where(denom != 0, h - fh * (h - left_t) / safe, 0.5 * (left_t + h))
        xn = np.clip(xn, left_t, h)
        fx = call(xn, todo)
        x[todo] = xn
        pos = fx > 0
        # replace the endpoint with the same sign; halve the other's value if it stays
        lo[todo] = np.where(pos, xn, left_t)
        flo[todo] = np.where(pos, fx, np.where(side[todo] == -1, 0.5 * fl, fl))
        hi[todo] = np.where(pos, h, xn)
        fhi[todo] = np.where(pos, np.where(side[todo] == 1, 0.5 * fh, fh), fx)
        side[todo] = np.where(pos, 1, -1)
        width = hi[todo] - lo[todo]
        done = (width < tol) | (fx == 0)
        todo = todo[~done]
    return x
