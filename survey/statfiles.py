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
    start = out.tell()
    out.write(_sav_dictionary(columns, file_label))
    n = _write_records(out, _row_layout(columns, layout), rows, "sav")
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
    rows: Iterable[Sequence[Any]] | Packed,
    *,
    file_label: str = "",
    layout: Sequence[StatColumn | None] | None = None,
) -> int:
    """Write a Stata 118 file to the seekable binary ``out``; returns the row count.

    Values and ``layout`` as for :func:`write_sav`; numbers of a labelled variable must
    be integers.
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
    n = _write_records(out, _row_layout(columns, layout), rows, "dta")
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
