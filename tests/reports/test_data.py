"""ReportData holds exactly what the sampling/scoring estimators give for the table."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from reports.data import build_report_data
from reports.errors import ReportError
from reports.model import WaveEstimates
from reports.spec import ReportSpec
from reports.spec import default_job
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling import svy_mean
from sampling import svy_proportion
from sampling import wave_difference
from sampling.job import parse_job

from .conftest import REPORT_DATE


def _design(table):
    return SurveyDesign(
        weights=np.asarray(table["weight"], dtype=float),
        strata=table["stratum"],
        psu=[table["psu"]],
        nest=True,
        lonely_psu=LonelyPSU.ADJUST,
    )


@pytest.fixture(scope="module")
def spec(table):
    return ReportSpec(job=default_job(table), wave_name="test-2025", survey_year=2025)


@pytest.fixture(scope="module")
def data(table, questionnaire, spec):
    return build_report_data(table, questionnaire, spec, generated=REPORT_DATE)


def test_overall_and_towns_equal_the_estimator(table, data):
    design = _design(table)
    y = table["literate"].astype(float)
    overall = svy_proportion(y, design)
    assert data.overall.estimate == pytest.approx(overall.estimate[0], rel=1e-12)
    assert data.overall.se == pytest.approx(overall.se[0], rel=1e-12)
    low, high = overall.confint()
    assert (data.overall.ci_low, data.overall.ci_high) == pytest.approx((low[0], high[0]))
    towns = svy_proportion(y, design, by={"town": table["town"]})
    tlow, thigh = towns.confint()
    for i, dom in enumerate(towns.domains):
        row = data.towns.row(dom["town"])
        assert row.estimate == pytest.approx(towns.estimate[i], rel=1e-12)
        assert row.ci_low == pytest.approx(tlow[i], rel=1e-12)
        assert row.ci_high == pytest.approx(thigh[i], rel=1e-12)
        assert row.n == towns.n[i]
        assert row.deff == pytest.approx(towns.deff[i], rel=1e-12)


def test_equal_weights_srs_gives_the_plain_share(table, questionnaire):
    # closed form: equal weights, no clusters -> the estimate is the sample share
    plain = {k: v for k, v in table.items() if k not in ("weight", "psu", "stratum")}
    data = build_report_data(plain, questionnaire, ReportSpec(job=default_job(plain)))
    assert data.overall.estimate == pytest.approx(table["literate"].mean(), rel=1e-12)
    assert "unweighted" in data.notes and data.design.unweighted
    n = len(table["literate"])
    p = table["literate"].mean()
    # SRS with replacement: var = p(1-p)/(n-1) (each respondent its own PSU)
    assert data.overall.se == pytest.approx(math.sqrt(p * (1 - p) / (n - 1)), rel=1e-9)


def test_groups_are_domains_of_the_full_design(table, data, questionnaire):
    design = _design(table)
    y = table["literate"].astype(float)
    for g in questionnaire.groups:
        member = np.where(table[f"group_{g.id}"] == 1, "1", "0")
        est = svy_proportion(y, design, by={"m": member}).select(m="1")
        row = data.groups.row(g.id)
        assert row.estimate == pytest.approx(est.estimate[0], rel=1e-12)
        assert row.se == pytest.approx(est.se[0], rel=1e-12)
        assert row.n == est.n[0]


def test_levels_partition_and_match_literacy(data, questionnaire):
    shares = [r.estimate for r in data.levels.rows]
    assert sum(shares) == pytest.approx(1.0, abs=1e-12)
    literate_levels = [lv.code for lv in questionnaire.scoring.levels if lv.minimum >= 70]
    literate = sum(data.levels.row(c).estimate for c in literate_levels)
    assert literate == pytest.approx(data.overall.estimate, abs=1e-12)


def test_dimension_profile_is_the_mean_percent_of_max(table, data, questionnaire):
    design = _design(table)
    for dim in questionnaire.scoring.dimensions:
        y = 100 * table[f"score_{dim.id}"] / dim.maximum
        est = svy_mean(y, design)
        assert data.dimensions[dim.id].rows[0].estimate == pytest.approx(est.estimate[0])


def test_factor_shares_and_literacy_by_choice(table, data):
    design = _design(table)
    f = next(x for x in data.factors if x.item == "channels")
    chose_tv = np.array([("tv" in v.split(";")) if v else np.nan for v in table["channels"]],
                        dtype=float)  # fmt: skip
    share = svy_proportion(chose_tv, design, na_rm=True)
    assert f.shares.row("tv").estimate == pytest.approx(share.estimate[0], rel=1e-12)
    lit = svy_proportion(
        table["literate"].astype(float), design, by={"m": np.where(chose_tv == 1, "1", "0")}
    ).select(m="1")
    assert f.literacy_yes.row("tv").estimate == pytest.approx(lit.estimate[0], rel=1e-12)


def test_adjusted_odds_ratios_are_svy_glm_with_the_controls(table, data):
    """The factor's adjusted ORs are exp(coef) of the survey logistic regression."""
    from sampling.glm import svy_glm

    design = _design(table)
    f = next(x for x in data.factors if x.item == "events")
    assert data.adjusted_for == ("age_band", "education", "urban")
    answered = np.array([bool(v) for v in table["events"]])
    choice = np.array([v if v else None for v in table["events"]], dtype=object)
    age = table["age"].astype(float)
    band = np.full(age.shape, None, dtype=object)
    for label, lo, hi in (("18-29", 18, 29), ("30-39", 30, 39), ("40-49", 40, 49),
                          ("50-59", 50, 59), ("60-69", 60, 69)):  # fmt: skip
        band[(age >= lo) & (age <= hi)] = label
    ref = f.adjusted.rows[0].key
    assert f.adjusted.rows[0].estimate == 1.0 and "reference" in f.adjusted.rows[0].flags
    cols = {
        "literate": table["literate"].astype(float),
        "choice": choice,
        "age_band": band,
        "education": table["education"].astype(object),
        "urban": table["urban"].astype(object),
    }
    term = f'C(choice, Treatment(reference="{ref}"))'
    model = svy_glm(
        f"literate ~ {term} + C(age_band) + C(education) + C(urban)", cols, design,
        family="binomial",
    )  # fmt: skip
    ors = model.odds_ratios()
    low, high = ors.confint()
    names = [d["term"] for d in ors.domains]
    for row in f.adjusted.rows[1:]:
        i = next(j for j, nm in enumerate(names) if nm.endswith(f"[T.{row.key}]"))
        assert row.estimate == pytest.approx(ors.estimate[i], rel=1e-9)
        assert (row.ci_low, row.ci_high) == pytest.approx((low[i], high[i]), rel=1e-9)
    assert f.adjusted_test.p == pytest.approx(model.wald_test(term).p, rel=1e-9)
    assert answered.sum() == f.answered


