"""``kesu classroom``: the youth monitoring's class lists, school access, and analysis.

* ``import WAVE CLASSES.csv --grade G`` - the sampled classes of a grade wave (the class
  list of ``kesu sample draw`` with a school design; CSV, .xlsx or Parquet);
* ``grant USERNAME WAVE SCHOOL...`` - make a teacher the proctor (or a principal the
  principal) of schools on a wave;
* ``status WAVE`` - classes, sessions and what happened at each seat;
* ``analyse --wave W4 --wave W8 -o youth-results.json [--sheets DIR] [--publish]`` - the
  whole analysis (:func:`reports.youth.analyse_youth`) from the database: the published
  figures (the report job's ``youth:`` file; no school in it), each school's feedback
  sheet as PDF files and, with ``--publish``, stored for that school's principal only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from survey.cli import _actor
from survey.cli import _run

logger = logging.getLogger(__name__)


@click.group("classroom")
def classroom() -> None:
    """Youth monitoring in schools: class lists, proctors and principals, analysis (课堂测试)."""


@classroom.command("import")
@click.argument("wave_name", metavar="WAVE")
@click.argument(
    "path", metavar="CLASSES.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--grade", required=True, help="The wave's grade (rows of other grades are skipped).")
@click.option("--encoding", help="Text encoding of a CSV class list (default: detected).")
@click.option("--sheet", help="Worksheet of an .xlsx class list (default: the first).")
def import_command(
    wave_name: str, path: Path, grade: str, encoding: str | None, sheet: str | None
) -> None:
    """Import the sampled classes of GRADE from the class list (CSV, .xlsx or Parquet)
    into WAVE."""
    from kesu.errors import KesuError
    from kesu.tables import read_table
    from survey.classroom import import_classes

    try:
        table = read_table(path, encoding=encoding, sheet=sheet, what="class list", key="classes")
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None
    labels = {name: table.labels(name).tolist() for name in table.order}
    rows = [{name: labels[name][i] for name in table.order} for i in range(table.n_rows)]
    count = _run(import_classes, wave_name, rows, grade=grade, actor=_actor())
    click.echo(f"wave {wave_name}: {count} classes of grade {grade}")


@classroom.command("grant")
@click.argument("username")
@click.argument("wave_name", metavar="WAVE")
@click.argument("schools", metavar="SCHOOL...", nargs=-1, required=True)
@click.option(
    "--role", type=click.Choice(["proctor", "principal"]), default="proctor", show_default=True
)
def grant_command(username: str, wave_name: str, schools: tuple[str, ...], role: str) -> None:
    """Make USERNAME the proctor (or principal) of SCHOOL... on WAVE."""
    from survey.classroom import grant_school

    for school in schools:
        _run(grant_school, wave_name, username, school, role, actor=_actor())
    click.echo(f"{username} is {role} of {', '.join(schools)} on wave {wave_name}")


@classroom.command("status")
@click.argument("wave_name", metavar="WAVE")
def status_command(wave_name: str) -> None:
    """Classes, sessions and seat outcomes of WAVE."""
    from sqlalchemy import select

    from survey.classroom import effective_status
    from survey.classroom import finish_expired
    from survey.models import ClassSession
    from survey.models import SchoolClass
    from survey.models import SessionSeat
    from survey.services import get_wave

    def report(session: Any) -> list[str]:
        wave = get_wave(session, wave_name)
        finish_expired(session, wave)
        lines = []
        for c in session.scalars(
            select(SchoolClass).where(SchoolClass.wave_id == wave.id).order_by(SchoolClass.class_id)
        ):
            sessions = session.scalars(
                select(ClassSession)
                .where(ClassSession.school_class_id == c.id)
                .order_by(ClassSession.id)
            ).all()
            if not sessions:
                lines.append(f"{c.class_id}: no session")
            for cs in sessions:
                counts: dict[str, int] = {}
                for st in session.scalars(
                    select(SessionSeat.status).where(SessionSeat.session_id == cs.id)
                ):
                    counts[st] = counts.get(st, 0) + 1
                summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                lines.append(f"{c.class_id}: session {cs.code} {effective_status(cs)} ({summary})")
        return lines

    for line in _run(report):
        click.echo(line)


@classroom.command("analyse")
@click.option(
    "--wave",
    "waves",
    multiple=True,
    required=True,
    help="A grade wave; give the base grade first (e.g. --wave y4 --wave y8).",
)
@click.option("--principal-wave", help="The wave of the principal questionnaire.")
@click.option("--teacher-wave", help="The wave of the science-teacher questionnaire.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The published results (JSON; the report job's youth: file).",
)
@click.option(
    "--sheets",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each school's feedback sheet (PDF) and school-results.json here.",
)
@click.option("--publish", is_flag=True, help="Store each school's sheet for its principal.")
@click.option("--seed", default=1, show_default=True, help="Seed of the plausible values.")
@click.option("--lang", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
def analyse_command(
    waves: tuple[str, ...],
    principal_wave: str | None,
    teacher_wave: str | None,
    output: Path,
    sheets: Path | None,
    publish: bool,
    seed: int,
    lang: str,
) -> None:
    """Scale, link and estimate the youth round of WAVES; write the results and the sheets."""
    import numpy as np

    from reports.youth import analyse_youth
    from reports.youth_pdf import school_sheet_pdf
    from survey.school_sheets import store_school_sheet
    from survey.youth_data import load_youth_round

    def run(session: Any) -> Any:
        rnd = load_youth_round(
            session, waves, principal_wave=principal_wave, teacher_wave=teacher_wave
        )
        return rnd, analyse_youth(rnd, rng=np.random.default_rng(seed))

    rnd, results = _run(run)
    output.write_text(json.dumps(results.to_dict(), ensure_ascii=False, indent=1), "utf-8")
    click.echo(f"wrote {output}")
    for g in results.grades:
        s = g.overall.at_least
        if s is not None:
            click.echo(
                f"  grade {g.grade}: {g.overall.n} students, at medium or above "
                f"{100 * s.estimate:.1f}% ({100 * s.ci_low:.1f}-{100 * s.ci_high:.1f})"
            )
    schools = sorted({s.school_id for s in results.schools})
    pdfs = {school: school_sheet_pdf(results, school, lang=lang) for school in schools}
    if sheets is not None:
        sheets.mkdir(parents=True, exist_ok=True)
        (sheets / "school-results.json").write_text(
            json.dumps(results.to_dict(with_schools=True), ensure_ascii=False, indent=1), "utf-8"
        )
        for school, pdf in pdfs.items():
            (sheets / f"{school}.pdf").write_bytes(pdf)
        click.echo(f"wrote {len(pdfs)} school sheets to {sheets}")
    if publish:
        by_wave = {
            w: {str(c["school_id"]) for c in rnd.classes if str(c["grade"]) == g}
            for w, g in zip(waves, rnd.booklets, strict=False)
        }
        for wave_name, wave_schools in by_wave.items():
            for school in sorted(wave_schools & set(pdfs)):
                summary = {"grades": [s.grade for s in results.schools_of(school)]}
                _run(store_school_sheet, wave_name, school, pdfs[school], summary, actor=_actor())
        click.echo(f"published {len(pdfs)} school sheets for their principals")
