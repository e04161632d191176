"""Design-based generalised linear models: R's ``svyglm`` and ``regTermTest``.

:func:`svy_glm` fits a gaussian (identity link) or quasi-binomial (logit
link) model by weighted maximum (quasi-)likelihood with the survey weights
(Binder 1983; Lumley 2010, ch. 5):

* coefficients ``b`` solve ``sum_i w_i x_i (y_i - mu_i) = 0`` (IRLS, iterated
  to convergence);
* Taylor variance ``A^-1 V(u) A^-1``: the scores ``u_i = w_i x_i (y_i - mu_i)``
  go to the one variance engine, :func:`sampling.variance.taylor_variance`, so
  strata, clusters, fpc, lonely PSUs and calibration are handled as for means,
  and ``A = sum_i w_i v_i x_i x_i'`` (``v = 1`` gaussian, ``mu (1 - mu)``
  binomial). R's ``svy.varcoef`` passes ``estfun %*% Ainv`` to ``svyrecvar``
  instead; the design variance is a quadratic form in the scores, so the two are
  the same matrix;
* replicate variance: the model is refitted with every replicate's weights
  (starting at ``b``) and the replicate coefficients go to
  :func:`sampling.variance.replicate_variance` (R's ``svyglm.svyrep.design``);
* residual degrees of freedom ``degf(design) + 1 - p`` (R's
  ``df.residual``), used for t intervals, p-values and as the denominator df
  of Wald F tests of terms (R's ``regTermTest``: ``F = b' V^-1 b / q`` on
  ``q`` and ``df.residual`` df).

Formulas use statsmodels' syntax and column names (:mod:`sampling.formula`),
e.g. ``C(sex)[T.2]`` where R writes ``factor(sex)2``.

Speed (bench/bench_glm.py): the sums of IRLS (``X' W X``, ``X' W (y - mu)``) are
taken over blocks of :data:`BLOCK_ROWS` rows, so each iteration reads the model
matrix from memory once, and the Gram matrix of a block is one symmetric BLAS
product; the model matrix is column-major, so the PSU totals of the scores are
contiguous sums.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling.design import SurveyDesign
from sampling.design import design_df
from sampling.errors import ConvergenceError
from sampling.errors import SamplingError
from sampling.estimation import Design
from sampling.estimation import check_design
from sampling.formula import ModelFrame
from sampling.formula import model_frame
from sampling.intervals import CIMethod
from sampling.intervals import special_functions
from sampling.replicates import ReplicateDesign
from sampling.results import DEFAULT_RELIABILITY
from sampling.results import Estimate
from sampling.results import HypothesisTest
from sampling.results import Reliability
from sampling.variance import replicate_variance
from sampling.variance import taylor_variance

logger = logging.getLogger(__name__)

FAMILIES = ("gaussian", "binomial")

#: a logistic fit whose linear predictor passes this is (quasi-)separated
SEPARATION_ETA = 20.0
#: relative change of the deviance that ends IRLS (R's glm uses 1e-8)
DEVIANCE_TOL = 1e-14


def _deviance(y: FloatArray, mu: FloatArray, w: FloatArray) -> float:
    """Binomial deviance ``-2 sum w (y log mu + (1 - y) log(1 - mu))`` (saturated part 0);
    rows of weight 0 (left out of a replicate) count for nothing even where ``mu`` is 0 or 1."""
    special = special_functions()
    ll = special.xlogy(y, mu) + special.xlogy(1.0 - y, 1.0 - mu)
    with np.errstate(invalid="ignore"):  # 0 * -inf where a left-out row has mu 0 or 1
        return float(-2.0 * np.sum(np.where(w > 0, w * ll, 0.0)))


@dataclass(frozen=True, slots=True, eq=False)
class SurveyGLM:
    """A fitted design-based GLM.

    Attributes:
        formula: the model formula.
        family: ``gaussian`` or ``binomial``.
        frame: the evaluated formula (model matrix, column and term names).
        coef: the coefficients as an :class:`Estimate` (statistic ``coef``, one
            entry per column with domain ``{"term": name}``, ``df`` the residual df).
        iterations: IRLS iterations of the full-sample fit.
        dropped: rows left out for a missing value in a model variable.
        notes: warnings about the fit (e.g. separation), also logged.
    """

    formula: str
    family: str
    frame: ModelFrame
    coef: Estimate
    iterations: int
    dropped: int
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Coefficient names in statsmodels' spelling (``Intercept``, ``C(sex)[T.2]``)."""
        return self.frame.columns

    @property
    def params(self) -> FloatArray:
        """The coefficients."""
        return self.coef.estimate

    @property
    def se(self) -> FloatArray:
        """Standard errors of the coefficients."""
        return self.coef.se

    @property
    def df_residual(self) -> float:
        """``degf(design) + 1 - p`` (R's ``df.residual`` of a ``svyglm``)."""
        return float(self.coef.df[0]) if len(self.coef) else math.nan

    def p_values(self) -> FloatArray:
        """Two-sided t-test p-values of each coefficient (R's ``summary(svyglm)``)."""
        return self.coef.p_value()

    def wald_test(self, *terms: str, null: Sequence[float] | None = None) -> HypothesisTest:
        """Wald test that all coefficients of ``terms`` are zero (R's ``regTermTest``).

        ``F = (b - b0)' V^-1 (b - b0) / q`` with ``q`` the number of coefficients,
        p-value from F on ``q`` and ``df_residual`` degrees of freedom (a
        chi-square on ``q`` df when the residual df is infinite).

        Args:
            terms: term names as in the formula (``C(sex)``, ``age``, ``a:b``).
            null: hypothesised values (default zeros).

        Raises:
            SamplingError: no term, an unknown term, or a wrong-length ``null``.
        """
        if not terms:
            raise SamplingError("name at least one term to test", param="tests")
        index = sorted({i for t in terms for i in self.frame.term_indices(t)})
        beta = self.params[index]
        if null is not None:
            b0 = np.asarray(null, dtype=np.float64).reshape(-1)
            if b0.shape[0] != len(index):
                raise SamplingError(
                    "one null value per tested coefficient is needed",
                    param="null",
                    got=b0.shape[0],
                    expected=len(index),
                )
            beta = beta - b0
        v = self.coef.vcov[np.ix_(index, index)]
        try:
            chisq = float(beta @ np.linalg.solve(v, beta))
        except np.linalg.LinAlgError:
            raise SamplingError(
                f"the covariance of the coefficients of {' + '.join(terms)} is singular",
                param="tests",
                hint="too few PSUs or a separated category: merge categories or test fewer terms",
            ) from None
        q = float(len(index))
        ddf = self.df_residual
        label = " + ".join(terms)
        if math.isinf(ddf):
            p = float(special_functions().chdtrc(q, chisq))  # = scipy.stats.chi2.sf
            return HypothesisTest("wald", label, chisq / q, q, ddf, p, chisq, "Wald chi-square")
        f = chisq / q
        # = scipy.stats.f.sf
        p = float(special_functions().fdtrc(q, ddf, f)) if ddf > 0 else math.nan
        return HypothesisTest("wald", label, f, q, ddf, p, chisq, "Wald F test (regTermTest)")

    def odds_ratios(self, level: float | None = None) -> Estimate:
        """``exp(b)`` of every coefficient but the intercept, with ``exp`` of its t interval.

        Binomial models only. The SE is the delta method ``exp(b) se(b)``; the
        interval is ``exp(b +- t se(b))`` (R: ``exp(cbind(coef(m), confint(m)))``).

        Raises:
            SamplingError: the model is not binomial.
        """
        if self.family != "binomial":
            raise SamplingError(
                "odds ratios need a binomial model", param="family", got=self.family
            )
        keep = [i for i, c in enumerate(self.columns) if c != "Intercept"]
        coef = self.coef.take(keep)
        lvl = coef.level if level is None else level
        low, high = coef.confint(lvl)
        with np.errstate(over="ignore"):  # a separated coefficient: an infinite ratio
            ratio = np.exp(coef.estimate)
            limits = (np.exp(low), np.exp(high))
        return Estimate(
            statistic="odds_ratio",
            variable=coef.variable,
            domains=coef.domains,
            estimate=ratio,
            vcov=_scaled(coef.vcov, ratio),
            df=coef.df,
            deff=coef.deff,
            n=coef.n,
            weight_sum=coef.weight_sum,
            design_df=coef.design_df,
            ci_method=CIMethod.WALD,
            level=lvl,
            reliability=coef.reliability,
            interval=limits,
        )

    def to_rows(
        self, tests: Sequence[str] = (), level: float | None = None
    ) -> list[dict[str, Any]]:
        """JSON rows: ``coef`` per column, ``odds_ratio`` (binomial), ``wald`` per test.

        ``coef``/``odds_ratio`` rows: ``statistic``, ``variable`` (the response),
        ``term``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``p``, ``n``.
        ``wald`` rows: ``statistic``, ``term``, ``f``, ``df1``, ``df2``, ``p``, ``chisq``.
        """
        rows = _coef_rows(self.coef, self.p_values(), level)
        if self.family == "binomial":
            ors = self.odds_ratios(level)
            keep = [i for i, c in enumerate(self.columns) if c != "Intercept"]
            rows += _coef_rows(ors, self.p_values()[keep], None)
        for term in tests:
            row = self.wald_test(term).to_row()
            row["variable"] = self.frame.response
            rows.append(row)
        return rows


