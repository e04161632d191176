"""Reading the ``scales:`` and ``care:`` blocks of a questionnaire.

A *scale* is a validated instrument inside a questionnaire (PHQ-9, GAD-7, a work-stress
block): a list of answer variables, a scoring rule (sum or mean, reverse-coded items,
a minimum number of answered items, optional prorating), score bands with cut-offs and
labels, and optional flags on single items. ``care:`` is the duty-of-care message and
the default help resources shown when a flag marked ``care: true`` is raised.

Everything is checked against the items once they are read, and every problem is
recorded with its line, like the rest of the loader (format: ``questionnaires/FORMAT.md``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from kesu.yamlsource import LineDict
from questionnaires.fields import CODE_PATTERN
from questionnaires.fields import ID_PATTERN
from questionnaires.fields import Fields
from questionnaires.fields import Reporter
from questionnaires.model import DONT_KNOW
from questionnaires.model import Band
from questionnaires.model import CareNotice
from questionnaires.model import HelpResource
from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import Scale
from questionnaires.model import ScaleFlag
from questionnaires.model import ScaleMethod
from questionnaires.model import Section

logger = logging.getLogger(__name__)

_SCALE_KEYS = {
    "label",
    "items",
    "score",
    "reverse",
    "min_answered",
    "prorate",
    "bands",
    "flags",
    "screen_from",
    "reference",
}
_BAND_KEYS = {"code", "label", "min", "max"}
_FLAG_KEYS = {"item", "min", "label", "care"}
_CARE_KEYS = {"message", "resources", "closing"}
_RESOURCE_KEYS = {"name", "phone", "hours", "note"}
#: item types whose answers are one option with a numeric value
SCALE_ITEM_TYPES = (ItemType.SINGLE, ItemType.LIKERT, ItemType.GRID)
PHONE_PATTERN = re.compile(r"^[0-9+][0-9 \-]{1,23}$")


def option_values(item: Item) -> tuple[float | None, ...]:
    """The value of each option of ``item`` (``None`` for "don't know" and unvalued ones)."""
    return tuple(None if o.code == DONT_KNOW else o.value for o in item.options)


def _variables(sections: Sequence[Section]) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for section in sections:
        for item in section.items:
            for var in item.variables:
                out.setdefault(var, item)
    return out


def read_scales(
    rep: Reporter, specs: LineDict | None, line: int, sections: Sequence[Section]
) -> tuple[Scale, ...]:
    """The scales of a questionnaire, checked against its items (problems go to ``rep``).

    ``specs`` is the ``scales:`` mapping (scale id -> spec), ``line`` its line.
    """
    if specs is None:
        return ()
    if not specs:
        rep.add(line, "'scales' is empty; remove it or define a scale")
    variables = _variables(sections)
    scales: list[Scale] = []
    taken: dict[str, int] = {}
    for scale_id, spec in specs.items():
        scale = _scale(rep, scale_id, spec, specs.line_of(scale_id), variables, taken)
        if scale is not None:
            scales.append(scale)
    return tuple(scales)


def _claim(rep: Reporter, taken: dict[str, int], name: str, line: int, where: str) -> bool:
    """Scale and flag ids share one namespace (they name analysis-table columns)."""
    if name in taken:
        rep.add(
            line, f"name {name!r} is already used by a scale or flag on line {taken[name]}", where
        )
        return False
    taken[name] = line
    return True


def _scale(
    rep: Reporter,
    scale_id: Any,
    spec: Any,
    line: int,
    variables: dict[str, Item],
    taken: dict[str, int],
) -> Scale | None:
    where = f"scale {scale_id}"
    f = Fields(rep, spec, what="a scale", where=where, allowed=_SCALE_KEYS, line=line)
    if not isinstance(scale_id, str) or not ID_PATTERN.match(scale_id):
        f.error(None, f"scale id {scale_id!r} is not a valid name (letters, digits, _)")
        return None
    if not f.ok:
        return None
    ok = _claim(rep, taken, scale_id, line, where)
    label = f.text("label", required=True)
    method_name = f.string("score", default="sum") or "sum"
    try:
        method = ScaleMethod(method_name)
    except ValueError:
        f.error("score", f"unknown scoring rule {method_name!r} (sum or mean)")
        method = ScaleMethod.SUM
        ok = False
    items = _scale_items(f, variables)
    if items is None:
        return None
    reverse = _reverse(f, items)
    ranges = [_item_range(f, var, variables[var]) for var in items]
    if any(r is None for r in ranges):
        ok = False
    min_answered = f.integer("min_answered", default=len(items), minimum=1)
    if min_answered is None:
        min_answered = len(items)
    if min_answered > len(items):
        f.error(
            "min_answered",
            f"min_answered {min_answered} is more than the scale's {len(items)} items",
        )
        ok = False
    prorate = f.boolean("prorate", default=False)
    if prorate and method is ScaleMethod.MEAN:
        f.error("prorate", "'prorate' applies to sum scores only (a mean needs no prorating)")
        ok = False
    if method is ScaleMethod.SUM and not prorate and min_answered < len(items):
        f.error(
            "min_answered",
            f"a sum over fewer than all {len(items)} items is not comparable "
            "with a full one; set 'prorate: true' or min_answered to the "
            "number of items",
        )
        ok = False
    reference = f.string("reference")
    if not ok or label is None or any(r is None for r in ranges):
        return None
    bounds = [r for r in ranges if r is not None]
    whole = all(float(v).is_integer() for r in bounds for v in r)
    if method is ScaleMethod.SUM:
        low, high = sum(r[0] for r in bounds), sum(r[1] for r in bounds)
    else:
        low, high = min(r[0] for r in bounds), max(r[1] for r in bounds)
    bands = _bands(rep, f, where, low, high)
    flags = _flags(rep, f, where, items, variables, taken)
    if bands is None or flags is None:
        return None
    screen_from = f.string("screen_from")
    codes = [b.code for b in bands]
    if screen_from is not None and screen_from not in codes[1:]:
        f.error(
            "screen_from",
            f"screen_from {screen_from!r} is not one of the bands after the first "
            f"({', '.join(codes[1:]) or 'none'}): name the band from which a score screens "
            "positive",
        )
        return None
    return Scale(
        id=scale_id,
        label=label,
        items=items,
        method=method,
        reverse=reverse,
        min_answered=min_answered,
        prorate=prorate,
        whole=whole,
        low=low,
        high=high,
        bands=bands,
        flags=flags,
        line=line,
        reference=reference,
        screen_from=screen_from,
    )


def _scale_items(f: Fields, variables: dict[str, Item]) -> tuple[str, ...] | None:
    seq = f.sequence("items", required=True)
    if seq is None:
        return None
    out: list[str] = []
    ok = True
    for i, var in enumerate(seq):
        line = seq.line_of(i)
        if not isinstance(var, str) or var not in variables:
            f.rep.add(
                line, f"scale item {var!r} is not an item or grid row of the questionnaire", f.where
            )
            ok = False
            continue
        item = variables[var]
        if item.type not in SCALE_ITEM_TYPES:
            kinds = ", ".join(t.value for t in SCALE_ITEM_TYPES)
            f.rep.add(
                line,
                f"scale item {var!r} is a {item.type.value} item; a scale reads "
                f"items with one valued answer ({kinds})",
                f.where,
            )
            ok = False
            continue
        if var in out:
            f.rep.add(line, f"scale item {var!r} is listed twice", f.where)
            ok = False
            continue
        out.append(var)
    if not seq:
        f.error("items", "a scale needs at least one item")
        return None
    return tuple(out) if ok else None


def _reverse(f: Fields, items: tuple[str, ...]) -> frozenset[str]:
    seq = f.sequence("reverse")
    out: set[str] = set()
    for i, var in enumerate(seq or []):
        if var not in items:
            f.rep.add(
                seq.line_of(i) if seq is not None else f.line,
                f"reverse-coded item {var!r} is not one of the scale's items",
                f.where,
            )
        else:
            out.add(var)
    return frozenset(out)


def _item_range(f: Fields, var: str, item: Item) -> tuple[float, float] | None:
    """(lowest, highest) option value of a scale item; every substantive option needs one."""
    values = option_values(item)
    missing = [
        o.code
        for o, v in zip(item.options, values, strict=True)
        if v is None and o.code != DONT_KNOW
    ]
    if missing:
        f.error(
            "items",
            f"scale item {var!r}: option(s) {', '.join(missing)} have no 'value' "
            "(give every option of a scale item a number)",
        )
        return None
    numbers = [v for v in values if v is not None]
    seen: dict[float, str] = {}
    for o, v in zip(item.options, values, strict=True):
        if v is None:
            continue
        if v in seen:
            # typically an option left without 'value' in a Likert set: it takes its
            # position (1..k), which then collides with an explicit value
            f.error(
                "items",
                f"scale item {var!r}: options {seen[v]} and {o.code} "
                f"have the same value {v:g}; give every option its own value",
            )
            return None
        seen[v] = o.code
    if len(numbers) < 2:
        f.error("items", f"scale item {var!r} needs at least two valued options")
        return None
    return (min(numbers), max(numbers))


def _bands(
    rep: Reporter, f: Fields, where: str, low: float, high: float
) -> tuple[Band, ...] | None:
    seq = f.sequence("bands")
    if seq is None:
        return ()
    bands: list[Band] = []
    ok = True
    codes: set[str] = set()
    for i, entry in enumerate(seq):
        bf = Fields(rep, entry, what="a band", where=where, allowed=_BAND_KEYS, line=seq.line_of(i))
        code = bf.string("code", required=True, pattern=CODE_PATTERN)
        label = bf.text("label", required=True)
        lo = bf.number("min", required=True)
        hi = bf.number("max", required=True)
        if code is not None and code in codes:
            bf.error("code", f"band code {code!r} appears twice")
            ok = False
        if lo is not None and hi is not None and hi < lo:
            bf.error("max", f"band {code}: max {hi:g} is below its min {lo:g}")
            ok = False
        if bands and lo is not None and lo <= bands[-1].maximum:
            bf.error(
                "min",
                f"band {code}: min {lo:g} is not above the previous band's max "
                f"{bands[-1].maximum:g}; list bands from low to high without "
                "overlap",
            )
            ok = False
        if code is None or label is None or lo is None or hi is None:
            ok = False
            continue
        codes.add(code)
        bands.append(Band(code, label, lo, hi))
    if not seq:
        f.error("bands", "'bands' is empty; remove it or list the bands")
        return None
    if ok and bands[0].minimum > low:
        f.error(
            "bands",
            f"the first band starts at {bands[0].minimum:g}, above the lowest "
            f"possible score {low:g}",
        )
        ok = False
    if ok and bands[-1].maximum < high:
        f.error(
            "bands",
            f"the last band ends at {bands[-1].maximum:g}, below the highest "
            f"possible score {high:g}",
        )
        ok = False
    return tuple(bands) if ok else None


def _flags(
    rep: Reporter,
    f: Fields,
    where: str,
    items: tuple[str, ...],
    variables: dict[str, Item],
    taken: dict[str, int],
) -> tuple[ScaleFlag, ...] | None:
    raw = f.mapping("flags")
    if raw is None:
        return ()
    out: list[ScaleFlag] = []
    ok = True
    for flag_id, spec in raw.items():
        line = raw.line_of(flag_id)
        ff = Fields(rep, spec, what="a flag", where=where, allowed=_FLAG_KEYS, line=line)
        if not isinstance(flag_id, str) or not ID_PATTERN.match(flag_id):
            ff.error(None, f"flag id {flag_id!r} is not a valid name (letters, digits, _)")
            ok = False
            continue
        if not _claim(rep, taken, flag_id, line, where):
            ok = False
        label = ff.text("label", required=True)
        var = ff.string("item", required=True)
        minimum = ff.number("min", required=True)
        care = ff.boolean("care", default=False)
        if var is not None and var not in items:
            ff.error("item", f"flag {flag_id}: item {var!r} is not one of the scale's items")
            ok = False
        elif var is not None and minimum is not None:
            values = [v for v in option_values(variables[var]) if v is not None]
            if not any(v >= minimum for v in values):
                ff.error(
                    "min",
                    f"flag {flag_id}: no option of {var!r} has a value of "
                    f"{minimum:g} or more, so the flag can never be raised",
                )
                ok = False
        if label is None or var is None or minimum is None:
            ok = False
            continue
        out.append(ScaleFlag(flag_id, label, var, minimum, care, line))
    return tuple(out) if ok else None


def read_care(rep: Reporter, raw: Any, line: int) -> CareNotice | None:
    """The ``care:`` block: the help message and the default help resources."""
    if raw is None:
        return None
    f = Fields(rep, raw, what="care", where="care", allowed=_CARE_KEYS, line=line)
    if not f.ok:
        return None
    message = f.text("message", required=True)
    closing = f.text("closing")
    seq = f.sequence("resources", required=True)
    resources: list[HelpResource] = []
    for i, entry in enumerate(seq or []):
        resource = read_resource(rep, entry, seq.line_of(i) if seq is not None else line)
        if resource is not None:
            resources.append(resource)
    if seq is not None and not seq:
        f.error("resources", "list at least one help resource (a hotline)")
    if message is None or not resources:
        return None
    return CareNotice(message, tuple(resources), closing)


def read_resource(rep: Reporter, raw: Any, line: int) -> HelpResource | None:
    """One help resource ``{name, phone, hours?, note?}``."""
    rf = Fields(rep, raw, what="a help resource", where="care", allowed=_RESOURCE_KEYS, line=line)
    if not rf.ok:
        return None
    name = rf.text("name", required=True)
    phone = rf.string("phone", required=True)
    if phone is not None and not PHONE_PATTERN.match(phone):
        rf.error("phone", f"phone {phone!r} is not a telephone number (digits, spaces, '-', '+')")
        phone = None
    hours, note = rf.text("hours"), rf.text("note")
    if name is None or phone is None:
        return None
    return HelpResource(name, phone, hours, note)


def check_care(rep: Reporter, scales: Sequence[Scale], care: CareNotice | None) -> None:
    """A ``care: true`` flag needs the questionnaire's ``care:`` block."""
    if care is not None:
        return
    for scale in scales:
        for flag in scale.flags:
            if flag.care:
                rep.add(
                    flag.line,
                    f"flag {flag.id} has 'care: true' but the questionnaire has "
                    "no 'care:' block (the help message and resources)",
                    f"scale {scale.id}",
                )
