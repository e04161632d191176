"""Chart helpers: label wrapping, axis ticks, hatching stays inside its bar."""

from __future__ import annotations

import math

import pytest
from reportlab.graphics.shapes import Line
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.charts import Bar
from reports.charts import RefLine
from reports.charts import _ticks
from reports.charts import hatch
from reports.charts import hbar_chart
from reports.charts import wrap_text
from reports.fonts import register_cjk_font


@pytest.fixture(scope="module")
def font() -> str:
    return register_cjk_font()


def test_wrap_text_fits_and_keeps_every_character(font):
    text = "领导干部和公务员以及其他很长的分组名称"
    lines = wrap_text(text, font, 8, 50, max_lines=10)
    assert "".join(lines) == text
    assert all(stringWidth(line, font, 8) <= 50 for line in lines)
    long_label = "Leading cadres and civil servants of every town and street in Yiwu"
    short = wrap_text(long_label, font, 8, 60, max_lines=2)
    assert len(short) == 2 and short[-1].endswith("…")
    assert all(stringWidth(line, font, 8) <= 60 for line in short)


@pytest.mark.parametrize("maximum", [1.0, 25.0, 60.0, 100.0, 150.0, 7.3])
def test_ticks_are_round_and_within_the_axis(maximum):
    ticks = _ticks(maximum)
    assert ticks[0] == 0 and ticks[-1] <= maximum + 1e-9 and 3 <= len(ticks) <= 11
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1


def test_hatching_is_clipped_to_the_rectangle():
    from reportlab.graphics.shapes import Drawing

    d = Drawing(200, 100)
    x, y, w, h = 10.0, 20.0, 57.0, 11.0
    hatch(d, x, y, w, h, spacing=3.0)
    lines = [s for s in d.contents if isinstance(s, Line)]
    assert lines
    for ln in lines:
        for px, py in ((ln.x1, ln.y1), (ln.x2, ln.y2)):
            assert x - 1e-9 <= px <= x + w + 1e-9 and y - 1e-9 <= py <= y + h + 1e-9


def test_suppressed_bars_draw_their_note_and_no_whiskers(font):
    bars = [Bar("a", 20.0, 15.0, 25.0), Bar("b", math.nan, state="suppressed", note="n<10")]
    d = hbar_chart(bars, font=font, refs=[RefLine(15.37, "China")], cap=100)
    texts = [getattr(s, "text", None) for s in d.contents]
    assert "n<10" in texts and "20.0" in texts
