"""The staff console in a desktop-sized headless Chromium (issue 15).

Preview without storing anything; create -> edit -> duplicate -> close a wave; an error
on a staff form shown in place, in Chinese, with the input kept; a reload after a POST
creates nothing; the language switch after a POST answered in place is never a 405.
Debian's /usr/bin/chromium through Playwright (never ``playwright install``); skipped only
when that binary is absent. ``KESU_SHOTS=<dir>`` keeps the screenshots (1280 and 800 px).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from survey_testlib import ARGS
from survey_testlib import CHROMIUM
from survey_testlib import FEATURES
from survey_testlib import LiveServer
from survey_testlib import needs_chromium

from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import Response
from survey.models import Wave
from survey.models import WaveStatus
from survey.services import create_user
from survey.services import create_wave
from survey.services import set_wave_status

PASSWORD = "a long enough password"

pytestmark = needs_chromium


class Console:
    """A live server over a SQLite file, a logged-in admin's browser page, the database."""

    def __init__(self, base: str, page: Any, factory: sessionmaker[Session], shots: Path):
        self.base, self.page, self.factory, self.shots = base, page, factory, shots

    def count(self, model: Any) -> int:
        with self.factory() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    def shot(self, name: str) -> None:
        """Screenshots at 1280 px and 800 px (kept under $KESU_SHOTS when set)."""
        for width in (1280, 800):
            self.page.set_viewport_size({"width": width, "height": 900})
            path = self.shots / f"{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)
            if os.environ.get("KESU_SHOTS"):
                Path(os.environ["KESU_SHOTS"]).mkdir(parents=True, exist_ok=True)
                shutil.copy(path, Path(os.environ["KESU_SHOTS"]) / path.name)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def submit(self, button: Any) -> None:
        with self.page.expect_navigation():
            button.click()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'staff.sqlite3'}"
    engine = create_db_engine(url)
    upgrade(engine)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        create_user(session, "ada", PASSWORD, actor="test", role="admin")
        create_user(session, "ivy", PASSWORD, actor="test", role="interviewer")
        create_wave(
            session,
            name="w1",
            questionnaire_data=FEATURES.read_bytes(),
            source_name="features.yaml",
            actor="test",
        )
        set_wave_status(session, "w1", WaveStatus.OPEN, "test")
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{server.base}/admin/login")
            page.fill("#username", "ada")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.locator("form button[type=submit]").click()
            yield Console(server.base, page, factory, tmp_path)
        finally:
            browser.close()
    engine.dispose()


def test_preview_walks_every_page_with_skip_logic_and_stores_nothing(console: Console) -> None:
    page = console.page
    before = {m: console.count(m) for m in (Response, Invitation, AuditLog, Wave)}
    page.goto(f"{console.base}/admin/waves/w1")
    with page.expect_navigation():
        page.get_by_role("link", name="预览问卷").first.click()
    assert "预览模式" in page.content(), page.content()
    assert "第 1 页，共 2 页" in page.content()
    page.get_by_label("女", exact=True).check()
    page.get_by_label("您的出生年份").fill("1980")
    page.get_by_label("农民", exact=True).check()
    page.get_by_label("电视", exact=True).check()
    console.submit(page.get_by_role("button", name="下一页"))
    # skip logic: farm_years is asked only of farmers, and must be answered
    assert "根据您的回答，新出现了下面这道题" in page.content()
    page.get_by_label("您务农多少年了？").fill("12")
    console.submit(page.get_by_role("button", name="下一页"))
    assert "第 2 页，共 3 页" in page.content()
    console.shot("preview")
    console.submit(page.get_by_role("button", name="上一页"))
    assert "第 1 页，共 3 页" in page.content()
    assert page.get_by_label("您务农多少年了？").input_value() == "12"  # answers kept
    console.submit(page.get_by_role("button", name="下一页"))
    page.locator("#f-K1-T").check()
    page.get_by_label("一年", exact=True).check()
    page.get_by_label("设立对照组", exact=True).check()
    page.get_by_label("随机分组", exact=True).check()
    page.locator("#f-S1-F").check()
    page.get_by_label("明天很可能下雨", exact=True).check()
    console.submit(page.get_by_role("button", name="下一页"))
    page.locator("#f-interest-4").check()
    page.locator("#f-V1-3").check()
    page.locator("#f-V2-3").check()
    console.submit(page.get_by_role("button", name="完成预览"))
    assert "预览结束" in page.content() and "没有保存任何内容" in page.content()
    page.reload()
    assert "预览结束" in page.content()
    assert {m: console.count(m) for m in before} == before


