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
from reportlab.platypus import Spacer

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.fonts import register_report_fonts
from reports.model import Reliability
from reports.model import Rules
from reports.render import Renderer

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")


def _build(story: list[object], tmp_path: Path) -> list[str]:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(buf.getvalue())
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [p for p in out.stdout.split("\f") if p.strip()]


def _renderer(lang: str) -> Renderer:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    return Renderer.create(lang, register_report_fonts(), q, Rules(10, Reliability(), 0.95))


def _pdf_pages(lang: str, rows: int, title: str, tmp_path: Path) -> list[str]:
    r = _renderer(lang)
    story: list[object] = [r.p("x", "body")]
    story += r.table(title, ["A", "B"], [[f"row{i:03d}", str(i)] for i in range(rows)], [100, 100])
    story += r.table("short", ["A", "B"], [["a", "1"]], [100, 100])
    return _build(story, tmp_path)


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


@needs_poppler
@pytest.mark.parametrize(
    ("lang", "words", "cont"),
    [("zh-CN", 600, "续表1"), ("en", 600, "Table 1 (continued)."),
     ("zh-CN", 900, "续表1"), ("en", 900, "Table 1 (continued).")],
)  # fmt: skip
def test_a_short_table_taller_than_the_page_splits_with_its_head_and_note(
    lang: str, words: int, cont: str, tmp_path: Path
) -> None:
    """A table of 14 rows or fewer is kept on one page; under a note that makes it taller
    than the page frame (or a note itself longer than a page) split nowhere and
    reportlab raised LayoutError. It now splits, the title and head repeated, every row
    once and the whole note after the last row, then the next table."""
    r = _renderer(lang)
    rows = [[f"row{i:02d}", f"v{i:02d}"] for i in range(10)]
    note = " ".join(f"n{i:03d}" for i in range(words)) + " end."
    story: list[object] = [Spacer(1, 200)]
    story += r.table("tall", ["A", "B"], rows, [200, 100], source=note)
    story += r.table("next", ["A", "B"], [["a", "1"]], [100, 100])
    pages = _build(story, tmp_path)
    text = " ".join(pages).split()
    assert [w for w in text if w.startswith("row")] == [f"row{i:02d}" for i in range(10)]
    notes = [w for w in text if w.startswith("n") and w[1:].isdigit()]
    assert notes == [f"n{i:03d}" for i in range(words)]
    assert text.index("row09") < text.index("n000") < text.index("end.")
    assert text.index("end.") < text.index("next")
    # the table starts on the first page and is continued, with its head, on the next
    assert "row00" in pages[0] and cont not in pages[0]
    body = [p for p in pages[1:] if "row" in p]
    assert all(cont in p and "A" in p.split() for p in body)


@needs_poppler
def test_a_short_table_that_fits_a_page_moves_on_whole(tmp_path: Path) -> None:
    """Loosening is for tables taller than a page: a short table near the foot of a page
    still moves to the next page whole, never continued."""
    r = _renderer("zh-CN")
    story: list[object] = [r.p("x"), Spacer(1, 560)]
    story += r.table("短表", ["A", "B"], [[f"row{i:02d}", str(i)] for i in range(10)], [100, 100])
    pages = _build(story, tmp_path)
    assert len(pages) == 2 and "row" not in pages[0] and "续表" not in pages[1]


@needs_poppler
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_many_partial_capacity_indicators_do_not_break_the_chapter(
    lang: str, tmp_path: Path
) -> None:
    """Eleven indicators (a table kept on one page), each reported by twelve units of
    which only one has reported: the note naming the missing units makes the table
    taller than the page. The chapter renders, the note complete after the table."""
    import datetime as dt
    from types import SimpleNamespace

    from reports.appendix import capacity
    from reports.capacity import evaluate_capacity
    from reports.capacity import parse_capacity_plan
    from reports.capacity_round import EnteredValue
    from reports.capacity_round import RoundRecord
    from reports.capacity_round import Submission
    from reports.capacity_round import SubmissionStatus
    from reports.capacity_round import accepted_values

    units = [f"u{k:02d}" for k in range(12)]
    names = "\n".join(
        f"  - {{code: {u}, name: {{zh-CN: 第{k}区县科学技术协会分会, en: District {k} "
        f"Science Association}}}}"
        for k, u in enumerate(units)
    )
    inds = "\n".join(
        f"  - {{id: ind{i}, label: indicator {i}, target: 1000, kind: stock, "
        f"deadline: 2025-12-31, reporters: [{', '.join(units)}]}}"
        for i in range(11)
    )
    plan = parse_capacity_plan(
        f"title: many\nstart: 2021-01-01\nunits:\n{names}\nindicators:\n{inds}\n", "many.yaml"
    )
    sub = Submission(
        "u00", 1, SubmissionStatus.ACCEPTED, {f"ind{i}": EnteredValue(10) for i in range(11)}
    )
    on = dt.date(2025, 12, 31)
    rounds = (RoundRecord("2025", 2025, dt.date(2026, 1, 31), (sub,)),)
    progress = evaluate_capacity(plan, accepted_values(plan, rounds), on)
    assert all(p.partial and len(p.missing_units) == 11 for p in progress)
    data = SimpleNamespace(
        capacity=progress,
        capacity_tolerance=0.9,
        capacity_as_of=on,
        generated=on,
        capacity_round=None,
    )
    r = _renderer(lang)
    pages = _build(capacity(data, r, 6), tmp_path)  # type: ignore[arg-type]
    flat = "".join("".join(pages).split())
    assert len(pages) >= 2
    last = "第11区县科学技术协会分会" if lang == "zh-CN" else "District11ScienceAssociation"
    assert flat.count(last) == 11  # every indicator's missing units named
    assert flat.index("indicator10") < flat.index(last)
