"""Model formulas in statsmodels' syntax, turned into numpy model matrices.

``"literate ~ C(sex) + C(agegroup) + urban"`` gives the response, the model
matrix and its column names as ``statsmodels.formula.api.glm`` writes them
(``Intercept``, ``C(sex)[T.2]``, ``urban``), plus the columns of each term
(``C(sex)`` -> its dummies) for Wald tests of terms. The formula engine is
formulaic, the one statsmodels 0.15 ships with: the patsy grammar
(``C(x, Treatment(reference="a"))``, ``a:b``, ``a*b``, ``I(2 * x)``), but
vectorised, so a 300,000-row model matrix takes a fraction of a second where
patsy's categorical coding loops in Python. It is imported only when a
formula is used, so ``kesu estimate`` without models starts fast.

Rows with a missing value in any variable of the formula are left out (R's
``na.action = na.omit``); :class:`ModelFrame` says which.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import label_text
from sampling.errors import SamplingError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class ModelFrame:
    """A formula evaluated on data.

    Attributes:
        formula: the formula as given.
        response: the response's name (left-hand side).
        y: (m,) response values of the rows used.
        x: (m, p) model matrix of the rows used.
        rows: (m,) row numbers (0-based) of the rows used in the data.
        columns: the p column names (statsmodels' spelling).
        terms: term name -> its column indices (``"C(sex)"`` -> dummies).
        n_rows: number of rows of the data.
    """

    formula: str
    response: str
    y: FloatArray
    x: FloatArray
    rows: IntArray
    columns: tuple[str, ...]
    terms: Mapping[str, tuple[int, ...]]
    n_rows: int

    def term_indices(self, term: str) -> tuple[int, ...]:
        """The columns of ``term`` (a term name such as ``C(sex)`` or ``age:urban``).

        Raises:
            SamplingError: the term is not in the model.
        """
        key = _canonical(term)
        for name, cols in self.terms.items():
            if _canonical(name) == key:
                return cols
        raise SamplingError(
            f"term {term!r} is not in the model {self.formula!r}",
            param="tests",
            got=term,
            expected=", ".join(t for t in self.terms if t != "Intercept"),
            hint="name a term as it appears in the formula, e.g. C(sex)",
        )


def _canonical(term: str) -> str:
    """Interaction terms compare equal in any order (R's ``regTermTest`` does the same);
    spaces and the kind of quotes do not matter."""
    text = term.replace(" ", "").replace('"', "'")
    return ":".join(sorted(part for part in text.split(":")))


def model_frame(formula: str, data: Mapping[str, Any]) -> ModelFrame:
    """Evaluate ``formula`` on ``data`` (a mapping of column arrays).

    String columns are categorical (``C(x)`` or bare); numeric columns are
    numbers. Missing values: NaN in numeric columns, None in object columns.

    Raises:
        SamplingError: a syntax error, an unknown variable, no response, or a
            response that is not a single numeric column.

    Example:
        >>> mf = model_frame("y ~ C(g) + x", {"y": [1.0, 0.0, 1.0], "g": ["a", "b", "b"],
        ...                                  "x": [0.5, 1.0, 2.0]})
        >>> mf.columns
        ('Intercept', 'C(g)[T.b]', 'x')
    """
    import pandas as pd
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    if not isinstance(formula, str) or "~" not in formula:
        raise SamplingError(
            "a model formula needs a response and terms",
            param="glm",
            got=formula,
            hint="e.g. literate ~ C(sex) + C(agegroup) + urban",
        )
    cols = {str(k): _model_column(v) for k, v in data.items()}
    n = len(next(iter(cols.values()))) if cols else 0
    try:
        matrices = model_matrix(formula, pd.DataFrame(cols), na_action="drop")
    except FormulaicError as exc:
        text = str(exc).splitlines()[0]
        unknown = re.search(r"NameError: name '([^']+)' is not defined", text)
        if unknown:
            raise SamplingError(
                f"the formula {formula!r} names {unknown.group(1)!r}, which is not in the data",
                param="glm",
                got=unknown.group(1),
                expected=f"columns such as {sorted(cols)[:20]}",
            ) from exc
        raise SamplingError(
            f"cannot use the formula {formula!r}: {text}",
            param="glm",
            got=formula,
            hint="statsmodels formula syntax: y ~ C(factor) + numeric + a:b",
        ) from exc
    y_df, x_df = matrices.lhs, matrices.rhs
    if y_df.shape[1] != 1:
        raise SamplingError(
            f"the response of {formula!r} must be one numeric column",
            param="glm",
            got=list(y_df.columns),
            hint="code the outcome as numbers (1 = yes, 0 = no)",
        )
    rows = np.asarray(x_df.index, dtype=np.intp)
    terms = {
        ("Intercept" if str(term) == "1" else str(term)): tuple(int(i) for i in index)
        for term, index in x_df.model_spec.term_indices.items()
    }
    return ModelFrame(
        formula=formula,
        response=str(y_df.columns[0]),
        y=np.asarray(y_df.to_numpy(dtype=np.float64)[:, 0]),
        x=np.asarray(x_df.to_numpy(dtype=np.float64)),
        rows=rows,
        columns=tuple(_level_names(str(c)) for c in x_df.columns),
        terms=terms,
        n_rows=n,
    )


_FLOAT_LEVEL = re.compile(
    r"\[(T\.)?(?:np\.float64\((-?[0-9][0-9.eE+-]*)\)|(-?[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?))\]"
)


def _level_names(column: str) -> str:
    """``C(x)[T.2.0]`` -> ``C(x)[T.2]``: numeric levels spelt as in the data (and as R)."""

    def fix(m: re.Match[str]) -> str:
        text = m.group(2) or m.group(3)
        try:
            return f"[{m.group(1) or ''}{label_text(float(text))}]"
        except ValueError:
            return m.group(0)

    return _FLOAT_LEVEL.sub(fix, column)


def _model_column(values: Any) -> NDArray[Any]:
    """Numbers as float (NaN missing); text as objects with None for missing cells."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64) if arr.dtype.kind != "f" else arr
    if arr.dtype.kind in "US":
        out = arr.astype(object)
        out[np.char.strip(arr.astype(str)) == ""] = None
        return out
    return arr
