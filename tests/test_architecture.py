"""One-way dependencies between the packages, checked on every module's imports.

Only ``survey/`` touches the web and the database. The statistical cores do no
I/O-framework imports, and each package may import only the layers below it:

    questionnaires  <-  scoring  <-  reports  <-  survey
                        sampling <-/

``cli.py`` modules are edges: inside function bodies they may import anything
(for example ``survey`` to read a wave), but not at module level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
WEB_AND_DB = {
    "flask",
    "sqlalchemy",
    "alembic",
    "werkzeug",
    "flask_limiter",
    "flask_wtf",
    "psycopg",
    "redis",
    "gunicorn",
    "jinja2",
}
#: kesu/'s shared layers: the error base, the one table layer, the one YAML reader and the
#: one interface catalogue
KESU_SHARED = {"kesu.errors", "kesu.tables", "kesu.yamlsource", "kesu.i18n", "kesu.strings"}
ALLOWED = {
    "questionnaires": KESU_SHARED,
    "scoring": {"questionnaires"} | KESU_SHARED,
    "sampling": KESU_SHARED,
    "reports": {"questionnaires", "scoring", "sampling"} | KESU_SHARED,
    "kesu": set(),
}
PACKAGES = {"questionnaires", "scoring", "sampling", "reports", "survey", "kesu"}


def _modules() -> list[Path]:
    return sorted(p for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py"))


def _imports(tree: ast.AST, module_level_only: bool) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import) and not (module_level_only and in_function):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if not (module_level_only and in_function):
                    found.append((child.lineno, child.module))
            visit(child, nested)

    visit(tree, False)
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_respect_layers(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    is_edge = path.name == "cli.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for line, name in _imports(tree, module_level_only=is_edge):
        top = name.split(".")[0]
        if top in WEB_AND_DB:
            problems.append(f"{path.name}:{line} imports {name} (only survey/ may)")
        elif top in PACKAGES and top != package:
            allowed = ALLOWED[package]
            if not any(name == a or name.startswith(a + ".") or top == a for a in allowed):
                problems.append(
                    f"{path.name}:{line} imports {name} ({package} may import "
                    f"only {sorted(allowed) or 'no other package'})"
                )
    assert not problems, "\n".join(problems)


def test_no_module_creates_an_app_at_import() -> None:
    for path in (ROOT / "survey").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                func = node.value.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                assert name not in {"Flask", "create_app", "create_engine"}, (
                    f"{path.name}:{node.lineno} builds {name}() at import time"
                )


def test_report_code_takes_its_separators_from_the_catalogue() -> None:
    """A Chinese list or clause separator written into report code ends up in the English
    report (it printed "sex × age、urban/rural"): they come from the interface catalogue
    (``list_sep``, ``clause_sep``), which has one for each language."""
    found = []
    for path in sorted((ROOT / "reports").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # a heading's number ("一、") is part of a formatted string, not a separator
        formatted = {
            id(c) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for c in n.values
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ("、", "；"):
                if id(node) not in formatted:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
