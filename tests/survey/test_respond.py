"""The respondent flow, driven through Flask's test client."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import complete
from survey_testlib import open_wave
from survey_testlib import post_page

from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.services import create_invitations

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47"
)


def _response(session: Session, token: str) -> Response:
    session.rollback()  # end the read snapshot (SQLite WAL)
    inv = session.scalars(select(Invitation).where(Invitation.token == token)).one()
    return session.scalars(select(Response).where(Response.invitation_id == inv.id)).one()


def test_consent_page_shows_privacy_notice(client: FlaskClient, token: str) -> None:
    r = client.get(f"/s/{token}")
    html = r.data.decode()
    assert r.status_code == 200
    assert "仅用于测试。" in html  # the questionnaire's privacy text
    assert "不记录您的IP地址" in html
    assert 'lang="zh-CN"' in html


def test_complete_questionnaire_stores_answers_scores_and_paradata(
    client: FlaskClient, session: Session, token: str
) -> None:
    client.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    r = complete(client, token)
    assert r.headers["Location"].endswith(f"/s/{token}/done")
    resp = _response(session, token)
    assert resp.status is ResponseStatus.COMPLETE
    assert resp.answers == {
        "sex": "2",
        "birth_year": 1980,
        "occupation": "farmer",
        "farm_years": 12,
        "channels": ["tv", "app"],
        "K1": "T",
        "K2": "C",
        "M1": ["A", "B"],
        "S1": "F",
        "P1": "A",
        "interest": "4",
        "V1": "3",
        "V2": "3",
    }
    # every test item right: 2 + 2 + 2 + 2 + 2 = 10 points of 10 (features.yaml keys)
    assert resp.score is not None
    assert resp.score["total"] == 10.0
    assert resp.score["level"] == "advanced"
    assert resp.paradata["device"] == {"device": "phone", "browser": "wechat"}
    assert set(resp.paradata["seconds"]) == {"about", "test", "attitudes"}
    assert "Mozilla" not in str(resp.paradata)
    assert resp.completed_at is not None and resp.page == ""
    thanks = client.get(f"/s/{token}/done")
    assert "提交成功" in thanks.data.decode()


def test_progress_bar_and_page_numbers(client: FlaskClient, token: str) -> None:
    client.post(f"/s/{token}")
    html = client.get(f"/s/{token}/q/about").data.decode()
    # the 'test' section needs age >= 18, unknown before the birth year is given
    assert '<progress id="progress" max="2" value="0">' in html
    assert "第 1 页，共 2 页" in html
    post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    html = client.get(f"/s/{token}/q/test").data.decode()
    assert '<progress id="progress" max="3" value="1">' in html
    assert "第 2 页，共 3 页" in html


def test_labels_are_bound_to_inputs(client: FlaskClient, token: str) -> None:
    client.post(f"/s/{token}")
    html = client.get(f"/s/{token}/q/about").data.decode()
    ids = set(re.findall(r'<(?:input|textarea)[^>]* id="([^"]+)"', html))
    fors = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    assert ids and ids <= fors
    assert html.count("<fieldset") == html.count("<legend")


def test_skip_logic_hides_item_and_drops_its_answer(
    client: FlaskClient, session: Session, token: str
) -> None:
    client.post(f"/s/{token}")
    r = post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    assert r.status_code == 303
    assert _response(session, token).answers["farm_years"] == 12
    # go back, become a worker: farm_years is hidden now and its answer is dropped
    page = client.get(f"/s/{token}/q/about").data.decode()
    assert 'name="q_farm_years"' in page and 'value="12"' in page
    data = dict(FEATURES_PAGES["about"], q_occupation="worker", q_farm_years="12")
    r = post_page(client, token, "about", data, 1)
    assert r.status_code == 303
    answers = _response(session, token).answers
    assert answers["occupation"] == "worker" and "farm_years" not in answers
    assert 'name="q_farm_years"' not in client.get(f"/s/{token}/q/about").data.decode()


def test_item_shown_by_an_answer_on_the_same_page_is_asked_next(
    client: FlaskClient, session: Session, token: str
) -> None:
    client.post(f"/s/{token}")
    data = {k: v for k, v in FEATURES_PAGES["about"].items() if k != "q_farm_years"}
    r = post_page(client, token, "about", data, 0)
    html = r.data.decode()
    # a question shown by an answer is no mistake: a neutral note, not a red error
    assert r.status_code == 200
    assert "根据您的回答，新出现了下面这道题。" in html
    assert 'class="field-note" id="n-farm_years"' in html and "field-error" not in html
    assert "error-summary" not in html and "aria-invalid" not in html
    assert 'name="q_farm_years"' in html
    assert 'value="1980"' in html  # the other answers are kept in the form
    assert _response(session, token).revision == 0


def test_section_appears_when_its_condition_holds(client: FlaskClient, token: str) -> None:
    # 'test' is relevant only when age >= 18, i.e. once the birth year is known
    client.post(f"/s/{token}")
    assert client.get(f"/s/{token}/q/test").status_code == 404
    r = post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    assert r.headers["Location"].endswith("/q/test")


def test_save_and_resume_with_the_same_link(
    client: FlaskClient, app: Any, session: Session, token: str
) -> None:
    client.post(f"/s/{token}")
    post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    other = app.test_client()  # another phone, no cookies: the link alone resumes
    r = other.get(f"/s/{token}")
    assert r.status_code == 303 and r.headers["Location"].endswith("/q/test")
    html = other.get(f"/s/{token}/q/about").data.decode()
    assert 'value="1980"' in html and "checked" in html


def test_pages_ahead_of_the_respondent_redirect_back(client: FlaskClient, token: str) -> None:
    client.post(f"/s/{token}")
    r = client.get(f"/s/{token}/q/attitudes")
    assert r.status_code == 303 and r.headers["Location"].endswith("/q/about")
    assert client.get(f"/s/{token}/q/nosuchpage").status_code == 404


def test_option_order_is_randomised_stably_with_fixed_options_in_place(
    client: FlaskClient, session: Session, wave: str
) -> None:
    orders = set()
    for token in create_invitations(session, wave, 12, actor="t"):
        client.post(f"/s/{token}")
        html1 = client.get(f"/s/{token}/q/about").data.decode()
        html2 = client.get(f"/s/{token}/q/about").data.decode()
        codes = re.findall(r'name="q_channels" value="(\w+)"', html1)
        assert codes == re.findall(r'name="q_channels" value="(\w+)"', html2)
        assert codes[-1] == "none"  # fixed: stays last
        assert sorted(codes) == ["app", "none", "paper", "tv"]
        occupation = re.findall(r'name="q_occupation" value="(\w+)"', html1)
        assert occupation == ["farmer", "worker", "other"]  # not randomised
        orders.add(tuple(codes))
    assert len(orders) > 1


def test_english_switch_and_large_text(client: FlaskClient, token: str) -> None:
    r = client.get(f"/s/{token}?lang=en")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/s/{token}")
    html = client.get(f"/s/{token}").data.decode()
    assert "For tests only." in html and 'lang="en"' in html
    client.get(f"/s/{token}?text=large")
    assert 'class="large"' in client.get(f"/s/{token}").data.decode()
    client.post(f"/s/{token}")
    page = client.get(f"/s/{token}/q/about").data.decode()
    assert "Year of birth" in page and "Page 1 of 2" in page


def test_learn_page_shows_right_answers_and_explanations(client: FlaskClient, token: str) -> None:
    assert client.get(f"/s/{token}/learn").status_code == 403
    pages = dict(FEATURES_PAGES)
    pages["test"] = dict(pages["test"], q_K1="F")
    complete(client, token, pages)
    html = client.get(f"/s/{token}/learn").data.decode()
    assert "地核温度可达五千多摄氏度。" in html
    assert html.count("答对了") == 4 and html.count("答错了") == 1


def test_learn_page_off_when_the_wave_does_not_allow_it(
    client: FlaskClient, session: Session
) -> None:
    name = open_wave(session, "nolearn", allow_learn=False)
    token = create_invitations(session, name, 1, actor="t")[0]
    complete(client, token)
    assert "看看正确答案" not in client.get(f"/s/{token}/done").data.decode()
    assert client.get(f"/s/{token}/learn").status_code == 404


def test_double_submission_records_one_response(
    client: FlaskClient, session: Session, token: str
) -> None:
    client.post(f"/s/{token}")
    assert client.post(f"/s/{token}").status_code == 303  # consent twice: same response
    post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    post_page(client, token, "test", FEATURES_PAGES["test"], 1)
    first = post_page(client, token, "attitudes", FEATURES_PAGES["attitudes"], 2)
    again = post_page(client, token, "attitudes", FEATURES_PAGES["attitudes"], 2)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"].endswith("/done")
    replay = post_page(client, token, "about", dict(FEATURES_PAGES["about"], q_sex="1"), 0)
    assert replay.status_code == 303
    session.rollback()  # end the read snapshot (SQLite WAL)
    rows = session.scalars(select(Response)).all()
    assert len(rows) == 1 and rows[0].revision == 3 and rows[0].answers["sex"] == "2"


def test_closed_wave_refuses_answers(client: FlaskClient, session: Session, token: str) -> None:
    from survey.models import WaveStatus
    from survey.services import set_wave_status

    client.post(f"/s/{token}")
    set_wave_status(session, "w1", WaveStatus.CLOSED, "t")
    r = post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    assert r.status_code == 403
    assert _response(session, token).revision == 0
    fresh = create_invitations(session, "w1", 1, actor="t")[0]
    assert client.get(f"/s/{fresh}").status_code == 403
    assert client.post(f"/s/{fresh}").status_code == 403


def test_open_link_gives_one_response_per_browser(
    client: FlaskClient, app: Any, session: Session
) -> None:
    open_wave(session, "open1", open_recruitment=True)
    from survey.services import get_wave

    open_token = get_wave(session, "open1").open_token
    assert open_token
    assert "开始答题" in client.get(f"/o/{open_token}").data.decode()
    r = client.post(f"/o/{open_token}")
    assert r.status_code == 303
    first = r.headers["Location"]
    assert "kesu_open=" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    again = client.get(f"/o/{open_token}")  # the cookie remembers the response
    assert again.status_code == 303 and again.headers["Location"] == first
    assert client.post(f"/o/{open_token}").headers["Location"] == first
    other = app.test_client()  # another browser gets its own
    assert other.post(f"/o/{open_token}").headers["Location"] != first
    session.rollback()  # end the read snapshot (SQLite WAL)
    assert len(session.scalars(select(Invitation).where(Invitation.open_link)).all()) == 2
    assert client.get("/o/" + "x" * 32).status_code == 404


def test_forged_open_link_cookie_is_ignored(client: FlaskClient, session: Session) -> None:
    open_wave(session, "open2", open_recruitment=True)
    from survey.services import get_wave

    open_token = get_wave(session, "open2").open_token
    client.set_cookie("kesu_open", "forged.value", domain="survey.test")
    assert client.get(f"/o/{open_token}").status_code == 200
