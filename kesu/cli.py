"""The ``kesu`` console command.

Each package contributes its own subcommands; this module only names them.
Subcommands are imported lazily so that, for example, ``kesu weight`` never
imports Flask and ``kesu questionnaire validate`` starts in a fraction of a
second.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from kesu import __version__

#: subcommand name -> "module:attribute" of a click command or group
SUBCOMMANDS: dict[str, str] = {
    "questionnaire": "questionnaires.cli:questionnaire",
    "run": "survey.demo:run",
    "score": "scoring.cli:score",
    "items": "scoring.cli:items",
    "irt": "scoring.irt.cli:irt",
    "db": "survey.cli:db_group",
    "serve": "survey.cli:serve",
    "user": "survey.cli:user",
    "wave": "survey.cli:wave",
    "fieldwork": "survey.cli:fieldwork",
    "export": "survey.cli:export",
    "sample": "sampling.sample_cli:sample",
    "weight": "sampling.cli:weight",
    "estimate": "sampling.cli:estimate",
    "report": "reports.cli:report",
    "demo": "reports.cli:demo",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
@click.version_option(__version__, prog_name="kesu")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """kesu (科素): citizen science-literacy survey and assessment engine.

    Questionnaires, the web survey, scoring, weighting and the evaluation report.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
