"""The staff console in Debian's Chromium on a 1280 px desktop: a site admin adds a user
and an API token in the web UI (the token works, once shown it is gone), then browses the
responses, filters them by town and status, and opens one (issue 15, i15c).

Screenshots go to ``KESU_SCREENSHOT_DIR`` when it is set (for reviewing the pages).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from survey_testlib import ARGS
from survey_testlib import CHROMIUM
from survey_testlib import FEATURES_PAGES
from survey_testlib import LiveServer
from survey_testlib import complete
from survey_testlib import make_app
from survey_testlib import needs_chromium
from survey_testlib import open_wave
from survey_testlib import post_page

from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import ApiToken
from survey.models import User
from survey.services import create_invitations
from survey.services import create_user
from survey.users import grant

PASSWORD = "a long enough password"
NEW_PASSWORD = "harbour orange kettle meadow"
PAGES_B = {
    "about": {"q_sex": "1", "q_birth_year": "1960", "q_occupation": "worker",
              "q_channels": ["none"]},
    "test": {"q_K1": "F", "q_K2": "DK", "q_M1": ["C"], "q_S1": "T", "q_P1": "A"},
    "attitudes": {"q_interest": "1", "q_V1": "2", "q_V2": "1"},
}  # fmt: skip

pytestmark = needs_chromium


def _setup(url: str, tmp_path: Path) -> None:
    """A wave with three completes in two towns and one partial."""
    engine = create_db_engine(url)
    upgrade(engine)
    with sessionmaker(bind=engine)() as session:
        create_user(session, "ada", PASSWORD, actor="test", role="admin")
        open_wave(session)
        a, b = create_invitations(session, "w1", 2, actor="t", town="fotang", psu="v01")
        c, d = create_invitations(session, "w1", 2, actor="t", town="choucheng", psu="v02")
    engine.dispose()
    app = make_app(url, tmp_path / "seed")
    complete(app.test_client(), a)
    complete(app.test_client(), b, PAGES_B)
    complete(app.test_client(), c, PAGES_B)
    partial = app.test_client()
    partial.post(f"/s/{d}")
    post_page(partial, d, "about", FEATURES_PAGES["about"], 0)


def _follow(page: Any, target: Any) -> None:
    """Click and wait for the page it leads to (no race with the navigation)."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def _shot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    keep = os.environ.get("KESU_SCREENSHOT_DIR")
    if keep:
        shutil.copy(path, Path(keep) / path.name)


def test_admin_adds_a_user_and_a_token_then_browses_responses(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'staff.sqlite3'}"
    _setup(url, tmp_path)
    shots = tmp_path / "shots"
    shots.mkdir()
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{server.base}/admin/login")
            page.get_by_label("用户名").fill("ada")
            page.get_by_label("密码").fill(PASSWORD)
            _follow(page, page.get_by_role("button", name="登录"))
            _follow(page, page.get_by_role("link", name="用户与令牌"))
            # a weak password: the error in place, in Chinese, the name kept
            page.locator("#u-name").fill("lin")
            page.locator("#u-role").select_option("statistician")
            page.locator("#u-password").fill("aaaaaaaaaaaaaaaa")
            _follow(page, page.get_by_role("button", name="添加用户"))
            assert "太容易" in page.locator("#form-error").inner_text()
            assert page.locator("#u-name").input_value() == "lin"
            assert page.locator("#u-role").input_value() == "statistician"
            page.locator("#u-password").fill(NEW_PASSWORD)
            _follow(page, page.get_by_role("button", name="添加用户"))
            assert "已添加用户 lin" in page.content()
            row = page.locator("tr", has=page.locator("th", has_text=re.compile("^lin$")))
            assert "统计" in row.inner_text()
            row.locator("summary", has_text="新建 API 令牌").click()
            row.get_by_label("用途说明").fill("R 脚本")
            _follow(page, row.get_by_role("button", name="生成令牌"))
            box = page.locator(".notice.secret").inner_text()
            token = box.split("：")[-1].strip()
            assert token.startswith("kesu_"), box
            _shot(page, shots / "staff-users.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            page.reload()
            assert token not in page.content()  # shown once
            assert "R 脚本" in page.content()
            # the responses: filter by town and status, then open one
            page.goto(f"{server.base}/admin/waves/w1")
            _follow(page, page.get_by_role("link", name="浏览答卷"))
            assert "共 4 份答卷" in page.content()
            page.locator("#f-town").select_option("choucheng")
            page.locator("#f-status").select_option("complete")
            _follow(page, page.get_by_role("button", name="筛选", exact=True))
            assert "town=choucheng" in page.url and "status=complete" in page.url
            assert "共 1 份答卷" in page.content()
            assert page.locator("tbody tr").count() == 1
            _shot(page, shots / "staff-responses.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            link = page.locator("tbody tr th a")
            _follow(page, link)
            assert re.search(r"/admin/waves/w1/responses/\d+\?", page.url)
            text = page.content()
            assert "您的出生年份" in text and "1960" in text and "工人" in text
            assert "尚无审核记录" in text
            page.get_by_label("理由").fill("电话回访核实")
            _follow(page, page.get_by_role("button", name="通过", exact=True))
            assert "电话回访核实" in page.locator("table").last.inner_text()
            _shot(page, shots / "staff-response.png")
            _follow(page, page.get_by_role("link", name="← 返回答卷列表"))
            assert "town=choucheng" in page.url  # back to the same filtered list
            # the invitations (status and times) and the audit log, as a wave admin sees them
            page.goto(f"{server.base}/admin/waves/w1/invitations")
            assert "已开始" in page.content() and "提醒短信示例" in page.content()
            _shot(page, shots / "staff-invitations.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            page.goto(f"{server.base}/admin/audit")
            assert "response.accept" in page.content() and "user.token" in page.content()
            _shot(page, shots / "staff-audit.png")
            page.goto(f"{server.base}/admin/")
            assert "最近保存答卷" in page.content()
            context.close()
        finally:
            browser.close()
        # the token made in the browser works for the API (once lin is on the wave)
        engine = create_db_engine(url)
        with sessionmaker(bind=engine)() as session:
            grant(session, "w1", "lin", "statistician", actor="test")
        engine.dispose()
        request = urllib.request.Request(
            f"{server.base}/api/v1/waves/w1/responses",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (local)
            assert answer.status == 200
            assert len(json.loads(answer.read())["data"]) == 3  # the completes
    engine = create_db_engine(url)
    with sessionmaker(bind=engine)() as session:
        user = session.scalars(select(User).where(User.username == "lin")).one()
        assert user.role == "statistician"
        hashes = session.scalars(select(ApiToken.token_hash)).all()
        assert token not in hashes and len(hashes) == 1
    engine.dispose()