def test_create_edit_duplicate_close_a_wave(console: Console) -> None:
    page = console.page
    page.goto(f"{console.base}/admin/waves/new")
    page.fill("#name", "pilot")
    page.select_option("#bundled", "yiwu-csl-2025.yaml")
    page.fill("#survey_year", "2025")
    console.submit(page.get_by_role("button", name="创建"))
    assert "已创建调查轮次 pilot（草稿）。" in page.content()
    console.shot("wave-overview")
    # edit: a bad year is refused in place, in Chinese, the input kept; then saved
    with page.expect_navigation():
        page.get_by_role("link", name="编辑本轮调查").click()
    page.fill("#survey_year", "20x6")
    console.submit(page.get_by_role("button", name="保存修改"))
    assert page.locator("#err-survey_year").is_visible()
    assert page.locator("#survey_year").input_value() == "20x6"
    page.fill("#survey_year", "2026")
    console.submit(page.get_by_role("button", name="保存修改"))
    assert "已保存对调查“pilot”的修改。" in page.content() and "<dd>2026</dd>" in page.content()
    # duplicate
    page.fill("#dup-name", "pilot-copy")
    console.submit(page.get_by_role("button", name="复制为新一轮调查"))
    assert "已将“pilot”复制为新一轮调查“pilot-copy”（草稿）。" in page.content()
    assert page.url.endswith("/admin/waves/pilot-copy")
    with console.factory() as s:
        copy = s.scalars(select(Wave).where(Wave.name == "pilot-copy")).one()
        assert copy.survey_year == 2026 and copy.status is WaveStatus.DRAFT
    # open, then close: closing asks for the confirmation first
    console.submit(page.get_by_role("button", name="开放本轮调查"))
    console.submit(page.get_by_role("button", name="关闭本轮调查"))
    assert "关闭调查前请先勾选上面的确认框。" in page.content()
    with console.factory() as s:
        assert s.scalars(select(Wave.status).where(Wave.name == "pilot-copy")).one().value == "open"
    page.locator("#confirm-close").check()
    console.submit(page.get_by_role("button", name="关闭本轮调查"))
    assert "调查“pilot-copy”已关闭" in page.content()
    with console.factory() as s:
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-5:] == [
        "wave.create",
        "wave.edit",
        "wave.duplicate",
        "wave.open",
        "wave.closed",
    ]


def test_a_staff_form_error_is_shown_in_place_in_chinese_with_the_input_kept(
    console: Console,
) -> None:
    page = console.page
    page.goto(f"{console.base}/admin/waves/w1?tab=team")
    page.fill("#m-user", "nobody")
    console.submit(page.get_by_role("button", name="授予"))
    error = page.locator("#err-members-username")
    assert error.inner_text() == "没有名为“nobody”的用户。请检查拼写，或先在“用户”中添加。"
    assert page.locator("#m-user").input_value() == "nobody"
    assert "团队" in page.locator("nav.tabs a.current").inner_text()
    console.shot("team-error")
    # the English switch on a page answered to a POST leads to the page (never a 405)
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.url.endswith("/admin/waves/w1?tab=team") and "Team" in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="中文").click()
    # granting says so
    page.fill("#m-user", "ivy")
    page.select_option("#m-role", "viewer")
    console.submit(page.get_by_role("button", name="授予"))
    assert "已授予用户“ivy”本轮调查的角色：" in page.content()
    # the settings form: a bad share is refused beside its field; shares show as 0.333
    page.goto(f"{console.base}/admin/waves/w1?tab=settings")
    assert page.locator("#s-speeder").input_value() == "0.333"
    page.fill("#s-speeder", "1.5")
    console.submit(page.get_by_role("button", name="保存设置"))
    assert "“1.5”不是 0 到 1 之间的小数" in page.locator("#err-speeder_share").inner_text()
    assert page.locator("#s-speeder").input_value() == "1.5"
    console.shot("settings-error")


def test_a_reload_after_creating_invitations_creates_nothing(console: Console) -> None:
    page = console.page
    page.goto(f"{console.base}/admin/waves/w1?tab=sample")
    page.fill("#count", "5")
    console.submit(page.get_by_role("button", name="生成邀请链接"))
    assert "已生成 5 个邀请链接" in page.content()
    links = page.locator(".new-links li")
    assert links.count() == 5
    assert console.count(Invitation) == 5
    page.reload()
    page.reload()
    assert console.count(Invitation) == 5 and page.locator(".new-links li").count() == 5
    console.shot("sample")
    page.goto(f"{console.base}/admin/waves/w1/monitor")
    console.shot("monitor")
    # the monitor's column headers are never one character per line at 1280 px
    for th in page.locator("table.data thead th").all():
        box = th.bounding_box()
        assert box is not None and box["height"] < 4 * 24, th.inner_text()


