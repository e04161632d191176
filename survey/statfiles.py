"""Streaming writers of SPSS ``.sav`` and Stata ``.dta`` files with variable and value labels.

pyreadstat (and pandas, haven) write a whole in-memory data frame; a 300,000-response
export would hold every value in memory at once. These writers take the variables'
metadata first and then rows one at a time, so memory stays flat whatever the size:

* ``.sav``: an uncompressed SPSS system file (PSPP's "System File Format" description):
  header, one type-2 record per variable (continuation records for strings over 8 bytes),
  type-3/4 value-label records, type-7 extension records (integer and float info, long
  variable names, UTF-8 encoding), the dictionary terminator, then 8-byte cases. The case
  count is written as -1 and patched at the end. Strings are limited to 255 bytes (longer
  text is cut at a character boundary; the CSV export keeps it whole).
* ``.dta``: Stata format 118 (Stata 14-18, UTF-8): the XML-like section tags, the map of
  section offsets, fixed-width rows, and value-label tables; N and the map are patched at
  the end. Integer-coded variables are stored as ``byte`` (or ``long``) so value labels
  attach; other numbers as ``double``.

Both are read back by pyreadstat in the tests (labels and values round-trip).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import struct
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import BinaryIO

logger = logging.getLogger(__name__)

SAV_MAX_STRING = 255
DTA_MAX_STRING = 2045
_SYSMIS = -1.7976931348623157e308
#: Stata's system missing "." of a double: bytes 00 .. 00 e0 7f, i.e. 2**1023
_DTA_MISSING_NUMBER = float(2**1023)
_DTA_BYTE_MISSING = 101
_DTA_LONG_MISSING = 2147483621


@dataclass(frozen=True)
class StatColumn:
    """One variable of a statistics file.

    Attributes:
        name: variable name (letters, digits, ``_``; starts with a letter; <= 32 chars).
        label: variable label.
        numeric: True for numbers, False for text.
        width: for text, the maximum length in UTF-8 bytes.
        value_labels: integer value -> label (numeric variables only).
    """

    name: str
    label: str
    numeric: bool
    width: int = 0
    value_labels: dict[int, str] = field(default_factory=dict)


def _cut(text: str, limit: int) -> bytes:
    """UTF-8 bytes of ``text`` cut to ``limit`` bytes at a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    return data[:limit].decode("utf-8", "ignore").encode("utf-8")


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def columnwise(
    rows: Iterable[Sequence[Any]], converters: Sequence[Callable[[Any], Any]], batch: int = 1000
) -> Iterator[tuple[Any, ...]]:
    """``rows`` with ``converters[i]`` applied to the i-th value, a batch of rows at a time:
    per column, each distinct value is converted once (codes, flags and scores repeat) and
    mapped by a dict; a column whose equal values differ in type (``True``, ``1``,
    ``1.0``) or that holds unhashable values is converted value by value."""
    it = iter(rows)
    while chunk := list(itertools.islice(it, batch)):
        columns = list(zip(*chunk, strict=True))
        for i, values in enumerate(columns):
            convert = converters[i]
            kinds = set(map(type, values))
            try:
                if bool in kinds or (int in kinds and float in kinds):
                    raise TypeError
                done = {v: convert(v) for v in set(values)}
            except TypeError:
                columns[i] = tuple(map(convert, values))
                continue
            columns[i] = tuple(map(done.__getitem__, values))
        yield from zip(*columns, strict=True)


# -- SPSS .sav -------------------------------------------------------------------------------
def _segments(col: StatColumn) -> int:
    return 1 if col.numeric else (min(max(col.width, 1), SAV_MAX_STRING) + 7) // 8


def _short_names(columns: Sequence[StatColumn]) -> list[str]:
    out, seen = [], set()
    for i, col in enumerate(columns):
        short = col.name.upper()[:8]
        if short in seen or not short.isascii():
            short = f"V{i + 1:07d}"
        seen.add(short)
        out.append(short)
    return out


def _pad4(data: bytes) -> bytes:
    return data + b" " * (-len(data) % 4)


