"""Model fit: test information, reliability and S-X2 item fit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray
from scipy import stats

from scoring.irt.ability import AbilityEstimates
from scoring.irt.ability import AbilityMethod
from scoring.irt.data import check_responses
from scoring.irt.errors import IRTError
from scoring.irt.errors import ResponseDataError
from scoring.irt.irf import category_log_probs
from scoring.irt.irf import item_information as _item_information
from scoring.irt.params import ItemModel
from scoring.irt.params import ItemParameters
from scoring.irt.quadrature import gauss_hermite

logger = logging.getLogger(__name__)

__all__ = [
    "ItemFit",
    "empirical_reliability",
    "item_fit_sx2",
    "item_information",
    "marginal_reliability",
    "standard_error_curve",
    "sum_score_distribution",
    "test_information",
]


def item_information(params: ItemParameters, theta: ArrayLike) -> NDArray[np.float64]:
    """Item information :math:`I_j(\\theta) = \\sum_k P'_{jk}(\\theta)^2/P_{jk}(\\theta)`.

    Formula: 2PL :math:`a^2P(1-P)`; 3PL :math:`a^2\\frac{(P-c)^2}{(1-c)^2}\\frac{1-P}{P}`
    (Lord 1980, eq. 5-9); graded model Samejima (1969).

    Args:
        params: item parameters.
        theta: points ``(T,)``.

    Returns:
        ``(T, J)`` array.

    Example:
        >>> p = ItemParameters(("q1",), ("2pl",), [2.0], [[0.0]], [0.0])
        >>> float(item_information(p, [0.0])[0, 0])  # a^2 / 4
        1.0
    """
    a, d, c = params.slope_intercept()
    return _item_information(a, d, c, np.atleast_1d(np.asarray(theta, dtype=np.float64)))


def test_information(params: ItemParameters, theta: ArrayLike) -> NDArray[np.float64]:
    """Test information :math:`I(\\theta) = \\sum_j I_j(\\theta)` (Lord 1980, eq. 5-6).

    Example:
        >>> p = ItemParameters(("q1", "q2"), ("2pl", "2pl"), [2.0, 2.0], [[0.0], [0.0]], [0, 0])
        >>> float(test_information(p, [0.0])[0])
        2.0
    """
    return np.asarray(item_information(params, theta).sum(axis=1), dtype=np.float64)


def standard_error_curve(params: ItemParameters, theta: ArrayLike) -> NDArray[np.float64]:
    """Standard error of measurement :math:`SE(\\theta) = 1/\\sqrt{I(\\theta)}`.

    Example:
        >>> p = ItemParameters(("q1",), ("2pl",), [2.0], [[0.0]], [0.0])
        >>> float(standard_error_curve(p, [0.0])[0])
        1.0
    """
    info = test_information(params, theta)
    return np.where(info > 0, 1.0 / np.sqrt(np.where(info > 0, info, 1.0)), np.inf)


def marginal_reliability(
    params: ItemParameters, *, n_quadrature: int = 61, method: str = "error-variance"
) -> float:
    """Marginal reliability of the test over the calibration's :math:`N(\\mu, \\sigma^2)`.

    Formula: ``error-variance`` (default)
    :math:`\\rho = \\sigma^2/(\\sigma^2 + E[1/I(\\theta)])` (Green, Bock, Humphreys,
    Linn & Reckase 1984; Thissen 2000, eq. 5); ``conditional``
    :math:`\\rho = E[I(\\theta)/(I(\\theta) + 1/\\sigma^2)]`, the mean of the
    conditional reliabilities (what R's and PyPI mirt's ``marginal_rxx`` report).
    Expectations by Gauss-Hermite quadrature.

    Raises:
        IRTError: unknown ``method``.

    Example:
        >>> p = ItemParameters(("q1",), ("2pl",), [1e-9], [[0.0]], [0.0])
        >>> round(marginal_reliability(p), 6)  # an item without information
        0.0
    """
    quad = gauss_hermite(n_quadrature, params.latent_mean, params.latent_sd)
    info = test_information(params, quad.nodes)
    var = params.latent_sd**2
    if method == "conditional":
        return float(quad.weights @ (info / (info + 1.0 / var)))
    if method != "error-variance":
        raise IRTError(
            "unknown marginal reliability method",
            param="method",
            got=method,
            expected="error-variance or conditional",
        )
    inv = np.where(info > 0, 1.0 / np.where(info > 0, info, 1.0), np.inf)
    err = float(quad.weights @ inv)
    return 0.0 if not np.isfinite(err) else var / (var + err)


def empirical_reliability(estimates: AbilityEstimates, weights: ArrayLike | None = None) -> float:
    """Reliability of a set of ability estimates.

    Formula: EAP/MAP :math:`\\mathrm{Var}(\\hat\\theta)/(\\mathrm{Var}(\\hat\\theta) +
    \\overline{SE^2})` (posterior variance adds to the shrunk estimates);
    WLE/ML :math:`1 - \\overline{SE^2}/\\mathrm{Var}(\\hat\\theta)` (error adds to
    the true score), e.g. Adams (2005). Persons with undefined or bounded
    estimates are left out.

    Example:
        >>> est = AbilityEstimates(np.array([-1.0, 1.0]), np.array([1.0, 1.0]), AbilityMethod.EAP,
        ...                        np.array([2, 2]), np.array([False, False]))
        >>> empirical_reliability(est)
        0.5
    """
    ok = np.isfinite(estimates.theta) & np.isfinite(estimates.se) & ~estimates.at_bound
    w = np.ones(ok.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != ok.shape:
        raise ResponseDataError("one weight per estimate", param="weights", got=w.shape)
    w = w[ok]
    th, se = estimates.theta[ok], estimates.se[ok]
    if w.sum() <= 0:
        raise ResponseDataError("no usable estimates", param="estimates")
    mean = (w @ th) / w.sum()
    var = (w @ (th - mean) ** 2) / w.sum()
    err = (w @ se**2) / w.sum()
    if estimates.method in (AbilityMethod.EAP, AbilityMethod.MAP):
        return float(var / (var + err))
    return float(1.0 - err / var)


def sum_score_distribution(
    log_probs: NDArray[np.float64], n_cat: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Lord & Wingersky (1984) recursion for :math:`P(S = s \\mid \\theta_q)`.

    Args:
        log_probs: ``(J, Kmax, Q)`` category log-probabilities.
        n_cat: categories per item.

    Returns:
        ``(S_max + 1, Q)`` with :math:`S_{max} = \\sum_j (K_j - 1)`.

    Example:
        >>> lp = np.log(np.full((2, 2, 1), 0.5))
        >>> sum_score_distribution(lp, np.array([2, 2]))[:, 0].tolist()
        [0.25, 0.5, 0.25]
    """
    n_q = log_probs.shape[2]
    smax = int((n_cat - 1).sum())
    dist = np.zeros((smax + 1, n_q))
    dist[0] = 1.0
    top = 0
    for j in range(n_cat.size):
        p = np.exp(log_probs[j, : n_cat[j]])  # (K, Q)
        new = np.zeros_like(dist)
        for k in range(int(n_cat[j])):
            new[k : top + k + 1] += dist[: top + 1] * p[k]
        top += int(n_cat[j]) - 1
        dist = new
    return dist


