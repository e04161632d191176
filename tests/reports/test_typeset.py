"""Chinese line breaking: the rules hold on every break of many random texts."""

from __future__ import annotations

import numpy as np

from reports.labels import p_text
from reports.labels import signed
from reports.typeset import NO_LINE_END
from reports.typeset import NO_LINE_START
from reports.typeset import line_ends

ALPHABET = list("科学素质比例调查镇街") + list("，。、；：）！？》」（《「") + list("0123456789.%")


def _lines(text: str, width: float) -> list[str]:
    ends = line_ends(text, [10.0] * len(text), width)
    return [text[a:b] for a, b in zip([0, *ends], ends, strict=False)]


def test_by_hand() -> None:
    assert _lines("甲乙丙，丁戊", 30) == ["甲乙丙，", "丁戊"]  # the comma hangs
    assert _lines("甲乙丙（丁戊己", 40) == ["甲乙丙", "（丁戊己"]  # no line ends with （
    assert _lines("共计1,382,000人", 100) == ["共计", "1,382,000人"]  # numbers stay whole
    assert _lines("甲乙）。」丁", 20) == ["甲", "乙）。」", "丁"]  # three marks: one char moves


def test_random_texts_never_break_the_rules(rng: np.random.Generator) -> None:
    for _ in range(400):
        n = int(rng.integers(5, 60))
        text = "".join(rng.choice(ALPHABET, n))
        if text[0] in NO_LINE_START:
            text = "甲" + text
        lines = _lines(text, float(rng.integers(3, 12)) * 10)
        assert "".join(lines) == text
        for k, line in enumerate(lines):
            assert line
            if k > 0:
                assert line[0] not in NO_LINE_START or all(c in NO_LINE_START for c in line), lines
            if k < len(lines) - 1:
                assert line[-1] not in NO_LINE_END or len(line) == 1, lines


def test_number_formats() -> None:
    assert p_text(0.0004) == "p < 0.001" and p_text(0.05) == "p = 0.050"
    assert signed(-0.04) == "0.0" and signed(1.26) == "+1.3"
