"""Load a questionnaire YAML file into a :class:`~questionnaires.model.Questionnaire`.

Every problem is reported with the file, the line and (where there is one) the
item or section, and loading goes on after a problem so that one run of
``kesu questionnaire validate`` lists all of them. The format is documented in
``questionnaires/FORMAT.md``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kesu.yamlsource import LineList
from kesu.yamlsource import YamlSyntaxError
from kesu.yamlsource import parse_yaml
from questionnaires.checks import check_references
from questionnaires.errors import Problem
from questionnaires.errors import QuestionnaireError
from questionnaires.fields import ID_PATTERN
from questionnaires.fields import LANGUAGE_PATTERN
from questionnaires.fields import QUESTIONNAIRE_ID_PATTERN
from questionnaires.fields import Fields
from questionnaires.fields import Reporter
from questionnaires.items import ItemReader
from questionnaires.model import DEFAULT_LANGUAGE
from questionnaires.model import DIMENSIONS
from questionnaires.model import RULE_SETS
from questionnaires.model import Derived
from questionnaires.model import Dimension
from questionnaires.model import KeyGroup
from questionnaires.model import Level
from questionnaires.model import Population
from questionnaires.model import Questionnaire
from questionnaires.model import ScoringRules
from questionnaires.model import Section
from questionnaires.model import Text
from questionnaires.scales import check_care
from questionnaires.scales import read_care
from questionnaires.scales import read_scales

logger = logging.getLogger(__name__)

_TOP_KEYS = {
    "id",
    "version",
    "title",
    "description",
    "privacy",
    "languages",
    "population",
    "reference_year",
    "minutes",
    "option_sets",
    "derived",
    "groups",
    "scoring",
    "sections",
    "scales",
    "care",
    "anonymous",
}
_SCORING_KEYS = {
    "rule",
    "total",
    "dimensions",
    "levels",
    "inclusive",
    "literate_level",
    "benchmark_pass",
}

#: national defaults (see ../shared/domain.md): 40/20/20/20 and levels at 85/70/55
DEFAULT_DIMENSIONS = (
    Dimension("knowledge", Text.of({"zh-CN": "科学知识", "en": "Scientific knowledge"}), 40.0),
    Dimension("method", Text.of({"zh-CN": "科学方法", "en": "Scientific methods"}), 20.0),
    Dimension("spirit", Text.of({"zh-CN": "科学精神与思想", "en": "Scientific spirit"}), 20.0),
    Dimension("application", Text.of({"zh-CN": "应用科学的能力", "en": "Applying science"}), 20.0),
)
DEFAULT_LEVELS = (
    Level("advanced", Text.of({"zh-CN": "具备高阶科学素质", "en": "Advanced"}), 85.0),
    Level("literate", Text.of({"zh-CN": "具备科学素质", "en": "Scientifically literate"}), 70.0),
    Level("basic", Text.of({"zh-CN": "基本具备科学素质", "en": "Basic"}), 55.0),
    Level("low", Text.of({"zh-CN": "具备较低科学素质", "en": "Low"}), 0.0),
)


def content_hash(data: bytes) -> str:
    """SHA-256 of the file's bytes: the identity a wave freezes."""
    return hashlib.sha256(data).hexdigest()


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and check a questionnaire file.

    Raises:
        QuestionnaireError: listing every problem as ``FILE:LINE: where: message``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError(
            [Problem(str(path), 1, f"cannot read file: {exc.strerror}")]
        ) from None
    return parse_questionnaire(data, source=str(path))


def validate_file(path: str | Path) -> list[Problem]:
    """The problems of a questionnaire file (empty when it is valid)."""
    try:
        load_questionnaire(path)
    except QuestionnaireError as exc:
        return list(exc.problems)
    return []


