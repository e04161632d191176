"""Contrasts with standard errors: differences between domains and between waves.

* Within one design (e.g. farmers minus workers): ``c' theta`` with variance
  ``c' V c``, using the full covariance matrix of the domain estimates (R's
  ``svycontrast``; Lumley 2010, §3.4). Degrees of freedom: the design's.
* Between two independent samples (two waves): ``theta_2 - theta_1`` with
  variance ``V_1 + V_2`` and Welch-Satterthwaite degrees of freedom
  ``(v_1 + v_2)^2 / (v_1^2/df_1 + v_2^2/df_2)`` (Satterthwaite 1946).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sampling.errors import SamplingError
from sampling.intervals import CIMethod
from sampling.results import Estimate

logger = logging.getLogger(__name__)


def contrast(estimate: Estimate, coefficients: ArrayLike, *, label: str = "contrast") -> Estimate:
    """A linear combination ``c' theta`` of the entries of one estimate.

    ``var = c' V c`` with the joint covariance ``V`` (R's ``svycontrast``).

    Args:
        estimate: an estimate with several domains.
        coefficients: one coefficient per entry.
        label: domain label of the result.

    Returns:
        An :class:`Estimate` with statistic ``"contrast"`` (Wald intervals, design df).

    Raises:
        SamplingError: wrong number of coefficients.

    Example:
        >>> e = Estimate("mean", "y", ({"g": "a"}, {"g": "b"}), [2.0, 1.0], np.diag([1.0, 3.0]),
        ...              df=10, deff=1, n=50, weight_sum=1, design_df=10)
        >>> c = contrast(e, [1, -1])
        >>> float(c.estimate[0]), float(c.se[0])
        (1.0, 2.0)
    """
    c = np.asarray(coefficients, dtype=np.float64).reshape(-1)
    if c.shape[0] != len(estimate):
        raise SamplingError(
            "one coefficient per estimate entry is needed",
            param="coefficients",
            got=c.shape[0],
            expected=len(estimate),
        )
    used = c != 0
    return Estimate(
        statistic="contrast",
        variable=estimate.variable,
        domains=({"contrast": label},),
        estimate=np.array([float(c @ estimate.estimate)]),
        vcov=np.array([[float(c @ estimate.vcov @ c)]]),
        df=np.array([estimate.design_df]),
        deff=np.array([np.nan]),
        n=np.array([float(estimate.n[used].min()) if used.any() else 0.0]),
        weight_sum=np.array([np.nan]),
        design_df=estimate.design_df,
        ci_method=CIMethod.WALD,
        level=estimate.level,
        reliability=estimate.reliability,
    )


def _index(estimate: Estimate, domain: Mapping[str, Any] | str) -> int:
    if isinstance(domain, str):
        matches = [i for i, d in enumerate(estimate.domains) if domain in d.values()]
    else:
        want = {k: str(v) for k, v in domain.items()}
        matches = [
            i for i, d in enumerate(estimate.domains) if all(d.get(k) == v for k, v in want.items())
        ]
    if len(matches) != 1:
        raise SamplingError(
            "the domain must match exactly one entry",
            param="domain",
            got=domain,
            expected=f"one of {list(estimate.domains)[:10]}",
        )
    return matches[0]


def domain_difference(
    estimate: Estimate, first: Mapping[str, Any] | str, second: Mapping[str, Any] | str
) -> Estimate:
    """``theta_first - theta_second`` for two domains of the same estimate, with its SE.

    Example: ``domain_difference(rates, {"group": "farmer"}, {"group": "worker"})``.
    """
    i, j = _index(estimate, first), _index(estimate, second)
    c = np.zeros(len(estimate))
    c[i], c[j] = 1.0, -1.0

    def name(d: Mapping[str, str]) -> str:
        return ",".join(f"{k}={v}" for k, v in d.items())

    return contrast(estimate, c, label=f"{name(estimate.domains[i])} - {name(estimate.domains[j])}")


def wave_difference(later: Estimate, earlier: Estimate) -> Estimate:
    """Change between two independent samples (waves), domain by domain.

    ``theta_later - theta_earlier``, variance ``v_later + v_earlier``, Welch-
    Satterthwaite degrees of freedom. Domains are matched by their labels; only
    domains present in both estimates are kept.

    Raises:
        SamplingError: different statistics or variables, or no common domain.
    """
    if later.statistic != earlier.statistic or later.variable != earlier.variable:
        raise SamplingError(
            "waves must be compared on the same statistic of the same variable",
            param="earlier",
            got=(earlier.statistic, earlier.variable),
            expected=(later.statistic, later.variable),
        )
    keys_earlier = {tuple(sorted(d.items())): i for i, d in enumerate(earlier.domains)}
    pairs = [
        (i, keys_earlier[tuple(sorted(d.items()))])
        for i, d in enumerate(later.domains)
        if tuple(sorted(d.items())) in keys_earlier
    ]
    if not pairs:
        raise SamplingError("the two waves have no domain in common", param="earlier")
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    va = later.vcov[np.ix_(a, a)]
    vb = earlier.vcov[np.ix_(b, b)]
    da, db = np.diag(va), np.diag(vb)
    dfa, dfb = later.df[a], earlier.df[b]
    denom = np.zeros_like(da)
    ok = (dfa > 0) & (dfb > 0)
    denom[ok] = da[ok] ** 2 / dfa[ok] + db[ok] ** 2 / dfb[ok]
    df = np.full(da.shape, np.nan)
    pos = ok & (denom > 0)
    df[pos] = (da[pos] + db[pos]) ** 2 / denom[pos]
    df[ok & (denom == 0)] = np.minimum(dfa, dfb)[ok & (denom == 0)]
    return Estimate(
        statistic="difference",
        variable=later.variable,
        domains=tuple(later.domains[i] for i in a),
        estimate=later.estimate[a] - earlier.estimate[b],
        vcov=va + vb,
        df=df,
        deff=np.full(da.shape, np.nan),
        n=np.minimum(later.n[a], earlier.n[b]),
        weight_sum=np.full(da.shape, np.nan),
        design_df=min(later.design_df, earlier.design_df),
        ci_method=CIMethod.WALD,
        level=later.level,
        reliability=later.reliability,
    )
