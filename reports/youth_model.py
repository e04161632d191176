"""Result types of the youth monitoring (frozen), for the report chapter and the school sheets.

:func:`reports.youth.analyse_youth` fills them; :mod:`reports.youth_pdf` and
the survey's school page only format them. Every figure of a domain with
fewer than :data:`SUPPRESS_BELOW` students is withheld (``suppressed``), in
every output, so that no small group of children can be singled out.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from sampling.intervals import confidence_interval
from scoring.irt.vertical import DEFAULT_LEVELS
from scoring.irt.vertical import ProficiencyLevels
from scoring.irt.vertical import ReportingScale

logger = logging.getLogger(__name__)

#: domains (schools, towns, groups) with fewer students are never shown
SUPPRESS_BELOW = 10
#: an estimate is marked unreliable (†) below this many students, below this interval df
#: (about one fewer than the schools behind it), or above this coefficient of variation
UNRELIABLE_N, UNRELIABLE_DF, UNRELIABLE_CV = 30, 3.0, 0.30


@dataclass(frozen=True, slots=True)
class PVStat:
    """One statistic of one domain, combined over plausible values.

    ``se`` is :math:`\\sqrt{T + \\sigma^2_{link}}` with :math:`T` the Rubin total
    variance (school-cluster Taylor variance within, between-PV variance) and
    :math:`\\sigma_{link}` the linking error's effect (0 for the base grade).

    Attributes:
        estimate, se, ci_low, ci_high: the combined estimate and its interval.
        df: Barnard-Rubin degrees of freedom of the interval.
        fmi: fraction of missing information (measurement uncertainty).
        link_se: the linking-error part of ``se``.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: float
    fmi: float
    link_se: float = 0.0

    @classmethod
    def combine(
        cls,
        estimate: float,
        total_var: float,
        df: float,
        fmi: float,
        link_var: float = 0.0,
        *,
        share: bool = False,
        n: float = math.nan,
        level: float = 0.95,
    ) -> PVStat:
        """The combined statistic with its interval, ``t`` with ``df`` degrees of freedom.

        A mean: ``estimate ± t(df) se``. A share (``share``): the logit interval
        ``expit(logit(p) ± t(df) se / (p (1 - p)))`` (R's ``svyciprop(method =
        "xlogit")``; Lumley 2010, §2.4.2), which stays inside (0, 1) without being cut,
        as the adults' shares (:func:`sampling.intervals.confidence_interval`, which
        computes it; ``n``, the students in the domain, serves a share of exactly 0 or 1).
        ``se = sqrt(total_var + link_var)``. A ``df`` below 1 is used as it is (the
        quantile grows without bound as ``df`` falls): the report shows no interval
        below :data:`UNRELIABLE_DF` (:attr:`interval_shown`).

        Example:
            >>> s = PVStat.combine(0.5, 0.0004, math.inf, 0.1, share=True)
            >>> round(s.ci_low, 4), round(s.ci_high, 4)  # expit(±1.959964 * 0.02 / 0.25)
            (0.4609, 0.5391)
            >>> s = PVStat.combine(0.9, 0.0025, 30.0, 0.1, share=True)  # qt(.975, 30) = 2.042272
            >>> round(s.ci_low, 4), round(s.ci_high, 4)  # expit(logit(.9) ± 2.042272 * .05 / .09)
            (0.7432, 0.9655)
            >>> s = PVStat.combine(512.0, 100.0, 30.0, 0.1)  # a mean: 512 ± 2.042272 * 10
            >>> round(s.ci_low, 2), round(s.ci_high, 2)
            (491.58, 532.42)
        """
        if not math.isfinite(total_var):  # no design df: the variance cannot be estimated
            nan = math.nan
            return cls(float(estimate), nan, nan, nan, 0.0, nan, math.sqrt(max(link_var, 0)))
        se = math.sqrt(max(total_var, 0.0) + max(link_var, 0.0))
        method = "xlogit" if share and 0.0 <= estimate <= 1.0 else "wald"
        low, high = confidence_interval(
            np.array([estimate]), np.array([se]), np.array([df]), np.array([n]),
            level=level, method=method,
        )  # fmt: skip
        return cls(float(estimate), se, float(low[0]), float(high[0]), float(df), float(fmi),
                   math.sqrt(max(link_var, 0)))  # fmt: skip

    @property
    def interval_shown(self) -> bool:
        """Whether a report shows the interval: a variance was estimated and the interval
        has at least :data:`UNRELIABLE_DF` degrees of freedom. Below that (a town's 2-3
        schools) ``t`` exceeds 3.18 and the variance rests on a few schools: the interval
        would span most of the scale and say nothing; the estimate is marked † instead.

        Example:
            >>> PVStat.combine(0.5, 0.01, 1.2, 0.1, share=True).interval_shown
            False
        """
        return math.isfinite(self.se) and math.isfinite(self.ci_low) and self.df >= UNRELIABLE_DF

    def covers(self, value: float) -> bool:
        """True when ``value`` lies in the interval."""
        return self.ci_low <= value <= self.ci_high


