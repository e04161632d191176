"""Streaming writers of SPSS ``.sav`` and Stata ``.dta`` files with variable and value labels.

pyreadstat (and pandas, haven) write a whole in-memory data frame; a 300,000-response
export would hold every value in memory at once. These writers take the variables'
metadata first and then rows one at a time, so memory stays flat whatever the size:

* ``.sav``: an uncompressed SPSS system file (PSPP's "System File Format" description):
  header, one type-2 record per variable (continuation records for strings over 8 bytes),
  type-3/4 value-label records, type-7 extension records (integer and float info, long
  variable names, UTF-8 encoding), the dictionary terminator, then 8-byte cases. Strings
  are limited to 255 bytes (longer text is cut at a character boundary; the CSV export
  keeps it whole).
* ``.dta``: Stata format 118 (Stata 14-18, UTF-8): the XML-like section tags, the map of
  section offsets, fixed-width rows, and value-label tables. Integer-coded variables are
  stored as ``byte`` (or ``long``) so value labels attach; other numbers as ``double``.

What comes before the records holds the row count (and, in a .dta, the offsets of
the sections after them). :func:`stat_file_ends` gives both ends for a count known
beforehand, so that the file is written front to back as a stream; :func:`write_sav` and
:func:`write_dta` write to a seekable file before the count is known and write the
beginning again at the end (its length does not depend on the count).

Both are read back by pyreadstat in the tests (labels and values round-trip).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import operator
import os
import shutil
import struct
from collections.abc import Callable
from collections.abc import Iterable
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
        codes: text code -> the number stored (answer codes of a numeric variable): a
            value is looked up as ``str(value)``, and one not listed is missing.
        unique: the values rarely repeat (ids, times, free text): converted one by one,
            not remembered.
    """

    name: str
    label: str
    numeric: bool
    width: int = 0
    value_labels: dict[int, str] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    unique: bool = False


def _cut(text: str, limit: int) -> bytes:
    """UTF-8 bytes of ``text`` cut to ``limit`` bytes at a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    return data[:limit].decode("utf-8", "ignore").encode("utf-8")


def _number(value: Any) -> float | None:
    """A value of a numeric variable as a float (-0.0 as 0.0: equal numbers are stored
    alike); None (missing) for a blank, a text, a list or anything else that is not a
    finite number."""
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number + 0.0 if math.isfinite(number) else None


def _numbers(col: StatColumn) -> Callable[[Any], float | None]:
    """A value of the numeric variable ``col`` -> its number (None: missing)."""
    if not col.codes:
        return _number
    codes = col.codes
    return lambda value: _number(codes.get(str(value)))


_MEMO_LIMIT = 100_000


class _Unconverted(dict[Any, Any]):
    """The memo of a ``unique`` column: each value missing from it is converted, not
    kept (only the conversion of None is stored)."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        return self.convert(value)


class RecordPacker:
    """Rows -> fixed-width records, each packed by one precompiled ``struct``.

    Every value goes through its column's converter, remembered by value (a code, flag
    or score repeats): numbers share one memo per storage type, text and code columns one
    memo per width or code list, holding only text keys (``1`` and ``"1"``, or ``1`` and
    ``True``, are then never confused). Columns marked ``unique`` are converted value by
    value (their memo converts what it misses and keeps nothing). A record is one
    ``pack`` of a ``map`` over the memos; a value not met before takes the slow path.
    """

    def __init__(
        self, layout: struct.Struct, converters: Sequence[Callable[[Any], Any]],
        groups: Sequence[tuple[Any, ...]], text_keys: Sequence[bool],
        unique: Sequence[bool],
    ) -> None:  # fmt: skip
        self.pack = layout.pack
        self.converters = list(converters)
        memos: dict[tuple[Any, ...], dict[Any, Any]] = {}
        self.memos = [
            _Unconverted(convert) if alone else memos.setdefault(g, {})
            for g, convert, alone in zip(groups, self.converters, unique, strict=True)
        ]  # fmt: skip
        self.text_keys = list(text_keys)
        self._seed()

    def _seed(self) -> None:
        """Empty memos holding only the conversion of None (a blank cell)."""
        for memo in self.memos:
            memo.clear()
        for memo, convert in zip(self.memos, self.converters, strict=True):
            memo[None] = convert(None)

    def _slow(self, values: Sequence[Any]) -> list[Any]:
        if any(len(m) > _MEMO_LIMIT for m in self.memos):
            self._seed()
        cells = []
        for memo, convert, text_only, v in zip(
            self.memos, self.converters, self.text_keys, values, strict=True
        ):
            try:
                cells.append(memo[v])
            except (KeyError, TypeError):
                cell = convert(v)
                if not text_only or type(v) is str:
                    try:
                        memo[v] = cell
                    except TypeError:  # unhashable: not remembered
                        pass
                cells.append(cell)
        return cells

    def records(self, rows: Iterable[Sequence[Any]], out: BinaryIO) -> int:
        """Write the records of ``rows`` to ``out``; returns the number of rows."""
        lookup, memos, pack = operator.getitem, self.memos, self.pack
        n = 0
        buffer = bytearray()
        for row in rows:
            try:
                buffer += pack(*map(lookup, memos, row))
            except (KeyError, TypeError):
                buffer += pack(*self._slow(row))
            n += 1
            if len(buffer) > 1 << 20:
                out.write(buffer)
                buffer.clear()
        out.write(buffer)
        return n


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