def parse_questionnaire(data: bytes | str, source: str = "<string>") -> Questionnaire:
    """Parse questionnaire YAML given as bytes or text; ``source`` names it in messages."""
    raw_bytes = data.encode("utf-8") if isinstance(data, str) else data
    rep = Reporter(source)
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        raise QuestionnaireError([Problem(source, line, "the file is not UTF-8 text")]) from None
    try:
        doc, duplicates = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise QuestionnaireError([Problem(source, exc.line or 1, exc.message)]) from None
    for dup in duplicates:
        rep.add(dup.line, f"key {dup.key!r} is written twice (first on line {dup.first_line})")
    questionnaire = _build(rep, doc, content_hash(raw_bytes), source)
    if rep.problems or questionnaire is None:
        if not rep.problems:  # pragma: no cover - every None path reports a problem
            rep.add(1, "the questionnaire could not be built")
        problems = sorted(rep.problems, key=lambda p: p.line)
        raise QuestionnaireError(problems)
    return questionnaire


def _languages(rep: Reporter, top: Fields) -> tuple[str, ...]:
    seq = top.sequence("languages", required=True)
    if seq is None:
        return (DEFAULT_LANGUAGE,)
    out: list[str] = []
    for i, lang in enumerate(seq):
        if not isinstance(lang, str) or not LANGUAGE_PATTERN.match(lang):
            rep.add(seq.line_of(i), f"language {lang!r} is not a language tag such as zh-CN, en")
        elif lang in out:
            rep.add(seq.line_of(i), f"language {lang!r} is listed twice")
        else:
            out.append(lang)
    if DEFAULT_LANGUAGE not in out:
        top.error("languages", f"languages must include {DEFAULT_LANGUAGE} (the default)")
        out.insert(0, DEFAULT_LANGUAGE)
    return tuple(out)


def _scoring(rep: Reporter, raw: Any, line: int) -> ScoringRules:
    if raw is None:
        return ScoringRules(dimensions=DEFAULT_DIMENSIONS, levels=DEFAULT_LEVELS)
    f = Fields(rep, raw, what="scoring", where="scoring", allowed=_SCORING_KEYS, line=line)
    rule = f.string("rule", default="national-2021") or "national-2021"
    if rule not in RULE_SETS:
        f.error("rule", f"unknown rule set {rule!r} (one of {', '.join(RULE_SETS)})")
    total = f.number("total", default=100.0, positive=True) or 100.0
    dimensions: tuple[Dimension, ...] = DEFAULT_DIMENSIONS
    dims_raw = f.mapping("dimensions")
    if dims_raw is not None:
        dims: list[Dimension] = []
        for dim_id, spec in dims_raw.items():
            where = f"dimension {dim_id}"
            df = Fields(
                rep,
                spec,
                what="a dimension",
                where=where,
                allowed={"max", "label", "cut"},
                line=dims_raw.line_of(dim_id),
            )
            if not isinstance(dim_id, str) or not ID_PATTERN.match(dim_id):
                df.error(None, f"dimension id {dim_id!r} is not a valid name")
                continue
            maximum = df.number("max", required=True, positive=True)
            default_label = next((d.label for d in DEFAULT_DIMENSIONS if d.id == dim_id), None)
            label = df.text("label") or default_label
            if label is None and not df.has("label"):
                df.error(
                    None,
                    f"dimension {dim_id!r} is not one of {', '.join(DIMENSIONS)}; "
                    "give it a 'label'",
                )
            cut = df.number("cut", minimum=0.0)
            if cut is not None and maximum is not None and cut > maximum:
                df.error("cut", f"cut {cut:g} is above the dimension's max {maximum:g}")
            if maximum is not None and label is not None:
                dims.append(Dimension(dim_id, label, maximum, cut))
        if not dims_raw:
            f.error("dimensions", "scoring needs at least one dimension")
        dimensions = tuple(dims)
    if dims_raw is not None or f.has("total"):
        summed = sum(d.maximum for d in dimensions)
        if dimensions and abs(summed - total) > 1e-9:
            parts = " + ".join(f"{d.id} {d.maximum:g}" for d in dimensions)
            f.error(
                "dimensions" if dims_raw is not None else "total",
                f"dimension maxima sum to {summed:g} ({parts}), not the total {total:g}",
            )
    if rule == "miller":
        for d in dimensions:
            if d.cut is None:
                f.error("dimensions", f"rule 'miller' needs a 'cut' for dimension {d.id!r}")
    levels = _levels(rep, f, total)
    inclusive = f.boolean("inclusive", default=True)
    literate = f.string("literate_level", default="literate") or "literate"
    if levels and literate not in {lv.code for lv in levels}:
        f.error(
            "literate_level" if f.has("literate_level") else "levels",
            f"literate level {literate!r} is not one of the levels "
            f"{', '.join(lv.code for lv in levels)}",
        )
    bench = f.number("benchmark_pass", default=0.6, positive=True) or 0.6
    if bench > 1:
        f.error("benchmark_pass", f"benchmark_pass is a share between 0 and 1, not {bench:g}")
    return ScoringRules(rule, total, dimensions, levels, inclusive, literate, bench)


