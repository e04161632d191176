"""Weighting and estimation jobs: a YAML file a statistician can review and re-run.

The format (paths relative to the job file)::

    data: sample.csv            # or  wave: NAME  (the analysis table of a survey wave)
    design:
      weights: w                # design-weight column
      strata: stratum           # optional
      psu: psu                  # optional; a list of columns for several stages
      fpc: fpc                  # optional; a list for several stages
      nest: true
      lonely_psu: fail          # fail | certainty | adjust | average
    calibration:                # optional
      method: raking            # poststratify | raking | linear | logit
      margins: {sex: {1: 861303, 2: 1141686}}
      totals: {api99: 3914069}  # numeric totals, for linear and logit
      bounds: [0.7, 1.7]        # limits on final/initial weight
      tolerance: 1.0e-10
      max_iter: 100
    trim: {upper: 5000}         # or {upper_quantile: 0.95}; also lower, lower_quantile, strict
    variance: taylor            # taylor | jk1 | jkn | brr | fay | bootstrap
    replicates: {replicates: 100, seed: 1, fay_rho: 0.5, mse: false}   # optional
    reliability: {min_n: 30, max_cv: 0.3}                              # optional
    estimates:
      - mean: literate          # a 0/1 column gives a proportion
        by: group               # optional; a list crosses variables
        ci: logit               # logit | beta | wilson | wald
        level: 0.95
      - total: enroll
      - ratio: [api.stu, enroll]
    output: weighted.csv        # where ``kesu weight`` writes data + weights

Parsing (:func:`parse_job`) and running (:func:`run_weighting`,
:func:`run_estimates`) are pure; :func:`load_job` and :func:`load_table` are
the loaders. Unknown keys, missing columns and non-numeric cells are
:class:`~sampling.errors.JobError` naming the key, the column and the row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import TypedDict

import numpy as np
import yaml
from numpy.typing import NDArray

from sampling.design import LonelyPSU
from sampling.design import SurveyDesign
from sampling.errors import JobError
from sampling.estimation import svy_mean
from sampling.estimation import svy_proportion
from sampling.estimation import svy_ratio
from sampling.estimation import svy_total
from sampling.intervals import CIMethod
from sampling.replicates import ReplicateDesign
from sampling.replicates import replicate_design
from sampling.results import Estimate
from sampling.results import Reliability
from sampling.tabular import Table
from sampling.tabular import read_csv_table
from sampling.tabular import table_from_columns
from sampling.weighting import calibrate
from sampling.weighting import poststratify
from sampling.weighting import rake
from sampling.weighting import trim_weights
from sampling.weighting.base import WeightingResult

logger = logging.getLogger(__name__)

TOP_KEYS = (
    "data",
    "wave",
    "design",
    "calibration",
    "trim",
    "variance",
    "replicates",
    "reliability",
    "estimates",
    "output",
)
DESIGN_KEYS = ("weights", "strata", "psu", "fpc", "nest", "lonely_psu")
CALIBRATION_KEYS = ("method", "margins", "totals", "bounds", "tolerance", "max_iter")
CALIBRATION_METHODS = ("poststratify", "raking", "linear", "logit")
TRIM_KEYS = ("upper", "lower", "upper_quantile", "lower_quantile", "strict")
VARIANCE_METHODS = ("taylor", "jk1", "jkn", "brr", "fay", "bootstrap")
REPLICATE_KEYS = ("replicates", "seed", "fay_rho", "mse")
RELIABILITY_KEYS = ("min_n", "max_cv")
STATISTICS = ("mean", "proportion", "total", "ratio")
ESTIMATE_KEYS = (*STATISTICS, "by", "ci", "level", "na_rm")


@dataclass(frozen=True, slots=True)
class DesignSpec:
    """The ``design:`` section."""

    weights: str
    strata: str | None
    psu: tuple[str, ...]
    fpc: tuple[str, ...]
    nest: bool
    lonely_psu: LonelyPSU


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


@dataclass(frozen=True, slots=True)
class Job:
    """A parsed job file."""

    data: Path | None
    wave: str | None
    design: DesignSpec
    calibration: CalibrationSpec | None
    trim: dict[str, Any] | None
    variance: str
    replicates: dict[str, Any]
    reliability: Reliability
    estimates: tuple[EstimateSpec, ...]
    output: Path | None


# -- parsing -------------------------------------------------------------------------------


def _check_keys(section: Any, allowed: tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(section, Mapping):
        raise JobError(f"{where} must be a mapping", param=where, got=type(section).__name__)
    for key in section:
        if key not in allowed:
            raise JobError(
                f"unknown key {where + '.' if where != 'job' else ''}{key}",
                param=f"{where}.{key}" if where != "job" else str(key),
                got=key,
                expected=", ".join(allowed),
            )
    return section


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
        raise JobError(f"{key} must be a number", param=key, got=value)
    if integer and int(value) != value:
        raise JobError(f"{key} must be a whole number", param=key, got=value)
    return float(value)


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise JobError(f"invalid {key}", param=key, got=value, expected=" | ".join(choices))
    return str(value)


def _parse_design(section: Any) -> DesignSpec:
    d = _check_keys(section, DESIGN_KEYS, "design")
    if "weights" not in d or not isinstance(d["weights"], str):
        raise JobError("design.weights must name the design-weight column", param="design.weights")
    strata = d.get("strata")
    if strata is not None and not isinstance(strata, str):
        raise JobError("design.strata must be a column name", param="design.strata", got=strata)
    nest = d.get("nest", False)
    if not isinstance(nest, bool):
        raise JobError("design.nest must be true or false", param="design.nest", got=nest)
    policy = _choice(
        d.get("lonely_psu", "fail"), tuple(p.value for p in LonelyPSU), "design.lonely_psu"
    )
    return DesignSpec(
        weights=d["weights"],
        strata=strata,
        psu=_names(d.get("psu"), "design.psu"),
        fpc=_names(d.get("fpc"), "design.fpc"),
        nest=nest,
        lonely_psu=LonelyPSU(policy),
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
    for name, value in totals.items():
        _number(value, f"calibration.totals.{name}")
    if method in ("poststratify", "raking") and totals:
        raise JobError(
            f"numeric totals need method linear or logit, not {method}",
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
        if method in ("poststratify", "raking"):
            raise JobError(
                f"bounds need method linear or logit, not {method}", param="calibration.bounds"
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
    if not any(k in out for k in ("upper", "lower", "upper_quantile", "lower_quantile")):
        raise JobError("trim needs upper, lower or a quantile", param="trim")
    return out


def _parse_estimate(entry: Any, i: int) -> EstimateSpec:
    where = f"estimates[{i}]"
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
    return EstimateSpec(
        stat, variable, denominator, _names(e.get("by"), f"{where}.by"), ci, level, na_rm, key
    )


def parse_job(spec: Any, base_dir: Path | None = None) -> Job:
    """Check a job mapping (the parsed YAML) and turn it into a :class:`Job`.

    Raises:
        JobError: unknown keys, missing required keys, values of the wrong type.
    """
    top = _check_keys(spec, TOP_KEYS, "job")
    base = base_dir or Path(".")
    if ("data" in top) == ("wave" in top):
        raise JobError("a job needs exactly one of data (a CSV file) or wave", param="data")
    data = wave = None
    if "data" in top:
        if not isinstance(top["data"], str):
            raise JobError("data must be a file name", param="data", got=top["data"])
        data = base / top["data"]
    else:
        if not isinstance(top["wave"], str):
            raise JobError("wave must be a wave name", param="wave", got=top["wave"])
        wave = top["wave"]
    if "design" not in top:
        raise JobError("the job has no design section", param="design")
    design = _parse_design(top["design"])
    calibration = _parse_calibration(top["calibration"]) if top.get("calibration") else None
    trim = _parse_trim(top["trim"]) if top.get("trim") else None
    variance = _choice(top.get("variance", "taylor"), VARIANCE_METHODS, "variance")
    reps = dict(_check_keys(top.get("replicates") or {}, REPLICATE_KEYS, "replicates"))
    rel = _check_keys(top.get("reliability") or {}, RELIABILITY_KEYS, "reliability")
    reliability = Reliability(
        min_n=int(_number(rel.get("min_n", 30), "reliability.min_n", integer=True)),
        max_cv=_number(rel.get("max_cv", 0.30), "reliability.max_cv"),
    )
    entries = top.get("estimates") or []
    if not isinstance(entries, list):
        raise JobError("estimates must be a list", param="estimates")
    estimates = tuple(_parse_estimate(e, i) for i, e in enumerate(entries))
    output = top.get("output")
    if output is not None and not isinstance(output, str):
        raise JobError("output must be a file name", param="output", got=output)
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
    )


def load_job(path: str | Path) -> Job:
    """Read and parse a YAML job file (paths inside are relative to it).

    Raises:
        JobError: unreadable file, invalid YAML, or an invalid job.
    """
    p = Path(path)
    try:
        spec = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise JobError(f"cannot read the job file {str(p)!r}: {exc.strerror}", param="job") from exc
    except yaml.YAMLError as exc:
        raise JobError(f"{p.name} is not valid YAML: {exc}", param="job") from exc
    return parse_job(spec, p.parent)


def load_table(job: Job, wave_loader: Callable[[str], Mapping[str, Any]] | None = None) -> Table:
    """The job's data: its CSV file, or the wave's analysis table via ``wave_loader``.

    Raises:
        JobError: the file cannot be read, or a wave without a loader.
    """
    if job.data is not None:
        return read_csv_table(job.data)
    if wave_loader is None or job.wave is None:
        raise JobError("this job reads a wave: a wave loader is needed", param="wave")
    return table_from_columns(wave_loader(job.wave), f"wave {job.wave!r}")


# -- running ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class WeightedSample:
    """The data with its final design (and replicate design) after the weighting steps."""

    table: Table
    design: SurveyDesign
    replicate: ReplicateDesign | None
    steps: tuple[WeightingResult, ...]

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


def build_design(job: Job, table: Table) -> SurveyDesign:
    """The :class:`SurveyDesign` of the job's ``design:`` section."""
    spec = job.design
    weights = table.numeric(spec.weights, key="design.weights")
    strata = None if spec.strata is None else table.labels(spec.strata, key="design.strata")
    psu = [table.labels(c, key="design.psu") for c in spec.psu] or None
    fpc = [table.numeric(c, key="design.fpc") for c in spec.fpc] or None
    return SurveyDesign(
        weights=weights, strata=strata, psu=psu, fpc=fpc, nest=spec.nest, lonely_psu=spec.lonely_psu
    )


