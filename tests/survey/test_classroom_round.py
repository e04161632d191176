"""A youth round stored in the survey database: loaded, analysed and published by
``kesu classroom analyse``; each principal gets their own school's sheet and no other."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.cli import main
from questionnaires import QUESTIONNAIRE_DIR
from reports.youth_round import simulate_youth_round
from reports.youth_synthetic import BOOKLETS
from reports.youth_synthetic import PRINCIPAL_BOOKLET
from reports.youth_synthetic import population_level_shares
from sampling.schools import write_class_list
from survey.classroom import grant_school
from survey.classroom import import_classes
from survey.models import ClassSession
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import SchoolClass
from survey.models import SessionSeat
from survey.models import Wave
from survey.models import WaveStatus
from survey.models import now_utc
from survey.services import create_user
from survey.services import create_wave
from survey.services import new_token
from survey.services import set_wave_status
from survey.youth_data import load_youth_round

PASSWORD = "a long enough password"
DESIGN = {
    "kind": "schools",
    "method": "systematic",
    "allocation": "equal",
    "grades": {"4": {"schools_total": 28}, "8": {"schools_total": 28}},
}


def _wave(session: Session, name: str, booklet: str) -> int:
    path = QUESTIONNAIRE_DIR / booklet
    create_wave(
        session,
        name=name,
        questionnaire_data=path.read_bytes(),
        source_name=path.name,
        actor="test",
        modes=("class", "web"),
        allow_learn=False,
    )
    set_wave_status(session, name, WaveStatus.OPEN, "test")
    return int(session.scalars(select(Wave.id).where(Wave.name == name)).one())


def _store(session: Session, sim) -> None:  # type: ignore[no-untyped-def]
    """What the classroom pages would have stored: classes, closed sessions, seats, answers."""
    rows = [{k: str(v) for k, v in r.items()} for r in sim.sample.rows]
    answers = {(r.class_id, r.seat): r.answers for r in sim.round.responses}
    seats = sim.round.seats
    for grade, booklet in BOOKLETS.items():
        wave_id = _wave(session, f"y{grade}", booklet)
        import_classes(session, f"y{grade}", rows, grade=grade, actor="test")
        classes = session.scalars(select(SchoolClass).where(SchoolClass.wave_id == wave_id)).all()
        now = now_utc()
        pending: list[tuple[SessionSeat, Invitation, ResponseStatus, dict]] = []
        for k, cls in enumerate(classes):
            mine = np.flatnonzero(seats["class_id"] == cls.class_id)
            cs = ClassSession(
                wave_id=wave_id,
                school_class_id=cls.id,
                code=f"T{grade}{k:04d}",
                seats=len(mine),
                minutes=40,
                status="closed",
                opened_at=now,
                closes_at=now,
                closed_at=now,
            )
            session.add(cs)
            session.flush()
            for j in mine:
                seat, status = int(seats["seat"][j]), str(seats["status"][j])
                row = SessionSeat(session_id=cs.id, seat=seat, status=status)
                session.add(row)
                if status in ("complete", "timeout"):
                    inv = Invitation(
                        wave_id=wave_id,
                        token=new_token(),
                        mode="class",
                        attributes={"class_id": cls.class_id, "seat": seat},
                    )
                    done = (
                        ResponseStatus.COMPLETE if status == "complete" else ResponseStatus.PARTIAL
                    )
                    pending.append((row, inv, done, answers[(cls.class_id, seat)]))
        session.add_all(inv for _, inv, _, _ in pending)
        session.flush()  # one round trip for the ids
        for row, inv, done, ans in pending:
            row.invitation_id = inv.id
            session.add(Response(wave_id=wave_id, invitation_id=inv.id, status=done, answers=ans))
        session.commit()
    wave_id = _wave(session, "yp", PRINCIPAL_BOOKLET)
    for school, ans in sim.round.principal.items():
        inv = Invitation(wave_id=wave_id, token=new_token(), attributes={"school_id": school})
        session.add(inv)
        session.flush()
        session.add(
            Response(
                wave_id=wave_id, invitation_id=inv.id, status=ResponseStatus.COMPLETE, answers=ans
            )
        )
    session.commit()


@pytest.fixture
def stored(session: Session):  # type: ignore[no-untyped-def]
    sim = simulate_youth_round(np.random.default_rng(5), design=DESIGN)
    _store(session, sim)
    return sim


def _loads_as_collected(stored, session: Session) -> None:  # type: ignore[no-untyped-def]
    rnd = load_youth_round(session, ["y4", "y8"], principal_wave="yp")
    assert list(rnd.booklets) == ["4", "8"]
    assert len(rnd.classes) == len(stored.sample.rows)
    assert sorted(rnd.seats["status"].tolist()) == sorted(stored.round.seats["status"].tolist())
    assert len(rnd.responses) == len(stored.round.responses)
    assert set(rnd.principal) == set(stored.round.principal)
    assert rnd.principal_booklet is not None and rnd.teacher_booklet is None


def test_kesu_classroom_analyse_publishes_each_school_to_its_principal(
    stored,
    session: Session,
    app: Flask,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    _loads_as_collected(stored, session)
    session.rollback()
    monkeypatch.setenv("KESU_DATABASE_URL", database_url)
    monkeypatch.setenv("KESU_INSTANCE_PATH", str(tmp_path / "instance"))
    # the class list as kesu sample draw writes it (UTF-8 with a BOM) imports again
    # through the CLI: the classes are updated in place, not doubled
    classes = tmp_path / "classes.csv"
    write_class_list(stored.sample, classes)
    n4 = sum(1 for r in stored.sample.rows if r["grade"] == "4")
    result = CliRunner().invoke(main, ["classroom", "import", "y4", str(classes), "--grade", "4"])
    assert result.exit_code == 0 and f"wave y4: {n4} classes of grade 4" in result.output
    out, sheets = tmp_path / "youth-results.json", tmp_path / "sheets"
    result = CliRunner().invoke(
        main,
        [
            "classroom",
            "analyse",
            "--wave",
            "y4",
            "--wave",
            "y8",
            "--principal-wave",
            "yp",
            "-o",
            str(out),
            "--sheets",
            str(sheets),
            "--publish",
        ],
    )
    assert result.exit_code == 0, result.output
    published = json.loads(out.read_text("utf-8"))
    assert "schools" not in published
    truth = population_level_shares(stored.population)
    for g in published["grades"]:
        for stat, true in zip(g["overall"]["levels"], truth[g["grade"]], strict=True):
            assert abs(stat["estimate"] - true) < 4 * stat["se"]
    schools = sorted({str(r["school_id"]) for r in stored.sample.rows})
    assert sorted(p.stem for p in sheets.glob("*.pdf")) == schools
    mine, other = schools[0], schools[1]
    session.rollback()  # leave the snapshot read before the command wrote
    create_user(session, "prin", PASSWORD, actor="test", role="principal")
    wave = (
        "y4"
        if any(r["school_id"] == mine and r["grade"] == "4" for r in stored.sample.rows)
        else "y8"
    )
    grant_school(session, wave, "prin", mine, "principal", actor="test")
    client = app.test_client()
    assert (
        client.post("/admin/login", data={"username": "prin", "password": PASSWORD}).status_code
        == 303
    )
    listing = client.get(f"/class/w/{wave}/schools").get_data(as_text=True)
    assert f"/class/w/{wave}/schools/{mine}.pdf" in listing and other not in listing
    pdf = client.get(f"/class/w/{wave}/schools/{mine}.pdf")
    assert pdf.status_code == 200 and pdf.data == (sheets / f"{mine}.pdf").read_bytes()
    assert client.get(f"/class/w/{wave}/schools/{other}.pdf").status_code == 404
