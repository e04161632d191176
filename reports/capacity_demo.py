"""A simulated history of capacity reporting rounds for the demo (synthetic figures).

Rounds 2021-2024 were reported and accepted on time; in the 2025 round (due 2026-01-31)
two units report late (市文化和广电旅游体育局, 佛堂镇), two are returned once with a
reason and accepted after correcting (市人力社保局, 市科技局), one submission still waits
for review (市委老干部局) and one unit has not reported (稠城街道: its figures are missing,
never 0). 市教育局 reports the youth monitoring as held, as the report's youth chapter
presents its results (it once left it blank, "results not out yet", beside that chapter).
``kesu demo`` writes these rounds to a file the report reads; ``make run`` stores them
through the web survey's services (``survey/capacity/demo.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from reports.capacity import CapacityPlan
from reports.capacity_round import EnteredValue
from reports.capacity_round import RoundRecord
from reports.capacity_round import Submission
from reports.capacity_round import SubmissionStatus

#: city totals by year 2021..2025 (cumulative: running totals; stock: counts; annual: the year)
TOTALS: dict[str, tuple[float, ...]] = {
    "rural_talents": (7200, 15300, 23900, 32600, 40500),
    "vocational_training": (19000, 39000, 60000, 80000, 98000),
    "elderly_trained": (14000, 30000, 46000, 62000, 76000),
    "kepu_bases": (96, 112, 126, 140, 152),
    "volunteer_teams": (8, 10, 12, 14, 15),
    "volunteers": (800, 1000, 1200, 1350, 1480),
    "kepu_events": (80, 90, 100, 105, 110),
    "scientist_spirit_bases": (4, 6, 8, 10, 12),
    "youth_monitoring": (0, 1, 1, 1, 1),
    "kepu_funds": (500, 560, 620, 700, 760),
    "kepu_media": (150, 190, 230, 270, 310),
}
#: each reporter's share of the city total (the first reporter takes the remainder)
SHARES: dict[str, Mapping[str, float]] = {
    "elderly_trained": {"lgb": 0.2},
    "kepu_bases": {"kjj": 0.3},
    "volunteer_teams": {"tsw": 0.4},
    "volunteers": {"tsw": 0.3},
    "kepu_events": {"wgl": 0.3, "jyj": 0.2},
    "scientist_spirit_bases": {"zj_cc": 0.1, "zj_fc": 0.1},
    "kepu_funds": {"kx": 0.3},
    "kepu_media": {"kx": 0.4},
}
YEARS = (2021, 2022, 2023, 2024, 2025)
#: the 2025 round: unit -> (first submission, returned with this reason or "", accepted?)
EVENTS_2025: dict[str, tuple[str | None, str, bool]] = {
    "wgl": ("2026-02-10", "", True),
    "zj_fc": ("2026-02-14", "", True),
    "rsj": ("2026-01-20", "职业技能培训人次与人社系统台账不一致，请核对后重报", True),
    "kjj": ("2026-01-25", "科普基地数比上年减少，未附认定文件，请补充说明", True),
    "lgb": ("2026-01-28", "", False),
    "zj_cc": (None, "", False),
}
DEMO_DUE = dt.date(2026, 1, 31)
#: the report evaluates the 2025 round after its late units came in
DEMO_TODAY = dt.date(2026, 2, 20)


def unit_values(plan: CapacityPlan, unit: str, k: int) -> dict[str, EnteredValue]:
    """Unit ``unit``'s figures of year ``YEARS[k]`` (its share of the city total, rounded)."""
    out = {}
    for ind in plan.indicators_of(unit):
        total = TOTALS[ind.id][k]
        shares = SHARES.get(ind.id, {})
        if unit in shares:
            value: float = round(total * shares[unit])
        else:
            value = total - sum(round(total * s) for s in shares.values())
        out[ind.id] = EnteredValue(float(value), "示例数据")
    return out


def _at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), dt.UTC)


def demo_rounds(plan: CapacityPlan) -> tuple[RoundRecord, ...]:
    """The simulated rounds 2021-2025 (module docstring)."""
    reporters = [u.code for u in plan.units if plan.indicators_of(u.code)]
    rounds = []
    for k, year in enumerate(YEARS):
        subs: list[Submission] = []
        due = dt.date(year + 1, 1, 31)
        for unit in reporters:
            values = unit_values(plan, unit, k)
            if year < 2025:
                sent = _at(f"{year + 1}-01-15")
                subs.append(
                    Submission(
                        unit,
                        1,
                        SubmissionStatus.ACCEPTED,
                        values,
                        sent,
                        sent + dt.timedelta(days=3),
                    )
                )
                continue
            first, reason, accepted = EVENTS_2025.get(unit, ("2026-01-18", "", True))
            if first is None:
                continue
            sent = _at(first)
            if reason:
                wrong = {
                    i: EnteredValue(None if e.value is None else e.value * 0.8, e.note)
                    for i, e in values.items()
                }
                subs.append(
                    Submission(
                        unit,
                        1,
                        SubmissionStatus.RETURNED,
                        wrong,
                        sent,
                        sent + dt.timedelta(days=2),
                        reason,
                    )
                )
                again = sent + dt.timedelta(days=6)
                values = {i: EnteredValue(e.value, "已按台账核对更正") for i, e in values.items()}
                subs.append(
                    Submission(
                        unit,
                        2,
                        SubmissionStatus.ACCEPTED,
                        values,
                        again,
                        again + dt.timedelta(days=1),
                    )
                )
            elif accepted:
                subs.append(
                    Submission(
                        unit,
                        1,
                        SubmissionStatus.ACCEPTED,
                        values,
                        sent,
                        sent + dt.timedelta(days=2),
                    )
                )
            else:
                subs.append(Submission(unit, 1, SubmissionStatus.SUBMITTED, values, sent))
        rounds.append(RoundRecord(f"{year}年度", year, due, tuple(subs), closed=year < 2025))
    return tuple(rounds)
