"""``kesu score`` and ``kesu items``: score exported responses, analyse items.

Edges: these commands read and write files and import :mod:`survey` lazily for the
``--wave`` forms. The table's columns are the questionnaire's variables (multiple
answers written ``A;B``). Tables are read by the one table layer (:mod:`kesu.tables`:
CSV in UTF-8, with a BOM or GB18030/GBK, ``--encoding``; ``.xlsx``, ``--sheet``;
Parquet) and written as CSV with a BOM so that Excel shows Chinese correctly.

Strict codes: before scoring, every column the questionnaire defines (answers of
choice items, demographics such as town and sex) is checked and labels in any
language are mapped to codes (``佛堂镇``, ``Fotang`` -> ``fotang``,
:func:`questionnaires.codes.recode_table`); other values stop the command with
their counts and rows. ``--unknown-codes missing`` lets unknown answers of the
*scored* items through as no answer (the encoder counts them).
"""

from __future__ import annotations

import contextlib
import getpass
import importlib
import logging
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
from numpy.typing import NDArray

from kesu.errors import KesuError
from kesu.tables import Table
from kesu.tables import write_csv
from scoring.encode import UnknownCodes
from scoring.encode import encode_columns
from scoring.errors import ScoringError
from scoring.items import FlagThresholds
from scoring.items import ItemAnalysis
from scoring.items import analyze_items
from scoring.items import analyze_responses
from scoring.items import check_weights
from scoring.scales import ScaleSheet
from scoring.scales import score_scales
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


def read_responses(path: Path, encoding: str | None = None, sheet: str | None = None) -> Table:
    """A responses table (CSV in any encoding, .xlsx or Parquet) by :mod:`kesu.tables`."""
    from kesu.tables import read_table

    try:
        return read_table(path, encoding=encoding, sheet=sheet, what="responses file")
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None


def coded_columns(
    q: Any, table: Table, *, lenient_scored: bool = False
) -> tuple[list[str], dict[str, list[str]]]:
    """Header and text columns of ``table`` with the questionnaire's coded columns checked
    and mapped to codes (module docstring); stops with the unknown values.

    ``lenient_scored`` leaves unknown answers of scored items to the encoder
    (``--unknown-codes missing``).
    """
    from questionnaires.codes import option_codes
    from questionnaires.codes import recode_table

    lenient = [i.id for i in q.scored_items] if lenient_scored else []
    try:
        table, _ = recode_table(
            table, option_codes(q), what=f"questionnaire {q.id}", lenient=lenient
        )
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None
    header = list(table.order)
    return header, {h: table.labels(h).tolist() for h in header}


def group_columns(q: Any, columns: dict[str, list[str]], survey_year: int) -> dict[str, list[str]]:
    """``group_<id>`` (1/0) of every key group whose rule can be evaluated on the columns.

    A group whose rule reads a variable the table does not have is left out (with a
    warning), never written as all zeros: a report then stops naming its column.
    """
    from kesu.tables import parse_number
    from questionnaires.model import ItemType

    derived = {d.name: d.expression.names for d in q.derived}
    usable = []
    for g in q.groups:
        needed: set[str] = set()
        stack, seen = list(g.rule.names), set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in derived:
                stack.extend(derived[name])
            elif name != "survey_year":
                needed.add(name)
        lacking = sorted(needed - set(columns))
        if lacking:
            logger.warning("key group %s not written: no column %s", g.id, ", ".join(lacking))
        else:
            usable.append(g.id)
    if not usable:
        return {}
    types = {v: q.item(v).type for v in q.variables if v in columns}
    n = len(next(iter(columns.values()))) if columns else 0
    out: dict[str, list[str]] = {f"group_{g}": [] for g in usable}
    for i in range(n):
        answers: dict[str, Any] = {}
        for var, kind in types.items():
            cell = columns[var][i]
            if cell == "":
                continue
            if kind is ItemType.MULTIPLE:
                answers[var] = cell.split(";")
            elif kind is ItemType.NUMBER:
                try:
                    answers[var] = parse_number(cell)
                except ValueError:
                    continue
            else:
                answers[var] = cell
        flags = q.group_flags(answers, survey_year)
        for g in usable:
            out[f"group_{g}"].append("1" if flags[g] else "0")
    return out


