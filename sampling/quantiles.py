"""Quantiles with Woodruff intervals: R's ``svyquantile`` (survey 4.x).

For a domain with values ``x``, weights ``w`` and probability ``p``:

1. the estimate is ``Q(p)``, the weighted quantile by the rule ``qrule``:

   * ``hf1`` (R's default ``"math"``): sort ``x``, ``C_k`` the cumulative
     weights, ``k`` the last index with ``C_k <= p sum(w)`` (1 if none); the
     estimate is ``x_k`` if ``C_k / sum(w) = p`` exactly, else ``x_{k+1}``
     (the inverse of the weighted empirical distribution function);
   * ``hf7``: linear interpolation of ``x`` at ``p`` between the points
     ``(C_{k-1} / C_{n-1}, x_k)`` (R's ``qrule_hf7``, the weighted analogue of
     R's default ``quantile`` type 7);

2. Woodruff (1952) interval: the proportion ``F = mean(x <= Q(p))`` with its
   design-based SE (the one variance engine, Taylor or replicate), the Wald
   limits ``F +- t se(F)`` with ``t = qt(1 - alpha/2, df)``, and the quantiles
   ``Q(F_low)``, ``Q(F_high)`` by the same rule (NaN when a limit falls outside
   [0, 1]);
3. ``SE = (Q(F_high) - Q(F_low)) / (2 t)`` (R's ``SE(svyquantile(...))``).

``df`` is the domain's design df (R's ``svyby(..., svyquantile)``: ``degf`` of
the subset) or the whole design's (``df = degf(design)``). Cumulative sums are
accumulated in extended precision like R's ``cumsum``, so exact ties
``C_k / sum(w) = p`` are decided as R decides them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from sampling._codes import FloatArray
from sampling.errors import SamplingError
from sampling.estimation import By
from sampling.estimation import Design
from sampling.estimation import check_design
from sampling.estimation import domains
from sampling.estimation import svy_mean
from sampling.intervals import t_quantile
from sampling.results import DEFAULT_RELIABILITY
from sampling.results import Estimate
from sampling.results import Reliability

logger = logging.getLogger(__name__)

QRULES = ("hf1", "hf7")
_ALIASES = {"math": "hf1", "hf1": "hf1", "hf7": "hf7"}


def _sorted(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order].astype(np.longdouble))
    return x[order], cum.astype(np.float64), float(cum[-1]) if cum.size else 0.0


def weighted_quantile(x: ArrayLike, w: ArrayLike, p: float, qrule: str = "hf1") -> float:
    """The weighted ``p`` quantile of ``x`` by R's ``qrule_hf1`` (``math``) or ``qrule_hf7``.

    Rows with weight 0 are ignored. See the module docstring for the rules.

    Raises:
        SamplingError: unknown rule, or no row with weight.

    Example:
        >>> weighted_quantile([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0], 0.5)
        2.0
        >>> weighted_quantile([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0], 0.5, "hf7")
        2.5
    """
    rule = _rule(qrule)
    xs, cum, total = _sorted(np.asarray(x, np.float64), np.asarray(w, np.float64))
    n = xs.shape[0]
    if n == 0:
        raise SamplingError("no value with a positive weight", param="quantile")
    if rule == "hf1":
        below = np.flatnonzero(cum <= p * total)
        pos = int(below[-1]) if below.size else 0
        nxt = pos if pos == n - 1 else pos + 1
        return float(xs[pos] if p - cum[pos] / total == 0 else xs[nxt])
    if n == 1:
        return float(xs[0])
    pk = np.concatenate(([0.0], cum[:-1])) / cum[n - 2]
    return float(np.interp(p, pk, xs))


def _rule(qrule: str) -> str:
    try:
        return _ALIASES[str(qrule).lower()]
    except KeyError:
        raise SamplingError(
            "unknown quantile rule", param="qrule", got=qrule, expected="hf1 (math) | hf7"
        ) from None


def svy_quantile(
    y: ArrayLike,
    design: Design,
    probs: Sequence[float] = (0.5,),
    *,
    by: By = None,
    qrule: str = "hf1",
    level: float = 0.95,
    df: str = "domain",
    na_rm: bool = False,
    name: str = "y",
    reliability: Reliability = DEFAULT_RELIABILITY,
) -> Estimate:
    """Weighted quantiles with Woodruff confidence intervals (R's ``svyquantile``).

    R: ``svyquantile(~y, design, c(.25, .5, .75), qrule="math")`` and
    ``svyby(~y, ~g, design, svyquantile, quantiles=0.5, ci=TRUE)`` (Woodruff
    1952; Lumley 2010, §2.4.1; Francisco & Fuller 1991).

    Args:
        y: the variable.
        design: a :class:`SurveyDesign` or :class:`ReplicateDesign`.
        probs: probabilities in [0, 1].
        by: domain variable(s), as for :func:`sampling.svy_mean`.
        qrule: ``hf1`` (``math``, R's default) or ``hf7``.
        level: confidence level of the Woodruff interval (fixed in the result).
        df: ``domain`` (each domain's design df) or ``design``.
        na_rm: leave out rows with a missing ``y`` instead of failing.
        name: the variable's name in the result.
        reliability: thresholds for the flags.

    Returns:
        An :class:`Estimate` with statistic ``quantile``: one entry per domain
        and probability (domain labels carry ``prob``), the Woodruff interval
        stored (``confint()`` returns it), ``se`` = width / (2 t), covariances
        NaN (R gives none).

    Raises:
        SamplingError: probabilities outside [0, 1], an unknown rule, missing
            values without ``na_rm``.

    Example:
        >>> from sampling.design import SurveyDesign
        >>> d = SurveyDesign(weights=[1.0] * 8, psu=list(range(8)))
        >>> q = svy_quantile([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], d, [0.5])
        >>> float(q.estimate[0])
        3.0
    """
    check_design(design)
    rule = _rule(qrule)
    ps = [float(p) for p in probs]
    if not ps or any(not 0.0 <= p <= 1.0 for p in ps):
        raise SamplingError("quantile probabilities must be in [0, 1]", param="probs", got=probs)
    n = design.n
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if yv.shape[0] != n:
        raise SamplingError(
            f"variable {name!r} has the wrong length", param=name, got=yv.shape[0], expected=n
        )
    w = design.weights
    missing = (w > 0) & ~np.isfinite(yv)
    if missing.any() and not na_rm:
        row = int(np.flatnonzero(missing)[0])
        raise SamplingError(
            f"{name!r} is missing for {int(missing.sum())} respondent(s) (first at row {row + 1})",
            param=name,
            hint="pass na_rm=True to leave them out",
        )
    dom = domains(by, np.where(np.isfinite(yv), w, 0.0))
    codes = dom.codes
    k = dom.k
    values = np.where(np.isfinite(yv), yv, 0.0)
    qhat = np.full((k, len(ps)), np.nan)
    members = [np.flatnonzero(codes == d) for d in range(k)]
    for d, rows in enumerate(members):
        for j, p in enumerate(ps):
            qhat[d, j] = weighted_quantile(values[rows], w[rows], p, rule)
    entries_est, low, high, se_out, df_out, n_out, wsum, labels = [], [], [], [], [], [], [], []
    in_any = codes >= 0
    for j, p in enumerate(ps):
        cut = qhat[np.maximum(codes, 0), j]
        below = np.where(in_any, (values <= cut).astype(np.float64), 0.0)
        dom_by = np.where(in_any, codes, -1)
        prop = svy_mean(below, design.subset(in_any), by=dom_by.astype(np.int64), df=df)
        # svy_mean labels domains by the code; map back to the code order
        order = [int(lbl["by"]) for lbl in prop.domains]
        f_low, f_high = prop.confint(level)
        for i, d in enumerate(order):
            t = float(t_quantile(level, np.array([prop.df[i]]))[0])
            rows = members[d]
            lo = _limit(values[rows], w[rows], f_low[i], rule)
            hi = _limit(values[rows], w[rows], f_high[i], rule)
            entries_est.append(qhat[d, j])
            low.append(lo)
            high.append(hi)
            se_out.append((hi - lo) / (2.0 * t) if math.isfinite(t) else math.nan)
            df_out.append(prop.df[i])
            n_out.append(prop.n[i])
            wsum.append(prop.weight_sum[i])
            labels.append({**dom.labels[d], "prob": _prob_label(p)})
    m = len(entries_est)
    se_arr = np.asarray(se_out)
    vcov = np.full((m, m), np.nan)
    np.fill_diagonal(vcov, se_arr**2)
    order_idx = sorted(range(m), key=lambda i: (_domain_key(labels[i], dom.labels), i))
    ix = np.asarray(order_idx, dtype=np.intp)
    return Estimate(
        statistic="quantile",
        variable=name,
        domains=tuple(labels[i] for i in ix),
        estimate=np.asarray(entries_est)[ix],
        vcov=vcov[np.ix_(ix, ix)],
        df=np.asarray(df_out)[ix],
        deff=np.full(m, np.nan),
        n=np.asarray(n_out)[ix],
        weight_sum=np.asarray(wsum)[ix],
        design_df=float(design.degf),
        level=level,
        reliability=reliability,
        interval=(np.asarray(low)[ix], np.asarray(high)[ix]),
    )


def _domain_key(label: dict[str, str], all_labels: tuple[dict[str, str], ...]) -> int:
    base = {k: v for k, v in label.items() if k != "prob"}
    for d, lbl in enumerate(all_labels):
        if lbl == base:
            return d
    return len(all_labels)


def _prob_label(p: float) -> str:
    return format(p, "g")


def _limit(x: FloatArray, w: FloatArray, f: float, rule: str) -> float:
    """The quantile at a Woodruff limit ``f`` (NaN outside [0, 1], as R)."""
    if not math.isfinite(f) or f < 0.0 or f > 1.0:
        return math.nan
    return weighted_quantile(x, w, f, rule)
