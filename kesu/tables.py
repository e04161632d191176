"""The one table layer: every table kesu reads (CSV, ``.xlsx``, Parquet) and every CSV it writes.

Reading (:func:`read_table`) follows one rule set, whatever the file:

* **Format** from the file's first bytes, not its name: Parquet (``PAR1``),
  ``.xlsx`` (a zip), the old binary ``.xls`` (refused: save it as ``.xlsx``),
  otherwise delimited text (comma; tab when the header has tabs and no commas).
* **Encoding** of text: a byte-order mark decides (UTF-8, UTF-16); otherwise
  UTF-8 if the bytes are valid UTF-8, else GB18030 (the superset of GBK/GB2312
  that Excel on Chinese Windows writes as "CSV (逗号分隔)"). An explicit
  ``encoding`` overrides the detection.
* **Sheets**: the first worksheet of a workbook, or the one named by ``sheet``.
  Cell values become text as Excel's own CSV export writes them: whole numbers
  without ``.0``, dates ``YYYY-MM-DD``, booleans ``TRUE``/``FALSE``; formula
  cells give their last computed value.
* **Header** (row 1): names are stripped of spaces (also full-width and
  no-break spaces); a column without a name is dropped when it is empty (Excel
  leaves such columns behind) and is an error when it holds data; two columns
  with one name are an error naming both (``columns C and G``).
* **Rows**: rows whose cells are all empty are skipped (row numbers still count
  them); a row with more or fewer cells than the header is an error.
* **Missing cells**: empty, or one of :data:`MISSING` (``NA``, ``N/A``,
  ``#N/A``, ``NaN``, ``NULL``, ``.``...), after stripping spaces.
* **Numbers** (:meth:`Table.numeric`, :func:`parse_number`): decimal or
  scientific notation (``1e-12``), full-width digits (``１２``), thousands
  separators written as ``1,234,567``, ``TRUE``/``FALSE`` as 1/0; anything else
  (``12岁``, ``#DIV/0!``, ``inf``) is an error naming file, row and column.

Rows are numbered as a spreadsheet numbers them: the header is row 1.

Writing (:func:`write_csv`, :func:`csv_bytes`): UTF-8 with a byte-order mark,
so that Excel shows Chinese correctly (not on standard output), cells by
:func:`format_cell` (shortest exact float, whole numbers without ``.0``,
missing as empty).

pyarrow parses CSV text and reads Parquet (README: a 300,000-row file in about
0.1 s instead of 2 s with the stdlib); openpyxl reads ``.xlsx``. Both are
imported when a file needs them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import math
import re
import sys
import unicodedata
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kesu.errors import KesuError

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: cell spellings read as a missing value (after stripping spaces)
MISSING: frozenset[str] = frozenset(
    {"", "NA", "N/A", "n/a", "#N/A", "na", "NaN", "nan", "NULL", "null", "None", "."}
)
#: the table formats :func:`read_table` understands
FORMATS = ("csv", "xlsx", "parquet")

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_SPACES = " \t\r\n\u3000\xa0\ufeff"
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?"
)


class TableError(KesuError):
    """A table cannot be read or a cell cannot be used; names file, row and column.

    Attributes:
        reason: what kind of problem, for pages that word it themselves: ``encoding``,
            ``empty``, ``width``, ``duplicate_column``, ``blank_header``, ``xls``,
            ``workbook``, ``sheet``, ``column``, ``number``, ``missing`` (or ``""``).
        details: the values such a page needs (``values``, ``columns``, ``letter``...).
    """

    def __init__(
        self, message: str, *, reason: str = "", details: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> None:  # fmt: skip
        self.reason = reason
        self.details = dict(details or {})
        super().__init__(message, **kw)


# -- cells ---------------------------------------------------------------------------------


def is_missing(text: str) -> bool:
    """True for a cell that means "no value" (see :data:`MISSING`).

    Example:
        >>> is_missing(" NA "), is_missing("0")
        (True, False)
    """
    return text.strip(_SPACES) in MISSING


def parse_number(text: str) -> float | None:
    """A cell as a number by the table layer's rule; None when the cell is missing.

    Raises:
        ValueError: the cell is neither missing nor a finite number.

    Example:
        >>> parse_number("1e-12"), parse_number(" １２ "), parse_number("1,234.5")
        (1e-12, 12.0, 1234.5)
        >>> parse_number("NA") is None
        True
    """
    cell = text.strip(_SPACES)
    if cell in MISSING:
        return None
    cell = unicodedata.normalize("NFKC", cell).strip()
    if _THOUSANDS.match(cell):
        cell = cell.replace(",", "")
    upper = cell.upper()
    if upper == "TRUE":
        return 1.0
    if upper == "FALSE":
        return 0.0
    if "_" in cell:
        raise ValueError(cell)
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def parse_date(text: str) -> dt.date:
    """A cell as a date: ``2024-06-30``, ``2024/6/30`` (Excel's CSV on Chinese Windows),
    ``2024年6月30日`` or ``2024-06-30 00:00:00``.

    Raises:
        ValueError: not one of these forms, or not a real date.

    Example:
        >>> parse_date("2024/6/30"), parse_date("2024年6月30日")
        (datetime.date(2024, 6, 30), datetime.date(2024, 6, 30))
    """
    cell = unicodedata.normalize("NFKC", text).strip()
    m = _DATE.fullmatch(cell)
    if m is None:
        raise ValueError(f"not a date: {text!r}")
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def label_text(value: Any) -> str:
    """Spelling of a value as a label: strings unchanged, whole numbers without ``.0``.

    Example:
        >>> label_text(1.0), label_text("01"), label_text(np.int64(3)), label_text(0.25)
        ('1', '01', '3', '0.25')
    """
    if isinstance(value, str):
        return str(value)  # a numpy str_ as a plain str
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isfinite(f) and f == int(f) and abs(f) < 1e16:
            return str(int(f))
        return repr(f)
    return str(value)


def format_cell(value: Any) -> str:
    """How a value is written to a CSV cell: missing (None, NaN) empty, whole numbers
    without ``.0``, other floats in their shortest exact form, lists joined with ``;``
    (multiple answers), dates ISO.

    Example:
        >>> [format_cell(v) for v in (None, float("nan"), 2.0, 0.1, ["A", "B"], True)]
        ['', '', '2', '0.1', 'A;B', '1']
    """
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)) and math.isnan(float(value)):
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(format_cell(v) for v in value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return label_text(value)


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column ``index`` (0 -> A, 26 -> AA).

    Example:
        >>> column_letter(0), column_letter(6), column_letter(27)
        ('A', 'G', 'AB')
    """
    name = ""
    i = index + 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


# -- the table -----------------------------------------------------------------------------


_ARROW_READY = False


def _arrow() -> tuple[Any, Any]:
    """:mod:`pyarrow` and :mod:`pyarrow.compute`, made ready without importing pandas.

    pyarrow's pandas shim imports pandas (0.3-0.5 s, a third of a whole ``kesu estimate``
    job) the first time it checks whether an argument is a pandas object, which every
    ``pa.array`` and compute call does; kesu never passes pandas objects. That first check
    is made here with pandas hidden, so the shim records "no pandas" (a later conversion
    *to* pandas, which kesu never asks for, still imports it). When pandas is imported
    already there is nothing to save and nothing is changed.
    """
    global _ARROW_READY
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _ARROW_READY:
        _ARROW_READY = True
        if "pandas" not in sys.modules:
            hide = _HidePandas()
            sys.meta_path.insert(0, hide)
            try:
                pa.array([0], pa.int8())
            finally:
                sys.meta_path.remove(hide)
    return pa, pc


class _HidePandas:
    """A meta-path finder that makes ``import pandas`` fail (see :func:`_arrow`)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not needed by kesu's table layer", name=name)
        return None


def _is_arrow(values: Any) -> bool:
    return type(values).__module__.startswith("pyarrow")


class _Columns(Mapping[str, NDArray[Any]]):
    """The columns of a :class:`Table` as numpy arrays, converted on first access."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self._table._numpy(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.order)

    def __len__(self) -> int:
        return len(self._table.order)

    def __contains__(self, name: object) -> bool:
        return name in self._table._raw


class Table:
    """Named columns of equal length, read from a file or built from arrays.

    Text columns of a file stay Arrow arrays until a caller asks for them, as
    numbers (:meth:`numeric`), as labels (:meth:`labels`) or as numpy arrays
    (:attr:`columns`), so a column nobody uses costs nothing.

    Attributes:
        source: the file name (or a description) used in messages.
        order: the column names in file order.
    """

    def __init__(
        self,
        columns: Mapping[str, Any],
        *,
        source: str,
        order: Sequence[str] | None = None,
        rows: NDArray[np.int64] | None = None,
    ) -> None:
        self._raw: dict[str, Any] = dict(columns)
        self.order: tuple[str, ...] = tuple(order) if order is not None else tuple(self._raw)
        self.source = source
        self._rows = rows
        self._cache: dict[str, NDArray[Any]] = {}
        self._label_cache: dict[str, NDArray[Any]] = {}
        lengths = {k: len(v) for k, v in self._raw.items()}
        if len(set(lengths.values())) > 1:
            raise TableError(
                f"the columns of {source} have different lengths", param="columns", got=lengths
            )
        self._n = next(iter(lengths.values())) if lengths else 0

    def __repr__(self) -> str:
        return f"Table({self.source!r}, {self._n} rows, {len(self.order)} columns)"

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self._n)

    @property
    def columns(self) -> Mapping[str, NDArray[Any]]:
        """Column name -> numpy array (text columns as ``str`` arrays with their cells
        as written; typed Parquet columns keep their type, missing numbers as NaN)."""
        return _Columns(self)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def row_number(self, index: int) -> int:
        """The spreadsheet row (header = 1) of data row ``index`` (0-based)."""
        if self._rows is not None:
            return int(self._rows[index])
        return int(index) + 2

    def _missing_column(self, name: str, key: str | None) -> TableError:
        shown = ", ".join(self.order[:40]) + (" ..." if len(self.order) > 40 else "")
        needed = f" (needed by {key})" if key else ""
        return TableError(
            f"there is no column {name!r}{needed}",
            reason="column",
            file=self.source,
            param=key or name,
            expected=f"one of: {shown}",
            hint="check the spelling of the column name in the header row",
        )

    def column(self, name: str, *, key: str | None = None) -> NDArray[Any]:
        """The column ``name`` as a numpy array.

        Raises:
            TableError: no such column (the message lists the columns and names ``key``,
                the job key or option that asked for it).
        """
        if name not in self._raw:
            raise self._missing_column(name, key)
        return self._numpy(name)

    def require(self, names: Iterable[str], *, key: str | None = None) -> None:
        """Stop with a :class:`TableError` naming every one of ``names`` that is missing."""
        missing = [n for n in names if n not in self._raw]
        if len(missing) == 1:
            raise self._missing_column(missing[0], key)
        if missing:
            needed = f" (needed by {key})" if key else ""
            raise TableError(
                f"columns {', '.join(repr(m) for m in missing)} are missing{needed}",
                file=self.source,
                param=key or missing[0],
                hint="add them, or check the spelling in the header row",
            )

    def _numpy(self, name: str) -> NDArray[Any]:
        if name in self._cache:
            return self._cache[name]
        raw = self._raw[name]
        if _is_arrow(raw):
            arr = _arrow_to_numpy(raw)
        else:
            arr = np.asarray(raw)
            if arr.ndim != 1:
                arr = arr.reshape(-1)
        self._cache[name] = arr
        return arr

    def _error(self, name: str, index: int, message: str, key: str | None, **kw: Any) -> TableError:
        needed = f" (needed by {key})" if key else ""
        return TableError(
            message + needed,
            file=self.source,
            row=self.row_number(index),
            column=name,
            param=key or name,
            **kw,
        )

    def numeric(
        self, name: str, *, key: str | None = None, allow_missing: bool = False
    ) -> FloatArray:
        """The column as floats by the number rule (module docstring); missing cells NaN.

        Raises:
            TableError: no such column; a cell that is not a number; a missing cell
                unless ``allow_missing`` (naming file, row and column).
        """
        if name not in self._raw:
            raise self._missing_column(name, key)
        cache = f"\0numeric\0{name}"
        if cache in self._cache:
            values = self._cache[cache]
        else:
            values = self._numeric(name, key)
            self._cache[cache] = values
        if not allow_missing:
            missing = np.isnan(values)
            if missing.any():
                i = int(np.flatnonzero(missing)[0])
                n_missing = int(missing.sum())
                raise self._error(
                    name,
                    i,
                    f"missing value ({n_missing} missing cell{'s' if n_missing > 1 else ''} "
                    "in this column)",
                    key,
                    hint="every row needs a value here",
                    reason="missing",
                )
        return values

    def _numeric(self, name: str, key: str | None) -> FloatArray:
        raw = self._raw[name]
        if _is_arrow(raw):
            pa, _ = _arrow()

            if pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type):
                return self._numeric_text(name, raw, key)
            if pa.types.is_dictionary(raw.type):
                return self._numeric_text(name, raw.cast(pa.string()), key)
            if not (
                pa.types.is_integer(raw.type)
                or pa.types.is_floating(raw.type)
                or pa.types.is_boolean(raw.type)
                or pa.types.is_null(raw.type)
            ):
                raise self._error(
                    name, 0, f"a column of {raw.type} values is not a number column", key
                )
        arr = self._numpy(name)
        if arr.dtype.kind in "fiub":
            values = arr.astype(np.float64)
            bad = np.flatnonzero(np.isinf(values))
            if bad.size:
                raise self._error(name, int(bad[0]), "infinite value", key)
            return values
        return self._numeric_cells(name, arr, key)

    def _numeric_text(self, name: str, raw: Any, key: str | None) -> FloatArray:
        pa, pc = _arrow()

        trimmed = pc.utf8_trim_whitespace(raw)
        missing = pc.is_in(trimmed, value_set=pa.array(np.array(sorted(MISSING))))
        try:
            cast = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), trimmed), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return self._numeric_cells(name, raw, key)
        values = _primitive_numpy(cast)
        if np.isinf(values).any():
            return self._numeric_cells(name, raw, key)
        return values

    def _numeric_cells(self, name: str, raw: Any, key: str | None) -> FloatArray:
        """The number rule cell by cell over the distinct cells (the slow, exact path)."""
        uniq, index = _distinct(raw)
        parsed = np.empty(len(uniq), dtype=np.float64)
        for j, cell in enumerate(uniq):
            text = cell if isinstance(cell, str) else format_cell(cell)
            try:
                number = parse_number(text)
            except ValueError:
                i = int(np.flatnonzero(index == j)[0])
                raise self._error(
                    name,
                    i,
                    f"{text!r} is not a number",
                    key,
                    reason="number",
                    hint="write the number alone (no units or text), or leave the cell empty "
                    "(or NA) for a missing value",
                ) from None
            parsed[j] = np.nan if number is None else number
        return parsed[index]

    def labels(self, name: str, *, key: str | None = None) -> NDArray[np.str_]:
        """The column as text labels: spaces stripped, missing cells ``""``, whole numbers
        without ``.0`` (so ``1`` in a CSV, ``1`` in Excel and ``1.0`` in Parquet agree).

        Raises:
            TableError: no such column.
        """
        if name in self._label_cache:
            return self._label_cache[name]
        uniq, index = self.distinct_labels(name, key=key)
        out = np.asarray(uniq, dtype=str)[index] if uniq else np.zeros(0, dtype=str)
        self._label_cache[name] = out
        return out

    def distinct_labels(
        self, name: str, *, key: str | None = None
    ) -> tuple[list[str], NDArray[np.intp]]:
        """The distinct labels of a column (see :meth:`labels`) and, for each row, the
        index of its label: one pass over the column, the rule applied once per label.

        Raises:
            TableError: no such column.
        """
        if name not in self._raw:
            raise self._missing_column(name, key)
        uniq, index = _distinct(self._raw[name])
        position: dict[str, int] = {}
        remap = np.empty(len(uniq), dtype=np.intp)
        labels: list[str] = []
        for j, cell in enumerate(uniq):
            text = _label_cell(cell)
            k = position.get(text)
            if k is None:
                k = position[text] = len(labels)
                labels.append(text)
            remap[j] = k
        return labels, remap[index]

    def missing(self, name: str, *, key: str | None = None) -> NDArray[np.bool_]:
        """True where the cell of ``name`` is missing (empty, NA...)."""
        empty: NDArray[np.bool_] = self.labels(name, key=key) == ""
        return empty

    def take(self, keep: NDArray[Any]) -> Table:
        """The rows where ``keep`` is true (or at the given indices), row numbers kept."""
        idx = np.flatnonzero(keep) if keep.dtype == np.bool_ else np.asarray(keep)
        cols: dict[str, Any] = {}
        for name, raw in self._raw.items():
            cols[name] = raw.take(idx) if _is_arrow(raw) else np.asarray(raw)[idx]
        rows = self._rows[idx] if self._rows is not None else (idx.astype(np.int64) + 2)
        return Table(cols, source=self.source, order=self.order, rows=rows)

    def with_columns(self, columns: Mapping[str, Any]) -> Table:
        """A table with ``columns`` added or replaced (new names go last)."""
        raw = dict(self._raw)
        raw.update(columns)
        order = list(self.order) + [k for k in columns if k not in self._raw]
        out = Table(raw, source=self.source, order=order, rows=self._rows)
        return out


