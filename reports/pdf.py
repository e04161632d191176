"""The evaluation report as a PDF: :func:`build_pdf` (pure: ReportData in, bytes out).

Layout (GB/T 9704 where it fits a report): A4 portrait, 25 mm side margins;
a cover; a table of contents; the summary (main findings, verdicts against the
targets, recommendations); numbered chapters 一、二、… each starting on a new
page; the methods appendix; the item-analysis appendix on landscape pages.
Every page but the cover has a running head (the title; "模拟数据" for
simulated data) and the page number "— N —" centred at the foot, with the
data/version fingerprint in small type below it. The fonts are embedded
TrueType (:func:`reports.fonts.register_report_fonts`): a serif face for the
body, a sans face for headings. The PDF's CreationDate is the report date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import time
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate
from reportlab.platypus import Frame
from reportlab.platypus import NextPageTemplate
from reportlab.platypus import PageBreak
from reportlab.platypus import PageTemplate
from reportlab.platypus import Paragraph
from reportlab.platypus import TableStyle
from reportlab.platypus.tableofcontents import TableOfContents

from kesu.i18n import check_language
from kesu.i18n import tr
from reports import appendix
from reports import extra
from reports import front
from reports import sections
from reports import youth_pdf
from reports.fonts import FontSet
from reports.fonts import register_report_fonts
from reports.model import Fingerprint
from reports.model import ReportData
from reports.render import Renderer
from reports.render import keep_headings

logger = logging.getLogger(__name__)

SIDE = 25 * mm
TOP = 25 * mm
BOTTOM = 22 * mm

#: the result chapters in order (numbered 一、二、…)
CHAPTERS = (
    sections.overall,
    sections.groups,
    sections.towns,
    sections.breakdowns,
    appendix.factors,
    appendix.capacity,
)


class _ReportDoc(BaseDocTemplate):  # type: ignore[misc]  # reportlab ships no type information
    """Cover, portrait and landscape templates; h1/h2 headings feed the TOC and outline."""

    def __init__(self, buffer: io.BytesIO, **kw: Any) -> None:
        super().__init__(buffer, pagesize=A4, **kw)
        pw, ph = A4
        lw, lh = landscape(A4)
        portrait = Frame(
            SIDE,
            BOTTOM,
            pw - 2 * SIDE,
            ph - TOP - BOTTOM,
            id="portrait",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        land = Frame(
            15 * mm,
            20 * mm,
            lw - 30 * mm,
            lh - 38 * mm,
            id="landscape",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[portrait], pagesize=A4),
                PageTemplate(id="portrait", frames=[portrait], pagesize=A4),
                PageTemplate(id="landscape", frames=[land], pagesize=landscape(A4)),
            ]
        )

    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 (reportlab hook name)
        if not isinstance(flowable, Paragraph):
            return
        name = flowable.style.name
        if name not in ("h1", "h2"):
            return
        level = 0 if name == "h1" else 1
        text = flowable.getPlainText()
        key = "h-" + hashlib.sha1(f"{self.page}{text}".encode()).hexdigest()[:12]
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, text, self.page, key))


def _timestamp(day: dt.date) -> TimeStamp:
    """A reportlab time stamp for the report date, 00:00 China time (UTC+8)."""
    stamp = TimeStamp(True)
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    stamp.t = moment.timestamp()
    stamp.lt = time.struct_time(
        (day.year, day.month, day.day, 0, 0, 0, day.weekday(), day.timetuple().tm_yday, -1)
    )
    stamp.YMDhms = (day.year, day.month, day.day, 0, 0, 0)
    stamp.dhh, stamp.dmm, stamp.tzname = 8, 0, "CST"
    return stamp


def _canvas_maker(
    fonts: tuple[str, str], lang: str, title: str, mark: str, fingerprint: str, day: dt.date
) -> type[Canvas]:
    body, sans = fonts

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type information
        """Draws the running head and the foot after the last page is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = kwargs.get("initialFontName") or body  # not Helvetica
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _timestamp(day)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._pages:
                self.__dict__.update(state)
                if self._pageNumber > 1:
                    self._furniture()
                super().showPage()
            super().save()

        def _furniture(self) -> None:
            width, height = self._pagesize
            side = 15 * mm if width > A4[0] else SIDE
            self.saveState()
            self.setLineWidth(0.5)
            self.line(side, height - 16 * mm, width - side, height - 16 * mm)
            self.setFont(sans, 9)
            self.drawString(side, height - 14.5 * mm, title)
            if mark:
                self.drawRightString(width - side, height - 14.5 * mm, mark)
            self.setFont(body, 10.5)
            self.drawCentredString(width / 2, 12 * mm, f"— {self._pageNumber} —")
            self.setFont(body, 6)
            self.setFillColor(colors.Color(0.35, 0.35, 0.35))
            self.drawCentredString(width / 2, 7 * mm, fingerprint)
            self.restoreState()

    return NumberedCanvas


