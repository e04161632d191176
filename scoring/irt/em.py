"""Marginal maximum likelihood by EM over Gauss-Hermite quadrature (kernels).

Bock & Aitkin (1981): with nodes :math:`\\theta_q` and weights :math:`w_q`,

* **E-step**: :math:`\\log L_{iq} = \\sum_j \\log P_{j x_{ij}}(\\theta_q)` for every
  distinct pattern :math:`i` (one matrix product with the design matrix, in
  log space), posterior :math:`\\pi_{iq} \\propto L_{iq} w_q`, and expected
  counts :math:`r_{jkq} = \\sum_i f_i \\pi_{iq} [x_{ij} = k]` where :math:`f_i`
  is the pattern's summed survey weight (missing responses add nothing);
* **M-step**: for each item, maximise
  :math:`\\sum_{k,q} r_{jkq} \\log P_{jk}(\\theta_q) + \\log p(\\text{params})`
  by Fisher scoring vectorised over items (an arrowhead solve when items
  share one slope, as in the Rasch model);
* **acceleration**: SQUAREM (Varadhan & Roland 2008, scheme S3) on the
  EM map, with a monotonicity safeguard on the (penalised) log-likelihood.

Internal parameters per item are :math:`(a, d_1..d_{K-1})` plus
:math:`g = \\mathrm{logit}(c)` for 3PL items, packed into one vector.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from scipy.special import logit

from scoring.irt.data import EncodedResponses
from scoring.irt.irf import category_log_probs
from scoring.irt.irf import group_log_probs
from scoring.irt.irf import group_param_derivs
from scoring.irt.params import ItemModel
from scoring.irt.quadrature import Quadrature

logger = logging.getLogger(__name__)

_SHARED = (ItemModel.RASCH, ItemModel.ONE_PL)


@dataclass(frozen=True, slots=True)
class BetaPrior:
    """Beta(alpha, beta) prior on the 3PL lower asymptote ``c``.

    Default Beta(5, 17) has mean 0.2 and the weight of 20 pseudo-responses,
    BILOG-MG's default for five-option items (Zimowski et al. 2003).
    """

    alpha: float = 5.0
    beta: float = 17.0


@dataclass(frozen=True, slots=True)
class Group:
    """Items with the same number of categories, guessing flag and slope sharing."""

    items: NDArray[np.int64]
    n_cat: int
    guess: bool
    shared: bool
    pidx: NDArray[np.int64]  # (G, m) indices into the packed vector
    ycols: NDArray[np.int64]  # (G, K-1) rows of the count matrix for k >= 1


@dataclass(frozen=True, slots=True)
class Layout:
    """How the packed parameter vector maps onto items."""

    n_cat: NDArray[np.int64]
    a_idx: NDArray[np.int64]
    d_idx: NDArray[np.int64]  # (J, Kmax-1), -1 = padding
    g_idx: NDArray[np.int64]  # -1 = no guessing
    groups: tuple[Group, ...]
    labels: tuple[str, ...]
    shared_index: int  # index of the shared slope, -1 if none

    @property
    def n_params(self) -> int:
        return len(self.labels)

    def unpack(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Packed vector -> ``(a, d, c)`` item arrays (``d`` ``-inf`` padded)."""
        a = x[self.a_idx]
        d = np.where(self.d_idx >= 0, x[np.maximum(self.d_idx, 0)], -np.inf)
        g = np.clip(x[np.maximum(self.g_idx, 0)], -35.0, 35.0)
        c = np.where(self.g_idx >= 0, expit(g), 0.0)
        return a, d, c


