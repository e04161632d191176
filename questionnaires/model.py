"""Typed, immutable questionnaire objects.

A :class:`Questionnaire` is built by :func:`questionnaires.loader.load_questionnaire`
from a YAML file and never changes afterwards; it is the single source of truth
for item ids, answer keys, points, dimensions, key groups and labels.
"""

from __future__ import annotations

import enum
import functools
import logging
import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from questionnaires.expressions import Expression

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh-CN"
#: the four dimensions of the national test, in report order
DIMENSIONS: tuple[str, ...] = ("knowledge", "method", "spirit", "application")
#: scoring rule sets understood by :mod:`scoring`
RULE_SETS: tuple[str, ...] = ("national-2021", "miller", "benchmark-2016")
#: answer code of "don't know" options (true/false items and test items that offer one)
DONT_KNOW = "DK"


class ItemType(enum.StrEnum):
    """The kinds of question a questionnaire can ask."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"
    NUMBER = "number"
    TEXT = "text"
    LIKERT = "likert"
    GRID = "grid"
    #: a calendar date, stored as ISO text ``YYYY-MM-DD`` (compares in date order)
    DATE = "date"

    @property
    def has_options(self) -> bool:
        return self in (ItemType.SINGLE, ItemType.MULTIPLE, ItemType.TRUEFALSE, ItemType.LIKERT)

    @property
    def scorable(self) -> bool:
        return self in (ItemType.SINGLE, ItemType.MULTIPLE, ItemType.TRUEFALSE)


#: one space between two East Asian wide characters (Han, kana, full-width marks): what a
#: folded YAML line break (``>-``) leaves inside Chinese text
_WIDE = (
    r"[\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\uff00-\uff60\uffe0-\uffe6]"
)
_WIDE_SPACE = re.compile(f"(?<={_WIDE}) (?={_WIDE})")


def join_wide_lines(text: str) -> str:
    """``text`` without a single space between two East Asian wide characters.

    A folded YAML scalar turns each line break into a space, which Chinese does not
    have between words; CSS Text Level 3 (segment break transformation) likewise removes
    a line break between two East Asian wide characters. So a long Chinese text may be
    folded over several lines of a questionnaire file and still reads as one line.

    Example:
        >>> join_wide_lines("行动 （2021—2025年）提供依据。 我们只记录 answers 和 2 项")
        '行动（2021—2025年）提供依据。我们只记录 answers 和 2 项'
    """
    return _WIDE_SPACE.sub("", text) if " " in text else text


@dataclass(frozen=True, slots=True)
class Text:
    """A text in several languages; :meth:`get` falls back to zh-CN. A space between two
    Chinese characters (a folded line break) is dropped (:func:`join_wide_lines`)."""

    values: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, mapping: Mapping[str, str] | str) -> Text:
        if isinstance(mapping, str):
            return cls(((DEFAULT_LANGUAGE, join_wide_lines(mapping)),))
        return cls(tuple((str(k), join_wide_lines(str(v))) for k, v in mapping.items()))

    def get(self, language: str = DEFAULT_LANGUAGE) -> str:
        fallback = ""
        for lang, text in self.values:
            if lang == language:
                return text
            if lang == DEFAULT_LANGUAGE or not fallback:
                fallback = text
        return fallback

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(lang for lang, _ in self.values)

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option of a choice, true/false or Likert item.

    Attributes:
        code: the stored answer code (a string, e.g. ``"A"``, ``"farmer"``, ``"4"``).
        label: what the respondent reads.
        value: numeric value for Likert scales (1..k) and for coding exports.
        fixed: keep this option in place when the item's options are shuffled.
        exclusive: in a multiple-choice item, cannot be combined with other options.
        relevant: offered only when this condition on earlier answers holds (XLSForm's
            ``choice_filter``, a cascading select); None: always offered.
    """

    code: str
    label: Text
    value: float | None = None
    fixed: bool = False
    exclusive: bool = False
    relevant: Expression | None = None


@dataclass(frozen=True, slots=True)
class ScoringKey:
    """How a test item is scored.

    Attributes:
        correct: the option codes that are right (several for a multiple-answer item).
        points: points for a fully right answer.
        dimension: one of :data:`DIMENSIONS`.
        partial_credit: for multiple-answer items, give partial points (see scoring docs).
        explanation: shown after submission on the "learn the answers" page.
    """

    correct: frozenset[str]
    points: float
    dimension: str
    partial_credit: bool = False
    explanation: Text | None = None


