"""The Excel template of a unit's capacity figures, and reading it back (errors by cell).

Units that live in Excel download a pre-filled ``.xlsx`` (one row per indicator the unit
reports: its id, name, unit of measure, kind, last round's value, this round's value,
note, confirmation), fill in columns F-H and upload it. The upload is read by the one
table layer (:func:`kesu.tables.read_table`) and goes through the same checks as the web
form (:func:`reports.capacity_round.check_values`); every problem names its cell
(``F5``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from kesu.tables import TableError
from kesu.tables import column_letter
from kesu.tables import read_table
from reports.capacity import CapacityPlan
from reports.capacity_round import CheckIssue
from reports.capacity_round import EnteredValue
from reports.capacity_round import check_values
from reports.capacity_round import parse_entry

#: the template's header (row 1); columns A-H
HEADER = (
    "indicator 指标代码",
    "label 指标名称",
    "unit 计量单位",
    "kind 类型",
    "previous 上期数值",
    "value 本期数值",
    "note 说明",
    "confirmed 确认(是/yes)",
)
SHEET = "填报"
_YES = {"是", "yes", "y", "1", "true", "确认", "x", "√"}


@dataclass(frozen=True, slots=True)
class CellError:
    """A problem of the uploaded workbook at ``cell`` (e.g. ``F5``)."""

    cell: str
    message: str
    #: a problem of reading the workbook (nothing is imported), not of a value's checks
    reading: bool = True

    def __str__(self) -> str:
        return f"{self.cell}: {self.message}"


def template_xlsx(
    plan: CapacityPlan,
    unit: str,
    round_name: str,
    previous: Mapping[str, float],
    current: Mapping[str, EnteredValue],
) -> bytes:
    """The pre-filled template of ``unit`` (this round's values so far in column F)."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = SHEET
    ws.append(list(HEADER))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for ind in plan.indicators_of(unit):
        entry = current.get(ind.id, EnteredValue(None))
        ws.append(
            [
                ind.id,
                ind.label.get(),
                ind.unit.get(),
                ind.kind.value,
                previous.get(ind.id),
                entry.value,
                entry.note,
                "是" if entry.confirmed else "",
            ]
        )
    for col, width in zip("ABCDEFGH", (22, 40, 12, 12, 12, 12, 30, 14), strict=True):
        ws.column_dimensions[col].width = width
    info = book.create_sheet("说明")
    info.append([f"{plan.title.get()} · {round_name} · {plan.unit(unit).name.get()}"])
    info.append(["只填写 F（本期数值）、G（说明）、H（确认）列；不要改动 A 列指标代码。"])
    info.append(["累计类指标填自规划开始以来的累计总数；存量类填期末实有数；年度类填本年合计。"])
    info.append(["未能提供的数值请留空并在说明中写明原因（留空不等于零）。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_template(
    data: bytes,
    plan: CapacityPlan,
    unit: str,
    *,
    name: str = "upload.xlsx",
) -> tuple[dict[str, EnteredValue], dict[str, int], list[CellError]]:
    """Entries of an uploaded template, the row of each indicator, and the cell errors
    of its reading (unknown or foreign indicator, a repeated row, a value that is not a
    number). The checks of the values are :func:`check_template`."""
    errors: list[CellError] = []
    try:
        table = read_table(data, name=name, what="capacity template", sheet=SHEET)
    except TableError as exc:
        where = f"{exc.column or ''}{exc.row or ''}" or name
        return {}, {}, [CellError(where, exc.message)]
    order = list(table.order)
    if order[: len(HEADER)] != list(HEADER)[: len(order)] or len(order) < 7:
        return {}, {}, [CellError("A1", "not the capacity template: the header row was changed")]
    col = {key: column_letter(i) for i, key in enumerate(HEADER)}
    ids = table.labels(HEADER[0])
    values = table.labels(HEADER[5])
    notes = table.labels(HEADER[6])
    confirms = table.labels(HEADER[7]) if HEADER[7] in table else [""] * table.n_rows
    mine = {ind.id for ind in plan.indicators_of(unit)}
    entries: dict[str, EnteredValue] = {}
    rows: dict[str, int] = {}
    for i in range(table.n_rows):
        row = table.row_number(i)
        ind_id = str(ids[i]).strip()
        if not ind_id:
            continue
        if ind_id not in mine:
            errors.append(
                CellError(
                    f"{col[HEADER[0]]}{row}",
                    f"指标 {ind_id} 不属于本单位 / not an indicator of this unit",
                )
            )
            continue
        if ind_id in rows:
            errors.append(
                CellError(
                    f"{col[HEADER[0]]}{row}", f"指标 {ind_id} 重复（第{rows[ind_id]}行）/ repeated"
                )
            )
            continue
        rows[ind_id] = row
        try:
            value = parse_entry(str(values[i]))
        except ValueError:
            errors.append(
                CellError(f"{col[HEADER[5]]}{row}", f"不是数字 / not a number: {values[i]}")
            )
            continue
        confirmed = str(confirms[i]).strip().lower() in _YES
        entries[ind_id] = EnteredValue(value, str(notes[i]).strip(), confirmed)
    return entries, rows, errors


def check_template(
    issues: list[CheckIssue], rows: Mapping[str, int], lang: str = "zh-CN"
) -> list[CellError]:
    """Check issues as cell errors (the value's cell F, or G for a missing note)."""
    out = []
    for issue in issues:
        row = rows.get(issue.indicator)
        column = "G" if issue.rule in ("missing_note", "stock_fall") else "F"
        where = f"{column}{row}" if row else f"A ({issue.indicator})"
        out.append(CellError(where, f"{issue.indicator}: {issue.message(lang)}", reading=False))
    return out


def import_template(
    data: bytes,
    plan: CapacityPlan,
    unit: str,
    previous: Mapping[str, float],
    before_previous: Mapping[str, float] | None = None,
    *,
    name: str = "upload.xlsx",
    submitting: bool = True,
) -> tuple[dict[str, EnteredValue], list[CellError]]:
    """Read an uploaded template and check it like the web form; errors by cell."""
    entries, rows, errors = read_template(data, plan, unit, name=name)
    if errors:
        return entries, errors
    issues = check_values(plan, unit, entries, previous, before_previous, submitting=submitting)
    missing_rows = [i for i in plan.indicators_of(unit) if i.id not in rows]
    errors = check_template(issues, rows)
    for ind in missing_rows:
        errors.append(CellError("A", f"指标 {ind.id} 的行被删除 / the row of {ind.id} is missing"))
    return entries, errors
