"""Model formulas in statsmodels' syntax, turned into numpy model matrices.

``"literate ~ C(sex) + C(agegroup) + urban"`` gives the response, the model
matrix and its column names as ``statsmodels.formula.api.glm`` writes them
(``Intercept``, ``C(sex)[T.2]``, ``urban``), plus the columns of each term
(``C(sex)`` -> its dummies) for Wald tests of terms.

The formulas survey models use are built here directly with numpy: an
intercept, numeric variables, categorical variables in treatment coding
(``C(x)``, ``C(x, Treatment(reference="a"))`` or a bare text column; levels
sorted as formulaic sorts them, the first or the named one left out) and
interactions of numeric variables (``a:b``, ``a*b``). Columns and terms come
in formulaic's order (intercept, then terms by degree in the order written)
with formulaic's names, and the same rows are left out. Every other formula
(``I(2 * x)``, ``np.log(x)``, ``- 1``, categorical interactions, ...) goes to
formulaic, the engine statsmodels 0.15 ships with (the patsy grammar,
vectorised), imported with pandas only then, so a survey model neither waits
for those imports nor for a pandas data frame.

Rows with a missing value in any variable of the formula are left out (R's
``na.action = na.omit``); :class:`ModelFrame` says which.
"""

from __future__ import annotations

import ast
import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import factorize
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
    if not isinstance(formula, str) or "~" not in formula:
        raise SamplingError(
            "a model formula needs a response and terms",
            param="glm",
            got=formula,
            hint="e.g. literate ~ C(sex) + C(agegroup) + urban",
        )
    direct = _direct_frame(formula, data)
    if direct is not None:
        return direct
    return _formulaic_frame(formula, data)


def _formulaic_frame(formula: str, data: Mapping[str, Any]) -> ModelFrame:
    """:func:`model_frame` by formulaic, for the formulas :func:`_direct_frame` leaves."""
    import pandas as pd
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    cols = {str(k): _model_column(v) for k, v in data.items()}
    n = len(next(iter(cols.values()))) if cols else 0
    try:
        matrices = model_matrix(formula, pd.DataFrame(cols), na_action="drop")
    except FormulaicError as exc:
        text = str(exc).splitlines()[0]
        unknown = re.search(
            r"NameError: (?:name '([^']+)' is not defined|`([^`]+)` is not present)", text
        )
        if unknown:
            name = unknown.group(1) or unknown.group(2)
            raise SamplingError(
                f"the formula {formula!r} names {name!r}, which is not in the data",
                param="glm",
                got=name,
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
        x=np.asfortranarray(x_df.to_numpy(dtype=np.float64)),
        rows=rows,
        columns=tuple(_level_names(str(c)) for c in x_df.columns),
        terms=terms,
        n_rows=n,
    )


# -- the direct numpy path ------------------------------------------------------------------

#: names formulaic's evaluation environment gives a meaning of its own
_RESERVED = frozenset({"C", "I", "Q", "np", "Treatment", "Sum", "Diff", "Helmert", "Poly"})
#: characters that are formula operators (or numbers, attributes, ...) outside parentheses
_OTHER_OPERATORS = frozenset("-|/%^~.@[]{}`<>=!&,#\\'\"$?;")


@dataclass(frozen=True, slots=True)
class _Text:
    """A text column as codes into its distinct values (sorted by code point, as Python
    sorts strings and so formulaic); code -1 for a missing cell."""

    codes: IntArray
    labels: list[str]


_Column = FloatArray | _Text


