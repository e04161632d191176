"""Options offered by condition (XLSForm's choice_filter): the page shows only the options
whose condition on earlier answers holds, and a posted choice that is not offered is
refused in the respondent's language."""

from __future__ import annotations

from survey_testlib import FEATURES
from survey_testlib import FEATURES_PAGES

from questionnaires import load_questionnaire
from survey.answers import apply_page
from survey.flow import offered


def test_an_option_not_offered_is_refused() -> None:
    q = load_questionnaire(FEATURES)
    channels = q.item("channels")
    assert [o.code for o in offered(channels.options, {"occupation": "other"})] == [
        "tv", "app", "none"]  # fmt: skip
    assert "paper" in [o.code for o in offered(channels.options, {"occupation": "farmer"})]
    form = {k: v if isinstance(v, list) else [v] for k, v in FEATURES_PAGES["about"].items()}
    form["q_occupation"], form["q_channels"] = ["other"], ["paper"]
    form.pop("q_farm_years")
    out = apply_page(q, "about", {}, form, survey_year=2025, language="zh-CN")
    assert out.errors.get("channels", "").startswith("根据前面的回答")
    form["q_occupation"] = ["worker"]
    assert apply_page(q, "about", {}, form, survey_year=2025, language="zh-CN").ok


def test_an_option_condition_on_a_later_question_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from questionnaires import QuestionnaireError

    text = FEATURES.read_text(encoding="utf-8").replace(
        "relevant: occupation != 'other'}", "relevant: answered(remark)}"
    )
    bad = tmp_path / "later.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(bad)
    assert "item channels option paper" in str(info.value) and "remark" in str(info.value)
