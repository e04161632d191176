"""The staff console of issue 15 (i15c): the response browser (filters, pages, one
response, permissions), filtered downloads, invitation status, resend and reminder
lists, the audit-log viewers, users and API tokens in the web UI. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import complete
from survey_testlib import open_wave
from survey_testlib import post_page

from survey.browse import FilterChoices
from survey.browse import Page
from survey.browse import ResponseFilter
from survey.browse import filter_choices
from survey.browse import iter_pages
from survey.browse import make_page
from survey.browse import parse_filter
from survey.browse import parse_page
from survey.errors import BadRequestError
from survey.export import export_stream
from survey.invitations import invitation_status
from survey.invitations import status_counts
from survey.models import ApiToken
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.models import User
from survey.models import Wave
from survey.services import create_invitations
from survey.services import create_user
from survey.users import create_api_token
from survey.users import grant

PASSWORD = "a long enough password"
PAGES_B = {
    "about": {"q_sex": "1", "q_birth_year": "1960", "q_occupation": "worker",
              "q_channels": ["none"]},
    "test": {"q_K1": "F", "q_K2": "DK", "q_M1": ["C"], "q_S1": "T", "q_P1": "A"},
    "attitudes": {"q_interest": "1", "q_V1": "2", "q_V2": "1"},
}  # fmt: skip


@dataclass
class Field:
    """A wave w1 with responses in two towns and a second wave w2; staff of each role."""

    app: Flask
    session: Session
    tokens: dict[str, str]
    ids: dict[str, int]

    def login(self, username: str) -> FlaskClient:
        client = self.app.test_client()
        r = client.post("/admin/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.data[:300]
        return client


def _response_id(session: Session, token: str) -> int:
    rid = session.scalar(
        select(Response.id).join(Invitation, Response.invitation_id == Invitation.id)
        .where(Invitation.token == token)
    )  # fmt: skip
    session.rollback()
    assert rid is not None
    return int(rid)


@pytest.fixture
def field(app: Flask, session: Session) -> Field:
    for name, role in (("ada", "admin"), ("stan", "statistician"), ("vic", "viewer"),
                       ("ivy", "interviewer"), ("ian", "interviewer")):  # fmt: skip
        create_user(session, name, PASSWORD, actor="test", role=role)
    open_wave(session)
    open_wave(session, "w2")
    for name, role in (("stan", "statistician"), ("vic", "viewer"), ("ivy", "interviewer"),
                       ("ian", "interviewer")):  # fmt: skip
        grant(session, "w1", name, role, actor="test")
    a, b = create_invitations(session, "w1", 2, actor="t", town="fotang", psu="v01")
    c, d = create_invitations(session, "w1", 2, actor="t", town="choucheng", psu="v02")
    (e,) = create_invitations(session, "w1", 1, actor="t", town="choucheng", psu="v02")
    (x,) = create_invitations(session, "w2", 1, actor="t", town="fotang")
    ivy = session.scalars(select(User.id).where(User.username == "ivy")).one()
    fotang = Invitation.town == "fotang"
    session.execute(update(Invitation).where(fotang).values(interviewer_id=ivy))
    session.commit()
    # a and b answer alike (duplicate answers), c differently, d stops after a page
    complete(app.test_client(), a)
    complete(app.test_client(), b)
    complete(app.test_client(), c, PAGES_B)
    partial = app.test_client()
    partial.post(f"/s/{d}")
    post_page(partial, d, "about", FEATURES_PAGES["about"], 0)
    complete(app.test_client(), x)
    tokens = {"a": a, "b": b, "c": c, "d": d, "e": e, "x": x}
    ids = {k: _response_id(session, t) for k, t in tokens.items() if k != "e"}
    return Field(app, session, tokens, ids)


def _ids_on(html: str, field: Field) -> set[str]:
    return {k for k, rid in field.ids.items() if f"/responses/{rid}?" in html
            or f"/responses/{rid}\"" in html}  # fmt: skip


# -- filters and pages (pure) ------------------------------------------------------------------
def test_parse_filter_accepts_only_offered_values() -> None:
    choices = FilterChoices({"fotang": "佛堂镇"}, ("ivy",))
    flt = parse_filter({"status": "complete", "town": "fotang", "interviewer": "ivy",
                        "flag": "any", "mode": "web", "review": "none", "from": "2026-03-01",
                        "to": "2026-03-02"}, choices)  # fmt: skip
    assert flt.date_from == date(2026, 3, 1)
    assert flt.describe() == (
        "status-complete_town-fotang_interviewer-ivy_flag-any_mode-web_review-none_"
        "from-2026-03-01_to-2026-03-02"
    )
    assert ResponseFilter().describe() == "all" and not ResponseFilter().active
    for bad in ({"town": "稠城街道"}, {"status": "done"}, {"flag": "x"}, {"interviewer": "bob"},
                {"from": "2026-13-01"}, {"to": "yesterday"}, {"from": "2026-03-02",
                "to": "2026-03-01"}, {"mode": "fax"}, {"review": "maybe"}):  # fmt: skip
        with pytest.raises(BadRequestError) as info:
            parse_filter(bad, choices)
        assert info.value.ui is not None  # a message in the page's language


def test_pages_parse_clamp_and_pager() -> None:
    assert parse_page({}) == (1, 50)
    assert parse_page({"page": "3", "per": "20"}) == (3, 20)
    for bad in ({"page": "-1"}, {"page": "abc"}, {"page": "0"}, {"page": "1.5"},
                {"page": "9" * 30}, {"per": "7"}, {"per": "x"}):  # fmt: skip
        with pytest.raises(BadRequestError):
            parse_page(bad)
    assert make_page(9, 20, 74) == Page(4, 20, 74)  # beyond the last page: the last
    assert make_page(1, 20, 0).pages == 1 and make_page(1, 20, 0).first_row == 0
    page = make_page(4, 20, 74)
    assert (page.offset, page.first_row, page.last_row) == (60, 61, 74)
    assert list(iter_pages(Page(10, 10, 500))) == [1, None, 8, 9, 10, 11, 12, None, 50]
    assert list(iter_pages(Page(1, 10, 30))) == [1, 2, 3]


# -- the browser -------------------------------------------------------------------------------
def test_browse_filters_and_pages(field: Field) -> None:
    client = field.login("stan")
    html = client.get("/admin/waves/w1/responses").get_data(as_text=True)
    assert _ids_on(html, field) == {"a", "b", "c", "d"}  # never w2's response
    assert "共 4 份答卷" in html and "北京时间" in html
    cases = {
        "status=partial": {"d"}, "status=complete": {"a", "b", "c"},
        "town=choucheng": {"c", "d"}, "town=fotang&status=complete": {"a", "b"},
        "interviewer=ivy": {"a", "b"}, "flag=duplicate_answers": {"a", "b"},
        "flag=duplicate_answers&town=choucheng": set(), "flag=any&town=fotang": {"a", "b"},
        "mode=capi": set(), "review=none": {"a", "b", "c", "d"},
        "from=2020-01-01&to=2099-12-31": {"a", "b", "c", "d"}, "to=2020-01-01": set(),
    }  # fmt: skip
    for query, expected in cases.items():
        r = client.get(f"/admin/waves/w1/responses?{query}")
        assert r.status_code == 200, (query, r.status_code)
        assert _ids_on(r.get_data(as_text=True), field) == expected, query
    # 20 a page: one page; page 2 and page 999 are beyond the end: the last page is shown
    per = {"per": "20"}
    assert client.get("/admin/waves/w1/responses", query_string=per).status_code == 200
    for query in ("page=2", "page=999"):
        html = client.get(f"/admin/waves/w1/responses?{query}&per=20").get_data(as_text=True)
        assert "第 1–4 条，共 4 条" in html


@pytest.mark.parametrize(
    "query",
    ["page=-1", "page=abc", "page=0", "per=7", "town=%E7%A8%A0%E5%9F%8E%E8%A1%97%E9%81%93",
     "status=done", "flag=nosuch", "interviewer=bob", "from=2026-02-30", "to=abc", "mode=fax"],
)  # fmt: skip
def test_malformed_queries_answer_400_with_a_message(field: Field, query: str) -> None:
    client = field.login("ada")
    paths = ["/admin/waves/w1/responses"]
    if not query.startswith(("page", "per")):  # a download has no pages
        paths.append("/admin/waves/w1/responses/download/csv")
    for path in paths:
        r = client.get(f"{path}?{query}")
        assert r.status_code == 400, (path, query, r.status_code)
        text = r.get_data(as_text=True)
        assert any(w in text for w in ("筛选条件", "页码", "每页条数", "日期")), text[:500]


def test_a_bad_filter_is_said_above_the_filters_which_keep_what_was_chosen(field: Field) -> None:
    client = field.login("stan")
    r = client.get("/admin/waves/w1/responses?town=choucheng&from=2099-12-05&to=2099-11-01")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and '<p class="field-error" role="alert" id="filter-error">' in html
    assert "开始日期晚于结束日期" in html and 'class="filters"' in html  # the page, not a dead end
    assert 'name="from" type="date" value="2099-12-05" aria-invalid="true"' in html
    assert 'name="to" type="date" value="2099-11-01"' in html
    assert '<option value="choucheng" selected>' in html
    assert _ids_on(html, field) == {"c", "d"}  # the other filters (town, to) still apply
    r = client.get("/admin/waves/w1/responses?from=abc")
    assert r.status_code == 400 and "开始日期（起）请填写日期" in r.get_data(as_text=True)


def test_one_response_with_labels_and_review(field: Field) -> None:
    client = field.login("stan")
    rid = field.ids["a"]
    html = client.get(f"/admin/waves/w1/responses/{rid}").get_data(as_text=True)
    assert "您的出生年份" in html and "1980" in html and "农民" in html  # question + label
    assert "同一" in html or "答案重复" in html  # the flags
    assert "尚无审核记录" in html
    # the score under labels: the level's and the dimensions' names, not their codes
    score = html.split("<h2>得分</h2>", 1)[1].split("<h2>", 1)[0]
    facts = re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", score)
    assert facts == [
        ("总分", "10"), ("等级", "高阶"), ("具备科学素质", "是"), ("科学知识", "4"),
        ("科学方法", "2"), ("科学精神与思想", "2"), ("应用科学的能力", "2"),
    ]  # fmt: skip
    path = f"/admin/waves/w1/responses/{rid}"
    en = client.get(f"{path}?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "Farmer" in en and "Response" in en
    client.get(f"{path}?lang=zh-CN")
    # no reason: the error in place, in Chinese, nothing stored
    r = client.post(f"/admin/waves/w1/responses/{rid}/decision",
                    data={"decision": "rejected", "reason": "x"})  # fmt: skip
    assert r.status_code == 400 and "请填写理由" in r.get_data(as_text=True)
    # beside the field (the page is long), which says it is required
    html = r.get_data(as_text=True)
    beside = 'autofocus> <span class="field-error" id="reason-error" role="alert">请填写理由'
    assert beside in html and "理由（必填，3 到 500 个字）" in html
    r = client.post(f"/admin/waves/w1/responses/{rid}/decision",
                    data={"decision": "rejected", "reason": "duplicate of another"})  # fmt: skip
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/responses/{rid}")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "duplicate of another" in html and "response.reject" in html
    assert field.session.get(Response, rid).review == "rejected"  # type: ignore[union-attr]


def test_other_waves_and_cases_are_404_and_change_nothing(field: Field) -> None:
    other = field.ids["x"]  # a response of w2
    for name in ("ada", "stan"):
        client = field.login(name)
        assert client.get(f"/admin/waves/w1/responses/{other}").status_code == 404
        r = client.post(f"/admin/waves/w1/responses/{other}/decision",
                        data={"decision": "rejected", "reason": "not mine to judge"})  # fmt: skip
        assert r.status_code == 404
        r = client.post("/admin/waves/w1/responses/accept",
                        data={"ids": [str(other)], "reason": "bulk accept"})  # fmt: skip
        assert r.status_code == 404
    field.session.expire_all()
    assert field.session.get(Response, other).review == ""  # type: ignore[union-attr]
    assert not field.session.scalars(
        select(AuditLog).where(AuditLog.target == f"response:{other}")
    ).all()
    # a viewer sees aggregates only; an interviewer only their own cases
    assert field.login("vic").get("/admin/waves/w1/responses").status_code == 403
    ivy = field.login("ivy")
    assert _ids_on(ivy.get("/admin/waves/w1/responses").get_data(as_text=True), field) == {"a", "b"}
    assert ivy.get(f"/admin/waves/w1/responses/{field.ids['a']}").status_code == 200
    assert ivy.get(f"/admin/waves/w1/responses/{field.ids['c']}").status_code == 404
    assert ivy.get("/admin/waves/w1/responses/download/csv").status_code == 403
    ian = field.login("ian")
    assert _ids_on(ian.get("/admin/waves/w1/responses").get_data(as_text=True), field) == set()
    assert ian.get(f"/admin/waves/w1/responses/{field.ids['a']}").status_code == 404


def test_bulk_accept_with_one_reason(field: Field) -> None:
    client = field.login("stan")
    ids = [field.ids["a"], field.ids["b"]]
    r = client.post("/admin/waves/w1/responses/accept",
                    data={"ids": [str(i) for i in ids], "reason": "checked by phone",
                          "f_flag": "duplicate_answers"})  # fmt: skip
    assert r.status_code == 303 and "flag=duplicate_answers" in r.headers["Location"]
    field.session.expire_all()
    for rid in ids:
        assert field.session.get(Response, rid).review == "accepted"  # type: ignore[union-attr]
    assert "已将 2 份答卷审核通过" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post("/admin/waves/w1/responses/accept", data={"ids": ["abc"], "reason": "xyz"})
    assert r.status_code == 400
    # no reason: the error beside the field, the ticks kept, nothing changed
    c = field.ids["c"]
    r = client.post("/admin/waves/w1/responses/accept", data={"ids": [str(c)], "reason": " "})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "请填写理由" in html
    assert f'value="{c}" aria-label="选择答卷 {c}" checked' in html
    # one response of another wave among them: 404, not one of them changed
    mixed = {"ids": [str(c), str(field.ids["x"])], "reason": "bulk accept"}
    r = client.post("/admin/waves/w1/responses/accept", data=mixed)
    assert r.status_code == 404
    field.session.expire_all()
    assert field.session.get(Response, c).review == ""  # type: ignore[union-attr]


# -- filtered downloads ------------------------------------------------------------------------
def _csv_ids(data: bytes) -> set[int]:
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    return {int(r["respondent_id"]) for r in rows}


def test_filtered_exports_hold_exactly_the_filtered_rows(field: Field, tmp_path: Path) -> None:
    s, ids = field.session, field.ids
    filters = {
        ResponseFilter(): {"a", "b", "c", "d"},
        ResponseFilter(town="choucheng"): {"c", "d"},
        ResponseFilter(status="complete", town="fotang"): {"a", "b"},
        ResponseFilter(flag="duplicate_answers"): {"a", "b"},
        ResponseFilter(interviewer="ivy", status="partial"): set(),
        ResponseFilter(date_to=date(2020, 1, 1)): set(),
    }
    for flt, expected in filters.items():
        data = b"".join(export_stream(s, "w1", "csv", flt))
        assert _csv_ids(data) == {ids[k] for k in expected}, flt
        for fmt in ("sav", "dta"):
            path = tmp_path / f"out.{fmt}"
            path.write_bytes(b"".join(export_stream(s, "w1", fmt, flt)))
            reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
            frame, _ = reader(str(path))
            assert len(frame) == len(expected), (flt, fmt)
            assert set(frame["respondent_id"].astype(int)) == {ids[k] for k in expected}
    client = field.login("stan")
    r = client.get("/admin/waves/w1/responses/download/csv?town=choucheng&status=partial")
    assert r.status_code == 200
    assert "w1-responses-status-partial_town-choucheng.csv" in r.headers["Content-Disposition"]
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert _csv_ids(r.data) == {ids["d"]}
    assert client.get("/admin/waves/w1/responses/download/codebook-pdf").status_code == 400
    audit = s.scalars(select(AuditLog).where(AuditLog.action == "wave.export")).all()
    assert audit[-1].details["filter"] == {"status": "partial", "town": "choucheng"}
    s.rollback()
    # the JSON API's export takes the same filters
    api = field.app.test_client()
    headers = {"Authorization": f"Bearer {create_api_token(s, 'stan', actor='t')}"}
    r = api.get("/api/v1/waves/w1/export/csv?town=choucheng", headers=headers)
    assert r.status_code == 200 and _csv_ids(r.data) == {ids["c"], ids["d"]}
    assert "w1-responses-town-choucheng.csv" in r.headers["Content-Disposition"]
    assert _csv_ids(api.get("/api/v1/waves/w1/export/csv", headers=headers).data) == {
        ids[k] for k in "abcd"
    }
    for query in ("town=nosuch", "bogus=1", "page=2"):
        r = api.get(f"/api/v1/waves/w1/export/csv?{query}", headers=headers)
        assert r.status_code == 400 and r.get_json()["error"], query
    r = api.get("/api/v1/waves/w1/export/cases?town=fotang", headers=headers)
    assert r.status_code == 400


# -- invitations -------------------------------------------------------------------------------
def test_invitation_status_order() -> None:
    t = date(2026, 1, 1)
    assert invitation_status(None, None, None) == "created"
    assert invitation_status(t, None, None) == "sent"  # type: ignore[arg-type]
    assert invitation_status(t, t, None) == "opened"  # type: ignore[arg-type]
    assert invitation_status(None, t, "partial") == "started"  # type: ignore[arg-type]
    assert invitation_status(None, None, "complete") == "completed"


def test_invitation_transitions_resend_and_reminders(field: Field) -> None:
    s = field.session
    w1 = s.scalars(select(Wave).where(Wave.name == "w1")).one()
    (new,) = create_invitations(s, "w1", 1, actor="t", town="fotang")
    counts = status_counts(s, w1)
    # the opened ones: a-d opened the consent page before starting (the GET), e did not
    assert counts == {"created": 2, "sent": 0, "opened": 0, "started": 1, "completed": 3}
    admin = field.login("ada")
    assert admin.get("/admin/waves/w1/links.csv").status_code == 200  # handed out
    assert status_counts(s, w1)["sent"] == 2
    client = field.app.test_client()
    assert client.get(f"/s/{new}").status_code == 200  # the consent page: opened

    def opened() -> object:
        found = s.scalar(select(Invitation.opened_at).where(Invitation.token == new))
        s.rollback()
        return found

    first_opened = opened()
    assert first_opened is not None
    assert client.get(f"/s/{new}").status_code == 200  # twice: still the first time
    assert opened() == first_opened
    assert status_counts(s, w1) == {"created": 0, "sent": 1, "opened": 1, "started": 1,
                                    "completed": 3}  # fmt: skip
    client.post(f"/s/{new}")
    assert status_counts(s, w1)["started"] == 2
    html = admin.get("/admin/waves/w1/invitations").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)
    assert "已开始：2" in text and "已完成：3" in text and "已发出：1" in text
    english = admin.get("/admin/waves/w1/invitations?lang=en", follow_redirects=True)
    assert "started: 2" in re.sub(r"<[^>]+>", "", english.get_data(as_text=True))
    admin.get("/admin/waves/w1/invitations?lang=zh-CN")
    assert admin.get("/admin/waves/w1/invitations?status=opened").status_code == 200
    assert admin.get("/admin/waves/w1/invitations?status=nosuch").status_code == 400
    assert admin.get("/admin/waves/w1/invitations?page=abc").status_code == 400
    # resend with the same link, then with a new one (the old stops working; answers stay)
    e = s.scalars(select(Invitation).where(Invitation.token == field.tokens["e"])).one()
    e_id = e.id
    s.rollback()
    r = admin.post(f"/admin/waves/w1/invitations/{e_id}/resend", data={"link": "same"})
    assert r.status_code == 303
    assert field.tokens["e"] in admin.get(r.headers["Location"]).get_data(as_text=True)
    d = s.scalars(select(Invitation).where(Invitation.token == field.tokens["d"])).one()
    d_id = d.id
    s.rollback()
    r = admin.post(f"/admin/waves/w1/invitations/{d_id}/resend", data={"link": "new"})
    page = admin.get(r.headers["Location"]).get_data(as_text=True)
    d = s.get(Invitation, d_id)  # type: ignore[assignment]
    assert d.token != field.tokens["d"] and d.token in page and d.reminders == 1
    new_token = d.token
    s.rollback()
    assert field.app.test_client().get(f"/s/{field.tokens['d']}").status_code == 404
    assert field.app.test_client().get(f"/s/{new_token}").status_code == 303  # to the answers
    a = s.scalars(select(Invitation).where(Invitation.token == field.tokens["a"])).one()
    a_id = a.id
    s.rollback()
    assert admin.post(f"/admin/waves/w1/invitations/{a_id}/resend").status_code == 400
    x = s.scalars(select(Invitation).where(Invitation.token == field.tokens["x"])).one()
    x_id = x.id
    s.rollback()  # another wave's invitation: 404, nothing changes
    assert admin.post(f"/admin/waves/w1/invitations/{x_id}/resend").status_code == 404
    assert s.get(Invitation, x_id).reminders == 0  # type: ignore[union-attr]
    # a face-to-face case not visited yet: its interviewer goes, no reminder link
    (capi,) = create_invitations(s, "w1", 1, actor="t", town="fotang", mode="capi")
    # the reminder list: every web invitation not completed, with link and message, CSV
    # with a BOM
    r = admin.get("/admin/waves/w1/reminders.csv")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 3  # d (partial), e (never opened), new (started); not the CAPI case
    assert {row["status"] for row in rows} == {"started", "sent"}
    assert all(row["link"] in row["message"] and "您好" in row["message"] for row in rows)
    assert all(capi not in row["link"] and row["mode"] == "web" for row in rows)
    # who started is asked to go on; who never did, to begin
    for row in rows:
        started = row["status"] == "started"
        assert ("继续填写" in row["message"]) == started
        assert ("诚邀您参加" in row["message"]) == (not started)
    # downloading the list marks only what it lists as handed out
    assert s.scalar(select(Invitation.sent_at).where(Invitation.token == capi)) is None
    s.rollback()
    r = admin.post("/admin/waves/w1/invitations/remind")
    assert r.status_code == 303
    assert "已为 3 个未完成的网上自填邀请记录一次提醒" in admin.get(r.headers["Location"]).get_data(
        as_text=True
    )
    assert s.scalar(select(Invitation.reminders).where(Invitation.token == capi)) == 0
    capi_id = s.scalar(select(Invitation.id).where(Invitation.token == capi))
    s.rollback()
    # nor is a face-to-face case offered "resend" in the list (its interviewer visits it)
    html = admin.get("/admin/waves/w1/invitations?per=200").get_data(as_text=True)
    assert f"/invitations/{capi_id}/resend" not in html
    assert f"/invitations/{e_id}/resend" in html  # a web invitation not completed is
    # the list: town names, one time column (when the status was reached), filters by town
    # and by a part of the household id
    html = admin.get("/admin/waves/w1/invitations?town=fotang").get_data(as_text=True)
    label = filter_choices(s, w1, "zh-CN").towns["fotang"]  # the questionnaire's name
    s.rollback()
    assert f"<td>{label}</td>" in html and "到达该状态的时间" in html
    assert "<td>choucheng</td>" not in html and "稠城" not in html.split("<tbody>")[1]
    assert admin.get("/admin/waves/w1/invitations?town=nosuch").status_code == 400
    d_household = s.scalar(select(Invitation.household_id).where(Invitation.id == d_id))
    s.rollback()
    if d_household:
        html = admin.get(f"/admin/waves/w1/invitations?household={d_household}").get_data(
            as_text=True
        )
        assert f'<th scope="row">{d_household}</th>' in html
    # invitations carry the links: wave admins only
    assert field.login("stan").get("/admin/waves/w1/invitations").status_code == 403


# -- audit log ---------------------------------------------------------------------------------
def test_audit_viewers(field: Field) -> None:
    stan = field.login("stan")
    stan.post(f"/admin/waves/w1/responses/{field.ids['c']}/decision",
              data={"decision": "accepted", "reason": "looks fine"})  # fmt: skip
    admin = field.login("ada")
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "response.accept" in html and "user.create" in html and "w2" in html
    # what each action is, in words; the action filter offers the words too
    assert "接受答卷<br>" in html and "添加用户<br>" in html
    assert '<option value="user.create">添加用户</option>' in html
    assert "=None" not in html and "{'" not in html  # no Python dumps among the details
    html = admin.get("/admin/audit?action=user.create&per=20").get_data(as_text=True)
    assert "user.create" in html and "response.accept</code>" not in html
    html = admin.get("/admin/waves/w1/audit").get_data(as_text=True)
    assert "response.accept" in html and "wave.grant" in html
    assert "wave.create</code></td><td>w2" not in html  # the other wave is not in it
    assert admin.get("/admin/audit?action=nosuch").status_code == 400
    assert admin.get("/admin/audit?page=-1").status_code == 400
    assert admin.get("/admin/audit?page=99").status_code == 200  # the last page
    assert stan.get("/admin/audit").status_code == 403
    assert stan.get("/admin/waves/w1/audit").status_code == 403


# -- users and tokens --------------------------------------------------------------------------
def test_users_and_tokens_in_the_web_ui(field: Field) -> None:
    admin = field.login("ada")
    r = admin.post("/admin/users", data={"username": "newbie", "password": "password1234",
                                         "role": "statistician"})  # fmt: skip
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and ("常见密码" in text or "太容易" in text)
    assert 'value="newbie"' in text and "password1234" not in text  # input kept, not the password
    r = admin.post("/admin/users", data={"username": "ada", "password": "plum harbour violin x",
                                         "role": "viewer"})  # fmt: skip
    assert r.status_code == 409 and "已有用户“ada”" in r.get_data(as_text=True)
    # names ignore case: "Ada" is "ada"; a Chinese name is refused in Chinese, kept in the form
    r = admin.post("/admin/users", data={"username": "Ada", "password": "plum harbour violin x",
                                         "role": "viewer"})  # fmt: skip
    assert r.status_code == 409 and "已有用户“ada”（用户名不区分大小写）" in r.get_data(
        as_text=True
    )
    r = admin.post("/admin/users", data={"username": "张伟", "password": "plum harbour violin x",
                                         "role": "viewer"})  # fmt: skip
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "不能用汉字或空格" in text and 'value="张伟"' in text
    assert "letters, digits" not in text
    r = admin.post("/admin/users", data={"username": "newbie", "role": "statistician",
                                         "password": "plum harbour violin lantern"})  # fmt: skip
    assert r.status_code == 303
    assert "已添加用户 newbie" in admin.get("/admin/users").get_data(as_text=True)
    user = field.session.scalars(select(User).where(User.username == "newbie")).one()
    assert user.role == "statistician" and user.password_hash != "plum harbour violin lantern"
    field.session.rollback()
    newbie = field.app.test_client()
    assert newbie.post("/admin/login", data={"username": "newbie",
                       "password": "plum harbour violin lantern"}).status_code == 303  # fmt: skip
    # a token, shown once
    r = admin.post("/admin/users/newbie/tokens", data={"label": "R script"})
    page = admin.get(r.headers["Location"]).get_data(as_text=True)
    token = page.split("请立即复制保存）：")[1].split("<")[0].strip()
    assert token.startswith("kesu_")
    assert token not in admin.get("/admin/users").get_data(as_text=True)
    stored = field.session.scalars(select(ApiToken)).all()
    assert all(t.token_hash != token for t in stored)
    field.session.rollback()
    grant(field.session, "w1", "newbie", "statistician", actor="test")
    api = field.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/waves/w1/responses", headers=headers).status_code == 200
    token_id = field.session.scalars(select(ApiToken.id).where(ApiToken.label == "R script")).one()
    field.session.rollback()
    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 303
    assert api.get("/api/v1/waves/w1/responses", headers=headers).status_code == 401
    assert admin.post("/admin/tokens/99999/revoke").status_code == 404
    # reset a password (checked), disable and enable; not oneself
    r = admin.post("/admin/users/newbie/password", data={"password": "newbie"})
    assert r.status_code == 400
    r = admin.post("/admin/users/newbie/password", data={"password": "orange kettle winter moss"})
    assert r.status_code == 303
    assert newbie.get("/admin/").status_code == 303  # the session ended
    assert admin.post("/admin/users/newbie/active", data={"active": "0"}).status_code == 303
    field.session.expire_all()
    assert not field.session.scalars(select(User.active).where(User.username == "newbie")).one()
    assert admin.post("/admin/users/ada/active", data={"active": "0"}).status_code == 400
    assert admin.post("/admin/users/nosuch/active", data={"active": "1"}).status_code == 404
    actions = set(field.session.scalars(select(AuditLog.action)))
    assert {"user.create", "user.token", "user.token_revoke", "user.password",
            "user.disable"} <= actions  # fmt: skip
    # site admins only
    stan = field.login("stan")
    assert stan.get("/admin/users").status_code == 403
    assert stan.post("/admin/users", data={"username": "x"}).status_code == 403
