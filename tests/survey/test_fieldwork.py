"""Fieldwork: roles per wave, sample import, the interviewer's households (CAPI), Kish
selection with prob3, contact outcomes and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import open_wave
from survey_testlib import post_page

from survey.errors import BadRequestError
from survey.fieldwork import MemberInput
from survey.fieldwork import record_roster
from survey.fieldwork import update_settings
from survey.models import AuditLog
from survey.models import ContactAttempt
from survey.models import HouseholdRoster
from survey.models import Invitation
from survey.models import Response
from survey.models import User
from survey.models import Wave
from survey.models import WaveStatus
from survey.monitoring import case_outcomes
from survey.monitoring import fieldwork_status
from survey.sample import SampleFileError
from survey.sample import import_sample
from survey.services import create_invitations
from survey.services import create_user
from survey.services import get_wave
from survey.users import grant

SAMPLE = (
    b"household_id,stratum,town,psu,household_number,prob1,prob2,prob3,household_weight,interviewer\n"
    b"v01-0001,fotang,fotang,v01,2,0.2,0.05,,100,ivy\n"
    b"v01-0002,fotang,fotang,v01,3,0.2,0.05,,100,ivy\n"
    b"v02-0001,chouzhou,chouzhou,v02,1,0.25,0.04,,100,ian\n"
    b"v02-0002,chouzhou,chouzhou,v02,4,0.25,0.04,,100,\n"
)
PASSWORD = "a long enough password"


@dataclass
class Field:
    app: Flask
    session: Session
    wave: str
    cases: dict[str, int]

    def login(self, username: str) -> FlaskClient:
        client = self.app.test_client()
        r = client.post("/admin/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303
        return client

    def count(self, model: type) -> int:
        self.session.rollback()
        return int(self.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def field(app: Flask, session: Session) -> Field:
    for name, role in (("ada", "admin"), ("stan", "statistician"), ("ivy", "interviewer"),
                       ("ian", "interviewer"), ("vic", "viewer")):  # fmt: skip
        create_user(session, name, PASSWORD, actor="test", role=role)
    wave = open_wave(session, modes=("capi", "web"))
    open_wave(session, "other")
    grant(session, wave, "stan", "statistician", actor="test")
    grant(session, wave, "vic", "viewer", actor="test")
    result = import_sample(session, wave, SAMPLE, actor="ada", mode="capi")
    assert result.count == 4 and result.interviewers == {"ivy": 2, "ian": 1}
    rows = session.execute(select(Invitation.household_id, Invitation.id)).all()
    session.rollback()
    return Field(app, session, wave, {h: i for h, i in rows})


def test_each_role_sees_and_does_only_what_it_may(field: Field) -> None:
    w = field.wave
    expected = {
        # path: (admin, statistician, viewer, interviewer)
        f"/admin/waves/{w}": (200, 200, 200, 403),
        f"/admin/waves/{w}/monitor": (200, 200, 200, 403),
        f"/admin/waves/{w}/export/csv": (200, 200, 403, 403),
        f"/admin/waves/{w}/links.csv": (200, 403, 403, 403),
        "/admin/waves/other": (200, 404, 404, 404),
        "/admin/waves/new": (200, 403, 403, 403),
        "/field/": (200, 403, 403, 200),
    }
    clients = [field.login(u) for u in ("ada", "stan", "vic", "ivy")]
    for path, codes in expected.items():
        got = tuple(c.get(path).status_code for c in clients)
        assert got == codes, path
    # only admins change a wave; statisticians review; interviewers land on their list
    before = field.count(AuditLog)
    for client in clients[1:]:
        assert client.post(f"/admin/waves/{w}/status", data={"status": "closed"}).status_code == 403
        assert client.post(f"/admin/waves/{w}/assign", data={"town": "fotang"}).status_code == 403
    review = {"decision": "rejected", "reason": "x" * 5}
    assert clients[2].post(f"/admin/waves/{w}/responses/1/review", data=review).status_code == 403
    assert field.count(AuditLog) == before
    assert clients[3].get("/admin/").headers["Location"].endswith("/field/")
    listing = clients[1].get("/admin/").data.decode()
    assert w in listing and "other" not in listing


def test_an_interviewer_cannot_touch_another_interviewers_household(field: Field) -> None:
    ivy = field.login("ivy")
    listing = ivy.get("/field/").data.decode()
    assert "v01-0001" in listing and "v01-0002" in listing and "v02-0001" not in listing
    theirs = field.cases["v02-0001"]  # ian's
    unassigned = field.cases["v02-0002"]
    before = (field.count(ContactAttempt), field.count(HouseholdRoster), field.count(Response))
    for case_id in (theirs, unassigned):
        assert ivy.get(f"/field/cases/{case_id}").status_code == 404
        assert ivy.post(f"/field/cases/{case_id}/attempt",
                        data={"disposition": "2.24"}).status_code == 404  # fmt: skip
        roster = {"label": ["A"], "sex": ["1"], "age": ["40"]}
        assert ivy.post(f"/field/cases/{case_id}/roster", data=roster).status_code == 404
        assert ivy.post(f"/field/cases/{case_id}/start").status_code == 404
    after = (field.count(ContactAttempt), field.count(HouseholdRoster), field.count(Response))
    assert after == before == (0, 0, 0)
    page = ivy.get(f"/field/cases/{field.cases['v01-0001']}")
    assert page.status_code == 200 and "姓名缩写" in page.data.decode()


def test_kish_selection_is_stored_with_prob3_and_the_base_weight(field: Field) -> None:
    ivy = field.login("ivy")
    case_id = field.cases["v01-0001"]  # household number 2 in the sample file
    roster = {"label": ["dad", "mum", "son", "kid"], "sex": ["1", "2", "1", "2"],
              "age": ["45", "43", "20", "10"]}  # fmt: skip
    # a digit-like character that int() refuses is a 400 with a message, not a 500
    bad = {**roster, "age": ["45", "4²", "20", "10"]}
    assert ivy.post(f"/field/cases/{case_id}/roster", data=bad).status_code == 400
    assert ivy.post(f"/field/cases/{case_id}/roster", data=roster).status_code == 303
    field.session.rollback()
    stored = field.session.scalars(select(HouseholdRoster)).one()
    # Kish order: men oldest first, then women: dad, son, mum (kid not eligible);
    # serial 2 picks position ((2 - 1) mod 3) + 1 = 2: the son; prob3 = 1/3
    assert (stored.selected, stored.eligible, stored.method) == ("son", 3, "kish_serial")
    assert stored.prob3 == pytest.approx(1 / 3, rel=1e-15)
    assert [m["label"] for m in stored.members] == ["dad", "mum", "son", "kid"]
    assert set(stored.members[0]) == {"label", "sex", "age"}  # nothing but what selection needs
    attrs = field.session.get(Invitation, case_id).attributes
    assert attrs["prob3"] == pytest.approx(1 / 3)
    assert attrs["base_weight"] == pytest.approx(1 / (0.2 * 0.05 * (1 / 3)), rel=1e-12)
    again = ivy.post(f"/field/cases/{case_id}/roster", data=roster)
    assert again.status_code == 409  # recorded once


def test_next_birthday_rule(field: Field) -> None:
    update_settings(field.session, field.wave, {"selection": "next_birthday"}, actor="test")
    ivy = field.session.scalars(select(User).where(User.username == "ivy")).one()
    members = [MemberInput("a", "1", 50, "12-01"), MemberInput("b", "2", 30, "07-04"),
               MemberInput("c", "2", 70, "06-02")]  # fmt: skip
    stored = record_roster(field.session, ivy, field.cases["v01-0002"], members,
                           on=dt.date(2025, 6, 1))  # fmt: skip
    # eligible 18-69: a and b; b's birthday (4 July) comes first after 1 June
    assert (stored.selected, stored.eligible, stored.prob3) == ("b", 2, 0.5)
    assert stored.members[1]["birthday"] == "07-04"
    # no eligible adult: refused with the hint to record the outcome, nothing stored
    with pytest.raises(BadRequestError, match="aged 18-69"):
        record_roster(field.session, ivy, field.cases["v01-0001"],
                      [MemberInput("kid", "1", 12, "01-01")], on=dt.date(2025, 6, 1))  # fmt: skip
    field.session.rollback()
    assert field.count(HouseholdRoster) == 1


def test_capi_interview_with_paradata_and_optional_gps(field: Field) -> None:
    update_settings(field.session, field.wave, {"gps": True}, actor="test")
    ivy = field.login("ivy")
    case_id = field.cases["v01-0001"]
    page = ivy.get(f"/field/cases/{case_id}")
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    assert ivy.post(f"/field/cases/{case_id}/start").status_code == 409  # roster first
    ivy.post(f"/field/cases/{case_id}/roster",
             data={"label": ["x"], "sex": ["2"], "age": ["33"]})  # fmt: skip
    gps = {"gps_consent": "1", "lat": "29.30612", "lon": "120.07531", "acc": "12"}
    r = ivy.post(f"/field/cases/{case_id}/start", data=gps)
    assert r.status_code == 303 and "/s/" in r.headers["Location"]
    token = r.headers["Location"].split("/s/")[1]
    for rev, (section, data) in enumerate(FEATURES_PAGES.items()):
        assert post_page(ivy, token, section, data, rev).status_code == 303
    field.session.rollback()
    resp = field.session.scalars(select(Response)).one()
    ivy_id = field.session.scalars(select(User.id).where(User.username == "ivy")).one()
    assert resp.mode == "capi" and resp.interviewer_id == ivy_id
    assert resp.paradata["interviewer_id"] == ivy_id and "ended" in resp.paradata
    assert resp.paradata["gps"] == {"lat": 29.30612, "lon": 120.07531, "accuracy": 12}
    # without consent nothing is kept, and with GPS off the page never asks
    update_settings(field.session, field.wave, {"gps": False}, actor="test")
    ivy.post(f"/field/cases/{field.cases['v01-0002']}/roster",
             data={"label": ["y"], "sex": ["1"], "age": ["50"]})  # fmt: skip
    ivy.post(f"/field/cases/{field.cases['v01-0002']}/start",
             data={"gps_consent": "1", "lat": "29.3", "lon": "120.1"})  # fmt: skip
    field.session.rollback()
    second = field.session.scalars(select(Response).order_by(Response.id.desc())).first()
    assert "gps" not in second.paradata
    assert "geolocation=()" in ivy.get(f"/field/cases/{case_id}").headers["Permissions-Policy"]


def test_contact_outcomes_give_final_dispositions_and_rates(field: Field) -> None:
    ivy = field.login("ivy")
    ian = field.login("ian")
    a, b = field.cases["v01-0001"], field.cases["v01-0002"]
    assert ivy.post(f"/field/cases/{a}/attempt", data={"disposition": "2.24"}).status_code == 303
    page = ivy.get(f"/field/cases/{a}").data.decode()
    assert "已记录：2.24 家中无人" in page and "— 2.24 家中无人</li>" in page
    ivy.post(f"/field/cases/{a}/attempt", data={"disposition": "2.111", "note": "busy"})
    ivy.post(f"/field/cases/{b}/attempt", data={"disposition": "4.70"})
    ian.post(f"/field/cases/{field.cases['v02-0001']}/attempt", data={"disposition": "3.18"})
    assert ivy.post(f"/field/cases/{a}/attempt", data={"disposition": "1.1"}).status_code == 400
    assert ivy.post(f"/field/cases/{a}/attempt", data={"disposition": "9.9"}).status_code == 400
    # no outcome chosen: said beside the list, in Chinese, the note kept; nothing recorded
    before = field.count(ContactAttempt)
    r = ivy.post(f"/field/cases/{a}/attempt", data={"disposition": "", "note": "下午再来"})
    page = r.data.decode()
    assert r.status_code == 400 and "请从列表中选择这次访问的结果。" in page
    assert (
        'value="下午再来"' in page
        and 'aria-invalid="true" aria-describedby="attempt-error"' in page
    )
    assert field.count(ContactAttempt) == before
    # a phone number in the note is refused (the survey keeps no contact details)
    r = ivy.post(f"/field/cases/{a}/attempt", data={"disposition": "2.24",
                                                    "note": "户主电话 138 0000 1234"})  # fmt: skip
    assert r.status_code == 400 and "不能写电话号码" in r.data.decode()
    assert field.count(ContactAttempt) == before
    # the list starts on "choose", not on an outcome a tap would record
    assert (
        '<option value="" selected>请选择这次访问的结果</option>'
        in ivy.get(f"/field/cases/{b}").data.decode()
    )
    # visits are listed in Beijing time, as every other time of the staff pages
    field.session.rollback()
    at = field.session.scalars(select(ContactAttempt.at).where(
        ContactAttempt.invitation_id == a).order_by(ContactAttempt.id)).first()  # fmt: skip
    beijing = (at.replace(tzinfo=dt.UTC) + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"<li>{beijing} — 2.24 家中无人</li>" in ivy.get(f"/field/cases/{a}").data.decode()
    field.session.rollback()
    create_invitations(field.session, field.wave, 1, actor="t")  # a web invitation, no reply
    wave = get_wave(field.session, field.wave)
    got = {c.household_id: c.disposition for c in case_outcomes(field.session, wave)}
    assert got == {"v01-0001": "2.111", "v01-0002": "4.70", "v02-0001": "3.18",
                   "v02-0002": "3.11", str(max(field.cases.values()) + 1): "3.19"}  # fmt: skip
    s = fieldwork_status(field.session, field.wave)
    # I=0, R=1, UH=3 (3.18, 3.11, 3.19), NE=1: RR1 = 0/4, REF1 = 1/4, CON1 = 1/4, e = 1/2
    assert s.overall.rates.counts["R"] == 1 and s.overall.rates.counts["UH"] == 3
    assert s.overall.rates.ref1 == pytest.approx(1 / 4) and s.overall.rates.e == 0.5
    assert {r.key: r.cases for r in s.by_interviewer} == {"": 2, "ian": 1, "ivy": 2}
    assert {(t.town, t.target) for t in s.targets if not t.group} >= {("fotang", 2)}
    monitor = field.login("vic").get(f"/admin/waves/{field.wave}/monitor")
    assert monitor.status_code == 200 and "拒访率 REF1" in monitor.data.decode()


def test_a_malformed_sample_names_the_line_and_column_and_imports_nothing(field: Field) -> None:
    before = field.count(Invitation)
    bad = {
        "line 3, column 'prob1'": SAMPLE.replace(b"v01-0002,fotang,fotang,v01,3,0.2",
                                                 b"v01-0002,fotang,fotang,v01,3,abc"),
        "line 2, column 'prob2'": SAMPLE.replace(b"0.05,,100,ivy\nv01-0002",
                                                 b"1.5,,100,ivy\nv01-0002"),
        "missing column 'psu'": SAMPLE.replace(b",psu,", b",village,"),
        "also on line 2": SAMPLE + b"v01-0001,fotang,fotang,v01,9,0.2,0.05,,100,\n",
        "line 5, column 'interviewer'": SAMPLE.replace(b"100,\n", b"100,nobody\n").replace(
            b"v0", b"x0"
        ),
        "line 2, column 'household_id'": SAMPLE,  # already imported
        "neither UTF-8 nor GB18030": SAMPLE.replace(b"fotang", b"\x80\xff", 1),
        "old Excel 97-2003 workbook": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
        "columns F and G are both named": SAMPLE.replace(b"prob1,prob2", b"prob1,prob1"),
    }  # fmt: skip
    for message, data in bad.items():
        with pytest.raises(SampleFileError, match=message):
            import_sample(field.session, field.wave, data, actor="ada")
        field.session.rollback()
    assert field.count(Invitation) == before
    ada = field.login("ada")
    upload = {"file": (__import__("io").BytesIO(bad["line 3, column 'prob1'"]), "s.csv")}
    r = ada.post(f"/admin/waves/{field.wave}/import", data=upload,
                 content_type="multipart/form-data")  # fmt: skip
    # the page speaks Chinese (the CLI and JSON keep the English message above)
    assert r.status_code == 400 and "第 3 行“prob1”列：“abc”不是数字。" in r.data.decode()
    assert field.count(Invitation) == before
    ada.get("/?lang=en")
    upload = {"file": (__import__("io").BytesIO(bad["also on line 2"]), "s.csv")}
    r = ada.post(f"/admin/waves/{field.wave}/import", data=upload,
                 content_type="multipart/form-data")  # fmt: skip
    page = r.data.decode()
    assert "Line 6, column &#39;household_id&#39;: &#39;v01-0001&#39; is also on line 2." in page


def test_links_csv_qr_sheet_and_audit_of_admin_actions(field: Field) -> None:
    ada = field.login("ada")
    w = field.wave
    links = ada.get(f"/admin/waves/{w}/links.csv")
    text = links.data.decode("utf-8")
    assert text.startswith("\ufeffhousehold_id,") and text.count("/s/") == 4
    pdf = ada.get(f"/admin/waves/{w}/qr.pdf?mode=all")  # CAPI cases: only when asked
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    ada.post(f"/admin/waves/{w}/assign", data={"username": "ian", "households": "v02-0002"})
    ada.post(f"/admin/waves/{w}/members", data={"username": "ian", "role": "viewer"})
    form = {"speeder_share": "0.25", "selection": "kish", "straightline_min_rows": "4",
            "partial_threshold": "0.5"}  # fmt: skip
    assert ada.post(f"/admin/waves/{w}/settings", data=form).status_code == 303
    bad = ada.post(f"/admin/waves/{w}/settings", data={**form, "selection": "nope"})
    assert bad.status_code == 400 and "请从列表中选择。" in bad.data.decode()
    ada.post("/admin/logout")
    field.session.rollback()
    entries = field.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    actions = [e.action for e in entries]
    for action in ("wave.import", "user.login", "wave.links", "wave.assign", "wave.grant",
                   "wave.settings", "user.logout"):  # fmt: skip
        assert action in actions
    assert all(e.actor for e in entries)
    # tokens and rosters never reach the audit log
    blob = " ".join(f"{e.target} {e.details}" for e in entries)
    tokens = field.session.scalars(select(Invitation.token)).all()
    assert not any(t in blob for t in tokens)


def test_the_file_of_kesu_sample_draw_imports_as_is(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    import yaml

    from sampling.frame import SampleDesign
    from sampling.frame import draw_sample
    from sampling.frame import read_frame
    from sampling.frame import write_sample

    data = Path(__file__).parent.parent / "sampling" / "data"
    design = SampleDesign.from_mapping(yaml.safe_load((data / "sample_design.yaml").read_text()))
    drawn = draw_sample(read_frame(data / "sample_frame.csv", design.columns), design,
                        np.random.default_rng(5))  # fmt: skip
    write_sample(drawn, tmp_path / "sample.csv")
    wave = open_wave(session)
    result = import_sample(session, wave, (tmp_path / "sample.csv").read_bytes(), actor="t")
    assert result.count == len(drawn.rows) == 90
    inv = session.scalars(select(Invitation).order_by(Invitation.id)).first()
    first = drawn.rows[0]
    assert (inv.household_id, inv.stratum, inv.psu, inv.town) == (
        first["household_id"], first["stratum"], first["psu"], first["town"])  # fmt: skip
    assert inv.attributes["prob1"] == pytest.approx(first["prob1"], rel=1e-15)
    assert inv.attributes["household_number"] == first["household_number"]
    assert inv.attributes["psu_name"] == first["psu_name"] and "prob3" not in inv.attributes


def test_the_sample_as_excel_and_gb18030_imports_the_same_cases(
    session: Session,
    tmp_path,
    realfiles,  # type: ignore[no-untyped-def]
) -> None:
    """One sample as UTF-8 CSV, GB18030 CSV (Excel on Chinese Windows), .xlsx and Parquet,
    from a file and as a web upload: the same invitations; town labels become codes."""
    from survey.services import create_wave
    from survey.services import set_wave_status

    yiwu = Path(__file__).parents[2] / "questionnaires" / "yiwu-csl-2025.yaml"
    header = ["household_id", "stratum", "town", "psu", "household_number", "prob1", "prob2",
              "prob3", "household_weight"]  # fmt: skip
    rows = [["v01-0001", "fotang", "佛堂镇", "v01", 2, 0.2, 0.05, None, 100],
            ["v01-0002", "fotang", "Fotang", "v01", 3, 0.2, 0.05, None, 100],
            ["v02-0001", "suxi", "suxi", "v02", 1, 0.25, 0.04, None, 100.0]]  # fmt: skip
    files = realfiles.write_formats(tmp_path, "sample", header, rows,
                                    text_numbers=["household_number"])  # fmt: skip
    seen = {}
    for fmt, path in files.items():
        wave = f"w-{fmt}"
        create_wave(session, name=wave, questionnaire_data=yiwu.read_bytes(),
                    source_name="yiwu.yaml", actor="t")  # fmt: skip
        set_wave_status(session, wave, WaveStatus.OPEN, "t")
        import_sample(session, wave, path.read_bytes(), actor="t", name=path.name)
        got = session.execute(
            select(Invitation.household_id, Invitation.stratum, Invitation.psu, Invitation.town,
                   Invitation.attributes)
            .join(Wave, Wave.id == Invitation.wave_id).where(Wave.name == wave)
            .order_by(Invitation.household_id)
        ).all()  # fmt: skip
        seen[fmt] = [tuple(r) for r in got]
    assert [r[3] for r in seen["utf8"]] == ["fotang", "fotang", "suxi"]
    assert seen["utf8"][0][4]["prob1"] == 0.2 and seen["utf8"][0][4]["household_number"] == 2
    for fmt, got in seen.items():
        assert got == seen["utf8"], fmt
    bad = (
        files["gb18030"].read_bytes().replace("佛堂镇".encode("gb18030"), "义乌".encode("gb18030"))
    )
    with pytest.raises(SampleFileError, match=r"line 2, column 'town': '义乌' is not a town"):
        import_sample(session, "w-utf8", bad, actor="t")
    session.rollback()


def test_an_xlsx_sample_uploads_through_the_page(field: Field, tmp_path, realfiles) -> None:  # type: ignore[no-untyped-def]
    header = ["household_id", "stratum", "town", "psu", "prob1", "prob2", "household_weight"]
    rows = [["x01-0001", "fotang", "fotang", "x01", 0.2, 0.05, 100],
            ["x01-0002", "fotang", "fotang", "x01", 0.2, 0.05, 100]]  # fmt: skip
    path = realfiles.write_formats(tmp_path, "upload", header, rows)["xlsx"]
    before = field.count(Invitation)
    upload = {"file": (__import__("io").BytesIO(path.read_bytes()), "样本.xlsx")}
    r = field.login("ada").post(f"/admin/waves/{field.wave}/import", data=upload,
                                content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 303, r.data.decode()[:2000]
    assert field.count(Invitation) == before + 2
