"""Exports of a wave's responses: CSV, SPSS ``.sav``, Stata ``.dta``, and the cases file.

Every column is planned from the questionnaire (the single source of truth, also of the
codebook in :mod:`survey.codebook`): ids and design (``prob1..3``, ``base_weight``), the
final disposition, paradata, every answer (a multiple-answer item gives one 0/1 column
per option, e.g. ``channels_tv``, and in CSV also a ';'-joined text column), derived
``age``, key-group flags, scores, quality flags, the review and ``rejected``.

Rows are streamed from the database (``yield_per`` on a server-side cursor) and written
as they come: CSV is yielded in chunks, ``.sav``/``.dta`` are written to a temporary file
in one pass (:mod:`survey.statfiles`) and then streamed, so memory stays flat for any
number of responses.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import operator
import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Item
from questionnaires import ItemType
from questionnaires import Questionnaire
from survey.browse import ResponseFilter
from survey.browse import flag_match
from survey.csvsafe import FORMULA_STARTS
from survey.csvsafe import spreadsheet_safe
from survey.errors import BadRequestError
from survey.fieldwork import wave_settings
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.monitoring import answered_share
from survey.monitoring import derive_disposition
from survey.monitoring import format_time
from survey.monitoring import quality_context
from survey.quality import FLAG_NAMES
from survey.quality import flags_for
from survey.services import get_wave
from survey.services import questionnaire_of
from survey.statfiles import StatColumn
from survey.statfiles import columnwise
from survey.statfiles import write_dta
from survey.statfiles import write_sav

logger = logging.getLogger(__name__)

FORMATS = ("csv", "sav", "dta", "codebook-csv", "codebook-pdf", "cases")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "cases": "text/csv; charset=utf-8",
    "codebook-csv": "text/csv; charset=utf-8",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "codebook-pdf": "application/pdf",
}
EXTENSIONS = {"csv": "csv", "cases": "cases.csv", "codebook-csv": "codebook.csv",
              "sav": "sav", "dta": "dta", "codebook-pdf": "codebook.pdf"}  # fmt: skip
DESIGN_NUMERIC = ("prob1", "prob2", "prob3", "fpc1", "fpc2", "household_weight", "base_weight")
ROWS_PER_QUERY = 1000


@dataclass(frozen=True)
class Column:
    """One export column.

    Attributes:
        name: column name (identical in every format).
        label: variable label (zh-CN).
        kind: ``num`` (numbers), ``str`` (text), ``code`` (answer codes: text in CSV,
            numbers with value labels in .sav/.dta via ``codes``).
        codes: answer code -> number (``code`` columns).
        value_labels: number -> label (``code`` and 0/1 columns).
        width: maximum UTF-8 bytes of a text column.
        csv_only: written to CSV only (the ';'-joined multiple answers).
        item: the questionnaire item behind an answer column.
        option: the option behind a 0/1 column of a multiple-answer item.
    """

    name: str
    label: str
    kind: str
    codes: dict[str, int] = field(default_factory=dict)
    value_labels: dict[int, str] = field(default_factory=dict)
    width: int = 64
    csv_only: bool = False
    item: Item | None = None
    option: str | None = None
    #: the English label when the column has no item to take it from (scales)
    label_en: str = ""


YES_NO = {0: "否 no", 1: "是 yes"}


def _codes(item: Item) -> dict[str, int]:
    """Answer code -> number: the code itself when every code is a whole number, else 1..k."""
    codes = item.codes
    if all(c.isdecimal() and len(c) < 6 for c in codes):
        return {c: int(c) for c in codes}
    return {c: i for i, c in enumerate(codes, start=1)}


def _code_column(name: str, label: str, item: Item) -> Column:
    codes = _codes(item)
    labels = {codes[o.code]: o.label.get("zh-CN") for o in item.options}
    return Column(name, label, "code", codes=codes, value_labels=labels, item=item)


def plan_columns(q: Questionnaire, design_keys: tuple[str, ...] = DESIGN_NUMERIC) -> list[Column]:
    """The export columns of a questionnaire, in order (see the module docstring)."""
    cols = [
        Column("respondent_id", "应答编号 response id", "num"),
        Column("wave", "调查轮次 wave", "str"),
        Column("household_id", "样本户编号 household id", "str"),
        Column("stratum", "层 stratum", "str"),
        Column("psu", "初级抽样单位 PSU", "str"),
        Column("sample_town", "样本所在镇街 town of the sampled case", "str"),
        Column("mode", "调查方式 mode", "str", width=16),
        Column("interviewer", "调查员 interviewer", "str"),
    ]
    cols += [Column(k, f"抽样设计 {k}", "num") for k in design_keys]
    cols += [
        Column("disposition", "最终结果代码 AAPOR disposition", "str", width=16),
        Column("status", "状态 status", "str", width=16),
        Column("started_at", "开始时间 start (UTC)", "str", width=32),
        Column("completed_at", "完成时间 end (UTC)", "str", width=32),
        Column("duration_minutes", "答题时长（分钟） minutes", "num"),
        Column("language", "语言 language", "str", width=16),
    ]
    for item in q.items:
        label = item.text.get("zh-CN")
        if item.type is ItemType.GRID:
            for row in item.rows:
                cols.append(_code_column(row.id, f"{label} - {row.text.get('zh-CN')}", item))
        elif item.type is ItemType.MULTIPLE:
            cols.append(Column(item.id, label, "str", width=512, csv_only=True, item=item))
            for o in item.options:
                cols.append(
                    Column(f"{item.id}_{o.code}", f"{label} - {o.label.get('zh-CN')}", "num",
                           value_labels=YES_NO, item=item, option=o.code)
                )  # fmt: skip
        elif item.type.has_options:
            cols.append(_code_column(item.id, label, item))
        elif item.type is ItemType.NUMBER:
            cols.append(Column(item.id, label, "num", item=item))
        elif item.type is ItemType.DATE:
            cols.append(Column(item.id, label, "str", width=10, item=item))
        else:
            width = min((item.max_length or 500) * 3, 2045)
            cols.append(Column(item.id, label, "str", width=width, item=item))
    concepts = q.items_by_concept()
    if "age" not in concepts and any(d.name == "age" for d in q.derived):
        cols.append(Column("age", "年龄 age", "num"))
    for g in q.groups:
        cols.append(Column(f"group_{g.id}", f"重点人群 {g.label.get('zh-CN')}", "num",
                           value_labels=YES_NO))  # fmt: skip
    if q.scored_items:
        cols += _literacy_columns(q)
    cols += scale_columns(q)
    for name in FLAG_NAMES:
        cols.append(Column(f"quality_{name}", f"质量标记 {name}", "num", value_labels=YES_NO))
    cols += [
        Column("quality_flags", "质量标记数 number of flags", "num"),
        Column("review", "审核 review", "str", width=16),
        Column("rejected", "已剔除 rejected", "num", value_labels=YES_NO),
        Column("questionnaire_hash", "问卷版本 questionnaire hash", "str"),
    ]
    return cols


def _literacy_columns(q: Questionnaire) -> list[Column]:
    cols = [Column(f"item_{item.id}", f"得分 {item.id}", "num") for item in q.scored_items]
    for dim in q.scoring.dimensions:
        cols.append(Column(f"score_{dim.id}", f"得分 {dim.label.get('zh-CN')}", "num"))
    cols.append(Column("score_total", "总分 total score (0-100)", "num"))
    levels = {i: lv.code for i, lv in enumerate(q.scoring.levels, start=1)}
    cols.append(Column("level", "科学素质水平 level", "code",
                       codes={v: k for k, v in levels.items()},
                       value_labels={k: f"{v} {q.scoring.levels[k - 1].label.get('zh-CN')}"
                                     for k, v in levels.items()}))  # fmt: skip
    cols.append(Column("literate", "具备科学素质 literate", "num", value_labels=YES_NO))
    return cols


def scale_columns(q: Questionnaire) -> list[Column]:
    """``scale_<id>`` (score), ``band_<id>`` (coded 1..k with the band labels) and
    ``flag_<id>`` (0/1) of the questionnaire's scales, labelled in both languages."""
    cols: list[Column] = []
    for scale in q.scales:
        zh, en = scale.label.get("zh-CN"), scale.label.get("en")
        rule = f"{scale.method.value} {scale.low:g}-{scale.high:g}"
        cols.append(Column(f"scale_{scale.id}", f"{zh} 得分", "num",
                           label_en=f"{en} score ({rule})"))  # fmt: skip
        if scale.bands:
            codes = {b.code: i for i, b in enumerate(scale.bands, start=1)}
            labels = {i: f"{b.code} {b.label.get('zh-CN')}"
                      for i, b in enumerate(scale.bands, start=1)}  # fmt: skip
            cols.append(Column(f"band_{scale.id}", f"{zh} 分级", "code", codes=codes,
                               value_labels=labels, width=32, label_en=f"{en} band"))  # fmt: skip
        for flag in scale.flags:
            cols.append(Column(f"flag_{flag.id}", flag.label.get("zh-CN"), "num",
                               value_labels=YES_NO, label_en=flag.label.get("en")))  # fmt: skip
    return cols


