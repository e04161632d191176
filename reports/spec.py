"""What a report shows and how: :class:`ReportSpec` and the report job file.

A report job is a sampling job (``sampling/job.py``: ``data:`` or ``wave:``,
``design:``, ``nonresponse:``, ``calibration:``, ``trim:``, ``variance:``,
``reliability:``) plus a ``report:`` section::

    data: scored.csv
    design: {weights: base_weight, strata: stratum, psu: psu, nest: true}
    nonresponse: {cases: fieldwork.csv, weights: household_weight, classes: [town]}
    calibration: {method: raking, margins: {...}}
    trim: {upper_quantile: 0.99}
    report:
      questionnaire: yiwu-csl-2025.yaml     # default: the bundled questionnaire
      wave_name: demo-2025
      survey_year: 2025
      suppress_below: 10                    # cells with fewer respondents are not shown
      comparisons:                          # lines on the charts
        national: {rate: 0.1537, year: 2024}
        zhejiang: {rate: 0.1353, year: 2020}
        target: {rate: 0.17, year: 2025}
      previous: [estimates-2023.json]       # earlier waves (``estimates.json`` files)
      capacity: {targets: capacity.yaml, values: capacity.csv, as_of: 2025-06-30}
                                            # or {rounds: capacity-rounds.json}: the accepted
                                            # submissions of reporting rounds (kesu capacity)
      sae: {covariates: town-covariates.csv}   # or  sae: false
      fieldwork: fieldwork.csv              # AAPOR outcome codes per sampled case
      prior_weighting: steps.json           # diagnostics of weighting done outside the job
      synthetic: true                       # label every page as simulated data
      issuer: 义乌市科学技术协会              # the issuing unit (cover page)
      fieldwork_by: 某调查公司                # who did the fieldwork (cover page)
      sources: {sex_age: 第七次全国人口普查}   # source of each calibration margin's totals
      domains:                              # extra tables: the literacy rate by these columns
        - occupation                        #   one column
        - [town, sex]                       #   crossed
        - {mean: score_total, by: education}   # or any estimates: entry of sampling/job.py

The job's own ``estimates:`` entries (means, proportions, totals, ratios) are extra
tables too; ``kesu estimate`` and ``kesu weight`` accept a report job (they run its
sampling part on the same rows and codes: ``reports.data.weight_report_table``).

Parsing is pure (:func:`parse_report_job`); :mod:`reports.cli` reads the files.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any

from kesu.yamlsource import check_keys
from questionnaires.model import Text
from reports.errors import SpecError
from sampling.job import EstimateSpec
from sampling.job import Job
from sampling.job import parse_estimates
from sampling.job import parse_job

logger = logging.getLogger(__name__)

REPORT_KEYS = (
    "questionnaire", "wave_name", "survey_year", "title", "suppress_below", "level",
    "comparisons", "previous", "capacity", "sae", "fieldwork", "prior_weighting", "synthetic",
    "factors", "issuer", "fieldwork_by", "sources", "domains", "youth",
)  # fmt: skip
COMPARISON_KEYS = ("rate", "year", "label")

#: published rates (share scientifically literate) from CAST surveys (shared/domain.md)
PUBLISHED_NATIONAL: dict[int, float] = {
    2010: 0.0327, 2015: 0.0620, 2018: 0.0847, 2020: 0.1056, 2022: 0.1293, 2023: 0.1414,
    2024: 0.1537,
}  # fmt: skip
PUBLISHED_ZHEJIANG: dict[int, float] = {2015: 0.0821, 2018: 0.1112, 2020: 0.1353}
#: decimals of a published (reference) rate in percent, as CAST publishes them (15.37%):
#: text, tables and charts show the references so; the survey's estimates have one
PUBLISHED_DIGITS = 2


@dataclass(frozen=True, slots=True)
class Comparison:
    """A reference rate drawn as a line on the charts (national, Zhejiang, target)."""

    key: str
    rate: float
    year: int
    label: Text | None = None


DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    Comparison("national", PUBLISHED_NATIONAL[2024], 2024),
    Comparison("zhejiang", PUBLISHED_ZHEJIANG[2020], 2020),
    # the national plan's 2025 target ("above 15%"); Yiwu's own target is not published
    Comparison("target", 0.15, 2025),
)


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """An influencing-factor item: its answer column and whether several answers are allowed.

    Multiple answers are one column of codes joined with ``;`` (the CSV export form)
    or lists; an empty cell means not asked / not answered (left out).
    """

    item: str
    multiple: bool
    #: the code meaning "none of these" (its share is shown, it is not a channel)
    none_code: str | None = None


DEFAULT_FACTORS: tuple[FactorSpec, ...] = (
    FactorSpec("channels", True, "none"),
    FactorSpec("visit_venue", True, "none"),
    FactorSpec("events", False),
    FactorSpec("kepu_app", False),
)


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """Everything that decides the report's figures apart from the data.

    Attributes:
        job: the sampling job (design, weighting, variance, reliability thresholds).
        wave_name: name of the wave reported on.
        survey_year: year of the fieldwork.
        title: report title (default: from the i18n catalogue and the questionnaire).
        suppress_below: cells with fewer respondents are suppressed (not shown).
        level: confidence level of every interval.
        comparisons: reference rates for the charts.
        factors: influencing-factor items.
        sae: fit the Fay-Herriot model for towns.
        sae_covariates: town code -> covariate values (default: intercept only).
        sae_covariate_names: names of the covariates.
        synthetic: the data are simulated (every page says so).
        job_text: the job file's text (hashed into the fingerprint).
        issuer: the issuing unit (cover page; None: not stated, and the cover says so).
        fieldwork_by: who did the fieldwork (cover page).
        sources: calibration variable -> source of its population totals (methods).
        extra: extra domain tables: ``report.domains`` then the job's ``estimates:``.
    """

    job: Job
    wave_name: str = ""
    survey_year: int = 0
    title: Text | None = None
    suppress_below: int = 10
    level: float = 0.95
    comparisons: tuple[Comparison, ...] = DEFAULT_COMPARISONS
    factors: tuple[FactorSpec, ...] = DEFAULT_FACTORS
    sae: bool = True
    sae_covariates: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    sae_covariate_names: tuple[str, ...] = ()
    synthetic: bool = False
    job_text: str = ""
    issuer: Text | None = None
    fieldwork_by: Text | None = None
    sources: Mapping[str, Text] = field(default_factory=dict)
    extra: tuple[EstimateSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.suppress_below < 1:
            raise SpecError(
                "suppress_below must be >= 1",
                param="report.suppress_below",
                got=self.suppress_below,
            )
        if not 0 < self.level < 1:
            raise SpecError("level must be in (0, 1)", param="report.level", got=self.level)


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Files named in the ``report:`` section (resolved against the job file's folder)."""

    questionnaire: Path | None = None
    previous: tuple[Path, ...] = ()
    capacity_targets: Path | None = None
    capacity_values: Path | None = None
    capacity_as_of: dt.date | None = None
    #: reporting rounds (``{"rounds": [...]}``, :func:`reports.capacity_round.load_rounds`)
    capacity_rounds: Path | None = None
    sae_covariates: Path | None = None
    fieldwork: Path | None = None
    prior_weighting: Path | None = None
    youth: Path | None = None


