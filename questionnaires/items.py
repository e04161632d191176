"""Reading sections, items and options from their YAML mappings."""

from __future__ import annotations

import logging
from typing import Any

from kesu.yamlsource import LineList
from questionnaires.fields import CODE_PATTERN
from questionnaires.fields import Fields
from questionnaires.fields import Reporter
from questionnaires.model import DONT_KNOW
from questionnaires.model import GridRow
from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import Option
from questionnaires.model import ScoringKey
from questionnaires.model import Section
from questionnaires.model import Text

logger = logging.getLogger(__name__)

_COMMON = {
    "id",
    "type",
    "text",
    "help",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "concept",
}
_SCORE = {"key", "points", "dimension", "explanation"}
ALLOWED_KEYS: dict[ItemType, set[str]] = {
    ItemType.SINGLE: _COMMON | _SCORE | {"options", "randomize", "dont_know", "attention_check"},
    ItemType.MULTIPLE: _COMMON | _SCORE | {"options", "randomize", "partial_credit"},
    ItemType.TRUEFALSE: _COMMON | _SCORE | {"dont_know"},
    ItemType.NUMBER: _COMMON | {"min", "max", "integer", "unit"},
    ItemType.TEXT: _COMMON | {"max_length"},
    ItemType.DATE: _COMMON,
    ItemType.LIKERT: _COMMON | {"options", "scale", "attention_check"},
    ItemType.GRID: _COMMON | {"options", "scale", "rows", "randomize"},
}
_OPTION_KEYS = {"code", "label", "value", "fixed", "exclusive", "relevant"}
_ROW_KEYS = {"id", "text", "attention_check"}

_TRUE = Text.of({"zh-CN": "对", "en": "True"})
_FALSE = Text.of({"zh-CN": "错", "en": "False"})
_DONT_KNOW = Text.of({"zh-CN": "不知道", "en": "Don't know"})
#: default maximum length of a short-text answer
TEXT_MAX_LENGTH = 500


