"""The demo report read as an official and a statistician would: poppler's pdftotext and
pdftoppm (independent of reportlab) check sections, numbering, line breaking, page fill,
fonts; the weights file is checked against the calibration margins."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from reports.demo import run_demo
from reports.typeset import NO_LINE_END
from reports.typeset import NO_LINE_START

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")
DAY = dt.date(2025, 9, 30)
CHAPTERS = ("一、总体科学素质水平", "二、重点人群的科学素质", "三、各镇街的科学素质",
            "四、不同人口特征的科学素质", "五、影响因素", "六、能力建设指标完成情况")  # fmt: skip
#: a page that starts one of these may follow a short page
CHAPTER_START = re.compile(r"^(摘要|目 ?录|[一二三四五六七八九十]+、|附录[一二三四五六七八九])")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout")
    run_demo(out, generated=DAY)
    return out


def _text(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def _pages(pdf: Path) -> list[str]:
    return _text(pdf).split("\f")[:-1]


def _body_lines(page: str) -> list[str]:
    """The page's lines without the running head (title, 模拟数据) and foot."""
    lines = [s.strip() for s in page.splitlines() if s.strip()]
    return [
        s
        for s in lines
        if not (
            s.endswith("评估报告")
            or s == "模拟数据"
            or s.startswith("Q ")
            or re.fullmatch(r"— \d+ —", s)
        )
    ]


def _chapter(pdf: Path, heading: str, until: str | None = None) -> str:
    """The text from the page that starts with ``heading`` (not the contents) to ``until``."""
    pages = _pages(pdf)
    start = next(i for i, p in enumerate(pages) if i > 0 and _body_lines(p)[:1]
                 and _body_lines(p)[0].replace(" ", "").startswith(heading))  # fmt: skip
    text = re.sub(r"\s+", "", "".join(pages[start:]))
    return text[: text.index(until)] if until else text


@needs_poppler
def test_sections_and_numbering(demo: Path) -> None:
    text = _text(demo / "report.pdf")
    flat = re.sub(r"\s+", "", text)
    for part in ("目录", "摘要", "（一）主要结论", "（二）与目标和参照水平的对照", "（三）建议",
                 *CHAPTERS, "附录一方法说明", "附录二题目分析"):  # fmt: skip
        assert re.sub(r"\s+", "", part) in flat, part
    body = _pages(demo / "report.pdf")[3:]  # after the cover and the table of contents
    found = [c for c in CHAPTERS if any(c in p for p in body)]
    assert found == list(CHAPTERS)
    # chapters in order, tables and figures numbered 1, 2, 3, ... without gaps
    order = [flat.index(re.sub(r"\s+", "", c), flat.index("摘要", 50)) for c in CHAPTERS]
    assert order == sorted(order)
    for kind in ("表", "图"):
        numbers = [int(n) for n in re.findall(rf"(?m)^\s*{kind}(\d+)\s", text)]
        seen = sorted(set(numbers))
        assert seen == list(range(1, len(seen) + 1)), (kind, seen)
        assert len(seen) >= 8
    # the summary's findings are numbered 1. 2. 3. ...
    findings = _chapter(demo / "report.pdf", "摘要", "（二）与目标和参照水平的对照")
    findings = findings[findings.index("主要结论") :]
    assert re.findall(r"(\d)．", findings) == [str(i) for i in range(1, 7)]


@needs_poppler
def test_no_line_starts_or_ends_with_a_forbidden_mark(demo: Path) -> None:
    bad = []
    for line in _text(demo / "report.pdf").splitlines():
        s = line.strip()
        if not s:
            continue
        if s[0] in NO_LINE_START - set("%.,;:?!)]}·…"):
            bad.append(s)
        if s[-1] in NO_LINE_END:
            bad.append(s)
    assert not bad, bad[:10]


@needs_poppler
def test_no_half_empty_page_except_before_a_chapter(demo: Path, tmp_path: Path) -> None:
    from PIL import Image

    pdf = demo / "report.pdf"
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)  # fmt: skip
    images = sorted(tmp_path.glob("p-*.png"))
    pages = _pages(pdf)
    assert len(images) == len(pages) >= 18
    short = []
    for k, path in enumerate(images):
        im = Image.open(path).convert("L")
        w, h = im.size
        if w > h:  # the landscape appendix runs to the end
            continue
        top, bottom = round(h * 25 / 297), round(h * (1 - 22 / 297))
        px = np.asarray(im)[top:bottom]
        rows = np.flatnonzero((px < 200).any(axis=1))
        fill = (rows[-1] + 1) / px.shape[0] if rows.size else 0.0
        following = _body_lines(pages[k + 1])[:1] if k + 1 < len(pages) else ["(end)"]
        starts_chapter = bool(following) and (
            following[0] == "(end)" or CHAPTER_START.match(following[0]) is not None
        )
        if fill < 0.5 and not starts_chapter:
            short.append((k + 1, round(fill, 2), following))
    assert not short, short


