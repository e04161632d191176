"""Item response functions, their derivatives and information (pure kernels).

All items share one parameterisation, the *slope-intercept* form used inside
the estimation engine:

* boundary curves :math:`P^*_k(\\theta) = \\sigma(a\\theta + d_k)` for
  :math:`k = 1..K-1` with :math:`d_1 > d_2 > \\dots` (graded response model,
  Samejima 1969), :math:`P^*_0 = 1`, :math:`P^*_K = 0`;
* category probabilities :math:`P_k = P^*_k - P^*_{k+1}`;
* a right/wrong item is the case :math:`K = 2` (2PL, Birnbaum 1968); the 3PL
  adds a lower asymptote :math:`P^*_1 = c + (1-c)\\sigma(a\\theta + d)`.

The usual IRT form has :math:`b_k = -d_k / a`. The logistic metric is used
(no :math:`D = 1.702`), as in R's mirt. Item arrays are padded to the largest
number of categories ``Kmax``: ``d`` is ``(J, Kmax-1)`` with ``-inf`` in the
padding, which gives padded categories probability 0 without special cases.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from scipy.special import log_expit

logger = logging.getLogger(__name__)

#: smallest probability used as a divisor (avoids 0/0 in far tails)
TINY = 1e-300

__all__ = [
    "category_log_probs",
    "group_log_probs",
    "group_param_derivs",
    "item_information",
    "theta_derivs",
]


def _log_diff_expit(
    z_hi: NDArray[np.float64], z_lo: NDArray[np.float64], gap: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``log(sigma(z_hi) - sigma(z_lo))`` for ``z_hi - z_lo = gap > 0``, stably.

    Uses :math:`\\sigma(u)-\\sigma(v) = \\sigma(u)\\sigma(-v)(1-e^{v-u})`.
    """
    out = log_expit(z_hi) + log_expit(-z_lo) + np.log(-np.expm1(-gap))
    return np.asarray(out, dtype=np.float64)


def category_log_probs(
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64],
    n_cat: NDArray[np.int64],
    theta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Log category probabilities :math:`\\log P_{jk}(\\theta_t)`.

    Args:
        a: slopes, shape ``(J,)``.
        d: intercepts, ``(J, Kmax-1)``, decreasing along a row, ``-inf`` padded.
        c: lower asymptotes ``(J,)`` (0 where there is no guessing; only
            used for items with 2 categories).
        n_cat: categories per item ``(J,)``.
        theta: latent values ``(T,)``.

    Returns:
        ``(J, Kmax, T)`` array; padded categories hold ``-inf``.
    """
    n_items, n_thr = d.shape
    kmax = n_thr + 1
    z = a[:, None, None] * theta[None, None, :] + d[:, :, None]  # (J, Kmax-1, T)
    out = np.full((n_items, kmax, theta.size), -np.inf)
    out[:, 0, :] = log_expit(-z[:, 0, :])
    # top category of each item and the categories in between
    for k in range(1, kmax):
        top = n_cat - 1 == k
        if np.any(top):
            out[top, k, :] = log_expit(z[top, k - 1, :])
        mid = n_cat - 1 > k
        if np.any(mid):
            gap = (d[mid, k - 1] - d[mid, k])[:, None]
            out[mid, k, :] = _log_diff_expit(z[mid, k - 1, :], z[mid, k, :], gap)
    guess = c > 0
    if np.any(guess):
        cg = c[guess][:, None]
        zg = z[guess, 0, :]
        out[guess, 1, :] = np.logaddexp(np.log(cg), np.log1p(-cg) + log_expit(zg))
        out[guess, 0, :] = np.log1p(-cg) + log_expit(-zg)
    return out


def group_log_probs(
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Log category probabilities ``(G, K, Q)`` of a group of items with equal ``K``.

    Same model as :func:`category_log_probs` but without padding; ``c`` is
    ``None`` for items without guessing (then ``d`` may have any width).
    """
    n_g, n_thr = d.shape
    k = n_thr + 1
    z = a[:, None, None] * theta[None, None, :] + d[:, :, None]
    logp = np.empty((n_g, k, theta.size))
    if c is not None:
        cc = c[:, None]
        logp[:, 1] = np.logaddexp(np.log(cc), np.log1p(-cc) + log_expit(z[:, 0]))
        logp[:, 0] = np.log1p(-cc) + log_expit(-z[:, 0])
        return logp
    logp[:, 0] = log_expit(-z[:, 0])
    for t in range(1, k - 1):
        gap = (d[:, t - 1] - d[:, t])[:, None]
        logp[:, t] = _log_diff_expit(z[:, t - 1], z[:, t], gap)
    logp[:, k - 1] = log_expit(z[:, k - 2])
    return logp


