"""The youth round of ``kesu demo``: a simulated school survey, its files, results and sheets.

synthetic school frame -> three-stage sample (``kesu sample draw`` with the school
design) -> classroom sessions with absentees -> answers from a known IRT truth ->
the analysis (:func:`reports.youth.analyse_youth`) -> ``youth-results.json`` (the
report job's ``youth:`` file) and one feedback sheet per participating school.
Every file is left in ``OUT/youth/``. **All data are synthetic.** An edge module
(it writes files); the simulation is :mod:`reports.youth_synthetic`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from reports.demo import write_columns
from reports.youth import analyse_youth
from reports.youth_model import YouthResults
from reports.youth_pdf import school_sheet_pdf
from reports.youth_round import DEFAULT_YOUTH_DESIGN
from reports.youth_round import simulate_youth_round
from sampling.schools import write_class_list

logger = logging.getLogger(__name__)

YOUTH_RESULTS = "youth-results.json"


@dataclass(frozen=True)
class YouthDemoResult:
    """Files written (name -> path) and the results of the simulated youth round."""

    files: dict[str, Path]
    results: YouthResults


def _write_rows(path: Path, rows: Sequence[Mapping[str, Any]], first: Sequence[str]) -> None:
    """Rows of varying keys as a CSV (``first`` columns, then the others sorted)."""
    names = list(first) + sorted({k for r in rows for k in r} - set(first))

    def cell(value: Any) -> Any:  # multiple answers as "a;b" (never a 2-D array)
        return ";".join(map(str, value)) if isinstance(value, list | tuple) else value

    write_columns(path, {name: [cell(r.get(name)) for r in rows] for name in names})


def run_youth_demo(
    out: Path,
    *,
    seed: int,
    lang: str = "zh-CN",
    generated: dt.date | None = None,
    sheets: bool = True,
) -> YouthDemoResult:
    """Simulate, analyse and write the youth round into ``out/youth`` (results in ``out``).

    Example:
        >>> run_youth_demo(Path("demo"), seed=2025).results.grade("4").overall.n  # doctest: +SKIP
        1579
    """
    folder = out / "youth"
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    sim = simulate_youth_round(np.random.default_rng(seed))
    rnd = sim.round
    files["youth_frame"] = folder / "schools.csv"
    _write_rows(
        files["youth_frame"],
        [dict(zip(sim.frame, row, strict=True)) for row in zip(*sim.frame.values(), strict=True)],
        list(sim.frame),
    )
    files["youth_design"] = folder / "school-design.yaml"
    head = "# school design of the demo's youth round (kesu sample draw schools.csv --design ...)\n"
    files["youth_design"].write_text(
        head + yaml.safe_dump(dict(DEFAULT_YOUTH_DESIGN), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    files["youth_classes"] = folder / "classes.csv"
    write_class_list(sim.sample, files["youth_classes"])
    files["youth_seats"] = folder / "seats.csv"
    seat_rows = [
        dict(zip(rnd.seats, row, strict=True)) for row in zip(*rnd.seats.values(), strict=True)
    ]
    _write_rows(files["youth_seats"], seat_rows, list(rnd.seats))
    for grade, q in rnd.booklets.items():
        path = folder / f"responses-g{grade}.csv"
        rows = [
            {"class_id": r.class_id, "seat": r.seat, **r.answers}
            for r in rnd.responses
            if f"-g{grade}-" in r.class_id
        ]
        _write_rows(path, rows, ["class_id", "seat", *q.variables])
        files[f"youth_responses_g{grade}"] = path
    if rnd.principal:
        files["youth_principal"] = folder / "principal.csv"
        _write_rows(
            files["youth_principal"],
            [{"school_id": k, **v} for k, v in rnd.principal.items()],
            ["school_id"],
        )
    if rnd.teacher:
        files["youth_teacher"] = folder / "teacher.csv"
        _write_rows(
            files["youth_teacher"],
            [{"class_id": k, **v} for k, v in rnd.teacher.items()],
            ["class_id"],
        )
    results = analyse_youth(rnd, rng=np.random.default_rng(seed + 1))
    # the published figures (the report's youth: file) hold no school; each school's own
    # figures stay in the analyst's folder and reach only that school's principal (sheets)
    files["youth_results"] = out / YOUTH_RESULTS
    files["youth_results"].write_text(
        json.dumps(results.to_dict(), ensure_ascii=False, indent=1), "utf-8"
    )
    files["youth_school_results"] = folder / "school-results.json"
    files["youth_school_results"].write_text(
        json.dumps(results.to_dict(with_schools=True), ensure_ascii=False, indent=1), "utf-8"
    )
    truth_path = folder / "truth.json"
    truth_path.write_text(
        json.dumps(
            {
                "note": "the simulated population's true level shares (for checking the estimates)",
                "level_shares": {g: list(map(float, v)) for g, v in _truth(sim).items()},
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )
    files["youth_truth"] = truth_path
    if sheets:
        sheet_dir = folder / "sheets"
        sheet_dir.mkdir(exist_ok=True)
        for school in sorted({s.school_id for s in results.schools}):
            path = sheet_dir / f"{school}.pdf"
            path.write_bytes(school_sheet_pdf(results, school, lang=lang, generated=generated))
        files["youth_sheets"] = sheet_dir
    return YouthDemoResult(files, results)


def _truth(sim: Any) -> dict[str, Any]:
    from reports.youth_synthetic import population_level_shares

    return population_level_shares(sim.population)
