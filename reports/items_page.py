"""A PDF page (reportlab) with the item-analysis table, for the report's appendix.

:func:`item_analysis_flowables` returns platypus flowables the report package can put in
its own document; :func:`build_item_analysis_pdf` makes a stand-alone PDF (bytes). The
CJK font is embedded (:func:`reports.fonts.register_cjk_font`).
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from kesu.i18n import tr
from scoring.items import NO_ANSWER
from scoring.items import ItemAnalysis
from scoring.items import ItemFlag

logger = logging.getLogger(__name__)

_FLAG_KEYS = {
    ItemFlag.TOO_EASY: "item_flag_too_easy",
    ItemFlag.TOO_HARD: "item_flag_too_hard",
    ItemFlag.NOT_DISCRIMINATING: "item_flag_not_discriminating",
}


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def item_analysis_flowables(
    analysis: ItemAnalysis,
    *,
    font_name: str,
    heading_font: str | None = None,
    language: str = "zh-CN",
    dimension_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    paragraph: Callable[[str, str], Any] | None = None,
    latin_font: str | None = None,
    item_texts: Mapping[str, str] | None = None,
) -> list[Any]:
    """Title, summary paragraph and the item table as reportlab platypus flowables.

    The table is a three-line table (rules above and below the head and below the last
    row); the question-text column is shown when ``item_texts`` is given, the
    option-distribution column only when the analysis has option frequencies (it needs
    the answers, not only the item scores). Texts wrap within their columns.

    Args:
        analysis: the item analysis to show.
        font_name: a registered font that covers the text (the body face).
        heading_font: the face of the title and the table head (default ``font_name``).
        language: ``zh-CN`` (default) or ``en`` for the labels (:mod:`kesu.i18n`).
        dimension_labels: dimension id -> label (default: the ids).
        title: heading (default: :func:`item_analysis_title`, weighted or unweighted).
        paragraph: ``(text, style) -> flowable`` of the caller's document (for its
            line-breaking rules and fonts; styles ``caption``, ``note``, ``cell``,
            ``cellh``); default: plain paragraphs.
        latin_font: face of the item ids and numbers (default ``font_name``).
        item_texts: item id -> the question as the questionnaire words it, in
            ``language`` (an item without one gets "—").

    Returns:
        A list of flowables; the table repeats its header row on every page.
    """
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph
    from reportlab.platypus import Spacer
    from reportlab.platypus import Table
    from reportlab.platypus import TableStyle

    def lab(key: str, **values: Any) -> str:
        return tr(language, key, **values)

    head_font = heading_font or font_name
    dims = dimension_labels or {}
    wrap = "CJK" if language == "zh-CN" else None  # Chinese text breaks between characters
    styles = {
        "caption": ParagraphStyle(
            "kesu-h", fontName=head_font, fontSize=10.5, leading=15, alignment=1, wordWrap=wrap
        ),
        "plain": ParagraphStyle(
            "kesu-b", fontName=font_name, fontSize=9, leading=13, wordWrap=wrap
        ),
        "cell": ParagraphStyle("kesu-c", fontName=font_name, fontSize=8, leading=10, wordWrap=wrap),
        "cellh": ParagraphStyle(
            "kesu-ch", fontName=head_font, fontSize=8, leading=10, alignment=1, wordWrap=wrap
        ),
    }

    def para(text: str, style: str) -> Any:
        if paragraph is not None:
            return paragraph(text, {"plain": "note"}.get(style, style))
        return Paragraph(escape(text), styles[style])

    th = analysis.thresholds
    summary = lab(
        "items_summary",
        n=f"{analysis.n:,}",
        weights=lab("items_weight_sum", weight_sum=f"{analysis.weight_sum:,.0f}")
        if analysis.weighted
        else "",
        k=analysis.k,
        mean=f"{analysis.mean_total:.2f}",
        sd=f"{analysis.sd_total:.2f}",
        alpha=_num(analysis.alpha),
        kr20=_num(analysis.kr20),
        sem=_num(analysis.sem, 2),
    )
    rules = lab(
        "items_rules",
        too_easy=f"{th.too_easy:g}",
        too_hard=f"{th.too_hard:g}",
        min_pbis=f"{th.min_pbis:g}",
        share=f"{100 * th.group_share:.0f}",
        of=lab("items_groups_of_weight" if analysis.weighted else "items_groups_of_n"),
    )
    with_options = bool(analysis.options)
    with_texts = item_texts is not None
    columns = [
        "item",
        *(["text"] if with_texts else []),
        "dimension",
        "max_points",
        "difficulty",
        "pbis",
        "discrimination",
        "alpha_if_deleted",
        "flags",
    ] + (["options"] if with_options else [])
    data: list[list[Any]] = [[para(lab(f"items_col_{c}"), "cellh") for c in columns]]
    sep = lab("list_sep")
    for j, row in enumerate(analysis.to_rows()):
        texts = [para((item_texts or {}).get(row["item"]) or "—", "cell")] if with_texts else []
        cells = [
            row["item"],
            *texts,
            para(dims.get(row["dimension"], row["dimension"]), "cell"),
            f"{row['max_points']:g}",
            _num(row["difficulty"]),
            _num(row["pbis"]),
            _num(row["discrimination"]),
            _num(row["alpha_if_deleted"]),
            para(sep.join(lab(_FLAG_KEYS[f]) for f in analysis.flags[j]), "cell"),
        ]
        if with_options:  # the no-answer share named in words, not as its code "(none)"
            cells.append(para(row["options"].replace(NO_ANSWER, lab("items_no_answer")), "cell"))
        data.append(cells)
    # 756 points: the landscape frame of the report (A4 less 2 x 15 mm); cell padding 3
    if with_texts:
        widths = [26, 166, 70, 26, 40, 44, 40, 40, 58] + ([246] if with_options else [])
    else:
        widths = [32, 80, 28, 38, 50, 50, 44, 54] + ([384] if with_options else [])
    first_number = 3 if with_texts else 2
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), latin_font or font_name),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (first_number, 1), (first_number + 4, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for j, flags_j in enumerate(analysis.flags, start=1):
        if flags_j:
            style.append(("BACKGROUND", (0, j), (-1, j), colors.Color(0.92, 0.92, 0.92)))
    table.setStyle(TableStyle(style))
    return [
        para(title or item_analysis_title(analysis, language), "caption"),
        Spacer(1, 4),
        para(summary, "plain"),
        para(rules, "plain"),
        Spacer(1, 6),
        table,
    ]


def item_analysis_title(analysis: ItemAnalysis, language: str = "zh-CN") -> str:
    """The title: weighted by the final weights, or unweighted when none were given.

    Example:
        >>> item_analysis_title(analyze_responses(q, answers))  # doctest: +SKIP
        '题目分析（经典测验理论，未加权）'
    """
    return tr(language, "items_title" if analysis.weighted else "items_title_unweighted")


def build_item_analysis_pdf(
    analysis: ItemAnalysis,
    *,
    language: str = "zh-CN",
    dimension_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    footer: str = "",
    item_texts: Mapping[str, str] | None = None,
) -> bytes:
    """A stand-alone A4 landscape PDF of the item analysis, CJK font embedded.

    Args:
        analysis: the item analysis.
        language: ``zh-CN`` or ``en``.
        dimension_labels: dimension id -> label.
        title: heading of the page.
        footer: text at the foot of every page (for example the questionnaire hash).
        item_texts: item id -> question text (a column of the table when given).

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
        title=title or item_analysis_title(analysis, language),
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
        analysis,
        font_name=font,
        language=language,
        dimension_labels=dimension_labels,
        title=title,
        item_texts=item_texts,
    )
    doc.build(flowables, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
