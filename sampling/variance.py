"""One variance engine: Taylor linearisation and replicate variance.

Every linearisation estimator in :mod:`sampling.estimation` hands its scores
(influence values, one column per statistic) to :func:`taylor_variance`,
which follows R's ``svyrecvar`` (Lumley 2010, §2.2 and appendix; Särndal,
Swensson & Wretman 1992, §4.3):

1. for each calibration step on the design, replace the scores by
   calibrated-weight residuals of the weighted regression on the calibration
   variables (Deville & Särndal 1992), as R does for ``calibrate()``,
   ``postStratify()`` and our raking;
2. sum the scores within first-stage units, centre them within strata and add
   ``(1 - f_h) n_h / (n_h - 1) * sum (t_hi - mean_h)^2`` over strata;
3. when the design has an fpc for later stages, add the within-unit variance
   of each later stage multiplied by the product of the earlier sampling
   fractions (the unbiased multistage estimator).

:func:`replicate_variance` is R's ``svrVar``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import group_sum
from sampling._model import group_fitted
from sampling._model import solve_normal
from sampling._model import weighted_residuals
from sampling._model import xtdz_coded
from sampling.design import CalibrationRecord
from sampling.design import LonelyPSU
from sampling.design import StageIndex
from sampling.design import SurveyDesign
from sampling.errors import DesignError
from sampling.errors import SinglePSUError

logger = logging.getLogger(__name__)

#: R treats a stage whose finite population correction is below this as a census.
CENSUS_TOLERANCE = 1e-7


def taylor_variance(scores: ArrayLike, design: SurveyDesign) -> FloatArray:
    """Linearisation (Taylor) covariance matrix of estimators with the given scores.

    For estimator ``theta`` with influence values (scores) ``z_i`` (e.g.
    ``z_i = w_i (y_i - ybar) / sum(w)`` for a mean), the variance under a
    stratified multistage design is, at stage 1,

    ``V = sum_h (1 - n_h/N_h) n_h/(n_h - 1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'``

    where ``z_hi`` is the sum of the scores in PSU ``i`` of stratum ``h``,
    plus the later-stage terms when every stage has an fpc (R's ``svyrecvar``;
    Lumley 2010 §2.2; Cochran 1977 §11.9 for the two-stage formula). Scores of
    calibrated designs are first replaced by regression residuals.

    Args:
        scores: shape (n,) or (n, k), one row per design row (zero outside a domain).
        design: the survey design.

    Returns:
        The (k, k) covariance matrix.

    Raises:
        SinglePSUError: a stratum has a single PSU and the policy is ``FAIL``.
        DesignError: the scores have the wrong number of rows.

    Example:
        >>> d = SurveyDesign(weights=[1.0, 1.0, 1.0, 1.0], strata=[1, 1, 2, 2])
        >>> float(taylor_variance([1.0, 3.0, 2.0, 2.0], d)[0, 0])
        4.0
    """
    z = np.asarray(scores, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2 or z.shape[0] != design.n:
        raise DesignError(
            "scores must have one row per design row",
            param="scores",
            got=z.shape,
            expected=f"({design.n}, k)",
        )
    active = design.weights > 0
    return _taylor(z, design, active_rows=active, active_cols=None)


def taylor_variance_coded(
    values: FloatArray, columns: IntArray, k: int, design: SurveyDesign
) -> FloatArray:
    """:func:`taylor_variance` for scores with at most one non-zero column per row.

    Domain estimators produce such scores (a row belongs to one domain), so the
    unit totals are one :func:`numpy.bincount` over ``unit * k + column``;
    ``columns`` is -1 for rows in no domain.
    """
    if len(design.calibrations) > 1:
        dense = np.zeros((design.n, k))
        rows = np.flatnonzero(columns >= 0)
        dense[rows, columns[rows]] = values[rows]
        return _taylor(dense, design, active_rows=None, active_cols=columns)
    return _taylor_coded(values, columns, k, design)


def _taylor(
    z: FloatArray,
    design: SurveyDesign,
    *,
    active_rows: NDArray[np.bool_] | None,
    active_cols: IntArray | None,
) -> FloatArray:
    k = z.shape[1]
    single = design.calibrations[0] if len(design.calibrations) == 1 else None
    if single is not None:
        # one calibration: unit totals of the residuals w (z/w - X b) are the unit
        # totals of z minus those of w X b, which group sums give without an (n, k) array
        zt = _over_weights(z, single.weights_after)
        beta = solve_normal(
            single.model, single.weights_before, single.model.xtdz(single.weights_before, zt)
        )
    else:
        for record in design.calibrations:
            z = calibration_residuals(z, record)
    v = np.zeros((k, k))
    for number, stage in enumerate(design.stages, start=1):
        totals = group_sum(stage.unit, stage.n_units, z)
        if single is not None:
            totals -= group_fitted(
                single.model, stage.unit, stage.n_units, single.weights_after, beta
            )
        v += _stage_variance(
            totals,
            stage,
            number,
            design.lonely_psu,
            partial(_presence, stage, k, active_rows, active_cols),
        )
    return v


def _taylor_coded(
    values: FloatArray, columns: IntArray, k: int, design: SurveyDesign
) -> FloatArray:
    rows = columns >= 0
    v = np.zeros((k, k))
    everyone = bool(rows.all())
    vals = values if everyone else values[rows]
    cols = columns if everyone else columns[rows]
    single = design.calibrations[0] if design.calibrations else None
    if single is not None:
        d = single.weights_before
        zt = _over_weights(values, single.weights_after)
        beta = solve_normal(single.model, d, xtdz_coded(single.model, d, zt, columns, k))
    for number, stage in enumerate(design.stages, start=1):
        keys = stage.unit * k + cols if everyone else stage.unit[rows] * k + cols
        totals = group_sum(keys, stage.n_units * k, vals).reshape(stage.n_units, k)
        if single is not None:
            totals -= group_fitted(
                single.model, stage.unit, stage.n_units, single.weights_after, beta
            )
        v += _stage_variance(
            totals,
            stage,
            number,
            design.lonely_psu,
            partial(_presence, stage, k, None, columns),
        )
    return v


def _presence(
    stage: StageIndex,
    k: int,
    active_rows: NDArray[np.bool_] | None,
    active_cols: IntArray | None,
) -> NDArray[np.bool_]:
    """(groups, k): does the group have a row with non-zero weight for column j?"""
    row_group = stage.group[stage.unit]
    if active_cols is not None:
        rows = active_cols >= 0
        keys = row_group[rows] * k + active_cols[rows]
        counts = np.bincount(keys, minlength=stage.n_groups * k)
        return (counts > 0).reshape(stage.n_groups, k)
    rows_mask = active_rows if active_rows is not None else np.ones(row_group.shape[0], bool)
    counts = np.bincount(row_group[rows_mask], minlength=stage.n_groups)
    return np.repeat((counts > 0)[:, None], k, axis=1)


def _stage_variance(
    totals: FloatArray,
    stage: StageIndex,
    number: int,
    policy: LonelyPSU,
    presence: Callable[[], NDArray[np.bool_]],
) -> FloatArray:
    """Between-unit variance within groups for one stage (R's ``onestage``/``onestrat``).

    ``presence()`` gives, per group and column, whether the group has a row with
    weight > 0 (computed only when there are lonely units).
    """
    n_h = stage.sampled
    pop = stage.population
    f = np.ones_like(n_h)
    finite = np.isfinite(pop)
    f[finite] = (pop[finite] - n_h[finite]) / pop[finite]
    census = f < CENSUS_TOLERANCE
    scale = f.copy()
    many = n_h > 1
    scale[many] = f[many] * n_h[many] / (n_h[many] - 1.0)
    scale *= stage.ancestor_fraction
    scale[census] = 0.0
    means = group_sum(stage.group, stage.n_groups, totals) / n_h[:, None]
    dev = totals - means[stage.group]
    lonely = (n_h == 1) & ~census
    factor = None
    if lonely.any():
        present = presence()
        lonely_present = lonely & present.any(axis=1)
        if policy is LonelyPSU.FAIL and lonely_present.any():
            g = int(np.flatnonzero(lonely_present)[0])
            raise SinglePSUError(
                f"{stage.group_label(g)} has only one PSU at stage {number}",
                param="lonely_psu",
                got="fail",
                expected="a stratum with at least two sampled PSUs",
                hint="collapse strata, or choose lonely_psu certainty, adjust or average",
            )
        if policy is LonelyPSU.CERTAINTY:
            scale[lonely] = 0.0
        elif policy is LonelyPSU.ADJUST:
            lonely_units = lonely[stage.group]
            dev[lonely_units] = totals[lonely_units]
        elif policy is LonelyPSU.AVERAGE:
            if number > 1 and lonely_present.any():
                g = int(np.flatnonzero(lonely_present)[0])
                raise SinglePSUError(
                    f"{stage.group_label(g)} has only one sampled unit at stage {number}",
                    param="lonely_psu",
                    got="average",
                    hint="'average' is defined for first-stage strata only; use adjust",
                )
            scale[lonely] = 0.0
            n_present = present.sum(axis=0).astype(np.float64)
            n_ok = (present & ~lonely[:, None]).sum(axis=0).astype(np.float64)
            if np.any((n_ok == 0) & (n_present > 0)):
                raise SinglePSUError(
                    "every stratum has a single PSU: 'average' has nothing to average",
                    param="lonely_psu",
                    got="average",
                )
            ratio = np.ones_like(n_present)
            ok = n_ok > 0
            ratio[ok] = n_present[ok] / n_ok[ok]
            factor = np.sqrt(ratio)
    unit_scale = scale[stage.group]
    v = (dev * unit_scale[:, None]).T @ dev
    if factor is not None:
        v = v * np.outer(factor, factor)
    return v


def _over_weights(z: FloatArray, w: FloatArray) -> FloatArray:
    """``z / w`` where ``w > 0``, else 0 (rows outside the calibrated sample)."""
    out = np.zeros_like(z)
    pos = w > 0
    if z.ndim == 1:
        out[pos] = z[pos] / w[pos]
    else:
        out[pos] = z[pos] / w[pos, None]
    return out


def calibration_residuals(z: FloatArray, record: CalibrationRecord) -> FloatArray:
    """Scores after a calibration step: ``w * (z/w - X b)``, ``b`` the d-weighted LS fit.

    ``X`` holds the intercept, treatment dummies of the categorical margins and
    the numeric calibration variables; ``d`` are the weights before the step
    and ``w`` right after it. This is R's ``qr.resid(qr(X sqrt(d)), z/(g sqrt(d))) g
    sqrt(d)`` (``svyrecvar`` with a ``greg_calibration`` entry; Särndal et al.
    1992, §6.6).
    """
    w = record.weights_after
    zt = np.zeros_like(z)
    pos = w > 0
    zt[pos] = z[pos] / w[pos, None]
    return w[:, None] * weighted_residuals(record.model, record.weights_before, zt)


def replicate_variance(
    replicates: ArrayLike,
    estimate: ArrayLike,
    *,
    scale: float,
    rscales: ArrayLike,
    mse: bool = False,
) -> FloatArray:
    """Replicate covariance ``scale * sum_r rscale_r (theta_r - c)(theta_r - c)'``.

    ``c`` is the mean of the replicates (R's default) or, with ``mse=True``,
    the full-sample estimate (R's ``svrVar``; Wolter 2007, ch. 3-5).

    Args:
        replicates: (R, k) replicate estimates.
        estimate: (k,) full-sample estimates.
        scale: overall multiplier (e.g. (n-1)/n for JK1).
        rscales: (R,) per-replicate multipliers.
        mse: centre at the full-sample estimate instead of the replicate mean.

    Returns:
        The (k, k) covariance matrix.

    Example:
        >>> float(replicate_variance([[1.0], [3.0]], [2.0], scale=0.5, rscales=[1, 1])[0, 0])
        1.0
    """
    reps = np.asarray(replicates, dtype=np.float64)
    if reps.ndim == 1:
        reps = reps[:, None]
    rs = np.asarray(rscales, dtype=np.float64).reshape(-1)
    est = np.asarray(estimate, dtype=np.float64).reshape(-1)
    if mse:
        center = est
    else:
        center = reps[rs > 0].mean(axis=0)
    dev = reps - center
    return float(scale) * ((dev * rs[:, None]).T @ dev)