def test_median_scores_are_svy_quantile(table, data, questionnaire):
    from sampling.quantiles import svy_quantile

    design = _design(table)
    score = table["score_total"].astype(float)
    overall = svy_quantile(score, design, [0.5])
    assert data.median_scores.rows[0].key == ""
    assert data.median_scores.rows[0].estimate == overall.estimate[0]
    assert data.median_scores.rows[0].ci_low == overall.confint()[0][0]
    g = questionnaire.groups[0].id
    flag = table[f"group_{g}"]
    q = svy_quantile(score, design, [0.5], by={"m": np.where(flag == 1, "1", "0")}).select(m="1")
    row = next(r for r in data.median_scores.rows if r.key == g)
    assert row.estimate == q.estimate[0] and row.se == pytest.approx(q.se[0], rel=1e-12)


def test_change_since_previous_wave(table, table_factory, questionnaire, spec, data):
    earlier = table_factory(900, 5)
    prev = build_report_data(earlier, questionnaire, spec).wave_estimates
    prev = dataclasses.replace(prev, wave="test-2023", year=2023)
    again = build_report_data(table, questionnaire, spec, previous=[prev])
    diff = wave_difference(data.overall_estimate, prev.overall)
    ch = again.change
    assert ch is not None and ch.previous_year == 2023
    assert ch.difference.estimate == pytest.approx(diff.estimate[0], rel=1e-12)
    t = abs(diff.estimate[0] / diff.se[0])
    assert ch.p_value == pytest.approx(2 * stats.t.sf(t, diff.df[0]), rel=1e-9)
    assert [p.year for p in again.trend] == [2023, 2025]


def test_wave_estimates_round_trip(data):
    back = WaveEstimates.from_dict(data.wave_estimates.to_dict())
    assert back.overall.estimate == pytest.approx(data.overall_estimate.estimate)
    np.testing.assert_allclose(back.overall.vcov, data.overall_estimate.vcov)
    assert back.towns.domains == data.towns_estimate.domains
    assert set(back.groups) == set(data.wave_estimates.groups)


def test_suppression_and_marking_rules(table_factory, questionnaire):
    small = table_factory(40, 3)
    spec = ReportSpec(job=default_job(small), wave_name="tiny", suppress_below=10)
    data = build_report_data(small, questionnaire, spec)
    for row in data.towns.rows:
        assert row.suppressed == (row.n < 10)
        if row.n and row.n < 30:
            assert row.unreliable and "small_n" in row.flags
    assert any(r.suppressed for r in data.towns.rows)


