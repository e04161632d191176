"""The youth analysis: level shares recovered within their intervals, suppression, schools."""

from __future__ import annotations

import doctest
import io
import math

import numpy as np
import pytest
from pypdf import PdfReader

import reports.youth_model
import reports.youth_synthetic
from reports.youth import YouthResponse
from reports.youth import YouthRound
from reports.youth import analyse_youth
from reports.youth import seat_weights
from reports.youth_model import SUPPRESS_BELOW
from reports.youth_pdf import school_sheet_pdf
from reports.youth_round import simulate_youth_round
from reports.youth_synthetic import default_cuts_from_truth
from reports.youth_synthetic import load_youth_booklets
from reports.youth_synthetic import population_level_shares
from scoring.irt.vertical import DEFAULT_LEVELS

#: replications in CI; bench/bench_youth_coverage.py runs 200 (figures in its docstring)
COVERAGE_REPLICATIONS = 5


@pytest.fixture(scope="module")
def simulated():
    return simulate_youth_round(np.random.default_rng(11))


@pytest.fixture(scope="module")
def results(simulated):
    return analyse_youth(simulated.round, rng=np.random.default_rng(12))


def test_level_shares_are_recovered_within_their_intervals_over_repeated_simulations():
    """Each replication: a new population, sample, sessions and answers from the IRT truth;
    the 95% intervals of the 4 level shares of both grades must cover the population shares."""
    covered, checks, errors = 0, 0, []
    for rep in range(COVERAGE_REPLICATIONS):
        sim = simulate_youth_round(np.random.default_rng(900 + rep), staff=False)
        res = analyse_youth(sim.round, rng=np.random.default_rng(700 + rep), detail=False)
        truth = population_level_shares(sim.population)
        for g in res.grades:
            estimates = [s.estimate for s in g.overall.levels]
            assert sum(estimates) == pytest.approx(1.0)
            for k, stat in enumerate(g.overall.levels):
                checks += 1
                covered += stat.covers(float(truth[g.grade][k]))
                errors.append((stat.estimate - truth[g.grade][k]) / stat.se)
    assert checks == COVERAGE_REPLICATIONS * 2 * len(DEFAULT_LEVELS.codes)
    assert covered / checks >= 0.85
    # no systematic error: standardised errors centre on 0 with spread at most 1
    z = np.array(errors)
    assert abs(z.mean()) < 3 / math.sqrt(z.size) + 0.2
    assert z.std() < 1.2


def test_default_cut_scores_follow_the_documented_rule():
    assert default_cuts_from_truth(load_youth_booklets()) == dict(DEFAULT_LEVELS.cuts)


def test_results_structure(results, simulated):
    g4, g8 = results.grade("4"), results.grade("8")
    assert g4.scale.link_error == 0.0 and g8.scale.link_error > 0
    assert len(g8.scale.anchors) == 10 and g8.scale.items == 32
    assert g4.scale.reliability > 0.75
    assert g4.participation.absent > 0 and 0.85 < g4.participation.rate < 1.0
    assert g8.participation.respondents == g8.overall.n
    assert {b.variable for b in g4.breakdowns} == {"town", "school_type", "sex"}
    factors = {(b.source, b.variable) for b in g8.factors}
    assert {("student", "books"), ("principal", "clubs"), ("teacher", "hands_on")} <= factors
    towns = g4.breakdown("town")
    assert len(towns.rows) == 14 and all(not r.suppressed for r in towns.rows)
    # more books at home, higher scores (the simulated truth has it so)
    books = {r.key: r for r in g8.breakdown("books").rows if not r.suppressed}
    assert books["5"].mean_score.estimate > books["1"].mean_score.estimate
    assert 0 < g4.raw.mean < 100 and set(g4.raw.dimensions) == {
        "knowledge",
        "method",
        "spirit",
        "application",
    }
    sampled = {str(r["school_id"]) for r in simulated.sample.rows}
    assert {s.school_id for s in results.schools} == sampled


def test_small_domains_and_schools_are_suppressed(simulated):
    """A class where 9 students answer, and 6 students who live with 'other' people:
    the school and the factor cell get no figures; the published figures hold no school."""
    rnd = simulated.round
    target = str(rnd.classes[0]["class_id"])
    status = np.asarray(rnd.seats["status"]).astype(object)
    in_class = np.flatnonzero(np.asarray(rnd.seats["class_id"]) == target)
    status[in_class[SUPPRESS_BELOW - 1 :]] = "absent"  # 9 students answer
    grade = str(rnd.classes[0]["grade"])
    responses = list(rnd.responses)
    picked = [j for j, r in enumerate(responses) if f"-g{grade}-" in r.class_id][-6:]
    for j in picked:
        r = responses[j]
        responses[j] = YouthResponse(r.class_id, r.seat, {**r.answers, "lives_with": "other"})
    fields = {f: getattr(rnd, f) for f in rnd.__dataclass_fields__}
    thin = YouthRound(
        **{**fields, "seats": {**rnd.seats, "status": status}, "responses": tuple(responses)}
    )
    res = analyse_youth(thin, rng=np.random.default_rng(3), n_pv=2)
    school = str(rnd.classes[0]["school_id"])
    mine = res.schools_of(school)
    assert len(mine) == 1 and mine[0].n == SUPPRESS_BELOW - 1
    assert mine[0].suppressed and mine[0].mean_score is None and mine[0].levels == ()
    sheet = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(school_sheet_pdf(res, school))).pages
    )
    assert "不报告本校结果" in sheet and "本校平均量尺分" not in sheet
    others_ok = [s for s in res.schools if s.n >= SUPPRESS_BELOW]
    assert others_ok and all(not s.suppressed and s.mean_score is not None for s in others_ok)
    cell = {r.key: r for r in res.grade(grade).breakdown("lives_with").rows}["other"]
    assert cell.n == 6 and cell.suppressed and cell.levels == () and cell.mean_score is None
    for g in res.grades:
        for b in (*g.breakdowns, *g.factors):
            for row in b.rows:
                assert row.suppressed == (row.n < SUPPRESS_BELOW)
    assert "schools" not in res.to_dict()  # school results never go into the published figures
    assert len(res.to_dict(with_schools=True)["schools"]) == len(res.schools)


def test_absent_students_weights_go_to_their_classmates(simulated):
    seats = seat_weights(simulated.round)
    for cls in np.unique(seats["class_id"])[:5]:
        m = seats["class_id"] == cls
        base = seats["base_weight"][m]
        assert seats["weight"][m].sum() == pytest.approx(base.sum())
        assert np.all(seats["weight"][m][seats["responded"][m] == 0] == 0)


@pytest.mark.parametrize("module", [reports.youth_model, reports.youth_synthetic])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
