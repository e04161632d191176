"""Standard errors of item parameters after marginal maximum likelihood.

Three estimators of the information of the packed parameters
:math:`\\beta` (all evaluated at the EM solution, on the same quadrature):

* ``observed`` - Louis (1982):
  :math:`I(\\hat\\beta) = \\sum_j I^c_j - \\sum_i f_i\\,\\mathrm{Cov}_{\\pi_i}[s_i(\\theta)]`,
  the complete-data information from the expected counts minus the
  posterior covariance of the complete-data score
  :math:`s_i(\\theta_q) = \\partial \\log p(x_i \\mid \\theta_q)/\\partial\\beta`.
  It equals minus the Hessian of the marginal log-likelihood (plus prior);
* ``crossproduct`` - :math:`\\sum_i f_i \\bar s_i \\bar s_i^T` with
  :math:`\\bar s_i = E_{\\pi_i}[s_i]` (Bock & Lieberman's XPD; biased in small
  samples);
* ``sandwich`` - :math:`H^{-1} B H^{-1}` with :math:`H` the observed
  information and :math:`B = \\sum_i w_i^2 \\bar s_i \\bar s_i^T`: the
  pseudo-likelihood (survey-weighted) covariance, ignoring clustering
  (Binder 1983).
"""

from __future__ import annotations

import logging
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from scoring.irt.data import EncodedResponses
from scoring.irt.em import BetaPrior
from scoring.irt.em import EStep
from scoring.irt.em import Group
from scoring.irt.em import Layout
from scoring.irt.em import _group_counts
from scoring.irt.em import _split
from scoring.irt.irf import group_param_derivs
from scoring.irt.quadrature import Quadrature

logger = logging.getLogger(__name__)

__all__ = ["SEMethod", "information_matrices"]

#: posterior probabilities below this are skipped in the Louis covariance term
_POST_EPS = 1e-11


class SEMethod(StrEnum):
    """How item-parameter standard errors are computed."""

    AUTO = "auto"  #: observed information, or sandwich when survey weights are given
    OBSERVED = "observed"  #: Louis (1982) observed information
    CROSSPRODUCT = "crossproduct"  #: outer product of the per-pattern scores (XPD)
    SANDWICH = "sandwich"  #: observed information sandwiching the weighted score outer product
    NONE = "none"  #: no standard errors


