"""``kesu score`` and ``kesu items``: score exported responses, analyse items.

Edges: these commands read and write files and import :mod:`survey` lazily for the
``--wave`` forms. The CSV columns are the questionnaire's variables (multiple answers
written ``A;B``); files are read as UTF-8 with or without a BOM and written with a BOM
so that Excel shows Chinese correctly.
"""

from __future__ import annotations

import csv
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
from numpy.typing import NDArray

from scoring.encode import UnknownCodes
from scoring.encode import encode_columns
from scoring.errors import ScoringError
from scoring.items import FlagThresholds
from scoring.items import ItemAnalysis
from scoring.items import analyze_responses
from scoring.items import check_weights
from scoring.score import score_responses
from scoring.sheet import ScoreSheet

logger = logging.getLogger(__name__)


def _load(path: Path) -> Any:
    from questionnaires import QuestionnaireError
    from questionnaires import load_questionnaire

    try:
        return load_questionnaire(path)
    except QuestionnaireError as exc:
        raise click.ClickException(f"questionnaire {path} is invalid:\n{exc}") from None


def read_csv(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Header and columns of a CSV file (UTF-8, BOM optional); every value a string."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise click.ClickException(f"{path} is empty (no header row)") from None
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise click.ClickException(f"{path}: duplicate column(s) {', '.join(dupes)}")
        columns: dict[str, list[str]] = {h: [] for h in header}
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise click.ClickException(
                    f"{path}:{line_no}: {len(row)} fields, the header has {len(header)}"
                )
            for h, v in zip(header, row, strict=True):
                columns[h].append(v)
    return header, columns


def _format(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return format(float(value), ".10g")
    return str(value)


def write_scored_csv(
    path: Path | None, header: Sequence[str], columns: dict[str, list[str]], sheet: ScoreSheet
) -> None:
    """Every input column, then the score columns (replacing input columns of that name)."""
    scores = sheet.columns()
    replaced = [c for c in scores if c in columns]
    if replaced:
        logger.warning("replacing existing column(s) %s with new scores", ", ".join(replaced))
    out_header = list(header) + [c for c in scores if c not in columns]
    score_text = {c: [_format(v) for v in values.tolist()] for c, values in scores.items()}
    merged = {**columns, **score_text}
    fh = sys.stdout if path is None else path.open("w", encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(fh)
        writer.writerow(out_header)
        for i in range(sheet.n):
            writer.writerow([merged[c][i] for c in out_header])
    finally:
        if path is not None:
            fh.close()


def _summary(sheet: ScoreSheet) -> str:
    if sheet.n == 0:
        return "0 respondents"
    shares = sheet.level_shares()
    levels = ", ".join(f"{k} {100 * v:.1f}%" for k, v in shares.items())
    return (
        f"{sheet.n} respondents scored ({sheet.rule}); mean total {sheet.total.mean():.2f}; "
        f"literate {100 * sheet.literate.mean():.1f}% (unweighted); levels: {levels}"
    )


@click.command("score")
@click.argument("responses", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-q",
    "--questionnaire",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Questionnaire YAML the responses answer.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scored CSV to write ('-' for standard output).",
)
@click.option("--wave", help="Rescore every response of this wave in the database.")
@click.option("--actor", help="Who rescores (audit log; default: the login name).")
@click.option(
    "--rule",
    type=click.Choice(["national-2021", "miller", "benchmark-2016"]),
    help="Override the questionnaire's rule set.",
)
@click.option(
    "--unknown-codes",
    type=click.Choice([u.value for u in UnknownCodes]),
    default="fail",
    show_default=True,
    help="An answer code that is not an option: stop, or score it as no answer.",
)
def score(
    responses: Path | None,
    questionnaire: Path | None,
    output: Path | None,
    wave: str | None,
    actor: str | None,
    rule: str | None,
    unknown_codes: str,
) -> None:
    """Score RESPONSES.csv (or a wave): item points, dimension scores, total, level.

    \b
    kesu score answers.csv -q questionnaires/yiwu-csl-2025.yaml -o scored.csv
    kesu score --wave 2025-spring
    """
    if wave is not None:
        if responses is not None:
            raise click.UsageError("give either RESPONSES.csv or --wave, not both")
        _rescore_wave(wave, actor or _login())
        return
    if responses is None or questionnaire is None or output is None:
        raise click.UsageError("kesu score RESPONSES.csv needs --questionnaire and -o/--output")
    if not responses.is_file():
        raise click.UsageError(f"no such file: {responses}")
    q = _load(questionnaire)
    header, columns = read_csv(responses)
    try:
        encoded = encode_columns(q, columns, unknown=UnknownCodes(unknown_codes))
        sheet = score_responses(q, encoded, rule=rule)
    except ScoringError as exc:
        raise click.ClickException(f"{responses}: {exc}") from None
    write_scored_csv(None if str(output) == "-" else output, header, columns, sheet)
    click.echo(_summary(sheet), err=True)


def _login() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _rescore_wave(wave: str, actor: str) -> None:
    try:
        from survey.analysis import rescore_wave  # type: ignore[import-not-found]
    except ImportError as exc:
        raise click.ClickException(
            f"kesu score --wave needs the web survey's survey.analysis.rescore_wave, which "
            f"cannot be imported ({exc}). Export the wave to CSV and run "
            "`kesu score FILE.csv -q QUESTIONNAIRE -o scored.csv` instead."
        ) from None
    result = rescore_wave(wave, actor=actor)
    click.echo(f"wave {wave} rescored by {actor}: {result}")


def _weights(columns: dict[str, list[str]], name: str, path: Path) -> NDArray[np.float64]:
    if name not in columns:
        raise click.ClickException(f"{path} has no weights column {name!r}")
    values = []
    for row, text in enumerate(columns[name], start=2):
        try:
            values.append(float(text))
        except ValueError:
            raise click.ClickException(
                f"{path}:{row}: weight {text!r} in column {name!r} is not a number"
            ) from None
    try:
        return check_weights(values, len(values))
    except ScoringError as exc:
        raise click.ClickException(f"{path}: column {name!r}: {exc}") from None


def format_item_table(analysis: ItemAnalysis) -> str:
    """The item analysis as a fixed-width text table (what ``kesu items`` prints)."""
    s = analysis.summary()
    kr20 = "-" if s["kr20"] is None else f"{s['kr20']:.3f}"
    lines = [
        f"n {s['n']} (weights sum {s['weight_sum']:.1f}); {s['items']} items; "
        f"mean total {s['mean_total']:.2f}, SD {s['sd_total']:.2f}; alpha {s['alpha']:.3f}; "
        f"KR-20 {kr20}; SEM {s['sem']:.2f}",
        f"{'item':<8} {'dimension':<12} {'p':>6} {'pbis':>7} {'D27':>7} {'a-del':>7}  flags",
    ]
    for row in analysis.to_rows():
        lines.append(
            f"{row['item']:<8} {row['dimension']:<12} {row['difficulty']:>6.3f} "
            f"{row['pbis']:>7.3f} {row['discrimination']:>7.3f} "
            f"{row['alpha_if_deleted']:>7.3f}  {row['flags']}"
        )
    return "\n".join(lines)


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        if not rows:
            return
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _format(v) for k, v in row.items()})


@click.command("items")
@click.argument("responses", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-q",
    "--questionnaire",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Questionnaire YAML the responses answer.",
)
@click.option("--wave", help="Analyse the responses of this wave in the database.")
@click.option("--weights", "weights_column", help="CSV column holding survey weights.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Item table CSV to write.",
)
@click.option(
    "--options-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Option (distractor) frequencies CSV to write.",
)
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF page of the item table to write.",
)
@click.option("--lang", default="zh-CN", show_default=True, type=click.Choice(["zh-CN", "en"]))
@click.option("--too-easy", default=0.95, show_default=True, help="Flag difficulty above.")
@click.option("--too-hard", default=0.10, show_default=True, help="Flag difficulty below.")
@click.option("--min-pbis", default=0.15, show_default=True, help="Flag point-biserial below.")
@click.option("--group-share", default=0.27, show_default=True, help="Upper/lower group share.")
def items(
    responses: Path | None,
    questionnaire: Path | None,
    wave: str | None,
    weights_column: str | None,
    output: Path | None,
    options_csv: Path | None,
    pdf: Path | None,
    lang: str,
    too_easy: float,
    too_hard: float,
    min_pbis: float,
    group_share: float,
) -> None:
    """Item analysis (difficulty, point-biserial, D, alpha) of RESPONSES.csv or a wave.

    \b
    kesu items answers.csv -q questionnaires/yiwu-csl-2025.yaml --weights weight \\
        -o items.csv --pdf items.pdf
    kesu items --wave 2025-spring --pdf items.pdf
    """
    try:
        thresholds = FlagThresholds(too_easy, too_hard, min_pbis, group_share)
    except ScoringError as exc:
        raise click.UsageError(str(exc)) from None
    if wave is not None:
        if responses is not None:
            raise click.UsageError("give either RESPONSES.csv or --wave, not both")
        q, answers, weights = _wave_answers(wave)
        source = f"wave {wave}"
    else:
        if responses is None or questionnaire is None:
            raise click.UsageError("kesu items RESPONSES.csv needs --questionnaire")
        if not responses.is_file():
            raise click.UsageError(f"no such file: {responses}")
        q = _load(questionnaire)
        _, columns = read_csv(responses)
        weights = None if weights_column is None else _weights(columns, weights_column, responses)
        try:
            answers = encode_columns(q, columns)
        except ScoringError as exc:
            raise click.ClickException(f"{responses}: {exc}") from None
        source = str(responses)
    try:
        analysis = analyze_responses(q, answers, weights=weights, thresholds=thresholds)
    except ScoringError as exc:
        raise click.ClickException(f"{source}: {exc}") from None
    click.echo(format_item_table(analysis))
    if output is not None:
        _write_rows(output, analysis.to_rows())
    if options_csv is not None:
        _write_rows(options_csv, analysis.option_rows())
    if pdf is not None:
        from scoring.items_pdf import build_item_analysis_pdf

        labels = {d.id: d.label.get(lang) for d in q.scoring.dimensions}
        footer = f"{q.id} v{q.version} · sha256 {q.short_hash} · {source}"
        pdf.write_bytes(
            build_item_analysis_pdf(analysis, language=lang, dimension_labels=labels,
                                    footer=footer)
        )  # fmt: skip
        click.echo(f"wrote {pdf}", err=True)


def _wave_answers(wave: str) -> tuple[Any, Any, Any]:
    try:
        from survey.analysis import wave_answers  # type: ignore[import-not-found]
    except ImportError as exc:
        raise click.ClickException(
            f"kesu items --wave needs the web survey's survey.analysis.wave_answers, which "
            f"cannot be imported ({exc}). Export the wave to CSV and run "
            "`kesu items FILE.csv -q QUESTIONNAIRE` instead."
        ) from None
    questionnaire, answers, weights = wave_answers(wave)
    return questionnaire, answers, weights
