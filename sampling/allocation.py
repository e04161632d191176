"""Allocation of a sample across strata and the cluster-size cost model.

:func:`allocate` splits a total over strata (towns/streets) by one of
:class:`AllocationMethod`, respects per-stratum minimum and maximum sizes, and
rounds to integers that add up to the total (largest remainder). :func:`cluster_plan`
chooses the number of interviews per PSU and the number of PSUs from the
classic two-stage cost model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling.errors import SamplingError
from sampling.errors import SelectionError

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class AllocationMethod(Enum):
    """How a total sample is shared among strata.

    * ``PROPORTIONAL``: n_h proportional to N_h (self-weighting; best for the whole city).
    * ``EQUAL``: the same n_h everywhere (best for comparing towns).
    * ``NEYMAN``: n_h proportional to N_h S_h (Cochran 1977, §5.5).
    * ``OPTIMAL``: n_h proportional to N_h S_h / sqrt(c_h), with c_h the cost per
      interview (Cochran 1977, §5.5).
    * ``POWER``: n_h proportional to N_h^q S_h / Ybar_h (Bankier 1988): q = 1 is
      proportional-like, q = 0 gives every stratum the same CV; q = 0.5 is a
      common compromise between city-wide and town precision.
    """

    PROPORTIONAL = "proportional"
    EQUAL = "equal"
    NEYMAN = "neyman"
    OPTIMAL = "optimal"
    POWER = "power"


#: the allocations a sample-design file may name: they need only the strata's sizes
SIZE_ALLOCATIONS = (AllocationMethod.PROPORTIONAL, AllocationMethod.EQUAL, AllocationMethod.POWER)


def design_count(value: Any, name: str, minimum: int) -> int:
    """A whole number >= ``minimum`` from a design file (``name`` is its key), else an error.

    Example:
        >>> design_count(3, "psus_total", 1)
        3
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SelectionError(f"{name} must be a whole number >= {minimum}", param=name, got=value)
    return value


def size_allocation(method: AllocationMethod, name: str) -> AllocationMethod:
    """``method`` if a design file may use it (one of :data:`SIZE_ALLOCATIONS`), else an error.

    Example:
        >>> size_allocation(AllocationMethod.EQUAL, "allocation").value
        'equal'
    """
    if method not in SIZE_ALLOCATIONS:
        raise SelectionError(
            f"{name} must be proportional, equal or power", param=name, got=method.value
        )
    return method


@dataclass(frozen=True, slots=True, eq=False)
class Allocation:
    """Integer sample sizes per stratum.

    Attributes:
        strata: stratum labels.
        sizes: (H,) integer sample sizes; they add up to ``total``.
        exact: (H,) real-valued allocation after bounds, before rounding.
        total: the total allocated.
        method: the allocation method.
    """

    strata: tuple[str, ...]
    sizes: IntArray
    exact: FloatArray
    total: int
    method: AllocationMethod

    def as_dict(self) -> dict[str, int]:
        """Stratum label -> sample size."""
        return {s: int(n) for s, n in zip(self.strata, self.sizes, strict=True)}