@dataclass(frozen=True, slots=True)
class YouthDomain:
    """The level shares and mean scale score of one domain (a grade, a town, a group...).

    Attributes:
        key: the domain's code (``""`` for the whole grade).
        n: students who answered; ``schools``: schools they come from.
        suppressed: ``n`` below :data:`SUPPRESS_BELOW`: no figure is shown.
        levels: one :class:`PVStat` per proficiency level (lowest first).
        at_least: share at the reporting level or above (``中等及以上``).
        mean_score: mean scale score.
    """

    key: str
    n: int
    schools: int
    suppressed: bool
    levels: tuple[PVStat, ...] = ()
    at_least: PVStat | None = None
    mean_score: PVStat | None = None

    @property
    def unreliable(self) -> bool:
        """Shown but marked †: fewer than :data:`UNRELIABLE_N` students, an interval with
        fewer than :data:`UNRELIABLE_DF` degrees of freedom (too few schools) or none, or a
        coefficient of variation of the headline share above :data:`UNRELIABLE_CV`.

        Example:
            >>> YouthDomain("x", 25, 3, False).unreliable
            True
        """
        s = self.at_least
        if self.suppressed or s is None or self.n < UNRELIABLE_N:
            return True
        if not math.isfinite(s.se) or s.df < UNRELIABLE_DF:
            return True
        return s.estimate > 0 and s.se / s.estimate > UNRELIABLE_CV


@dataclass(frozen=True, slots=True)
class YouthBreakdown:
    """A domain variable of one grade: its label and its domains, in display order."""

    variable: str
    label: tuple[str, str]
    rows: tuple[YouthDomain, ...]
    value_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    source: str = "student"  # student / principal / teacher questionnaire


@dataclass(frozen=True, slots=True)
class RawView:
    """The raw-score view of a grade: its booklet's 100-point score (not comparable across grades).

    Attributes:
        mean, se, ci_low, ci_high: weighted mean 100-point score (Taylor, school clusters).
        dimensions: dimension -> (mean percent of its points, se).
        bands: raw band code -> weighted share (the booklet's scoring levels).
        alpha: Cronbach's alpha of the booklet's items.
    """

    mean: float
    se: float
    ci_low: float
    ci_high: float
    dimensions: Mapping[str, tuple[float, float]]
    bands: Mapping[str, float]
    alpha: float


@dataclass(frozen=True, slots=True)
class Participation:
    """What happened in the sessions of one grade (seats of every sampled class).

    ``rate`` is the weighted student response rate among held classes
    (respondents' base weights over all seats' base weights).
    """

    schools: int
    classes: int
    classes_held: int
    seats: int
    complete: int
    timeout: int
    absent: int
    refused: int
    rate: float

    @property
    def respondents(self) -> int:
        """Students counted as respondents (complete or ran out of time)."""
        return self.complete + self.timeout


@dataclass(frozen=True, slots=True)
class ScaleInfo:
    """How a grade sits on the common scale.

    Attributes:
        slope, intercept: the linking constants to the previous grade (base: the centring).
        anchors: anchor items used; ``drifting``: anchors flagged as drifting.
        link_error: SD of the grade's placement (0 for the base grade), in scale points.
        items: test items calibrated; ``reliability``: EAP/PV reliability of the grade.
    """

    slope: float
    intercept: float
    anchors: tuple[str, ...]
    drifting: tuple[str, ...]
    link_error: float
    items: int
    reliability: float


