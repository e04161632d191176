"""The wave's fieldwork settings as a labelled web form (never raw JSON).

:func:`settings_fields` turns the settings in force (:data:`survey.fieldwork.WAVE_SETTINGS`
over the wave's own) into the values the form shows (shares with three decimals:
``0.333``, not ``0.3333333333333333``); :func:`settings_from_form` reads the posted form
back, field by field, into the changes for :func:`survey.fieldwork.update_settings` and
the errors to show next to each field, in the page's language. Only changed keys are
returned, so saving an untouched form changes nothing (and is not an error).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kesu.i18n import tr
from questionnaires.scales import PHONE_PATTERN
from survey.care import MAX_HELP_TEXT
from survey.fieldwork import SELECTION_METHODS
from survey.towns import Town

#: the shares of the form (0 < x < 1)
SHARES = ("speeder_share", "partial_threshold")
#: blank lines offered below the help lines already set
SPARE_HELP_LINES = 2


def share_text(x: Any) -> str:
    """A share as the form shows it: at most three decimals (``0.333``, ``0.5``).

    Example:
        >>> share_text(1 / 3), share_text(0.5), share_text(0.05)
        ('0.333', '0.5', '0.05')
    """
    if not isinstance(x, int | float) or not math.isfinite(x):
        return ""
    return f"{float(x):.3f}".rstrip("0").rstrip(".")


def _text_of(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or "")
    return str(value or "") if lang == "zh-CN" else ""


def settings_fields(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Form field -> value shown (from the settings in force)."""
    out: dict[str, Any] = {
        "gps": bool(settings.get("gps")),
        "anonymous": bool(settings.get("anonymous")),
        "selection": settings.get("selection", "kish"),
        "straightline_min_rows": str(settings.get("straightline_min_rows", "")),
    }
    for key in SHARES:
        out[key] = share_text(settings.get(key))
    for town, goals in (settings.get("targets") or {}).items():
        if isinstance(goals, Mapping) and "total" in goals:
            out[f"target_{town}"] = str(goals["total"])
    lines = list(settings.get("help_resources") or [])
    for i, entry in enumerate(lines):
        out[f"hr_name_{i}"] = _text_of(entry.get("name"), "zh-CN")
        out[f"hr_name_en_{i}"] = _text_of(entry.get("name"), "en")
        out[f"hr_phone_{i}"] = str(entry.get("phone") or "")
        out[f"hr_hours_{i}"] = _text_of(entry.get("hours"), "zh-CN")
    out["help_lines"] = len(lines) + SPARE_HELP_LINES
    return out


def settings_from_form(
    form: Mapping[str, str], current: Mapping[str, Any], towns: tuple[Town, ...], lang: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(changes, errors)`` from the posted settings form; errors are keyed by field."""
    new: dict[str, Any] = {}
    errors: dict[str, str] = {}
    new["gps"] = form.get("gps") == "1"
    new["anonymous"] = form.get("anonymous") == "1"
    selection = form.get("selection", "")
    if selection in SELECTION_METHODS:
        new["selection"] = selection
    else:
        errors["selection"] = tr(lang, "err_setting_choice")
    for key in SHARES:
        raw = form.get(key, "").strip()
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not 0 < value < 1:
            errors[key] = tr(lang, "err_setting_share", value=raw[:20])
        elif share_text(value) != share_text(current.get(key)):
            new[key] = value
        else:
            new[key] = current.get(key)
    raw = form.get("straightline_min_rows", "").strip()
    if raw.isdecimal() and 2 <= int(raw) <= 100:
        new["straightline_min_rows"] = int(raw)
    else:
        errors["straightline_min_rows"] = tr(lang, "err_setting_rows", value=raw[:20])
    targets = {k: dict(v) for k, v in (current.get("targets") or {}).items()}
    for town in towns:
        raw = form.get(f"target_{town.code}", "").strip()
        goals = targets.setdefault(town.code, {})
        if raw == "":
            goals.pop("total", None)
        elif raw.isdecimal() and len(raw) <= 7:
            goals["total"] = int(raw)
        else:
            errors[f"target_{town.code}"] = tr(lang, "err_setting_target", value=raw[:20])
    new["targets"] = {k: v for k, v in targets.items() if v}
    lines = []
    raw_lines = form.get("help_lines", "")
    n_lines = min(int(raw_lines), 12) if raw_lines.isdecimal() and len(raw_lines) < 3 else 0
    for i in range(n_lines):
        name = form.get(f"hr_name_{i}", "").strip()
        name_en = form.get(f"hr_name_en_{i}", "").strip()
        phone = form.get(f"hr_phone_{i}", "").strip()
        hours = form.get(f"hr_hours_{i}", "").strip()
        if not (name or name_en or phone or hours):
            continue
        if not name:
            errors[f"hr_name_{i}"] = tr(lang, "err_setting_help_name")
        for key, text in (("hr_name", name), ("hr_name_en", name_en), ("hr_hours", hours)):
            if len(text) > MAX_HELP_TEXT:  # what survey.care reads back
                errors[f"{key}_{i}"] = tr(lang, "err_text_long", max=MAX_HELP_TEXT)
        if not PHONE_PATTERN.match(phone):
            errors[f"hr_phone_{i}"] = tr(lang, "err_setting_phone", value=phone[:32])
        entry: dict[str, Any] = {
            "name": {"zh-CN": name, **({"en": name_en} if name_en else {})},
            "phone": phone,
        }
        if hours:
            entry["hours"] = hours
        lines.append(entry)
    new["help_resources"] = lines
    changes = {k: v for k, v in new.items() if v != current.get(k)}
    return changes, errors
