"""Find and register the report's CJK fonts, embedded so Chinese renders everywhere.

The report follows GB/T 9704 where it fits: body text in a Song/Ming (宋体-like,
serif) face, headings in a Hei (黑体-like, sans) face. ReportLab embeds only
TrueType outlines (not the CFF outlines of Noto CJK ``.otf``/``.ttc``), so the
defaults are Debian's TrueType fonts, which ``.ci/run`` installs:

* serif: AR PL UMing (``fonts-arphic-uming``, ``uming.ttc``, face "AR PL UMing CN");
* sans: WenQuanYi Zen Hei (``fonts-wqy-zenhei``, ``wqy-zenhei.ttc``);
* Latin serif for digits and Latin letters in the body: Liberation Serif
  (``fonts-liberation``, metric-compatible with Times New Roman).

``KESU_CJK_FONT`` / ``KESU_CJK_SERIF_FONT`` name other ``.ttf``/``.ttc`` files.
When no serif font is found the sans font is used for the body (logged, and
the methods appendix says so); when no TrueType CJK font exists at all,
reportlab's CID font ``STSong-Light`` is used, which is not embedded (logged
as a warning with the packages to install, and stated in the report).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: environment variable naming the sans (heading) .ttf/.ttc file to use before the candidates
ENV_VAR = "KESU_CJK_FONT"
#: environment variable naming the serif (body) .ttf/.ttc file
SERIF_ENV_VAR = "KESU_CJK_SERIF_FONT"
#: sans (黑体-like) TrueType CJK fonts tried in order
CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/System/Library/Fonts/STHeiti Light.ttc"),
    Path("C:/Windows/Fonts/simhei.ttf"),
)
#: serif (宋体/明体-like) TrueType CJK fonts tried in order
SERIF_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf"),
    Path("C:/Windows/Fonts/simsun.ttc"),
    Path("/System/Library/Fonts/Supplemental/Songti.ttc"),
)
#: Latin serif TrueType fonts (digits and Latin letters of the body: Times-like)
LATIN_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    Path("C:/Windows/Fonts/times.ttf"),
)
#: reportlab's built-in (not embedded) simplified-Chinese CID font
FALLBACK_CID_FONT = "STSong-Light"
#: the published names of the candidates' fonts, by file stem: (Chinese, Latin)
FONT_NAMES: dict[str, tuple[str, str]] = {
    "uming": ("文鼎PL细上海宋", "AR PL UMing"),
    "gbsn00lp": ("文鼎PL简报宋", "AR PL SungtiL GB"),
    "wqy-zenhei": ("文泉驿正黑", "WenQuanYi Zen Hei"),
    "wqy-microhei": ("文泉驿微米黑", "WenQuanYi Micro Hei"),
    "simsun": ("宋体", "SimSun"),
    "simhei": ("黑体", "SimHei"),
    "songti": ("宋体-简", "Songti SC"),
    "stheiti light": ("华文黑体", "STHeiti"),
}


def font_display_name(registered: str, lang: str = "zh-CN") -> str:
    """The published name of a font registered by :func:`register_cjk_font` (``kesu-`` and
    the file's stem): 文鼎PL细上海宋（AR PL UMing）, in English the Latin name alone; else the
    registered name without ``kesu-``.

    Example:
        >>> font_display_name("kesu-uming"), font_display_name("kesu-uming", "en")
        ('文鼎PL细上海宋（AR PL UMing）', 'AR PL UMing')
        >>> font_display_name("STSong-Light")
        'STSong-Light'
    """
    stem = registered.removeprefix("kesu-")
    if stem not in FONT_NAMES:
        return stem
    chinese, latin = FONT_NAMES[stem]
    return f"{chinese}（{latin}）" if lang == "zh-CN" else latin


#: what to install on Debian for the embedded fonts (said in warnings)
DEBIAN_PACKAGES = "fonts-arphic-uming fonts-wqy-zenhei"

_registered: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class FontSet:
    """The registered font names of one report.

    Attributes:
        body: serif face for body text (the sans face when no serif font was found).
        heading: sans face for headings, table heads and charts.
        serif_found: a serif TrueType font was found.
        embedded: the fonts are TrueType and embedded (False: the CID fallback).
        latin: a Latin serif face for digits and Latin letters in body text (Chinese
            typesetting sets them in a Times-like face; the Ming faces' Latin glyphs
            are monospaced); None: the body face is used.
    """

    body: str
    heading: str
    serif_found: bool
    embedded: bool
    latin: str | None = None


def find_cjk_font(candidates: tuple[Path, ...] | None = None, env: str = ENV_VAR) -> Path | None:
    """The first existing font file: ``$KESU_CJK_FONT`` (or ``env``), then ``candidates``
    (default :data:`CANDIDATES`); None if there is none."""
    override = os.environ.get(env)
    tried = CANDIDATES if candidates is None else candidates
    paths = ((Path(override),) if override else ()) + tuple(tried)
    for path in paths:
        if path.is_file():
            return path
    if override:
        logger.warning("%s=%s is not a file; ignoring it", env, override)
    return None


def register_cjk_font(path: str | Path | None = None) -> str:
    """Register a (sans) CJK font with reportlab and return its name for ``fontName=``.

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

    font_path = Path(path) if path is not None else find_cjk_font()
    if font_path is None:
        if FALLBACK_CID_FONT not in _registered:
            logger.warning(
                "no TrueType CJK font found (set %s or install %s); using reportlab's CID "
                "font %s, which is not embedded in the PDF",
                ENV_VAR,
                DEBIAN_PACKAGES,
                FALLBACK_CID_FONT,
            )
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
            _registered[FALLBACK_CID_FONT] = FALLBACK_CID_FONT
        return FALLBACK_CID_FONT
    return _register_file(font_path)


def _register_file(font_path: Path) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    key = str(font_path.resolve())
    if key not in _registered:
        name = "kesu-" + font_path.stem.lower()
        kwargs = {"subfontIndex": 0} if font_path.suffix.lower() == ".ttc" else {}
        pdfmetrics.registerFont(TTFont(name, str(font_path), **kwargs))
        logger.debug("registered CJK font %s from %s", name, font_path)
        _registered[key] = name
    return _registered[key]


def register_report_fonts() -> FontSet:
    """Register the serif body face and the sans heading face (see the module docstring).

    Example:
        >>> fonts = register_report_fonts()  # doctest: +SKIP
        >>> fonts.body, fonts.heading  # doctest: +SKIP
        ('kesu-uming', 'kesu-wqy-zenhei')
    """
    heading = register_cjk_font()
    # reportlab's defaults (Helvetica, not embedded) must never be used for text: the
    # registered faces cover everything the report draws
    if heading == FALLBACK_CID_FONT:
        return FontSet(heading, heading, serif_found=False, embedded=False)
    serif = find_cjk_font(SERIF_CANDIDATES, SERIF_ENV_VAR)
    if serif is None:
        logger.warning(
            "no serif (Song/Ming) TrueType CJK font found (set %s or install "
            "fonts-arphic-uming); the body text uses the sans font %s",
            SERIF_ENV_VAR,
            heading,
        )
        return FontSet(heading, heading, serif_found=False, embedded=True)
    latin = find_cjk_font(LATIN_CANDIDATES, "KESU_LATIN_FONT")
    return FontSet(
        _register_file(serif),
        heading,
        serif_found=True,
        embedded=True,
        latin=None if latin is None else _register_file(latin),
    )
