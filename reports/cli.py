"""``kesu report`` and ``kesu demo``: the evaluation report from the command line.

An edge module: it reads and writes files and imports :mod:`survey` lazily
(inside functions) for ``--wave``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kesu.errors import KesuError

logger = logging.getLogger(__name__)


def _from_survey(load: Callable[[str], Any], name: str) -> Any:
    """``load(name)`` with :func:`sampling.cli.load_wave` or ``load_wave_cases`` (which import
    :mod:`survey` lazily), their errors as a click message."""
    try:
        return load(name)
    except KesuError as exc:  # survey not installed
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # the survey's own errors (unknown wave, no database)
        raise click.ClickException(f"cannot load wave {name!r}: {exc}") from exc


def _wave_table(name: str) -> Any:
    """The analysis table of a wave in the survey database."""
    from sampling.cli import load_wave

    return _from_survey(load_wave, name)


def _wave_capacity(survey_year: int | None) -> Any:
    """The capacity figures of the database's reporting rounds for ``kesu report --wave``
    (``survey.capacity.services.report_capacity``; None without rounds)."""
    from survey.capacity.services import load_report_capacity

    return load_report_capacity(survey_year)


def _wave_cases(name: str) -> Any:
    """The fieldwork (cases) table of a wave, for a job's ``nonresponse:`` step."""
    from sampling.cli import load_wave_cases

    return _from_survey(load_wave_cases, name)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.command("report")
@click.argument(
    "job_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--wave", "wave", help="Report on a wave of the survey database instead of a job.")
