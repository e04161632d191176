"""The one YAML reader of kesu: every configuration file, with the line of every key.

Questionnaires, weighting/estimation jobs, report jobs, capacity targets, sample
designs and IRT parameter files are all read here. PyYAML's safe loader is used
with the **YAML 1.2 core schema** for plain scalars, so a file means what it
looks like:

* booleans are only ``true``/``false`` (``True``, ``TRUE``...): ``yes``, ``no``,
  ``on``, ``off``, ``y``, ``n`` stay strings (an option code ``no``, a margin
  level ``yes``);
* numbers are decimal (``12``, ``012`` is twelve), ``0o17``, ``0x1F``, and
  floats with or without a dot (``1e-12``, ``2E3``, ``.5``, ``.inf``, ``.nan``);
  ``1_000`` and ``1:20`` are strings;
* ``null``, ``~`` and an empty value are None;
* dates are **not** converted (``2025-06-30`` stays a string; the readers that
  expect a date parse it and name the line when it is not one).

A key written twice in one mapping is reported with both lines (PyYAML keeps
the last one silently). :func:`load_yaml_file` turns that, syntax errors and
unreadable files into a :class:`ConfigError` naming ``FILE:LINE``;
:func:`check_keys` refuses unknown keys, listing the valid ones; and
:func:`line_of` finds the line of a key path such as ``calibration.tolerance``
so that a loader can place an error raised by a pure parser
(:meth:`kesu.errors.KesuError.located`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode
from yaml.nodes import Node
from yaml.nodes import ScalarNode
from yaml.nodes import SequenceNode

from kesu.errors import KesuError

logger = logging.getLogger(__name__)


class LineDict(dict[Any, Any]):
    """A mapping read from YAML, with the line of the mapping and of each key."""

    line: int
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        line: int = getattr(self, "key_lines", {}).get(key, getattr(self, "line", 1))
        return line


class LineList(list[Any]):
    """A sequence read from YAML, with the line of the sequence and of each entry."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        if 0 <= index < len(lines):
            return int(lines[index])
        return getattr(self, "line", 1)


@dataclass(frozen=True)
class DuplicateKey:
    key: Any
    line: int
    first_line: int


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    duplicates: list[DuplicateKey]


_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
_RESOLVERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
    (_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789"),
    (
        _FLOAT,
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        "-+.0123456789",
    ),
)
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP)
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(_tag, _pattern, list(_first))
# an empty plain scalar is null: PyYAML resolves it through the '' key
_Loader.add_implicit_resolver(_NULL, _RESOLVERS[1][1], [""])


def _construct_int(loader: _Loader, node: Node) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader: _Loader, node: Node) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


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


def _construct_str(loader: _Loader, node: Node) -> str:
    if not isinstance(node, ScalarNode):  # pragma: no cover
        raise ConstructorError(None, None, "expected a scalar", node.start_mark)
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor(_INT, _construct_int)
_Loader.add_constructor(_FLOAT, _construct_float)
# an explicit !!timestamp tag, or a quoted date, stays the text it is
_Loader.add_constructor(_TIMESTAMP, _construct_str)


class ConfigError(KesuError):
    """A configuration file cannot be read: unreadable, invalid YAML, a key written twice,
    an unknown key. The message starts with ``FILE:LINE``."""


class YamlSyntaxError(ConfigError):
    """The text is not valid YAML; ``line`` is 1-based."""

    def __init__(self, message: str, line: int, file: str | None = None) -> None:
        super().__init__(message, line=line, file=file)