def table_from_columns(columns: Mapping[str, Any], source: str) -> Table:
    """A :class:`Table` from a mapping of column arrays (e.g. a wave from the database).

    Raises:
        TableError: columns of different lengths.
    """
    return Table({str(k): v for k, v in columns.items()}, source=source)


def _label_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)) and math.isnan(float(value)):
        return ""
    text = (value if isinstance(value, str) else format_cell(value)).strip(_SPACES)
    return "" if text in MISSING else text


def _distinct(raw: Any) -> tuple[list[Any], NDArray[np.intp]]:
    """The distinct cells of a column and, for each row, the index of its cell."""
    if _is_arrow(raw):
        pa, pc = _arrow()

        if isinstance(raw, pa.ChunkedArray):
            raw = raw.combine_chunks()
        encoded = pc.dictionary_encode(raw, null_encoding="encode")
        uniq = encoded.dictionary.to_pylist()
        index = _primitive_numpy(encoded.indices).astype(np.intp)
        return uniq, index
    arr = np.asarray(raw)
    if arr.dtype.kind == "O":
        lookup: dict[Any, int] = {}
        index = np.empty(arr.shape[0], dtype=np.intp)
        for i, v in enumerate(arr.tolist()):
            k = (type(v).__name__, v if not isinstance(v, (list, dict)) else repr(v))
            index[i] = lookup.setdefault(k, len(lookup))
        uniq = [None] * len(lookup)
        for (_, v), j in lookup.items():
            uniq[j] = v
        return uniq, index
    if arr.dtype.kind == "f":
        nan = np.isnan(arr)
        if nan.any():
            u, inv = np.unique(np.where(nan, 0.0, arr), return_inverse=True)
            uniq_f: list[Any] = u.tolist() + [None]
            inv = np.where(nan, len(u), inv)
            return uniq_f, inv.astype(np.intp).reshape(-1)
    u, inv = np.unique(arr, return_inverse=True)
    return u.tolist(), inv.astype(np.intp).reshape(-1)


