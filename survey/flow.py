"""Which pages and questions a respondent sees: skip logic, order and progress.

Pure functions over a :class:`~questionnaires.Questionnaire` and an answer dict; no Flask,
no database. Skip logic is evaluated on the server with ``questionnaire.environment()``,
in questionnaire order: relevance may only read earlier items (the loader checks this),
so one ordered pass that keeps the answers of visible items only is exact.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from questionnaires import Item
from questionnaires import Option
from questionnaires import Questionnaire
from questionnaires import Section
from questionnaires.model import GridRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visibility:
    """What one respondent sees given their answers.

    Attributes:
        answers: the answers to visible items only (answers to hidden items are dropped).
        sections: the visible sections in order, each with its visible items.
        section_ids: the ids of ``sections``, in order.
    """

    answers: dict[str, Any]
    sections: tuple[tuple[Section, tuple[Item, ...]], ...]
    section_ids: tuple[str, ...] = field(init=False)
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = tuple(s.id for s, _ in self.sections)
        object.__setattr__(self, "section_ids", ids)
        object.__setattr__(self, "_positions", {sid: i for i, sid in enumerate(ids)})

    def items_of(self, section_id: str) -> tuple[Item, ...]:
        """The visible items of a section (empty when the section is hidden)."""
        i = self._positions.get(section_id)
        return () if i is None else self.sections[i][1]

    def index(self, section_id: str) -> int:
        """Position of a visible section (ValueError when hidden)."""
        i = self._positions.get(section_id)
        if i is None:
            raise ValueError(f"{section_id!r} is not a visible section")
        return i

    def next_section(self, section_id: str) -> str | None:
        """The visible section after ``section_id`` (None when it is the last)."""
        i = self.index(section_id)
        return self.section_ids[i + 1] if i + 1 < len(self.section_ids) else None

    def previous_section(self, section_id: str) -> str | None:
        i = self.index(section_id)
        return self.section_ids[i - 1] if i > 0 else None

    @property
    def visible_variables(self) -> frozenset[str]:
        return frozenset(v for _, items in self.sections for item in items for v in item.variables)


def is_answered(value: Any) -> bool:
    """An answer counts as given when it is not None, '' or an empty list."""
    if value is None or value == "":
        return False
    return not (isinstance(value, list) and not value)


def walk(
    questionnaire: Questionnaire, answers: Mapping[str, Any], survey_year: int | None = None
) -> Visibility:
    """Evaluate skip logic for ``answers``; see :class:`Visibility`."""
    kept: dict[str, Any] = {}
    shown: list[tuple[Section, tuple[Item, ...]]] = []
    # the environment of the answers kept so far (derived variables included), rebuilt
    # only after an answer was kept: most items add none before the next condition
    env: dict[str, Any] | None = None
    variables = questionnaire.item_variables
    for section, conditional, section_variables in questionnaire.skip_plan:
        if section.relevant is not None:
            if env is None:
                env = questionnaire.environment(kept, survey_year)
            if not section.relevant.test(env):
                continue
        if not conditional:  # every item is shown: no test per item
            if section.items:
                shown.append((section, section.items))
            for var in section_variables:
                if var in answers and is_answered(answers[var]):
                    kept[var] = answers[var]
                    env = None
            continue
        items: list[Item] = []
        for item in section.items:
            if item.relevant is not None:
                if env is None:
                    env = questionnaire.environment(kept, survey_year)
                if not item.relevant.test(env):
                    continue
            items.append(item)
            for var in variables[item.id]:
                if var in answers and is_answered(answers[var]):
                    kept[var] = answers[var]
                    env = None
        if items:
            shown.append((section, tuple(items)))
    return Visibility(answers=kept, sections=tuple(shown))


def missing_required(visibility: Visibility) -> list[tuple[str, str]]:
    """``(section id, variable)`` of every visible required answer that is missing."""
    out: list[tuple[str, str]] = []
    for section, items in visibility.sections:
        for item in items:
            if not item.required:
                continue
            for var in item.variables:
                if not is_answered(visibility.answers.get(var)):
                    out.append((section.id, var))
    return out


def offered(options: tuple[Option, ...], env: Mapping[str, Any] | None) -> tuple[Option, ...]:
    """The options offered given earlier answers (an option's ``relevant``, XLSForm's
    ``choice_filter``); all of them when ``env`` is None."""
    if env is None:
        return options
    return tuple(o for o in options if o.relevant is None or o.relevant.test(env))


def _rng(seed: int | str, item_id: str) -> random.Random:
    # seeded by response and item: the order is the same on every visit of that response
    return random.Random(f"{seed}:{item_id}")


def _shuffle_unfixed(entries: list[Any], fixed: list[bool], rng: random.Random) -> list[Any]:
    movable = [e for e, f in zip(entries, fixed, strict=True) if not f]
    rng.shuffle(movable)
    it = iter(movable)
    return [e if f else next(it) for e, f in zip(entries, fixed, strict=True)]


def option_order(item: Item, seed: int | str) -> tuple[Option, ...]:
    """The item's options in display order: shuffled when ``item.randomize`` (options with
    ``fixed: true`` stay in place), stable for one ``seed`` (the response id)."""
    options = list(item.options)
    if not item.randomize or item.type.value == "grid" or len(options) < 2:
        return tuple(options)
    return tuple(_shuffle_unfixed(options, [o.fixed for o in options], _rng(seed, item.id)))


def row_order(item: Item, seed: int | str) -> tuple[GridRow, ...]:
    """A grid's rows in display order (shuffled when ``item.randomize``), stable per seed."""
    rows = list(item.rows)
    if not item.randomize or len(rows) < 2:
        return tuple(rows)
    rng = _rng(seed, item.id)
    rng.shuffle(rows)
    return tuple(rows)
