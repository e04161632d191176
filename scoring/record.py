"""What the web survey stores with a submitted response: the test score and the scales.

One function for every questionnaire: a literacy test (scored items), a mental-health
survey (scales) or both. The records are JSON-ready dicts; the analysis table and the
exports read them back (``survey/analysis.py``, ``survey/export.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from questionnaires.model import Questionnaire
from scoring.scales import score_scales
from scoring.score import score_responses

logger = logging.getLogger(__name__)


def score_records(
    questionnaire: Questionnaire, answers: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each respondent's stored result, scored in one vectorised batch.

    Keys: ``questionnaire_id``, ``questionnaire_version``, ``content_hash``; the keys of
    :meth:`scoring.ScoreSheet.to_dict` (``items``, ``total``, ``level``, ``literate``...)
    when the questionnaire has scored items; ``scales`` and ``flags``
    (:meth:`scoring.ScaleSheet.to_dict`) when it has scales.

    Raises:
        ScoringError: an answer cannot be encoded or the rules cannot be applied.

    Example:
        >>> score_records(q, [{"phq9_1": "0", ...}])[0]["scales"]["phq9"]["band"]  # doctest: +SKIP
        'minimal'
    """
    rows = [dict(a) for a in answers]
    head = {
        "questionnaire_id": questionnaire.id,
        "questionnaire_version": questionnaire.version,
        "content_hash": questionnaire.content_hash,
    }
    records = [dict(head) for _ in rows]
    if questionnaire.scored_items and rows:
        sheet = score_responses(questionnaire, rows)
        for i, record in enumerate(records):
            record.update(sheet.to_dict(i))
    if questionnaire.scales and rows:
        scales = score_scales(questionnaire, rows)
        for i, record in enumerate(records):
            record.update(scales.to_dict(i))
    return records


def score_record(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """One respondent's stored result (:func:`score_records` of one row)."""
    return score_records(questionnaire, [answers])[0]
