"""Small-area estimation: the Fay-Herriot area-level model and its EBLUP.

Town-level rates from 100-300 interviews are noisy. The Fay-Herriot model
(Fay & Herriot 1979; Rao & Molina 2015, ch. 6) links each town's direct
estimate to area covariates from administrative data:

    direct_i = theta_i + e_i,   e_i ~ N(0, D_i)      (D_i known sampling variance)
    theta_i  = x_i' beta + u_i,  u_i ~ N(0, A)        (A = sigma_u^2, model variance)

The EBLUP shrinks each direct estimate towards the regression ("synthetic")
estimate by the factor gamma_i = A / (A + D_i):

    theta_i^EBLUP = gamma_i * direct_i + (1 - gamma_i) * x_i' beta_hat.

A is estimated by REML or ML with Fisher scoring started at median(D) (as R's
``sae::eblupFH``). When the estimate is 0 (common with 14 areas), the policy
:class:`ZeroVariance` decides: the default ``ADJUSTED`` refits with the
Li & Lahiri (2010) adjusted likelihood ``log(A) + l(A)``, which is always
positive; ``SYNTHETIC`` keeps A = 0 so every EBLUP equals its synthetic
estimate (R sae's behaviour); ``FAIL`` raises. The MSE is the Prasad-Rao
second-order approximation with the Datta-Lahiri correction (see
:func:`fay_herriot`). The core takes plain arrays; :func:`fay_herriot_from_estimate`
is a thin adapter for domain estimates of :mod:`sampling` estimators.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any
from typing import cast

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling.errors import SmallAreaError

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: label printed beside model-based numbers (reports show direct estimates next to them)
MODEL_LABEL = "model-based (Fay-Herriot EBLUP) 模型估计"
DIRECT_LABEL = "direct (survey-weighted) 直接估计"


class VarianceMethod(Enum):
    """How the model variance A = sigma_u^2 is estimated (Rao & Molina 2015, §6.1.2)."""

    REML = "reml"
    ML = "ml"


class ZeroVariance(Enum):
    """What to do when the REML/ML estimate of sigma_u^2 is 0 (at the boundary).

    * ``ADJUSTED`` (default): refit with the Li & Lahiri (2010) adjusted
      likelihood ``log(A) + l(A)`` (adjusted REML or ML), which is strictly
      positive, so towns keep some weight on their own data. Recorded in
      :attr:`FayHerriotResult.fallback`.
    * ``SYNTHETIC``: keep A = 0; gamma_i = 0 and each EBLUP is the synthetic
      regression estimate x_i' beta (what R ``sae::eblupFH`` returns).
    * ``FAIL``: raise :class:`~sampling.errors.SmallAreaError`.
    """

    ADJUSTED = "adjusted"
    SYNTHETIC = "synthetic"
    FAIL = "fail"


@dataclass(frozen=True, slots=True, eq=False)
class FayHerriotResult:
    """Fay-Herriot EBLUPs beside the direct estimates (one entry per area).

    Sampled areas come first, in input order, then out-of-sample areas.

    Attributes:
        areas: area labels.
        in_sample: True where the area has a direct estimate.
        direct, direct_var: direct estimates and their sampling variances (NaN out of sample).
        estimate: EBLUP for sampled areas, synthetic x'beta for the others.
        mse: estimated MSE of ``estimate`` (Prasad-Rao; see :func:`fay_herriot`).
        gamma: shrinkage factor A / (A + D_i): the weight on the direct estimate (0 out of sample).
        synthetic: regression-synthetic estimates x_i' beta_hat.
        g1, g2, g3: the Prasad-Rao MSE components (g1 = A for out-of-sample areas).
        beta, beta_cov: GLS regression coefficients and their covariance (X'V^-1X)^-1.
        covariate_names: names of the columns of X (``"(intercept)"`` first when added).
        sigma2_u: estimated model variance A.
        method: REML or ML.
        fallback: the zero-variance policy applied, or None when A > 0 from REML/ML.
        iterations: Fisher-scoring iterations of the final fit.
        loglik: Gaussian log-likelihood at (beta_hat, A) (R sae's ``goodness["loglike"]``).
    """

    areas: tuple[str, ...]
    in_sample: NDArray[np.bool_]
    direct: FloatArray
    direct_var: FloatArray
    estimate: FloatArray
    mse: FloatArray
    gamma: FloatArray
    synthetic: FloatArray
    g1: FloatArray
    g2: FloatArray
    g3: FloatArray
    beta: FloatArray
    beta_cov: FloatArray
    covariate_names: tuple[str, ...]
    sigma2_u: float
    method: VarianceMethod
    fallback: ZeroVariance | None
    iterations: int
    loglik: float

    @property
    def rmse(self) -> FloatArray:
        """Root MSE of the model estimates."""
        return np.sqrt(self.mse)

    @property
    def direct_se(self) -> FloatArray:
        """Standard errors of the direct estimates (NaN out of sample)."""
        return np.sqrt(self.direct_var)

    def confint(self, level: float = 0.95) -> FloatArray:
        """Normal intervals estimate +- z * sqrt(mse): an (areas, 2) array."""
        if not 0 < level < 1:
            raise SmallAreaError("level must be in (0, 1)", param="level", got=level)
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + level / 2))
        half = z * self.rmse
        return np.column_stack([self.estimate - half, self.estimate + half])

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per area with direct and model numbers side by side, clearly labelled."""
        rows = []
        for i, area in enumerate(self.areas):
            rows.append(
                {
                    "area": area,
                    "in_sample": bool(self.in_sample[i]),
                    "direct": _none_if_nan(self.direct[i]),
                    "direct_se": _none_if_nan(math.sqrt(self.direct_var[i])),
                    "model": float(self.estimate[i]),
                    "model_rmse": float(math.sqrt(self.mse[i])),
                    "gamma": float(self.gamma[i]),
                    "synthetic": float(self.synthetic[i]),
                    "model_label": MODEL_LABEL if self.in_sample[i] else "synthetic 合成估计",
                    "direct_label": DIRECT_LABEL,
                }
            )
        return rows


def _none_if_nan(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _design_matrix(covariates: ArrayLike | None, m: int, intercept: bool, param: str) -> FloatArray:
    if covariates is None:
        cols = np.zeros((m, 0))
    else:
        cols = np.asarray(covariates, dtype=np.float64)
        if cols.ndim == 1:
            cols = cols.reshape(-1, 1)
        if cols.ndim != 2 or cols.shape[0] != m:
            raise SmallAreaError(
                f"{param} must have one row per area",
                param=param,
                got=cols.shape,
                expected=f"({m}, p)",
            )
        if not np.all(np.isfinite(cols)):
            bad = int(np.argwhere(~np.isfinite(cols))[0][0])
            raise SmallAreaError(
                f"{param} has a missing or infinite value in row {bad}",
                param=param,
                hint="impute the covariate or drop the area",
            )
    if intercept:
        cols = np.column_stack([np.ones(m), cols])
    if cols.shape[1] == 0:
        raise SmallAreaError(
            "the model has no covariates", param=param, hint="pass covariates or intercept=True"
        )
    return cols


def _gls(A: float, y: FloatArray, X: FloatArray, D: FloatArray) -> tuple[FloatArray, FloatArray]:
    w = 1.0 / (A + D)
    xtwx = (X.T * w) @ X
    try:
        Q = np.linalg.inv(xtwx)
    except np.linalg.LinAlgError as exc:
        raise SmallAreaError(
            "the covariates are collinear (X'V^-1X is singular)",
            param="covariates",
            hint="drop a redundant covariate or a dummy column",
        ) from exc
    beta = Q @ ((X.T * w) @ y)
    # numpy's stubs type inv's result as floating[Any]; a float64 matrix inverts to float64
    return beta, cast(FloatArray, Q)


def _score_info(
    A: float, y: FloatArray, X: FloatArray, D: FloatArray, method: VarianceMethod
) -> tuple[float, float]:
    """Score and Fisher information of the (restricted) log-likelihood in A.

    REML: s = -tr(P)/2 + y'P P y/2, I = tr(P P)/2;  ML: s = -tr(V^-1)/2 + y'P P y/2,
    I = tr(V^-2)/2, with P = V^-1 - V^-1 X (X'V^-1X)^-1 X'V^-1 (Rao & Molina 2015, §6.1.2).
    """
    w = 1.0 / (A + D)
    beta, Q = _gls(A, y, X, D)
    py = w * (y - X @ beta)  # P y = V^-1 (y - X beta_hat)
    quad = float(py @ py)
    if method is VarianceMethod.ML:
        return -0.5 * float(w.sum()) + 0.5 * quad, 0.5 * float((w * w).sum())
    WX = X * w[:, None]
    P = np.diag(w) - WX @ Q @ WX.T
    return -0.5 * float(np.trace(P)) + 0.5 * quad, 0.5 * float((P * P).sum())


def _fisher_scoring(
    y: FloatArray,
    X: FloatArray,
    D: FloatArray,
    method: VarianceMethod,
    *,
    adjusted: bool,
    tol: float,
    max_iter: int,
) -> tuple[float, int]:
    """Maximise l(A) (or log A + l(A) when ``adjusted``) over A >= 0 by Fisher scoring."""
    scale = float(np.median(D))
    A = scale
    for k in range(1, max_iter + 1):
        s, info = _score_info(A, y, X, D, method)
        if adjusted:
            s += 1.0 / A
            info += 1.0 / A**2
        step = s / info
        new = A + step
        if adjusted:
            while new <= 0:  # stay inside (0, inf): halve the step
                step /= 2
                new = A + step
        elif new <= 0:
            s0, _ = _score_info(0.0, y, X, D, method)
            if s0 <= 0:  # the likelihood decreases from A = 0: boundary maximum
                return 0.0, k
            new = A / 2
        if abs(new - A) <= tol * scale:
            return new, k
        A = new
    raise SmallAreaError(
        f"Fisher scoring for sigma_u^2 did not converge in {max_iter} iterations",
        param="max_iter",
        got=max_iter,
        hint="raise max_iter or check the direct variances",
    )


def fay_herriot(
    direct: ArrayLike,
    variances: ArrayLike,
    covariates: ArrayLike | None = None,
    *,
    areas: Sequence[str] | None = None,
    intercept: bool = True,
    covariate_names: Sequence[str] | None = None,
    method: VarianceMethod | str = VarianceMethod.REML,
    zero_variance: ZeroVariance | str = ZeroVariance.ADJUSTED,
    out_of_sample: ArrayLike | None = None,
    out_of_sample_areas: Sequence[str] | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> FayHerriotResult:
    """Fit the Fay-Herriot model and return EBLUPs with Prasad-Rao MSEs.

    Formula (Rao & Molina 2015, §6.1-6.2; Prasad & Rao 1990; Datta & Lahiri 2000):
    with V_i = A + D_i, beta_hat = (X'V^-1X)^-1 X'V^-1 y, B_i = D_i / V_i = 1 - gamma_i,

        g1_i = gamma_i D_i,   g2_i = B_i^2 x_i'(X'V^-1X)^-1 x_i,
        g3_i = B_i^2 Vbar(A) / V_i,   Vbar(A) = 2 / sum_j V_j^-2,
        REML: mse_i = g1_i + g2_i + 2 g3_i,
        ML:   mse_i = g1_i + g2_i + 2 g3_i - b_ML B_i^2,
              b_ML = -tr[(X'V^-1X)^-1 X'V^-2 X] / sum_j V_j^-2   (bias of the ML estimator of A).

    These are exactly R ``sae::mseFH``'s formulas. Under the ``ADJUSTED`` fallback
    the same expression is evaluated at the adjusted estimate, leaving out the
    O(1/m) bias term of the adjusted estimator (Li & Lahiri 2010), which would be
    subtracted: the reported MSE is therefore conservative. Out-of-sample areas
    get the synthetic estimate x'beta_hat with mse = A + x'(X'V^-1X)^-1 x
    (the regression-synthetic estimator for non-sampled areas, Rao & Molina 2015, ch. 6).

    Args:
        direct: (m,) direct estimates of the sampled areas.
        variances: (m,) their sampling variances D_i (> 0; treated as known).
        covariates: (m, p) area covariates (without intercept column), or None.
        areas: labels of the sampled areas (default "1".."m").
        intercept: prepend a column of ones.
        covariate_names: names of the covariate columns.
        method: ``"reml"`` (default) or ``"ml"``.
        zero_variance: policy when A is estimated at 0 (see :class:`ZeroVariance`).
        out_of_sample: (k, p) covariates of areas without a direct estimate.
        out_of_sample_areas: their labels.
        tol: convergence tolerance on A, relative to median(D).
        max_iter: Fisher-scoring iterations allowed.

    Returns:
        A frozen :class:`FayHerriotResult`.

    Raises:
        SmallAreaError: bad lengths, non-positive or non-finite variances, fewer areas
            than coefficients + 1, collinear covariates, no convergence, or A = 0 with
            ``zero_variance="fail"``.

    Example:
        >>> r = fay_herriot([0.10, 0.21, 0.15, 0.30, 0.12], [0.001, 0.002, 0.001, 0.004, 0.002],
        ...                 [[0.2], [0.5], [0.4], [0.9], [0.3]])
        >>> bool(((r.gamma >= 0) & (r.gamma <= 1)).all())
        True
    """
    method = VarianceMethod(method) if isinstance(method, str) else method
    zero_variance = ZeroVariance(zero_variance) if isinstance(zero_variance, str) else zero_variance
    y = np.asarray(direct, dtype=np.float64).ravel()
    D = np.asarray(variances, dtype=np.float64).ravel()
    m = y.size
    if D.size != m:
        raise SmallAreaError(
            "direct and variances must have the same length",
            param="variances",
            got=D.size,
            expected=m,
        )
    if not np.all(np.isfinite(y)):
        raise SmallAreaError(
            f"direct estimate of area {int(np.argwhere(~np.isfinite(y))[0][0])} is missing",
            param="direct",
            hint="drop the area from the model and pass it as out_of_sample",
        )
    if not np.all(np.isfinite(D) & (D > 0)):
        bad = int(np.argwhere(~(np.isfinite(D) & (D > 0)))[0][0])
        raise SmallAreaError(
            f"sampling variance of area {bad} must be finite and > 0",
            param="variances",
            got=float(D[bad]),
            hint="a rate of 0 or 1 has variance 0: smooth the variances (e.g. a generalised "
            "variance function) before fitting",
        )
    X = _design_matrix(covariates, m, intercept, "covariates")
    p = X.shape[1]
    if m <= p:
        raise SmallAreaError(
            "need more areas than regression coefficients",
            param="covariates",
            got=f"{m} areas, {p} coefficients",
            hint="use fewer covariates",
        )
    labels = _labels(areas, m, "areas", "")
    names = _covariate_names(covariate_names, X.shape[1] - int(intercept), intercept)

    A, iterations = _fisher_scoring(y, X, D, method, adjusted=False, tol=tol, max_iter=max_iter)
    fallback: ZeroVariance | None = None
    if A == 0.0:
        if zero_variance is ZeroVariance.FAIL:
            raise SmallAreaError(
                f"the {method.name} estimate of sigma_u^2 is 0",
                param="zero_variance",
                got="fail",
                hint='use zero_variance="adjusted" (Li-Lahiri) or "synthetic"',
            )
        fallback = zero_variance
        if zero_variance is ZeroVariance.ADJUSTED:
            free = m - p if method is VarianceMethod.REML else m
            if free <= 2:  # A * L(A) has no maximum unless m - p > 2 (REML) / m > 2 (ML)
                raise SmallAreaError(
                    "the adjusted likelihood needs more than 2 residual degrees of freedom",
                    param="zero_variance",
                    got=f"{m} areas, {p} coefficients",
                    hint='use zero_variance="synthetic" or fewer covariates',
                )
            A, iterations = _fisher_scoring(
                y, X, D, method, adjusted=True, tol=tol, max_iter=max_iter
            )
        logger.warning(
            "sigma_u^2 estimated at 0 by %s; fallback %s gives %.6g",
            method.name,
            zero_variance.value,
            A,
        )

    beta, Q = _gls(A, y, X, D)
    V = A + D
    gamma = A / V
    B = D / V
    synthetic = X @ beta
    estimate = synthetic + gamma * (y - synthetic)
    sum_w2 = float((1.0 / V**2).sum())
    g1 = gamma * D
    g2 = B**2 * np.einsum("ij,jk,ik->i", X, Q, X)
    g3 = B**2 * (2.0 / sum_w2) / V
    mse = g1 + g2 + 2.0 * g3
    if method is VarianceMethod.ML:
        b_ml = -float(np.trace(Q @ ((X.T / V**2) @ X))) / sum_w2
        mse = mse - b_ml * B**2
    resid = y - synthetic
    loglik = -0.5 * float(np.sum(np.log(2 * np.pi * V) + resid**2 / V))

    parts = _out_of_sample(out_of_sample, out_of_sample_areas, intercept, X.shape[1], beta, Q, A)
    k = parts[0].size
    nan = np.full(k, np.nan)
    return FayHerriotResult(
        areas=labels + parts[3],
        in_sample=np.concatenate([np.ones(m, dtype=bool), np.zeros(k, dtype=bool)]),
        direct=np.concatenate([y, nan]),
        direct_var=np.concatenate([D, nan]),
        estimate=np.concatenate([estimate, parts[0]]),
        mse=np.concatenate([mse, parts[1]]),
        gamma=np.concatenate([gamma, np.zeros(k)]),
        synthetic=np.concatenate([synthetic, parts[0]]),
        g1=np.concatenate([g1, np.full(k, A)]),
        g2=np.concatenate([g2, parts[2]]),
        g3=np.concatenate([g3, np.zeros(k)]),
        beta=beta,
        beta_cov=Q,
        covariate_names=names,
        sigma2_u=float(A),
        method=method,
        fallback=fallback,
        iterations=iterations,
        loglik=loglik,
    )


def _labels(areas: Sequence[str] | None, m: int, param: str, prefix: str) -> tuple[str, ...]:
    if areas is None:
        return tuple(f"{prefix}{i + 1}" for i in range(m))
    labels = tuple(str(a) for a in areas)
    if len(labels) != m:
        raise SmallAreaError(f"{param} must have one label per area", param=param, got=len(labels))
    if len(set(labels)) != m:
        dup = next(a for a in labels if labels.count(a) > 1)
        raise SmallAreaError(f"area {dup!r} appears twice in {param}", param=param, got=dup)
    return labels


def _covariate_names(names: Sequence[str] | None, p: int, intercept: bool) -> tuple[str, ...]:
    given = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(p))
    if len(given) != p:
        raise SmallAreaError(
            "covariate_names must name every covariate column",
            param="covariate_names",
            got=len(given),
            expected=p,
        )
    return (("(intercept)",) if intercept else ()) + given


def _out_of_sample(
    covariates: ArrayLike | None,
    areas: Sequence[str] | None,
    intercept: bool,
    p: int,
    beta: FloatArray,
    Q: FloatArray,
    A: float,
) -> tuple[FloatArray, FloatArray, FloatArray, tuple[str, ...]]:
    if covariates is None:
        empty = np.zeros(0)
        return empty, empty, empty, ()
    raw = np.asarray(covariates, dtype=np.float64)
    k = raw.shape[0] if raw.ndim >= 1 else 0
    Xo = _design_matrix(raw, k, intercept, "out_of_sample")
    if Xo.shape[1] != p:
        raise SmallAreaError(
            "out_of_sample must have the same covariate columns as covariates",
            param="out_of_sample",
            got=Xo.shape[1] - int(intercept),
            expected=p - int(intercept),
        )
    synthetic = Xo @ beta
    g2 = np.einsum("ij,jk,ik->i", Xo, Q, Xo)
    return synthetic, A + g2, g2, _labels(areas, k, "out_of_sample_areas", "out")


def fay_herriot_from_estimate(
    estimate: Any,
    covariates: Mapping[str, Sequence[float]],
    *,
    covariate_names: Sequence[str] | None = None,
    **kwargs: Any,
) -> FayHerriotResult:
    """Fit :func:`fay_herriot` to the domain estimates of one ``by=`` estimate.

    ``estimate`` is any object with ``estimate`` (k,), ``vcov`` (k, k) and
    ``domains`` (k mappings, e.g. ``{"town": "fotang"}``), such as
    :class:`sampling.results.Estimate`. The diagonal of ``vcov`` gives D_i (the
    off-diagonal covariances are ignored, as the Fay-Herriot model assumes).
    Areas in ``covariates`` without a domain estimate are predicted synthetically.

    Args:
        estimate: a domain estimate (one entry per area).
        covariates: area label -> covariate values (same order for every area).
        covariate_names: names of the covariate values.
        **kwargs: passed on to :func:`fay_herriot` (method, zero_variance, ...).

    Returns:
        :class:`FayHerriotResult`.

    Raises:
        SmallAreaError: an estimated area has no covariates.

    Example:
        ``fay_herriot_from_estimate(svy_mean(y, design.by("town")), town_covariates)``
    """
    labels = [str(next(iter(d.values()))) if d else "all" for d in estimate.domains]
    missing = [a for a in labels if a not in covariates]
    if missing:
        raise SmallAreaError(
            f"no covariates for area {missing[0]!r}",
            param="covariates",
            got=missing,
            hint="add a row for every town/street with a direct estimate",
        )
    direct = np.asarray(estimate.estimate, dtype=np.float64)
    variances = np.diag(np.asarray(estimate.vcov, dtype=np.float64)).copy()
    others = [a for a in covariates if a not in set(labels)]
    return fay_herriot(
        direct,
        variances,
        [list(covariates[a]) for a in labels],
        areas=labels,
        covariate_names=covariate_names,
        out_of_sample=[list(covariates[a]) for a in others] if others else None,
        out_of_sample_areas=others or None,
        **kwargs,
    )
