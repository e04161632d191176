"""AAPOR outcome categories and response rates, by hand from the Standard Definitions."""

from __future__ import annotations

import numpy as np
import pytest

from reports.errors import ReportError
from reports.fieldwork import aapor_category
from reports.fieldwork import summarize_fieldwork


def test_rates_match_the_standard_definitions_by_hand():
    counts = {"1.1": 400, "1.2": 20, "2.11": 120, "2.12": 30, "2.20": 80, "2.30": 10,
              "3.10": 40, "3.20": 10, "4.50": 45, "4.70": 15}  # fmt: skip
    codes = [c for c, k in counts.items() for _ in range(k)]
    s = summarize_fieldwork(codes)
    i, p, r, nc, o, uh, uo, ne = 400, 20, 150, 80, 10, 40, 10, 60
    # AAPOR (2023) Standard Definitions, 10th ed., pp. 61-64
    e = (i + p + r + nc + o) / (i + p + r + nc + o + ne)
    assert s.e == pytest.approx(e)
    assert s.rr1 == pytest.approx(i / ((i + p) + (r + nc + o) + (uh + uo)))
    assert s.rr2 == pytest.approx((i + p) / ((i + p) + (r + nc + o) + (uh + uo)))
    assert s.rr3 == pytest.approx(i / ((i + p) + (r + nc + o) + e * (uh + uo)))
    assert s.rr4 == pytest.approx((i + p) / ((i + p) + (r + nc + o) + e * (uh + uo)))
    assert s.coop1 == pytest.approx(i / ((i + p) + r + o))
    assert s.ref1 == pytest.approx(r / ((i + p) + (r + nc + o) + (uh + uo)))
    assert s.con1 == pytest.approx(((i + p) + r + o) / ((i + p) + (r + nc + o) + (uh + uo)))
    assert s.counts == {"I": i, "P": p, "R": r, "NC": nc, "O": o, "UH": uh, "UO": uo, "NE": ne}
    assert s.sampled == sum(counts.values())


def test_rates_are_ordered_as_the_definitions_imply():
    rng = np.random.default_rng(1)
    codes = rng.choice(["1.1", "1.2", "2.11", "2.20", "3.10", "3.90", "4.10"], 500)
    s = summarize_fieldwork(codes)
    assert s.rr1 <= s.rr2 and s.rr1 <= s.rr3 <= s.rr4 and s.rr2 <= s.rr4
    assert s.rr1 <= s.coop1 <= 1


def test_paradata_median_and_speeders():
    codes = ["1.1"] * 5 + ["2.11"]
    minutes = [20, 18, 22, 5, 19, np.nan]
    s = summarize_fieldwork(codes, minutes)
    assert s.median_minutes == 19
    assert s.speeding_minutes == pytest.approx(0.3 * 19)
    assert s.speeders == 1


@pytest.mark.parametrize(
    ("code", "category"),
    [("1.1", "I"), ("1.2", "P"), ("2.10", "R"), ("2.112", "R"), ("2.20", "NC"), ("2.31", "O"),
     ("3.10", "UH"), ("3.19", "UH"), ("3.20", "UO"), ("3.90", "UO"), ("4.10", "NE")],
)  # fmt: skip
def test_categories(code, category):
    assert aapor_category(code) == category


@pytest.mark.parametrize("code", ["5.1", "refused", "1", ""])
def test_unknown_codes_are_errors(code):
    with pytest.raises(ReportError, match="AAPOR"):
        aapor_category(code)


def test_no_cases():
    with pytest.raises(ReportError, match="no cases"):
        summarize_fieldwork([])
