"""``kesu sample``: plan the sample size and draw the sample (抽样设计与抽样)."""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn

import click
import numpy as np

from kesu.errors import KesuError
from sampling.allocation import AllocationMethod
from sampling.allocation import allocate
from sampling.allocation import cluster_plan
from sampling.errors import SamplingError
from sampling.size import moe_for_size
from sampling.size import size_for_proportion

if TYPE_CHECKING:
    from sampling.frame import SampleDesign

logger = logging.getLogger(__name__)


@click.group()
def sample() -> None:
    """Sample design: sample size and allocation, drawing the sample (样本量与抽样)."""


@dataclass(frozen=True, slots=True)
class StratumRow:
    """One stratum of the plan input (from the strata CSV)."""

    name: str
    population: float
    rate: float
    cost: float


def read_strata(
    path: Path, rate: float, stratum_column: str, population_column: str
) -> list[StratumRow]:
    """Read the strata table (CSV in any encoding, .xlsx, Parquet): stratum, population
    and optional rate and cost columns.

    Raises:
        KesuError: a missing column, or a cell that is not a number (file, row, column).
    """
    from kesu.tables import read_table

    table = read_table(path, what="strata file")
    table.require([stratum_column, population_column], key="--stratum-column/--population-column")
    names = table.labels(stratum_column)
    pop = table.numeric(population_column)
    rates = table.numeric("rate", allow_missing=True) if "rate" in table else None
    costs = table.numeric("cost", allow_missing=True) if "cost" in table else None
    rows = []
    for i in range(table.n_rows):
        if not pop[i] > 0:
            raise SamplingError(
                "must be > 0",
                param=population_column,
                got=float(pop[i]),
                file=table.source,
                row=table.row_number(i),
                column=population_column,
            )
        r = rate if rates is None or np.isnan(rates[i]) else float(rates[i])
        c = 1.0 if costs is None or np.isnan(costs[i]) else float(costs[i])
        rows.append(StratumRow(str(names[i]), float(pop[i]), r, c))
    if not rows:
        raise SamplingError(f"{path}: no strata", param="strata")
    return rows