def build_layout(
    n_cat: NDArray[np.int64], models: tuple[ItemModel, ...], item_ids: tuple[str, ...]
) -> Layout:
    """Pack order: the shared slope first (if any), then item by item."""
    n_items = n_cat.size
    kmax = int(n_cat.max())
    labels: list[str] = []
    shared = np.array([m in _SHARED for m in models])
    shared_index = -1
    if shared.any():
        shared_index = 0
        labels.append("slope")
    a_idx = np.full(n_items, -1, dtype=np.int64)
    d_idx = np.full((n_items, kmax - 1), -1, dtype=np.int64)
    g_idx = np.full(n_items, -1, dtype=np.int64)
    for j in range(n_items):
        if shared[j]:
            a_idx[j] = shared_index
        else:
            a_idx[j] = len(labels)
            labels.append(f"{item_ids[j]}.a")
        for k in range(int(n_cat[j]) - 1):
            d_idx[j, k] = len(labels)
            labels.append(f"{item_ids[j]}.d{k + 1}")
        if models[j] is ItemModel.THREE_PL:
            g_idx[j] = len(labels)
            labels.append(f"{item_ids[j]}.g")
    ycol_start = np.concatenate([[0], np.cumsum(n_cat - 1)[:-1]])
    keys = sorted({(int(n_cat[j]), bool(g_idx[j] >= 0), bool(shared[j])) for j in range(n_items)})
    groups = []
    for k, guess, shr in keys:
        items = np.array(
            [
                j
                for j in range(n_items)
                if int(n_cat[j]) == k and (g_idx[j] >= 0) == guess and shared[j] == shr
            ],
            dtype=np.int64,
        )
        cols = [a_idx[items][:, None], d_idx[items, : k - 1]]
        if guess:
            cols.append(g_idx[items][:, None])
        pidx = np.hstack(cols)
        ycols = ycol_start[items][:, None] + np.arange(k - 1)[None, :]
        groups.append(Group(items, k, guess, shr, pidx, ycols))
    return Layout(n_cat, a_idx, d_idx, g_idx, tuple(groups), tuple(labels), shared_index)


# ------------------------------------------------------------------ E-step
@dataclass(frozen=True, slots=True)
class EStep:
    """Result of one E-step at the current parameters."""

    loglik: float  # weighted marginal log-likelihood
    posterior: NDArray[np.float64]  # (Q, U) posterior of each pattern (columns sum to 1)
    counts: NDArray[np.float64]  # (C, Q) weighted expected counts (Y rows then M rows)
    node_total: NDArray[np.float64]  # (Q,) weighted posterior mass per node


def e_step(
    layout: Layout, data: EncodedResponses, quad: Quadrature, x: NDArray[np.float64]
) -> EStep:
    """Posterior over the nodes for every pattern and the expected counts."""
    a, d, c = layout.unpack(x)
    logp = category_log_probs(a, d, c, layout.n_cat, quad.nodes)  # (J, Kmax, Q)
    logl = data.pattern_sums(logp)  # (Q, U)
    logl += quad.log_weights[:, None]
    mx = logl.max(axis=0)
    logl -= mx
    np.exp(logl, out=logl)
    total = logl.sum(axis=0)
    loglik = float(data.weights @ (np.log(total) + mx))
    logl *= 1.0 / total
    wpost = logl * data.weights
    counts = data.design_t @ wpost.T
    return EStep(loglik, logl, counts, wpost.sum(axis=1))