def test_the_towns_test_leaves_out_the_towns_too_small_to_publish(table_factory, questionnaire):
    """300 respondents over 14 towns with suppress_below 25: some towns are hidden, the
    others are tested, and the sentence under the table names the hidden ones."""
    from reports.labels import Labels
    from reports.sections import groups_test_text

    small = table_factory(300, 5)
    spec = ReportSpec(job=default_job(small), wave_name="small", suppress_below=25)
    data = build_report_data(small, questionnaire, spec)
    hidden = [r.key for r in data.towns.rows if r.suppressed and r.n > 0]
    shown = [r.key for r in data.towns.rows if not r.suppressed]
    assert hidden and len(shown) >= 2 and data.towns.test is not None
    assert list(data.towns.tested) == shown
    lab = Labels("zh-CN", questionnaire, data.rules)
    names = {r.key: lab.option_label("town", r.key) for r in data.towns.rows}
    text = groups_test_text(lab, data.towns, names)
    assert "样本不足、未列出比例的" + "、".join(names[k] for k in hidden) + "不参加检验" in text


def test_lonely_psu_fail_falls_back_to_adjust_and_says_so(table_factory, questionnaire):
    small = table_factory(30, 4)
    job = parse_job({"wave": "tiny", "design": {"weights": "weight", "strata": "stratum",
                                                "psu": "psu", "nest": True}})  # fmt: skip
    data = build_report_data(small, questionnaire, ReportSpec(job=job))
    assert any(n.startswith("lonely_psu_adjusted:") for n in data.notes)
    assert data.design.lonely_psu == "adjust"


def test_rejected_rows_are_left_out(table, questionnaire, spec, data):
    marked = dict(table)
    rejected = np.zeros(len(table["literate"]), dtype=np.int8)
    rejected[:100] = 1
    marked["rejected"] = rejected
    out = build_report_data(marked, questionnaire, spec)
    assert out.overall.n == data.overall.n - 100
    assert "rejected:100" in out.notes


def test_errors_name_the_problem(table, questionnaire, spec):
    with pytest.raises(ReportError, match="no respondents"):
        build_report_data({k: v[:0] for k, v in table.items()}, questionnaire, spec)
    no_scores = {k: v for k, v in table.items() if k != "literate"}
    with pytest.raises(ReportError, match="'literate'"):
        build_report_data(no_scores, questionnaire, spec)


def test_item_analysis_uses_the_final_weights(table, data):
    items = data.items
    assert items is not None and items.k == 50
    w = np.asarray(table["weight"], dtype=float)
    p = np.average(table["item_K01"] / 2.0, weights=w)
    assert items.difficulty[0] == pytest.approx(p, rel=1e-12)