def information_matrices(
    layout: Layout,
    data: EncodedResponses,
    quad: Quadrature,
    x: NDArray[np.float64],
    es: EStep,
    prior: BetaPrior | None,
    *,
    observed: bool = True,
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64], NDArray[np.float64]]:
    """Observed information (if asked), XPD and weighted meat matrices.

    Returns:
        ``(H, XPD, B)``: ``H`` the Louis observed information (or ``None``),
        ``XPD = sum_i f_i sbar_i sbar_i^T`` and
        ``B = sum_i w2_i sbar_i sbar_i^T`` (``w2`` summed squared weights).
    """
    n_par = layout.n_params
    n_q, n_pat = es.posterior.shape
    n_y = data.n_y
    h_complete = np.zeros((n_par, n_par))
    inv_pk = np.zeros((n_y, n_q))  # 1/P_jk for the Y columns (k >= 1)
    inv_p0 = np.zeros((data.n_items, n_q))  # 1/P_j0
    basis = np.zeros((n_q, n_y, n_par))  # dP_jk/dbeta placed at item j's parameters
    tables = []
    for grp in layout.groups:
        vals = x[grp.pidx]
        a, d, c = _split(grp, vals)
        p, dp, d2p = group_param_derivs(a, d, c, quad.nodes, second=True)
        if d2p is None:  # pragma: no cover - second=True always returns it
            raise RuntimeError("second derivatives missing")
        r, _ = _group_counts(grp, es, data)
        inv = 1.0 / np.maximum(p, 1e-300)
        u = dp * inv[..., None]  # (G, K, Q, m) complete-data score of category k
        # -d2 log P = u u^T - d2P / P, weighted by the expected counts
        hc = np.einsum("gkq,gkqm,gkqn->gmn", r, u, u) - np.einsum("gkq,gkqmn->gmn", r * inv, d2p)
        if grp.guess and prior is not None and c is not None:
            hc[:, -1, -1] += (prior.alpha + prior.beta - 2.0) * c * (1.0 - c)
        for i in range(grp.items.size):
            idx = grp.pidx[i]
            h_complete[np.ix_(idx, idx)] += hc[i]
            cols = grp.ycols[i]
            inv_pk[cols] = inv[i, 1:]
            basis[:, cols[:, None], idx[None, :]] = dp[i, 1:].transpose(1, 0, 2)
        inv_p0[grp.items] = inv[:, 0]
        tables.append((grp, u))
    sbar = _mean_scores(layout, data, es.posterior, tables)
    f = data.weights
    xpd = sbar.T @ (sbar * f[:, None])
    meat = sbar.T @ (sbar * data.weights_sq[:, None])
    if not observed:
        return None, xpd, meat
    # s_i(q) = E_q[i] @ basis[q] with E_q[i, (j,k)] = [x_ij = k]/P_jk - [x_ij = 0]/P_j0
    y_t = data.design_t[:n_y]
    mask_t = np.ones((data.n_items, n_pat)) if data.complete else data.design_t[n_y:]
    zero_t = mask_t - np.add.reduceat(y_t, np.searchsorted(data.col_item, np.arange(data.n_items)))
    zero_cols = zero_t[data.col_item]
    p0_cols = inv_p0[data.col_item]
    missing_info = np.zeros((n_par, n_par))
    for q in range(n_q):
        pq = es.posterior[q]
        rows = np.nonzero(pq > _POST_EPS)[0]
        if rows.size == 0:
            continue
        e_t = y_t[:, rows] * inv_pk[:, q : q + 1] - zero_cols[:, rows] * p0_cols[:, q : q + 1]
        gram = e_t @ (e_t * (f[rows] * pq[rows])).T
        missing_info += basis[q].T @ gram @ basis[q]
    h_obs = h_complete - (missing_info - xpd)
    return 0.5 * (h_obs + h_obs.T), xpd, meat


def _mean_scores(
    layout: Layout,
    data: EncodedResponses,
    posterior: NDArray[np.float64],
    tables: list[tuple[Group, NDArray[np.float64]]],
) -> NDArray[np.float64]:
    """Posterior-mean scores :math:`\\bar s_i = \\sum_q \\pi_{iq} s_i(\\theta_q)` ``(U, P)``."""
    n_pat = posterior.shape[1]
    out = np.zeros((n_pat, layout.n_params))
    for grp, u in tables:
        n_g, k, n_q, m = u.shape
        v = (posterior.T @ u.transpose(2, 0, 1, 3).reshape(n_q, -1)).reshape(n_pat, n_g, k, m)
        code = data.codes[:, grp.items]  # (U, G)
        obs = code >= 0
        picked = np.take_along_axis(v, np.maximum(code, 0)[:, :, None, None], axis=2)[:, :, 0]
        picked *= obs[..., None]
        if grp.shared:
            out[:, layout.shared_index] += picked[:, :, 0].sum(axis=1)
            out[:, grp.pidx[:, 1:]] += picked[:, :, 1:]
        else:
            out[:, grp.pidx] += picked
    return out


def covariance(
    method: SEMethod,
    h_obs: NDArray[np.float64] | None,
    xpd: NDArray[np.float64],
    meat: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Parameter covariance for ``method`` (pseudo-inverse if singular)."""
    if method is SEMethod.CROSSPRODUCT:
        return _inv(xpd)
    if h_obs is None:
        raise ValueError("observed information needed")
    h_inv = _inv(h_obs)
    if method is SEMethod.SANDWICH:
        return h_inv @ meat @ h_inv
    return h_inv


def _inv(m: NDArray[np.float64]) -> NDArray[np.float64]:
    try:
        return np.asarray(np.linalg.inv(m), dtype=np.float64)
    except np.linalg.LinAlgError:
        logger.warning("information matrix is singular; using the pseudo-inverse")
        return np.asarray(np.linalg.pinv(m), dtype=np.float64)