def _scaled(vcov: FloatArray, ratio: FloatArray) -> FloatArray:
    """``diag(r) V diag(r)`` (delta method for ``exp``); NaN where ``r`` is infinite."""
    with np.errstate(invalid="ignore", over="ignore"):
        out: FloatArray = vcov * np.outer(ratio, ratio)
    return out


def _coef_rows(est: Estimate, p: FloatArray, level: float | None) -> list[dict[str, Any]]:
    low, high = est.confint(level)
    se = est.se
    out = []
    for i in range(len(est)):
        out.append(
            {
                "statistic": est.statistic,
                "variable": est.variable,
                "term": est.domains[i]["term"],
                "estimate": _num(est.estimate[i]),
                "se": _num(se[i]),
                "ci_low": _num(low[i]),
                "ci_high": _num(high[i]),
                "df": _num(est.df[i]),
                "p": _num(p[i]),
                "n": int(est.n[i]),
            }
        )
    return out


def _num(x: Any) -> float | None:
    f = float(x)
    return f if math.isfinite(f) else None


# -- fitting ----------------------------------------------------------------------------


#: rows per block of the IRLS sums: a block of the model matrix stays in the CPU cache
#: while it is weighted, multiplied and summed, so each iteration reads the matrix once
BLOCK_ROWS = 8192