@dataclass(frozen=True)
class ExportPlan:
    """The columns and the wave they belong to."""

    wave: Wave
    questionnaire: Questionnaire
    columns: list[Column]


def export_plan(session: Session, wave_name: str) -> ExportPlan:
    """The plan of a wave's export. Raises NotFoundError."""
    wave = get_wave(session, wave_name)
    q = questionnaire_of(wave.questionnaire_version)
    return ExportPlan(wave, q, plan_columns(q))


class _AnswerColumns:
    """The answer columns split by kind, so a row is filled with plain loops (hot path)."""

    def __init__(self, columns: list[Column]) -> None:
        self.simple: list[str] = []
        self.joined: list[tuple[str, str]] = []
        self.options: list[tuple[str, str, str]] = []
        for c in columns:
            if c.item is None:
                continue
            if c.option is not None:
                self.options.append((c.name, c.item.id, c.option))
            elif c.item.type is ItemType.MULTIPLE:
                self.joined.append((c.name, c.item.id))
            else:
                self.simple.append(c.name)

    def fill(self, row: dict[str, Any], answers: dict[str, Any]) -> None:
        get = answers.get
        simple = self.simple
        row.update(zip(simple, map(get, simple), strict=True))
        for name, item_id in self.joined:
            given = get(item_id)
            row[name] = ";".join(map(str, given)) if isinstance(given, list) else given
        for name, item_id, code in self.options:
            given = get(item_id)
            row[name] = (1 if code in given else 0) if isinstance(given, list) else None