def _direct_column(values: Any) -> _Column | None:
    """Numbers as floats (NaN missing); text as :class:`_Text` (blank or None missing);
    None for anything else (formulaic decides)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        return None
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False)
    if arr.dtype.kind == "O":
        return _object_text(arr)
    if arr.dtype.kind != "U":
        return None
    codes, uniq = factorize(arr)
    labels = [str(u) for u in uniq.tolist()]
    kept = sorted((i for i, label in enumerate(labels) if label.strip()), key=labels.__getitem__)
    rank = np.full(len(labels), -1, dtype=np.intp)
    rank[kept] = np.arange(len(kept), dtype=np.intp)
    return _Text(rank[codes], [labels[i] for i in kept])


def _object_text(arr: NDArray[Any]) -> _Text | None:
    """Codes of an object column of strings and None (None missing; a blank string is a
    level here, as for formulaic); None if another kind of value occurs."""
    values = arr.tolist()
    code: dict[Any, int] = dict.fromkeys(values, -1)
    if not all(v is None or isinstance(v, str) for v in code):
        return None  # numbers or NaN among the text: pandas' rules
    labels = sorted(str(v) for v in code if v is not None)
    code.update((v, i) for i, v in enumerate(labels))
    return _Text(np.fromiter(map(code.__getitem__, values), np.intp, len(values)), labels)


@dataclass(frozen=True, slots=True)
class _Factor:
    """One factor of a term: a numeric column, or a categorical one in treatment coding."""

    name: str  # as formulaic writes it: ast.unparse of the expression
    variable: str
    categorical: bool
    reference: str | None = None


def _split_terms(rhs: str) -> list[tuple[str, list[str]]] | None:
    """The ``+``-separated parts of a right-hand side, each as (separator, factor texts).

    The separator is ``":"`` or ``"*"`` (``""`` for a single factor). None for anything
    but names, calls and ``+``/``:``/``*`` outside parentheses, or a part mixing ``:``
    and ``*`` (formulaic parses those).
    """
    parts: list[tuple[str, list[str]]] = []
    factors: list[str] = []
    seps: set[str] = set()
    current: list[str] = []
    depth = 0
    quote = ""
    for ch in rhs + "+":
        if quote:
            if ch == "\\":
                return None
            if ch == quote:
                quote = ""
            current.append(ch)
            continue
        if depth:
            if ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            current.append(ch)
            continue
        if ch == "(":
            depth = 1
            current.append(ch)
        elif ch in "+:*":
            factors.append("".join(current).strip())
            current = []
            if ch != "+":
                seps.add(ch)
                continue
            if len(seps) > 1 or "" in factors:
                return None
            parts.append((seps.pop() if seps else "", factors))
            factors, seps = [], set()
        elif ch in _OTHER_OPERATORS or ch == ")":
            return None
        else:
            current.append(ch)
    return parts if depth == 0 and not quote else None


def _factor(text: str, cols: Mapping[str, _Column]) -> _Factor | int | None:
    """A factor, the int 1 for an explicit intercept, or None if formulaic must read it."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Constant):
        return 1 if node.value == 1 and type(node.value) is int else None
    if isinstance(node, ast.Name):
        var = node.id
        if var not in cols or var in _RESERVED:
            return None
        return _Factor(var, var, isinstance(cols[var], _Text))
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "C"
        and not node.keywords
        and 1 <= len(node.args) <= 2
        and isinstance(node.args[0], ast.Name)
    ):
        return None
    var = node.args[0].id
    if var not in cols or var in _RESERVED:
        return None
    reference = None
    if len(node.args) == 2:
        contrast = node.args[1]
        if not (
            isinstance(contrast, ast.Call)
            and isinstance(contrast.func, ast.Name)
            and contrast.func.id == "Treatment"
            and len(contrast.args) + len(contrast.keywords) == 1
        ):
            return None
        value = contrast.args[0] if contrast.args else contrast.keywords[0].value
        if contrast.keywords and contrast.keywords[0].arg != "reference":
            return None
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            return None
        if not isinstance(cols[var], _Text):
            return None  # a text reference level of a numeric column: formulaic decides
        reference = value.value
    return _Factor(ast.unparse(node).replace("\n", " "), var, True, reference)


def _terms(rhs: str, cols: Mapping[str, _Column]) -> list[tuple[_Factor, ...]] | None:
    """The model's terms in formulaic's order (by degree, then as written), or None."""
    parts = _split_terms(rhs)
    if parts is None:
        return None
    terms: list[tuple[_Factor, ...]] = []
    seen: set[frozenset[str]] = set()
    for sep, texts in parts:
        factors = [_factor(t, cols) for t in texts]
        if any(f is None for f in factors):
            return None
        if factors == [1]:
            continue
        found = [f for f in factors if isinstance(f, _Factor)]
        if len(found) != len(factors):
            return None  # 1 inside an interaction
        if len(found) > 1 and any(f.categorical or f.name != f.variable for f in found):
            return None  # interactions of categorical variables: formulaic's coding rules
        if len({f.variable for f in found}) != len(found):
            return None
        if sep == "*":
            expanded = [
                combo
                for k in range(1, len(found) + 1)
                for combo in itertools.combinations(found, k)
            ]
        else:
            expanded = [tuple(found)]
        for term in expanded:
            key = frozenset(f.name for f in term)
            if key not in seen:
                seen.add(key)
                terms.append(term)
    return sorted(terms, key=len)


