"""A numbered table split across pages is headed 续表N on every page after the first
(GB/T 7713.1), read back with poppler's pdftotext, independent of reportlab."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.fonts import register_report_fonts
from reports.model import Reliability
from reports.model import Rules
from reports.render import Renderer

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")


def _pdf_pages(lang: str, rows: int, title: str, tmp_path: Path) -> list[str]:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    r = Renderer.create(lang, register_report_fonts(), q, Rules(10, Reliability(), 0.95))
    story = [r.p("x", "body")]
    story += r.table(title, ["A", "B"], [[f"row{i:03d}", str(i)] for i in range(rows)], [100, 100])
    story += r.table("short", ["A", "B"], [["a", "1"]], [100, 100])
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(buf.getvalue())
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [p for p in out.stdout.split("\f") if p.strip()]


@needs_poppler
@pytest.mark.parametrize(
    ("lang", "first", "cont"),
    [("zh-CN", "表1", "续表1"), ("en", "Table 1.", "Table 1 (continued).")],
)
def test_a_split_table_is_continued_on_every_later_page(
    lang: str, first: str, cont: str, tmp_path: Path
) -> None:
    pages = _pdf_pages(lang, 150, "各镇街样本", tmp_path)
    assert len(pages) >= 3
    assert first in pages[0] and cont not in pages[0]
    for page in pages[1:-1]:
        assert cont in page and "各镇街样本" in page
    # every row printed once, in order, and the next table numbered on
    rows = [w for p in pages for w in p.split() if w.startswith("row")]
    assert rows == [f"row{i:03d}" for i in range(150)]
    assert ("表2" if lang == "zh-CN" else "Table 2.") in pages[-1]


@needs_poppler
def test_a_table_on_one_page_has_no_continuation(tmp_path: Path) -> None:
    pages = _pdf_pages("zh-CN", 5, "短表", tmp_path)
    assert len(pages) == 1 and "续表" not in pages[0]
