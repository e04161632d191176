"""The fast paths of question pages (issue 15): each one gives what the ordinary path gives.

* page shells (:class:`survey.render.PageShell`): a shell-filled page equals the page
  rendered anew, for other respondents, languages, large text, answered pages, revisions,
  skip logic that changes the page count, and query parameters;
* hot reads (:class:`survey.db.HotRead`): the same row as SQLAlchemy's, what was committed
  a moment ago, recovery from a broken connection, the connection given back on dispose;
* CSRF tokens signed once per session token, cookie sessions verified once per value
  (expiry, tampering and changes still apply), limiter and CSRF hooks skipped on reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import csrf_from
from survey_testlib import open_wave
from survey_testlib import post_page
from survey_testlib import rev_from

import survey.respond
from survey import security
from survey.db import _HOT
from survey.db import database
from survey.models import Invitation
from survey.models import Response
from survey.responses import load_respondent
from survey.services import create_invitations


@contextmanager
def _without_shells(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as m:
        m.setattr(survey.respond, "_shell_allowed", lambda *_: False)
        yield


def _page(client: FlaskClient, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.headers.get("Location"))
    return r.get_data(as_text=True)


def _same_as_anew(client: FlaskClient, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The page at ``url`` from its shell; asserts it equals the page rendered anew."""
    shells = client.application.extensions["kesu_page_shells"]
    before = len(shells)
    shelled = _page(client, url)
    again = _page(client, url)
    with _without_shells(monkeypatch):
        anew = _page(client, url)
    assert shelled == again == anew
    assert len(shells) >= before
    return shelled


def _consent(client: FlaskClient, token: str) -> None:
    assert client.post(f"/s/{token}").status_code == 303


