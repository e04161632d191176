"""``kesu demo --survey mental-health``: the civil servants' mental-health survey on a
synthetic population, from unit links to the PDF, without a server. **All data are
synthetic** (模拟数据): no real unit, person or answer.

Stages: a synthetic roster of Yiwu's civil servants (units of six types, with sex, age
band and rank band; unit sizes and shares are invented, plausible) -> each unit gets
an anonymous unit link whose quota is its head count (``units.csv``, the file ``kesu
wave units`` reads) -> simulated participation (it varies by unit type, age and rank)
and answers to the bundled questionnaire from a latent model (depression, anxiety and
work stress correlated; item thresholds tuned to plausible screening rates) -> scales
scored with :func:`scoring.score_scales` -> a weighting job (unit-level base weight
head count / completes, raked to the roster's sex, age-band and rank-band totals;
units as PSUs within unit-type strata) -> :func:`reports.wellbeing.build_wellbeing_data`
-> ``report.pdf``. Because every person of the roster is simulated, the population's
true shares are known (``truth.json``): the tests check the estimates against them.

This module is an edge (it writes files). The simulation itself is
:func:`simulate_civil_servants` and :func:`simulate_mh_answers` (pure).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from reports.demo import _write_yaml
from reports.demo import write_columns
from reports.synthetic import YIWU_TOWNS
from scoring.scales import score_scales

logger = logging.getLogger(__name__)

MENTAL_HEALTH_QUESTIONNAIRE = QUESTIONNAIRE_DIR / "civil-servant-mh-2025.yaml"
STAGES = ("roster", "answers", "scoring", "weighting", "report")
DEMO_WAVE = "civil-servants-mh-2025"
DEMO_YEAR = 2025

#: unit types: (code, number of units, mean head count) of the synthetic roster
UNIT_TYPES: tuple[tuple[str, int, float], ...] = (
    ("party", 9, 38.0),
    ("gov", 26, 52.0),
    ("npc_cppcc", 2, 24.0),
    ("judicial", 2, 110.0),
    ("town", len(YIWU_TOWNS), 58.0),
    ("referred", 8, 30.0),
)
_UNIT_NAMES = {
    "party": (
        "市委办公室",
        "市委组织部",
        "市委宣传部",
        "市委统战部",
        "市委政法委",
        "市纪委市监委",
        "市直机关工委",
        "市委编办",
        "市委网信办",
    ),
    "gov": (
        "市政府办公室",
        "市发展和改革局",
        "市教育局",
        "市科学技术局",
        "市经济和信息化局",
        "市公安局",
        "市民政局",
        "市司法局",
        "市财政局",
        "市人力资源和社会保障局",
        "市自然资源和规划局",
        "市生态环境分局",
        "市住房和城乡建设局",
        "市交通运输局",
        "市水务局",
        "市农业农村局",
        "市商务局",
        "市文化和广电旅游体育局",
        "市卫生健康局",
        "市退役军人事务局",
        "市应急管理局",
        "市审计局",
        "市市场监督管理局",
        "市统计局",
        "市医疗保障局",
        "市综合行政执法局",
    ),
    "npc_cppcc": ("市人大常委会办公室", "市政协办公室"),
    "judicial": ("市人民法院", "市人民检察院"),
    "referred": (
        "市档案馆",
        "市供销合作社",
        "市机关事务管理中心",
        "市社会保险中心",
        "市公共资源交易中心",
        "市科协",
        "市总工会",
        "团市委",
    ),
}
#: participation probability by unit type (synthetic): the units differ in how hard
#: their heads push the link, which the unit-level base weight corrects
PARTICIPATION = {
    "party": 0.80,
    "gov": 0.72,
    "npc_cppcc": 0.85,
    "judicial": 0.62,
    "town": 0.66,
    "referred": 0.78,
}


@dataclass(frozen=True)
class Roster:
    """The synthetic civil servants: one entry per person, and the units."""

    unit: NDArray[np.str_]
    unit_type: NDArray[np.str_]
    sex: NDArray[np.str_]
    age_band: NDArray[np.str_]
    rank_band: NDArray[np.str_]
    units: tuple[tuple[str, str, str, int], ...]  # (code, label, type, head count)

    @property
    def n(self) -> int:
        return int(self.unit.shape[0])


def simulate_civil_servants(rng: np.random.Generator) -> Roster:
    """A synthetic roster of Yiwu's civil servants (about 3,000 people in 61 units).

    Example:
        >>> roster = simulate_civil_servants(np.random.default_rng(1))
        >>> roster.n > 2000 and len(roster.units) == 61
        True
    """
    units: list[tuple[str, str, str, int]] = []
    for code, count, mean in UNIT_TYPES:
        names = [t.name for t in YIWU_TOWNS] if code == "town" else list(_UNIT_NAMES[code])
        sizes = np.maximum(np.round(rng.lognormal(np.log(mean), 0.45, size=count)), 6)
        for k in range(count):
            units.append((f"{code}{k + 1:02d}", names[k], code, int(sizes[k])))
    unit = np.repeat([u[0] for u in units], [u[3] for u in units])
    unit_type = np.repeat([u[2] for u in units], [u[3] for u in units])
    n = unit.shape[0]
    sex = np.where(rng.random(n) < 0.62, "1", "2")
    age_band = rng.choice(["u30", "a30", "a40", "a50"], size=n, p=[0.16, 0.31, 0.29, 0.24])
    # rank rises with age
    p_section = {"u30": 0.12, "a30": 0.45, "a40": 0.62, "a50": 0.60}
    p_division = {"u30": 0.0, "a30": 0.03, "a40": 0.12, "a50": 0.22}
    u = rng.random(n)
    sec = np.array([p_section[a] for a in age_band])
    div = np.array([p_division[a] for a in age_band])
    rank_band = np.where(u < div, "division", np.where(u < div + sec, "section", "clerk"))
    return Roster(unit, unit_type, sex, age_band, rank_band, tuple(units))


def _ordinal(latent: NDArray[np.float64], thresholds: NDArray[np.float64]) -> NDArray[np.int64]:
    """Number of thresholds below each latent value (0..len(thresholds))."""
    return np.asarray((latent[:, None] > thresholds[None, :]).sum(axis=1), dtype=np.int64)


def simulate_mh_answers(
    q: Questionnaire, roster: Roster, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Answers of every person of the roster to the mental-health questionnaire.

    Latent depression ``d``, anxiety ``a`` (correlation 0.7) and work stress ``s`` (0.5
    with both) are standard normal plus small synthetic group effects (town offices
    and the youngest a little higher, division level lower); each item answer is the
    number of its thresholds the item's latent value (latent + N(0, 0.8²)) exceeds.
    The thresholds give plausible screening rates (PHQ-9 ≥ 10 about 10%, item 9
    positive about 4%); they are invented, not estimates of any real population.
    """
    n = roster.n
    cov = np.array([[1.0, 0.7, 0.5], [0.7, 1.0, 0.5], [0.5, 0.5, 1.0]])
    latent = rng.multivariate_normal(np.zeros(3), cov, size=n)
    effect = (
        0.30 * (roster.unit_type == "town")
        + 0.20 * (roster.age_band == "u30")
        - 0.20 * (roster.rank_band == "division")
        + 0.10 * (roster.sex == "2")
    )
    d, a, s = (latent[:, k] + effect for k in range(3))
    records: list[dict[str, Any]] = [{} for _ in range(n)]
    phq_thresholds = np.array([0.55, 1.45, 2.05])
    for i in range(1, 10):
        shift = 1.75 if i == 9 else (0.0 if i in (3, 4) else 0.25)  # sleep, energy commonest
        noise = rng.normal(0.0, 0.8, size=n)
        values = _ordinal(d + noise, phq_thresholds + shift)
        for rec, v in zip(records, values.tolist(), strict=True):
            rec[f"phq9_{i}"] = str(v)
    difficulty = _ordinal(d + rng.normal(0.0, 0.8, size=n), np.array([0.6, 1.7, 2.5]))
    for i in range(1, 8):
        values = _ordinal(a + rng.normal(0.0, 0.8, size=n), np.array([0.60, 1.50, 2.10]))
        for rec, v in zip(records, values.tolist(), strict=True):
            rec[f"gad7_{i}"] = str(v)
    for i in range(1, 7):
        values = 1 + _ordinal(s + rng.normal(0.0, 0.9, size=n), np.array([-1.4, -0.4, 0.5, 1.5]))
        if i in (4, 5):  # positively worded: agreement means less stress
            values = 6 - values
        for rec, v in zip(records, values.tolist(), strict=True):
            rec[f"ws{i}"] = str(v)
    skip_difficulty = rng.random(n) < 0.08  # the optional item
    for k, rec in enumerate(records):
        if not skip_difficulty[k]:
            rec["phq9_difficulty"] = str(int(difficulty[k]))
        rec["unit_type"] = str(roster.unit_type[k])
        rec["rank_band"] = str(roster.rank_band[k])
        rec["age_band"] = str(roster.age_band[k])
        rec["sex"] = str(roster.sex[k])
    return records


