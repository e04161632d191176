"""Charts drawn with reportlab's graphics, readable in greyscale print.

Every chart is a :class:`reportlab.graphics.shapes.Drawing` (vector, embedded
in the PDF as is). Colour is never the only carrier of meaning: bars are grey,
unreliable estimates are hatched, suppressed ones are replaced by a text,
reference lines differ by dash pattern and are labelled, series of the trend
chart differ by marker shape and line style, and values are printed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle
from reportlab.graphics.shapes import Drawing
from reportlab.graphics.shapes import Line
from reportlab.graphics.shapes import Polygon
from reportlab.graphics.shapes import Rect
from reportlab.graphics.shapes import String
from reportlab.lib import colors
from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.typeset import line_ends

logger = logging.getLogger(__name__)

BAR = colors.Color(0.45, 0.45, 0.45)
BAR_LIGHT = colors.Color(0.80, 0.80, 0.80)
INK = colors.black
GRID = colors.Color(0.85, 0.85, 0.85)
#: grey levels for stacked segments (dark to light), distinguishable in print
SEGMENT_GREYS = (0.15, 0.42, 0.68, 0.90)
#: dash patterns of reference lines, in the order given
DASHES: tuple[tuple[float, ...], ...] = ((5, 2), (1, 2), (6, 2, 1, 2), (3, 3))
#: font sizes of labels and of values, ticks and legends (points)
LABEL_SIZE = 9.0
SMALL_SIZE = 8.0


def new_drawing(width: float, height: float, font: str) -> Drawing:
    """A Drawing whose initial font is ``font`` (reportlab's default, Helvetica, is not
    embedded and must never reach the PDF).

    Example:
        >>> new_drawing(100, 50, "Helvetica").initialFontName
        'Helvetica'
    """
    d = Drawing(width, height)
    d.initialFontName = font
    return d


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a label, the value and its interval (same unit as the axis), and its state.

    ``state`` is ``ok``, ``unreliable`` (hatched), ``reference`` (outlined: a published
    figure, not an estimate) or ``suppressed`` (no bar, ``note`` shown).
    """

    label: str
    value: float
    low: float = math.nan
    high: float = math.nan
    state: str = "ok"
    note: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class RefLine:
    """A labelled reference value drawn across the plot (national, Zhejiang, target)."""

    value: float
    label: str


