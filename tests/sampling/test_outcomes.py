"""AAPOR outcome rates against hand computations from the Standard Definitions (2023)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from sampling.errors import SamplingError
from sampling.outcomes import CATEGORIES
from sampling.outcomes import DISPOSITIONS
from sampling.outcomes import aapor_category
from sampling.outcomes import count_categories
from sampling.outcomes import estimate_e
from sampling.outcomes import outcome_rates
from sampling.outcomes import rates_for_codes
from sampling.outcomes import weighting_outcome

# A small in-person sample, worked by hand with exact fractions:
#   I=50 P=10 R=20 NC=10 O=10 UH=15 UO=5 NE=20   (140 cases)
#   eligible known = 100, unknown = 20, e = 100/120 = 5/6
#   RR1 = 50/120 = 5/12      RR2 = 60/120 = 1/2
#   RR3 = 50/(100 + 5/6*20) = 50/(350/3) = 3/7     RR4 = 60/(350/3) = 18/35
#   RR5 = 50/100 = 1/2       RR6 = 60/100 = 3/5
#   COOP1 = 50/(60+20+10) = 5/9   COOP2 = 60/90 = 2/3
#   COOP3 = 50/(60+20) = 5/8      COOP4 = 60/80 = 3/4
#   REF1 = 20/120 = 1/6   REF2 = 20/(350/3) = 6/35   REF3 = 20/100 = 1/5
#   CON1 = 90/120 = 3/4   CON2 = 90/(350/3) = 27/35  CON3 = 90/100 = 9/10
HAND = {"I": 50, "P": 10, "R": 20, "NC": 10, "O": 10, "UH": 15, "UO": 5, "NE": 20}
EXPECTED = {
    "rr1": Fraction(5, 12), "rr2": Fraction(1, 2), "rr3": Fraction(3, 7),
    "rr4": Fraction(18, 35), "rr5": Fraction(1, 2), "rr6": Fraction(3, 5),
    "coop1": Fraction(5, 9), "coop2": Fraction(2, 3), "coop3": Fraction(5, 8),
    "coop4": Fraction(3, 4), "ref1": Fraction(1, 6), "ref2": Fraction(6, 35),
    "ref3": Fraction(1, 5), "con1": Fraction(3, 4), "con2": Fraction(27, 35),
    "con3": Fraction(9, 10),
}  # fmt: skip


def test_every_rate_equals_the_hand_computation():
    r = outcome_rates(HAND)
    assert r.e == pytest.approx(5 / 6, rel=1e-15)
    for name, value in EXPECTED.items():
        assert getattr(r, name) == pytest.approx(float(value), rel=1e-12), name
    assert r.cases == 140


def test_rates_from_detailed_codes_equal_the_rates_from_counts():
    detailed = {"1.1": 50, "1.2": 10, "2.111": 12, "2.12": 8, "2.24": 10, "2.33": 10,
                "3.11": 9, "3.18": 6, "3.21": 5, "4.51": 8, "4.70": 12}  # fmt: skip
    codes = [c for c, k in detailed.items() for _ in range(k)]
    assert count_categories(codes) == HAND
    r = rates_for_codes(np.random.default_rng(3).permutation(codes))
    assert r.rr3 == pytest.approx(3 / 7, rel=1e-12)


def test_a_given_e_replaces_the_estimate():
    # e = 1/2: RR3 = 50/(100 + 10) = 5/11; with e = 1 RR3 equals RR1 and with e = 0 RR5
    assert outcome_rates(HAND, e=0.5).rr3 == pytest.approx(5 / 11, rel=1e-12)
    assert outcome_rates(HAND, e=1.0).rr3 == pytest.approx(outcome_rates(HAND).rr1)
    assert outcome_rates(HAND, e=0.0).rr3 == pytest.approx(outcome_rates(HAND).rr5)
    with pytest.raises(SamplingError, match="share"):
        outcome_rates(HAND, e=1.5)


def test_undefined_rates_are_nan_and_e_defaults_to_one():
    r = outcome_rates({"UH": 3})
    assert math.isnan(estimate_e({"UH": 3})) and r.e == 1.0
    assert r.rr1 == 0 and math.isnan(r.rr5) and math.isnan(r.coop1)
    assert outcome_rates({}).cases == 0 and math.isnan(outcome_rates({}).rr1)


def test_rates_are_ordered_as_the_definitions_imply():
    rng = np.random.default_rng(1)
    codes = rng.choice(["1.1", "1.2", "2.111", "2.24", "2.33", "3.11", "3.90", "4.70"], 500)
    r = rates_for_codes(codes)
    assert r.rr1 <= r.rr3 <= r.rr5 and r.rr2 <= r.rr4 <= r.rr6
    assert r.rr1 <= r.rr2 and r.coop1 <= r.coop2 and r.coop3 <= r.coop4
    assert r.ref1 <= r.ref2 <= r.ref3 and r.con1 <= r.con2 <= r.con3


@pytest.mark.parametrize(
    ("code", "category"),
    [("1.1", "I"), ("1.2", "P"), ("2.10", "R"), ("2.112", "R"), ("2.12", "R"), ("2.20", "NC"),
     ("2.24", "NC"), ("2.31", "O"), ("3.10", "UH"), ("3.19", "UH"), ("3.20", "UO"),
     ("3.90", "UO"), ("4.10", "NE"), ("4.70", "NE")],
)  # fmt: skip
def test_categories(code, category):
    assert aapor_category(code) == category


@pytest.mark.parametrize("code", ["5.1", "refused", "1", "", "1.1.1", "2.x"])
def test_unknown_codes_are_errors(code):
    with pytest.raises(SamplingError, match="AAPOR"):
        aapor_category(code)


def test_bad_counts():
    with pytest.raises(SamplingError, match="category"):
        outcome_rates({"X": 1})
    with pytest.raises(SamplingError, match="negative"):
        outcome_rates({"I": -1})


def test_every_offered_disposition_is_a_valid_code_with_labels():
    for code, (zh, en) in DISPOSITIONS.items():
        assert aapor_category(code) in CATEGORIES and zh and en
    assert [weighting_outcome(c) for c in ("1.1", "1.2", "2.24", "3.19", "4.60")] == [
        "ER", "ENR", "ENR", "UNK", "IN"
    ]  # fmt: skip


def test_docstring_examples():
    import doctest

    import sampling.outcomes

    result = doctest.testmod(sampling.outcomes)
    assert result.attempted >= 6 and result.failed == 0
