"""The PDF shows the engine's figures, in Chinese with an embedded font, and survives tiny waves."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import numpy as np
import pytest
from pypdf import PdfReader

from reports.data import build_report_data
from reports.fonts import register_cjk_font
from reports.pdf import build_pdf
from reports.spec import ReportSpec
from reports.spec import default_job
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling import svy_proportion

from .conftest import REPORT_DATE


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def _tokens(text: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip()]


def _row_after(tokens: list[str], label: str, n: int) -> list[str]:
    """The cells after ``label`` in the table row (the label followed by its n)."""
    for i, tok in enumerate(tokens[:-1]):
        if tok == label and tokens[i + 1] == str(n):
            return tokens[i + 1 : i + 7]
    raise AssertionError(f"no table row for {label!r} with n={n}")


@pytest.fixture(scope="module")
def data(table, questionnaire):
    spec = ReportSpec(job=default_job(table), wave_name="test-2025", survey_year=2025)
    return build_report_data(table, questionnaire, spec, generated=REPORT_DATE)


@pytest.fixture(scope="module")
def pdf_zh(data) -> bytes:
    return build_pdf(data)


@pytest.fixture(scope="module")
def pdf_en(data) -> bytes:
    return build_pdf(data, "en")


def test_town_table_shows_the_estimates_of_the_estimator(table, questionnaire, pdf_zh):
    # recompute independently of ReportData, with sampling directly
    design = SurveyDesign(weights=table["weight"].astype(float), strata=table["stratum"],
                          psu=[table["psu"]], nest=True, lonely_psu=LonelyPSU.ADJUST)  # fmt: skip
    est = svy_proportion(table["literate"].astype(float), design, by={"town": table["town"]})
    low, high = est.confint()
    text = "\n".join(_pages(pdf_zh))
    tokens = _tokens(text)
    town_item = questionnaire.item("town")
    for i, dom in enumerate(est.domains):
        label = town_item.option(dom["town"]).label.get("zh-CN")
        cells = _row_after(tokens, label, int(est.n[i]))
        mark = "†" if est.flags[i] else ""
        assert cells[1] == f"{100 * est.estimate[i]:.1f}{mark}"
        assert cells[2] == f"{100 * low[i]:.1f}–{100 * high[i]:.1f}"
        assert cells[3] == f"{100 * est.cv[i]:.1f}"
        assert cells[4] == f"{est.deff[i]:.2f}"


def test_summary_has_the_headline_rate_and_the_verdicts(data, pdf_zh):
    pages = _pages(pdf_zh)
    summary = next(
        p for p in pages if "主要结论" in p and "目 录" not in p and "具备科学素质的公民比例" in p
    )
    o = data.overall_estimate
    low, high = o.confint()
    assert f"{100 * o.estimate[0]:.1f}%" in summary
    assert f"{100 * low[0]:.1f}%–{100 * high[0]:.1f}%" in summary
    for v in data.verdicts:  # one row per reference: national, Zhejiang, target
        label = {"national": "全国", "zhejiang": "浙江省", "target": "目标"}[v.key]
        assert f"{label}（{v.year}）" in summary
    assert {v.key for v in data.verdicts} == {"national", "zhejiang", "target"}
    # the towns' finding says whether they differ, with the Rao-Scott test's p
    from reports.labels import p_text

    test = data.towns.test
    said = "差异超出抽样误差" if test.p < 0.05 else "差异未超出抽样误差"
    stated = f"各镇街之间的{said}（Rao-Scott检验，{p_text(test.p)}）"
    assert re.sub(r"\s+", "", stated) in re.sub(r"\s+", "", summary)


def test_chinese_text_is_extractable_and_every_glyph_is_in_the_embedded_font(pdf_zh):
    from reportlab.pdfbase import pdfmetrics

    pages = _pages(pdf_zh)
    text = "".join(pages)
    assert "具备科学素质" in text and "稠城街道" in text and "廿三里街道" in text
    font = pdfmetrics.getFont(register_cjk_font())
    face = getattr(font, "face", None)
    if not hasattr(face, "charToGlyph"):
        pytest.skip("CID fallback font in use: no TrueType font on this machine")
    missing = {c for c in text if not c.isspace() and ord(c) not in face.charToGlyph}
    assert not missing, f"characters without a glyph: {sorted(missing)[:20]}"
    reader = PdfReader(io.BytesIO(pdf_zh))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [f.get_object().get("/FontDescriptor") for f in fonts.values()]
    embedded = [d for d in descriptors if d is not None and "/FontFile2" in d.get_object()]
    assert embedded, "the TrueType font is not embedded"


def test_every_page_but_the_cover_has_number_and_fingerprint(data, pdf_zh):
    pages = _pages(pdf_zh)
    fp = data.fingerprint
    assert "2025年9月30日" in pages[0]  # the report date on the cover
    assert "— 1 —" not in pages[0]
    for i, text in enumerate(pages[1:], start=2):
        assert f"— {i} —" in text
        assert fp.questionnaire_hash[:10] in text and fp.data_hash[:10] in text
        assert fp.job_hash[:10] in text and f"kesu {fp.kesu_version}" in text
        assert f"数据 {fp.rows} 条" in text and "rows" not in text  # the footer in Chinese
    info = PdfReader(io.BytesIO(pdf_zh)).metadata
    assert info["/CreationDate"].startswith("D:20250930")


def test_table_of_contents_lists_the_sections_with_pages(pdf_zh):
    toc = "\n".join(_pages(pdf_zh)[1:3])
    for title in ("二、重点人群的科学素质", "三、各镇街的科学素质", "六、能力建设指标完成情况",
                  "附录一 方法说明", "附录二 题目分析"):  # fmt: skip
        # the right-aligned page number is extracted just before its title
        pattern = r"\d+\s*" + r"\s+".join(re.escape(part) for part in title.split())
        assert re.search(pattern, toc), title


def test_english_variant(data, pdf_en, questionnaire):
    pages = _pages(pdf_en)
    text = "\n".join(pages)
    assert "Share of citizens with science literacy" in text
    assert "2. Key groups" in text and "Appendix 1. Methodology" in text
    assert "Fotang Town" in text and "Choucheng Street" in text
    assert f"— {len(pages)} —" in pages[-1]
    assert "具备科学素质" not in text  # UI strings and labels are English
    g = data.groups.row("farmer")
    tokens = _tokens(text)
    cells = _row_after(tokens, "Farmers", g.n)
    assert cells[1].rstrip("†") == f"{100 * g.estimate:.1f}"


def test_dimension_scores_bracket_their_intervals_in_the_language(pdf_zh, pdf_en):
    """Table 3 wrote "53.1（52.4–53.8）" in English too: ASCII brackets in English,
    full-width in Chinese."""
    interval = r"\d+\.\d{lb}\d+\.\d–\d+\.\d{rb}"
    zh = re.sub(r"\s+", "", "".join(_pages(pdf_zh)))
    en = "".join(_pages(pdf_en))
    assert re.search(interval.format(lb="（", rb="）"), zh)
    assert re.search(interval.format(lb=r" \(", rb=r"\)"), en)
    assert not re.search(interval.format(lb=r"\s*（", rb=r"\s*）"), en)


def test_a_partial_capacity_total_is_marked_with_the_units_that_did_not_report(data):
    """Unit b's 2025 figures are missing: the chapter marks the partial totals "*", its
    note names b, the status reads "incomplete" (never off track), and the summary says
    the indicators cannot be judged yet, in both languages."""
    import datetime as dt
    from dataclasses import replace

    from reports.capacity import evaluate_capacity
    from reports.capacity import parse_capacity_plan
    from reports.capacity_round import accepted_values

    from .test_capacity_round import SHARED
    from .test_capacity_round import shared_rounds

    plan = parse_capacity_plan(SHARED, "shared.yaml")
    on = dt.date(2025, 12, 31)
    progress = evaluate_capacity(plan, accepted_values(plan, shared_rounds(None)), on)
    partial = replace(data, capacity=progress, capacity_as_of=on)
    expect = {
        "zh-CN": ("数据不全", "项进度滞后：",
                  "*部分单位本期没有审核通过的数据（未报送或待审核），合计不完整：trained（缺乙单位）；"
                  "bases（缺乙单位）；events（缺乙单位）", "暂不能判断进度：trained、events"),
        "en": ("incomplete", "indicators are off track:", "(missing: Unit B)",
               "cannot be judged yet because some units have no accepted figure: trained, events"),
    }  # fmt: skip
    for lang, (incomplete, behind, note, finding) in expect.items():
        flat = re.sub(r"\s+", "", "".join(_pages(build_pdf(partial, lang))))
        for word in ("650*", "105*", "30*", incomplete, note, finding):
            assert re.sub(r"\s+", "", word) in flat, (lang, word)
        assert re.sub(r"\s+", "", behind) not in flat, lang  # no finding "k are behind"


def test_trend_chart_labels_published_rates_as_published(data):
    """Figure 3 labels the national and Zhejiang rates with the two decimals CAST publishes
    (15.37, 13.53), as the text and the comparison table give them (it showed 15.4, 13.5);
    the survey's own estimates keep one decimal."""
    from reportlab.graphics.shapes import Drawing
    from reportlab.graphics.shapes import String

    from reports.fonts import register_report_fonts
    from reports.render import Renderer
    from reports.sections import _trend
    from reports.spec import PUBLISHED_NATIONAL
    from reports.spec import PUBLISHED_ZHEJIANG

    def strings(node):
        for child in getattr(node, "contents", ()):
            yield from strings(child)
        if isinstance(node, String):
            yield node.text

    r = Renderer.create("zh-CN", register_report_fonts(), data.questionnaire, data.rules)
    figure = next(f for f in _trend(data, r) if hasattr(f, "_content"))
    chart = next(x for x in figure._content if isinstance(x, Drawing))
    labels = set(strings(chart))
    for rate in (PUBLISHED_NATIONAL[2024], PUBLISHED_ZHEJIANG[2020], PUBLISHED_NATIONAL[2015]):
        assert f"{100 * rate:.2f}" in labels and f"{100 * rate:.1f}" not in labels
    assert f"{100 * data.overall.estimate:.1f}" in labels  # the survey's estimate: one decimal


