"""The mental-health report: figures by hand on a small table, suppression of what would
reveal a person, the demo against its known truth, and the PDF."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from kesu.cli import main
from kesu.tables import table_from_columns
from questionnaires import load_questionnaire
from reports.spec import ReportSpec
from reports.spec import default_job
from reports.wellbeing import build_wellbeing_data
from reports.wellbeing import wellbeing_for_table
from reports.wellbeing_demo import MENTAL_HEALTH_QUESTIONNAIRE
from reports.wellbeing_demo import analysis_columns
from reports.wellbeing_demo import census_totals
from reports.wellbeing_demo import population_truth
from reports.wellbeing_demo import run_mental_health_demo
from reports.wellbeing_demo import simulate_civil_servants
from reports.wellbeing_demo import simulate_mh_answers
from reports.wellbeing_demo import simulate_participation
from reports.wellbeing_pdf import build_wellbeing_pdf
from sampling.job import parse_job
from sampling.job import run_weighting
from scoring import score_scales

Q = load_questionnaire(MENTAL_HEALTH_QUESTIONNAIRE)


def _answers(total: int, flagged: bool) -> dict[str, str]:
    """PHQ-9 answers with the given total: 0, 5 (five 1s), 10 (five 2s) or 20 (six 3s + 2)."""
    a = {f"phq9_{i}": "0" for i in range(1, 10)}
    if total == 5:
        a.update({f"phq9_{i}": "1" for i in range(1, 6)})
    elif total == 10:
        a.update({f"phq9_{i}": "2" for i in range(1, 6)})
    elif total == 20:
        a.update({f"phq9_{i}": "3" for i in range(1, 7)})
    if flagged:
        a["phq9_9"] = "2"
    a.update({f"gad7_{i}": "0" for i in range(1, 8)})
    a.update({f"ws{i}": "3" for i in range(1, 7)})
    return a


def _small_table() -> dict[str, Any]:
    """24 respondents, equal weights, each its own PSU.

    male (14): minimal 10, mild 3, moderate 1; female (10): minimal 2, mild 3,
    moderate 3, severe 2 (both with PHQ-9 item 9 = 2, the only flags).
    """
    spec = [(0, "1")] * 10 + [(5, "1")] * 3 + [(10, "1")] + [(0, "2")] * 2 + [(5, "2")] * 3
    spec += [(10, "2")] * 3 + [(20, "2")] * 2
    return _table_of(spec)


def _table_of(spec: list[tuple[int, str]]) -> dict[str, Any]:
    """The scored table of one respondent per (PHQ-9 total, sex), all in one unit, rank
    and age band; item 9 raised for a total of 20."""
    records = []
    for total, sex in spec:
        a = _answers(total, flagged=total == 20)
        a.update(sex=sex, unit_type="gov", rank_band="clerk", age_band="a30")
        records.append(a)
    cols: dict[str, Any] = {var: np.array([r.get(var, "") for r in records]) for var in Q.variables}
    cols.update(score_scales(Q, records).columns())
    cols["respondent_id"] = np.arange(1, len(records) + 1)
    return cols


def test_band_shares_and_suppression_by_hand() -> None:
    table = _small_table()
    assert table["scale_phq9"].tolist().count(20.0) == 2  # 18 + item 9 = 2
    data = wellbeing_for_table(table, Q, wave_name="hand")
    assert data.respondents == 24 and "unweighted" in data.notes
    t = data.table("phq9", "sex")
    # equal weights: the shares are the counts over the group sizes
    male, female = t.rows
    assert (t.total.n, male.n, female.n) == (24, 14, 10)
    assert [c.estimate for c in male.cells][:2] == pytest.approx([10 / 14, 3 / 14])
    assert t.total.cells[0].estimate == pytest.approx(12 / 24)
    # worked in tests/sampling/test_disclosure.py's way: primary cells are the total's
    # 2 severe, the men's 1 moderate, the women's 2 minimal and 2 severe; complementary:
    # the total's moderate (4), the men's severe (0) and minimal (10)
    reasons = [[c.reason for c in row.cells] for row in (t.total, male, female)]
    assert reasons == [
        ["", "", "complementary", "", "small_cell"],
        ["complementary", "", "small_cell", "", "complementary"],
        ["small_cell", "", "", "", "small_cell"],
    ]
    for row in (t.total, male, female):
        for cell in row.cells:
            if not cell.suppressed:
                assert cell.ci_low <= cell.estimate <= cell.ci_high
    # the flag: both flags are women's: neither the women's nor the total share is shown,
    # the men's 0% is
    f = data.table("self_harm", "sex")
    assert [f.total.cells[0].reason, f.rows[0].cells[0].reason, f.rows[1].cells[0].reason] == [
        "small_cell", "", "small_cell",
    ]  # fmt: skip
    assert f.rows[0].cells[0].estimate == 0.0
    # the positive screen (PHQ-9 10 or more: the moderate band and above): 1 + 3 + 2 of
    # 24; the men's one screen is a small cell, the women's 5 of 10 its complement
    screen = data.screen("phq9", "sex")
    assert screen.total.cells[0].estimate == pytest.approx(6 / 24)
    assert [r.cells[0].estimate for r in screen.rows] == pytest.approx([1 / 14, 5 / 10])
    assert [r.cells[0].reason for r in screen.rows] == ["small_cell", "complementary"]
    assert [t.measure for t in data.screens if not t.by] == ["phq9", "gad7"]  # not work stress
    # the mean is not suppressed: (6 * 5 + 4 * 10 + 2 * 20) / 24
    assert data.means[0].estimate == pytest.approx(110 / 24)
    # groups without respondents are rows under the threshold (n shown as "<10")
    by_unit = data.table("phq9", "unit_type")
    assert [r.key for r in by_unit.rows if not r.below_threshold] == ["gov"]
    # the published figures: a suppressed cell carries no number
    published = json.dumps(data.to_dict())
    hidden = data.to_dict()["tables"][1]["rows"][1]["cells"]["severe"]
    assert hidden == {"suppressed": "small_cell"}
    assert '"n": "<min_n"' in published


def test_the_groups_test_is_rs_svychisq_over_the_groups_tested() -> None:
    """groups_test against R: svychisq on apistrat with the groups not tested set to NA."""
    import csv

    from reports.compare import groups_test
    from sampling import SurveyDesign

    path = Path(__file__).parents[1] / "sampling" / "data" / "apistrat.csv"
    with path.open() as fh:
        body = list(csv.DictReader(fh))
    meals = np.array([float(r["meals"]) for r in body])
    band = np.select([meals <= 20, meals <= 40, meals <= 60, meals <= 80],
                     ["m1", "m2", "m3", "m4"], "m5")  # fmt: skip
    design = SurveyDesign(
        weights=[float(r["pw"]) for r in body], strata=[r["stype"] for r in body],
        fpc=[float(r["fpc"]) for r in body],
    )  # fmt: skip
    awards = np.array([r["awards"] for r in body])
    stype = np.array([r["stype"] for r in body])
    # R: d$mb <- as.character(cut(d$meals, c(-1, 20, 40, 60, 80, 101),
    #                             labels=c("m1","m2","m3","m4","m5")))
    #    d$g1 <- ifelse(d$mb %in% c("m1","m2","m3"), d$mb, NA)
    #    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=d)
    #    svychisq(~awards + g1, dstrat, na.rm=TRUE)
    t = groups_test(design, awards, band, ["m1", "m2", "m3"])
    assert t is not None and t.statistic == "rao_scott"
    assert t.f == pytest.approx(1.093593566948067, rel=1e-10)
    assert (t.df1, t.df2) == pytest.approx((1.9965848706504181, 393.3272195181323809), rel=1e-10)
    assert t.p == pytest.approx(0.33594888989149418, rel=1e-9)
    # d$g2 <- ifelse(d$mb %in% c("m2","m4","m5"), d$mb, NA); svychisq(~stype + g2, dstrat)
    t = groups_test(design, stype, band, ["m2", "m4", "m5"])
    assert t is not None and t.f == pytest.approx(3.7582730234668098, rel=1e-10)
    assert (t.df1, t.df2) == pytest.approx((3.8202934680611338, 752.5978132080433625), rel=1e-10)
    assert t.p == pytest.approx(0.0056340314195421435, rel=1e-9)
    # an answer left empty is not a category; fewer than two groups or one category: none
    blank = np.where(np.arange(awards.size) % 7 == 0, "", awards)
    keep = (np.arange(awards.size) % 7 != 0) & np.isin(band, ["m1", "m2", "m3"])
    direct = svy_chisq_of(design, np.where(keep, awards, ""), np.where(keep, band, ""))
    assert groups_test(design, blank, band, ["m1", "m2", "m3"]).f == direct.f
    assert groups_test(design, awards, band, ["m1"]) is None
    assert groups_test(design, np.full(awards.size, "x"), band, ["m1", "m2"]) is None


def svy_chisq_of(design: Any, values: Any, by: Any) -> Any:
    from sampling.tables import svy_chisq

    return svy_chisq(values, by, design)


def test_each_table_by_group_tests_the_groups_it_publishes_whole() -> None:
    """44 respondents, equal weights: the PHQ-9 bands and item 9 by sex are tested with
    svy_chisq on those columns; by unit type (one group) there is nothing to test; in
    the small table of the hand test every group hides a cell, so nothing is tested."""
    from sampling import SurveyDesign

    spec = [(0, "1")] * 10 + [(5, "1")] * 5 + [(10, "1")] * 4 + [(20, "1")] * 3
    spec += [(0, "2")] * 6 + [(5, "2")] * 6 + [(10, "2")] * 5 + [(20, "2")] * 5
    cols = _table_of(spec)
    data = wellbeing_for_table(cols, Q, wave_name="t")
    design = SurveyDesign(weights=np.ones(len(spec)))
    sex = np.array([s for _, s in spec])
    bands = data.table("phq9", "sex")
    assert bands.tested == ("1", "2")
    direct = svy_chisq_of(design, np.array([str(b) for b in cols["band_phq9"]]), sex)
    assert (bands.test.f, bands.test.p) == pytest.approx((direct.f, direct.p), rel=1e-12)
    flag = data.table("self_harm", "sex")
    raised = np.where(np.array([t for t, _ in spec]) == 20, "1", "0")
    assert flag.test.f == pytest.approx(svy_chisq_of(design, raised, sex).f, rel=1e-12)
    assert data.table("phq9", "unit_type").test is None  # one group
    assert data.table("phq9", "").test is None
    published = {(t["measure"], t["by"]): t for t in data.to_dict()["tables"]}
    assert published["phq9", "sex"]["test"]["groups"] == ["1", "2"]
    assert published["phq9", "sex"]["test"]["p"] == bands.test.p
    # the sentence under the table (PDF and dashboard)
    from reports.labels import Labels
    from reports.labels import p_text
    from reports.wellbeing_pdf import groups_test_text

    zh = groups_test_text(data, Labels("zh-CN", Q, data.rules), bands)
    assert f"（Rao-Scott校正F检验）：F = {bands.test.f:.2f}" in zh and p_text(bands.test.p) in zh
    assert "未包括" not in zh
    en = groups_test_text(data, Labels("en", Q, data.rules), bands)
    assert "Rao-Scott" in en and "df" in en
    assert groups_test_text(data, Labels("zh-CN", Q, data.rules), data.table("phq9", "")) == ""
    # the screen's finding says whether the groups differ (here only by sex is tested)
    from reports.wellbeing_pdf import wellbeing_findings

    screen_p = data.screen("phq9", "sex").test.p
    first = wellbeing_findings(data, Labels("zh-CN", Q, data.rules))[0]
    differ = "不同性别的组之间，差异超出抽样误差（p < 0.05，1个分组变量的检验经Holm校正）。"
    same = "各分组之间的差异都在抽样误差范围之内（1个分组变量的检验经Holm校正）。"
    assert first.endswith(differ if screen_p < 0.05 else same), (screen_p, first)
    # four group variables tested with p 0.01, 0.04, 0.03 and 0.5: Holm multiplies the
    # smallest by 4 (0.04, rejected), the next by 3 (0.09, kept): only the first is named
    import dataclasses

    from reports.wellbeing_pdf import _differences
    from reports.wellbeing_pdf import _Lookups
    from sampling.results import HypothesisTest

    sex_screen = data.screen("phq9", "sex")
    fake = [
        dataclasses.replace(sex_screen, by=by, test=HypothesisTest("rao_scott", "", 1.0, 1.0,
                                                                   9.0, p, 1.0, ""))
        for by, p in (("unit_type", 0.01), ("rank_band", 0.04), ("age_band", 0.03),
                      ("sex", 0.5))
    ]  # fmt: skip
    said = _differences(_Lookups(data, Labels("zh-CN", Q, data.rules)), fake)
    assert (
        said == "不同单位类型的组之间，差异超出抽样误差（p < 0.05，4个分组变量的检验经Holm校正）。"
    )
    # a share as the PDF and the dashboard show it: an interval 30 points wide is left out
    from reports.wellbeing import ShareCell
    from reports.wellbeing_pdf import share_cell_text

    zh_labels = Labels("zh-CN", Q, data.rules)
    assert (
        share_cell_text(data, zh_labels, ShareCell(0.687, 0.665, 0.708, 40)) == "68.7（66.5–70.8）"
    )
    assert share_cell_text(data, zh_labels, ShareCell(0.803, 0.007, 1.0, 40, "", True)) == "80.3†"
    assert share_cell_text(data, zh_labels, ShareCell(0.1, 0.0, 0.2, 2, "small_cell")) == "—"
    en_labels = Labels("en", Q, data.rules)
    assert (
        share_cell_text(data, en_labels, ShareCell(0.687, 0.665, 0.708, 40)) == "68.7 (66.5–70.8)"
    )
    # nobody raised item 9: the groups are all published, but there is nothing to test
    calm = wellbeing_for_table(_table_of([(t, x) for t, x in spec if t != 20]), Q)
    flag_calm = calm.table("self_harm", "sex")
    assert flag_calm.test is None and all(not r.any_suppressed for r in flag_calm.rows)
    said = groups_test_text(calm, Labels("zh-CN", Q, calm.rules), flag_calm)
    assert said == "性别未做组间差异检验：各组的回答过于集中（例如全在同一类别），无法检验。"
    hand = wellbeing_for_table(_small_table(), Q, wave_name="hand")
    assert hand.table("phq9", "sex").test is None and hand.screen("phq9", "sex").test is None
    # not silent: the table says why it has no test
    said = groups_test_text(hand, Labels("zh-CN", Q, hand.rules), hand.table("phq9", "sex"))
    assert said == "性别未做组间差异检验：各格数字全部公布的组不足两个。"
    assert all(t["test"] is None for t in hand.to_dict()["tables"])


def test_a_domain_missing_from_the_table_is_noted() -> None:
    table = _small_table()
    del table["rank_band"]
    data = wellbeing_for_table(table, Q)
    assert "domain_missing:rank_band" in data.notes
    assert "rank_band" not in data.domains


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import datetime as dt

    out = tmp_path_factory.mktemp("mh-demo")
    return run_mental_health_demo(out, seed=11, generated=dt.date(2025, 11, 30))


def test_demo_recovers_the_known_truth(demo: Any) -> None:
    truth = demo.truth
    covered = total = 0
    for t in demo.data.tables:
        if t.by:
            continue
        for code, cell in zip(t.categories, t.total.cells, strict=True):
            value = truth[t.measure] if t.flag else truth[t.measure][code]
            total += 1
            covered += cell.ci_low <= value <= cell.ci_high
            assert abs(cell.estimate - value) < 0.03, (t.measure, code)
    assert total == 13 and covered >= 11


def test_demo_files_and_report(demo: Any, tmp_path: Path) -> None:
    files = demo.files
    assert set(files) >= {"units", "scored", "weights_job", "report_job", "estimates", "report"}
    assert files["units"].read_text(encoding="utf-8").startswith("\ufeffunit,label,quota")
    estimates = json.loads(files["estimates"].read_text(encoding="utf-8"))
    assert estimates["respondents"] == demo.respondents
    text = "".join(page.extract_text() for page in PdfReader(files["report"]).pages)
    # the summary states each positive screen with its figure and interval
    screen = demo.data.screen("phq9").total.cells[0]
    stated = (f"抑郁症状（PHQ-9）得分在10分及以上（筛查阳性）的比例为{100 * screen.estimate:.1f}%"
              f"（95%置信区间 {100 * screen.ci_low:.1f}–{100 * screen.ci_high:.1f}）")  # fmt: skip
    assert re.sub(r"\s+", "", stated) in re.sub(r"\s+", "", text), stated  # (line breaks)
    assert "不等于临床诊断" in text
    # and each screened scale's chapter gives it by group (not the work-stress scale)
    compact = re.sub(r"\s+", "", text)
    assert "抑郁症状（PHQ-9）得分10分及以上（筛查阳性）的比例，按分组（%）" in compact
    assert "焦虑症状（GAD-7）得分10分及以上（筛查阳性）的比例，按分组（%）" in compact
    assert "工作压力（自编，1–5分）得分" not in compact
    for needed in ("公务员心理健康状况调查（2025）评估报告", "模拟数据", "抑郁症状（PHQ-9）",
                   "焦虑症状（GAD-7）", "PHQ-9第9题", "方法说明", "互补隐藏", "12356"):  # fmt: skip
        assert needed in text, needed
    # kesu report reads the demo's report job and writes the same kind of report
    out = tmp_path / "again.pdf"
    result = CliRunner().invoke(main, ["report", str(files["report_job"]), "-o", str(out),
                                       "--lang", "en", "--date", "2025-11-30"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "PHQ-9 item 9 positive" in result.output
    english = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Depressive symptoms (PHQ-9)" in english and "complementary suppression" in english


def test_pdf_is_deterministic_and_names_every_table(demo: Any) -> None:
    once = build_wellbeing_pdf(demo.data, "zh-CN")
    assert once == build_wellbeing_pdf(demo.data, "zh-CN")
    reader = PdfReader(__import__("io").BytesIO(once))
    text = "".join(page.extract_text() for page in reader.pages)
    for domain in ("按单位类型分", "按职务职级分", "按年龄段分", "按性别分"):
        # PHQ-9, GAD-7, work stress: the contents, the heading and the table's title
        assert text.count(domain) == 9, domain
    for n in range(1, 16):  # numbered three-line tables
        assert f"表{n}" in text


def test_no_table_breaks_a_word_inside_itself(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every table of the mental-health report, in both languages: no word of a head or a
    cell is wider than its column (tests/reports/test_pdf.py has the literacy report's)."""
    import reports.wellbeing_pdf
    from reports.fonts import register_report_fonts

    from .test_pdf import _tables
    from .test_pdf import _words_too_wide

    stories: list[Any] = []
    monkeypatch.setattr(reports.wellbeing_pdf, "render_document",
                        lambda story, **kw: stories.append(story) or b"")  # fmt: skip
    fonts = register_report_fonts()
    for lang in ("zh-CN", "en"):
        build_wellbeing_pdf(demo.data, lang)
        tables = list(_tables(stories[-1]))
        assert len(tables) >= 15
        for table in tables:
            assert _words_too_wide(table, fonts) == [], lang


