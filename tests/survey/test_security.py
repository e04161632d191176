"""CSRF, cookies, security headers, rate limits, logs without personal data."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask import request
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import csrf_from
from survey_testlib import open_wave
from survey_testlib import post_page
from survey_testlib import rev_from

from survey.db import database
from survey.models import Response
from survey.services import create_invitations
from survey.services import create_user


def test_csrf_is_enforced_on_every_form(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(WTF_CSRF_ENABLED=True)
    with database(app).sessionmaker() as session:
        open_wave(session)
        token = create_invitations(session, "w1", 1, actor="t")[0]
        create_user(session, "alice", "correct horse battery", actor="t", role="admin")
    client = app.test_client()
    # without the token: refused, nothing created
    r = client.post(f"/s/{token}")
    assert r.status_code == 400 and "CSRF" in r.data.decode()
    r = client.post("/admin/login", data={"username": "alice", "password": "x" * 12})
    assert r.status_code == 400
    # with the token from the page: accepted
    consent = client.get(f"/s/{token}").data.decode()
    r = client.post(f"/s/{token}", data={"csrf_token": csrf_from(consent)})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).data.decode()
    data = {**FEATURES_PAGES["about"], "rev": rev_from(page), "page": "about"}
    assert client.post(f"/s/{token}/q/about", data=data).status_code == 400
    data["csrf_token"] = csrf_from(page)
    assert client.post(f"/s/{token}/q/about", data=data).status_code == 303
    # a token from another session is refused
    other = app.test_client()
    other.get(f"/s/{token}")
    assert (
        other.post(f"/s/{token}/q/test", data={"csrf_token": data["csrf_token"]}).status_code == 400
    )


def test_csrf_page_follows_the_chosen_language(app_factory: Callable[..., Flask]) -> None:
    """The CSRF check runs before the language hook: the page still uses the session's
    language (English after ?lang=en), Chinese by default."""
    app = app_factory(WTF_CSRF_ENABLED=True)
    with database(app).sessionmaker() as session:
        open_wave(session)
        token = create_invitations(session, "w1", 1, actor="t")[0]
    client = app.test_client()
    zh = client.post(f"/s/{token}").data.decode()
    assert '<html lang="zh-CN">' in zh and "请求有误" in zh
    client.get(f"/s/{token}?lang=en")
    en = client.post(f"/s/{token}").data.decode()
    assert '<html lang="en">' in en and "请求有误" not in en


def test_security_headers(client: FlaskClient, token: str) -> None:
    r = client.get(f"/s/{token}")
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    html = r.data.decode()
    assert "<script>" not in html and "style=" not in html and "http://" not in html.lower()


def test_security_headers_on_every_kind_of_response(client: FlaskClient) -> None:
    """Added once each, after the view: a view's own value wins, static files may be
    cached, error pages carry them too."""
    wanted = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
              "Referrer-Policy", "Cross-Origin-Opener-Policy", "Permissions-Policy")  # fmt: skip
    static = client.get("/static/kesu.css")
    static.close()  # a file response: its file closed
    missing = client.get("/s/no-such-link-at-all/q/x")
    worker = client.get("/field/sw.js")
    for r in (static, missing, worker):
        assert all(len(r.headers.getlist(name)) == 1 for name in wanted), r.headers
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    assert worker.headers.getlist("Cache-Control") == ["no-cache"]  # the view's own


def test_security_headers_refuse_a_line_break() -> None:
    from survey.security import SecurityHeaders

    with pytest.raises(ValueError, match="line break"):
        SecurityHeaders(lambda environ, start: [], {"X-Test": "a\r\nSet-Cookie: x=1"})


def test_cookies_read_as_werkzeug_reads_them(app: Flask) -> None:
    from werkzeug.wrappers import Request as WerkzeugRequest

    header = 'a=1; b="two words"; a=3; kesu_session=x.y-z_; empty='
    with app.test_request_context(headers={"Cookie": header}):
        ours = request.cookies
        assert type(request._get_current_object()) is not WerkzeugRequest
    theirs = WerkzeugRequest({"HTTP_COOKIE": header}).cookies
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert ours.getlist("a") == ["1", "3"] and ours["b"] == "two words"
    with app.test_request_context():
        assert not request.cookies


def test_session_cookie_flags(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(COOKIE_SECURE=True)
    with database(app).sessionmaker() as session:
        open_wave(session)
        token = create_invitations(session, "w1", 1, actor="t")[0]
    cookie = app.test_client().get(f"/s/{token}?lang=en").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_cookies_are_secure_by_default_outside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    from survey import create_app

    monkeypatch.delenv("KESU_COOKIE_SECURE", raising=False)
    app = create_app({"SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_login_is_rate_limited(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/admin/login", data={"username": "a", "password": "b"}).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    page = client.post("/admin/login", data={"username": "a", "password": "b"})
    assert "请求过于频繁，请过一会儿再试（限制：3 per 1 minute）" in page.get_data(as_text=True)


def test_submissions_are_rate_limited_per_link(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATE_LIMIT_SUBMIT="4 per minute")
    with database(app).sessionmaker() as session:
        open_wave(session)
        first, second = create_invitations(session, "w1", 2, actor="t")
    client = app.test_client()
    client.post(f"/s/{first}")
    codes = [post_page(client, first, "about", {}, 0).status_code for _ in range(5)]
    assert codes == [422, 422, 422, 422, 429]
    # another link from the same address is not affected
    assert client.post(f"/s/{second}").status_code == 303


@pytest.mark.skipif(not os.environ.get("KESU_TEST_REDIS_URL"), reason="KESU_TEST_REDIS_URL unset")
def test_rate_limits_use_redis_when_configured(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    import redis

    url = os.environ["KESU_TEST_REDIS_URL"]
    prefix = f"kesu-test-{uuid.uuid4().hex[:8]}"
    app = app_factory(
        REDIS_URL=url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_KEY_PREFIX=prefix,
        RATE_LIMIT_LOGIN="2 per minute",
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == url
    codes = [
        app.test_client().post("/admin/login", data={"username": "a", "password": "b"}).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]
    store = redis.Redis.from_url(url)
    keys = list(store.scan_iter(match=f"*{prefix}*"))
    try:
        assert keys, "no rate-limit counters in Redis"
        # a second app (another worker) shares the counters
        app2 = app_factory(
            REDIS_URL=url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_KEY_PREFIX=prefix,
            RATE_LIMIT_LOGIN="2 per minute",
        )
        r = app2.test_client().post("/admin/login", data={"username": "a", "password": "b"})
        assert r.status_code == 429
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)


def test_no_personal_data_in_logs(
    client: FlaskClient, session: Session, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "我家住在义乌市稠城街道幸福路88号"
    pages = dict(FEATURES_PAGES)
    pages["about"] = {**pages["about"], "q_remark": secret, "q_birth_year": "1971"}
    caplog.set_level(logging.DEBUG)
    client.post(f"/s/{token}")
    post_page(client, token, "about", {**pages["about"], "q_birth_year": "abc"}, 0)
    for rev, (page, data) in enumerate(pages.items()):
        assert post_page(client, token, page, data, rev).status_code == 303
    session.rollback()
    stored = session.scalars(select(Response)).one()
    assert stored.answers["remark"] == secret
    text = caplog.text
    assert "response" in text  # something was logged ...
    for value in (secret, "1971", "farmer", token, "abc"):
        assert value not in text  # ... but no answers and no link


def test_request_logs_do_not_show_link_tokens(client: FlaskClient, token: str) -> None:
    import logging as logging_

    from survey.security import RedactTokens

    record = logging_.LogRecord(
        "werkzeug", logging_.INFO, __file__, 1, '"GET /s/%s/q/about HTTP/1.1" 200 -', (token,), None
    )
    assert RedactTokens().filter(record)
    assert token not in record.getMessage() and "/s/<token>/q/about" in record.getMessage()
    assert any(isinstance(f, RedactTokens) for f in logging_.getLogger("werkzeug").filters)


def test_rate_limits_keep_working_in_memory_when_redis_is_down(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: with Redis configured but down the limits failed open, silently. Now:
    each worker counts in memory (logins stay limited), a warning is logged, and
    /api/health says degraded."""
    app = app_factory(REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_ENABLED=True,
                      RATE_LIMIT_LOGIN="3 per minute")  # fmt: skip
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="survey.security"):
        codes = [
            client.post("/admin/login", data={"username": f"u{i}", "password": "b"}).status_code
            for i in range(6)  # other names each time: the per-account slowdown stays out
        ]
    assert 429 in codes[3:] and codes[:3] == [401, 401, 401], codes
    assert "rate-limit storage (Redis)" in caplog.text
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json == {
        "status": "degraded", "database": "ok", "rate_limits": "degraded"
    }  # fmt: skip


