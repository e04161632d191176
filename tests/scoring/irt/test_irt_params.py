"""ItemParameters: validation, linking transform, subset and the params file."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from scoring.irt import PARAMS_FORMAT
from scoring.irt import ItemParameters
from scoring.irt import ParamsFileError

P = ItemParameters(
    ("q1", "q2", "q3"),
    ("2pl", "3pl", "grm"),
    [1.0, 1.5, 0.8],
    [[0.2, np.nan], [-0.4, np.nan], [-1.0, 1.0]],
    [0.0, 0.2, 0.0],
    se_a=[0.1, 0.2, 0.1],
    se_b=[[0.05, np.nan], [0.1, np.nan], [0.2, 0.3]],
    se_c=[np.nan, 0.05, np.nan],
)


def test_arrays_are_read_only_copies() -> None:
    a = np.array([1.0])
    p = ItemParameters(("x",), ("2pl",), a, [[0.0]], [0.0])
    a[0] = 5.0
    assert p.a[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        p.a[0] = 2.0


def test_transform_follows_kolen_brennan() -> None:
    t = P.transform(2.0, -1.0)
    assert_allclose(t.a, P.a / 2)
    assert_allclose(t.b, 2 * P.b - 1)
    assert_allclose(t.c, P.c)
    assert_allclose(t.se_b, 2 * P.se_b)
    assert (t.latent_mean, t.latent_sd) == (-1.0, 2.0)
    with pytest.raises(ParamsFileError, match="slope A must be > 0"):
        P.transform(0.0, 1.0)


def test_subset_and_index() -> None:
    s = P.subset(["q3", "q1"])
    assert s.item_ids == ("q3", "q1") and s.b.shape == (2, 2)
    assert_allclose(s.se_b[1], [0.05, np.nan])
    only_binary = P.subset(["q1", "q2"])
    assert only_binary.b.shape == (2, 1)
    with pytest.raises(ParamsFileError, match="not in the parameter set") as info:
        P.index(["q9"])
    assert info.value.got == ["q9"]


def test_dict_round_trip_keeps_nan_as_none() -> None:
    d = P.to_dict()
    assert d["format"] == PARAMS_FORMAT
    assert d["items"][0]["se"]["c"] is None and d["items"][2]["b"] == [-1.0, 1.0]
    back = ItemParameters.from_dict(d)
    assert_allclose(back.b, P.b)
    assert_allclose(back.se_c, P.se_c)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"b": [[0.5, 0.1]], "models": ("grm",)}, "thresholds must increase"),
        ({"models": ("3pl",), "b": [[0.0, 1.0]]}, "needs 2 categories"),
        ({"c": [0.3]}, "0 unless the model is 3pl"),
        ({"a": [0.0]}, "non-zero"),
        (
            {
                "item_ids": ("x", "x"),
                "models": ("2pl", "2pl"),
                "a": [1, 1],
                "b": [[0], [1]],
                "c": [0, 0],
            },
            "duplicate item ids",
        ),  # fmt: skip
        ({"models": ("4pl",)}, "unknown item model"),
    ],
)
def test_invalid_parameters_are_rejected(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"item_ids": ("x",), "models": ("2pl",), "a": [1.0],
                               "b": [[0.0]], "c": [0.0]}  # fmt: skip
    base.update(kwargs)
    with pytest.raises(ParamsFileError, match=message):
        ItemParameters(**base)  # type: ignore[arg-type]


def test_negative_slopes_have_decreasing_thresholds() -> None:
    p = ItemParameters(("x",), ("grm",), [-1.0], [[1.0, -1.0]], [0.0])
    assert p.n_categories.tolist() == [3]


def test_from_dict_errors() -> None:
    with pytest.raises(ParamsFileError, match="not a kesu item-parameter file"):
        ItemParameters.from_dict({"format": "other"})
    bad = P.to_dict()
    del bad["items"][1]["a"]
    with pytest.raises(ParamsFileError, match="item q2: bad entry"):
        ItemParameters.from_dict(bad)