def group_param_derivs(
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    *,
    second: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Category probabilities and their derivatives w.r.t. the item parameters.

    For a group of ``G`` items with the same number of categories ``K`` (no
    padding). The parameter vector of an item is
    :math:`(a, d_1, \\dots, d_{K-1})`, followed by :math:`g = \\mathrm{logit}(c)`
    for 3PL items (``c`` given, then ``K`` must be 2).

    Derivatives (Baker & Kim 2004, ch. 6 and 8): with :math:`s_k = P^*_k`,
    :math:`W_k = s_k(1-s_k)`, :math:`\\partial s_k/\\partial a = \\theta W_k`,
    :math:`\\partial s_k/\\partial d_k = W_k`; for the 3PL the boundary is
    :math:`c + (1-c)s` and :math:`\\partial/\\partial g = c(1-c)(1-s)`.

    Returns:
        ``P`` ``(G, K, Q)``, ``dP`` ``(G, K, Q, m)`` and, if ``second``,
        ``d2P`` ``(G, K, Q, m, m)`` (else ``None``).
    """
    n_g, n_thr = d.shape
    k = n_thr + 1
    guess = c is not None
    m = 1 + n_thr + (1 if guess else 0)
    nq = theta.size
    z = a[:, None, None] * theta[None, None, :] + d[:, :, None]  # (G, K-1, Q)
    s = expit(z)
    w = s * (1.0 - s)
    th = np.broadcast_to(theta, (n_g, n_thr, nq))
    # boundary curves (G, K+1, Q) and their derivatives
    dstar = np.zeros((n_g, k + 1, nq, m))
    scale = np.ones((n_g, 1, 1)) if c is None else (1.0 - c)[:, None, None]
    dstar[:, 1:k, :, 0] = scale * th * w
    for t in range(n_thr):
        dstar[:, t + 1, :, 1 + t] = scale[:, 0] * w[:, t]
    if c is not None:
        if k != 2:  # guessing is only defined for right/wrong items
            raise ValueError("guessing parameters need items with 2 categories")
        cc = c[:, None]
        cprime = cc * (1.0 - cc)
        dstar[:, 1, :, m - 1] = cprime * (1.0 - s[:, 0])
    dp = dstar[:, :-1] - dstar[:, 1:]
    p = np.exp(group_log_probs(a, d, c, theta))
    if not second:
        return p, dp, None
    w2 = w * (1.0 - 2.0 * s)
    d2star = np.zeros((n_g, k + 1, nq, m, m))
    d2star[:, 1:k, :, 0, 0] = scale * th * th * w2
    for t in range(n_thr):
        v = scale[:, 0] * w2[:, t]
        d2star[:, t + 1, :, 0, 1 + t] = v * theta
        d2star[:, t + 1, :, 1 + t, 0] = v * theta
        d2star[:, t + 1, :, 1 + t, 1 + t] = v
    if c is not None:
        cc = c[:, None]
        cprime = cc * (1.0 - cc)
        g = m - 1
        d2star[:, 1, :, 0, g] = d2star[:, 1, :, g, 0] = -cprime * w[:, 0] * theta
        d2star[:, 1, :, 1, g] = d2star[:, 1, :, g, 1] = -cprime * w[:, 0]
        d2star[:, 1, :, g, g] = cprime * (1.0 - 2.0 * cc) * (1.0 - s[:, 0])
    d2p = d2star[:, :-1] - d2star[:, 1:]
    return p, dp, d2p


def theta_derivs(
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64],
    theta: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Category probabilities and their first two derivatives in :math:`\\theta`.

    :math:`\\partial P^*_k/\\partial\\theta = (1-c)\\,a W_k`,
    :math:`\\partial^2 P^*_k/\\partial\\theta^2 = (1-c)\\,a^2 W_k (1 - 2 s_k)`.

    Args:
        a, d, c: item arrays as in :func:`category_log_probs`.
        theta: latent values ``(T,)``.

    Returns:
        ``P``, ``P'``, ``P''``, each ``(T, J, Kmax)``; padded categories are 0.
    """
    z = theta[:, None, None] * a[None, :, None] + d[None, :, :]  # (T, J, Kmax-1)
    s = expit(z)
    w = s * (1.0 - s)
    one_c = (1.0 - c)[None, :, None]
    n_t, n_items, n_thr = z.shape
    star = np.zeros((n_t, n_items, n_thr + 2))
    star[:, :, 0] = 1.0
    star[:, :, 1:-1] = one_c * s
    # only the first boundary of a 3PL item carries c (the padding must stay 0)
    star[:, :, 1] += c[None, :]
    d1 = np.zeros_like(star)
    d1[:, :, 1:-1] = one_c * a[None, :, None] * w
    d2 = np.zeros_like(star)
    d2[:, :, 1:-1] = one_c * (a * a)[None, :, None] * w * (1.0 - 2.0 * s)
    p = star[:, :, :-1] - star[:, :, 1:]
    # exact complement for category 0 of right/wrong items (1 - s loses digits)
    p[:, :, 0] = (1.0 - c)[None, :] * expit(-z[:, :, 0])
    np.maximum(p, 0.0, out=p)
    return p, d1[:, :, :-1] - d1[:, :, 1:], d2[:, :, :-1] - d2[:, :, 1:]


def item_information(
    a: NDArray[np.float64],
    d: NDArray[np.float64],
    c: NDArray[np.float64],
    theta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Fisher information of each item, :math:`I_j(\\theta) = \\sum_k P'_{jk}{}^2 / P_{jk}`.

    For the 2PL this is :math:`a^2 P (1-P)`; for the 3PL
    :math:`a^2 \\frac{(P-c)^2}{(1-c)^2}\\frac{1-P}{P}` (Lord 1980, eq. 5-9);
    for the graded model Samejima (1969).

    Returns:
        ``(T, J)`` array.
    """
    p, dp, _ = theta_derivs(a, d, c, theta)
    with np.errstate(under="ignore"):
        info = np.where(p > TINY, dp * dp / np.maximum(p, TINY), 0.0)
    return np.asarray(info.sum(axis=2), dtype=np.float64)