@dataclass(frozen=True, slots=True)
class _IRLS:
    beta: FloatArray
    mu: FloatArray
    #: the linear predictor ``x @ beta``
    eta: FloatArray
    iterations: int
    #: X' diag(w v(mu)) X of the last iteration (R's cov.unscaled comes from it too)
    information: FloatArray


def _solve_spd(gram: FloatArray, rhs: FloatArray) -> FloatArray:
    """Solve ``gram b = rhs`` (rhs a vector or a matrix) with Jacobi scaling and one
    step of iterative refinement."""
    d = np.sqrt(np.where(np.diag(gram) > 0, np.diag(gram), 1.0))
    dd = d if rhs.ndim == 1 else d[:, None]
    scaled = gram / np.outer(d, d)
    b = np.linalg.solve(scaled, rhs / dd) / dd
    refined: FloatArray = b + np.linalg.solve(scaled, (rhs - gram @ b) / dd) / dd
    return refined


def _check_rank(gram: FloatArray, columns: tuple[str, ...]) -> None:
    """Raise if ``X' W X`` is singular, naming the first aliased column of the model matrix."""
    d = np.sqrt(np.diag(gram))
    empty = np.flatnonzero(d == 0)
    if empty.size:
        raise SamplingError(
            f"model column {columns[int(empty[0])]!r} is zero for every respondent with weight",
            param="glm",
            hint="drop the term or merge the empty category",
        )
    corr = gram / np.outer(d, d)
    eig = np.linalg.eigvalsh(corr)
    if eig[0] > 1e-10 * eig[-1]:
        return
    kept: list[int] = []
    for j in range(len(columns)):
        trial = [*kept, j]
        sub = corr[np.ix_(trial, trial)]
        if np.linalg.eigvalsh(sub)[0] > 1e-10 * len(trial):
            kept = trial
            continue
        raise SamplingError(
            f"model column {columns[j]!r} is a combination of earlier columns (collinear)",
            param="glm",
            hint="drop one of the collinear terms or merge categories",
        )


