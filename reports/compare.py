"""Comparisons the report states: the headline rate against reference rates, the gap
between two domains, and the observed age range of age-defined key groups.

Statistics come from :mod:`sampling` (``domain_difference``); the tests are the
ones the report's intervals invert (logit for a rate against a fixed reference,
Wald t with the design df for a difference; Lumley 2010, §2.4 and §5.2).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kesu.tables import Table
from questionnaires.model import Questionnaire
from reports.factors import EstimationContext
from reports.model import DomainRow
from reports.model import Verdict
from reports.model import domain_rows
from reports.spec import ReportSpec
from sampling.contrasts import domain_difference
from sampling.errors import SamplingError
from sampling.estimation import Design
from sampling.results import Estimate
from sampling.results import HypothesisTest
from sampling.tables import svy_chisq
from sampling.weighting.base import MarginCheck

logger = logging.getLogger(__name__)


def two_sided_p(estimate: float, se: float, df: float) -> float:
    """``2 P(T_df > |estimate / se|)`` (normal when df is not finite).

    Example:
        >>> round(two_sided_p(1.96, 1.0, math.inf), 3)
        0.05
    """
    if not (se > 0 and math.isfinite(estimate)):
        return math.nan
    from scipy import special  # t.sf(t, df) = stdtr(df, -t), norm.sf(t) = ndtr(-t): no scipy.stats

    t = abs(estimate / se)
    if math.isfinite(df) and df > 0:
        return float(2 * special.stdtr(df, -t))
    return float(2 * special.ndtr(-t))


def final_margins(
    margins: Mapping[str, Mapping[Any, float]], table: Table, weights: NDArray[np.float64]
) -> tuple[MarginCheck, ...]:
    """Weighted totals of the final weights against every calibration target.

    Computed here from the final weights, not taken from a step's diagnostics, so the
    methods appendix states the true margin errors whatever the steps did.

    Example:
        >>> final_margins({"sex": {"1": 10, "2": 12}}, table, w)[0].after  # doctest: +SKIP
        10.0
    """
    out = []
    for var, levels in margins.items():
        codes = np.array([str(v).strip() for v in table.labels(var, key=var).tolist()])
        for level, target in levels.items():
            total = float(weights[codes == str(level).strip()].sum())
            out.append(MarginCheck(var, str(level), float(target), math.nan, total))
    return tuple(out)


def verdicts(overall: DomainRow, spec: ReportSpec) -> tuple[Verdict, ...]:
    """The headline rate against each reference rate (:class:`reports.model.Verdict`).

    Example:
        >>> verdicts(data.overall, spec)[0].status  # doctest: +SKIP
        'same'
    """
    out = []
    p, se = overall.estimate, overall.se
    for c in spec.comparisons:
        if overall.suppressed or not (0 < p < 1 and se > 0 and 0 < c.rate < 1):
            continue
        t = (math.log(p / (1 - p)) - math.log(c.rate / (1 - c.rate))) / (se / (p * (1 - p)))
        pv = two_sided_p(t, 1.0, overall.df)
        status = (
            "above" if overall.ci_low > c.rate else "below" if overall.ci_high < c.rate else "same"
        )
        out.append(
            Verdict(
                c.key,
                c.rate,
                c.year,
                p,
                overall.ci_low,
                overall.ci_high,
                p - c.rate,
                pv,
                status,
                p >= c.rate,
            )
        )
    return tuple(out)


def domain_gap(est: Estimate, keys: Sequence[str]) -> tuple[DomainRow, float] | None:
    """First minus second domain of ``est`` (R's ``svycontrast``) and its two-sided p."""
    present = {str(next(iter(d.values()))) for d in est.domains}
    if len(keys) < 2 or not set(keys) <= present:
        return None
    name = next(iter(est.domains[0]))
    diff = domain_difference(est, {name: keys[0]}, {name: keys[1]})
    row = domain_rows(diff, None, 1)[0]
    return row, two_sided_p(row.estimate, row.se, row.df)


def group_ages(
    ctx: EstimationContext, q: Questionnaire, flags: Mapping[str, Any]
) -> dict[str, tuple[int, int]]:
    """Observed age range of each key group defined by age alone (its label says it)."""
    if not ctx.has("age"):
        return {}
    age = ctx.numeric("age")
    out = {}
    for g in q.groups:
        if g.id in flags and set(g.rule.names) == {"age"}:
            member = (flags[g.id] == 1) & np.isfinite(age)
            if member.any():
                out[g.id] = (int(np.min(age[member])), int(np.max(age[member])))
    return out


def groups_test(
    design: Design,
    values: NDArray[np.str_],
    by: NDArray[np.str_],
    groups: Sequence[str],
) -> HypothesisTest | None:
    """Rao-Scott F test that the category of ``values`` ('' none) is independent of the
    group ``by`` among ``groups`` (R: ``svychisq(~value + group, design)`` with the other
    groups' ``group`` set to NA; second order, Rao & Scott 1984). None with fewer than two
    groups or one category. The report tests only the groups it publishes: a test over a
    hidden group could help recover its figure.

    Example:
        >>> groups_test(design, bands, sex, ["1", "2"]).p                 # doctest: +SKIP
    """
    if len(groups) < 2:
        return None
    inside = np.isin(by, list(groups)) & (values != "")
    try:
        return svy_chisq(
            np.where(inside, values, ""), np.where(inside, by, ""), design, names=("value", "group")
        )
    except SamplingError as exc:  # one category only among them: nothing to test
        logger.info("no test of the groups: %s", exc)
        return None
