"""The codebook of a wave's export, generated from the questionnaire (CSV and PDF).

One line per export column (:func:`survey.export.plan_columns`): name, label in Chinese
and English, type, the codes with their numbers in .sav/.dta and their labels, the
question it comes from and its skip logic (the item's and its section's ``relevant``
expressions), so the codebook can never disagree with the data files.
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any
from xml.sax.saxutils import escape as esc

from questionnaires import Item
from questionnaires import Questionnaire
from survey.csvsafe import spreadsheet_safe
from survey.export import Column
from survey.export import ExportPlan

logger = logging.getLogger(__name__)

CODEBOOK_COLUMNS = ("variable", "label_zh", "label_en", "type", "codes", "question",
                    "section", "shown_if")  # fmt: skip


def _section_of(q: Questionnaire, item: Item) -> Any:
    return next(s for s in q.sections if s.id == item.section)


def codebook_rows(plan: ExportPlan) -> list[dict[str, str]]:
    """The codebook lines (keys :data:`CODEBOOK_COLUMNS`)."""
    q = plan.questionnaire
    out = []
    for col in plan.columns:
        out.append(_row(q, col))
    return out


def _row(q: Questionnaire, col: Column) -> dict[str, str]:
    item = col.item
    label_en = ""
    question = section = shown_if = ""
    if item is not None:
        section_obj = _section_of(q, item)
        section = section_obj.id
        question = item.id
        conditions = [e.source for e in (section_obj.relevant, item.relevant) if e is not None]
        shown_if = " and ".join(f"({c})" for c in conditions)
        label_en = item.text.get("en")
        if col.option is not None:
            option = item.option(col.option)
            label_en += f" - {option.label.get('en') if option else col.option}"
        elif col.name != item.id:
            row = next((r for r in item.rows if r.id == col.name), None)
            if row is not None:
                label_en += f" - {row.text.get('en')}"
    codes = ""
    if col.kind == "code":
        codes = "; ".join(
            f"{code}={number} {col.value_labels.get(number, '')}".strip()
            for code, number in col.codes.items()
        )
    elif col.value_labels:
        codes = "; ".join(f"{k}={v}" for k, v in col.value_labels.items())
    elif col.csv_only and item is not None:
        codes = "codes joined by ';' (CSV only): " + ", ".join(item.codes)
    label_en = label_en or col.label_en
    kind = {"num": "numeric", "str": "text", "code": "coded"}[col.kind]
    return {
        "variable": col.name, "label_zh": col.label, "label_en": label_en, "type": kind,
        "codes": codes, "question": question, "section": section, "shown_if": shown_if,
    }  # fmt: skip


def codebook_csv(plan: ExportPlan) -> bytes:
    """The codebook as CSV (UTF-8 with BOM; formula-safe texts, :mod:`survey.csvsafe`)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(CODEBOOK_COLUMNS))
    writer.writeheader()
    writer.writerows(
        {k: spreadsheet_safe(v) for k, v in row.items()} for row in codebook_rows(plan)
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def codebook_pdf(plan: ExportPlan) -> bytes:
    """The codebook as an A4 landscape PDF table (CJK font from :mod:`reports.fonts`)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable
    from reportlab.platypus import Paragraph
    from reportlab.platypus import SimpleDocTemplate
    from reportlab.platypus import TableStyle

    from reports.fonts import register_cjk_font

    font = register_cjk_font()
    small = ParagraphStyle("cb", fontName=font, fontSize=7, leading=9, wordWrap="CJK")
    title = ParagraphStyle("cbt", fontName=font, fontSize=13, leading=17)
    q = plan.questionnaire
    rows = codebook_rows(plan)

    def cell(text: str) -> Paragraph:
        return Paragraph(esc(text), small)

    header = ["变量 variable", "标签 label", "类型 type", "代码 codes", "显示条件 shown if"]
    data: list[list[Any]] = [[cell(h) for h in header]]
    for r in rows:
        label = esc(r["label_zh"]) + (f"<br/>{esc(r['label_en'])}" if r["label_en"] else "")
        data.append([cell(r["variable"]), Paragraph(label, small),
                     cell(r["type"]), cell(r["codes"]), cell(r["shown_if"])])  # fmt: skip
    table = LongTable(data, colWidths=[32 * mm, 90 * mm, 16 * mm, 85 * mm, 50 * mm],
                      repeatRows=1)  # fmt: skip
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=12 * mm, bottomMargin=12 * mm,
        title=f"Codebook {plan.wave.name}", author="kesu",
    )  # fmt: skip
    # every text from the questionnaire is escaped: ReportLab reads <img>, <a href> and
    # <font> markup in a paragraph (an <img src> would embed a file of the server)
    heading = esc(
        f"代码本 Codebook · {plan.wave.name} · {q.title.get('zh-CN')} "
        f"(v{q.version}, {q.short_hash})"
    )
    doc.build([Paragraph(heading, title), table])
    return buffer.getvalue()