def _primitive_numpy(raw: Any) -> NDArray[Any]:
    """A numeric or boolean Arrow column as numpy, from its data buffer (nulls -> NaN).

    pyarrow's own ``to_numpy`` goes through its pandas conversion code, which imports
    pandas (see :func:`_arrow`); reading the buffer does not.
    """
    pa, pc = _arrow()
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    t = raw.type
    if raw.null_count:
        raw = pc.fill_null(raw.cast(pa.float64()), pa.scalar(np.nan, pa.float64()))
        t = raw.type
    if pa.types.is_boolean(t):
        return _primitive_numpy(raw.cast(pa.uint8())).astype(bool)
    if pa.types.is_floating(t):
        dtype = np.dtype(f"<f{t.bit_width // 8}")
    elif pa.types.is_signed_integer(t):
        dtype = np.dtype(f"<i{t.bit_width // 8}")
    elif pa.types.is_unsigned_integer(t):
        dtype = np.dtype(f"<u{t.bit_width // 8}")
    else:  # pragma: no cover - callers pass numbers and booleans only
        raise TypeError(f"not a primitive Arrow type: {t}")
    buffer = raw.buffers()[1]
    n = len(raw)
    if buffer is None or n == 0:
        return np.zeros(0, dtype=dtype)
    data = np.frombuffer(buffer, dtype=dtype, count=raw.offset + n)[raw.offset :]
    return data


