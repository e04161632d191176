"""Selection algorithms: PPS without replacement, equal-probability sampling, the door step.

* PSUs (villages / neighbourhood committees) with probability proportional to
  size: :func:`select_pps` with ``systematic`` (random start; certainty units
  removed first), ``brewer`` (Brewer 1975) or ``sampford`` (Sampford 1967,
  rejective). All three give the exact inclusion probabilities
  pi_i = n x_i / X of :func:`pps_inclusion_probabilities`.
* Households within a PSU: :func:`srs_indices` or :func:`systematic_indices`
  (fractional interval), both with inclusion probability n / N.
* One adult per household at the door: :func:`kish_grid_select` and
  :func:`next_birthday_select` return the person and the within-household
  selection probability (the interviewer module calls them).

Every function takes a ``numpy.random.Generator`` so draws are reproducible.
The multistage draw from a frame is :func:`sampling.frame.draw_sample`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling.errors import SelectionError

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class PPSMethod(Enum):
    """PPS without-replacement selection method for PSUs."""

    SYSTEMATIC = "systematic"
    BREWER = "brewer"
    SAMPFORD = "sampford"


class WithinMethod(Enum):
    """Equal-probability selection of households within a PSU."""

    SYSTEMATIC = "systematic"
    SRS = "srs"


@dataclass(frozen=True, slots=True, eq=False)
class PPSSample:
    """Selected units of one PPS draw.

    Attributes:
        indices: (n,) positions of the selected units in the input, ascending.
        prob: (n,) their inclusion probabilities pi_i (1 for certainty units).
        certainty: (n,) True for units selected with certainty (x_i >= interval).
    """

    indices: IntArray
    prob: FloatArray
    certainty: NDArray[np.bool_]


def _sizes(sizes: ArrayLike, n: int) -> FloatArray:
    x = np.asarray(sizes, dtype=np.float64).ravel()
    if x.size == 0:
        raise SelectionError("no units to select from", param="sizes")
    if not np.all(np.isfinite(x) & (x > 0)):
        bad = int(np.argwhere(~(np.isfinite(x) & (x > 0)))[0][0])
        raise SelectionError(
            f"size of unit {bad} must be a positive number",
            param="sizes",
            got=float(x[bad]),
            hint="fix or drop units with zero or missing size",
        )
    if not (isinstance(n, int | np.integer) and 0 <= n <= x.size):
        raise SelectionError(
            "sample size must be an integer between 0 and the number of units",
            param="n",
            got=n,
            expected=f"0..{x.size}",
        )
    return x


def pps_inclusion_probabilities(sizes: ArrayLike, n: int) -> FloatArray:
    """Inclusion probabilities proportional to size, with certainty units.

    Formula: pi_i = n x_i / X. Units with n x_i / X >= 1 (size at least the
    sampling interval X / n) get pi_i = 1 and are taken out; the rest are
    recomputed with n - (number of certainties) until no pi exceeds 1
    (Särndal, Swensson & Wretman 1992, §3.6; Tillé 2006, Sampling Algorithms). The result
    sums to n.

    Args:
        sizes: (N,) positive measures of size (population of the village/community).
        n: number of units to select.

    Returns:
        (N,) inclusion probabilities in (0, 1].

    Raises:
        SelectionError: non-positive sizes or n outside 0..N.

    Example:
        >>> pps_inclusion_probabilities([10, 20, 30, 140], 2).tolist()
        [0.16666666666666666, 0.3333333333333333, 0.5, 1.0]
    """
    x = _sizes(sizes, n)
    pi = np.zeros_like(x)
    if n == 0:
        return pi
    certain = np.zeros(x.size, dtype=bool)
    while True:
        rest = ~certain
        k = n - int(certain.sum())
        pi[rest] = k * x[rest] / x[rest].sum()
        newly = rest & (pi >= 1.0 - 1e-12)
        if not newly.any():
            break
        certain |= newly
        pi[certain] = 1.0
        if int(certain.sum()) >= n:
            pi[~certain] = 0.0
            break
    return pi


def select_pps(
    sizes: ArrayLike,
    n: int,
    rng: np.random.Generator,
    method: PPSMethod | str = PPSMethod.SYSTEMATIC,
) -> PPSSample:
    """Select n units without replacement with probability proportional to size.

    Certainty units (pi_i = 1, see :func:`pps_inclusion_probabilities`) are
    taken first; the others are drawn by ``method``:

    * ``systematic``: cumulate pi over the frame order, random start u ~ U(0, 1),
      take the units containing u, u + 1, ..., u + n' - 1 (Madow 1949;
      Cochran 1977, ch. 9A). Sort the frame geographically for implicit stratification.
    * ``brewer``: n draws; at step j a not-yet-selected unit k is drawn with
      probability proportional to pi_k (n - a - pi_k) / (n - a - pi_k (n - j + 1)),
      where a is the sum of pi over units already selected (Brewer 1975; Tillé 2006).
    * ``sampford``: first unit with probabilities pi_k / n, the other n - 1 with
      replacement with probabilities proportional to pi_k / (1 - pi_k); the
      sample is accepted only if all units differ (Sampford 1967; Tillé 2006).

    All three have inclusion probabilities exactly pi_i and never select a unit twice.

    Args:
        sizes: (N,) positive sizes.
        n: number of units.
        rng: random generator.
        method: ``"systematic"``, ``"brewer"`` or ``"sampford"``.

    Returns:
        :class:`PPSSample` with indices, pi and certainty flags.

    Raises:
        SelectionError: bad sizes or n; Sampford not accepting a sample in 10,000 tries.

    Example:
        >>> s = select_pps([10, 20, 30, 140], 2, np.random.default_rng(1), "brewer")
        >>> 3 in s.indices.tolist()
        True
    """
    method = PPSMethod(method) if isinstance(method, str) else method
    pi = pps_inclusion_probabilities(sizes, n)
    certain = pi >= 1.0
    rest = np.flatnonzero(~certain & (pi > 0))
    k = n - int(certain.sum())
    if k > 0:
        pr = pi[rest]
        if method is PPSMethod.SYSTEMATIC:
            picked = _systematic_pps(pr, k, rng)
        elif method is PPSMethod.BREWER:
            picked = _brewer(pr, k, rng)
        else:
            picked = _sampford(pr, k, rng)
        chosen = np.concatenate([np.flatnonzero(certain), rest[picked]])
    else:
        chosen = np.flatnonzero(certain)
    chosen = np.sort(chosen).astype(np.int64)
    return PPSSample(indices=chosen, prob=pi[chosen], certainty=certain[chosen])


def _systematic_pps(pi: FloatArray, n: int, rng: np.random.Generator) -> IntArray:
    cum = np.cumsum(pi)
    cum *= n / cum[-1]  # remove rounding drift so the last bound is exactly n
    points = rng.uniform() + np.arange(n)
    return np.searchsorted(cum, points, side="right").astype(np.int64)


def _brewer(pi: FloatArray, n: int, rng: np.random.Generator) -> IntArray:
    taken = np.zeros(pi.size, dtype=bool)
    for step in range(1, n + 1):
        a = float(pi[taken].sum())
        num = pi * (n - a - pi)
        den = n - a - pi * (n - step + 1)
        p = np.clip(np.where(taken, 0.0, num / den), 0.0, None)
        cum = np.cumsum(p)
        pick = int(np.searchsorted(cum, rng.uniform() * cum[-1], side="right"))
        while taken[pick]:  # u * total fell exactly on a zero-width bound: step past it
            pick += 1
        taken[pick] = True
    return np.flatnonzero(taken).astype(np.int64)


def _sampford(
    pi: FloatArray, n: int, rng: np.random.Generator, max_attempts: int = 10_000
) -> IntArray:
    if n == 1:
        return np.array([rng.choice(pi.size, p=pi / pi.sum())], dtype=np.int64)
    first_p = pi / pi.sum()
    lam = pi / (1.0 - pi)
    lam /= lam.sum()
    batch = 64
    tried = 0
    while tried < max_attempts:
        first = rng.choice(pi.size, size=(batch, 1), p=first_p)
        others = rng.choice(pi.size, size=(batch, n - 1), p=lam)
        draws = np.sort(np.hstack([first, others]), axis=1)
        ok = np.all(np.diff(draws, axis=1) > 0, axis=1)
        if ok.any():
            return draws[int(np.argmax(ok)), :].astype(np.int64)
        tried += batch
    raise SelectionError(
        f"Sampford's rejective method accepted no sample in {max_attempts} attempts",
        param="method",
        got="sampford",
        hint="use method 'brewer' (same inclusion probabilities, no rejection)",
    )


def _check_equal(population: int, n: int) -> None:
    if not (isinstance(population, int | np.integer) and population >= 1):
        raise SelectionError("population must be a positive integer", param="N", got=population)
    if not (isinstance(n, int | np.integer) and 0 <= n <= population):
        raise SelectionError(
            "sample size must be between 0 and the population size",
            param="n",
            got=n,
            expected=f"0..{population}",
        )


def srs_indices(population: int, n: int, rng: np.random.Generator) -> IntArray:
    """Simple random sample without replacement of n of N units (positions 0..N-1, ascending).

    Inclusion probability n / N for every unit (Cochran 1977, §2.2).

    Example:
        >>> srs_indices(10, 3, np.random.default_rng(0)).size
        3
    """
    _check_equal(population, n)
    return np.sort(rng.choice(population, size=n, replace=False)).astype(np.int64)


def systematic_indices(population: int, n: int, rng: np.random.Generator) -> IntArray:
    """Systematic sample of n of N units with a fractional interval k = N / n.

    Start u ~ U(0, k); unit floor(u + j k) for j = 0..n-1. Every unit has
    inclusion probability exactly n / N, also when N / n is not an integer
    (Madow & Madow 1944; Tillé 2006, systematic sampling with a fractional interval).

    Example:
        >>> systematic_indices(10, 5, np.random.default_rng(0)).size
        5
    """
    _check_equal(population, n)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = population / n
    points = rng.uniform(0.0, k) + k * np.arange(n)
    indices: IntArray = np.minimum(np.floor(points), population - 1).astype(np.int64)
    return indices


# ---------------------------------------------------------------------------
# the door step: one adult per household


@dataclass(frozen=True, slots=True)
class RosterPerson:
    """One household member as listed at the door.

    Attributes:
        person_id: any label (first name, line number).
        sex: questionnaire code ``"1"`` male / ``"2"`` female (also ``"m"``/``"f"``).
        age: age in completed years.
    """

    person_id: str
    sex: str
    age: int


@dataclass(frozen=True, slots=True)
class DoorSelection:
    """The adult selected in a household.

    Attributes:
        person_id: the selected person.
        probability: within-household selection probability (prob3).
        eligible: number of eligible adults.
        order: eligible person ids in the order the rule used.
        rule: ``"kish_serial"``, ``"kish_1949"`` or ``"next_birthday"``.
    """

    person_id: str
    probability: float
    eligible: int
    order: tuple[str, ...]
    rule: str


#: Kish (1949) selection tables: for 1..6+ eligible adults, the number to select.
KISH_1949_TABLES: dict[str, tuple[int, ...]] = {
    "A": (1, 1, 1, 1, 1, 1),
    "B1": (1, 1, 1, 1, 2, 2),
    "B2": (1, 1, 1, 2, 2, 2),
    "C": (1, 1, 2, 2, 3, 3),
    "D": (1, 2, 2, 3, 4, 4),
    "E1": (1, 2, 3, 3, 3, 5),
    "E2": (1, 2, 3, 4, 5, 5),
    "F": (1, 2, 3, 4, 5, 6),
}
#: share of households that get each table: 1/6 for A, C, D, F and 1/12 for B1, B2, E1, E2
KISH_1949_SHARES: dict[str, float] = {
    "A": 1 / 6,
    "B1": 1 / 12,
    "B2": 1 / 12,
    "C": 1 / 6,
    "D": 1 / 6,
    "E1": 1 / 12,
    "E2": 1 / 12,
    "F": 1 / 6,
}
#: a 12-household cycle assigning tables in Kish's proportions (see :func:`kish_table_for`)
KISH_1949_CYCLE: tuple[str, ...] = ("A", "B1", "C", "D", "E1", "F", "A", "B2", "C", "D", "E2", "F")


def kish_table_for(serial: int) -> str:
    """The Kish (1949) table for the cover sheet of household number ``serial`` (1, 2, ...)."""
    return KISH_1949_CYCLE[(int(serial) - 1) % len(KISH_1949_CYCLE)]


def _is_male(sex: str) -> bool:
    code = str(sex).strip().lower()
    if code in {"1", "m", "male", "男"}:
        return True
    if code in {"2", "f", "female", "女"}:
        return False
    raise SelectionError(
        "sex must be '1' (male) or '2' (female)",
        param="sex",
        got=sex,
        hint="use the questionnaire's codes",
    )


def kish_order(
    roster: Sequence[RosterPerson], *, min_age: int = 18, max_age: int = 69
) -> tuple[RosterPerson, ...]:
    """Eligible adults in Kish's listing order: men oldest first, then women oldest first."""
    eligible = [p for p in roster if min_age <= int(p.age) <= max_age]
    return tuple(sorted(eligible, key=lambda p: (0 if _is_male(p.sex) else 1, -int(p.age))))


