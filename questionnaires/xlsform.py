"""XLSForm, the spreadsheet questionnaire format of ODK, KoboToolbox and SurveyCTO.

:func:`export_xlsform` writes a kesu questionnaire as an XLSForm workbook (sheets
``survey``, ``choices``, ``settings`` and a ``kesu`` sheet) that ODK's own converter,
pyxform, turns into an XForm, so the questionnaire runs in ODK Collect and Kobo;
:mod:`questionnaires.xlsform_import` reads XLSForms back. The mapping (FORMAT.md,
"XLSForm"):

* a section is a ``begin_group`` with ``appearance: field-list`` (one page), its intro
  a ``note`` at the top of the group;
* single / multiple / true-false / Likert items are ``select_one`` /
  ``select_multiple`` over a choice list; numbers are ``integer`` or ``decimal``
  (min/max folded into the constraint); texts ``text``; a grid is a
  ``table-list`` group of ``select_one`` rows;
* derived variables and key groups are ``calculate`` rows, and ``survey_year`` is
  a calculate row holding the reference year;
* expressions are translated to XPath (:mod:`questionnaires.xpath`);
* what XLSForm has no column for (answer keys, points, dimensions, option values,
  concepts...) sits in ``kesu_*`` columns, which pyxform passes over; the kesu
  expressions are kept beside their XPath in ``kesu_relevant`` / ``kesu_constraint``
  / ``kesu_calculation``, so a round trip gives back the very same expressions, and
  an XPath edited in Kobo afterwards wins over the kept kesu text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import yaml

from questionnaires.model import DEFAULT_LANGUAGE
from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import Option
from questionnaires.model import Questionnaire
from questionnaires.model import Text
from questionnaires.xpath import kesu_to_xpath

if TYPE_CHECKING:
    from openpyxl import Workbook

logger = logging.getLogger(__name__)

#: XLSForm language names kesu writes (``label::中文 (zh)``); others are ``tag (tag)``
LANGUAGE_NAMES: dict[str, str] = {
    "zh-CN": "中文 (zh)",
    "en": "English (en)",
    "fr": "Français (fr)",
    "es": "Español (es)",
    "ru": "Русский (ru)",
    "ar": "العربية (ar)",
    "ja": "日本語 (ja)",
    "ko": "한국어 (ko)",
    "de": "Deutsch (de)",
    "pt": "Português (pt)",
}
#: language names without a code in parentheses that the importer understands
BARE_LANGUAGE_NAMES: dict[str, str] = {
    "chinese": "zh-CN",
    "中文": "zh-CN",
    "简体中文": "zh-CN",
    "汉语": "zh-CN",
    "english": "en",
    "英文": "en",
    "英语": "en",
}
_CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)\s*$")

#: XLSForm types of kesu's choice items, and the ``kesu_type`` that tells the rest apart
SURVEY_YEAR = "survey_year"
TRUEFALSE_LIST = "truefalse"
INTRO_ROLE = "intro"
GROUP_ROLE = "group"
INSTALL_HINT = "XLSForm support needs pyxform: pip install 'kesu[xlsform]'"


def language_name(tag: str) -> str:
    """The XLSForm language name of a kesu language tag (``zh-CN`` -> ``中文 (zh)``)."""
    return LANGUAGE_NAMES.get(tag, f"{tag} ({tag})")


def language_tag(name: str) -> str | None:
    """The kesu language tag of an XLSForm language name, or None when unknown.

    ``中文 (zh)``, ``Chinese (zh-CN)``, ``Chinese (zh_Hans)`` -> ``zh-CN``;
    ``English (en)`` -> ``en``; ``Français (fr)`` -> ``fr``; ``English`` -> ``en``.
    """
    m = _CODE_IN_NAME.search(name)
    if m is None:
        return BARE_LANGUAGE_NAMES.get(name.strip().lower())
    parts = m.group(1).replace("_", "-").split("-")
    if parts[0].lower() == "zh" and (len(parts) == 1 or parts[1].lower() in ("cn", "hans", "sg")):
        return DEFAULT_LANGUAGE
    return "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])


def truefalse_list(item: Item) -> str:
    """The choice list of a true/false item: with or without "don't know"."""
    return TRUEFALSE_LIST + ("_dk" if len(item.options) == 3 else "")


def odk_constraint(
    item_id: str,
    constraint: str | None,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive: Iterable[str] = (),
) -> str:
    """The XPath constraint ODK enforces for an item.

    kesu checks ``min``/``max`` and exclusive options itself; ODK only has the
    constraint, so they are folded into it: ``. >= 1950 and . <= 2010 and (...)``.
    The importer recomputes this text to see whether a cell was edited after export.
    """
    parts: list[str] = []
    if minimum is not None:
        parts.append(f". >= {_number(minimum)}")
    if maximum is not None:
        parts.append(f". <= {_number(maximum)}")
    for code in exclusive:
        parts.append(f"not(selected(., '{code}') and count-selected(.) > 1)")
    if constraint:
        xpath = kesu_to_xpath(constraint, self_name=item_id)
        parts.append(f"({xpath})" if parts else xpath)
    return " and ".join(parts)


def choice_filter(options: Sequence[tuple[str, str | None]]) -> str | None:
    """XLSForm's ``choice_filter`` for options with conditions: ODK evaluates it for each
    choice, ``name`` being the choice's name, so each condition is tied to its option:
    ``(name = 'yiwu' and (${province} = 'zj')) or name = 'other' or ...``.

    Args:
        options: (code, kesu condition or None) of each option, in order.
    """
    if not any(cond for _, cond in options):
        return None
    parts = [
        f"(name = '{code}' and ({kesu_to_xpath(cond)}))" if cond else f"name = '{code}'"
        for code, cond in options
    ]
    return " or ".join(parts)


def same_xpath(a: str, b: str) -> bool:
    """Equal but for spaces outside strings (what a spreadsheet edit may change)."""
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def text_dict(text: Text, languages: Iterable[str]) -> dict[str, str]:
    """A text as ``{language: string}`` in the questionnaire's language order."""
    return {lang: text.get(lang) for lang in languages}