def _calibration_step(spec: CalibrationSpec, table: Table, weights: NDArray[np.float64]) -> Any:
    variables: dict[str, Any] = {
        name: table.labels(name, key=f"calibration.margins.{name}") for name in spec.margins
    }
    for name in spec.totals:
        variables[name] = table.numeric(name, key=f"calibration.totals.{name}")
    if spec.method == "poststratify":
        return poststratify(weights, variables, margins=spec.margins)
    if spec.method == "raking":
        return rake(
            weights, variables, margins=spec.margins, max_iter=spec.max_iter, tol=spec.tolerance
        )
    return calibrate(
        weights,
        variables,
        margins=spec.margins or None,
        totals=spec.totals or None,
        method=spec.method,
        bounds=spec.bounds,
        max_iter=spec.max_iter,
        tol=spec.tolerance,
    )


def run_weighting(job: Job, table: Table) -> WeightedSample:
    """Build the design, make replicate weights if asked, calibrate, trim.

    Replicate weights are made from the design weights and re-weighted by each
    step, as R does for calibrated replicate designs.
    """
    design = build_design(job, table)
    replicate = None
    if job.variance != "taylor":
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
    steps: list[WeightingResult] = []
    if job.calibration is not None:
        res = _calibration_step(job.calibration, table, design.weights)
        steps.append(res)
        design = design.apply_weighting(res)
        if replicate is not None:
            replicate = replicate.apply_weighting(res)
    if job.trim is not None:
        res = trim_weights(design.weights, **job.trim)
        steps.append(res)
        design = design.apply_weighting(res)
        if replicate is not None:
            replicate = replicate.apply_weighting(res)
    return WeightedSample(table, design, replicate, tuple(steps))