def _sav_dictionary(columns: Sequence[StatColumn], file_label: str) -> bytes:
    now = dt.datetime.now()
    case_size = sum(_segments(c) for c in columns)
    out = bytearray()
    out += b"$FL2" + b"@(#) SPSS DATA FILE kesu".ljust(60)
    out += struct.pack("<iiiii", 2, case_size, 0, 0, -1)
    out += struct.pack("<d", 100.0)
    out += now.strftime("%d %b %y").encode("ascii")[:9].ljust(9)
    out += now.strftime("%H:%M:%S").encode("ascii")[:8].ljust(8)
    out += _cut(file_label, 64).ljust(64) + b"\0\0\0"
    shorts = _short_names(columns)
    index = 1
    positions = []
    for col, short in zip(columns, shorts, strict=True):
        positions.append(index)
        label = _cut(col.label, 255)
        if col.numeric:
            fmt = (5 << 16) | (8 << 8) | (0 if col.value_labels else 2)
            width = 0
        else:
            width = min(max(col.width, 1), SAV_MAX_STRING)
            fmt = (1 << 16) | (width << 8)
        out += struct.pack("<iiiiii", 2, width, 1 if label else 0, 0, fmt, fmt)
        out += short.encode("ascii").ljust(8)
        if label:
            out += struct.pack("<i", len(label)) + _pad4(label)
        for _ in range(_segments(col) - 1):
            out += struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + b" " * 8
        index += _segments(col)
    for col, pos in zip(columns, positions, strict=True):
        if not (col.numeric and col.value_labels):
            continue
        out += struct.pack("<ii", 3, len(col.value_labels))
        for value, text in col.value_labels.items():
            label = _cut(text, 120)
            entry = struct.pack("<dB", float(value), len(label)) + label
            out += entry + b" " * (-(len(entry) - 8) % 8)
        out += struct.pack("<iii", 4, 1, pos)
    out += struct.pack("<iiii", 7, 3, 4, 8) + struct.pack("<8i", 20, 0, 0, -1, 1, 1, 2, 65001)
    out += struct.pack("<iiii", 7, 4, 8, 3) + struct.pack(
        "<3d", _SYSMIS, -_SYSMIS, -1.79769313486231e308
    )
    names = "\t".join(f"{s}={c.name}" for s, c in zip(shorts, columns, strict=True)).encode()
    out += struct.pack("<iiii", 7, 13, 1, len(names)) + names
    out += struct.pack("<iiii", 7, 20, 1, 5) + b"UTF-8"
    out += struct.pack("<ii", 999, 0)
    return bytes(out)


def write_sav(
    out: BinaryIO,
    columns: Sequence[StatColumn],
    rows: Iterable[Sequence[Any]],
    *,
    file_label: str = "",
) -> int:
    """Write an SPSS system file to the seekable binary ``out``; returns the row count.

    Each row holds one value per column: numbers (None/NaN missing) or text (None empty).
    """
    start = out.tell()
    out.write(_sav_dictionary(columns, file_label))
    sizes = [0 if col.numeric else _segments(col) * 8 for col in columns]
    # one precompiled layout per case: every value packed by a single call
    layout = struct.Struct("<" + "".join("d" if s == 0 else f"{s}s" for s in sizes))
    n = 0
    buffer = bytearray()

    def sav_value(size: int) -> Callable[[Any], Any]:
        if size == 0:
            return lambda value: _SYSMIS if (number := _number(value)) is None else number
        blank = b" " * size
        limit = min(size, SAV_MAX_STRING)
        return lambda value: (
            blank if value is None or value == "" else _cut(str(value), limit).ljust(size)
        )

    pack = layout.pack
    for values in columnwise(rows, [sav_value(size) for size in sizes]):
        buffer += pack(*values)
        n += 1
        if len(buffer) > 1 << 20:
            out.write(buffer)
            buffer.clear()
    out.write(buffer)
    end = out.tell()
    out.seek(start + 80)
    out.write(struct.pack("<i", n))
    out.seek(end)
    return n


# -- Stata .dta (format 118) -----------------------------------------------------------------
def _dta_type(col: StatColumn) -> tuple[int, int]:
    """(Stata type code, bytes per value)."""
    if not col.numeric:
        width = min(max(col.width, 1), DTA_MAX_STRING)
        return width, width
    if col.value_labels:
        values = list(col.value_labels)
        if min(values) >= -127 and max(values) <= 100:
            return 65530, 1
        return 65528, 4
    return 65526, 8


def _fixed(text: str, size: int) -> bytes:
    return _cut(text, size - 1).ljust(size, b"\0")