def test_dashboard_figures_are_strict_json(data):
    import json

    text = json.dumps(data.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["overall"]["estimate"] == pytest.approx(data.overall.estimate)
    assert [r["key"] for r in back["towns"]["rows"]] == [r.key for r in data.towns.rows]
    assert back["fingerprint"]["rows"] == data.design.n


def test_report_data_for_table_defaults(table, questionnaire):
    from reports.api import infer_survey_year
    from reports.api import report_data_for_table

    assert infer_survey_year(table) == 2025
    data = report_data_for_table(table, questionnaire, wave_name="w")
    assert data.spec.wave_name == "w" and data.spec.survey_year == 2025
    empty = hashlib.sha256(b"").hexdigest()
    assert data.fingerprint.job_hash != empty  # the default job is fingerprinted
    as_text = dict(table)
    as_text["rejected"] = np.where(np.arange(len(table["literate"])) < 3, "1", "0")
    assert report_data_for_table(as_text, questionnaire).overall.n == len(table["literate"]) - 3


def test_a_control_level_where_nobody_is_literate_is_left_out_of_the_adjusted_model():
    """Quasi-complete separation: R's svyglm on the subset design without those rows.

    apistrat with y = api00 > 750, item ``awards`` and controls ``stype`` and meals in
    five bands: nobody in the bands m4 (60-80%) and m5 (80-100%) has y = 1. On the full
    data R warns "fitted probabilities numerically 0 or 1 occurred" and runs those two
    coefficients off to about -21.7 while the others reach their limit (awardsYes
    0.770541409690629 on the full data, 0.770541409103659 without the rows).
    """
    from types import SimpleNamespace

    from reports.factors import adjusted_odds_ratios
    from reports.factors import separating_levels
    from reports.model import SeparatedLevel
    from sampling.results import DEFAULT_RELIABILITY

    with (Path(__file__).parents[1] / "sampling" / "data" / "apistrat.csv").open() as fh:
        body = list(csv.DictReader(fh))
    st = {k: np.array([r[k] for r in body]) for k in ("stype", "awards")}
    st.update({k: np.array([float(r[k]) for r in body]) for k in ("api00", "meals", "pw", "fpc")})
    y = (st["api00"] > 750).astype(float)
    meals = st["meals"]
    band = np.select([meals <= 20, meals <= 40, meals <= 60, meals <= 80],
                     ["m1", "m2", "m3", "m4"], "m5").astype(object)  # fmt: skip
    design = SurveyDesign(weights=st["pw"], strata=st["stype"], fpc=st["fpc"])
    ctx = SimpleNamespace(
        spec=SimpleNamespace(suppress_below=0, level=0.95), design=design,
        reliability=DEFAULT_RELIABILITY,
    )  # fmt: skip
    ind = {c: (st["awards"] == c).astype(float) for c in ("No", "Yes")}
    controls = {"stype": st["stype"].astype(object), "meals_band": band}
    rows, test, note, separated = adjusted_odds_ratios(
        ctx, "awards", ["No", "Yes"], ind, False, y, controls
    )
    assert note == ""
    assert separated == (
        SeparatedLevel("meals_band", "m4", 37, 0),
        SeparatedLevel("meals_band", "m5", 27, 0),
    )
    yes = rows.row("Yes")
    # R: sub <- svyglm(y ~ awards + stype + mb, subset(dstrat, !(mb %in% c("m4","m5"))),
    #                  family=quasibinomial, control=glm.control(epsilon=1e-14, maxit=100))
    # (R's default epsilon 1e-8 stops early: its SE is then off by 8e-6 relative)
    # exp(coef(sub)["awardsYes"]); exp(confint(sub, df=degf(sub$survey.design) - 6 + 1))
    assert yes.estimate == pytest.approx(2.1609358887614882, rel=1e-9)
    assert (yes.ci_low, yes.ci_high) == pytest.approx(
        (0.64896500972516458, 7.19552494411831400), rel=1e-9
    )
    assert yes.df == 128
    # regTermTest(sub, ~awards): F = 1.6064496258614327 on 1 and 128 df, p = 0.207292566571539
    assert test.f == pytest.approx(1.6064496258614327, rel=1e-9)
    assert (test.df1, test.df2) == (1, 128)
    assert test.p == pytest.approx(0.207292566571539, rel=1e-9)
    # an item with one option chosen has nothing to compare (the levels are still named)
    only_no = {"No": np.ones(y.size), "Yes": np.zeros(y.size)}
    none = adjusted_odds_ratios(ctx, "awards", ["No", "Yes"], only_no, False, y, controls)
    assert none[:3] == (None, None, "one_option") and none[3] == separated
    # a level is checked again after a removal; an all-1 level is found too
    flip = separating_levels(1.0 - y, controls, np.ones(y.size, dtype=bool))
    assert [(s.level, s.outcome) for s in flip] == [("m4", 1), ("m5", 1)]


def test_each_breakdown_tests_its_published_groups_with_rao_scott(table, data):
    """The literacy rate by sex, age band, education, urban/rural and town: the Rao-Scott
    F test over the groups whose rate is published is svy_chisq (R's svychisq, tested
    against R in tests/sampling) of literate by the variable with the other groups blank."""
    from sampling.tables import svy_chisq

    design = _design(table)
    literate = np.where(table["literate"].astype(float) == 1, "1", "0")
    tested = 0
    for bd in (*data.breakdowns, data.towns):
        shown = tuple(r.key for r in bd.rows if r.n > 0 and not r.suppressed)
        if bd.test is None:
            assert len(shown) < 2, bd.name
            continue
        assert bd.tested == shown
        if bd.name == "age_band":
            age = table["age"].astype(float)
            by = np.select([age < 30, age < 40, age < 50, age < 60, age < 70],
                           ["18-29", "30-39", "40-49", "50-59", "60-69"], "")  # fmt: skip
        else:
            by = np.asarray(table[bd.name]).astype(str)
        keep = np.isin(by, list(shown))
        direct = svy_chisq(np.where(keep, literate, ""), np.where(keep, by, ""), design)
        assert (bd.test.f, bd.test.df1, bd.test.df2, bd.test.p) == pytest.approx(
            (direct.f, direct.df1, direct.df2, direct.p), rel=1e-10
        ), bd.name
        assert bd.to_dict()["test"]["p"] == bd.test.p
        tested += 1
    assert tested >= 4
