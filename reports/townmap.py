"""A tile-grid (schematic) map of the 14 towns and streets, shaded by rate.

No boundary data is needed: every town is one square placed roughly where it
lies (north up), like the tile-grid maps statistical offices use for regions
of very different size. Tiles are shaded in five grey classes, hatched where
the estimate is unreliable and left white with "—" where it is suppressed; a
legend explains the classes. The caption calls it a schematic (示意图).
The same positions serve the web dashboard (:data:`TILE_POSITIONS`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing
from reportlab.graphics.shapes import Rect
from reportlab.graphics.shapes import String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.charts import INK
from reports.charts import hatch
from reports.charts import new_drawing
from reports.charts import wrap_text

logger = logging.getLogger(__name__)

#: town code -> (column, row) of its tile, row 0 in the north (schematic, not to scale)
TILE_POSITIONS: dict[str, tuple[int, int]] = {
    "dachen": (1, 0),
    "suxi": (2, 0),
    "chengxi": (0, 1),
    "houzhai": (1, 1),
    "beiyuan": (2, 1),
    "niansanli": (3, 1),
    "shangxi": (0, 2),
    "choucheng": (1, 2),
    "futian": (2, 2),
    "jiangdong": (3, 2),
    "yiting": (0, 3),
    "choujiang": (1, 3),
    "chian": (0, 4),
    "fotang": (1, 4),
}
#: upper bounds (percent) of the shading classes; the last class is open
CLASS_BREAKS = (5.0, 10.0, 15.0, 20.0)
#: grey level of each class (light to dark)
CLASS_GREYS = (0.93, 0.80, 0.64, 0.46, 0.28)


@dataclass(frozen=True, slots=True)
class Tile:
    """One town: its label, rate (percent, NaN when suppressed) and state."""

    code: str
    label: str
    value: float
    text: str
    unreliable: bool = False


def rate_class(value: float, breaks: Sequence[float] = CLASS_BREAKS) -> int:
    """Index of the shading class of a rate in percent (-1 when not finite).

    Example:
        >>> rate_class(3.3), rate_class(22.9), rate_class(float("nan"))
        (0, 4, -1)
    """
    if not math.isfinite(value):
        return -1
    return sum(1 for b in breaks if value >= b)


def class_labels(breaks: Sequence[float] = CLASS_BREAKS) -> list[str]:
    """``['<5%', '5–10%', ..., '≥20%']``.

    Example:
        >>> class_labels((5.0, 10.0))
        ['<5%', '5–10%', '≥10%']
    """
    out = [f"<{breaks[0]:g}%"]
    out += [f"{a:g}–{b:g}%" for a, b in zip(breaks, breaks[1:], strict=False)]
    return out + [f"≥{breaks[-1]:g}%"]


def tile_map(
    tiles: Sequence[Tile],
    *,
    font: str,
    width: float = 450,
    legend_unreliable: str = "unreliable",
    legend_suppressed: str = "not shown",
) -> Drawing:
    """The tile-grid map: one square per town at :data:`TILE_POSITIONS` (others are
    placed in a row below), the rate in the tile, and a legend on the right.

    Example:
        >>> tile_map([Tile("choucheng", "稠城街道", 22.9, "22.9")], font="Helvetica").width
        450
    """
    placed = dict(TILE_POSITIONS)
    extra = [t for t in tiles if t.code not in placed]
    rows = max(r for _, r in placed.values()) + 1
    for k, t in enumerate(extra):
        placed[t.code] = (k % 4, rows + k // 4)
    n_rows = max(r for _, r in placed.values()) + 1
    size, gap = 54.0, 4.0
    grid_w = 4 * (size + gap)
    height = n_rows * (size + gap) + 8
    d = new_drawing(width, height, font)
    x0 = 10.0
    for t in tiles:
        col, row = placed[t.code]
        x = x0 + col * (size + gap)
        y = height - (row + 1) * (size + gap)
        k = rate_class(t.value)
        if k < 0:
            d.add(
                Rect(
                    x,
                    y,
                    size,
                    size,
                    fillColor=colors.white,
                    strokeColor=INK,
                    strokeWidth=0.6,
                    strokeDashArray=[2, 2],
                )
            )
        else:
            grey = CLASS_GREYS[k]
            d.add(
                Rect(
                    x,
                    y,
                    size,
                    size,
                    fillColor=colors.Color(grey, grey, grey),
                    strokeColor=colors.white,
                    strokeWidth=1,
                )
            )
            if t.unreliable:
                hatch(d, x, y, size, size, 6.0, colors.Color(0.25, 0.25, 0.25))
        ink = colors.white if k >= 3 and not t.unreliable else INK
        for j, line in enumerate(wrap_text(t.label, font, 8.5, size - 6, 2)):
            ly = y + size - 14 - 10.5 * j
            if t.unreliable:  # the name on a plate too, so hatching never crosses it
                lw = stringWidth(line, font, 8.5) + 4
                d.add(Rect(x + size / 2 - lw / 2, ly - 2.5, lw, 11, fillColor=colors.white,
                           strokeColor=None))  # fmt: skip
            d.add(String(x + size / 2, ly, line, fontName=font, fontSize=8.5,
                         textAnchor="middle", fillColor=ink))  # fmt: skip
        # the value on a small white plate, so hatching never crosses it
        w = stringWidth(t.text, font, 10) + 8
        d.add(Rect(x + size / 2 - w / 2, y + 6, w, 14, fillColor=colors.white, strokeColor=None))
        d.add(String(x + size / 2, y + 9.5, t.text, fontName=font, fontSize=10,
                     textAnchor="middle", fillColor=INK))  # fmt: skip
    # legend
    lx = x0 + grid_w + 24
    ly = height - 24
    entries = class_labels()
    for k, label in enumerate(entries):
        grey = CLASS_GREYS[k]
        y = ly - k * 20
        d.add(
            Rect(
                lx,
                y,
                22,
                14,
                fillColor=colors.Color(grey, grey, grey),
                strokeColor=INK,
                strokeWidth=0.4,
            )
        )
        d.add(String(lx + 30, y + 3.5, label, fontName=font, fontSize=9))
    y = ly - len(entries) * 20
    d.add(
        Rect(lx, y, 22, 14, fillColor=colors.Color(0.8, 0.8, 0.8), strokeColor=INK, strokeWidth=0.4)
    )
    hatch(d, lx, y, 22, 14, 4.0, colors.Color(0.25, 0.25, 0.25))
    for j, line in enumerate(wrap_text(legend_unreliable, font, 9, width - lx - 34, 3)):
        d.add(String(lx + 30, y + 3.5 - 11 * j, line, fontName=font, fontSize=9))
    y -= 34
    d.add(
        Rect(
            lx,
            y,
            22,
            14,
            fillColor=colors.white,
            strokeColor=INK,
            strokeWidth=0.6,
            strokeDashArray=[2, 2],
        )
    )
    for j, line in enumerate(wrap_text(legend_suppressed, font, 9, width - lx - 34, 3)):
        d.add(String(lx + 30, y + 3.5 - 11 * j, line, fontName=font, fontSize=9))
    return d
