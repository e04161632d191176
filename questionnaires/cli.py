"""``kesu questionnaire``: validate and show questionnaire files."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from questionnaires.errors import QuestionnaireError
from questionnaires.loader import load_questionnaire
from questionnaires.loader import validate_file
from questionnaires.model import Questionnaire

logger = logging.getLogger(__name__)


@click.group()
def questionnaire() -> None:
    """Questionnaire files: validate, show, import and export (问卷文件：校验、查看、导入、导出)."""


@questionnaire.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check questionnaire FILES; print one line per problem and exit 1 if any."""
    bad = 0
    for path in files:
        problems = validate_file(path)
        for problem in problems:
            click.echo(str(problem))
        if problems:
            bad += 1
        else:
            click.echo(f"{path}: ok", err=True)
    sys.exit(1 if bad else 0)


@questionnaire.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--lang", default="zh-CN", show_default=True, help="Language of the texts.")
def show(file: Path, lang: str) -> None:
    """Print a readable outline of FILE: sections, items, keys and points."""
    try:
        q = load_questionnaire(file)
    except QuestionnaireError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(render_outline(q, lang))


def render_outline(q: Questionnaire, lang: str = "zh-CN") -> str:
    """The outline ``kesu questionnaire show`` prints."""
    lines = [
        f"{q.title.get(lang)}  [{q.id} v{q.version}]",
        f"sha256 {q.content_hash}",
        f"population: ages {q.population.min_age}-{q.population.max_age}; "
        f"languages: {', '.join(q.languages)}; reference year {q.reference_year}"
        + (f"; about {q.minutes:g} min" if q.minutes else ""),
    ]
    if q.scored_items:
        lines.append(
            f"scoring: {q.scoring.rule}, total {q.scoring.total:g}; levels "
            + ", ".join(f"{lv.code} >= {lv.minimum:g}" for lv in q.scoring.levels)
        )
    lines.append("")
    number = 0
    for section in q.sections:
        cond = f"   [if {section.relevant.source}]" if section.relevant else ""
        lines.append(f"== {section.id}: {section.title.get(lang)}{cond}")
        for item in section.items:
            number += 1
            text = item.text.get(lang).replace("\n", " ")
            if len(text) > 48:
                text = text[:47] + "…"
            extra = []
            if item.key is not None:
                extra.append(f"key {'/'.join(sorted(item.key.correct))}")
                extra.append(f"{item.key.points:g} pt {item.key.dimension}")
            if item.relevant is not None:
                extra.append(f"if {item.relevant.source}")
            if item.concept:
                extra.append(f"concept {item.concept}")
            tail = f"   ({'; '.join(extra)})" if extra else ""
            lines.append(f"  {number:3d}. {item.id:<14} {item.type.value:<9} {text}{tail}")
            for row in item.rows:
                lines.append(f"       - {row.id:<12} {row.text.get(lang)}")
    lines.append("")
    if q.scored_items:
        lines += _points_outline(q, lang)
    for scale in q.scales:
        reverse = f"; reverse {', '.join(sorted(scale.reverse))}" if scale.reverse else ""
        lines.append(
            f"scale {scale.id}: {scale.label.get(lang)} = {scale.method.value} of "
            f"{len(scale.items)} items ({scale.low:g}-{scale.high:g}; at least "
            f"{scale.min_answered} answered{reverse})"
        )
        for band in scale.bands:
            limits = f"{band.minimum:g}-{band.maximum:g}"
            lines.append(f"  {band.code:<18} {limits:<8} {band.label.get(lang)}")
        for flag in scale.flags:
            care = " [care]" if flag.care else ""
            lines.append(f"  flag {flag.id}: {flag.variable} >= {flag.minimum:g}{care}")
    if q.anonymous:
        lines.append("anonymous: open unit links only; no IP or device data stored")
    if q.groups:
        lines.append("key groups:")
        for g in q.groups:
            lines.append(f"  {g.id:<12} {g.label.get(lang):<14} {g.rule.source}")
    return "\n".join(lines)


def _points_outline(q: Questionnaire, lang: str) -> list[str]:
    points = q.points_by_dimension()
    lines = ["points per dimension (raw -> scaled max):"]
    for d in q.scoring.dimensions:
        n = sum(1 for i in q.scored_items if i.key is not None and i.key.dimension == d.id)
        lines.append(
            f"  {d.id:<12} {d.label.get(lang):<12} {n:3d} items  "
            f"{points.get(d.id, 0):6g} -> {d.maximum:g}"
        )
    lines.append(
        f"  {'total':<12} {'':<12} {len(q.scored_items):3d} items  "
        f"{sum(points.values()):6g} -> {q.scoring.total:g}"
    )
    return lines


@questionnaire.command(name="import")
@click.argument("form", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The questionnaire YAML to write.",
)
def import_(form: Path, output: Path) -> None:
    """Read the XLSForm FORM (ODK, Kobo, SurveyCTO) and write it as questionnaire YAML.

    Problems name the sheet, cell and column (survey!F12); what is left out on purpose
    is listed on stderr and at the top of the YAML.
    """
    from questionnaires.xlsform_import import import_xlsform

    try:
        result = import_xlsform(form)
    except QuestionnaireError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for notice in result.notices:
        click.echo(f"{form}: note: {notice}", err=True)
    output.write_text(result.yaml, encoding="utf-8")
    q = result.questionnaire
    click.echo(
        f"{output}: {q.id} v{q.version}, {len(q.sections)} pages, "
        f"{sum(1 for _ in q.items)} items, {len(q.scored_items)} scored",
        err=True,
    )


@questionnaire.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsform"]),
    default="xlsform",
    show_default=True,
    help="xlsform: an .xlsx that pyxform converts for ODK Collect and Kobo.",
)
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="The file to write."
)
def export(file: Path, fmt: str, output: Path) -> None:
    """Write the questionnaire FILE in another format (XLSForm for ODK Collect / Kobo)."""
    from questionnaires.xlsform import INSTALL_HINT
    from questionnaires.xlsform import write_xlsform
    from questionnaires.xpath import XPathError

    try:
        q = load_questionnaire(file)
    except QuestionnaireError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    try:
        write_xlsform(q, output)
    except ImportError:
        click.echo(f"{file}: {INSTALL_HINT}", err=True)
        sys.exit(1)
    except XPathError as exc:
        click.echo(f"{file}: {exc}", err=True)
        sys.exit(1)
    left_out = [f"scales ({', '.join(s.id for s in q.scales)})"] if q.scales else []
    left_out += ["the duty-of-care message (care)"] if q.care is not None else []
    left_out += ["anonymous: true"] if q.anonymous else []
    if left_out:
        click.echo(
            f"{file}: note: XLSForm has no place for {', '.join(left_out)}; "
            f"they are not in {output}: score and field them with kesu",
            err=True,
        )
    click.echo(f"{output}: XLSForm of {q.id} v{q.version} ({fmt})", err=True)
