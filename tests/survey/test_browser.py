"""A phone-sized headless Chromium completes the features questionnaire in Chinese.

Uses Debian's /usr/bin/chromium through Playwright's Python package (never
``playwright install``); skipped only when that binary is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from survey_testlib import FEATURES
from survey_testlib import LiveServer

from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import set_wave_status

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2309A Build/TP1A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 "
    "MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed")


def phone_context(pw: Any, profile: Path, **extra: Any) -> Any:
    """A phone-sized Chromium context in WeChat's browser (zh-CN), Debian's binary."""
    return pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=ARGS,
        headless=True,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=WECHAT_UA,
        locale="zh-CN",
        **extra,
    )


def test_phone_completes_the_questionnaire(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = create_db_engine(url)
    upgrade(engine)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        create_wave(
            session,
            name="w1",
            questionnaire_data=FEATURES.read_bytes(),
            source_name="features.yaml",
            actor="test",
        )
        set_wave_status(session, "w1", WaveStatus.OPEN, "test")
        token = create_invitations(session, "w1", 1, actor="test")[0]
    shot = tmp_path / "question-page.png"
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        context = phone_context(pw, tmp_path / "profile")
        try:
            page = context.new_page()
            page.goto(f"{server.base}/s/{token}")
            assert "仅用于测试。" in page.content()
            page.get_by_role("button", name="我已阅读说明，同意参加").click()
            page.get_by_label("女", exact=True).check()
            page.get_by_label("您的出生年份").fill("1980")
            page.get_by_label("农民", exact=True).check()
            page.get_by_label("电视", exact=True).check()
            page.get_by_role("button", name="下一页").click()
            # farm_years appears only now that the occupation is known (no JavaScript needed)
            assert "根据您的回答新出现了这道题" in page.content()
            page.get_by_label("您务农多少年了？").fill("12")
            page.get_by_role("button", name="下一页").click()
            assert "第 2 页，共 3 页" in page.content()
            page.screenshot(path=str(shot), full_page=True)
            page.locator("#f-K1-T").check()
            page.get_by_label("一年", exact=True).check()
            page.get_by_label("设立对照组", exact=True).check()
            page.get_by_label("随机分组", exact=True).check()
            page.locator("#f-S1-F").check()
            page.get_by_label("明天很可能下雨", exact=True).check()
            page.get_by_role("button", name="下一页").click()
            page.locator("#f-interest-4").check()
            page.locator("#f-V1-3").check()
            page.locator("#f-V2-3").check()
            page.get_by_role("button", name="提交问卷").click()
            assert "提交成功，谢谢您！" in page.content()
            page.get_by_role("link", name="看看正确答案与解释").click()
            assert page.content().count("答对了") == 5
            # the layout fits the phone: no horizontal scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            context.close()
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("KESU_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)
    with factory() as session:
        resp = session.scalars(select(Response)).one()
        assert resp.status is ResponseStatus.COMPLETE
        assert resp.paradata["device"] == {"device": "phone", "browser": "wechat"}
        assert resp.score is not None and resp.score["total"] == 10.0
    engine.dispose()
