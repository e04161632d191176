"""HTML of the questions on a page, built in Python.

Question pages are the hot path of the survey (every respondent loads ten or more of
them). Building the item markup with plain string joins and :func:`markupsafe.escape`
costs a fraction of the equivalent Jinja macros; the page around it stays a template.
Every text is escaped here, so the result is returned as :class:`~markupsafe.Markup`.
:class:`PageShell` keeps the page around them, rendered once, with holes for the
respondent's own values.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup
from markupsafe import escape

logger = logging.getLogger(__name__)


def _aria(field: dict[str, Any]) -> str:
    out = ""
    if field["describedby"]:
        out += f' aria-describedby="{field["describedby"]}"'
    if field["error"]:
        out += ' aria-invalid="true"'
    return out


def _error(field: dict[str, Any]) -> str:
    if not field["error"]:
        if field.get("note"):  # a question shown by an answer: a neutral note, not an error
            return (
                f'<p class="field-note" id="n-{field["var"]}" role="status">'
                f"{escape(field['note'])}</p>"
            )
        return ""
    return (
        f'<p class="field-error" id="e-{field["var"]}"><span class="sr">!</span>'
        f"{escape(field['error'])}</p>"
    )


def _options(var: str, kind: str, options: Sequence[dict[str, Any]]) -> str:
    parts = []
    for o in options:
        checked = " checked" if o["checked"] else ""
        exclusive = ' data-exclusive="1"' if o["exclusive"] else ""
        parts.append(
            f'<label class="opt" for="{escape(o["id"])}"><input type="{kind}" '
            f'id="{escape(o["id"])}" name="q_{var}" value="{escape(o["code"])}"{checked}'
            f"{exclusive}> <span>{escape(o['label'])}</span></label>"
        )
    return "\n".join(parts)


def error_summary(view: list[dict[str, Any]], errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(variable, "n. question", message)`` for the list of problems atop a page of
    questions (``respond/_errors.html``: the respondent's page and the preview)."""
    out = []
    for it in view:
        entries = it["rows"] if "rows" in it else [it]
        for entry in entries:
            if entry["var"] in errors:
                text = entry["text"] if len(entry["text"]) <= 24 else entry["text"][:23] + "…"
                out.append((entry["var"], f"{it['n']}. {text}", errors[entry["var"]]))
    return out


def render_items(items: Sequence[dict[str, Any]], texts: dict[str, str]) -> Markup:
    """The markup of the items of :func:`survey.respond.page_view`.

    ``texts`` holds the UI strings ``required_mark``, ``optional_mark`` and ``choose_any``
    in the respondent's language.
    """
    out: list[str] = []
    for it in items:
        mark = texts["required_mark"] if it["required"] else texts["optional_mark"]
        head = (
            f'<span class="num">{it["n"]}.</span> {escape(it["text"])} '
            f'<span class="mark">{escape(mark)}</span>'
        )
        help_ = f'<p class="help" id="h-{it["id"]}">{escape(it["help"])}</p>' if it["help"] else ""
        has_error = " has-error" if it["error"] else (" is-new" if it.get("note") else "")
        if "options" in it:
            hint = (
                f'<p class="hint">{escape(texts["choose_any"])}</p>'
                if it["kind"] == "checkbox"
                else ""
            )
            out.append(
                f'<fieldset class="item{has_error}" id="fs-{it["var"]}"{_aria(it)}>'
                f"<legend>{head}</legend>{help_}{hint}{_error(it)}\n"
                f"{_options(it['var'], it['kind'], it['options'])}\n</fieldset>"
            )
        elif "rows" in it:
            rows = []
            for row in it["rows"]:
                row_error = " has-error" if row["error"] else ""
                rows.append(
                    f'<fieldset class="row{row_error}" id="fs-{row["var"]}"{_aria(row)}>'
                    f"<legend>{escape(row['text'])}</legend>{_error(row)}\n"
                    f"{_options(row['var'], 'radio', row['options'])}\n</fieldset>"
                )
            out.append(
                f'<fieldset class="item grid" id="fs-{it["id"]}"><legend>{head}</legend>'
                f"{help_}\n" + "\n".join(rows) + "\n</fieldset>"
            )
        else:
            label = f'<label for="f-{it["var"]}" class="qlabel">{head}</label>'
            if it["type"] == "number":
                mode = "numeric" if it["integer"] else "decimal"
                unit = f'<span class="unit">{escape(it["unit"])}</span>' if it["unit"] else ""
                control = (
                    f'<input type="text" id="f-{it["var"]}" name="q_{it["var"]}" '
                    f'value="{escape(it["value"])}" inputmode="{mode}" autocomplete="off" '
                    f'class="number"{_aria(it)}>{unit}'
                )
            elif it["type"] == "date":
                control = (
                    f'<input type="date" id="f-{it["var"]}" name="q_{it["var"]}" '
                    f'value="{escape(it["value"])}" min="1900-01-01" max="2100-12-31" '
                    f'placeholder="2025-03-15" class="date"{_aria(it)}>'
                )
            else:
                control = (
                    f'<textarea id="f-{it["var"]}" name="q_{it["var"]}" rows="3" '
                    f'maxlength="{it["max_length"]}"{_aria(it)}>{escape(it["value"])}</textarea>'
                )
            out.append(
                f'<div class="item{has_error}" id="fs-{it["var"]}">{label}{help_}'
                f"{_error(it)}{control}</div>"
            )
    return Markup("\n".join(out))


#: the per-respondent values of a question page's shell (see :class:`PageShell`)
SHELL_SLOTS = ("token", "csrf", "rev", "items")
_SLOT_MARKS = {name: f"kesu-slot-{name}-{secrets.token_hex(12)}" for name in SHELL_SLOTS}
_SLOT_NAMES = {mark: name for name, mark in _SLOT_MARKS.items()}
_SLOT_PATTERN = re.compile("(" + "|".join(_SLOT_MARKS.values()) + ")")


def slot(name: str) -> Markup:
    """The mark that stands for the value ``name`` of :data:`SHELL_SLOTS` while a shell is
    rendered: random per process (ASCII letters, digits and dashes, which neither HTML
    escaping nor URL quoting change), so no questionnaire text can contain it."""
    return Markup(_SLOT_MARKS[name])


class PageShell:
    """A question page rendered once with marks (:func:`slot`) where the respondent's own
    values go - the invitation token, the CSRF token, the revision and the items' markup -
    and filled in per request by joining strings (a few µs instead of a template render).

    Built from a template's output: the text between the marks is kept as it is, already
    encoded as UTF-8, the page's encoding (encoding a whole page of Chinese text for each
    response cost about as much as filling it).
    """

    def __init__(self, html: str) -> None:
        parts = _SLOT_PATTERN.split(html)
        self._text = tuple(part.encode("utf-8") for part in parts[0::2])
        self._slots = tuple(_SLOT_NAMES[mark] for mark in parts[1::2])

    def fill(self, values: dict[str, bytes]) -> bytes:
        """The page (UTF-8) with ``values`` (already escaped markup, UTF-8) in its slots."""
        out = [self._text[0]]
        for name, text in zip(self._slots, self._text[1:], strict=True):
            out.append(values[name])
            out.append(text)
        return b"".join(out)