def _direct_frame(formula: str, data: Mapping[str, Any]) -> ModelFrame | None:
    """:func:`model_frame` with numpy alone, or None for formulas formulaic must read."""
    lhs, _, rhs = formula.partition("~")
    if "~" in rhs:
        return None
    try:
        response = ast.parse(lhs.strip(), mode="eval").body
    except SyntaxError:
        return None
    by_name = {str(k): v for k, v in data.items()}
    if not isinstance(response, ast.Name) or response.id not in by_name:
        return None
    cols: dict[str, _Column] = {}
    for name in set(re.findall(r"\w+", formula)) & set(by_name):
        col = _direct_column(by_name[name])
        if col is None:
            return None
        cols[name] = col
    if len({_length(c) for c in cols.values()}) != 1:
        return None
    y_all = cols[response.id]
    terms = _terms(rhs, cols)
    if terms is None or isinstance(y_all, _Text):
        return None
    variables = {response.id} | {f.variable for term in terms for f in term}
    keep = np.ones(y_all.shape[0], dtype=bool)
    for var in variables:
        col = cols[var]
        keep &= col.codes >= 0 if isinstance(col, _Text) else ~np.isnan(col)
    rows = np.flatnonzero(keep)
    coded: dict[str, tuple[IntArray, list[str]]] = {}
    for term in terms:
        first = term[0]  # categorical factors come alone (see _terms)
        if first.categorical and first.name not in coded:
            coding = _treatment(cols[first.variable], rows, first.reference)
            if coding is None:
                return None
            coded[first.name] = coding
    m = rows.shape[0]
    widths = [len(coded[t[0].name][1]) if t[0].categorical else 1 for t in terms]
    x = np.zeros((m, 1 + sum(widths)), order="F")
    x[:, 0] = 1.0
    columns = ["Intercept"]
    index: dict[str, tuple[int, ...]] = {"Intercept": (0,)}
    at = 1
    for term, width in zip(terms, widths, strict=True):
        name = ":".join(f.name for f in term)
        if term[0].categorical:
            codes, labels = coded[term[0].name]
            hit = np.flatnonzero(codes >= 0)
            x[hit, at + codes[hit]] = 1.0
            columns += [_level_names(f"{name}[T.{label}]") for label in labels]
        else:
            out = x[:, at]
            for i, f in enumerate(term):
                values = cols[f.variable]
                assert not isinstance(values, _Text)  # interactions are numeric (see _terms)
                if i:
                    out *= values[rows]
                else:
                    out[:] = values[rows]
            columns.append(name)
        index[name] = tuple(range(at, at + width))
        at += width
    return ModelFrame(
        formula=formula,
        response=response.id,
        y=y_all[rows],
        x=x,
        rows=rows,
        columns=tuple(columns),
        terms=index,
        n_rows=int(y_all.shape[0]),
    )


def _length(col: _Column) -> int:
    return int(col.codes.shape[0] if isinstance(col, _Text) else col.shape[0])


def _treatment(
    col: _Column, rows: IntArray, reference: str | None
) -> tuple[IntArray, list[str]] | None:
    """Treatment coding of a categorical column on the rows used.

    Returns, per row, the dummy column (-1 for the reference level) and the labels
    of the dummies as formulaic spells them (``str`` of the level), or None when
    formulaic must decide (a reference level that does not occur). The levels are
    those of the rows used, sorted as formulaic sorts them: numbers by value, text
    by code point; the reference is the first or the named one.
    """
    if isinstance(col, _Text):
        all_codes = col.codes[rows]
        present = np.bincount(all_codes, minlength=len(col.labels)) > 0
        dense = np.cumsum(present) - 1
        codes = dense[all_codes]
        labels = [label for label, ok in zip(col.labels, present, strict=True) if ok]
    else:
        codes, levels = _float_levels(col[rows])
        labels = [str(float(v)) for v in levels]
    if reference is None:
        ref = 0
    elif reference in labels:
        ref = labels.index(reference)
    else:
        return None
    if not labels:
        return codes, []
    shift = np.arange(len(labels)) - (np.arange(len(labels)) > ref)
    shift[ref] = -1
    return shift[codes], labels[:ref] + labels[ref + 1 :]


def _float_levels(values: FloatArray) -> tuple[IntArray, FloatArray]:
    """Codes and sorted distinct values; whole numbers in a small range without a sort."""
    if values.size and np.all(values == np.round(values)):
        lo, hi = float(values.min()), float(values.max())
        if max(-lo, hi) < 2.0**53 and hi - lo <= max(4 * values.size, 1024):
            codes, uniq = factorize(values.astype(np.int64))
            return codes, uniq.astype(np.float64)
    uniq, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.intp), uniq


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
