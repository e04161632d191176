"""One table written as the files statisticians and the 科协's departments really have.

* ``utf8``: CSV UTF-8 with a BOM ("CSV UTF-8 (逗号分隔)" in Excel);
* ``gb18030``: CSV as Excel on Chinese Windows saves "CSV (逗号分隔)": GBK/GB18030,
  no BOM, CRLF line ends, dates as shown (``2024/6/30``);
* ``xlsx``: an Excel workbook written by openpyxl: numbers as numbers except the
  columns listed in ``text_numbers`` (numbers stored as text, Excel's green
  triangle), blank cells as empty cells, dates as date cells, Chinese headers, a
  styled empty area to the right of and below the data (Excel's trailing empty
  rows and columns), and a second sheet;
* ``parquet``: typed columns (numbers as int64/float64, text as strings, blanks null).

The rows are Python values: None (blank), str, int, float, bool or ``datetime.date``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FORMATS = ("utf8", "gb18030", "xlsx", "parquet")


def _csv_cell(value: Any, excel_dates: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}" if excel_dates else value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return str(value)


def csv_text(
    header: Sequence[str], rows: Sequence[Sequence[Any]], excel_dates: bool = False
) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v, excel_dates) for v in row])
    return buffer.getvalue()


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    text_numbers: Sequence[str] = (),
    sheet: str = "数据",
) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes["A1"] = "本表由街道上报；数据在第二个工作表。"
    ws = book.create_sheet(sheet)
    ws.append(list(header))
    as_text = {header.index(c) for c in text_numbers if c in header}
    for row in rows:
        values = []
        for j, v in enumerate(row):
            if j in as_text and isinstance(v, int | float) and not isinstance(v, bool):
                v = _csv_cell(v, False)
            values.append(v)
        ws.append(values)
        for j, v in enumerate(values):
            if isinstance(v, dt.date):
                ws.cell(row=ws.max_row, column=j + 1).number_format = "yyyy/m/d"
    # Excel keeps formatted but empty cells right of and below the data
    fill = PatternFill("solid", fgColor="FFFF00")
    for r in range(1, len(rows) + 4):
        ws.cell(row=r, column=len(header) + 2).fill = fill
    ws.cell(row=len(rows) + 4, column=1).fill = fill
    book.move_sheet(sheet, offset=-1)  # the data sheet first, as most workbooks have it
    book.save(path)
    return path


def write_parquet(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for j, _ in enumerate(header):
        values = [row[j] for row in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            arrays.append(pa.array(values, pa.bool_()))
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            arrays.append(pa.array(values, pa.int64()))
        elif present and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present
        ):
            arrays.append(pa.array([None if v is None else float(v) for v in values], pa.float64()))
        elif present and all(isinstance(v, dt.date) for v in present):
            arrays.append(pa.array(values, pa.date32()))
        else:
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    pq.write_table(pa.table(dict(zip(header, arrays, strict=True))), path)
    return path


def write_formats(
    folder: Path,
    stem: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    text_numbers: Sequence[str] = (),
) -> dict[str, Path]:
    """The table in each of :data:`FORMATS`; returns format -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    utf8 = folder / f"{stem}-utf8.csv"
    utf8.write_bytes(b"\xef\xbb\xbf" + csv_text(header, rows).encode("utf-8"))
    gbk = folder / f"{stem}-gb18030.csv"
    gbk.write_bytes(csv_text(header, rows, excel_dates=True).encode("gb18030"))
    return {
        "utf8": utf8,
        "gb18030": gbk,
        "xlsx": write_xlsx(folder / f"{stem}.xlsx", header, rows, text_numbers=text_numbers),
        "parquet": write_parquet(folder / f"{stem}.parquet", header, rows),
    }


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV written by kesu (UTF-8, BOM optional)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def as_formats(
    folder: Path, source_csv: Path, stem: str | None = None, **kw: Any
) -> dict[str, Path]:
    """An existing UTF-8 CSV (e.g. a demo file) rewritten in every format.

    Cells that are numbers are written as numbers to the workbook and Parquet file.
    """
    header, rows = read_csv_rows(source_csv)

    def value(cell: str) -> Any:
        if cell == "":
            return None
        try:
            number = float(cell)
        except ValueError:
            return cell
        return (
            int(number)
            if number == int(number) and "." not in cell and "e" not in cell.lower()
            else number
        )

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    typed_cols = []
    for col in columns:
        vals = [value(c) for c in col]
        kinds = {type(v) for v in vals if v is not None}
        if str in kinds:  # a text column keeps every cell as text (codes such as 01)
            vals = [None if c == "" else c for c in col]
        elif kinds == {int, float}:
            vals = [None if v is None else float(v) for v in vals]
        typed_cols.append(vals)
    typed_rows = [list(r) for r in zip(*typed_cols, strict=True)] if header else []
    return write_formats(folder, stem or source_csv.stem, header, typed_rows, **kw)