def _group_counts(
    grp: Group, es: EStep, data: EncodedResponses
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-group counts ``R`` ``(G, K, Q)`` and totals ``N`` ``(G, Q)``."""
    rk = es.counts[grp.ycols]  # (G, K-1, Q)
    if data.complete:
        n = np.broadcast_to(es.node_total, (grp.items.size, es.node_total.size))
    else:
        n = es.counts[data.n_y + grp.items]
    r0 = np.maximum(n - rk.sum(axis=1), 0.0)
    return np.concatenate([r0[:, None, :], rk], axis=1), np.asarray(n)


# ------------------------------------------------------------------ M-step
def _split(
    grp: Group, vals: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    k = grp.n_cat
    # |g| <= 35 keeps c strictly inside (0, 1) so log c and log(1-c) are finite
    c = expit(np.clip(vals[:, k], -35.0, 35.0)) if grp.guess else None
    return vals[:, 0], vals[:, 1:k], c


def _ordered(grp: Group, vals: NDArray[np.float64]) -> NDArray[np.bool_]:
    d = vals[:, 1 : grp.n_cat]
    ok = np.all(np.isfinite(vals), axis=1)
    if d.shape[1] > 1:
        ok &= np.all(np.diff(d, axis=1) < 0, axis=1)
    return np.asarray(ok, dtype=np.bool_)


def group_objective(
    grp: Group,
    vals: NDArray[np.float64],
    quad: Quadrature,
    r: NDArray[np.float64],
    prior: BetaPrior | None,
) -> NDArray[np.float64]:
    """Expected complete-data log-likelihood (+ log prior) per item, ``-inf`` if invalid."""
    ok = _ordered(grp, vals)
    safe = np.where(ok[:, None], vals, _fallback(grp, vals.shape[0]))
    a, d, c = _split(grp, safe)
    logp = group_log_probs(a, d, c, quad.nodes)
    f = np.einsum("gkq,gkq->g", r, logp)
    if grp.guess and prior is not None and c is not None:
        f += (prior.alpha - 1.0) * np.log(c) + (prior.beta - 1.0) * np.log1p(-c)
    return np.asarray(np.where(ok, f, -np.inf), dtype=np.float64)


def _fallback(grp: Group, n: int) -> NDArray[np.float64]:
    row = np.concatenate([[1.0], -np.arange(grp.n_cat - 1, dtype=np.float64), [0.0] * grp.guess])
    return np.tile(row, (n, 1))


def group_score_info(
    grp: Group,
    vals: NDArray[np.float64],
    quad: Quadrature,
    r: NDArray[np.float64],
    n: NDArray[np.float64],
    prior: BetaPrior | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gradient ``(G, m)`` and Fisher information ``(G, m, m)`` of :func:`group_objective`.

    :math:`g = \\sum_{kq} r_{kq} P'_{kq}/P_{kq}`,
    :math:`I = \\sum_q n_q \\sum_k P'_{kq} P'_{kq}{}^T / P_{kq}`.
    """
    a, d, c = _split(grp, vals)
    p, dp, _ = group_param_derivs(a, d, c, quad.nodes)
    inv = 1.0 / np.maximum(p, 1e-300)
    grad = np.einsum("gkq,gkqm->gm", r * inv, dp)
    info = np.einsum("gkqm,gkqn->gmn", dp * (n[:, None, :] * inv)[..., None], dp)
    if grp.guess and prior is not None and c is not None:
        grad[:, -1] += (prior.alpha - 1.0) * (1.0 - c) - (prior.beta - 1.0) * c
        info[:, -1, -1] += (prior.alpha + prior.beta - 2.0) * c * (1.0 - c)
    return grad, info


def _solve(info: NDArray[np.float64], grad: NDArray[np.float64]) -> NDArray[np.float64]:
    m = info.shape[-1]
    ridge = 1e-10 * (np.trace(info, axis1=1, axis2=2) / m + 1.0)
    reg = info + ridge[:, None, None] * np.eye(m)
    return np.asarray(np.linalg.solve(reg, grad[..., None])[..., 0], dtype=np.float64)


def _cap(step: NDArray[np.float64], limit: float = 2.0) -> NDArray[np.float64]:
    big = np.abs(step).max(axis=-1, keepdims=True)
    return np.asarray(step * np.minimum(1.0, limit / np.maximum(big, 1e-300)), dtype=np.float64)


def m_step(
    layout: Layout,
    x: NDArray[np.float64],
    es: EStep,
    data: EncodedResponses,
    quad: Quadrature,
    prior: BetaPrior | None,
    n_newton: int = 2,
) -> NDArray[np.float64]:
    """Fisher-scoring M-step with step halving; returns the new packed vector."""
    x = x.copy()
    counts = [_group_counts(g, es, data) for g in layout.groups]
    for grp, (r, n) in zip(layout.groups, counts, strict=True):
        if grp.shared:
            continue
        vals = x[grp.pidx]
        f0 = group_objective(grp, vals, quad, r, prior)
        for _ in range(n_newton):
            grad, info = group_score_info(grp, vals, quad, r, n, prior)
            step = _cap(_solve(info, grad))
            vals, f0 = _halve(grp, vals, step, f0, quad, r, prior)
        x[grp.pidx] = vals
    if layout.shared_index >= 0:
        x = _shared_m_step(layout, x, counts, quad, prior, n_newton)
    return x


def _halve(
    grp: Group,
    vals: NDArray[np.float64],
    step: NDArray[np.float64],
    f0: NDArray[np.float64],
    quad: Quadrature,
    r: NDArray[np.float64],
    prior: BetaPrior | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Accept per item the largest of step, step/2, ... that does not lower f."""
    out = vals.copy()
    f_out = f0.copy()
    todo = np.ones(vals.shape[0], dtype=bool)
    scale = 1.0
    for _ in range(12):
        cand = vals[todo] + scale * step[todo]
        f1 = group_objective(grp, cand, quad, r[todo], prior)
        good = f1 >= f0[todo] - 1e-10 * np.abs(f0[todo])
        idx = np.nonzero(todo)[0][good]
        out[idx] = cand[good]
        f_out[idx] = f1[good]
        todo[idx] = False
        if not todo.any():
            break
        scale *= 0.5
    return out, f_out


def _shared_m_step(
    layout: Layout,
    x: NDArray[np.float64],
    counts: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
    quad: Quadrature,
    prior: BetaPrior | None,
    n_newton: int,
) -> NDArray[np.float64]:
    """Joint step for items sharing one slope: arrowhead (Schur complement) solve."""
    groups = [(g, rn) for g, rn in zip(layout.groups, counts, strict=True) if g.shared]
    s = layout.shared_index

    def total(xv: NDArray[np.float64]) -> float:
        return float(
            sum(group_objective(g, xv[g.pidx], quad, r, prior).sum() for g, (r, _) in groups)
        )

    f0 = total(x)
    for _ in range(n_newton):
        schur, rhs = 0.0, 0.0
        parts = []
        for g, (r, n) in groups:
            grad, info = group_score_info(g, x[g.pidx], quad, r, n, prior)
            h_aa, h_ad, h_dd = info[:, 0, 0], info[:, 1:, 0], info[:, 1:, 1:]
            sol_g = _solve(h_dd, grad[:, 1:])
            sol_h = _solve(h_dd, h_ad)
            schur += float((h_aa - np.einsum("gm,gm->g", h_ad, sol_h)).sum())
            rhs += float((grad[:, 0] - np.einsum("gm,gm->g", h_ad, sol_g)).sum())
            parts.append((g, sol_g, sol_h))
        delta_a = rhs / max(schur, 1e-12)
        step = np.zeros_like(x)
        step[s] = delta_a
        for g, sol_g, sol_h in parts:
            step[g.pidx[:, 1:]] = _cap(sol_g - sol_h * delta_a)
        scale = 1.0
        for _ in range(12):
            cand = x + scale * step
            f1 = total(cand)
            if f1 >= f0 - 1e-10 * abs(f0):
                x, f0 = cand, f1
                break
            scale *= 0.5
    return x


# ------------------------------------------------------------- starting values
def start_values(
    layout: Layout, data: EncodedResponses, prior: BetaPrior | None
) -> NDArray[np.float64]:
    """Slopes from item-rest correlations, intercepts from category proportions.

    :math:`a_0 = 1.7\\,r/\\sqrt{1-r^2}` (normal-ogive loading to logistic
    slope, clipped to [0.3, 3]); :math:`d_{k,0} = \\mathrm{logit}(p_{\\ge k})
    \\sqrt{1 + \\pi a_0^2/8}` (logistic-normal approximation).
    """
    codes = data.codes.astype(np.float64)
    obs = codes >= 0
    w = data.weights[:, None]
    wo = obs * w
    n_obs = np.maximum(wo.sum(axis=0), 1e-12)
    mean = (np.where(obs, codes, 0.0) * wo).sum(axis=0) / n_obs
    filled = np.where(obs, codes, mean[None, :])
    rest = filled.sum(axis=1, keepdims=True) - filled
    a0 = _weighted_corr(filled, rest, w)
    r = np.clip(a0, 0.05, 0.9)
    a0 = np.clip(1.7 * r / np.sqrt(1.0 - r * r), 0.3, 3.0)
    if layout.shared_index >= 0:
        shared = layout.a_idx == layout.shared_index
        a0[shared] = a0[shared].mean()
    x = np.zeros(layout.n_params)
    x[layout.a_idx] = a0
    c0 = 0.2 if prior is None else prior.alpha / (prior.alpha + prior.beta)
    for j in range(codes.shape[1]):
        k = int(layout.n_cat[j])
        col = data.codes[:, j]
        ge = np.array([(data.weights * (col >= t)).sum() for t in range(1, k)]) / n_obs[j]
        c = 0.0
        if layout.g_idx[j] >= 0:
            c = min(c0, 0.5 * float(ge[0]))
            x[layout.g_idx[j]] = logit(c)
        p = np.clip((ge - c) / (1.0 - c), 0.01, 0.99)
        x[layout.d_idx[j, : k - 1]] = logit(p) * np.sqrt(1.0 + np.pi * a0[j] ** 2 / 8.0)
        if k > 2:  # keep strictly decreasing intercepts
            dj = x[layout.d_idx[j, : k - 1]]
            x[layout.d_idx[j, : k - 1]] = np.minimum.accumulate(dj) - 1e-3 * np.arange(k - 1)
    return x


def _weighted_corr(
    u: NDArray[np.float64], v: NDArray[np.float64], w: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Column-wise weighted Pearson correlations (elementwise, no BLAS calls)."""
    sw = w.sum()
    du = u - (u * w).sum(axis=0) / sw
    dv = v - (v * w).sum(axis=0) / sw
    cov = (w * du * dv).sum(axis=0)
    den = np.sqrt((w * du * du).sum(axis=0) * (w * dv * dv).sum(axis=0))
    return np.where(den > 0, cov / np.where(den > 0, den, 1.0), 0.0)
