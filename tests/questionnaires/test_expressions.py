"""The safe expression language used by skip logic, constraints and key groups."""

from __future__ import annotations

import pytest

from questionnaires.expressions import ExpressionError
from questionnaires.expressions import parse_expression


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("age >= 60 and occupation == 'farmer'", {"age": 61, "occupation": "farmer"}, True),
        ("age >= 60 and occupation == 'farmer'", {"age": 59, "occupation": "farmer"}, False),
        ("age >= 60", {}, False),  # unanswered is null; comparisons with null are false
        ("not answered(age)", {}, True),
        ("age == null", {}, True),
        ("age != null", {"age": 3}, True),
        ("town in ('fotang', 'suxi')", {"town": "suxi"}, True),
        ("town not in ('fotang', 'suxi')", {"town": "suxi"}, False),
        ("town not in ('fotang', 'suxi')", {}, False),
        ("selected(ch, 'app')", {"ch": ["tv", "app"]}, True),
        ("selected(ch, 'app')", {"ch": None}, False),
        ("count(ch) >= 2", {"ch": ["tv", "app"]}, True),
        ("count(ch) >= 2", {}, False),
        ("18 <= age <= 35", {"age": 35}, True),
        ("18 <= age <= 35", {"age": 36}, False),
        ("survey_year - birth_year >= 18", {"survey_year": 2025, "birth_year": 2007}, True),
        ("sex == 1", {"sex": "1"}, True),  # numeric codes compare with numbers
        ("x / 0 == null", {"x": 1}, True),
        ("coalesce(a, b) == 2", {"b": 2}, True),
        ("-x < 0", {"x": 2}, True),
        ("'big' if x > 5 else 'small'", {"x": 7}, "big"),
        ("max(a, b)", {"a": 1, "b": 4}, 4),
        ("true or false", {}, True),
    ],
)
def test_evaluates(source: str, env: dict[str, object], expected: object) -> None:
    assert parse_expression(source).evaluate(env) == expected


def test_records_names_and_codes() -> None:
    expr = parse_expression("occupation in ('farmer', 'worker') and selected(ch, 'app') or x > 1")
    assert expr.names == {"occupation", "ch", "x"}
    assert expr.code_refs == {("occupation", "farmer"), ("occupation", "worker"), ("ch", "app")}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__import__('os').system('true')", "only these functions can be called"),
        ("open('/etc/passwd')", "only these functions can be called"),
        ("x.y", "Attribute is not allowed"),
        ("x[0]", "Subscript is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("[a for a in b]", "ListComp is not allowed"),
        ("2 ** 100000", "operator Pow is not allowed"),
        ("age >=", "syntax error"),
        ("", "non-empty"),
        ("count(a, b)", "count() takes 1..1 arguments"),
        ("count(x=1)", "keyword arguments are not allowed"),
        ("b'x' == a", "constant b'x' is not allowed"),
        ("a := 1", "syntax error"),
        ("x" * 3000, "longer than"),
    ],
)
def test_rejects_unsafe_or_broken(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    assert message in str(info.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError):
        parse_expression("(" * 500 + "1" + ")" * 500)