def yaml_text(value: Any) -> str:
    """A value as block YAML (Chinese kept readable), for a cell of the ``kesu`` sheet."""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100).strip()


# -- export ---------------------------------------------------------------------------------
class _Sheet:
    """Rows as ``{header: value}``; the header row is the used headers in a fixed order."""

    def __init__(self, order: list[str]) -> None:
        self.order = order
        self.rows: list[dict[str, Any]] = []

    def add(self, **cells: Any) -> dict[str, Any]:
        row = {k: v for k, v in cells.items() if v not in (None, "")}
        self.rows.append(row)
        return row

    def headers(self) -> list[str]:
        used = {k for row in self.rows for k in row}
        unknown = used - set(self.order)
        if unknown:  # pragma: no cover - a programming error
            raise KeyError(f"headers not in the sheet's order: {sorted(unknown)}")
        return [h for h in self.order if h in used]


def _translated(base: str, languages: Iterable[str]) -> list[str]:
    return [f"{base}::{language_name(lang)}" for lang in languages]


class _Exporter:
    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.langs = q.languages

        def t(base: str) -> list[str]:
            return _translated(base, self.langs)

        self.survey = _Sheet(
            ["type", "name", *t("label"), *t("hint"), "required", "relevant", "constraint"]
            + [*t("constraint_message"), "calculation", "appearance", "parameters"]
            + ["kesu_type", "kesu_key", "kesu_points", "kesu_dimension", "kesu_partial_credit"]
            + [*t("kesu_explanation"), "kesu_concept", "kesu_attention_check", *t("kesu_unit")]
            + ["kesu_min", "kesu_max", "kesu_max_length", "kesu_randomize", "kesu_role"]
            + ["kesu_relevant", "kesu_constraint", "kesu_calculation", "choice_filter"]
        )
        self.choices = _Sheet(
            ["list_name", "name", *t("label"), "kesu_value", "kesu_fixed", "kesu_exclusive"]
            + ["kesu_relevant"]
        )
        self.lists: dict[tuple[Any, ...], str] = {}

    def texts(self, base: str, text: Text | None) -> dict[str, str]:
        if text is None:
            return {}
        return {f"{base}::{language_name(lang)}": text.get(lang) for lang in self.langs}

    def choice_list(self, item: Item, preferred: str) -> str:
        """The list name for these options (identical lists are written once)."""
        key = (item.type in (ItemType.LIKERT, ItemType.GRID),) + tuple(
            (
                o.code,
                o.label.values,
                o.value,
                o.fixed,
                o.exclusive,
                o.relevant.source if o.relevant else None,
            )
            for o in item.options
        )
        if key in self.lists:
            return self.lists[key]
        name = preferred
        while name in self.lists.values():
            name += "_"
        self.lists[key] = name
        for option in item.options:
            self.choices.add(
                list_name=name,
                name=option.code,
                **self.texts("label", option.label),
                kesu_value=_value(item, option),
                kesu_fixed="yes" if option.fixed else None,
                kesu_exclusive="yes" if option.exclusive else None,
                kesu_relevant=option.relevant.source if option.relevant else None,
            )
        return name

    def expression(self, source: str | None, self_name: str | None = None) -> str | None:
        return kesu_to_xpath(source, self_name=self_name) if source else None

    def build(self) -> None:
        q = self.q
        self.survey.add(
            type="calculate",
            name=SURVEY_YEAR,
            calculation=str(q.reference_year),
        )
        for d in q.derived:
            self.survey.add(
                type="calculate",
                name=d.name,
                **self.texts("label", d.label),
                calculation=self.expression(d.expression.source),
                kesu_calculation=d.expression.source,
            )
        for g in q.groups:
            self.survey.add(
                type="calculate",
                name=g.id,
                **self.texts("label", g.label),
                calculation=self.expression(g.rule.source),
                kesu_role=GROUP_ROLE,
                kesu_calculation=g.rule.source,
            )
        taken = {v for item in q.items for v in (item.id, *item.variables)}
        for section in q.sections:
            relevant = section.relevant.source if section.relevant else None
            self.survey.add(
                type="begin_group",
                name=section.id,
                **self.texts("label", section.title),
                relevant=self.expression(relevant),
                appearance="field-list",
                kesu_relevant=relevant,
            )
            if section.intro is not None:
                name = f"{section.id}_intro"
                while name in taken:
                    name += "_"
                self.survey.add(
                    type="note",
                    name=name,
                    **self.texts("label", section.intro),
                    kesu_role=INTRO_ROLE,
                )
            for item in section.items:
                self.item(item)
            self.survey.add(type="end_group")

    def item(self, item: Item) -> None:
        relevant = item.relevant.source if item.relevant else None
        constraint = item.constraint.source if item.constraint else None
        exclusive = [o.code for o in item.options if o.exclusive]
        common: dict[str, Any] = {
            "name": item.id,
            **self.texts("label", item.text),
            **self.texts("hint", item.help),
            "required": "yes" if item.required else None,
            "relevant": self.expression(relevant),
            "kesu_relevant": relevant,
            "kesu_concept": item.concept,
        }
        if item.type is ItemType.GRID:
            self.grid(item, common)
            return
        checked = odk_constraint(item.id, constraint, item.minimum, item.maximum, exclusive)
        common |= {
            "constraint": checked or None,
            **self.texts("constraint_message", item.constraint_message),
            "kesu_constraint": constraint,
            "kesu_attention_check": item.attention_expect,
        }
        if item.type is ItemType.NUMBER:
            self.survey.add(
                type="integer" if item.integer else "decimal",
                **common,
                **self.texts("kesu_unit", item.unit),
                kesu_min=_maybe_number(item.minimum),
                kesu_max=_maybe_number(item.maximum),
            )
            return
        if item.type is ItemType.TEXT:
            self.survey.add(type="text", **common, kesu_max_length=item.max_length)
            return
        if item.type is ItemType.DATE:
            self.survey.add(type="date", **common)
            return
        if item.type is ItemType.TRUEFALSE:
            list_name = self.choice_list(item, truefalse_list(item))
        else:
            list_name = self.choice_list(item, item.id)
        select = "select_multiple" if item.type is ItemType.MULTIPLE else "select_one"
        key = item.key
        self.survey.add(
            type=f"{select} {list_name}",
            **common,
            choice_filter=choice_filter(
                [(o.code, o.relevant.source if o.relevant else None) for o in item.options]
            ),
            appearance="likert" if item.type is ItemType.LIKERT else None,
            parameters="randomize=true" if item.randomize else None,
            kesu_type=item.type.value if item.type in _KESU_TYPES else None,
            kesu_key=" ".join(sorted(key.correct)) if key else None,
            kesu_points=_maybe_number(key.points) if key else None,
            kesu_dimension=key.dimension if key else None,
            kesu_partial_credit="yes" if key and key.partial_credit else None,
            **self.texts("kesu_explanation", key.explanation if key else None),
        )

    def grid(self, item: Item, common: dict[str, Any]) -> None:
        rows_required = common.pop("required")
        self.survey.add(
            type="begin_group",
            **common,
            appearance="table-list",
            kesu_type=ItemType.GRID.value,
            kesu_randomize="yes" if item.randomize else None,
        )
        list_name = self.choice_list(item, item.id)
        for row in item.rows:
            self.survey.add(
                type=f"select_one {list_name}",
                name=row.id,
                **self.texts("label", row.text),
                required=rows_required,
                kesu_attention_check=row.attention_expect,
            )
        self.survey.add(type="end_group")

    def settings(self) -> dict[str, str]:
        q = self.q
        return {
            "form_title": q.title.get(DEFAULT_LANGUAGE),
            "form_id": q.id,
            "version": q.version,
            "default_language": language_name(DEFAULT_LANGUAGE),
            # Enketo (Kobo's web forms) shows one group per page, as kesu does
            "style": "pages",
        }

    def kesu_sheet(self) -> list[tuple[str, str]]:
        """What XLSForm has no place for, as YAML values in two columns."""
        q = self.q
        langs = self.langs
        rows: list[tuple[str, Any]] = [
            ("title", text_dict(q.title, langs)),
            ("languages", list(langs)),
        ]
        for key, text in (("description", q.description), ("privacy", q.privacy)):
            if text is not None:
                rows.append((key, text_dict(text, langs)))
        population: dict[str, Any] = {
            "min_age": q.population.min_age,
            "max_age": q.population.max_age,
        }
        if q.population.description is not None:
            population["description"] = text_dict(q.population.description, langs)
        rows += [("population", population), ("reference_year", q.reference_year)]
        if q.minutes is not None:
            rows.append(("minutes", _maybe_number(q.minutes)))
        rows.append(("scoring", scoring_mapping(q, langs)))
        return [(key, yaml_text(value)) for key, value in rows]