def _blocks(n: int) -> range:
    return range(0, n, BLOCK_ROWS)


def _weighted_sums(x: FloatArray, v: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``X' diag(v) X`` (``v >= 0``) and ``X' z``, block by block.

    The Gram matrix is ``(sqrt(v) X)' (sqrt(v) X)``, a symmetric product (BLAS
    ``syrk``) of each block, so it is exactly symmetric.
    """
    p = x.shape[1]
    gram = np.zeros((p, p))
    cross = np.zeros(p)
    buf = np.empty((min(BLOCK_ROWS, x.shape[0]), p), order="F")
    sv = np.sqrt(v)
    for a in _blocks(x.shape[0]):
        xb = x[a : a + BLOCK_ROWS]
        bb = buf[: xb.shape[0]]
        np.multiply(xb, sv[a : a + BLOCK_ROWS, None], out=bb)
        gram += bb.T @ bb
        cross += xb.T @ z[a : a + BLOCK_ROWS]
    return gram, cross


def _logit_sums(
    x: FloatArray, y: FloatArray, w: FloatArray, beta: FloatArray, deviance: bool
) -> tuple[FloatArray, FloatArray, float]:
    """At ``beta`` (logit link): the information ``X' diag(w mu (1 - mu)) X``, the score
    ``X' w (y - mu)`` and, if asked, the deviance (else NaN), in one pass over ``x``."""
    p = x.shape[1]
    info = np.zeros((p, p))
    score = np.zeros(p)
    dev = 0.0
    buf = np.empty((min(BLOCK_ROWS, x.shape[0]), p), order="F")
    for a in _blocks(x.shape[0]):
        xb = x[a : a + BLOCK_ROWS]
        wb = w[a : a + BLOCK_ROWS]
        yb = y[a : a + BLOCK_ROWS]
        mu = special_functions().expit(xb @ beta)
        bb = buf[: xb.shape[0]]
        np.multiply(xb, np.sqrt(wb * mu * (1.0 - mu))[:, None], out=bb)
        info += bb.T @ bb
        score += xb.T @ (wb * (yb - mu))
        if deviance:
            dev += _deviance(yb, mu, wb)
    return info, score, dev if deviance else math.nan


def _irls(
    x: FloatArray,
    y: FloatArray,
    w: FloatArray,
    family: str,
    start: FloatArray | None,
    max_iter: int,
    tol: float,
    sums: tuple[FloatArray, FloatArray] | None = None,
    fitted: bool = True,
) -> _IRLS:
    """Weighted least squares (gaussian) or Newton-Raphson = IRLS (logit link).

    Iterates until the largest step is below ``tol * (1 + max|b|)``; with
    quadratic convergence the result is the exact root to rounding. Each
    iteration is one pass over ``x`` (:func:`_logit_sums`). ``sums`` are
    ``X' W X`` and ``X' W y`` (gaussian) or ``X' W eta0`` (binomial start) if the
    caller has them; rows of zero weight count for nothing. Without ``fitted``
    (replicates: only ``beta`` is used) ``mu`` and ``eta`` are left empty.
    """
    if family == "gaussian":
        info, xwy = _weighted_sums(x, w, w * y) if sums is None else sums
        beta = _solve_spd(info, xwy)
        eta = x @ beta if fitted else np.empty(0)
        return _IRLS(beta, eta, eta, 1, info)
    if start is None:
        info, xwe = _weighted_sums(x, w, w * _start_eta(y)) if sums is None else sums
        beta = _solve_spd(info, xwe)
    else:
        beta = start.copy()
    info, score, _ = _logit_sums(x, y, w, beta, deviance=False)
    dev_old = math.inf
    for it in range(1, max_iter + 1):
        try:
            step = _solve_spd(info, score)
        except np.linalg.LinAlgError:
            step = np.full_like(beta, np.nan)
        if not np.all(np.isfinite(step)):
            raise ConvergenceError(
                "the logistic model cannot be fitted: fitted probabilities reach 0 or 1",
                param="glm",
                hint="a category where everyone (or no one) has the outcome (separation): "
                "merge it with another",
            )
        beta = beta + step
        # the step test gives the exact root; the deviance test (R's, at 1e-14 instead of
        # 1e-8) stops a separated fit, whose coefficient drifts off while the deviance
        # settles (checked from the 6th iteration: a regular fit has converged by then)
        if np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(beta))):
            eta = x @ beta if fitted else np.empty(0)
            return _IRLS(beta, special_functions().expit(eta), eta, it, info)
        # the sums at the new beta serve the deviance test and, if it goes on, the next step
        next_info, score, dev = _logit_sums(x, y, w, beta, deviance=it >= 5)
        if it >= 5:
            if abs(dev - dev_old) <= DEVIANCE_TOL * (abs(dev) + 0.1):
                eta = x @ beta if fitted else np.empty(0)
                return _IRLS(beta, special_functions().expit(eta), eta, it, info)
            dev_old = dev
        info = next_info
    raise ConvergenceError(
        f"the logistic model did not converge in {max_iter} iterations",
        param="glm",
        hint="look for categories where everyone (or no one) has the outcome (separation)",
    )