def test_limiter_keys_hold_no_invitation_token(
    app_factory: Callable[..., Flask], session: Session
) -> None:
    """Regression: the per-link limit kept ``token:<invitation token>`` as its key (in
    Redis when configured): a copy of the limiter's storage gave working survey links."""
    redis_url = os.environ.get("KESU_TEST_REDIS_URL")
    prefix = f"kesu-test-{uuid.uuid4().hex[:8]}"
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": prefix}
    if redis_url:
        config["REDIS_URL"] = redis_url
    app = app_factory(**config)
    with database(app).sessionmaker() as s:
        open_wave(s)
        token = create_invitations(s, "w1", 1, actor="t")[0]
    from survey.respond import _token_key

    with app.test_request_context(f"/s/{token}", method="POST"):
        from flask import request

        request.view_args = {"token": token}
        key = _token_key()
    assert token not in key and key.startswith("token:")
    client = app.test_client()
    assert client.post(f"/s/{token}").status_code == 303
    if redis_url:
        import redis

        store = redis.Redis.from_url(redis_url)
        keys = [k.decode() for k in store.scan_iter(match=f"*{prefix}*")]
        try:
            assert keys and not any(token in k for k in keys)
        finally:
            for k in keys:
                store.delete(k)


def test_the_bounded_caches_drop_their_oldest_entry_first() -> None:
    from survey.caches import keep

    cache: dict[str, int] = {}
    assert [keep(cache, k, v, 3) for k, v in zip("abcde", range(5), strict=True)] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert list(cache.items()) == [("c", 2), ("d", 3), ("e", 4)]
    keep(cache, "d", 9, 3)  # a key already kept: replaced, the cache still full
    assert len(cache) <= 3 and cache["d"] == 9
