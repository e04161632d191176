"""Confidence intervals: Wald (t), logit, xlogit, Korn-Graubard (beta) and Wilson.

All functions are vectorised over estimates. Quantiles are Student t with the
design degrees of freedom (R: ``confint(..., df = degf(design))`` and
``svyciprop``).
"""

from __future__ import annotations

import logging
from enum import Enum
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._tdist import t_ppf
from sampling.errors import SamplingError

logger = logging.getLogger(__name__)


def special_functions() -> ModuleType:
    """:mod:`scipy.special`, imported when an interval is first computed (its quantile
    functions are what ``scipy.stats`` calls; importing ``scipy.stats`` costs ~0.8 s)."""
    from scipy import special

    module: ModuleType = special
    return module


class CIMethod(Enum):
    """Confidence-interval method (see :func:`confidence_interval`)."""

    WALD = "wald"
    LOGIT = "logit"
    XLOGIT = "xlogit"
    BETA = "beta"
    WILSON = "wilson"


def parse_ci_method(method: CIMethod | str) -> CIMethod:
    """Turn ``"logit"`` etc. into a :class:`CIMethod`; unknown names are an error."""
    if isinstance(method, CIMethod):
        return method
    try:
        return CIMethod(str(method).lower())
    except ValueError as exc:
        raise SamplingError(
            "unknown confidence-interval method",
            param="ci",
            got=method,
            expected=", ".join(m.value for m in CIMethod),
        ) from exc


def _check_level(level: float) -> float:
    lvl = float(level)
    if not 0.0 < lvl < 1.0:
        raise SamplingError(
            "confidence level must be between 0 and 1", param="level", got=level, hint="e.g. 0.95"
        )
    return lvl


def t_quantile(level: float, df: FloatArray) -> FloatArray:
    """Upper ``(1+level)/2`` quantile of t with ``df`` (normal for inf, NaN for df <= 0).

    Computed by :func:`sampling._tdist.t_ppf` (R's ``qt`` to 1e-13) once per distinct df,
    without importing scipy.
    """
    lvl = _check_level(level)
    dfa = np.asarray(df, dtype=np.float64)
    out = np.full(dfa.shape, np.nan)
    ok = dfa > 0
    if ok.any():
        distinct, index = np.unique(dfa[ok], return_inverse=True)
        quantiles = np.array([t_ppf(0.5 + lvl / 2.0, float(d)) for d in distinct])
        out[ok] = quantiles[index.reshape(-1)]
    return out