def test_a_tiny_wave_gives_suppressed_cells_not_a_crash(table_factory, questionnaire):
    tiny = table_factory(25, 8)
    data = build_report_data(tiny, questionnaire, ReportSpec(job=default_job(tiny)),
                             generated=REPORT_DATE)  # fmt: skip
    pdf = build_pdf(data)
    text = "\n".join(_pages(pdf))
    assert "样本不足10人，不显示" in text
    hidden = [r for r in data.towns.rows if r.suppressed]
    assert hidden
    tokens = _tokens(text)
    town = questionnaire.item("town")
    row = hidden[0]
    cells = _row_after(tokens, town.option(row.key).label.get("zh-CN"), row.n)
    assert cells[1:5] == ["—", "—", "—", "—"]


def test_item_appendix_is_on_landscape_pages(pdf_zh):
    reader = PdfReader(io.BytesIO(pdf_zh))
    last = reader.pages[-1]
    width, height = float(last.mediabox.width), float(last.mediabox.height)
    assert width > height
    landscapes = [p for p in reader.pages if float(p.mediabox.width) > float(p.mediabox.height)]
    assert "题目分析" in landscapes[0].extract_text()  # the appendix starts on the first of them
    first = reader.pages[0]
    assert float(first.mediabox.width) == pytest.approx(595.2756, abs=0.01)