def _arrow_to_numpy(raw: Any) -> NDArray[Any]:
    """An Arrow column as numpy: text as ``str`` arrays (missing as ``""``), numbers as
    float (nulls NaN) or int, booleans as bool, dates as ISO text."""
    pa, _ = _arrow()

    t = raw.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        uniq, index = _distinct(raw)
        texts = ["" if u is None else str(u) for u in uniq]
        return np.asarray(texts, dtype=str)[index] if texts else np.zeros(0, dtype=str)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return _primitive_numpy(raw)
    if pa.types.is_null(t):
        return np.full(len(raw), np.nan)
    uniq, index = _distinct(raw)
    texts = [format_cell(u) for u in uniq]
    return np.asarray(texts, dtype=str)[index] if texts else np.zeros(0, dtype=str)


# -- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableSource:
    """A table file with its reading options (``data:`` of a job, ``--encoding``, ``--sheet``).

    In a YAML file either a file name or a mapping::

        data: scored.csv
        data: {file: 调查数据.xlsx, sheet: 数据}
        data: {file: scored.csv, encoding: gbk}
    """

    path: Path
    encoding: str | None = None
    sheet: str | None = None

    @classmethod
    def from_config(cls, value: Any, base: Path, key: str) -> TableSource:
        """The source named by a configuration value (a file name or a mapping).

        Raises:
            TableError: not a file name or ``{file:, encoding:, sheet:}``.
        """
        if isinstance(value, str) and value.strip():
            return cls(base / value)
        if isinstance(value, Mapping):
            unknown = sorted(str(k) for k in value if k not in ("file", "encoding", "sheet"))
            if unknown:
                raise TableError(
                    f"unknown key {key}.{unknown[0]}",
                    param=f"{key}.{unknown[0]}",
                    expected="file, encoding, sheet",
                )
            file = value.get("file")
            if not isinstance(file, str) or not file.strip():
                raise TableError(f"{key}.file must name the file", param=f"{key}.file", got=file)
            encoding = value.get("encoding")
            sheet = value.get("sheet")
            for sub, v in (("encoding", encoding), ("sheet", sheet)):
                if v is not None and not isinstance(v, str | int):
                    raise TableError(f"{key}.{sub} must be a name", param=f"{key}.{sub}", got=v)
            if encoding is not None:
                _codec(str(encoding), f"{key}.encoding")
            return cls(
                base / file,
                None if encoding is None else str(encoding),
                None if sheet is None else str(sheet),
            )
        raise TableError(
            f"{key} must be a file name or {{file: ..., encoding: ..., sheet: ...}}",
            param=key,
            got=value,
        )

    @property
    def name(self) -> str:
        """The file name shown in messages."""
        return self.path.name

    def read(self, what: str = "table", key: str | None = None) -> Table:
        """Read the file with :func:`read_table` (``key``: the configuration key)."""
        return read_table(self.path, encoding=self.encoding, sheet=self.sheet, what=what, key=key)


