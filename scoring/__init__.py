"""Scoring: the national 100-point score, levels, literacy and item analysis.

>>> from questionnaires import load_questionnaire
>>> from scoring import score_responses
>>> q = load_questionnaire("tests/questionnaires/data/features.yaml")  # doctest: +SKIP
>>> score_responses(q, [{"K1": "T", "K2": "C"}]).total.tolist()        # doctest: +SKIP
[4.0]

Pure functions over numpy arrays; file reading and writing is in :mod:`scoring.cli`.
Rules, formulas and the public API: ``scoring/SCORING.md``. Item response theory
lives in :mod:`scoring.irt`.
"""

from __future__ import annotations

from scoring.encode import EncodedResponses
from scoring.encode import UnknownCodes
from scoring.encode import encode_columns
from scoring.encode import encode_responses
from scoring.errors import ResponseError
from scoring.errors import RuleError
from scoring.errors import ScoringError
from scoring.errors import WeightsError
from scoring.items import FlagThresholds
from scoring.items import ItemAnalysis
from scoring.items import ItemFlag
from scoring.items import analyze_items
from scoring.items import analyze_responses
from scoring.record import score_record
from scoring.record import score_records
from scoring.scales import ScaleSheet
from scoring.scales import care_flags_raised
from scoring.scales import score_scales
from scoring.score import assign_levels
from scoring.score import score_responses
from scoring.sheet import ScoreSheet

__all__ = [
    "EncodedResponses",
    "FlagThresholds",
    "ItemAnalysis",
    "ItemFlag",
    "ResponseError",
    "ScaleSheet",
    "RuleError",
    "ScoreSheet",
    "ScoringError",
    "UnknownCodes",
    "WeightsError",
    "analyze_items",
    "analyze_responses",
    "assign_levels",
    "care_flags_raised",
    "encode_columns",
    "encode_responses",
    "score_record",
    "score_records",
    "score_responses",
    "score_scales",
]