def wrap_text(text: str, font: str, size: float, width: float, max_lines: int = 2) -> list[str]:
    """Split ``text`` into at most ``max_lines`` lines no wider than ``width``.

    Chinese follows the line-breaking rules of :func:`reports.typeset.line_ends` (no line
    starts with ，。、） and the like or ends with （《); words are kept together where
    there are spaces. The last line is shortened with an ellipsis when the text does not fit.

    Example:
        >>> wrap_text("Leading cadres and civil servants", "Helvetica", 8, 80)
        ['Leading cadres and', 'civil servants']
    """
    if stringWidth(text, font, size) <= width:
        return [text]
    if " " in text:
        tokens, sep = text.split(" "), " "
        lines: list[str] = []
        current = ""
        for tok in tokens:
            trial = f"{current}{sep}{tok}" if current else tok
            if stringWidth(trial, font, size) <= width or not current:
                current = trial
            else:
                lines.append(current)
                current = tok
        lines.append(current)
    else:
        sep = ""
        widths = [stringWidth(c, font, size) for c in text]
        ends = line_ends(text, widths, width)
        lines = [text[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [sep.join(lines[max_lines - 1 :])]
    last = lines[-1]
    while stringWidth(last, font, size) > width and len(last) > 1:
        last = last[:-2] + "…"
    lines[-1] = last
    return lines


def hatch(
    d: Drawing, x: float, y: float, w: float, h: float, spacing: float = 4.0, ink: Color = INK
) -> None:
    """45-degree hatching lines clipped to the rectangle (x, y, w, h)."""
    if w <= 0 or h <= 0:
        return
    c = -h
    while c < w:
        # line: X = x + c + t, Y = y + t, t in [0, h], clipped to x <= X <= x + w
        t0 = max(0.0, -c)
        t1 = min(h, w - c)
        if t1 > t0:
            d.add(Line(x + c + t0, y + t0, x + c + t1, y + t1, strokeColor=ink, strokeWidth=0.4))
        c += spacing


def _nice_max(value: float) -> float:
    if not value > 0 or not math.isfinite(value):
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * exp >= value:
            return m * exp
    return 10.0 * exp


def _ticks(maximum: float) -> list[float]:
    """About five round ticks from 0 to ``maximum``."""
    raw = maximum / 5
    exp = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next((m * exp for m in (1, 2, 2.5, 5, 10) if m * exp >= raw), 10 * exp)
    count = int(math.floor(maximum / step + 1e-9))
    return [step * i for i in range(count + 1)]


def hbar_chart(
    bars: Sequence[Bar],
    *,
    font: str,
    width: float = 470,
    refs: Sequence[RefLine] = (),
    maximum: float | None = None,
    unit: str = "%",
    label_width: float = 110,
    bar_height: float = 13,
    gap: float = 7,
    legend: Sequence[tuple[str, str]] = (),
    cap: float | None = None,
) -> Drawing:
    """Horizontal bars with interval whiskers, printed values and reference lines.

    Args:
        bars: the bars, top to bottom.
        font: a registered font name covering the labels.
        width: drawing width in points.
        refs: reference lines (dash patterns from :data:`DASHES`, labelled below the plot).
        maximum: axis maximum (default: a round number above every interval and reference).
        unit: appended to the tick labels.
        label_width: room for the bar labels (long labels wrap to two lines).
        bar_height, gap: bar thickness and spacing.
        legend: extra (kind, text) entries: kind ``hatch``, ``whisker``, ``reference`` or ``bar``.
        cap: the largest automatic axis maximum (100 for percentages).

    Returns:
        A Drawing.

    Example:
        >>> bars = [Bar("all", 17.1, 15.2, 19.2)]
        >>> d = hbar_chart(bars, font="Helvetica", refs=[RefLine(15.37, "China")])
        >>> d.width
        470
    """
    fs = LABEL_SIZE
    top_pad, axis_h = 6.0, 18.0
    values = [b.high if math.isfinite(b.high) else b.value for b in bars if b.state != "suppressed"]
    values += [r.value for r in refs]
    finite = [v for v in values if math.isfinite(v)]
    vmax = maximum if maximum is not None else _nice_max(max(finite) * 1.08 if finite else 1.0)
    if cap is not None:
        vmax = min(vmax, cap)
    right_pad = 40.0
    plot_x = label_width + 4
    plot_w = width - plot_x - right_pad
    n = len(bars)
    plot_h = n * (bar_height + gap) + gap
    legend_rows = len(refs) + len(legend)
    legend_h = 13.0 * math.ceil(legend_rows / 2) + (6 if legend_rows else 0)
    height = top_pad + plot_h + axis_h + legend_h
    d = new_drawing(width, height, font)
    base_y = legend_h + axis_h

    def sx(v: float) -> float:
        return plot_x + plot_w * max(0.0, min(v, vmax)) / vmax

    for t in _ticks(vmax):
        x = sx(t)
        d.add(Line(x, base_y, x, base_y + plot_h, strokeColor=GRID, strokeWidth=0.5))
        lab = f"{t:g}{unit}"
        d.add(String(x, base_y - 11, lab, fontName=font, fontSize=SMALL_SIZE, textAnchor="middle"))
    d.add(Line(plot_x, base_y, plot_x, base_y + plot_h, strokeColor=INK, strokeWidth=0.6))
    d.add(Line(plot_x, base_y, plot_x + plot_w, base_y, strokeColor=INK, strokeWidth=0.6))
    notes: list[tuple[float, str]] = []
    labels: list[tuple[float, float, str]] = []
    for i, b in enumerate(bars):
        y = base_y + plot_h - (i + 1) * (bar_height + gap)
        cy = y + bar_height / 2
        lines = wrap_text(b.label, font, fs, label_width - 2)
        for j, line in enumerate(lines):
            offset = (len(lines) - 1) * 5.0 - j * 10.0
            d.add(String(label_width, cy - 3 + offset, line, fontName=font, fontSize=fs,
                         textAnchor="end"))  # fmt: skip
        if b.state == "suppressed" or not math.isfinite(b.value):
            notes.append((cy, b.note))
            continue
        w = sx(b.value) - plot_x
        if b.state == "unreliable":
            d.add(Rect(plot_x, y, w, bar_height, fillColor=BAR_LIGHT, strokeColor=INK,
                       strokeWidth=0.5))  # fmt: skip
            hatch(d, plot_x, y, w, bar_height)
        elif b.state == "reference":
            d.add(Rect(plot_x, y, w, bar_height, fillColor=colors.white, strokeColor=INK,
                       strokeWidth=0.7))  # fmt: skip
        else:
            d.add(Rect(plot_x, y, w, bar_height, fillColor=BAR, strokeColor=None))
        end = sx(b.value)
        if math.isfinite(b.low) and math.isfinite(b.high):
            lo, hi = sx(b.low), sx(b.high)
            d.add(Line(lo, cy, hi, cy, strokeColor=INK, strokeWidth=0.8))
            for x in (lo, hi):
                d.add(Line(x, cy - 3, x, cy + 3, strokeColor=INK, strokeWidth=0.8))
            end = max(end, hi)
        labels.append((end + 3, cy, b.text or f"{b.value:.1f}"))
    for k, r in enumerate(refs):
        x = sx(r.value)
        dash = DASHES[k % len(DASHES)]
        d.add(Line(x, base_y, x, base_y + plot_h + 3, strokeColor=INK, strokeWidth=0.9,
                   strokeDashArray=list(dash)))  # fmt: skip
    for x, cy, value_text in labels:  # on a white ground, above the reference lines
        w = stringWidth(value_text, font, SMALL_SIZE) + 2
        d.add(Rect(x - 1, cy - 4.5, w, 9, fillColor=colors.white, strokeColor=None))
        d.add(String(x, cy - 3, value_text, fontName=font, fontSize=SMALL_SIZE))
    for cy, note in notes:  # on a white ground, above the reference lines
        w = stringWidth(note, font, SMALL_SIZE) + 4
        d.add(Rect(plot_x + 1, cy - 4.5, w, 9, fillColor=colors.white, strokeColor=None))
        d.add(String(plot_x + 3, cy - 2.5, note, fontName=font, fontSize=SMALL_SIZE,
                     fillColor=colors.Color(0.3, 0.3, 0.3)))  # fmt: skip
    entries: list[tuple[str, str, int]] = [("ref", r.label, k) for k, r in enumerate(refs)]
    entries += [(kind, text, 0) for kind, text in legend]
    col_w = (width - 10) / 2
    for e, (kind, text, k) in enumerate(entries):
        lx = 10 + (e % 2) * col_w
        ly = legend_h - 11 - (e // 2) * 13
        if kind == "ref":
            d.add(Line(lx, ly + 3, lx + 22, ly + 3, strokeColor=INK, strokeWidth=0.9,
                       strokeDashArray=list(DASHES[k % len(DASHES)])))  # fmt: skip
        elif kind == "hatch":
            d.add(Rect(lx, ly, 22, 7, fillColor=BAR_LIGHT, strokeColor=INK, strokeWidth=0.5))
            hatch(d, lx, ly, 22, 7, 3)
        elif kind == "reference":
            d.add(Rect(lx, ly, 22, 7, fillColor=colors.white, strokeColor=INK, strokeWidth=0.7))
        elif kind == "whisker":
            d.add(Line(lx + 2, ly + 3.5, lx + 20, ly + 3.5, strokeColor=INK, strokeWidth=0.8))
            for x in (lx + 2, lx + 20):
                d.add(Line(x, ly + 0.5, x, ly + 6.5, strokeColor=INK, strokeWidth=0.8))
        else:
            d.add(Rect(lx, ly, 22, 7, fillColor=BAR, strokeColor=None))
        label = wrap_text(text, font, SMALL_SIZE, col_w - 30, 1)[0]
        d.add(String(lx + 26, ly + 0.5, label, fontName=font, fontSize=SMALL_SIZE))
    return d


def stacked_chart(
    rows: Sequence[tuple[str, Sequence[float], bool]],
    segment_labels: Sequence[str],
    *,
    font: str,
    width: float = 470,
    label_width: float = 110,
    suppressed_note: str = "",
    greys: Sequence[float] = SEGMENT_GREYS,
) -> Drawing:
    """100% stacked horizontal bars (e.g. the four levels by group).

    Args:
        rows: (label, shares in [0, 1] per segment, suppressed) top to bottom.
        segment_labels: legend text per segment (grey levels dark to light).
        font: registered font.
        width, label_width: sizes in points.
        suppressed_note: text shown instead of a suppressed row's bar.
        greys: grey level (0 black, 1 white) of each segment, in order.

    Shares of 5% or more are printed inside their segment (white on dark greys).

    Example:
        >>> rows = [("all", [0.02, 0.15, 0.28, 0.55], False)]
        >>> stacked_chart(rows, "abcd", font="Helvetica").width
        470
    """
    bar_h, gap, fs = 15.0, 6.0, LABEL_SIZE
    plot_x = label_width + 4
    plot_w = width - plot_x - 10
    plot_h = len(rows) * (bar_h + gap)
    legend_h = 16.0
    height = plot_h + legend_h + 6
    d = new_drawing(width, height, font)
    for i, (label, shares, suppressed) in enumerate(rows):
        y = legend_h + plot_h - (i + 1) * (bar_h + gap) + gap / 2
        lines = wrap_text(label, font, fs, label_width - 2)
        for j, line in enumerate(lines):
            offset = (len(lines) - 1) * 5.0 - j * 10.0
            d.add(String(label_width, y + bar_h / 2 - 3 + offset, line, fontName=font,
                         fontSize=fs, textAnchor="end"))  # fmt: skip
        if suppressed:
            d.add(String(plot_x + 3, y + 3, suppressed_note, fontName=font, fontSize=SMALL_SIZE))
            continue
        x = plot_x
        for k, share in enumerate(shares):
            if not math.isfinite(share) or share <= 0:
                continue
            w = plot_w * share
            grey = greys[k % len(greys)]
            d.add(Rect(x, y, w, bar_h, fillColor=colors.Color(grey, grey, grey),
                       strokeColor=colors.white, strokeWidth=0.5))  # fmt: skip
            if share >= 0.05:
                ink = colors.white if grey < 0.5 else INK
                d.add(String(x + w / 2, y + bar_h / 2 - 2.5, f"{100 * share:.1f}", fontName=font,
                             fontSize=SMALL_SIZE, fillColor=ink, textAnchor="middle"))  # fmt: skip
            x += w
    col_w = (width - 10) / max(len(segment_labels), 1)
    for k, text in enumerate(segment_labels):
        lx = 10 + k * col_w
        grey = greys[k % len(greys)]
        d.add(Rect(lx, 3, 10, 7, fillColor=colors.Color(grey, grey, grey), strokeColor=INK,
                   strokeWidth=0.4))  # fmt: skip
        label = wrap_text(text, font, SMALL_SIZE, col_w - 16, 1)[0]
        d.add(String(lx + 13, 3.5, label, fontName=font, fontSize=SMALL_SIZE))
    return d


@dataclass(frozen=True, slots=True)
class Series:
    """A line of the trend chart: points (year, value, low, high), a marker and a dash."""

    label: str
    points: tuple[tuple[int, float, float, float], ...]
    marker: str = "circle"
    dash: tuple[float, ...] = ()
    #: decimals of the value labels (published rates keep the precision of their source)
    digits: int = 1


def _marker(d: Drawing, kind: str, x: float, y: float, size: float = 3.2) -> None:
    if kind == "square":
        d.add(Rect(x - size, y - size, 2 * size, 2 * size, fillColor=colors.white,
                   strokeColor=INK, strokeWidth=0.8))  # fmt: skip
    elif kind == "triangle":
        grey = colors.Color(0.6, 0.6, 0.6)
        points = [x - size, y - size, x + size, y - size, x, y + size]
        d.add(Polygon(points, fillColor=grey, strokeColor=INK, strokeWidth=0.6))
    else:
        d.add(Circle(x, y, size, fillColor=INK, strokeColor=INK))


def _hits_segment(box: tuple[float, float, float, float], seg: tuple[float, ...]) -> bool:
    """Does the segment ``(x1, y1, x2, y2)`` cross the box ``(x0, y0, x1, y1)``? (sampled)"""
    bx0, by0, bx1, by1 = box
    x1, y1, x2, y2 = seg
    for k in range(21):
        t = k / 20
        x, y = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        if bx0 <= x <= bx1 and by0 <= y <= by1:
            return True
    return False


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def trend_chart(
    series: Sequence[Series],
    *,
    font: str,
    width: float = 470,
    height: float = 220,
    refs: Sequence[RefLine] = (),
) -> Drawing:
    """Rates over the years: one line per series (markers differ), whiskers for intervals.

    Values are percentages; ``refs`` are horizontal reference lines (the target).
    Each value label is placed where it touches no line, whisker, marker or other label
    (above, below, right or left of its point, in that order of preference); when no
    place is free it goes where it touches least, on a white plate.

    Example:
        >>> trend_chart([Series("Yiwu", ((2023, 12.0, 10.0, 14.0),))], font="Helvetica").height
        220
    """
    years = sorted({p[0] for s in series for p in s.points})
    if not years:
        years = [0]
    lo_year, hi_year = years[0] - 0.5, years[-1] + 0.5
    values = [p[3] if math.isfinite(p[3]) else p[1] for s in series for p in s.points]
    values += [r.value for r in refs]
    vmax = _nice_max(max([v for v in values if math.isfinite(v)] or [1.0]) * 1.1)
    legend_h = 14.0 * math.ceil((len(series) + len(refs)) / 2) + 6
    plot_x, plot_y = 36.0, legend_h + 20
    plot_w, plot_h = width - plot_x - 12, height - plot_y - 8
    d = new_drawing(width, height, font)

    def sx(year: float) -> float:
        return plot_x + plot_w * (year - lo_year) / (hi_year - lo_year)

    def sy(v: float) -> float:
        return plot_y + plot_h * max(0.0, min(v, vmax)) / vmax

    for t in _ticks(vmax):
        d.add(Line(plot_x, sy(t), plot_x + plot_w, sy(t), strokeColor=GRID, strokeWidth=0.5))
        d.add(String(plot_x - 4, sy(t) - 3, f"{t:g}%", fontName=font, fontSize=SMALL_SIZE,
                     textAnchor="end"))  # fmt: skip
    step = max(1, math.ceil(len(range(years[0], years[-1] + 1)) / 12))
    for year in range(years[0], years[-1] + 1, step):
        d.add(String(sx(year), plot_y - 12, str(year), fontName=font, fontSize=SMALL_SIZE,
                     textAnchor="middle"))  # fmt: skip
    d.add(Line(plot_x, plot_y, plot_x + plot_w, plot_y, strokeColor=INK, strokeWidth=0.6))
    d.add(Line(plot_x, plot_y, plot_x, plot_y + plot_h, strokeColor=INK, strokeWidth=0.6))
    segments: list[tuple[float, ...]] = []
    boxes: list[tuple[float, float, float, float]] = []
    for k, r in enumerate(refs):
        seg = (plot_x, sy(r.value), plot_x + plot_w, sy(r.value))
        segments.append(seg)
        d.add(Line(*seg, strokeColor=INK, strokeWidth=0.9,
                   strokeDashArray=list(DASHES[2 + k % 2])))  # fmt: skip
    labels: list[tuple[float, float, str]] = []
    for s in series:
        pts = sorted(s.points)
        for a, b in zip(pts, pts[1:], strict=False):
            seg = (sx(a[0]), sy(a[1]), sx(b[0]), sy(b[1]))
            segments.append(seg)
            d.add(Line(*seg, strokeColor=INK, strokeWidth=1.0,
                       strokeDashArray=list(s.dash) if s.dash else None))  # fmt: skip
        for year, value, low, high in pts:
            x, y = sx(year), sy(value)
            if math.isfinite(low) and math.isfinite(high):
                segments.append((x, sy(low), x, sy(high)))
                d.add(Line(x, sy(low), x, sy(high), strokeColor=INK, strokeWidth=0.7))
                for v in (low, high):
                    segments.append((x - 2.5, sy(v), x + 2.5, sy(v)))
                    d.add(Line(x - 2.5, sy(v), x + 2.5, sy(v), strokeColor=INK, strokeWidth=0.7))
            _marker(d, s.marker, x, y)
            boxes.append((x - 4, y - 4, x + 4, y + 4))
            labels.append((x, y, f"{value:.{s.digits}f}"))
    placed: list[tuple[float, float, float, float]] = []
    for x, y, text in labels:
        w, h = stringWidth(text, font, SMALL_SIZE) + 2, SMALL_SIZE + 1
        options = [(x - w / 2, y + 6), (x - w / 2, y - 6 - h), (x + 6, y - h / 2),
                   (x - 6 - w, y - h / 2), (x + 6, y + 4), (x - 6 - w, y + 4),
                   (x + 6, y - 4 - h), (x - 6 - w, y - 4 - h)]  # fmt: skip
        best, best_score = options[0], math.inf
        for k, (bx, by) in enumerate(options):
            box = (bx, by, bx + w, by + h)
            inside = plot_x <= bx and bx + w <= plot_x + plot_w + 10 and plot_y <= by
            score = sum(_hits_segment(box, seg) for seg in segments)
            score += sum(_overlaps(box, b) for b in boxes + placed) * 2 + (0 if inside else 5)
            if score + k * 0.01 < best_score:
                best, best_score = (bx, by), score + k * 0.01
        bx, by = best
        box = (bx, by, bx + w, by + h)
        placed.append(box)
        if best_score >= 1:  # nowhere free: a white plate keeps the number readable
            d.add(Rect(bx, by, w, h, fillColor=colors.white, strokeColor=None))
        d.add(String(bx + 1, by + 1.5, text, fontName=font, fontSize=SMALL_SIZE))
    entries = [(s.label, s.marker, s.dash, False) for s in series]
    entries += [(r.label, "", DASHES[2 + k % 2], True) for k, r in enumerate(refs)]
    col_w = (width - 10) / 2
    for e, (label, marker, dash, is_ref) in enumerate(entries):
        lx = 10 + (e % 2) * col_w
        ly = legend_h - 12 - (e // 2) * 14
        d.add(Line(lx, ly + 3, lx + 24, ly + 3, strokeColor=INK, strokeWidth=1.0 if not is_ref
                   else 0.9, strokeDashArray=list(dash) if dash else None))  # fmt: skip
        if marker:
            _marker(d, marker, lx + 12, ly + 3, 2.6)
        d.add(String(lx + 30, ly, wrap_text(label, font, SMALL_SIZE, col_w - 34, 1)[0],
                     fontName=font, fontSize=SMALL_SIZE))  # fmt: skip
    return d


def progress_chart(
    rows: Sequence[tuple[str, float | None, float, str, str]],
    *,
    font: str,
    width: float = 470,
    label_width: float = 130,
    legend: Sequence[str] = (),
) -> Drawing:
    """Progress bars against targets (capacity indicators).

    Args:
        rows: (label, achieved share of target or None, expected share, status, status text);
            status ``off_track`` bars are hatched, ``no_data`` rows show the text only.
        font: registered font.
        width, label_width: sizes in points.
        legend: texts for (bar, hatched bar, expected-progress tick).

    The axis runs from 0 to 100% of the target (longer bars are capped and marked ▶);
    a black tick marks the progress expected on the report date.

    Example:
        >>> progress_chart([("bases", 0.78, 0.7, "on_track", "on track")], font="Helvetica").width
        470
    """
    bar_h, gap, fs = 13.0, 7.0, LABEL_SIZE
    plot_x = label_width + 4
    plot_w = width - plot_x - 70
    plot_h = len(rows) * (bar_h + gap) + gap
    legend_h = 16.0 if legend else 0.0
    axis_h = 14.0
    height = plot_h + axis_h + legend_h + 4
    d = new_drawing(width, height, font)
    base_y = legend_h + axis_h
    for t in (0, 25, 50, 75, 100):
        x = plot_x + plot_w * t / 100
        d.add(Line(x, base_y, x, base_y + plot_h, strokeColor=GRID, strokeWidth=0.5))
        d.add(
            String(x, base_y - 9, f"{t}%", fontName=font, fontSize=SMALL_SIZE, textAnchor="middle")
        )
    d.add(Line(plot_x, base_y, plot_x + plot_w, base_y, strokeColor=INK, strokeWidth=0.6))
    for i, (label, share, expected, status, status_text) in enumerate(rows):
        y = base_y + plot_h - (i + 1) * (bar_h + gap)
        cy = y + bar_h / 2
        lines = wrap_text(label, font, fs, label_width - 2)
        for j, line in enumerate(lines):
            offset = (len(lines) - 1) * 5.0 - j * 10.0
            d.add(String(label_width, cy - 3 + offset, line, fontName=font, fontSize=fs,
                         textAnchor="end"))  # fmt: skip
        if share is not None:
            w = plot_w * min(share, 1.0)
            if status == "off_track":
                d.add(Rect(plot_x, y, w, bar_h, fillColor=BAR_LIGHT, strokeColor=INK,
                           strokeWidth=0.5))  # fmt: skip
                hatch(d, plot_x, y, w, bar_h)
            else:
                d.add(Rect(plot_x, y, w, bar_h, fillColor=BAR, strokeColor=None))
            if share > 1.0:
                x = plot_x + plot_w
                d.add(Polygon([x, y, x, y + bar_h, x + 6, cy], fillColor=INK, strokeColor=None))
        ex = plot_x + plot_w * min(expected, 1.0)
        d.add(Line(ex, y - 2, ex, y + bar_h + 2, strokeColor=INK, strokeWidth=1.6))
        d.add(
            String(plot_x + plot_w + 9, cy - 2.5, status_text, fontName=font, fontSize=SMALL_SIZE)
        )
    if legend:
        kinds = ("bar", "hatch", "tick")
        col_w = (width - 10) / len(legend)
        for k, text in enumerate(legend):
            lx = 10 + k * col_w
            kind = kinds[k % 3]
            if kind == "bar":
                d.add(Rect(lx, 3, 18, 7, fillColor=BAR, strokeColor=None))
            elif kind == "hatch":
                d.add(Rect(lx, 3, 18, 7, fillColor=BAR_LIGHT, strokeColor=INK, strokeWidth=0.5))
                hatch(d, lx, 3, 18, 7, 3)
            else:
                d.add(Line(lx + 9, 1, lx + 9, 12, strokeColor=INK, strokeWidth=1.6))
            d.add(String(lx + 22, 3.5, wrap_text(text, font, SMALL_SIZE, col_w - 26, 1)[0],
                         fontName=font, fontSize=SMALL_SIZE))  # fmt: skip
    return d
