"""Wave management on the staff console (issue 15): preview storing nothing, edit,
duplicate, delete, forms answering in place (errors beside the field, input kept),
redirects after every successful POST, towns from the questionnaire's list, the CAPI
roster's errors in place, the site root listing the open waves."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import complete

from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import Wave
from survey.models import WaveMember
from survey.sample import import_sample
from survey.services import create_invitations
from survey.services import create_user
from survey.users import grant

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(client: FlaskClient, session: Session) -> FlaskClient:
    create_user(session, "alice", PASSWORD, actor="test", role="admin")
    r = client.post("/admin/login", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 303
    return client


def _rows(session: Session) -> dict[str, int]:
    session.rollback()
    return {
        m.__name__: int(session.scalar(select(func.count()).select_from(m)) or 0)
        for m in (Response, Invitation, AuditLog, Wave)
    }


def _state(html: str) -> str:
    found = re.search(r'name="state" value="([^"]*)"', html)
    assert found is not None, html[:2000]
    return found.group(1)


def test_preview_walks_the_pages_with_skip_logic_and_stores_nothing(
    admin: FlaskClient, session: Session, wave: str
) -> None:
    before = _rows(session)
    first = admin.get(f"/admin/waves/{wave}/preview")
    html = first.data.decode()
    assert first.status_code == 200 and "预览模式" in html and "第 1 页，共 2 页" in html, html
    base = {"state": _state(html), "page": "about", "action": "next"}
    answers = {"q_sex": "2", "q_birth_year": "1980", "q_occupation": "farmer", "q_channels": "tv"}
    r = admin.post(f"/admin/waves/{wave}/preview", data={**base, **answers})
    assert r.status_code == 422  # farm_years appears for a farmer and must be answered
    html = r.data.decode()
    assert "根据您的回答，新出现了下面这道题" in html and 'value="1980"' in html
    r = admin.post(
        f"/admin/waves/{wave}/preview",
        data={**base, "state": _state(html), **answers, "q_farm_years": "12"},
    )
    assert r.status_code == 303
    html = admin.get(r.headers["Location"]).data.decode()
    assert "第 2 页，共 3 页" in html
    back = admin.post(
        f"/admin/waves/{wave}/preview",
        data={"state": _state(html), "page": "test", "action": "back"},
    )
    assert back.status_code == 303
    again = admin.get(back.headers["Location"]).data.decode()
    assert "第 1 页，共 3 页" in again and 'value="12"' in again
    # nothing answered: the problems listed atop the page, as a respondent sees them
    r = admin.post(f"/admin/waves/{wave}/preview", data={**base, "state": _state(html)})
    summary = r.data.decode().split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert r.status_code == 422 and summary.count("<li>") >= 3 and 'href="#fs-sex"' in summary
    assert _rows(session) == before
    tampered = admin.get(f"/admin/waves/{wave}/preview?state=abc.def")
    assert tampered.status_code == 400
    assert _rows(session) == before


def test_edit_duplicate_delete_a_wave(admin: FlaskClient, session: Session, wave: str) -> None:
    grant(session, wave, "alice", "admin", actor="test")
    r = admin.post(
        f"/admin/waves/{wave}/edit",
        data={"survey_year": "2031", "modes": ["web", "capi"], "allow_learn": "1"},
    )
    assert r.status_code == 303
    bad = admin.post(f"/admin/waves/{wave}/edit", data={"survey_year": "20x1", "modes": "web"})
    assert bad.status_code == 400 and 'value="20x1"' in bad.data.decode()
    assert "年份" in bad.data.decode()
    r = admin.post(f"/admin/waves/{wave}/duplicate", data={"new_name": "w1-copy"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/waves/w1-copy")
    session.rollback()
    copy = session.scalars(select(Wave).where(Wave.name == "w1-copy")).one()
    assert copy.survey_year == 2031 and copy.modes == ["web", "capi"]
    team = session.scalars(select(WaveMember).where(WaveMember.wave_id == copy.id)).all()
    assert [m.role for m in team] == ["admin"]
    taken = admin.post(f"/admin/waves/{wave}/duplicate", data={"new_name": "w1-copy"})
    assert taken.status_code == 409 and "已经有名为“w1-copy”的调查轮次" in taken.data.decode()
    assert 'value="w1-copy"' in taken.data.decode()
    # delete: a confirmation first; a wave with responses also needs its name typed
    create_invitations(session, "w1-copy", 2, actor="t")
    assert admin.post("/admin/waves/w1-copy/delete").status_code == 400
    r = admin.post("/admin/waves/w1-copy/delete", data={"confirm": "1"})
    assert r.status_code == 303
    session.rollback()
    assert session.scalars(select(Wave).where(Wave.name == "w1-copy")).first() is None
    token = create_invitations(session, wave, 1, actor="t")[0]
    complete(admin, token)
    page = admin.get(f"/admin/waves/{wave}/delete").data.decode()
    assert "已有 1 份回答" in page
    wrong = admin.post(f"/admin/waves/{wave}/delete", data={"confirm": "1", "confirm_name": "w"})
    assert wrong.status_code == 400 and "不一致" in wrong.data.decode()
    assert 'name="confirm" value="1" checked' in wrong.data.decode()  # the tick kept
    assert (
        admin.post(
            f"/admin/waves/{wave}/delete", data={"confirm": "1", "confirm_name": wave}
        ).status_code
        == 303
    )
    session.rollback()
    assert session.scalar(select(func.count(Response.id))) == 0
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions.count("wave.delete") == 2 and "wave.edit" in actions
    assert "wave.duplicate" in actions


@pytest.mark.parametrize(
    ("path", "tab", "data", "field", "text"),
    [
        (
            "members",
            "team",
            {"username": "nobody", "role": "viewer", "action": "grant"},
            "members-username",
            "没有名为“nobody”的用户",
        ),
        (
            "members",
            "team",
            {"username": "alice", "action": "remove"},
            "members-confirm",
            "请先勾选确认框",
        ),
        (
            "members",
            "team",
            {"username": "alice", "action": "grant"},
            "members-role",
            "请从列表中选择角色",  # no role preselected: a name and "授予" grant nothing
        ),
        (
            "members",
            "team",
            {"username": "pat", "role": "viewer", "action": "grant"},
            "members-username",
            "“pat”是校长账号，只用于自己的学校或单位",
        ),
        (
            "assign",
            "fieldwork",
            {"username": "nobody", "town": "fotang"},
            "assign-username",
            "没有名为“nobody”的用户",
        ),
        ("invite", "sample", {"count": "0"}, "invite-count", "1 到 10000"),
        (
            "settings",
            "settings",
            {
                "speeder_share": "0.3x",
                "selection": "kish",
                "straightline_min_rows": "4",
                "partial_threshold": "0.5",
            },
            "speeder_share",
            "不是 0 到 1 之间的小数",
        ),
        (
            "settings",
            "settings",
            {
                "speeder_share": "0.333",
                "selection": "kish",
                "straightline_min_rows": "200",
                "partial_threshold": "0.5",
            },
            "straightline_min_rows",
            "2 到 100",
        ),
        (
            "settings",
            "settings",
            {
                "speeder_share": "0.333",
                "selection": "kish",
                "straightline_min_rows": "4",
                "partial_threshold": "0.5",
                "help_lines": "1",
                "hr_name_0": "热线" * 101,
                "hr_phone_0": "0579-12345678",
            },
            "hr_name_0",
            "最多 200 个字",
        ),
        ("status", "overview", {"status": "closed"}, "status", "请先勾选上面的确认框"),
    ],
)
def test_form_errors_are_shown_beside_the_field_with_the_input_kept(
    admin: FlaskClient,
    session: Session,
    wave: str,
    path: str,
    tab: str,
    data: dict[str, Any],
    field: str,
    text: str,
) -> None:
    create_user(session, "pat", PASSWORD, actor="test", role="principal")  # a school's account
    before = _rows(session)
    r = admin.post(f"/admin/waves/{wave}/{path}", data=data)
    html = r.data.decode()
    assert 400 <= r.status_code < 500, html[:300]
    error = re.search(rf'<span class="field-error" id="err-{field}" role="alert">([^<]*)<', html)
    assert error is not None and text in error.group(1), html
    assert f'class="current">{_tab_name(tab)}</a>' in html
    for value in data.values():
        if isinstance(value, str) and value not in ("grant", "remove", "closed", "kish"):
            assert f'value="{value}"' in html or f">{value}<" in html or "selected" in html, value
    after = _rows(session)
    assert after["Invitation"] == before["Invitation"] and after["Wave"] == before["Wave"]


def test_every_tab_is_named_in_both_languages() -> None:
    from kesu.i18n import tr
    from survey.admin import TABS

    for tab in TABS:
        assert tr("zh-CN", f"wave_tab_{tab}") and tr("en", f"wave_tab_{tab}").isascii()


def _tab_name(tab: str) -> str:
    from kesu.i18n import tr

    return tr("zh-CN", f"wave_tab_{tab}")


@pytest.fixture
def yiwu(session: Session) -> str:
    """An open wave of the bundled Yiwu questionnaire (it lists the towns)."""
    from questionnaires import DEFAULT_QUESTIONNAIRE
    from survey.services import create_wave

    create_wave(
        session,
        name="yw",
        questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
        source_name="yiwu.yaml",
        actor="test",
    )
    return "yw"


@pytest.mark.parametrize("path", ["assign", "invite"])
def test_a_town_not_on_the_list_is_refused_in_place(
    admin: FlaskClient, session: Session, yiwu: str, path: str
) -> None:
    before = _rows(session)
    r = admin.post(f"/admin/waves/{yiwu}/{path}", data={"count": "3", "town": "稠城镇"})
    html = r.data.decode()
    assert r.status_code == 400 and f'id="err-{path}-town"' in html
    assert "“稠城镇”不在问卷的镇街列表中，请从列表中选择。" in html
    assert '<option value="choucheng">稠城街道</option>' in html  # a select of the list
    assert _rows(session)["Invitation"] == before["Invitation"]


def test_towns_by_name_or_code_and_an_empty_assignment_warns(
    admin: FlaskClient, session: Session, yiwu: str
) -> None:
    wave = yiwu
    create_user(session, "ivy", PASSWORD, actor="test", role="interviewer")
    rows = [
        "household_id,stratum,psu,town,psu_name",
        "h1,s1,fo01,佛堂镇,塘下村",
        "h2,s1,fo01,fotang,塘下村",
        "h3,s2,cc01,稠城街道,",
    ]
    import_sample(session, wave, "\n".join(rows).encode(), actor="t")
    r = admin.post(f"/admin/waves/{wave}/assign", data={"username": "ivy", "town": "佛堂镇"})
    assert r.status_code == 303
    assert "已分配 2 个样本户" in admin.get(r.headers["Location"]).data.decode()
    r = admin.post(f"/admin/waves/{wave}/assign", data={"username": "ivy", "town": "稠城街道"})
    assert r.status_code == 303
    empty = admin.post(f"/admin/waves/{wave}/assign", data={"username": "ivy", "psu": "zz99"})
    assert empty.status_code == 422 and "未改动任何样本户（0 户）" in empty.data.decode()
    invite = admin.post(f"/admin/waves/{wave}/invite", data={"count": "2", "town": "稠城街道"})
    assert invite.status_code == 303
    session.rollback()
    towns = session.scalars(select(Invitation.town).where(Invitation.household_id.is_(None)))
    assert set(towns) == {"choucheng"}
    # the interviewer sees town and village names, not codes
    ivy = admin.application.test_client()
    ivy.post("/admin/login", data={"username": "ivy", "password": PASSWORD})
    listing = ivy.get("/field/").data.decode()
    assert "佛堂镇 · 塘下村" in listing and "稠城街道 · 村（社区）编号 cc01" in listing
    assert "fotang" not in listing


def test_roster_errors_are_shown_on_the_case_page_with_the_input_kept(
    admin: FlaskClient, session: Session, wave: str
) -> None:
    create_user(session, "ivy", PASSWORD, actor="test", role="interviewer")
    import_sample(
        session, wave, b"household_id,stratum,psu,town,interviewer\nh1,s1,p1,fotang,ivy", actor="t"
    )
    case_id = session.scalars(select(Invitation.id)).one()
    ivy = admin.application.test_client()
    ivy.post("/admin/login", data={"username": "ivy", "password": PASSWORD})
    r = ivy.post(
        f"/field/cases/{case_id}/roster",
        data={"label": ["爸爸", "妈妈"], "sex": ["1", "2"], "age": ["45", "200"]},
    )
    html = r.data.decode()
    assert r.status_code == 400 and "第 2 行：年龄“200”不对" in html
    assert 'value="爸爸"' in html and 'value="200"' in html
    # every line's problem at once: "abc" on line 1 and 150 on line 2, both rows marked
    two = {"label": ["爸爸", "妈妈"], "sex": ["1", "2"], "age": ["abc", "150"]}
    r = ivy.post(f"/field/cases/{case_id}/roster", data=two)
    html = r.data.decode()
    assert r.status_code == 400 and "第 1 行：年龄“abc”不对" in html
    assert "第 2 行：年龄“150”不对" in html and html.count('class="row-error"') == 2
    # a phone number for a nickname is refused; the selection asks before it is final
    r = ivy.post(f"/field/cases/{case_id}/roster",
                 data={"label": ["13800001234"], "sex": ["1"], "age": ["45"]})  # fmt: skip
    assert r.status_code == 400 and "不要写电话号码" in r.data.decode()
    assert "选出被访者后不能再改" in r.data.decode()  # the button's confirmation
    r = ivy.post(
        f"/field/cases/{case_id}/roster", data={"label": ["宝宝"], "sex": ["1"], "age": ["5"]}
    )
    assert r.status_code == 400 and "家中没有 " in r.data.decode()
    assert 'value="宝宝"' in r.data.decode()
    r = ivy.post(
        f"/field/cases/{case_id}/roster", data={"label": ["爸爸"], "sex": ["1"], "age": ["45"]}
    )
    assert r.status_code == 303


def test_the_site_root_lists_the_open_public_waves(client: FlaskClient, session: Session) -> None:
    from survey_testlib import open_wave

    assert "本次调查目前没有开放" in client.get("/").data.decode()
    open_wave(session, "pub", open_recruitment=True)
    html = client.get("/").data.decode()
    assert "本次调查目前没有开放" not in html and "正在进行的调查" in html and "/o/" in html


def test_unknown_export_format_and_empty_report_answer_on_the_page(
    admin: FlaskClient, wave: str
) -> None:
    r = admin.get(f"/admin/waves/{wave}/export/xlsx")
    html = r.data.decode()
    assert r.status_code == 400 and "没有“xlsx”这种导出格式" in html
    assert 'class="current">数据</a>' in html and "SPSS .sav" in html
    api = admin.get(f"/admin/waves/{wave}/export/xlsx", headers={"Accept": "application/json"})
    assert api.status_code == 400 and api.json is not None
    r = admin.get(f"/admin/waves/{wave}/report.pdf")
    html = r.data.decode()
    assert r.status_code == 409 and "暂时不能生成PDF报告" in html and "<h1>" in html
    # the language switch of that page leads to the dashboard, not to the PDF again
    assert f'href="/admin/waves/{wave}/dashboard?lang=en"' in html


def test_assigning_by_household_ids_chinese_commas_typos_unassigning_and_completed_cases(
    admin: FlaskClient, session: Session, yiwu: str
) -> None:
    wave = yiwu
    create_user(session, "ivy", PASSWORD, actor="test", role="interviewer")
    rows = ["household_id,stratum,psu,town", "h1,s1,fo01,fotang", "h2,s1,fo01,fotang",
            "h3,s1,fo01,fotang"]  # fmt: skip
    import_sample(session, wave, "\n".join(rows).encode(), actor="t")

    def assigned() -> dict[str, object]:
        query = select(Invitation.household_id, Invitation.interviewer_id)
        found: dict[str, object] = {h: i for h, i in session.execute(query)}
        session.rollback()
        return found

    # a Chinese keyboard's "，" and "、" separate ids as "," does
    r = admin.post(
        f"/admin/waves/{wave}/assign", data={"username": "ivy", "households": "h1，h2、h3"}
    )
    assert r.status_code == 303
    assert "已分配 3 个样本户" in admin.get(r.headers["Location"]).data.decode()
    ivy_id = assigned()["h1"]
    assert ivy_id is not None and set(assigned().values()) == {ivy_id}
    # a typo among the ids: named beside the field, nothing changes
    r = admin.post(f"/admin/waves/{wave}/assign", data={"households": "h1 hx9", "unassign": "yes"})
    html = r.data.decode()
    assert r.status_code == 404 and 'id="err-assign-households"' in html
    assert "本轮调查没有这 1 个样本户编号：hx9" in html and 'name="households" rows="2"' in html
    assert set(assigned().values()) == {ivy_id}
    # an empty interviewer is an error, not a silent unassignment of the whole town
    r = admin.post(f"/admin/waves/{wave}/assign", data={"town": "fotang"})
    assert r.status_code == 400 and "请填写访问员的用户名" in r.data.decode()
    assert set(assigned().values()) == {ivy_id}
    # a completed interview keeps its interviewer; unassigning is said so
    (h1,) = session.scalars(select(Invitation).where(Invitation.household_id == "h1"))
    session.add(Response(wave_id=h1.wave_id, invitation_id=h1.id, status=ResponseStatus.COMPLETE,
                         answers={}, mode="capi", language="zh-CN"))  # fmt: skip
    session.commit()
    r = admin.post(f"/admin/waves/{wave}/assign", data={"town": "fotang", "unassign": "yes"})
    assert r.status_code == 303
    assert "已取消 2 个样本户的分配" in admin.get(r.headers["Location"]).data.decode()
    assert assigned() == {"h1": ivy_id, "h2": None, "h3": None}


def test_invitations_outside_the_sample_name_no_stratum_or_village_of_their_own(
    admin: FlaskClient, session: Session, yiwu: str
) -> None:
    wave = yiwu
    import_sample(session, wave, b"household_id,stratum,psu,town\nh1,s1,fo01,fotang", actor="t")
    before = _rows(session)
    for data, field, text in (
        (
            {"count": "2", "stratum": "城区"},
            "stratum",
            "层“城区”不在本轮调查的样本中。样本中的层：s1",
        ),
        ({"count": "2", "psu": "稠城街道第一社区"}, "psu", "样本中的编号：fo01"),
        ({"count": "2", "stratum": "s" * 65}, "stratum", "最多 64 个字"),
    ):
        r = admin.post(f"/admin/waves/{wave}/invite", data=data)
        html = r.data.decode()
        assert r.status_code == 400 and f'id="err-invite-{field}"' in html, data
        assert text in html and 'class="tabs"' in html  # on the wave page, not a bare 400
        assert _rows(session)["Invitation"] == before["Invitation"]
    r = admin.post(
        f"/admin/waves/{wave}/invite", data={"count": "2", "stratum": "s1", "psu": "fo01"}
    )
    assert r.status_code == 303 and _rows(session)["Invitation"] == before["Invitation"] + 2


def test_each_team_member_has_a_remove_button_that_asks_first(
    admin: FlaskClient, session: Session, wave: str
) -> None:
    create_user(session, "bob", PASSWORD, actor="test", role="viewer")
    grant(session, wave, "bob", "viewer", actor="test")
    html = admin.get(f"/admin/waves/{wave}?tab=team").data.decode()
    row = html.split("<td>bob</td>", 1)[1].split("</tr>", 1)[0]
    assert 'data-confirm="确认移除用户“bob”在本轮调查中的角色？"' in row
    assert 'name="username" value="bob"' in row and 'value="remove"' in row
    r = admin.post(f"/admin/waves/{wave}/members",
                   data={"username": "bob", "confirm": "1", "action": "remove"})  # fmt: skip
    assert r.status_code == 303
    assert "<td>bob</td>" not in admin.get(f"/admin/waves/{wave}?tab=team").data.decode()


def test_a_wave_without_an_imported_sample_takes_any_stratum(
    admin: FlaskClient, session: Session, yiwu: str
) -> None:
    for stratum in ("城区", "农村"):  # the second is not refused for not being the first
        r = admin.post(f"/admin/waves/{yiwu}/invite", data={"count": "1", "stratum": stratum})
        assert r.status_code == 303, stratum