def _sav_dictionary(
    columns: Sequence[StatColumn], file_label: str, rows: int, when: dt.datetime
) -> bytes:
    """Everything of a .sav file before its records: the header (``rows`` cases, written
    ``when``) and the dictionary."""
    case_size = record_size(columns, "sav") // 8  # in 8-byte segments
    out = bytearray()
    out += b"$FL2" + b"@(#) SPSS DATA FILE kesu".ljust(60)
    out += struct.pack("<iiiii", 2, case_size, 0, 0, rows)
    out += struct.pack("<d", 100.0)
    out += when.strftime("%d %b %y").encode("ascii")[:9].ljust(9)
    out += when.strftime("%H:%M:%S").encode("ascii")[:8].ljust(8)
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
    rows: Iterable[Sequence[Any]] | Packed,
    *,
    file_label: str = "",
    layout: Sequence[StatColumn | None] | None = None,
) -> int:
    """Write an SPSS system file to the seekable binary ``out``; returns the row count.

    Each row holds one value per column: numbers (None/NaN missing) or text (None empty);
    or ``rows`` is :class:`Packed` records. ``layout``: what each value of a row is,
    when rows hold values that are not written (None there; ``columns`` in order, else).
    """
    return _write_stat(out, columns, rows, "sav", file_label, layout)


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


def _dta_ends(
    columns: Sequence[StatColumn], file_label: str, rows: int, when: dt.datetime
) -> tuple[bytes, bytes]:
    """A .dta file's bytes before its ``rows`` records (header with N, the map of the
    sections' offsets, the variables) and after them (value labels); Stata's "dta file
    format 118" description."""
    if len(columns) > 32767:
        raise ValueError("Stata files hold at most 32,767 variables")
    label = _cut(file_label, 80)
    stamp = when.strftime("%d %b %Y %H:%M").encode("ascii")
    header = (
        b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>"
        + struct.pack("<H", len(columns)) + b"</K><N>" + struct.pack("<Q", rows)
        + b"</N><label>" + struct.pack("<H", len(label)) + label + b"</label><timestamp>"
        + struct.pack("<B", len(stamp)) + stamp + b"</timestamp></header>"
    )  # fmt: skip
    types = [_dta_type(c) for c in columns]
    formats = [
        _fixed(f"%{code}s" if not c.numeric else ("%8.0g" if c.value_labels else "%10.0g"), 57)
        for c, (code, _) in zip(columns, types, strict=True)
    ]  # fmt: skip
    variables = [  # the sections from <variable_types> to <characteristics>, in order
        b"<variable_types>" + b"".join(struct.pack("<H", t) for t, _ in types)
        + b"</variable_types>",
        b"<varnames>" + b"".join(_fixed(c.name, 129) for c in columns) + b"</varnames>",
        b"<sortlist>" + b"\0\0" * (len(columns) + 1) + b"</sortlist>",
        b"<formats>" + b"".join(formats) + b"</formats>",
        b"<value_label_names>"
        + b"".join(_fixed(c.name if c.value_labels else "", 129) for c in columns)
        + b"</value_label_names>",
        b"<variable_labels>" + b"".join(_fixed(c.label, 321) for c in columns)
        + b"</variable_labels>",
        b"<characteristics></characteristics>",
    ]  # fmt: skip
    data = b"<data>", b"</data>"
    strls = b"<strls></strls>"
    labels = (b"<value_labels>" + b"".join(_dta_label_table(c) for c in columns
                                           if c.numeric and c.value_labels)
              + b"</value_labels>")  # fmt: skip
    end = b"</stata_dta>"
    map_size = len(b"<map>") + 8 * 14 + len(b"</map>")
    # the map: where <stata_dta>, <map>, each variables section, <data>, <strls>,
    # <value_labels> and </stata_dta> begin, and the file's end
    offsets = [0, len(header)]
    for size in (map_size, *map(len, variables)):
        offsets.append(offsets[-1] + size)
    records = rows * record_size(columns, "dta")
    for size in (len(data[0]) + records + len(data[1]), len(strls), len(labels), len(end)):
        offsets.append(offsets[-1] + size)
    section_map = b"<map>" + struct.pack("<14Q", *offsets) + b"</map>"
    return (header + section_map + b"".join(variables) + data[0],
            data[1] + strls + labels + end)  # fmt: skip


