"""Exports of a wave's responses: CSV, SPSS ``.sav``, Stata ``.dta``, and the cases file.

Every column is planned from the questionnaire (the single source of truth, also of the
codebook in :mod:`survey.codebook`): ids and design (``prob1..3``, ``base_weight``), the
final disposition, paradata, every answer (a multiple-answer item gives one 0/1 column
per option, e.g. ``channels_tv``, and in CSV also a ';'-joined text column), derived
``age``, key-group flags, scores, quality flags, the review and ``rejected``.

How it is fast (issue 15: 300,000 responses at 20,000 rows/s or more) and stays flat in
memory:

* rows are read from a server-side cursor (``yield_per``) in batches, as plain columns
  with the JSON documents as text;
* each JSON document is decoded by msgspec straight into a record of the keys the export
  reads (:func:`_record_type`): the keys it does not read (a score sheet's per-item
  right/wrong, say) are parsed but never made into objects, and a record's values come
  out as one tuple (:func:`_values_of`), the columns' picked from it by one
  ``itemgetter`` (:func:`_fields_getter`);
* each row is a tuple built in segments (:class:`_RowMaker`): the answers by that one
  ``itemgetter``, what repeats across respondents (``age`` and the groups from their
  inputs, a multiple answer's columns from the chosen codes) computed once;
* the writers remember the text (CSV) or the stored value (.sav/.dta,
  :class:`survey.statfiles.RecordPacker`) of each value met, so a row is one more ``map``;
* an export of :data:`PARALLEL_MIN_ROWS` or more responses is made by one worker process
  per CPU (:func:`export_workers`), chunk by chunk of response ids, on PostgreSQL on one
  shared snapshot; the calling process joins the parts in order, holding a few at a time
  (.sav/.dta parts are files: on PostgreSQL each is sent as soon as it is made, after the
  file's beginning, see :func:`_stat_stream`; elsewhere the kernel appends them to a
  temporary file, see :func:`survey.statfiles.append_file`);
* a chunk is read by the primary key in id order, with no sort (see :func:`_selection`),
  and on PostgreSQL joined by index lookups (:data:`_PG_EXPORT_PLAN`).

CSV is yielded in chunks; ``.sav``/``.dta`` are written to a temporary file in one pass
(:mod:`survey.statfiles`) and then streamed, except a large export on PostgreSQL, whose
row count is known before its first row (:func:`_stat_stream`).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from operator import itemgetter
from typing import Any
from typing import BinaryIO

import msgspec
from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from questionnaires import Item
from questionnaires import ItemType
from questionnaires import Questionnaire
from questionnaires.checks import BUILTIN_NAMES
from survey.browse import ResponseFilter
from survey.browse import flag_match
from survey.csvsafe import FORMULA_STARTS
from survey.csvsafe import spreadsheet_safe
from survey.db import json_loads
from survey.errors import BadRequestError
from survey.errors import SurveyError
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
from survey.quality import WaveQuality
from survey.quality import flag_rules
from survey.services import get_wave
from survey.services import questionnaire_of
from survey.statfiles import Packed
from survey.statfiles import StatColumn
from survey.statfiles import record_packer
from survey.statfiles import record_size
from survey.statfiles import stat_file_ends
from survey.statfiles import write_dta
from survey.statfiles import write_sav

logger = logging.getLogger(__name__)

FORMATS = ("csv", "sav", "dta", "codebook-csv", "codebook-pdf", "cases")
#: a response's ``mimetype`` (Werkzeug adds "; charset=utf-8" to text types itself: given
#: here too, it was sent twice)
MEDIA_TYPES = {
    "csv": "text/csv",
    "cases": "text/csv",
    "codebook-csv": "text/csv",
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


#: the response and invitation columns an export reads, in the order rows are unpacked
_SELECTED = (
    # status and times as the database's text (PostgreSQL's times in UTC, see
    # _PG_EXPORT_PLAN), not through SQLAlchemy's Enum and UTCDateTime processing nor the
    # driver's datetime (see _utc_text); the JSON documents as their text, decoded below
    # into records (_record_type)
    Response.id, type_coerce(Response.status, String), Response.mode,
    cast(Response.started_at, Text), cast(Response.completed_at, Text),
    Response.duration_seconds, Response.language, Response.review, Response.rejected,
    cast(Response.answers, Text), cast(Response.score, Text), Response.device_id,
    Response.answers_hash, Invitation.household_id, Invitation.stratum, Invitation.psu,
    Invitation.town, cast(Invitation.attributes, Text), Invitation.disposition, User.username,
)  # fmt: skip
_EMPTY: dict[str, Any] = {}


def _record_type(name: str, keys: Sequence[str], types: Sequence[Any] = ()) -> Any:
    """A msgspec ``Struct`` type that reads the JSON object keys ``keys`` (and skips the
    others without making objects of them): field ``f<i>`` holds key ``i`` (any key is
    thus a valid attribute name), of type ``types[i]`` (default: any JSON value), None
    when the key is absent; :func:`_values_of` gives them in that order. Its instances
    hold plain JSON values (no reference cycles), so the cyclic garbage collector does
    not track them (``gc=False``)."""
    kinds = list(types) or [Any] * len(keys)
    fields = [(f"f{i}", kind, None) for i, kind in enumerate(kinds)]
    return msgspec.defstruct(name, fields, rename={f"f{i}": k for i, k in enumerate(keys)},
                             gc=False)  # fmt: skip


def _fields_getter(keys: Sequence[str], wanted: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the values of the keys ``wanted`` as a tuple, in ``wanted``
    order, from the values of a record of :func:`_record_type` (``keys``) as
    :func:`msgspec.structs.astuple` gives them: one C call (an ``itemgetter`` on a tuple
    instead of an attribute lookup per value)."""
    positions = [keys.index(k) for k in wanted]
    if not positions:
        return lambda _values: ()
    if len(positions) == 1:
        one = positions[0]
        return lambda values: (values[one],)
    return itemgetter(*positions)


