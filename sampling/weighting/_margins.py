"""Checking calibration targets against the sample and coding them.

Categorical margins are ``{variable: {level: population_total}}``; numeric
totals are ``{variable: population_total}``. Levels are matched by their
spelling (``1`` in YAML matches ``"1"`` in a CSV and ``1.0`` in a float
column). Every problem that would make a margin impossible to meet is an
error naming the variable and the level.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import factorize
from sampling._codes import label_text
from sampling._model import ModelMatrix
from sampling.errors import MarginError
from sampling.weighting.base import MarginCheck

logger = logging.getLogger(__name__)

_MISSING = {"", "NA", "na", "NaN", "nan", "None", "."}


@dataclass(frozen=True, slots=True, eq=False)
class Margin:
    """One categorical margin coded against the sample.

    Attributes:
        variable: column name.
        codes: level index (0..k-1) of every row (0 for weight-zero rows without a level).
        levels: level spellings, in the order of the targets.
        targets: population totals per level.
    """

    variable: str
    codes: IntArray
    levels: tuple[str, ...]
    targets: FloatArray


def _column(variables: Mapping[str, Any], name: str, role: str) -> NDArray[Any]:
    if name not in variables:
        raise MarginError(
            f"{role} variable {name!r} is not among the columns",
            param=name,
            expected=f"one of {sorted(variables)[:20]}",
            hint="check the spelling of the margin name",
        )
    return np.asarray(variables[name]).reshape(-1)


def _is_missing(uniq: NDArray[Any]) -> NDArray[np.bool_]:
    out = np.zeros(uniq.shape[0], dtype=bool)
    for i, u in enumerate(uniq):
        if u is None:
            out[i] = True
        elif isinstance(u, (float, np.floating)) and np.isnan(u):
            out[i] = True
        elif isinstance(u, str) and u.strip() in _MISSING:
            out[i] = True
    return out


def prepare_margins(
    weights: FloatArray, variables: Mapping[str, Any], margins: Mapping[str, Mapping[Any, float]]
) -> tuple[Margin, ...]:
    """Code each margin variable against its population totals and check they can be met.

    Raises:
        MarginError: the variable is missing; a level in the data (with positive
            weight) has no total; a level with a positive total has no
            respondents; a total is negative, zero for a level in the sample, or
            not a number; margins disagree on the population size.
    """
    out = []
    positive = weights > 0
    for var, table in margins.items():
        values = _column(variables, var, "margin")
        if values.shape[0] != weights.shape[0]:
            raise MarginError(
                f"margin variable {var!r} has the wrong length",
                param=var,
                got=values.shape[0],
                expected=weights.shape[0],
            )
        if not isinstance(table, Mapping) or not table:
            raise MarginError(
                f"margin {var!r} must map levels to population totals",
                param=var,
                got=table,
                hint="e.g. sex: {1: 861303, 2: 1141686}",
            )
        levels = [label_text(k) for k in table]
        if len(set(levels)) != len(levels):
            raise MarginError(f"margin {var!r} lists a level twice", param=var, got=levels)
        targets = np.empty(len(levels))
        for j, (key, total) in enumerate(table.items()):
            try:
                targets[j] = float(total)
            except (TypeError, ValueError) as exc:
                raise MarginError(
                    f"total of level {label_text(key)!r} of {var!r} is not a number",
                    param=var,
                    got=total,
                ) from exc
            if not np.isfinite(targets[j]) or targets[j] < 0:
                raise MarginError(
                    f"total of level {label_text(key)!r} of {var!r} must be >= 0",
                    param=var,
                    got=total,
                )
        index = {lvl: j for j, lvl in enumerate(levels)}
        if values.dtype.kind == "f" and np.isnan(values).any():
            missing_rows = np.isnan(values)
            data_codes, uniq = factorize(np.where(missing_rows, 0.0, values))
        else:
            data_codes, uniq = factorize(values)
            missing_uniq = _is_missing(uniq)
            missing_rows = missing_uniq[data_codes] if missing_uniq.any() else None
        mapping = np.array([index.get(label_text(u), -1) for u in uniq], dtype=np.intp)
        # the usual case (levels listed in sorted order, nothing missing) needs no copy
        identity = np.array_equal(mapping, np.arange(len(levels))[: mapping.shape[0]])
        codes = data_codes if identity else mapping[data_codes]
        if missing_rows is not None:
            codes = np.where(missing_rows, -1, codes)
        unknown = bool((mapping < 0).any()) or missing_rows is not None
        lost = positive & (codes < 0) if unknown else np.zeros(1, dtype=bool)
        if lost.any():
            row = int(np.flatnonzero(lost)[0])
            is_missing = missing_rows is not None and bool(missing_rows[row])
            what = "a missing value" if is_missing else f"level {label_text(values[row])!r}"
            raise MarginError(
                f"{int(lost.sum())} respondent(s) have {what} of {var!r} without a population "
                f"total (first at row {row + 1})",
                param=var,
                expected=f"levels {levels}",
                hint="add the level to the margin, or recode/drop these respondents",
            )
        if unknown:
            sample = np.bincount(codes[positive], weights=weights[positive], minlength=len(levels))
        else:
            sample = np.bincount(codes, weights=weights, minlength=len(levels))
        for j, lvl in enumerate(levels):
            if targets[j] > 0 and sample[j] == 0:
                raise MarginError(
                    f"level {lvl!r} of {var!r} has a population total of {targets[j]:.6g} "
                    "but no respondents (empty cell)",
                    param=var,
                    got=lvl,
                    hint="collapse this level with a neighbouring one",
                )
            if targets[j] == 0 and sample[j] > 0:
                raise MarginError(
                    f"level {lvl!r} of {var!r} has a population total of 0 but respondents",
                    param=var,
                    got=lvl,
                    hint="fix the margin or drop these respondents",
                )
        if unknown:
            codes = np.where(codes < 0, 0, codes)
        out.append(Margin(var, codes, tuple(levels), targets))
    _check_consistent(out)
    return tuple(out)


def _check_consistent(margins: list[Margin]) -> None:
    if len(margins) < 2:
        return
    first = margins[0]
    n0 = float(first.targets.sum())
    for m in margins[1:]:
        nm = float(m.targets.sum())
        if abs(nm - n0) > 1e-6 * max(abs(n0), 1.0):
            raise MarginError(
                f"margins {first.variable!r} and {m.variable!r} disagree on the population "
                f"size ({n0:.10g} vs {nm:.10g})",
                param=m.variable,
                got=nm,
                expected=n0,
                hint="all categorical margins must sum to the same population total",
            )


def prepare_totals(
    weights: FloatArray, variables: Mapping[str, Any], totals: Mapping[str, float]
) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    """Numeric calibration columns (n, q) and their population totals (q,).

    Raises:
        MarginError: a column is missing, not numeric, missing for a
            respondent with positive weight, or the total is not a number.
    """
    names = tuple(totals)
    n = weights.shape[0]
    cols = np.zeros((n, len(names)))
    targets = np.zeros(len(names))
    for j, name in enumerate(names):
        raw = _column(variables, name, "total")
        try:
            col = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise MarginError(
                f"total variable {name!r} is not numeric", param=name, hint="use a numeric column"
            ) from exc
        bad = (weights > 0) & ~np.isfinite(col)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise MarginError(
                f"total variable {name!r} is missing for {int(bad.sum())} respondent(s) "
                f"(first at row {row + 1})",
                param=name,
                hint="impute or drop these respondents before calibrating",
            )
        cols[:, j] = np.where(np.isfinite(col), col, 0.0)
        try:
            targets[j] = float(totals[name])
        except (TypeError, ValueError) as exc:
            raise MarginError(
                f"population total of {name!r} is not a number", param=name, got=totals[name]
            ) from exc
    return names, cols, targets


def build_model(
    margins: tuple[Margin, ...],
    numeric: FloatArray,
    numeric_targets: FloatArray,
    *,
    intercept: bool,
    population: float | None = None,
) -> tuple[ModelMatrix, FloatArray]:
    """The calibration model matrix and its vector of population totals.

    Columns: intercept (population size), treatment dummies of each margin
    (levels 2..k), numeric columns — R's ``model.matrix(~ a + b + x)``.
    """
    pop: list[float] = []
    if intercept:
        if population is None:
            population = float(margins[0].targets.sum())
        pop.append(float(population))
    for m in margins:
        pop.extend(float(t) for t in m.targets[1:])
    pop.extend(float(t) for t in numeric_targets)
    model = ModelMatrix(
        factors=tuple(m.codes for m in margins),
        n_levels=tuple(len(m.levels) for m in margins),
        numeric=numeric,
        intercept=intercept,
    )
    return model, np.asarray(pop, dtype=np.float64)


def margin_checks(
    before: FloatArray,
    after: FloatArray,
    margins: tuple[Margin, ...],
    numeric_names: tuple[str, ...] = (),
    numeric: FloatArray | None = None,
    numeric_targets: FloatArray | None = None,
) -> tuple[MarginCheck, ...]:
    """Weighted margin totals before and after a step, for the diagnostics."""
    out = []
    for m in margins:
        k = len(m.levels)
        b = np.bincount(m.codes, weights=before, minlength=k)
        a = np.bincount(m.codes, weights=after, minlength=k)
        for j, lvl in enumerate(m.levels):
            out.append(MarginCheck(m.variable, lvl, float(m.targets[j]), float(b[j]), float(a[j])))
    if numeric is not None and numeric_targets is not None:
        for j, name in enumerate(numeric_names):
            out.append(
                MarginCheck(
                    name,
                    None,
                    float(numeric_targets[j]),
                    float(numeric[:, j] @ before),
                    float(numeric[:, j] @ after),
                )
            )
    return tuple(out)
