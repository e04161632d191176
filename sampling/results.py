"""The one result type of every estimator: :class:`Estimate`.

An :class:`Estimate` holds one statistic of one variable for one or more
domains (one entry when there is no ``by``): point estimates, their full
covariance matrix (so domain contrasts have correct standard errors), the
degrees of freedom, design effects, unweighted counts and reliability flags.
Like R's ``svystat`` it has ``se``, ``cv``, ``confint`` and ``to_dict``.

Tests of hypotheses (Wald tests of model terms, Rao-Scott tests of
association) are :class:`HypothesisTest`, like R's ``htest``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from sampling._codes import FloatArray
from sampling.errors import SamplingError
from sampling.intervals import CIMethod
from sampling.intervals import confidence_interval
from sampling.intervals import parse_ci_method

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reliability:
    """Thresholds that flag an estimate as unreliable.

    Attributes:
        min_n: flag ``small_n`` when fewer respondents than this (default 30).
        max_cv: flag ``high_cv`` when the coefficient of variation se/|estimate|
            exceeds this (default 0.30).
    """

    min_n: int = 30
    max_cv: float = 0.30

    def __post_init__(self) -> None:
        if self.min_n < 0 or not self.max_cv > 0:
            raise SamplingError(
                "reliability thresholds must be min_n >= 0 and max_cv > 0",
                param="reliability",
                got=(self.min_n, self.max_cv),
            )


DEFAULT_RELIABILITY = Reliability()


def _frozen(values: Any, dtype: Any = np.float64) -> Any:
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class Estimate:
    """Estimates of one statistic for one or more domains.

    Attributes:
        statistic: ``"mean"``, ``"proportion"``, ``"total"``, ``"ratio"`` or ``"contrast"``.
        variable: the variable's name (``"y/x"`` for ratios).
        domains: one ``{column: level}`` mapping per entry (``{}`` without ``by``).
        estimate: (k,) point estimates.
        vcov: (k, k) covariance matrix.
        df: (k,) degrees of freedom for intervals (PSUs minus strata in the domain).
        deff: (k,) design effects (R's ``deff=TRUE``: variance over the
            without-replacement SRS variance of the same size); NaN if undefined.
        n: (k,) unweighted number of rows with weight > 0 in each domain.
        weight_sum: (k,) estimated population size of each domain.
        design_df: degrees of freedom of the whole design (used by contrasts).
        ci_method: default interval method (logit for proportions, wald otherwise).
        level: default confidence level.
        flags: per entry, a tuple of reliability flags (``small_n``, ``high_cv``,
            ``no_df``, ``boundary``, ``empty``).
        reliability: thresholds used for the flags.
        interval: limits ``(low, high)`` at ``level`` fixed by the estimator, for
            statistics whose interval is not a function of the SE (R's
            ``svyquantile`` Woodruff intervals; odds ratios as ``exp`` of the
            coefficient limits). ``confint`` returns them.
        logit_se: standard errors of ``logit(estimate)`` from replicate
            estimates (R's ``svyciprop(method="logit")`` on replicate designs);
            None: the delta method.
    """

    statistic: str
    variable: str
    domains: tuple[Mapping[str, str], ...]
    estimate: FloatArray
    vcov: FloatArray
    df: FloatArray
    deff: FloatArray
    n: FloatArray
    weight_sum: FloatArray
    design_df: float
    ci_method: CIMethod = CIMethod.WALD
    level: float = 0.95
    reliability: Reliability = DEFAULT_RELIABILITY
    flags: tuple[tuple[str, ...], ...] = field(default=())
    interval: tuple[FloatArray, FloatArray] | None = None
    logit_se: FloatArray | None = None

    def __post_init__(self) -> None:
        est = _frozen(self.estimate).reshape(-1)
        k = est.shape[0]
        vcov = _frozen(self.vcov).reshape(k, k)
        object.__setattr__(self, "estimate", est)
        object.__setattr__(self, "vcov", vcov)
        for name in ("df", "deff", "n", "weight_sum"):
            arr = _frozen(np.broadcast_to(np.asarray(getattr(self, name), float), (k,)))
            object.__setattr__(self, name, arr)
        if len(self.domains) != k:
            raise SamplingError(
                "one domain label is needed per estimate",
                param="domains",
                got=len(self.domains),
                expected=k,
            )
        object.__setattr__(self, "domains", tuple(dict(d) for d in self.domains))
        object.__setattr__(self, "ci_method", parse_ci_method(self.ci_method))
        if self.interval is not None:
            low, high = self.interval
            limits = (_frozen(low).reshape(k), _frozen(high).reshape(k))
            object.__setattr__(self, "interval", limits)
        if self.logit_se is not None:
            object.__setattr__(self, "logit_se", _frozen(self.logit_se).reshape(k))
        if not self.flags:
            object.__setattr__(self, "flags", self._compute_flags())

    def _compute_flags(self) -> tuple[tuple[str, ...], ...]:
        out = []
        cv = self.cv
        for i in range(self.estimate.shape[0]):
            f: list[str] = []
            if self.n[i] == 0 or not np.isfinite(self.estimate[i]):
                f.append("empty")
            if self.n[i] < self.reliability.min_n:
                f.append("small_n")
            relative = self.statistic not in ("contrast", "difference", "coef")
            if relative and not (cv[i] <= self.reliability.max_cv):
                f.append("high_cv")
            if not self.df[i] > 0:
                f.append("no_df")
            if self.statistic == "proportion" and self.estimate[i] in (0.0, 1.0):
                f.append("boundary")
            out.append(tuple(f))
        return tuple(out)

    # -- derived quantities ------------------------------------------------
    @property
    def se(self) -> FloatArray:
        """Standard errors, ``sqrt(diag(vcov))``."""
        return np.sqrt(np.maximum(np.diag(self.vcov), 0.0))

    @property
    def cv(self) -> FloatArray:
        """Coefficients of variation ``se / |estimate|`` (inf when the estimate is 0)."""
        est = np.abs(self.estimate)
        se = self.se
        out = np.full(est.shape, np.inf)
        ok = est > 0
        with np.errstate(invalid="ignore"):  # inf / inf (e.g. a separated odds ratio)
            out[ok] = se[ok] / est[ok]
        out[(est == 0) & (se == 0)] = np.nan
        return out

    def __len__(self) -> int:
        return int(self.estimate.shape[0])

    def confint(
        self, level: float | None = None, method: CIMethod | str | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Confidence limits ``(low, high)`` (see :func:`sampling.intervals.confidence_interval`).

        Args:
            level: confidence level (default: the estimate's ``level``).
            method: ``wald``, ``logit``, ``xlogit``, ``beta`` or ``wilson``
                (default: ``ci_method``).

        Raises:
            SamplingError: the estimate carries its own interval (quantiles, odds
                ratios) and another level or method is asked for.
        """
        if self.interval is not None:
            if (level is None or level == self.level) and method is None:
                return self.interval
            raise SamplingError(
                f"the {self.statistic} interval was computed at level {self.level} by its "
                "estimator",
                param="level",
                got=(level, None if method is None else str(method)),
                hint="call the estimator again with level=... (e.g. svy_quantile(..., level=0.9))",
            )
        return confidence_interval(
            self.estimate,
            self.se,
            self.df,
            self.n,
            level=self.level if level is None else level,
            method=self.ci_method if method is None else method,
            logit_se=self.logit_se,
        )

    def p_value(self, null: float = 0.0) -> FloatArray:
        """Two-sided p-values of ``estimate = null``: ``2 P(T_df > |est - null| / se)``.

        R's ``summary(svyglm)`` and ``svyttest`` (Student t with ``df``); NaN
        where ``df <= 0`` or the SE is 0.

        Example:
            >>> e = Estimate("coef", "y", ({},), [2.0], [[1.0]], df=10, deff=1, n=50,
            ...              weight_sum=1, design_df=10)
            >>> round(float(e.p_value()[0]), 6)
            0.073388
        """
        se = self.se
        out = np.full(self.estimate.shape, np.nan)
        ok = (self.df > 0) & (se > 0)
        t = np.abs(self.estimate[ok] - null) / se[ok]
        from scipy import special  # t.sf(t, df) = stdtr(df, -t); importing scipy.stats is slow

        out[ok] = 2.0 * special.stdtr(self.df[ok], -t)
        return out

    def select(self, **levels: str) -> Estimate:
        """The entries whose domain matches all ``column=level`` pairs.

        Example: ``est.select(group="farmer")``.
        """
        want = {k: str(v) for k, v in levels.items()}
        idx = [i for i, d in enumerate(self.domains) if all(d.get(k) == v for k, v in want.items())]
        if not idx:
            raise SamplingError(
                "no domain matches",
                param="domain",
                got=want,
                expected=f"one of {list(self.domains)[:10]}",
            )
        return self.take(idx)

    def take(self, index: list[int]) -> Estimate:
        """The estimate restricted to the entries at ``index`` (with their covariances)."""
        ix = np.asarray(index, dtype=np.intp)
        interval = None if self.interval is None else (self.interval[0][ix], self.interval[1][ix])
        return Estimate(
            statistic=self.statistic,
            variable=self.variable,
            domains=tuple(self.domains[i] for i in ix),
            estimate=self.estimate[ix],
            vcov=self.vcov[np.ix_(ix, ix)],
            df=self.df[ix],
            deff=self.deff[ix],
            n=self.n[ix],
            weight_sum=self.weight_sum[ix],
            design_df=self.design_df,
            ci_method=self.ci_method,
            level=self.level,
            reliability=self.reliability,
            flags=tuple(self.flags[i] for i in ix),
            interval=interval,
            logit_se=None if self.logit_se is None else self.logit_se[ix],
        )

    def to_rows(
        self, level: float | None = None, method: CIMethod | str | None = None
    ) -> list[dict[str, Any]]:
        """One JSON-ready dict per entry, the ``kesu estimate --json`` shape.

        Keys: statistic, variable, domain, estimate, se, ci_low, ci_high, df,
        deff, cv, n, flags. Non-finite numbers become None.
        """
        low, high = self.confint(level, method)
        se, cv = self.se, self.cv
        rows = []
        for i in range(len(self)):
            rows.append(
                {
                    "statistic": self.statistic,
                    "variable": self.variable,
                    "domain": dict(self.domains[i]),
                    "estimate": _num(self.estimate[i]),
                    "se": _num(se[i]),
                    "ci_low": _num(low[i]),
                    "ci_high": _num(high[i]),
                    "df": _num(self.df[i]),
                    "deff": _num(self.deff[i]),
                    "cv": _num(cv[i]),
                    "n": int(self.n[i]),
                    "flags": list(self.flags[i]),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python (lists and dicts), including the covariance matrix."""
        return {
            "statistic": self.statistic,
            "variable": self.variable,
            "level": self.level,
            "ci_method": self.ci_method.value,
            "design_df": _num(self.design_df),
            "rows": self.to_rows(),
            "weight_sum": [_num(x) for x in self.weight_sum],
            "vcov": [[_num(x) for x in row] for row in self.vcov],
        }

    def __repr__(self) -> str:
        head = f"Estimate({self.statistic} of {self.variable}"
        if len(self) == 1 and not self.domains[0]:
            return f"{head}: {self.estimate[0]:.6g} (se {self.se[0]:.4g}))"
        return f"{head}, {len(self)} domains)"


@dataclass(frozen=True, slots=True)
class HypothesisTest:
    """A design-based test: an F statistic with numerator and denominator df.

    Attributes:
        statistic: ``"wald"`` (R's ``regTermTest``), ``"rao_scott"`` (R's
            ``svychisq``, second order: ``statistic="F"``) or ``"rao_scott_chisq"``
            (first order: ``statistic="Chisq"``, ``df2`` infinite).
        term: what is tested (a model term, ``"VAR1 x VAR2"``).
        f: the F statistic (for the first-order test, the adjusted chi-square
            divided by ``df1``).
        df1: numerator degrees of freedom (may be fractional for Rao-Scott).
        df2: denominator degrees of freedom (inf for chi-square tests).
        p: the p-value.
        chisq: the unadjusted statistic (Wald chi-square or Pearson's X^2).
        method: a one-line description.
    """

    statistic: str
    term: str
    f: float
    df1: float
    df2: float
    p: float
    chisq: float
    method: str

    def to_row(self) -> dict[str, Any]:
        """The JSON row: ``statistic``, ``term``, ``f``, ``df1``, ``df2``, ``p``, ``chisq``."""
        return {
            "statistic": self.statistic,
            "term": self.term,
            "f": _num(self.f),
            "df1": _num(self.df1),
            "df2": _num(self.df2),
            "p": _num(self.p),
            "chisq": _num(self.chisq),
            "method": self.method,
        }


def _num(x: Any) -> float | None:
    f = float(x)
    return f if math.isfinite(f) else None