def _code(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and CODE_PATTERN.match(value):
        return value
    return None


class ItemReader:
    """Builds :class:`Section` and :class:`Item` objects, reporting located problems."""

    def __init__(self, rep: Reporter, option_sets: dict[str, LineList], dimensions: set[str]):
        self.rep = rep
        self.option_sets = option_sets
        self.dimensions = dimensions

    # -- options ----------------------------------------------------------------
    def options(self, f: Fields, key: str, likert: bool) -> tuple[Option, ...]:
        raw = f.raw(key)
        if isinstance(raw, str):
            if raw not in self.option_sets:
                known = ", ".join(sorted(self.option_sets)) or "none defined"
                f.error(key, f"unknown option set {raw!r} (option_sets: {known})")
                return ()
            seq: LineList | None = self.option_sets[raw]
        else:
            seq = f.sequence(key)
        if seq is None:
            return ()
        out: list[Option] = []
        seen: set[str] = set()
        for i, entry in enumerate(seq):
            line = seq.line_of(i)
            of = Fields(
                self.rep, entry, what="an option", where=f.where, allowed=_OPTION_KEYS, line=line
            )
            if not of.ok:
                continue
            code = _code(of.raw("code"))
            if code is None:
                of.error(
                    "code" if of.has("code") else None,
                    f"option code {of.raw('code')!r} must be letters, digits, '_', '-' or "
                    "'.' (at most 32)",
                )
                continue
            if code in seen:
                of.error("code", f"option code {code!r} appears twice")
                continue
            seen.add(code)
            label = of.text("label", required=True)
            value = of.number("value", default=float(len(out) + 1) if likert else None)
            out.append(
                Option(
                    code=code,
                    label=label or Text.of(code),
                    value=value,
                    fixed=of.boolean("fixed", default=False),
                    exclusive=of.boolean("exclusive", default=False),
                    relevant=of.expression("relevant"),
                )
            )
        if len(seq) < 2:
            f.error(key, "a question needs at least two options")
        return tuple(out)

    # -- one item -----------------------------------------------------------------
    def item(self, raw: Any, line: int, section: str) -> Item | None:
        where = "item ?"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str | int):
            where = f"item {raw.get('id')}"
        type_name = raw.get("type") if isinstance(raw, dict) else None
        try:
            item_type = ItemType(type_name) if isinstance(type_name, str) else None
        except ValueError:
            item_type = None
        allowed = ALLOWED_KEYS[item_type] if item_type else set().union(*ALLOWED_KEYS.values())
        f = Fields(self.rep, raw, what="an item", where=where, allowed=allowed, line=line)
        if not f.ok:
            return None
        item_id = f.identifier("id")
        if item_type is None:
            kinds = ", ".join(t.value for t in ItemType)
            f.error(
                "type" if f.has("type") else None,
                f"unknown item type {type_name!r} (one of {kinds})"
                if f.has("type")
                else f"missing required key 'type' (one of {kinds})",
            )
            return None
        text = f.text("text", required=True)
        kw: dict[str, Any] = {
            "required": f.boolean("required", default=True),
            "help": f.text("help"),
            "relevant": f.expression("relevant"),
            "constraint": f.expression("constraint"),
            "constraint_message": f.text("constraint_message"),
            "concept": f.identifier("concept", required=False),
        }
        options: tuple[Option, ...] = ()
        if item_type is ItemType.TRUEFALSE:
            options = (Option("T", _TRUE), Option("F", _FALSE))
            if f.boolean("dont_know", default=True):
                options += (Option(DONT_KNOW, _DONT_KNOW, fixed=True),)
        elif item_type in (ItemType.LIKERT, ItemType.GRID):
            key = "scale" if f.has("scale") else "options"
            if f.has("scale") and f.has("options"):
                f.error("options", "give either 'scale' or 'options', not both")
            if not f.has(key):
                f.error(None, "a Likert item needs a 'scale' (an option set) or 'options'")
            else:
                options = self.options(f, key, likert=True)
        elif item_type in (ItemType.SINGLE, ItemType.MULTIPLE):
            if not f.has("options"):
                f.error(None, "missing required key 'options'")
            else:
                options = self.options(f, "options", likert=False)
            if item_type is ItemType.SINGLE and f.boolean("dont_know", default=False):
                if DONT_KNOW in {o.code for o in options}:
                    f.error("dont_know", f"an option already has the code {DONT_KNOW!r}")
                else:
                    options += (Option(DONT_KNOW, _DONT_KNOW, fixed=True),)
        codes = {o.code for o in options}
        kw["options"] = options
        kw["randomize"] = f.boolean("randomize", default=False)
        if f.has("attention_check"):
            expect = _code(f.raw("attention_check"))
            if expect is None or expect not in codes:
                f.error(
                    "attention_check",
                    f"attention check expects {f.raw('attention_check')!r}"
                    f", which is not one of the options {', '.join(sorted(codes))}",
                )
            kw["attention_expect"] = expect
        if item_type is ItemType.GRID:
            kw["rows"] = self.rows(f, codes)
        if item_type is ItemType.NUMBER:
            kw["minimum"], kw["maximum"] = f.number("min"), f.number("max")
            if (
                kw["minimum"] is not None
                and kw["maximum"] is not None
                and kw["minimum"] > kw["maximum"]
            ):
                f.error("max", f"max ({kw['maximum']:g}) is smaller than min ({kw['minimum']:g})")
            kw["integer"] = f.boolean("integer", default=False)
            kw["unit"] = f.text("unit")
        if item_type is ItemType.TEXT:
            kw["max_length"] = f.integer("max_length", default=TEXT_MAX_LENGTH, minimum=1)
        kw["key"] = self.key(f, item_type, options)
        if item_id is None or text is None:
            return None
        return Item(id=item_id, type=item_type, text=text, line=f.line, section=section, **kw)

    def rows(self, f: Fields, codes: set[str]) -> tuple[GridRow, ...]:
        seq = f.sequence("rows", required=True)
        if seq is None:
            return ()
        out: list[GridRow] = []
        for i, entry in enumerate(seq):
            rf = Fields(
                self.rep,
                entry,
                what="a grid row",
                where=f.where,
                allowed=_ROW_KEYS,
                line=seq.line_of(i),
            )
            if not rf.ok:
                continue
            row_id = rf.identifier("id")
            text = rf.text("text", required=True)
            expect = None
            if rf.has("attention_check"):
                expect = _code(rf.raw("attention_check"))
                if expect is None or expect not in codes:
                    rf.error(
                        "attention_check",
                        f"attention check expects "
                        f"{rf.raw('attention_check')!r}, which is not one of the options "
                        f"{', '.join(sorted(codes))}",
                    )
            if row_id is not None and text is not None:
                out.append(GridRow(row_id, text, rf.line, expect))
        if not out and len(seq) == 0:
            f.error("rows", "a grid needs at least one row")
        return tuple(out)

    def key(self, f: Fields, item_type: ItemType, options: tuple[Option, ...]) -> ScoringKey | None:
        scoring_keys = [k for k in ("points", "dimension", "explanation") if f.has(k)]
        if not f.has("key"):
            if scoring_keys:
                f.error(scoring_keys[0], f"{scoring_keys[0]!r} given but the item has no 'key'")
            if f.has("partial_credit"):
                f.error("partial_credit", "'partial_credit' given but the item has no 'key'")
            return None
        raw = f.raw("key")
        codes = [o.code for o in options if o.code != DONT_KNOW]
        listed = ", ".join(codes)
        if item_type is ItemType.TRUEFALSE and isinstance(raw, bool):
            raw = "T" if raw else "F"
        raw_list = raw if isinstance(raw, list) else [raw]
        correct: list[str] = []
        for value in raw_list:
            code = _code(value)
            if code is None or code not in codes:
                f.error("key", f"answer key {value!r} is not one of the options {listed}")
                return None
            correct.append(code)
        if not correct:
            f.error("key", "the answer key is empty")
            return None
        if item_type is not ItemType.MULTIPLE and len(correct) > 1:
            f.error("key", f"a {item_type.value} item has one right answer, not {len(correct)}")
            return None
        if len(set(correct)) != len(correct):
            f.error("key", "the answer key lists an option twice")
            return None
        points = f.number("points", required=True, positive=True)
        dimension = f.string("dimension", required=True)
        if dimension is not None and dimension not in self.dimensions:
            f.error(
                "dimension",
                f"unknown dimension {dimension!r} (one of {', '.join(sorted(self.dimensions))})",
            )
            dimension = None
        explanation = f.text("explanation")
        partial = f.boolean("partial_credit", default=False)
        if points is None or dimension is None:
            return None
        return ScoringKey(frozenset(correct), points, dimension, partial, explanation)

    # -- sections -------------------------------------------------------------------
    def section(self, raw: Any, line: int) -> Section | None:
        where = f"section {raw.get('id')}" if isinstance(raw, dict) else "section ?"
        f = Fields(
            self.rep,
            raw,
            what="a section",
            where=where,
            allowed={"id", "title", "intro", "relevant", "items"},
            line=line,
        )
        if not f.ok:
            return None
        section_id = f.identifier("id")
        title = f.text("title", required=True)
        intro = f.text("intro")
        relevant = f.expression("relevant")
        seq = f.sequence("items", required=True)
        items: list[Item] = []
        if seq is not None:
            if not seq:
                f.error("items", "a section needs at least one item")
            for i, entry in enumerate(seq):
                item = self.item(entry, seq.line_of(i), section_id or "?")
                if item is not None:
                    items.append(item)
        if section_id is None or title is None:
            return None
        return Section(section_id, title, f.line, tuple(items), intro, relevant)
