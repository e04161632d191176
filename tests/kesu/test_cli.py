"""``kesu --help`` lists every command without importing any; ``kesu estimate --help``
imports no statistics (speed is measured in bench/bench_job.py, not here)."""

from __future__ import annotations

import json
import subprocess
import sys

import click

from kesu.cli import SUBCOMMANDS
from kesu.cli import main

PROBE = """
import json, sys
from kesu.cli import main
try:
    main({args}, prog_name="kesu")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(args: list[str]) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    assert "Usage:" in proc.stdout
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_kesu_help_imports_no_subcommand():
    loaded = _modules_after(["--help"])
    packages = {"survey", "sampling", "scoring", "reports", "questionnaires", "numpy", "scipy"}
    assert not {m.split(".")[0] for m in loaded} & packages


def test_estimate_help_imports_no_statistics():
    loaded = _modules_after(["estimate", "--help"])
    heavy = {"scipy", "pyarrow", "sampling.job", "sampling.estimation", "survey", "reports"}
    assert not {m for m in loaded if m in heavy or m.split(".")[0] in heavy}


def test_every_listed_command_exists_with_its_help():
    for name, (target, help_text) in SUBCOMMANDS.items():
        command = click.Context(main).command.get_command(click.Context(main), name)
        assert isinstance(command, click.Command), target
        assert help_text and len(help_text) < 70, name
