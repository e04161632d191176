"""Shared pieces of the PDF: styles, numbered headings, three-line tables, figures.

The layout follows GB/T 9704 where it fits a report (domain notes in
``shared/domain.md``): body text 10.5 pt (五号) in a serif (宋体-like) face,
headings in a sans (黑体-like) face numbered 一、 （一） 1., tables with a
numbered title above and the source below (三线表: rules above and below the
head and below the last row, no vertical rules), figures with a numbered title
below. Number formats and labels live in :mod:`reports.labels` (no reportlab)
so the PDF, the web dashboard and the tests agree; they are re-exported here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable
from reportlab.platypus import KeepTogether
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from questionnaires.model import Questionnaire
from reports.charts import Bar
from reports.fonts import FontSet
from reports.labels import DASH
from reports.labels import Labels
from reports.labels import ci_text
from reports.labels import num
from reports.labels import pct
from reports.labels import pp
from reports.model import DomainRow
from reports.model import Rules
from reports.typeset import CJKParagraph
from reports.typeset import font_markup

logger = logging.getLogger(__name__)

__all__ = ["DASH", "Labels", "Renderer", "ci_text", "num", "pct", "pp", "chinese_number"]

#: usable width of a portrait A4 page with 25 mm side margins, in points
PORTRAIT_WIDTH = 595.2756 - 2 * 70.866
#: body text size (五号) and its leading
BODY_SIZE = 10.5
#: table text size (小五)
CELL_SIZE = 9.0
#: tables with at most this many rows are never split over two pages
KEEP_ROWS = 14


class ContinuedTable(Table):  # type: ignore[misc]  # reportlab ships no type information
    """A table whose caption row reads ``续表N`` on every page after the first.

    GB/T 7713.1 and the GB/T 9704 form head the continuation of a table split across
    pages with ``续表N`` (English ``Table N (continued)``). The caption is row 0 and one of
    the repeated rows, so reportlab repeats it verbatim; this subclass swaps row 0 of
    every later part for ``continued``. reportlab fixes the row heights of the parts when
    it splits, so the continued caption is used only when it fits the height of the
    original one; otherwise the shorter ``short`` (the label alone) is used.
    """

    continued: Flowable | None = None
    short: Flowable | None = None
    #: the last row is the source and notes (one cell spanning the table)
    has_note: bool = False
    #: how many of the rules in :data:`LOOSER` the table's keep-together rules have
    #: reached: 0 keeps all its rows together, 1 its head and tail, 2 none
    loosened: int = 0

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self._calc(availWidth, availHeight)
        page = float(self._getPossibleHeight(availHeight))
        self._loosen(page)
        parts: list[Flowable] = super().split(availWidth, availHeight)
        if not parts and self.has_note and self._kept_height() > page:
            parts = self._detach_note(availWidth, availHeight)
        for part in parts:
            if isinstance(part, ContinuedTable) and part is not self:
                part.has_note = self.has_note and part is parts[-1]
                part.loosened = self.loosened
        for part in parts[1:]:
            if isinstance(part, ContinuedTable) and self.continued is not None:
                part.continued, part.short = self.continued, self.short
                width = sum(part._colWidths)
                room = part._rowHeights[0] if part._rowHeights else 0
                caption = self.continued
                _, height = caption.wrap(width, availHeight)
                if height > room and self.short is not None:
                    caption = self.short
                # the repeated rows are the same list objects as the first part's rows
                part._cellvalues[0] = [caption, *part._cellvalues[0][1:]]
        return parts

    def _loosen(self, page: float) -> None:
        """Loosen the rules of a table whose kept-together rows need more than a page.

        A short table is kept on one page and a long one keeps its head and its tail
        together (:meth:`Renderer.table`); when the rows so kept are taller than the page
        frame (a long note under a short table), the rules are loosened as far as needed:
        head and tail only, then none (:data:`LOOSER`), before the table is split, so that
        no part splits again on the page it starts on. The parts keep the loosened rules.
        A note still taller than a page leaves the table (:meth:`_detach_note`).
        """
        while self.loosened < len(LOOSER) and self._kept_height() > page:
            self._nosplitCmds = list(LOOSER[self.loosened])
            self.loosened += 1

    def _repeat_height(self) -> float:
        return float(sum(self._rowHeights[: self.repeatRows]))

    def _kept_height(self) -> float:
        """The height of the tallest run of rows the table keeps together on a page (a
        single row at least), with the repeated title and head above a run that starts
        further down."""
        rows = len(self._rowHeights)
        tallest = float(max(self._rowHeights, default=0.0)) + self._repeat_height()
        for _, (_, y0), (_, y1) in self._nosplitCmds:
            lo, hi = sorted((y0 % rows, y1 % rows))
            run = float(sum(self._rowHeights[lo : hi + 1]))
            tallest = max(tallest, run if lo == 0 else run + self._repeat_height())
        return tallest

    def _detach_note(self, width: float, height: float) -> list[Flowable]:
        """The table without its note row (split to fit here), then the note as a
        paragraph under it, indented to the table's width."""
        note = self._cellvalues[-1][0]
        if isinstance(note, list | tuple):  # reportlab keeps a cell's flowables in a tuple
            note = note[0]
        margin = max(0.0, (width - sum(self._colWidths)) / 2) + 3
        style = ParagraphStyle("note_detached", note.style, leftIndent=margin, rightIndent=margin)
        after: list[Flowable] = [Spacer(1, 3), type(note)(note.text, style)]
        if len(self._rowHeights) <= self.repeatRows + 1:  # only the title and head above it
            return after
        self._nosplitCmds = []
        # reportlab's own split at the row above the note keeps every rule and style
        body, _ = self._splitRows(sum(self._rowHeights[:-1]) + 0.01)
        body.has_note, body.loosened = False, self.loosened
        body.continued, body.short = self.continued, self.short
        if body.wrap(width, height)[1] <= height:
            return [body, *after]
        first: list[Flowable] = body.split(width, height)
        return [*first, *after] if first else []


