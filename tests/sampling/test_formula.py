"""Model formulas: the direct numpy model matrix is formulaic's, column for column.

:func:`sampling.formula.model_frame` builds the common survey formulas with numpy and
hands the rest to formulaic (statsmodels' engine). The reference for the direct path
is formulaic itself: same column names, terms, rows left out, response and model
matrix, bit for bit, on data with missing cells, blanks, numeric-looking text, float
levels, Chinese names and a reference level given by name.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from sampling.formula import ModelFrame
from sampling.formula import _direct_frame
from sampling.formula import _formulaic_frame
from sampling.formula import model_frame


def _data() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    n = 400
    g = rng.choice(np.array(["b", "a", "c", "男", "10", "9"], dtype=object), n)
    g[rng.random(n) < 0.05] = None
    s = rng.choice(np.array(["10", "9", "2.50", "x y", " ", ""]), n)
    z = rng.normal(size=n)
    z[rng.random(n) < 0.05] = np.nan
    h = rng.integers(1, 4, n).astype(float)
    h[rng.random(n) < 0.03] = np.nan
    return {
        "y": rng.random(n),
        "g": g,
        "s": s,
        "x": rng.normal(size=n),
        "z": z,
        "h": h,
        "k": rng.choice([3.0, 1.0, 2.5, -2.0, 1e20, 0.1], n),
        "i": rng.integers(0, 3, n),
        "年龄": rng.integers(0, 3, n).astype(float),
        "one": np.ones(n),
    }


DIRECT = [
    "y ~ x + C(g) + z",
    "y ~ x:z + C(g) + h",
    "y ~ z:x + x",
    "y ~ x*z",
    "y ~ x*z*h",
    "y ~ C( g ) + x",
    "y~C(h)+g",
    'y ~ C(g, Treatment(reference="b")) + x',
    "y ~ C(g, Treatment('男'))",
    "y ~ C(s, Treatment(reference='9')) + s",
    "y ~ C(k) + C(h) + C(i) + i",
    "y ~ 1",
    "y ~ 1 + x",
    "y ~ x + x",
    "y ~ x + x:z + z:x",
    "y ~ h:x:z + x + C(k)",
    "y ~ C(年龄) + 年龄",
    "y ~ x\n + z",
    "y ~ C(one) + x",
]

FORMULAIC = [
    "y ~ x - 1",
    "y ~ 0 + x",
    "y ~ I(x**2) + x",
    "y ~ C(g):x",
    "y ~ C(g) * x",
    "y ~ np.exp(x)",
    "y ~ C(h, Treatment(reference=2))",
    "y ~ C(h, Sum)",
    "y ~ (x + z):h",
    "y ~ x:z*h",
]


def _same(direct: ModelFrame, ref: ModelFrame) -> None:
    assert direct.columns == ref.columns
    assert dict(direct.terms) == dict(ref.terms)
    assert direct.response == ref.response
    assert direct.n_rows == ref.n_rows
    np.testing.assert_array_equal(direct.rows, ref.rows)
    np.testing.assert_array_equal(direct.y, ref.y)
    np.testing.assert_array_equal(direct.x, ref.x)


@pytest.mark.parametrize("formula", DIRECT)
def test_direct_model_matrix_is_formulaics(formula: str) -> None:
    data = _data()
    direct = _direct_frame(formula, data)
    assert direct is not None, "this formula should not need formulaic"
    _same(direct, _formulaic_frame(formula, data))


@pytest.mark.parametrize("formula", FORMULAIC)
def test_other_formulas_go_to_formulaic(formula: str) -> None:
    data = _data()
    assert _direct_frame(formula, data) is None
    _same(model_frame(formula, data), _formulaic_frame(formula, data))


def test_edge_data_match_formulaic() -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        # every row dropped; a text column all blank or None
        ("y ~ g + x", {"y": [np.nan] * 3, "g": np.array(["c", "a", "b"]), "x": [1.0, 2, 3]}),
        ("y ~ g + x", {"y": [1.0, 2, 3], "g": np.array([None] * 3), "x": [1.0, 2, 3]}),
        # blank text is missing; "" in an object column is a level (as formulaic)
        ("y ~ g", {"y": [1.0, 0, 1, 1], "g": np.array(["", "a", "b", " "])}),
        ("y ~ g", {"y": [1.0, 0, 1, 1], "g": np.array(["", "a", "b", "c"], dtype=object)}),
        # booleans and integers are numbers
        ("y ~ x", {"y": [True, False, True], "x": [1, 2, 3]}),
        # a level present only in a row dropped for another missing value
        ("y ~ C(g) + x", {"y": [1.0, 0, 1, 0], "g": ["a", "b", "c", "d"], "x": [1, 2, 3, np.nan]}),
    ]
    for formula, data in cases:
        direct = _direct_frame(formula, data)
        assert direct is not None, formula
        _same(direct, _formulaic_frame(formula, data))


def test_text_with_numbers_goes_to_formulaic() -> None:
    mixed = {"y": [1.0, 0, 1], "g": np.array([1, "a", "b"], dtype=object), "x": [1.0, 2, 3]}
    assert _direct_frame("y ~ C(g) + x", mixed) is None
    with_nan = {"y": [1.0, 0, 1], "g": np.array([np.nan, "a", "b"], dtype=object)}
    assert _direct_frame("y ~ g", with_nan) is None
    # and the errors stay formulaic's
    from sampling.errors import SamplingError

    with pytest.raises(SamplingError, match="not in the data"):
        model_frame("y ~ nosuch", {"y": [1.0, 2.0]})
    with pytest.raises(SamplingError, match="one numeric column"):
        model_frame("g ~ x", {"g": np.array(["a", "b", "c"]), "x": [1.0, 2, 3]})


def test_survey_models_import_neither_pandas_nor_formulaic() -> None:
    code = (
        "import sys\n"
        "from sampling.design import SurveyDesign\n"
        "from sampling.glm import svy_glm\n"
        "d = SurveyDesign(weights=[1.0] * 8, psu=list(range(8)))\n"
        "m = svy_glm('y ~ C(g) + x + x:z', {'y': [1.0, 0, 1, 0, 1, 1, 0, 0],\n"
        "    'g': ['a', 'b', 'a', 'b', 'c', 'c', 'c', 'a'], 'x': [1.0, 2, 3, 4, 5, 7, 2, 1],\n"
        "    'z': [0.5, 1, 1, 2, 0, 1, 3, 2]}, d)\n"
        "m.wald_test('C(g)')\n"
        "print(sorted({'pandas', 'formulaic'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