def test_item_appendix_shows_each_items_question(data, pdf_zh, pdf_en, questionnaire):
    """Appendix 2 lists every analysed item with its question as the questionnaire words
    it, in the report's language, wrapped inside its column (the table fits the page)."""
    assert data.items is not None
    for pdf, lang in ((pdf_zh, "zh-CN"), (pdf_en, "en")):
        reader = PdfReader(io.BytesIO(pdf))
        start = next(i for i, page in enumerate(reader.pages)
                     if float(page.mediabox.width) > float(page.mediabox.height))  # fmt: skip
        appendix = re.sub(r"\s+", "", "".join(pg.extract_text() for pg in reader.pages[start:]))
        assert appendix.count("题目内容" if lang == "zh-CN" else "Question") >= 2  # head repeated
        for item_id in data.items.item_ids:
            text = re.sub(r"\s+", "", questionnaire.item(item_id).text.get(lang))
            assert text and text in appendix, (lang, item_id)
        other = "zh-CN" if lang == "en" else "en"
        assert re.sub(r"\s+", "", questionnaire.item("K17").text.get(other)) not in appendix


#: the paragraph styles of table heads and cells (titles and notes span the table)
CELL_STYLES = ("cell", "cellr", "cellh", "cellt")


def _words_too_wide(table, fonts) -> list[tuple[str, float, float]]:
    """The words of a table's cells (body and head styles) wider than their column's room
    (width less the cell's padding): such a word breaks inside itself ("Progres|s")."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph

    out = []
    for i, row in enumerate(table._cellvalues):
        for j, (cell, width) in enumerate(zip(row, table._colWidths, strict=True)):
            if not isinstance(cell, Paragraph) or cell.style.name not in CELL_STYLES:
                continue
            pad = table._cellStyles[i][j]
            room = width - pad.leftPadding - pad.rightPadding
            # Latin words are set in the Latin face in body cells, in the sans face in heads
            font = fonts.latin if cell.style.fontName == fonts.body and fonts.latin else None
            for word in cell.getPlainText().split():
                if word.isascii():
                    w = stringWidth(word, font or cell.style.fontName, cell.style.fontSize)
                    if w > room + 0.01:
                        out.append((word, round(w, 1), round(room, 1)))
    return out


def _tables(flowables):
    """Every table of a story, also inside figures and keep-togethers."""
    from reportlab.platypus import Table

    for f in flowables:
        if isinstance(f, Table):
            yield f
        for attr in ("_content", "_flowables"):
            yield from _tables(getattr(f, attr, ()))


def test_no_table_breaks_a_word_inside_itself(data):
    """No word of any table's head or body is wider than its column, in either language,
    the capacity chapter with the demo's reporting rounds included (the English capacity
    table broke "Progres|s (%)", "Expecte|d (%)", "Science-popularisatio|n")."""
    import datetime as dt
    from dataclasses import replace

    from reports.capacity import evaluate_capacity
    from reports.capacity import load_capacity_plan
    from reports.capacity_demo import DEMO_TODAY
    from reports.capacity_demo import demo_rounds
    from reports.capacity_round import accepted_values
    from reports.capacity_round import summarise_round
    from reports.fonts import register_report_fonts
    from reports.pdf import report_story
    from reports.render import Renderer

    plan = load_capacity_plan()
    rounds = demo_rounds(plan)
    progress = evaluate_capacity(plan, accepted_values(plan, rounds), dt.date(2025, 12, 31))
    full = replace(data, capacity=progress,
                   capacity_round=summarise_round(plan, rounds, progress, DEMO_TODAY))  # fmt: skip
    fonts = register_report_fonts()
    for lang in ("zh-CN", "en"):
        r = Renderer.create(lang, fonts, full.questionnaire, full.rules)
        tables = list(_tables(report_story(full, r)))
        assert len(tables) > 20
        for table in tables:
            title = table._cellvalues[0][0]
            assert _words_too_wide(table, fonts) == [], (lang, getattr(title, "text", title))


def test_item_table_cells_wrap_within_their_columns(data):
    """The item table fits the landscape frame and no word of its head or body is wider
    than its column (questions wrap between words; in English the heads "Difficulty" and
    "Corrected" broke inside the word)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Table

    from reports.appendix import items
    from reports.fonts import register_report_fonts
    from reports.render import Renderer

    fonts = register_report_fonts()
    for lang in ("zh-CN", "en"):
        r = Renderer.create(lang, fonts, data.questionnaire, data.rules)
        table = next(f for f in items(data, r, 2) if isinstance(f, Table))
        assert sum(table._colWidths) <= landscape(A4)[0] - 30 * mm
        head = [c.getPlainText() for c in table._cellvalues[0][:2]]
        assert head == ([r.t("items_col_item"), r.t("items_col_text")]), lang
        assert _words_too_wide(table, fonts) == [], lang


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_pages_render_to_png(pdf_zh, tmp_path):
    src = tmp_path / "r.pdf"
    src.write_bytes(pdf_zh)
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(src), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(pdf_zh)).pages)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_output_is_deterministic(data, pdf_zh):
    assert build_pdf(data) == pdf_zh
    assert np.all([pdf_zh[:5] == b"%PDF-"])