def _start_eta(y: FloatArray) -> FloatArray:
    """Starting linear predictor ``logit((y + 1/2) / 2)`` (R's ``mustart`` for n = 1)."""
    mu0 = (y + 0.5) / 2.0
    eta0: FloatArray = np.log(mu0 / (1.0 - mu0))
    return eta0


def svy_glm(
    formula: str,
    data: Mapping[str, Any],
    design: Design,
    *,
    family: str = "gaussian",
    level: float = 0.95,
    max_iter: int = 50,
    tol: float = 1e-10,
    reliability: Reliability = DEFAULT_RELIABILITY,
) -> SurveyGLM:
    """Fit a design-based GLM (R's ``svyglm``) and its design-based covariance.

    ``b`` solves the weighted score equations ``sum w_i x_i (y_i - mu_i) = 0``
    (gaussian: identity link; binomial: logit link, quasi-likelihood, so the
    response may be any value in [0, 1]). Taylor variance
    ``V = A^-1 Var(sum u_i) A^-1`` from the design (Binder 1983), or the
    replicate variance of refitted coefficients. Residual df
    ``degf(design) + 1 - p`` (Lumley 2010, §5.2; R's ``svyglm``).

    Rows with a missing model variable are left out (R's ``na.omit``; the
    design keeps them with zero weight, so the variance uses every PSU). Fit a
    domain by passing ``design.subset(mask)``.

    Args:
        formula: statsmodels formula, e.g. ``"literate ~ C(sex) + C(agegroup) + urban"``.
        data: columns (mapping of name -> array, one value per design row).
        design: a :class:`SurveyDesign` or :class:`ReplicateDesign`.
        family: ``gaussian`` or ``binomial``.
        level: default confidence level of the intervals.
        max_iter, tol: IRLS limits.
        reliability: thresholds for the reliability flags.

    Returns:
        A :class:`SurveyGLM`.

    Raises:
        SamplingError: an invalid formula or family, a response outside [0, 1]
            for binomial, collinear columns, or a data length that does not
            match the design.
        ConvergenceError: the logistic fit did not converge (separation).

    Example:
        >>> d = SurveyDesign(weights=[1.0] * 6, psu=[1, 2, 3, 4, 5, 6])
        >>> m = svy_glm("y ~ x", {"y": [1.0, 2.0, 3.0, 3.0, 5.0, 6.0],
        ...                        "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, d)
        >>> [round(float(b), 4) for b in m.params]
        [-0.0667, 0.9714]
    """
    check_design(design)
    if family not in FAMILIES:
        raise SamplingError(
            "unknown model family", param="family", got=family, expected=" | ".join(FAMILIES)
        )
    frame = model_frame(formula, data)
    if frame.n_rows != design.n:
        raise SamplingError(
            "the data and the design have different numbers of rows",
            param="data",
            got=frame.n_rows,
            expected=design.n,
        )
    w_all = design.weights[frame.rows]
    active = w_all > 0
    rows = frame.rows[active]
    if active.all():
        x, y, w = frame.x, frame.y, w_all
    else:
        x, y, w = frame.x[active], frame.y[active], w_all[active]
    if rows.size == 0:
        raise SamplingError("no respondent with weight has every model variable", param="glm")
    if family == "binomial":
        bad = np.flatnonzero((y < 0) | (y > 1))
        if bad.size:
            raise SamplingError(
                f"the response of a binomial model must be in [0, 1] (row "
                f"{int(rows[bad[0]]) + 1} has {y[bad[0]]!r})",
                param="family",
                hint="code the outcome as 1 (yes) / 0 (no)",
            )
    sums = _weighted_sums(x, w, w * (y if family == "gaussian" else _start_eta(y)))
    _check_rank(sums[0], frame.columns)
    fit = _irls(x, y, w, family, None, max_iter, tol, sums)
    notes: list[str] = []
    if family == "binomial" and np.any(np.abs(fit.eta) > SEPARATION_ETA):
        notes.append("fitted probabilities numerically 0 or 1 occurred (separation)")
        logger.warning("svy_glm %s: %s", formula, notes[-1])
    used = np.zeros(design.n, dtype=bool)
    used[rows] = True
    p = x.shape[1]
    if isinstance(design, ReplicateDesign):
        vcov = _replicate_vcov(x, y, rows, design, family, fit.beta, max_iter, tol)
        ddf = float(design.degf)
    else:
        vcov = _taylor_vcov(x, y, w, rows, design, fit)
        ddf = float(design_df(design, used))
    dropped = int(np.sum(design.weights > 0)) - int(rows.size)
    if dropped:
        logger.info("svy_glm %s: %d rows with a missing model variable left out", formula, dropped)
    coef = Estimate(
        statistic="coef",
        variable=frame.response,
        domains=tuple({"term": c} for c in frame.columns),
        estimate=fit.beta,
        vcov=vcov,
        df=np.full(p, ddf + 1.0 - p),
        deff=np.full(p, np.nan),
        n=np.full(p, float(rows.size)),
        weight_sum=np.full(p, float(w.sum())),
        design_df=ddf,
        ci_method=CIMethod.WALD,
        level=level,
        reliability=reliability,
    )
    return SurveyGLM(formula, family, frame, coef, fit.iterations, dropped, tuple(notes))