def _format(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else format(float(value), ".10g")
    return str(value)


def write_scored_csv(
    path: Path | None,
    header: Sequence[str],
    columns: dict[str, list[str]],
    scores: Mapping[str, NDArray[Any]],
    n: int,
) -> None:
    """Every input column, then the ``n`` rows of the score columns (replacing input
    columns of that name); NaN scores are written as empty cells. CSV with a BOM (none on
    standard output)."""
    replaced = [c for c in scores if c in columns]
    if replaced:
        logger.warning("replacing existing column(s) %s with new scores", ", ".join(replaced))
    out_header = list(header) + [c for c in scores if c not in columns]
    score_text = {
        c: [_format(v) for v in np.asarray(values).tolist()] for c, values in scores.items()
    }
    merged = {**columns, **score_text}
    rows = ([merged[c][i] for c in out_header] for i in range(n))
    write_csv(path, out_header, rows)


def _scale_summary(sheet: ScaleSheet) -> str:
    parts = []
    for scale_id, codes in zip(sheet.scale_ids, sheet.band_codes, strict=True):
        if codes:
            shares = sheet.band_shares(scale_id)
            text = ", ".join(f"{k} {100 * v:.1f}%" for k, v in shares.items())
            parts.append(f"{scale_id}: {text}")
    missing = int((sheet.band < 0).sum())
    tail = f"; {missing} scale score(s) missing (too few items answered)" if missing else ""
    return f"{sheet.n} respondents, scales (unweighted) " + "; ".join(parts) + tail


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
@click.option("--encoding", help="Text encoding of a CSV file (default: detected).")
@click.option("--sheet", "sheet_name", help="Worksheet of an .xlsx file (default: the first).")
@click.option(
    "--survey-year",
    type=int,
    help="Year of the fieldwork, for ages in key-group rules (default: the questionnaire's).",
)
def score(
    responses: Path | None,
    questionnaire: Path | None,
    output: Path | None,
    wave: str | None,
    actor: str | None,
    rule: str | None,
    unknown_codes: str,
    encoding: str | None,
    sheet_name: str | None,
    survey_year: int | None,
) -> None:
    """Score RESPONSES (CSV, .xlsx or Parquet; or a wave): test points, dimensions, total,
    level; scales.

    \b
    kesu score answers.csv -q questionnaires/yiwu-csl-2025.yaml -o scored.csv
    kesu score --wave 2025-spring
    """
    if wave is not None:
        if responses is not None or questionnaire is not None or rule is not None:
            raise click.UsageError(
                "--wave rescores with the wave's stored questionnaire and rules: "
                "do not give RESPONSES.csv, --questionnaire or --rule with it"
            )
        _rescore_wave(wave, actor or _login())
        return
    if responses is None or questionnaire is None or output is None:
        raise click.UsageError("kesu score RESPONSES.csv needs --questionnaire and -o/--output")
    if not responses.is_file():
        raise click.UsageError(f"no such file: {responses}")
    q = _load(questionnaire)
    policy = UnknownCodes(unknown_codes)
    header, columns = coded_columns(
        q,
        read_responses(responses, encoding, sheet_name),
        lenient_scored=policy is UnknownCodes.MISSING,
    )
    scores: dict[str, NDArray[Any]] = {}
    notes = []
    try:
        if q.scored_items or not q.scales:
            sheet = score_responses(q, encode_columns(q, columns, unknown=policy), rule=rule)
            scores.update(sheet.columns())
            notes.append(_summary(sheet))
        if q.scales:
            encoded = encode_columns(q, columns, unknown=policy, variables=q.scale_variables)
            scale_sheet = score_scales(q, encoded)
            scores.update(scale_sheet.columns())
            notes.append(_scale_summary(scale_sheet))
    except ScoringError as exc:
        raise click.ClickException(f"{responses}: {exc}") from None
    groups = group_columns(q, columns, survey_year or q.reference_year)
    for name in groups:
        if name in columns:
            logger.warning("replacing existing column %s with the questionnaire's rule", name)
        else:
            header.append(name)
    columns.update(groups)
    n = len(next(iter(columns.values()), []))
    write_scored_csv(None if str(output) == "-" else output, header, columns, scores, n)
    for note in notes:
        click.echo(note, err=True)


def _login() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "cli"


def _survey(module: str) -> Any:
    """Import a module of the web survey, or stop with a message saying what to do instead."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise click.ClickException(
            f"the --wave form needs the web survey ({module} cannot be imported: {exc}). "
            "Export the wave to CSV and give the file instead."
        ) from None


@contextlib.contextmanager
def survey_session() -> Iterator[Any]:
    """A database session of the configured web survey (instance config, ``KESU_*``).

    Mirrors :func:`survey.analysis.load_analysis_table`; survey errors become CLI errors.
    """
    survey = _survey("survey")
    db_module = _survey("survey.db")
    errors = _survey("survey.errors")
    app = survey.create_app({"GENERATE_SECRET_KEY": True})
    db = db_module.database(app)
    try:
        with app.app_context():
            session = db.sessionmaker()
            try:
                yield session
            except errors.SurveyError as exc:
                session.rollback()
                raise click.ClickException(str(exc)) from None
            finally:
                session.close()
    finally:
        db.engine.dispose()


def _rescore_wave(wave: str, actor: str) -> None:
    analysis = _survey("survey.analysis")
    with survey_session() as session:
        count = analysis.rescore_wave(session, wave, actor)
    click.echo(f"rescored {count} complete responses of wave {wave} (audit actor {actor})")


def _wave_analysis(
    wave: str, weights_column: str | None, thresholds: FlagThresholds
) -> tuple[Any, ItemAnalysis]:
    """Item analysis of a wave's complete, non-rejected responses.

    Weights come from a column of the wave's analysis table
    (``survey.analysis.analysis_table``). The answers come from
    ``survey.analysis.wave_answers(session, wave) -> list[dict]`` (the same rows in the
    same order as the analysis table) when the survey provides it, so option
    frequencies are included; otherwise the item points of the analysis table are
    analysed without option frequencies.
    """
    analysis = _survey("survey.analysis")
    services = _survey("survey.services")
    with survey_session() as session:
        q = services.questionnaire_of(services.get_wave(session, wave).questionnaire_version)
        table = analysis.analysis_table(session, wave)
        answers = None
        if hasattr(analysis, "wave_answers"):
            answers = analysis.wave_answers(session, wave)
    n = len(table["respondent_id"]) if "respondent_id" in table else 0
    if answers is not None and len(answers) != n:
        raise click.ClickException(
            f"wave {wave}: wave_answers gave {len(answers)} rows, the analysis table {n}"
        )
    weights = None
    if weights_column is not None:
        if weights_column not in table:
            raise click.ClickException(
                f"the analysis table of wave {wave} has no column {weights_column!r} "
                f"(columns: {', '.join(table)})"
            )
        weights = _checked(np.asarray(table[weights_column], dtype=np.float64), weights_column)
    try:
        if answers is not None:
            return q, analyze_responses(q, answers, weights=weights, thresholds=thresholds)
        logger.warning("survey.analysis.wave_answers is missing: no option frequencies")
        keys = [(i.id, i.key) for i in q.scored_items if i.key is not None]
        points = np.column_stack([table[f"item_{i}"] for i, _ in keys]).astype(np.float64)
        maxima = np.array([k.points for _, k in keys], dtype=np.float64)
        result = analyze_items(
            points,
            max_points=maxima,
            weights=weights,
            item_ids=[i for i, _ in keys],
            item_dimensions=[k.dimension for _, k in keys],
            thresholds=thresholds,
            right=np.abs(points - maxima[None, :]) < 1e-9,
        )
    except ScoringError as exc:
        raise click.ClickException(f"wave {wave}: {exc}") from None
    return q, result


def _checked(w: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    try:
        return check_weights(w, len(w))
    except ScoringError as exc:
        raise click.ClickException(f"weights column {name!r}: {exc}") from None


def _weights(table: Table, name: str) -> NDArray[np.float64]:
    try:
        values = table.numeric(name, key="--weights")
        return check_weights(values, len(values))
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None


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
    header = list(rows[0]) if rows else []
    write_csv(path, header, ([_format(row[k]) for k in header] for row in rows))


@click.command("items")
@click.argument("responses", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-q",
    "--questionnaire",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Questionnaire YAML the responses answer.",
)
@click.option("--wave", help="Analyse the responses of this wave in the database.")
@click.option(
    "--weights",
    "weights_column",
    help="Column holding survey weights (CSV, or the wave's analysis table).",
)
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
@click.option("--encoding", help="Text encoding of a CSV file (default: detected).")
@click.option("--sheet", "sheet_name", help="Worksheet of an .xlsx file (default: the first).")
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
    encoding: str | None,
    sheet_name: str | None,
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
        if responses is not None or questionnaire is not None:
            raise click.UsageError(
                "--wave uses the wave's stored questionnaire: do not give RESPONSES.csv "
                "or --questionnaire with it"
            )
        q, analysis = _wave_analysis(wave, weights_column, thresholds)
        source = f"wave {wave}"
    else:
        if responses is None or questionnaire is None:
            raise click.UsageError("kesu items RESPONSES.csv needs --questionnaire")
        if not responses.is_file():
            raise click.UsageError(f"no such file: {responses}")
        q = _load(questionnaire)
        table = read_responses(responses, encoding, sheet_name)
        weights = None if weights_column is None else _weights(table, weights_column)
        _, columns = coded_columns(q, table)
        source = str(responses)
        try:
            encoded = encode_columns(q, columns)
            analysis = analyze_responses(q, encoded, weights=weights, thresholds=thresholds)
        except ScoringError as exc:
            raise click.ClickException(f"{source}: {exc}") from None
    click.echo(format_item_table(analysis))
    if output is not None:
        _write_rows(output, analysis.to_rows())
    if options_csv is not None:
        _write_rows(options_csv, analysis.option_rows())
    if pdf is not None:
        from reports.items_page import build_item_analysis_pdf

        labels = {d.id: d.label.get(lang) for d in q.scoring.dimensions}
        footer = f"{q.id} v{q.version} · sha256 {q.short_hash} · {source}"
        pdf.write_bytes(
            build_item_analysis_pdf(analysis, language=lang, dimension_labels=labels,
                                    footer=footer,
                                    item_texts={i.id: i.text.get(lang) for i in q.items})
        )  # fmt: skip
        click.echo(f"wrote {pdf}", err=True)
