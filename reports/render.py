"""Shared pieces of the PDF: styles, number formats, labels and the domain table.

Number formats and labels live in :mod:`reports.labels` (no reportlab) so the PDF,
the web dashboard and the tests agree; they are re-exported here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from questionnaires.model import Questionnaire
from reports.charts import Bar
from reports.labels import DASH
from reports.labels import Labels
from reports.labels import ci_text
from reports.labels import num
from reports.labels import pct
from reports.labels import pp
from reports.model import DomainRow
from reports.model import Rules

logger = logging.getLogger(__name__)

__all__ = ["DASH", "Labels", "Renderer", "ci_text", "num", "pct", "pp"]

#: usable width of a portrait A4 page with 18 mm margins, in points
PORTRAIT_WIDTH = 595.2756 - 2 * 51.0236
HEADER_BG = colors.Color(0.88, 0.88, 0.88)


@dataclass(frozen=True)
class Renderer(Labels):
    """Language, label lookups (:class:`reports.labels.Labels`), font and styles of one PDF."""

    font: str = ""
    styles: dict[str, ParagraphStyle] = field(default_factory=dict)

    @classmethod
    def create(cls, lang: str, font: str, questionnaire: Questionnaire, rules: Rules) -> Renderer:
        """Build the paragraph styles (CJK line breaking for Chinese)."""
        wrap = "CJK" if lang == "zh-CN" else None

        def style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font, fontSize=size, leading=leading, wordWrap=wrap, **kw
            )

        styles = {
            "title": style("title", 20, 28, alignment=1, spaceAfter=6),
            "subtitle": style("subtitle", 12, 17, alignment=1, spaceAfter=4),
            "h1": style("h1", 14, 20, spaceBefore=8, spaceAfter=6),
            "h2": style("h2", 11, 16, spaceBefore=6, spaceAfter=4),
            "body": style("body", 9, 14, spaceAfter=4),
            "small": style("small", 7.5, 10),
            "cell": style("cell", 7.5, 9.5),
            "cellr": style("cellr", 7.5, 9.5, alignment=2),
            "big": style("big", 30, 36, alignment=1),
            "banner": style(
                "banner",
                9,
                13,
                alignment=1,
                textColor=colors.black,
                borderColor=colors.black,
                borderWidth=0.8,
                borderPadding=5,
                backColor=colors.Color(0.93, 0.93, 0.93),
            ),  # fmt: skip
            "toc0": style("toc0", 10, 15, leftIndent=0),
            "toc1": style("toc1", 8.5, 12, leftIndent=14),
        }
        return cls(lang, questionnaire, rules, font, styles)

    def p(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain text (escaped)."""
        return Paragraph(escape(text), self.styles[style])

    def bar(self, label: str, row: DomainRow, scale: float = 100.0) -> Bar:
        """A chart bar for a row (values in percent)."""
        if row.suppressed or not math.isfinite(row.estimate):
            return Bar(
                label, math.nan, state="suppressed",
                note=self.t("suppressed", m=self.rules.suppress_below),
            )  # fmt: skip
        state = "unreliable" if row.unreliable else "ok"
        text = f"{scale * row.estimate:.1f}" + (self.t("unreliable_mark") if row.unreliable else "")
        return Bar(
            label, scale * row.estimate, scale * row.ci_low, scale * row.ci_high, state, text=text
        )

    def domain_table(
        self,
        rows: Sequence[tuple[str, DomainRow]],
        *,
        first: str,
        rate: str = "col_rate",
        scale_pct: bool = True,
    ) -> Table:
        """n, estimate, CI, CV, deff and notes for labelled rows (wrapping cells, header repeats).

        ``scale_pct=False`` shows means that are already percentages (dimension scores).
        """
        s = self.styles
        head = [first, "col_n", rate, "col_ci", "col_cv", "col_deff", "col_flags"]
        header = [
            Paragraph(escape(self.t(h, level=self.level_pct) if h.startswith("col_") else h),
                      s["cell"])
            for h in head
        ]  # fmt: skip
        data: list[list[Any]] = [header]
        for label, row in rows:
            if scale_pct:
                est, ci = self.rate_text(row), ci_text(row.ci_low, row.ci_high)
            else:
                mark = self.t("unreliable_mark") if row.unreliable else ""
                est = DASH if row.suppressed else num(row.estimate, 1) + mark
                ci = f"{num(row.ci_low, 1)}–{num(row.ci_high, 1)}"
            hidden = row.suppressed
            data.append(
                [
                    Paragraph(escape(label), s["cell"]),
                    str(row.n),
                    est,
                    DASH if hidden else ci,
                    DASH if hidden else pct(row.cv),
                    DASH if hidden else num(row.deff),
                    Paragraph(escape(self.flag_text(row)), s["cell"]),
                ]
            )
        widths = [118, 40, 50, 78, 52, 42, 113]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(table_style(self.font))
        return table


def table_style(font: str, numeric_from: int = 1, numeric_to: int = 5) -> TableStyle:
    """Grid, grey header, small font; numeric columns right-aligned.

    Example:
        >>> len(table_style("Helvetica").getCommands())
        9
    """
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("LEADING", (0, 0), (-1, -1), 9.5),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (numeric_from, 1), (numeric_to, -1), "RIGHT"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )


def simple_table(
    renderer: Renderer,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    numeric_from: int = 1,
    numeric_to: int = -1,
) -> Table:
    """A table of texts; every cell a wrapping paragraph, header repeated on new pages.

    Example:
        >>> simple_table(renderer, ["a", "b"], [["x", "1"]], [100, 50])  # doctest: +SKIP
    """
    s = renderer.styles
    data: list[list[Any]] = [[Paragraph(escape(h), s["cell"]) for h in header]]
    for row in rows:
        cells: list[Any] = []
        for j, text in enumerate(row):
            right = numeric_from <= j <= (numeric_to if numeric_to >= 0 else len(row) - 1)
            cells.append(Paragraph(escape(text), s["cellr" if right else "cell"]))
        data.append(cells)
    table = Table(data, colWidths=list(widths), repeatRows=1)
    table.setStyle(table_style(renderer.font, numeric_from, numeric_to))
    return table
