"""``kesu weight`` and ``kesu estimate``: run a YAML weighting/estimation job.

This module is an edge: it reads and writes files and, for ``wave:`` jobs,
imports :mod:`survey` lazily to load the wave's analysis table (and, for a
``nonresponse:`` step without ``cases:``, its fieldwork table).

A **report job** (a job with a ``report:`` section, :mod:`reports.spec`) is
accepted too: its table is prepared as ``kesu report`` prepares it (required
columns, the questionnaire's codes, ``exclude:``), so both commands weight the
same rows, and ``kesu estimate`` prints the literacy rate, the report's extra
domains (``report.domains``) and the job's ``estimates:``.

Everything heavier than click is imported inside the commands, so that
``kesu estimate --help`` answers at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from kesu.errors import KesuError

if TYPE_CHECKING:
    from sampling.analysis_job import AnalysisSpec
    from sampling.job import EstimateSpec
    from sampling.job import Job
    from sampling.job import WeightedSample

logger = logging.getLogger(__name__)


def load_wave(name: str) -> Mapping[str, Any]:
    """The analysis table of a survey wave (needs the ``survey`` package and its database)."""
    from sampling.errors import JobError

    try:
        from survey.analysis import load_analysis_table
    except ImportError as exc:
        raise JobError(
            f"the wave source needs the survey package ({exc})",
            param="wave",
            got=name,
            hint="install kesu with the web survey, or export the wave to CSV and use data:",
        ) from exc
    # survey/ is not type-checked with this package (mypy follow_imports=skip): state its type
    table: Mapping[str, Any] = load_analysis_table(name)
    return table


def load_wave_cases(name: str) -> Mapping[str, Any]:
    """The fieldwork (cases) table of a survey wave: one row per sampled case."""
    from sampling.errors import JobError

    try:
        from survey.analysis import load_fieldwork
    except ImportError as exc:
        raise JobError(
            f"the wave's fieldwork needs the survey package ({exc})",
            param="nonresponse.cases",
            got=name,
            hint="export the cases (kesu export NAME --format cases) and name the file in "
            "nonresponse.cases",
        ) from exc
    table: Mapping[str, Any] = load_fieldwork(name)
    return table


@dataclass(frozen=True)
class Prepared:
    """A job, its weighted sample and the estimate entries ``kesu estimate`` prints."""

    job: Job
    sample: WeightedSample
    estimates: tuple[EstimateSpec | AnalysisSpec, ...]
    notes: tuple[str, ...] = ()


def prepare(job_file: Path) -> Prepared:
    """Read and weight a job file (or a report job, see the module docstring).

    Raises:
        KesuError: an invalid job, table, cell or design (file, line, row, column named).
    """
    from sampling.job import load_cases
    from sampling.job import load_job
    from sampling.job import load_table
    from sampling.job import run_weighting

    job = load_job(job_file)
    table = load_table(job, wave_loader=load_wave)
    cases = load_cases(job, cases_loader=load_wave_cases)
    if job.report is None:
        return Prepared(job, run_weighting(job, table, cases), job.estimates)
    # a report job: the same rows, codes and weights as kesu report
    from reports.data import weight_report_table
    from reports.loaders import load_report_job
    from reports.loaders import load_report_questionnaire
    from reports.spec import report_estimates
    from sampling.analysis_job import AnalysisSpec

    spec, inputs = load_report_job(job_file)
    questionnaire = load_report_questionnaire(inputs)
    sample, notes = weight_report_table(table, questionnaire, spec, cases)
    analyses = tuple(e for e in spec.job.estimates if isinstance(e, AnalysisSpec))
    return Prepared(spec.job, sample, (*report_estimates(spec), *analyses), tuple(notes))


def _describe(prepared: Prepared) -> str:
    sample = prepared.sample
    d = sample.design
    lines = [
        f"{sample.table.source}: {d.n} rows, {d.n_strata} strata, {d.n_psu} PSUs, "
        f"design df {d.degf}"
    ]
    for rule in sample.excluded:
        lines.append(f"excluded (exclude: {rule.column}): {rule.describe()}")
    if sample.replicate is not None:
        r = sample.replicate
        lines.append(f"replicate weights: {r.method}, {r.n_replicates} replicates, df {r.degf}")
    for step in sample.steps:
        lines.append(step.diagnostics.format())
    return "\n".join(lines)


@click.command("weight")
@click.argument("job_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of the job's output.",
)
def weight(job_file: Path, output: Path | None) -> None:
    """Run the weighting steps of JOB_FILE and write the data with its final weights.

    The output (CSV, UTF-8 with a BOM for Excel) has the input columns plus
    ``weight`` (and ``repw_1``... for replicate variance); rows left out by
    ``exclude:`` are not written, and their count is printed. Diagnostics are
    printed. JOB_FILE may be a report job (a job with a ``report:`` section).
    """
    from sampling.errors import JobError

    try:
        prepared = prepare(job_file)
        target = output or prepared.job.output
        if target is None:
            raise JobError("the job has no output file", param="output", hint="add output: or -o")
        from sampling.job import write_weighted

        write_weighted(target, prepared.sample)
    except KesuError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_describe(prepared))
    click.echo(f"wrote {target}")


def _fmt(x: Any, spec: str = ".6g") -> str:
    return "NA" if x is None else format(x, spec)


def _format_table(estimate_rows: list[dict[str, Any]]) -> str:
    header = ("statistic", "variable", "domain", "estimate", "se", "ci", "df", "deff", "cv", "n")
    rows = [header]
    notes = []
    tests = []
    for row in estimate_rows:
        if "f" in row:  # a test: Wald F of a model term, Rao-Scott
            tests.append(
                f"  {row['statistic']} {row['term']}: F = {_fmt(row['f'], '.4f')} on "
                f"{_fmt(row['df1'], '.3g')} and {_fmt(row['df2'], '.4g')} df, "
                f"p = {_fmt(row['p'], '.4g')}"
            )
            continue
        where = dict(row.get("domain") or {})
        if "term" in row:
            where["term"] = row["term"]
        if "prob" in row:
            where["prob"] = row["prob"]
        domain = ", ".join(f"{k}={v}" for k, v in where.items()) or "(all)"
        ci = f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"
        rows.append(
            (
                row["statistic"],
                row["variable"],
                domain,
                _fmt(row["estimate"]),
                _fmt(row["se"], ".4g"),
                ci,
                _fmt(row["df"], ".0f"),
                _fmt(row.get("deff"), ".3f"),
                _fmt(row.get("cv"), ".3f") if "p" not in row else f"p={_fmt(row['p'], '.3g')}",
                str(row["n"]),
            )
        )
        if row.get("flags"):
            notes.append(f"{row['variable']} {domain}: {', '.join(row['flags'])}")
    widths = [max(len(r[j]) for r in rows) for j in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    if tests:
        lines.append("")
        lines.append("tests:")
        lines.extend(tests)
    if notes:
        lines.append("")
        lines.append("flags:")
        lines.extend(f"  {n}" for n in notes)
    return "\n".join(lines)


@click.command("estimate")
@click.argument("job_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def estimate(job_file: Path, as_json: bool) -> None:
    """Run JOB_FILE (design, weighting) and print its estimates with confidence intervals.

    JOB_FILE may be a report job: then the literacy rate, the report's extra
    domains and the job's estimates are printed, on the rows and codes the
    report uses.
    """
    from sampling.job import estimate_rows

    try:
        prepared = prepare(job_file)
        rows = estimate_rows(prepared.job, prepared.sample, prepared.estimates)
    except KesuError as exc:
        raise click.ClickException(str(exc)) from exc
    excluded = [
        {"column": r.column, "values": list(r.values), "rows": r.rows}
        for r in prepared.sample.excluded
    ]
    if as_json:
        payload: dict[str, Any] = {"estimates": rows, "excluded": excluded}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(_format_table(rows))
        for rule in prepared.sample.excluded:
            click.echo(f"excluded (exclude: {rule.column}): {rule.describe()}")