def test_every_ui_string_and_label_has_glyphs_in_the_font(questionnaire):
    """Missing glyphs do not survive text extraction, so check the sources of all text."""
    from reportlab.pdfbase import pdfmetrics

    from kesu.i18n import PARTS
    from reports.capacity import load_capacity_plan

    font = pdfmetrics.getFont(register_cjk_font())
    face = getattr(font, "face", None)
    if not hasattr(face, "charToGlyph"):
        pytest.skip("CID fallback font in use: no TrueType font on this machine")
    # the catalogue parts the PDF reads (the web pages' strings never reach a PDF)
    pdf_parts = (PARTS["reports"].STRINGS, PARTS["outcomes"].STRINGS)
    texts = [s for part in pdf_parts for table in part.values() for s in table.values()]
    for lang in ("zh-CN", "en"):
        texts.append(questionnaire.title.get(lang))
        texts += [g.label.get(lang) for g in questionnaire.groups]
        texts += [lv.label.get(lang) for lv in questionnaire.scoring.levels]
        texts += [d.label.get(lang) for d in questionnaire.scoring.dimensions]
        for item in questionnaire.items:
            texts.append(item.text.get(lang))
            texts += [o.label.get(lang) for o in item.options]
        for ind in load_capacity_plan().indicators:
            texts += [ind.label.get(lang), ind.unit.get(lang), ind.responsible.get(lang)]
    texts += ["● ", "†", "—", "–", "→", "γ", "…"]
    missing = {c for t in texts for c in t if not c.isspace() and ord(c) not in face.charToGlyph}
    assert not missing, f"characters without a glyph: {sorted(missing)}"


