"""Capacity reporting in the web survey: permissions, checks, versions, review, audit,
the Excel round trip (errors by cell), evidence files, the status and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.capacity import load_capacity_plan
from reports.capacity_round import EnteredValue
from reports.capacity_workbook import HEADER
from survey.capacity import services as svc
from survey.capacity.models import CapacityEvidence
from survey.capacity.models import CapacitySubmission
from survey.models import AuditLog
from survey.services import create_user

PASSWORD = "a long enough password"
ROUND = "2025年度"


@pytest.fixture
def people(app: Flask, session: Session) -> dict[str, FlaskClient]:
    """The 科协 admin, a statistician, an interviewer, and the reporters of 团市委 (tsw)
    and 市科协 (kx); round 2024 accepted for tsw, round 2025 open."""
    create_user(session, "kx_admin", PASSWORD, actor="t", role="admin")
    create_user(session, "stan", PASSWORD, actor="t", role="statistician")
    create_user(session, "ivy", PASSWORD, actor="t", role="interviewer")
    for name, unit in (("tuan", "tsw"), ("kexie", "kx")):
        create_user(session, name, PASSWORD, actor="t", role="reporter")
        svc.bind_reporter(session, name, unit, actor="t")
    old = svc.open_round(session, "2024年度", 2024, dt.date(2025, 1, 31), None, actor="t")
    svc.save_values(
        session,
        old,
        "tsw",
        {"volunteer_teams": EnteredValue(6), "volunteers": EnteredValue(400)},
        actor="tuan",
        submit=True,
    )
    svc.review(session, old, "tsw", True, "", actor="kx_admin")
    svc.close_round(session, "2024年度", actor="t")
    svc.open_round(session, ROUND, 2025, dt.date(2026, 1, 31), None, actor="t")
    out = {}
    for name in ("kx_admin", "stan", "ivy", "tuan", "kexie"):
        client = app.test_client()
        r = client.post("/admin/login", data={"username": name, "password": PASSWORD})
        assert r.status_code == 303
        out[name] = client
    return out


def _form(values: dict[str, Any], action: str = "submit") -> dict[str, Any]:
    data: dict[str, Any] = {"action": action}
    for ind, v in values.items():
        value, note, confirm = v if isinstance(v, tuple) else (v, "", False)
        data[f"v_{ind}"] = value
        data[f"n_{ind}"] = note
        if confirm:
            data[f"c_{ind}"] = "1"
    return data


def _subs(session: Session) -> list[tuple[str, int, str, Any]]:
    session.rollback()
    rows = session.scalars(select(CapacitySubmission).order_by(CapacitySubmission.id)).all()
    return [(s.unit_code, s.version, s.status, s.values) for s in rows]


def test_reporter_login_lands_on_capacity_and_sees_only_its_indicators(
    people: dict[str, FlaskClient], app: Flask
) -> None:
    client = app.test_client()
    r = client.post("/admin/login", data={"username": "tuan", "password": PASSWORD})
    assert r.headers["Location"].endswith("/capacity/")
    page = people["tuan"].get(f"/capacity/r/{ROUND}").get_data(as_text=True)
    assert "v_volunteers" in page and "v_volunteer_teams" in page
    assert "v_kepu_bases" not in page and "v_kepu_funds" not in page  # kx's indicators


def test_a_unit_cannot_see_or_change_another_units_data(
    people: dict[str, FlaskClient], session: Session, app: Flask, tmp_path: Any
) -> None:
    kexie, tuan = people["kexie"], people["tuan"]
    pdf = b"%PDF-1.4 kx evidence"
    r = kexie.post(f"/capacity/r/{ROUND}/evidence", data={"file": (io.BytesIO(pdf), "bases.pdf")})
    assert r.status_code == 303
    evidence_id = session.scalars(select(CapacityEvidence.id)).one()
    assert kexie.get(f"/capacity/evidence/{evidence_id}").status_code == 200
    # tsw's reporter: the same 404 as a file that does not exist
    assert tuan.get(f"/capacity/evidence/{evidence_id}").status_code == 404
    assert tuan.get("/capacity/evidence/99999").status_code == 404
    # posting another unit's indicators changes nothing of kx (the unit comes from the account)
    before = _subs(session)
    r = tuan.post(f"/capacity/r/{ROUND}", data=_form({"kepu_bases": "999"}, "save"))
    assert r.status_code == 303
    after = _subs(session)
    assert [s for s in after if s[0] == "kx"] == [s for s in before if s[0] == "kx"] == []
    assert "kepu_bases" not in after[-1][3]
    # review pages are not the reporter's; unit pages of the 科协 neither
    for path in (
        f"/capacity/rounds/{ROUND}",
        f"/capacity/rounds/{ROUND}/units/kx",
        f"/capacity/rounds/{ROUND}/status.json",
    ):
        assert tuan.get(path).status_code == 403
    assert (
        tuan.post(
            f"/capacity/rounds/{ROUND}/units/kx/review", data={"action": "accept"}
        ).status_code
        == 403
    )
    # an admin has no unit: no reporter form
    assert people["kx_admin"].get(f"/capacity/r/{ROUND}").status_code == 404
    assert people["ivy"].get("/capacity/").status_code == 403


def test_each_check_on_the_form(people: dict[str, FlaskClient], session: Session) -> None:
    tuan = people["tuan"]
    url = f"/capacity/r/{ROUND}"
    # not a number: 400, nothing saved
    r = tuan.post(url, data=_form({"volunteers": "lots", "volunteer_teams": "7"}))
    assert r.status_code == 400 and "不是数字" in r.get_data(as_text=True)
    assert [s for s in _subs(session) if s[1] == 1 and s[0] == "tsw" and s[2] == "draft"] == []
    cases = [
        ({"volunteers": "-3", "volunteer_teams": "7"}, "不能为负数"),
        ({"volunteers": "1600", "volunteer_teams": "7"}, "超出合理范围"),
        ({"volunteers": "", "volunteer_teams": "7"}, "未填数值时请在说明中写明原因"),
        ({"volunteers": "350", "volunteer_teams": "7"}, "存量指标比上期（400）减少"),
    ]
    for values, message in cases:
        r = tuan.post(url, data=_form(values))
        assert r.status_code == 422, values
        assert message in r.get_data(as_text=True), values
    # what was typed is kept as a draft, not submitted
    assert _subs(session)[-1][:3] == ("tsw", 1, "draft")
    # a note explains the fall; a blank with a note is missing (not zero)
    r = tuan.post(
        url,
        data=_form(
            {
                "volunteers": ("350", "两支队伍合并", False),
                "volunteer_teams": ("", "统计口径调整中", False),
            }
        ),
    )
    assert r.status_code == 303
    last = _subs(session)[-1]
    assert last[2] == "submitted" and last[3]["volunteer_teams"]["value"] is None


def test_cumulative_cannot_go_backwards_and_outliers_are_confirmed(
    people: dict[str, FlaskClient], session: Session
) -> None:
    plan = load_capacity_plan()
    old = svc.get_round(session, "2024年度")
    old.status = "open"
    session.commit()
    for year, total in ((2023, 10000.0), (2024, 14000.0)):
        name = f"{year}年度" if year == 2023 else "2024年度"
        rnd = (
            svc.open_round(session, name, year, dt.date(year + 1, 1, 31), None, actor="t")
            if year == 2023
            else old
        )
        svc.save_values(
            session, rnd, "nyj", {"rural_talents": EnteredValue(total)}, actor="t", submit=True
        )
        svc.review(session, rnd, "nyj", True, "", actor="t")
    rnd = svc.get_round(session, ROUND)
    back = svc.save_values(
        session, rnd, "nyj", {"rural_talents": EnteredValue(13000)}, actor="t", submit=True
    )
    assert [i.rule for i in back.issues] == ["cumulative_back"] and not back.submitted
    # +12,000 against +4,000 last year: an outlier, to be confirmed
    jump = svc.save_values(
        session, rnd, "nyj", {"rural_talents": EnteredValue(26000)}, actor="t", submit=True
    )
    assert [(i.rule, i.blocking) for i in jump.issues] == [("outlier", False)]
    assert not jump.submitted
    ok = svc.save_values(
        session,
        rnd,
        "nyj",
        {"rural_talents": EnteredValue(26000, "", True)},
        actor="t",
        submit=True,
    )
    assert ok.submitted and ok.issues == []
    assert plan.indicator("rural_talents").kind.value == "cumulative"


def test_return_with_reason_resubmit_accept_versions_and_audit(
    people: dict[str, FlaskClient], session: Session
) -> None:
    tuan, admin = people["tuan"], people["kx_admin"]
    url = f"/capacity/r/{ROUND}"
    assert (
        tuan.post(url, data=_form({"volunteers": "450", "volunteer_teams": "8"})).status_code == 303
    )
    # submitted: the reporter cannot change it while it waits for review
    assert tuan.post(url, data=_form({"volunteers": "1"}, "save")).status_code == 409
    review = f"/capacity/rounds/{ROUND}/units/tsw/review"
    assert admin.post(review, data={"action": "return", "reason": " "}).status_code == 400
    assert people["stan"].post(review, data={"action": "accept"}).status_code == 403
    assert (
        admin.post(review, data={"action": "return", "reason": "志愿者人数与系统不符"}).status_code
        == 303
    )
    page = tuan.get(url).get_data(as_text=True)
    assert "志愿者人数与系统不符" in page and "已退回" in page
    assert (
        tuan.post(url, data=_form({"volunteers": "470", "volunteer_teams": "8"})).status_code == 303
    )
    assert admin.post(review, data={"action": "accept"}).status_code == 303
    # a correction after acceptance is a new version; the accepted one is kept
    assert (
        tuan.post(
            url, data=_form({"volunteers": "480", "volunteer_teams": "8"}, "save")
        ).status_code
        == 303
    )
    rows = [s for s in _subs(session) if s[0] == "tsw"]
    assert [(v, st) for _, v, st, _ in rows] == [
        (1, "accepted"),
        (1, "returned"),
        (2, "accepted"),
        (3, "draft"),
    ]
    assert rows[2][3]["volunteers"]["value"] == 470
    status = json.loads(admin.get(f"/capacity/rounds/{ROUND}/status.json").data)
    volunteers = next(i for i in status["indicators"] if i["id"] == "volunteers")
    assert volunteers["value"] == 470  # the accepted version counts, not the draft
    actions = session.scalars(
        select(AuditLog.action).where(
            AuditLog.action.like("capacity.%"), AuditLog.target == f"{ROUND}/tsw"
        )
    ).all()
    assert actions == [
        "capacity.submit",
        "capacity.return",
        "capacity.submit",
        "capacity.accept",
        "capacity.save",
    ]
    reason = session.scalars(
        select(AuditLog.details).where(AuditLog.action == "capacity.return")
    ).one()
    assert reason["reason"] == "志愿者人数与系统不符"


def test_missing_is_never_zero_in_the_status(people: dict[str, FlaskClient]) -> None:
    data = json.loads(people["stan"].get(f"/capacity/rounds/{ROUND}/status.json").data)
    bases = next(i for i in data["indicators"] if i["id"] == "kepu_bases")
    assert bases["value"] is None and bases["status"] == "missing"
    units = {u["unit"]: u for u in data["units"]}
    assert units["kx"]["status"] == "not_started" and units["kx"]["completeness"] == 0
    assert data["index"]["covered"] < data["index"]["total"]
    page = people["stan"].get(f"/capacity/rounds/{ROUND}").get_data(as_text=True)
    assert "未报送" in page and "权重敏感性分析" in page
    # the 全国科普示范县 self-assessment export: missing stays blank, marked not reported
    r = people["stan"].get(f"/capacity/rounds/{ROUND}/demonstration.csv")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    rows = r.data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("指标代码,指标,统计类别")
    bases = next(line for line in rows if line.startswith("kepu_bases,"))
    assert bases == "kepu_bases,科普基地,场地,个,150,,,未报送,市科协,"
    assert rows[-1].startswith("capacity_index,")


def _xlsx_cells(data: bytes, cells: dict[str, Any]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book["填报"]
    for cell, value in cells.items():
        ws[cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_round_trip_with_errors_by_cell(
    people: dict[str, FlaskClient], session: Session
) -> None:
    tuan = people["tuan"]
    r = tuan.get(f"/capacity/r/{ROUND}/template.xlsx")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    ws = book["填报"]
    assert [c.value for c in ws[1]] == list(HEADER)
    rows = {ws[f"A{i}"].value: i for i in range(2, ws.max_row + 1)}
    assert set(rows) == {"volunteer_teams", "volunteers"}
    assert ws[f"E{rows['volunteers']}"].value == 400  # last round's value, pre-filled
    url = f"/capacity/r/{ROUND}/upload"
    bad = _xlsx_cells(r.data, {f"F{rows['volunteers']}": "很多", f"F{rows['volunteer_teams']}": 7})
    r2 = tuan.post(url, data={"file": (io.BytesIO(bad), "tsw.xlsx")})
    assert r2.status_code == 400 and f"F{rows['volunteers']}: 不是数字" in r2.get_data(as_text=True)
    assert _subs(session)[-1][0:3] == ("tsw", 1, "accepted")  # nothing saved (2024's row)
    fall = _xlsx_cells(r.data, {f"F{rows['volunteers']}": 350, f"F{rows['volunteer_teams']}": 7})
    r3 = tuan.post(url, data={"file": (io.BytesIO(fall), "tsw.xlsx")}, follow_redirects=True)
    assert f"G{rows['volunteers']}: volunteers: 存量指标比上期（400）减少" in r3.get_data(
        as_text=True
    )
    assert _subs(session)[-1][2] == "draft"
    good = _xlsx_cells(
        r.data,
        {
            f"F{rows['volunteers']}": "1,200",
            f"F{rows['volunteer_teams']}": 7,
            f"H{rows['volunteers']}": "是",
        },
    )
    assert tuan.post(url, data={"file": (io.BytesIO(good), "tsw.xlsx")}).status_code == 303
    last = _subs(session)[-1]
    assert last[2] == "submitted" and last[3]["volunteers"]["value"] == 1200
    # the template now carries this round's values (round trip)
    again = openpyxl.load_workbook(io.BytesIO(tuan.get(f"/capacity/r/{ROUND}/template.xlsx").data))
    assert again["填报"][f"F{rows['volunteers']}"].value == 1200


def test_evidence_type_size_and_download_headers(
    people: dict[str, FlaskClient], session: Session, app: Flask, monkeypatch: Any
) -> None:
    kexie = people["kexie"]
    url = f"/capacity/r/{ROUND}/evidence"
    # smaller limits for the test (the same code paths as 10 MiB)
    monkeypatch.setattr(svc, "EVIDENCE_MAX_BYTES", 32 * 1024)
    monkeypatch.setitem(app.config, "MAX_EVIDENCE_LENGTH", 64 * 1024)
    for name, data, code in (
        ("virus.exe", b"MZ\x90\x00", 400),
        ("fake.pdf", b"<html><script>", 400),
        ("empty.pdf", b"", 400),
        ("big.pdf", b"%PDF-" + b"0" * 40 * 1024, 400),
        ("huge.pdf", b"%PDF-" + b"0" * 80 * 1024, 413),
    ):
        r = kexie.post(url, data={"file": (io.BytesIO(data), name)})
        assert r.status_code == code, name
    # the form sent without choosing a file: no field, or an empty part with no file name
    for part in (None, (b"", "")):
        for to, says in ((url, "请先选择要上传的证明材料文件"),
                         (f"/capacity/r/{ROUND}/upload", "请先选择填好的模板文件")):  # fmt: skip
            form = {} if part is None else {"file": (io.BytesIO(part[0]), part[1])}
            r = kexie.post(to, data=form)
            assert r.status_code == 400 and says in r.get_data(as_text=True), (to, part)
    assert session.scalars(select(CapacityEvidence)).all() == []
    assert (
        kexie.post(
            url, data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\nxx"), "photo.png")}
        ).status_code
        == 303
    )
    session.rollback()
    row = session.scalars(select(CapacityEvidence)).one()
    stored = svc.evidence_dir(app.instance_path) / row.stored_name
    assert stored.exists() and "static" not in str(stored)
    r = people["stan"].get(f"/capacity/evidence/{row.id}")
    assert r.status_code == 200 and r.data.startswith(b"\x89PNG")
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_cli_plan_round_import_status(
    people: dict[str, FlaskClient], app: Flask, session: Session, monkeypatch: Any, tmp_path: Any
) -> None:
    from click.testing import CliRunner

    from kesu.cli import main

    monkeypatch.setenv("KESU_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("KESU_INSTANCE_PATH", app.instance_path)

    def kesu(*args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(main, list(args))
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    out = kesu("capacity", "plan", load_capacity_plan().file)
    assert "13 units, 7 tasks, 11 indicators" in out and "index weights" in out
    broken = tmp_path / "plan.yaml"
    text = Path(load_capacity_plan().file).read_text("utf-8")
    broken.write_text(text.replace("family: media", "family: tv"), encoding="utf-8")
    err = kesu("capacity", "plan", str(broken), ok=False)
    assert "plan.yaml:" in err and "kepu_media" in err and "unknown family" in err
    assert "round 2026年度 open" in kesu(
        "capacity", "round", "open", "2026年度", "--year", "2026", "--due", "2027-01-31"
    )
    rnd = svc.get_round(session, ROUND)
    template = people["tuan"].get(f"/capacity/r/{ROUND}/template.xlsx").data
    filled = _xlsx_cells(template, {"F2": 9, "F3": "abc"})
    path = tmp_path / "tsw.xlsx"
    path.write_bytes(filled)
    err = kesu("capacity", "import", str(path), "--unit", "tsw", "--round", ROUND, ok=False)
    assert "tsw.xlsx!F3" in err and "not a number" in err
    path.write_bytes(_xlsx_cells(template, {"F2": 9, "F3": 500}))
    assert "submitted" in kesu("capacity", "import", str(path), "--unit", "tsw", "--round", ROUND)
    data = json.loads(kesu("capacity", "status", "--round", ROUND, "--json"))
    units = {u["unit"]: u for u in data["units"]}
    assert units["tsw"]["status"] == "submitted" and units["kx"]["status"] == "not_started"
    text = kesu("capacity", "status", "--round", ROUND)
    assert "capacity index" in text and "missing" in text
    assert "closed" in kesu("capacity", "round", "close", ROUND)
    session.rollback()
    assert svc.get_round(session, ROUND).status == "closed" and rnd.id
