"""Quality flags on constructed cases, and the review of responses (never deleted)."""

from __future__ import annotations

import math

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import complete

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from survey.analysis import analysis_table
from survey.errors import BadRequestError
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.monitoring import review_response
from survey.quality import WaveQuality
from survey.quality import answers_hash
from survey.quality import attention_failed
from survey.quality import duration_seconds
from survey.quality import flag_rules
from survey.quality import flags_for
from survey.quality import speeder_threshold
from survey.quality import straightlined
from survey.services import create_invitations

YIWU = load_questionnaire(DEFAULT_QUESTIONNAIRE)
VIEWS = ["V1", "V2", "V3", "V4", "V5", "V6", "V7"]  # the grid's substantive rows; ATT1 expects 4
INTEREST = ["int_health", "int_environment", "int_energy", "int_digital", "int_space",
            "int_agri_food"]  # fmt: skip


def _answers(views: list[str], att: str = "4", interest: str = "2") -> dict[str, object]:
    out: dict[str, object] = dict(zip(VIEWS, views, strict=True))
    out["ATT1"] = att
    out.update(dict.fromkeys(INTEREST, interest))
    return out


def test_straightlining_needs_one_answer_in_every_row_of_a_long_enough_grid():
    varied = _answers(["1", "2", "3", "4", "5", "4", "3"], interest="")
    same = _answers(["3"] * 7, interest="")
    assert not straightlined(YIWU, varied, 4)
    assert straightlined(YIWU, same, 4)
    # the attention row does not count: it is answered as instructed
    assert straightlined(YIWU, {**same, "ATT1": "4"}, 7)
    assert not straightlined(YIWU, same, 8)  # 7 substantive rows < 8
    # interest grid: 6 rows all "2" is straightlining at the default 4, not when a row is missing
    grid6 = {r: "2" for r in INTEREST}
    assert straightlined(YIWU, grid6, 4)
    assert not straightlined(YIWU, {**grid6, "int_space": None}, 4)


def test_attention_check():
    assert not attention_failed(YIWU, {"ATT1": "4"})
    assert attention_failed(YIWU, {"ATT1": "3"})
    assert not attention_failed(YIWU, {})  # not asked is not failed


@pytest.mark.parametrize("min_rows", [4, 7, 8])
def test_the_exports_flag_rules_agree_with_the_single_checks(min_rows: int) -> None:
    """The flag rules take the answers they read as one tuple (FlagRules.inputs: the
    attention checks, then each long grid's rows, by position); on every case they give
    the single-response checks' answers."""
    context = WaveQuality(900.0, 300.0, min_rows, frozenset(), frozenset())
    cases = [_answers(["1", "2", "3", "4", "5", "4", "3"], interest=""),
             _answers(["3"] * 7, interest=""), _answers(["3"] * 7, att="3", interest="2"),
             _answers(["3"] * 6 + [""], att="", interest="5"), {r: "2" for r in INTEREST},
             {**{r: "2" for r in INTEREST}, "int_space": None}, {"ATT1": "3"}, {"ATT1": 4},
             {}, _answers(["", "", "", "", "", "", ""], interest="1")]  # fmt: skip
    for answers in cases:
        flags = flags_for(YIWU, answers, duration=None, device_id=None, answer_hash=None,
                          mode="capi", context=context)  # fmt: skip
        assert flags["straightline"] == int(straightlined(YIWU, answers, min_rows)), answers
        assert flags["attention"] == int(attention_failed(YIWU, answers)), answers
    rules = flag_rules(YIWU, context)
    assert rules.inputs[0] == "ATT1" and set(rules.inputs[1:]) <= set(VIEWS + INTEREST)


