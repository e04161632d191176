"""The item-analysis PDF page and the CJK font lookup (reports/items_page.py, reports/fonts.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from reports import fonts
from reports.items_page import build_item_analysis_pdf
from reports.items_page import item_analysis_flowables
from scoring.items import ItemAnalysis
from scoring.items import analyze_items

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _analysis(rng: np.random.Generator) -> ItemAnalysis:
    theta = rng.normal(size=200)
    b = np.linspace(-2, 2, 8)
    x = (rng.random((200, 8)) < 1 / (1 + np.exp(-(theta[:, None] - b[None, :])))).astype(float)
    return analyze_items(x, item_ids=[f"K{j}" for j in range(8)], item_dimensions=["knowledge"] * 8)


@pytest.mark.skipif(not WQY.is_file(), reason="fonts-wqy-zenhei is not installed")
def test_truetype_font_is_found_and_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    assert fonts.find_cjk_font() == WQY
    assert fonts.register_cjk_font() == "kesu-wqy-zenhei"
    labels = {"knowledge": "科学知识"}
    pdf = build_item_analysis_pdf(
        _analysis(np.random.default_rng(7)), dimension_labels=labels, footer="sha256 abc"
    )
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # embedded TrueType outlines
    assert b"WenQuanYiZenHei" in pdf
    # invariant mode: the same input gives the same bytes
    again = build_item_analysis_pdf(
        _analysis(np.random.default_rng(7)), dimension_labels={"knowledge": "科学知识"},
        footer="sha256 abc",
    )  # fmt: skip
    assert again == pdf


def test_fallback_to_cid_font_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(fonts, "CANDIDATES", (tmp_path / "missing.ttc",))
    monkeypatch.setattr(fonts, "_registered", {})
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "nope.ttf"))
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        assert fonts.find_cjk_font() is None
        assert fonts.register_cjk_font() == fonts.FALLBACK_CID_FONT
    assert "nope.ttf is not a file" in caplog.text
    assert "not embedded" in caplog.text


def test_flowables_hold_every_item(rng: np.random.Generator) -> None:
    from reportlab.platypus import Table

    flowables = item_analysis_flowables(_analysis(rng), font_name="Helvetica", language="en")
    tables = [f for f in flowables if isinstance(f, Table)]
    assert len(tables) == 1
    assert len(tables[0]._cellvalues) == 1 + 8  # header + one row per item
    assert tables[0]._cellvalues[1][0] == "K0"
