"""A respondent table as named numpy columns, read from CSV with the stdlib.

CSV cells are kept as strings, so category levels keep their spelling
(``1``, not ``1.0``); numbers are parsed only where a number is needed, and a
cell that is not a number is an error naming the column, the row and the job
key that asked for it. This module is a loader (an I/O edge); the statistics
never read files.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import label_text
from sampling.errors import JobError

logger = logging.getLogger(__name__)

#: cell spellings read as a missing value
MISSING = frozenset({"", "NA", "NaN", "nan", "na", ".", "None"})


@dataclass(frozen=True, slots=True, eq=False)
class Table:
    """Named columns of equal length.

    Attributes:
        columns: column name -> 1-D array (strings for CSV input).
        order: column order (for writing).
        source: where the table came from (for messages).
    """

    columns: dict[str, NDArray[Any]]
    order: tuple[str, ...]
    source: str

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(next(iter(self.columns.values())).shape[0]) if self.columns else 0

    def column(self, name: str, *, key: str) -> NDArray[Any]:
        """The column ``name``; a missing column is a :class:`JobError` naming ``key``."""
        if name not in self.columns:
            raise JobError(
                f"column {name!r} (from {key}) is not in {self.source}",
                param=key,
                got=name,
                expected=f"one of {list(self.order)[:30]}",
                hint="check the spelling of the column name",
            )
        return self.columns[name]

    def numeric(self, name: str, *, key: str, allow_missing: bool = False) -> FloatArray:
        """The column as floats; text that is not a number is an error naming column and row.

        Missing cells (empty, NA, ...) become NaN when ``allow_missing``, else an error.
        """
        raw = self.column(name, key=key)
        if raw.dtype.kind in "fiub":
            values = raw.astype(np.float64)
            missing = np.isnan(values)
        else:
            text = np.char.strip(raw.astype(str))
            missing = np.isin(text, list(MISSING))
            filled = np.where(missing, "nan", text)
            try:
                values = filled.astype(np.float64)
            except ValueError:
                for i, cell in enumerate(filled):
                    try:
                        float(cell)
                    except ValueError:
                        raise JobError(
                            f"column {name!r} row {i + 1}: {str(raw[i])!r} is not a number "
                            f"(needed by {key})",
                            param=key,
                            got=str(raw[i]),
                            hint="fix the cell, or leave it empty for a missing value",
                        ) from None
                raise
            values[missing] = np.nan
        if not allow_missing and missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise JobError(
                f"column {name!r} row {row + 1} is missing (needed by {key})",
                param=key,
                hint="every respondent needs a value here",
            )
        return values

    def labels(self, name: str, *, key: str) -> NDArray[Any]:
        """The column as category labels (strings keep their spelling)."""
        raw = self.column(name, key=key)
        if raw.dtype.kind in "US":
            return raw
        return np.array([label_text(v) for v in raw.tolist()], dtype=str)


def read_csv_table(path: str | Path, *, key: str = "data", what: str = "data file") -> Table:
    """Read a CSV file (header row, UTF-8, optional BOM) into string columns.

    Args:
        path: the file.
        key: the job key that named the file (for errors).
        what: what the file is, in error messages.

    Raises:
        JobError: the file cannot be read, is empty, has a duplicate column or a
            short/long row.
    """
    p = Path(path)
    try:
        fh = p.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise JobError(f"cannot read the {what} {str(p)!r}: {exc.strerror}", param=key) from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise JobError(f"cannot read the {what} {str(p)!r}: {exc}", param=key) from exc
        except StopIteration:
            raise JobError(f"the {what} {str(p)!r} is empty", param=key) from None
        header = [h.strip() for h in header]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise JobError(f"{p.name} has duplicate columns {dupes}", param=key)
        rows = []
        try:
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise JobError(
                        f"{p.name} line {line} has {len(row)} cells, the header has {len(header)}",
                        param=key,
                    )
                rows.append(row)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise JobError(f"cannot read the {what} {str(p)!r}: {exc}", param=key) from exc
    if rows:
        cols = list(zip(*rows, strict=True))
        columns = {h: np.array(c, dtype=str) for h, c in zip(header, cols, strict=True)}
    else:
        columns = {h: np.array([], dtype=str) for h in header}
    logger.info("read %d rows x %d columns from %s", len(rows), len(header), p)
    return Table(columns=columns, order=tuple(header), source=p.name)


def table_from_columns(columns: Mapping[str, Any], source: str) -> Table:
    """A :class:`Table` from a mapping of column arrays (e.g. a wave from the database).

    Raises:
        JobError: columns of different lengths.
    """
    cols = {str(k): np.asarray(v).reshape(-1) for k, v in columns.items()}
    lengths = {k: v.shape[0] for k, v in cols.items()}
    if len(set(lengths.values())) > 1:
        raise JobError(f"columns of {source} have different lengths", param="wave", got=lengths)
    return Table(columns=cols, order=tuple(cols), source=source)


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return "" if np.isnan(f) else repr(f)
    return label_text(value)


def write_csv_table(path: str | Path, table: Table, extra: Mapping[str, FloatArray]) -> None:
    """Write the table plus ``extra`` float columns (replacing same-named columns)."""
    order = list(table.order) + [k for k in extra if k not in table.columns]
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(order)
        data = []
        for name in order:
            if name in extra:
                data.append([repr(float(v)) for v in np.asarray(extra[name], dtype=np.float64)])
            else:
                col = table.columns[name]
                data.append(col.tolist() if col.dtype.kind in "US" else [_cell(v) for v in col])
        writer.writerows(zip(*data, strict=True))
    logger.info("wrote %d rows to %s", table.n_rows, p)
