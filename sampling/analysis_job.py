"""Job-file entries beyond means: models, quantiles, tables and tests.

Entries of ``estimates:`` in a job file (:mod:`sampling.job`) and the JSON
rows ``kesu estimate --json`` prints for them::

    - glm: "literate ~ C(sex) + C(agegroup) + urban"   # statsmodels formula
      family: binomial          # binomial (logit) | gaussian
      tests: ["C(agegroup)"]    # Wald F tests of terms (R's regTermTest)
      level: 0.95
    # rows: statistic coef (term, estimate, se, ci_low, ci_high, df, p) per column;
    #       binomial: statistic odds_ratio per column but the intercept;
    #       statistic wald (term, f, df1, df2, p) per test
    - quantile: score
      probs: [0.25, 0.5, 0.75]
      qrule: hf1                # hf1 (R's "math", default) | hf7
      by: group                 # optional; also level, df (domain | design), na_rm
    # rows: statistic quantile with prob, domain, estimate, se, ci_low, ci_high (Woodruff)
    - table: [literate, edu]
      test: chisq               # optional: Rao-Scott test of association
      statistic: F              # F (second order, R's default) | Chisq (first order)
    # rows: statistic total per cell (domain {literate: .., edu: ..}); statistic rao_scott
    #       (or rao_scott_chisq) with term, f, df1, df2, p, chisq
    - ttest: score
      by: urban                 # a two-level group
    # row: statistic difference with domain {urban: "1 - 0"}, estimate, se, ci, df, p

Columns named in a formula are numbers when every non-missing cell is a
number (then ``C(x)`` orders levels numerically, like R's ``factor``), text
otherwise; empty cells are missing (those rows are left out of the model).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kesu.tables import Table
from kesu.tables import TableError
from sampling.errors import JobError
from sampling.errors import SamplingError
from sampling.estimation import DF_CHOICES
from sampling.estimation import Design
from sampling.glm import FAMILIES
from sampling.glm import svy_glm
from sampling.moments import svy_ttest
from sampling.quantiles import svy_quantile
from sampling.results import Estimate
from sampling.results import Reliability
from sampling.tables import svy_chisq
from sampling.tables import svy_table

logger = logging.getLogger(__name__)

ANALYSES = ("glm", "quantile", "table", "ttest")
_KEYS = {
    "glm": ("glm", "family", "tests", "level"),
    "quantile": ("quantile", "probs", "qrule", "by", "level", "df", "na_rm"),
    "table": ("table", "test", "statistic", "level"),
    "ttest": ("ttest", "by", "level"),
}


@dataclass(frozen=True, slots=True)
class AnalysisSpec:
    """One ``glm:``, ``quantile:``, ``table:`` or ``ttest:`` entry of ``estimates:``.

    Attributes:
        kind: ``glm``, ``quantile``, ``table`` or ``ttest``.
        target: the formula, the variable, or the table's variables.
        key: the entry's place in the job (``estimates[3]``), for messages.
        options: the entry's other keys, checked.
    """

    kind: str
    target: tuple[str, ...]
    key: str
    options: Mapping[str, Any] = field(default_factory=dict)


def _fail(key: str, message: str, got: Any = None, expected: Any = None) -> JobError:
    return JobError(f"{key}: {message}", param=key, got=got, expected=expected)


def _level(entry: Mapping[str, Any], where: str) -> float:
    level = entry.get("level", 0.95)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise _fail(f"{where}.level", "must be a number between 0 and 1", got=level)
    return float(level)


def _names(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(key, "must be a column name or a list of names", got=value)


def parse_analysis(entry: Mapping[str, Any], where: str) -> AnalysisSpec:
    """Check one analysis entry of ``estimates:`` (see the module docstring).

    Raises:
        JobError: two kinds in one entry, an unknown key, or a value of the wrong kind.
    """
    kinds = [k for k in ANALYSES if k in entry]
    if len(kinds) != 1:
        raise _fail(where, "needs exactly one of glm, quantile, table, ttest", got=list(entry))
    kind = kinds[0]
    for k in entry:
        if k not in _KEYS[kind]:
            raise JobError(
                f"unknown key {where}.{k}",
                param=f"{where}.{k}",
                got=k,
                expected=", ".join(_KEYS[kind]),
            )
    key = f"{where}.{kind}"
    opts: dict[str, Any] = {"level": _level(entry, where)}
    if kind == "glm":
        formula = entry["glm"]
        if not isinstance(formula, str) or "~" not in formula:
            raise _fail(key, "must be a formula such as 'literate ~ C(sex) + urban'", formula)
        family = entry.get("family", "gaussian")
        if family not in FAMILIES:
            raise _fail(f"{where}.family", "invalid", family, " | ".join(FAMILIES))
        opts["family"] = family
        opts["tests"] = _names(entry.get("tests"), f"{where}.tests")
        return AnalysisSpec(kind, (formula,), where, opts)
    if kind == "table":
        target = _names(entry["table"], key)
        test = entry.get("test")
        if test not in (None, "chisq"):
            raise _fail(f"{where}.test", "invalid", test, "chisq")
        if test and len(target) != 2:
            raise _fail(f"{where}.test", "the chisq test needs a table of two variables", target)
        statistic = entry.get("statistic", "F")
        if statistic not in ("F", "Chisq"):
            raise _fail(f"{where}.statistic", "invalid", statistic, "F | Chisq")
        opts.update(test=test, statistic=statistic)
        return AnalysisSpec(kind, target, where, opts)
    variable = entry[kind]
    if not isinstance(variable, str):
        raise _fail(key, "must be a column name", variable)
    by = _names(entry.get("by"), f"{where}.by")
    if kind == "ttest":
        if len(by) != 1:
            raise _fail(f"{where}.by", "a t-test compares the two levels of one column", by)
        opts["by"] = by
        return AnalysisSpec(kind, (variable,), where, opts)
    probs = entry.get("probs", [0.5])
    if not isinstance(probs, list) or not probs or not all(_is_prob(p) for p in probs):
        raise _fail(f"{where}.probs", "must be a list of probabilities in [0, 1]", probs)
    qrule = entry.get("qrule", "hf1")
    if qrule not in ("hf1", "hf7", "math"):
        raise _fail(f"{where}.qrule", "invalid", qrule, "hf1 | hf7")
    df = entry.get("df", "domain")
    if df not in DF_CHOICES:
        raise _fail(f"{where}.df", "invalid", df, " | ".join(DF_CHOICES))
    na_rm = entry.get("na_rm", False)
    if not isinstance(na_rm, bool):
        raise _fail(f"{where}.na_rm", "must be true or false", na_rm)
    opts.update(probs=[float(p) for p in probs], qrule=qrule, by=by, df=df, na_rm=na_rm)
    return AnalysisSpec(kind, (variable,), where, opts)


def _is_prob(p: Any) -> bool:
    return not isinstance(p, bool) and isinstance(p, (int, float)) and 0 <= p <= 1


def _formula_columns(formula: str, table: Table) -> dict[str, NDArray[Any]]:
    """The table's columns a formula names: numbers if every filled cell is one, else text."""
    names = set(re.findall(r"[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*", formula))
    names |= set(re.findall(r"Q\(\s*['\"]([^'\"]+)['\"]\s*\)", formula))
    out: dict[str, NDArray[Any]] = {}
    for name in sorted(n for n in names if n in table.columns):
        out[name] = model_column(table, name)
    return out


