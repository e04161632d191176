"""The one interface catalogue: every string a user reads, zh-CN first, English second.

The web survey, the staff console, the dashboard and the PDF reports look their strings
up here, with one function, :func:`tr` ``(lang, key, **values)``. The strings live in
part files under :mod:`kesu.strings` (one per area: ``survey``, ``staff``,
``reports``, ``outcomes``, ``capacity``), registered in :data:`PARTS`; they are merged
once at import, and a key defined in two parts, or missing in a language, stops the
import (and the tests) with a message naming the part and the key. Questionnaire texts
come from the questionnaire file, never from here.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from kesu.strings import capacity
from kesu.strings import outcomes
from kesu.strings import reports
from kesu.strings import staff
from kesu.strings import survey

logger = logging.getLogger(__name__)

#: the interface languages, default first
LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]
#: each language's name in itself (the language switch shows it)
LANGUAGE_NAMES: dict[str, str] = {"zh-CN": "中文", "en": "English"}

#: the catalogue's parts, by area
PARTS: dict[str, ModuleType] = {
    "survey": survey,
    "staff": staff,
    "reports": reports,
    "outcomes": outcomes,
    "capacity": capacity,
}


def check_parts(parts: dict[str, ModuleType]) -> list[str]:
    """Problems of a set of parts: languages other than :data:`LANGUAGES`, keys present
    in one language of a part but not another, empty texts, keys defined in two parts."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for name, part in parts.items():
        table: dict[str, dict[str, str]] = part.STRINGS
        if tuple(table) != LANGUAGES:
            problems.append(f"part {name}: languages {tuple(table)}, expected {LANGUAGES}")
            continue
        keys = set(table[DEFAULT_LANGUAGE])
        for lang in LANGUAGES[1:]:
            for key in sorted(keys ^ set(table[lang])):
                problems.append(f"part {name}: key {key!r} not in every language")
        for lang in LANGUAGES:
            for key, text in table[lang].items():
                if not text:
                    problems.append(f"part {name}: key {key!r} is empty in {lang}")
        for key in sorted(keys):
            if key in owner:
                problems.append(f"key {key!r} is defined in part {owner[key]} and part {name}")
            owner.setdefault(key, name)
    return problems


def _merge(parts: dict[str, ModuleType]) -> dict[str, dict[str, str]]:
    problems = check_parts(parts)
    if problems:
        raise RuntimeError("interface catalogue: " + "; ".join(problems))
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for part in parts.values():
        for lang in LANGUAGES:
            merged[lang].update(part.STRINGS[lang])
    return merged


#: language -> key -> text, all parts merged
CATALOGUE: dict[str, dict[str, str]] = _merge(PARTS)


def normalize_language(value: str | None) -> str:
    """A supported language tag: ``value`` if it is one, else the default (zh-CN).

    Example:
        >>> normalize_language("en"), normalize_language("fr"), normalize_language(None)
        ('en', 'zh-CN', 'zh-CN')
    """
    return value if value in LANGUAGE_NAMES else DEFAULT_LANGUAGE


def check_language(lang: str) -> str:
    """``lang`` if supported, else zh-CN (logged: a report asked for in a language we
    do not have is made in Chinese, and the log says so).

    Example:
        >>> check_language("en")
        'en'
    """
    if lang in LANGUAGE_NAMES:
        return lang
    logger.warning("language %r not available; using zh-CN", lang)
    return DEFAULT_LANGUAGE


def has_key(key: str) -> bool:
    """Whether the catalogue has ``key``."""
    return key in CATALOGUE[DEFAULT_LANGUAGE]


def tr(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` in ``lang`` (an unknown language is zh-CN), ``{values}`` filled in.

    Raises:
        KeyError: no such key (a programming error, caught by the tests).

    Example:
        >>> tr("en", "footer", page=2, pages=9)
        'Page 2 of 9'
        >>> tr("zh-CN", "aapor_R")
        '拒访与中途退出'
    """
    table = CATALOGUE.get(lang, CATALOGUE[DEFAULT_LANGUAGE])
    text = table[key]
    return text.format(**values) if values else text


def code_label(kind: str, code: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """The display name of a stored code, e.g. ``code_label("status", "open")`` -> 开放中.

    ``kind`` is the key prefix (status, role, review, response, mode, selection, flag,
    aapor, disposition). A code without a catalogue entry is shown as it is; ``None``
    as "".

    Example:
        >>> code_label("aapor", "R", "en"), code_label("disposition", "2.24")
        ('Refusal and break-off', '家中无人')
    """
    if code is None or code == "":
        return ""
    key = f"{kind}_{code}"
    if not has_key(key):
        return str(code)
    return tr(lang, key)