@dataclass(frozen=True, slots=True)
class GradeResults:
    """Every figure of one grade."""

    grade: str
    overall: YouthDomain
    breakdowns: tuple[YouthBreakdown, ...]
    factors: tuple[YouthBreakdown, ...]
    raw: RawView
    participation: Participation
    scale: ScaleInfo

    def breakdown(self, variable: str) -> YouthBreakdown:
        """The breakdown by ``variable`` (``town``, ``school_type``, ``sex``); KeyError if none."""
        for b in (*self.breakdowns, *self.factors):
            if b.variable == variable:
                return b
        raise KeyError(variable)


@dataclass(frozen=True, slots=True)
class SchoolResult:
    """One school's results for one grade: only for that school's principal.

    Attributes:
        suppressed: fewer than :data:`SUPPRESS_BELOW` students answered: no figure.
        mean_score: mean scale score (PVs; within-school sampling and measurement error).
        levels: share at each level (PV average), lowest first.
        at_least: share at the reporting level or above.
        dimensions: dimension -> mean percent of its points (raw view).
        town_mean, city_mean: the grade's mean scale score in the school's town and the city
            (None when the town is suppressed).
    """

    school_id: str
    school_name: str
    town: str
    school_type: str
    grade: str
    n: int
    seats: int
    classes: int
    suppressed: bool
    mean_score: PVStat | None = None
    levels: tuple[float, ...] = ()
    at_least: PVStat | None = None
    dimensions: Mapping[str, float] = field(default_factory=dict)
    town_mean: float | None = None
    city_mean: float | None = None
    city_levels: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class YouthResults:
    """The youth monitoring's results (the report chapter and the school sheets).

    Attributes:
        grades: per grade, in order.
        schools: one entry per participating school and grade.
        levels, scale: the proficiency levels and the reporting scale.
        at_least_level: index of the level whose share-or-above is the headline (中等及以上).
        n_pv: plausible values per student; ``synthetic``: simulated data.
        year: the round's year; ``notes``: method notes for the chapter.
    """

    grades: tuple[GradeResults, ...]
    schools: tuple[SchoolResult, ...]
    levels: ProficiencyLevels = DEFAULT_LEVELS
    scale: ReportingScale = field(default_factory=ReportingScale)
    at_least_level: int = 1
    n_pv: int = 5
    synthetic: bool = False
    year: int = 2025
    notes: tuple[str, ...] = ()

    def grade(self, grade: str) -> GradeResults:
        """The results of ``grade``; KeyError if the round has no such grade."""
        for g in self.grades:
            if g.grade == grade:
                return g
        raise KeyError(grade)

    def schools_of(self, school_id: str) -> tuple[SchoolResult, ...]:
        """The results of one school (one entry per grade it took part in)."""
        return tuple(s for s in self.schools if s.school_id == school_id)

    def to_dict(self, *, with_schools: bool = False) -> dict[str, Any]:
        """JSON-friendly form (NaN -> None); school results only with ``with_schools``
        (they are never published: only each school's sheet carries its own)."""
        out: dict[str, Any] = {
            "levels": {
                "codes": list(self.levels.codes),
                "labels": {k: list(v) for k, v in self.levels.labels.items()},
                "cuts": {g: list(c) for g, c in self.levels.cuts.items()},
                "basis": self.levels.basis,
            },
            "scale": {"mean": self.scale.mean, "sd": self.scale.sd},
            "at_least_level": self.at_least_level,
            "n_pv": self.n_pv,
            "synthetic": self.synthetic,
            "year": self.year,
            "notes": list(self.notes),
            "grades": [_plain(asdict(g)) for g in self.grades],
        }
        if with_schools:
            out["schools"] = [_plain(asdict(s)) for s in self.schools]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> YouthResults:
        """Read back :meth:`to_dict` (the ``youth:`` file of a report job).

        Raises:
            KeyError, TypeError, ValueError: the mapping is not a youth results file.

        Example:
            >>> r = YouthResults((), ())
            >>> YouthResults.from_dict(r.to_dict(with_schools=True)) == r
            True
        """
        lv = data["levels"]
        levels = ProficiencyLevels(
            codes=tuple(lv["codes"]),
            labels={k: (str(v[0]), str(v[1])) for k, v in lv["labels"].items()},
            cuts={str(g): tuple(float(x) for x in c) for g, c in lv["cuts"].items()},
            basis=str(lv.get("basis", "")),
        )
        return cls(
            grades=tuple(_grade(g) for g in data["grades"]),
            schools=tuple(_school(s) for s in data.get("schools", ())),
            levels=levels,
            scale=ReportingScale(float(data["scale"]["mean"]), float(data["scale"]["sd"])),
            at_least_level=int(data["at_least_level"]),
            n_pv=int(data["n_pv"]),
            synthetic=bool(data["synthetic"]),
            year=int(data["year"]),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )


