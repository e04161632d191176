"""Mutated questionnaire files always give located validation errors, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from questionnaires import QuestionnaireError
from questionnaires import parse_questionnaire

FEATURES = Path(__file__).parent / "data" / "features.yaml"
ORIGINAL_TEXT = FEATURES.read_text(encoding="utf-8")
ORIGINAL = yaml.safe_load(ORIGINAL_TEXT)

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "a +",
            "K1 == 'Z'",
            "zzz > 1",
            "__import__('os')",
            "occupation == 'famer'",
            "K2 == 'C'",
            "views",
            "age >= 60",
            "count(",
            "farm_years",
            "K1",
            "senior",
            "x.y",
            "single",
            "multiple",
            "grid",
            "knowledge",
            "agree4",
            "agree9",
            "D",
            "[A, B]",
        ]
    ),
    st.lists(st.integers(max_value=9), max_size=3),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


ALL_PATHS = [p for p in _paths(ORIGINAL) if p]


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _check(text: str) -> None:
    try:
        parse_questionnaire(text, source="mutant.yaml")
    except QuestionnaireError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "mutant.yaml"
            assert problem.line >= 1
            assert problem.message
            assert str(problem).startswith("mutant.yaml:")


# derandomize: CI must be reproducible; run with a larger max_examples locally to explore
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_structure_gives_located_errors(data: st.DataObject) -> None:
    doc = _copy(ORIGINAL)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(ALL_PATHS))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            last = path[-1]
            parent[last]  # noqa: B018 - the path may be gone after an earlier mutation
        except (KeyError, IndexError, TypeError):
            continue
        action = data.draw(st.sampled_from(["replace", "delete", "duplicate", "same-id"]))
        if action == "replace":
            parent[last] = data.draw(JUNK)
        elif action == "delete":
            del parent[last]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(last, _copy(parent[last]))
        elif action == "same-id" and isinstance(parent, dict) and "id" in parent:
            parent["id"] = data.draw(
                st.sampled_from(["K1", "sex", "views", "V1", "age", "senior", "about"])
            )
    _check(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data())
def test_mutated_text_gives_located_errors(data: st.DataObject) -> None:
    lines = ORIGINAL_TEXT.splitlines()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "indent", "dedent", "garble"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "indent":
            lines[i] = "  " + lines[i]
        elif action == "dedent":
            lines[i] = lines[i][2:]
        else:
            j = data.draw(st.integers(min_value=0, max_value=max(len(lines[i]) - 1, 0)))
            char = data.draw(st.sampled_from(list(":{}[],'\"#&*!|>-?%@` \t") + ["\x00", "é"]))
            lines[i] = lines[i][:j] + char + lines[i][j + 1 :]
    _check("\n".join(lines) + "\n")
