"""Plausible values and Rubin's rules.

Plausible values are random draws from each person's posterior
:math:`p(\\theta \\mid x_i, z_i) \\propto L_i(\\theta)\\,\\phi(\\theta; z_i^T\\beta, \\sigma^2)`
(Mislevy 1991; von Davier, Gonzalez & Mislevy 2009). With background
variables ``z`` (a *conditioning* or latent-regression model) group
comparisons are unbiased; without them the prior is the calibration's
:math:`N(\\mu, \\sigma^2)` and differences between groups shrink towards
zero. A population statistic is computed once per draw and combined with
:func:`rubin_combine`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray
from scipy import stats

from scoring.irt.ability import encode_for_scoring
from scoring.irt.ability import pattern_log_likelihood
from scoring.irt.ability import posterior_on_grid
from scoring.irt.data import EncodedResponses
from scoring.irt.data import normalise_weights
from scoring.irt.errors import IRTError
from scoring.irt.errors import ResponseDataError
from scoring.irt.params import ItemParameters

logger = logging.getLogger(__name__)

__all__ = ["PlausibleValues", "RubinResult", "plausible_values", "rubin_combine"]


@dataclass(frozen=True, slots=True)
class PlausibleValues:
    """Plausible values ``(n, M)`` and the conditioning model used (frozen).

    Attributes:
        values: draws, one column per plausible value.
        beta: latent-regression coefficients (intercept first), or ``None``.
        sigma: residual latent SD of the conditioning model (or the prior SD).
        n_iterations: EM iterations of the latent regression (0 without one).
    """

    values: NDArray[np.float64]
    beta: NDArray[np.float64] | None
    sigma: float
    n_iterations: int

    @property
    def n_draws(self) -> int:
        """Number of plausible values per person."""
        return int(self.values.shape[1])


@dataclass(frozen=True, slots=True)
class RubinResult:
    """Combined estimate over imputations (Rubin 1987) (frozen).

    Attributes:
        estimate: :math:`\\bar Q = \\frac1M\\sum_m Q_m`.
        within: :math:`\\bar U = \\frac1M\\sum_m U_m`.
        between: :math:`B = \\frac{1}{M-1}\\sum_m (Q_m - \\bar Q)^2`.
        total: :math:`T = \\bar U + (1 + 1/M) B`.
        df: degrees of freedom (Rubin 1987, or Barnard & Rubin 1999 when the
            complete-data df is given).
        riv: relative increase in variance :math:`(1+1/M)B/\\bar U`.
        fmi: fraction of missing information :math:`(r + 2/(\\nu+3))/(r+1)`.
        n_imputations: ``M``.
    """

    estimate: NDArray[np.float64]
    within: NDArray[np.float64]
    between: NDArray[np.float64]
    total: NDArray[np.float64]
    df: NDArray[np.float64]
    riv: NDArray[np.float64]
    fmi: NDArray[np.float64]
    n_imputations: int

    @property
    def se(self) -> NDArray[np.float64]:
        """:math:`\\sqrt{T}`."""
        return np.sqrt(self.total)

    def confint(self, level: float = 0.95) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """t-based interval :math:`\\bar Q \\pm t_{\\nu, 1-\\alpha/2}\\sqrt T`."""
        t = stats.t.ppf(0.5 + level / 2.0, self.df)
        return self.estimate - t * self.se, self.estimate + t * self.se


def rubin_combine(
    estimates: ArrayLike, variances: ArrayLike, *, df_complete: float | None = None
) -> RubinResult:
    """Combine per-imputation estimates and variances by Rubin's rules.

    Formula (Rubin 1987, §3.1): :math:`\\bar Q`, :math:`\\bar U`, :math:`B`,
    :math:`T = \\bar U + (1+M^{-1})B`, :math:`\\nu = (M-1)(1 + 1/r)^2` with
    :math:`r = (1+M^{-1})B/\\bar U`; with ``df_complete`` :math:`\\nu_c` the
    Barnard & Rubin (1999) :math:`\\nu^* = (1/\\nu + 1/\\hat\\nu_{obs})^{-1}`,
    :math:`\\hat\\nu_{obs} = \\frac{\\nu_c+1}{\\nu_c+3}\\nu_c(1-\\lambda)`,
    :math:`\\lambda = (1+M^{-1})B/T`.

    Args:
        estimates: ``(M,)`` or ``(M, k)``: one row per plausible value.
        variances: same shape: the sampling variance of each estimate.
        df_complete: complete-data degrees of freedom (e.g. PSUs - strata).

    Returns:
        :class:`RubinResult` (arrays of shape ``(k,)``, or ``()`` for 1-D input).

    Raises:
        IRTError: fewer than 2 imputations, shape mismatch, negative variance.

    Example:
        >>> r = rubin_combine([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
        >>> float(r.estimate), float(r.total)
        (2.0, 1.8333333333333333)
    """
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.shape != u.shape or q.ndim not in (1, 2):
        raise IRTError(
            "estimates and variances need the same shape (M,) or (M, k)",
            param="variances",
            got=(q.shape, u.shape),
        )
    m = q.shape[0]
    if m < 2:
        raise IRTError("Rubin's rules need at least 2 imputations", param="estimates", got=m)
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u)) and np.all(u >= 0)):
        raise IRTError("estimates must be finite and variances finite and >= 0", param="variances")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1.0 + 1.0 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = np.where(ubar > 0, (1.0 + 1.0 / m) * b / ubar, np.inf)
        df = np.where(b > 0, (m - 1) * (1.0 + 1.0 / riv) ** 2, np.inf)
        if df_complete is not None:
            lam = np.where(t > 0, (1.0 + 1.0 / m) * b / t, 0.0)
            nc = float(df_complete)
            df_obs = (nc + 1.0) / (nc + 3.0) * nc * (1.0 - lam)
            df = 1.0 / (1.0 / df + 1.0 / df_obs)
        fmi = np.where(np.isfinite(df), (riv + 2.0 / (df + 3.0)) / (riv + 1.0), 0.0)
    return RubinResult(qbar, ubar, b, t, df, riv, fmi, m)


def plausible_values(
    responses: ArrayLike,
    params: ItemParameters,
    *,
    rng: np.random.Generator,
    n_draws: int = 5,
    covariates: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    grid_points: int = 241,
    tol: float = 1e-6,
    max_iter: int = 500,
) -> PlausibleValues:
    """Draw plausible values from each person's posterior.

    Formula: the posterior :math:`\\propto L_i(\\theta)\\phi(\\theta; z_i^T\\beta,
    \\sigma^2)` is evaluated on a fine grid; a draw picks a grid cell by its
    posterior mass and a uniform point inside it. With ``covariates`` the
    latent regression :math:`\\theta_i = z_i^T\\beta + e_i`,
    :math:`e_i\\sim N(0,\\sigma^2)` is first fitted by EM with the items fixed
    (Mislevy 1991): :math:`\\beta = (Z^TWZ)^{-1}Z^TW\\tilde\\theta`,
    :math:`\\sigma^2 = \\sum_i w_i[\\mathrm{Var}_i + (\\tilde\\theta_i - z_i^T\\beta)^2]/\\sum w_i`
    with :math:`\\tilde\\theta_i` the posterior mean; each plausible value then
    uses its own :math:`\\beta^{(m)} \\sim N(\\hat\\beta, \\hat V_\\beta)` (sandwich
    :math:`\\hat V_\\beta`) so that the between-draw variance includes the
    uncertainty of the conditioning model.

    Args:
        responses: ``(n, J)`` scores in the order of ``params.item_ids``.
        params: fixed item parameters.
        rng: random generator (pass a seeded one for reproducible draws).
        n_draws: number of plausible values (>= 5 recommended).
        covariates: optional ``(n, p)`` background variables (no intercept
            column; one is added).
        weights: survey weights for the latent regression.
        grid_points: grid size over :math:`\\mu \\pm 7\\sigma`.

    Returns:
        :class:`PlausibleValues`.

    Raises:
        ResponseDataError: shapes do not match, or covariates are not finite.

    Example:
        >>> p = ItemParameters(("q1",), ("2pl",), [1.0], [[0.0]], [0.0])
        >>> pv = plausible_values([[1.0], [0.0]], p, rng=np.random.default_rng(1))
        >>> pv.values.shape
        (2, 5)
    """
    if n_draws < 1:
        raise IRTError("need at least one draw", param="n_draws", got=n_draws)
    x = np.asarray(responses, dtype=np.float64)
    data = encode_for_scoring(x, params)
    rows = data.inverse
    n = rows.size
    mu, sd = params.latent_mean, params.latent_sd
    if covariates is None:
        grid = np.linspace(mu - 7 * sd, mu + 7 * sd, grid_points)
        log_prior = -0.5 * ((grid - mu) / sd) ** 2
        post = posterior_on_grid(data, params, grid, log_prior)[:, rows]
        values = np.column_stack([_draw(post, grid, rng) for _ in range(n_draws)])
        return PlausibleValues(values, None, sd, 0)
    z = np.asarray(covariates, dtype=np.float64)
    z = z[:, None] if z.ndim == 1 else z
    if z.shape[0] != n or not np.all(np.isfinite(z)):
        raise ResponseDataError(
            "covariates need one finite row per person",
            param="covariates",
            got=z.shape,
            expected=f"({n}, p) without missing values",
        )
    design = np.column_stack([np.ones(n), z])
    w = normalise_weights(weights, n)
    beta, sigma, v_beta, n_iter = _latent_regression(
        data, params, rows, design, w, grid_points, tol, max_iter
    )
    lo = float((design @ beta).min()) - 7 * sigma
    hi = float((design @ beta).max()) + 7 * sigma
    grid = np.linspace(lo, hi, grid_points)
    logl = pattern_log_likelihood(data, params, grid)[:, rows]
    values = np.empty((n, n_draws))
    chol = np.linalg.cholesky(v_beta + 1e-14 * np.eye(beta.size))
    for m in range(n_draws):
        beta_m = beta + chol @ rng.standard_normal(beta.size)
        post = _person_posterior(logl, grid, design @ beta_m, sigma)
        values[:, m] = _draw(post, grid, rng)
    return PlausibleValues(values, beta, sigma, n_iter)


def _person_posterior(
    logl: NDArray[np.float64],
    grid: NDArray[np.float64],
    means: NDArray[np.float64],
    sigma: float,
) -> NDArray[np.float64]:
    """Posterior ``(T, n)`` from per-person log-likelihoods and a normal prior."""
    logp = logl - 0.5 * ((grid[:, None] - means[None, :]) / sigma) ** 2
    logp -= logp.max(axis=0)
    np.exp(logp, out=logp)
    logp /= logp.sum(axis=0)
    return logp


def _latent_regression(
    data: EncodedResponses,
    params: ItemParameters,
    rows: NDArray[np.int64],
    design: NDArray[np.float64],
    w: NDArray[np.float64],
    grid_points: int,
    tol: float,
    max_iter: int,
) -> tuple[NDArray[np.float64], float, NDArray[np.float64], int]:
    """EM for :math:`\\theta = z^T\\beta + e`; returns beta, sigma, sandwich V(beta), iterations."""
    mu, sd = params.latent_mean, params.latent_sd
    grid = np.linspace(mu - 8 * sd, mu + 8 * sd, grid_points)
    logl = pattern_log_likelihood(data, params, grid)[:, rows]
    xtwx = design.T @ (design * w[:, None])
    beta = np.linalg.solve(xtwx, design.T @ (w * mu))
    sigma = sd
    n_iter = 0
    converged = False
    while n_iter < max_iter and not converged:
        n_iter += 1
        post = _person_posterior(logl, grid, design @ beta, sigma)
        mean = grid @ post
        var = np.maximum((grid**2) @ post - mean**2, 0.0)
        new_beta = np.linalg.solve(xtwx, design.T @ (w * mean))
        resid = mean - design @ new_beta
        new_sigma = math.sqrt(float(w @ (var + resid**2)) / float(w.sum()))
        change = max(float(np.max(np.abs(new_beta - beta))), abs(new_sigma - sigma))
        beta, sigma = new_beta, new_sigma
        converged = change < tol
    if not converged:
        logger.warning("latent regression stopped after %d iterations", max_iter)
    post = _person_posterior(logl, grid, design @ beta, sigma)
    resid = grid @ post - design @ beta
    bread = np.linalg.inv(xtwx)
    scores = design * (w * resid)[:, None]
    v_beta = bread @ (scores.T @ scores) @ bread
    return (
        np.asarray(beta, dtype=np.float64),
        sigma,
        np.asarray(v_beta, dtype=np.float64),
        n_iter,
    )


def _draw(
    post: NDArray[np.float64], grid: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """One draw per column of a discretised posterior (cell + uniform jitter)."""
    cdf = np.cumsum(post, axis=0)
    u = rng.random(post.shape[1]) * cdf[-1]
    idx = (cdf < u[None, :]).sum(axis=0)
    idx = np.minimum(idx, grid.size - 1)
    step = grid[1] - grid[0]
    return np.asarray(grid[idx] + (rng.random(idx.size) - 0.5) * step, dtype=np.float64)