def _levels(rep: Reporter, f: Fields, total: float) -> tuple[Level, ...]:
    seq = f.sequence("levels")
    if seq is None:
        return tuple(lv for lv in DEFAULT_LEVELS if lv.minimum <= total)
    levels: list[Level] = []
    for i, entry in enumerate(seq):
        lf = Fields(
            rep,
            entry,
            what="a level",
            where="scoring",
            allowed={"code", "label", "min"},
            line=seq.line_of(i),
        )
        code = lf.string("code", required=True, pattern=ID_PATTERN)
        label = lf.text("label", required=True)
        minimum = lf.number("min", required=True, minimum=0.0)
        if minimum is not None and minimum > total:
            lf.error("min", f"level minimum {minimum:g} is above the total {total:g}")
        if levels and minimum is not None and minimum >= levels[-1].minimum:
            lf.error("min", "levels must be listed from the highest minimum to the lowest")
        if code is not None and label is not None and minimum is not None:
            levels.append(Level(code, label, minimum))
    if not levels:
        f.error("levels", "scoring needs at least one level")
    elif levels[-1].minimum != 0:
        f.error("levels", "the lowest level must start at min 0 so every total has a level")
    return tuple(levels)


def _option_sets(rep: Reporter, top: Fields) -> dict[str, LineList]:
    raw = top.mapping("option_sets")
    out: dict[str, LineList] = {}
    for name, seq in (raw or {}).items():
        line = raw.line_of(name) if raw is not None else 1
        if not isinstance(seq, LineList):
            rep.add(line, f"option set {name!r} must be a list of options")
        else:
            out[str(name)] = seq
    return out


def _named_expressions(rep: Reporter, top: Fields, key: str) -> list[tuple[str, Any, int]]:
    raw = top.mapping(key)
    if raw is None:
        return []
    return [(name, value, raw.line_of(name)) for name, value in raw.items()]


def _derived(rep: Reporter, top: Fields) -> tuple[Derived, ...]:
    out: list[Derived] = []
    for name, value, line in _named_expressions(rep, top, "derived"):
        spec = value if isinstance(value, dict) else {"expression": value}
        f = Fields(
            rep,
            spec,
            what="a derived variable",
            where=f"derived {name}",
            allowed={"expression", "label"},
            line=line,
        )
        if not isinstance(name, str) or not ID_PATTERN.match(name):
            f.error(None, f"derived variable name {name!r} is not a valid name")
            continue
        expr = f.expression("expression")
        if expr is None and not f.has("expression"):
            f.error(None, "missing required key 'expression'")
        label = f.text("label")
        if expr is not None:
            out.append(Derived(name, expr, line, label))
    return tuple(out)