#: the rows a long table keeps together: title, head and first three rows; the last three
#: rows and the note
HEAD_TAIL: list[tuple[Any, ...]] = [("NOSPLIT", (0, 0), (-1, 4)), ("NOSPLIT", (0, -4), (-1, -1))]
#: the keep-together rules of a table, each looser than the one before: all rows (a short
#: table), head and tail (a long one), none
LOOSER: tuple[list[tuple[Any, ...]], ...] = (HEAD_TAIL, [])


_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """``1 -> 一``, ``10 -> 十``, ``14 -> 十四``, ``21 -> 二十一`` (1 to 99).

    Example:
        >>> chinese_number(14), chinese_number(20)
        ('十四', '二十')
    """
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")


@dataclass
class _Counters:
    """Running numbers of tables and figures in one document."""

    tables: int = 0
    figures: int = 0


@dataclass(frozen=True)
class Renderer(Labels):
    """Language, labels (:class:`reports.labels.Labels`), fonts, styles and numbering."""

    fonts: FontSet = FontSet("Helvetica", "Helvetica", False, False)
    styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    counters: _Counters = field(default_factory=_Counters)
    #: the source line under every table of survey estimates
    source: str = ""

    @property
    def font(self) -> str:
        """The sans (heading) face: charts and table heads."""
        return self.fonts.heading

    @classmethod
    def create(
        cls,
        lang: str,
        fonts: FontSet,
        questionnaire: Questionnaire,
        rules: Rules,
        source: str = "",
        group_ages: Mapping[str, tuple[int, int]] | None = None,
    ) -> Renderer:
        """Build the paragraph styles (Chinese line-breaking rules for zh-CN)."""
        wrap = "CJK" if lang == "zh-CN" else None
        body, sans = fonts.body, fonts.heading
        indent = 2 * BODY_SIZE if lang == "zh-CN" else 0

        def style(name: str, font: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font, fontSize=size, leading=leading, wordWrap=wrap, **kw
            )

        styles = {
            "cover_title": style("cover_title", sans, 21, 32, alignment=1, spaceAfter=10),
            "cover_sub": style("cover_sub", sans, 15, 24, alignment=1, spaceAfter=6),
            "cover_info": style("cover_info", body, 12, 22),
            "cover_issuer": style("cover_issuer", sans, 14, 22, alignment=1),
            "title": style("title", sans, 16, 24, alignment=1, spaceAfter=10),
            "h1": style("h1", sans, 15, 22, spaceBefore=4, spaceAfter=10),
            "h2": style("h2", sans, 12.5, 19, spaceBefore=8, spaceAfter=5),
            "h3": style("h3", sans, BODY_SIZE, 18, spaceBefore=4, spaceAfter=2),
            "body": style(
                "body", body, BODY_SIZE, 18, firstLineIndent=indent, alignment=4, spaceAfter=3
            ),
            "plain": style("plain", body, BODY_SIZE, 18, spaceAfter=3),
            "big": style("big", sans, 30, 38, alignment=1, spaceBefore=4, spaceAfter=4),
            "center": style("center", body, BODY_SIZE, 18, alignment=1),
            "caption": style("caption", sans, BODY_SIZE, 16, alignment=1),
            "figcaption": style(
                "figcaption", sans, BODY_SIZE, 16, alignment=1, spaceBefore=2, spaceAfter=10
            ),
            "note": style("note", body, 9, 13),
            "cell": style("cell", body, CELL_SIZE, 11.5),
            "cellr": style("cellr", body, CELL_SIZE, 11.5, alignment=2),
            "cellh": style("cellh", sans, CELL_SIZE, 11.5, alignment=1),
            "small": style("small", body, 8.5, 12),
            "banner": style(
                "banner",
                sans,
                11,
                16,
                alignment=1,
                borderColor=colors.black,
                borderWidth=0.8,
                borderPadding=6,
                backColor=colors.Color(0.93, 0.93, 0.93),
            ),
            "toc0": style("toc0", sans, 11.5, 17, leftIndent=0),
            "toc1": style("toc1", body, 10, 13, leftIndent=2 * BODY_SIZE),
        }
        return cls(
            lang=lang,
            questionnaire=questionnaire,
            rules=rules,
            group_ages=dict(group_ages or {}),
            fonts=fonts,
            styles=styles,
            counters=_Counters(),
            source=source,
        )

    # -- text ------------------------------------------------------------------------------
    def p(self, text: str, style: str = "body") -> CJKParagraph:
        """A paragraph of plain text (escaped; digits and Latin in the Latin face)."""
        st = self.styles[style]
        latin = self.fonts.latin if st.fontName == self.fonts.body else None
        return CJKParagraph(font_markup(text, st.fontName, latin, self.fonts.heading), st)

    def h1(self, number: int, text: str) -> CJKParagraph:
        """A chapter heading: ``一、text`` (``1. text`` in English); 0 = unnumbered."""
        if number == 0:
            return self.p(text, "h1")
        head = f"{chinese_number(number)}、" if self.lang == "zh-CN" else f"{number}. "
        return self.p(head + text, "h1")

    def h2(self, number: int, text: str) -> CJKParagraph:
        """A section heading: ``（一）text`` (``(1) text`` in English)."""
        head = f"（{chinese_number(number)}）" if self.lang == "zh-CN" else f"({number}) "
        return self.p(head + text, "h2")

    def h3(self, number: int, text: str) -> CJKParagraph:
        """A sub-section heading: ``1．text``."""
        return self.p(f"{number}．{text}" if self.lang == "zh-CN" else f"{number}. {text}", "h3")

    def numbered(self, items: Sequence[str]) -> list[CJKParagraph]:
        """Numbered paragraphs ``1．…`` (findings, recommendations)."""
        sep = "．" if self.lang == "zh-CN" else ". "
        return [self.p(f"{i}{sep}{text}") for i, text in enumerate(items, start=1)]

    # -- figures and tables ------------------------------------------------------------------
    def figure(self, drawing: Flowable, title: str) -> KeepTogether:
        """A drawing with its numbered title below (图N), kept on one page."""
        self.counters.figures += 1
        label = self.t("figure_label", n=self.counters.figures)
        return KeepTogether([Spacer(1, 4), drawing, self.p(f"{label}{title}", "figcaption")])

    def table(
        self,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        *,
        source: str | None = None,
        numeric_from: int = 1,
        numeric_to: int = -1,
    ) -> list[Flowable]:
        """A numbered three-line table: title above (表N), source and notes below.

        The title and the source are rows of the table itself (spanning every column,
        without rules), so the title always stays with the head and the first rows, and
        the source with the last rows; a long table splits between pages with its title
        and head repeated and never leaves fewer than three rows on a page. Cells may be
        strings (wrapped paragraphs) or flowables. ``source`` defaults to the renderer's
        source line (the survey).
        """
        self.counters.tables += 1
        label = self.t("table_label", n=self.counters.tables)
        last = len(header) - 1
        hi = numeric_to if numeric_to >= 0 else last
        blank = [""] * last
        data: list[list[Any]] = [[self.p(f"{label}{title}", "caption"), *blank]]
        data.append([self.p(h, "cellh") for h in header])
        for row in rows:
            cells: list[Any] = []
            for j, cell in enumerate(row):
                if isinstance(cell, str):
                    right = numeric_from <= j <= hi and j > 0
                    cells.append(self.p(cell, "cellr" if right else "cell"))
                else:
                    cells.append(cell)
            data.append(cells)
        note = self.source if source is None else source
        if note:
            data.append([self.p(note, "note"), *blank])
        table = ContinuedTable(data, colWidths=list(widths), repeatRows=2, hAlign="CENTER")
        continued = self.t("table_continued", n=self.counters.tables)
        table.continued = self.p(f"{continued}{title}", "caption")
        table.short = self.p(continued, "caption")
        n = len(rows) + 1  # index of the last body row
        commands: list[tuple[Any, ...]] = [
            ("FONTNAME", (0, 0), (-1, -1), self.fonts.body),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("SPAN", (0, 0), (-1, 0)),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 5),
            ("LINEABOVE", (0, 1), (-1, 1), 1.0, colors.black),
            ("LINEBELOW", (0, 1), (-1, 1), 0.5, colors.black),
            ("LINEBELOW", (0, n), (-1, n), 1.0, colors.black),
        ]
        if note:
            commands += [
                ("SPAN", (0, n + 1), (-1, n + 1)),
                ("TOPPADDING", (0, n + 1), (-1, n + 1), 3),
            ]
        table.has_note = bool(note)
        if len(data) <= KEEP_ROWS:
            commands.append(("NOSPLIT", (0, 0), (-1, -1)))
        else:
            commands += HEAD_TAIL
            table.loosened = 1
        table.setStyle(TableStyle(commands))
        return [Spacer(1, 6), table, Spacer(1, 4)]

    # -- estimates -----------------------------------------------------------------------------
    def bar(self, label: str, row: DomainRow, scale: float = 100.0) -> Bar:
        """A chart bar for a row (values in percent); † on unreliable estimates."""
        if row.suppressed or not math.isfinite(row.estimate):
            return Bar(
                label,
                math.nan,
                state="suppressed",
                note=self.t("suppressed", m=self.rules.suppress_below),
            )
        state = "unreliable" if row.unreliable else "ok"
        text = f"{scale * row.estimate:.1f}" + (self.t("unreliable_mark") if row.unreliable else "")
        return Bar(
            label, scale * row.estimate, scale * row.ci_low, scale * row.ci_high, state, text=text
        )

    def domain_table(
        self,
        title: str,
        rows: Sequence[tuple[str, DomainRow]],
        *,
        first: str,
        rate: str = "col_rate",
        scale_pct: bool = True,
        source: str | None = None,
        notes: Sequence[str] = (),
    ) -> list[Flowable]:
        """n, estimate, CI, CV, deff and notes for labelled rows, as a numbered table;
        ``notes``: a text per row put first in its notes cell (e.g. a level's scores)."""
        head = [first] + [
            self.t(h, level=self.level_pct)
            for h in ("col_n", rate, "col_ci", "col_cv", "col_deff", "col_flags")
        ]
        body = []
        for k, (label, row) in enumerate(rows):
            if scale_pct:
                est, ci = self.rate_text(row), ci_text(row.ci_low, row.ci_high)
            else:
                mark = self.t("unreliable_mark") if row.unreliable else ""
                est = DASH if row.suppressed else num(row.estimate, 1) + mark
                ci = f"{num(row.ci_low, 1)}–{num(row.ci_high, 1)}"
            hidden = row.suppressed
            body.append(
                [
                    label,
                    f"{row.n:,}",
                    est,
                    DASH if hidden else ci,
                    DASH if hidden else pct(row.cv),
                    DASH if hidden else num(row.deff),
                    self.t("list_sep").join(
                        t for t in (notes[k] if k < len(notes) else "", self.flag_text(row)) if t
                    ),
                ]
            )
        widths = [104, 44, 48, 68, 50, 46, 93]
        return self.table(title, head, body, widths, numeric_from=1, numeric_to=5, source=source)


