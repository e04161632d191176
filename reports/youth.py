"""The youth monitoring's analysis: weights, scaling, plausible values and level shares.

Input: a :class:`YouthRound` (the grade booklets, the class list of the
sample, the seats of every sampled class with what happened in its session,
the students' answers keyed by class and seat, and optionally the principal
and teacher questionnaires keyed by school and class). Steps:

1. **weights** (:func:`sampling.schools.absence_adjusted_weights`): class base
   weight ``1/(prob1 prob2)``, classes whose session never took place within
   grade x town, absent and refusing students within their class;
2. **scores**: each booklet scored on its 100-point scale (the raw view);
3. **scaling** (:mod:`scoring.irt`): each grade calibrated on its own (2PL, graded
   response model for the partial-credit items; students' weights; items not
   reached are missing, not wrong), grades chained through the anchor items
   and the base grade centred on its items (:func:`scoring.irt.vertical.link_grades`);
4. **plausible values**: ``n_pv`` draws per student from a latent regression on
   sex, town, school type, the background answers (with missing flags) and the
   school's mean percent correct (Mislevy 1991; the conditioning PISA and
   TIMSS use), so that group comparisons are not shrunk;
5. **estimates** (:func:`pv_statistic`): every statistic is computed once per
   plausible value with the survey design (schools as PSUs within town strata,
   certainty schools' classes as PSUs; Taylor linearisation) and combined by
   Rubin's rules; grades placed by linking also carry the linking error.

Domains with fewer than :data:`~reports.youth_model.SUPPRESS_BELOW` students are
suppressed in every output; a school's own results are computed for its
school sheet only (:mod:`reports.youth_pdf`).
"""

from __future__ import annotations

import logging

import numpy as np

from reports.youth_estimates import GradeScores
from reports.youth_estimates import domain_estimates
from reports.youth_estimates import factor_breakdowns
from reports.youth_estimates import participation
from reports.youth_estimates import pv_statistic
from reports.youth_estimates import raw_view
from reports.youth_estimates import school_results
from reports.youth_model import GradeResults
from reports.youth_model import ScaleInfo
from reports.youth_model import YouthBreakdown
from reports.youth_model import YouthResults
from reports.youth_scaling import BACKGROUND_ITEMS
from reports.youth_scaling import RESPONDENT_STATUSES
from reports.youth_scaling import GradeData
from reports.youth_scaling import YouthResponse
from reports.youth_scaling import YouthRound
from reports.youth_scaling import conditioning_matrix
from reports.youth_scaling import draw_scores
from reports.youth_scaling import grade_data
from reports.youth_scaling import scale_grades
from reports.youth_scaling import seat_weights
from scoring.irt import empirical_reliability
from scoring.irt import estimate_ability
from scoring.irt.vertical import DEFAULT_LEVELS
from scoring.irt.vertical import ProficiencyLevels
from scoring.irt.vertical import ReportingScale

logger = logging.getLogger(__name__)

__all__ = [
    "BACKGROUND_ITEMS",
    "RESPONDENT_STATUSES",
    "GradeData",
    "YouthResponse",
    "YouthRound",
    "analyse_youth",
    "conditioning_matrix",
    "draw_scores",
    "grade_data",
    "pv_statistic",
    "scale_grades",
    "seat_weights",
]


def analyse_youth(
    rnd: YouthRound,
    *,
    rng: np.random.Generator,
    levels: ProficiencyLevels = DEFAULT_LEVELS,
    scale: ReportingScale | None = None,
    n_pv: int = 5,
    at_least: int = 1,
    detail: bool = True,
) -> YouthResults:
    """The whole youth analysis (see the module docstring); ``detail=False`` skips the
    breakdowns, factors and schools (what the coverage simulation needs)."""
    scale = scale or ReportingScale()
    seats = seat_weights(rnd)
    data = grade_data(rnd, seats)
    order = [g for g in rnd.booklets if g in data]
    vertical = scale_grades(data, order)
    names = {str(r["school_id"]): str(r.get("school_name", r["school_id"])) for r in rnd.classes}
    grades, schools = [], []
    for g in order:
        d = data[g]
        params = vertical.params[g]
        gs = GradeScores(
            d, draw_scores(d, params, scale, rng, n_pv), vertical.link_error[g] * scale.sd
        )
        overall = domain_estimates(gs, levels, at_least, None)[0]
        breakdowns: list[YouthBreakdown] = []
        factors: list[YouthBreakdown] = []
        if detail:
            q = rnd.booklets[g]
            for var, label in (
                ("town", ("镇街", "Town/street")),
                ("school_type", ("学校类型", "School type")),
                ("sex", ("性别", "Sex")),
            ):
                breakdowns.append(
                    YouthBreakdown(
                        var, label, tuple(domain_estimates(gs, levels, at_least, d.columns[var]))
                    )
                )
            factors = factor_breakdowns(gs, q, rnd, levels, at_least)
            towns = {
                r.key: r.mean_score.estimate for r in breakdowns[0].rows if r.mean_score is not None
            }
            schools += school_results(gs, levels, at_least, seats, names, towns, overall)
        eap = estimate_ability(d.items, params)
        lk = vertical.linkings[g]
        st = vertical.stability.get(g)
        info = ScaleInfo(
            lk.slope,
            lk.intercept,
            st.item_ids if st else (),
            st.drifting if st else (),
            gs.link_points,
            d.items.shape[1],
            empirical_reliability(eap, d.columns["weight"]),
        )
        grades.append(
            GradeResults(
                g,
                overall,
                tuple(breakdowns),
                tuple(factors),
                raw_view(d),
                participation(seats, g),
                info,
            )
        )
    return YouthResults(
        tuple(grades), tuple(schools), levels, scale, at_least, n_pv, rnd.synthetic, rnd.year
    )