@dataclass(frozen=True, slots=True)
class GridRow:
    """One statement of a Likert grid; answered as its own variable ``id``."""

    id: str
    text: Text
    line: int
    attention_expect: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One question.

    ``id`` is the variable name of the answer (grids: each row id is a variable).
    """

    id: str
    type: ItemType
    text: Text
    line: int
    section: str
    required: bool = True
    help: Text | None = None
    options: tuple[Option, ...] = ()
    rows: tuple[GridRow, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    max_length: int | None = None
    unit: Text | None = None
    relevant: Expression | None = None
    constraint: Expression | None = None
    constraint_message: Text | None = None
    randomize: bool = False
    key: ScoringKey | None = None
    attention_expect: str | None = None
    concept: str | None = None

    @property
    def scored(self) -> bool:
        return self.key is not None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    def option(self, code: str) -> Option | None:
        for o in self.options:
            if o.code == code:
                return o
        return None

    @property
    def variables(self) -> tuple[str, ...]:
        """The answer variables this item produces (its id, or one per grid row)."""
        if self.type is ItemType.GRID:
            return tuple(r.id for r in self.rows)
        return (self.id,)


@dataclass(frozen=True, slots=True)
class Section:
    """A page of the questionnaire."""

    id: str
    title: Text
    line: int
    items: tuple[Item, ...]
    intro: Text | None = None
    relevant: Expression | None = None


@dataclass(frozen=True, slots=True)
class Dimension:
    """A scoring dimension with its maximum on the 100-point scale and its Miller cut."""

    id: str
    label: Text
    maximum: float
    cut: float | None = None


@dataclass(frozen=True, slots=True)
class Level:
    """A literacy level: respondents whose total reaches ``minimum`` are at least this level."""

    code: str
    label: Text
    minimum: float


@dataclass(frozen=True, slots=True)
class ScoringRules:
    """Scoring rules of a questionnaire.

    Attributes:
        rule: ``national-2021`` (total >= literate cut), ``miller`` (every dimension passes
            its own cut) or ``benchmark-2016`` (share of items right >= ``benchmark_pass``).
        total: the maximum total score (100).
        dimensions: the dimensions with their maxima; maxima sum to ``total``.
        levels: from highest to lowest minimum; the last one has minimum 0.
        inclusive: a total equal to a level's minimum reaches that level.
        literate_level: the level code whose minimum defines "literate".
        benchmark_pass: pass share for ``benchmark-2016``.
    """

    rule: str = "national-2021"
    total: float = 100.0
    dimensions: tuple[Dimension, ...] = ()
    levels: tuple[Level, ...] = ()
    inclusive: bool = True
    literate_level: str = "literate"
    benchmark_pass: float = 0.6

    def dimension(self, dim_id: str) -> Dimension | None:
        for d in self.dimensions:
            if d.id == dim_id:
                return d
        return None

    def level(self, code: str) -> Level | None:
        for lv in self.levels:
            if lv.code == code:
                return lv
        return None


@dataclass(frozen=True, slots=True)
class KeyGroup:
    """A named, possibly overlapping population group (a rule over demographics)."""

    id: str
    label: Text
    rule: Expression
    line: int


@dataclass(frozen=True, slots=True)
class Derived:
    """A variable computed from answers, e.g. ``age = survey_year - birth_year``."""

    name: str
    expression: Expression
    line: int
    label: Text | None = None


class ScaleMethod(enum.StrEnum):
    """How a scale's item values are combined into its score."""

    SUM = "sum"
    MEAN = "mean"


@dataclass(frozen=True, slots=True)
class Band:
    """A score band of a scale: scores from ``minimum`` up to the next band's minimum.

    ``maximum`` is the band's written upper end (``0–4``: minimum 0, maximum 4); a score
    between it and the next band's minimum (only a mean or prorated score can fall
    there) belongs to this band.
    """

    code: str
    label: Text
    minimum: float
    maximum: float


@dataclass(frozen=True, slots=True)
class ScaleFlag:
    """A flag on a single item of a scale: raised when the item's value is ``>= minimum``.

    Attributes:
        id: the flag's name (analysis-table column ``flag_<id>``).
        variable: the item (or grid row) it reads.
        minimum: the lowest option value that raises the flag.
        care: a raised flag shows the questionnaire's help message (duty of care).
    """

    id: str
    label: Text
    variable: str
    minimum: float
    care: bool
    line: int


@dataclass(frozen=True, slots=True)
class Scale:
    """A validated scale: items, a scoring rule, bands and flags (``questionnaires/FORMAT.md``).

    Attributes:
        id: the scale's name (columns ``scale_<id>`` and ``band_<id>``).
        items: the answer variables (item ids or grid row ids), in order.
        method: ``sum`` or ``mean`` of the item values.
        reverse: items scored ``low + high - value`` (low/high: the item's option values).
        min_answered: fewer answered items leave the score missing.
        prorate: a sum with missing items (but at least ``min_answered``) is
            ``sum * items / answered``, rounded half up when ``whole`` is true.
        whole: every item value is a whole number (sum scores are whole).
        low, high: the lowest and highest possible score.
        bands: from the lowest score up; they cover ``low..high``.
        flags: single-item flags.
        reference: where the scale and its cut-offs come from (for reports).
        screen_from: the band from which a score counts as a positive screen (the
            instrument's published cut-off: PHQ-9 and GAD-7 >= 10); None when the scale
            has none. Reports state the share at or above it.
    """

    id: str
    label: Text
    items: tuple[str, ...]
    method: ScaleMethod
    reverse: frozenset[str]
    min_answered: int
    prorate: bool
    whole: bool
    low: float
    high: float
    bands: tuple[Band, ...]
    flags: tuple[ScaleFlag, ...]
    line: int
    reference: str | None = None
    screen_from: str | None = None

    def band(self, code: str) -> Band | None:
        for b in self.bands:
            if b.code == code:
                return b
        return None

    @property
    def screen_bands(self) -> tuple[str, ...]:
        """The codes of the bands from :attr:`screen_from` up (empty without a cut-off)."""
        codes = [b.code for b in self.bands]
        return tuple(codes[codes.index(self.screen_from) :]) if self.screen_from else ()


