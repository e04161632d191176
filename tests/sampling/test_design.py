"""SurveyDesign: validation messages, domains as zero weights, degrees of freedom."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sampling.design import LonelyPSU
from sampling.design import SurveyDesign
from sampling.errors import DesignError


def test_lengths_must_agree():
    with pytest.raises(DesignError, match="strata has the wrong length"):
        SurveyDesign(weights=[1.0, 2.0], strata=[1, 2, 3])
    with pytest.raises(DesignError, match="psu stage 1 has the wrong length"):
        SurveyDesign(weights=[1.0, 2.0], psu=[1, 2, 3])


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_weights_must_be_finite_and_non_negative(bad):
    with pytest.raises(DesignError, match=r"weights must be finite and >= 0 \(row 2\)"):
        SurveyDesign(weights=[1.0, bad, 1.0])


def test_psu_must_nest_in_strata_unless_nest():
    strata = [1, 1, 2, 2]
    psu = [1, 2, 1, 2]
    with pytest.raises(DesignError, match=r"PSU '1' appears in more than one stratum.*nest=True"):
        SurveyDesign(weights=np.ones(4), strata=strata, psu=psu)
    d = SurveyDesign(weights=np.ones(4), strata=strata, psu=psu, nest=True)
    assert d.n_psu == 4 and d.degf == 2


def test_fpc_checks():
    with pytest.raises(DesignError, match=r"fpc varies within stratum '1'"):
        SurveyDesign(weights=np.ones(4), strata=[1, 1, 2, 2], fpc=[10, 11, 5, 5])
    with pytest.raises(DesignError, match=r"more sampled than population units in stratum '2'"):
        SurveyDesign(weights=np.ones(4), strata=[1, 1, 2, 2], fpc=[10, 10, 1.5, 1.5])
    with pytest.raises(DesignError, match="mixes population counts"):
        SurveyDesign(weights=np.ones(4), strata=[1, 1, 2, 2], fpc=[10, 10, 0.5, 0.5])


def test_fpc_counts_and_fractions_give_the_same_population():
    a = SurveyDesign(weights=np.ones(4), strata=[1, 1, 2, 2], fpc=[10, 10, 4, 4])
    b = SurveyDesign(weights=np.ones(4), strata=[1, 1, 2, 2], fpc=[0.2, 0.2, 0.5, 0.5])
    assert_allclose(a.stages[0].population, b.stages[0].population)


def test_lonely_psu_policy_accepts_strings():
    d = SurveyDesign(weights=np.ones(2), lonely_psu="adjust")
    assert d.lonely_psu is LonelyPSU.ADJUST
    with pytest.raises(DesignError, match="unknown lonely_psu policy"):
        SurveyDesign(weights=np.ones(2), lonely_psu="drop")


def test_subset_zero_weights_keeps_rows_and_design():
    d = SurveyDesign(weights=[1.0, 2.0, 3.0, 4.0], strata=[1, 1, 2, 2], psu=[1, 2, 3, 4])
    s = d.subset(np.array([True, False, True, True]))
    assert s.n == 4 and s.weights.tolist() == [1.0, 0.0, 3.0, 4.0]
    assert s.n_psu == d.n_psu and s.stages is d.stages
    # degf counts PSUs and strata with weight > 0 (R's degf of a subset)
    assert d.degf == 2 and s.degf == 1
    with pytest.raises(DesignError, match="boolean array"):
        d.subset([1, 0, 1, 1])


def test_design_is_frozen_and_inputs_are_not_mutated():
    w = np.array([1.0, 2.0])
    d = SurveyDesign(weights=w)
    with pytest.raises(AttributeError):
        d.weights = np.ones(2)  # type: ignore[misc]
    with pytest.raises(ValueError):
        d.weights[0] = 5.0
    d.with_weights([3.0, 4.0])
    assert w.tolist() == [1.0, 2.0]


def test_from_columns_names_missing_columns():
    cols = {"w": np.ones(3), "s": np.array(["a", "a", "b"])}
    with pytest.raises(DesignError, match=r"column 'psu' \(design psu\) is not in the data"):
        SurveyDesign.from_columns(cols, weights="w", strata="s", psu="psu")
    d = SurveyDesign.from_columns(cols, weights="w", strata="s")
    assert d.stratum_labels == ("a", "b")


@pytest.mark.parametrize(
    "module",
    [
        "sampling._codes",
        "sampling._hadamard",
        "sampling.contrasts",
        "sampling.design",
        "sampling.estimation",
        "sampling.intervals",
        "sampling.job",
        "sampling.replicates",
        "sampling.variance",
        "sampling.weighting.base",
        "sampling.weighting.calibrate",
        "sampling.weighting.nonresponse",
        "sampling.weighting.poststratify",
        "sampling.weighting.rake",
        "sampling.weighting.trim",
        "sampling.disclosure",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
