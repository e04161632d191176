"""The vertical scale: grades linked through anchors recover known shifts; levels; item mapping."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import scoring.irt.vertical
from scoring.irt import calibrate
from scoring.irt.errors import LinkingError
from scoring.irt.params import ItemParameters
from scoring.irt.vertical import DEFAULT_LEVELS
from scoring.irt.vertical import ProficiencyLevels
from scoring.irt.vertical import ReportingScale
from scoring.irt.vertical import centre_on_items
from scoring.irt.vertical import item_mapping_cut
from scoring.irt.vertical import link_grades

N_ANCHORS, N_OWN = 10, 20


def _booklets(rng: np.random.Generator) -> tuple[ItemParameters, ItemParameters]:
    """Truth: grade-4 booklet centred (mean b 0, geometric-mean a 1); grade 8 harder."""
    a4 = rng.uniform(0.8, 1.8, N_ANCHORS + N_OWN)
    b4 = rng.normal(0.0, 0.9, N_ANCHORS + N_OWN)
    a4 /= np.exp(np.mean(np.log(a4)))
    b4 -= b4.mean()
    ids4 = [f"C{j:02d}" for j in range(N_ANCHORS)] + [f"P{j:02d}" for j in range(N_OWN)]
    a8 = np.concatenate([a4[:N_ANCHORS], rng.uniform(0.8, 1.8, N_OWN)])
    b8 = np.concatenate([b4[:N_ANCHORS], rng.normal(1.5, 0.9, N_OWN)])
    ids8 = ids4[:N_ANCHORS] + [f"J{j:02d}" for j in range(N_OWN)]
    zeros = [0.0] * len(ids4)
    return (
        ItemParameters(tuple(ids4), ("2pl",) * len(ids4), a4, b4[:, None], zeros),
        ItemParameters(tuple(ids8), ("2pl",) * len(ids8), a8, b8[:, None], zeros),
    )


def _answers(p: ItemParameters, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    prob = 1.0 / (1.0 + np.exp(-p.a[None, :] * (theta[:, None] - p.b[None, :, 0])))
    return (rng.random(prob.shape) < prob).astype(np.float64)


@pytest.mark.parametrize(("mu8", "sd8"), [(1.0, 1.0), (1.8, 1.25)])
def test_linking_recovers_known_grade_shift(mu8, sd8):
    """Separate calibrations (each N(0, 1)) chained through 10 anchors put grade 8 where it is."""
    rng = np.random.default_rng(int(mu8 * 100))
    p4, p8 = _booklets(rng)
    mu4, sd4, n = 0.2, 0.9, 1500
    th4 = rng.normal(mu4, sd4, n)
    th8 = rng.normal(mu8, sd8, n)
    cal4 = calibrate(_answers(p4, th4, rng), item_ids=p4.item_ids, se_method="none")
    cal8 = calibrate(_answers(p8, th8, rng), item_ids=p8.item_ids, se_method="none")
    scale = link_grades({"4": cal4.params, "8": cal8.params}, order=("4", "8"))
    on4, on8 = scale.params["4"], scale.params["8"]
    # the base grade sits where its items put it: the sample's mean and SD
    assert on4.latent_mean == pytest.approx(th4.mean(), abs=0.08)
    assert on4.latent_sd == pytest.approx(th4.std(), abs=0.08)
    # grade 8 recovers the known shift and spread
    assert on8.latent_mean - on4.latent_mean == pytest.approx(th8.mean() - th4.mean(), abs=0.12)
    assert on8.latent_sd == pytest.approx(th8.std(), abs=0.10)
    # the linked grade-8 items match their true parameters on the common scale
    assert np.corrcoef(on8.b[:, 0], p8.b[:, 0])[0, 1] > 0.97
    assert np.mean(on8.b[:, 0] - p8.b[:, 0]) == pytest.approx(0.0, abs=0.12)
    assert scale.stability["8"].drifting == ()
    assert 0.0 < scale.link_error["8"] < 0.1 and scale.link_error["4"] == 0.0


def test_chain_of_three_grades_composes_the_links():
    base = ItemParameters(("a", "b", "c"), ("2pl",) * 3, [1, 1, 1], [[-1.0], [0.0], [1.0]], [0] * 3)
    mid = ItemParameters(("b", "c", "d"), ("2pl",) * 3, [1, 1, 1], [[-1.0], [0.0], [1.0]], [0] * 3)
    top = ItemParameters(("c", "d", "e"), ("2pl",) * 3, [1, 1, 1], [[-1.0], [0.0], [1.0]], [0] * 3)
    vs = link_grades({"4": base, "8": mid, "11": top}, order=("4", "8", "11"), method="mean-mean")
    assert vs.params["8"].latent_mean == pytest.approx(1.0)
    assert vs.params["11"].latent_mean == pytest.approx(2.0)
    assert vs.params["11"].b[2, 0] == pytest.approx(3.0)  # item e, two grades up


def test_too_few_anchors_is_an_error():
    p = ItemParameters(("a", "b"), ("2pl",) * 2, [1, 1], [[-1.0], [1.0]], [0, 0])
    q = ItemParameters(("a", "z"), ("2pl",) * 2, [1, 1], [[-1.0], [1.0]], [0, 0])
    with pytest.raises(LinkingError, match="share 1 anchor"):
        link_grades({"4": p, "8": q}, order=("4", "8"))
    with pytest.raises(LinkingError, match="every grade"):
        link_grades({"4": p}, order=("4", "8"))


def test_reference_round_fixes_the_base_grade():
    ref = ItemParameters(("a", "b", "c"), ("2pl",) * 3, [1, 1, 1], [[-1.0], [0.0], [1.0]], [0] * 3)
    new = ref.transform(0.5, 0.3)  # the same items, calibrated on another sample's metric
    new = ItemParameters(new.item_ids, new.models, new.a, new.b, new.c)  # latent N(0, 1)
    vs = link_grades({"4": new}, order=("4",), reference=ref, method="mean-sigma")
    assert vs.params["4"].b[:, 0] == pytest.approx([-1.0, 0.0, 1.0])


def test_centring_and_item_mapping():
    p = ItemParameters(
        ("x", "y", "g"),
        ("2pl", "2pl", "grm"),
        [0.5, 2.0, 1.0],
        [[1.0, np.nan], [3.0, np.nan], [0.0, 4.0]],
        [0, 0, 0],
    )
    centred = centre_on_items(p).apply(p)
    assert np.mean(np.log(centred.a)) == pytest.approx(0.0, abs=1e-12)
    assert np.mean(np.nanmean(centred.b, axis=1)) == pytest.approx(0.0, abs=1e-12)
    scale = ReportingScale()
    assert item_mapping_cut(centred, 0.5, scale) == pytest.approx(500.0)
    assert item_mapping_cut(centred, 0.8, scale) == pytest.approx(500 + 100 * np.log(4))


def test_levels():
    assert DEFAULT_LEVELS.level_of("8", [584.9, 585.0, 735.0]).tolist() == [0, 1, 3]
    assert DEFAULT_LEVELS.label("good", "en") == "Good"
    with pytest.raises(LinkingError, match="no cut scores"):
        DEFAULT_LEVELS.level_of("11", [500.0])
    with pytest.raises(LinkingError, match="increasing"):
        ProficiencyLevels(("a", "b", "c"), {}, {"4": (500.0, 400.0)})


def test_docstring_examples():
    assert doctest.testmod(scoring.irt.vertical).failed == 0