def model_column(table: Table, name: str) -> NDArray[Any]:
    """A column for a model: floats (NaN missing) if every filled cell is a number by the
    table layer's rule (:meth:`kesu.tables.Table.numeric`), else text (None missing)."""
    try:
        return table.numeric(name, allow_missing=True)
    except TableError as exc:
        if exc.reason != "number":
            raise
    labels = table.labels(name)
    return np.array([c if c else None for c in labels.tolist()], dtype=object)


def run_analysis(
    spec: AnalysisSpec, table: Table, design: Design, reliability: Reliability
) -> list[dict[str, Any]]:
    """Run one analysis entry and return its JSON rows (see the module docstring).

    Raises:
        JobError: a missing column or an invalid model, naming the entry.
    """
    try:
        return _run(spec, table, design, reliability)
    except JobError:
        raise
    except SamplingError as exc:
        raise JobError(
            f"{spec.key} ({spec.kind}): {exc.message}",
            param=f"{spec.key}.{spec.kind}",
            got=exc.got,
            expected=exc.expected,
            hint=exc.hint,
        ) from exc


def _labels(table: Table, names: tuple[str, ...], key: str) -> dict[str, NDArray[Any]]:
    return {n: table.labels(n, key=key) for n in names}


def _run(
    spec: AnalysisSpec, table: Table, design: Design, reliability: Reliability
) -> list[dict[str, Any]]:
    opts = spec.options
    level = float(opts["level"])
    key = f"{spec.key}.{spec.kind}"
    if spec.kind == "glm":
        formula = spec.target[0]
        model = svy_glm(
            formula,
            _formula_columns(formula, table),
            design,
            family=str(opts["family"]),
            level=level,
            reliability=reliability,
        )
        rows = model.to_rows(tests=tuple(opts["tests"]))
        for row in rows:
            row["model"] = formula
        return rows
    if spec.kind == "table":
        names = spec.target
        cols = _labels(table, names, key)
        est = svy_table(cols, design, level=level, reliability=reliability)
        rows = est.to_rows()
        if opts.get("test"):
            test = svy_chisq(
                cols[names[0]],
                cols[names[1]],
                design,
                statistic=str(opts["statistic"]),
                names=names,
            )
            row = test.to_row()
            row["variable"] = est.variable
            rows.append(row)
        return rows
    variable = spec.target[0]
    y = table.numeric(variable, key=key, allow_missing=True)
    if spec.kind == "ttest":
        group = opts["by"][0]
        est = svy_ttest(
            y,
            design,
            group=table.labels(group, key=f"{spec.key}.by"),
            name=variable,
            group_name=group,
            level=level,
            reliability=reliability,
        )
        rows = est.to_rows()
        for row, p in zip(rows, est.p_value(), strict=True):
            row["p"] = None if not np.isfinite(p) else float(p)
        return rows
    by = _labels(table, tuple(opts["by"]), f"{spec.key}.by") or None
    q = svy_quantile(
        y,
        design,
        opts["probs"],
        by=by,
        qrule=str(opts["qrule"]),
        level=level,
        df=str(opts["df"]),
        na_rm=bool(opts["na_rm"]),
        name=variable,
        reliability=reliability,
    )
    return quantile_rows(q)


def quantile_rows(q: Estimate) -> list[dict[str, Any]]:
    """Rows of a quantile estimate: ``prob`` as a number, the domain without it."""
    rows = q.to_rows()
    for row in rows:
        row["prob"] = float(row["domain"].pop("prob"))
    return rows
