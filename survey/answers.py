"""Parse and validate one page of answers posted by a respondent.

Pure: takes the questionnaire, the stored answers and the posted form values (a mapping
of field name to the list of submitted strings) and returns the new answers or the
problems. Answer fields are named ``q_<variable>``; anything else in the form that is not
a known control field is refused.

Two kinds of problem:

* a respondent's mistake (missing required answer, not a number, out of range, failed
  constraint, unknown option code...) is a *field error*, shown next to the question;
* a request no page of ours can produce (a field for another page or an unknown item, an
  answer to a question that skip logic hides) raises :class:`~survey.errors.BadRequestError`.

Either way nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from kesu.i18n import tr
from questionnaires import Item
from questionnaires import ItemType
from questionnaires import Questionnaire
from survey.errors import BadRequestError
from survey.flow import Visibility
from survey.flow import is_answered
from survey.flow import offered
from survey.flow import walk

logger = logging.getLogger(__name__)

FIELD_PREFIX = "q_"
#: form fields that are not answers
CONTROL_FIELDS = frozenset({"csrf_token", "rev", "page", "action"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MAX_VALUES = 64


@dataclass(frozen=True)
class PageOutcome:
    """The result of validating one posted page.

    Attributes:
        answers: every answer after the page is applied, pruned of hidden items.
        errors: variable -> message, in the respondent's language (empty when valid).
        visibility: skip logic evaluated on ``answers``.
        shown: the items of the page that the respondent saw (rendered before the post).
        notes: variable -> a neutral note for a required question the respondent has not
            seen yet (skip logic showed it because of an answer on this page): the page is
            shown again with the new question, which is not a mistake of the respondent.
    """

    answers: dict[str, Any]
    errors: dict[str, str]
    visibility: Visibility
    shown: frozenset[str]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.notes


def field_name(variable: str) -> str:
    """The form field name of an answer variable."""
    return FIELD_PREFIX + variable


def _format_number(x: float) -> str:
    return f"{x:g}"


def parse_choice(item: Item, values: Sequence[str], language: str) -> tuple[str | None, str | None]:
    """One option code (single, true/false, Likert, a grid row): ``(value, error)``."""
    values = [v.strip() for v in values if v.strip()]
    if not values:
        return None, None
    if len(values) > 1:
        return None, tr(language, "err_one_value")
    code = values[0]
    if item.option(code) is None:
        return None, tr(language, "err_unknown_code", code=code[:32])
    return code, None


def parse_multiple(
    item: Item, values: Sequence[str], language: str
) -> tuple[list[str] | None, str | None]:
    """A list of option codes in questionnaire order: ``(value, error)``."""
    codes = [v.strip() for v in values if v.strip()]
    if not codes:
        return None, None
    if len(codes) > _MAX_VALUES:
        return None, tr(language, "err_duplicate")
    for code in codes:
        if item.option(code) is None:
            return None, tr(language, "err_unknown_code", code=code[:32])
    if len(set(codes)) != len(codes):
        return None, tr(language, "err_duplicate")
    if len(codes) > 1:
        for code in codes:
            option = item.option(code)
            if option is not None and option.exclusive:
                return None, tr(language, "err_exclusive", label=option.label.get(language))
    chosen = set(codes)
    return [c for c in item.codes if c in chosen], None


def parse_number(
    item: Item, values: Sequence[str], language: str
) -> tuple[int | float | None, str | None]:
    """A number, full-width digits accepted: ``(value, error)``."""
    if len(values) > 1:
        return None, tr(language, "err_number")
    raw = unicodedata.normalize("NFKC", values[0] if values else "").strip().replace(" ", "")
    if raw == "":
        return None, None
    if not _NUMBER.match(raw) or len(raw) > 32:
        return None, tr(language, "err_number")
    x = float(raw)
    if not math.isfinite(x):
        return None, tr(language, "err_number")
    if item.integer and not x.is_integer():
        return None, tr(language, "err_integer")
    if item.minimum is not None and x < item.minimum:
        return None, tr(language, "err_min", min=_format_number(item.minimum))
    if item.maximum is not None and x > item.maximum:
        return None, tr(language, "err_max", max=_format_number(item.maximum))
    if item.integer or x.is_integer() and abs(x) < 2**53:
        return int(x), None
    return x, None


def parse_date(values: Sequence[str], language: str) -> tuple[str | None, str | None]:
    """A calendar date ``YYYY-MM-DD`` (full-width digits accepted) between 1900 and 2100,
    stored as that text: ``(value, error)``."""
    if len(values) > 1:
        return None, tr(language, "err_one_value")
    raw = unicodedata.normalize("NFKC", values[0] if values else "").strip()
    if raw == "":
        return None, None
    if not _DATE.match(raw):
        return None, tr(language, "err_date_answer")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None, tr(language, "err_date_answer")
    if not 1900 <= day.year <= 2100:
        return None, tr(language, "err_date_answer")
    return day.isoformat(), None


def parse_text(item: Item, values: Sequence[str], language: str) -> tuple[str | None, str | None]:
    """Free text without control characters: ``(value, error)``."""
    if len(values) > 1:
        return None, tr(language, "err_one_value")
    text = _CONTROL_CHARS.sub("", (values[0] if values else "").replace("\r\n", "\n")).strip()
    if not text:
        return None, None
    limit = item.max_length or 500
    if len(text) > limit:
        return None, tr(language, "err_too_long", max=limit, length=len(text))
    return text, None


def parse_item(
    item: Item, form: Mapping[str, Sequence[str]], language: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the posted fields of one item into ``({variable: value}, {variable: error})``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for var in item.variables:
        posted = list(form.get(field_name(var), ()))
        value: Any
        error: str | None
        if item.type in (ItemType.SINGLE, ItemType.TRUEFALSE, ItemType.LIKERT, ItemType.GRID):
            value, error = parse_choice(item, posted, language)
        elif item.type is ItemType.MULTIPLE:
            value, error = parse_multiple(item, posted, language)
        elif item.type is ItemType.NUMBER:
            value, error = parse_number(item, posted, language)
        elif item.type is ItemType.DATE:
            value, error = parse_date(posted, language)
        else:
            value, error = parse_text(item, posted, language)
        if error is not None:
            errors[var] = error
        elif value is not None:
            values[var] = value
    return values, errors


def check_fields(questionnaire: Questionnaire, section_id: str, form: Mapping[str, Any]) -> None:
    """Refuse fields that no rendering of this page produces.

    Raises:
        BadRequestError: naming the first unexpected field.
    """
    section = next((s for s in questionnaire.sections if s.id == section_id), None)
    if section is None:
        raise BadRequestError("no such page", param="page", got=section_id[:64])
    allowed = {field_name(v) for item in section.items for v in item.variables}
    for name in form:
        if name in CONTROL_FIELDS or name in allowed:
            continue
        if name.startswith(FIELD_PREFIX) and questionnaire.has_variable(name[len(FIELD_PREFIX) :]):
            raise BadRequestError(
                f"field {name[:80]!r} belongs to another page",
                param=name[:80],
                hint="submit each page from its own form",
            )
        raise BadRequestError(
            f"unknown form field {name[:80]!r}",
            param=name[:80],
            expected="q_<variable> answer fields, csrf_token, rev, page, action",
        )


def apply_page(
    questionnaire: Questionnaire,
    section_id: str,
    stored: Mapping[str, Any],
    form: Mapping[str, Sequence[str]],
    *,
    survey_year: int | None,
    language: str,
) -> PageOutcome:
    """Validate a posted page against the stored answers; see the module docstring.

    Raises:
        BadRequestError: unexpected fields, or an answer to an item that skip logic hides.
    """
    check_fields(questionnaire, section_id, form)
    before = walk(questionnaire, stored, survey_year)
    shown = frozenset(item.id for item in before.items_of(section_id))
    section = next(s for s in questionnaire.sections if s.id == section_id)
    new_answers = {
        k: v for k, v in stored.items() if not any(k in item.variables for item in section.items)
    }
    errors: dict[str, str] = {}
    notes: dict[str, str] = {}
    posted_items: set[str] = set()
    for item in section.items:
        if any(str(x).strip() for v in item.variables for x in form.get(field_name(v), ())):
            posted_items.add(item.id)
        values, item_errors = parse_item(item, form, language)
        new_answers.update(values)
        errors.update(item_errors)
    after = walk(questionnaire, new_answers, survey_year)
    visible_now = {item.id: item for item in after.items_of(section_id)}
    for item_id in sorted(posted_items):
        if item_id not in shown and item_id not in visible_now:
            raise BadRequestError(
                f"an answer to {item_id!r}, which is not asked given the other answers",
                param=item_id,
                hint="skip logic hides this question; leave it out",
            )
    env = questionnaire.environment(after.answers, survey_year)
    filtered = questionnaire.filtered_option_items
    for item in visible_now.values():
        for var in item.variables:
            if var in errors:
                continue
            if not is_answered(after.answers.get(var)):
                if item.required and item.id in shown:
                    errors[var] = tr(language, "err_required")
                elif item.required:
                    notes[var] = tr(language, "new_question_note")
        if item.id in filtered and item.id not in errors:
            chosen = after.answers.get(item.id)
            codes = chosen if isinstance(chosen, list) else [] if chosen is None else [chosen]
            shown_codes = {o.code for o in offered(item.options, env)}
            if any(c not in shown_codes for c in codes):
                errors[item.id] = tr(language, "err_not_offered")
        if item.constraint is not None and not any(v in errors for v in item.variables):
            if all(is_answered(after.answers.get(v)) for v in item.variables):
                if not item.constraint.test(env):
                    message = (
                        item.constraint_message.get(language)
                        if item.constraint_message is not None
                        else tr(language, "err_constraint")
                    )
                    errors[item.variables[0]] = message
    return PageOutcome(
        answers=after.answers, errors=errors, visibility=after, shown=shown, notes=notes
    )
