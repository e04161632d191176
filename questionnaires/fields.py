"""Typed access to one YAML mapping, recording a located problem for every mistake.

The loader never lets a wrong type reach the model: each accessor checks the
value, records a :class:`~questionnaires.errors.Problem` naming the line (and the
item or section) when it is wrong, and returns ``None`` so loading can go on and
report every problem of the file at once.
"""

from __future__ import annotations

import keyword
import logging
import re
from collections.abc import Iterable
from typing import Any

from kesu.yamlsource import LineDict
from kesu.yamlsource import LineList
from questionnaires.errors import Problem
from questionnaires.expressions import FUNCTIONS
from questionnaires.expressions import Expression
from questionnaires.expressions import ExpressionError
from questionnaires.expressions import parse_expression
from questionnaires.model import Text

logger = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
QUESTIONNAIRE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
#: names expressions may use that no item may take
RESERVED_NAMES = frozenset({"survey_year", "true", "false", "null"}) | frozenset(FUNCTIONS)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Reporter:
    """Collects problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ("zh-CN",)

    def add(self, line: int, message: str, where: str | None = None) -> None:
        self.problems.append(Problem(self.file, max(int(line), 1), message, where))


class Fields:
    """A YAML mapping with a known set of keys, read through typed accessors."""

    def __init__(
        self,
        rep: Reporter,
        data: Any,
        *,
        what: str,
        where: str | None,
        allowed: Iterable[str],
        line: int,
    ) -> None:
        self.rep = rep
        self.where = where
        self.ok = isinstance(data, dict)
        if isinstance(data, LineDict):
            self.data: LineDict = data
        else:
            self.data = LineDict(data if isinstance(data, dict) else {})
            self.data.line = line
            self.data.key_lines = {}
        if not self.ok:
            rep.add(line, f"{what} must be a mapping, not {_kind(data)}", where)
        allowed_set = set(allowed)
        for key in self.data:
            if key not in allowed_set:
                listed = ", ".join(sorted(allowed_set))
                self.error(key, f"unknown key {key!r} in {what} (allowed: {listed})")

    # -- locations -----------------------------------------------------------
    @property
    def line(self) -> int:
        return getattr(self.data, "line", 1)

    def line_of(self, key: str) -> int:
        return self.data.line_of(key) if hasattr(self.data, "key_lines") else self.line

    def error(self, key: str | None, message: str) -> None:
        self.rep.add(self.line_of(key) if key is not None else self.line, message, self.where)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def _missing(self, key: str, required: bool) -> bool:
        if key not in self.data or self.data[key] is None:
            if required:
                self.error(None, f"missing required key {key!r}")
            return True
        return False

    # -- scalars ---------------------------------------------------------------
    def string(
        self,
        key: str,
        *,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
        default: str | None = None,
    ) -> str | None:
        if self._missing(key, required):
            return default
        value = self.data[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(key, f"{key!r} must be a non-empty string, not {_kind(value)}")
            return default
        if pattern is not None and not pattern.match(value):
            self.error(key, f"{key!r} value {value!r} is not a valid name ({pattern.pattern})")
            return default
        return value

    def identifier(self, key: str, *, required: bool = True) -> str | None:
        """An id usable in expressions: a letter or _, then letters, digits, _."""
        value = self.string(key, required=required, pattern=ID_PATTERN)
        if value is not None and (keyword.iskeyword(value) or value in RESERVED_NAMES):
            self.error(key, f"id {value!r} is a reserved word; choose another id")
            return None
        return value

    def number(
        self,
        key: str,
        *,
        required: bool = False,
        default: float | None = None,
        minimum: float | None = None,
        positive: bool = False,
    ) -> float | None:
        if self._missing(key, required):
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.error(key, f"{key!r} must be a number, not {_kind(value)}")
            return default
        if positive and value <= 0:
            self.error(key, f"{key!r} must be greater than 0, not {value}")
            return default
        if minimum is not None and value < minimum:
            self.error(key, f"{key!r} must be at least {minimum}, not {value}")
            return default
        if abs(value) > 1e12:
            self.error(key, f"{key!r} is implausibly large ({value})")
            return default
        return float(value)

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int | None = None,
    ) -> int | None:
        value = self.number(key, required=required, minimum=minimum)
        if value is None:
            return default
        if value != int(value):
            self.error(key, f"{key!r} must be a whole number, not {value}")
            return default
        return int(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        if self._missing(key, False):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.error(key, f"{key!r} must be true or false, not {_kind(value)}")
            return default
        return value

    def text(self, key: str, *, required: bool = False) -> Text | None:
        """A text: a string (zh-CN only questionnaires) or a mapping language -> string."""
        if self._missing(key, required):
            return None
        return read_text(self.rep, self.data[key], self.line_of(key), key, self.where)

    def expression(self, key: str) -> Expression | None:
        if self._missing(key, False):
            return None
        value = self.data[key]
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str):
            self.error(key, f"{key!r} must be an expression in quotes, not {_kind(value)}")
            return None
        try:
            return parse_expression(value)
        except ExpressionError as exc:
            self.error(key, f"bad {key} {exc}")
            return None

    def sequence(self, key: str, *, required: bool = False) -> LineList | None:
        if self._missing(key, required):
            return None
        value = self.data[key]
        if not isinstance(value, list):
            self.error(key, f"{key!r} must be a list, not {_kind(value)}")
            return None
        if not isinstance(value, LineList):
            wrapped = LineList(value)
            wrapped.line = self.line_of(key)
            wrapped.item_lines = [wrapped.line] * len(value)
            return wrapped
        return value

    def mapping(self, key: str, *, required: bool = False) -> LineDict | None:
        if self._missing(key, required):
            return None
        value = self.data[key]
        if not isinstance(value, dict):
            self.error(key, f"{key!r} must be a mapping, not {_kind(value)}")
            return None
        return value if isinstance(value, LineDict) else None


def read_text(rep: Reporter, value: Any, line: int, key: str, where: str | None) -> Text | None:
    """Check a text value against the questionnaire's languages."""
    if isinstance(value, str):
        if not value.strip():
            rep.add(line, f"{key!r} is empty", where)
            return None
        missing = [lang for lang in rep.languages if lang != "zh-CN"]
        if missing:
            rep.add(
                line,
                f"{key!r} has no {', '.join(missing)} text; write it as "
                f"{{zh-CN: ..., {missing[0]}: ...}}",
                where,
            )
            return None
        return Text.of(value)
    if not isinstance(value, dict):
        rep.add(
            line,
            f"{key!r} must be a text (a string or languages -> strings), not {_kind(value)}",
            where,
        )
        return None
    ok = True
    for lang, text in value.items():
        if not isinstance(lang, str) or lang not in rep.languages:
            # `{en: Yes, often}` reads as {en: "Yes", often: null}: say so
            hint = (
                "; a ',' inside {...} ends the text: put the text in quotes" if text is None else ""
            )
            rep.add(
                line,
                f"{key!r} has text in {lang!r}, which is not one of the "
                f"questionnaire's languages ({', '.join(rep.languages)}){hint}",
                where,
            )
            ok = False
        elif not isinstance(text, str) or not text.strip():
            rep.add(line, f"{key!r} in {lang} must be a non-empty string, not {_kind(text)}", where)
            ok = False
    for lang in rep.languages:
        if lang not in value:
            rep.add(line, f"{key!r} has no {lang} text", where)
            ok = False
    return Text.of({str(k): str(v) for k, v in value.items()}) if ok else None
