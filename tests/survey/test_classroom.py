"""Classroom sessions: who may open and see them, how students join, time limits, absentees."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from questionnaires import QUESTIONNAIRE_DIR
from survey.classroom import grant_school
from survey.classroom import import_classes
from survey.classroom import normalize_code
from survey.models import ClassSession
from survey.models import Invitation
from survey.models import Response
from survey.models import SessionSeat
from survey.models import WaveStatus
from survey.services import create_user
from survey.services import create_wave
from survey.services import set_wave_status

PASSWORD = "a long enough password"
BOOKLET = QUESTIONNAIRE_DIR / "youth-g4-2025.yaml"


def _class_row(class_id: str, school: str, number: int) -> dict[str, str]:
    return {
        "class_id": class_id,
        "grade": "4",
        "stratum": "fotang",
        "town": "fotang",
        "school_id": school,
        "school_name": f"{school}小学",
        "school_type": "public",
        "class_number": str(number),
        "grade_classes": "4",
        "grade_students": "180",
        "expected_students": "45.0",
        "certainty": "0",
        "prob1": "0.5",
        "prob2": "0.25",
        "prob3": "1.0",
        "class_weight": "8.0",
        "var_stratum": "fotang-g4",
        "var_psu": f"{school}-g4",
    }


@pytest.fixture
def youth(session: Session) -> str:
    """A grade-4 wave with two sampled classes in two schools, a proctor for each school,
    a principal of school A and a statistician."""
    create_wave(
        session,
        name="y4",
        questionnaire_data=BOOKLET.read_bytes(),
        source_name=BOOKLET.name,
        actor="test",
        modes=("class",),
        allow_learn=False,
    )
    set_wave_status(session, "y4", WaveStatus.OPEN, "test")
    rows = [
        _class_row("sa-g4-02", "sa", 2),
        _class_row("sb-g4-01", "sb", 1),
        {**_class_row("sc-g8-01", "sc", 1), "grade": "8"},
    ]
    assert import_classes(session, "y4", rows, grade="4", actor="test") == 2
    for user, role, school in (
        ("tina", "proctor", "sa"),
        ("tom", "proctor", "sb"),
        ("pat", "principal", "sa"),
    ):
        create_user(session, user, PASSWORD, actor="test", role=role)
        grant_school(session, "y4", user, school, role, actor="test")
    create_user(session, "stan", PASSWORD, actor="test", role="statistician")
    return "y4"


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    def as_user(username: str) -> FlaskClient:
        client = app.test_client()
        r = client.post("/admin/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.data
        return client

    return as_user


def _class_pk(session: Session, class_id: str) -> int:
    from survey.models import SchoolClass

    session.rollback()  # a fresh snapshot: the app commits on its own connection
    return int(
        session.scalars(select(SchoolClass.id).where(SchoolClass.class_id == class_id)).one()
    )


def _open(client: FlaskClient, session: Session, class_id: str, seats: int = 5) -> tuple[int, str]:
    r = client.post(
        "/class/w/y4/open",
        data={"class": _class_pk(session, class_id), "seats": str(seats), "minutes": "40"},
    )
    assert r.status_code == 303, r.data
    sid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    session.rollback()
    code = session.scalars(select(ClassSession.code).where(ClassSession.id == sid)).one()
    return sid, code


def _join(client: FlaskClient, code: str, seat: int) -> tuple[int, str]:
    r = client.post("/class/", data={"code": code.lower(), "seat": str(seat)})
    if r.status_code != 303:
        return r.status_code, r.get_data(as_text=True)
    return 303, r.headers["Location"].split("/s/")[1]


def test_a_proctor_runs_a_session_and_sees_who_finished(
    youth: str, login: Callable[[str], FlaskClient], app: Flask, session: Session
) -> None:
    proctor = login("tina")
    assert proctor.get("/admin/").headers["Location"].endswith("/class/w/")
    listing = proctor.get("/class/w/y4").get_data(as_text=True)
    assert "sa小学" in listing and "sb小学" not in listing  # only her own school
    sid, code = _open(proctor, session, "sa-g4-02")
    board = proctor.get(f"/class/w/y4/s/{sid}").get_data(as_text=True)
    assert code[:3] in board and 'http-equiv="refresh"' in board
    assert proctor.get(f"/class/w/y4/s/{sid}/qr.svg").mimetype == "image/svg+xml"
    # a second session of the same class while this one runs: refused
    again = proctor.post(
        "/class/w/y4/open",
        data={"class": _class_pk(session, "sa-g4-02"), "seats": "5", "minutes": "40"},
    )
    assert again.status_code == 409

    student = app.test_client()
    status, token = _join(student, code, 3)
    assert status == 303
    assert student.post(f"/s/{token}").status_code == 303  # agrees on the notice page
    r = student.post(
        f"/s/{token}/q/about", data={"rev": "0", "page": "about", "q_sex": "2", "q_age": "10"}
    )
    assert r.status_code == 303
    first_test_page = {
        "rev": "1",
        "page": "science_1",
        "q_C01": "B",
        "q_C02": "A",
        "q_C03": "F",
        "q_C04": "C",
        "q_C05": "B",
        "q_P01": "T",
        "q_P02": "B",
        "q_P03": "A",
        "q_P04": "F",
        "q_P05": "B",
    }
    assert student.post(f"/s/{token}/q/science_1", data=first_test_page).status_code == 303
    board = proctor.get(f"/class/w/y4/s/{sid}").get_data(as_text=True)
    assert "答题中" in board and "第 3/" in board and "未进入" in board
    # the board names no student and shows no answer
    assert "q_sex" not in board and token not in board
    # a student who left nothing: marked absent by the proctor
    assert (
        proctor.post(
            f"/class/w/y4/s/{sid}/seats", data={"seat": ["1"], "action": "absent"}
        ).status_code
        == 303
    )
    # ending the session: unjoined seats absent, unfinished answers stop
    assert proctor.post(f"/class/w/y4/s/{sid}/close").status_code == 303
    session.rollback()
    seats = dict(
        session.execute(
            select(SessionSeat.seat, SessionSeat.status).where(SessionSeat.session_id == sid)
        ).all()
    )
    assert seats == {1: "absent", 2: "absent", 3: "timeout", 4: "absent", 5: "absent"}
    late = student.post(f"/s/{token}/q/science_2", data={"rev": "2", "page": "science_2"})
    assert late.status_code == 403 and "时间已到" in late.get_data(as_text=True)
    assert _join(app.test_client(), code, 4)[0] == 400  # a closed session takes nobody


def test_seats_are_one_browser_each_and_sessions_one_class_each(
    youth: str, login: Callable[[str], FlaskClient], app: Flask, session: Session
) -> None:
    sid_a, code_a = _open(login("tina"), session, "sa-g4-02")
    sid_b, code_b = _open(login("tom"), session, "sb-g4-01")
    alice, bob = app.test_client(), app.test_client()
    status, token_a = _join(alice, code_a, 1)
    assert status == 303
    # another browser cannot take alice's seat, and is told nothing about it
    status, page = _join(bob, code_a, 1)
    assert status == 400 and "已经有人用了" in page and token_a not in page
    # alice cannot move into the other class's session while hers goes on
    status, page = _join(alice, code_b, 1)
    assert status == 400 and "另一场测试" in page
    # nor take a second seat in her own
    status, page = _join(alice, code_a, 2)
    assert status == 400 and "1 号座位" in page
    # coming back with her own seat gives her own link again
    assert _join(alice, code_a, 1) == (303, token_a)
    # seats outside the class, malformed codes, unknown codes
    assert "1 到 5" in _join(bob, code_a, 9)[1]
    assert "6位" in _join(bob, "AB0O1I", 1)[1]
    unknown = "".join("A" if ch != "A" else "B" for ch in code_a)
    assert "没有找到" in _join(bob, unknown, 1)[1]
    # invitation tokens are per seat: alice's link is hers only; bob's own seat works
    status, token_b = _join(bob, code_a, 2)
    assert status == 303 and token_b != token_a
    session.rollback()
    inv = session.scalars(select(Invitation).where(Invitation.token == token_a)).one()
    assert inv.mode == "class" and inv.attributes["seat"] == 1
    assert "name" not in inv.attributes and inv.attributes["class_id"] == "sa-g4-02"


def test_stop_joining_and_moving_to_another_computer(
    youth: str, login: Callable[[str], FlaskClient], app: Flask, session: Session
) -> None:
    proctor = login("tina")
    sid, code = _open(proctor, session, "sa-g4-02")
    old_pc, new_pc, latecomer = app.test_client(), app.test_client(), app.test_client()
    _, token = _join(old_pc, code, 2)
    old_pc.post(f"/s/{token}")
    old_pc.post(
        f"/s/{token}/q/about", data={"rev": "0", "page": "about", "q_sex": "1", "q_age": "9"}
    )
    assert proctor.post(f"/class/w/y4/s/{sid}/lock").status_code == 303
    assert "停止加入" in _join(latecomer, code, 4)[1]
    # the proctor frees seat 2: the old computer's link dies, the answers move on
    proctor.post(f"/class/w/y4/s/{sid}/seats", data={"seat": ["2"], "action": "release"})
    assert old_pc.get(f"/s/{token}/q/science_1").status_code == 404
    status, new_token = _join(new_pc, code, 2)
    assert status == 303 and new_token != token
    page = new_pc.get(f"/s/{new_token}", follow_redirects=True).get_data(as_text=True)
    assert "科学题（一）" in page  # continues where the old computer stopped
    session.rollback()
    resp = session.scalars(select(Response)).one()
    assert resp.answers == {"sex": "1", "age": 9}


def test_who_may_see_what(
    youth: str, login: Callable[[str], FlaskClient], app: Flask, session: Session
) -> None:
    sid_a, _ = _open(login("tina"), session, "sa-g4-02")
    tom, pat, stan = login("tom"), login("pat"), login("stan")
    # a proctor of another school: the session does not exist for him
    for path in (
        f"/class/w/y4/s/{sid_a}",
        f"/class/w/y4/s/{sid_a}/qr.svg",
        f"/class/w/y4/s/{sid_a}/seats",
    ):
        assert tom.get(path).status_code == 404
    assert tom.post(f"/class/w/y4/s/{sid_a}/close").status_code == 404
    r = tom.post(
        "/class/w/y4/open",
        data={"class": _class_pk(session, "sa-g4-02"), "seats": "5", "minutes": "40"},
    )
    assert r.status_code == 404
    # a principal runs no session; a statistician may
    assert pat.get(f"/class/w/y4/s/{sid_a}").status_code == 403
    assert stan.get(f"/class/w/y4/s/{sid_a}").status_code == 404  # not a member of the wave
    # anonymous visitors are sent to the login page
    assert app.test_client().get(f"/class/w/y4/s/{sid_a}").status_code == 303
    # the learn page (right answers) is never offered in a classroom
    student = app.test_client()
    session.rollback()
    _, token = _join(student, session.scalars(select(ClassSession.code)).one(), 5)
    student.post(f"/s/{token}")
    assert student.get(f"/s/{token}/learn").status_code in (403, 404)


def test_bad_input_is_a_clear_4xx(
    youth: str, login: Callable[[str], FlaskClient], app: Flask, session: Session
) -> None:
    proctor = login("tina")
    pk = _class_pk(session, "sa-g4-02")
    for form in (
        {"class": pk, "seats": "0", "minutes": "40"},
        {"class": pk, "seats": "5", "minutes": "999"},
        {"class": pk, "seats": "五", "minutes": "40"},
        {"class": "x", "seats": "5", "minutes": "40"},
    ):
        assert proctor.post("/class/w/y4/open", data=form).status_code == 400
    assert (
        proctor.post(
            "/class/w/y4/open", data={"class": "99999", "seats": "5", "minutes": "40"}
        ).status_code
        == 404
    )
    student = app.test_client()
    for form in (
        {"code": "", "seat": "1"},
        {"code": "x" * 500, "seat": "1"},
        {"code": "ABCDEF", "seat": "²"},
        {"code": "ABCDEF", "seat": "1" * 50},
    ):
        assert student.post("/class/", data=form).status_code == 400
    assert student.get("/class/?code=abc-def").status_code == 200
    assert student.get("/class/notice").status_code == 200


def test_the_time_limit_closes_the_session(
    youth: str, login: Callable[[str], FlaskClient], app: Flask, session: Session
) -> None:
    proctor = login("tina")
    sid, code = _open(proctor, session, "sa-g4-02", seats=3)
    student = app.test_client()
    _, token = _join(student, code, 1)
    student.post(f"/s/{token}")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    session.rollback()
    session.execute(update(ClassSession).where(ClassSession.id == sid).values(closes_at=past))
    session.commit()
    inv = session.scalars(select(Invitation).where(Invitation.token == token)).one()
    inv.attributes = {**inv.attributes, "deadline": past.isoformat()}
    session.commit()
    r = student.post(
        f"/s/{token}/q/about", data={"rev": "0", "page": "about", "q_sex": "1", "q_age": "9"}
    )
    assert r.status_code == 403
    board = proctor.get(f"/class/w/y4/s/{sid}").get_data(as_text=True)
    assert "已结束" in board and 'http-equiv="refresh"' not in board
    session.rollback()
    seats = dict(
        session.execute(
            select(SessionSeat.seat, SessionSeat.status).where(SessionSeat.session_id == sid)
        ).all()
    )
    assert seats == {1: "refused", 2: "absent", 3: "absent"}  # seat 1 started nothing


def test_codes_avoid_look_alike_characters() -> None:
    assert normalize_code("ab3 k9m") == "AB3K9M"
    for bad in ("AB3K9", "AB3K9MM", "AB3K9O", "AB3K91", "AB3KIM"):
        assert normalize_code(bad) is None
    assert re.fullmatch(r"[A-Z2-9]{6}", normalize_code("zzzzzz") or "")