def confidence_interval(
    estimate: FloatArray,
    se: FloatArray,
    df: FloatArray,
    n: FloatArray,
    *,
    level: float = 0.95,
    method: CIMethod | str = CIMethod.WALD,
    logit_se: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Lower and upper confidence limits.

    With ``t = qt((1 + level)/2, df)``:

    * ``wald``: ``est +- t se``.
    * ``logit``: R's ``svyciprop(method="logit")``, the Wald interval of the
      intercept of a quasi-binomial ``svyglm``: ``expit(logit(p) +- t s)``
      (Lumley 2010, §2.4.2). ``s`` is ``logit_se`` when given: on replicate
      designs R takes the replicate variance of the replicates' ``logit(p_r)``
      (the intercepts of the replicate fits), which kesu computes in
      :mod:`sampling.estimation`. Without it (Taylor designs, where the two
      agree exactly) ``s = se / (p (1 - p))``, the delta method.
    * ``xlogit``: always the delta method ``s = se / (p (1 - p))`` — R's
      ``svyciprop(method="xlogit")``.
    * ``beta``: Korn & Graubard (1998): Clopper-Pearson with the effective
      sample size ``n* = p(1-p)/se^2 * (qt(a/2, n-1)/qt(a/2, df))^2``, as R's
      ``svyciprop(method="beta")``.
    * ``wilson``: Wilson's score interval with ``n* = p(1-p)/se^2`` and ``t``
      in place of ``z`` (Kott & Carr 1997).

    ``n`` is the number of respondents in the domain; R's ``svyciprop`` uses
    ``nrow(design)``, the same thing except for domains of calibrated designs,
    where R counts every row of the data.

    For a proportion of exactly 0 or 1 (no variance) the logit, beta and Wilson
    limits use ``n* = n`` (the Clopper-Pearson interval for ``n`` rows), so the
    interval is not degenerate; the estimate is flagged ``boundary``.

    Args:
        estimate, se, df, n: arrays of the same shape (``n``: unweighted rows).
        level: confidence level.
        method: one of :class:`CIMethod`.

    Returns:
        ``(low, high)`` arrays; NaN where ``df <= 0``.

    Example:
        >>> lo, hi = confidence_interval(
        ...     np.array([0.5]), np.array([0.1]), np.array([np.inf]), np.array([25.0])
        ... )
        >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
        (0.304, 0.696)
    """
    m = parse_ci_method(method)
    lvl = _check_level(level)
    est = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    dfa = np.broadcast_to(np.asarray(df, dtype=np.float64), est.shape)
    na = np.broadcast_to(np.asarray(n, dtype=np.float64), est.shape)
    t = t_quantile(lvl, dfa)
    if m is CIMethod.WALD:
        return est - t * s, est + t * s
    outside = (est < 0) | (est > 1)
    if np.any(outside):
        raise SamplingError(
            f"the {m.value} interval needs proportions in [0, 1]",
            param="ci",
            got=float(est[outside][0]),
            hint="use ci='wald' for means and totals",
        )
    if m in (CIMethod.LOGIT, CIMethod.XLOGIT):
        scale = None
        if m is CIMethod.LOGIT and logit_se is not None:
            scale = np.broadcast_to(np.asarray(logit_se, dtype=np.float64), est.shape)
        return _logit(est, s, t, dfa, na, lvl, scale)
    if m is CIMethod.BETA:
        return _beta(est, s, dfa, na, lvl)
    return _wilson(est, s, t, dfa, na, lvl)


def _interior(p: FloatArray, se: FloatArray) -> NDArray[np.bool_]:
    return (p > 0) & (p < 1) & (se > 0)


def _logit(
    p: FloatArray,
    se: FloatArray,
    t: FloatArray,
    df: FloatArray,
    n: FloatArray,
    level: float,
    logit_se: FloatArray | None,
) -> tuple[FloatArray, FloatArray]:
    low = np.full(p.shape, np.nan)
    high = np.full(p.shape, np.nan)
    ok = _interior(p, se) & np.isfinite(t)
    if logit_se is not None:
        ok &= np.isfinite(logit_se)
    eta = np.log(p[ok]) - np.log1p(-p[ok])  # logit
    if logit_se is None:
        half = t[ok] * se[ok] / (p[ok] * (1.0 - p[ok]))
    else:
        half = t[ok] * logit_se[ok]
    with np.errstate(over="ignore"):  # a huge half-width (df near 0): exp -> inf, expit -> 0, 1
        low[ok] = 1.0 / (1.0 + np.exp(half - eta))  # expit(eta - half)
        high[ok] = 1.0 / (1.0 + np.exp(-eta - half))
    edge = ~_interior(p, se) & np.isfinite(t)
    if edge.any():
        lo_e, hi_e = _beta(p[edge], se[edge], df[edge], n[edge], level)
        low[edge], high[edge] = lo_e, hi_e
    return low, high


def _effective_n(p: FloatArray, se: FloatArray, n: FloatArray) -> FloatArray:
    n_eff = np.array(n, dtype=np.float64, copy=True)
    ok = _interior(p, se)
    n_eff[ok] = p[ok] * (1.0 - p[ok]) / se[ok] ** 2
    return n_eff


def _beta(
    p: FloatArray, se: FloatArray, df: FloatArray, n: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    alpha = 1.0 - level
    low = np.full(p.shape, np.nan)
    high = np.full(p.shape, np.nan)
    ok = (df > 0) & (n > 1)
    n_eff = _effective_n(p, se, n)
    special = special_functions()
    # t.ppf(q, df) is stdtrit(df, q) and beta.ppf(q, a, b) is betaincinv(a, b, q)
    adj = special.stdtrit(n[ok] - 1.0, alpha / 2.0) / special.stdtrit(df[ok], alpha / 2.0)
    ne = n_eff[ok] * adj**2
    pk = p[ok]
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = special.betaincinv(ne * pk, ne * (1.0 - pk) + 1.0, alpha / 2.0)
        hi = special.betaincinv(ne * pk + 1.0, ne * (1.0 - pk), 1.0 - alpha / 2.0)
    lo = np.where(pk == 0, 0.0, lo)
    hi = np.where(pk == 1, 1.0, hi)
    low[ok], high[ok] = lo, hi
    return low, high


def _wilson(
    p: FloatArray, se: FloatArray, t: FloatArray, df: FloatArray, n: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    n_eff = _effective_n(p, se, n)
    z2 = t**2
    denom = 1.0 + z2 / n_eff
    center = (p + z2 / (2.0 * n_eff)) / denom
    half = np.sqrt(t**2 * p * (1.0 - p) / n_eff + t**2 * z2 / (4.0 * n_eff**2)) / denom
    return center - half, center + half