def test_both_languages_have_every_string():
    from kesu.i18n import CATALOGUE
    from kesu.i18n import tr

    assert set(CATALOGUE["zh-CN"]) == set(CATALOGUE["en"])
    assert tr("fr", "footer", page=1, pages=2) == "第 1 页 / 共 2 页"  # unknown language: zh-CN
    with pytest.raises(KeyError):
        tr("en", "no-such-key")


def test_cid_fallback_font_is_stated(monkeypatch, data):
    import reports.fonts

    monkeypatch.setattr(reports.fonts, "find_cjk_font", lambda candidates=None: None)
    pdf = build_pdf(data)
    text = "".join(_pages(pdf))
    assert "STSong-Light" in text and "未嵌入" in text


def test_factors_section_shows_adjusted_odds_ratios_and_median_scores(data, pdf_zh):
    text = "\n".join(_pages(pdf_zh))
    assert "调整后比值比" in text and "1（参照）" in text and "该题整体检验" in text
    f = next(x for x in data.factors if x.item == "events" and x.adjusted is not None)
    row = f.adjusted.rows[1]
    assert f"{row.estimate:.2f} ({row.ci_low:.2f}–{row.ci_high:.2f})" in text
    assert "得分中位数" in text
    overall = data.median_scores.rows[0]
    assert f"{overall.ci_low:.1f}–{overall.ci_high:.1f}" in text


def test_a_separated_control_level_too_small_to_publish_is_named_without_figures(
    table_factory, questionnaire
):
    """300 respondents (seed 2): nobody without schooling (7 people) and nobody with
    primary school (38) is literate. The factors' note names both as left out of the
    adjusted model; the 38 are counted, the 7 are not (a group under 10 shows no figure,
    and its rate would be 0%)."""
    small = table_factory(300, 2)
    spec = ReportSpec(job=default_job(small), wave_name="small", suppress_below=10)
    data = build_report_data(small, questionnaire, spec)
    separated = {(s.level, s.n) for f in data.factors for s in f.adjusted_separated}
    assert separated == {("none", 7), ("primary", 38)}
    text = re.sub(r"\s+", "", "".join(_pages(build_pdf(data))))
    assert "文化程度为“小学”的38人（无一具备科学素质）" in text
    assert "的人（不足10人）" in text
    assert "的7人" not in text
    # said once for the chapter when every fitted model left out the same levels
    fitted = {f.adjusted_separated for f in data.factors if f.adjusted is not None}
    once = len(fitted) == 1
    assert text.count("无法估计其比值比") == (
        1
        if once
        else sum(1 for f in data.factors if f.adjusted is not None and f.adjusted_separated)
    )
    assert ("以下各题的调整模型都未纳入" in text) == once
