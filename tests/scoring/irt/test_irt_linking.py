"""Linking recovers known transformations; drifting anchors are named."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from scoring.irt import ItemParameters
from scoring.irt import LinkingError
from scoring.irt import anchor_stability
from scoring.irt import common_items
from scoring.irt import link

OLD = ItemParameters(
    ("k1", "k2", "k3", "k4", "k5", "k6", "att1"),
    ("2pl", "2pl", "3pl", "2pl", "3pl", "2pl", "grm"),
    [0.8, 1.2, 1.5, 1.0, 1.9, 0.7, 1.1],
    [[-1.2, np.nan], [-0.4, np.nan], [0.1, np.nan], [0.6, np.nan],
     [1.0, np.nan], [1.8, np.nan], [-0.9, 0.5]],
    [0.0, 0.0, 0.2, 0.0, 0.15, 0.0, 0.0],
)  # fmt: skip
A_TRUE, B_TRUE = 1.25, -0.4  # theta_old = A theta_new + B


def _new() -> ItemParameters:
    # the same items calibrated on a scale where theta_new = (theta_old - B) / A
    return OLD.transform(1 / A_TRUE, -B_TRUE / A_TRUE)


@pytest.mark.parametrize("method", ["mean-mean", "mean-sigma", "stocking-lord", "haebara"])
def test_noise_free_parameters_give_the_exact_transformation(method: str) -> None:
    lk = link(OLD, _new(), method=method)
    assert_allclose(lk.slope, A_TRUE, rtol=1e-7)
    assert_allclose(lk.intercept, B_TRUE, atol=1e-7)
    linked = lk.apply(_new())
    assert_allclose(linked.a, OLD.a, rtol=1e-7)
    assert_allclose(linked.b, OLD.b, atol=1e-6)
    assert_allclose(lk.transform_theta(np.array([0.0, 1.0])), [B_TRUE, A_TRUE + B_TRUE], atol=1e-7)


def test_drifting_anchor_is_named_and_purification_restores_the_link() -> None:
    new = _new()
    b = new.b.copy()
    b[3, 0] += 1.2  # k4 became harder on the new wave
    drifted = ItemParameters(new.item_ids, new.models, new.a, b, new.c)
    lk = link(OLD, drifted, method="stocking-lord")
    report = anchor_stability(OLD, drifted, lk)
    assert report.drifting == ("k4",)
    assert report.to_dict()["drifting"] == ["k4"]
    keep = [i for i in lk.anchors if i not in report.drifting]
    clean = link(OLD, drifted, method="stocking-lord", anchors=keep)
    assert_allclose([clean.slope, clean.intercept], [A_TRUE, B_TRUE], atol=1e-6)
    assert anchor_stability(OLD, drifted, clean).drifting == ()
    moved = clean.apply(drifted).b[3, 0] - OLD.b[3, 0]
    assert_allclose(moved, 1.2 * A_TRUE, rtol=1e-6)  # the drift, on the old scale


def test_common_items_and_errors() -> None:
    other = OLD.subset(["k1", "k2", "att1"])
    assert common_items(OLD, other) == ("k1", "k2", "att1")
    with pytest.raises(LinkingError, match="at least 2 anchor"):
        link(OLD, OLD.subset(["k1"]))
    with pytest.raises(LinkingError, match="no usable slope"):
        flat = ItemParameters(("k1", "k2"), ("2pl", "2pl"), [1, 1], [[0.0], [0.0]], [0, 0])
        link(flat, flat, method="mean-sigma")
