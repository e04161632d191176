"""Shared pieces of the PDF: styles, number formats, labels and the domain table.

Number formats are fixed here so the PDF, the dashboard and the tests agree:
percentages with one decimal (``17.3``), intervals ``15.2–19.6``, CV in
percent with one decimal, design effects with two decimals.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from questionnaires.model import Questionnaire
from reports.charts import Bar
from reports.i18n import tr
from reports.model import DomainRow
from reports.model import Rules

logger = logging.getLogger(__name__)

#: usable width of a portrait A4 page with 18 mm margins, in points
PORTRAIT_WIDTH = 595.2756 - 2 * 51.0236
HEADER_BG = colors.Color(0.88, 0.88, 0.88)
DASH = "—"


def pct(x: float, digits: int = 1) -> str:
    """A share as a percentage: ``pct(0.1734) == '17.3'`` ("—" if not finite).

    Example:
        >>> pct(0.1734)
        '17.3'
    """
    return f"{100 * x:.{digits}f}" if math.isfinite(x) else DASH


def ci_text(low: float, high: float, digits: int = 1) -> str:
    """An interval of shares in percent: ``'15.2–19.6'``.

    Example:
        >>> ci_text(0.152, 0.196)
        '15.2–19.6'
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return DASH
    return f"{pct(low, digits)}–{pct(high, digits)}"


def num(x: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals ("—" if not finite).

    Example:
        >>> num(1.2345)
        '1.23'
    """
    return f"{x:.{digits}f}" if x is not None and math.isfinite(x) else DASH


def pp(x: float) -> str:
    """A difference of shares in percentage points with a sign: ``'+1.2'``.

    Example:
        >>> pp(0.012)
        '+1.2'
    """
    return f"{100 * x:+.1f}" if math.isfinite(x) else DASH


@dataclass(frozen=True)
class Renderer:
    """Language, font, styles and label lookups for one report."""

    lang: str
    font: str
    questionnaire: Questionnaire
    rules: Rules
    styles: dict[str, ParagraphStyle]

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
        return cls(lang, font, questionnaire, rules, styles)

    # -- text ------------------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """Catalogue string (see :mod:`reports.i18n`)."""
        return tr(self.lang, key, **values)

    def p(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain text (escaped)."""
        return Paragraph(escape(text), self.styles[style])

    @property
    def level_pct(self) -> str:
        return f"{100 * self.rules.level:g}"

    # -- labels from the questionnaire ------------------------------------------------------
    def option_label(self, concept_or_item: str, code: str) -> str:
        """Label of an option of a demographic concept (``town``) or an item id."""
        q = self.questionnaire
        item = q.items_by_concept().get(concept_or_item)
        if item is None and q.has_variable(concept_or_item):
            item = q.item(concept_or_item)
        if item is not None:
            opt = item.option(code)
            if opt is not None:
                return opt.label.get(self.lang)
        return code

    def group_label(self, group_id: str) -> str:
        """Label of a key group ("" is everybody)."""
        if group_id == "":
            return self.t("overall")
        for g in self.questionnaire.groups:
            if g.id == group_id:
                return g.label.get(self.lang)
        return group_id

    def level_label(self, code: str) -> str:
        for lv in self.questionnaire.scoring.levels:
            if lv.code == code:
                return lv.label.get(self.lang)
        return code

    def dimension_label(self, dim_id: str) -> str:
        dim = self.questionnaire.scoring.dimension(dim_id)
        return dim.label.get(self.lang) if dim is not None else dim_id

    def item_label(self, item_id: str) -> str:
        if self.questionnaire.has_variable(item_id):
            text = self.questionnaire.item(item_id).text.get(self.lang)
            return text.split("？")[0].split("?")[0] if text else item_id
        return item_id

    # -- rows ----------------------------------------------------------------------------------
    def flag_text(self, row: DomainRow) -> str:
        """The notes cell: suppression, or the reliability flags."""
        if row.suppressed:
            return self.t("suppressed", m=self.rules.suppress_below)
        names = []
        rel = self.rules.reliability
        for f in row.flags:
            if f == "small_n":
                names.append(self.t("flag_small_n", min_n=rel.min_n))
            elif f == "high_cv":
                names.append(self.t("flag_high_cv", cv=f"{100 * rel.max_cv:g}"))
            elif f in ("no_df", "empty", "boundary"):
                names.append(self.t(f"flag_{f}"))
        sep = "；" if self.lang == "zh-CN" else "; "
        return sep.join(names)

    def rate_text(self, row: DomainRow) -> str:
        """Estimate in percent, marked † when unreliable, "—" when suppressed."""
        if row.suppressed:
            return DASH
        mark = self.t("unreliable_mark") if row.unreliable else ""
        return pct(row.estimate) + mark

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