def write_dta(
    out: BinaryIO,
    columns: Sequence[StatColumn],
    rows: Iterable[Sequence[Any]] | Packed,
    *,
    file_label: str = "",
    layout: Sequence[StatColumn | None] | None = None,
) -> int:
    """Write a Stata 118 file to the seekable binary ``out``; returns the row count.

    Values and ``layout`` as for :func:`write_sav`; numbers of a labelled variable must
    be integers.
    """
    return _write_stat(out, columns, rows, "dta", file_label, layout)


def stat_file_ends(
    columns: Sequence[StatColumn], fmt: str, rows: int, *, file_label: str = "",
    when: dt.datetime | None = None,
) -> tuple[bytes, bytes]:  # fmt: skip
    """The bytes of a ``sav`` or ``dta`` file of ``columns`` that come before and after
    its ``rows`` records (:func:`record_packer`'s, ``record_size`` bytes each): a file
    whose row count is known beforehand is written front to back, as a stream.
    ``when``: the time written in the header (default now)."""
    when = when or dt.datetime.now()
    if fmt == "sav":
        return _sav_dictionary(columns, file_label, rows, when), b""
    return _dta_ends(columns, file_label, rows, when)


def record_size(columns: Sequence[StatColumn], fmt: str) -> int:
    """Bytes per record of ``columns`` in a ``sav`` or ``dta`` file."""
    if fmt == "sav":
        return 8 * sum(_segments(c) for c in columns)
    return sum(size for _, size in map(_dta_type, columns))


def _write_stat(
    out: BinaryIO, columns: Sequence[StatColumn], rows: Iterable[Sequence[Any]] | Packed,
    fmt: str, file_label: str, layout: Sequence[StatColumn | None] | None,
) -> int:  # fmt: skip
    """Write the file to the seekable ``out`` before its row count is known: the ends
    as for no rows, the records, then the beginning again with the count (its length
    does not depend on the count)."""
    when = dt.datetime.now()
    start = out.tell()
    head, _ = stat_file_ends(columns, fmt, 0, file_label=file_label, when=when)
    out.write(head)
    n = _write_records(out, _row_layout(columns, layout), rows, fmt)
    head, tail = stat_file_ends(columns, fmt, n, file_label=file_label, when=when)
    out.write(tail)
    end = out.tell()
    out.seek(start)
    out.write(head)
    out.seek(end)
    return n


@dataclass(frozen=True)
class Packed:
    """Records packed beforehand by :func:`record_packer` of the same columns and format
    (in worker processes, say): ``(records, number of rows)`` parts, in file order; the
    records as bytes, or as the path of a file holding them (copied by the kernel, then
    deleted)."""

    parts: Iterable[tuple[bytes | str, int]]


