"""Sample size for estimating a proportion (the literacy rate), overall and per domain.

The chain, each step a named textbook formula:

1. SRS size for an infinite population: n0 = z^2 p q / d^2 for an absolute
   margin of error d (Cochran 1977, §4.4), or n0 = q / (p CV^2) for a target
   coefficient of variation (CV^2 = q / (n p) under SRS).
2. Design effect: n1 = n0 * deff, with deff given or deff = 1 + (m - 1) rho
   for m interviews per PSU and intraclass correlation rho (Kish 1965, §5.4).
3. Finite population: n2 = n1 / (1 + (n1 - 1) / N) (Cochran 1977, §4.4, from
   V = (N - n) / (N - 1) PQ / n) or n1 / (1 + n1 / N) (Lohr 2022, §2.7).
4. Completed interviews = ceil(n2); households to issue = completes /
   (response rate x eligibility rate).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from sampling.errors import SamplingError

logger = logging.getLogger(__name__)


class FPCForm(Enum):
    """Finite population correction of the sample size.

    * ``COCHRAN``: n = n0 / (1 + (n0 - 1) / N), exact for the SRSWOR variance of a
      proportion (N - n) / (N - 1) * PQ / n (Cochran 1977, §4.4).
    * ``SIMPLE``: n = n0 / (1 + n0 / N), from (1 - n/N) S^2 / n with S^2 ~ pq (Lohr 2022, §2.7).
    """

    COCHRAN = "cochran"
    SIMPLE = "simple"


def z_value(confidence: float) -> float:
    """Two-sided normal quantile z_{1 - alpha/2} for a confidence level (0.95 -> 1.959964)."""
    if not 0 < confidence < 1:
        raise SamplingError("confidence must be in (0, 1)", param="confidence", got=confidence)
    from scipy.special import ndtri  # the normal quantile scipy.stats.norm.ppf calls

    return float(ndtri(0.5 + confidence / 2))


def design_effect(cluster_size: float, icc: float) -> float:
    """Design effect of cluster sampling: deff = 1 + (m - 1) rho (Kish 1965, §5.4).

    Args:
        cluster_size: average interviews per PSU, m >= 1.
        icc: intraclass correlation (Kish's roh) of the outcome within PSUs, 0 <= rho <= 1.

    Example:
        >>> design_effect(10, 0.05)
        1.45
    """
    if not (math.isfinite(cluster_size) and cluster_size >= 1):
        raise SamplingError("cluster_size must be >= 1", param="cluster_size", got=cluster_size)
    if not (math.isfinite(icc) and 0 <= icc <= 1):
        raise SamplingError("icc must be between 0 and 1", param="icc", got=icc)
    return 1 + (cluster_size - 1) * icc


@dataclass(frozen=True, slots=True)
class ProportionSize:
    """Sample size for one proportion.

    Attributes:
        rate: anticipated proportion p.
        moe: absolute margin of error d (None when a CV target was given).
        cv: target coefficient of variation (None when a margin was given).
        confidence: confidence level for the margin.
        z: normal quantile used.
        deff: design effect applied.
        population: population size N (None: infinite).
        response_rate, eligibility_rate: expected rates applied to the issued sample.
        n_srs: n0, SRS size for an infinite population.
        n_design: n0 * deff.
        n_fpc: after the finite population correction (real-valued).
        completes: completed interviews needed, ceil(n_fpc).
        issued: households (addresses) to issue, ceil(completes / (response * eligibility)).
    """

    rate: float
    moe: float | None
    cv: float | None
    confidence: float
    z: float
    deff: float
    population: float | None
    response_rate: float
    eligibility_rate: float
    n_srs: float
    n_design: float
    n_fpc: float
    completes: int
    issued: int


def _check_rate(name: str, value: float, *, low_open: bool = True) -> None:
    ok = math.isfinite(value) and (0 < value <= 1 if low_open else 0 <= value <= 1)
    if not ok:
        raise SamplingError(f"{name} must be in (0, 1]", param=name, got=value)


def _resolve_deff(deff: float | None, cluster_size: float | None, icc: float | None) -> float:
    if deff is not None:
        if cluster_size is not None or icc is not None:
            raise SamplingError(
                "give deff or cluster_size and icc, not both",
                param="deff",
                hint="deff = 1 + (cluster_size - 1) * icc",
            )
        if not (math.isfinite(deff) and deff > 0):
            raise SamplingError("deff must be > 0", param="deff", got=deff)
        return float(deff)
    if (cluster_size is None) != (icc is None):
        raise SamplingError(
            "cluster_size and icc go together", param="icc", got=(cluster_size, icc)
        )
    if cluster_size is None or icc is None:
        return 1.0
    return design_effect(cluster_size, icc)


def size_for_proportion(
    rate: float,
    *,
    moe: float | None = None,
    cv: float | None = None,
    confidence: float = 0.95,
    deff: float | None = None,
    cluster_size: float | None = None,
    icc: float | None = None,
    response_rate: float = 1.0,
    eligibility_rate: float = 1.0,
    population: float | None = None,
    fpc_form: FPCForm | str = FPCForm.COCHRAN,
) -> ProportionSize:
    """Interviews needed to estimate a proportion with a given margin of error or CV.

    Formula: n0 = z^2 p (1 - p) / d^2 (Cochran 1977, §4.4) or n0 = (1 - p) / (p CV^2);
    n1 = n0 deff with deff = 1 + (m - 1) rho (Kish 1965, §5.4);
    n2 = n1 / (1 + (n1 - 1) / N) (Cochran) or n1 / (1 + n1 / N) (Lohr 2022, §2.7);
    completes = ceil(n2); issued = ceil(completes / (RR * ER)).

    Args:
        rate: anticipated proportion p in (0, 1) (e.g. 0.15 for the literacy rate).
        moe: absolute margin of error d (half-width of the interval), or
        cv: target coefficient of variation se / p.
        confidence: confidence level for ``moe``.
        deff: design effect; or ``cluster_size`` and ``icc`` to compute it.
        response_rate: expected response rate (0, 1].
        eligibility_rate: expected share of issued households with an eligible adult (0, 1].
        population: population size N of the domain (None: no correction).
        fpc_form: ``"cochran"`` (default) or ``"simple"``.

    Returns:
        :class:`ProportionSize`.

    Raises:
        SamplingError: out-of-range inputs, or neither / both of moe and cv.

    Example (Lohr 2022, §2.7, recipes: N = 1251, d = 0.03, p = 0.5):
        >>> size_for_proportion(0.5, moe=0.03, population=1251, fpc_form="simple").completes
        576
    """
    fpc_form = FPCForm(fpc_form) if isinstance(fpc_form, str) else fpc_form
    if not (math.isfinite(rate) and 0 < rate < 1):
        raise SamplingError("rate must be strictly between 0 and 1", param="rate", got=rate)
    if (moe is None) == (cv is None):
        raise SamplingError(
            "give exactly one of moe (absolute margin) or cv", param="moe", got=(moe, cv)
        )
    z = z_value(confidence)
    q = 1 - rate
    if moe is not None:
        if not (math.isfinite(moe) and 0 < moe < 1):
            raise SamplingError(
                "moe is an absolute margin in (0, 1), e.g. 0.03 for 3 points",
                param="moe",
                got=moe,
            )
        n0 = z * z * rate * q / (moe * moe)
    else:
        target_cv = cv if cv is not None else 0.0
        if not (math.isfinite(target_cv) and target_cv > 0):
            raise SamplingError("cv must be > 0, e.g. 0.1", param="cv", got=cv)
        n0 = q / (rate * target_cv * target_cv)
    d = _resolve_deff(deff, cluster_size, icc)
    _check_rate("response_rate", response_rate)
    _check_rate("eligibility_rate", eligibility_rate)
    n1 = n0 * d
    if population is not None:
        if not (math.isfinite(population) and population >= 1):
            raise SamplingError("population must be >= 1", param="population", got=population)
        if fpc_form is FPCForm.COCHRAN:
            n2 = n1 / (1 + (n1 - 1) / population)
        else:
            n2 = n1 / (1 + n1 / population)
    else:
        n2 = n1
    completes = max(1, math.ceil(n2 - 1e-9))
    issued = math.ceil(completes / (response_rate * eligibility_rate) - 1e-9)
    return ProportionSize(
        rate=rate,
        moe=moe,
        cv=cv,
        confidence=confidence,
        z=z,
        deff=d,
        population=population,
        response_rate=response_rate,
        eligibility_rate=eligibility_rate,
        n_srs=n0,
        n_design=n1,
        n_fpc=n2,
        completes=completes,
        issued=issued,
    )


def moe_for_size(
    rate: float,
    n: float,
    *,
    confidence: float = 0.95,
    deff: float = 1.0,
    population: float | None = None,
) -> float:
    """Expected margin of error of a proportion from n completed interviews.

    Formula: d = z sqrt(deff p q / n * (N - n) / (N - 1)) (the inverse of
    :func:`size_for_proportion` with Cochran's correction; no correction when N is None).

    Example:
        >>> round(moe_for_size(0.5, 1068), 4)
        0.03
    """
    if not (math.isfinite(rate) and 0 < rate < 1):
        raise SamplingError("rate must be strictly between 0 and 1", param="rate", got=rate)
    if not n > 0:
        raise SamplingError("n must be > 0", param="n", got=n)
    fpc = 1.0
    if population is not None:
        if population <= 1:
            raise SamplingError("population must be > 1", param="population", got=population)
        fpc = max(0.0, (population - n) / (population - 1))
    return z_value(confidence) * math.sqrt(deff * rate * (1 - rate) / n * fpc)


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """Precision wanted for one domain.

    Attributes:
        rate: anticipated rate in the domain.
        population: domain population (towns: for the fpc).
        share: for a cross-class (a key group spread over all towns, e.g. farmers),
            the share of the adult population that belongs to it; None for a stratum (town).
    """

    rate: float
    population: float | None = None
    share: float | None = None


@dataclass(frozen=True, slots=True)
class DomainPlan:
    """Sample sizes so that every domain meets its own precision.

    Attributes:
        domains: name -> :class:`ProportionSize` for the domain.
        strata_total: sum of completes over stratum domains (towns).
        crossclass_total: largest completes / share over cross-class domains (key groups).
        completes: completed interviews needed overall, the larger of the two (and of ``overall``).
        issued: households to issue for ``completes``.
        binding: name of the domain (or "strata") that drives the total.
    """

    domains: Mapping[str, ProportionSize]
    strata_total: int
    crossclass_total: int
    completes: int
    issued: int
    binding: str


def size_for_domains(
    domains: Mapping[str, DomainSpec],
    *,
    overall: ProportionSize | None = None,
    **common: float | str | None,
) -> DomainPlan:
    """Sizes for several domains, each with its own precision (Kish 1965, domains and crossclasses).

    Stratum domains (towns, ``share`` None) are sampled separately, so their
    sizes add up. A cross-class domain (key group) only gets its share of a
    proportionate sample, so the total must be at least completes_d / share_d.
    The plan takes the largest of the two totals and of ``overall.completes``.

    Args:
        domains: name -> :class:`DomainSpec`.
        overall: the city-wide requirement, if any.
        **common: keyword arguments of :func:`size_for_proportion` shared by all
            domains (moe or cv, confidence, deff or cluster_size and icc, rates, fpc_form).

    Returns:
        :class:`DomainPlan`.

    Example:
        >>> plan = size_for_domains({"a": DomainSpec(0.1), "b": DomainSpec(0.2)}, moe=0.05)
        >>> plan.completes == plan.domains["a"].completes + plan.domains["b"].completes
        True
    """
    if not domains:
        raise SamplingError("no domains given", param="domains")
    sizes: dict[str, ProportionSize] = {}
    strata_total = 0
    cross_total = 0
    cross_name = ""
    for name, spec in domains.items():
        res = size_for_proportion(spec.rate, population=spec.population, **common)  # type: ignore[arg-type]
        sizes[name] = res
        if spec.share is None:
            strata_total += res.completes
        else:
            _check_rate(f"share of {name}", spec.share)
            need = math.ceil(res.completes / spec.share - 1e-9)
            if need > cross_total:
                cross_total, cross_name = need, name
    candidates = [(strata_total, "strata"), (cross_total, cross_name)]
    if overall is not None:
        candidates.append((overall.completes, "overall"))
    completes, binding = max(candidates, key=lambda c: c[0])
    first = next(iter(sizes.values()))
    issued = math.ceil(completes / (first.response_rate * first.eligibility_rate) - 1e-9)
    return DomainPlan(sizes, strata_total, cross_total, completes, issued, binding)
