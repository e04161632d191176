"""XLSForm's XPath expressions and kesu's expression language, translated both ways.

XLSForm writes skip logic, constraints and calculations in ODK's XPath dialect
(``${age} >= 18 and selected(${q1}, 'a')``, ``.`` for the question itself,
``count-selected(.)``, ``not(...)``, ``if(c, a, b)``); kesu writes them in its own
safe language (:mod:`questionnaires.expressions`). :func:`xpath_to_kesu` parses the
part of XPath that kesu can state, with a small recursive-descent parser of our own
(nothing is evaluated), and prints the kesu expression; :func:`kesu_to_xpath` prints
a kesu expression as XPath for ODK Collect and Kobo. Anything outside the supported
part is refused with :class:`XPathError` naming what and where.

XPath (ODK)                       kesu
-------------------------------   ---------------------------------
``${x}``, ``.`` (constraints)     ``x``
``=  !=  <  <=  >  >=``           ``==  !=  <  <=  >  >=``
``and  or  not(e)``               ``and  or  not e``
``+  -  *  div  mod``             ``+  -  *  /  %``
``selected(${x}, 'a')``           ``selected(x, 'a')``
``count-selected(${x})``          ``count(x)``
``${x} != ''`` / ``${x} = ''``    ``answered(x)`` / ``not answered(x)``
``string-length(${x})``           ``length(x)``
``if(c, a, b)``                   ``(a if c else b)``
``floor(a div b)``                ``a // b``
``coalesce  abs  min  max  round``  the same
``true()  false()``               ``true  false``

A bare ``${x}`` where a condition is expected (``relevant: ${consent}``) means
"x is answered", as in ODK Collect.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class XPathError(ValueError):
    """An XPath expression kesu cannot read, or a kesu expression XPath cannot state."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{message} (in {source!r})")


# -- the XPath subset's syntax tree --------------------------------------------------------
@dataclass(frozen=True)
class Num:
    text: str


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Ref:
    """``${name}``, or ``.`` when ``name`` is None."""

    name: str | None


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Bin:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


Node = Num | Str | Ref | Bool | Call | Bin | Neg

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d*)?|\.\d+)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<ref>\$\{[^}]*\})
    | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\||\.\.|\.|/|\[|\])
    | (?P<name>[^\W\d][\w.\-]*(?::[^\W\d][\w.\-]*)?)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {"and", "or", "div", "mod"}
