"""Towns are chosen from the questionnaire's list, everywhere.

The ``town`` item of a questionnaire (concept ``town``) lists the towns and streets
(code ``choucheng``, names 稠城街道 / Choucheng Street). Invitations, assignments and
sample files store the code; a person may type the code or either name
(:func:`resolve_town`); anything else is refused where it was typed, so no second
spelling of a town reaches the monitor or the exports.
"""

from __future__ import annotations

from dataclasses import dataclass

from questionnaires import Questionnaire
from questionnaires.codes import CodeMap
from survey.errors import BadRequestError


@dataclass(frozen=True)
class Town:
    """A town of the questionnaire's list: its code and its names."""

    code: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def towns_of(q: Questionnaire) -> tuple[Town, ...]:
    """The towns of the questionnaire's ``town`` item, in its order (none without one)."""
    item = q.items_by_concept().get("town")
    if item is None:
        return ()
    return tuple(Town(o.code, o.label.get("zh-CN"), o.label.get("en")) for o in item.options)


def town_labels(q: Questionnaire, lang: str = "zh-CN") -> dict[str, str]:
    """Town code -> name in ``lang`` (empty for a questionnaire without a town item)."""
    return {t.code: t.label(lang) for t in towns_of(q)}


def resolve_town(q: Questionnaire, value: str) -> str | None:
    """The code of the town ``value`` names (its code, Chinese or English name; spacing and
    case ignored), or None when the questionnaire has no such town. A questionnaire
    without a town item takes ``value`` as it is."""
    towns = towns_of(q)
    value = value.strip()
    if not towns:
        return value or None
    codes = CodeMap.of((t.code, (t.zh, t.en)) for t in towns)
    return codes.code_of(value)


def town_code(q: Questionnaire, value: str) -> str | None:
    """:func:`resolve_town`, refusing a town not on the list (None for a blank value).

    Raises:
        BadRequestError: ``value`` names no town of the questionnaire.
    """
    if not value.strip():
        return None
    code = resolve_town(q, value)
    if code is None:
        raise BadRequestError(
            f"{value[:40]!r} is not a town of the questionnaire", param="town",
            got=value[:40], expected=[t.code for t in towns_of(q)], ui="err_town",
            ui_params={"value": value[:40]},
        )  # fmt: skip
    return code
