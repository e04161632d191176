"""``kesu demo``: the whole pipeline on a synthetic Yiwu, without a server.

synthetic frame -> sample design (14 town strata, PPS villages/communities,
systematic households, one adult by Kish grid) -> simulated fieldwork (AAPOR
outcomes, paradata) -> answers -> scoring -> weighting (base weights,
nonresponse adjustment, raking to synthetic census margins, trimming) ->
estimates -> PDF. Every intermediate file is left in the output folder, and
the report is built by the same code as ``kesu report report-job.yaml``.

This module is an edge (it writes files); the simulation is in
:mod:`reports.simulate` and :mod:`reports.synthetic`. **All data are synthetic.**
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from kesu.tables import format_cell
from kesu.tables import table_from_columns
from kesu.tables import write_columns as write_table_columns
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from reports.capacity import load_capacity_plan
from reports.capacity_demo import demo_rounds
from reports.capacity_round import round_to_dict
from reports.loaders import report_from_job
from reports.model import ReportData
from reports.model import WaveEstimates
from reports.pdf import build_pdf
from reports.simulate import census_margins
from reports.simulate import sex_age_cell
from reports.simulate import simulate_fieldwork
from reports.synthetic import YIWU_TOWNS
from reports.synthetic import answers_to_records
from reports.synthetic import simulate_answers
from reports.synthetic import simulate_people
from reports.synthetic import synthetic_frame
from sampling import SurveyDesign
from sampling import svy_proportion
from sampling.frame import DrawnSample
from sampling.frame import FrameColumns
from sampling.frame import SampleDesign
from sampling.frame import draw_sample
from sampling.frame import frame_from_table
from sampling.frame import write_sample
from sampling.job import load_cases
from sampling.job import load_job
from sampling.job import load_table
from sampling.job import run_weighting
from sampling.job import write_weighted
from scoring import score_responses

logger = logging.getLogger(__name__)

#: the stages reported to the progress callback, in order
STAGES = (
    "frame", "sample", "fieldwork", "answers", "scoring", "weighting", "earlier waves", "youth",
    "report",
)  # fmt: skip
DEMO_WAVE = "demo-2025"
DEMO_YEAR = 2025
#: earlier simulated waves: (year, shift of the ability scale, respondents)
EARLIER_WAVES = ((2021, -0.40, 1200), (2023, -0.20, 1200))
FACTOR_ITEMS = ("channels", "visit_venue", "events", "kepu_app")
#: the simulated fieldwork period (dates of the cases' final outcomes)
FIELDWORK_PERIOD = (dt.date(2025, 4, 7), dt.date(2025, 5, 30))
#: the capacity chapter reads the simulated reporting rounds 2021-2025 (their accepted
#: submissions; ``reports.capacity_demo``): late, returned and missing units included
CAPACITY_ROUNDS_FILE = "capacity-rounds.json"
FRAME_COLUMNS = FrameColumns(stratum="town", psu="psu", size="population", households="households")


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Files written by :func:`run_demo` (name -> path) and the report's figures."""

    files: dict[str, Path]
    data: ReportData
    respondents: int


def write_columns(path: Path, columns: Mapping[str, Any]) -> None:
    """Write named columns as CSV (UTF-8 with a BOM, :func:`kesu.tables.write_columns`):
    lists become ``a;b``, None and NaN empty cells.

    Example:
        >>> write_columns(Path("x.csv"), {"a": [1, None], "b": [["p", "q"], 2.5]})  # doctest: +SKIP
    """
    write_table_columns(path, columns)


def _group_flags(q: Questionnaire, records: list[dict[str, Any]], year: int) -> dict[str, Any]:
    flags = [q.group_flags(rec, year) for rec in records]
    return {f"group_{g.id}": np.array([int(f[g.id]) for f in flags]) for g in q.groups}


def _factor_columns(records: list[dict[str, Any]]) -> dict[str, NDArray[Any]]:
    out = {}
    for item in FACTOR_ITEMS:
        values = [rec.get(item) for rec in records]
        out[item] = np.array(
            [";".join(v) if isinstance(v, list) else ("" if v is None else str(v)) for v in values]
        )
    return out


