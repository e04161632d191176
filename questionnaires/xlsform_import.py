"""Read an XLSForm (ODK, KoboToolbox, SurveyCTO) into a kesu questionnaire.

pyxform, ODK's own converter, first reads and checks the whole form exactly as ODK
would (a form pyxform refuses is refused with its message); kesu then walks the
rows pyxform read, maps each to the questionnaire format (FORMAT.md, "XLSForm"),
translates every expression (:mod:`questionnaires.xpath`) and loads the result with
the ordinary loader, so an imported questionnaire obeys every rule a hand-written
one does. Every problem names the file, the sheet, the cell and the column
(``FORM.xlsx: survey!F12 (relevant): ...``), all problems of a form are reported at
once, and what is left out on purpose (display hints, metadata, a household roster
that kesu's CAPI collects itself) is listed as a notice, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import logging
import re
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kesu.yamlsource import LineList
from kesu.yamlsource import YamlSyntaxError
from kesu.yamlsource import parse_yaml
from questionnaires.errors import Problem
from questionnaires.errors import QuestionnaireError
from questionnaires.fields import CODE_PATTERN
from questionnaires.fields import ID_PATTERN
from questionnaires.fields import QUESTIONNAIRE_ID_PATTERN
from questionnaires.fields import RESERVED_NAMES
from questionnaires.loader import parse_questionnaire
from questionnaires.model import DEFAULT_LANGUAGE
from questionnaires.model import DONT_KNOW
from questionnaires.model import Questionnaire
from questionnaires.xlsform import GROUP_ROLE
from questionnaires.xlsform import INSTALL_HINT
from questionnaires.xlsform import SURVEY_YEAR
from questionnaires.xlsform import choice_filter
from questionnaires.xlsform import odk_constraint
from questionnaires.xlsform import same_xpath
from questionnaires.xlsform_rows import KESU_SHEET_KEYS
from questionnaires.xlsform_rows import KESU_SURVEY_COLUMNS
from questionnaires.xlsform_rows import LEFT_OUT
from questionnaires.xlsform_rows import METADATA
from questionnaires.xlsform_rows import NO
from questionnaires.xlsform_rows import PYTHON_KEYWORDS
from questionnaires.xlsform_rows import READ_COLUMNS
from questionnaires.xlsform_rows import ROSTER_NAMES
from questionnaires.xlsform_rows import YES
from questionnaires.xlsform_rows import CellProblem
from questionnaires.xlsform_rows import Flow
from questionnaires.xlsform_rows import Group
from questionnaires.xlsform_rows import Row
from questionnaires.xlsform_rows import SheetReader
from questionnaires.xlsform_rows import cell_number
from questionnaires.xlsform_rows import expression_names
from questionnaires.xlsform_rows import is_yes
from questionnaires.xlsform_rows import parameters
from questionnaires.xlsform_rows import plain
from questionnaires.xlsform_rows import split_type
from questionnaires.xpath import XPathError
from questionnaires.xpath import xpath_to_kesu

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    """An imported form: the questionnaire YAML, its loaded object, what was left out."""

    yaml: str
    questionnaire: Questionnaire
    notices: tuple[str, ...]


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]
_Dumper.add_representer(
    Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)


class _Importer(SheetReader):
    """Walks the rows into the questionnaire document."""

    ignored: set[str]

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.ignored = set()
        self.note_kinds()
        choices = self.read_choices()
        kesu = self.read_kesu_sheet_values()
        top = self.top_level(kesu)
        sections, derived, groups, year = self.walk(choices, top["title"])
        if "reference_year" not in top:
            top["reference_year"] = year
        doc: dict[str, Any] = {}
        for key in ("id", "version", "title", "description", "privacy", "languages"):
            if key in top:
                doc[key] = top[key]
        for key in ("population", "reference_year", "minutes"):
            if key in top:
                doc[key] = top[key]
        sets = self.option_sets(sections)
        if sets:
            doc["option_sets"] = sets
        if derived:
            doc["derived"] = derived
        if groups:
            doc["groups"] = groups
        if "scoring" in top:
            doc["scoring"] = top["scoring"]
        doc["sections"] = sections
        return doc

    def note_kinds(self) -> None:
        for row in self.survey:
            kind, _ = split_type(row.get("type") or "")
            name = row.get("name")
            if name is None:
                continue
            if kind in ("integer", "decimal"):
                self.kinds[name] = "number"
            elif kind == "select_multiple":
                self.kinds[name] = "multiple"
            elif kind:
                self.kinds[name] = kind

    def read_choices(self) -> dict[str, list[Row]]:
        lists: dict[str, list[Row]] = {}
        for row in self.choice_rows:
            name = row.get("list_name")
            if name is None:
                continue
            lists.setdefault(name, []).append(row)
        return lists

    def read_kesu_sheet_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for number, key, text in self.kesu_sheet:
            row = Row("kesu", number, {"value": text, "\0value": "value", "\0key": "key"})
            if key not in KESU_SHEET_KEYS:
                listed = ", ".join(sorted(KESU_SHEET_KEYS))
                self.problem(row, "key", f"unknown key {key!r} (one of {listed})")
                continue
            try:
                value, _dups = parse_yaml(text)
            except YamlSyntaxError as exc:
                self.problem(row, "value", f"{exc.message} (line {exc.line} of the cell)")
                continue
            out[key] = plain(value)
            self.origins[("kesu", key)] = row
        self.kesu_has_year = "reference_year" in out
        return out

    def top_level(self, kesu: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        top: dict[str, Any] = {}
        form_id = s.get("form_id") or s.get("set_form_id")
        if form_id is None:
            form_id = self.path.stem
            self.notice(None, None, f"settings has no form_id: the id is the file name {form_id!r}")
        if not QUESTIONNAIRE_ID_PATTERN.match(form_id):
            self.problem(
                s,
                "form_id",
                f"form_id {form_id!r} is not a kesu questionnaire id "
                "(letters, digits, '_', '.', '-', at most 64)",
            )
        top["id"] = form_id
        version = s.get("version")
        if version is None:
            version = "1"
            self.notice(None, None, "settings has no version: version '1'")
        top["version"] = version
        if "languages" in kesu and isinstance(kesu["languages"], list):
            order = [lang for lang in kesu["languages"] if lang in self.languages]
            self.languages = order + [lang for lang in self.languages if lang not in order]
        if DEFAULT_LANGUAGE in self.languages:
            self.languages.remove(DEFAULT_LANGUAGE)
        self.languages.insert(0, DEFAULT_LANGUAGE)
        top["languages"] = list(self.languages)
        if "title" in kesu:
            top["title"] = kesu["title"]
        else:
            title = s.get("form_title") or s.get("set_form_title") or form_id
            top["title"] = Flow({lang: title for lang in self.languages})
            if len(self.languages) > 1:
                self.notice(
                    s,
                    "form_title",
                    "one title for every language (XLSForm titles are not translated)",
                )
        for key in ("description", "privacy", "minutes", "reference_year", "scoring"):
            if key in kesu:
                top[key] = kesu[key]
        if "population" in kesu:
            top["population"] = kesu["population"]
        else:
            top["population"] = {"min_age": 18, "max_age": 69}
            self.notice(
                None,
                None,
                "no kesu sheet 'population': ages 18-69 assumed (the "
                "national survey's population); edit the YAML if not",
            )
        return top

    def walk(  # noqa: C901 - one pass over the rows, a case per row type
        self, choices: dict[str, list[Row]], title: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any], int]:
        sections: list[dict[str, Any]] = []
        used_ids: set[str] = set()
        stack: list[Group] = []
        current: dict[str, Any] | None = None
        current_path: tuple[str, ...] | None = None
        calculates: list[tuple[Row, str]] = []
        year = dt.date.today().year
        year_given = False
        rows = iter(self.survey)

        def new_section(sid: str, row: Row) -> dict[str, Any]:
            nonlocal current, current_path
            base = sid
            n = 2
            while sid in used_ids:
                sid, n = f"{base}_{n}", n + 1
            used_ids.add(sid)
            label = self.text(stack[-1].row, "label") if stack else None
            section: dict[str, Any] = {"id": sid, "title": label or title}
            relevants = [g.relevant for g in stack if g.relevant]
            if len(relevants) == 1:
                section["relevant"] = relevants[0]
            elif relevants:
                section["relevant"] = " and ".join(f"({r})" for r in relevants)
            section["items"] = []
            sections.append(section)
            self.origins[("sections", len(sections) - 1)] = stack[-1].row if stack else row
            current, current_path = section, tuple(g.name for g in stack)
            return section

        def section_here(row: Row) -> dict[str, Any]:
            path = tuple(g.name for g in stack)
            if current is not None and current_path == path:
                return current
            return new_section(stack[-1].name if stack else "page", row)

        for row in rows:
            type_text = row.get("type")
            if type_text is None:
                continue
            kind, list_name = split_type(type_text)
            name = row.get("name")
            if kind == "begin_group":
                if row.get("kesu_type") == "grid" or "table-list" in (row.get("appearance") or ""):
                    item = self.grid(row, rows, choices)
                    if item is not None:
                        self.add_item(section_here(row), item)
                    continue
                relevant = self.expression(row, "relevant", "kesu_relevant")
                stack.append(Group(name or f"group{row.number}", row, relevant))
                self.unused_columns(row, {"appearance"})
                continue
            if kind == "end_group":
                if stack:
                    stack.pop()
                continue
            if kind == "begin_repeat":
                self.repeat(row, rows)
                continue
            if kind in METADATA:
                self.notice(
                    row,
                    "type",
                    f"{kind!r} left out: kesu records its own paradata "
                    "(start and end times, device) with every response",
                )
                continue
            if name is None:
                self.problem(row, "name", "no name")
                continue
            if kind == "calculate" and name == SURVEY_YEAR:
                value = row.get("calculation") or ""
                if not value.isdigit():
                    self.problem(row, "calculation", "survey_year must be a year such as 2025")
                else:
                    year, year_given = int(value), True
                continue
            if not self.valid_id(row, name):
                continue
            if kind == "calculate":
                calculates.append((row, name))
                continue
            if kind == "note":
                self.note(row, section_here(row), new_section, stack)
                continue
            item = self.question(row, kind, list_name, choices)
            if item is not None:
                self.add_item(section_here(row), item)
        derived, groups = self.calculations(calculates)
        if not year_given and not self.kesu_has_year:
            self.notice(
                None,
                None,
                f"no reference year (kesu sheet or a survey_year calculate): {year}, this year",
            )
        for section in sections:
            if not section["items"]:
                self.problem(
                    None,
                    None,
                    f"page {section['id']!r} has notes but no question; "
                    "kesu pages need at least one question",
                )
        return sections, derived, groups, year

    def add_item(self, section: dict[str, Any], item: dict[str, Any]) -> None:
        section["items"].append(item)

    def valid_id(self, row: Row, name: str) -> bool:
        if not ID_PATTERN.match(name):
            self.problem(
                row,
                "name",
                f"name {name!r}: kesu names are letters, digits and '_' "
                "(starting with a letter or '_', at most 64); rename the question",
            )
            return False
        if name in RESERVED_NAMES or name in PYTHON_KEYWORDS:
            self.problem(
                row,
                "name",
                f"name {name!r} is a reserved word in kesu's expressions; rename the question",
            )
            return False
        return True

    def note(
        self,
        row: Row,
        section: dict[str, Any],
        new_section: Callable[[str, Row], dict[str, Any]],
        stack: list[Group],
    ) -> None:
        text = self.text(row, "label", required=True)
        if row.get("relevant") is not None:
            self.problem(
                row,
                "relevant",
                "a note with its own condition: kesu shows texts only "
                "as a page's introduction; put the note in a group with this relevant",
            )
            return
        if row.get("calculation") is not None:
            self.problem(row, "calculation", "a note with a calculation: kesu's texts are fixed")
            return
        if text is None:
            return
        if section["items"]:
            # kesu shows a text only at the top of a page: the note starts the next page
            section = new_section(row.get("name") or "page", row)
            self.notice(
                row,
                "type",
                "a note after a question starts a new page (kesu shows "
                "texts only at the top of a page)",
            )
        if "intro" in section:
            section["intro"] = Flow({k: f"{v}\n\n{text[k]}" for k, v in section["intro"].items()})
        else:
            section["intro"] = text
        self.unused_columns(row, {"appearance"})

    # -- questions ---------------------------------------------------------------------------
    def question(  # noqa: C901 - a case per XLSForm type
        self, row: Row, kind: str, list_name: str | None, choices: dict[str, list[Row]]
    ) -> dict[str, Any] | None:
        name = row.get("name") or ""
        item: dict[str, Any] = {"id": name}
        kesu_type = row.get("kesu_type")
        appearance = row.get("appearance") or ""
        if kind in ("select_one", "select_multiple"):
            if list_name is None or " " in list_name.strip():
                self.problem(
                    row,
                    "type",
                    f"{row.get('type')!r}: 'or_other' and other suffixes "
                    "are not supported; add an 'other' choice and a text question",
                )
                return None
            if kesu_type == "truefalse":
                item["type"] = "truefalse"
            elif kesu_type == "likert" or "likert" in appearance:
                item["type"] = "likert"
            else:
                item["type"] = "single" if kind == "select_one" else "multiple"
            if kesu_type not in (None, "truefalse", "likert"):
                self.problem(
                    row,
                    "kesu_type",
                    f"unknown kesu_type {kesu_type!r} for a select (truefalse or likert)",
                )
                return None
        elif kind in ("integer", "decimal"):
            item["type"] = "number"
        elif kind == "text":
            item["type"] = "text"
        elif kind == "date":
            item["type"] = "date"
        elif kind in ("datetime", "time"):
            self.problem(
                row,
                "type",
                f"{kind!r}: kesu has no {kind} questions yet; ask for the "
                "year (integer) or write it as text",
            )
            return None
        else:
            self.problem(
                row,
                "type",
                f"{kind!r} questions cannot be represented in kesu "
                "(supported: select_one, select_multiple, integer, decimal, text, note, "
                "calculate, groups)",
            )
            return None
        item["text"] = self.text(row, "label", required=True)
        item["_row"] = row
        help_ = self.text(row, "hint")
        if help_ is not None:
            item["help"] = help_
        required = self.required(row)
        if not required:
            item["required"] = False
        self.concept_and_relevance(row, item)
        if row.get("calculation") is not None:
            self.problem(
                row,
                "calculation",
                "a calculation on a question (a computed default "
                "answer) cannot be stated in kesu; use a calculate row",
            )
        options: list[Row] = []
        if item["type"] in ("single", "multiple", "truefalse", "likert"):
            options = choices.get(list_name or "", [])
            if not options:
                self.problem(row, "type", f"no choices in the list {list_name!r}")
                return None
        minimum, maximum = cell_number(row.get("kesu_min")), cell_number(row.get("kesu_max"))
        exclusive = [o.get("name") or "" for o in options if is_yes(o.get("kesu_exclusive"))]
        generated = any(x is not None for x in (minimum, maximum)) or bool(exclusive)
        constraint = self.expression(
            row,
            "constraint",
            "kesu_constraint",
            self_name=name,
            expected=lambda kept: odk_constraint(name, kept, minimum, maximum, exclusive),
            generated=generated,
        )
        if constraint is not None:
            item["constraint"] = constraint
            message = self.text(row, "constraint_message")
            if message is not None:
                item["constraint_message"] = message
        if item["type"] == "number":
            if kind == "integer":
                item["integer"] = True
            for key, value in (("min", minimum), ("max", maximum)):
                if value is not None:
                    item[key] = value
            unit = self.text(row, "kesu_unit")
            if unit is not None:
                item["unit"] = unit
        elif item["type"] == "text":
            length = cell_number(row.get("kesu_max_length"))
            if length is not None:
                item["max_length"] = length
        elif item["type"] == "date":
            pass  # a date has no options, range or length of its own (constraints say it)
        else:
            self.choice_item(row, item, options, list_name or "")
        self.scoring_key(row, item)
        self.unused_columns(row, {"appearance"} if "likert" in appearance else set())
        return item

    def concept_and_relevance(self, row: Row, item: dict[str, Any]) -> None:
        concept = row.get("kesu_concept")
        if concept is not None:
            item["concept"] = concept
        relevant = self.expression(row, "relevant", "kesu_relevant")
        if relevant is not None:
            item["relevant"] = relevant

    def required(self, row: Row) -> bool:
        value = row.get("required")
        if value is None:
            return False
        if value.lower() in YES:
            return True
        if value.lower() in NO:
            return False
        self.problem(
            row,
            "required",
            f"required {value!r}: kesu has no conditional required "
            "answers; write yes or no and put the condition in relevant",
        )
        return False

    def choice_item(
        self, row: Row, item: dict[str, Any], options: list[Row], list_name: str
    ) -> None:
        params = parameters(row.get("parameters"))
        if params.pop("randomize", "").lower() in YES:
            item["randomize"] = True
        if params:
            self.notice(
                row,
                "parameters",
                f"left out: {', '.join(sorted(params))} (kesu "
                "randomizes with a per-response seed of its own)",
            )
        if item["type"] == "truefalse":
            codes = [o.get("name") for o in options]
            if codes not in (["T", "F"], ["T", "F", DONT_KNOW]):
                self.problem(
                    row,
                    "kesu_type",
                    f"a truefalse item needs the choices T, F (and DK) "
                    f"in that order, not {', '.join(str(c) for c in codes)}",
                )
                return
            item["dont_know"] = len(codes) == 3
            return
        item["_option_rows"] = options
        item["_list"] = list_name
        item["options"] = [self.option(option) for option in options]
        if row.get("choice_filter") is not None:
            conditions = self.choice_conditions(row, options)
            if conditions is None:
                return
            for option, condition in zip(item["options"], conditions, strict=True):
                if condition is not None:
                    option["relevant"] = condition
            del item["_list"]  # the conditions belong to this question: no shared option set

    def choice_conditions(self, row: Row, options: list[Row]) -> list[str | None] | None:
        """``choice_filter`` as one kesu condition per choice (an option's ``relevant``).

        A list kesu exported keeps each condition in ``kesu_relevant``; when the filter is
        the one kesu wrote for them, they are taken as they are. Otherwise the filter is
        translated once per choice, each of the choice's columns (``name``, ``province``...)
        read as its text; what kesu's expressions cannot state is refused, naming the cell.
        """
        cell = str(row.get("choice_filter"))
        kept = [o.get("kesu_relevant") for o in options]
        if any(k is not None for k in kept):
            try:
                want = choice_filter(
                    [(o.get("name") or "", k) for o, k in zip(options, kept, strict=True)]
                )
            except (XPathError, SyntaxError) as exc:
                self.problem(row, "choice_filter", f"cannot read the kept kesu_relevant: {exc}")
                return None
            if same_xpath(want or "", cell):
                return kept
            self.notice(row, "choice_filter", "edited after export: kesu_relevant is replaced")
        out: list[str | None] = []
        for option in options:
            text = _choice_columns(cell, option)
            try:
                kesu = xpath_to_kesu(text, kinds=self.kinds, condition=True)
            except XPathError as exc:
                self.problem(
                    row, "choice_filter",
                    f"choice {option.get('name')!r}: cannot be stated in kesu's expression "
                    f"language: {exc}",
                )  # fmt: skip
                return None
            out.append(kesu)
        return out

    def option(self, row: Row) -> dict[str, Any]:
        code = row.get("name") or ""
        if not CODE_PATTERN.match(code):
            self.problem(
                row,
                "name",
                f"choice name {code!r}: kesu codes are letters, digits, "
                "'_', '-' or '.' (at most 32)",
            )
        out = Flow({"code": code, "label": self.text(row, "label", required=True)})
        value = cell_number(row.get("kesu_value"))
        if value is not None:
            out["value"] = value
        if is_yes(row.get("kesu_fixed")):
            out["fixed"] = True
        if is_yes(row.get("kesu_exclusive")):
            out["exclusive"] = True
        return out

    def scoring_key(self, row: Row, item: dict[str, Any]) -> None:
        key = row.get("kesu_key")
        if key is None:
            return
        codes = [c for c in re.split(r"[\s,;]+", key) if c]
        if item["type"] == "truefalse":
            item["key"] = codes[0] if len(codes) == 1 else codes
        else:
            item["key"] = codes if item["type"] == "multiple" else " ".join(codes)
        points = cell_number(row.get("kesu_points"))
        if points is not None:
            item["points"] = points
        elif row.get("kesu_points") is not None:
            self.problem(row, "kesu_points", f"points {row.get('kesu_points')!r} is not a number")
        dimension = row.get("kesu_dimension")
        if dimension is not None:
            item["dimension"] = dimension
        if is_yes(row.get("kesu_partial_credit")):
            item["partial_credit"] = True
        explanation = self.text(row, "kesu_explanation")
        if explanation is not None:
            item["explanation"] = explanation

    def grid(
        self, row: Row, rows: Iterator[Row], choices: dict[str, list[Row]]
    ) -> dict[str, Any] | None:
        """A table-list group of select_one rows over one list: a kesu grid."""
        name = row.get("name") or ""
        members: list[Row] = []
        for inner in rows:
            kind, _ = split_type(inner.get("type") or "")
            if kind == "end_group":
                break
            if kind:
                members.append(inner)
        if not self.valid_id(row, name):
            return None
        item: dict[str, Any] = {"id": name, "type": "grid"}
        item["text"] = self.text(row, "label", required=True)
        item["_row"] = row
        help_ = self.text(row, "hint")
        if help_ is not None:
            item["help"] = help_
        lists = {split_type(m.get("type") or "") for m in members}
        if not members or len(lists) != 1 or next(iter(lists))[0] != "select_one":
            self.problem(
                row,
                "type",
                "a table-list group (a grid) holds select_one questions over one choice list only",
            )
            return None
        list_name = next(iter(lists))[1] or ""
        required = {self.required(m) for m in members}
        if len(required) > 1:
            self.problem(members[0], "required", "the rows of a grid are all required or none")
        if not required.pop():
            item["required"] = False
        self.concept_and_relevance(row, item)
        if is_yes(row.get("kesu_randomize")):
            item["randomize"] = True
        grid_rows: list[dict[str, Any]] = []
        for m in members:
            row_id = m.get("name") or ""
            if not self.valid_id(m, row_id):
                continue
            entry = Flow({"id": row_id, "text": self.text(m, "label", required=True)})
            expect = m.get("kesu_attention_check")
            if expect is not None:
                entry["attention_check"] = expect
            for column in ("relevant", "constraint", "choice_filter"):
                if m.get(column) is not None:
                    self.problem(m, column, f"a grid row cannot have its own {column}")
            grid_rows.append(entry)
        item["_list"] = list_name
        item["_option_rows"] = choices.get(list_name, [])
        item["options"] = [self.option(o) for o in item["_option_rows"]]
        item["rows"] = grid_rows
        return item

    def repeat(self, row: Row, rows: Iterator[Row]) -> None:
        depth = 1
        members: list[Row] = []
        for inner in rows:
            kind, _ = split_type(inner.get("type") or "")
            if kind == "begin_repeat":
                depth += 1
            elif kind == "end_repeat":
                depth -= 1
                if depth == 0:
                    break
            members.append(inner)
        name = row.get("name") or ""
        questions = [
            m
            for m in members
            if split_type(m.get("type") or "")[0] not in ("note", "calculate", "")
        ]
        kinds = {split_type(m.get("type") or "")[0] for m in questions}
        names = " ".join((m.get("name") or "").lower() for m in questions)
        roster = row.get("kesu_role") == "roster" or (
            ROSTER_NAMES.search(name) is not None
            and kinds <= {"text", "integer", "select_one", "date"}
            and "age" in names
            and ("sex" in names or "gender" in names)
        )
        if roster:
            self.notice(
                row,
                "type",
                f"the household roster {name!r} is left out: kesu's CAPI "
                "lists the household (nickname, sex, age) at the door step and selects "
                "the respondent there",
            )
            return
        self.problem(
            row,
            "type",
            f"repeat {name!r} cannot be represented in kesu: a kesu "
            "questionnaire asks each question once per respondent (only a household "
            "roster of name, sex and age is taken over by kesu's CAPI)",
        )

    def calculations(
        self, calculates: list[tuple[Row, str]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        derived: dict[str, Any] = {}
        groups: dict[str, Any] = {}
        exprs: dict[str, str] = {}
        rows: dict[str, Row] = {}
        for row, name in calculates:
            expression = self.expression(row, "calculation", "kesu_calculation", condition=False)
            label = self.text(row, "label")
            if expression is None:
                if row.get("calculation") is None:
                    self.problem(row, "calculation", "a calculate row needs a calculation")
                continue
            if row.get("kesu_role") == GROUP_ROLE:
                if label is None:
                    self.problem(row, "label", "a key group needs a label")
                    continue
                groups[name] = {"label": label, "rule": expression}
                self.origins[("groups", name)] = row
                continue
            exprs[name] = expression
            rows[name] = row
            derived[name] = {"expression": expression, "label": label} if label else expression
        # kesu evaluates derived variables in order: put each after those it reads
        graph = {name: expression_names(expr) & set(exprs) for name, expr in exprs.items()}
        try:
            order = list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            self.problem(
                rows[exc.args[1][0]], "calculation", f"the calculations form a cycle: {cycle}"
            )
            return derived, groups
        ordered = {name: derived[name] for name in order}
        for name in ordered:
            self.origins[("derived", name)] = rows[name]
        return ordered, groups

    def unused_columns(self, row: Row, read: set[str]) -> None:
        for column in list(row.cells):
            if column.startswith("\0") or column in READ_COLUMNS or column in KESU_SURVEY_COLUMNS:
                if column == "appearance" and column not in read:
                    self.notice(
                        row,
                        column,
                        f"appearance {row.get(column)!r} is a display hint kesu does not use",
                    )
                continue
            if column in LEFT_OUT:
                self.notice(row, column, f"left out: {LEFT_OUT[column]}")
            elif column.startswith("kesu_"):
                self.problem(row, column, f"unknown kesu column {column!r}")
            elif column not in self.ignored:
                self.ignored.add(column)
                self.notice(row, column, f"column {column!r} is left out: kesu does not read it")

    # -- option sets and origins --------------------------------------------------------------
    def option_sets(self, sections: list[dict[str, Any]]) -> dict[str, Any]:
        """Choice lists used by two items or more become named option sets."""
        users: dict[str, list[dict[str, Any]]] = {}
        for section in sections:
            for item in section["items"]:
                if "_list" in item:
                    users.setdefault(item["_list"], []).append(item)
        sets: dict[str, Any] = {}
        for list_name, items in users.items():
            if len(items) < 2 or not ID_PATTERN.match(list_name):
                continue
            kinds = {i["type"] in ("likert", "grid") for i in items}
            if len(kinds) > 1:
                continue
            sets[list_name] = items[0]["options"]
            for item in items:
                key = "scale" if item["type"] in ("likert", "grid") else "options"
                del item["options"]
                item[key] = list_name
        for section in sections:
            for item in section["items"]:
                if item.get("type") == "single" and isinstance(item.get("options"), list):
                    _dont_know_shorthand(item)
        return sets


_QUOTED = re.compile(r"('[^']*'|\"[^\"]*\")")


def _choice_columns(xpath: str, choice: Row) -> str:
    """A choice_filter with the choice's own columns (bare names outside quotes and
    ``${...}``) replaced by the choice's values as text: ``province=${province}`` for a
    choice whose province is ``zj`` reads ``'zj'=${province}``."""
    columns = {c for c in choice.cells if not c.startswith("\0")} | {"name"}

    def swap(match: re.Match[str]) -> str:
        name = match.group(0)
        if name not in columns:
            return name
        value = choice.get(name)
        return "'" + ("" if value is None else str(value).replace("'", "")) + "'"

    parts = _QUOTED.split(xpath)
    for i in range(0, len(parts), 2):  # the unquoted stretches
        parts[i] = re.sub(r"(?<![\w${.:/-])[A-Za-z_][\w.-]*(?![\w}(:-])", swap, parts[i])
    return "".join(parts)


_DK_LABEL = {"zh-CN": "不知道", "en": "Don't know"}


def _dont_know_shorthand(item: dict[str, Any]) -> None:
    """Write kesu's own "don't know" option as ``dont_know: true``."""
    options = item["options"]
    last = options[-1] if options else None
    if last is None or last.get("code") != DONT_KNOW or not last.get("fixed"):
        return
    label = last.get("label") or {}
    if any(label.get(lang) != text for lang, text in _DK_LABEL.items() if lang in label):
        return
    if set(label) - set(_DK_LABEL) or set(last) - {"code", "label", "fixed"}:
        return
    item["options"] = options[:-1]
    item["dont_know"] = True


