"""Chinese line breaking (禁则) for the report's paragraphs and chart labels.

GB/T 15834 (punctuation) and the usual Chinese typesetting rules (W3C
*Requirements for Chinese Text Layout*, §3.1.7): a line must not start with a
closing or pausing mark (，。、；：？！）》」』】… %) and must not end with an
opening mark (（《「『【“). Runs of Latin letters and digits (``1,382,000``,
``RR1``, ``95%``) are not split. :func:`line_ends` implements the rules on a
sequence of glyph widths, so the same rules serve platypus paragraphs
(:class:`CJKParagraph`) and the labels of charts (:func:`reports.charts.wrap_text`).

ReportLab's own CJK wrapping knows only some of these marks (not ，；：！？》)
and nothing of the line-end rule, which is why the report uses its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import ParaLines
from reportlab.platypus.paragraph import cjkU
from reportlab.platypus.paragraph import makeCJKParaLine

logger = logging.getLogger(__name__)

#: marks that must not start a line (full-width and ASCII closing/pausing punctuation)
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…%‰℃,.;:?!)]}·～")
#: marks that must not end a line (opening brackets and quotes)
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
#: characters of an unbreakable Latin run (words, numbers with separators, percentages)
_RUN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,%+-−–_/'")
#: punctuation may hang into the right margin (at most this many marks)
_MAX_HANG = 2


def _in_run(a: str, b: str) -> bool:
    """No break between ``a`` and ``b`` (both part of one Latin word or number)."""
    return a in _RUN and b in _RUN and not (a in ",." and b == " ")


def line_ends(chars: Sequence[str], widths: Sequence[float], max_width: float) -> list[int]:
    """Where each line ends (exclusive indexes into ``chars``), greedy with the rules above.

    A line is filled while the glyphs fit; at an overflow the break moves so that the
    next line does not start with a :data:`NO_LINE_START` mark (the mark hangs into
    the margin, up to two marks, or the previous character moves down with it), the
    line does not end with a :data:`NO_LINE_END` mark, and Latin runs stay whole
    (unless a run is longer than a line). ``"\\n"`` forces a break.

    Example:
        >>> text = "甲乙丙，丁戊"
        >>> line_ends(text, [10.0] * len(text), 30.0)   # "，" hangs on the first line
        [4, 6]
    """
    n = len(chars)
    ends: list[int] = []
    start = 0
    while start < n:
        used = 0.0
        i = start
        while i < n and chars[i] != "\n" and (used + widths[i] <= max_width + 1e-6 or i == start):
            used += widths[i]
            i += 1
        if i >= n or chars[i] == "\n":
            ends.append(i)
            start = i + 1 if i < n else n
            continue
        b = i  # the first glyph that does not fit
        # Latin runs stay whole: move the break to the start of the run
        k = b
        while k > start and _in_run(chars[k - 1], chars[k]):
            k -= 1
        if k > start:
            b = k
        # a mark that cannot start a line hangs (up to _MAX_HANG) or takes a character down
        first, hang = b, 0
        while b < n and chars[b] in NO_LINE_START and hang < _MAX_HANG:
            b += 1
            hang += 1
        if b < n and chars[b] in NO_LINE_START:  # too many marks: take a character down
            b = first - 1
            while b > start + 1 and chars[b] in NO_LINE_START:
                b -= 1
            b = max(b, start + 1)
        # a line must not end with an opening mark
        while b > start + 1 and chars[b - 1] in NO_LINE_END:
            b -= 1
        # spaces at a break are dropped from the end of the line
        ends.append(b)
        start = b
        while start < n and chars[start] == " ":
            start += 1
    return ends


class CJKParagraph(Paragraph):  # type: ignore[misc]  # reportlab ships no type information
    """A platypus Paragraph whose Chinese lines follow :func:`line_ends`.

    Used with ``wordWrap="CJK"`` styles; every other behaviour is ReportLab's.
    """

    def breakLinesCJK(self, maxWidths: Any) -> Any:  # noqa: N802 (reportlab hook name)
        if not isinstance(maxWidths, list | tuple):
            maxWidths = [maxWidths]
        if hasattr(self, "blPara") and getattr(self, "_splitpara", False):
            return self.blPara
        glyphs: list[Any] = []
        for frag in self.frags:
            text = frag.text if hasattr(frag, "text") else "".join(getattr(frag, "words", []))
            if isinstance(text, bytes):
                text = text.decode("utf-8")
            if getattr(frag, "lineBreak", False):
                glyphs.append(cjkU("\n", frag, "utf8"))
            glyphs.extend(cjkU(t, frag, "utf8") for t in text)
        if not glyphs:
            s = self.style
            return ParaLines(kind=0, fontSize=s.fontSize, fontName=s.fontName,
                             textColor=s.textColor, lines=[], ascent=s.fontSize,
                             descent=-0.2 * s.fontSize)  # fmt: skip
        chars = [str(g) for g in glyphs]
        widths = [0.0 if c == "\n" else float(g.width) for c, g in zip(chars, glyphs, strict=True)]
        lines = []
        start = 0
        max_width = maxWidths[0]
        # line widths may differ per line (first-line indent): break one line at a time
        while start < len(glyphs):
            end = line_ends(chars[start:], widths[start:], max_width)[0] + start
            hard = end < len(chars) and chars[end] == "\n"
            used = sum(widths[start:end])
            lines.append(makeCJKParaLine(glyphs[start:end], max_width, used, max_width - used,
                                         hard, False))  # fmt: skip
            start = end + 1 if hard else end
            while start < len(chars) and chars[start] == " ":
                start += 1
            max_width = maxWidths[min(len(lines), len(maxWidths) - 1)]
        return ParaLines(kind=1, lines=lines)


#: characters of the General Punctuation block that belong to Chinese text (quotes, dash,
#: ellipsis): they stay in the CJK face
_CJK_PUNCTUATION = frozenset("‘’“”—…")


def _covers(font: str) -> frozenset[int] | None:
    """Code points with a glyph in a registered TrueType font (None: unknown, assume all)."""
    from reportlab.pdfbase import pdfmetrics

    face = getattr(pdfmetrics.getFont(font), "face", None)
    cmap = getattr(face, "charToGlyph", None)
    return frozenset(cmap) if cmap else None


_COVERAGE: dict[str, frozenset[int] | None] = {}


def _coverage(font: str) -> frozenset[int] | None:
    if font not in _COVERAGE:
        _COVERAGE[font] = _covers(font)
    return _COVERAGE[font]


def _is_latin(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x0250 or 0x0370 <= code < 0x0400 or 0x2000 <= code < 0x2300) and (
        ch not in _CJK_PUNCTUATION
    )


def font_markup(text: str, base: str, latin: str | None, fallback: str) -> str:
    """Paragraph markup of ``text``: escaped, Latin runs (digits, letters, ``%``, ``–``,
    ``†``) in the ``latin`` face, characters ``base`` has no glyph for in ``fallback``.

    Chinese typesetting sets digits and Latin letters in a Times-like face; the Ming
    faces' own Latin glyphs are monospaced, and some marks (†) are missing from them.

    Example:
        >>> font_markup("比例15.0%", "Helvetica", None, "Helvetica")
        '比例15.0%'
    """
    from xml.sax.saxutils import escape

    base_cov, latin_cov, fb_cov = _coverage(base), None, _coverage(fallback)
    if latin is not None:
        latin_cov = _coverage(latin)
    out: list[str] = []
    run: list[str] = []
    run_font: str | None = None

    def flush() -> None:
        if not run:
            return
        chunk = escape("".join(run))
        out.append(chunk if run_font in (None, base) else f'<font name="{run_font}">{chunk}</font>')
        run.clear()

    for ch in text:
        code = ord(ch)
        if latin is not None and _is_latin(ch) and (latin_cov is None or code in latin_cov):
            font = latin
        elif base_cov is not None and code not in base_cov and (fb_cov is None or code in fb_cov):
            font = fallback
        else:
            font = base
        if ch == " " and latin is not None and run_font == latin:
            font = latin
        if font != run_font:
            flush()
            run_font = font
        run.append(ch)
    flush()
    return "".join(out)