_KESU_TYPES = (ItemType.TRUEFALSE, ItemType.LIKERT)


def _value(item: Item, option: Option) -> float | None:
    """An option's value when it is not the default (Likert: its position)."""
    if option.value is None:
        return None
    if item.type in (ItemType.LIKERT, ItemType.GRID):
        if option.value == float(item.options.index(option) + 1):
            return None
    return _maybe_number(option.value)


def _maybe_number(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)


def scoring_mapping(q: Questionnaire, langs: Iterable[str]) -> dict[str, Any]:
    """The questionnaire's scoring rules as the YAML mapping FORMAT.md describes."""
    s = q.scoring
    langs = tuple(langs)
    dimensions: dict[str, Any] = {}
    for d in s.dimensions:
        spec: dict[str, Any] = {"max": _maybe_number(d.maximum)}
        if d.cut is not None:
            spec["cut"] = _maybe_number(d.cut)
        spec["label"] = text_dict(d.label, langs)
        dimensions[d.id] = spec
    return {
        "rule": s.rule,
        "total": _maybe_number(s.total),
        "dimensions": dimensions,
        "levels": [
            {"code": lv.code, "label": text_dict(lv.label, langs), "min": _maybe_number(lv.minimum)}
            for lv in s.levels
        ],
        "inclusive": s.inclusive,
        "literate_level": s.literate_level,
        "benchmark_pass": s.benchmark_pass,
    }