#: paragraph styles that start a section (kept with what follows)
HEADING_STYLES = frozenset({"h1", "h2", "h3"})
#: a heading needs this much room below it for the first lines of what follows (points)
_FOLLOW = 110.0


def _min_height(flowable: Any, width: float, height: float) -> float:
    """The least room a flowable needs on the page it starts on."""
    if isinstance(flowable, Table):
        flowable.wrap(width, height)
        return float(sum(flowable._rowHeights[:5]))
    if isinstance(flowable, KeepTogether):
        return float(sum(f.wrap(width, height)[1] for f in flowable._content))
    if isinstance(flowable, Spacer) or not hasattr(flowable, "split"):
        _, h = flowable.wrap(width, height)
        return float(h)
    _, h = flowable.wrap(width, height)
    return float(min(h, _FOLLOW))


def keep_headings(story: list[Any], width: float, height: float) -> list[Any]:
    """Orphan control: before each heading a conditional page break asking for the room of
    the heading (and headings right after it) plus the start of what follows: a whole
    figure, the title, head and first rows of a table, or a few lines of text. Unlike
    ``keepWithNext`` this never moves a whole long table to the next page.

    Example:
        >>> story = keep_headings(story, PORTRAIT_WIDTH, 700)  # doctest: +SKIP
    """
    from reportlab.platypus import CondPageBreak

    out: list[Any] = []
    i = 0
    while i < len(story):
        f = story[i]
        style = getattr(getattr(f, "style", None), "name", "")
        if style not in HEADING_STYLES:
            out.append(f)
            i += 1
            continue
        group = [f]
        j = i + 1
        while j < len(story) and getattr(getattr(story[j], "style", None), "name", "") in (
            HEADING_STYLES
        ):
            group.append(story[j])
            j += 1
        need = sum(float(g.wrap(width, height)[1]) + 14 for g in group)
        k = j
        while k < len(story) and isinstance(story[k], Spacer):
            need += float(story[k].wrap(width, height)[1])  # the space before a table counts
            k += 1
        if k < len(story):
            need += _min_height(story[k], width, height)
        out.append(CondPageBreak(need))
        out += group
        i = j
    return out
