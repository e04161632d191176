"""Cell suppression (sampling/disclosure.py): hand-worked tables and the guarantee that no
suppressed cell is the only unknown of a published row or column."""

from __future__ import annotations

import numpy as np
import pytest

from sampling.disclosure import COMPLEMENTARY
from sampling.disclosure import SMALL_CELL
from sampling.disclosure import SMALL_N
from sampling.disclosure import suppress_table
from sampling.errors import SamplingError

_ = ""
N, C, X = SMALL_N, SMALL_CELL, COMPLEMENTARY


def test_nothing_to_hide() -> None:
    s = suppress_table([[40, 12, 3], [25, 0, 9]])  # a 0 and a 3 are shown
    assert not s.suppressed.any() and s.summary() == {SMALL_N: 0, SMALL_CELL: 0, COMPLEMENTARY: 0}


def test_small_group_and_its_complement() -> None:
    # rows: total, three groups; group 2 has 9 respondents (< 10): hidden whole; in every
    # column another group must be hidden too, the smallest in that column (group 1's
    # 4 and 5, ... worked below)
    s = suppress_table([[70, 30], [40, 20], [5, 4], [25, 6]])
    assert s.reasons.tolist() == [[_, _], [_, _], [N, N], [X, X]]
    assert s.row_suppressed.tolist() == [False, False, True, False]


def test_one_or_two_people_reveal_an_individual() -> None:
    # a group of 14 with 1 person in each of the last two bands: both cells hidden (the
    # row then has two unknowns). Columns 1 and 2 each have one unknown: group 1 has the
    # fewest in column 1 (10, against group 2's 19 and the total's 30); once it has an
    # unknown it is preferred in column 2 too (its 3 rather than group 2's 0), so no new
    # chain of suppressions starts
    counts = [[112, 30, 4], [60, 10, 3], [40, 19, 0], [12, 1, 1]]
    s = suppress_table(counts)
    assert s.reasons.tolist() == [[_, _, _], [_, X, X], [_, _, _], [_, C, C]]
    assert s.summary() == {SMALL_N: 0, SMALL_CELL: 2, COMPLEMENTARY: 2}
    # two people of the same group in one cell are hidden as well
    assert suppress_table([[60, 2], [30, 30]]).reasons[0].tolist() == [X, C]


def test_binary_flag_table_hides_the_whole_group() -> None:
    # raised / not raised: a group with 2 flags shows neither share
    s = suppress_table([[200, 9], [150, 7], [38, 2]])
    assert s.reasons[2].tolist() == [X, C]
    assert s.suppressed.sum(axis=0).min() != 1


@pytest.mark.parametrize("seed", range(40))
def test_no_row_or_column_with_a_single_unknown(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = rng.integers(2, 7)
    bands = rng.integers(2, 6)
    sizes = rng.integers(3, 80, size=groups)
    shares = rng.dirichlet(np.full(bands, 0.8), size=groups)
    counts = np.array([rng.multinomial(n, p) for n, p in zip(sizes, shares, strict=True)])
    table = np.vstack([counts.sum(axis=0), counts])  # the total row is published too
    s = suppress_table(table, min_n=10, min_cell=3)
    hidden = s.suppressed
    # primary rules hold
    assert np.all(hidden[table.sum(axis=1) < 10])
    assert np.all(hidden[(table >= 1) & (table < 3)])
    # no published line has exactly one unknown, so nothing can be recomputed
    assert all(row.sum() != 1 for row in hidden)
    assert all(col.sum() != 1 for col in hidden.T)


def test_errors() -> None:
    for bad in ([1, 2, 3], [[1, -1]], [[1.5, 2]], [[]]):
        with pytest.raises(SamplingError):
            suppress_table(bad)
    with pytest.raises(SamplingError):
        suppress_table([[1, 2]], min_n=0)
