"""The sheets of an XLSForm as pyxform read them: rows, cells, texts and expressions.

:class:`SheetReader` holds the rows of the ``survey``, ``choices`` and ``settings``
sheets with the column of every cell, reads the texts of all the form's languages
(``label::中文 (zh)`` -> zh-CN) and the expressions (XPath translated into kesu's
language, or the kesu text the export kept beside it), and records every problem
at its cell. :mod:`questionnaires.xlsform_import` walks these rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from kesu.yamlsource import LineDict
from kesu.yamlsource import LineList
from questionnaires.errors import Problem
from questionnaires.model import DEFAULT_LANGUAGE
from questionnaires.xlsform import language_tag
from questionnaires.xlsform import same_xpath
from questionnaires.xpath import XPathError
from questionnaires.xpath import kesu_to_xpath
from questionnaires.xpath import xpath_to_kesu

logger = logging.getLogger(__name__)

YES = {"yes", "true", "true()", "1"}
NO = {"no", "false", "false()", "0"}
#: metadata questions ODK fills in itself; kesu keeps its own paradata
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "imei",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
}
#: columns kesu reads (after "::language" is cut off) besides the kesu_* ones
READ_COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "appearance",
    "parameters",
    "list_name",
}
_ALIASES = {
    "relevance": "relevant",
    "bind::relevant": "relevant",
    "bind::constraint": "constraint",
    "bind::required": "required",
    "bind::calculate": "calculation",
    "calculate": "calculation",
    "caption": "label",
    "constraining_message": "constraint_message",
    "bind::jr:constraintmsg": "constraint_message",
    "list name": "list_name",
    "value": "name",
}
#: columns left out on purpose, with the reason the notice gives
LEFT_OUT = {
    "default": "kesu has no default answers",
    "required_message": "kesu shows its own message for a missing answer",
    "guidance_hint": "guidance hints are for ODK Collect's form view only",
    "image": "kesu's questions are text only",
    "big-image": "kesu's questions are text only",
    "audio": "kesu's questions are text only",
    "video": "kesu's questions are text only",
    "media::image": "kesu's questions are text only",
    "media::audio": "kesu's questions are text only",
    "media::video": "kesu's questions are text only",
    "read_only": "kesu has no read-only questions",
    "repeat_count": "kesu has no repeats",
    "trigger": "kesu has no triggered calculations",
    "note": "",
}
KESU_SURVEY_COLUMNS = {
    "kesu_type",
    "kesu_key",
    "kesu_points",
    "kesu_dimension",
    "kesu_partial_credit",
    "kesu_explanation",
    "kesu_concept",
    "kesu_attention_check",
    "kesu_unit",
    "kesu_min",
    "kesu_max",
    "kesu_max_length",
    "kesu_randomize",
    "kesu_role",
    "kesu_relevant",
    "kesu_constraint",
    "kesu_calculation",
}
KESU_SHEET_KEYS = {
    "title",
    "description",
    "privacy",
    "languages",
    "population",
    "reference_year",
    "minutes",
    "scoring",
}
#: the household roster kesu's CAPI collects at the door step (survey/fieldwork.py)
ROSTER_NAMES = re.compile(r"(?i)(roster|household|hh|member|famil|家庭|成员)")


@dataclass(frozen=True, slots=True)
class CellProblem(Problem):
    """A problem at a cell of an XLSForm: ``FORM.xlsx: survey!F12 (relevant): message``.

    ``line`` is the sheet row (0: the whole form), ``cell`` the cell as printed.
    """

    cell: str = ""

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        cell = f"{self.cell}: " if self.cell else ""
        return f"{self.file}: {cell}{where}{self.message}"


class Flow(dict[str, Any]):
    """A mapping written on one line in the YAML (texts and options)."""


@dataclass
class Row:
    """One row of a sheet: its cells by normalized column, and where it is."""

    sheet: str
    number: int
    cells: dict[str, str]
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, column: str) -> str | None:
        value = self.cells.get(column)
        return value if value not in (None, "") else None


@dataclass
class Group:
    name: str
    row: Row
    relevant: str | None


class SheetReader:
    """The rows of a form's sheets, with their cells' places, texts and expressions."""

    def __init__(
        self,
        path: Path,
        data: Any,
        letters: dict[str, dict[str, str]],
        kesu_sheet: list[tuple[int, str, str]],
    ) -> None:
        self.path = path
        self.file = str(path)
        self.letters = letters
        self.kesu_sheet = kesu_sheet
        self.kesu_has_year = False
        self.problems: list[CellProblem] = []
        self.notices: list[str] = []
        self.default_language = DEFAULT_LANGUAGE
        self.languages: list[str] = []
        self.settings = self._settings(data)
        self.survey = self._rows("survey", data.survey or [], data.survey_header)
        self.choice_rows = self._rows("choices", data.choices or [], data.choices_header)
        self.kinds: dict[str, str] = {}
        #: where each part of the YAML came from: ("sections", i) / ("derived", name)... -> row
        self.origins: dict[tuple[Any, ...], Row] = {}

    # -- locations and messages --------------------------------------------------------
    def cell(self, row: Row | None, column: str | None = None) -> str:
        if row is None:
            return ""
        if column is None:
            return f"{row.sheet} row {row.number}"
        raw = row.cells.get(f"\0{column}")
        if raw is None:  # a text column: the first of its languages
            prefix = f"\0{column}::"
            raw = next((v for k, v in row.cells.items() if k.startswith(prefix)), column)
        letter = self.letters.get(row.sheet, {}).get(raw)
        if letter:
            return f"{row.sheet}!{letter}{row.number} ({raw})"
        return f"{row.sheet} row {row.number}, column {raw!r}"

    def problem(self, row: Row | None, column: str | None, message: str) -> None:
        number = row.number if row is not None else 0
        self.problems.append(CellProblem(self.file, number, message, None, self.cell(row, column)))

    def notice(self, row: Row | None, column: str | None, message: str) -> None:
        where = self.cell(row, column)
        self.notices.append(f"{where}: {message}" if where else message)

    # -- reading the sheets ---------------------------------------------------------------
    def _settings(self, data: Any) -> Row:
        rows = data.settings or []
        cells = {_column(k): str(v) for k, v in (rows[0] if rows else {}).items()}
        cells.update({f"\0{_column(k)}": k for k in (rows[0] if rows else {})})
        row = Row("settings", 2, cells)
        name = row.get("default_language")
        if name is not None and name.lower() != "default":
            tag = language_tag(name)
            if tag is None:
                self.problem(row, "default_language", _unknown_language(name))
            else:
                self.default_language = tag
        return row

    def _rows(self, sheet: str, rows: list[dict[str, Any]], header: Any) -> list[Row]:
        out: list[Row] = []
        headers = list(header[0]) if header else sorted({k for r in rows for k in r})
        columns: dict[str, tuple[str, str | None]] = {}
        for raw in headers:
            base, _, lang_name = raw.partition("::")
            base = _column(base)
            if base in ("media", "bind", "body", "instance") and lang_name:
                # bind::relevant, media::image::English (en)
                sub, _, lang_name = lang_name.partition("::")
                base = _column(f"{base}::{sub}")
            lang: str | None = None
            if lang_name:
                lang = language_tag(lang_name)
                if lang is None:
                    self.problem(
                        Row(sheet, 1, {}), None, f"column {raw!r}: " + _unknown_language(lang_name)
                    )
                    continue
            elif base in ("label", "hint", "constraint_message") or base in (
                "kesu_explanation",
                "kesu_unit",
            ):
                lang = self.default_language
            columns[raw] = (base, lang)
            if lang is not None and lang not in self.languages and base in ("label", "hint"):
                self.languages.append(lang)
        for i, raw_row in enumerate(rows):
            row = Row(sheet, i + 2, {})
            for raw, value in raw_row.items():
                if raw not in columns or value in (None, ""):
                    continue
                base, lang = columns[raw]
                if lang is not None:
                    if lang in row.texts.get(base, {}):
                        self.problem(row, None, f"two {base} columns in the language {lang}")
                    row.texts.setdefault(base, {})[lang] = str(value)
                    row.cells[f"\0{base}::{lang}"] = raw
                else:
                    row.cells[base] = str(value).strip()
                    row.cells[f"\0{base}"] = raw
            for raw, (base, lang) in columns.items():
                if lang is not None:  # empty text cells are named too
                    row.cells.setdefault(f"\0{base}::{lang}", raw)
            out.append(row)
        return out

    # -- texts -------------------------------------------------------------------------------
    def text(self, row: Row, base: str, *, required: bool = False) -> Flow | None:
        given = row.texts.get(base, {})
        if not given:
            if required:
                self.problem(row, None, f"no {base}")
            return None
        out = Flow()
        for lang in self.languages:
            value = given.get(lang)
            if value is None or not value.strip():
                column = f"{base}::{lang}"
                present = next(iter(given))
                self.problem(
                    row,
                    column if f"\0{column}" in row.cells else f"{base}::{present}",
                    f"no {lang} {base}: kesu gives every text in every language of the form "
                    f"({', '.join(self.languages)})",
                )
                return None
            if "${" in value:
                self.problem(
                    row,
                    f"{base}::{lang}",
                    "the text shows an answer (${...}); kesu's texts are fixed: write the "
                    "text without it",
                )
                return None
            out[lang] = value.strip()
        return out

    # -- expressions -----------------------------------------------------------------------
    def expression(
        self,
        row: Row,
        column: str,
        carrier: str,
        *,
        self_name: str | None = None,
        condition: bool = True,
        expected: Callable[[str | None], str] | None = None,
        generated: bool = False,
    ) -> str | None:
        """The kesu expression of a cell; the kept ``kesu_*`` text when the cell is unedited."""
        cell = row.get(column)
        kept = row.get(carrier)
        if kept is not None or generated:
            try:
                if expected is not None:
                    want = expected(kept)
                else:
                    want = kesu_to_xpath(kept or "", self_name=self_name) if kept else ""
            except (XPathError, SyntaxError) as exc:
                self.problem(row, carrier, f"cannot read the kept kesu expression: {exc}")
                return None
            if same_xpath(want, cell or ""):
                return kept
            self.notice(row, column, f"edited after export: {carrier} is replaced by this XPath")
        if cell is None:
            return None
        try:
            return xpath_to_kesu(cell, self_name=self_name, kinds=self.kinds, condition=condition)
        except XPathError as exc:
            self.problem(row, column, f"cannot be stated in kesu's expression language: {exc}")
            return None


PYTHON_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try "
    "while with yield".split()
)


def _column(name: str) -> str:
    key = re.sub(r"\s+", " ", str(name).strip()).lower()
    return _ALIASES.get(key, key)


def split_type(text: str) -> tuple[str, str | None]:
    words = text.strip().split()
    if not words:
        return "", None
    head = words[0].lower()
    if head in ("begin", "end") and len(words) > 1:
        return f"{head}_{words[1].lower()}", None
    if head in ("select_one", "select_multiple", "select1"):
        return ("select_one" if head == "select1" else head), " ".join(words[1:]) or None
    if head == "select" and len(words) > 2:
        kind = "select_one" if words[1].lower() == "one" else "select_multiple"
        return kind, " ".join(words[2:])
    if head in ("begin_group", "end_group", "begin_repeat", "end_repeat"):
        return head, None
    return head, None


def parameters(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[\s,;]+", text or ""):
        if "=" in part:
            k, _, v = part.partition("=")
            out[k.strip().lower()] = v.strip()
    return out


def cell_number(text: str | None) -> int | float | None:
    if text is None:
        return None
    try:
        x = float(text)
    except ValueError:
        return None
    return int(x) if x.is_integer() else x


def is_yes(text: str | None) -> bool:
    return text is not None and text.strip().lower() in YES


def expression_names(expression: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression))


def _unknown_language(name: str) -> str:
    return (
        f"language {name!r} has no language code; write it as 'English (en)' or '中文 (zh)' "
        "(the code in parentheses)"
    )


def plain(value: Any) -> Any:
    """LineDict/LineList trees from the YAML reader as plain dicts and lists."""
    if isinstance(value, LineDict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, LineList):
        return [plain(v) for v in value]
    return value
