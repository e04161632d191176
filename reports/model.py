"""The result types a report is built from (frozen), and their JSON forms.

:class:`ReportData` (built by :func:`reports.data.build_report_data`) holds
every figure of the report as rows taken from :class:`sampling.Estimate`
objects; the PDF (:mod:`reports.pdf`) and the admin dashboard only format
them. Suppression and marking follow :class:`Rules` and are stated in the
report's methodology appendix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from kesu.i18n import tr
from questionnaires.model import Questionnaire
from reports.capacity import IndicatorProgress
from reports.capacity_round import RoundSummary
from reports.errors import ReportError
from reports.fieldwork import FieldworkSummary
from reports.spec import ReportSpec
from reports.youth_model import YouthResults
from sampling.intervals import CIMethod
from sampling.job import Exclusion
from sampling.results import Estimate
from sampling.results import HypothesisTest
from sampling.results import Reliability
from sampling.sae_arcsin import ArcsinFayHerriotResult
from sampling.weighting.base import MarginCheck
from sampling.weighting.base import WeightingDiagnostics
from scoring.items import ItemAnalysis

logger = logging.getLogger(__name__)

#: flags of :class:`sampling.Estimate` that make an estimate unreliable
UNRELIABLE_FLAGS = frozenset({"small_n", "high_cv", "no_df", "empty"})


@dataclass(frozen=True, slots=True)
class DomainRow:
    """One domain of one estimate, ready to show.

    Attributes:
        key: the domain's code (town code, group id, level code...; "" overall).
        estimate, se, ci_low, ci_high, cv, deff, df: from the :class:`~sampling.Estimate`.
        n: respondents in the domain.
        flags: the estimate's reliability flags.
        suppressed: fewer than ``suppress_below`` respondents: the figures are not shown.
        unreliable: flagged small_n, high_cv, no_df or empty: shown, marked.
    """

    key: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    cv: float
    deff: float
    df: float
    n: int
    flags: tuple[str, ...]
    suppressed: bool
    unreliable: bool

    @classmethod
    def empty(cls, key: str) -> DomainRow:
        """A domain without respondents (suppressed)."""
        nan = math.nan
        return cls(key, nan, nan, nan, nan, nan, nan, nan, 0, ("empty",), True, True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (non-finite numbers become None)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


def domain_rows(
    estimate: Estimate,
    column: str | None,
    suppress_below: int,
    *,
    order: Sequence[str] | None = None,
    keys: Mapping[str, str] | None = None,
) -> tuple[DomainRow, ...]:
    """The entries of ``estimate`` as :class:`DomainRow` (intervals from ``Estimate.confint``).

    Args:
        estimate: a (domain) estimate.
        column: the ``by`` column whose level is the row key (None: overall, key "").
        suppress_below: rows with fewer respondents are suppressed.
        order: keys in display order; keys without an entry get an empty row.
        keys: level -> key renaming (e.g. ``{"1": "youth"}``).

    Example:
        >>> rows = domain_rows(est, "town", 10)  # doctest: +SKIP
    """
    low, high = estimate.confint()
    se, cv = estimate.se, estimate.cv
    found: dict[str, DomainRow] = {}
    for i, dom in enumerate(estimate.domains):
        level = "" if column is None else str(dom.get(column, ""))
        key = (keys or {}).get(level, level)
        n = int(estimate.n[i])
        flags = tuple(estimate.flags[i])
        found[key] = DomainRow(
            key=key,
            estimate=float(estimate.estimate[i]),
            se=float(se[i]),
            ci_low=float(low[i]),
            ci_high=float(high[i]),
            cv=float(cv[i]),
            deff=float(estimate.deff[i]),
            df=float(estimate.df[i]),
            n=n,
            flags=flags,
            suppressed=n < suppress_below,
            unreliable=bool(UNRELIABLE_FLAGS.intersection(flags)),
        )
    if order is None:
        return tuple(found.values())
    return tuple(found.get(k, DomainRow.empty(k)) for k in order)


@dataclass(frozen=True, slots=True)
class ExtraTable:
    """An extra domain table of a report job (``report.domains`` or the job's ``estimates:``).

    Attributes:
        key: where the job asked for it (``report.domains[0].by``, ``estimates[1].mean``).
        statistic: ``proportion``, ``mean``, ``total`` or ``ratio``.
        variable: the column (``num/den`` for a ratio).
        by: the domain columns (crossed); empty for the whole population.
        levels: the domain of each row, one level per ``by`` column.
        rows: the estimates (key: the levels joined with `` / ``).
    """

    key: str
    statistic: str
    variable: str
    by: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    rows: tuple[DomainRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain Python (JSON-safe after :func:`_json_safe`)."""
        return {
            "key": self.key,
            "statistic": self.statistic,
            "variable": self.variable,
            "by": list(self.by),
            "rows": [
                {"levels": list(lv), **row.to_dict()}
                for lv, row in zip(self.levels, self.rows, strict=True)
            ],
        }


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Rows of one statistic by the levels of one variable (towns, groups, levels...).

    ``test``: for a breakdown of the literacy rate by one variable (sex, age band,
    education, urban/rural, town), the Rao-Scott F test that the rate is the same in
    every group of ``tested`` (the groups with respondents whose rate is published, set
    whenever a test was tried; :func:`reports.compare.groups_test`); None otherwise, with
    fewer than two such groups, or when their rates are too extreme to test.
    """

    name: str
    variable: str
    rows: tuple[DomainRow, ...]
    test: HypothesisTest | None = None
    tested: tuple[str, ...] = ()

    def row(self, key: str) -> DomainRow:
        """The row with this key (KeyError if none)."""
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "name": self.name,
            "variable": self.variable,
            "rows": [r.to_dict() for r in self.rows],
        }
        if self.test is not None:
            t = self.test
            out["test"] = {"statistic": t.statistic, "f": t.f, "df1": t.df1, "df2": t.df2,
                           "p": t.p, "groups": list(self.tested)}  # fmt: skip
        return out


@dataclass(frozen=True, slots=True)
class Change:
    """Change of the headline rate since an earlier wave (``sampling.wave_difference``).

    ``p_value`` is two-sided from Student's t with the Welch-Satterthwaite df:
    ``p = 2 P(T_df > |d / se|)`` (Satterthwaite 1946; Lohr 2022, §10.2).
    """

    previous_wave: str
    previous_year: int
    previous: DomainRow
    difference: DomainRow
    p_value: float
    significant: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """The headline rate against a reference rate (a target or a published rate).

    The test is the one the logit interval inverts (Lumley 2010, §2.4):
    ``t = (logit p - logit r) / se_logit`` with ``se_logit = se / (p (1 - p))`` and the
    design degrees of freedom, ``p_value = 2 P(T_df > |t|)``; the reference rate is
    taken as fixed (a target, or a published rate whose own error is far smaller).
    ``status`` is ``above`` / ``below`` when the interval excludes the reference,
    else ``same``; ``reached`` says whether the point estimate is at or above it.
    """

    key: str
    rate: float
    year: int
    estimate: float
    ci_low: float
    ci_high: float
    difference: float
    p_value: float
    status: str
    reached: bool


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The headline rate of one wave."""

    wave: str
    year: int
    row: DomainRow
    current: bool = False


@dataclass(frozen=True, slots=True)
class SeparatedLevel:
    """A level of a control variable left out of a logistic model: its outcome never varies.

    Attributes:
        control: the control variable (``education``...).
        level: its level (a code of the questionnaire, or an age band).
        n: the model respondents at that level (all of them left out).
        outcome: 0 if none of them has the outcome, 1 if all do.
    """

    control: str
    level: str
    n: int
    outcome: int


@dataclass(frozen=True, slots=True)
class FactorResult:
    """An influencing factor: share choosing each option, and literacy by choice.

    Attributes:
        item: the questionnaire item id.
        shares: share of respondents choosing each option (key: option code).
        literacy_yes: literacy rate among those choosing each option.
        literacy_no: literacy rate among those not choosing it (multiple items only).
        answered: respondents who answered the item.
        adjusted: adjusted odds ratios of literacy for choosing each option (key:
            option code; the reference option of a single-answer item has
            estimate 1 and flag ``reference``), from a survey-weighted logistic
            regression with the report's control variables; None if the model
            could not be fitted.
        adjusted_test: the Wald F test that the item's odds ratios are all 1.
        adjusted_note: why there are no adjusted odds ratios ("" if there are).
        adjusted_separated: control levels left out of the model because the
            outcome never varies within them (their odds ratio is not estimable;
            the other coefficients are their limit, see
            :func:`reports.factors.separating_levels`).
    """

    item: str
    multiple: bool
    shares: Breakdown
    literacy_yes: Breakdown
    literacy_no: Breakdown | None
    answered: int
    adjusted: Breakdown | None = None
    adjusted_test: HypothesisTest | None = None
    adjusted_note: str = ""
    adjusted_separated: tuple[SeparatedLevel, ...] = ()


@dataclass(frozen=True, slots=True)
class DesignSummary:
    """The design and weighting as used for the variance (methodology appendix).

    Attributes:
        n: respondents; n_strata, n_psu: first-stage strata and PSUs; degf: design df.
        weight_sum: estimated population; kish_deff: design effect of the final weights.
        variance: ``taylor`` or a replicate method; lonely_psu: the policy used.
        calibrated: a calibration is accounted for in the variance.
        steps: diagnostics of every weighting step (earlier steps first).
        weights_column: the design-weight column.
    """

    n: int
    n_strata: int
    n_psu: int
    degf: int
    weight_sum: float
    kish_deff: float
    variance: str
    lonely_psu: str
    calibrated: bool
    steps: tuple[WeightingDiagnostics, ...]
    weights_column: str
    unweighted: bool = False


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the report was made from: questionnaire, data snapshot, job file, kesu version."""

    questionnaire_hash: str
    rows: int
    data_hash: str
    job_hash: str
    kesu_version: str

    def line(self, lang: str) -> str:
        """One line for page footers and the dashboard, in ``lang`` (each hash cut to 10)."""
        return tr(
            lang,
            "fingerprint_line",
            q=self.questionnaire_hash[:10],
            rows=self.rows,
            data=self.data_hash[:10],
            job=self.job_hash[:10],
            version=self.kesu_version,
        )

    def short(self) -> str:
        """One ASCII line for the PDF's metadata and JSON files (the same in every language)."""
        return (
            f"Q {self.questionnaire_hash[:10]} · data {self.rows} rows {self.data_hash[:10]} · "
            f"job {self.job_hash[:10]} · kesu {self.kesu_version}"
        )


@dataclass(frozen=True, slots=True)
class WaveEstimates:
    """Estimates of one wave kept for later trend comparisons (``estimates.json``)."""

    wave: str
    year: int
    overall: Estimate
    towns: Estimate | None = None
    groups: Mapping[str, Estimate] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (full covariance matrices, so contrasts stay exact)."""
        return {
            "wave": self.wave,
            "year": self.year,
            "overall": self.overall.to_dict(),
            "towns": None if self.towns is None else self.towns.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "estimates") -> WaveEstimates:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ReportError: a missing key or a malformed estimate (naming ``source``).
        """
        try:
            towns = data.get("towns")
            return cls(
                wave=str(data["wave"]),
                year=int(data["year"]),
                overall=estimate_from_dict(data["overall"]),
                towns=None if towns is None else estimate_from_dict(towns),
                groups={str(k): estimate_from_dict(v) for k, v in data.get("groups", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(
                f"{source} is not an estimates file of a wave ({exc!r})",
                param="previous",
                hint="use the estimates.json written by kesu demo or kesu report --estimates",
            ) from None


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def estimate_from_dict(data: Mapping[str, Any]) -> Estimate:
    """Rebuild a :class:`sampling.Estimate` from ``Estimate.to_dict()`` output.

    Example:
        >>> e = estimate_from_dict(est.to_dict())  # doctest: +SKIP
    """
    rows = data["rows"]
    k = len(rows)
    vcov = np.array([[_num(x) for x in row] for row in data["vcov"]], dtype=np.float64)
    return Estimate(
        statistic=str(data["rows"][0]["statistic"]) if rows else "proportion",
        variable=str(data["variable"]),
        domains=tuple(dict(r["domain"]) for r in rows),
        estimate=np.array([_num(r["estimate"]) for r in rows]),
        vcov=vcov.reshape(k, k),
        df=np.array([_num(r["df"]) for r in rows]),
        deff=np.array([_num(r["deff"]) for r in rows]),
        n=np.array([float(r["n"]) for r in rows]),
        weight_sum=np.array([_num(x) for x in data.get("weight_sum", [math.nan] * k)]),
        design_df=_num(data.get("design_df")),
        ci_method=CIMethod(data.get("ci_method", "wald")),
        level=float(data.get("level", 0.95)),
        reliability=Reliability(),
        flags=tuple(tuple(r.get("flags", ())) for r in rows),
    )


def diagnostics_from_dict(data: Mapping[str, Any]) -> WeightingDiagnostics:
    """Rebuild :class:`WeightingDiagnostics` from its ``to_dict()`` form.

    Example:
        >>> diagnostics_from_dict(result.diagnostics.to_dict()).method  # doctest: +SKIP
        'rake'
    """
    margins = tuple(
        MarginCheck(m["variable"], m.get("level"), m["target"], m["before"], m["after"])
        for m in data.get("margins", [])
    )
    names = (
        "iterations", "max_margin_error", "kish_deff_before", "kish_deff_after", "ess_before",
        "ess_after", "sum_before", "sum_after", "min_weight", "max_weight", "ratio",
    )  # fmt: skip
    values = {k: data[k] for k in names}
    return WeightingDiagnostics(
        method=str(data["method"]),
        converged=bool(data["converged"]),
        margins=margins,
        notes=dict(data.get("notes", {})),
        **values,
    )


@dataclass(frozen=True, slots=True)
class Rules:
    """Suppression and marking rules (stated in the methodology appendix)."""

    suppress_below: int
    reliability: Reliability
    level: float


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows. Built by :func:`reports.data.build_report_data`.

    All numbers come from :mod:`sampling` (estimates, weighting diagnostics,
    Fay-Herriot) and :mod:`scoring` (item analysis); labels from the questionnaire.
    """

    questionnaire: Questionnaire
    spec: ReportSpec
    fingerprint: Fingerprint
    generated: dt.date
    rules: Rules
    overall: DomainRow
    overall_estimate: Estimate
    levels: Breakdown
    levels_by_group: Mapping[str, Breakdown]
    groups: Breakdown
    towns: Breakdown
    towns_estimate: Estimate | None
    breakdowns: tuple[Breakdown, ...]
    dimensions: Mapping[str, Breakdown]
    trend: tuple[TrendPoint, ...]
    change: Change | None
    factors: tuple[FactorResult, ...]
    sae: ArcsinFayHerriotResult | None
    capacity: tuple[IndicatorProgress, ...] | None
    design: DesignSummary
    fieldwork: FieldworkSummary | None
    items: ItemAnalysis | None
    notes: tuple[str, ...] = ()
    wave_estimates: WaveEstimates | None = None
    capacity_tolerance: float = 0.9
    capacity_as_of: dt.date | None = None
    #: the latest reporting round: units' timeliness, the capacity index, its sensitivity
    capacity_round: RoundSummary | None = None
    median_scores: Breakdown | None = None
    adjusted_for: tuple[str, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    #: observed age range of the members of each age-defined key group (labels say it)
    group_ages: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    #: respondents flagged as too fast (``quality_speeding``) among those analysed
    speeders: int | None = None
    #: rows the job's explicit keys left out of the data (None: not counted)
    dropped_rows: int | None = None
    #: totals of the final weights against each calibration target (true margin errors)
    margins: tuple[MarginCheck, ...] = ()
    #: urban minus rural literate share (``sampling.domain_difference``) and its p-value
    urban_gap: tuple[DomainRow, float] | None = None
    #: extra domain tables of the report job (``report.domains``, ``estimates:``)
    extra_tables: tuple[ExtraTable, ...] = ()
    #: the job's ``exclude:`` rules with the rows each left out (``dropped_rows`` is the sum)
    exclusions: tuple[Exclusion, ...] = ()
    #: the youth monitoring's results (the report job's ``youth:`` file), or None
    youth: YouthResults | None = None

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain Python, JSON-safe (NaN -> None); the dashboard renders this."""
        return _json_safe_mapping(self._figures())

    def _figures(self) -> dict[str, Any]:
        return {
            "wave": self.spec.wave_name,
            "year": self.spec.survey_year,
            "generated": self.generated.isoformat(),
            "fingerprint": {
                "questionnaire_hash": self.fingerprint.questionnaire_hash,
                "rows": self.fingerprint.rows,
                "data_hash": self.fingerprint.data_hash,
                "job_hash": self.fingerprint.job_hash,
                "kesu_version": self.fingerprint.kesu_version,
            },
            "rules": {
                "suppress_below": self.rules.suppress_below,
                "min_n": self.rules.reliability.min_n,
                "max_cv": self.rules.reliability.max_cv,
                "level": self.rules.level,
            },
            "overall": self.overall.to_dict(),
            "levels": self.levels.to_dict(),
            "groups": self.groups.to_dict(),
            "towns": self.towns.to_dict(),
            "breakdowns": [b.to_dict() for b in self.breakdowns],
            "dimensions": {k: v.to_dict() for k, v in self.dimensions.items()},
            "trend": [
                {"wave": t.wave, "year": t.year, "current": t.current, **t.row.to_dict()}
                for t in self.trend
            ],
            "change": None
            if self.change is None
            else {
                "previous_wave": self.change.previous_wave,
                "previous_year": self.change.previous_year,
                "difference": self.change.difference.to_dict(),
                "p_value": self.change.p_value,
                "significant": self.change.significant,
            },
            "sae": None if self.sae is None else self.sae.to_rows(),
            "verdicts": [{k: getattr(v, k) for k in v.__slots__} for v in self.verdicts],
            "capacity": None
            if self.capacity is None
            else [
                {
                    "id": p.indicator.id,
                    "target": p.indicator.target,
                    "value": p.value,
                    "expected": p.expected,
                    "status": p.status.value,
                    "last_report": None if p.last_report is None else p.last_report.isoformat(),
                    "stale": p.stale,
                    "missing_units": [u.code for u in p.missing_units],
                }
                for p in self.capacity
            ],
            "fieldwork": None if self.fieldwork is None else self.fieldwork.to_dict(),
            "median_scores": None if self.median_scores is None else self.median_scores.to_dict(),
            "notes": list(self.notes),
            "extra_tables": [t.to_dict() for t in self.extra_tables],
            "excluded": [
                {"column": e.column, "values": list(e.values), "rows": e.rows}
                for e in self.exclusions
            ],
        }


def _json_safe_mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): _json_safe(v) for k, v in value.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Mapping):
        return _json_safe_mapping(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    return value


def table_hash(columns: Mapping[str, Any]) -> str:
    """SHA-256 of a table snapshot: column names in sorted order and their values.

    Numeric columns are hashed as float64 bytes, others as their text joined by
    U+001F, so the same snapshot always gives the same hash.

    Example:
        >>> table_hash({"a": [1, 2]}) == table_hash({"a": [1.0, 2.0]})
        True
    """
    h = hashlib.sha256()
    for name in sorted(columns):
        arr = np.asarray(columns[name]).reshape(-1)
        h.update(name.encode("utf-8") + b"\x1e")
        if arr.dtype.kind in "fiub":
            h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
        else:
            h.update("\x1f".join(map(str, arr.tolist())).encode("utf-8"))
    return h.hexdigest()