def _codec(encoding: str, key: str = "encoding") -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise TableError(
            f"unknown encoding {encoding!r}",
            param=key,
            got=encoding,
            expected="utf-8, gb18030 (also reads gbk and gb2312), utf-16, big5...",
        ) from None


def read_table(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    what: str = "table",
    key: str | None = None,
) -> Table:
    """Read a CSV, ``.xlsx`` or Parquet table by the rules of the module docstring.

    Args:
        source: a path, or the file's bytes (an upload).
        name: the file name for messages (default: the path's name, or ``upload``).
        encoding: the text encoding (default: detected; CSV only).
        sheet: the worksheet of a workbook (default: the first).
        what: what the table is, in messages ("data file", "frame"...).
        key: the job key or option that named the file (the errors' ``param``).

    Raises:
        TableError: unreadable file, unknown format or encoding, a header or row
            problem (naming the file, row and column).

    Example:
        >>> t = read_table("town,psu,n\\nfotang,1,20\\n".encode("gb18030"), name="f.csv")
        >>> t.labels("town").tolist(), t.numeric("n").tolist()
        (['fotang'], [20.0])
    """
    if isinstance(source, bytes):
        data = source
        label = name or "upload"
    else:
        path = Path(source)
        label = name or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TableError(
                f"cannot read the {what}: {exc.strerror}", file=str(path), param=key or what
            ) from None
    fmt = sniff_format(data, label)
    if fmt == "parquet":
        table = _read_parquet(data, label)
    elif fmt == "xlsx":
        table = _read_xlsx(data, label, sheet)
    else:
        if sheet is not None:
            raise TableError(
                f"{label} is a text (CSV) file: it has no sheets", param="sheet", got=sheet
            )
        table = _read_csv(data, label, encoding)
    logger.info(
        "read %d rows x %d columns from %s (%s)", table.n_rows, len(table.order), label, fmt
    )
    return table