class _Derivation:
    """``age`` and the ``group_*`` flags of a response, remembered by the answers they are
    computed from (the inputs of the derived variables and group rules: birth year, sex,
    education...): respondents share few combinations, so most rows reuse one."""

    def __init__(self, q: Questionnaire, survey_year: int | None, with_age: bool) -> None:
        self.q, self.survey_year, self.with_age = q, survey_year, with_age
        self.groups = [(f"group_{g.id}", g.rule) for g in q.groups]
        derived = {d.name for d in q.derived}
        names: set[str] = set()
        for d in q.derived:
            names |= d.expression.names
        for g in q.groups:
            names |= g.rule.names
        self.inputs = tuple(sorted(names - derived - {"survey_year"}))
        self.memo: dict[tuple[Any, ...], tuple[Any, list[int]]] = {}

    def fill(self, row: dict[str, Any], answers: dict[str, Any], complete: bool) -> None:
        get = answers.get
        key = tuple(tuple(v) if isinstance(v, list) else v for v in map(get, self.inputs))
        try:
            found = self.memo.get(key)
        except TypeError:  # an unhashable answer (not one kesu stores): computed, not kept
            key, found = (), None
        if found is None:
            env = self.q.environment({k: answers[k] for k in self.inputs if k in answers},
                                     self.survey_year)  # fmt: skip
            age = env.get("age")
            found = (age if isinstance(age, int | float) else None,
                     [int(bool(rule.test(env))) for _, rule in self.groups])  # fmt: skip
            if key and len(self.memo) < 100_000:
                self.memo[key] = found
        if self.with_age:
            row["age"] = found[0]
        for (name, _), flag in zip(self.groups, found[1], strict=True):
            row[name] = flag if complete else None