def default_job(table_columns: Mapping[str, Any], source: str = "wave") -> Job:
    """A job for a table without one (e.g. a web-survey wave).

    Weights: ``weight`` if present, else ``base_weight``, else equal weights (the
    report then says the estimates are unweighted; see :func:`with_unit_weights`).
    Strata: ``stratum`` and PSUs ``psu`` when they are present and filled in;
    otherwise every respondent is its own PSU. Lonely PSUs: ``adjust`` (stated in
    the methodology appendix), because a live wave often has strata with one PSU.

    Example:
        >>> default_job({"weight": [1.0], "stratum": ["a"], "psu": ["p"]}).design.psu
        ('psu',)
    """
    cols = table_columns

    def filled(name: str) -> bool:
        if name not in cols:
            return False
        values = [str(v).strip() for v in list(cols[name])[:1000]]
        return bool(values) and all(v not in ("", "nan", "None") for v in values)

    weights = next((w for w in ("weight", "base_weight") if filled(w)), UNIT_WEIGHT)
    design: dict[str, Any] = {"weights": weights, "lonely_psu": "adjust"}
    if filled("stratum"):
        design["strata"] = "stratum"
        design["nest"] = True
    if filled("psu"):
        design["psu"] = "psu"
    return parse_job({"wave": source, "design": design})


#: name of the constant weight column added when a table has no weights
UNIT_WEIGHT = "_unit_weight"


def _text(value: Any, key: str) -> Text:
    if isinstance(value, str):
        return Text.of(value)
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return Text.of({str(k): v for k, v in value.items()})
    raise SpecError(f"{key} must be a text or {{zh-CN: ..., en: ...}}", param=key, got=value)


