"""The summary names the highest and the lowest domain, and says when that order is not
certain: the next domain's interval overlaps theirs."""

from __future__ import annotations

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.findings import _uncertain_extremes
from reports.labels import Labels
from reports.model import DomainRow
from reports.model import Rules
from sampling import Reliability


def _row(key: str, low: float, estimate: float, high: float) -> DomainRow:
    return DomainRow(key, estimate, 0.01, low, high, 0.1, 1.0, 100.0, 300, (), False, False)


def test_overlapping_extremes_are_said_uncertain_and_separate_ones_are_not() -> None:
    lab = Labels("zh-CN", load_questionnaire(DEFAULT_QUESTIONNAIRE), Rules(10, Reliability(), 0.95))
    ranked = [  # by estimate, lowest first
        ("老年人", _row("e", 0.04, 0.061, 0.09)),
        ("农民", _row("f", 0.045, 0.063, 0.085)),  # overlaps the lowest
        ("产业工人", _row("w", 0.06, 0.083, 0.11)),
        ("青少年", _row("y", 0.19, 0.224, 0.26)),  # apart from the highest
        ("领导干部和公务员", _row("c", 0.27, 0.30, 0.33)),
    ]
    text = _uncertain_extremes(lab, ranked)
    assert text == "其中老年人与农民，95%置信区间相互重叠，谁高谁低并不确定。"
    apart = [ranked[0], ranked[2], ranked[4]]  # 0.04-0.09, 0.06-0.11 overlap; 0.27-0.33 not
    assert "领导干部" not in _uncertain_extremes(lab, apart)
    assert _uncertain_extremes(lab, ranked[:2]) == ""  # two: nothing between to compare