def export_rows(
    session: Session, plan: ExportPlan, *, include_partial: bool = True,
    only: ResponseFilter | None = None,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """One dict per response (column name -> CSV-style value), streamed in id order;
    ``only``: just the responses this filter of the response browser lets through."""
    wave, q = plan.wave, plan.questionnaire
    settings = wave_settings(wave)
    context = quality_context(session, wave)
    statuses = [ResponseStatus.COMPLETE] + ([ResponseStatus.PARTIAL] if include_partial else [])
    # plain columns, not ORM entities: no identity map, and the paradata JSON is not read
    stmt = (
        select(Response.id, Response.status, Response.mode, Response.started_at,
               Response.completed_at, Response.duration_seconds, Response.language,
               Response.review, Response.rejected, Response.answers, Response.score,
               Response.device_id, Response.answers_hash, Invitation.household_id,
               Invitation.stratum, Invitation.psu, Invitation.town, Invitation.attributes,
               Invitation.disposition, User.username)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .where(Response.wave_id == wave.id, Response.status.in_(statuses),
               *(only.conditions(wave.id) if only is not None else ()))
        .order_by(Response.id)
        .execution_options(yield_per=ROWS_PER_QUERY, stream_results=True)
    )  # fmt: skip
    answer_cols = _AnswerColumns(plan.columns)
    with_age = any(c.name == "age" for c in plan.columns) and "age" not in q.items_by_concept()
    derive = _Derivation(q, wave.survey_year, with_age)
    threshold = float(settings["partial_threshold"])
    # Core rows on a server-side cursor (no ORM entities); JSON read by orjson (survey.db)
    result = session.connection().execute(stmt)
    for resp in result:
        hh, stratum, psu, town = resp.household_id, resp.stratum, resp.psu, resp.town
        attrs, explicit, username = resp.attributes, resp.disposition, resp.username
        answers = dict(resp.answers or {})
        attrs = dict(attrs or {})
        complete = resp.status is ResponseStatus.COMPLETE
        share = None if complete else answered_share(q, answers, wave.survey_year)
        row: dict[str, Any] = {
            "respondent_id": resp.id, "wave": wave.name, "household_id": hh or "",
            "stratum": stratum or "", "psu": psu or "", "sample_town": town or "",
            "mode": resp.mode, "interviewer": username or "",
            "disposition": derive_disposition(
                explicit=explicit, status=resp.status.value, answered_share=share,
                last_attempt=None, mode=resp.mode, partial_threshold=threshold),
            "status": resp.status.value, "started_at": format_time(resp.started_at),
            "completed_at": format_time(resp.completed_at),
            "duration_minutes": (resp.duration_seconds / 60
                                 if resp.duration_seconds is not None else None),
            "language": resp.language, "review": resp.review or "",
            "rejected": int(bool(resp.rejected)),
            "questionnaire_hash": q.content_hash,
        }  # fmt: skip
        for key in DESIGN_NUMERIC:
            row[key] = attrs.get(key)
        if row["base_weight"] is None and all(attrs.get(k) for k in ("prob1", "prob2", "prob3")):
            row["base_weight"] = 1.0 / (attrs["prob1"] * attrs["prob2"] * attrs["prob3"])
        answer_cols.fill(row, answers)
        derive.fill(row, answers, complete)
        if complete:
            _scores(row, resp.score, q)
            flags = flags_for(q, answers, duration=resp.duration_seconds,
                              device_id=resp.device_id, answer_hash=resp.answers_hash,
                              mode=resp.mode, context=context)  # fmt: skip
            for name, value in flags.items():
                row[f"quality_{name}"] = value
            row["quality_flags"] = sum(flags.values())
        if (
            only is not None
            and only.flag
            and not (complete and flag_match(only.flag, flags, resp.review or ""))
        ):
            continue
        yield row
    session.rollback()


def _scores(row: dict[str, Any], sheet: dict[str, Any] | None, q: Questionnaire) -> None:
    if not sheet or sheet.get("content_hash") != q.content_hash:
        return  # not scored yet (kesu wave rescore): scores stay empty
    for scale_id, result in (sheet.get("scales") or {}).items():
        row[f"scale_{scale_id}"] = result.get("score")
        row[f"band_{scale_id}"] = result.get("band")
    for flag_id, value in (sheet.get("flags") or {}).items():
        row[f"flag_{flag_id}"] = value
    if "total" not in sheet:
        return
    row.update({"item_" + k: v for k, v in sheet.get("items", {}).items()})
    row.update({"score_" + k: v for k, v in sheet.get("dimensions", {}).items()})
    row["score_total"] = sheet.get("total")
    row["level"] = sheet.get("level")
    row["literate"] = int(bool(sheet.get("literate")))


# -- writers ----------------------------------------------------------------------------------
def _csv_float(value: float) -> str:
    if not math.isfinite(value):
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def iter_csv(
    plan: ExportPlan, rows: Iterator[dict[str, Any]], *, chunk_rows: int = 500
) -> Iterator[bytes]:
    """CSV (UTF-8 with BOM) in chunks of ``chunk_rows`` rows; text cells that a spreadsheet
    would run as a formula get a leading apostrophe (:mod:`survey.csvsafe`).

    Each chunk is formatted column by column (one comprehension per column, only the
    columns that can hold text or fractions are inspected) and written by ``writerows``."""
    names = [c.name for c in plan.columns]
    floats: dict[float, str] = {}  # scores repeat a few values: format each once
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(names)
    pick = operator.itemgetter(*names)
    blank = dict.fromkeys(names)

    def cell(v: Any) -> Any:
        # the csv module writes None as '' and ints and strings as they are; floats
        # need the integral/NaN handling; texts are made formula-safe (survey.csvsafe)
        t = type(v)
        if t is str:
            return spreadsheet_safe(v) if v.startswith(FORMULA_STARTS) else v
        if t is float:
            text = floats.get(v)
            if text is None:
                text = _csv_float(v)
                if len(floats) < 4096:
                    floats[v] = text
            return text
        return v

    def flush(batch: list[tuple[Any, ...]]) -> bytes:
        columns = list(zip(*batch, strict=True))
        for i, values in enumerate(columns):
            # answer codes, scores and flags repeat: each distinct value is checked once
            # (not when equal values of two types meet - True, 1 and 1.0 - nor unhashable)
            kinds = set(map(type, values))
            try:
                if bool in kinds or (int in kinds and float in kinds):
                    raise TypeError
                distinct = set(values)
            except TypeError:
                columns[i] = tuple(map(cell, values))
                continue
            changed = {v: c for v in distinct if (c := cell(v)) is not v}
            if changed:
                columns[i] = tuple(map(changed.get, values, values))
        writer.writerows(zip(*columns, strict=True))
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    batch: list[tuple[Any, ...]] = []
    head = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        full = blank.copy()
        full.update(row)
        batch.append(pick(full))
        if len(batch) == chunk_rows:
            yield head + flush(batch)
            head = b""
            batch = []
    yield head + (flush(batch) if batch else b"")


def stat_columns(plan: ExportPlan) -> list[StatColumn]:
    """The .sav/.dta variables of a plan (CSV-only columns left out)."""
    return [
        StatColumn(c.name, c.label, c.kind in ("num", "code"), c.width, dict(c.value_labels))
        for c in plan.columns
        if not c.csv_only
    ]


def _stat_rows(columns: list[Column], rows: Iterator[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """The rows as value tuples in column order, answer codes as their numbers; numbers
    and text pass as they are (the writers treat anything that is not a number as missing
    in a numeric variable). Codes are converted column by column (:func:`columnwise`)."""
    names = [c.name for c in columns]
    pick = operator.itemgetter(*names)
    blank = dict.fromkeys(names)

    def same(value: Any) -> Any:
        return value

    def coded(codes: dict[str, int]) -> Callable[[Any], Any]:
        return lambda value: codes.get(str(value))

    def picked() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            full = blank.copy()
            full.update(row)
            yield pick(full)

    converters = [coded(c.codes) if c.kind == "code" else same for c in columns]
    return columnwise(picked(), converters)


def write_stat_file(
    out: BinaryIO, plan: ExportPlan, rows: Iterator[dict[str, Any]], fmt: str
) -> int:
    """Write ``rows`` as ``sav`` or ``dta`` to the seekable ``out``; returns the row count."""
    columns = [c for c in plan.columns if not c.csv_only]
    converted = _stat_rows(columns, rows)
    label = f"kesu {plan.wave.name} {plan.questionnaire.id} v{plan.questionnaire.version}"
    writer = write_sav if fmt == "sav" else write_dta
    return writer(out, stat_columns(plan), converted, file_label=label)


def stream_file(handle: BinaryIO, block: int = 1 << 16) -> Iterator[bytes]:
    """The contents of ``handle`` from the start, in blocks; closes it at the end."""
    try:
        handle.seek(0)
        while chunk := handle.read(block):
            yield chunk
    finally:
        handle.close()


def export_stream(
    session: Session, wave_name: str, fmt: str, only: ResponseFilter | None = None
) -> Iterator[bytes]:
    """The export of a wave in ``fmt`` (:data:`FORMATS`) as a stream of bytes; ``only``
    (CSV, .sav, .dta): just the responses that filter lets through.

    Raises:
        BadRequestError: unknown format. NotFoundError: no such wave.
    """
    if fmt not in FORMATS:
        raise BadRequestError("unknown export format", param="format", got=fmt[:32],
                              expected=FORMATS)  # fmt: skip
    if fmt == "cases":
        from survey.cases import iter_cases_csv

        return iter_cases_csv(session, wave_name)
    plan = export_plan(session, wave_name)
    if fmt.startswith("codebook"):
        from survey.codebook import codebook_csv
        from survey.codebook import codebook_pdf

        data = codebook_csv(plan) if fmt == "codebook-csv" else codebook_pdf(plan)
        return iter([data])
    rows = export_rows(session, plan, only=only)
    if fmt == "csv":
        return iter_csv(plan, rows)
    spool = tempfile.TemporaryFile()
    try:
        count = write_stat_file(spool, plan, rows, fmt)
    except BaseException:
        spool.close()
        raise
    logger.info("wave %s: wrote %d rows as %s", wave_name, count, fmt)
    return stream_file(spool)