def test_an_interviewer_on_a_tablet_sees_names_and_roster_errors_in_place(
    console: Console,
) -> None:
    from questionnaires import DEFAULT_QUESTIONNAIRE
    from survey.sample import import_sample

    with console.factory() as s:
        create_wave(
            s,
            name="yw",
            questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
            source_name="yiwu.yaml",
            actor="test",
        )
        set_wave_status(s, "yw", WaveStatus.OPEN, "test")
        rows = [
            "household_id,stratum,psu,town,psu_name,interviewer",
            "h1,s1,fo01,佛堂镇,塘下村,ivy",
            "h2,s1,cc01,choucheng,,ivy",
        ]
        import_sample(s, "yw", "\n".join(rows).encode(), actor="t")
    page = console.page
    page.context.clear_cookies()
    page.set_viewport_size({"width": 800, "height": 1280})
    page.goto(f"{console.base}/admin/login")
    page.fill("#username", "ivy")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    text = page.locator(".field-list").inner_text()
    assert "佛堂镇 · 塘下村" in text and "稠城街道 · 村（社区）编号 cc01" in text
    assert "fotang" not in text
    with page.expect_navigation():
        page.get_by_text("h1").first.click()
    page.get_by_label("称呼或缩写 1").fill("爸爸")
    page.get_by_label("性别 1").select_option("1")
    page.get_by_label("年龄 1").fill("200")
    asked: list[str] = []  # the selection is final: the button asks first
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    console.submit(page.get_by_role("button", name="选择被访者"))
    assert asked and "选出被访者后不能再改" in asked[0]
    assert "第 1 行：年龄“200”不对" in page.locator("#roster-error").inner_text()
    assert page.get_by_label("年龄 1").input_value() == "200"
    assert page.get_by_label("称呼或缩写 1").input_value() == "爸爸"
    console.shot("capi-roster-error")


def test_a_table_wider_than_a_tablet_shows_it_scrolls(console: Console) -> None:
    """On a narrow screen a wide table scrolls inside its box; it fades at the side it can
    still be scrolled to (the review found no cue that columns were out of sight)."""
    from survey.services import create_invitations

    with console.factory() as s:
        create_invitations(s, "w1", 3, actor="test")
    page = console.page
    page.set_viewport_size({"width": 560, "height": 900})  # a phone on its side
    page.goto(f"{console.base}/admin/waves/w1/invitations")
    box = page.locator("div.scroll").first
    sizes = box.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert sizes[0] > sizes[1]  # wider than its box
    assert box.evaluate("t => t.className") == "scroll more-right"
    assert "linear-gradient" in box.evaluate("t => getComputedStyle(t).maskImage")
    box.evaluate("t => { t.scrollLeft = 40; }")
    page.wait_for_function("() => document.querySelector('div.scroll').className"
                           " === 'scroll more-left more-right'")  # fmt: skip
    box.evaluate("t => { t.scrollLeft = t.scrollWidth; }")
    page.wait_for_function("() => document.querySelector('div.scroll').className"
                           " === 'scroll more-left'")  # fmt: skip
    page.set_viewport_size({"width": 1280, "height": 900})  # wide enough: no fade
    page.wait_for_function("() => document.querySelector('div.scroll').className === 'scroll'")
    page.set_viewport_size({"width": 560, "height": 900})
    box.evaluate("t => { t.scrollLeft = 0; }")
    path = console.shots / "invitations-560.png"
    page.locator("div.scroll").first.screenshot(path=str(path))
    if os.environ.get("KESU_SHOTS"):
        Path(os.environ["KESU_SHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(os.environ["KESU_SHOTS"]) / path.name)
    # at a phone's width a row's resend buttons stay side by side, each on one line (the
    # last column used to wrap them a character a line: a row 226 px tall)
    page.set_viewport_size({"width": 390, "height": 844})
    buttons = page.locator("td.actions-cell").first.locator("button").all()
    boxes = [b.bounding_box() for b in buttons]
    assert len(boxes) == 2 and all(box is not None for box in boxes)
    same, new = boxes
    assert same["y"] == new["y"] and same["height"] < 3 * 16 and new["height"] < 3 * 16  # type: ignore[index]