def write_dta(
    out: BinaryIO,
    columns: Sequence[StatColumn],
    rows: Iterable[Sequence[Any]],
    *,
    file_label: str = "",
) -> int:
    """Write a Stata 118 file to the seekable binary ``out``; returns the row count.

    Values as for :func:`write_sav`; numbers of a labelled variable must be integers.
    """
    if len(columns) > 32767:
        raise ValueError("Stata files hold at most 32,767 variables")
    start = out.tell()
    offsets: list[int] = []

    def tag(text: str) -> None:
        out.write(text.encode("ascii"))

    def mark() -> None:
        offsets.append(out.tell() - start)

    mark()  # <stata_dta>
    tag("<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>")
    out.write(struct.pack("<H", len(columns)))
    tag("</K><N>")
    n_position = out.tell()
    out.write(struct.pack("<Q", 0))
    tag("</N><label>")
    label = _cut(file_label, 80)
    out.write(struct.pack("<H", len(label)) + label)
    tag("</label><timestamp>")
    stamp = dt.datetime.now().strftime("%d %b %Y %H:%M").encode("ascii")
    out.write(struct.pack("<B", len(stamp)) + stamp)
    tag("</timestamp></header>")
    mark()  # <map>
    tag("<map>")
    map_position = out.tell()
    out.write(b"\0" * 8 * 14)
    tag("</map>")
    types = [_dta_type(c) for c in columns]
    mark()
    tag("<variable_types>")
    out.write(b"".join(struct.pack("<H", t) for t, _ in types))
    tag("</variable_types>")
    mark()
    tag("<varnames>")
    out.write(b"".join(_fixed(c.name, 129) for c in columns))
    tag("</varnames>")
    mark()
    tag("<sortlist>")
    out.write(b"\0\0" * (len(columns) + 1))
    tag("</sortlist>")
    mark()
    tag("<formats>")
    for col, (code, _) in zip(columns, types, strict=True):
        fmt = f"%{code}s" if not col.numeric else ("%8.0g" if col.value_labels else "%10.0g")
        out.write(_fixed(fmt, 57))
    tag("</formats>")
    mark()
    tag("<value_label_names>")
    out.write(b"".join(_fixed(c.name if c.value_labels else "", 129) for c in columns))
    tag("</value_label_names>")
    mark()
    tag("<variable_labels>")
    out.write(b"".join(_fixed(c.label, 321) for c in columns))
    tag("</variable_labels>")
    mark()
    tag("<characteristics></characteristics>")
    mark()
    tag("<data>")
    n = _dta_rows(out, columns, types, rows)
    tag("</data>")
    mark()
    tag("<strls></strls>")
    mark()
    tag("<value_labels>")
    for col in columns:
        if col.numeric and col.value_labels:
            out.write(_dta_label_table(col))
    tag("</value_labels>")
    mark()
    tag("</stata_dta>")
    mark()
    end = out.tell()
    out.seek(n_position)
    out.write(struct.pack("<Q", n))
    out.seek(map_position)
    out.write(b"".join(struct.pack("<Q", o) for o in offsets))
    out.seek(end)
    return n


def _dta_rows(
    out: BinaryIO,
    columns: Sequence[StatColumn],
    types: list[tuple[int, int]],
    rows: Iterable[Sequence[Any]],
) -> int:
    # one precompiled layout per row; struct pads strings with NUL bytes
    letters = {65526: "d", 65530: "b", 65528: "i"}
    layout = struct.Struct("<" + "".join(letters.get(code, f"{size}s") for code, size in types))
    missing = {65526: _DTA_MISSING_NUMBER, 65530: _DTA_BYTE_MISSING, 65528: _DTA_LONG_MISSING}
    plan = [
        (code <= DTA_MAX_STRING, code == 65526, missing.get(code), size) for code, size in types
    ]
    n = 0
    buffer = bytearray()

    def dta_value(is_text: bool, is_double: bool, absent: Any, size: int) -> Callable[[Any], Any]:
        if is_text:
            return lambda value: b"" if value is None else _cut(str(value), size)
        if is_double:
            return lambda value: absent if (number := _number(value)) is None else number
        return lambda value: absent if (number := _number(value)) is None else int(number)

    pack = layout.pack
    for values in columnwise(rows, [dta_value(*p) for p in plan]):
        buffer += pack(*values)
        n += 1
        if len(buffer) > 1 << 20:
            out.write(buffer)
            buffer.clear()
    out.write(buffer)
    return n


def _dta_label_table(col: StatColumn) -> bytes:
    values = sorted(col.value_labels)
    texts = [_cut(col.value_labels[v], 32000) + b"\0" for v in values]
    offsets, position = [], 0
    for t in texts:
        offsets.append(position)
        position += len(t)
    table = struct.pack("<ii", len(values), position)
    table += b"".join(struct.pack("<i", o) for o in offsets)
    table += b"".join(struct.pack("<i", v) for v in values)
    table += b"".join(texts)
    return (
        b"<lbl>"
        + struct.pack("<i", len(table))
        + _fixed(col.name, 129)
        + b"\0\0\0"
        + table
        + b"</lbl>"
    )