def _taylor_vcov(
    x: FloatArray,
    y: FloatArray,
    w: FloatArray,
    rows: NDArray[np.intp],
    design: SurveyDesign,
    fit: _IRLS,
) -> FloatArray:
    """``A^-1 Var(sum u_i) A^-1`` with the scores ``u_i = w_i x_i (y_i - mu_i)``.

    R's ``svy.varcoef`` hands the influence functions ``u_i A^-1`` to ``svyrecvar``;
    the design variance is a quadratic form in the scores, so ``A^-1`` is applied
    to the (p, p) variance of the scores instead of to every row (the same
    matrix, without an (n, p) by (p, p) product).
    """
    a_inv = _solve_spd(fit.information, np.eye(x.shape[1]))
    resid = w * (y - fit.mu)
    full = np.zeros((design.n, x.shape[1]), order="F")  # columns contiguous for the PSU sums
    if rows.shape[0] == design.n:
        np.multiply(x, resid[:, None], out=full)
    else:
        full[rows] = x * resid[:, None]
    v = a_inv.T @ taylor_variance(full, design) @ a_inv
    vcov: FloatArray = (v + v.T) / 2.0
    return vcov


def _replicate_vcov(
    x: FloatArray,
    y: FloatArray,
    rows: NDArray[np.intp],
    design: ReplicateDesign,
    family: str,
    beta: FloatArray,
    max_iter: int,
    tol: float,
) -> FloatArray:
    """Refit with every replicate's weights, starting at the full-sample ``beta``.

    Rows a replicate leaves out get weight 0 (they add exact zeros to the sums),
    so the model matrix is never copied.
    """
    base = design.base[rows]
    index = design.index[rows]
    betas = np.empty((design.n_replicates, beta.shape[0]))
    for r in range(design.n_replicates):
        wr = base * design.factors[index, r]
        try:
            betas[r] = _irls(x, y, wr, family, beta, max_iter, tol, fitted=False).beta
        except np.linalg.LinAlgError:
            raise SamplingError(
                f"the model cannot be fitted in replicate {r + 1}: a category is empty there",
                param="glm",
                hint="merge small categories, or use Taylor variance",
            ) from None
    return replicate_variance(
        betas, beta, scale=design.scale, rscales=design.rscales, mse=design.mse
    )