def export_xlsform(q: Questionnaire) -> Workbook:
    """The questionnaire as an XLSForm workbook (openpyxl), ready to save.

    Raises:
        ImportError: openpyxl (installed with pyxform, the ``xlsform`` extra) is missing.
        questionnaires.xpath.XPathError: an expression XPath cannot state.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.styles import Font

    ex = _Exporter(q)
    ex.build()
    wb = Workbook()
    bold = Font(bold=True)

    def fill(ws: Any, headers: list[str], rows: Iterable[Mapping[str, Any]]) -> None:
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([row.get(h) for h in headers])
        ws.freeze_panes = "A2"

    survey = wb.active
    survey.title = "survey"
    fill(survey, ex.survey.headers(), ex.survey.rows)
    fill(wb.create_sheet("choices"), ex.choices.headers(), ex.choices.rows)
    settings = ex.settings()
    fill(wb.create_sheet("settings"), list(settings), [settings])
    kesu = wb.create_sheet("kesu")
    fill(kesu, ["key", "value"], [{"key": k, "value": v} for k, v in ex.kesu_sheet()])
    for row in kesu.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    kesu.column_dimensions["B"].width = 80
    return wb


def write_xlsform(q: Questionnaire, path: str | Path) -> None:
    """Save :func:`export_xlsform` of ``q`` to ``path`` (``.xlsx``)."""
    export_xlsform(q).save(str(path))
    logger.info("wrote XLSForm %s (%s v%s)", path, q.id, q.version)