def _is_binary(y: NDArray[np.float64], weights: NDArray[np.float64]) -> bool:
    used = y[(weights > 0) & np.isfinite(y)]
    return bool(used.size) and bool(np.all((used == 0) | (used == 1)))


def run_estimates(job: Job, sample: WeightedSample) -> list[Estimate]:
    """Compute every entry of ``estimates:`` on the weighted sample.

    ``mean`` of a 0/1 column is reported as a ``proportion`` (logit intervals
    by default); ``ci`` overrides the interval method.

    Raises:
        JobError: a missing or non-numeric column, or an interval method that
            needs a proportion on a variable that is not 0/1.

    Example:
        >>> from sampling.tabular import table_from_columns
        >>> job = parse_job({"data": "x.csv", "design": {"weights": "w"},
        ...                  "estimates": [{"mean": "y"}]})
        >>> table = table_from_columns({"w": [1.0, 2.0], "y": [1.0, 3.0]}, "demo")
        >>> est = run_estimates(job, run_weighting(job, table))
        >>> round(float(est[0].estimate[0]), 6)
        2.333333
    """
    design = sample.analysis_design
    table = sample.table
    out = []
    for spec in job.estimates:
        y = table.numeric(spec.variable, key=spec.key, allow_missing=True)
        by = {name: table.labels(name, key=f"{spec.key}.by") for name in spec.by} or None
        common: _EstimatorOptions = {
            "by": by,
            "na_rm": spec.na_rm,
            "level": spec.level,
            "reliability": job.reliability,
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
            est = svy_proportion(
                y, design, name=spec.variable, ci=spec.ci or CIMethod.LOGIT, **common
            )
        else:
            est = svy_mean(y, design, name=spec.variable, ci=spec.ci or CIMethod.WALD, **common)
        if spec.ci is not None and spec.ci != "wald" and est.statistic != "proportion":
            raise JobError(
                f"{spec.key}: ci {spec.ci} is for proportions; {spec.variable!r} is not 0/1",
                param=spec.key.rsplit(".", 1)[0] + ".ci",
                got=spec.ci,
                hint="use ci: wald for means, totals and ratios",
            )
        out.append(est)
    return out