def test_interval_coverage_over_repeated_surveys() -> None:
    """20 simulated surveys of fresh rosters: the 95% intervals of the overall share of
    PHQ-9 'minimal', of a positive PHQ-9 screen (10 or more) and of item 9 positive cover
    the roster's true share (binomial: at
    least 16 of 20 when the true coverage is 95%, P(fail) < 2%)."""
    hits = {"minimal": 0, "flag": 0, "screen": 0}
    for seed in range(20):
        rng = np.random.default_rng(1000 + seed)
        roster = simulate_civil_servants(rng)
        records = simulate_mh_answers(Q, roster, rng)
        truth = population_truth(Q, records)
        cols = analysis_columns(Q, roster, records, simulate_participation(roster, rng))
        job = parse_job({
            "data": "x.csv",
            "design": {"weights": "base_weight", "strata": "stratum", "psu": "psu", "nest": True},
            "calibration": {"method": "raking", "margins": census_totals(roster), "max_iter": 200},
        })  # fmt: skip
        spec = ReportSpec(job=job, wave_name="sim")
        data = build_wellbeing_data(cols, Q, spec, domains=())
        minimal = data.table("phq9", "").total.cells[0]
        flag = data.table("self_harm", "").total.cells[0]
        hits["minimal"] += minimal.ci_low <= truth["phq9"]["minimal"] <= minimal.ci_high
        hits["flag"] += flag.ci_low <= truth["self_harm"] <= flag.ci_high
        screen = data.screen("phq9").total.cells[0]
        positive = sum(truth["phq9"][b] for b in ("moderate", "moderately_severe", "severe"))
        hits["screen"] += screen.ci_low <= positive <= screen.ci_high
        assert run_weighting(job, table_from_columns(cols, "sim")).steps[0].diagnostics.converged
    assert hits["minimal"] >= 16 and hits["flag"] >= 16 and hits["screen"] >= 16, hits


def test_default_job_for_a_web_wave_uses_the_units() -> None:
    table = _small_table()
    table["psu"] = np.array(["u1", "u2"] * 12)
    spec = ReportSpec(job=default_job(table, "w"), wave_name="w")
    data = build_wellbeing_data(table, Q, spec)
    assert data.units == 2 and spec.job.design.psu == ("psu",)
    assert not math.isnan(data.table("phq9", "").total.cells[0].estimate)