def build_pdf(data: ReportData, lang: str = "zh-CN") -> bytes:
    """Render the report to PDF bytes.

    Args:
        data: the figures (:func:`reports.data.build_report_data`).
        lang: ``zh-CN`` (default) or ``en``; questionnaire labels follow the language.

    Returns:
        The PDF. Output is deterministic for the same data and date (reportlab's
        invariant mode; the CreationDate is the report date).

    Example:
        >>> pdf = build_pdf(build_report_data(table, q, spec))  # doctest: +SKIP
        >>> pdf[:5]
        b'%PDF-'
    """
    lang = check_language(lang)
    fonts = register_report_fonts()
    source = (
        tr(lang, "source_survey", year=data.spec.survey_year or "—")
        + (tr(lang, "source_synthetic") if data.spec.synthetic else "")
        + tr(lang, "source_marks")
    )
    r = Renderer.create(
        lang, fonts, data.questionnaire, data.rules, source=source, group_ages=data.group_ages
    )
    story = report_story(data, r)
    title = front.report_title(data, lang)
    issuer = data.spec.issuer.get(lang) if data.spec.issuer else None
    return render_document(story, lang=lang, fonts=fonts, title=title, issuer=issuer,
                           fingerprint=data.fingerprint, synthetic=data.spec.synthetic,
                           day=data.generated)  # fmt: skip


def report_story(data: ReportData, r: Renderer) -> list[Any]:
    """The report's flowables in order, charts and tables drawn (cover, contents, summary,
    the chapters, the job's extra domains and youth chapter when it has them, the
    appendices), before they are laid out on pages."""
    story: list[Any] = [NextPageTemplate("portrait")]
    story += front.cover(data, r)
    story += contents(r)
    story += front.summary(data, r)
    for number, chapter in enumerate(CHAPTERS, start=1):
        story.append(PageBreak())
        story += chapter(data, r, number)
    if data.extra_tables:  # the job's extra domains: one more chapter
        story.append(PageBreak())
        story += extra.extra_domains(data, r, len(CHAPTERS) + 1)
    if data.youth is not None:  # the youth monitoring in schools (the job's youth: file)
        story.append(PageBreak())
        story += youth_pdf.chapter(data.youth, r, len(CHAPTERS) + 1 + bool(data.extra_tables))
    story.append(PageBreak())
    story += appendix.methods(data, r, 1)
    story += [NextPageTemplate("landscape"), PageBreak()]
    story += appendix.items(data, r, 2)
    return story


def contents(r: Renderer) -> list[Any]:
    """The table of contents on a page of its own (chapters and sections, dotted)."""
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [r.styles["toc0"], r.styles["toc1"]]
    toc.tableStyle = TableStyle([*toc.tableStyle.getCommands(),
                                 ("FONTNAME", (0, 0), (-1, -1), r.fonts.body),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])  # fmt: skip
    return [PageBreak(), r.p(tr(r.lang, "toc"), "title"), toc, PageBreak()]


def render_document(
    story: list[Any],
    *,
    lang: str,
    fonts: FontSet,
    title: str,
    issuer: str | None,
    fingerprint: Fingerprint,
    synthetic: bool,
    day: dt.date,
) -> bytes:
    """Lay a report's story out on the report pages (cover, portrait and landscape
    templates; running head, "— N —" and the fingerprint; orphan control) and return the
    PDF, deterministic for the same story and day.

    Example:
        >>> pdf = render_document(story, lang="zh-CN", fonts=fonts, title="标题", issuer=None,
        ...                       fingerprint=fp, synthetic=False, day=dt.date.today())
        ... # doctest: +SKIP
    """
    story = keep_headings(story, A4[0] - 2 * SIDE, A4[1] - TOP - BOTTOM)
    buffer = io.BytesIO()
    doc = _ReportDoc(
        buffer,
        title=title,
        author=issuer or "kesu",
        subject=fingerprint.short(),
        creator=f"kesu {fingerprint.kesu_version}",
        invariant=True,
        leftMargin=SIDE,
        rightMargin=SIDE,
        topMargin=TOP,
        bottomMargin=BOTTOM,
    )
    mark = tr(lang, "synthetic_short") if synthetic else ""
    maker = _canvas_maker(
        (fonts.body, fonts.heading), lang, title, mark, fingerprint.line(lang), day
    )
    doc.multiBuild(story, canvasmaker=maker)
    logger.info("report: %d pages, %d bytes", doc.page, buffer.tell())
    return buffer.getvalue()
