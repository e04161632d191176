"""Find and register a CJK font for reportlab, embedded so Chinese renders everywhere.

:func:`register_cjk_font` looks for a TrueType CJK font (``KESU_CJK_FONT``, then the
files in :data:`CANDIDATES`; WenQuanYi Zen Hei is Debian's ``fonts-wqy-zenhei``) and
registers it with reportlab, which embeds the subset of glyphs a PDF uses. When none is
found it registers reportlab's CID font ``STSong-Light`` instead and logs a warning: CID
fonts are not embedded, so the PDF shows Chinese only where the viewer has a matching font.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

#: environment variable naming a .ttf/.ttc file to use before the candidates
ENV_VAR = "KESU_CJK_FONT"
#: TrueType CJK fonts tried in order (reportlab reads TrueType outlines, not CFF/.otf)
CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/arphic/ukai.ttc"),
    Path("/System/Library/Fonts/STHeiti Light.ttc"),
    Path("C:/Windows/Fonts/simhei.ttf"),
)
#: reportlab's built-in (not embedded) simplified-Chinese CID font
FALLBACK_CID_FONT = "STSong-Light"

_registered: dict[str, str] = {}


def find_cjk_font(candidates: tuple[Path, ...] | None = None) -> Path | None:
    """The first existing font file: ``$KESU_CJK_FONT``, then ``candidates`` (default
    :data:`CANDIDATES`); None if there is none."""
    override = os.environ.get(ENV_VAR)
    tried = CANDIDATES if candidates is None else candidates
    paths = ((Path(override),) if override else ()) + tuple(tried)
    for path in paths:
        if path.is_file():
            return path
    if override:
        logger.warning("%s=%s is not a file; ignoring it", ENV_VAR, override)
    return None


def register_cjk_font(path: str | Path | None = None) -> str:
    """Register a CJK font with reportlab and return its name for ``fontName=``.

    Args:
        path: a .ttf/.ttc file; default: :func:`find_cjk_font`.

    Returns:
        The registered font name (``"kesu-wqy-zenhei"`` for WenQuanYi Zen Hei), or
        ``"STSong-Light"`` when no TrueType CJK font is available (logged as a warning).

    Example:
        >>> name = register_cjk_font()  # doctest: +SKIP
        >>> ParagraphStyle("body", fontName=name)  # doctest: +SKIP
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    font_path = Path(path) if path is not None else find_cjk_font()
    if font_path is None:
        if FALLBACK_CID_FONT not in _registered:
            logger.warning(
                "no TrueType CJK font found (set %s or install fonts-wqy-zenhei); using "
                "reportlab's CID font %s, which is not embedded in the PDF",
                ENV_VAR,
                FALLBACK_CID_FONT,
            )
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
            _registered[FALLBACK_CID_FONT] = FALLBACK_CID_FONT
        return FALLBACK_CID_FONT
    key = str(font_path.resolve())
    if key not in _registered:
        name = "kesu-" + font_path.stem.lower()
        kwargs = {"subfontIndex": 0} if font_path.suffix.lower() == ".ttc" else {}
        pdfmetrics.registerFont(TTFont(name, str(font_path), **kwargs))
        logger.debug("registered CJK font %s from %s", name, font_path)
        _registered[key] = name
    return _registered[key]
