"""Simulated fieldwork for the demo: the door step, response, paradata, earlier waves.

**Synthetic** (模拟数据). Given the drawn households (``sampling.frame.draw_sample``)
:func:`simulate_fieldwork` plays out the visits:

* 3% of addresses are never resolved (AAPOR 3.10, unknown if occupied), 6% are
  vacant or have nobody aged 18-69 (4.50 / 4.70);
* in the others a roster of 1-4 adults is simulated (:func:`reports.synthetic.
  simulate_people`) and one adult chosen by the balanced Kish grid
  (:func:`sampling.selection.kish_grid_select`, prob3 = 1 / eligible adults);
* contact fails more often in urban communities (2.20 non-contact), and the
  selected adult cooperates with probability
  ``logistic(1.4 - 0.5 urban + 0.02 (age - 45) - 0.1 male)``: young urban men
  respond least, as in most household surveys (Groves & Couper 1998, ch. 5);
  some refuse (2.11), a few break off (2.12) or stop half-way (1.2 partial);
* interview length (minutes) is log-normal around 18 minutes, longer for older
  and less educated people; 2% rush through (speeders).

Everything is vectorised except the door step (one Kish grid per household).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from reports.synthetic import EDUCATION
from reports.synthetic import YIWU_TOWNS
from reports.synthetic import simulate_people
from sampling.selection import RosterPerson
from sampling.selection import kish_grid_select

logger = logging.getLogger(__name__)

#: age bands used as raking margins (the national reports' bands)
AGE_BAND_EDGES = (30, 40, 50, 60)
AGE_BAND_LABELS = ("18-29", "30-39", "40-49", "50-59", "60-69")


def age_band(age: NDArray[Any]) -> NDArray[np.str_]:
    """``18-29`` ... ``60-69`` from ages in years.

    Example:
        >>> age_band(np.array([18, 35, 69])).tolist()
        ['18-29', '30-39', '60-69']
    """
    idx = np.searchsorted(np.array(AGE_BAND_EDGES), np.asarray(age, dtype=np.float64), "right")
    return np.array(AGE_BAND_LABELS)[idx]


def sex_age_cell(sex: NDArray[Any], age: NDArray[Any]) -> NDArray[np.str_]:
    """The raking cell ``<sex>_<age band>`` (e.g. ``1_30-39``).

    Example:
        >>> sex_age_cell(np.array(["1"]), np.array([42])).tolist()
        ['1_40-49']
    """
    return np.char.add(np.char.add(np.asarray(sex).astype(str), "_"), age_band(age))


def census_margins(rng: np.random.Generator, n: int = 200_000) -> dict[str, dict[str, float]]:
    """Synthetic census totals of adults 18-69 by sex x age band and by urban/rural.

    The shares come from ``n`` simulated residents, scaled to the synthetic
    population of the 14 towns (:data:`reports.synthetic.YIWU_TOWNS`); both
    margins add up to the same total, as raking needs.

    Example:
        >>> sum(census_margins(np.random.default_rng(1), 1000)["urban"].values())
        1382000.0
    """
    people = simulate_people(n, rng)
    total = float(sum(t.adults for t in YIWU_TOWNS))
    out: dict[str, dict[str, float]] = {}
    for name, values in (
        ("sex_age", sex_age_cell(people["sex"], people["age"])),
        ("urban", people["urban"]),
    ):
        levels, counts = np.unique(values, return_counts=True)
        shares = counts / counts.sum()
        out[name] = {str(k): float(round(total * s)) for k, s in zip(levels, shares, strict=True)}
        # make both margins add up to exactly the same total
        first = next(iter(out[name]))
        out[name][first] += total - sum(out[name].values())
    return out


def _logistic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_fieldwork(
    households: Sequence[Mapping[str, Any]],
    urban_of_psu: Mapping[str, int],
    rng: np.random.Generator,
    *,
    survey_year: int = 2025,
) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]]]:
    """Visit every sampled household; return the fieldwork file and the selected people.

    Args:
        households: rows of the sample file (``household_id``, ``stratum``, ``town``,
            ``psu``, ``household_number``, ``prob1``, ``prob2``).
        urban_of_psu: PSU id -> 1 for an urban community, 0 for a village.
        rng: random generator.
        survey_year: year of the fieldwork (ages and birth years).

    Returns:
        ``(fieldwork, people)``: fieldwork columns per household (``outcome`` AAPOR
        code, ``eligible_adults``, ``prob3``, ``minutes``...), and the demographics
        (plus ``theta``) of the selected adult of every household (empty strings and
        NaN where nobody was selected).

    Example:
        >>> fw, people = simulate_fieldwork(sample.rows, urban_of_psu, rng)  # doctest: +SKIP
        >>> sorted(set(fw["outcome"]))  # doctest: +SKIP
        ['1.1', '1.2', '2.11', '2.12', '2.20', '3.10', '4.50', '4.70']
    """
    n = len(households)
    town = np.array([str(h["town"]) for h in households])
    psu = np.array([str(h["psu"]) for h in households])
    urban = np.array([int(urban_of_psu[p]) for p in psu], dtype=np.int64)
    u = rng.random(n)
    unknown = u < 0.03
    ineligible = (~unknown) & (u < 0.09)
    occupied = ~(unknown | ineligible)
    adults = np.where(occupied, 1 + rng.binomial(3, 0.45, n), 0)
    total = int(adults.sum())
    owner = np.repeat(np.arange(n), adults)
    roster = simulate_people(total, rng, survey_year=survey_year, town=town[owner],
                             urban=urban[owner])  # fmt: skip
    starts = np.concatenate([[0], np.cumsum(adults)[:-1]])
    chosen = np.full(n, -1, dtype=np.int64)
    prob3 = np.full(n, np.nan)
    for i in np.flatnonzero(occupied):
        first = int(starts[i])
        members = [
            RosterPerson(str(k), str(roster["sex"][k]), int(roster["age"][k]))
            for k in range(first, first + int(adults[i]))
        ]
        pick = kish_grid_select(members, serial=int(households[int(i)]["household_number"]))
        chosen[i] = int(pick.person_id)
        prob3[i] = pick.probability
    sel = np.flatnonzero(chosen >= 0)
    age = np.full(n, np.nan)
    male = np.zeros(n)
    age[sel] = roster["age"][chosen[sel]]
    male[sel] = roster["sex"][chosen[sel]] == "1"
    contact = occupied & (rng.random(n) < np.where(urban == 1, 0.86, 0.94))
    lin = 1.4 - 0.5 * urban + 0.02 * (np.nan_to_num(age, nan=45.0) - 45) - 0.1 * male
    cooperate = contact & (rng.random(n) < _logistic(lin))
    v = rng.random(n)
    outcome = np.full(n, "2.20", dtype=object)
    outcome[unknown] = "3.10"
    outcome[ineligible] = np.where(rng.random(int(ineligible.sum())) < 0.6, "4.50", "4.70")
    refused = contact & ~cooperate
    outcome[refused] = np.where(v[refused] < 0.9, "2.11", "2.12")
    outcome[cooperate] = np.where(v[cooperate] < 0.02, "1.2", "1.1")
    complete = outcome == "1.1"
    edu = np.zeros(n)
    edu[sel] = np.searchsorted(np.array(EDUCATION), roster["education"][chosen[sel]])
    minutes = np.full(n, np.nan)
    typical = 18 * np.exp(0.006 * (np.nan_to_num(age, nan=45) - 45) - 0.04 * (edu - 3))
    minutes[complete] = typical[complete] * rng.lognormal(0.0, 0.25, int(complete.sum()))
    speed = complete & (rng.random(n) < 0.02)
    minutes[speed] = rng.uniform(2.5, 4.5, int(speed.sum()))
    fieldwork: dict[str, NDArray[Any]] = {
        "household_id": np.array([str(h["household_id"]) for h in households]),
        "stratum": np.array([str(h["stratum"]) for h in households]),
        "town": town,
        "psu": psu,
        "urban": np.where(urban == 1, "urban", "rural"),
        "prob1": np.array([float(h["prob1"]) for h in households]),
        "prob2": np.array([float(h["prob2"]) for h in households]),
        "eligible_adults": adults,
        "prob3": prob3,
        "outcome": outcome.astype(str),
        "minutes": np.round(minutes, 1),
    }
    people: dict[str, NDArray[Any]] = {}
    for key, values in roster.items():
        col = np.full(n, np.nan) if values.dtype.kind in "fi" else np.full(n, "", dtype=object)
        col[sel] = values[chosen[sel]]
        people[key] = col
    return fieldwork, people
