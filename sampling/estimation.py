"""Estimators of totals, means, proportions and ratios, overall and by domain.

Each estimator is a pure function ``(y, design, *, by=...) -> Estimate``. For
domains (``by`` one or several variables, crossed), rows outside a domain get
weight zero, never dropped, so the variance uses the full design (Lumley
2010, §2.3; Lohr 2022, §4.3). All domains are estimated jointly: their
covariance matrix is exact, so contrasts between domains are correct.

Linearised scores (influence values), for a domain ``d`` with indicator
``δ_i``, weights ``w_i``, ``W_d = Σ δ w``:

* total ``Σ δ w y``: ``z_i = δ_i w_i y_i``
* mean ``Y_d / W_d``: ``z_i = δ_i w_i (y_i − ȳ_d) / W_d``
* ratio ``Y_d / X_d``: ``z_i = δ_i w_i (y_i − R_d x_i) / X_d``

(Särndal, Swensson & Wretman 1992, §5.5-5.6; R's ``svytotal``, ``svymean``,
``svyratio`` and ``svyby``). Replicate designs use replicate estimates instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import combine_codes
from sampling._codes import factorize
from sampling._codes import group_sum
from sampling._codes import label_text
from sampling.design import SurveyDesign
from sampling.errors import SamplingError
from sampling.intervals import CIMethod
from sampling.intervals import parse_ci_method
from sampling.replicates import ReplicateDesign
from sampling.results import DEFAULT_RELIABILITY
from sampling.results import Estimate
from sampling.results import Reliability
from sampling.variance import replicate_variance
from sampling.variance import taylor_variance_coded

logger = logging.getLogger(__name__)

Design = SurveyDesign | ReplicateDesign
By = ArrayLike | Mapping[str, ArrayLike] | Sequence[ArrayLike] | None

_MISSING_TEXT = {"", "NA", "na", "NaN", "nan", "None", "."}


@dataclass(frozen=True, slots=True)
class _Domains:
    codes: IntArray  # row -> domain, -1: in no domain
    labels: tuple[dict[str, str], ...]

    @property
    def k(self) -> int:
        return len(self.labels)


def _named_by(by: Any) -> list[tuple[str, NDArray[Any]]]:
    if isinstance(by, Mapping):
        return [(str(k), np.asarray(v).reshape(-1)) for k, v in by.items()]
    if isinstance(by, np.ndarray):
        if by.ndim == 2:
            return [(f"by{j + 1}", by[:, j]) for j in range(by.shape[1])]
        return [("by", by.reshape(-1))]
    if isinstance(by, (list, tuple)) and by and all(np.ndim(v) == 1 for v in by):
        if len(by) == 1:
            return [("by", np.asarray(by[0]))]
        return [(f"by{j + 1}", np.asarray(v)) for j, v in enumerate(by)]
    return [("by", np.asarray(by).reshape(-1))]


def _missing_labels(uniq: NDArray[Any]) -> NDArray[np.bool_]:
    out = np.zeros(uniq.shape[0], dtype=bool)
    for i, u in enumerate(uniq.tolist()):
        if u is None or (isinstance(u, float) and np.isnan(u)):
            out[i] = True
        elif isinstance(u, str) and u.strip() in _MISSING_TEXT:
            out[i] = True
    return out


def domains(by: By, weights: FloatArray) -> _Domains:
    """Domain code of every row (crossed ``by`` variables; -1 for rows in none).

    Domains are the level combinations present among rows with weight > 0
    (R's ``svyby`` drops the others); rows with a missing ``by`` value are in
    no domain.
    """
    n = weights.shape[0]
    if by is None:
        return _Domains(np.zeros(n, dtype=np.intp), ({},))
    named = _named_by(by)
    active = weights > 0
    names, codes_list, uniq_list = [], [], []
    for name, values in named:
        if values.shape[0] != n:
            raise SamplingError(
                f"by variable {name!r} has the wrong length",
                param="by",
                got=values.shape[0],
                expected=n,
            )
        if values.dtype.kind == "O":
            values = np.array([("" if v is None else v) for v in values.tolist()])
        nan_rows = np.isnan(values) if values.dtype.kind == "f" else None
        c, u = factorize(np.where(nan_rows, 0.0, values) if nan_rows is not None else values)
        miss = _missing_labels(u)[c]
        if nan_rows is not None:
            miss |= nan_rows
        active &= ~miss
        names.append(name)
        codes_list.append(c)
        uniq_list.append(u)
    rows = np.flatnonzero(active)
    sizes = [len(u) for u in uniq_list]
    dense, cells = combine_codes([c[rows] for c in codes_list], sizes)
    labels = []
    for cell in cells.tolist():
        rest = int(cell)
        digits = []
        for size in reversed(sizes):
            digits.append(rest % size)
            rest //= size
        digits.reverse()
        labels.append(
            {
                name: label_text(uniq[j])
                for name, uniq, j in zip(names, uniq_list, digits, strict=True)
            }
        )
    codes = np.full(n, -1, dtype=np.intp)
    codes[rows] = dense
    return _Domains(codes, tuple(labels))


def _numeric(values: ArrayLike, n: int, name: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise SamplingError(
            f"variable {name!r} is not numeric", param=name, hint="convert it to numbers"
        ) from exc
    if arr.shape[0] != n:
        raise SamplingError(
            f"variable {name!r} has the wrong length", param=name, got=arr.shape[0], expected=n
        )
    return arr


def _div(a: FloatArray, b: FloatArray) -> FloatArray:
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=b != 0)
    return out


@dataclass(frozen=True, slots=True)
class _Fit:
    estimate: FloatArray
    vcov: FloatArray
    df: FloatArray
    deff: FloatArray
    n: FloatArray
    weight_sum: FloatArray
    replicates: FloatArray | None = None  # (R, k) replicate estimates of replicate designs


def _fit(
    kind: str,
    y: FloatArray,
    x: FloatArray | None,
    design: Design,
    dom: _Domains,
    na_rm: bool,
    name: str,
) -> _Fit:
    w = design.weights
    n = w.shape[0]
    k = dom.k
    active = (dom.codes >= 0) & (w > 0)
    finite = np.isfinite(y) if x is None else np.isfinite(y) & np.isfinite(x)
    bad = active & ~finite
    if bad.any() and not na_rm:
        row = int(np.flatnonzero(bad)[0])
        raise SamplingError(
            f"{name!r} is missing for {int(bad.sum())} respondent(s) (first at row {row + 1})",
            param=name,
            hint="pass na_rm=True to leave them out of the estimate",
        )
    include = active & finite
    everyone = bool(include.all())
    cols = dom.codes if everyone else np.where(include, dom.codes, -1)
    # with every row included, slices avoid gathering 300,000-row arrays
    rows: Any = slice(None) if everyone else np.flatnonzero(include)
    c = cols[rows]
    wi = w[rows]
    yi = y[rows]
    count = np.bincount(c, minlength=k).astype(np.float64)
    wsum = group_sum(c, k, wi)
    ysum = group_sum(c, k, wi * yi)
    mean = _div(ysum, wsum)
    if kind == "total":
        theta = ysum
        score = wi * yi
    elif kind == "mean":
        theta = mean
        score = wi * (yi - mean[c]) / wsum[c]
    else:
        xfull = x if x is not None else np.ones(n)
        xi = xfull[rows]
        xsum = group_sum(c, k, wi * xi)
        theta = _div(ysum, xsum)
        score = np.nan_to_num(_div(wi * (yi - theta[c] * xi), xsum[c]))
    if everyone:
        values = score
    else:
        values = np.zeros(n)
        values[rows] = score
    reps = None
    if isinstance(design, ReplicateDesign):
        reps = replicate_estimates(kind, y, x, design, cols, k)
        vcov = _replicate_vcov(reps, design, theta)
        df = np.array([design.domain_df(cols == d) for d in range(k)], dtype=np.float64)
    else:
        vcov = taylor_variance_coded(values, cols, k, design)
        df = domain_degf(design, cols, k)
    deff = _deff(kind, rows, c, wi, yi, x, theta, mean, wsum, count, vcov, k)
    return _Fit(theta, vcov, df, deff, count, wsum, reps)


def domain_degf(design: SurveyDesign, cols: IntArray, k: int) -> FloatArray:
    """PSUs minus strata with respondents in each domain (R's ``degf`` of the subset)."""
    st = design.stages[0]
    rows = cols >= 0
    keys = st.unit * k + cols if rows.all() else st.unit[rows] * k + cols[rows]
    present = np.bincount(keys, minlength=st.n_units * k).reshape(st.n_units, k) > 0
    units, doms = np.nonzero(present)
    strata = np.bincount(st.group[units] * k + doms, minlength=st.n_groups * k) > 0
    n_strata = strata.reshape(st.n_groups, k).sum(axis=0)
    df: FloatArray = (present.sum(axis=0) - n_strata).astype(np.float64)
    return df


def replicate_estimates(
    kind: str,
    y: FloatArray,
    x: FloatArray | None,
    design: ReplicateDesign,
    cols: IntArray,
    k: int,
) -> FloatArray:
    """(R, k) replicate totals, means or ratios of ``y`` in the domains ``cols``."""
    yv = np.where(cols >= 0, y, 0.0)
    ty = design.replicate_totals(yv, cols, k)
    if kind == "total":
        return ty
    if kind == "mean":
        return _div(ty, design.replicate_totals(np.ones_like(yv), cols, k))
    xv = np.where(cols >= 0, x if x is not None else 1.0, 0.0)
    return _div(ty, design.replicate_totals(xv, cols, k))


def replicate_logit_se(reps: FloatArray, theta: FloatArray, design: ReplicateDesign) -> FloatArray:
    """SEs of ``logit(p)`` from the replicates' ``logit(p_r)`` (R's ``svyciprop`` logit).

    R fits ``svyglm(y ~ 1, family=quasibinomial)`` to every replicate; its
    intercept is ``logit(p_r)``, so the replicate variance of the intercept is
    that of ``logit(p_r)``, centred at their mean (or at ``logit(p)`` with
    ``mse``). NaN where a replicate proportion is 0 or 1.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.log(reps / (1.0 - reps))
        eta0 = np.log(theta / (1.0 - theta))
    out = np.full(theta.shape, np.nan)
    ok = np.all(np.isfinite(eta), axis=0) & np.isfinite(eta0)
    if ok.any():
        v = replicate_variance(
            eta[:, ok], eta0[ok], scale=design.scale, rscales=design.rscales, mse=design.mse
        )
        out[ok] = np.sqrt(np.maximum(np.diag(v), 0.0))
    return out


def _replicate_vcov(reps: FloatArray, design: ReplicateDesign, theta: FloatArray) -> FloatArray:
    k = theta.shape[0]
    finite = np.isfinite(reps)
    if finite.all():
        return replicate_variance(
            reps, theta, scale=design.scale, rscales=design.rscales, mse=design.mse
        )
    # R drops replicates that give NA (with a warning); do it per pair of domains
    logger.warning("%d replicate estimates are undefined and were dropped", int((~finite).sum()))
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i, k):
            keep = finite[:, i] & finite[:, j]
            if keep.sum() < 2:
                continue
            sub = replicate_variance(
                reps[keep][:, [i, j]],
                theta[[i, j]],
                scale=design.scale,
                rscales=design.rscales[keep],
                mse=design.mse,
            )
            out[i, j] = out[j, i] = sub[0, 1]
            if i == j:
                out[i, i] = sub[0, 0]
    return out


def _deff(
    kind: str,
    rows: Any,
    c: IntArray,
    wi: FloatArray,
    yi: FloatArray,
    x: FloatArray | None,
    theta: FloatArray,
    mean: FloatArray,
    wsum: FloatArray,
    count: FloatArray,
    vcov: FloatArray,
    k: int,
) -> FloatArray:
    """R's ``deff=TRUE``: variance over the without-replacement SRS variance."""
    if kind == "ratio" and x is not None:
        xi = x[rows]
        xsum = group_sum(c, k, wi * xi)
        r = np.nan_to_num(_div(yi - theta[c] * xi, xsum[c]))
        dev = r - np.nan_to_num(_div(group_sum(c, k, wi * r), wsum))[c]
    else:
        dev = yi - np.nan_to_num(mean)[c]
    ss = group_sum(c, k, wi * dev * dev)
    ok = (count > 1) & (wsum > count)
    s2 = np.full(k, np.nan)
    s2[ok] = count[ok] / (count[ok] - 1.0) * ss[ok] / wsum[ok]
    vsrs = np.full(k, np.nan)
    vsrs[ok] = s2[ok] * (wsum[ok] - count[ok]) / (wsum[ok] * count[ok])
    if kind != "mean":
        vsrs = vsrs * wsum**2
    deff = np.full(k, np.nan)
    good = ok & (vsrs > 0)
    deff[good] = np.diag(vcov)[good] / vsrs[good]
    return deff


def _design_df(design: Design) -> float:
    return float(design.degf)


def _estimate(
    statistic: str,
    kind: str,
    y: ArrayLike,
    x: ArrayLike | None,
    design: Design,
    by: By,
    na_rm: bool,
    name: str,
    level: float,
    ci: CIMethod | str,
    reliability: Reliability,
    df: str = "domain",
) -> Estimate:
    check_design(design)
    n = design.n
    yv = _numeric(y, n, name)
    xv = None if x is None else _numeric(x, n, name)
    if statistic == "proportion":
        used = (design.weights > 0) & np.isfinite(yv)
        odd = used & (yv != 0) & (yv != 1)
        if odd.any():
            row = int(np.flatnonzero(odd)[0])
            raise SamplingError(
                f"{name!r} must be 0/1 for a proportion (row {row + 1} has {yv[row]!r})",
                param=name,
                hint="code the outcome as 1 (yes) / 0 (no), or use svy_mean",
            )
    dom = domains(by, design.weights)
    fit = _fit(kind, yv, xv, design, dom, na_rm, name)
    logit_se = None
    reps = fit.replicates
    if statistic == "proportion" and isinstance(design, ReplicateDesign) and reps is not None:
        logit_se = replicate_logit_se(reps, fit.estimate, design)
    return Estimate(
        statistic=statistic,
        variable=name,
        domains=dom.labels,
        estimate=fit.estimate,
        vcov=fit.vcov,
        df=interval_df(fit.df, design, df),
        deff=fit.deff,
        n=fit.n,
        weight_sum=fit.weight_sum,
        design_df=_design_df(design),
        ci_method=parse_ci_method(ci),
        level=level,
        reliability=reliability,
        logit_se=logit_se,
    )


def check_design(design: Any) -> None:
    """Raise :class:`SamplingError` unless ``design`` is a survey or replicate design."""
    if not isinstance(design, (SurveyDesign, ReplicateDesign)):
        raise SamplingError(
            "design must be a SurveyDesign or ReplicateDesign",
            param="design",
            got=type(design).__name__,
        )


#: where interval degrees of freedom come from: each domain's own, or the whole design's
DF_CHOICES = ("domain", "design")


def interval_df(domain_df: FloatArray, design: Design, df: str) -> FloatArray:
    """Degrees of freedom for intervals: ``domain_df`` or the design's ``degf`` everywhere.

    ``"domain"`` is R's ``svyby(..., svyciprop)`` (``degf`` of each subset);
    ``"design"`` is ``svyby(..., df = degf(design))``.

    Raises:
        SamplingError: ``df`` is not ``domain`` or ``design``.
    """
    if df == "domain":
        return domain_df
    if df == "design":
        return np.full(domain_df.shape, float(design.degf))
    raise SamplingError("unknown df choice", param="df", got=df, expected=" | ".join(DF_CHOICES))


def svy_total(
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
    """Estimated population total ``Σ w_i y_i`` (Horvitz-Thompson), by domain.

    Variance from the scores ``w_i y_i`` (Lohr 2022, §6.4). R:
    ``svytotal(~y, design, deff=TRUE)`` / ``svyby(~y, ~g, design, svytotal)``.

    Args:
        y: the variable (NaN allowed with ``na_rm``).
        design: a :class:`SurveyDesign` or :class:`ReplicateDesign`.
        by: domain variable(s): an array, a list of arrays or ``{name: array}``.
        na_rm: leave out respondents with a missing ``y`` instead of failing.
        name: variable name in the result.
        level: default confidence level.
        reliability: thresholds for the reliability flags.
        df: interval degrees of freedom: ``"domain"`` (each domain's PSUs minus
            strata, R's ``svyby``) or ``"design"`` (the whole design's).

    Returns:
        An :class:`Estimate` (Wald intervals with t on the domain df).

    Raises:
        SamplingError: wrong lengths, non-numeric or missing values.

    Example:
        >>> d = SurveyDesign(weights=[2.0, 2.0, 4.0, 4.0], strata=[1, 1, 2, 2])
        >>> float(svy_total([1.0, 0.0, 1.0, 1.0], d).estimate[0])
        10.0
    """
    return _estimate(
        "total", "total", y, None, design, by, na_rm, name, level, CIMethod.WALD, reliability, df
    )


def svy_mean(
    y: ArrayLike,
    design: Design,
    *,
    by: By = None,
    na_rm: bool = False,
    name: str = "y",
    level: float = 0.95,
    ci: CIMethod | str = CIMethod.WALD,
    reliability: Reliability = DEFAULT_RELIABILITY,
    df: str = "domain",
) -> Estimate:
    """Estimated population mean ``Σ w y / Σ w`` (a ratio estimator), by domain.

    Scores ``w_i (y_i − ȳ) / Σ w`` (Lohr 2022, §9.1; Särndal et al. 1992,
    §5.6). R: ``svymean(~y, design, deff=TRUE)``, ``svyby(~y, ~g, design, svymean)``.

    Args: as :func:`svy_total`, plus ``ci`` (default interval method).

    Example:
        >>> d = SurveyDesign(weights=[1.0, 1.0, 1.0, 1.0], psu=[1, 2, 3, 4])
        >>> float(svy_mean([1.0, 2.0, 3.0, 4.0], d).estimate[0])
        2.5
    """
    return _estimate("mean", "mean", y, None, design, by, na_rm, name, level, ci, reliability, df)


def svy_proportion(
    y: ArrayLike,
    design: Design,
    *,
    by: By = None,
    na_rm: bool = False,
    name: str = "y",
    level: float = 0.95,
    ci: CIMethod | str = CIMethod.LOGIT,
    reliability: Reliability = DEFAULT_RELIABILITY,
    df: str = "domain",
) -> Estimate:
    """Estimated proportion of a 0/1 variable, by domain, with logit intervals by default.

    The estimate and variance are those of :func:`svy_mean`; intervals default
    to the logit method of R's ``svyciprop`` (``xlogit``, ``beta`` for
    Korn-Graubard, ``wilson``, ``wald`` also available through
    ``Estimate.confint``). On replicate designs the logit interval uses the
    replicate variance of ``logit(p_r)``, as R does (``Estimate.logit_se``).

    Raises:
        SamplingError: ``y`` has values other than 0 and 1.

    Example:
        >>> d = SurveyDesign(weights=[1.0] * 4, psu=[1, 2, 3, 4])
        >>> float(svy_proportion([1, 0, 0, 1], d).estimate[0])
        0.5
    """
    return _estimate(
        "proportion", "mean", y, None, design, by, na_rm, name, level, ci, reliability, df
    )


def svy_ratio(
    numerator: ArrayLike,
    denominator: ArrayLike,
    design: Design,
    *,
    by: By = None,
    na_rm: bool = False,
    name: str = "y/x",
    level: float = 0.95,
    reliability: Reliability = DEFAULT_RELIABILITY,
    df: str = "domain",
) -> Estimate:
    """Estimated ratio of totals ``Σ w y / Σ w x``, by domain.

    Scores ``w_i (y_i − R x_i) / Σ w x`` (Särndal et al. 1992, §5.6; Lohr 2022,
    §4.1). R: ``svyratio(~y, ~x, design)``.

    Example:
        >>> d = SurveyDesign(weights=[1.0] * 4, psu=[1, 2, 3, 4])
        >>> float(svy_ratio([1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0], d).estimate[0])
        1.25
    """
    return _estimate(
        "ratio",
        "ratio",
        numerator,
        denominator,
        design,
        by,
        na_rm,
        name,
        level,
        CIMethod.WALD,
        reliability,
        df,
    )
