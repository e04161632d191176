"""Date questions: typed as year-month-day (full-width digits too), stored as ISO text,
impossible days refused in the respondent's language, constraints compare in date order."""

from __future__ import annotations

from survey_testlib import FEATURES
from survey_testlib import FEATURES_PAGES

from questionnaires import load_questionnaire
from survey.answers import apply_page
from survey.answers import parse_date


def test_parse_date() -> None:
    assert parse_date(["2024-03-15"], "zh-CN") == ("2024-03-15", None)
    assert parse_date(["２０２４－０３－１５"], "zh-CN") == ("2024-03-15", None)
    assert parse_date([""], "zh-CN") == (None, None)
    for bad in ("2025-02-29", "2024-13-01", "15/03/2024", "1899-12-31", "2024-3-5"):
        value, error = parse_date([bad], "zh-CN")
        assert value is None and error is not None and "年-月-日" in error, bad
    assert parse_date(["2024-03-15", "2024-03-16"], "en")[1] is not None


def test_a_date_on_a_page_and_its_constraint() -> None:
    q = load_questionnaire(FEATURES)
    form = {k: v if isinstance(v, list) else [v] for k, v in FEATURES_PAGES["about"].items()}
    ok = apply_page(q, "about", {}, {**form, "q_museum_day": ["2023-07-01"]},
                    survey_year=2025, language="zh-CN")  # fmt: skip
    assert ok.ok and ok.answers["museum_day"] == "2023-07-01"
    early = apply_page(q, "about", {}, {**form, "q_museum_day": ["1999-07-01"]},
                       survey_year=2025, language="en")  # fmt: skip
    assert "museum_day" in early.errors
