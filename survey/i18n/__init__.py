"""The language of the current web request, and catalogue lookups in it.

The strings themselves are in the one catalogue :mod:`kesu.i18n` (parts under
:mod:`kesu.strings`); this module only knows which language a request is in: ``g.lang``
(set by the ``?lang=`` switch of :mod:`survey.respond`), before that the session's
choice, outside a request zh-CN.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask import has_app_context
from flask import has_request_context
from flask import session

from kesu.i18n import DEFAULT_LANGUAGE
from kesu.i18n import code_label
from kesu.i18n import normalize_language
from kesu.i18n import tr


def current_language() -> str:
    """The language of the current request (zh-CN outside a request).

    ``g.lang`` once the respondent blueprint's ``before_app_request`` has run; before it
    (a CSRF failure or a rate limit answered by an earlier hook) the session's choice.
    """
    if not has_app_context():
        return DEFAULT_LANGUAGE
    lang = g.get("lang")
    if lang is None and has_request_context():
        lang = session.get("lang")
    return normalize_language(lang)


def ui_text(key: str, **params: Any) -> str:
    """:func:`kesu.i18n.tr` in the language of the current request."""
    return tr(current_language(), key, **params)


def ui_label(kind: str, code: Any) -> str:
    """:func:`kesu.i18n.code_label` in the language of the current request."""
    return code_label(kind, code, current_language())


def ui_disposition(code: Any) -> str:
    """The name of an AAPOR disposition code in the language of the current request."""
    return code_label("disposition", code, current_language())
