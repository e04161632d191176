"""The benchmarks in ``bench/`` still fit the code they measure.

CI does not run them (they take minutes and need the bench extra), so a name they import
from kesu's packages, often inside a function, could be renamed or moved without anyone
noticing until the next run fails (``bench_qr_sheet.py`` once imported ``town_labels`` from
``survey.sample`` after it had moved to ``survey.towns``). Every ``from X import name`` of a
kesu package or of a sibling bench module, and every attribute read of an imported kesu
module, is checked here without running the benchmark.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BENCH = ROOT / "bench"
PACKAGES = {"questionnaires", "scoring", "sampling", "reports", "survey", "kesu"}
SCRIPTS = sorted(BENCH.glob("*.py"))


def _defined(path: Path) -> set[str]:
    """The module-level names a bench module defines (functions, classes, assignments,
    imports)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def test_make_bench_runs_every_benchmark() -> None:
    """``bench/run_all.py`` (``make bench``) lists every script of ``bench/`` but the
    helpers (``_*.py``) and itself."""
    import sys

    sys.path.insert(0, str(BENCH))
    try:
        run_all = importlib.import_module("run_all")
    finally:
        sys.path.remove(str(BENCH))
    listed = {script for script, _, _ in run_all.BENCHMARKS.values()}
    scripts = {p.name for p in SCRIPTS if not p.name.startswith("_")} - {"run_all.py"}
    assert len(scripts) >= 10
    assert listed == scripts


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_exists(script: Path) -> None:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    missing = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        top = node.module.split(".")[0]
        sibling = BENCH / f"{node.module}.py"
        for alias in node.names:
            if top in PACKAGES:
                module = importlib.import_module(node.module)
                found = hasattr(module, alias.name) or (
                    hasattr(module, "__path__")  # a package: the name may be a submodule
                    and importlib.util.find_spec(f"{node.module}.{alias.name}") is not None
                )
            elif sibling.exists():
                found = alias.name in _defined(sibling)
            else:
                continue  # a library (the bench extra): not kesu's to keep in step
            if not found:
                missing.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    # attributes of an imported kesu module (``from reports import sections``, then
    # ``sections.summary``)
    modules = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in PACKAGES:
                for alias in node.names:
                    value = getattr(importlib.import_module(node.module), alias.name, None)
                    if isinstance(value, types.ModuleType):
                        modules[alias.asname or alias.name] = value
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = modules.get(node.value.id)
            if module is not None and not hasattr(module, node.attr):
                missing.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not missing, f"{script.name}: " + "; ".join(missing)
