"""The evaluation report as a PDF: :func:`build_pdf` (pure: ReportData in, bytes out).

A4 portrait (the item-analysis appendix on landscape pages), the CJK TrueType
font embedded (:func:`reports.fonts.register_cjk_font`; reportlab's CID font
``STSong-Light``, not embedded, only when no TrueType font exists, logged),
a table of contents, PDF outline bookmarks, and on every page a footer with
the page number, the generation date and the data/version fingerprint.
"""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate
from reportlab.platypus import Frame
from reportlab.platypus import NextPageTemplate
from reportlab.platypus import PageBreak
from reportlab.platypus import PageTemplate
from reportlab.platypus import Paragraph
from reportlab.platypus.tableofcontents import TableOfContents

from reports import appendix
from reports import sections
from reports.fonts import register_cjk_font
from reports.i18n import check_language
from reports.i18n import tr
from reports.model import ReportData
from reports.render import Renderer

logger = logging.getLogger(__name__)

MARGIN = 18 * mm


class _ReportDoc(BaseDocTemplate):  # type: ignore[misc]  # reportlab ships no type information
    """Portrait and landscape page templates; headings feed the TOC and the outline."""

    def __init__(self, buffer: io.BytesIO, **kw: Any) -> None:
        super().__init__(buffer, pagesize=A4, **kw)
        pw, ph = A4
        lw, lh = landscape(A4)
        portrait = Frame(MARGIN, MARGIN + 4 * mm, pw - 2 * MARGIN, ph - 2 * MARGIN - 4 * mm,
                         id="portrait")  # fmt: skip
        land = Frame(12 * mm, 16 * mm, lw - 24 * mm, lh - 28 * mm, id="landscape")
        self.addPageTemplates(
            [
                PageTemplate(id="portrait", frames=[portrait], pagesize=A4),
                PageTemplate(id="landscape", frames=[land], pagesize=landscape(A4)),
            ]
        )

    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 (reportlab hook name)
        if not isinstance(flowable, Paragraph):
            return
        name = flowable.style.name
        if name not in ("h1",):
            return
        text = flowable.getPlainText()
        key = "h-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=0, closed=False)
        self.notify("TOCEntry", (0, text, self.page, key))


def _canvas_maker(font: str, lang: str, left: str, right_extra: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type information
        """Draws the footer after the last page is known ("page x of y")."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width = self._pagesize[0]
            margin = 12 * mm if width > A4[0] else MARGIN
            self.saveState()
            self.setFont(font, 6.5)
            self.setLineWidth(0.4)
            self.line(margin, 13 * mm, width - margin, 13 * mm)
            self.drawString(margin, 9.5 * mm, left)
            page = tr(lang, "footer", page=self._pageNumber, pages=total)
            self.drawRightString(width - margin, 9.5 * mm, f"{right_extra}   {page}")
            self.restoreState()

    return NumberedCanvas


def build_pdf(data: ReportData, lang: str = "zh-CN") -> bytes:
    """Render the report to PDF bytes.

    Args:
        data: the figures (:func:`reports.data.build_report_data`).
        lang: ``zh-CN`` (default) or ``en``; questionnaire labels follow the language.

    Returns:
        The PDF. Output is deterministic for the same data and date (reportlab's
        invariant mode).

    Example:
        >>> pdf = build_pdf(build_report_data(table, q, spec))  # doctest: +SKIP
        >>> pdf[:5]
        b'%PDF-'
    """
    lang = check_language(lang)
    font = register_cjk_font()
    r = Renderer.create(lang, font, data.questionnaire, data.rules)
    story: list[Any] = []
    story += sections.summary(data, r)
    story.append(PageBreak())
    toc = TableOfContents()
    toc.levelStyles = [r.styles["toc0"], r.styles["toc1"]]
    story += [r.p(tr(lang, "toc"), "title"), toc, PageBreak()]
    for part in (sections.groups, sections.towns, sections.levels, sections.dimensions,
                 sections.breakdowns, sections.trend, appendix.factors, appendix.capacity,
                 appendix.methods):  # fmt: skip
        story += part(data, r)
        story.append(PageBreak())
    story[-1:] = [NextPageTemplate("landscape"), PageBreak()]
    story += appendix.items(data, r)
    buffer = io.BytesIO()
    survey = data.questionnaire.title.get(lang)
    title = data.spec.title.get(lang) if data.spec.title else tr(lang, "title", survey=survey)
    doc = _ReportDoc(
        buffer,
        title=title,
        author="kesu",
        subject=data.fingerprint.short(),
        invariant=True,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
    )
    left = data.fingerprint.short()
    if data.spec.synthetic:
        left = f"[{tr(lang, 'synthetic_short')}] " + left
    maker = _canvas_maker(font, lang, left, data.generated.isoformat())
    doc.multiBuild(story, canvasmaker=maker)
    logger.info("report: %d pages, %d bytes", doc.page, buffer.tell())
    return buffer.getvalue()
