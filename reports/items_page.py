"""A PDF page (reportlab) with the item-analysis table, for the report's appendix.

:func:`item_analysis_flowables` returns platypus flowables the report package can put in
its own document; :func:`build_item_analysis_pdf` makes a stand-alone PDF (bytes). The
CJK font is embedded (:func:`reports.fonts.register_cjk_font`).
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from scoring.items import ItemAnalysis
from scoring.items import ItemFlag

logger = logging.getLogger(__name__)

_LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "题目分析（经典测验理论）",
        "item": "题目",
        "dimension": "维度",
        "max_points": "满分",
        "difficulty": "难度",
        "pbis": "校正点二列相关",
        "discrimination": "区分度D(27%)",
        "alpha_if_deleted": "删题后α",
        "flags": "标记",
        "options": "选项分布（*为正确答案）",
        "summary": (
            "样本量 {n}（权数合计 {weight_sum}）；题目 {k}；总分均值 {mean:.2f}，标准差 {sd:.2f}；"
            "Cronbach α = {alpha}；KR-20 = {kr20}；测量标准误 SEM = {sem}"
        ),
        "rules": (
            "标记规则：难度 > {too_easy:g} 为过易，< {too_hard:g} 为过难；"
            "校正点二列相关 < {min_pbis:g} 为区分度低；高低分组各占权数的 {share:.0%}。"
        ),
        ItemFlag.TOO_EASY: "过易",
        ItemFlag.TOO_HARD: "过难",
        ItemFlag.NOT_DISCRIMINATING: "区分度低",
    },
    "en": {
        "title": "Item analysis (classical test theory)",
        "item": "Item",
        "dimension": "Dimension",
        "max_points": "Max",
        "difficulty": "Difficulty",
        "pbis": "Corrected pbis",
        "discrimination": "D (27%)",
        "alpha_if_deleted": "Alpha if deleted",
        "flags": "Flags",
        "options": "Options (* = key)",
        "summary": (
            "n = {n} (weights sum to {weight_sum}); {k} items; mean total {mean:.2f}, "
            "SD {sd:.2f}; Cronbach's alpha = {alpha}; KR-20 = {kr20}; SEM = {sem}"
        ),
        "rules": (
            "Flags: difficulty > {too_easy:g} too easy, < {too_hard:g} too hard; corrected "
            "point-biserial < {min_pbis:g} not discriminating; upper and lower groups hold "
            "{share:.0%} of the weight each."
        ),
        ItemFlag.TOO_EASY: "too easy",
        ItemFlag.TOO_HARD: "too hard",
        ItemFlag.NOT_DISCRIMINATING: "not discriminating",
    },
}


def _labels(language: str) -> dict[str, str]:
    return _LABELS.get(language, _LABELS["zh-CN"])


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def item_analysis_flowables(
    analysis: ItemAnalysis,
    *,
    font_name: str,
    language: str = "zh-CN",
    dimension_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> list[Any]:
    """Title, summary paragraph and the item table as reportlab platypus flowables.

    Args:
        analysis: the item analysis to show.
        font_name: a registered font that covers the text (``register_cjk_font()``).
        language: ``zh-CN`` (default) or ``en`` for the labels.
        dimension_labels: dimension id -> label (default: the ids).
        title: heading (default: "题目分析（经典测验理论）").

    Returns:
        A list of flowables; the table repeats its header row on every page.
    """
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph
    from reportlab.platypus import Spacer
    from reportlab.platypus import Table
    from reportlab.platypus import TableStyle

    lab = _labels(language)
    dims = dimension_labels or {}
    heading = ParagraphStyle("kesu-h", fontName=font_name, fontSize=13, leading=17)
    body = ParagraphStyle("kesu-b", fontName=font_name, fontSize=8, leading=11)
    cell = ParagraphStyle("kesu-c", fontName=font_name, fontSize=6.5, leading=8)
    th = analysis.thresholds
    summary = lab["summary"].format(
        n=analysis.n,
        weight_sum=f"{analysis.weight_sum:,.1f}",
        k=analysis.k,
        mean=analysis.mean_total,
        sd=analysis.sd_total,
        alpha=_num(analysis.alpha),
        kr20=_num(analysis.kr20),
        sem=_num(analysis.sem, 2),
    )
    rules = lab["rules"].format(
        too_easy=th.too_easy, too_hard=th.too_hard, min_pbis=th.min_pbis, share=th.group_share
    )
    columns = ("item", "dimension", "max_points", "difficulty", "pbis", "discrimination",
               "alpha_if_deleted", "flags", "options")  # fmt: skip
    data: list[list[Any]] = [[Paragraph(lab[c], cell) for c in columns]]
    for j, row in enumerate(analysis.to_rows()):
        sep = "、" if language == "zh-CN" else ", "
        data.append(
            [
                row["item"],
                Paragraph(escape(dims.get(row["dimension"], row["dimension"])), cell),
                f"{row['max_points']:g}",
                _num(row["difficulty"]),
                _num(row["pbis"]),
                _num(row["discrimination"]),
                _num(row["alpha_if_deleted"]),
                Paragraph(sep.join(lab[f] for f in analysis.flags[j]), cell),
                Paragraph(escape(row["options"]), cell),
            ]
        )
    widths = [38, 62, 30, 44, 52, 52, 48, 70, 380]
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font_name),
        ("FONTSIZE", (0, 0), (-1, -1), 6.5),
        ("LEADING", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 1), (6, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe6ee")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for j, flags_j in enumerate(analysis.flags, start=1):
        if flags_j:
            style.append(("BACKGROUND", (0, j), (-1, j), colors.HexColor("#fff1d6")))
    table.setStyle(TableStyle(style))
    return [
        Paragraph(escape(title or lab["title"]), heading),
        Spacer(1, 4),
        Paragraph(summary, body),
        Paragraph(rules, body),
        Spacer(1, 6),
        table,
    ]


def build_item_analysis_pdf(
    analysis: ItemAnalysis,
    *,
    language: str = "zh-CN",
    dimension_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    footer: str = "",
) -> bytes:
    """A stand-alone A4 landscape PDF of the item analysis, CJK font embedded.

    Args:
        analysis: the item analysis.
        language: ``zh-CN`` or ``en``.
        dimension_labels: dimension id -> label.
        title: heading of the page.
        footer: text at the foot of every page (for example the questionnaire hash).

    Returns:
        The PDF as bytes (deterministic for the same input: reportlab's invariant mode).

    Example:
        >>> pdf = build_item_analysis_pdf(analyze_responses(q, answers))  # doctest: +SKIP
        >>> pdf[:5]                                                        # doctest: +SKIP
        b'%PDF-'
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    from reports.fonts import register_cjk_font

    font = register_cjk_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=title or _labels(language)["title"],
        author="kesu",
        invariant=True,
    )

    def on_page(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        text = f"{footer}    {doc_.page}" if footer else str(doc_.page)
        canvas.drawRightString(doc_.pagesize[0] - 12 * mm, 8 * mm, text)
        canvas.restoreState()

    flowables = item_analysis_flowables(
        analysis, font_name=font, language=language, dimension_labels=dimension_labels,
        title=title,
    )  # fmt: skip
    doc.build(flowables, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