def _comparisons(section: Any) -> tuple[Comparison, ...]:
    if not isinstance(section, Mapping):
        raise SpecError("report.comparisons must be a mapping", param="report.comparisons")
    defaults = {c.key: c for c in DEFAULT_COMPARISONS}
    out = dict(defaults)
    for key, value in section.items():
        where = f"report.comparisons.{key}"
        if value is None:
            out.pop(str(key), None)
            continue
        if not isinstance(value, Mapping) or set(value) - set(COMPARISON_KEYS):
            raise SpecError(
                f"{where} must be {{rate: 0.15, year: 2025, label: ...}}", param=where, got=value
            )
        rate = value.get("rate")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise SpecError(
                f"{where}.rate must be a share between 0 and 1",
                param=f"{where}.rate",
                got=rate,
                hint="write 15.37% as 0.1537",
            )
        year = value.get("year", 0)
        if isinstance(year, bool) or not isinstance(year, int):
            raise SpecError(f"{where}.year must be a year", param=f"{where}.year", got=year)
        label = _text(value["label"], f"{where}.label") if "label" in value else None
        out[str(key)] = Comparison(str(key), float(rate), year, label)
    return tuple(out.values())


def _factors(section: Any) -> tuple[FactorSpec, ...]:
    if not isinstance(section, list):
        raise SpecError("report.factors must be a list", param="report.factors", got=section)
    out = []
    for i, entry in enumerate(section):
        where = f"report.factors[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("item"), str):
            raise SpecError(f"{where} needs item: ITEM_ID", param=where, got=entry)
        out.append(
            FactorSpec(str(entry["item"]), bool(entry.get("multiple", False)), entry.get("none"))
        )
    return tuple(out)


def _domains(section: Any, level: float) -> tuple[EstimateSpec, ...]:
    """``report.domains``: a column, a list of columns (crossed) or an ``estimates:`` entry."""
    if not isinstance(section, list):
        raise SpecError(
            "report.domains must be a list (a column, a list of columns, or an estimates: entry)",
            param="report.domains",
            got=section,
        )
    out = []
    for i, entry in enumerate(section):
        where = f"report.domains[{i}]"
        if isinstance(entry, Mapping):
            (found,) = parse_estimates([entry], where)
            if not isinstance(found, EstimateSpec):
                raise SpecError(
                    f"{where}: a report domain is a mean, proportion, total or ratio",
                    param=where,
                    got=found.kind,
                    hint="models, quantiles, tables and tests go in the job's estimates: "
                    "(kesu estimate prints them)",
                )
            out.append(replace(found, key=f"{where}.{found.statistic}"))
            continue
        by = [entry] if isinstance(entry, str) else entry
        if not (isinstance(by, list) and by and all(isinstance(b, str) and b for b in by)):
            raise SpecError(
                f"{where} must be a column, a list of columns or an estimates: entry",
                param=where,
                got=entry,
                hint="e.g. domains: [occupation, [town, sex], {mean: score_total, by: sex}]",
            )
        out.append(
            EstimateSpec(
                "proportion", "literate", None, tuple(by), None, level, True, f"{where}.by"
            )
        )
    return tuple(out)


def report_estimates(spec: ReportSpec) -> tuple[EstimateSpec, ...]:
    """What ``kesu estimate`` prints for a report job: the literacy rate (the report's
    headline), then :attr:`ReportSpec.extra`.

    Example:
        >>> s, _ = parse_report_job({"data": "x.csv", "design": {"weights": "w"},
        ...                          "report": {"domains": ["sex"]}})
        >>> [(e.variable, e.by) for e in report_estimates(s)]
        [('literate', ()), ('literate', ('sex',))]
    """
    overall = EstimateSpec("proportion", "literate", None, (), None, spec.level, True, "report")
    return (overall, *spec.extra)


