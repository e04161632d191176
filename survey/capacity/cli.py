"""``kesu capacity``: the plan file, reporting rounds, Excel imports and the round's status.

* ``plan FILE`` - validate a plan file and show its units, tasks and indicators (errors
  name the file, line and indicator);
* ``round open NAME --year Y --due DATE [--plan FILE]`` / ``round close NAME``;
* ``reporter USERNAME UNIT`` - bind a ``reporter`` account to its unit;
* ``import FILE.xlsx --unit CODE --round NAME [--submit]`` - a unit's filled-in template
  (the form's checks; errors by cell);
* ``status --round NAME [--json]`` - per indicator value, target, expected and status;
  per unit submitted / accepted / overdue; the capacity index.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from survey.cli import _actor
from survey.cli import _run


@click.group("capacity")
def capacity() -> None:
    """Capacity-building monitoring (科学素质建设能力监测评估): plan, rounds, imports, status."""


@capacity.command("plan")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
def plan_command(path: Path) -> None:
    """Validate the plan FILE and show its units, tasks, indicators and index weights."""
    from reports.capacity import load_capacity_plan
    from reports.errors import CapacityError

    try:
        plan = load_capacity_plan(path)
    except CapacityError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{plan.title.get()}  ({path})")
    click.echo(
        f"  {len(plan.units)} units, {len(plan.tasks)} tasks, {len(plan.indicators)} indicators"
    )
    for task in plan.tasks:
        parts = ", ".join(task.participants) or "-"
        click.echo(
            f"  task {task.id}: {task.label.get()}  lead {task.lead}; with {parts}; "
            f"indicators {', '.join(task.indicators) or '-'}"
        )
    for ind in plan.indicators:
        click.echo(
            f"  {ind.id:<24} {ind.kind.value:<10} {ind.family:<10} target "
            f"{ind.target:>10,.0f} by {ind.deadline}  reported by "
            f"{', '.join(ind.reporters) or '-'}"
        )
    weights = ", ".join(f"{f} {w:.3f}" for f, w in plan.weights.items())
    click.echo(f"  index weights: {weights}; cap {plan.cap:g}")


@capacity.group("round")
def round_group() -> None:
    """Open or close a reporting round."""


@round_group.command("open")
@click.argument("name")
@click.option("--year", type=int, required=True, help="The year reported on (e.g. 2025).")
@click.option("--due", required=True, help="The due date, YYYY-MM-DD.")
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The plan file (default: Yiwu's plan).",
)
def round_open(name: str, year: int, due: str, plan_path: str | None) -> None:
    """Open the reporting round NAME (or reopen it)."""
    from survey.capacity.services import open_round

    try:
        due_date = dt.date.fromisoformat(due)
    except ValueError:
        raise click.BadParameter(
            f"{due!r} is not a date (YYYY-MM-DD)", param_hint="--due"
        ) from None
    rnd = _run(lambda s: open_round(s, name, year, due_date, plan_path, actor=_actor()))
    click.echo(f"round {rnd.name} open (year {rnd.year}, due {rnd.due})")


@round_group.command("close")
@click.argument("name")
def round_close(name: str) -> None:
    """Close the reporting round NAME (reporters can no longer change it)."""
    from survey.capacity.services import close_round

    _run(lambda s: close_round(s, name, actor=_actor()))
    click.echo(f"round {name} closed")


@capacity.command("reporter")
@click.argument("username")
@click.argument("unit")
def reporter(username: str, unit: str) -> None:
    """Make USERNAME (a user with the role reporter) the reporter of UNIT."""
    from survey.capacity.services import bind_reporter

    _run(lambda s: bind_reporter(s, username, unit, actor=_actor()))
    click.echo(f"{username} reports for {unit}")


@capacity.command("import")
@click.argument(
    "path", metavar="FILE.xlsx", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--unit", required=True, help="The unit's code.")
@click.option("--round", "round_name", required=True, help="The round's name.")
@click.option("--submit/--draft", default=True, help="Submit when no check fails (default).")
def import_command(path: Path, unit: str, round_name: str, submit: bool) -> None:
    """Import a unit's filled-in Excel template (the web form's checks; errors by cell)."""
    from reports.capacity_workbook import import_template
    from survey.capacity import services as svc

    def work(session: Any) -> str:
        rnd = svc.get_round(session, round_name)
        plan = svc.plan_of(rnd)
        try:
            plan.unit(unit)
        except KeyError:
            raise click.ClickException(f"no unit {unit!r} in the round's plan") from None
        prev, before = svc.previous_of(session, rnd, unit)
        entries, errors = import_template(
            path.read_bytes(), plan, unit, prev, before, name=path.name
        )
        reading = [e for e in errors if e.reading]
        if reading or not entries:
            lines = "\n".join(f"  {path.name}!{e}" for e in errors) or "  no figures found"
            raise click.ClickException(f"{path.name}: nothing imported:\n{lines}")
        result = svc.save_values(
            session, rnd, unit, entries, actor=_actor(), submit=submit and not errors, source="xlsx"
        )
        head = f"{unit}: {len(entries)} figures saved as version {result.submission.version}"
        if result.submitted:
            return head + ", submitted"
        lines = "\n".join(f"  {path.name}!{e}" for e in errors)
        return head + " (draft)" + (f"; to fix before submitting:\n{lines}" if lines else "")

    click.echo(_run(work))


@capacity.command("status")
@click.option("--round", "round_name", required=True, help="The round's name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(round_name: str, as_json: bool) -> None:
    """Per indicator value, target, expected and status; per unit submitted/accepted/overdue."""
    from survey.capacity.services import status_dict

    data = _run(lambda s: status_dict(s, round_name))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"round {data['round']} (year {data['year']}, due {data['due']}, {data['status']})")
    for row in data["indicators"]:
        value = "missing" if row["value"] is None else f"{row['value']:,.0f}"
        click.echo(
            f"  {row['id']:<24} {value:>10} / {row['target']:>10,.0f}  expected "
            f"{row['expected']:>10,.0f}  {row['status']}"
        )
    for u in data["units"]:
        flag = " OVERDUE" if u["overdue"] else ("" if u["on_time"] in (True, None) else " late")
        click.echo(
            f"  {u['unit']:<8} {u['status']:<12} {u['submitted'] or '-':<26}{flag}  {u['contact']}"
        )
    idx = data["index"]
    value = "-" if idx["value"] is None else f"{idx['value']:.1f}"
    click.echo(f"  capacity index {value} ({idx['covered']}/{idx['total']} indicators with data)")