def parse_yaml(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse YAML text into LineDict/LineList trees (YAML 1.2 core scalars).

    Returns:
        The document and the keys that were written twice.

    Raises:
        YamlSyntaxError: with the line of the first problem.

    Example:
        >>> doc, dups = parse_yaml("tolerance: 1e-12\\nurban: {yes: 100, no: 200}\\n")
        >>> doc["tolerance"], sorted(doc["urban"])
        (1e-12, ['no', 'yes'])
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


def load_yaml_text(text: str, source: str) -> Any:
    """Parse a configuration text; syntax errors and duplicate keys are a :class:`ConfigError`.

    Example:
        >>> load_yaml_text("a: 1\\na: 2\\n", "job.yaml")
        Traceback (most recent call last):
        ...
        kesu.yamlsource.ConfigError: job.yaml:2: key 'a' is written twice (first on line 1)...
    """
    try:
        data, duplicates = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise ConfigError(exc.message, file=source, line=exc.line) from None
    if duplicates:
        dup = duplicates[0]
        raise ConfigError(
            f"key {dup.key!r} is written twice (first on line {dup.first_line})",
            file=source,
            line=dup.line,
            hint="keep one of them: a second block does not add to the first",
        )
    return data


def read_config_text(path: str | Path, what: str = "configuration file") -> str:
    """The text of a configuration file (UTF-8 with or without a BOM, or GB18030 as
    Notepad on Chinese Windows saves it).

    Raises:
        ConfigError: the file cannot be read or decoded.
    """
    from kesu.tables import TableError
    from kesu.tables import decode_text

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the {what}: {exc.strerror}", file=str(p)) from None
    try:
        text, _ = decode_text(data, str(p))
    except TableError as exc:
        raise ConfigError(exc.message, file=str(p), hint=exc.hint) from None
    return text.lstrip("\ufeff")


def load_yaml_file(path: str | Path, what: str = "configuration file") -> Any:
    """Read and parse a configuration file (see :func:`load_yaml_text`)."""
    return load_yaml_text(read_config_text(path, what), str(path))


def check_keys(
    mapping: Any,
    allowed: Iterable[str],
    where: str,
    *,
    error: type[KesuError] = ConfigError,
    file: str | None = None,
) -> Mapping[Any, Any]:
    """``mapping`` if it is a mapping whose keys are all ``allowed``.

    Raises:
        error: not a mapping, or an unknown key (naming its line when ``mapping`` was read
            by this module, and listing the valid keys).

    Example:
        >>> check_keys({"tolerence": 1}, ["tolerance", "max_iter"], "calibration")
        Traceback (most recent call last):
        ...
        kesu.yamlsource.ConfigError: unknown key calibration.tolerence; expected one of: ...
    """
    prefix = "" if where in ("", "job") else where + "."
    if not isinstance(mapping, Mapping):
        raise error(
            f"{where or 'the file'} must be a mapping (key: value lines)",
            param=where or None,
            got=type(mapping).__name__,
            line=getattr(mapping, "line", None),
            file=file,
        )
    valid = sorted(set(allowed))
    for key in mapping:
        if key not in valid:
            line = mapping.line_of(key) if isinstance(mapping, LineDict) else None
            raise error(
                f"unknown key {prefix}{key}",
                param=f"{prefix}{key}",
                expected="one of: " + ", ".join(valid),
                line=line,
                file=file,
            )
    return mapping


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def line_of(document: Any, path: str | None) -> int | None:
    """The line of the deepest key of ``path`` (``calibration.tolerance``,
    ``estimates[1].ci``) found in a document read by this module, or None.

    Example:
        >>> doc, _ = parse_yaml("design:\\n  weights: w\\ncalibration:\\n  tolerance: x\\n")
        >>> line_of(doc, "calibration.tolerance"), line_of(doc, "calibration.nope")
        (4, 3)
    """
    if not path:
        return None
    node = document
    line: int | None = None
    for name, index in _PATH_PART.findall(path):
        if name and isinstance(node, LineDict):
            key = next((k for k in node if str(k) == name), None)
            if key is None:
                break
            line = node.line_of(key)
            node = node[key]
        elif index and isinstance(node, LineList):
            i = int(index)
            if i >= len(node):
                break
            line = node.line_of(i)
            node = node[i]
        else:
            break
    return line