def _f(value: Any) -> float:
    return math.nan if value is None else float(value)


def _stat(d: Mapping[str, Any] | None) -> PVStat | None:
    if d is None:
        return None
    return PVStat(
        *(_f(d[k]) for k in ("estimate", "se", "ci_low", "ci_high", "df", "fmi", "link_se"))
    )


def _stats(items: Any) -> tuple[PVStat, ...]:
    return tuple(s for s in (_stat(d) for d in items) if s is not None)


def _domain(d: Mapping[str, Any]) -> YouthDomain:
    return YouthDomain(
        str(d["key"]),
        int(d["n"]),
        int(d["schools"]),
        bool(d["suppressed"]),
        _stats(d["levels"]),
        _stat(d["at_least"]),
        _stat(d["mean_score"]),
    )


def _breakdown(d: Mapping[str, Any]) -> YouthBreakdown:
    return YouthBreakdown(
        str(d["variable"]),
        (str(d["label"][0]), str(d["label"][1])),
        tuple(_domain(r) for r in d["rows"]),
        {str(k): (str(v[0]), str(v[1])) for k, v in d.get("value_labels", {}).items()},
        str(d.get("source", "student")),
    )


def _grade(d: Mapping[str, Any]) -> GradeResults:
    raw, part, sc = d["raw"], d["participation"], d["scale"]
    return GradeResults(
        grade=str(d["grade"]),
        overall=_domain(d["overall"]),
        breakdowns=tuple(_breakdown(b) for b in d["breakdowns"]),
        factors=tuple(_breakdown(b) for b in d["factors"]),
        raw=RawView(
            _f(raw["mean"]),
            _f(raw["se"]),
            _f(raw["ci_low"]),
            _f(raw["ci_high"]),
            {k: (_f(v[0]), _f(v[1])) for k, v in raw["dimensions"].items()},
            {k: _f(v) for k, v in raw["bands"].items()},
            _f(raw["alpha"]),
        ),
        participation=Participation(
            schools=int(part["schools"]),
            classes=int(part["classes"]),
            classes_held=int(part["classes_held"]),
            seats=int(part["seats"]),
            complete=int(part["complete"]),
            timeout=int(part["timeout"]),
            absent=int(part["absent"]),
            refused=int(part["refused"]),
            rate=float(part["rate"]),
        ),
        scale=ScaleInfo(
            _f(sc["slope"]),
            _f(sc["intercept"]),
            tuple(sc["anchors"]),
            tuple(sc["drifting"]),
            _f(sc["link_error"]),
            int(sc["items"]),
            _f(sc["reliability"]),
        ),
    )


def _school(d: Mapping[str, Any]) -> SchoolResult:
    def opt(v: Any) -> float | None:
        return None if v is None else float(v)

    return SchoolResult(
        school_id=str(d["school_id"]),
        school_name=str(d["school_name"]),
        town=str(d["town"]),
        school_type=str(d["school_type"]),
        grade=str(d["grade"]),
        n=int(d["n"]),
        seats=int(d["seats"]),
        classes=int(d["classes"]),
        suppressed=bool(d["suppressed"]),
        mean_score=_stat(d["mean_score"]),
        levels=tuple(_f(x) for x in d["levels"]),
        at_least=_stat(d["at_least"]),
        dimensions={k: _f(v) for k, v in d["dimensions"].items()},
        town_mean=opt(d["town_mean"]),
        city_mean=opt(d["city_mean"]),
        city_levels=tuple(_f(x) for x in d["city_levels"]),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
