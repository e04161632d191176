"""Access control over the whole URL map, staff sessions and logins, CAPI interview pages.

The URL-map tests walk every route of the app: a route added without an access decorator,
or a wave route without the wave-role check, fails them (issue 14, defect 4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import open_wave
from survey_testlib import post_page

from survey.auth import Access
from survey.fieldwork import MemberInput
from survey.fieldwork import record_roster
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.models import StaffSession
from survey.models import User
from survey.sample import import_sample
from survey.services import create_user
from survey.services import set_password
from survey.users import create_api_token
from survey.users import grant
from survey.users import set_active

PASSWORD = "a long enough password"
#: a value for every non-wave route argument of the app
ARGUMENTS = {"fmt": "csv", "response_id": 1, "case_id": 1, "token": "x" * 32, "section": "about",
             "sid": 1, "school": "s1", "invitation_id": 1}  # fmt: skip


def _access(app: Flask, endpoint: str) -> Access | None:
    found: Access | None = getattr(app.view_functions[endpoint], "kesu_access", None)
    return found


def test_every_route_declares_its_access_check(app: Flask) -> None:
    """No route without an access decorator; every route naming a wave checks the wave role
    of that very argument (a new route cannot forget it)."""
    missing, unchecked = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        access = _access(app, rule.endpoint)
        if access is None:
            missing.append(str(rule))
        elif "name" in rule.arguments and (access.kind != "wave" or access.arg != "name"):
            unchecked.append(str(rule))
        elif access.kind == "wave":
            assert access.arg in rule.arguments, rule
    assert not missing, f"routes without an access decorator: {missing}"
    assert not unchecked, f"wave routes without the wave-role check: {unchecked}"


@dataclass
class Staff:
    app: Flask
    session: Session

    def login(self, username: str) -> FlaskClient:
        client = self.app.test_client()
        r = client.post("/admin/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.data[:300]
        return client


@pytest.fixture
def staff(app: Flask, session: Session) -> Staff:
    for name, role in (("ada", "admin"), ("stan", "statistician"), ("vic", "viewer"),
                       ("ivy", "interviewer")):  # fmt: skip
        create_user(session, name, PASSWORD, actor="test", role=role)
    open_wave(session)
    grant(session, "w1", "stan", "statistician", actor="test")
    grant(session, "w1", "vic", "viewer", actor="test")
    return Staff(app, session)


def _wave_routes(app: Flask) -> list[tuple[str, str, Access]]:
    """``(method, path for wave w1, access)`` of every wave-scoped route."""
    out = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            access = _access(app, rule.endpoint) if rule.endpoint != "static" else None
            if access is None or access.kind != "wave":
                continue
            values = {k: ARGUMENTS.get(k, "w1") for k in rule.arguments}
            values[access.arg] = "w1"
            path = url_for(rule.endpoint, **values)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((method, path, access))
    assert len(out) >= 15  # wave pages, exports, dashboard, report, API
    paths = {(m, p) for m, p, _ in out}
    for method, tail in (("GET", "preview"), ("POST", "preview"), ("GET", "edit"),
                         ("POST", "edit"), ("POST", "duplicate"), ("GET", "delete"),
                         ("POST", "delete")):  # fmt: skip
        assert (method, f"/admin/waves/w1/{tail}") in paths  # the staff console (issue 15)
    return out


def _refused(r: Any) -> bool:
    """A refusal by the access check (not a later 4xx of the view itself)."""
    text = r.get_data().decode("utf-8", "replace")  # .sav/.dta downloads are binary
    if r.status_code in (401, 403):
        return True
    if r.status_code == 303 and r.headers["Location"].endswith("/admin/login"):
        return True
    return r.status_code == 404 and ("no wave named" in text or "没有名为" in text)


def test_wave_routes_check_the_wave_role(staff: Staff) -> None:
    """Over the URL map: anonymous -> login (401 for the API); a user without a role on
    the wave -> the same 404 as for a wave that does not exist (no probing of names); a
    member -> exactly the roles each route allows (the dashboard and report.pdf too)."""
    app = staff.app
    anonymous = app.test_client()
    clients = {name: staff.login(name) for name in ("ada", "stan", "vic", "ivy")}
    tokens = {name: create_api_token(staff.session, name, actor="t") for name in clients}
    roles = {"ada": "admin", "stan": "statistician", "vic": "viewer", "ivy": None}
    for method, path, access in _wave_routes(app):
        api = path.startswith("/api/")

        def call(
            client: FlaskClient, name: str | None, p: str = path, m: str = method, a: bool = api
        ) -> Any:
            headers = {"Authorization": f"Bearer {tokens[name]}"} if a and name else {}
            return client.open(p, method=m, headers=headers)

        r = call(anonymous, None)
        assert _refused(r) and r.status_code in ((401,) if api else (303,)), (method, path)
        for name, client in clients.items():
            r = call(client, name)
            role = roles[name]
            allowed = role == "admin" or role in access.roles
            assert _refused(r) != allowed, (method, path, name, r.status_code)
            if role is None:  # not a member: indistinguishable from a missing wave
                missing = call(client, name, path.replace("/w1", "/nosuch", 1))
                assert r.status_code == missing.status_code == 404, (method, path)
                assert r.get_data(as_text=True).replace("w1", "X") == missing.get_data(
                    as_text=True
                ).replace("nosuch", "X")


def test_dashboard_and_report_need_a_role_on_the_wave(staff: Staff) -> None:
    """Regression: both pages answered any logged-in user (issue 14, defect 4)."""
    ivy = staff.login("ivy")
    for path in ("/admin/waves/w1/dashboard", "/admin/waves/w1/report.pdf"):
        assert ivy.get(path).status_code == 404
        assert staff.login("vic").get(path).status_code in (200, 409)  # 409: no data yet


# -- sessions and logins (defect 9) ----------------------------------------------------------
def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("kesu_session", domain="survey.test")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    other = app.test_client()
    other.set_cookie("kesu_session", value, domain="survey.test")
    return other


def test_logout_ends_the_session_on_the_server(staff: Staff) -> None:
    client = staff.login("ada")
    copied = _cookie(client)
    assert _with_cookie(staff.app, copied).get("/admin/").status_code == 200
    assert client.post("/admin/logout").status_code == 303
    r = _with_cookie(staff.app, copied).get("/admin/")
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/login")


@pytest.mark.parametrize("how", ["password", "disable"])
def test_password_change_and_disable_end_every_session(staff: Staff, how: str) -> None:
    first, second = staff.login("stan"), staff.login("stan")
    if how == "password":
        assert set_password(staff.session, "stan", "a brand new passphrase", actor="t") == 2
    else:
        assert set_active(staff.session, "stan", False, actor="t") == 2
    for client in (first, second):
        assert client.get("/admin/").status_code == 303
    staff.session.rollback()
    reasons = staff.session.scalars(select(StaffSession.revoked_reason)).all()
    assert set(reasons) == {"password" if how == "password" else "disabled"}


def test_user_cli_list_disable_enable_password(staff: Staff, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from kesu.cli import main

    monkeypatch.setenv("KESU_DATABASE_URL", staff.app.config["DATABASE_URL"])
    monkeypatch.setenv("KESU_INSTANCE_PATH", staff.app.instance_path)
    staff.login("vic")

    def kesu(*args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(main, list(args))
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    vic = next(line for line in kesu("user", "list").splitlines() if line.startswith("vic "))
    assert "viewer" in vic and "active" in vic and "sessions  1" in vic and "w1:viewer" in vic
    assert "1 open session(s) ended" in kesu("user", "disable", "vic")
    assert "DISABLED" in kesu("user", "list")
    r = staff.app.test_client().post("/admin/login", data={"username": "vic", "password": PASSWORD})
    assert r.status_code == 401
    kesu("user", "enable", "vic")
    assert "at least 12" in kesu("user", "password", "vic", "--password", "short", ok=False)
    assert "contain the user name" in kesu("user", "password", "vic", "--password",
                                           "vic-and-some-words", ok=False)  # fmt: skip
    assert "common" in kesu("user", "password", "vic", "--password", "123456789012", ok=False)
    out = kesu("user", "create", "newbie", "--password", "purple elephant stapler")
    assert "role viewer" in out  # least privilege by default


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pw", "at least 12"),
        ("qwertyuiopas", "common"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
        ("carol-is-my-name", "user name"),
        ("CAROLcarol1234", "user name"),
    ],
)
def test_password_policy(session: Session, password: str, problem: str) -> None:
    from survey.errors import BadRequestError

    with pytest.raises(BadRequestError, match=problem):
        create_user(session, "carol", password, actor="t")
    assert create_user(session, "carol", "four random words here", actor="t").role == "viewer"


def test_failed_logins_are_audited_logged_and_slowed_per_account(
    staff: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    client = staff.app.test_client()

    def attempt(username: str, password: str = "wrong password") -> Any:
        return client.post("/admin/login", data={"username": username, "password": password})

    with caplog.at_level(logging.WARNING, logger="survey.services"):
        codes = [attempt("ada").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]  # the 6th try must wait (15 s after the 5th failure)
    refused = attempt("ada", PASSWORD)  # even the right password waits
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "failed login for 'ada'" in caplog.text and "wrong password" not in caplog.text
    staff.session.rollback()
    rows = staff.session.scalars(
        select(AuditLog).where(AuditLog.action == "user.login_failed")
    ).all()
    assert len(rows) == 5 and rows[0].target == "ada" and rows[-1].details["failures"] == 5
    # an unknown name is counted the same way (the 429 does not tell which names exist),
    # and the audit log keeps no unknown name (it may be a password typed in the wrong box)
    assert [attempt("nobody").status_code for _ in range(6)][-1] == 429
    staff.session.rollback()
    targets = staff.session.scalars(
        select(AuditLog.target).where(AuditLog.action == "user.login_failed")
    ).all()
    assert "nobody" not in targets
    # another account is not slowed down
    assert attempt("stan", PASSWORD).status_code == 303


def test_a_success_clears_the_failure_count(staff: Staff) -> None:
    client = staff.app.test_client()
    for _ in range(4):
        client.post("/admin/login", data={"username": "ada", "password": "nope nope nope"})
    assert staff.login("ada").get("/admin/").status_code == 200
    for _ in range(4):
        r = client.post("/admin/login", data={"username": "ada", "password": "nope nope nope"})
        assert r.status_code == 401


# -- CAPI interview pages (defect 8) ---------------------------------------------------------
SAMPLE = (
    b"household_id,stratum,town,psu,household_number,prob1,prob2,interviewer\n"
    b"h1,fotang,fotang,v01,2,0.2,0.05,ivy\n"
)


def test_capi_pages_need_the_assigned_interviewer(staff: Staff) -> None:
    session = staff.session
    create_user(session, "ian", PASSWORD, actor="t", role="interviewer")
    import_sample(session, "w1", SAMPLE, actor="ada", mode="capi")
    grant(session, "w1", "ian", "interviewer", actor="t")
    inv = session.scalars(select(Invitation)).one()
    case_id, token = inv.id, inv.token
    ivy_user = session.scalars(select(User).where(User.username == "ivy")).one()
    session.rollback()
    record_roster(session, ivy_user, case_id, [MemberInput("A", "1", 40, None)])
    ivy, ian, anonymous = staff.login("ivy"), staff.login("ian"), staff.app.test_client()
    assert anonymous.get(f"/s/{token}").status_code == 403  # a logged-out browser: no
    assert anonymous.post(f"/s/{token}").status_code == 403
    assert ivy.post(f"/s/{token}").status_code == 409  # start from the case page
    assert ivy.post(f"/field/cases/{case_id}/start").status_code == 303
    assert post_page(ivy, token, "about", FEATURES_PAGES["about"], 0).status_code == 303
    # the case is reassigned: the previous interviewer and a copied link can post nothing
    admin = staff.login("ada")
    assert admin.post("/admin/waves/w1/assign", data={"username": "ian", "households": "h1"}
                      ).status_code == 303  # fmt: skip
    before = _answers(session)
    for client in (ivy, anonymous):
        assert post_page(client, token, "test", FEATURES_PAGES["test"], 1).status_code == 403
        assert client.get(f"/s/{token}/q/test").status_code == 403
    assert _answers(session) == before
    # the newly assigned interviewer continues the interview
    assert post_page(ian, token, "test", FEATURES_PAGES["test"], 1).status_code == 303


def _answers(session: Session) -> Any:
    session.rollback()
    return session.scalars(select(Response.answers)).all()


def test_api_token_of_a_disabled_user_is_refused(staff: Staff) -> None:
    token = create_api_token(staff.session, "stan", actor="t")
    client = staff.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/waves/w1", headers=headers).status_code == 200
    set_active(staff.session, "stan", False, actor="t")
    assert client.get("/api/v1/waves/w1", headers=headers).status_code == 401


def test_sessions_table_keeps_no_cookie_key(staff: Staff) -> None:
    client = staff.login("ada")
    staff.session.rollback()
    hashes = staff.session.scalars(select(StaffSession.key_hash)).all()
    assert len(hashes) == 1 and _cookie(client) not in hashes[0]
    count = staff.session.scalar(select(func.count()).select_from(StaffSession))
    assert count == 1


# -- capacity reporting rounds (issue 16) -----------------------------------------------------
#: a value for every argument of the capacity routes
CAPACITY_ARGUMENTS = {"round_name": "2025年度", "unit": "tsw", "evidence_id": 1}


def test_capacity_routes_check_the_role_and_the_unit(staff: Staff) -> None:
    """Over the URL map: every round-scoped capacity route checks the user's role
    (anonymous -> login; an interviewer -> 403); a unit reporter reaches only the
    reporter's pages, whose unit comes from the account (an admin, bound to no unit,
    gets 404 there); review and progress pages refuse reporters."""
    import datetime as dt

    from flask import url_for

    from survey.capacity.services import bind_reporter
    from survey.capacity.services import open_round

    app, session = staff.app, staff.session
    create_user(session, "rita", PASSWORD, actor="test", role="reporter")
    bind_reporter(session, "rita", "tsw", actor="test")
    open_round(session, "2025年度", 2025, dt.date(2026, 1, 31), None, actor="test")
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/capacity"):
                continue
            access = _access(app, rule.endpoint)
            assert access is not None and access.kind == "role", rule
            path = url_for(rule.endpoint, **{k: CAPACITY_ARGUMENTS[k] for k in rule.arguments})
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, path, access))
    assert len(routes) >= 11
    clients = {name: staff.login(name) for name in ("ada", "stan", "vic", "ivy", "rita")}
    anonymous = app.test_client()
    for method, path, access in routes:
        r = anonymous.open(path, method=method)
        assert r.status_code == 303 and r.headers["Location"].endswith("/admin/login"), path
        for name, client in clients.items():
            role = (
                "admin"
                if name == "ada"
                else session.scalars(select(User.role).where(User.username == name)).one()
            )
            r = client.open(path, method=method)
            if role != "admin" and role not in access.roles:
                assert r.status_code == 403, (method, path, name, r.status_code)
            else:
                assert r.status_code != 403, (method, path, name, r.status_code)
                if (
                    name == "ada"
                    and "reporter" in access.roles
                    and access.roles != ("reporter", "statistician", "viewer")
                    and "/evidence/" not in path
                ):
                    assert r.status_code == 404, (method, path)  # an admin reports for no unit


def test_interviewer_routes_and_offline_api(staff: Staff) -> None:
    """Over the URL map, every /field route (the offline app and its JSON API too): anonymous
    -> login, other staff roles -> 403, the interviewer passes; the service worker script
    is the only public one and holds no data."""
    app = staff.app
    routes = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/field"):
                continue
            path = url_for(rule.endpoint, **{k: ARGUMENTS[k] for k in rule.arguments})
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, path, _access(app, rule.endpoint)))
    paths = {p for _, p, _ in routes}
    assert {"/field/offline", "/field/sw.js", "/field/api/key", "/field/api/bundle",
            "/field/api/submissions"} <= paths  # fmt: skip
    anonymous, ivy = app.test_client(), staff.login("ivy")
    others = [staff.login("stan"), staff.login("vic")]
    for method, path, access in routes:
        assert access is not None, path
        if access.kind == "public":
            assert path == "/field/sw.js"
            r = anonymous.get(path)
            assert r.status_code == 200 and "caches" in r.get_data(as_text=True)
            continue
        assert access.kind == "role" and access.roles == ("interviewer",), path
        r = anonymous.open(path, method=method)
        assert r.status_code == 303 and r.headers["Location"].endswith("/admin/login"), path
        for client in others:
            assert client.open(path, method=method).status_code == 403, (method, path)
        r = ivy.open(path, method=method, json={} if method == "POST" else None)
        assert r.status_code not in (303, 401, 403, 500), (method, path, r.status_code)
