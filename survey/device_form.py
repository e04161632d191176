"""The questionnaire as the tablet runs it offline: pages, questions, options, and the skip
logic and checks as expression trees (:meth:`questionnaires.expressions.Expression.to_json`).

One definition: the trees come from the same parsed expressions the server evaluates;
``survey/static/kesu-expr.js`` evaluates them on the device with the server's semantics
(tested against each other in ``tests/survey/test_expr_js.py``). Answer keys are never
sent to the device.
"""

from __future__ import annotations

from typing import Any

from questionnaires import Item
from questionnaires import Questionnaire
from questionnaires.expressions import Expression
from questionnaires.model import Text


def _text(text: Text | None, language: str) -> str | None:
    return None if text is None else text.get(language)


def _tree(expression: Expression | None) -> Any:
    return None if expression is None else expression.to_json()


def _item(item: Item, language: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": item.type.value,
        "text": item.text.get(language),
        "help": _text(item.help, language),
        "variables": list(item.variables),
        "required": item.required,
        "options": [
            {
                "code": o.code,
                "label": o.label.get(language),
                "exclusive": o.exclusive,
                "relevant": _tree(o.relevant),
            }
            for o in item.options
        ],
        "rows": [{"id": r.id, "text": r.text.get(language)} for r in item.rows],
        "minimum": item.minimum,
        "maximum": item.maximum,
        "integer": item.integer,
        "max_length": item.max_length or 500,
        "unit": _text(item.unit, language),
        "relevant": _tree(item.relevant),
        "constraint": _tree(item.constraint),
        "constraint_message": _text(item.constraint_message, language),
    }


def device_form(questionnaire: Questionnaire, language: str) -> dict[str, Any]:
    """The questionnaire for the device (texts in ``language``, zh-CN where missing)."""
    return {
        "hash": questionnaire.content_hash,
        "reference_year": questionnaire.reference_year,
        "derived": [
            {"name": d.name, "expr": d.expression.to_json()} for d in questionnaire.derived
        ],
        "sections": [
            {
                "id": s.id,
                "title": s.title.get(language),
                "intro": _text(s.intro, language),
                "relevant": _tree(s.relevant),
                "items": [_item(i, language) for i in s.items],
            }
            for s in questionnaire.sections
        ],
    }