def parse_report_job(
    spec: Any, base_dir: Path | None = None, job_text: str = ""
) -> tuple[ReportSpec, ReportInputs]:
    """Check a report job mapping (parsed YAML) and split it into spec and input files.

    Raises:
        SpecError: unknown or invalid ``report:`` keys.
        JobError: an invalid sampling part (from :func:`sampling.job.parse_job`).

    Example:
        >>> spec, inputs = parse_report_job({"data": "x.csv", "design": {"weights": "w"},
        ...                                  "report": {"suppress_below": 5}})
        >>> spec.suppress_below
        5
    """
    if not isinstance(spec, Mapping):
        raise SpecError("the report job must be a mapping", param="job", got=type(spec).__name__)
    base = base_dir or Path(".")
    rest = {k: v for k, v in spec.items() if k != "report"}
    job = parse_job(rest, base)
    rep = spec.get("report") or {}
    if not isinstance(rep, Mapping):
        raise SpecError("report: must be a mapping", param="report", got=rep)
    check_keys(rep, REPORT_KEYS, "report", error=SpecError)

    def path(key: str, value: Any) -> Path:
        if not isinstance(value, str):
            raise SpecError(f"{key} must be a file name", param=key, got=value)
        return base / value

    def integer(key: str, default: int) -> int:
        value = rep.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"report.{key} must be a whole number", param=f"report.{key}")
        return value

    previous = rep.get("previous") or []
    if isinstance(previous, str):
        previous = [previous]
    if not isinstance(previous, list):
        raise SpecError("report.previous must be a list of files", param="report.previous")
    capacity = rep.get("capacity") or {}
    if not isinstance(capacity, Mapping) or set(capacity) - {
        "targets",
        "values",
        "as_of",
        "rounds",
    }:
        raise SpecError(
            "report.capacity must be {targets: FILE, values: FILE | rounds: FILE, as_of: DATE}",
            param="report.capacity",
            got=capacity,
        )
    as_of = capacity.get("as_of")
    if as_of is not None and not isinstance(as_of, dt.date):
        try:
            as_of = dt.date.fromisoformat(str(as_of))
        except ValueError:
            raise SpecError(
                "report.capacity.as_of is not a date (YYYY-MM-DD)", param="report.capacity.as_of"
            ) from None
    sae = rep.get("sae", True)
    sae_cov = None
    if isinstance(sae, Mapping):
        if set(sae) - {"covariates"}:
            raise SpecError("report.sae has unknown keys", param="report.sae", got=sorted(sae))
        sae_cov = path("report.sae.covariates", sae["covariates"]) if "covariates" in sae else None
        sae = True
    elif not isinstance(sae, bool):
        raise SpecError("report.sae must be true, false or {covariates: FILE}", param="report.sae")
    synthetic = rep.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise SpecError("report.synthetic must be true or false", param="report.synthetic")
    level = rep.get("level", 0.95)
    if isinstance(level, bool) or not isinstance(level, int | float):
        raise SpecError("report.level must be a number", param="report.level", got=level)
    sources = rep.get("sources") or {}
    if not isinstance(sources, Mapping):
        raise SpecError(
            "report.sources must map calibration variables to texts", param="report.sources"
        )
    wave = rep.get("wave_name", job.wave or (job.data.path.stem if job.data else ""))
    domains = _domains(rep["domains"], float(level)) if "domains" in rep else ()
    report_spec = ReportSpec(
        job=job,
        wave_name=str(wave),
        survey_year=integer("survey_year", 0),
        title=_text(rep["title"], "report.title") if "title" in rep else None,
        suppress_below=integer("suppress_below", 10),
        level=float(level),
        comparisons=_comparisons(rep["comparisons"])
        if "comparisons" in rep
        else DEFAULT_COMPARISONS,
        factors=_factors(rep["factors"]) if "factors" in rep else DEFAULT_FACTORS,
        sae=bool(sae),
        synthetic=synthetic,
        job_text=job_text,
        issuer=_text(rep["issuer"], "report.issuer") if "issuer" in rep else None,
        fieldwork_by=_text(rep["fieldwork_by"], "report.fieldwork_by")
        if "fieldwork_by" in rep
        else None,
        sources={str(k): _text(v, f"report.sources.{k}") for k, v in sources.items()},
        extra=domains + tuple(e for e in job.estimates if isinstance(e, EstimateSpec)),
    )
    inputs = ReportInputs(
        questionnaire=path("report.questionnaire", rep["questionnaire"])
        if "questionnaire" in rep
        else None,
        previous=tuple(path("report.previous", p) for p in previous),
        capacity_targets=path("report.capacity.targets", capacity["targets"])
        if "targets" in capacity
        else None,
        capacity_values=path("report.capacity.values", capacity["values"])
        if "values" in capacity
        else None,
        capacity_as_of=as_of,
        capacity_rounds=path("report.capacity.rounds", capacity["rounds"])
        if "rounds" in capacity
        else None,
        sae_covariates=sae_cov,
        fieldwork=path("report.fieldwork", rep["fieldwork"]) if "fieldwork" in rep else None,
        prior_weighting=path("report.prior_weighting", rep["prior_weighting"])
        if "prior_weighting" in rep
        else None,
        youth=path("report.youth", rep["youth"]) if "youth" in rep else None,
    )
    return report_spec, inputs