def test_speeders_against_a_share_of_the_median():
    durations = [600.0, 900.0, 1200.0, 1500.0, 150.0, math.nan]
    # median of the finite durations 150, 600, 900, 1200, 1500 is 900; a third is 300
    assert speeder_threshold(durations, 1 / 3) == pytest.approx(300.0)
    context = WaveQuality(900.0, 300.0, 4, frozenset({"dev1"}), frozenset({"h1"}))
    fast = flags_for(YIWU, {}, duration=150.0, device_id="dev2", answer_hash="h2", mode="web",
                     context=context)  # fmt: skip
    slow = flags_for(YIWU, {}, duration=301.0, device_id="dev1", answer_hash="h1", mode="web",
                     context=context)  # fmt: skip
    capi = flags_for(YIWU, {}, duration=None, device_id="dev1", answer_hash=None, mode="capi",
                     context=context)  # fmt: skip
    assert fast == {"speeder": 1, "straightline": 0, "attention": 0, "duplicate_device": 0,
                    "duplicate_answers": 0}  # fmt: skip
    assert slow["speeder"] == 0 and slow["duplicate_device"] == 1 and slow["duplicate_answers"] == 1
    assert capi["duplicate_device"] == 0  # one tablet serves many households
    assert duration_seconds({"seconds": {"a": 10.5, "b": 20}}) == 30.5
    assert duration_seconds({}) is None


def test_answer_hash_ignores_free_text_and_key_order():
    a = {"sex": "1", "remark": "hello", "channels": ["tv", "wechat"]}
    b = {"channels": ["tv", "wechat"], "sex": "1", "remark": "something else"}
    assert answers_hash(YIWU, a) == answers_hash(YIWU, b)
    assert answers_hash(YIWU, a) != answers_hash(YIWU, {**a, "sex": "2"})


def test_duplicates_in_a_wave_and_review(client: FlaskClient, session: Session, wave: str) -> None:
    t1, t2, t3 = create_invitations(session, wave, 3, actor="t")
    complete(client, t1)  # the same browser (cookie) answers twice, identically
    complete(client, t2)
    other = client.application.test_client()
    pages = {**FEATURES_PAGES, "attitudes": {"q_interest": "2", "q_V1": "1", "q_V2": "1"}}
    complete(other, t3, pages)
    table = analysis_table(session, wave)
    assert table["quality_duplicate_device"].tolist() == [1, 1, 0]
    assert table["quality_duplicate_answers"].tolist() == [1, 1, 0]
    assert table["quality_attention"].tolist() == [0, 0, 1]  # V2 expects "3"
    assert table["quality_flags"].tolist() == [2, 2, 1]
    ids = table["respondent_id"].tolist()
    with pytest.raises(BadRequestError, match="reason"):
        review_response(session, ids[1], "rejected", "", actor="stan")
    session.rollback()
    review_response(session, ids[1], "rejected", "same browser, same answers", actor="stan")
    review_response(session, ids[0], "accepted", "checked by phone", actor="stan")
    assert analysis_table(session, wave)["respondent_id"].tolist() == [ids[0], ids[2]]
    kept = analysis_table(session, wave, include_rejected=True)
    assert kept["rejected"].tolist() == [0, 1, 0]
    session.rollback()
    assert len(session.scalars(select(Response)).all()) == 3  # never deleted
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "response.reject")).one()
    assert entry.actor == "stan" and entry.details["reason"] == "same browser, same answers"


@pytest.mark.parametrize("count", [1, 6, 7])
def test_median_duration_from_the_database_equals_numpy(session: Session, wave: str,
                                                        count: int) -> None:  # fmt: skip
    import numpy as np

    from survey.models import ResponseStatus
    from survey.monitoring import median_duration
    from survey.services import get_wave

    wave_id = get_wave(session, wave).id
    rng = np.random.default_rng(count)
    seconds = [float(s) for s in rng.gamma(9.0, 120.0, count)]
    extra = [None, 1e-3]  # no duration (left out); a partial response (not complete)
    tokens = create_invitations(session, wave, count + len(extra), actor="t")
    invitations = {i.token: i.id for i in session.scalars(select(Invitation))}
    statuses = [ResponseStatus.COMPLETE] * (count + 1) + [ResponseStatus.PARTIAL]
    for token, status, value in zip(tokens, statuses, seconds + extra, strict=True):
        session.add(Response(wave_id=wave_id, invitation_id=invitations[token], status=status,
                             answers={}, paradata={}, duration_seconds=value))  # fmt: skip
    session.commit()
    complete = (Response.wave_id == wave_id) & (Response.status == ResponseStatus.COMPLETE)
    assert median_duration(session, complete) == float(np.median(seconds))
    assert math.isnan(median_duration(session, complete & (Response.id < 0)))