def _subset(people: Mapping[str, NDArray[Any]], mask: NDArray[np.bool_]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in people.items():
        sub = values[mask]
        if key in ("age", "birth_year", "years_in_yiwu"):
            sub = sub.astype(np.int64)
        elif key == "theta":
            sub = sub.astype(np.float64)
        elif key != "employer":
            sub = sub.astype(str)
        out[key] = sub
    return out


def simulate_earlier_wave(
    q: Questionnaire, year: int, shift: float, n: int, rng: np.random.Generator
) -> WaveEstimates:
    """Estimates of a simulated earlier wave (town-stratified simple random sample).

    Abilities are shifted by ``shift`` (lower literacy in earlier years); weights
    are town population / town sample size; every respondent is its own PSU.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> w = simulate_earlier_wave(q, 2023, -0.2, 1200, rng)  # doctest: +SKIP
        >>> w.overall.estimate  # doctest: +SKIP
    """
    people = simulate_people(n, rng, survey_year=year)
    people["theta"] = people["theta"] + shift
    records = answers_to_records(q, simulate_answers(q, people, rng), year)
    sheet = score_responses(q, records)
    town = people["town"]
    sizes = {t.code: t.adults for t in YIWU_TOWNS}
    counts = {c: int((town == c).sum()) for c in sizes}
    weights = np.array([sizes[t] / counts[t] for t in town])
    design = SurveyDesign(weights=weights, strata=town)
    literate = sheet.literate.astype(np.float64)
    groups = _group_flags(q, records, year)
    return WaveEstimates(
        wave=f"demo-{year}",
        year=year,
        overall=svy_proportion(literate, design, name="literate"),
        towns=svy_proportion(literate, design, by={"town": town}, name="literate"),
        groups={
            key.removeprefix("group_"): svy_proportion(
                literate, design, by={"member": np.where(f == 1, "1", "0")}, name="literate"
            )
            for key, f in groups.items()
        },
    )


def _frame_from_columns(columns: Mapping[str, NDArray[Any]]) -> Any:
    """Check the synthetic frame with the same checks a frame file goes through."""
    names = ("town", "psu", "population", "households", "urban")
    table = table_from_columns(
        {k: np.asarray([format_cell(v) for v in columns[k].tolist()]) for k in names},
        "synthetic frame",
    )
    return frame_from_table(table, FRAME_COLUMNS)


@dataclass(frozen=True)
class SimulatedWave:
    """One simulated fieldwork round on the synthetic Yiwu (all data synthetic).

    Attributes:
        frame_columns: the PSU frame (``town``, ``psu``, ``population``, ``households``,
            ``urban``).
        sample: the drawn sample (:class:`sampling.frame.Sample`; one row per household).
        fieldwork: per-household columns (``household_id``, ``outcome`` AAPOR code,
            ``prob1``-``prob3``, ``minutes``...).
        people: demographics of the selected adult of each household.
        complete: households with a complete interview (AAPOR 1.1).
        records: answer dicts of the complete interviews, in household order.
    """

    frame_columns: dict[str, NDArray[Any]]
    sample: DrawnSample
    fieldwork: dict[str, NDArray[Any]]
    people: dict[str, NDArray[Any]]
    complete: NDArray[np.bool_]
    records: list[dict[str, Any]]


def simulate_wave(
    q: Questionnaire,
    rng: np.random.Generator,
    *,
    n_psu: int = 140,
    households_per_psu: int = 25,
    survey_year: int = DEMO_YEAR,
    progress: Callable[[str], None] | None = None,
) -> SimulatedWave:
    """Frame, sample, fieldwork and answers of a simulated wave, without writing files.

    The same stages feed ``kesu demo`` (files and a PDF) and the demo wave that
    ``make run`` stores in the database, so both show the same kind of data.

    Example:
        >>> wave = simulate_wave(q, np.random.default_rng(1), n_psu=30)  # doctest: +SKIP
        >>> len(wave.records) == int(wave.complete.sum())  # doctest: +SKIP
        True
    """
    step = progress or (lambda name: None)
    step("frame")
    frame_cols = synthetic_frame(rng)
    frame_cols["population"] = frame_cols.pop("size")
    frame_cols["households"] = np.maximum(np.round(frame_cols["population"] / 2.6), 40).astype(int)
    frame = _frame_from_columns(frame_cols)

    step("sample")
    design = SampleDesign(columns=FRAME_COLUMNS, psus_total=n_psu,
                          households_per_psu=households_per_psu, min_psus=2)  # fmt: skip
    sample = draw_sample(frame, design, rng)

    step("fieldwork")
    urban_of_psu = {p: int(u) for p, u in zip(frame.psu, frame.extra["urban"], strict=True)}
    fieldwork, people = simulate_fieldwork(sample.rows, urban_of_psu, rng, survey_year=survey_year)

    step("answers")
    complete = fieldwork["outcome"] == "1.1"
    answers = simulate_answers(q, _subset(people, complete), rng)
    records = answers_to_records(q, answers, survey_year)
    return SimulatedWave(frame_cols, sample, fieldwork, people, complete, records)


def run_demo(
    out: Path,
    *,
    n_psu: int = 140,
    households_per_psu: int = 25,
    seed: int = 2025,
    lang: str = "zh-CN",
    generated: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    youth: bool = True,
) -> DemoResult:
    """Run the synthetic pipeline into ``out`` and write ``report.pdf``.

    Args:
        out: output folder (created).
        n_psu: villages/communities to select (allocated to the 14 towns, >= 2 each).
        households_per_psu: households drawn in each.
        seed: random seed (the same seed gives the same files).
        lang: report language.
        generated: report date (default today).
        progress: called with each stage name of :data:`STAGES` when it starts.
        youth: also simulate the youth monitoring in schools (``out/youth``, the report's
            youth chapter and one feedback sheet per school; :mod:`reports.youth_demo`).

    Returns:
        :class:`DemoResult`.

    Example:
        >>> result = run_demo(Path("demo"), n_psu=60)  # doctest: +SKIP
        >>> result.files["report"]  # doctest: +SKIP
        PosixPath('demo/report.pdf')
    """
    step = progress or (lambda name: None)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    rng = np.random.default_rng(seed)
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)

    wave = simulate_wave(q, rng, n_psu=n_psu, households_per_psu=households_per_psu,
                         progress=step)  # fmt: skip
    files["frame"] = out / "frame.csv"
    names = ("town", "psu", "population", "households", "urban")
    write_columns(files["frame"], {k: wave.frame_columns[k] for k in names})
    files["sample"] = out / "sample.csv"
    write_sample(wave.sample, files["sample"])
    fieldwork, people, records = wave.fieldwork, wave.people, wave.records
    complete = wave.complete
    resp_people = _subset(people, complete)
    ids = fieldwork["household_id"][complete]
    # the cases file of the weighting job's nonresponse step: every sampled household with
    # its AAPOR outcome, household weight and, for completes, the respondent's id
    hh_weight = 1.0 / (fieldwork["prob1"] * fieldwork["prob2"])
    files["fieldwork"] = out / "fieldwork.csv"
    write_columns(files["fieldwork"], {
        **fieldwork, "household_weight": hh_weight,
        "respondent_id": np.where(complete, fieldwork["household_id"], ""),
        "date": fieldwork_dates(len(hh_weight), np.random.default_rng(seed + 7)),
    })  # fmt: skip
    files["responses"] = out / "responses.csv"
    response_cols: dict[str, Any] = {"respondent_id": ids}
    for var in q.variables:
        response_cols[var] = [rec.get(var) for rec in records]
    response_cols["minutes"] = fieldwork["minutes"][complete]
    write_columns(files["responses"], response_cols)

    step("scoring")
    sheet = score_responses(q, records)
    prob3 = fieldwork["prob3"][complete]
    minutes = fieldwork["minutes"][complete]
    median = float(np.median(minutes))
    scored: dict[str, Any] = {
        "respondent_id": ids,
        "wave": np.full(ids.shape, DEMO_WAVE),
        "stratum": fieldwork["stratum"][complete],
        "psu": fieldwork["psu"][complete],
        "prob1": fieldwork["prob1"][complete],
        "prob2": fieldwork["prob2"][complete],
        "prob3": prob3,
        "base_weight": hh_weight[complete] / prob3,
    }
    for concept in ("sex", "birth_year", "age", "education", "occupation", "town", "urban",
                    "years_in_yiwu"):  # fmt: skip
        scored[concept] = resp_people[concept]
    scored["sex_age"] = sex_age_cell(resp_people["sex"], resp_people["age"])
    scored.update(_group_flags(q, records, DEMO_YEAR))
    scored.update(sheet.columns())
    # the answers of the scored items too (their option distributions in the item appendix)
    for item in q.scored_items:
        scored[item.id] = [_answer_text(rec.get(item.id)) for rec in records]
    scored.update(_factor_columns(records))
    scored["status"] = np.full(ids.shape, "complete")
    scored["rejected"] = np.zeros(ids.shape, dtype=int)
    scored["quality_speeding"] = (minutes < 0.3 * median).astype(int)
    scored["minutes"] = minutes
    files["scored"] = out / "scored.csv"
    write_columns(files["scored"], scored)

    step("weighting")
    margins = census_margins(np.random.default_rng(seed + 1))
    job_spec: dict[str, Any] = {
        "data": "scored.csv",
        "design": {
            "weights": "base_weight",
            "strata": "stratum",
            "psu": "psu",
            "nest": False,
            "lonely_psu": "fail",
        },  # fmt: skip
        # households' AAPOR outcomes: the factor is computed on household weights (refusing
        # households have no within-household probability) and multiplies base_weight
        "nonresponse": {
            "cases": "fieldwork.csv",
            "weights": "household_weight",
            "outcome": "outcome",
            "classes": ["town"],
        },
        "calibration": {"method": "raking", "margins": margins, "max_iter": 500},
        "trim": {"upper_quantile": 0.99},
        "reliability": {"min_n": 30, "max_cv": 0.3},
        "output": "weighted.csv",
    }
    files["weights_job"] = out / "weights-job.yaml"
    _write_yaml(files["weights_job"], job_spec, "weighting job of the demo (kesu weight)")
    job = load_job(files["weights_job"])
    table = load_table(job)
    weighted = run_weighting(job, table, load_cases(job))
    files["weighted"] = out / "weighted.csv"
    write_weighted(files["weighted"], weighted)

    step("earlier waves")
    previous = []
    for year, shift, n in EARLIER_WAVES:
        est = simulate_earlier_wave(q, year, shift, n, np.random.default_rng(seed + year))
        path = out / f"estimates-{year}.json"
        path.write_text(json.dumps(est.to_dict(), ensure_ascii=False), "utf-8")
        files[f"estimates_{year}"] = path
        previous.append(path.name)

    step("youth")
    if youth:
        from reports.youth_demo import YOUTH_RESULTS
        from reports.youth_demo import run_youth_demo

        files.update(run_youth_demo(out, seed=seed + 19, lang=lang, generated=generated).files)

    step("report")
    files["capacity_rounds"] = out / CAPACITY_ROUNDS_FILE
    rounds = demo_rounds(load_capacity_plan())
    files["capacity_rounds"].write_text(
        json.dumps({"rounds": [round_to_dict(r) for r in rounds]}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    files["town_covariates"] = out / "town-covariates.csv"
    write_columns(files["town_covariates"], {
        "town": [t.code for t in YIWU_TOWNS], "urban_share": [t.urban_share for t in YIWU_TOWNS],
    })  # fmt: skip
    report_spec = dict(job_spec)
    report_spec.pop("output")
    report_spec["report"] = {
        "wave_name": DEMO_WAVE,
        "survey_year": DEMO_YEAR,
        "previous": previous,
        "capacity": {"rounds": CAPACITY_ROUNDS_FILE},
        "sae": {"covariates": "town-covariates.csv"},
        "fieldwork": "fieldwork.csv",
        "synthetic": True,
        "issuer": "义乌市科学技术协会（示例）",
        "fieldwork_by": "模拟调查（kesu demo）",
        "sources": {
            "sex_age": "合成普查数据（模拟第七次全国人口普查义乌市18–69岁常住人口）",
            "urban": "合成普查数据（模拟第七次全国人口普查义乌市城乡人口）",
        },
    }
    if youth:
        report_spec["report"]["youth"] = YOUTH_RESULTS
    files["report_job"] = out / "report-job.yaml"
    _write_yaml(files["report_job"], report_spec, "report job of the demo (kesu report)")
    data = report_from_job(files["report_job"], generated=generated)
    files["estimates"] = out / "estimates.json"
    if data.wave_estimates is not None:
        payload = data.wave_estimates.to_dict()
        payload["figures"] = data.to_dict()
        files["estimates"].write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    files["report"] = out / "report.pdf"
    files["report"].write_bytes(build_pdf(data, lang))
    return DemoResult(files=files, data=data, respondents=int(complete.sum()))


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def fieldwork_dates(n: int, rng: np.random.Generator) -> NDArray[Any]:
    """Dates of the cases' final outcomes within :data:`FIELDWORK_PERIOD` (synthetic).

    Example:
        >>> fieldwork_dates(2, np.random.default_rng(1)).tolist()  # doctest: +SKIP
        ['2025-05-02', '2025-04-18']
    """
    start, end = FIELDWORK_PERIOD
    days = (end - start).days
    offsets = np.sort(rng.integers(0, days + 1, n))
    rng.shuffle(offsets)
    return np.array([(start + dt.timedelta(days=int(k))).isoformat() for k in offsets])


def _write_yaml(path: Path, data: Mapping[str, Any], what: str) -> None:
    head = f"# {what}; synthetic data (模拟数据). Written by kesu demo.\n"
    text = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)
    path.write_text(head + text, encoding="utf-8")
