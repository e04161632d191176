"""The ``kesu`` console command.

Each package contributes its own subcommands; this module only names them,
with the one-line help ``kesu --help`` shows, so that listing the commands
imports none of them. A subcommand's module is imported when it is run (or its
own ``--help`` is asked for): ``kesu weight`` never imports Flask, and
``kesu --help`` and ``kesu estimate --help`` answer in a fraction of a second.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from kesu import __version__

#: subcommand name -> ("module:attribute" of a click command or group, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "questionnaire": ("questionnaires.cli:questionnaire", "Validate and show questionnaire files."),
    "run": ("survey.demo:run", "Set up a demo wave with simulated interviews and serve it."),
    "score": ("scoring.cli:score", "Score responses (CSV, .xlsx, Parquet) or a wave."),
    "items": ("scoring.cli:items", "Item analysis (difficulty, discrimination, alpha)."),
    "irt": ("scoring.irt.cli:irt", "Item response theory: calibrate, score, link, fit, DIF."),
    "db": ("survey.cli:db_group", "Database migrations of the web survey."),
    "serve": ("survey.cli:serve", "Run the web survey."),
    "user": ("survey.cli:user", "Staff accounts and API tokens."),
    "wave": ("survey.cli:wave", "Survey waves: create, open, close, import a sample."),
    "fieldwork": ("survey.cli:fieldwork", "Fieldwork status, targets and interviewers."),
    "export": ("survey.cli:export", "Export a wave (CSV, .sav, .dta, codebook, cases)."),
    "classroom": ("survey.classroom_cli:classroom", "Classroom sessions of the youth monitoring."),
    "capacity": (
        "survey.capacity.cli:capacity",
        "Capacity monitoring: plan, reporting rounds, imports, status.",
    ),
    "sample": ("sampling.sample_cli:sample", "Sample size and allocation; draw the sample."),
    "weight": ("sampling.cli:weight", "Run a weighting job and write the final weights."),
    "estimate": ("sampling.cli:estimate", "Run a job and print its estimates with intervals."),
    "report": ("reports.cli:report", "Build the evaluation report (PDF)."),
    "demo": ("reports.cli:demo", "The whole pipeline on a synthetic Yiwu, to report.pdf."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use.

    ``kesu --help`` lists them with the help texts of :data:`SUBCOMMANDS`, without
    importing them.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            target = self.lazy[cmd_name][0]
            module_name, attr = target.split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{target} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        for name in super().list_commands(ctx):
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden and name not in self.lazy:
                rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
@click.version_option(__version__, prog_name="kesu")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """kesu (科素): citizen science-literacy survey and assessment engine.

    Questionnaires, the web survey, scoring, weighting and the evaluation report.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
