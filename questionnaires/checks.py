"""Cross-reference checks over a whole questionnaire.

After every item has been read on its own, these checks look at the whole:
ids are unique, expressions name only known variables and only existing
option codes, skip logic uses earlier answers and has no cycle, and every
scoring dimension has scored items.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from questionnaires.expressions import Expression
from questionnaires.fields import Reporter
from questionnaires.model import Derived
from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import KeyGroup
from questionnaires.model import ScoringRules
from questionnaires.model import Section

logger = logging.getLogger(__name__)

BUILTIN_NAMES = frozenset({"survey_year"})


@dataclass(frozen=True)
class _Var:
    """Where a referable name is defined."""

    position: int  # order in the questionnaire; derived variables: -1 until resolved
    line: int
    item: Item | None


def _index(
    rep: Reporter, sections: Sequence[Section], derived: Sequence[Derived]
) -> tuple[dict[str, _Var], set[str]]:
    names: dict[str, _Var] = {}
    grids: set[str] = set()
    section_ids: dict[str, int] = {}
    concepts: dict[str, int] = {}
    position = 0
    for section in sections:
        if section.id in section_ids:
            rep.add(
                section.line,
                f"section id {section.id!r} is used twice (first on line "
                f"{section_ids[section.id]})",
                f"section {section.id}",
            )
        section_ids.setdefault(section.id, section.line)
        for item in section.items:
            position += 1
            own = [(item.id, item.line)] + [(r.id, r.line) for r in item.rows]
            for name, line in own:
                if name in names or name in grids:
                    first = names[name].line if name in names else item.line
                    rep.add(
                        line,
                        f"id {name!r} is used twice (first on line {first})",
                        f"item {item.id}",
                    )
                    continue
                if item.type is ItemType.GRID and name == item.id:
                    grids.add(name)
                else:
                    names[name] = _Var(position, line, item)
            if item.concept:
                if item.concept in concepts:
                    rep.add(
                        item.line,
                        f"concept {item.concept!r} is already given to the item "
                        f"on line {concepts[item.concept]}",
                        f"item {item.id}",
                    )
                concepts.setdefault(item.concept, item.line)
    for d in derived:
        if d.name in names or d.name in grids or d.name in BUILTIN_NAMES:
            rep.add(
                d.line,
                f"derived variable {d.name!r} has the name of an item or a built-in",
                f"derived {d.name}",
            )
            continue
        names[d.name] = _Var(-1, d.line, None)
    return names, grids


def _find_cycle(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by a depth-first search (one per back edge)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def _derived_positions(
    rep: Reporter, names: dict[str, _Var], derived: Sequence[Derived], cyclic: set[str]
) -> None:
    """A derived variable is available once all the answers it reads are."""
    by_name = {d.name: d for d in derived if d.name in names and names[d.name].item is None}
    resolved: dict[str, int] = {}

    def position(name: str, seen: frozenset[str]) -> int:
        if name in resolved:
            return resolved[name]
        var = names.get(name)
        if var is None or name in seen or name in cyclic:
            return -1
        if var.item is not None:
            return var.position
        d = by_name.get(name)
        deps = d.expression.names if d is not None else frozenset()
        pos = max((position(n, seen | {name}) for n in deps), default=-1)
        resolved[name] = pos
        return pos

    for name in by_name:
        names[name] = _Var(position(name, frozenset()), names[name].line, None)


def _check_expression(
    rep: Reporter,
    expr: Expression,
    names: dict[str, _Var],
    grids: set[str],
    *,
    where: str,
    line: int,
    label: str,
    before: int | None,
    self_name: str | None = None,
    allow_self: bool = False,
) -> None:
    for name in sorted(expr.names):
        if name in BUILTIN_NAMES:
            continue
        if name in grids:
            rep.add(
                line,
                f"{label} refers to grid {name!r}, which has no single answer; "
                "use one of its row ids",
                where,
            )
            continue
        var = names.get(name)
        if var is None:
            rep.add(line, f"{label} refers to unknown variable {name!r}", where)
            continue
        if name == self_name and not allow_self:
            rep.add(line, f"{label} refers to the item itself", where)
            continue
        if before is not None and var.position >= before and not (allow_self and name == self_name):
            what = "item" if var.item is not None else "derived variable"
            rep.add(
                line,
                f"{label} refers to {what} {name!r} (line {var.line}), which is only "
                "answered later; skip logic can use earlier answers only",
                where,
            )
    for name, code in sorted(expr.code_refs):
        var = names.get(name)
        if var is None or var.item is None or not var.item.options:
            continue
        codes = var.item.codes
        if code not in codes:
            rep.add(
                line,
                f"{label} compares {name!r} with {code!r}, which is not one of its "
                f"codes {', '.join(codes)}",
                where,
            )


def check_references(
    rep: Reporter,
    sections: Sequence[Section],
    derived: Sequence[Derived],
    groups: Sequence[KeyGroup],
    scoring: ScoringRules,
) -> None:
    """Record every cross-reference problem of a questionnaire in ``rep``."""
    names, grids = _index(rep, sections, derived)
    graph: dict[str, set[str]] = {d.name: set(d.expression.names) for d in derived}
    for section in sections:
        for item in section.items:
            if item.relevant is not None:
                graph.setdefault(item.id, set()).update(item.relevant.names)
    cyclic: set[str] = set()
    for cycle in _find_cycle(graph):
        first = cycle[0]
        var = names.get(first)
        rep.add(
            var.line if var else 1,
            "skip logic has a cycle: " + " -> ".join(cycle),
            f"item {first}" if var and var.item else f"derived {first}",
        )
        cyclic.update(cycle)
    _derived_positions(rep, names, derived, cyclic)
    for d in derived:
        if d.name not in cyclic:
            _check_expression(
                rep,
                d.expression,
                names,
                grids,
                where=f"derived {d.name}",
                line=d.line,
                label="expression",
                before=None,
                self_name=d.name,
            )
    for g in groups:
        _check_expression(
            rep, g.rule, names, grids, where=f"group {g.id}", line=g.line, label="rule", before=None
        )
    position = 0
    for section in sections:
        if section.relevant is not None:
            _check_expression(
                rep,
                section.relevant,
                names,
                grids,
                where=f"section {section.id}",
                line=section.line,
                label="relevance",
                before=position + 1,
            )
        for item in section.items:
            position += 1
            where = f"item {item.id}"
            if item.relevant is not None and item.id not in cyclic:
                _check_expression(
                    rep,
                    item.relevant,
                    names,
                    grids,
                    where=where,
                    line=item.line,
                    label="relevance",
                    before=position,
                    self_name=item.id,
                )
            for option in item.options:
                if option.relevant is not None:
                    _check_expression(
                        rep,
                        option.relevant,
                        names,
                        grids,
                        where=f"{where} option {option.code}",
                        line=item.line,
                        label="relevance",
                        before=position,
                        self_name=item.id,
                    )
            if item.constraint is not None:
                _check_expression(
                    rep,
                    item.constraint,
                    names,
                    grids,
                    where=where,
                    line=item.line,
                    label="constraint",
                    before=position + 1,
                    self_name=item.id,
                    allow_self=True,
                )
    _check_scoring(rep, sections, scoring)


def _check_scoring(rep: Reporter, sections: Sequence[Section], scoring: ScoringRules) -> None:
    scored = [i for s in sections for i in s.items if i.key is not None]
    if not scored:
        return
    per_dim: dict[str, int] = {}
    for item in scored:
        if item.key is not None:
            per_dim[item.key.dimension] = per_dim.get(item.key.dimension, 0) + 1
    line = min(i.line for i in scored)
    for d in scoring.dimensions:
        if d.maximum > 0 and not per_dim.get(d.id):
            rep.add(line, f"dimension {d.id!r} has max {d.maximum:g} but no scored item", "scoring")