@dataclass(frozen=True, slots=True)
class ItemFit:
    """S-X2 item fit (frozen).

    Attributes:
        item_ids: items.
        statistic: S-X2 per item.
        df: degrees of freedom (score groups after collapsing x (K-1) minus
            the item's free parameters).
        p_value: upper-tail chi-square probability (NaN when df < 1).
        n_groups: score groups left after collapsing.
        n_persons: complete response patterns used.
    """

    item_ids: tuple[str, ...]
    statistic: NDArray[np.float64]
    df: NDArray[np.int64]
    p_value: NDArray[np.float64]
    n_groups: NDArray[np.int64]
    n_persons: int

    def misfitting(self, alpha: float = 0.05) -> tuple[str, ...]:
        """Items with ``p_value < alpha``."""
        return tuple(i for i, p in zip(self.item_ids, self.p_value, strict=True) if p < alpha)


def item_fit_sx2(
    responses: ArrayLike,
    params: ItemParameters,
    *,
    n_quadrature: int = 61,
    min_expected: float = 1.0,
) -> ItemFit:
    """Orlando & Thissen (2000) S-X2 item fit, with Kang & Chen (2008) for graded items.

    Formula: for summed score groups :math:`s` (extremes dropped),
    :math:`S\\text{-}X^2_j = \\sum_s\\sum_k N_s (O_{jks} - E_{jks})^2 / E_{jks}`
    with :math:`E_{jks} = \\int P_{jk}(\\theta) f_{-j}(s-k \\mid\\theta)\\phi\\,d\\theta /
    \\int f(s\\mid\\theta)\\phi\\,d\\theta` from the Lord-Wingersky recursion
    (:math:`f_{-j}`: all items but :math:`j`). Adjacent score groups are
    merged until every expected count is at least ``min_expected`` (as
    mirt's ``mincell``). :math:`df = G (K_j - 1) - m_j`.

    Only complete response patterns are used (the summed score needs every
    item); the count is reported.

    Raises:
        ResponseDataError: shape mismatch or no complete pattern.
    """
    x = check_responses(responses, params.item_ids)
    if x.shape[1] != params.n_items:
        raise ResponseDataError(
            "one column per item of the parameter set",
            param="responses",
            got=x.shape[1],
            expected=params.n_items,
        )
    complete = ~np.isnan(x).any(axis=1)
    xi = x[complete].astype(np.int64)
    if xi.shape[0] == 0:
        raise ResponseDataError(
            "S-X2 needs complete response patterns; none found",
            param="responses",
            hint="fit on a booklet whose items everybody answered",
        )
    n_cat = params.n_categories
    if np.any(xi >= n_cat[None, :]):
        raise ResponseDataError("score above an item's top category", param="responses")
    quad = gauss_hermite(n_quadrature, params.latent_mean, params.latent_sd)
    a, d, c = params.slope_intercept()
    logp = category_log_probs(a, d, c, n_cat, quad.nodes)
    full = sum_score_distribution(logp, n_cat) @ quad.weights  # (S+1,)
    smax = int((n_cat - 1).sum())
    total = xi.sum(axis=1)
    n_s = np.bincount(total, minlength=smax + 1).astype(np.float64)
    n_items = n_cat.size
    stat = np.zeros(n_items)
    dfs = np.zeros(n_items, dtype=np.int64)
    groups = np.zeros(n_items, dtype=np.int64)
    for j in range(n_items):
        others = np.arange(n_items) != j
        rest = sum_score_distribution(logp[others], n_cat[others])  # (S-K+2, Q)
        k_j = int(n_cat[j])
        p_j = np.exp(logp[j, :k_j])  # (K, Q)
        expected = np.zeros((smax + 1, k_j))
        for k in range(k_j):
            expected[k : k + rest.shape[0], k] = (rest * p_j[k]) @ quad.weights
        expected /= np.maximum(full, 1e-300)[:, None]
        observed = np.zeros((smax + 1, k_j))
        np.add.at(observed, (total, xi[:, j]), 1.0)
        rows = slice(1, smax)  # extreme scores carry no information
        o_cnt, e_cnt = _collapse(observed[rows], n_s[rows, None] * expected[rows], min_expected)
        n_free = _free_params(params.models[j], k_j)
        groups[j] = o_cnt.shape[0]
        dfs[j] = groups[j] * (k_j - 1) - n_free
        with np.errstate(divide="ignore", invalid="ignore"):
            cell = np.where(e_cnt > 0, (o_cnt - e_cnt) ** 2 / e_cnt, 0.0)
        stat[j] = float(cell.sum())
    p_value = np.where(dfs > 0, stats.chi2.sf(stat, np.maximum(dfs, 1)), np.nan)
    return ItemFit(params.item_ids, stat, dfs, p_value, groups, int(xi.shape[0]))


def _free_params(model: ItemModel, k: int) -> int:
    if model in (ItemModel.RASCH, ItemModel.ONE_PL):
        return k - 1
    return k + (1 if model is ItemModel.THREE_PL else 0)


def _collapse(
    observed: NDArray[np.float64], expected: NDArray[np.float64], min_expected: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Merge adjacent rows (score groups) until every expected cell >= ``min_expected``.

    Empty score groups (no persons, no expectation) are dropped first; a row
    that is too small is merged into its right neighbour (the last one into
    its left neighbour).
    """
    keep = expected.sum(axis=1) > 0
    obs = [row for row in observed[keep]]
    exp = [row for row in expected[keep]]
    i = 0
    while i < len(exp) and len(exp) > 1:
        if exp[i].min() >= min_expected:
            i += 1
            continue
        target = i + 1 if i + 1 < len(exp) else i - 1
        exp[target] = exp[target] + exp[i]
        obs[target] = obs[target] + obs[i]
        del exp[i], obs[i]
        if target < i:
            i = max(target, 0)
    if not exp:
        return np.zeros((0, observed.shape[1])), np.zeros((0, observed.shape[1]))
    return np.array(obs), np.array(exp)
