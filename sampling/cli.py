"""``kesu weight`` and ``kesu estimate``: run a YAML weighting/estimation job.

This module is an edge: it reads and writes files and, for ``wave:`` jobs,
imports :mod:`survey` lazily to load the wave's analysis table (and, for a
``nonresponse:`` step without ``cases:``, its fieldwork table).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from sampling.errors import JobError
from sampling.errors import SamplingError
from sampling.job import Job
from sampling.job import WeightedSample
from sampling.job import estimate_rows
from sampling.job import load_cases
from sampling.job import load_job
from sampling.job import load_table
from sampling.job import run_weighting
from sampling.tabular import write_csv_table

logger = logging.getLogger(__name__)


def load_wave(name: str) -> Mapping[str, Any]:
    """The analysis table of a survey wave (needs the ``survey`` package and its database)."""
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


def _prepare(job_file: Path) -> tuple[Job, WeightedSample]:
    job = load_job(job_file)
    table = load_table(job, wave_loader=load_wave)
    cases = load_cases(job, cases_loader=load_wave_cases)
    return job, run_weighting(job, table, cases)


def _describe(sample: WeightedSample) -> str:
    d = sample.design
    lines = [
        f"{sample.table.source}: {d.n} rows, {d.n_strata} strata, {d.n_psu} PSUs, "
        f"design df {d.degf}"
    ]
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

    The output has the input columns plus ``weight`` (and ``repw_1``... for
    replicate variance). Diagnostics are printed.
    """
    try:
        job, sample = _prepare(job_file)
        target = output or job.output
        if target is None:
            raise JobError("the job has no output file", param="output", hint="add output: or -o")
        write_csv_table(target, sample.table, sample.output_columns())
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_describe(sample))
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
    """Run JOB_FILE (design, weighting) and print its estimates with confidence intervals."""
    try:
        job, sample = _prepare(job_file)
        rows = estimate_rows(job, sample)
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"estimates": rows}, ensure_ascii=False, indent=2))
    else:
        click.echo(_format_table(rows))