def _fail(exc: KesuError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@sample.command("size")
@click.option("--rate", type=float, required=True, help="Anticipated rate, e.g. 0.15.")
@click.option("--moe", type=float, help="Absolute margin of error, e.g. 0.02.")
@click.option("--cv", type=float, help="Target coefficient of variation instead of --moe.")
@click.option("--confidence", type=float, default=0.95, show_default=True)
@click.option("--deff", type=float, help="Design effect (or give --icc and --cluster-size).")
@click.option("--icc", type=float, help="Intraclass correlation within PSUs.")
@click.option("--cluster-size", type=float, help="Interviews per PSU (with --icc).")
@click.option("--response-rate", type=float, default=1.0, show_default=True)
@click.option(
    "--eligibility",
    type=float,
    default=1.0,
    show_default=True,
    help="Share of issued households with an eligible adult.",
)
@click.option("--population", type=float, help="Population size (without --strata).")
@click.option(
    "--strata",
    "strata_path",
    type=click.Path(path_type=Path, exists=True),
    help="CSV with stratum, population[, rate, cost] per town/street.",
)
@click.option("--stratum-column", default="stratum", show_default=True)
@click.option("--population-column", default="population", show_default=True)
@click.option(
    "--allocation",
    type=click.Choice([m.value for m in AllocationMethod]),
    default="proportional",
    show_default=True,
)
@click.option(
    "--power",
    type=float,
    default=0.5,
    show_default=True,
    help="Bankier exponent for --allocation power.",
)
@click.option("--total", type=int, help="Total completes to allocate (default: computed).")
@click.option("--domain-moe", type=float, help="Margin each stratum must reach on its own.")
@click.option("--domain-cv", type=float, help="CV each stratum must reach on its own.")
@click.option("--min", "min_n", type=int, default=0, show_default=True, help="Minimum per stratum.")
@click.option("--max", "max_n", type=int, help="Maximum per stratum.")
@click.option("--cost-psu", type=float, help="Cost per PSU c1 (with --cost-interview and --icc).")
@click.option("--cost-interview", type=float, help="Cost per interview c2.")
def size_command(**opts: object) -> None:
    """Print the sample-size plan as a table (样本量方案)."""
    try:
        click.echo(render_plan(**opts))  # type: ignore[arg-type]
    except KesuError as exc:
        _fail(exc)


def render_plan(
    *,
    rate: float,
    moe: float | None,
    cv: float | None,
    confidence: float,
    deff: float | None,
    icc: float | None,
    cluster_size: float | None,
    response_rate: float,
    eligibility: float,
    population: float | None,
    strata_path: Path | None,
    stratum_column: str,
    population_column: str,
    allocation: str,
    power: float,
    total: int | None,
    domain_moe: float | None,
    domain_cv: float | None,
    min_n: int,
    max_n: int | None,
    cost_psu: float | None,
    cost_interview: float | None,
) -> str:
    """The text ``kesu sample size`` prints."""
    lines: list[str] = []
    if cost_psu is not None or cost_interview is not None:
        if cost_psu is None or cost_interview is None or icc is None:
            raise SamplingError("--cost-psu needs --cost-interview and --icc", param="cost_psu")
        srs = size_for_proportion(rate, moe=moe, cv=cv, confidence=confidence)
        plan = cluster_plan(cost_psu, cost_interview, icc, srs_size=srs.n_srs)
        cluster_size = float(plan.persons_per_psu)
        lines.append(
            f"cost model: m_opt = sqrt(c1 (1 - rho) / (c2 rho)) = {plan.m_optimal:.2f} -> "
            f"{plan.persons_per_psu} interviews per PSU"
        )
    common = dict(
        confidence=confidence,
        deff=deff,
        icc=icc,
        cluster_size=cluster_size,
        response_rate=response_rate,
        eligibility_rate=eligibility,
    )
    strata: list[StratumRow] = []
    if strata_path:
        strata = read_strata(strata_path, rate, stratum_column, population_column)
    pop_total = sum(s.population for s in strata) if strata else population
    overall = size_for_proportion(rate, moe=moe, cv=cv, population=pop_total, **common)  # type: ignore[arg-type]
    target = f"moe ±{moe:g}" if moe is not None else f"CV {cv:g}"
    lines += [
        f"rate {rate:g}, {target}, confidence {confidence:g}, deff {overall.deff:.3f}, "
        f"response {response_rate:g}, eligibility {eligibility:g}"
        + (f", N {pop_total:,.0f}" if pop_total else ""),
        f"overall: n0 = {overall.n_srs:.1f}, x deff = {overall.n_design:.1f}, "
        f"fpc -> {overall.n_fpc:.1f}; completes {overall.completes}, issue {overall.issued}",
    ]
    if not strata:
        return "\n".join(lines)

    mins = [min_n] * len(strata)
    if domain_moe is not None or domain_cv is not None:
        for i, s in enumerate(strata):
            need = size_for_proportion(
                s.rate,
                moe=domain_moe,
                cv=domain_cv,
                population=s.population,
                **common,  # type: ignore[arg-type]
            )
            mins[i] = max(mins[i], need.completes)
    maxima = [min(max_n, int(s.population)) if max_n else int(s.population) for s in strata]
    mins = [min(a, b) for a, b in zip(mins, maxima, strict=True)]
    chosen = total if total is not None else max(overall.completes, sum(mins))
    sd = [math.sqrt(s.rate * (1 - s.rate)) for s in strata]
    alloc = allocate(
        chosen,
        [s.population for s in strata],
        allocation,
        strata=[s.name for s in strata],
        sd=sd,
        cost=[s.cost for s in strata],
        mean=[s.rate for s in strata],
        power=power,
        minimum=mins,
        maximum=maxima,
    )
    d = overall.deff
    denom = response_rate * eligibility
    header = f"{'stratum':<14}{'N':>12}{'n':>7}{'issue':>7}"
    if cluster_size:
        header += f"{'PSUs':>6}"
    header += f"{'moe':>9}{'min':>6}"
    method_text = f"allocation: {allocation}"
    if allocation == "power":
        method_text += f" (q = {power:g})"
    lines += ["", method_text, header]
    var_total = 0.0
    for s, n_h, lo in zip(strata, alloc.sizes, mins, strict=True):
        n_h = int(n_h)
        row = f"{s.name:<14}{s.population:>12,.0f}{n_h:>7}{math.ceil(n_h / denom - 1e-9):>7}"
        if cluster_size:
            row += f"{math.ceil(n_h / cluster_size - 1e-9):>6}"
        if n_h > 0:
            moe_h = moe_for_size(
                s.rate, n_h, confidence=confidence, deff=d, population=s.population
            )
            row += f"{moe_h:>9.4f}"
            w = s.population / (pop_total or 1)
            fpc = max(0.0, 1 - n_h / s.population)
            var_total += w * w * d * s.rate * (1 - s.rate) / n_h * fpc
        else:
            row += f"{'-':>9}"
        lines.append(row + f"{lo:>6}")
    z = overall.z
    lines += [
        f"{'total':<14}{pop_total or 0:>12,.0f}{alloc.total:>7}"
        f"{sum(math.ceil(int(n) / denom - 1e-9) for n in alloc.sizes):>7}",
        f"expected overall moe under this allocation: {z * math.sqrt(var_total):.4f}",
    ]
    return "\n".join(lines)


@sample.command("draw")
@click.argument("frame_path", metavar="FRAME.csv", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--design",
    "design_path",
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="Design YAML (PSUs per stratum, method, households per PSU).",
)
@click.option("--seed", type=int, required=True, help="Random seed (keep it with the sample).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option("--encoding", help="Text encoding of a CSV frame (default: detected).")
@click.option("--sheet", help="Worksheet of an .xlsx frame (default: the first).")
@click.option(
    "--schools",
    "schools_output",
    type=click.Path(path_type=Path),
    help="School designs: also write one row per sampled school (the principal "
    "questionnaire's sample file).",
)
@click.option(
    "--teachers",
    "teachers_output",
    type=click.Path(path_type=Path),
    help="School designs: also write one row per sampled class (the science-teacher "
    "questionnaire's sample file).",
)
def draw_command(
    frame_path: Path,
    design_path: Path,
    seed: int,
    output: Path,
    encoding: str | None,
    sheet: str | None,
    schools_output: Path | None,
    teachers_output: Path | None,
) -> None:
    """Draw the sample from FRAME (CSV, .xlsx or Parquet) and write the sample file
    (CSV, UTF-8 with a BOM).

    Household designs: PSUs (PPS) and households, one row per household. School
    designs (``kind: schools`` in the design file): schools (PPS in town strata),
    whole classes and every student, one row per sampled class, no student names.
    """
    from kesu.yamlsource import load_yaml_file
    from sampling.frame import draw_sample
    from sampling.frame import read_frame
    from sampling.frame import write_sample
    from sampling.schools import SCHOOL_DESIGN_KIND

    try:
        data = load_yaml_file(design_path, "design file")
        if isinstance(data, dict) and data.get("kind") == SCHOOL_DESIGN_KIND:
            _draw_schools(
                frame_path,
                design_path,
                data,
                seed,
                output,
                schools_output,
                teachers_output,
                encoding,
                sheet,
            )
            return
        design = load_sample_design(design_path, data)
        frame = read_frame(frame_path, design.columns, encoding=encoding, sheet=sheet)
        drawn = draw_sample(frame, design, np.random.default_rng(seed))
    except KesuError as exc:
        _fail(exc)
    write_sample(drawn, output)
    click.echo(
        f"{output}: {len(drawn.rows)} households in {sum(drawn.psus_per_stratum.values())} PSUs "
        f"(seed {seed}, method {design.method.value})",
        err=True,
    )
    for stratum, count in drawn.psus_per_stratum.items():
        hh = sum(1 for r in drawn.rows if r["stratum"] == stratum)
        click.echo(f"  {stratum}: {count} PSUs, {hh} households", err=True)


def load_sample_design(path: Path, data: Any = None) -> SampleDesign:
    """Read a design YAML file by :mod:`kesu.yamlsource`; errors name ``FILE:LINE``.
    ``data``: the file's document when the caller has read it already.

    Raises:
        KesuError: unreadable file, invalid YAML, a key written twice, an invalid design.
    """
    from kesu.yamlsource import line_of
    from kesu.yamlsource import load_yaml_file
    from sampling.frame import SampleDesign

    if data is None:
        data = load_yaml_file(path, "design file")
    try:
        return SampleDesign.from_mapping({} if data is None else data)
    except SamplingError as exc:
        raise exc.located(str(path), line_of(data, exc.param)) from None


def _draw_schools(
    frame_path: Path,
    design_path: Path,
    data: dict[str, object],
    seed: int,
    output: Path,
    schools: Path | None,
    teachers: Path | None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> None:
    """``kesu sample draw`` for a school design: the class list (and the school list)."""
    from kesu.tables import write_csv
    from kesu.yamlsource import line_of
    from sampling.schools import SchoolDesign
    from sampling.schools import draw_school_sample
    from sampling.schools import read_school_frame
    from sampling.schools import write_class_list

    try:
        design = SchoolDesign.from_mapping(data)
    except SamplingError as exc:
        raise exc.located(str(design_path), line_of(data, exc.param)) from None
    frame = read_school_frame(frame_path, design, encoding=encoding, sheet=sheet)
    drawn = draw_school_sample(frame, design, np.random.default_rng(seed))
    write_class_list(drawn, output)
    for path, rows in ((schools, drawn.school_rows()), (teachers, drawn.teacher_rows())):
        if path is not None:
            header = list(rows[0]) if rows else ["person_id"]
            write_csv(path, header, ([row[k] for k in header] for row in rows))
    click.echo(
        f"{output}: {len(drawn.rows)} classes (seed {seed}, method {design.method.value}; "
        "class list without student names)",
        err=True,
    )
    for grade, counts in drawn.schools.items():
        n_classes = sum(1 for r in drawn.rows if r["grade"] == grade)
        click.echo(
            f"  grade {grade}: {sum(counts.values())} schools, {n_classes} classes", err=True
        )
