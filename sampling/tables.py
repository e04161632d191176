"""Categorical variables: factor means and totals, weighted tables, Rao-Scott tests.

Every row belongs to at most one cell (a level of a factor, or a cell of a
cross-table, within a domain), so the cell totals ``T_c = sum_{i in c} w_i``
have scores with one non-zero column per row: one pass of the variance engine
(:func:`sampling.variance.taylor_variance_coded`) gives their full covariance
``V_T``, or the replicate totals give it for replicate designs. Level
proportions within a domain, ``p_dl = T_dl / sum_m T_dm``, get
``V_p = J V_T J'`` with ``J_{dl,dm} = (1[l = m] - p_dl) / W_d``; this is the
linearisation R's ``svymean(~factor(x), design)`` uses (Lumley 2010, §2.2).

:func:`svy_chisq` is R's ``svychisq`` (Rao & Scott 1981, 1984): Pearson's
``X^2`` of the weighted table scaled to the sample size, the design-effect
matrix ``Delta = (C' D^-1 C / N)^-1 C' D^-1 V D^-1 C`` with ``C`` the
interaction contrasts orthogonal to the main effects and ``D = diag(p)``, then

* second order (R's default ``statistic = "F"``): ``F = X^2 / tr(Delta)`` on
  ``d0 = tr(Delta)^2 / tr(Delta^2)`` and ``d0 nu`` df, ``nu`` the design df;
* first order (``"Chisq"``): ``X^2 / mean(diag(Delta))`` on ``(r-1)(c-1)`` df.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import factorize
from sampling._codes import label_text
from sampling.errors import SamplingError
from sampling.estimation import By
from sampling.estimation import Design
from sampling.estimation import check_design
from sampling.estimation import domain_degf
from sampling.estimation import domains
from sampling.estimation import interval_df
from sampling.intervals import CIMethod
from sampling.intervals import special_functions
from sampling.replicates import ReplicateDesign
from sampling.results import DEFAULT_RELIABILITY
from sampling.results import Estimate
from sampling.results import HypothesisTest
from sampling.results import Reliability
from sampling.variance import replicate_variance
from sampling.variance import taylor_variance_coded

logger = logging.getLogger(__name__)

_MISSING = {"", "NA", "na", "NaN", "nan", "None", "."}


@dataclass(frozen=True, slots=True)
class FactorLevels:
    codes: IntArray  # row -> level, -1 missing
    levels: tuple[str, ...]


def factor_levels(values: ArrayLike, n: int, name: str) -> FactorLevels:
    """Level codes of a categorical variable (all rows; missing values are -1)."""
    arr = np.asarray(values).reshape(-1)
    if arr.shape[0] != n:
        raise SamplingError(
            f"variable {name!r} has the wrong length", param=name, got=arr.shape[0], expected=n
        )
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
        filled = np.where(missing, 0.0, arr)
    else:
        text = np.array([("" if v is None else label_text(v)) for v in arr.tolist()])
        missing = np.isin(np.char.strip(text), list(_MISSING))
        filled = np.where(missing, "", text)
    present = np.flatnonzero(~missing)
    codes = np.full(n, -1, dtype=np.intp)
    if present.size == 0:
        return FactorLevels(codes, ())
    c, uniq = factorize(filled[present])
    codes[present] = c
    return FactorLevels(codes, tuple(label_text(u) for u in uniq))


@dataclass(frozen=True, slots=True)
class _Cells:
    totals: FloatArray  # (K,) cell totals
    vcov: FloatArray  # (K, K)
    replicates: FloatArray | None  # (R, K) replicate totals
    count: FloatArray  # (K,) rows with weight > 0


def _cell_totals(cell: IntArray, k: int, design: Design) -> _Cells:
    """Totals of the weights in cells ``0..k-1`` (``-1``: in none) and their covariance."""
    w = design.weights
    rows = (cell >= 0) & (w > 0)
    cols = np.where(rows, cell, -1)
    totals: FloatArray = np.bincount(cols[rows], weights=w[rows], minlength=k).astype(np.float64)
    count = np.bincount(cols[rows], minlength=k).astype(np.float64)
    if isinstance(design, ReplicateDesign):
        reps = design.replicate_totals(np.ones(design.n), cols, k)
        vcov = replicate_variance(
            reps, totals, scale=design.scale, rscales=design.rscales, mse=design.mse
        )
        return _Cells(totals, vcov, reps, count)
    vcov = taylor_variance_coded(np.where(rows, w, 0.0), cols, k, design)
    return _Cells(totals, vcov, None, count)


def _domain_df(design: Design, dom_codes: IntArray, k: int) -> FloatArray:
    if isinstance(design, ReplicateDesign):
        return np.array([design.domain_df(dom_codes == d) for d in range(k)], dtype=np.float64)
    return domain_degf(design, dom_codes, k)


def _factor_estimate(
    statistic: str,
    y: ArrayLike,
    design: Design,
    by: By,
    na_rm: bool,
    name: str,
    level: float,
    reliability: Reliability,
    df: str,
) -> Estimate:
    check_design(design)
    n = design.n
    fac = factor_levels(y, n, name)
    w = design.weights
    miss = (fac.codes < 0) & (w > 0)
    if miss.any() and not na_rm:
        row = int(np.flatnonzero(miss)[0])
        raise SamplingError(
            f"{name!r} is missing for {int(miss.sum())} respondent(s) (first at row {row + 1})",
            param=name,
            hint="pass na_rm=True to leave them out",
        )
    if not fac.levels:
        raise SamplingError(f"{name!r} has no values", param=name)
    dom = domains(by, np.where(fac.codes >= 0, w, 0.0))
    n_lev = len(fac.levels)
    k = dom.k
    cell = np.where((dom.codes >= 0) & (fac.codes >= 0), dom.codes * n_lev + fac.codes, -1)
    cells = _cell_totals(cell, k * n_lev, design)
    wsum = cells.totals.reshape(k, n_lev).sum(axis=1)
    dom_rows = np.where(cell >= 0, dom.codes, -1)
    dfs = np.repeat(_domain_df(design, dom_rows, k), n_lev)
    if statistic == "total":
        est, vcov = cells.totals, cells.vcov
    else:
        est = np.divide(
            cells.totals,
            np.repeat(wsum, n_lev),
            out=np.full(k * n_lev, np.nan),
            where=np.repeat(wsum, n_lev) > 0,
        )
        if cells.replicates is not None and isinstance(design, ReplicateDesign):
            reps = cells.replicates.reshape(-1, k, n_lev)
            with np.errstate(invalid="ignore", divide="ignore"):
                rep_p = (reps / reps.sum(axis=2, keepdims=True)).reshape(-1, k * n_lev)
            vcov = replicate_variance(
                rep_p, est, scale=design.scale, rscales=design.rscales, mse=design.mse
            )
        else:
            jac = np.zeros((k * n_lev, k * n_lev))
            for d in range(k):
                span = slice(d * n_lev, (d + 1) * n_lev)
                if wsum[d] > 0:
                    p = est[span]
                    jac[span, span] = (np.eye(n_lev) - p[:, None]) / wsum[d]
            vcov = jac @ cells.vcov @ jac.T
    labels = tuple(
        {**dom.labels[d], name: fac.levels[lvl]} for d in range(k) for lvl in range(n_lev)
    )
    return Estimate(
        statistic="proportion" if statistic == "mean" else "total",
        variable=name,
        domains=labels,
        estimate=est,
        vcov=vcov,
        df=interval_df(dfs, design, df),
        deff=np.full(k * n_lev, np.nan),
        n=cells.count,
        weight_sum=np.repeat(wsum, n_lev),
        design_df=float(design.degf),
        ci_method=CIMethod.WALD,
        level=level,
        reliability=reliability,
    )


def svy_factor_mean(
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
    """Share of each level of a categorical variable, with their joint covariance.

    R: ``svymean(~factor(y), design)``; with ``by``,
    ``svyby(~factor(y), ~g, design, svymean, covmat=TRUE)``. Every level
    (of all rows) is an entry, domains labelled ``{by..., name: level}``;
    Wald intervals (statistic ``proportion``, so ``confint(method="logit")``
    works too).

    Example:
        >>> from sampling.design import SurveyDesign
        >>> d = SurveyDesign(weights=[1.0, 1.0, 2.0, 4.0], psu=[1, 2, 3, 4])
        >>> svy_factor_mean(["a", "b", "a", "c"], d).estimate.tolist()
        [0.375, 0.125, 0.5]
    """
    return _factor_estimate("mean", y, design, by, na_rm, name, level, reliability, df)


def svy_factor_total(
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
    """Estimated population count of each level, with their joint covariance.

    R: ``svytotal(~factor(y), design)``.

    Example:
        >>> from sampling.design import SurveyDesign
        >>> d = SurveyDesign(weights=[1.0, 1.0, 2.0, 4.0], psu=[1, 2, 3, 4])
        >>> svy_factor_total(["a", "b", "a", "c"], d).estimate.tolist()
        [3.0, 1.0, 4.0]
    """
    return _factor_estimate("total", y, design, by, na_rm, name, level, reliability, df)


def _cross(
    variables: Mapping[str, ArrayLike], n: int
) -> tuple[IntArray, list[str], list[FactorLevels]]:
    """Cell code of every row (first variable varies slowest; -1 if any value is missing)."""
    names = list(variables)
    if not names:
        raise SamplingError("a table needs at least one variable", param="table")
    facs = [factor_levels(variables[nm], n, nm) for nm in names]
    cell = np.zeros(n, dtype=np.intp)
    ok = np.ones(n, dtype=bool)
    for f in facs:
        cell = cell * max(len(f.levels), 1) + np.maximum(f.codes, 0)
        ok &= f.codes >= 0
    return np.where(ok, cell, -1), names, facs


def svy_table(
    variables: Mapping[str, ArrayLike],
    design: Design,
    *,
    level: float = 0.95,
    reliability: Reliability = DEFAULT_RELIABILITY,
) -> Estimate:
    """Estimated population count in every cell of a cross-table, with covariances.

    The estimates are R's ``svytable(~a + b, design)`` (weighted counts; every
    combination of the levels, empty cells 0); their covariance is that of
    ``svytotal(~interaction(a, b), design)``. Rows with a missing value are in
    no cell. Domains are labelled ``{a: level, b: level}``, the first
    variable varying slowest.

    Example:
        >>> from sampling.design import SurveyDesign
        >>> d = SurveyDesign(weights=[1.0, 2.0, 3.0, 4.0], psu=[1, 2, 3, 4])
        >>> t = svy_table({"a": ["x", "x", "y", "y"], "b": [1, 2, 1, 1]}, d)
        >>> t.estimate.tolist()
        [1.0, 2.0, 7.0, 0.0]
    """
    check_design(design)
    cell, names, facs = _cross(variables, design.n)
    sizes = [len(f.levels) for f in facs]
    k = int(np.prod(sizes))
    cells = _cell_totals(cell, k, design)
    labels = []
    for flat in range(k):
        rest, digits = flat, []
        for size in reversed(sizes):
            digits.append(rest % size)
            rest //= size
        digits.reverse()
        labels.append({nm: f.levels[j] for nm, f, j in zip(names, facs, digits, strict=True)})
    everyone = np.where(cell >= 0, 0, -1)
    dfs = np.full(k, _domain_df(design, everyone, 1)[0])
    return Estimate(
        statistic="total",
        variable=" x ".join(names),
        domains=tuple(labels),
        estimate=cells.totals,
        vcov=cells.vcov,
        df=dfs,
        deff=np.full(k, np.nan),
        n=cells.count,
        weight_sum=cells.totals,
        design_df=float(design.degf),
        level=level,
        reliability=reliability,
    )


def svy_chisq(
    rows: ArrayLike,
    columns: ArrayLike,
    design: Design,
    *,
    statistic: str = "F",
    names: Sequence[str] = ("row", "col"),
) -> HypothesisTest:
    """Rao-Scott test of independence of two categorical variables (R's ``svychisq``).

    See the module docstring for the formulas (Rao & Scott 1984; Lumley 2010,
    §6.1). ``statistic="F"`` (default, second order) or ``"Chisq"`` (first
    order). ``nu`` is PSUs minus strata of the whole design (R uses every row,
    also those of other domains) or the replicate design's df. Rows with a
    missing value are left out (R's ``na.rm=TRUE``).

    Returns:
        A :class:`HypothesisTest`: statistic ``rao_scott`` (F) or
        ``rao_scott_chisq``; ``chisq`` is Pearson's X^2 of the table scaled to
        the number of rows.

    Raises:
        SamplingError: an unknown statistic, a variable with fewer than two levels, or
            a table whose empty cells make the test singular.
    """
    check_design(design)
    if statistic not in ("F", "Chisq"):
        raise SamplingError(
            "unknown Rao-Scott statistic", param="statistic", got=statistic, expected="F | Chisq"
        )
    n = design.n
    a = factor_levels(rows, n, names[0])
    b = factor_levels(columns, n, names[1])
    nr, nc = len(a.levels), len(b.levels)
    if nr < 2 or nc < 2:
        raise SamplingError(
            "a test of association needs two variables with at least two levels each",
            param="table",
            got=(nr, nc),
        )
    # R's interaction(factor(rows), factor(cols)): the row variable varies fastest
    ok = (a.codes >= 0) & (b.codes >= 0)
    cell = np.where(ok, a.codes + nr * b.codes, -1)
    k = nr * nc
    cells = _cell_totals(cell, k, design)
    total = cells.totals.sum()
    p = cells.totals / total
    if isinstance(design, ReplicateDesign):
        reps = cells.replicates
        if reps is None:
            raise SamplingError("replicate totals are missing", param="design")
        rep_p = reps / reps.sum(axis=1, keepdims=True)
        v = replicate_variance(rep_p, p, scale=design.scale, rscales=design.rscales, mse=design.mse)
        nu = float(design.degf)
    else:
        jac = (np.eye(k) - p[:, None]) / total
        v = jac @ cells.vcov @ jac.T
        nu = float(design.n_psu - design.n_strata)
    big_n = float(n)
    grid_r = np.tile(np.arange(nr), nc)
    grid_c = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(k)]
        + [(grid_r == i).astype(float) for i in range(1, nr)]
        + [(grid_c == j).astype(float) for j in range(1, nc)]
    )
    x12 = np.column_stack(
        [((grid_r == i) & (grid_c == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    coef, *_ = np.linalg.lstsq(x1, x12, rcond=None)
    cmat = x12 - x1 @ coef
    inv_p = np.divide(1.0, p, out=np.zeros(k), where=p != 0)
    denom = cmat.T @ (cmat * (inv_p / big_n)[:, None])
    if np.linalg.matrix_rank(denom) < denom.shape[0]:
        # empty cells leave the interaction contrasts without information (a table where
        # each group is all in its own category): R's svychisq stops, "system is
        # computationally singular"; solving anyway gave F near 0 and p near 1
        raise SamplingError(
            "the table has too many empty cells for the Rao-Scott test (R: computationally "
            "singular)",
            param="table",
            got=int(np.sum(p == 0)),
        )
    numr = (cmat * inv_p[:, None]).T @ v @ (cmat * inv_p[:, None])
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr**2 / float(np.trace(delta @ delta))
    table = (cells.totals * big_n / total).reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        x2 = float(np.sum((table - expected) ** 2 / expected))
    label = f"{names[0]} x {names[1]}"
    if statistic == "F":
        f = x2 / tr
        pval = float(special_functions().fdtrc(d0, d0 * nu, f)) if nu > 0 else math.nan
        return HypothesisTest(
            "rao_scott", label, f, d0, d0 * nu, pval, x2, "Pearson X^2, Rao-Scott second order F"
        )
    df1 = float((nr - 1) * (nc - 1))
    adjusted = x2 / float(np.mean(np.diag(delta)))
    return HypothesisTest(
        "rao_scott_chisq",
        label,
        adjusted / df1,
        df1,
        math.inf,
        float(special_functions().chdtrc(df1, adjusted)),
        x2,
        "Pearson X^2, Rao-Scott first order (chi-square)",
    )
