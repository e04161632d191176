"""Skip-logic and constraint expressions: a small, safe language of our own.

Relevance conditions, constraints, derived variables and key-group rules are
written as short expressions over earlier answers, for example::

    age >= 60 and occupation == 'farmer'
    selected(channels, 'app') or count(channels) >= 3
    town in ('fotang', 'suxi') and not answered(income)

The text is parsed with :func:`ast.parse` (``mode="eval"``) and the tree is
checked against a whitelist, then compiled into nested Python closures. Nothing
is ever passed to :func:`eval`, no attribute access, subscripts, lambdas or
comprehensions are allowed, and only the functions in :data:`FUNCTIONS` can be
called. An unanswered item evaluates to ``None``; comparisons with ``None`` are
false (so ``age >= 60`` is false when age is unknown), arithmetic with ``None``
gives ``None``, and ``not None`` is true.
"""

from __future__ import annotations

import ast
import logging
import operator
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

logger = logging.getLogger(__name__)

Env = Mapping[str, Any]
Compiled = Callable[[Env], Any]


class ExpressionError(ValueError):
    """An expression could not be parsed or uses something not allowed."""

    def __init__(self, source: str, message: str, column: int | None = None) -> None:
        self.source = source
        self.column = column
        where = f" at column {column + 1}" if column is not None else ""
        super().__init__(f"expression {source!r}{where}: {message}")
        self.message = message


