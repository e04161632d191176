"""Population variance (R's ``svyvar``) and design-based t-tests (R's ``svyttest``).

``svy_var``: the weighted variance ``S^2 = n/(n-1) sum w (y - ybar)^2 / sum w``
with ``n`` the respondents (weight > 0) of the domain. Taylor variance: the
variance of the mean of ``z = (y - ybar)^2 n/(n-1)`` (the derivative in
``ybar`` is zero, so ``ybar`` can be held fixed); replicate variance:
``S^2`` recomputed with every replicate's weights (R's ``svyvar`` methods).

``svy_ttest``: with a group, the coefficient of the second group's indicator
in a gaussian :func:`sampling.glm.svy_glm` of ``y`` on it (the difference of
the two domain means), on ``degf + 1 - 2`` df; without one, the mean against 0
on ``degf - 1`` df (R's ``svyttest``).
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling.errors import SamplingError
from sampling.estimation import By
from sampling.estimation import Design
from sampling.estimation import check_design
from sampling.estimation import domains
from sampling.estimation import svy_mean
from sampling.glm import svy_glm
from sampling.intervals import CIMethod
from sampling.replicates import ReplicateDesign
from sampling.results import DEFAULT_RELIABILITY
from sampling.results import Estimate
from sampling.results import Reliability
from sampling.tables import factor_levels
from sampling.variance import replicate_variance

logger = logging.getLogger(__name__)


def svy_var(
    y: ArrayLike,
    design: Design,
    *,
    by: By = None,
    na_rm: bool = False,
    name: str = "y",
    level: float = 0.95,
    reliability: Reliability = DEFAULT_RELIABILITY,
    df: str = "domain",
) -> Estimate:
    """Estimated population variance of ``y`` with its SE (R's ``svyvar``), by domain.

    R: ``svyvar(~y, design)``, ``svyby(~y, ~g, design, svyvar)``.

    Example:
        >>> from sampling.design import SurveyDesign
        >>> d = SurveyDesign(weights=[1.0] * 4, psu=[1, 2, 3, 4])
        >>> float(svy_var([1.0, 2.0, 3.0, 4.0], d).estimate[0])
        1.6666666666666667
    """
    check_design(design)
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if yv.shape[0] != design.n:
        raise SamplingError(
            f"variable {name!r} has the wrong length",
            param=name,
            got=yv.shape[0],
            expected=design.n,
        )
    w = design.weights
    ok = np.isfinite(yv)
    if ((w > 0) & ~ok).any() and not na_rm:
        row = int(np.flatnonzero((w > 0) & ~ok)[0])
        raise SamplingError(
            f"{name!r} is missing (first at row {row + 1})",
            param=name,
            hint="pass na_rm=True to leave them out",
        )
    dom = domains(by, np.where(ok, w, 0.0))
    codes = np.where(ok, dom.codes, -1)
    k = dom.k
    inside = (codes >= 0) & (w > 0)
    c = codes[inside]
    wi, yi = w[inside], yv[inside]
    count = np.bincount(c, minlength=k).astype(np.float64)
    wsum = np.bincount(c, weights=wi, minlength=k).astype(np.float64)
    mean = np.bincount(c, weights=wi * yi, minlength=k) / wsum
    factor = count / (count - 1.0)
    z = np.zeros(design.n)
    z[inside] = (yi - mean[c]) ** 2 * factor[c]
    base = svy_mean(z, design.subset(codes >= 0), by=np.where(codes >= 0, codes, -1), df=df)
    order = [int(lbl["by"]) for lbl in base.domains]
    if order != list(range(k)):
        raise SamplingError("internal domain order mismatch", param="by")
    vcov = base.vcov
    if isinstance(design, ReplicateDesign):
        vcov = _replicate_vcov(yv, codes, k, factor, base.estimate, design)
    return Estimate(
        statistic="variance",
        variable=name,
        domains=dom.labels,
        estimate=base.estimate,
        vcov=vcov,
        df=base.df,
        deff=np.full(k, np.nan),
        n=count,
        weight_sum=wsum,
        design_df=float(design.degf),
        ci_method=CIMethod.WALD,
        level=level,
        reliability=reliability,
    )


def _replicate_vcov(
    y: FloatArray,
    codes: IntArray,
    k: int,
    factor: FloatArray,
    theta: FloatArray,
    design: ReplicateDesign,
) -> FloatArray:
    yv = np.where(codes >= 0, y, 0.0)
    t0 = design.replicate_totals(np.ones(design.n), codes, k)
    t1 = design.replicate_totals(yv, codes, k)
    t2 = design.replicate_totals(yv * yv, codes, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = factor * (t2 / t0 - (t1 / t0) ** 2)
    return replicate_variance(
        reps, theta, scale=design.scale, rscales=design.rscales, mse=design.mse
    )


def svy_ttest(
    y: ArrayLike,
    design: Design,
    *,
    group: ArrayLike | None = None,
    name: str = "y",
    group_name: str = "group",
    level: float = 0.95,
    reliability: Reliability = DEFAULT_RELIABILITY,
) -> Estimate:
    """Design-based t-test: difference of two group means, or a mean against 0.

    With ``group`` (two levels, in sorted order ``a < b``): ``mean_b - mean_a``
    from ``svyglm(y ~ group)``, df ``degf(design) - 1``; without: the mean, df
    ``degf(design) - 1`` (R's ``svyttest(y ~ group, design)`` /
    ``svyttest(y ~ 0, design)``). Rows with a missing ``y`` or group are left
    out. ``Estimate.p_value()`` is the two-sided p-value.

    Returns:
        An :class:`Estimate` with statistic ``difference`` (or ``mean``), one
        entry labelled ``{group_name: "b - a"}``.

    Raises:
        SamplingError: the group does not have exactly two levels.

    Example:
        >>> from sampling.design import SurveyDesign
        >>> d = SurveyDesign(weights=[1.0] * 6, psu=[1, 2, 3, 4, 5, 6])
        >>> t = svy_ttest([1.0, 2.0, 3.0, 5.0, 6.0, 7.0], d, group=[0, 0, 0, 1, 1, 1])
        >>> float(t.estimate[0])
        4.0
    """
    check_design(design)
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if group is None:
        m = svy_mean(yv, design, name=name, na_rm=True, level=level, reliability=reliability)
        return Estimate(
            statistic="mean",
            variable=name,
            domains=({},),
            estimate=m.estimate,
            vcov=m.vcov,
            df=np.array([float(design.degf) - 1.0]),
            deff=m.deff,
            n=m.n,
            weight_sum=m.weight_sum,
            design_df=m.design_df,
            level=level,
            reliability=reliability,
        )
    fac = factor_levels(group, design.n, group_name)
    used = (fac.codes >= 0) & (design.weights > 0)
    present = sorted(set(fac.codes[used].tolist()))
    if len(present) != 2:
        raise SamplingError(
            f"the group {group_name!r} must have exactly two levels",
            param="by",
            got=[fac.levels[i] for i in present],
            hint="choose a two-level variable, or compare two domains with a contrast",
        )
    second = np.where(fac.codes >= 0, (fac.codes == present[1]).astype(np.float64), np.nan)
    model = svy_glm("y ~ g", {"y": yv, "g": second}, design, level=level, reliability=reliability)
    coef = model.coef.take([1])
    label = f"{fac.levels[present[1]]} - {fac.levels[present[0]]}"
    return Estimate(
        statistic="difference",
        variable=name,
        domains=({group_name: label},),
        estimate=coef.estimate,
        vcov=coef.vcov,
        df=coef.df,
        deff=coef.deff,
        n=coef.n,
        weight_sum=coef.weight_sum,
        design_df=coef.design_df,
        level=level,
        reliability=reliability,
    )