@dataclass(frozen=True, slots=True)
class HelpResource:
    """A place to get help (a hotline), shown with the duty-of-care message."""

    name: Text
    phone: str
    hours: Text | None = None
    note: Text | None = None


@dataclass(frozen=True, slots=True)
class CareNotice:
    """What a respondent reads when a ``care`` flag is raised, and the default resources."""

    message: Text
    resources: tuple[HelpResource, ...]
    closing: Text | None = None


@dataclass(frozen=True, slots=True)
class Population:
    """The target population of a questionnaire."""

    min_age: int
    max_age: int
    description: Text | None = None


@dataclass(frozen=True)
class Questionnaire:
    """A whole questionnaire, immutable; ``content_hash`` identifies the exact file."""

    id: str
    version: str
    title: Text
    languages: tuple[str, ...]
    population: Population
    reference_year: int
    sections: tuple[Section, ...]
    scoring: ScoringRules
    groups: tuple[KeyGroup, ...] = ()
    derived: tuple[Derived, ...] = ()
    description: Text | None = None
    privacy: Text | None = None
    minutes: float | None = None
    scales: tuple[Scale, ...] = ()
    care: CareNotice | None = None
    anonymous: bool = False
    content_hash: str = ""
    source: str = ""
    _items: Mapping[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Item] = {}
        for section in self.sections:
            for item in section.items:
                index[item.id] = item
                for row in item.rows:
                    index[row.id] = item
        object.__setattr__(self, "_items", index)

    @property
    def items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> Item:
        """The item with this id (or the grid holding this row id); KeyError if none."""
        return self._items[item_id]

    def has_variable(self, name: str) -> bool:
        return name in self._items

    @functools.cached_property
    def item_variables(self) -> Mapping[str, tuple[str, ...]]:
        """Each item's answer variables by item id (:attr:`Item.variables`, built once:
        skip logic walks every item on every page)."""
        return {item.id: item.variables for item in self.items}

    @functools.cached_property
    def filtered_option_items(self) -> frozenset[str]:
        """Ids of the items with an option offered only under a condition (``relevant`` on
        an option, XLSForm's ``choice_filter``); built once: a question page asks on every
        load which of its items these are."""
        return frozenset(
            item.id for item in self.items if any(o.relevant is not None for o in item.options)
        )

    @functools.cached_property
    def skip_plan(self) -> tuple[tuple[Section, bool, tuple[str, ...]], ...]:
        """Each section with whether any of its items has a condition (``relevant``) and its
        items' answer variables in order (built once: skip logic walks every section on
        every page, and most sections show all their items)."""
        return tuple(
            (
                section,
                any(item.relevant is not None for item in section.items),
                tuple(var for item in section.items for var in item.variables),
            )
            for section in self.sections
        )

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.key is not None)

    @property
    def variables(self) -> tuple[str, ...]:
        """Every answer variable in questionnaire order."""
        return tuple(v for item in self.items for v in item.variables)

    def items_by_concept(self) -> dict[str, Item]:
        """Demographic items by their concept (``sex``, ``town``, ``occupation``...)."""
        return {i.concept: i for i in self.items if i.concept}

    def points_by_dimension(self) -> dict[str, float]:
        """Raw points available per dimension (sum over scored items)."""
        out = {d.id: 0.0 for d in self.scoring.dimensions}
        for item in self.items:
            if item.key is not None:
                out[item.key.dimension] = out.get(item.key.dimension, 0.0) + item.key.points
        return out

    def environment(
        self, answers: Mapping[str, Any], survey_year: int | None = None
    ) -> dict[str, Any]:
        """Answers plus derived variables and ``survey_year``, for evaluating expressions."""
        env: dict[str, Any] = {"survey_year": survey_year or self.reference_year}
        env.update(answers)
        for d in self.derived:
            env[d.name] = d.expression.evaluate(env)
        return env

    def group_flags(
        self, answers: Mapping[str, Any], survey_year: int | None = None
    ) -> dict[str, bool]:
        """Membership of each key group for one respondent."""
        env = self.environment(answers, survey_year)
        return {g.id: g.rule.test(env) for g in self.groups}

    def scale(self, scale_id: str) -> Scale:
        """The scale with this id; KeyError if none."""
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise KeyError(scale_id)

    @property
    def scale_flags(self) -> tuple[ScaleFlag, ...]:
        """Every single-item flag of every scale, in order."""
        return tuple(f for s in self.scales for f in s.flags)

    @property
    def scale_variables(self) -> tuple[str, ...]:
        """The answer variables the scales read, in questionnaire order, each once."""
        used = {v for s in self.scales for v in s.items}
        return tuple(v for v in self.variables if v in used)

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]
