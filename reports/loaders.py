"""Loaders for the report's input files (an I/O edge; the cores take data).

Every loader raises :class:`~reports.errors.ReportError` naming the file (and
line and column where there is one).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from reports.capacity import DEFAULT_CAPACITY_PLAN
from reports.capacity import IndicatorProgress
from reports.capacity import ReportedValue
from reports.capacity import evaluate_capacity
from reports.capacity import load_capacity_plan
from reports.capacity import load_capacity_values
from reports.errors import ReportError
from reports.errors import SpecError
from reports.fieldwork import FieldworkSummary
from reports.fieldwork import summarize_fieldwork
from reports.model import WaveEstimates
from reports.model import diagnostics_from_dict
from reports.spec import ReportInputs
from reports.spec import ReportSpec
from reports.spec import parse_report_job
from sampling.weighting.base import WeightingDiagnostics

logger = logging.getLogger(__name__)


def load_report_job(path: str | Path) -> tuple[ReportSpec, ReportInputs]:
    """Read a report job YAML (a sampling job plus ``report:``; see :mod:`reports.spec`).

    Raises:
        SpecError: unreadable or invalid file.
        sampling.JobError: an invalid sampling part.

    Example:
        >>> spec, inputs = load_report_job("demo/report-job.yaml")  # doctest: +SKIP
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise SpecError(f"cannot read the job file: {exc.strerror}", file=str(p)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError(f"not valid YAML: {exc}", file=str(p), line=line) from None
    return parse_report_job(data, p.parent, job_text=text)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None


def load_wave_estimates(path: str | Path) -> WaveEstimates:
    """An earlier wave's ``estimates.json`` (from ``kesu demo`` or ``kesu report --estimates``).

    Example:
        >>> load_wave_estimates("demo/estimates-2023.json").year  # doctest: +SKIP
        2023
    """
    p = Path(path)
    return WaveEstimates.from_dict(_read_json(p), str(p))


def load_prior_weighting(path: str | Path) -> tuple[WeightingDiagnostics, ...]:
    """Diagnostics (``WeightingDiagnostics.to_dict()`` list) of steps done before the job.

    Example:
        >>> load_prior_weighting("demo/nonresponse.json")[0].method  # doctest: +SKIP
        'nonresponse'
    """
    p = Path(path)
    data = _read_json(p)
    if not isinstance(data, list):
        raise ReportError("must be a list of weighting diagnostics", file=str(p))
    try:
        return tuple(diagnostics_from_dict(d) for d in data)
    except (KeyError, TypeError) as exc:
        raise ReportError(f"a weighting diagnostic lacks {exc}", file=str(p)) from None


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ReportError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    rows = []
    for r in reader:
        rows.append((reader.line_num, {k.strip(): (v or "").strip() for k, v in r.items() if k}))
    return header, rows


def load_fieldwork(path: str | Path) -> FieldworkSummary:
    """A fieldwork CSV: one row per sampled case, column ``outcome`` (AAPOR code) and
    optionally ``minutes`` (interview length) and ``date`` (of the final outcome).

    Example:
        >>> load_fieldwork("demo/fieldwork.csv").rr1  # doctest: +SKIP
    """
    p = Path(path)
    header, rows = _csv_rows(p)
    if "outcome" not in header:
        raise ReportError("missing column 'outcome'", file=str(p), line=1)
    minutes = None
    if "minutes" in header:
        values = []
        for line, row in rows:
            cell = row.get("minutes", "")
            try:
                values.append(float(cell) if cell else math.nan)
            except ValueError:
                raise ReportError(
                    "not a number", file=str(p), line=line, column="minutes", got=cell
                ) from None
        minutes = np.array(values)
    dates: list[dt.date | None] | None = None
    if "date" in header:  # the date of each case's final outcome: the fieldwork period
        dates = []
        for line, row in rows:
            cell = row.get("date", "")
            try:
                dates.append(dt.date.fromisoformat(cell[:10]) if cell else None)
            except ValueError:
                raise ReportError(
                    "not a date (YYYY-MM-DD)", file=str(p), line=line, column="date", got=cell
                ) from None
    try:
        return summarize_fieldwork([row["outcome"] for _, row in rows], minutes, dates=dates)
    except ReportError as exc:
        bad = next((line for line, row in rows if str(row["outcome"]) == str(exc.got)), None)
        raise ReportError(
            exc.message, file=str(p), line=bad, column="outcome", got=exc.got, expected=exc.expected
        ) from None


def load_sae_covariates(path: str | Path) -> tuple[dict[str, tuple[float, ...]], tuple[str, ...]]:
    """Town covariates for the Fay-Herriot model: first column the town code, then numbers.

    Example:
        >>> load_sae_covariates("demo/town-covariates.csv")[1]  # doctest: +SKIP
        ('urban_share',)
    """
    p = Path(path)
    header, rows = _csv_rows(p)
    if len(header) < 2:
        raise ReportError("needs a town column and at least one covariate", file=str(p), line=1)
    out: dict[str, tuple[float, ...]] = {}
    for line, row in rows:
        values = []
        for name in header[1:]:
            try:
                values.append(float(row[name]))
            except ValueError:
                raise ReportError(
                    "not a number", file=str(p), line=line, column=name, got=row[name]
                ) from None
        out[row[header[0]]] = tuple(values)
    return out, tuple(header[1:])


@dataclass(frozen=True, slots=True)
class LoadedInputs:
    """Everything the report job's files hold, ready for :func:`reports.data.build_report_data`."""

    spec: ReportSpec
    questionnaire: Questionnaire
    previous: tuple[WaveEstimates, ...]
    capacity: tuple[IndicatorProgress, ...] | None
    capacity_tolerance: float
    fieldwork: FieldworkSummary | None
    prior_weighting: tuple[WeightingDiagnostics, ...]


def load_inputs(spec: ReportSpec, inputs: ReportInputs, report_date: dt.date) -> LoadedInputs:
    """Read every file named in the ``report:`` section.

    Capacity indicators are evaluated on ``capacity.as_of`` (default: the report date);
    without a ``targets`` file the plan's prefilled targets are used.

    Example:
        >>> loaded = load_inputs(*load_report_job("job.yaml"), dt.date.today())  # doctest: +SKIP
    """
    questionnaire = load_questionnaire(inputs.questionnaire or DEFAULT_QUESTIONNAIRE)
    previous = tuple(load_wave_estimates(p) for p in inputs.previous)
    capacity = None
    tolerance = 0.9
    if inputs.capacity_values is not None or inputs.capacity_targets is not None:
        plan = load_capacity_plan(inputs.capacity_targets or DEFAULT_CAPACITY_PLAN)
        values: tuple[ReportedValue, ...] = ()
        if inputs.capacity_values is not None:
            values = load_capacity_values(inputs.capacity_values, plan)
        capacity = evaluate_capacity(plan, values, inputs.capacity_as_of or report_date)
        tolerance = plan.tolerance
    if inputs.sae_covariates is not None:
        cov, names = load_sae_covariates(inputs.sae_covariates)
        spec = replace(spec, sae_covariates=cov, sae_covariate_names=names)
    return LoadedInputs(
        spec=spec,
        questionnaire=questionnaire,
        previous=previous,
        capacity=capacity,
        capacity_tolerance=tolerance,
        fieldwork=load_fieldwork(inputs.fieldwork) if inputs.fieldwork else None,
        prior_weighting=load_prior_weighting(inputs.prior_weighting)
        if inputs.prior_weighting
        else (),
    )


def report_from_job(
    path: str | Path,
    *,
    wave_loader: Any = None,
    cases_loader: Any = None,
    generated: dt.date | None = None,
) -> Any:
    """Read a report job and everything it names, and build the :class:`ReportData`
    (a :class:`reports.wellbeing.WellbeingData` when the questionnaire has scales and no
    test items).

    Args:
        path: the report job YAML.
        wave_loader: ``name -> analysis table`` for ``wave:`` jobs (the CLI passes
            ``survey.analysis.load_analysis_table``).
        cases_loader: ``name -> fieldwork table`` for the ``nonresponse:`` step of
            ``wave:`` jobs without ``cases:`` (the CLI passes
            ``survey.analysis.load_fieldwork``); called only then.
        generated: report date (default today).

    Raises:
        ReportError, sampling.JobError: unreadable or invalid inputs.

    Example:
        >>> report_from_job("demo/report-job.yaml").overall.estimate  # doctest: +SKIP
    """
    from reports.data import build_report_data
    from reports.wellbeing import build_wellbeing_data
    from reports.wellbeing import is_wellbeing
    from sampling.job import load_cases
    from sampling.job import load_table

    spec, inputs = load_report_job(path)
    report_date = generated or dt.date.today()
    loaded = load_inputs(spec, inputs, report_date)
    table = load_table(loaded.spec.job, wave_loader=wave_loader)
    cases = load_cases(loaded.spec.job, cases_loader=cases_loader)
    if is_wellbeing(loaded.questionnaire):
        # a survey with scales and no test items: the mental-health report
        return build_wellbeing_data(table.columns, loaded.questionnaire, loaded.spec,
                                    generated=report_date, cases=cases)  # fmt: skip
    return build_report_data(
        table.columns,
        loaded.questionnaire,
        loaded.spec,
        previous=loaded.previous,
        capacity=loaded.capacity,
        fieldwork=loaded.fieldwork,
        prior_weighting=loaded.prior_weighting,
        generated=report_date,
        capacity_tolerance=loaded.capacity_tolerance,
        capacity_as_of=inputs.capacity_as_of or report_date,
        cases=cases,
    )
