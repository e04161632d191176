"""Questionnaire definitions: YAML files loaded into immutable, checked objects.

>>> from questionnaires import load_questionnaire, DEFAULT_QUESTIONNAIRE
>>> q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
>>> q.id
'yiwu-csl-2025'
"""

from __future__ import annotations

from pathlib import Path

from questionnaires.errors import Problem
from questionnaires.errors import QuestionnaireError
from questionnaires.expressions import Expression
from questionnaires.expressions import ExpressionError
from questionnaires.expressions import parse_expression
from questionnaires.loader import load_questionnaire
from questionnaires.loader import parse_questionnaire
from questionnaires.loader import validate_file
from questionnaires.model import DIMENSIONS
from questionnaires.model import DONT_KNOW
from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import Option
from questionnaires.model import Questionnaire
from questionnaires.model import ScoringKey
from questionnaires.model import Section
from questionnaires.model import Text

#: the folder holding the bundled questionnaire files
QUESTIONNAIRE_DIR = Path(__file__).parent
#: the default Yiwu citizen science-literacy questionnaire
DEFAULT_QUESTIONNAIRE = QUESTIONNAIRE_DIR / "yiwu-csl-2025.yaml"

__all__ = [
    "DEFAULT_QUESTIONNAIRE",
    "DIMENSIONS",
    "DONT_KNOW",
    "QUESTIONNAIRE_DIR",
    "Expression",
    "ExpressionError",
    "Item",
    "ItemType",
    "Option",
    "Problem",
    "Questionnaire",
    "QuestionnaireError",
    "ScoringKey",
    "Section",
    "Text",
    "load_questionnaire",
    "parse_expression",
    "parse_questionnaire",
    "validate_file",
]