@click.option(
    "-q",
    "--questionnaire",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Questionnaire of the wave (with --wave; default: the bundled questionnaire).",
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The PDF to write.",
)  # fmt: skip
@click.option("--lang", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
@click.option(
    "--estimates",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the estimates (JSON; usable as an earlier wave in a later report).",
)
@click.option("--date", "date", help="Report date (YYYY-MM-DD; default today).")
def report(
    job_file: Path | None,
    wave: str | None,
    questionnaire: Path | None,
    output: Path,
    lang: str,
    estimates: Path | None,
    date: str | None,
) -> None:
    """Build the evaluation report (PDF) from JOB_FILE or from a survey wave.

    JOB_FILE is a weighting job (see ``kesu weight``) with a ``report:`` section
    (earlier waves, capacity CSV, small-area covariates, fieldwork outcomes).

    Example: ``kesu report demo/report-job.yaml -o report.pdf --lang en``
    """
    from reports.loaders import report_from_job
    from reports.pdf import build_pdf
    from reports.wellbeing import WellbeingData
    from reports.wellbeing import is_wellbeing
    from reports.wellbeing import wellbeing_for_table

    if (job_file is None) == (wave is None):
        raise click.UsageError("give either JOB_FILE or --wave NAME")
    generated = _date(date)
    try:
        if job_file is not None:
            data = report_from_job(
                job_file, wave_loader=_wave_table, cases_loader=_wave_cases, generated=generated
            )
        else:
            from questionnaires import DEFAULT_QUESTIONNAIRE
            from questionnaires import load_questionnaire
            from reports.api import report_data_for_table
            from reports.scope import estimation_scope

            # the live dashboard's rule: design-weighted responses only when there are any,
            # every other complete response counted by reason (reports/scope.py)
            table, scope = estimation_scope(_wave_table(str(wave)))
            from kesu.i18n import tr

            for reason, count in scope.left_out.items():  # named as in the PDF's methods
                click.echo("left out: " + tr("en", f"m_left_{reason}", n=count))
            if not scope.design_weighted:
                click.echo("no response has a design weight: the estimates are unweighted")
            q = load_questionnaire(questionnaire or DEFAULT_QUESTIONNAIRE)
            if is_wellbeing(q):
                data = wellbeing_for_table(table, q, wave_name=str(wave), generated=generated)
            else:
                data = report_data_for_table(table, q, wave_name=str(wave), generated=generated)
                if scope.left_out:
                    data = dataclasses.replace(data, notes=(*data.notes, scope.note()))
                capacity = _wave_capacity(data.spec.survey_year or None)
                if capacity is not None:  # the accepted submissions of the capacity rounds
                    data = dataclasses.replace(data, **capacity)
        if isinstance(data, WellbeingData):
            _write_wellbeing(data, output, lang, estimates)
            return
        pdf = build_pdf(data, lang)
    except KesuError as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes(pdf)
    if estimates is not None and data.wave_estimates is not None:
        payload = data.wave_estimates.to_dict()
        payload["figures"] = data.to_dict()
        estimates.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        click.echo(f"wrote {estimates}")
    o = data.overall
    click.echo(
        f"{data.spec.wave_name}: literate {100 * o.estimate:.1f}% "
        f"(95% CI {100 * o.ci_low:.1f}-{100 * o.ci_high:.1f}), n = {o.n}"
    )
    click.echo(f"wrote {output} ({len(pdf):,} bytes)")


@click.command("demo")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Folder for every intermediate file and report.pdf.",
)  # fmt: skip
@click.option("--n-psu", default=140, show_default=True, help="Villages/communities to sample.")
@click.option(
    "--households", default=25, show_default=True, help="Households drawn in each village."
)
@click.option("--seed", default=2025, show_default=True, help="Random seed.")
@click.option("--lang", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
@click.option(
    "--survey",
    type=click.Choice(["literacy", "mental-health"]),
    default="literacy",
    show_default=True,
    help="literacy: the citizen science-literacy survey; mental-health: the civil "
    "servants' anonymous mental-health survey (PHQ-9, GAD-7, work stress).",
)
@click.option(
    "--youth/--no-youth",
    default=True,
    show_default=True,
    help="literacy: also simulate the youth monitoring in schools (its chapter and the "
    "school feedback sheets).",
)
def demo(
    out: Path, n_psu: int, households: int, seed: int, lang: str, survey: str, youth: bool
) -> None:
    """Run the whole pipeline on a synthetic Yiwu (模拟数据) and write report.pdf.

    Sample design, simulated fieldwork, scoring, weighting, estimates and the PDF,
    without a server; every intermediate file is left in --out.

    Example: ``kesu demo --out demo --n-psu 60 --households 20 --seed 1``;
    ``kesu demo --survey mental-health --out mh-demo``
    """
    from reports.demo import STAGES
    from reports.demo import run_demo

    if survey == "mental-health":
        _mental_health_demo(out, seed, lang)
        return
    if n_psu < 28:
        raise click.BadParameter(
            "at least 28 (two villages in each of the 14 towns)", param_hint="--n-psu"
        )
    if households < 1:
        raise click.BadParameter("at least 1", param_hint="--households")
    result = _with_progress(
        STAGES, "kesu demo",
        lambda progress: run_demo(out, n_psu=n_psu, households_per_psu=households, seed=seed,
                                  lang=lang, progress=progress, youth=youth),
    )  # fmt: skip
    o = result.data.overall
    click.echo(
        f"synthetic demo: {result.respondents} respondents; literate {100 * o.estimate:.1f}% "
        f"(95% CI {100 * o.ci_low:.1f}-{100 * o.ci_high:.1f})"
    )
    for name, path in result.files.items():
        click.echo(f"  {name:16s} {path}")


def _write_wellbeing(data: Any, output: Path, lang: str, estimates: Path | None) -> None:
    """The mental-health report (and its published figures as JSON)."""
    from reports.wellbeing_pdf import build_wellbeing_pdf

    pdf = build_wellbeing_pdf(data, lang)
    output.write_bytes(pdf)
    if estimates is not None:
        estimates.write_text(json.dumps(data.to_dict(), ensure_ascii=False, indent=1), "utf-8")
        click.echo(f"wrote {estimates}")
    click.echo(_flag_line(data))
    click.echo(f"wrote {output} ({len(pdf):,} bytes)")


def _flag_line(data: Any) -> str:
    parts = [f"{data.spec.wave_name}: {data.respondents} respondents"]
    for flag in data.questionnaire.scale_flags:
        cell = data.table(flag.id, "").total.cells[0]
        value = "suppressed" if cell.suppressed else f"{100 * cell.estimate:.1f}%"
        parts.append(f"{flag.label.get('en')}: {value}")
    return "; ".join(parts)


def _mental_health_demo(out: Path, seed: int, lang: str) -> None:
    from reports.wellbeing_demo import STAGES
    from reports.wellbeing_demo import run_mental_health_demo

    result = _with_progress(
        STAGES, "kesu demo (mental health)",
        lambda progress: run_mental_health_demo(out, seed=seed, lang=lang, progress=progress),
    )  # fmt: skip
    click.echo(f"synthetic mental-health demo ({result.data.units} units): "
               + _flag_line(result.data))  # fmt: skip
    for name, path in result.files.items():
        click.echo(f"  {name:16s} {path}")


def _with_progress(stages: tuple[str, ...], label: str, run: Callable[[Any], Any]) -> Any:
    """``run(progress)`` under a progress bar on stderr, one step per stage name the run
    reports; kesu's errors become a clean CLI message."""
    with click.progressbar(length=len(stages), label=label, file=sys.stderr,
                           item_show_func=lambda s: s) as bar:  # fmt: skip
        seen: list[str] = []

        def progress(stage: str) -> None:
            if seen:
                bar.update(1, seen[-1])
            seen.append(stage)
            bar.update(0, stage)

        try:
            result = run(progress)
        except KesuError as exc:
            raise click.ClickException(str(exc)) from exc
        bar.update(1, "done")
    return result
