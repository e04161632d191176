"""Duty of care: the help message a respondent reads when an answer raises a care flag.

The questionnaire's ``care:`` block holds the message and the default help resources
(national lines, with their sources in the file); a wave's ``help_resources`` setting
replaces the resources with a city's own lines. :func:`care_view` is computed on the
server from the stored answers for every question page and the thanks page, so the
message appears on the page after the answer, without JavaScript. Nothing here is
logged or stored: the flag itself is part of the response's scales (``flag_<id>``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires import Questionnaire
from questionnaires.model import HelpResource
from questionnaires.model import Text
from questionnaires.scales import PHONE_PATTERN
from scoring import care_flags_raised
from survey.errors import BadRequestError

logger = logging.getLogger(__name__)

_RESOURCE_KEYS = {"name", "phone", "hours", "note"}
MAX_RESOURCES = 10
#: the longest name, hours or note of a help line (characters, in each language)
MAX_HELP_TEXT = 200


def _text(value: Any, key: str, index: int) -> Text | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip() and len(value) <= MAX_HELP_TEXT:
        return Text.of(value.strip())
    if (
        isinstance(value, Mapping)
        and isinstance(value.get("zh-CN"), str)
        and all(isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= MAX_HELP_TEXT
                for k, v in value.items())
    ):  # fmt: skip
        return Text.of({str(k): str(v) for k, v in value.items()})
    raise BadRequestError(
        f"help_resources[{index}].{key} is a text (a string, or {{'zh-CN': ..., 'en': ...}}) "
        f"of at most {MAX_HELP_TEXT} characters",
        param=f"help_resources.{key}",
        got=str(value)[:64],
    )


def read_help_resources(value: Any) -> tuple[HelpResource, ...]:
    """Check the ``help_resources`` wave setting: a list of ``{name, phone, hours?, note?}``.

    Raises:
        BadRequestError: naming the entry and key.

    Example:
        >>> read_help_resources([{"name": "义乌市心理援助热线", "phone": "0579-12345678"}])
        ... # doctest: +SKIP
    """
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RESOURCES:
        raise BadRequestError(
            f"help_resources is a list of 1 to {MAX_RESOURCES} lines "
            "[{name, phone, hours?, note?}]",
            param="help_resources",
        )
    out = []
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping) or set(entry) - _RESOURCE_KEYS:
            raise BadRequestError(
                f"help_resources[{i}] is a mapping with the keys name, phone, hours, note",
                param="help_resources",
                got=sorted(entry)[:8] if isinstance(entry, Mapping) else type(entry).__name__,
            )
        phone = entry.get("phone")
        if not isinstance(phone, str) or not PHONE_PATTERN.match(phone):
            raise BadRequestError(
                f"help_resources[{i}].phone is a telephone number (digits, spaces, '-', '+')",
                param="help_resources.phone",
                got=str(phone)[:32],
            )
        name = _text(entry.get("name"), "name", i)
        if name is None:
            raise BadRequestError(f"help_resources[{i}] needs a name", param="help_resources")
        out.append(
            HelpResource(name, phone, _text(entry.get("hours"), "hours", i),
                         _text(entry.get("note"), "note", i))
        )  # fmt: skip
    return tuple(out)


def help_resources(q: Questionnaire, settings: Mapping[str, Any]) -> tuple[HelpResource, ...]:
    """The wave's own help resources (``help_resources`` setting), else the questionnaire's."""
    custom = settings.get("help_resources")
    if custom:
        return read_help_resources(custom)
    return q.care.resources if q.care is not None else ()


@dataclass(frozen=True)
class CareView:
    """What a page shows: ``raised`` (a care flag is up: the full message) or only the
    general note with the resources (the thanks page of a questionnaire with ``care``)."""

    raised: bool
    message: str
    closing: str
    resources: tuple[dict[str, str], ...]


def care_view(
    q: Questionnaire, answers: Mapping[str, Any], settings: Mapping[str, Any], lang: str
) -> CareView | None:
    """The duty-of-care box of a page (None when the questionnaire has no ``care``)."""
    if q.care is None:
        return None
    raised = bool(care_flags_raised(q, answers))
    resources = tuple(
        {
            "name": r.name.get(lang),
            "phone": r.phone,
            "hours": r.hours.get(lang) if r.hours is not None else "",
            "note": r.note.get(lang) if r.note is not None else "",
        }
        for r in help_resources(q, settings)
    )
    closing = q.care.closing.get(lang) if q.care.closing is not None else ""
    return CareView(raised, q.care.message.get(lang), closing, resources)