def _as_text(value: Any) -> str:
    """An answer as text for ``selected``, ``in`` and ``length``: a whole float reads as a
    whole number (2.0 as '2'), as on the device, where numbers have one type."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _selected(value: Any, code: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, list | tuple | set | frozenset):
        return _as_text(code) in {_as_text(v) for v in value}
    return _as_text(value) == _as_text(code)


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, list | tuple | set | frozenset):
        return len(value)
    return 1


def _answered(value: Any) -> bool:
    if value is None or value == "":
        return False
    return not (isinstance(value, list | tuple) and len(value) == 0)


def _length(value: Any) -> int:
    """Characters of an answer as text (XPath's ``string-length``); 0 when unanswered."""
    if value is None:
        return 0
    if isinstance(value, list | tuple | set | frozenset):
        return len(" ".join(_as_text(v) for v in value))
    return len(_as_text(value))


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


def _num(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Numbers only (True counts as 1); None, text or lists give None."""

    def wrapped(*args: Any) -> Any:
        if not all(_is_number(a) for a in args):
            return None
        try:
            return fn(*args)
        except (TypeError, ValueError, OverflowError):
            return None

    return wrapped


def _round(value: Any, digits: Any = None) -> Any:
    """Half to even (Python's ``round``) at ``digits`` decimals, a whole number."""
    if digits is None:
        return round(value)
    if isinstance(digits, float | bool):
        return None
    return round(value, digits)


#: Functions callable from expressions: name -> (implementation, min args, max args)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "selected": (_selected, 2, 2),
    "count": (_count, 1, 1),
    "answered": (_answered, 1, 1),
    "length": (_length, 1, 1),
    "coalesce": (_coalesce, 1, None),
    "abs": (_num(abs), 1, 1),
    "min": (_num(min), 1, None),
    "max": (_num(max), 1, None),
    "round": (_num(_round), 1, 2),
}

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _same_kind(left: Any, right: Any) -> tuple[Any, Any]:
    """Let a numeric answer compare with a numeric string code (``'1' == 1``)."""
    if isinstance(left, str) and isinstance(right, int | float) and not isinstance(right, bool):
        try:
            return float(left), right
        except ValueError:
            return left, right
    if isinstance(right, str) and isinstance(left, int | float) and not isinstance(left, bool):
        try:
            return left, float(right)
        except ValueError:
            return left, right
    return left, right


def _compare(op: type[ast.cmpop], left: Any, right: Any) -> bool:
    if op in (ast.In, ast.NotIn):
        if left is None or right is None:
            return False
        if isinstance(right, list | tuple | set | frozenset):
            found = _as_text(left) in {_as_text(v) for v in right}
        else:
            found = _as_text(left) == _as_text(right)
        return found if op is ast.In else not found
    if left is None or right is None:
        if op is ast.Eq:
            return left is None and right is None
        if op is ast.NotEq:
            return not (left is None and right is None)
        return False
    left, right = _same_kind(left, right)
    try:
        return bool(_COMPARE[op](left, right))
    except TypeError:
        return False


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression.

    Attributes:
        source: the text as written.
        names: every variable the expression reads (item ids, derived names).
        code_refs: ``(variable, code)`` pairs the expression compares with, such as
            ``('occupation', 'farmer')`` in ``occupation == 'farmer'``; the loader checks
            that each code is an option of that item, catching typos.
    """

    source: str
    names: frozenset[str]
    code_refs: frozenset[tuple[str, str]]
    _fn: Compiled = field(repr=False, compare=False)

    def evaluate(self, env: Env) -> Any:
        """Evaluate against a mapping of names to answers (missing names are ``None``)."""
        return self._fn(env)

    def test(self, env: Env) -> bool:
        """Evaluate and interpret the result as a condition (``None`` is false)."""
        return bool(self._fn(env))

    def to_json(self) -> Any:
        """The checked tree as JSON for the device's evaluator (``survey/static/kesu-expr.js``).

        One definition, two evaluators: the server runs the compiled closures, the tablet
        runs this tree; ``tests/survey/test_expr_js.py`` compares them on generated cases.
        """
        return _tree(ast.parse(self.source.strip(), mode="eval").body)


class _Compiler:
    def __init__(self, source: str) -> None:
        self.source = source
        self.names: set[str] = set()
        self.code_refs: set[tuple[str, str]] = set()

    def note_codes(self, name_node: ast.AST, value_node: ast.AST) -> None:
        """Remember ``name == 'code'`` / ``name in ('a', 'b')`` for the loader's checks."""
        if not isinstance(name_node, ast.Name):
            return
        values = (
            value_node.elts
            if isinstance(value_node, ast.Tuple | ast.List | ast.Set)
            else [value_node]
        )
        for v in values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                self.code_refs.add((name_node.id, v.value))

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(self.source, message, getattr(node, "col_offset", None))

    def compile(self, node: ast.AST) -> Compiled:  # noqa: C901 - a dispatch table
        if isinstance(node, ast.Constant):
            value = node.value
            if value is not None and not isinstance(value, str | int | float | bool):
                raise self.fail(node, f"constant {value!r} is not allowed")
            return lambda env: value
        if isinstance(node, ast.Name):
            name = node.id
            if name in ("true", "True"):
                return lambda env: True
            if name in ("false", "False"):
                return lambda env: False
            if name in ("null", "None"):
                return lambda env: None
            self.names.add(name)
            return lambda env: env.get(name)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            parts = [self.compile(elt) for elt in node.elts]
            return lambda env: tuple(p(env) for p in parts)
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda env: all(p(env) for p in parts)
            return lambda env: any(p(env) for p in parts)
        if isinstance(node, ast.UnaryOp):
            inner = self.compile(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda env: not inner(env)
            if isinstance(node.op, ast.USub):
                return lambda env: -v if _is_number(v := inner(env)) else None
            if isinstance(node.op, ast.UAdd):
                return inner
            raise self.fail(node, "operator not allowed")
        if isinstance(node, ast.Compare):
            left = self.compile(node.left)
            ops = [type(op) for op in node.ops]
            for op in node.ops:
                if type(op) not in _COMPARE and not isinstance(op, ast.In | ast.NotIn):
                    raise self.fail(node, f"comparison {type(op).__name__} is not allowed")
            rights = [self.compile(c) for c in node.comparators]
            operands = [node.left, *node.comparators]
            for a, b in zip(operands, operands[1:], strict=False):
                self.note_codes(a, b)
                self.note_codes(b, a)

            def compare(env: Env) -> bool:
                current = left(env)
                for op, right in zip(ops, rights, strict=True):
                    value = right(env)
                    if not _compare(op, current, value):
                        return False
                    current = value
                return True

            return compare
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _ARITH:
                raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
            fn = _ARITH[type(node.op)]
            left_fn, right_fn = self.compile(node.left), self.compile(node.right)

            is_add = isinstance(node.op, ast.Add)

            def arith(env: Env) -> Any:
                x, y = left_fn(env), right_fn(env)
                if x is None or y is None:
                    return None
                x, y = _same_kind(x, y)
                if not (_is_number(x) and _is_number(y)):
                    # text + text joins; nothing else is arithmetic (no repetition, no
                    # list joining, no %-formatting): the device's evaluator does the same
                    return x + y if is_add and isinstance(x, str) and isinstance(y, str) else None
                try:
                    return fn(x, y)
                except (ZeroDivisionError, OverflowError):
                    return None

            return arith
        if isinstance(node, ast.IfExp):
            cond, yes, no = (self.compile(n) for n in (node.test, node.body, node.orelse))
            return lambda env: yes(env) if cond(env) else no(env)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                allowed = ", ".join(sorted(FUNCTIONS))
                raise self.fail(node, f"only these functions can be called: {allowed}")
            if node.keywords:
                raise self.fail(node, "keyword arguments are not allowed")
            impl, lo, hi = FUNCTIONS[node.func.id]
            n = len(node.args)
            if n < lo or (hi is not None and n > hi):
                raise self.fail(node, f"{node.func.id}() takes {lo}..{hi or 'any'} arguments")
            args = [self.compile(a) for a in node.args]
            if node.func.id == "selected":
                self.note_codes(node.args[0], node.args[1])
            return lambda env: impl(*(arg(env) for arg in args))
        raise self.fail(node, f"{type(node).__name__} is not allowed in expressions")


_OPS: dict[type, str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
    ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
}  # fmt: skip
_NAMED = {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None}


def _tree(node: ast.AST) -> Any:  # noqa: C901 - a dispatch table, as in _Compiler
    """A checked AST as nested lists ``[tag, ...]`` (the whitelist of :class:`_Compiler`)."""
    if isinstance(node, ast.Constant):
        return ["c", node.value]
    if isinstance(node, ast.Name):
        return ["c", _NAMED[node.id]] if node.id in _NAMED else ["v", node.id]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return ["t", [_tree(e) for e in node.elts]]
    if isinstance(node, ast.BoolOp):
        return ["and" if isinstance(node.op, ast.And) else "or", [_tree(v) for v in node.values]]
    if isinstance(node, ast.UnaryOp):
        tag = {ast.Not: "not", ast.USub: "neg", ast.UAdd: "pos"}[type(node.op)]
        return [tag, _tree(node.operand)]
    if isinstance(node, ast.Compare):
        pairs = [[_OPS[type(o)], _tree(c)] for o, c in zip(node.ops, node.comparators, strict=True)]
        return ["cmp", _tree(node.left), pairs]
    if isinstance(node, ast.BinOp):
        return ["bin", _OPS[type(node.op)], _tree(node.left), _tree(node.right)]
    if isinstance(node, ast.IfExp):
        return ["if", _tree(node.test), _tree(node.body), _tree(node.orelse)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return ["call", node.func.id, [_tree(a) for a in node.args]]
    raise ExpressionError(ast.unparse(node), f"{type(node).__name__} is not allowed")


_MAX_LENGTH = 2000


def parse_expression(source: str) -> Expression:
    """Parse and check an expression.

    Args:
        source: the expression text, e.g. ``"age >= 60 and occupation == 'farmer'"``.

    Returns:
        The compiled :class:`Expression`.

    Raises:
        ExpressionError: on a syntax error or anything outside the whitelist.

    Example:
        >>> parse_expression("age >= 60").test({"age": 65})
        True
    """
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError(str(source), "an expression must be a non-empty string")
    if len(source) > _MAX_LENGTH:
        raise ExpressionError(source[:40] + "...", f"longer than {_MAX_LENGTH} characters")
    text = source.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = (exc.offset - 1) if exc.offset else None
        raise ExpressionError(source, f"syntax error ({exc.msg})", col) from None
    except ValueError as exc:  # e.g. null bytes
        raise ExpressionError(source, str(exc)) from None
    compiler = _Compiler(source)
    try:
        fn = compiler.compile(tree.body)
    except RecursionError:
        raise ExpressionError(source, "nested too deeply") from None
    return Expression(
        source=source,
        names=frozenset(compiler.names),
        code_refs=frozenset(compiler.code_refs),
        _fn=fn,
    )