# -- the entry point --------------------------------------------------------------------------
_KEY_COLUMNS = {
    "id": "name",
    "type": "type",
    "text": "label",
    "help": "hint",
    "required": "required",
    "relevant": "relevant",
    "constraint": "constraint",
    "constraint_message": "constraint_message",
    "key": "kesu_key",
    "points": "kesu_points",
    "dimension": "kesu_dimension",
    "explanation": "kesu_explanation",
    "partial_credit": "kesu_partial_credit",
    "concept": "kesu_concept",
    "min": "kesu_min",
    "max": "kesu_max",
    "unit": "kesu_unit",
    "max_length": "kesu_max_length",
    "options": "type",
    "scale": "type",
    "attention_check": "kesu_attention_check",
    "title": "label",
}
_SETTINGS_KEYS = {"id": "form_id", "version": "version", "title": "form_title"}


def import_xlsform(path: str | Path) -> ImportResult:
    """Read an XLSForm (``.xlsx``; pyxform also reads ``.xls``) as a kesu questionnaire.

    Returns:
        The questionnaire YAML (with the notices as a comment at its top), the loaded
        questionnaire and the notices (what was left out on purpose, and why).

    Raises:
        QuestionnaireError: every problem, each naming the file, sheet, cell and column
            (:class:`CellProblem`); also when pyxform is not installed.
    """
    path = Path(path)
    file = str(path)
    try:
        from pyxform.errors import PyXFormError
        from pyxform.xls2json_backends import get_xlsform
        from pyxform.xls2xform import convert
    except ImportError:
        raise QuestionnaireError([CellProblem(file, 0, INSTALL_HINT)]) from None
    if not path.is_file():
        raise QuestionnaireError([CellProblem(file, 0, "no such file")])
    warnings: list[str] = []
    try:
        # pyxform reads and checks the whole form exactly as ODK does
        convert(xlsform=file, warnings=warnings)
        data = get_xlsform(xlsform=file)
    except (PyXFormError, ValueError, KeyError, TypeError, OSError) as exc:
        raise QuestionnaireError([_pyxform_problem(file, str(exc))]) from None
    letters, kesu_rows = _workbook_extras(path)
    importer = _Importer(path, data, letters, kesu_rows)
    importer.notices.extend(f"pyxform: {w.strip()}" for w in warnings if w.strip())
    doc = importer.run()
    if importer.problems:
        raise QuestionnaireError(importer.problems)
    header = _header(path, importer.notices)
    body = yaml.dump(_clean(doc), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
    text = header + body
    try:
        questionnaire = parse_questionnaire(text, source=file)
    except QuestionnaireError as exc:
        cells = _line_cells(text, doc, importer)
        raise QuestionnaireError([_relocate(p, cells, file) for p in exc.problems]) from None
    return ImportResult(text, questionnaire, tuple(importer.notices))


def _pyxform_problem(file: str, message: str) -> CellProblem:
    found = re.search(r"\[row\s*:\s*(\d+)\]", message)
    row = int(found.group(1)) if found else 0
    return CellProblem(file, row, f"pyxform refuses the form: {message.strip()}")


def _workbook_extras(path: Path) -> tuple[dict[str, dict[str, str]], list[tuple[int, str, str]]]:
    """Column letters of the headers, and the ``kesu`` sheet (pyxform skips it)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}, []
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    letters: dict[str, dict[str, str]] = {"kesu": {"key": "A", "value": "B"}}
    kesu: list[tuple[int, str, str]] = []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            name = ws.title.strip().lower()
            if name in ("survey", "choices", "settings"):
                first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
                letters[name] = {
                    re.sub(r"\s+", " ", str(v).strip()): get_column_letter(i + 1)
                    for i, v in enumerate(first)
                    if v not in (None, "")
                }
            elif name == "kesu":
                for n, values in enumerate(
                    ws.iter_rows(min_row=2, max_col=2, values_only=True), start=2
                ):
                    key, value = (tuple(values) + (None, None))[:2]
                    if key not in (None, ""):
                        kesu.append((n, str(key).strip(), "" if value is None else str(value)))
    finally:
        wb.close()
    return letters, kesu


def _header(path: Path, notices: list[str]) -> str:
    lines = [
        f"# Imported from {path.name} by `kesu questionnaire import` (XLSForm, read by pyxform).",
        "# Format: questionnaires/FORMAT.md.",
    ]
    if notices:
        lines.append("# Left out or changed on import:")
        lines += [f"#   {n}" for n in notices]
    return "\n".join(lines) + "\n"


_ORDER = {
    key: i
    for i, key in enumerate(
        "id type concept title intro text help required relevant constraint constraint_message "
        "integer min max unit max_length randomize dont_know options scale rows attention_check "
        "key points dimension partial_credit explanation items".split()
    )
}


def _clean(value: Any) -> Any:
    """The document without the importer's bookkeeping keys (``_row``, ``_list``...), the
    keys of sections and items in the order FORMAT.md shows them."""
    if isinstance(value, dict):
        out = Flow() if isinstance(value, Flow) else {}
        keys = [k for k in value if not str(k).startswith("_")]
        if ("type" in value or "items" in value) and not isinstance(value, Flow):
            keys.sort(key=lambda k: _ORDER.get(k, len(_ORDER)))
        for k in keys:
            out[k] = _clean(value[k])
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _line_cells(text: str, doc: dict[str, Any], imp: _Importer) -> dict[int, tuple[int, str]]:
    """YAML line -> (sheet row, cell) for the loader's problems."""
    try:
        tree, _dups = parse_yaml(text)
    except YamlSyntaxError:  # pragma: no cover - we wrote the YAML ourselves
        return {}
    out: dict[int, tuple[int, str]] = {}

    def put(line: int, row: Row | None, column: str | None = None) -> None:
        if row is not None:
            out.setdefault(line, (row.number, imp.cell(row, column)))

    for key, column in _SETTINGS_KEYS.items():
        if key in tree and ("kesu", key) not in imp.origins:
            put(tree.line_of(key), imp.settings, column)
    for (kind, name), row in imp.origins.items():
        if kind == "kesu" and name in tree:
            put(tree.line_of(name), row, "value")
        if kind in ("derived", "groups") and name in tree.get(kind, {}):
            put(tree[kind].line_of(name), row, "calculation")
    for si, section in enumerate(tree.get("sections", [])):
        put(tree["sections"].line_of(si), imp.origins.get(("sections", si)))
        raw_items = doc["sections"][si]["items"]
        items = section.get("items", [])
        for ii, item in enumerate(items):
            raw = raw_items[ii]
            row = raw.get("_row")
            put(items.line_of(ii), row)
            for key in item:
                put(item.line_of(key), row, _KEY_COLUMNS.get(key))
            options = item.get("options")
            if isinstance(options, LineList):
                for oi, option_row in enumerate(raw.get("_option_rows", [])):
                    put(options.line_of(oi), option_row)
    return out


def _relocate(problem: Problem, cells: dict[int, tuple[int, str]], file: str) -> CellProblem:
    """A loader problem (a YAML line) as a problem at the cell the line came from."""
    lines = [line for line in cells if line <= problem.line]
    if not lines:
        return CellProblem(file, 0, problem.message, problem.where)
    row, cell = cells[max(lines)]
    return CellProblem(file, row, problem.message, problem.where, cell)