def _vector(values: ArrayLike | None, h: int, name: str, default: float | None) -> FloatArray:
    if values is None:
        if default is None:
            raise SamplingError(f"{name} is required for this allocation method", param=name)
        return np.full(h, float(default))
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(h, float(arr))
    if arr.shape != (h,):
        raise SamplingError(
            f"{name} must have one value per stratum", param=name, got=arr.shape, expected=(h,)
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise SamplingError(f"{name} must be finite and >= 0", param=name, got=arr.tolist())
    return arr


def allocation_shares(
    population: ArrayLike,
    method: AllocationMethod | str = AllocationMethod.PROPORTIONAL,
    *,
    sd: ArrayLike | None = None,
    cost: ArrayLike | None = None,
    mean: ArrayLike | None = None,
    power: float = 0.5,
) -> FloatArray:
    """Relative allocation weights a_h (n_h = n a_h / sum a) for each method.

    Formulas: proportional N_h; equal 1; Neyman N_h S_h; optimal under cost
    N_h S_h / sqrt(c_h) (Cochran 1977, §5.5); power N_h^q S_h / Ybar_h (Bankier
    1988, minimising sum_h N_h^(2q) CV_h^2; with S_h / Ybar_h omitted when
    ``sd``/``mean`` are not given, i.e. equal unit CVs, n_h is proportional to N_h^q).

    Example:
        >>> allocation_shares([100, 400], "power", power=0.5).tolist()
        [10.0, 20.0]
    """
    method = AllocationMethod(method) if isinstance(method, str) else method
    n_pop = np.asarray(population, dtype=np.float64).ravel()
    h = n_pop.size
    if h == 0 or not np.all(np.isfinite(n_pop) & (n_pop > 0)):
        raise SamplingError(
            "population sizes must be positive numbers, one per stratum",
            param="population",
            got=n_pop.tolist(),
        )
    if method is AllocationMethod.PROPORTIONAL:
        return n_pop.copy()
    if method is AllocationMethod.EQUAL:
        return np.ones(h)
    if method is AllocationMethod.NEYMAN:
        return n_pop * _vector(sd, h, "sd", None)
    if method is AllocationMethod.OPTIMAL:
        c = _vector(cost, h, "cost", None)
        if np.any(c <= 0):
            raise SamplingError("cost per interview must be > 0", param="cost", got=c.tolist())
        return n_pop * _vector(sd, h, "sd", None) / np.sqrt(c)
    if not math.isfinite(power) or power < 0:
        raise SamplingError("power exponent must be >= 0", param="power", got=power)
    shares = n_pop**power
    if sd is not None or mean is not None:
        m = _vector(mean, h, "mean", None)
        if np.any(m <= 0):
            raise SamplingError("power allocation needs means > 0", param="mean", got=m.tolist())
        shares = shares * _vector(sd, h, "sd", None) / m
    return shares


def round_preserving_total(
    exact: ArrayLike, total: int, *, minimum: ArrayLike | None = None
) -> IntArray:
    """Round a real allocation to integers with the same total (largest remainder).

    Floors every value, then adds 1 to the strata with the largest fractional
    parts (ties: first stratum first) until the total is met (Hamilton's
    method). Values that are already integers are never raised, so integer
    bounds satisfied by ``exact`` stay satisfied.

    Example:
        >>> round_preserving_total([2.5, 2.5, 5.0], 10).tolist()
        [3, 2, 5]
    """
    x = np.asarray(exact, dtype=np.float64)
    base = np.floor(x + 1e-9).astype(np.int64)
    if minimum is not None:
        base = np.maximum(base, np.asarray(minimum, dtype=np.int64))
    short = int(total) - int(base.sum())
    if short < 0 or short > x.size:
        raise SamplingError(
            "cannot round the allocation to the requested total",
            param="total",
            got=total,
            expected=f"{int(base.sum())}..{int(base.sum()) + x.size}",
        )
    frac = x - base
    order = np.argsort(-frac, kind="stable")
    base[order[:short]] += 1
    return base


def allocate(
    total: int,
    population: ArrayLike,
    method: AllocationMethod | str = AllocationMethod.PROPORTIONAL,
    *,
    strata: Sequence[str] | None = None,
    sd: ArrayLike | None = None,
    cost: ArrayLike | None = None,
    mean: ArrayLike | None = None,
    power: float = 0.5,
    minimum: ArrayLike | int = 0,
    maximum: ArrayLike | int | None = None,
) -> Allocation:
    """Allocate ``total`` interviews (or PSUs) to strata, within bounds, as integers.

    Formula: n_h = n a_h / sum_k a_k with a_h from :func:`allocation_shares`.
    Strata pushed below ``minimum`` or above ``maximum`` are fixed at the bound
    and the rest is re-shared among the others until no bound is violated
    (the usual iterative truncation, e.g. Valliant, Dever & Kreuter 2018, §3.4);
    then :func:`round_preserving_total`.

    Args:
        total: sample size to allocate.
        population: (H,) stratum population sizes N_h.
        method: see :class:`AllocationMethod`.
        strata: stratum labels (default "1".."H").
        sd: unit standard deviations S_h (Neyman, optimal, power); for a rate p_h
            use sqrt(p_h (1 - p_h)).
        cost: cost per interview c_h (optimal).
        mean: stratum means Ybar_h (power; the rate p_h itself for proportions).
        power: Bankier's exponent q in [0, 1] (power).
        minimum: smallest n_h (scalar or per stratum), e.g. for a town's own precision.
        maximum: largest n_h (scalar or per stratum), e.g. the number of PSUs available.

    Returns:
        :class:`Allocation`.

    Raises:
        SamplingError: bad inputs, or bounds that cannot hold (sum of minima > total,
            sum of maxima < total).

    Example:
        >>> allocate(10, [100, 300, 600]).sizes.tolist()
        [1, 3, 6]
    """
    method = AllocationMethod(method) if isinstance(method, str) else method
    shares = allocation_shares(population, method, sd=sd, cost=cost, mean=mean, power=power)
    h = shares.size
    if not (isinstance(total, int | np.integer) and total >= 0):
        raise SamplingError("total must be a non-negative integer", param="total", got=total)
    lo = _vector(minimum, h, "minimum", 0.0)
    hi = _vector(maximum, h, "maximum", math.inf)
    if np.any(lo != np.floor(lo)) or np.any(np.isfinite(hi) & (hi != np.floor(hi))):
        raise SamplingError("minimum and maximum must be whole numbers", param="minimum")
    if np.any(lo > hi):
        bad = int(np.argmax(lo > hi))
        raise SamplingError(
            f"stratum {bad}: minimum exceeds maximum", param="minimum", got=(lo[bad], hi[bad])
        )
    if lo.sum() > total:
        raise SamplingError(
            "the minimum sizes add up to more than the total",
            param="minimum",
            got=int(lo.sum()),
            expected=f"<= {total}",
            hint="raise the total or lower the per-stratum minimum",
        )
    if hi.sum() < total:
        raise SamplingError(
            "the maximum sizes add up to less than the total",
            param="maximum",
            got=float(hi.sum()),
            expected=f">= {total}",
            hint="lower the total or raise the per-stratum maximum",
        )
    exact = np.zeros(h)
    fixed = np.zeros(h, dtype=bool)
    for _ in range(h + 1):
        free = ~fixed
        remaining = total - exact[fixed].sum()
        w = shares[free]
        exact[free] = remaining * (w / w.sum() if w.sum() > 0 else np.full(w.size, 1 / w.size))
        low = free & (exact < lo - 1e-9)
        high = free & (exact > hi + 1e-9)
        if not (low.any() or high.any()):
            break
        # fix the larger violation side first; fixing both at once can overshoot
        if (lo[low] - exact[low]).sum() >= (exact[high] - hi[high]).sum():
            exact[low] = lo[low]
            fixed |= low
        else:
            exact[high] = hi[high]
            fixed |= high
    sizes = round_preserving_total(exact, total)
    labels = tuple(strata) if strata is not None else tuple(str(i + 1) for i in range(h))
    if len(labels) != h:
        raise SamplingError("one label per stratum", param="strata", got=len(labels), expected=h)
    return Allocation(labels, sizes, exact, int(total), method)


def optimal_total_for_budget(
    budget: float,
    population: ArrayLike,
    sd: ArrayLike,
    cost: ArrayLike,
    *,
    fixed_cost: float = 0.0,
) -> float:
    """Total sample size that minimises the variance for a budget (Cochran 1977, §5.5).

    Formula: with cost C = c0 + sum_h c_h n_h and optimal allocation,
    n = (C - c0) sum_h N_h S_h / sqrt(c_h) / sum_h N_h S_h sqrt(c_h).

    Example:
        >>> optimal_total_for_budget(1000, [100, 100], [1, 1], [4, 4])
        250.0
    """
    n_pop = np.asarray(population, dtype=np.float64)
    s = np.asarray(sd, dtype=np.float64)
    c = np.asarray(cost, dtype=np.float64)
    if budget <= fixed_cost or np.any(c <= 0):
        raise SamplingError(
            "budget must exceed the fixed cost and costs must be > 0",
            param="budget",
            got=(budget, fixed_cost),
        )
    return float(
        (budget - fixed_cost) * (n_pop * s / np.sqrt(c)).sum() / (n_pop * s * np.sqrt(c)).sum()
    )


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    """Interviews per PSU and number of PSUs from the two-stage cost model.

    Attributes:
        m_optimal: unrounded optimal interviews per PSU, sqrt(c1 (1 - rho) / (c2 rho)).
        persons_per_psu: the interviews per PSU used (rounded, or as given).
        psus: number of PSUs.
        interviews: psus * persons_per_psu.
        deff: 1 + (m - 1) rho at the chosen m.
        cost: c1 * psus + c2 * interviews.
        effective_n: interviews / deff.
    """

    m_optimal: float
    persons_per_psu: int
    psus: int
    interviews: int
    deff: float
    cost: float
    effective_n: float


def optimal_cluster_size(c1: float, c2: float, icc: float) -> float:
    """Cost-optimal number of interviews per PSU.

    Formula: m_opt = sqrt(c1 (1 - rho) / (c2 rho)), minimising the variance
    (1 + (m - 1) rho) / (k m) for a fixed budget k (c1 + c2 m)
    (Hansen, Hurwitz & Madow 1953, ch. 6 §16; Kish 1965, §8.3).

    Args:
        c1: cost per PSU (travel, listing).
        c2: cost per interview.
        icc: intraclass correlation rho (roh) of the outcome within PSUs, 0 < rho < 1.

    Example:
        >>> round(optimal_cluster_size(400, 20, 0.05), 4)
        19.4936
    """
    if not (c1 > 0 and c2 > 0):
        raise SamplingError("costs c1 and c2 must be > 0", param="c1", got=(c1, c2))
    if not 0 < icc < 1:
        raise SamplingError(
            "icc must be strictly between 0 and 1",
            param="icc",
            got=icc,
            hint="with icc = 0 clustering costs nothing: take as many interviews per PSU as "
            "fieldwork allows",
        )
    return math.sqrt(c1 * (1 - icc) / (c2 * icc))


def cluster_plan(
    c1: float,
    c2: float,
    icc: float,
    *,
    budget: float | None = None,
    srs_size: float | None = None,
    persons_per_psu: int | None = None,
) -> ClusterPlan:
    """Number of PSUs and interviews per PSU for a budget or a precision target.

    With m = round(m_opt) (or ``persons_per_psu``) and deff = 1 + (m - 1) rho
    (Kish 1965, §5.4): for a ``budget`` the PSU count is floor(budget / (c1 + c2 m));
    for an SRS-equivalent sample size ``srs_size`` (from :func:`sampling.size.size_for_proportion`
    with deff 1) it is ceil(srs_size * deff / m).

    Args:
        c1, c2, icc: see :func:`optimal_cluster_size`.
        budget: total variable cost available; or
        srs_size: required effective sample size.
        persons_per_psu: override the optimal m.

    Returns:
        :class:`ClusterPlan`.

    Raises:
        SamplingError: bad costs or icc, neither or both of budget / srs_size.

    Example:
        >>> p = cluster_plan(400, 20, 0.05, srs_size=384)
        >>> (p.persons_per_psu, p.psus)
        (19, 39)
    """
    if (budget is None) == (srs_size is None):
        raise SamplingError("give exactly one of budget or srs_size", param="budget")
    m_opt = optimal_cluster_size(c1, c2, icc)
    m = int(persons_per_psu) if persons_per_psu is not None else max(1, round(m_opt))
    if m < 1:
        raise SamplingError("persons_per_psu must be >= 1", param="persons_per_psu", got=m)
    deff = 1 + (m - 1) * icc
    psus = 0
    if budget is not None:
        psus = int(budget // (c1 + c2 * m))
        if psus < 1:
            raise SamplingError(
                "the budget does not cover one PSU",
                param="budget",
                got=budget,
                expected=f">= {c1 + c2 * m}",
            )
    elif srs_size is not None:
        psus = max(1, math.ceil(srs_size * deff / m - 1e-9))
    interviews = psus * m
    return ClusterPlan(
        m_optimal=m_opt,
        persons_per_psu=m,
        psus=psus,
        interviews=interviews,
        deff=deff,
        cost=c1 * psus + c2 * interviews,
        effective_n=interviews / deff,
    )
