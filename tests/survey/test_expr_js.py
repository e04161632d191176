"""One definition of skip logic and checks, two evaluators: the server's compiled expressions
(questionnaires.expressions, survey.flow.walk) and the device's (survey/static/kesu-expr.js
over Expression.to_json). Both run on the same generated cases; node evaluates the JS."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from questionnaires import load_questionnaire
from questionnaires.expressions import parse_expression
from questionnaires.model import ItemType
from survey.device_form import device_form
from survey.flow import is_answered
from survey.flow import offered
from survey.flow import walk

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "survey" / "static" / "kesu-expr.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

RUNNER = """
const kx = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(function (c) {
  if (c.form) {
    const w = kx.walk(c.form, c.answers, c.year);
    const env = kx.environment(c.form, w.answers, c.year);
    const checks = [];
    w.sections.forEach(function (s) { s.items.forEach(function (i) {
      if (i.constraint) checks.push([i.id, kx.test(i.constraint, env)]);
      if (i.options.some(function (o) { return o.relevant; }))
        checks.push([i.id, kx.offered(i.options, env).map(function (o) { return o.code; })]);
    }); });
    return {sections: w.sections.map(function (s) {
      return [s.section.id, s.items.map(function (i) { return i.id; })]; }),
      answers: w.answers, checks: checks};
  }
  return kx.evaluate(c.tree, c.env);
});
process.stdout.write(JSON.stringify(out));
"""


def run_js(cases: list[dict[str, Any]]) -> list[Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", RUNNER, str(JS)], input=json.dumps(cases), capture_output=True,
        text=True, check=True, timeout=120,
    )  # fmt: skip
    result: list[Any] = json.loads(done.stdout)
    return result


VALUES: list[Any] = [None, 0, 1, 2, -3, 7, 60, 2.5, -0.5, 0.125, True, False, "", "1", "2.0",
                     "a", "farmer", "b", " 3 ", "1e2", ["a", "b"], ["1"], []]  # fmt: skip
NAMES = ["a", "b", "s", "m", "z"]
LITERALS = ["0", "1", "2", "3", "-1", "2.5", "0.1", "'a'", "'1'", "'farmer'", "''", "null",
            "true", "false", "('a', 'b')", "(1, 2)", "()"]  # fmt: skip
COMPARE = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
ARITH = ["+", "-", "*", "/", "//", "%"]


def gen(rng: random.Random, depth: int) -> str:
    """A random expression of the whole grammar (every node kind and function)."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(NAMES) if rng.random() < 0.55 else rng.choice(LITERALS)
    kind = rng.randrange(9)
    sub = lambda: gen(rng, depth - 1)  # noqa: E731
    if kind == 0:
        return f"({sub()} {rng.choice(COMPARE)} {sub()})"
    if kind == 1:
        return f"({sub()} {rng.choice(ARITH)} {sub()})"
    if kind == 2:
        return f"({sub()} {rng.choice(['and', 'or'])} {sub()})"
    if kind == 3:
        return f"(not {sub()})" if rng.random() < 0.5 else f"(-{sub()})"
    if kind == 4:
        return f"({sub()} if {sub()} else {sub()})"
    if kind == 5:
        return f"({sub()} < {sub()} <= {sub()})"
    if kind == 6:
        fn = rng.choice(["selected", "coalesce", "min", "max"])
        return f"{fn}({sub()}, {sub()})"
    if kind == 7:
        fn = rng.choice(["count", "answered", "length", "abs", "round"])
        return f"{fn}({sub()})"
    return f"round({sub()}, {rng.choice(['0', '1', '2', 'a'])})"


def same(py: Any, js: Any) -> bool:
    if isinstance(py, tuple | list):
        return isinstance(js, list) and len(py) == len(js) and all(map(same, py, js))
    if isinstance(py, bool) or isinstance(js, bool):
        return py is js or (py == js and type(py) is type(js))
    if isinstance(py, int | float) and isinstance(js, int | float):
        return py == js
    return bool(py == js)


def test_generated_expressions_agree() -> None:
    rng = random.Random(20261206)
    cases, expected = [], []
    while len(cases) < 4000:
        source = gen(rng, 4)
        expr = parse_expression(source)
        env = {n: rng.choice(VALUES) for n in NAMES if rng.random() < 0.8}
        cases.append({"tree": expr.to_json(), "env": env})
        expected.append((source, env, expr.evaluate(env)))
    got = run_js(cases)
    wrong = [(s, e, p, j) for (s, e, p), j in zip(expected, got, strict=True) if not same(p, j)]
    assert not wrong, f"{len(wrong)} of {len(cases)} differ, first: {wrong[:5]}"


def random_answers(rng: random.Random, q: Any) -> dict[str, Any]:
    """Answers as the parsers store them, with gaps and out-of-range numbers."""
    answers: dict[str, Any] = {}
    for item in q.items:
        for var in item.variables:
            if rng.random() < 0.15:
                continue
            if item.type is ItemType.MULTIPLE:
                codes = [o.code for o in item.options if rng.random() < 0.4]
                answers[var] = codes
            elif item.type is ItemType.GRID or item.type.has_options:
                answers[var] = rng.choice(item.options).code if item.options else "3"
            elif item.type is ItemType.NUMBER:
                lo = int(item.minimum if item.minimum is not None else 0)
                hi = int(item.maximum if item.maximum is not None else 100)
                answers[var] = rng.randint(lo, hi) if rng.random() < 0.9 else rng.randint(0, 99)
            else:
                answers[var] = rng.choice(["文本", "x", "abc def"])
    return answers


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "questionnaires" / "yiwu-csl-2025.yaml",
        ROOT / "questionnaires" / "civil-servant-mh-2025.yaml",
        ROOT / "tests" / "questionnaires" / "data" / "features.yaml",  # option conditions
    ],
    ids=lambda p: p.name,
)
def test_skip_logic_and_checks_agree(path: Path) -> None:
    q = load_questionnaire(path)
    form = device_form(q, "zh-CN")
    rng = random.Random(17)
    cases, expected = [], []
    for _ in range(300):
        answers = random_answers(rng, q)
        year = rng.choice([None, 2025, 2030])
        v = walk(q, answers, year)
        env = q.environment(v.answers, year)
        checks: list[list[Any]] = []
        for _, items in v.sections:
            for i in items:
                if i.constraint is not None:
                    checks.append([i.id, i.constraint.test(env)])
                if any(o.relevant is not None for o in i.options):
                    checks.append([i.id, [o.code for o in offered(i.options, env)]])
        sections = [[s.id, [i.id for i in items]] for s, items in v.sections]
        cases.append({"form": form, "answers": answers, "year": year})
        expected.append({"sections": sections, "answers": v.answers, "checks": checks})
    got = run_js(cases)
    for want, have in zip(expected, got, strict=True):
        assert have == want
    # the cases reach the skip logic both ways
    shown = {len(e["sections"]) for e in expected}
    assert len(shown) > 1 or all(is_answered(x) for x in shown)
