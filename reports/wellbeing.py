"""The figures of a mental-health survey report (公务员心理健康状况调查与评估).

For a questionnaire with scales (``questionnaires/FORMAT.md``), the analysis table has
``scale_<id>``, ``band_<id>`` and ``flag_<id>`` columns. This module estimates, with
the job's weighted design:

* the **prevalence of each band** of every scale with bands, overall and by each
  domain variable (unit type, rank band, age band, sex): ``svy_proportion`` of
  ``[band = b]`` among respondents with a score (``na_rm``), logit intervals;
* the **prevalence of each flag** (PHQ-9 item 9): ``svy_proportion(flag_<id>)``
  among respondents who answered the item;
* the **mean score** of every scale (``svy_mean``);
* for every table by a domain, a **test that the groups differ**: the Rao-Scott
  second-order corrected F test of independence of the measure's categories and the
  groups (:func:`sampling.tables.svy_chisq`, R's ``svychisq``; Rao & Scott 1984),
  on the whole design (the other respondents stay in it, as in R's ``subset``) and
  over the groups whose every cell is published (a group left out for disclosure is
  left out of the test too, so the statistic cannot help recover a hidden cell).

Every published cell goes through :func:`sampling.disclosure.suppress_table` on its
unweighted counts (the total row included, as it is a published margin): groups
under ``min_n`` (10) respondents, cells of 1 to ``min_cell - 1`` (2) people, and the
complementary cells that keep them from being recomputed. Flags are checked on the
two-column table (raised / not raised), so a group with one or two raised flags shows
no figure at all. Nothing here identifies a respondent: only shares of groups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kesu.tables import Table
from questionnaires.model import Questionnaire
from reports.compare import groups_test
from reports.data import compute_fingerprint
from reports.data import prepare_table
from reports.data import weight_table
from reports.errors import ReportError
from reports.model import UNRELIABLE_FLAGS
from reports.model import Fingerprint
from reports.model import Rules
from reports.spec import ReportSpec
from reports.spec import default_job
from sampling.design import SurveyDesign
from sampling.disclosure import suppress_table
from sampling.estimation import svy_mean
from sampling.estimation import svy_proportion
from sampling.replicates import ReplicateDesign
from sampling.results import Estimate
from sampling.results import HypothesisTest
from sampling.results import Reliability
from sampling.weighting.base import WeightingDiagnostics

logger = logging.getLogger(__name__)

#: the domains of the civil servants' survey (item ids of the bundled questionnaire)
DEFAULT_DOMAINS = ("unit_type", "rank_band", "age_band", "sex")
#: cells with fewer respondents (and more than none) are suppressed
DEFAULT_MIN_CELL = 3
#: an estimate on fewer degrees of freedom is marked unreliable: NCHS Data Presentation
#: Standards for Proportions (Parker et al. 2017, Vital Health Stat 2(175)) flag df < 8
MIN_DF = 8
#: an interval this wide (or wider) is not shown: it says nothing a reader could use. NCHS
#: Data Presentation Standards for Proportions (Parker et al. 2017) do not present an
#: estimate whose interval is 30 percentage points wide or more; here the estimate stays,
#: marked, and its interval is left out
MAX_CI_WIDTH = 0.30
FLAG_CATEGORIES = ("1", "0")


@dataclass(frozen=True, slots=True)
class ShareCell:
    """One published share: estimate and interval (proportions), the unweighted count
    behind it and why it is suppressed ('' when shown)."""

    estimate: float
    ci_low: float
    ci_high: float
    count: int
    reason: str = ""
    #: shown with a mark: flagged small_n, high_cv, no_df or empty by the estimator
    unreliable: bool = False

    @property
    def suppressed(self) -> bool:
        return self.reason != ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; a suppressed cell keeps only its reason."""
        if self.suppressed:
            return {"suppressed": self.reason}
        return {
            "estimate": _finite(self.estimate),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "unreliable": self.unreliable,
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class ShareRow:
    """A group (``key`` = its code; '' for everyone) with ``n`` respondents in the table."""

    key: str
    n: int
    cells: tuple[ShareCell, ...]

    @property
    def below_threshold(self) -> bool:
        return bool(self.cells) and all(c.reason == "small_n" for c in self.cells)

    @property
    def any_suppressed(self) -> bool:
        return any(c.suppressed for c in self.cells)


@dataclass(frozen=True)
class ShareTable:
    """Shares of the categories of one measure, for everyone and by one domain variable.

    Attributes:
        measure: the scale id (bands) or flag id.
        flag: a flag table (its one published category is "raised").
        by: the domain variable ('' for everyone only).
        categories: band codes, or ``("1",)`` for a flag.
        total: everyone with a score (or who answered the flagged item).
        rows: the domain's groups in the questionnaire's option order.
        unassigned: respondents of ``total`` without an answer to ``by`` (no row).
        test: the Rao-Scott F test that the groups of ``rows`` whose cells are all
            published do not differ (None without a domain, with fewer than two such
            groups, or when everyone in them is in one category).
        tested: the keys of the groups a test is over: those with respondents whose every
            cell is published (set for every table by a domain, also when no test could
            be made: two or more of them then means their answers were too concentrated).
    """

    measure: str
    flag: bool
    by: str
    categories: tuple[str, ...]
    total: ShareRow
    rows: tuple[ShareRow, ...]
    unassigned: int = 0
    test: HypothesisTest | None = None
    tested: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def row(r: ShareRow) -> dict[str, Any]:
            n: int | str = r.n if not r.below_threshold else "<min_n"
            return {
                "key": r.key,
                "n": n,
                "cells": {
                    c: cell.to_dict() for c, cell in zip(self.categories, r.cells, strict=False)
                },
            }

        t = self.test
        return {
            "measure": self.measure,
            "flag": self.flag,
            "by": self.by,
            "total": row(self.total),
            "rows": [row(r) for r in self.rows],
            "test": None
            if t is None
            else {
                "statistic": t.statistic,
                "f": t.f,
                "df1": t.df1,
                "df2": t.df2,
                "p": t.p,
                "groups": list(self.tested),
            },
        }


@dataclass(frozen=True, slots=True)
class ScaleMean:
    """The weighted mean score of a scale with its interval."""

    scale_id: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class WellbeingData:
    """Everything the mental-health report shows (:func:`build_wellbeing_data`).

    Attributes:
        questionnaire, spec, fingerprint, generated: as in the literacy report.
        respondents: complete, non-rejected responses analysed.
        units: distinct units (PSUs) among them (0 when the table has no ``psu``).
        population: the sum of the final weights (the population the answers stand for).
        domains: the domain variables of the tables.
        means: mean score of each scale.
        tables: one :class:`ShareTable` per (measure, domain), the band tables first.
        screens: for each scale with a cut-off (``screen_from``), the share screening
            positive (a score in its band or above) as a one-category table per domain,
            everyone first (``measure`` = the scale id, suppressed like a flag).
        min_n, min_cell: the suppression thresholds.
        weighting: diagnostics of each weighting step of the job.
        notes: facts the methods section states (``unweighted``, ``rejected:N``...).
        suppressed: how many cells each rule suppressed, over every table.
    """

    questionnaire: Questionnaire
    spec: ReportSpec
    fingerprint: Fingerprint
    generated: dt.date
    respondents: int
    units: int
    population: float
    domains: tuple[str, ...]
    means: tuple[ScaleMean, ...]
    tables: tuple[ShareTable, ...]
    min_n: int
    min_cell: int
    weighting: tuple[WeightingDiagnostics, ...] = ()
    notes: tuple[str, ...] = ()
    suppressed: Mapping[str, int] = dataclasses.field(default_factory=dict)
    screens: tuple[ShareTable, ...] = ()

    @property
    def rules(self) -> Rules:
        """The suppression and reliability rules, as the literacy report states them."""
        return Rules(self.min_n, self.spec.job.reliability, self.spec.level)

    def table(self, measure: str, by: str) -> ShareTable:
        """The table of ``measure`` by ``by``; KeyError if there is none."""
        for t in self.tables:
            if t.measure == measure and t.by == by:
                return t
        raise KeyError((measure, by))

    def screen(self, scale_id: str, by: str = "") -> ShareTable:
        """The positive-screen table of a scale by ``by``; KeyError if there is none."""
        for t in self.screens:
            if t.measure == scale_id and t.by == by:
                return t
        raise KeyError((scale_id, by))

    def to_dict(self) -> dict[str, Any]:
        """The published figures (suppressed cells carry only their reason), for JSON."""
        return {
            "wave": self.spec.wave_name,
            "questionnaire": self.questionnaire.id,
            "respondents": self.respondents,
            "units": self.units,
            "fingerprint": self.fingerprint.short(),
            "means": [dataclasses.asdict(m) for m in self.means],
            "tables": [t.to_dict() for t in self.tables],
            "screens": [t.to_dict() for t in self.screens],
            "suppression": {
                "min_n": self.min_n,
                "min_cell": self.min_cell,
                "cells": dict(self.suppressed),
            },
        }


def is_wellbeing(questionnaire: Questionnaire) -> bool:
    """A questionnaire reported with this module: scales and no test items."""
    return bool(questionnaire.scales) and not questionnaire.scored_items


def _text_column(values: Any) -> NDArray[np.str_]:
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        out = np.where(np.isnan(arr), "", np.char.mod("%g", np.nan_to_num(arr)))
        return np.asarray(out, dtype=str)
    text = np.array(["" if v is None else str(v).strip() for v in arr.tolist()], dtype=str)
    return np.where(np.isin(text, ["nan", "NaN", "NA", "None"]), "", text)


def _flag_column(values: Any) -> NDArray[np.str_]:
    """'1' raised, '0' not, '' not answered (from 1/0/NaN or their text)."""
    text = _text_column(values)
    return np.where(
        np.isin(text, ["1", "1.0"]), "1", np.where(np.isin(text, ["0", "0.0"]), "0", "")
    )


class _Estimator:
    """Band/flag shares with intervals from one design, overall results cached."""

    def __init__(
        self, design: SurveyDesign | ReplicateDesign, level: float, reliability: Reliability
    ) -> None:
        self.design = design
        self.level = level
        self.reliability = reliability
        self._overall: dict[tuple[str, str], Estimate] = {}

    def share(
        self,
        name: str,
        values: NDArray[np.str_],
        category: str,
        by: NDArray[np.str_] | None,
        by_name: str,
    ) -> Estimate:
        y = np.where(values == "", np.nan, (values == category).astype(np.float64))
        if by is None:
            key = (name, category)
            if key not in self._overall:
                self._overall[key] = svy_proportion(
                    y, self.design, na_rm=True, name=name, reliability=self.reliability
                )
            return self._overall[key]
        return svy_proportion(
            y, self.design, by={by_name: by}, na_rm=True, name=name, reliability=self.reliability
        )

    def cell(self, est: Estimate, index: int | None, count: int, reason: str) -> ShareCell:
        if index is None:
            return ShareCell(math.nan, math.nan, math.nan, count, reason)
        low, high = est.confint(self.level)
        unreliable = bool(UNRELIABLE_FLAGS & set(est.flags[index])) or bool(est.df[index] < MIN_DF)
        return ShareCell(
            float(est.estimate[index]),
            float(low[index]),
            float(high[index]),
            count,
            reason,
            unreliable,
        )


def _domain_index(est: Estimate, by_name: str) -> dict[str, int]:
    return {str(d.get(by_name, "")): i for i, d in enumerate(est.domains)}


def share_table(
    estimator: _Estimator,
    measure: str,
    values: NDArray[np.str_],
    categories: Sequence[str],
    by_name: str,
    by: NDArray[np.str_] | None,
    levels: Sequence[str],
    *,
    min_n: int,
    min_cell: int,
    flag: bool = False,
) -> ShareTable:
    """One :class:`ShareTable` (``values``: the category of each respondent, '' none)."""
    published = list(categories) if not flag else ["1"]
    counted = list(categories) if not flag else list(FLAG_CATEGORIES)
    scored = values != ""
    counts = [[int(np.sum(scored & (values == c))) for c in counted]]
    if by is not None:
        for level in levels:
            inside = scored & (by == level)
            counts.append([int(np.sum(inside & (values == c))) for c in counted])
    result = suppress_table(np.array(counts), min_n=min_n, min_cell=min_cell)
    reasons = result.reasons
    estimates = {c: estimator.share(measure, values, c, None, by_name) for c in published}
    by_estimates = (
        {c: estimator.share(measure, values, c, by, by_name) for c in published}
        if by is not None
        else {}
    )
    total = ShareRow(
        "",
        int(sum(counts[0])),
        tuple(
            estimator.cell(
                estimates[c], 0, counts[0][counted.index(c)], _reason(reasons[0], counted, c, flag)
            )
            for c in published
        ),
    )
    rows = []
    for i, level in enumerate(levels if by is not None else (), start=1):
        cells = []
        for c in published:
            est = by_estimates[c]
            index = _domain_index(est, by_name).get(level)
            cells.append(
                estimator.cell(
                    est, index, counts[i][counted.index(c)], _reason(reasons[i], counted, c, flag)
                )
            )
        rows.append(ShareRow(level, int(sum(counts[i])), tuple(cells)))
    unassigned = 0 if by is None else int(np.sum(scored & ~np.isin(by, list(levels))))
    tested = tuple(r.key for r in rows if r.n > 0 and not r.any_suppressed)
    test = None if by is None else groups_test(estimator.design, values, by, tested)
    return ShareTable(
        measure,
        flag,
        by_name if by is not None else "",
        tuple(published),
        total,
        tuple(rows),
        unassigned,
        test,
        tested if by is not None else (),
    )


def _reason(row: NDArray[np.str_], counted: list[str], category: str, flag: bool) -> str:
    """A flag's published cell is hidden when either of its two counts is."""
    if flag:
        return next((r for r in row if r), "")
    return str(row[counted.index(category)])


def build_wellbeing_data(
    table: Mapping[str, Any],
    questionnaire: Questionnaire,
    spec: ReportSpec,
    *,
    domains: Sequence[str] = DEFAULT_DOMAINS,
    min_cell: int = DEFAULT_MIN_CELL,
    generated: dt.date | None = None,
    cases: Table | Mapping[str, Any] | None = None,
) -> WellbeingData:
    """Every figure of the mental-health report from the analysis table.

    The job of ``spec`` weights the table (:func:`sampling.job.run_weighting`); band
    shares, flag shares and mean scores are estimated with the final design (rules in
    the module docstring); every table is suppressed with ``spec.suppress_below`` as
    ``min_n`` and ``min_cell``.

    Args:
        table: the analysis table (``scale_<id>``, ``band_<id>``, ``flag_<id>`` and the
            domain columns).
        questionnaire: the scales, the domain items' codes and every label.
        spec: the weighting job and report options (title, wave, level, synthetic...).
        domains: domain variables (item ids); those missing from the table are left out
            and noted.
        min_cell: the smallest non-zero cell that is shown.
        generated: the report date (default today).
        cases: the cases table of a job with a ``nonresponse:`` step.

    Returns:
        A frozen :class:`WellbeingData`.

    Raises:
        ReportError: no respondents, a scale column missing, or a failing job.

    Example:
        >>> data = build_wellbeing_data(table, q, spec)                 # doctest: +SKIP
        >>> data.table("phq9", "sex").rows[0].cells[0].estimate          # doctest: +SKIP
    """
    needed = [f"scale_{s.id}" for s in questionnaire.scales]
    needed += [f"band_{s.id}" for s in questionnaire.scales if s.bands]
    needed += [f"flag_{f.id}" for f in questionnaire.scale_flags]
    tbl, notes = prepare_table(table, spec, needed=tuple(needed))
    weighted = weight_table(spec, tbl, notes, cases)
    design = weighted.analysis_design
    estimator = _Estimator(design, spec.level, spec.job.reliability)
    cols = tbl.columns
    used: list[str] = []
    for name in domains:
        if name in cols and questionnaire.has_variable(name):
            used.append(name)
        else:
            notes.append(f"domain_missing:{name}")
    tables: list[ShareTable] = []
    min_n = spec.suppress_below

    def by_domains(
        est: _Estimator, measure: str, values: NDArray[np.str_], categories: list[str], flag: bool
    ) -> list[ShareTable]:
        return _by_domains(est, questionnaire, measure, values, categories, cols, used,
                           min_n=min_n, min_cell=min_cell, flag=flag)  # fmt: skip

    for scale in questionnaire.scales:
        if scale.bands:
            values = _text_column(cols[f"band_{scale.id}"])
            tables += by_domains(estimator, scale.id, values, [b.code for b in scale.bands], False)
    for f in questionnaire.scale_flags:
        tables += by_domains(estimator, f.id, _flag_column(cols[f"flag_{f.id}"]), ["1"], True)
    # positive screens: 1 when the band is the cut-off's or above, 0 below, '' unscored
    # (an estimator of their own: its cache is keyed by measure and category)
    screen_estimator = _Estimator(design, spec.level, spec.job.reliability)
    screens: list[ShareTable] = []
    for scale in questionnaire.scales:
        if scale.screen_from:
            bands = _text_column(cols[f"band_{scale.id}"])
            positive = np.where(
                bands == "", "", np.where(np.isin(bands, scale.screen_bands), "1", "0")
            )
            screens += by_domains(screen_estimator, scale.id, positive, ["1"], True)
    means = []
    for scale in questionnaire.scales:
        score = np.asarray(cols[f"scale_{scale.id}"], dtype=np.float64)
        est = svy_mean(score, design, na_rm=True, name=scale.id)
        low, high = est.confint(spec.level)
        n = int(np.sum(np.isfinite(score)))
        means.append(ScaleMean(scale.id, float(est.estimate[0]), float(low[0]), float(high[0]), n))
    summary: dict[str, int] = {}
    for t in (*tables, *screens):
        for row in (t.total, *t.rows):
            for cell in row.cells:
                if cell.reason:
                    summary[cell.reason] = summary.get(cell.reason, 0) + 1
    psu = cols.get("psu")
    units = len({str(p) for p in np.asarray(psu).tolist()} - {"", "nan"}) if psu is not None else 0
    job_text = spec.job_text or repr(spec.job)
    return WellbeingData(
        questionnaire=questionnaire,
        spec=spec,
        fingerprint=compute_fingerprint(table, questionnaire, job_text),
        generated=generated or dt.date.today(),
        respondents=tbl.n_rows,
        units=units,
        population=float(np.sum(weighted.design.weights)),
        domains=tuple(used),
        means=tuple(means),
        tables=tuple(tables),
        min_n=min_n,
        min_cell=min_cell,
        weighting=tuple(s.diagnostics for s in weighted.steps),
        notes=tuple(notes),
        suppressed=summary,
        screens=tuple(screens),
    )


def _by_domains(
    estimator: _Estimator,
    q: Questionnaire,
    measure: str,
    values: NDArray[np.str_],
    categories: Sequence[str],
    cols: Mapping[str, Any],
    domains: Sequence[str],
    *,
    min_n: int,
    min_cell: int,
    flag: bool,
) -> list[ShareTable]:
    out = [
        share_table(
            estimator,
            measure,
            values,
            categories,
            "",
            None,
            (),
            min_n=min_n,
            min_cell=min_cell,
            flag=flag,
        )
    ]
    for name in domains:
        by = _text_column(cols[name])
        levels = q.item(name).codes
        out.append(
            share_table(
                estimator,
                measure,
                values,
                categories,
                name,
                by,
                levels,
                min_n=min_n,
                min_cell=min_cell,
                flag=flag,
            )
        )
    return out


def wellbeing_for_table(
    table: Mapping[str, Any],
    questionnaire: Questionnaire,
    spec: ReportSpec | None = None,
    *,
    wave_name: str = "",
    generated: dt.date | None = None,
) -> WellbeingData:
    """The report figures of an analysis table without a job file (e.g. a web wave).

    The design is :func:`reports.spec.default_job` (``weight``/``base_weight`` or equal
    weights; PSUs ``psu``, i.e. the units of an anonymous wave).

    Raises:
        ReportError: as :func:`build_wellbeing_data`.
    """
    if spec is None:
        spec = ReportSpec(job=default_job(table, wave_name or "wave"), wave_name=wave_name)
    if not spec.job_text:
        spec = dataclasses.replace(spec, job_text=repr(spec.job))
    if not is_wellbeing(questionnaire):
        raise ReportError(
            f"questionnaire {questionnaire.id} has test items or no scales: use the literacy "
            "report",
            param="questionnaire",
        )
    return build_wellbeing_data(table, questionnaire, spec, generated=generated)
