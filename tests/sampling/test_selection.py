"""Selection algorithms: realised inclusion probabilities match their targets in repeated draws.

Tolerances come from the number of draws: a realised frequency f of a unit with
target pi over R independent draws has standard error sqrt(pi (1 - pi) / R); we
allow 4 such standard errors (false-alarm rate about 6e-5 per unit).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling.errors import SelectionError
from sampling.selection import KISH_1949_CYCLE
from sampling.selection import KISH_1949_SHARES
from sampling.selection import KISH_1949_TABLES
from sampling.selection import PPSMethod
from sampling.selection import RosterPerson
from sampling.selection import kish_grid_select
from sampling.selection import kish_order
from sampling.selection import kish_table_for
from sampling.selection import next_birthday_select
from sampling.selection import pps_inclusion_probabilities
from sampling.selection import select_pps
from sampling.selection import srs_indices
from sampling.selection import systematic_indices

# 16 villages of one town; the 2nd is large enough to be a certainty unit for n = 5
SIZES = np.array(
    [820, 5200, 1310, 640, 2280, 990, 1750, 430, 3050, 1180, 760, 2600, 1420, 510, 1990, 880],
    dtype=float,
)
N_PSU = 5


def _within(freq: np.ndarray, target: np.ndarray, draws: int) -> None:
    se = np.sqrt(target * (1 - target) / draws)
    tol = 4 * se + 1e-12
    worst = np.max(np.abs(freq - target) - tol)
    assert worst <= 0, f"realised {freq} vs target {target}"


def test_inclusion_probabilities_with_certainty_by_hand() -> None:
    # X = 200, n = 2: unit 4 has 2 * 140 / 200 = 1.4 >= 1 -> certain; the rest share
    # n = 1: 10/60, 20/60, 30/60
    pi = pps_inclusion_probabilities([10, 20, 30, 140], 2)
    assert_allclose(pi, [1 / 6, 1 / 3, 1 / 2, 1.0], rtol=1e-15)


def test_certainty_found_iteratively() -> None:
    # first pass: 3 * 50 / 110 = 1.36 -> certain; second pass 2 * 30 / 60 = 1.0 -> certain
    pi = pps_inclusion_probabilities([50, 30, 10, 10, 10], 3)
    assert_allclose(pi, [1.0, 1.0, 1 / 3, 1 / 3, 1 / 3], rtol=1e-12)
    pi = pps_inclusion_probabilities(SIZES, N_PSU)
    assert_allclose(pi.sum(), N_PSU, rtol=1e-12)
    assert pi[1] == 1.0 and np.all(pi[np.arange(16) != 1] < 1)


@pytest.mark.parametrize(
    ("method", "draws"),
    [(PPSMethod.SYSTEMATIC, 4000), (PPSMethod.BREWER, 3000), (PPSMethod.SAMPFORD, 3000)],
)
def test_realised_inclusion_probabilities_match_targets(method: PPSMethod, draws: int) -> None:
    rng = np.random.default_rng(8)
    target = pps_inclusion_probabilities(SIZES, N_PSU)
    counts = np.zeros(SIZES.size)
    for _ in range(draws):
        s = select_pps(SIZES, N_PSU, rng, method)
        assert s.indices.size == N_PSU
        assert np.all(np.diff(s.indices) > 0)  # sorted and never the same unit twice
        assert np.array_equal(s.prob, target[s.indices])
        counts[s.indices] += 1
    _within(counts / draws, target, draws)


def test_systematic_pps_exact_for_any_frame_order() -> None:
    # systematic PPS is exact for any order: sort by size (an implicit stratification)
    rng = np.random.default_rng(3)
    order = np.argsort(SIZES)
    sizes = SIZES[order]
    target = pps_inclusion_probabilities(sizes, 6)
    draws = 3000
    counts = np.zeros(sizes.size)
    for _ in range(draws):
        counts[select_pps(sizes, 6, rng, "systematic").indices] += 1
    _within(counts / draws, target, draws)


def test_brewer_and_sampford_without_certainty_units() -> None:
    sizes = np.array([3.0, 5.0, 8.0, 2.0, 6.0, 4.0, 7.0])
    target = pps_inclusion_probabilities(sizes, 3)
    assert np.all(target < 1)
    rng = np.random.default_rng(11)
    for method in ("brewer", "sampford"):
        counts = np.zeros(sizes.size)
        draws = 3000
        for _ in range(draws):
            s = select_pps(sizes, 3, rng, method)
            assert s.indices.size == 3 and np.all(np.diff(s.indices) > 0)
            counts[s.indices] += 1
        _within(counts / draws, target, draws)


def test_reproducible_with_seed() -> None:
    a = select_pps(SIZES, N_PSU, np.random.default_rng(42), "sampford").indices
    b = select_pps(SIZES, N_PSU, np.random.default_rng(42), "sampford").indices
    assert a.tolist() == b.tolist()


def test_edge_sizes() -> None:
    rng = np.random.default_rng(0)
    assert select_pps(SIZES, 0, rng).indices.size == 0
    everything = select_pps(SIZES, SIZES.size, rng, "brewer")
    assert everything.indices.tolist() == list(range(SIZES.size))
    assert np.all(everything.certainty)
    one = select_pps([1.0, 2.0, 3.0], 1, rng, "sampford")
    assert one.indices.size == 1


@pytest.mark.parametrize(
    ("sizes", "n", "message"),
    [
        ([10, 0, 5], 1, "size of unit 1 must be a positive number"),
        ([10, -3, 5], 1, "size of unit 1"),
        ([10, np.nan, 5], 1, "size of unit 1"),
        ([10, 5], 3, "between 0 and the number of units"),
        ([], 0, "no units"),
    ],
)
def test_bad_pps_input(sizes, n, message) -> None:
    with pytest.raises(SelectionError, match=message):
        select_pps(sizes, n, np.random.default_rng(0))


@pytest.mark.parametrize("draw", [srs_indices, systematic_indices])
def test_equal_probability_within_psu(draw) -> None:
    rng = np.random.default_rng(5)
    population, n, draws = 17, 5, 6000  # 17 / 5 is a fractional interval
    counts = np.zeros(population)
    for _ in range(draws):
        idx = draw(population, n, rng)
        assert idx.size == n and np.unique(idx).size == n
        assert idx.min() >= 0 and idx.max() < population
        counts[idx] += 1
    _within(counts / draws, np.full(population, n / population), draws)


def test_equal_probability_bad_input() -> None:
    with pytest.raises(SelectionError, match="between 0 and the population size"):
        srs_indices(5, 6, np.random.default_rng(0))
    with pytest.raises(SelectionError, match="population must be a positive integer"):
        systematic_indices(0, 0, np.random.default_rng(0))


# --- the door step ------------------------------------------------------------------------

ROSTER = [
    RosterPerson("grandma", "2", 71),  # too old for the 18-69 survey
    RosterPerson("mother", "2", 44),
    RosterPerson("father", "1", 47),
    RosterPerson("son", "1", 19),
    RosterPerson("daughter", "2", 15),  # too young
]


def test_kish_order_men_then_women_oldest_first() -> None:
    order = [p.person_id for p in kish_order(ROSTER)]
    assert order == ["father", "son", "mother"]


def test_kish_serial_grid_is_balanced() -> None:
    # over any 3 consecutive serials each of the 3 eligible adults is chosen once
    picks = [kish_grid_select(ROSTER, serial=s).person_id for s in range(7, 10)]
    assert sorted(picks) == ["father", "mother", "son"]
    sel = kish_grid_select(ROSTER, serial=1)
    assert sel.person_id == "father" and sel.probability == pytest.approx(1 / 3)
    assert sel.eligible == 3 and sel.rule == "kish_serial"


def test_kish_1949_tables_equal_probability_up_to_four() -> None:
    # the cycle gives each table Kish's share
    for table, share in KISH_1949_SHARES.items():
        assert KISH_1949_CYCLE.count(table) / len(KISH_1949_CYCLE) == pytest.approx(share)
    assert sum(KISH_1949_SHARES.values()) == pytest.approx(1.0)
    for k in range(1, 5):
        roster = [RosterPerson(f"p{i}", "1", 60 - i) for i in range(k)]
        hits: dict[str, float] = {}
        for table in KISH_1949_TABLES:
            sel = kish_grid_select(roster, grid_row=table)
            hits[sel.person_id] = hits.get(sel.person_id, 0.0) + KISH_1949_SHARES[table]
            assert sel.probability == pytest.approx(1 / k)
        assert hits == pytest.approx({f"p{i}": 1 / k for i in range(k)})


def test_kish_1949_reports_unequal_probabilities_for_five() -> None:
    roster = [RosterPerson(f"p{i}", "1", 60 - i) for i in range(5)]
    probs = {t: kish_grid_select(roster, grid_row=t).probability for t in KISH_1949_TABLES}
    assert probs["A"] == pytest.approx(1 / 6)  # person 1
    assert probs["C"] == pytest.approx(1 / 4)  # person 3: tables C and E1
    assert kish_table_for(1) == "A" and kish_table_for(13) == "A"


def test_kish_bad_input() -> None:
    with pytest.raises(SelectionError, match="exactly one of serial or grid_row"):
        kish_grid_select(ROSTER)
    with pytest.raises(SelectionError, match="unknown Kish table"):
        kish_grid_select(ROSTER, grid_row="G")
    with pytest.raises(SelectionError, match="no household member aged 18-69"):
        kish_grid_select([RosterPerson("kid", "1", 12)], serial=1)
    with pytest.raises(SelectionError, match="sex must be"):
        kish_grid_select([RosterPerson("x", "3", 30)], serial=1)
    big = [RosterPerson(f"p{i}", "2", 30 + i) for i in range(7)]
    with pytest.raises(SelectionError, match="more than 6 adults"):
        kish_grid_select(big, grid_row="F")


def test_next_birthday() -> None:
    people = [
        ("a", dt.date(1980, 6, 1)),  # birthday today: a year away
        ("b", dt.date(1979, 7, 1)),
        ("c", dt.date(1990, 6, 2)),  # tomorrow
        ("kid", dt.date(2015, 6, 3)),  # not eligible
    ]
    sel = next_birthday_select(people, dt.date(2025, 6, 1))
    assert sel.person_id == "c"
    assert sel.probability == pytest.approx(1 / 3)
    assert sel.order == ("c", "b", "a")
    leap = [("x", dt.date(1984, 2, 29)), ("y", dt.date(1985, 3, 2))]
    assert next_birthday_select(leap, dt.date(2025, 2, 28)).person_id == "x"  # 1 March
    with pytest.raises(SelectionError, match="no household member"):
        next_birthday_select([("kid", dt.date(2015, 1, 1))], dt.date(2025, 6, 1))