def test_shells_fill_in_each_respondents_own_values(
    app: Flask, session: Session, wave: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = create_invitations(session, wave, 2, actor="test")
    a, b = app.test_client(), app.test_client()
    _consent(a, first)
    _consent(b, second)
    app.extensions["kesu_page_shells"].clear()
    page_a = _same_as_anew(a, f"/s/{first}/q/about", monkeypatch)
    assert app.extensions["kesu_page_shells"], "the shell is kept"
    page_b = _same_as_anew(b, f"/s/{second}/q/about", monkeypatch)
    assert f'action="/s/{first}/q/about"' in page_a and second not in page_a
    assert f'action="/s/{second}/q/about"' in page_b and first not in page_b
    assert f'href="/s/{first}/q/about?lang=en"' in page_a
    # one shell (the options' order is each response's own), each session's own CSRF token
    assert len(app.extensions["kesu_page_shells"]) == 1
    assert csrf_from(page_a) != csrf_from(page_b)


def test_shells_follow_language_and_text_size(
    client: FlaskClient, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent(client, token)
    url = f"/s/{token}/q/about"
    chinese = _same_as_anew(client, url, monkeypatch)
    assert "您的性别" in chinese and 'lang="zh-CN"' in chinese
    client.get(url + "?lang=en")
    english = _same_as_anew(client, url, monkeypatch)
    assert "Your sex" in english and "您的性别" not in english and '<html lang="en"' in english
    client.get(url + "?text=large")
    large = _same_as_anew(client, url, monkeypatch)
    assert 'class="large"' in large and "Your sex" in large
    client.get(url + "?lang=zh-CN&text=normal")
    assert _same_as_anew(client, url, monkeypatch) == chinese.replace(
        csrf_from(chinese), csrf_from(_page(client, url))
    )


def test_shells_show_answers_and_the_current_revision(
    client: FlaskClient, session: Session, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent(client, token)
    url = f"/s/{token}/q/about"
    assert rev_from(_same_as_anew(client, url, monkeypatch)) == "0"
    assert post_page(client, token, "about", FEATURES_PAGES["about"], 0).status_code == 303
    test_page = _same_as_anew(client, f"/s/{token}/q/test", monkeypatch)
    assert rev_from(test_page) == "1" and "上一页" in test_page
    back = _same_as_anew(client, url, monkeypatch)  # "上一页": the answers are shown
    assert rev_from(back) == "1" and 'value="1980"' in back
    # a change made elsewhere (another worker, staff) shows at once: nothing is cached
    inv = session.scalars(select(Invitation).where(Invitation.token == token)).one()
    session.execute(update(Response).where(Response.invitation_id == inv.id).values(revision=7))
    session.commit()
    assert rev_from(_same_as_anew(client, url, monkeypatch)) == "7"


def test_shells_follow_what_skip_logic_shows(
    app: Flask, session: Session, wave: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A farmer is asked how long they have farmed: the next page's numbers move on by one
    (the page around the items is one shell); the last page has the submit button."""
    farmer, worker = create_invitations(session, wave, 2, actor="test")
    f, w = app.test_client(), app.test_client()
    for client, token, job in ((f, farmer, "farmer"), (w, worker, "worker")):
        _consent(client, token)
        about = {**FEATURES_PAGES["about"], "q_occupation": job}
        if job != "farmer":
            del about["q_farm_years"]
        assert post_page(client, token, "about", about, 0).status_code == 303
    farmer_test = _same_as_anew(f, f"/s/{farmer}/q/test", monkeypatch)
    worker_test = _same_as_anew(w, f"/s/{worker}/q/test", monkeypatch)
    first = re.compile(r'<span class="num">(\d+)\.</span>')
    assert int(first.findall(farmer_test)[0]) == int(first.findall(worker_test)[0]) + 1
    assert "第 2 页，共 3 页" in farmer_test and "第 2 页，共 3 页" in worker_test
    assert post_page(f, farmer, "test", FEATURES_PAGES["test"], 1).status_code == 303
    last = _same_as_anew(f, f"/s/{farmer}/q/attitudes", monkeypatch)
    assert "第 3 页，共 3 页" in last and 'value="submit"' in last and 'value="next"' not in last


def test_query_parameters_and_flashes_render_anew(
    client: FlaskClient, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent(client, token)
    page = _same_as_anew(client, f"/s/{token}/q/about?from=qr", monkeypatch)
    assert f"/s/{token}/q/about?from=qr&amp;lang=en" in page  # the switch keeps the parameter
    with client.session_transaction() as s:
        s["_flashes"] = [("message", "flashed once")]
    assert "flashed once" in _page(client, f"/s/{token}/q/about")
    assert "flashed once" not in _page(client, f"/s/{token}/q/about")


# -- hot reads ---------------------------------------------------------------------------------
def test_hot_read_gives_what_sqlalchemy_gives(app: Flask, session: Session, token: str) -> None:
    client = app.test_client()
    _consent(client, token)
    assert post_page(client, token, "about", FEATURES_PAGES["about"], 0).status_code == 303
    engine = database(app).engine
    fast = load_respondent(engine, token)
    session.connection()  # in a transaction: the statement runs through SQLAlchemy
    assert session.in_transaction()
    ordinary = load_respondent(session, token)
    assert fast == ordinary
    assert fast.answers["birth_year"] == 1980 and fast.revision == 1
    assert fast.status == "partial" and fast.page == "test"


def test_hot_read_sees_each_commit_and_recovers_from_a_broken_connection(
    app: Flask, session: Session, token: str
) -> None:
    client = app.test_client()
    _consent(client, token)
    engine = database(app).engine
    assert load_respondent(engine, token).revision == 0
    inv = session.scalars(select(Invitation).where(Invitation.token == token)).one()
    session.execute(update(Response).where(Response.invitation_id == inv.id).values(revision=3))
    session.commit()
    assert load_respondent(engine, token).revision == 3  # no snapshot kept between reads
    hot = _HOT[engine]
    hot.pooled.driver_connection.close()  # the server dropped it
    assert load_respondent(engine, token).revision == 3  # the ordinary path answers
    assert hot.pooled is None
    assert load_respondent(engine, token).revision == 3  # and a new held connection
    assert hot.pooled is not None
    engine.dispose()
    assert hot.pooled is None  # given back when the engine is disposed
    assert load_respondent(engine, token).revision == 3


def test_hot_read_prepares_once_per_connection(app: Flask, token: str) -> None:
    """A held connection given back to the pool and taken again keeps its prepared
    statement (PostgreSQL: prepared again under the same name, it would fail)."""
    client = app.test_client()
    _consent(client, token)
    engine = database(app).engine
    first = load_respondent(engine, token)
    hot = _HOT[engine]
    connection = hot.pooled.dbapi_connection
    for _ in range(2):
        with hot.lock:
            hot.give_back()  # as after HOLD_SECONDS
        assert load_respondent(engine, token) == first
        assert hot.pooled is not None
    if engine.dialect.name == "postgresql":
        assert hot.pooled.dbapi_connection is connection  # the same one again
        assert len(hot.pooled.info["kesu_hot_statements"]) == 1
        connection.execute("DEALLOCATE ALL")  # the statement is gone from the server
        assert load_respondent(engine, token) == first  # the ordinary path answers
        assert hot.pooled is None  # the connection was closed
        assert load_respondent(engine, token) == first  # a new one, prepared anew


def test_hot_read_while_another_thread_holds_the_connection(
    app: Flask, session: Session, token: str
) -> None:
    """A second thread's read takes a connection from the pool and gives it back as the
    pool keeps them (transactional on PostgreSQL)."""
    client = app.test_client()
    _consent(client, token)
    engine = database(app).engine
    held = load_respondent(engine, token)
    hot = _HOT[engine]
    with hot.lock:  # another thread is reading on the held connection
        alone = load_respondent(engine, token)
    assert alone == held
    assert engine.pool.checkedout() == 1  # only the held connection is out
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        if engine.dialect.name == "postgresql":
            assert driver.autocommit is False


# -- CSRF, sessions, limits ----------------------------------------------------------------------
def test_csrf_tokens_signed_once_still_guard_every_form(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(WTF_CSRF_ENABLED=True)
    with database(app).sessionmaker() as session:
        open_wave(session)
        first, second = create_invitations(session, "w1", 2, actor="t")
    a, b = app.test_client(), app.test_client()
    token_a = csrf_from(_page(a, f"/s/{first}"))
    assert csrf_from(_page(a, f"/s/{first}")) == token_a  # reused for this session
    token_b = csrf_from(_page(b, f"/s/{second}"))
    assert token_b != token_a
    # another session's token is refused; one's own is accepted
    assert a.post(f"/s/{first}", data={"csrf_token": token_b}).status_code == 400
    assert a.post(f"/s/{first}", data={"csrf_token": token_a}).status_code == 303
    page = _page(a, f"/s/{first}/q/about")
    data: dict[str, Any] = {"csrf_token": csrf_from(page), "rev": "0", "page": "about"}
    data |= FEATURES_PAGES["about"]
    assert a.post(f"/s/{first}/q/about", data=data).status_code == 303


def test_cookie_sessions_check_expiry_tampering_and_changes(
    client: FlaskClient, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/s/{token}"
    client.get(url + "?lang=en")
    english_cookie = client.get_cookie("kesu_session", domain="survey.test")
    assert english_cookie is not None
    assert '<html lang="en"' in _page(client, url)
    # a changed language is a new cookie; the old value still reads as English
    client.get(url + "?lang=zh-CN")
    assert '<html lang="zh-CN"' in _page(client, url)
    client.set_cookie("kesu_session", english_cookie.value, domain="survey.test")
    assert '<html lang="en"' in _page(client, url)
    # tampered: an empty session (Chinese, the default)
    client.set_cookie("kesu_session", english_cookie.value[:-2] + "xx", domain="survey.test")
    assert '<html lang="zh-CN"' in _page(client, url)
    # expired: an empty session, even for a value verified before
    client.set_cookie("kesu_session", english_cookie.value, domain="survey.test")
    assert '<html lang="en"' in _page(client, url)
    lifetime = client.application.permanent_session_lifetime.total_seconds()
    now = security.time.time()
    monkeypatch.setattr(security.time, "time", lambda: now + lifetime + 10)
    assert '<html lang="zh-CN"' in _page(client, url)


def test_page_loads_skip_the_limiter_and_writes_are_limited(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATE_LIMIT_SUBMIT="2 per minute")
    with database(app).sessionmaker() as session:
        open_wave(session)
        (token,) = create_invitations(session, "w1", 1, actor="t")
    client = app.test_client()
    assert client.post(f"/s/{token}").status_code == 303
    for _ in range(5):
        r = client.get(f"/s/{token}/q/about")
        assert r.status_code == 200 and "X-RateLimit-Limit" not in r.headers
    codes = [post_page(client, token, "about", {}, 0).status_code for _ in range(3)]
    assert codes == [422, 422, 429]  # the page's writes are limited, its loads were not
    with pytest.raises(ValueError, match="writing methods"):
        security.limit(app, "respond.page", "RATE_LIMIT_SUBMIT", methods=["GET", "POST"])