def _groups(rep: Reporter, top: Fields) -> tuple[KeyGroup, ...]:
    out: list[KeyGroup] = []
    for name, value, line in _named_expressions(rep, top, "groups"):
        f = Fields(
            rep,
            value,
            what="a key group",
            where=f"group {name}",
            allowed={"label", "rule"},
            line=line,
        )
        if not isinstance(name, str) or not ID_PATTERN.match(name):
            f.error(None, f"group name {name!r} is not a valid name")
            continue
        label = f.text("label", required=True)
        rule = f.expression("rule")
        if not f.has("rule"):
            f.error(None, "missing required key 'rule'")
        if label is not None and rule is not None:
            out.append(KeyGroup(name, label, rule, line))
    return tuple(out)


def _build(rep: Reporter, doc: Any, digest: str, source: str) -> Questionnaire | None:
    top = Fields(rep, doc, what="the questionnaire", where=None, allowed=_TOP_KEYS, line=1)
    if not top.ok:
        return None
    rep.languages = _languages(rep, top)
    qid = top.string("id", required=True, pattern=QUESTIONNAIRE_ID_PATTERN)
    version = top.string("version", required=True)
    title = top.text("title", required=True)
    description = top.text("description")
    privacy = top.text("privacy")
    minutes = top.number("minutes", positive=True)
    reference_year = top.integer("reference_year", required=True, minimum=1900)
    population = _population(rep, top)
    option_sets = _option_sets(rep, top)
    derived = _derived(rep, top)
    groups = _groups(rep, top)
    scoring = _scoring(rep, top.raw("scoring"), top.line_of("scoring"))
    reader = ItemReader(rep, option_sets, {d.id for d in scoring.dimensions})
    sections: list[Section] = []
    seq = top.sequence("sections", required=True)
    for i, entry in enumerate(seq or []):
        section = reader.section(entry, seq.line_of(i) if seq is not None else 1)
        if section is not None:
            sections.append(section)
    if seq is not None and not seq:
        top.error("sections", "a questionnaire needs at least one section")
    check_references(rep, sections, derived, groups, scoring)
    scales = read_scales(rep, top.mapping("scales"), top.line_of("scales"), sections)
    care = read_care(rep, top.raw("care"), top.line_of("care"))
    check_care(rep, scales, care)
    anonymous = top.boolean("anonymous", default=False)
    if None in (qid, version, title, reference_year, population):
        return None
    return Questionnaire(
        id=str(qid),
        version=str(version),
        title=title,  # type: ignore[arg-type]
        languages=rep.languages,
        population=population,  # type: ignore[arg-type]
        reference_year=int(reference_year),  # type: ignore[arg-type]
        sections=tuple(sections),
        scoring=scoring,
        groups=groups,
        derived=derived,
        description=description,
        privacy=privacy,
        minutes=minutes,
        scales=scales,
        care=care,
        anonymous=anonymous,
        content_hash=digest,
        source=source,
    )


def _population(rep: Reporter, top: Fields) -> Population | None:
    raw = top.raw("population")
    if raw is None:
        top.error(None, "missing required key 'population' (min_age, max_age)")
        return None
    f = Fields(
        rep,
        raw,
        what="population",
        where="population",
        allowed={"min_age", "max_age", "description"},
        line=top.line_of("population"),
    )
    lo = f.integer("min_age", required=True, minimum=0)
    hi = f.integer("max_age", required=True, minimum=0)
    if lo is not None and hi is not None and lo > hi:
        f.error("max_age", f"max_age {hi} is below min_age {lo}")
        return None
    if lo is None or hi is None:
        return None
    return Population(lo, hi, f.text("description"))


def iter_problems(paths: Iterable[str | Path]) -> Iterable[Problem]:
    """Every problem of every file, in order (for ``kesu questionnaire validate``)."""
    for path in paths:
        yield from validate_file(path)


__all__ = [
    "load_questionnaire",
    "parse_questionnaire",
    "validate_file",
    "iter_problems",
    "content_hash",
]
