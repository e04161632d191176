"""Read YAML while remembering the line of every mapping, key and list entry.

PyYAML's safe loader is used with two changes, both so a questionnaire file
means what it looks like:

* booleans are only ``true``/``false`` (YAML 1.2), so an option code ``no``,
  ``on`` or ``yes`` stays a string instead of turning into a boolean;
* a key written twice in one mapping is reported (PyYAML keeps the last one
  silently).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode
from yaml.nodes import Node
from yaml.nodes import SequenceNode

logger = logging.getLogger(__name__)


class LineDict(dict[Any, Any]):
    """A mapping read from YAML, with the line of the mapping and of each key."""

    line: int
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence read from YAML, with the line of the sequence and of each entry."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


@dataclass(frozen=True)
class DuplicateKey:
    key: Any
    line: int
    first_line: int


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    duplicates: list[DuplicateKey]


# YAML 1.2 booleans only: keep codes like "no"/"yes"/"on"/"off" as strings.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: Node) -> LineDict:
    if not isinstance(node, MappingNode):  # pragma: no cover - PyYAML only calls us for maps
        raise ConstructorError(None, None, "expected a mapping", node.start_mark)
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in out:
            loader.duplicates.append(DuplicateKey(key, line, out.key_lines[key]))
            continue
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_sequence(loader: _Loader, node: Node) -> LineList:
    if not isinstance(node, SequenceNode):  # pragma: no cover
        raise ConstructorError(None, None, "expected a sequence", node.start_mark)
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse_yaml(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse YAML text into LineDict/LineList trees.

    Returns:
        The document and the keys that were written twice.

    Raises:
        YamlSyntaxError: with the line of the first problem.
    """
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise YamlSyntaxError(
            f"YAML error: character {exc.character:#06x} is not allowed", line
        ) from None
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"YAML syntax error: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", 1) from None
    except RecursionError:
        raise YamlSyntaxError("YAML error: the document is nested too deeply", 1) from None
    finally:
        loader.dispose()
    return data, loader.duplicates