def kish_grid_select(
    roster: Sequence[RosterPerson],
    *,
    serial: int | None = None,
    grid_row: str | None = None,
    min_age: int = 18,
    max_age: int = 69,
) -> DoorSelection:
    """Select one eligible adult by a Kish grid.

    Eligible adults (min_age..max_age) are listed men first then women, each
    oldest first (Kish 1949; Kish 1965, ch. 11). Then either

    * ``serial`` (household serial number 1, 2, ...): the balanced grid picks
      listed person ((serial - 1) mod k) + 1 of k eligible adults; over any k
      consecutive serials every position is used once, so the selection
      probability is 1 / k; or
    * ``grid_row`` (a Kish 1949 table label ``A``, ``B1``, ..., ``F``, e.g. from
      :func:`kish_table_for`): the number is read from the table; the
      probability returned is the exact share of households whose table selects
      that position (1 / k for k <= 4; Kish's tables are only approximately
      equal for 5 and 6 adults and cannot select beyond the 6th).

    Args:
        roster: household members.
        serial: household serial number (>= 1); or
        grid_row: Kish 1949 table label.
        min_age, max_age: eligibility (national survey: 18-69).

    Returns:
        :class:`DoorSelection` with the person and prob3.

    Raises:
        SelectionError: no eligible adult, both or neither of serial / grid_row,
            unknown table, or more than 6 eligible adults with a 1949 table.

    Example:
        >>> r = [RosterPerson("wang", "1", 45), RosterPerson("li", "2", 43)]
        >>> kish_grid_select(r, serial=2).person_id, kish_grid_select(r, serial=2).probability
        ('li', 0.5)
    """
    if (serial is None) == (grid_row is None):
        raise SelectionError(
            "give exactly one of serial or grid_row", param="serial", got=(serial, grid_row)
        )
    order = kish_order(roster, min_age=min_age, max_age=max_age)
    k = len(order)
    if k == 0:
        raise SelectionError(
            f"no household member aged {min_age}-{max_age}",
            param="roster",
            hint="the household is not eligible; record the outcome and move on",
        )
    ids = tuple(p.person_id for p in order)
    if serial is not None:
        if int(serial) < 1:
            raise SelectionError("serial must be >= 1", param="serial", got=serial)
        pos = (int(serial) - 1) % k
        return DoorSelection(ids[pos], 1.0 / k, k, ids, "kish_serial")
    table = KISH_1949_TABLES.get(str(grid_row))
    if table is None:
        raise SelectionError(
            "unknown Kish table", param="grid_row", got=grid_row, expected=sorted(KISH_1949_TABLES)
        )
    if k > 6:
        raise SelectionError(
            "Kish's 1949 tables cannot select among more than 6 adults",
            param="grid_row",
            got=k,
            hint="use serial= (balanced grid) for large households",
        )
    pos = table[k - 1] - 1
    prob = sum(KISH_1949_SHARES[t] for t, row in KISH_1949_TABLES.items() if row[k - 1] == pos + 1)
    return DoorSelection(ids[pos], float(prob), k, ids, "kish_1949")