def simulate_participation(roster: Roster, rng: np.random.Generator) -> NDArray[np.bool_]:
    """Who completes the survey: unit-type rate, lower for the youngest and for clerks,
    never more than the unit's quota (its head count)."""
    p = np.array([PARTICIPATION[t] for t in roster.unit_type])
    p = p - 0.10 * (roster.age_band == "u30") - 0.05 * (roster.rank_band == "clerk")
    return np.asarray(rng.random(roster.n) < p, dtype=np.bool_)


def population_truth(q: Questionnaire, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The true shares of every band and flag in the whole synthetic roster."""
    sheet = score_scales(q, records)
    cols = sheet.columns()
    truth: dict[str, Any] = {}
    for scale in q.scales:
        if scale.bands:
            bands = cols[f"band_{scale.id}"]
            truth[scale.id] = {b.code: float(np.mean(bands == b.code)) for b in scale.bands}
    for flag in q.scale_flags:
        truth[flag.id] = float(np.nanmean(cols[f"flag_{flag.id}"]))
    return truth


def census_totals(roster: Roster) -> dict[str, dict[str, int]]:
    """The roster's head counts by sex, age band and rank band (the raking margins)."""
    out: dict[str, dict[str, int]] = {}
    for name, values in (
        ("sex", roster.sex),
        ("age_band", roster.age_band),
        ("rank_band", roster.rank_band),
    ):
        codes, counts = np.unique(values, return_counts=True)
        out[name] = {str(c): int(k) for c, k in zip(codes, counts, strict=True)}
    return out


@dataclass(frozen=True)
class MentalHealthDemo:
    """Files written by :func:`run_mental_health_demo` and the report's figures."""

    files: dict[str, Path]
    data: Any  # reports.wellbeing.WellbeingData
    respondents: int
    truth: Mapping[str, Any]


def analysis_columns(
    q: Questionnaire, roster: Roster, records: list[dict[str, Any]], done: NDArray[np.bool_]
) -> dict[str, Any]:
    """The analysis table of the completes: design, answers and scale columns.

    ``base_weight`` = the unit's head count / its completes (every civil servant of a
    unit was invited through its link; the unit's completes stand for all of them).
    """
    index = np.flatnonzero(done)
    rows = [records[i] for i in index]
    unit = roster.unit[index]
    heads = {u[0]: u[3] for u in roster.units}
    completes = {code: int(np.sum(unit == code)) for code in heads}
    cols: dict[str, Any] = {
        "respondent_id": np.arange(1, index.size + 1),
        "wave": np.full(index.size, DEMO_WAVE),
        "stratum": roster.unit_type[index],
        "psu": unit,
        "base_weight": np.array([heads[u] / completes[u] for u in unit.tolist()]),
    }
    for var in q.variables:
        cols[var] = np.array([rec.get(var, "") for rec in rows])
    cols.update(score_scales(q, rows).columns())
    cols["status"] = np.full(index.size, "complete")
    cols["rejected"] = np.zeros(index.size, dtype=int)
    return cols


def run_mental_health_demo(
    out: Path,
    *,
    seed: int = 2025,
    lang: str = "zh-CN",
    generated: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> MentalHealthDemo:
    """Run the synthetic mental-health survey into ``out`` and write ``report.pdf``.

    Files: ``units.csv`` (unit, label, quota: ``kesu wave units``), ``roster-totals.json``
    (the raking margins), ``responses.csv`` (answers), ``scored.csv`` (the analysis table
    with ``scale_*``, ``band_*``, ``flag_*``), ``questionnaire.yaml``, ``report-job.yaml``
    (``kesu weight`` / ``kesu report`` read it), ``weighted.csv``, ``estimates.json``
    (the published figures, suppressed cells without numbers), ``truth.json`` and
    ``report.pdf``.

    Example:
        >>> result = run_mental_health_demo(Path("mh-demo"))  # doctest: +SKIP
        >>> result.files["report"]  # doctest: +SKIP
        PosixPath('mh-demo/report.pdf')
    """
    from reports.loaders import report_from_job
    from reports.wellbeing_pdf import build_wellbeing_pdf
    from sampling.job import load_job
    from sampling.job import load_table
    from sampling.job import run_weighting
    from sampling.job import write_weighted

    step = progress or (lambda name: None)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    q = load_questionnaire(MENTAL_HEALTH_QUESTIONNAIRE)
    files: dict[str, Path] = {}

    step("roster")
    roster = simulate_civil_servants(rng)
    files["units"] = out / "units.csv"
    write_columns(
        files["units"],
        {
            "unit": [u[0] for u in roster.units],
            "label": [u[1] for u in roster.units],
            "quota": [u[3] for u in roster.units],
        },
    )
    totals = census_totals(roster)
    files["totals"] = out / "roster-totals.json"
    files["totals"].write_text(json.dumps(totals, ensure_ascii=False, indent=1), "utf-8")

    step("answers")
    records = simulate_mh_answers(q, roster, rng)
    done = simulate_participation(roster, rng)
    truth = population_truth(q, records)
    files["truth"] = out / "truth.json"
    files["truth"].write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    files["responses"] = out / "responses.csv"
    answers: dict[str, Any] = {
        "respondent_id": np.arange(1, int(done.sum()) + 1),
        "unit": roster.unit[done],
    }
    for var in q.variables:
        answers[var] = [records[i].get(var, "") for i in np.flatnonzero(done)]
    write_columns(files["responses"], answers)

    step("scoring")
    files["scored"] = out / "scored.csv"
    write_columns(files["scored"], analysis_columns(q, roster, records, done))
    files["questionnaire"] = out / "questionnaire.yaml"
    shutil.copyfile(MENTAL_HEALTH_QUESTIONNAIRE, files["questionnaire"])

    step("weighting")
    job_spec: dict[str, Any] = {
        "data": "scored.csv",
        # units are the clusters (PSUs) within unit-type strata; every unit was invited
        "design": {
            "weights": "base_weight",
            "strata": "stratum",
            "psu": "psu",
            "nest": True,
            "lonely_psu": "fail",
        },
        "calibration": {"method": "raking", "margins": totals, "max_iter": 200},
        "reliability": {"min_n": 30, "max_cv": 0.3},
        "output": "weighted.csv",
    }
    files["weights_job"] = out / "weights-job.yaml"
    _write_yaml(files["weights_job"], job_spec, "weighting job of the mental-health demo")
    job = load_job(files["weights_job"])
    table = load_table(job)
    weighted = run_weighting(job, table)
    files["weighted"] = out / "weighted.csv"
    write_weighted(files["weighted"], weighted)

    step("report")
    report_spec = {k: v for k, v in job_spec.items() if k != "output"}
    report_spec["report"] = {
        "questionnaire": "questionnaire.yaml",
        "wave_name": DEMO_WAVE,
        "survey_year": DEMO_YEAR,
        "suppress_below": 10,
        "synthetic": True,
        "issuer": "义乌市科学技术协会（示例）",
    }
    files["report_job"] = out / "report-job.yaml"
    _write_yaml(files["report_job"], report_spec, "report job of the mental-health demo")
    data = report_from_job(files["report_job"], generated=generated)
    files["estimates"] = out / "estimates.json"
    files["estimates"].write_text(json.dumps(data.to_dict(), ensure_ascii=False, indent=1), "utf-8")
    files["report"] = out / "report.pdf"
    files["report"].write_bytes(build_wellbeing_pdf(data, lang))
    return MentalHealthDemo(files, data, int(done.sum()), truth)
