"""Weighting and estimation jobs: a YAML file a statistician can review and re-run.

The format (paths relative to the job file)::

    data: sample.csv            # or  wave: NAME  (the analysis table of a survey wave)
                                # or  data: {file: 数据.xlsx, sheet: 数据, encoding: gbk}
    exclude: {rejected: [1]}    # optional; rows left out on purpose, counted (see below)
    design:
      weights: w                # design-weight column (or prob: p, weights 1/p; or
                                # neither: weights N/n per stage from the fpc, as R)
      strata: stratum           # optional
      psu: psu                  # optional; a list of columns for several stages
      fpc: fpc                  # optional; a list for several stages
      nest: true
      lonely_psu: fail          # fail | certainty | adjust | average
      replicate_weights:        # optional: replicate-weight columns given with the data
        columns: [repw1, repw2] # (R's svrepdesign, full replicate weights)
        type: JKn               # JK1 | JKn | BRR | Fay | bootstrap
        rscales: [0.5, 0.5]     # JKn: (n_h-1)/n_h per column; also scale, fay_rho, mse
    nonresponse:                # optional; weighting-class nonresponse adjustment, done first
      cases: cases.csv          # one row per sampled case; optional with wave: (its fieldwork)
      weights: base_weight      # the cases' base-weight column
      outcome: weighting_outcome   # disposition: AAPOR codes, ER/ENR/UNK/IN or 0/1
      classes: [town]           # weighting-class columns of the cases (crossed); default none
      id: respondent_id         # the cases' column holding the data's respondent_id
    calibration:                # optional
      method: raking            # poststratify | raking | linear | logit
      margins: {sex: {1: 861303, 2: 1141686}}
      totals: {api99: 3914069}  # numeric totals, for linear, logit and raking
      bounds: [0.7, 1.7]        # limits on final/initial weight
      tolerance: 1.0e-10
      max_iter: 100
    trim: {upper: 5000}         # or {upper_quantile: 0.95}; also lower, lower_quantile, strict,
                                # recalibrate (default true: until caps and margins hold)
    variance: taylor            # taylor | jk1 | jkn | brr | fay | bootstrap
    replicates: {replicates: 100, seed: 1, fay_rho: 0.5, mse: false}   # optional
    reliability: {min_n: 30, max_cv: 0.3}                              # optional
    estimates:
      - mean: literate          # a 0/1 column gives a proportion
        by: group               # optional; a list crosses variables
        ci: logit               # logit | xlogit | beta | wilson | wald
        level: 0.95
        df: domain              # domain (each domain's df, default) | design
      - total: enroll
      - ratio: [api.stu, enroll]
      - glm: "literate ~ C(sex) + C(agegroup) + urban"   # and quantile:, table:, ttest:
        family: binomial        # see sampling/analysis_job.py
        tests: ["C(agegroup)"]
    output: weighted.csv        # where ``kesu weight`` writes data + weights
    report: {...}               # a report job's section (reports/spec.py); kesu weight and
                                # kesu estimate run the rest of the job and leave it to kesu report

Tables (``data:``, ``nonresponse.cases``) are read by the one table layer,
:mod:`kesu.tables`: CSV in UTF-8, UTF-8 with a BOM or GB18030/GBK (detected;
``encoding:`` overrides), ``.xlsx`` (the first sheet, or ``sheet:``) and Parquet.
The job file itself is read by :mod:`kesu.yamlsource` (YAML 1.2: ``1e-12`` is a
number, ``yes``/``no`` are strings, a key written twice or an unknown key stops
with ``FILE:LINE``).

**Nothing is dropped silently.** A missing or blank cell in a design column
(weights, strata, PSUs, fpc) stops the job naming the row and column, as R's
``svydesign`` refuses missing values in ``id``, ``strata``, ``weights`` and
``fpc``; so do impossible fpc values (more sampled than population units, or 1
in every row, which R refuses too). Rows a statistician really wants out are
named by ``exclude:`` (column -> the values whose rows are left out; ``""``
means a missing cell); the rows are removed before weighting and counted
(:attr:`WeightedSample.excluded`), ``kesu weight`` and ``kesu estimate`` print
the counts and the report's methods section states them.

Every weighting step runs through the weighting registry
(:func:`sampling.weighting.get_weighting_method`). The weighting steps run in the
order nonresponse, calibration, trim; after a
calibration, trimming alternates with re-calibration until both the caps and the
margins hold (:func:`sampling.weighting.trim_weights` with ``recalibrate``).

**Nonresponse** (:func:`sampling.weighting.adjust_nonresponse`, Valliant,
Dever & Kreuter 2018, §13.5) works on the *cases* table: every sampled case,
respondent or not, with its base weight and final disposition (the
``kesu export NAME --format cases`` file, or for ``wave:`` jobs without
``cases:`` the wave's fieldwork table, ``survey.analysis.load_fieldwork``).
Within each class the weight of unknown-eligibility cases goes to the cases of
known eligibility, then the weight of eligible nonrespondents (ENR) to the
eligible respondents (ER). Each data row is matched to the ER case whose
``id`` column equals its ``respondent_id``; its starting weight is its design
weight (``design.weights``) times that case's adjustment factor (adjusted /
base weight of the case). When ``design.weights`` and ``nonresponse.weights``
name the same column (the usual ``base_weight``) the two must agree, and the
starting weight is the adjusted weight of the case. With different columns,
e.g. ``weights: household_weight`` when nonrespondent households have no
within-household selection probability (so no ``base_weight``), the
household-level factor multiplies each respondent's base weight. Defaults:
``weights: base_weight``, ``outcome: weighting_outcome`` (in the cases file
and the fieldwork table; a rejected interview is ENR there), ``classes:``
none (one class), ``id: respondent_id``. A data row without its ER case, two
data rows or two ER cases with one id, an ER case that is not in the data, a
missing or negative case weight, an unknown disposition, an empty class value
or a class with nonrespondents but no respondent are errors naming the row.
The step's diagnostics (case weights before and after, the range of weighted
response rates over the classes, the largest factor) come first in
:attr:`WeightedSample.steps`: ``kesu weight`` prints them and the report's
methods appendix lists them.

Variance: with Taylor linearisation the nonresponse-adjusted weights are
treated as given, as R's ``svydesign`` does with adjusted weights (the
variance the adjustment itself adds or removes is not estimated); a
calibration after it is accounted for (residuals of the calibration model).
Replicate weights are made from the adjusted weights, so the adjustment is not
repeated in each replicate either.

Parsing (:func:`parse_job`) and running (:func:`run_weighting`,
:func:`run_estimates`) are pure; :func:`load_job`, :func:`load_table` and
:func:`load_cases` are the loaders. Unknown keys, missing columns and
non-numeric cells are :class:`~sampling.errors.JobError` naming the key, the
column and the row; :func:`load_job` adds the file and line.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import TypedDict

import numpy as np
from numpy.typing import NDArray

from kesu.errors import KesuError
from kesu.tables import MISSING
from kesu.tables import Table
from kesu.tables import TableError
from kesu.tables import TableSource
from kesu.tables import label_text
from kesu.tables import table_from_columns
from kesu.tables import write_columns
from kesu.yamlsource import check_keys
from kesu.yamlsource import line_of
from sampling.analysis_job import ANALYSES
from sampling.analysis_job import AnalysisSpec
from sampling.analysis_job import parse_analysis
from sampling.analysis_job import run_analysis
from sampling.design import LonelyPSU
from sampling.design import SurveyDesign
from sampling.design import fpc_weights
from sampling.errors import DesignError
from sampling.errors import JobError
from sampling.errors import SamplingError
from sampling.errors import WeightingError
from sampling.estimation import DF_CHOICES
from sampling.estimation import svy_mean
from sampling.estimation import svy_proportion
from sampling.estimation import svy_ratio
from sampling.estimation import svy_total
from sampling.intervals import CIMethod
from sampling.replicates import ReplicateDesign
from sampling.replicates import replicate_design
from sampling.replicates import replicate_design_from_weights
from sampling.results import Estimate
from sampling.results import Reliability
from sampling.weighting import get_weighting_method
from sampling.weighting.base import WeightingResult
from sampling.weighting.nonresponse import ER
from sampling.weighting.nonresponse import disposition_category

logger = logging.getLogger(__name__)

TOP_KEYS = (
    "data",
    "wave",
    "exclude",
    "design",
    "nonresponse",
    "calibration",
    "trim",
    "variance",
    "replicates",
    "reliability",
    "estimates",
    "output",
    "report",
)
DESIGN_KEYS = (
    "weights",
    "prob",
    "strata",
    "psu",
    "fpc",
    "nest",
    "lonely_psu",
    "replicate_weights",
)
REPLICATE_WEIGHT_KEYS = ("columns", "type", "scale", "rscales", "fay_rho", "mse")
NONRESPONSE_KEYS = ("cases", "weights", "outcome", "classes", "id")
#: the data's column that the cases' ``id`` column refers to
RESPONDENT_ID = "respondent_id"
CALIBRATION_KEYS = ("method", "margins", "totals", "bounds", "tolerance", "max_iter")
CALIBRATION_METHODS = ("poststratify", "raking", "linear", "logit")
TRIM_KEYS = ("upper", "lower", "upper_quantile", "lower_quantile", "strict", "recalibrate")
VARIANCE_METHODS = ("taylor", "jk1", "jkn", "brr", "fay", "bootstrap")
REPLICATE_KEYS = ("replicates", "seed", "fay_rho", "mse")
RELIABILITY_KEYS = ("min_n", "max_cv")
STATISTICS = ("mean", "proportion", "total", "ratio")
ESTIMATE_KEYS = (*STATISTICS, "by", "ci", "level", "na_rm", "df")


@dataclass(frozen=True, slots=True)
class ReplicateWeightsSpec:
    """``design.replicate_weights``: replicate-weight columns of the data (R's ``svrepdesign``)."""

    columns: tuple[str, ...]
    type: str
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    fay_rho: float | None = None
    mse: bool = False


@dataclass(frozen=True, slots=True)
class DesignSpec:
    """The ``design:`` section (``weights`` or ``prob``: weights ``1/prob``)."""

    weights: str
    strata: str | None
    psu: tuple[str, ...]
    fpc: tuple[str, ...]
    nest: bool
    lonely_psu: LonelyPSU
    prob: str | None = None
    replicate_weights: ReplicateWeightsSpec | None = None


@dataclass(frozen=True, slots=True)
class NonresponseSpec:
    """The ``nonresponse:`` section (see the module docstring).

    Attributes:
        cases: the cases table file; None: the wave's fieldwork table.
        weights: the cases' base-weight column.
        outcome: the cases' disposition column.
        classes: the cases' weighting-class columns (crossed).
        id: the cases' column holding the data's ``respondent_id``.
    """

    cases: TableSource | None
    weights: str = "base_weight"
    outcome: str = "weighting_outcome"
    classes: tuple[str, ...] = ()
    id: str = RESPONDENT_ID


@dataclass(frozen=True, slots=True)
class CalibrationSpec:
    """The ``calibration:`` section."""

    method: str
    margins: dict[str, dict[Any, float]]
    totals: dict[str, float]
    bounds: tuple[float, float] | None
    tolerance: float
    max_iter: int


class _EstimatorOptions(TypedDict):
    """The keyword arguments every estimator of a job entry shares."""

    by: dict[str, NDArray[Any]] | None
    na_rm: bool
    level: float
    reliability: Reliability
    df: str


@dataclass(frozen=True, slots=True)
class EstimateSpec:
    """One entry of ``estimates:``."""

    statistic: str
    variable: str
    denominator: str | None
    by: tuple[str, ...]
    ci: str | None
    level: float
    na_rm: bool
    key: str
    df: str = "domain"


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One ``exclude:`` rule: rows whose ``column`` holds one of ``values``.

    ``rows`` is the number of rows it left out (0 before the job ran).
    """

    column: str
    values: tuple[str, ...]
    rows: int = 0

    def describe(self) -> str:
        """``rejected in (1): 28 rows``."""
        shown = ", ".join(repr(v) if v else "(missing)" for v in self.values)
        return f"{self.column} in ({shown}): {self.rows} row{'s' if self.rows != 1 else ''}"


@dataclass(frozen=True, slots=True)
class Job:
    """A parsed job file."""

    data: TableSource | None
    wave: str | None
    design: DesignSpec
    calibration: CalibrationSpec | None
    trim: dict[str, Any] | None
    variance: str
    replicates: dict[str, Any]
    reliability: Reliability
    estimates: tuple[EstimateSpec | AnalysisSpec, ...]
    output: Path | None
    nonresponse: NonresponseSpec | None = None
    exclude: tuple[Exclusion, ...] = ()
    #: the ``report:`` section of a report job (read by ``reports.spec``), else None
    report: Mapping[str, Any] | None = None


# -- parsing -------------------------------------------------------------------------------


def _check_keys(section: Any, allowed: tuple[str, ...], where: str) -> Mapping[str, Any]:
    return check_keys(section, allowed, where, error=JobError)


def _names(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise JobError(f"{key} must be a column name or a list of names", param=key, got=value)


def _number(value: Any, key: str, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = "write it unquoted, e.g. 1e-10 or 0.0001" if isinstance(value, str) else None
        raise JobError(f"{key} must be a number", param=key, got=value, hint=hint)
    if integer and int(value) != value:
        raise JobError(f"{key} must be a whole number", param=key, got=value)
    return float(value)


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise JobError(f"invalid {key}", param=key, got=value, expected=" | ".join(choices))
    return str(value)


def _source(value: Any, base: Path, key: str) -> TableSource:
    try:
        return TableSource.from_config(value, base, key)
    except TableError as exc:
        raise JobError(exc.message, param=exc.param, got=exc.got, expected=exc.expected) from None


def _parse_replicate_weights(section: Any) -> ReplicateWeightsSpec:
    r = _check_keys(section, REPLICATE_WEIGHT_KEYS, "design.replicate_weights")
    columns = _names(r.get("columns"), "design.replicate_weights.columns")
    if len(columns) < 2:
        raise JobError(
            "design.replicate_weights.columns must list the replicate-weight columns (2 or more)",
            param="design.replicate_weights.columns",
            got=r.get("columns"),
        )
    kind = _choice(
        r.get("type"), ("JK1", "JKn", "BRR", "Fay", "bootstrap"), "design.replicate_weights.type"
    )
    rscales = r.get("rscales")
    if rscales is not None:
        if not isinstance(rscales, list):
            rscales = [rscales]
        rscales = tuple(
            _number(v, f"design.replicate_weights.rscales[{i}]") for i, v in enumerate(rscales)
        )
    mse = r.get("mse", False)
    if not isinstance(mse, bool):
        raise JobError("design.replicate_weights.mse must be true or false", param="design.mse")
    return ReplicateWeightsSpec(
        columns=columns,
        type=kind,
        scale=None if r.get("scale") is None else _number(r["scale"], "design.scale"),
        rscales=rscales,
        fay_rho=None if r.get("fay_rho") is None else _number(r["fay_rho"], "design.fay_rho"),
        mse=mse,
    )


def _parse_design(section: Any) -> DesignSpec:
    d = _check_keys(section, DESIGN_KEYS, "design")
    if "weights" in d and "prob" in d:
        raise JobError(
            "design needs exactly one of weights (the design-weight column) or prob "
            "(the selection-probability column)",
            param="design.weights",
        )
    if "weights" not in d and "prob" not in d and not d.get("fpc"):
        raise JobError(
            "design needs weights (the design-weight column), prob (selection "
            "probabilities) or fpc (weights N/n per stage, as R's svydesign)",
            param="design.weights",
        )
    weight_key = "weights" if "weights" in d else "prob"
    if weight_key in d and not isinstance(d[weight_key], str):
        raise JobError(
            f"design.{weight_key} must name a column",
            param=f"design.{weight_key}",
            got=d[weight_key],
        )
    strata = d.get("strata")
    if strata is not None and not isinstance(strata, str):
        raise JobError("design.strata must be a column name", param="design.strata", got=strata)
    nest = d.get("nest", False)
    if not isinstance(nest, bool):
        raise JobError("design.nest must be true or false", param="design.nest", got=nest)
    policy = _choice(
        d.get("lonely_psu", "fail"), tuple(p.value for p in LonelyPSU), "design.lonely_psu"
    )
    replicate = d.get("replicate_weights")
    return DesignSpec(
        weights=d.get("weights", ""),
        strata=strata,
        psu=_names(d.get("psu"), "design.psu"),
        fpc=_names(d.get("fpc"), "design.fpc"),
        nest=nest,
        lonely_psu=LonelyPSU(policy),
        prob=d.get("prob"),
        replicate_weights=None if replicate is None else _parse_replicate_weights(replicate),
    )


def _parse_nonresponse(section: Any, base: Path, wave: str | None) -> NonresponseSpec:
    n = _check_keys({} if section is None else section, NONRESPONSE_KEYS, "nonresponse")
    cases = n.get("cases")
    if cases is None and wave is None:
        raise JobError(
            "nonresponse.cases must name the cases file (one row per sampled case)",
            param="nonresponse.cases",
            hint="export it with kesu export NAME --format cases; only wave: jobs may leave "
            "it out (the wave's fieldwork is used)",
        )
    names: dict[str, str] = {}
    defaults = {"weights": "base_weight", "outcome": "weighting_outcome", "id": RESPONDENT_ID}
    for key, default in defaults.items():
        value = n.get(key, default)
        if not isinstance(value, str) or not value:
            raise JobError(
                f"nonresponse.{key} must be a column name", param=f"nonresponse.{key}", got=value
            )
        names[key] = value
    return NonresponseSpec(
        cases=None if cases is None else _source(cases, base, "nonresponse.cases"),
        weights=names["weights"],
        outcome=names["outcome"],
        classes=_names(n.get("classes"), "nonresponse.classes"),
        id=names["id"],
    )


def _parse_calibration(section: Any) -> CalibrationSpec:
    c = _check_keys(section, CALIBRATION_KEYS, "calibration")
    method = _choice(c.get("method"), CALIBRATION_METHODS, "calibration.method")
    margins = c.get("margins") or {}
    totals = c.get("totals") or {}
    if not isinstance(margins, Mapping) or not all(
        isinstance(v, Mapping) for v in margins.values()
    ):
        raise JobError(
            "calibration.margins must map each variable to {level: population total}",
            param="calibration.margins",
            got=margins,
        )
    if not isinstance(totals, Mapping):
        raise JobError(
            "calibration.totals must map variables to totals", param="calibration.totals"
        )
    for name, levels in margins.items():
        for level, total in levels.items():
            _number(total, f"calibration.margins.{name}.{level}")
    for name, value in totals.items():
        _number(value, f"calibration.totals.{name}")
    if method == "poststratify" and totals:
        raise JobError(
            "numeric totals need method raking, linear or logit, not poststratify",
            param="calibration.totals",
        )
    if not margins and not totals:
        raise JobError("calibration needs margins or totals", param="calibration.margins")
    bounds = c.get("bounds")
    if bounds is not None:
        if not (isinstance(bounds, list) and len(bounds) == 2):
            raise JobError("calibration.bounds must be [lower, upper]", param="calibration.bounds")
        bounds = (
            _number(bounds[0], "calibration.bounds[0]"),
            _number(bounds[1], "calibration.bounds[1]"),
        )
        if method == "poststratify" or (method == "raking" and not totals):
            raise JobError(
                f"bounds need method linear or logit (or raking with totals), not {method}",
                param="calibration.bounds",
            )
    if method == "logit" and bounds is None:
        raise JobError("logit calibration needs bounds", param="calibration.bounds")
    tol = _number(c.get("tolerance", 1e-10), "calibration.tolerance")
    max_iter = int(_number(c.get("max_iter", 100), "calibration.max_iter", integer=True))
    return CalibrationSpec(method, dict(margins), dict(totals), bounds, tol, max_iter)


def _parse_trim(section: Any) -> dict[str, Any]:
    t = _check_keys(section, TRIM_KEYS, "trim")
    out: dict[str, Any] = {}
    for key in ("upper", "lower", "upper_quantile", "lower_quantile"):
        if key in t:
            out[key] = _number(t[key], f"trim.{key}")
    if "strict" in t:
        if not isinstance(t["strict"], bool):
            raise JobError("trim.strict must be true or false", param="trim.strict")
        out["strict"] = t["strict"]
    if not isinstance(t.get("recalibrate", True), bool):
        raise JobError("trim.recalibrate must be true or false", param="trim.recalibrate")
    out["recalibrate"] = t.get("recalibrate", True)
    if not any(k in out for k in ("upper", "lower", "upper_quantile", "lower_quantile")):
        raise JobError("trim needs upper, lower or a quantile", param="trim")
    return out


def _parse_exclude(section: Any) -> tuple[Exclusion, ...]:
    e = _check_keys(section, tuple(str(k) for k in section) if isinstance(section, Mapping)
                    else (), "exclude")  # fmt: skip
    out = []
    for column, values in e.items():
        key = f"exclude.{column}"
        listed = values if isinstance(values, list) else [values]
        if not listed or any(isinstance(v, Mapping | list) for v in listed):
            raise JobError(
                f"{key} must be a value or a list of values whose rows are left out",
                param=key,
                got=values,
                hint='e.g. exclude: {rejected: [1], town: [outside, ""]} ("" = a missing cell)',
            )
        texts = tuple("" if v is None else label_text(v).strip() for v in listed)
        out.append(Exclusion(str(column), tuple("" if t in MISSING else t for t in texts)))
    return tuple(out)


def _parse_estimate(entry: Any, i: int, where: str | None = None) -> EstimateSpec | AnalysisSpec:
    where = where or f"estimates[{i}]"
    if isinstance(entry, Mapping) and any(k in entry for k in ANALYSES):
        return parse_analysis(entry, where)
    e = _check_keys(entry, ESTIMATE_KEYS, where)
    stats = [k for k in STATISTICS if k in e]
    if len(stats) != 1:
        raise JobError(
            f"{where} needs exactly one of {', '.join(STATISTICS)}", param=where, got=list(e)
        )
    stat = stats[0]
    key = f"{where}.{stat}"
    denominator = None
    if stat == "ratio":
        pair = e["ratio"]
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise JobError(f"{key} must be [numerator, denominator]", param=key, got=pair)
        variable, denominator = pair
    else:
        variable = e[stat]
        if not isinstance(variable, str):
            raise JobError(f"{key} must be a column name", param=key, got=variable)
    ci = e.get("ci")
    if ci is not None:
        ci = _choice(ci, tuple(m.value for m in CIMethod), f"{where}.ci")
    level = _number(e.get("level", 0.95), f"{where}.level")
    if not 0 < level < 1:
        raise JobError(f"{where}.level must be between 0 and 1", param=f"{where}.level", got=level)
    na_rm = e.get("na_rm", False)
    if not isinstance(na_rm, bool):
        raise JobError(f"{where}.na_rm must be true or false", param=f"{where}.na_rm")
    df = _choice(e.get("df", "domain"), DF_CHOICES, f"{where}.df")
    return EstimateSpec(
        stat, variable, denominator, _names(e.get("by"), f"{where}.by"), ci, level, na_rm, key, df
    )


def parse_estimates(
    entries: Any, where: str = "estimates"
) -> tuple[EstimateSpec | AnalysisSpec, ...]:
    """Check a list of ``estimates:`` entries (also a report's ``report.domains``).

    Raises:
        JobError: not a list, or an invalid entry.
    """
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise JobError(f"{where} must be a list", param=where)
    return tuple(_parse_estimate(e, i, f"{where}[{i}]") for i, e in enumerate(entries))


def parse_job(spec: Any, base_dir: Path | None = None) -> Job:
    """Check a job mapping (the parsed YAML) and turn it into a :class:`Job`.

    Raises:
        JobError: unknown keys, missing required keys, values of the wrong type.
    """
    top = _check_keys(spec, TOP_KEYS, "job")
    base = base_dir or Path(".")
    if ("data" in top) == ("wave" in top):
        raise JobError("a job needs exactly one of data (a table file) or wave", param="data")
    data = wave = None
    if "data" in top:
        data = _source(top["data"], base, "data")
    else:
        if not isinstance(top["wave"], str):
            raise JobError("wave must be a wave name", param="wave", got=top["wave"])
        wave = top["wave"]
    if "design" not in top:
        raise JobError("the job has no design section", param="design")
    design = _parse_design(top["design"])
    nonresponse = (
        _parse_nonresponse(top["nonresponse"], base, wave) if "nonresponse" in top else None
    )
    calibration = _parse_calibration(top["calibration"]) if top.get("calibration") else None
    trim = _parse_trim(top["trim"]) if top.get("trim") else None
    variance = _choice(top.get("variance", "taylor"), VARIANCE_METHODS, "variance")
    reps = dict(_check_keys(top.get("replicates") or {}, REPLICATE_KEYS, "replicates"))
    rel = _check_keys(top.get("reliability") or {}, RELIABILITY_KEYS, "reliability")
    reliability = Reliability(
        min_n=int(_number(rel.get("min_n", 30), "reliability.min_n", integer=True)),
        max_cv=_number(rel.get("max_cv", 0.30), "reliability.max_cv"),
    )
    estimates = parse_estimates(top.get("estimates") or [])
    output = top.get("output")
    if output is not None and not isinstance(output, str):
        raise JobError("output must be a file name", param="output", got=output)
    report = top.get("report")
    if report is not None and not isinstance(report, Mapping):
        raise JobError("report must be a mapping (a report job's section)", param="report")
    return Job(
        data=data,
        wave=wave,
        design=design,
        calibration=calibration,
        trim=trim,
        variance=variance,
        replicates=reps,
        reliability=reliability,
        estimates=estimates,
        output=None if output is None else base / output,
        nonresponse=nonresponse,
        exclude=_parse_exclude(top["exclude"]) if top.get("exclude") else (),
        report=report,
    )


def read_job_file(path: str | Path) -> tuple[Any, str]:
    """The parsed YAML of a job file and its text (by :mod:`kesu.yamlsource`).

    Raises:
        JobError: unreadable file, invalid YAML, a key written twice (``FILE:LINE``).
    """
    from kesu.yamlsource import ConfigError
    from kesu.yamlsource import load_yaml_text
    from kesu.yamlsource import read_config_text

    try:
        text = read_config_text(path, "job file")
        return load_yaml_text(text, str(path)), text
    except ConfigError as exc:
        raise JobError(
            exc.message, param="job", file=exc.file, line=exc.line, hint=exc.hint
        ) from None


def locate(exc: KesuError, document: Any, path: str | Path) -> KesuError:
    """``exc`` naming the job file and the line of its ``param`` key in ``document``."""
    return exc.located(str(path), line_of(document, exc.param))


def load_job(path: str | Path) -> Job:
    """Read and parse a YAML job file (paths inside are relative to it).

    Raises:
        JobError: unreadable file, invalid YAML, or an invalid job; the message starts
            with ``FILE:LINE`` of the key concerned.
    """
    p = Path(path)
    spec, _ = read_job_file(p)
    try:
        return parse_job(spec, p.parent)
    except JobError as exc:
        raise locate(exc, spec, p) from None


def load_table(job: Job, wave_loader: Callable[[str], Mapping[str, Any]] | None = None) -> Table:
    """The job's data: its table file, or the wave's analysis table via ``wave_loader``.

    Raises:
        TableError: the file cannot be read (naming file, row, column).
        JobError: a wave without a loader.
    """
    if job.data is not None:
        return job.data.read("data file", "data")
    if wave_loader is None or job.wave is None:
        raise JobError("this job reads a wave: a wave loader is needed", param="wave")
    return table_from_columns(wave_loader(job.wave), f"wave {job.wave!r}")


def load_cases(
    job: Job, cases_loader: Callable[[str], Mapping[str, Any]] | None = None
) -> Table | None:
    """The cases table of the job's ``nonresponse:`` step (None without the step).

    Its ``cases:`` file, or for a ``wave:`` job without ``cases:`` the
    wave's fieldwork table from ``cases_loader`` (the CLI passes
    ``survey.analysis.load_fieldwork``, imported only when needed).

    Raises:
        TableError: the cases file cannot be read.
        JobError: a wave without a loader.
    """
    spec = job.nonresponse
    if spec is None:
        return None
    if spec.cases is not None:
        return spec.cases.read("cases file", "nonresponse.cases")
    if cases_loader is None or job.wave is None:
        raise JobError(
            "the nonresponse step reads the wave's fieldwork: a cases loader is needed",
            param="nonresponse.cases",
            hint="or export the cases (kesu export NAME --format cases) and name the file",
        )
    return table_from_columns(cases_loader(job.wave), f"the fieldwork of wave {job.wave!r}")


def write_weighted(target: Path, sample: WeightedSample) -> None:
    """Write the sample's table plus its weight columns (replacing same-named columns), as
    CSV with a BOM; the rows are the weighted rows (``exclude:`` rows are not written)."""
    extra = sample.output_columns()
    table = sample.table
    order = list(table.order) + [k for k in extra if k not in table.order]
    columns: dict[str, Any] = {}
    for name in order:
        if name in extra:
            columns[name] = extra[name]
        else:
            raw = table.columns[name]
            columns[name] = raw if raw.dtype.kind in "US" else table.labels(name)
    write_columns(target, columns, order)


# -- running ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class WeightedSample:
    """The data with its final design (and replicate design) after the weighting steps."""

    table: Table
    design: SurveyDesign
    replicate: ReplicateDesign | None
    #: every step in order (nonresponse, calibration, trim); a nonresponse step's
    #: weights and diagnostics are those of the cases table, not of the data rows
    steps: tuple[WeightingResult, ...]
    #: the job's ``exclude:`` rules with the number of rows each left out
    excluded: tuple[Exclusion, ...] = ()

    @property
    def analysis_design(self) -> SurveyDesign | ReplicateDesign:
        """The design estimates use (replicate if the job asks for it)."""
        return self.replicate if self.replicate is not None else self.design

    def output_columns(self) -> dict[str, NDArray[np.float64]]:
        """Columns ``kesu weight`` adds: ``weight`` and ``repw_1..repw_R``."""
        out = {"weight": np.asarray(self.design.weights)}
        if self.replicate is not None:
            reps = self.replicate.replicate_weights()
            for r in range(reps.shape[1]):
                out[f"repw_{r + 1}"] = reps[:, r]
        return out


def apply_exclusions(job: Job, table: Table) -> tuple[Table, tuple[Exclusion, ...]]:
    """The rows of ``table`` that no ``exclude:`` rule names, and each rule's count.

    A row named by several rules counts for the first.

    Raises:
        TableError: a rule names a column the table does not have.
    """
    if not job.exclude:
        return table, ()
    keep = np.ones(table.n_rows, dtype=bool)
    counted = []
    for rule in job.exclude:
        hit = np.isin(table.labels(rule.column, key=f"exclude.{rule.column}"), rule.values)
        hit &= keep
        counted.append(dataclasses.replace(rule, rows=int(hit.sum())))
        keep &= ~hit
    for rule in counted:
        logger.info("%s: excluded %s", table.source, rule.describe())
    if keep.all():
        return table, tuple(counted)
    if not keep.any():
        raise JobError(
            f"the exclude: rules leave no row of {table.source}",
            param="exclude",
            got=[r.describe() for r in counted],
        )
    return table.take(keep), tuple(counted)


_STAGE = re.compile(r"at stage (\d+)")


def build_design(
    job: Job, table: Table, weights: NDArray[np.float64] | None = None
) -> SurveyDesign:
    """The :class:`SurveyDesign` of the job's ``design:`` section.

    ``weights`` replaces the design weights (e.g. after nonresponse).

    Raises:
        TableError: a missing design column, or a missing, blank or non-numeric cell in
            one (row and column named), as R's ``svydesign`` refuses missing values.
        JobError: an impossible design (negative weights, fpc: more sampled than
            population units, 1 in every row...), naming the row and column.
    """
    spec = job.design
    labels: dict[str, NDArray[Any]] = {}
    for key, names in (("design.strata", (spec.strata,) if spec.strata else ()),
                       ("design.psu", spec.psu)):  # fmt: skip
        for name in names:
            values = table.labels(name, key=key)
            blank = np.flatnonzero(values == "")
            if blank.size:
                raise TableError(
                    f"missing value ({blank.size} missing cell{'s' if blank.size > 1 else ''} "
                    f"in this column; needed by {key})",
                    file=table.source,
                    row=table.row_number(int(blank[0])),
                    column=name,
                    param=key,
                    reason="missing",
                    hint="a blank or NA cell is not one more stratum or PSU; R refuses it too "
                    "(missing values in "
                    + ("`strata'" if key == "design.strata" else "`id'")
                    + "). Fill it in, or leave the row out with exclude:",
                )
            labels[name] = values
    fpc = [table.numeric(c, key="design.fpc") for c in spec.fpc] or None
    if weights is None:
        weights = starting_weights(spec, table)
    try:
        return SurveyDesign(
            weights=weights,
            strata=None if spec.strata is None else labels[spec.strata],
            psu=[labels[c] for c in spec.psu] or None,
            fpc=fpc,
            nest=spec.nest,
            lonely_psu=spec.lonely_psu,
        )
    except DesignError as exc:
        column = {"weights": spec.weights or spec.prob, "strata": spec.strata}.get(exc.param or "")
        if exc.param in ("fpc", "psu"):
            names = spec.fpc if exc.param == "fpc" else spec.psu
            stage = _STAGE.search(exc.message)
            k = int(stage.group(1)) - 1 if stage else 0
            column = names[k] if k < len(names) else None
        raise JobError(
            exc.message,
            param=f"design.{exc.param}" if exc.param else "design",
            got=exc.got,
            expected=exc.expected,
            hint=exc.hint,
            file=table.source,
            row=None if exc.row is None else table.row_number(exc.row - 1),
            column=column,
        ) from None


def starting_weights(spec: DesignSpec, table: Table) -> NDArray[np.float64]:
    """The design weights: the ``weights`` column, ``1 / prob``, or ``N/n`` per stage from
    the fpc when neither is given (R's ``svydesign``)."""
    if spec.weights:
        return table.numeric(spec.weights, key="design.weights")
    if spec.prob is not None:
        return weights_from_prob(table.numeric(spec.prob, key="design.prob"), spec.prob)
    strata = None if spec.strata is None else table.labels(spec.strata, key="design.strata")
    psu = [table.labels(c, key="design.psu") for c in spec.psu] or None
    fpc = [table.numeric(c, key="design.fpc") for c in spec.fpc]
    return fpc_weights(strata, psu, fpc, nest=spec.nest)


def weights_from_prob(prob: NDArray[np.float64], column: str) -> NDArray[np.float64]:
    """Weights ``1 / prob`` (R's ``svydesign(probs=)``); a probability outside (0, 1] is an error.

    Example:
        >>> weights_from_prob(np.array([0.5, 0.25]), "p").tolist()
        [2.0, 4.0]
    """
    bad = np.flatnonzero(~((prob > 0) & (prob <= 1)))
    if bad.size:
        r = int(bad[0])
        raise JobError(
            f"column {column!r} row {r + 1}: selection probability {prob[r]!r} is not in (0, 1] "
            "(design.prob)",
            param="design.prob",
            got=float(prob[r]),
            hint="prob is the probability of selection; give weights: instead if these are weights",
        )
    return 1.0 / prob


def _id_text(value: Any) -> str:
    """An id as text: stripped, integral floats (``12.0``) as integers; "" when missing
    (also ``-1``, the fieldwork table's "no response")."""
    text = label_text(value).strip()
    if text in MISSING or re.fullmatch(r"-1(\.0+)?", text):
        return ""
    if re.fullmatch(r"-?\d+\.0+", text):
        return text.split(".")[0]
    return text


def _row_ids(table: Table, name: str, key: str) -> list[str]:
    return [_id_text(v) for v in table.column(name, key=key).tolist()]


def _nonresponse_factors(
    spec: NonresponseSpec, table: Table, cases: Table
) -> tuple[NDArray[np.float64], NDArray[np.intp], WeightingResult]:
    """Run the nonresponse adjustment on ``cases`` and match the data rows to their cases.

    Returns:
        ``(factor, case_row, result)``: each data row's adjustment factor (adjusted /
        base weight of its ER case), the index of that case in ``cases``, and the
        step's result (weights and diagnostics of the cases).

    Raises:
        JobError: a missing column or cell, an unknown disposition, a negative
            weight, an id problem (see the module docstring), or a class without
            respondents.
    """
    where = cases.source
    n_cases = cases.n_rows
    if n_cases == 0:
        raise JobError(f"{where} has no cases", param="nonresponse.cases")
    base = cases.numeric(spec.weights, key="nonresponse.weights", allow_missing=True)
    outcome = cases.labels(spec.outcome, key="nonresponse.outcome")
    classes = {c: cases.labels(c, key="nonresponse.classes") for c in spec.classes}
    case_ids = _row_ids(cases, spec.id, "nonresponse.id")
    data_ids = _row_ids(table, RESPONDENT_ID, "nonresponse.id")

    category: dict[str, int] = {}
    for i, value in enumerate(outcome.tolist()):
        if value not in category:
            try:
                category[value] = disposition_category(value)
            except WeightingError:
                raise JobError(
                    f"{where} row {cases.row_number(i)}: unknown disposition {value!r} in column "
                    f"{spec.outcome!r} (nonresponse.outcome)",
                    param="nonresponse.outcome",
                    got=value,
                    expected="AAPOR codes 1.x-4.x, ER/ENR/UNK/IN, or 0/1",
                ) from None
    cat = np.array([category[v] for v in outcome.tolist()], dtype=np.intp)
    bad = np.flatnonzero(~np.isfinite(base) | (base < 0))
    if bad.size:
        i = int(bad[0])
        missing = not np.isfinite(base[i])
        raise JobError(
            f"{where} row {cases.row_number(i)} ({outcome[i]}): the weight in column "
            f"{spec.weights!r} is "
            f"{'missing' if missing else 'negative'} (nonresponse.weights)",
            param="nonresponse.weights",
            got=None if missing else float(base[i]),
            hint="every sampled case needs a base weight; when nonrespondents have no "
            "within-household probability use weights: household_weight"
            if missing
            else None,
        )
    for name, labels in classes.items():
        empty = np.flatnonzero(np.isin(np.char.strip(labels.astype(str)), list(MISSING)))
        if empty.size:
            raise JobError(
                f"{where} row {cases.row_number(int(empty[0]))}: column {name!r} "
                "(nonresponse.classes) is empty",
                param="nonresponse.classes",
                hint="fill it in, or weight with other class columns",
            )

    er_rows: dict[str, int] = {}
    other_rows: dict[str, int] = {}
    for i, (c, cid) in enumerate(zip(cat.tolist(), case_ids, strict=True)):
        if c != ER:
            if cid:
                other_rows.setdefault(cid, i)
            continue
        if not cid:
            raise JobError(
                f"{where} row {cases.row_number(i)} is a respondent ({outcome[i]}) without an "
                "id in "
                f"column {spec.id!r} (nonresponse.id)",
                param="nonresponse.id",
            )
        if cid in er_rows:
            raise JobError(
                f"{where} rows {cases.row_number(er_rows[cid])} and {cases.row_number(i)} are "
                "respondents with the same "
                f"id {cid!r} in column {spec.id!r} (nonresponse.id)",
                param="nonresponse.id",
                got=cid,
            )
        er_rows[cid] = i

    case_row = np.empty(len(data_ids), dtype=np.intp)
    seen: dict[str, int] = {}
    for r, rid in enumerate(data_ids):
        if not rid:
            raise JobError(
                f"{table.source} row {table.row_number(r)} has no {RESPONDENT_ID} "
                "(needed by nonresponse.id)",
                param="nonresponse.id",
            )
        if rid in seen:
            raise JobError(
                f"{table.source} rows {table.row_number(seen[rid])} and {table.row_number(r)} "
                f"have the same {RESPONDENT_ID} "
                f"{rid!r}",
                param="nonresponse.id",
                got=rid,
            )
        seen[rid] = r
        if rid not in er_rows:
            other = other_rows.get(rid)
            found = (
                f"; row {cases.row_number(other)} of {where} has it with outcome "
                f"{str(outcome[other])!r}"
                if other is not None
                else ""
            )
            raise JobError(
                f"{table.source} row {table.row_number(r)} ({RESPONDENT_ID} {rid!r}) has no "
                "respondent (ER) case "
                f"in {where}{found}",
                param="nonresponse.id",
                got=rid,
                hint="the data must be the respondents of the cases table (a rejected "
                "interview is a nonrespondent: leave it out of the data)",
            )
        case_row[r] = er_rows[rid]
    for cid, i in er_rows.items():
        if cid not in seen:
            raise JobError(
                f"{where} row {cases.row_number(i)} is a respondent ({outcome[i]}) with "
                f"{spec.id} {cid!r}, "
                "which is not in the data",
                param="nonresponse.id",
                got=cid,
                hint="every respondent case needs its data row; check that the data and the "
                "cases come from the same wave",
            )

    variables: dict[str, Any] = {spec.outcome: outcome, **classes}
    try:
        result = get_weighting_method("nonresponse")(
            base, variables, outcome=spec.outcome, classes=spec.classes
        )
    except SamplingError as exc:
        raise JobError(
            f"nonresponse adjustment: {exc.message}",
            param="nonresponse.classes" if exc.param == "classes" else "nonresponse",
            got=exc.got,
            hint=exc.hint,
        ) from exc
    notes = {**result.diagnostics.notes, "cases": n_cases, "case_weights": spec.weights}
    result = dataclasses.replace(
        result, diagnostics=dataclasses.replace(result.diagnostics, notes=notes)
    )
    factor_of_case = np.zeros(n_cases)
    np.divide(result.weights, base, out=factor_of_case, where=base > 0)
    return factor_of_case[case_row], case_row, result


def _nonresponse_step(
    spec: NonresponseSpec, job: Job, table: Table, cases: Table | None
) -> tuple[NDArray[np.float64], WeightingResult]:
    """The data rows' starting weights after the nonresponse step, and the step's result."""
    if cases is None:
        raise JobError(
            "the job has a nonresponse section but no cases table was given",
            param="nonresponse.cases",
            hint="load it with load_cases(job, ...)",
        )
    weights = starting_weights(job.design, table)
    factor, case_row, result = _nonresponse_factors(spec, table, cases)
    if spec.weights == job.design.weights:
        case_w = cases.numeric(spec.weights, key="nonresponse.weights")[case_row]
        off = np.flatnonzero(~np.isclose(weights, case_w, rtol=1e-6, atol=0.0))
        if off.size:
            r = int(off[0])
            raise JobError(
                f"{table.source} row {table.row_number(r)}: design weight {weights[r]:.6g} "
                "differs from "
                f"{case_w[r]:.6g} in column {spec.weights!r} of its case (row "
                f"{cases.row_number(int(case_row[r]))} of {cases.source})",
                param="nonresponse.weights",
                hint="the data and the cases must come from the same sample",
            )
    return weights * factor, result


def _calibration_call(spec: CalibrationSpec) -> tuple[str, dict[str, Any]]:
    """The weighting-registry method and options of ``calibration:``.

    ``raking`` with categorical margins only is :func:`~sampling.weighting.rake`; with
    numeric totals it is calibration with the raking (exponential) distance, R's
    ``calibrate(calfun = "raking")``; ``linear`` and ``logit`` are
    :func:`~sampling.weighting.calibrate` with that distance.
    """
    if spec.method == "poststratify":
        return "poststratify", {"margins": spec.margins}
    iterate = {"max_iter": spec.max_iter, "tol": spec.tolerance}
    if spec.method == "raking" and not spec.totals:
        return "rake", {"margins": spec.margins, **iterate}
    options = {
        "margins": spec.margins or None,
        "totals": spec.totals or None,
        "method": spec.method,
        "bounds": spec.bounds,
    }
    return "calibrate", {**options, **iterate}


def _calibration_step(
    spec: CalibrationSpec, table: Table, weights: NDArray[np.float64]
) -> WeightingResult:
    """Run ``calibration:`` through the weighting registry."""
    variables: dict[str, Any] = {
        name: table.labels(name, key=f"calibration.margins.{name}") for name in spec.margins
    }
    for name in spec.totals:
        variables[name] = table.numeric(name, key=f"calibration.totals.{name}")
    method, options = _calibration_call(spec)
    return get_weighting_method(method)(weights, variables, **options)


def run_weighting(
    job: Job,
    table: Table,
    cases: Table | None = None,
    *,
    excluded: tuple[Exclusion, ...] | None = None,
) -> WeightedSample:
    """Leave out the ``exclude:`` rows, build the design, adjust for nonresponse, make
    replicate weights if asked, calibrate, trim.

    Args:
        job: the parsed job.
        table: the data (respondents).
        cases: the cases table of the ``nonresponse:`` step (:func:`load_cases`).
        excluded: the counts of :func:`apply_exclusions` when the caller has applied it
            to ``table`` already (a report checks the codes of the rows it keeps).

    Replicate weights are made from the (nonresponse-adjusted) design weights and
    re-weighted by each later step, as R does for calibrated replicate designs.

    Raises:
        JobError, TableError: invalid columns or cells (naming key, column and row).
    """
    if excluded is None:
        table, excluded = apply_exclusions(job, table)
    steps: list[WeightingResult] = []
    start = None
    if job.nonresponse is not None:
        start, nr = _nonresponse_step(job.nonresponse, job, table, cases)
        steps.append(nr)
    design = build_design(job, table, start)
    replicate = None
    if job.design.replicate_weights is not None:
        replicate = _replicate_from_columns(job, table, design)
    elif job.variance != "taylor":
        opts = job.replicates
        seed = opts.get("seed")
        replicate = replicate_design(
            design,
            job.variance,
            replicates=int(opts.get("replicates", 50)),
            rng=np.random.default_rng(seed) if job.variance == "bootstrap" else None,
            fay_rho=float(opts.get("fay_rho", 0.5)),
            mse=bool(opts.get("mse", False)),
        )
    calibration = None
    if job.calibration is not None:
        res = calibration = _calibration_step(job.calibration, table, design.weights)
        steps.append(res)
        design = design.apply_weighting(res)
        if replicate is not None:
            replicate = replicate.apply_weighting(res)
    if job.trim is not None:
        # trimming moves calibrated margins: re-calibrate until both the caps and margins hold
        options = dict(job.trim)
        again = options.pop("recalibrate", True) and calibration is not None
        recalibrate = calibration.step if again and calibration is not None else None
        res = get_weighting_method("trim")(design.weights, None, **options, recalibrate=recalibrate)
        steps.append(res)
        design = design.apply_weighting(res)
        if replicate is not None:
            replicate = replicate.apply_weighting(res)
    return WeightedSample(table, design, replicate, tuple(steps), excluded)


def _replicate_from_columns(job: Job, table: Table, design: SurveyDesign) -> ReplicateDesign:
    """The replicate design of ``design.replicate_weights`` (R's ``svrepdesign``)."""
    spec = job.design.replicate_weights
    if spec is None:
        raise JobError("no replicate_weights section", param="design.replicate_weights")
    if job.variance != "taylor":
        raise JobError(
            f"variance: {job.variance} makes replicate weights, but the data already has them",
            param="variance",
            hint="leave variance out when design.replicate_weights is given",
        )
    if job.nonresponse is not None:
        raise JobError(
            "replicate weights given in the data cannot be adjusted for nonresponse by the job",
            param="design.replicate_weights",
            hint="adjust the replicate weights before, or let the job make them (variance: jkn)",
        )
    key = "design.replicate_weights.columns"
    reps = np.column_stack([table.numeric(c, key=key) for c in spec.columns])
    try:
        return replicate_design_from_weights(
            design.weights,
            reps,
            spec.type,
            scale=spec.scale,
            rscales=spec.rscales,
            fay_rho=spec.fay_rho,
            mse=spec.mse,
        )
    except SamplingError as exc:
        raise JobError(
            f"design.replicate_weights: {exc.message}", param=exc.param, got=exc.got, hint=exc.hint
        ) from exc


def _is_binary(y: NDArray[np.float64], weights: NDArray[np.float64]) -> bool:
    used = y[(weights > 0) & np.isfinite(y)]
    return bool(used.size) and bool(np.all((used == 0) | (used == 1)))


def run_estimate_spec(
    spec: EstimateSpec, sample: WeightedSample, reliability: Reliability
) -> Estimate:
    """One mean, proportion, total or ratio entry on the weighted sample.

    ``mean`` of a 0/1 column is reported as a ``proportion`` (logit intervals by
    default); ``ci`` overrides the interval method.

    Raises:
        JobError, TableError: a missing or non-numeric column, or an interval method
            that needs a proportion on a variable that is not 0/1.
    """
    design = sample.analysis_design
    table = sample.table
    y = table.numeric(spec.variable, key=spec.key, allow_missing=True)
    by = {name: table.labels(name, key=f"{spec.key}.by") for name in spec.by} or None
    common: _EstimatorOptions = {
        "by": by,
        "na_rm": spec.na_rm,
        "level": spec.level,
        "reliability": reliability,
        "df": spec.df,
    }
    if spec.statistic == "total":
        est = svy_total(y, design, name=spec.variable, **common)
    elif spec.statistic == "ratio":
        denominator = spec.denominator or ""
        x = table.numeric(denominator, key=spec.key, allow_missing=True)
        est = svy_ratio(y, x, design, name=f"{spec.variable}/{denominator}", **common)
    elif spec.statistic == "proportion" or (
        spec.statistic == "mean" and _is_binary(y, design.weights)
    ):
        est = svy_proportion(y, design, name=spec.variable, ci=spec.ci or CIMethod.LOGIT, **common)
    else:
        est = svy_mean(y, design, name=spec.variable, ci=spec.ci or CIMethod.WALD, **common)
    if spec.ci is not None and spec.ci != "wald" and est.statistic != "proportion":
        raise JobError(
            f"{spec.key}: ci {spec.ci} is for proportions; {spec.variable!r} is not 0/1",
            param=spec.key.rsplit(".", 1)[0] + ".ci",
            got=spec.ci,
            hint="use ci: wald for means, totals and ratios",
        )
    return est


def run_estimates(job: Job, sample: WeightedSample) -> list[Estimate]:
    """Compute every mean, proportion, total and ratio entry of ``estimates:``
    (:func:`run_estimate_spec`; models, quantiles, tables and tests: :func:`estimate_rows`).

    Example:
        >>> from kesu.tables import table_from_columns
        >>> job = parse_job({"data": "x.csv", "design": {"weights": "w"},
        ...                  "estimates": [{"mean": "y"}]})
        >>> table = table_from_columns({"w": [1.0, 2.0], "y": [1.0, 3.0]}, "demo")
        >>> est = run_estimates(job, run_weighting(job, table))
        >>> round(float(est[0].estimate[0]), 6)
        2.333333
    """
    return [
        run_estimate_spec(spec, sample, job.reliability)
        for spec in job.estimates
        if isinstance(spec, EstimateSpec)
    ]


def estimate_rows(
    job: Job,
    sample: WeightedSample,
    specs: tuple[EstimateSpec | AnalysisSpec, ...] | None = None,
) -> list[dict[str, Any]]:
    """Every row ``kesu estimate --json`` prints, in the order of ``estimates:`` (or of
    ``specs``, e.g. a report job's estimates).

    Means, totals, ratios and proportions give :meth:`Estimate.to_rows`; models,
    quantiles, tables and tests give the rows of
    :func:`sampling.analysis_job.run_analysis`.
    """
    rows: list[dict[str, Any]] = []
    for spec in job.estimates if specs is None else specs:
        if isinstance(spec, AnalysisSpec):
            rows += run_analysis(spec, sample.table, sample.analysis_design, job.reliability)
        else:
            rows += run_estimate_spec(spec, sample, job.reliability).to_rows()
    return rows