def _next_birthday(born: dt.date, on: dt.date) -> dt.date:
    year = on.year
    while True:
        try:
            day = born.replace(year=year)
        except ValueError:  # 29 February in a common year: celebrate on 1 March
            day = dt.date(year, 3, 1)
        if day > on:
            return day
        year += 1


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - int((on.month, on.day) < (born.month, born.day))


def next_birthday_select(
    birthdays: Sequence[tuple[str, dt.date]],
    on: dt.date,
    *,
    min_age: int = 18,
    max_age: int = 69,
) -> DoorSelection:
    """Select the eligible adult whose birthday comes next after ``on``.

    The next-birthday rule (Salmon & Nichols 1983) is quasi-random; its nominal
    within-household probability is 1 / k for k eligible adults (a birthday on
    ``on`` itself counts as a year away; 29 February counts as 1 March in
    common years; ties go to the first listed).

    Args:
        birthdays: (person_id, date of birth) of each household member.
        on: interview date.
        min_age, max_age: eligibility by age on ``on``.

    Returns:
        :class:`DoorSelection` with probability 1 / k.

    Raises:
        SelectionError: no eligible adult.

    Example:
        >>> people = [("a", dt.date(1980, 3, 5)), ("b", dt.date(1979, 7, 1))]
        >>> next_birthday_select(people, dt.date(2025, 6, 1)).person_id
        'b'
    """
    eligible = [(pid, born) for pid, born in birthdays if min_age <= _age(born, on) <= max_age]
    if not eligible:
        raise SelectionError(
            f"no household member aged {min_age}-{max_age}",
            param="birthdays",
            hint="the household is not eligible; record the outcome and move on",
        )
    order = sorted(eligible, key=lambda pb: _next_birthday(pb[1], on))  # stable: ties keep order
    k = len(order)
    return DoorSelection(order[0][0], 1.0 / k, k, tuple(pid for pid, _ in order), "next_birthday")