def sniff_format(data: bytes, name: str = "upload") -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the first bytes of a file.

    Raises:
        TableError: an old binary ``.xls`` workbook (or another zip than ``.xlsx``).
    """
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TableError(
            "is an old Excel 97-2003 workbook (.xls)",
            file=name,
            reason="xls",
            hint="open it in Excel or WPS and save it as .xlsx (Excel 工作簿) or CSV UTF-8",
        )
    return "csv"


def decode_text(data: bytes, name: str = "upload", encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding used (detected unless ``encoding`` is given).

    Raises:
        TableError: the bytes are not valid in the given encoding, or (detection) neither
            UTF-8 nor GB18030; the message names the line of the first bad byte.

    Example:
        >>> decode_text("佛堂镇".encode("gbk"))
        ('佛堂镇', 'gb18030')
    """
    if encoding is not None:
        codec = _codec(encoding)
        if codec == "utf-8":
            codec = "utf-8-sig"
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise TableError(
                f"is not {encoding} text (byte {data[exc.start]:#04x} at line {line})",
                file=name,
                reason="encoding",
                details={"line": line},
                param="encoding",
                hint="remove the encoding option to let kesu detect it",
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = "utf-8"
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        if codec != "utf-8":
            line = data[: exc.start].count(b"\n") + 1
            raise TableError(
                f"is not valid {codec} text (line {line})",
                file=name,
                param="encoding",
                reason="encoding",
                details={"line": line},
            ) from None
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise TableError(
            f"is neither UTF-8 nor GB18030/GBK text (byte {data[utf8_error.start]:#04x} "
            f"at line {line})",
            file=name,
            reason="encoding",
            details={"line": line},
            param="encoding",
            hint="save it as 'CSV UTF-8' in Excel or WPS, or give its encoding "
            "(encoding: in a job file, --encoding on the command line)",
        ) from None
    logger.info("%s is not UTF-8: read as GB18030 (GBK)", name)
    return text, "gb18030"


def _header(cells: Sequence[Any], name: str) -> list[str]:
    out = []
    for cell in cells:
        text = "" if cell is None else (cell if isinstance(cell, str) else format_cell(cell))
        out.append(text.strip(_SPACES))
    return out


def _check_header(header: list[str], name: str, empty_column: Any) -> list[int]:
    """Indices of the columns to keep: blank-named empty columns are dropped.

    ``empty_column(j)`` tells whether column ``j`` holds no data.
    """
    keep = []
    for j, h in enumerate(header):
        if h:
            keep.append(j)
        elif not empty_column(j):
            raise TableError(
                f"column {column_letter(j)} has data but no name in the header row",
                file=name,
                row=1,
                reason="blank_header",
                details={"letter": column_letter(j)},
                hint="give the column a name in row 1, or delete it",
            )
    seen: dict[str, int] = {}
    for j in keep:
        h = header[j]
        if h in seen:
            raise TableError(
                f"columns {column_letter(seen[h])} and {column_letter(j)} are both named {h!r}",
                file=name,
                row=1,
                column=h,
                reason="duplicate_column",
                hint="every column needs its own name",
            )
        seen[h] = j
    if not keep:
        raise TableError("the header row is empty", file=name, row=1, reason="empty")
    return keep


def _read_csv(data: bytes, name: str, encoding: str | None) -> Table:
    import pyarrow.csv as pacsv

    pa, _ = _arrow()

    text, codec = decode_text(data, name, encoding)
    if codec == "utf-8":
        utf8 = data
    elif codec == "utf-8-sig":
        utf8 = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    else:
        utf8 = text.lstrip("\ufeff").encode("utf-8")
        text = text.lstrip("\ufeff")
    end = text.find("\n")
    first_line = text if end < 0 else text[: end + 1]
    delimiter = "\t" if ("\t" in first_line and "," not in first_line) else ","
    # the header record alone (a quoted header cell may hold a line break: then the text)
    head = first_line if first_line.count('"') % 2 == 0 else text
    try:
        header_cells = next(csv.reader(io.StringIO(head), delimiter=delimiter))
    except StopIteration:
        raise TableError("is empty (no header row)", file=name, reason="empty") from None
    except csv.Error as exc:
        raise TableError(f"the header row cannot be read: {exc}", file=name, row=1) from None
    header = _header(header_cells, name)
    width = len(header)
    names = [f"c{j}" for j in range(width)]
    try:
        arrow = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        raise _csv_row_error(text, delimiter, width, name, exc) from None
    arrow = arrow.slice(1)
    return _from_arrow_text(arrow, header, name, _may_have_empty_rows(utf8, delimiter, width))


def _csv_row_error(text: str, delimiter: str, width: int, name: str, exc: Exception) -> TableError:
    """Find the first row of another width (Arrow does not say where it is)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row_number, row in enumerate(reader, start=1):
            if row and len(row) != width:
                return TableError(
                    f"has {len(row)} cells, the header has {width}",
                    file=name,
                    row=row_number,
                    reason="width",
                    details={"values": len(row), "columns": width},
                    hint="a cell holding a comma must be in double quotes; check for a "
                    "missing or an extra comma",
                )
    except csv.Error as err:
        return TableError(f"cannot be read as CSV: {err}", file=name, row=reader.line_num)
    return TableError(f"cannot be read as CSV: {exc}", file=name)


def _may_have_empty_rows(data: bytes, delimiter: str, width: int) -> bool:
    """Whether CSV bytes may hold an empty row: an empty line, or a line of nothing but
    delimiters (Excel writes ``,,,,`` for a row whose cells are all empty), or spaces.

    A few substring searches (memchr speed) instead of a scan of every cell; when one
    matches, :func:`_from_arrow_text` checks the cells.
    """
    sep = delimiter.encode()
    only_seps = b"\n" + sep * (width - 1)
    blanks = (b"\n\n", b"\n\r\n", only_seps + b"\r", only_seps + b"\n",
              b"\n ", b"\n\t", b"\n\xe3\x80\x80")  # fmt: skip
    return any(b in data for b in blanks if b != b"\n")


def _from_arrow_text(arrow: Any, header: list[str], name: str, empty_rows: bool = True) -> Table:
    """A table from all-text Arrow columns: header rules, all-empty rows dropped.

    ``empty_rows`` False says the file has no empty row (the scan of every cell is
    skipped); columns stay Arrow chunked arrays until a caller asks for them.
    """
    pa, pc = _arrow()

    columns = [arrow.column(j) for j in range(arrow.num_columns)]
    empty = pa.scalar("", pa.string())

    def filled(j: int) -> Any:
        return pc.not_equal(pc.utf8_trim_whitespace(columns[j]), empty)

    def empty_column(j: int) -> bool:
        return not bool(pc.any(filled(j)).as_py())

    keep = _check_header(header, name, empty_column)
    n = arrow.num_rows
    rows = None
    if n and columns and empty_rows:
        any_filled = filled(keep[0])
        for j in keep[1:]:
            any_filled = pc.or_(any_filled, filled(j))
        if pc.sum(any_filled.cast(pa.int64())).as_py() != n:
            mask = _primitive_numpy(any_filled)
            idx = np.flatnonzero(mask)
            rows = (idx + 2).astype(np.int64)
            columns = [c.take(pa.array(idx.astype(np.int64))) for c in columns]
    data = {header[j]: columns[j] for j in keep}
    return Table(data, source=name, order=[header[j] for j in keep], rows=rows)


def _excel_cell(value: Any) -> str:
    """A cell of a workbook as text, as Excel's own CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return format_cell(value)


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    pa, _ = _arrow()

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise TableError(
            f"is not an Excel workbook (.xlsx) that can be read: {exc}",
            file=name,
            reason="workbook",
            hint="save it again from Excel or WPS as .xlsx, or as CSV UTF-8",
        ) from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise TableError(
                f"has no sheet {sheet!r}",
                file=name,
                reason="sheet",
                param="sheet",
                got=sheet,
                expected=", ".join(repr(n) for n in names),
            )
        where = f"{name} [{ws.title}]" if len(names) > 1 else name
        rows_iter = ws.iter_rows(values_only=True)
        first = next(rows_iter, None)
        if first is None:
            raise TableError("the sheet is empty (no header row)", file=where, reason="empty")
        header = _header(first, where)
        width = len(header)
        cells: list[list[str]] = [[] for _ in range(width)]
        row_numbers: list[int] = []
        for number, values in enumerate(rows_iter, start=2):
            texts = [_excel_cell(v) for v in values]
            if not any(t.strip(_SPACES) for t in texts):
                continue
            if len(texts) > width:
                extra = next(j for j in range(width, len(texts)) if texts[j].strip(_SPACES))
                raise TableError(
                    f"column {column_letter(extra)} has data but no name in the header row",
                    file=where,
                    row=number,
                    reason="blank_header",
                    details={"letter": column_letter(extra)},
                    hint="give the column a name in row 1, or delete it",
                )
            texts += [""] * (width - len(texts))
            for j in range(width):
                cells[j].append(texts[j])
            row_numbers.append(number)
    finally:
        book.close()
    columns = [pa.array(np.array(c, dtype=str)) if c else pa.array(np.zeros(0, str))
               for c in cells]  # fmt: skip
    keep = _check_header(header, where, lambda j: not any(t.strip(_SPACES) for t in cells[j]))
    rows = np.asarray(row_numbers, dtype=np.int64)
    plain = rows.size == 0 or bool(np.array_equal(rows, np.arange(2, rows.size + 2)))
    return Table(
        {header[j]: columns[j] for j in keep},
        source=where,
        order=[header[j] for j in keep],
        rows=None if plain else rows,
    )


def _read_parquet(data: bytes, name: str) -> Table:
    import pyarrow.parquet as pq

    pa, _ = _arrow()

    try:
        arrow = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise TableError(f"is not a Parquet file that can be read: {exc}", file=name) from None
    header = _header(arrow.column_names, name)
    columns = [arrow.column(j).combine_chunks() for j in range(arrow.num_columns)]
    keep = _check_header(header, name, lambda j: columns[j].null_count == len(columns[j]))
    return Table(
        {header[j]: columns[j] for j in keep}, source=name, order=[header[j] for j in keep]
    )


# -- writing -------------------------------------------------------------------------------


def rows_of(columns: Mapping[str, Any], order: Sequence[str] | None = None) -> Iterator[list[Any]]:
    """The rows of named columns (equal lengths), in ``order``."""
    names = list(order) if order is not None else list(columns)
    data = [np.asarray(columns[k], dtype=object) if not isinstance(columns[k], list)
            else columns[k] for k in names]  # fmt: skip
    for row in zip(*data, strict=True):
        yield list(row)


def _write(fh: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([c if isinstance(c, str) else format_cell(c) for c in row])
        n += 1
    return n


def write_csv(
    target: str | Path | None, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write a CSV file people can open in Excel: UTF-8 with a BOM, cells by
    :func:`format_cell`; ``target`` None (or ``-``) writes to standard output without
    the BOM. Returns the number of rows written.
    """
    if target is None or str(target) == "-":
        return _write(sys.stdout, header, rows)
    with Path(target).open("w", encoding="utf-8-sig", newline="") as fh:
        n = _write(fh, header, rows)
    logger.info("wrote %d rows to %s", n, target)
    return n


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The bytes of :func:`write_csv`'s file (UTF-8 with a BOM), e.g. for a download."""
    buffer = io.StringIO(newline="")
    _write(buffer, header, rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def iter_csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], chunk_rows: int = 1000
) -> Iterator[bytes]:
    """:func:`csv_bytes` in chunks of ``chunk_rows`` rows, for a streamed download."""
    buffer = io.StringIO(newline="")
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for i, row in enumerate(rows, start=1):
        writer.writerow([c if isinstance(c, str) else format_cell(c) for c in row])
        if i % chunk_rows == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_columns(
    target: str | Path | None, columns: Mapping[str, Any], order: Sequence[str] | None = None
) -> int:
    """Write named columns (arrays or lists of equal length) with :func:`write_csv`."""
    names = list(order) if order is not None else list(columns)
    return write_csv(target, names, rows_of(columns, names))