def _row_layout(
    columns: Sequence[StatColumn], layout: Sequence[StatColumn | None] | None
) -> Sequence[StatColumn | None]:
    """What each value of a row is: ``layout``, checked to hold exactly ``columns`` in
    order besides its Nones; ``columns`` when there is none.

    Raises:
        ValueError: ``layout``'s variables are not ``columns``.
    """
    if layout is None:
        return columns
    if [c for c in layout if c is not None] != list(columns):
        raise ValueError("the row layout's variables are not the file's columns, in order")
    return layout


def _write_records(
    out: BinaryIO, columns: Sequence[StatColumn | None], rows: Iterable[Sequence[Any]] | Packed,
    fmt: str,
) -> int:  # fmt: skip
    if isinstance(rows, Packed):
        n = 0
        for data, count in rows.parts:
            if isinstance(data, bytes):
                out.write(data)
            else:
                append_file(out, data)
                os.unlink(data)
            n += count
        return n
    return record_packer(columns, fmt).records(rows, out)


def append_file(out: BinaryIO, path: str) -> None:
    """Append the file at ``path`` to ``out`` (a real file): copied by the kernel
    (``os.copy_file_range``) where it can, so the bytes never pass through Python."""
    out.flush()
    with open(path, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        copy = getattr(os, "copy_file_range", None)
        done = 0
        if copy is not None:
            try:
                while done < size and (step := copy(source.fileno(), out.fileno(), size - done)):
                    done += step
            except OSError:  # not between these files (another file system, an old kernel)
                pass
        if done < size:
            source.seek(done)
            out.seek(0, os.SEEK_END)
            shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
    out.seek(0, os.SEEK_END)


def _skipped(_value: Any) -> bytes:
    return b""


def record_packer(columns: Sequence[StatColumn | None], fmt: str) -> RecordPacker:
    """The packer of ``columns``' rows into ``sav`` or ``dta`` records (one fixed-width
    record per row; values as :func:`write_sav` describes). A None among ``columns`` is
    a value of each row that is not written (packed as zero bytes): rows that hold more
    than the file's variables need not be cut first."""
    if fmt == "sav":

        def sav_value(col: StatColumn) -> tuple[str, Callable[[Any], Any], tuple[Any, ...]]:
            if col.numeric:
                numbers = _numbers(col)
                return ("d", lambda value: _SYSMIS if (number := numbers(value)) is None
                        else number, _memo_group(col, ("sav", 0)))  # fmt: skip
            size = _segments(col) * 8
            blank = b" " * size
            limit = min(size, SAV_MAX_STRING)
            return (f"{size}s", lambda value: (
                blank if value is None or value == "" else _cut(str(value), limit).ljust(size)
            ), _memo_group(col, ("sav", size)))  # fmt: skip

        make = sav_value
    else:
        # struct pads strings with NUL bytes
        letters = {65526: "d", 65530: "b", 65528: "i"}
        missing = {65526: _DTA_MISSING_NUMBER, 65530: _DTA_BYTE_MISSING,
                   65528: _DTA_LONG_MISSING}  # fmt: skip

        def dta_value(col: StatColumn) -> tuple[str, Callable[[Any], Any], tuple[Any, ...]]:
            code, size = _dta_type(col)
            group = _memo_group(col, ("dta", code, size))
            if code <= DTA_MAX_STRING:
                return (f"{size}s", lambda value: b"" if value is None else _cut(str(value), size),
                        group)  # fmt: skip
            numbers, absent = _numbers(col), missing[code]
            if code == 65526:
                return ("d", lambda value: absent if (number := numbers(value)) is None
                        else number, group)  # fmt: skip
            return (letters[code], lambda value: absent if (number := numbers(value)) is None
                    else int(number), group)  # fmt: skip

        make = dta_value
    specs = [("0s", _skipped, ("skipped",)) if c is None else make(c) for c in columns]
    # one precompiled layout per record: every value packed by a single call
    layout = struct.Struct("<" + "".join(letter for letter, _, _ in specs))
    return RecordPacker(
        layout, [convert for _, convert, _ in specs], [group for _, _, group in specs],
        [c is not None and (bool(c.codes) or not c.numeric) for c in columns],
        [c is not None and c.unique for c in columns],
    )  # fmt: skip


def _memo_group(col: StatColumn, storage: tuple[Any, ...]) -> tuple[Any, ...]:
    """Columns converted alike (same storage, same codes) share one memo."""
    return (*storage, col.numeric, tuple(sorted(col.codes.items())))


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
