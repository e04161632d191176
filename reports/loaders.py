"""Loaders for the report's input files (an I/O edge; the cores take data).

Every loader raises :class:`~reports.errors.ReportError` naming the file (and
line and column where there is one).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import Any

from kesu.errors import KesuError
from kesu.tables import Table
from kesu.tables import parse_date
from kesu.tables import read_table
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from reports.capacity import DEFAULT_CAPACITY_PLAN
from reports.capacity import IndicatorProgress
from reports.capacity import ReportedValue
from reports.capacity import evaluate_capacity
from reports.capacity import load_capacity_plan
from reports.capacity import load_capacity_values
from reports.capacity_round import RoundSummary
from reports.capacity_round import accepted_values
from reports.capacity_round import load_rounds
from reports.capacity_round import summarise_round
from reports.errors import CapacityError
from reports.errors import ReportError
from reports.fieldwork import FieldworkSummary
from reports.fieldwork import summarize_fieldwork
from reports.model import WaveEstimates
from reports.model import diagnostics_from_dict
from reports.spec import ReportInputs
from reports.spec import ReportSpec
from reports.spec import parse_report_job
from reports.youth_model import YouthResults
from sampling.job import locate
from sampling.job import read_job_file
from sampling.weighting.base import WeightingDiagnostics

logger = logging.getLogger(__name__)


def load_report_job(path: str | Path) -> tuple[ReportSpec, ReportInputs]:
    """Read a report job YAML (a sampling job plus ``report:``; see :mod:`reports.spec`).

    The file is read by :mod:`kesu.yamlsource` (YAML 1.2, duplicate keys refused) and
    every error names ``FILE:LINE`` of the key concerned.

    Raises:
        SpecError: an invalid ``report:`` section.
        sampling.JobError: unreadable file, invalid YAML, an invalid sampling part.

    Example:
        >>> spec, inputs = load_report_job("demo/report-job.yaml")  # doctest: +SKIP
    """
    p = Path(path)
    data, text = read_job_file(p)
    try:
        return parse_report_job(data, p.parent, job_text=text)
    except KesuError as exc:
        raise locate(exc, data, p) from None


def load_report_questionnaire(inputs: ReportInputs) -> Questionnaire:
    """The questionnaire a report job names (default: the bundled one)."""
    return load_questionnaire(inputs.questionnaire or DEFAULT_QUESTIONNAIRE)


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


def _read(path: Path, what: str) -> Table:
    """A table file by the one table layer (CSV in any encoding, .xlsx, Parquet)."""
    return read_table(path, what=what)


def load_fieldwork(path: str | Path) -> FieldworkSummary:
    """A fieldwork CSV: one row per sampled case, column ``outcome`` (AAPOR code) and
    optionally ``minutes`` (interview length) and ``date`` (of the final outcome).

    Example:
        >>> load_fieldwork("demo/fieldwork.csv").rr1  # doctest: +SKIP
    """
    table = _read(Path(path), "fieldwork file")
    outcomes = table.labels("outcome", key="report.fieldwork")
    minutes = (
        table.numeric("minutes", key="report.fieldwork", allow_missing=True)
        if "minutes" in table
        else None
    )
    dates: list[dt.date | None] | None = None
    if "date" in table:  # the date of each case's final outcome: the fieldwork period
        dates = []
        for i, cell in enumerate(table.labels("date").tolist()):
            try:  # a date, or the date part of a timestamp
                dates.append(parse_date(cell.replace("T", " ").split(" ")[0]) if cell else None)
            except ValueError:
                raise ReportError(
                    "not a date (YYYY-MM-DD)",
                    file=table.source,
                    row=table.row_number(i),
                    column="date",
                    got=cell,
                ) from None
    try:
        return summarize_fieldwork(outcomes.tolist(), minutes, dates=dates)
    except ReportError as exc:
        bad = next((i for i, o in enumerate(outcomes.tolist()) if o == str(exc.got)), None)
        raise ReportError(
            exc.message,
            file=table.source,
            row=None if bad is None else table.row_number(bad),
            column="outcome",
            got=exc.got,
            expected=exc.expected,
        ) from None


def load_sae_covariates(path: str | Path) -> tuple[dict[str, tuple[float, ...]], tuple[str, ...]]:
    """Town covariates for the Fay-Herriot model: first column the town code, then numbers.

    Example:
        >>> load_sae_covariates("demo/town-covariates.csv")[1]  # doctest: +SKIP
        ('urban_share',)
    """
    table = _read(Path(path), "covariates file")
    if len(table.order) < 2:
        raise ReportError("needs a town column and at least one covariate", file=table.source)
    towns = table.labels(table.order[0])
    columns = [table.numeric(name, key="report.sae.covariates") for name in table.order[1:]]
    seen: dict[str, int] = {}
    for i, town in enumerate(towns.tolist()):
        if not town or town in seen:
            raise ReportError(
                "a town without a code"
                if not town
                else f"town {town!r} is also on row {table.row_number(seen[town])}",
                file=table.source,
                row=table.row_number(i),
                column=table.order[0],
            )
        seen[town] = i
    out = {town: tuple(float(c[i]) for c in columns) for i, town in enumerate(towns.tolist())}
    return out, tuple(table.order[1:])


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
    capacity_round: RoundSummary | None = None
    capacity_as_of: dt.date | None = None


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
    summary = None
    as_of = inputs.capacity_as_of
    if inputs.capacity_rounds is not None:
        if inputs.capacity_values is not None:
            raise CapacityError(
                "report.capacity: give rounds or values, not both", file=str(inputs.capacity_rounds)
            )
        plan = load_capacity_plan(inputs.capacity_targets or DEFAULT_CAPACITY_PLAN)
        rounds = load_rounds(inputs.capacity_rounds)
        if not rounds:
            raise CapacityError("the rounds file has no round", file=str(inputs.capacity_rounds))
        latest = max(r.year for r in rounds)
        as_of = as_of or dt.date(latest, 12, 31)
        capacity = evaluate_capacity(plan, accepted_values(plan, rounds), as_of)
        summary = summarise_round(plan, rounds, capacity, report_date)
        tolerance = plan.tolerance
    elif inputs.capacity_values is not None or inputs.capacity_targets is not None:
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
        capacity_round=summary,
        capacity_as_of=as_of,
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
    data = build_report_data(
        table,
        loaded.questionnaire,
        loaded.spec,
        previous=loaded.previous,
        capacity=loaded.capacity,
        fieldwork=loaded.fieldwork,
        prior_weighting=loaded.prior_weighting,
        generated=report_date,
        capacity_tolerance=loaded.capacity_tolerance,
        capacity_as_of=loaded.capacity_as_of or report_date,
        cases=cases,
    )
    if loaded.capacity_round is not None:
        data = replace(data, capacity_round=loaded.capacity_round)
    if inputs.youth is not None:
        data = replace(data, youth=load_youth_results(inputs.youth))
    return data


def load_youth_results(path: Path) -> YouthResults:
    """The youth monitoring's results file (``kesu demo``, ``kesu classroom analyse``).

    Raises:
        ReportError: the file cannot be read or is not a youth results file (names the file).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return YouthResults.from_dict(data)
    except OSError as exc:
        raise ReportError(
            f"cannot read the youth results {str(path)!r}: {exc.strerror}", param="report.youth"
        ) from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ReportError(
            f"{path}: not a youth results file ({type(exc).__name__}: {exc})",
            param="report.youth",
            hint="write it with kesu demo or kesu classroom analyse",
        ) from None