#: a record's values as a tuple, in field order (one C call)
_values_of = msgspec.structs.astuple


class _RecordDecoder:
    """JSON text -> a record of :func:`_record_type` (None for JSON ``null``), with the
    values :func:`json.loads` gives: a text msgspec refuses (``NaN``, ``1e400``, a lone
    surrogate escape: see :func:`survey.db.json_loads`) is read by :func:`json.loads` and
    converted."""

    def __init__(self, record: Any) -> None:
        self.type = record | None
        self.decode = msgspec.json.Decoder(self.type).decode

    def __call__(self, text: str | bytes) -> Any:
        try:
            return self.decode(text)
        except msgspec.DecodeError:
            return msgspec.convert(json.loads(text), self.type)


#: a stored time's text in UTC: SQLite's (``2025-05-01 08:00:00.000000``, as
#: :class:`survey.models.UTCDateTime` stores it) or PostgreSQL's under the export's
#: ``TimeZone`` UTC and ``DateStyle`` ISO (``2025-05-01 08:00:00.5+00``)
_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00)?")


def _utc_text(value: Any) -> str:
    """A stored time as :func:`survey.monitoring.format_time` writes it
    (``2025-05-01T08:00:00+00:00``), from what the database gives without type
    processing: the text of a time in UTC (:data:`_UTC_TEXT`: cut and joined, not
    parsed), another ISO text, or a datetime (naive: UTC)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if _UTC_TEXT.fullmatch(value):
            return f"{value[:10]}T{value[11:19]}+00:00"
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_time(value)


class _RowMaker:
    """Turns one database row into one export row: a tuple of every planned column's value,
    in plan order, built as segments (the response and its case; the answers; ``age`` and
    the group flags; the scores; the quality flags; review and version).

    Each segment takes a few C-level calls (``map(answers.get, names)``); what repeats
    across respondents is computed once and remembered by its inputs: the columns of a
    multiple answer by the chosen codes, ``age`` and the groups by the answers they are
    computed from (birth year, sex, education...). The segments' column names are
    checked against the plan when the maker is built, so the plan (:func:`plan_columns`)
    stays the one definition of the columns.
    """

    def __init__(self, plan: ExportPlan, context: WaveQuality) -> None:
        q = plan.questionnaire
        self.q, self.year = q, plan.wave.survey_year
        self.threshold = float(wave_settings(plan.wave)["partial_threshold"])
        self.content_hash = q.content_hash
        self.context = context
        self.flag_rules = flag_rules(q, context)
        names = [c.name for c in plan.columns]
        head = ["respondent_id", "wave", "household_id", "stratum", "psu", "sample_town",
                "mode", "interviewer", *DESIGN_NUMERIC, "disposition", "status",
                "started_at", "completed_at", "duration_minutes", "language"]  # fmt: skip
        # answers: one key per column (a multiple answer's columns all read the item)
        answer_cols = [c for c in plan.columns if c.item is not None]
        self.answer_keys = [c.item.id if c.option is not None or c.item.type is
                            ItemType.MULTIPLE else c.name for c in answer_cols
                            if c.item is not None]  # fmt: skip
        self.multiple: list[tuple[int, int, tuple[str, ...], dict[Any, tuple[Any, ...]]]] = []
        for i, c in enumerate(answer_cols):
            if c.item is not None and c.item.type is ItemType.MULTIPLE and c.option is None:
                codes = tuple(o.code for o in c.item.options)
                self.multiple.append((i, i + 1 + len(codes), codes, {}))
        # age and group flags, remembered by their inputs
        self.with_age = "age" in names and "age" not in q.items_by_concept()
        self.group_count = len(q.groups)
        derived = {d.name for d in q.derived}
        inputs: set[str] = set()
        for d in q.derived:
            inputs |= d.expression.names
        for g in q.groups:
            inputs |= g.rule.names
        self.derive_inputs = tuple(sorted(inputs - derived - BUILTIN_NAMES))
        self.derived_memo: dict[tuple[Any, ...], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        derived_names = (["age"] if self.with_age else []) + [f"group_{g.id}" for g in q.groups]
        # scores: literacy test and scales
        scored = [item.id for item in q.scored_items]
        self.scored_ids = tuple(scored)
        self.dimension_ids = tuple(d.id for d in q.scoring.dimensions) if scored else ()
        literacy_names = ([f"item_{i}" for i in scored]
                          + [f"score_{d}" for d in self.dimension_ids]
                          + (["score_total", "level", "literate"] if scored else []))  # fmt: skip
        self.scale_plan: list[tuple[str, bool, tuple[str, ...]]] = []
        scale_names: list[str] = []
        for col in scale_columns(q):
            kind, _, ident = col.name.partition("_")
            if kind == "scale":
                self.scale_plan.append((ident, False, ()))
            elif kind == "band":
                sid, _, flags = self.scale_plan[-1]
                self.scale_plan[-1] = (sid, True, flags)
            else:
                sid, band, flags = self.scale_plan[-1]
                self.scale_plan[-1] = (sid, band, (*flags, ident))
            scale_names.append(col.name)
        self.blank_scores = (None,) * (len(literacy_names) + len(scale_names))
        self.blank_literacy = (None,) * len(literacy_names)
        flag_names = [f"quality_{f}" for f in FLAG_NAMES] + ["quality_flags"]
        self.blank_flags = (None,) * len(flag_names)
        # the records the JSON documents are decoded into: the answers the columns, the
        # derived variables and the quality flags read; the design values; the scores
        self.flag_inputs = self.flag_rules.inputs
        keys = list(dict.fromkeys([*self.answer_keys, *self.derive_inputs, *self.flag_inputs]))
        answers_type = _record_type("Answers", keys)
        self.read_answers, self.no_answers = _RecordDecoder(answers_type), answers_type()
        self.answer_values = _fields_getter(keys, self.answer_keys)
        self.derive_values = _fields_getter(keys, self.derive_inputs)
        self.flag_values = _fields_getter(keys, self.flag_inputs)
        design_type = _record_type("Design", DESIGN_NUMERIC)
        self.read_design, self.no_design = _RecordDecoder(design_type), design_type()
        items_type = _record_type("ItemScores", self.scored_ids)
        dimensions_type = _record_type("DimensionScores", self.dimension_ids)
        self.read_sheet = _RecordDecoder(msgspec.defstruct("Sheet", [
            ("content_hash", Any, None), ("items", items_type | None, None),
            ("dimensions", dimensions_type | None, None), ("total", Any, None),
            ("level", Any, None), ("literate", Any, None), ("scales", Any, None),
            ("flags", Any, None),
        ], gc=False))  # fmt: skip
        self.blank_items = (None,) * len(self.scored_ids)
        self.blank_dimensions = (None,) * len(self.dimension_ids)
        tail = ["review", "rejected", "questionnaire_hash"]
        built = [*head, *(c.name for c in answer_cols), *derived_names, *literacy_names,
                 *scale_names, *flag_names, *tail]  # fmt: skip
        if built != names:  # pragma: no cover - a column added to the plan but not here
            raise AssertionError(f"export row segments differ from the plan: {built} != {names}")

    def derived(self, answers: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """(``age`` and group flags of a complete response, the same of another), from the
        values of its record of answers (:attr:`read_answers`, :func:`_values_of`)."""
        key: tuple[Any, ...] = self.derive_values(answers)
        try:
            found = self.derived_memo.get(key)
        except TypeError:  # a list (multiple answer) among the inputs: as a tuple
            key = tuple(tuple(v) if isinstance(v, list) else v for v in key)
            try:
                found = self.derived_memo.get(key)
            except TypeError:  # an unhashable answer (not one kesu stores): not kept
                key, found = (), None
        if found is None:
            given = zip(self.derive_inputs, self.derive_values(answers), strict=True)
            env = self.q.environment({k: v for k, v in given if v is not None}, self.year)
            age = env.get("age")
            ages = ((age if isinstance(age, int | float) else None),) if self.with_age else ()
            flags = tuple(int(bool(g.rule.test(env))) for g in self.q.groups)
            found = (ages + flags, ages + (None,) * self.group_count)
            if key and len(self.derived_memo) < 100_000:
                self.derived_memo[key] = found
        return found

    def scores(self, sheet: Any) -> tuple[Any, ...]:
        """The literacy and scale columns from a stored score sheet's record
        (:attr:`read_sheet`; blank when the sheet is missing or was computed for another
        version of the questionnaire)."""
        if sheet is None or sheet.content_hash != self.content_hash:
            return self.blank_scores  # not scored yet (kesu wave rescore)
        items, dims = sheet.items, sheet.dimensions
        if self.scored_ids and (sheet.total is not None or items is not None):
            literacy = (
                *(self.blank_items if items is None else _values_of(items)),
                *(self.blank_dimensions if dims is None else _values_of(dims)),
                sheet.total, sheet.level, int(bool(sheet.literate)),
            )  # fmt: skip
        else:
            literacy = self.blank_literacy
        if not self.scale_plan:
            return literacy
        scales, flags = sheet.scales or _EMPTY, sheet.flags or _EMPTY
        out: list[Any] = list(literacy)
        for scale_id, band, flag_ids in self.scale_plan:
            result = scales.get(scale_id) or _EMPTY
            out.append(result.get("score"))
            if band:
                out.append(result.get("band"))
            out.extend(map(flags.get, flag_ids))
        return tuple(out)

    def answers(self, answers: tuple[Any, ...]) -> list[Any]:
        """The answer columns from the values of a record of answers (:attr:`read_answers`,
        :func:`_values_of`); a multiple answer as its ';'-joined codes and one 0/1 per
        option."""
        values = list(self.answer_values(answers))
        for start, stop, codes, memo in self.multiple:
            given = values[start]
            if type(given) is list:
                key = tuple(given)
                try:
                    segment = memo.get(key)
                except TypeError:
                    key, segment = (), None
                if segment is None:
                    segment = (";".join(map(str, given)), *(int(c in given) for c in codes))
                    if key and len(memo) < 10_000:
                        memo[key] = segment
            elif isinstance(given, list):
                segment = (";".join(map(str, given)), *(int(c in given) for c in codes))
            else:
                segment = (given, *(None,) * len(codes))
            values[start:stop] = segment
        return values


def _selection(
    wave_id: int, columns: Sequence[Any], include_partial: bool,
    only: ResponseFilter | None, ids: tuple[int, int | None] | None = None,
) -> Select[Any]:  # fmt: skip
    """``columns`` of the responses of wave ``wave_id`` an export holds (response -
    invitation - interviewer, as the response browser joins them), in response-id order;
    ``ids``: only the responses with ids in that closed range (an upper bound of None:
    none).

    A range of ids (a worker's chunk) is read by the primary key, which gives the rows in
    id order: the wave is then tested as ``wave_id + 0``, which no index serves. Read by
    the (wave, status) index instead, the two status ranges would need a sort of the wide
    rows (on SQLite a temporary B-tree: a quarter of the chunk's read time), and PostgreSQL
    without statistics (a wave just loaded) would scan the whole wave for every chunk.
    """
    statuses = [ResponseStatus.COMPLETE] + ([ResponseStatus.PARTIAL] if include_partial else [])
    if ids is None:
        rows: tuple[ColumnElement[bool], ...] = (Response.wave_id == wave_id,)
    else:
        rows = ((Response.wave_id + 0) == wave_id, Response.id >= ids[0],
                *(() if ids[1] is None else (Response.id <= ids[1],)))  # fmt: skip
    return (
        select(*columns)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .where(*rows, Response.status.in_(statuses),
               *(only.conditions(None) if only is not None else ()))
        .order_by(Response.id)
    )  # fmt: skip


#: PostgreSQL planner settings for an export's read, in its transaction only (``set_config``
#: with ``is_local``). The responses are read by an index scan, which gives them in id
#: order, and each is joined to its one invitation (and interviewer) by index lookups: the
#: rows come in the order written, with no sort. PostgreSQL's planner does not know the
#: invitations come in that order too; left to itself it hash- or merge-joins (reading
#: every invitation of the database and sorting 1.5 KB rows on disk, chunk after chunk)
#: in parallel workers of its own, beside the export's, and on a table without statistics
#: yet (just loaded) it reads a chunk by a bitmap scan and sorts it on disk. On 300,000
#: responses the server's time per 5,000-response chunk fell from 90-135 ms to 33-44 ms,
#: with or without statistics (``EXPLAIN ANALYZE``). The times are read as text in UTC
#: (``TimeZone``, ``DateStyle``: whatever the server's defaults), which the rows take as
#: they are (:func:`_utc_text`) instead of parsing each into a datetime and formatting it.
_PG_EXPORT_PLAN = text(
    "SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO', true), "
    "set_config('enable_hashjoin', 'off', true), "
    "set_config('enable_mergejoin', 'off', true), "
    "set_config('enable_bitmapscan', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)


def export_batches(
    session: Session, plan: ExportPlan, *, include_partial: bool = True,
    only: ResponseFilter | None = None, ids: tuple[int, int | None] | None = None,
    context: WaveQuality | None = None, maker: _RowMaker | None = None,
) -> Iterator[list[tuple[Any, ...]]]:  # fmt: skip
    """The export rows (one tuple per response, values in plan column order, as CSV
    writes them before formatting: codes, numbers, None for a blank), streamed in
    response-id order in batches of at most :data:`ROWS_PER_QUERY`; ``only``: just the
    responses this filter of the response browser lets through; ``ids``: only the
    responses with ids in that closed range; ``context``: the wave's quality facts when
    already known (:func:`survey.monitoring.quality_context`); ``maker``: a row maker
    built for this plan and these facts by an earlier call, whose memos are kept (a
    worker's chunks)."""
    wave, q = plan.wave, plan.questionnaire
    if context is None:
        context = quality_context(session, wave)
    # plain columns, not ORM entities: no identity map, and the paradata JSON is not read
    stmt = _selection(wave.id, _SELECTED, include_partial, only, ids).execution_options(
        yield_per=ROWS_PER_QUERY, stream_results=True
    )
    if maker is None:
        maker = _RowMaker(plan, context)
    flag_filter = only.flag if only is not None else ""
    wave_name, year, q_hash = wave.name, wave.survey_year, q.content_hash
    threshold = maker.threshold
    rules, complete_status = maker.flag_rules, ResponseStatus.COMPLETE
    read_answers, no_answers, read_sheet = maker.read_answers, maker.no_answers, maker.read_sheet
    read_design, no_design = maker.read_design, maker.no_design
    flag_values = maker.flag_values
    statuses = {s.value: s for s in ResponseStatus}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_EXPORT_PLAN)
    # Core rows on a server-side cursor (no ORM entities); JSON decoded into records
    result = connection.execute(stmt)
    while chunk := result.fetchmany(ROWS_PER_QUERY):
        batch: list[tuple[Any, ...]] = []
        for (rid, status, mode, started, completed, seconds, language, review, rejected,
             answers, sheet, device, digest, hh, stratum, psu, town, attrs, explicit,
             username) in chunk:  # fmt: skip
            given = _values_of((answers and read_answers(answers)) or no_answers)
            design = list(_values_of((attrs and read_design(attrs)) or no_design))
            if design[-1] is None and all(design[:3]):  # base_weight from prob1..prob3
                design[-1] = 1.0 / (design[0] * design[1] * design[2])
            status_text, status = status, statuses[status]
            complete = status is complete_status
            share = None if complete else answered_share(
                q, (answers and json_loads(answers)) or {}, year)  # fmt: skip
            disposition = derive_disposition(
                explicit=explicit, status=status_text, answered_share=share,
                last_attempt=None, mode=mode, partial_threshold=threshold)  # fmt: skip
            complete_derived, other_derived = maker.derived(given)
            if complete:
                flags = rules.flags_of(flag_values(given), seconds, device, digest, mode)
                if flag_filter and not flag_match(flag_filter, dict(zip(FLAG_NAMES, flags,
                                                                         strict=True)),
                                                  review or ""):  # fmt: skip
                    continue
                tail = (*maker.scores(read_sheet(sheet) if sheet else None), *flags, sum(flags))
            else:
                if flag_filter:
                    continue
                tail = (*maker.blank_scores, *maker.blank_flags)
            batch.append((
                rid, wave_name, hh or "", stratum or "", psu or "", town or "", mode,
                username or "", *design, disposition, status_text, _utc_text(started),
                _utc_text(completed), seconds / 60 if seconds is not None else None,
                language, *maker.answers(given),
                *(complete_derived if complete else other_derived), *tail,
                review or "", int(bool(rejected)), q_hash,
            ))  # fmt: skip
        if batch:
            yield batch
    session.rollback()


def export_rows(
    session: Session, plan: ExportPlan, *, include_partial: bool = True,
    only: ResponseFilter | None = None,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """:func:`export_batches` one dict (column name -> value) per response."""
    names = [c.name for c in plan.columns]
    for batch in export_batches(session, plan, include_partial=include_partial, only=only):
        for row in batch:
            yield dict(zip(names, row, strict=True))


# -- writers ----------------------------------------------------------------------------------
def _csv_float(value: float) -> str:
    if not math.isfinite(value):
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_field(value: Any) -> str:
    """The text of one CSV field as ``csv.writer`` (Excel dialect, minimal quoting) writes
    it, except: None is empty; a float is written as an integer when it is one (``2``,
    not ``2.0``) and empty when not finite; ``True``/``False`` are ``1``/``0`` (as in the
    .sav and .dta files); a text a spreadsheet would run as a formula gets a leading
    apostrophe (:mod:`survey.csvsafe`). Values that compare equal get the same text."""
    t = type(value)
    if value is None:
        return ""
    if t is float:
        return _csv_float(value)
    if t is int or t is bool:
        return str(int(value))
    text = value if t is str else str(value)
    if t is str and text.startswith(FORMULA_STARTS):
        text = spreadsheet_safe(text)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


#: columns whose values rarely repeat: formatted value by value, never remembered
_UNIQUE_COLUMNS = frozenset(
    ("respondent_id", "household_id", "started_at", "completed_at", "duration_minutes")
)
_MEMO_LIMIT = 100_000


def _unique(column: Column) -> bool:
    """Whether a column's values rarely repeat (ids, times, free text)."""
    return column.name in _UNIQUE_COLUMNS or (
        column.item is not None and column.item.type is ItemType.TEXT
    )


def iter_csv(plan: ExportPlan, batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[bytes]:
    """CSV (UTF-8 with BOM, Excel dialect: ``,`` and CRLF, quotes only where needed) of
    :func:`export_batches`, one chunk of bytes per batch; each field as :func:`csv_field`.

    A row is one ``map`` over a dict of the texts of the values met so far (answer codes,
    scores, flags and weights repeat, across columns too; equal values have equal texts);
    the columns whose values are unique (ids, times, free text) are formatted directly."""
    return _with_header(plan, _csv_rows(plan, batches))


def _with_header(plan: ExportPlan, lines: Iterable[bytes]) -> Iterator[bytes]:
    """The CSV header (with the UTF-8 BOM) before the first chunk of ``lines``."""
    names = [c.name for c in plan.columns]
    head = ("\ufeff" + ",".join(map(csv_field, names)) + "\r\n").encode("utf-8")
    for chunk in lines:
        yield head + chunk
        head = b""
    if head:  # no rows: the header alone
        yield head


def _csv_rows(
    plan: ExportPlan, batches: Iterable[list[tuple[Any, ...]]], memo: dict[Any, str] | None = None
) -> Iterator[bytes]:
    """The CSV lines of :func:`iter_csv` without the header, one chunk per batch;
    ``memo``: the texts of the values met, kept from an earlier call (a worker's chunks)."""
    unique = [i for i, c in enumerate(plan.columns) if _unique(c)]
    memo = {None: ""} if memo is None else memo
    lookup = memo.__getitem__

    def slow(values: list[Any]) -> list[str]:
        # a value not met before (or one that cannot be a key): formatted and remembered
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
            memo[None] = ""
        cells = []
        for v in values:
            try:
                cells.append(memo[v])
            except KeyError:
                memo[v] = text = csv_field(v)
                cells.append(text)
            except TypeError:
                cells.append(csv_field(v))
        return cells

    for batch in batches:
        lines = []
        for row in batch:
            values = list(row)
            for i in unique:
                values[i] = None
            try:
                cells = list(map(lookup, values))
            except (KeyError, TypeError):
                cells = slow(values)
            for i in unique:
                cells[i] = csv_field(row[i])
            lines.append(",".join(cells))
        lines.append("")
        yield "\r\n".join(lines).encode("utf-8")


def stat_layout(plan: ExportPlan) -> list[StatColumn | None]:
    """The .sav/.dta variable of each of a plan's columns, None for a CSV-only column
    (written to CSV alone); an answer-code variable stores each code as its number
    (``codes``) with the option labels. The export rows are packed as they are, the
    CSV-only values skipped by the packer (:func:`survey.statfiles.record_packer`)."""
    return [None if c.csv_only else _stat_column(c) for c in plan.columns]


def _stat_column(c: Column) -> StatColumn:
    return StatColumn(
        c.name,
        c.label,
        c.kind in ("num", "code"),
        c.width,
        dict(c.value_labels),
        codes=dict(c.codes) if c.kind == "code" else {},
        unique=_unique(c),
    )


def write_stat_file(
    out: BinaryIO, plan: ExportPlan, batches: Iterable[list[tuple[Any, ...]]] | Packed, fmt: str
) -> int:
    """Write :func:`export_batches` (or records packed by worker processes) as ``sav`` or
    ``dta`` to the seekable ``out``; returns the row count."""
    layout = stat_layout(plan)
    rows = batches if isinstance(batches, Packed) else itertools.chain.from_iterable(batches)
    writer = write_sav if fmt == "sav" else write_dta
    return writer(out, [c for c in layout if c is not None], rows,
                  file_label=_file_label(plan), layout=layout)  # fmt: skip


def _file_label(plan: ExportPlan) -> str:
    """The label written in a .sav or .dta file's header."""
    return f"kesu {plan.wave.name} {plan.questionnaire.id} v{plan.questionnaire.version}"


def _stat_stream(
    plan: ExportPlan, fmt: str, rows: int, made: list[tuple[bytes | str, int]],
    parts: Generator[tuple[bytes | str, int], None, None],
) -> SizedStream:  # fmt: skip
    """The ``sav`` or ``dta`` file of ``rows`` responses whose records worker processes
    pack (the parts ``made`` so far, then ``parts``, as :class:`_WorkerParts` gives
    them), written front to back: its beginning (which holds the row count), each part as
    soon as it is made, its end. The download starts at once, and no copy of the whole
    file is kept on the server's disk. A download cut short stops the workers (those
    busy finish their chunk) and removes their parts.

    Each part must hold the rows it says, ``record_size`` bytes each, and the parts
    ``rows`` in all: the file's beginning, sent first, says so.

    Raises:
        ValueError: the file cannot hold these columns (raised here, before anything is
            sent). RuntimeError: a part, or the parts together, hold another number of
            rows (the download is cut short: a file whose beginning is wrong would be
            read wrong).
    """
    try:
        columns = [c for c in stat_layout(plan) if c is not None]
        ends = stat_file_ends(columns, fmt, rows, file_label=_file_label(plan))
    except BaseException:
        parts.close()
        raise
    size = record_size(columns, fmt)
    return SizedStream(_front_to_back(plan.wave.name, fmt, rows, size, ends, made, parts),
                       len(ends[0]) + rows * size + len(ends[1]))  # fmt: skip


def _front_to_back(
    wave_name: str, fmt: str, rows: int, size: int, ends: tuple[bytes, bytes],
    made: list[tuple[bytes | str, int]], parts: Generator[tuple[bytes | str, int], None, None],
) -> Iterator[bytes]:  # fmt: skip
    """:func:`_stat_stream`'s bytes: ``ends[0]``, the parts' records (each checked to be
    its rows' ``size`` bytes each, and no more rows than ``rows`` in all), ``ends[1]``."""
    try:
        yield ends[0]
        written = 0
        for data, count in itertools.chain(made, parts):
            records = data if isinstance(data, bytes) else _taken(data)
            written += count
            if len(records) != count * size or written > rows:
                break
            yield records
        else:
            if written == rows:
                yield ends[1]
                return
        logger.error("wave %s: the %s export's parts do not hold the %d rows counted",
                     wave_name, fmt, rows)  # fmt: skip
        raise RuntimeError(f"the export's parts do not hold the {rows} rows counted")
    finally:
        parts.close()


def _taken(path: str) -> bytes:
    """The contents of the file at ``path``, which is then removed."""
    with open(path, "rb") as part:
        data = part.read()
    os.unlink(path)
    return data


# -- large exports in worker processes ---------------------------------------------------------
#: responses per chunk a worker process exports
CHUNK_ROWS = 5_000
#: exports of fewer responses are made in the calling process
PARALLEL_MIN_ROWS = 30_000
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def export_workers() -> int:
    """How many worker processes a large export uses: ``KESU_EXPORT_WORKERS`` when set
    (1: none), else the number of CPUs this process may run on.

    Raises:
        SurveyError: the setting is not a whole number of at least 1 (checked when the
            web app starts, so a typo stops the start instead of a download).
    """
    setting = os.environ.get("KESU_EXPORT_WORKERS", "").strip()
    if setting:
        if not (setting.isdecimal() and int(setting) >= 1):
            raise SurveyError(
                "KESU_EXPORT_WORKERS is not a whole number of at least 1",
                param="KESU_EXPORT_WORKERS", got=setting[:16], expected="1, 2, 3...",
                hint="unset it to use every CPU, or set 1 to export in one process",
            )  # fmt: skip
        return int(setting)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)  # fmt: skip


def _export_ids(wave_id: int, only: ResponseFilter | None) -> Select[Any]:
    """The ids of the responses an export holds; without a filter, from the index on
    (wave, status) alone, not the wide rows."""
    if only is not None:
        return _selection(wave_id, (Response.id,), True, only)
    statuses = (ResponseStatus.COMPLETE, ResponseStatus.PARTIAL)
    return select(Response.id).where(Response.wave_id == wave_id, Response.status.in_(statuses))


def _id_ranges(
    session: Session, wave_id: int, only: ResponseFilter | None, chunk_rows: int
) -> tuple[list[tuple[int, int | None]], int]:
    """Consecutive runs of ``chunk_rows`` response ids of the export, as (first, last)
    (None: no upper bound), and how many ids there are in all, found by the database in
    one query (``row_number()``, ``count() over ()``): only the first id of each run, and
    the total with it, are sent."""
    ids = _export_ids(wave_id, only).subquery()
    numbered = select(ids.c.id, func.row_number().over(order_by=ids.c.id).label("n"),
                      func.count().over().label("total")).subquery()  # fmt: skip
    found = session.execute(
        select(numbered.c.id, numbered.c.total)
        .where((numbered.c.n - 1) % chunk_rows == 0).order_by(numbered.c.id)
    ).all()  # fmt: skip
    starts = [row[0] for row in found]
    ranges = [(lo, hi - 1) for lo, hi in itertools.pairwise(starts)] + (
        [(starts[-1], None)] if starts else [])  # fmt: skip
    return ranges, (int(found[0][1]) if found else 0)


def _parallel_parts(
    session: Session, plan: ExportPlan, fmt: str, only: ResponseFilter | None
) -> _WorkerParts | None:
    """The export's rows as ``fmt`` parts (CSV lines without the header, or packed
    ``sav``/``dta`` records) made by worker processes, chunk by chunk of response ids, in
    order; None when the export is better made in this process (one CPU, fewer than
    :data:`PARALLEL_MIN_ROWS` responses, or an in-memory database the workers cannot
    open). Chunks hold :data:`CHUNK_ROWS` responses.

    Each worker opens the database itself and exports whole chunks: the rows and their
    formatting (the work that grows with the responses) run on every CPU, and this
    process only joins the parts. At most ``workers + 1`` parts are held at a time, so
    memory stays flat. On PostgreSQL the workers read this process's snapshot
    (``pg_export_snapshot``): the file is one consistent state of the wave, as a single
    query's would be.
    """
    workers = export_workers()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    url = engine.url
    if workers < 2 or (
        url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    ):
        return None
    wave_id, wave_name = plan.wave.id, plan.wave.name
    count = session.scalar(select(func.count()).select_from(
        _export_ids(wave_id, only).order_by(None).subquery())) or 0  # fmt: skip
    if count < PARALLEL_MIN_ROWS:
        return None
    return _WorkerParts(
        engine, wave_name, wave_id, fmt, only, min(workers, -(-count // CHUNK_ROWS))
    )


class _WorkerParts:
    """The parts of a large export made by worker processes (:func:`_parallel_parts`),
    in file order, each with its row count: CSV lines (bytes) or the path of a file of
    packed ``sav``/``dta`` records. Iterated once.

    ``rows``: how many rows the parts hold in all, known before the first part is made
    (set when the iteration begins) where the workers read one snapshot of the database
    and leave out no response they read (PostgreSQL, without a quality-flag filter, which
    Python applies); else None (SQLite: each worker reads the database as it is then).
    """

    def __init__(
        self, engine: Engine, wave_name: str, wave_id: int, fmt: str,
        only: ResponseFilter | None, workers: int,
    ) -> None:  # fmt: skip
        self.engine, self.wave_name, self.wave_id = engine, wave_name, wave_id
        self.fmt, self.only, self.workers = fmt, only, workers
        self.rows: int | None = None

    def __iter__(self) -> Generator[tuple[bytes | str, int], None, None]:
        from concurrent.futures import Future
        from concurrent.futures import ProcessPoolExecutor

        engine, wave_id, fmt, only, workers = (
            self.engine, self.wave_id, self.fmt, self.only, self.workers)  # fmt: skip
        postgres = engine.url.get_backend_name() == "postgresql"
        mp_context = _worker_context()  # first: the fork server imports while we read below
        # a connection of its own, open while the parts are made (the request's session
        # may be closed before a streamed download ends); the quality facts, the chunks
        # and the count are read in its transaction, whose snapshot the workers share on
        # PostgreSQL
        with engine.connect() as conn:
            if postgres:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if postgres:
                    # the transaction waits at the client's pace, idle between parts: a
                    # server's idle_in_transaction_session_timeout would end it, and the
                    # next worker could no longer import its snapshot (the download cut
                    # short). Off for this transaction only
                    conn.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
                snapshot = (conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                            if postgres else None)  # fmt: skip
                with Session(bind=conn, join_transaction_mode="create_savepoint") as own:
                    context = quality_context(own, get_wave(own, self.wave_name))
                    ranges, total = _id_ranges(own, wave_id, only, CHUNK_ROWS)
                    if postgres and not (only is not None and only.flag):
                        self.rows = total
                url = engine.url.render_as_string(hide_password=False)
                parts_dir = None if fmt == "csv" else tempfile.mkdtemp(prefix="kesu-export-")
                pool: ProcessPoolExecutor | None = None
                pending: deque[Future[tuple[bytes | str, int]]] = deque()
                todo = iter(ranges)
                try:
                    pool = ProcessPoolExecutor(
                        max_workers=workers, mp_context=mp_context,
                        initializer=_worker_start,
                        initargs=(url, self.wave_name, fmt, only, context, snapshot, parts_dir),
                    )  # fmt: skip
                    for ids in itertools.islice(todo, workers + 1):
                        pending.append(pool.submit(_worker_chunk, ids))
                    while pending:
                        part = pending.popleft().result()
                        for ids in itertools.islice(todo, 1):
                            pending.append(pool.submit(_worker_chunk, ids))
                        yield part
                finally:
                    if pool is not None:
                        pool.shutdown(wait=True, cancel_futures=True)
                    if parts_dir is not None:  # the parts not joined (an export cut short)
                        shutil.rmtree(parts_dir, ignore_errors=True)


_WORKER: dict[str, Any] = {}


def _worker_context() -> Any:
    """How worker processes start: forked from a fork server that has imported this
    module once (the first large export of a process starts it; later ones fork in
    milliseconds instead of importing for a second each); ``spawn`` where there is no
    fork server (Windows, macOS's default). The fork server is started here, so its
    import runs while the calling process reads the quality facts and the chunks."""
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    forkserver.ensure_running()
    return context


def _worker_start(
    url: str, wave_name: str, fmt: str, only: ResponseFilter | None, context: WaveQuality,
    snapshot: str | None, parts_dir: str | None,
) -> None:  # fmt: skip
    """A worker process's database session, export plan, row maker and writer, kept for
    the export's chunks (what is the same for every chunk is sent once, here: the wave's
    quality facts hold every duplicated answer pattern); ``parts_dir``: where ``sav`` and
    ``dta`` chunks are written as files (a chunk of .sav records is about 11 MB: through a
    file the kernel copies it into the export, instead of pickling it through a pipe).

    The worker only exports: the rows it builds (tuples, dicts and lists of plain
    values) hold no reference cycles, so the cyclic garbage collector, which would
    otherwise scan the young objects every 700 allocations, runs rarely (memory is freed
    by reference counting as each chunk is sent)."""
    import gc

    from survey.db import create_db_engine

    if snapshot is not None and not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot[:40]!r}")
    engine = create_db_engine(url)
    session = Session(engine)
    if snapshot is not None:
        # the wave as it was when the export began (it may have been renamed, edited or
        # deleted since): the plan, and the row maker that reads the wave's year and
        # settings, are made in the snapshot the chunks are read in; the wave is then
        # detached, so that nothing of it is read again after this transaction
        _join_snapshot(session, snapshot)
    plan = export_plan(session, wave_name)
    maker = _RowMaker(plan, context)
    packer = None if fmt == "csv" else record_packer(stat_layout(plan), fmt)
    session.expunge(plan.wave)
    session.rollback()
    _WORKER.update(
        engine=engine, session=session, plan=plan, fmt=fmt, only=only, context=context,
        snapshot=snapshot, parts_dir=parts_dir, maker=maker, csv={None: ""}, packer=packer,
    )  # fmt: skip
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def _join_snapshot(session: Session, snapshot: str) -> None:
    """Begin ``session``'s transaction in the exporting process's PostgreSQL snapshot
    (``snapshot`` was checked against :data:`_SNAPSHOT_ID` by :func:`_worker_start`)."""
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))


def _worker_chunk(ids: tuple[int, int | None]) -> tuple[bytes | str, int]:
    """One chunk of responses (ids in that closed range) as CSV lines, or as the path of
    a file of packed ``sav``/``dta`` records, and its row count."""
    session: Session = _WORKER["session"]
    plan: ExportPlan = _WORKER["plan"]
    snapshot: str | None = _WORKER["snapshot"]
    session.rollback()
    if snapshot is not None:
        _join_snapshot(session, snapshot)
    batches = export_batches(session, plan, only=_WORKER["only"], ids=ids,
                             context=_WORKER["context"], maker=_WORKER["maker"])  # fmt: skip
    if _WORKER["fmt"] == "csv":
        counted = _Counted(batches)
        data = b"".join(_csv_rows(plan, counted, _WORKER["csv"]))
        return data, counted.rows
    path = os.path.join(_WORKER["parts_dir"], f"{ids[0]}.part")
    with open(path, "wb") as out:
        n = _WORKER["packer"].records(itertools.chain.from_iterable(batches), out)
    return path, n


def _csv_parts(parts: Iterable[tuple[bytes | str, int]]) -> Iterator[bytes]:
    """The CSV lines of the workers' parts (CSV parts are bytes, never files)."""
    for data, _ in parts:
        if not isinstance(data, bytes):  # pragma: no cover - _worker_chunk returns bytes
            raise TypeError("a CSV part is bytes")
        yield data


class _Counted:
    """Batches passed through, their rows counted."""

    def __init__(self, batches: Iterable[list[tuple[Any, ...]]]) -> None:
        self.batches, self.rows = batches, 0

    def __iter__(self) -> Iterator[list[tuple[Any, ...]]]:
        for batch in self.batches:
            self.rows += len(batch)
            yield batch


class SizedStream(Iterator[bytes]):
    """An export's bytes whose total, ``length``, is known before the first is sent (a
    download can then state its ``Content-Length``: the browser shows its progress, and a
    download cut short is seen to be incomplete). Closing it closes the stream."""

    def __init__(self, chunks: Iterator[bytes], length: int) -> None:
        self.chunks, self.length = chunks, length

    def __iter__(self) -> SizedStream:
        return self

    def __next__(self) -> bytes:
        return next(self.chunks)

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


def stream_file(handle: BinaryIO, block: int = 1 << 20) -> Iterator[bytes]:
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
    (CSV, .sav, .dta): just the responses that filter lets through. The .sav, .dta and
    codebook files are a :class:`SizedStream` (their length is known before they are
    sent); CSV streams are not.

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
        return SizedStream(iter([data]), len(data))
    parts = _parallel_parts(session, plan, fmt, only)
    if fmt == "csv":
        if parts is not None:
            return _with_header(plan, _csv_parts(parts))
        return iter_csv(plan, export_batches(session, plan, only=only))
    body: Packed | Iterator[list[tuple[Any, ...]]]
    made: Generator[tuple[bytes | str, int], None, None] | None = None
    if parts is not None:
        made = iter(parts)
        # the workers start and make the first part here: an error, before any byte is sent
        first = next(made, None)
        done = [] if first is None else [first]
        if parts.rows is not None:
            return _stat_stream(plan, fmt, parts.rows, done, made)
        body = Packed(itertools.chain(done, made))
    else:
        body = export_batches(session, plan, only=only)
    spool = tempfile.TemporaryFile()
    try:
        count = write_stat_file(spool, plan, body, fmt)
    except BaseException:
        spool.close()
        if made is not None:  # the workers stopped and the parts not joined removed, now
            made.close()
        raise
    logger.info("wave %s: wrote %d rows as %s", wave_name, count, fmt)
    return SizedStream(stream_file(spool), spool.seek(0, os.SEEK_END))