_NAME = re.compile(r"^[^\W\d][\w.\-]*$")


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = source.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise XPathError(source, f"cannot read {text[pos:].strip()[:20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        # "a-b" is one XPath name, but "${a} - ${b}" and "x -1" are subtractions
        if kind == "name" and value.endswith("-"):
            value = value.rstrip("-")
        out.append((kind, value))
        pos = m.start(kind) + len(value)
    return out


class _Parser:
    """XPath 1.0 precedence: or < and < (= !=) < (< <= > >=) < (+ -) < (* div mod) < unary -."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.pos = 0

    def fail(self, message: str) -> XPathError:
        return XPathError(self.source, message)

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if got != value or kind not in ("op",):
            raise self.fail(f"expected {value!r} but found {got or 'the end'!r}")

    def is_op(self, *values: str) -> str | None:
        kind, value = self.peek()
        if kind == "op" and value in values:
            return value
        if kind == "name" and value in values and value in _WORD_OPS:
            return value
        return None

    def parse(self) -> Node:
        if not self.tokens:
            raise self.fail("the expression is empty")
        node = self.binary(0)
        if self.pos < len(self.tokens):
            raise self.fail(f"unexpected {self.peek()[1]!r}")
        return node

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("or",),
        ("and",),
        ("=", "!="),
        ("<", "<=", ">", ">="),
        ("+", "-"),
        ("*", "div", "mod"),
    )

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (op := self.is_op(*self._LEVELS[level])) is not None:
            self.take()
            node = Bin(op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.is_op("-"):
            self.take()
            return Neg(self.unary())
        node = self.primary()
        if self.is_op("|", "/", "["):
            raise self.fail("node-set paths, unions and predicates are not supported")
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Num(value)
        if kind == "str":
            return Str(value[1:-1])
        if kind == "ref":
            name = value[2:-1].strip()
            if name.startswith("last-saved#"):
                raise self.fail(f"{value} (the last saved form) has no kesu equivalent")
            if not _NAME.match(name):
                raise self.fail(f"{value} is not a reference to a question name")
            return Ref(name)
        if kind == "op" and value == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if kind == "op" and value == ".":
            return Ref(None)
        if kind == "op" and value in ("..", "/"):
            raise self.fail("paths such as '/data/x' or '../x' are not supported; write ${x}")
        if kind == "name":
            if self.is_op("("):
                self.take()
                args: list[Node] = []
                if not self.is_op(")"):
                    args.append(self.binary(0))
                    while self.is_op(","):
                        self.take()
                        args.append(self.binary(0))
                self.expect(")")
                return Call(value, tuple(args))
            raise self.fail(f"bare name {value!r}: refer to a question as ${{{value}}}")
        raise self.fail(f"unexpected {value or 'end of expression'!r}")


def parse_xpath(source: str) -> Node:
    """Parse an XLSForm expression into its syntax tree (nothing is evaluated)."""
    return _Parser(source).parse()


# -- XPath -> kesu ---------------------------------------------------------------------
#: kesu precedence levels (higher binds tighter)
_K_IF, _K_OR, _K_AND, _K_NOT, _K_CMP, _K_ADD, _K_MUL, _K_NEG, _K_ATOM = range(9)
_K_OPS = {
    "or": ("or", _K_OR),
    "and": ("and", _K_AND),
    "=": ("==", _K_CMP),
    "!=": ("!=", _K_CMP),
    "<": ("<", _K_CMP),
    "<=": ("<=", _K_CMP),
    ">": (">", _K_CMP),
    ">=": (">=", _K_CMP),
    "+": ("+", _K_ADD),
    "-": ("-", _K_ADD),
    "*": ("*", _K_MUL),
    "div": ("/", _K_MUL),
    "mod": ("%", _K_MUL),
}
_SAME_NAME = {"coalesce": (2, 2), "abs": (1, 1), "min": (2, None), "max": (2, None)}


@dataclass(frozen=True)
class _Context:
    source: str
    self_name: str | None
    kinds: Mapping[str, str]


def _name(ctx: _Context, node: Ref) -> str:
    if node.name is None:
        if ctx.self_name is None:
            raise XPathError(ctx.source, "'.' (this question) is only allowed in a constraint")
        return ctx.self_name
    return node.name


def _number(text: str) -> str:
    if text.isdigit():
        return str(int(text))
    return repr(float(text))


def _to_kesu(node: Node, ctx: _Context, condition: bool = False) -> tuple[str, int]:
    """Kesu source of ``node`` and its precedence level."""
    if isinstance(node, Num):
        return _number(node.text), _K_ATOM
    if isinstance(node, Str):
        return repr(node.value), _K_ATOM
    if isinstance(node, Bool):
        return ("true" if node.value else "false"), _K_ATOM
    if isinstance(node, Ref):
        name = _name(ctx, node)
        return (f"answered({name})", _K_ATOM) if condition else (name, _K_ATOM)
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand, ctx, _K_NEG)}", _K_NEG
    if isinstance(node, Bin):
        return _binary_to_kesu(node, ctx)
    return _call_to_kesu(node, ctx, condition)


def _wrap(node: Node, ctx: _Context, level: int, condition: bool = False) -> str:
    text, own = _to_kesu(node, ctx, condition)
    return text if own >= level else f"({text})"


def _binary_to_kesu(node: Bin, ctx: _Context) -> tuple[str, int]:
    op, level = _K_OPS[node.op]
    if node.op in ("=", "!="):
        # ${x} = '' is ODK's "not answered"
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if isinstance(a, Ref) and isinstance(b, Str) and b.value == "":
                name = _name(ctx, a)
                text = f"answered({name})"
                return (f"not {text}", _K_NOT) if node.op == "=" else (text, _K_ATOM)
        for side in (node.left, node.right):
            if isinstance(side, Ref) and ctx.kinds.get(_name(ctx, side)) == "multiple":
                raise XPathError(
                    ctx.source,
                    f"'{node.op}' compares the answer of a select_multiple as one string; "
                    "use selected(${...}, 'code')",
                )
    if level in (_K_OR, _K_AND):
        left = _wrap(node.left, ctx, level, condition=True)
        right = _wrap(node.right, ctx, level + 1, condition=True)
    elif level == _K_CMP:
        left, right = _wrap(node.left, ctx, _K_ADD), _wrap(node.right, ctx, _K_ADD)
    else:
        left, right = _wrap(node.left, ctx, level), _wrap(node.right, ctx, level + 1)
    return f"{left} {op} {right}", level


def _argument_name(ctx: _Context, node: Node, function: str) -> str:
    if not isinstance(node, Ref):
        raise XPathError(ctx.source, f"{function}() takes a question such as ${{q1}} or '.'")
    return _name(ctx, node)


def _call_to_kesu(node: Call, ctx: _Context, condition: bool) -> tuple[str, int]:
    name, args = node.name, node.args

    def arity(lo: int, hi: int | None) -> None:
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise XPathError(ctx.source, f"{name}() takes {lo}..{hi or 'any'} arguments")

    if name in ("true", "false"):
        arity(0, 0)
        return name, _K_ATOM
    if name == "not":
        arity(1, 1)
        return f"not {_wrap(args[0], ctx, _K_NOT, condition=True)}", _K_NOT
    if name == "selected":
        arity(2, 2)
        item = _argument_name(ctx, args[0], name)
        return f"selected({item}, {_to_kesu(args[1], ctx)[0]})", _K_ATOM
    if name == "count-selected":
        arity(1, 1)
        return f"count({_argument_name(ctx, args[0], name)})", _K_ATOM
    if name == "string-length":
        arity(1, 1)
        return f"length({_to_kesu(args[0], ctx)[0]})", _K_ATOM
    if name == "if":
        arity(3, 3)
        cond = _wrap(args[0], ctx, _K_OR, condition=True)
        yes, no = _wrap(args[1], ctx, _K_OR), _wrap(args[2], ctx, _K_IF)
        return f"({yes} if {cond} else {no})", _K_ATOM
    if name == "floor":
        arity(1, 1)
        arg = args[0]
        if isinstance(arg, Bin) and arg.op == "div":
            left, right = _wrap(arg.left, ctx, _K_MUL), _wrap(arg.right, ctx, _K_NEG)
            return f"{left} // {right}", _K_MUL
        return f"{_wrap(arg, ctx, _K_MUL)} // 1", _K_MUL
    if name == "round":
        arity(1, 2)
    elif name == "number":
        arity(1, 1)
        arg = args[0]
        if isinstance(arg, Num) or (
            isinstance(arg, Ref) and ctx.kinds.get(_name(ctx, arg)) == "number"
        ):
            return _to_kesu(arg, ctx)
        raise XPathError(ctx.source, "number() is supported on integer and decimal questions only")
    elif name in _SAME_NAME:
        arity(*_SAME_NAME[name])
    else:
        raise XPathError(ctx.source, f"the function {name}() has no equivalent in kesu")
    inner = ", ".join(_to_kesu(a, ctx)[0] for a in args)
    return f"{name}({inner})", _K_ATOM


def xpath_to_kesu(
    source: str,
    *,
    self_name: str | None = None,
    kinds: Mapping[str, str] | None = None,
    condition: bool = True,
) -> str:
    """Translate an XLSForm expression into kesu's expression language.

    Args:
        source: the XPath text, e.g. ``"${age} >= 18 and selected(${q1}, 'a')"``.
        self_name: the question ``.`` stands for (constraints); None refuses ``.``.
        kinds: question name -> ``"multiple"``, ``"number"``, ... (refuses ``=`` on a
            select_multiple, lets ``number()`` through on numbers).
        condition: the result is a condition (a bare ``${x}`` means "answered").

    Returns:
        The kesu expression text.

    Raises:
        XPathError: naming what kesu cannot state.

    Example:
        >>> xpath_to_kesu("${age} >= 18 and selected(${q1}, 'a')")
        "age >= 18 and selected(q1, 'a')"
    """
    ctx = _Context(source, self_name, kinds or {})
    return _to_kesu(parse_xpath(source), ctx, condition)[0]


# -- kesu -> XPath -----------------------------------------------------------------------
_X_OR, _X_AND, _X_EQ, _X_REL, _X_ADD, _X_MUL, _X_NEG, _X_ATOM = range(1, 9)
_X_CMP = {
    ast.Eq: ("=", _X_EQ),
    ast.NotEq: ("!=", _X_EQ),
    ast.Lt: ("<", _X_REL),
    ast.LtE: ("<=", _X_REL),
    ast.Gt: (">", _X_REL),
    ast.GtE: (">=", _X_REL),
}
_X_ARITH = {
    ast.Add: ("+", _X_ADD),
    ast.Sub: ("-", _X_ADD),
    ast.Mult: ("*", _X_MUL),
    ast.Div: ("div", _X_MUL),
    ast.Mod: ("mod", _X_MUL),
}


def _xpath_string(source: str, value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise XPathError(source, "XPath cannot write a string with both ' and \"")


class _KesuPrinter:
    def __init__(self, source: str, self_name: str | None) -> None:
        self.source = source
        self.self_name = self_name

    def fail(self, what: str) -> XPathError:
        return XPathError(self.source, f"{what} has no XPath form")

    def ref(self, name: str) -> str:
        return "." if name == self.self_name else f"${{{name}}}"

    def wrap(self, node: ast.expr, level: int) -> str:
        text, own = self.print(node)
        return text if own >= level else f"({text})"

    def print(self, node: ast.expr) -> tuple[str, int]:  # noqa: C901 - a dispatch table
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None:
                return "''", _X_ATOM
            if isinstance(value, bool):
                return ("true()" if value else "false()"), _X_ATOM
            if isinstance(value, str):
                return _xpath_string(self.source, value), _X_ATOM
            return repr(value), _X_ATOM
        if isinstance(node, ast.Name):
            literal = {"true": "true()", "True": "true()", "false": "false()"}
            literal |= {"False": "false()", "null": "''", "None": "''"}
            if node.id in literal:
                return literal[node.id], _X_ATOM
            return self.ref(node.id), _X_ATOM
        if isinstance(node, ast.BoolOp):
            op, level = ("and", _X_AND) if isinstance(node.op, ast.And) else ("or", _X_OR)
            return f" {op} ".join(self.wrap(v, level + 1) for v in node.values), level
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return f"not({self.print(node.operand)[0]})", _X_ATOM
            if isinstance(node.op, ast.USub):
                return f"-{self.wrap(node.operand, _X_NEG)}", _X_NEG
            return self.print(node.operand)
        if isinstance(node, ast.Compare):
            parts: list[tuple[str, int]] = []
            left = node.left
            for cmp, right in zip(node.ops, node.comparators, strict=True):
                parts.append(self.compare(cmp, left, right))
                left = right
            if len(parts) == 1:
                return parts[0]
            return " and ".join(t if lv > _X_AND else f"({t})" for t, lv in parts), _X_AND
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.FloorDiv):
                a, b = self.wrap(node.left, _X_MUL), self.wrap(node.right, _X_NEG)
                return f"floor({a} div {b})", _X_ATOM
            if type(node.op) not in _X_ARITH:
                raise self.fail(type(node.op).__name__)
            op, level = _X_ARITH[type(node.op)]
            return f"{self.wrap(node.left, level)} {op} {self.wrap(node.right, level + 1)}", level
        if isinstance(node, ast.IfExp):
            parts3 = (self.print(n)[0] for n in (node.test, node.body, node.orelse))
            return "if({}, {}, {})".format(*parts3), _X_ATOM
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node.func.id, node.args), _X_ATOM
        raise self.fail(type(node).__name__)

    def compare(self, op: ast.cmpop, left: ast.expr, right: ast.expr) -> tuple[str, int]:
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(right, ast.Tuple | ast.List | ast.Set):
                lhs = self.wrap(left, _X_REL)
                terms = [f"{lhs} = {self.wrap(v, _X_REL)}" for v in right.elts]
                found, level = " or ".join(terms) or "false()", _X_OR if len(terms) > 1 else _X_EQ
            else:
                found = f"selected({self.print(right)[0]}, {self.print(left)[0]})"
                level = _X_ATOM
            if isinstance(op, ast.NotIn):
                # kesu: an unanswered item is in no list and "not in" none either
                return f"{self.wrap(left, _X_EQ + 1)} != '' and not({found})", _X_AND
            return found, level
        symbol, level = _X_CMP[type(op)]
        return f"{self.wrap(left, level + 1)} {symbol} {self.wrap(right, level + 1)}", level

    def call(self, name: str, args: list[ast.expr]) -> str:
        printed = [self.print(a)[0] for a in args]
        if name == "selected":
            return f"selected({printed[0]}, {printed[1]})"
        if name == "count":
            return f"count-selected({printed[0]})"
        if name == "answered":
            return f"{printed[0]} != ''"
        if name == "length":
            return f"string-length({printed[0]})"
        if name == "coalesce":
            out = printed[-1]
            for arg in reversed(printed[:-1]):
                out = f"coalesce({arg}, {out})"
            return out
        if name == "round" and len(printed) == 1:
            return f"round({printed[0]}, 0)"
        if name in ("abs", "min", "max", "round"):
            return f"{name}({', '.join(printed)})"
        raise self.fail(f"the function {name}()")


def kesu_to_xpath(source: str, *, self_name: str | None = None) -> str:
    """Print a (valid) kesu expression as XLSForm XPath.

    ``self_name`` (in a constraint) is written ``.``; ``survey_year`` becomes
    ``${survey_year}``, a calculate row the export writes.

    Example:
        >>> kesu_to_xpath("occupation not in ('student', 'retired')")
        "not(${occupation} = 'student' or ${occupation} = 'retired')"
    """
    tree = ast.parse(source.strip(), mode="eval")
    return _KesuPrinter(source, self_name).print(tree.body)[0]
