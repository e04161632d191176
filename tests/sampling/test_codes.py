"""Dense codes of labels (sampling/_codes.py): the hashing path agrees with numpy.unique,
also when labels collide in the hash buckets."""

from __future__ import annotations

import numpy as np
import pytest

from sampling._codes import _factorize_text
from sampling._codes import factorize


@pytest.mark.parametrize("bits", [12, 14, None])
def test_hashing_with_collisions_gives_numpy_unique_order(bits, rng) -> None:
    names = np.array([f"v{i:03d}" for i in range(400)] + ["佛堂镇", "苏溪镇", ""])
    labels = rng.choice(names, 30_000)
    found = _factorize_text(labels, bits)
    assert found is not None  # collisions: at most an eighth of the rows
    codes, uniq = found
    expected, inverse = np.unique(labels, return_inverse=True)
    np.testing.assert_array_equal(uniq, expected)
    np.testing.assert_array_equal(codes, inverse)


def test_numeric_labels_sort_by_value(rng) -> None:
    labels = rng.choice(np.array(["10", "2", "1", "33"]), 20_000)
    codes, uniq = factorize(labels)
    assert uniq.tolist() == ["1", "2", "10", "33"]
    assert (uniq[codes] == labels).all()


def test_nearly_distinct_labels_are_left_to_numpy_unique() -> None:
    ids = np.arange(50_000).astype(str)
    assert _factorize_text(ids) is None
    codes, uniq = factorize(ids)
    assert uniq[codes].tolist() == ids.tolist() and uniq.tolist()[:3] == ["0", "1", "2"]