@needs_poppler
def test_fonts_are_embedded_truetype_serif_and_sans(demo: Path) -> None:
    out = subprocess.run(["pdffonts", str(demo / "report.pdf")], capture_output=True, text=True,
                         check=True).stdout.splitlines()[2:]  # fmt: skip
    assert out
    for line in out:
        cols = line.split()
        assert cols[1] == "TrueType" and cols[-5] == "yes", line  # type, emb
    names = " ".join(line.split()[0] for line in out)
    if Path("/usr/share/fonts/truetype/arphic/uming.ttc").is_file():
        assert "UMing" in names  # the serif body face
    assert "WenQuanYi" in names  # the sans heading face


@needs_poppler
def test_page_furniture_and_creation_date(demo: Path) -> None:
    pages = _pages(demo / "report.pdf")
    assert "模拟数据" in pages[0] and "调查时间" in pages[0] and "2025年4月7日" in pages[0]
    for i, page in enumerate(pages[1:], start=2):
        assert f"— {i} —" in page
        assert "模拟数据" in page
    info = subprocess.run(["pdfinfo", str(demo / "report.pdf")], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert re.search(r"CreationDate:\s+Mon Sep 29 16:00:00 2025 UTC", info), info


@needs_poppler
def test_what_the_issue_found_is_gone(demo: Path) -> None:
    text = _text(demo / "report.pdf")
    flat = re.sub(r"\s+", "", text)
    assert "1,382,000.0" not in text  # weight sums without a spurious decimal
    assert "classes=" not in flat and "-inf" not in text  # no English diagnostics dump
    assert "老年人（60–69岁）" in flat  # the sampled ages, not "60+"
    assert "*" in text[text.index("附录二") :]  # the option-distribution column is filled
    capacity = _chapter(demo / "report.pdf", "六、能力建设指标完成情况", "附录一")
    assert "数据截至" in capacity
    # the chapter comes from the simulated reporting round: late, returned, missing units
    flat_cap = re.sub(r"\s+", "", capacity)
    assert "“2025年度”填报轮次" in flat_cap and "逾期提交2个" in flat_cap
    assert "未报送1个（稠城街道）" in flat_cap and "已通过（退回1次）" in flat_cap
    assert "科学素质建设能力指数" in flat_cap and "11/11项指标有数据" in flat_cap
    # the youth monitoring indicator in the table: held, as the youth chapter shows (it
    # was "not reported" while chapter 7 presented its results; an indicator without a
    # report is never 0: tests/reports/test_capacity_round.py)
    lines = _text(demo / "report.pdf", "-layout").splitlines()
    # the table's row: its cells wrap over three lines, the target on the middle one
    rows = [" ".join(lines[i - 1 : i + 2]) for i, line in enumerate(lines)
            if "1 次/年" in line and "青少年科学素质监" in lines[i - 1]]  # fmt: skip
    assert rows, "the youth monitoring row"
    assert "已完成" in rows[0] and "未报送" not in rows[0]


@needs_poppler
def test_findings_never_single_out_an_unreliable_estimate(demo: Path) -> None:
    import json

    figures = json.loads((demo / "estimates.json").read_text("utf-8"))["figures"]
    from questionnaires import DEFAULT_QUESTIONNAIRE
    from questionnaires import load_questionnaire

    town = load_questionnaire(DEFAULT_QUESTIONNAIRE).item("town")
    unreliable = [town.option(r["key"]).label.get("zh-CN") for r in figures["towns"]["rows"]
                  if r["unreliable"]]  # fmt: skip
    assert unreliable  # the demo has towns with CV > 30%
    findings = _chapter(demo / "report.pdf", "摘要", "（二）与目标和参照水平的对照")
    for name in unreliable:
        assert name not in findings, name
    # and wherever the summary shows a rate of an unreliable estimate, it carries †
    assert "估计不可靠" in findings


def test_final_weights_meet_every_margin_within_a_tenth_of_a_percent(demo: Path) -> None:
    job = yaml.safe_load((demo / "weights-job.yaml").read_text("utf-8"))
    assert "trim" in job and "calibration" in job  # trimmed after raking
    with (demo / "weighted.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    w = np.array([float(r["weight"]) for r in rows])
    worst = 0.0
    for var, targets in job["calibration"]["margins"].items():
        values = np.array([r[var] for r in rows])
        for level, target in targets.items():
            total = w[values == str(level)].sum()
            worst = max(worst, abs(total - target) / target)
    assert worst < 0.001, worst
    # the cap still holds: the trimmed weights sit at it (22 in the demo), none above
    at_cap = np.isclose(w, w.max(), rtol=1e-6, atol=0)
    assert at_cap.sum() >= 10
