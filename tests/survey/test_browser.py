"""A phone-sized headless Chromium completes the features questionnaire in Chinese.

Uses Debian's /usr/bin/chromium through Playwright's Python package (never
``playwright install``); skipped only when that binary is absent.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from survey_testlib import ARGS
from survey_testlib import CHROMIUM
from survey_testlib import FEATURES
from survey_testlib import LiveServer
from survey_testlib import needs_chromium

from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import set_wave_status

WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2309A Build/TP1A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 "
    "MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
)

pytestmark = needs_chromium


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
    from playwright.sync_api import expect
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
            # farm_years appears only now that the occupation is known (no JavaScript needed);
            # expect() waits for the page the click loads (content() read while the browser
            # is between the answer's redirect and the next page is empty)
            expect(page.locator("body")).to_contain_text("根据您的回答，新出现了下面这道题。")
            page.get_by_label("您务农多少年了？").fill("12")
            page.get_by_role("button", name="下一页").click()
            expect(page.locator("body")).to_contain_text("第 2 页，共 3 页")
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
            expect(page.locator("body")).to_contain_text("提交成功，谢谢您！")
            page.get_by_role("link", name="看看正确答案与解释").click()
            expect(page.locator("body")).to_contain_text("答对了")
            page.wait_for_load_state("load")
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


# -- the main job's loop (issue 14, defect 1): printed link -> phone -> dashboard and PDF --------
def _kesu_run(tmp_path: Path, taken_port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``kesu run`` (make run's job) asking for a port that is taken; return the
    process and the links and login it printed."""
    kesu = Path(sys.executable).parent / "kesu"
    command = [str(kesu)] if kesu.exists() else [sys.executable, "-m", "kesu.cli"]
    env = {**os.environ, "KESU_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONUNBUFFERED": "1"}
    env.pop("KESU_DATABASE_URL", None)
    env.pop("KESU_PUBLIC_BASE_URL", None)
    proc = subprocess.Popen(
        [*command, "run", "--port", str(taken_port)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    printed: list[str] = []
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        printed.append(line)
        if "PDF report" in line:
            break
    text = "".join(printed)
    found = {
        "respondent": re.search(r"respondent link .*?: (\S+)", text),
        "open": re.search(r"open link .*?: (\S+)", text),
        "admin": re.search(r"admin: (\S+)", text),
        "password": re.search(r"password (\S+)", text),
        "dashboard": re.search(r"live results: (\S+)", text),
        "report": re.search(r"PDF report .*?: (\S+)", text),
        "simulated": re.search(r"（(\d+) 份模拟面访", text),
    }
    missing = [k for k, v in found.items() if v is None]
    if missing:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        proc.stdout.close()
        raise AssertionError(f"kesu run printed no {missing}: {text!r}")
    return proc, {k: v.group(1) for k, v in found.items() if v is not None}


FIRST_OPTIONS = """() => {
  const seen = new Set();
  for (const input of document.querySelectorAll("input[type=radio], input[type=checkbox]")) {
    if (!seen.has(input.name)) { seen.add(input.name); input.checked = true; }
  }
}"""


def _answer_every_page(page: Any) -> None:
    """Consent, then answer each page like a hurried respondent (the first option of each
    question, plausible numbers) until the thank-you page."""
    page.get_by_role("button", name="我已阅读说明，同意参加").click()
    for _ in range(30):
        if page.url.endswith("/done"):
            page.wait_for_load_state("load")  # the URL changes before the page has loaded
            return
        # the first option of each question, in one round trip (a page has up to 20 grids)
        page.evaluate(FIRST_OPTIONS)
        for field in page.locator("input[inputmode=numeric], input[type=number]").all():
            field.fill("1980" if "birth" in (field.get_attribute("name") or "") else "5")
        # "下一页"/"提交" (the primary button; "上一页" is a submit button of the form too)
        page.locator("form button.primary").last.click()
    raise AssertionError(f"no thank-you page after 30 pages: {page.url}")


def test_main_job_loop_printed_link_phone_dashboard_pdf(tmp_path: Path) -> None:
    """make run's job on a taken port: its printed links point to the port it really
    serves; the respondent link and the open link answered on a phone; the live results
    count the respondent in the design-weighted estimates and the open-link response
    beside them, and so does the PDF (before the fix: 500 on both pages)."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        proc, links = _kesu_run(tmp_path, taken)
    try:
        served = int(re.search(r":(\d+)/", links["respondent"]).group(1))  # type: ignore[union-attr]
        assert served != taken and all(f":{served}/" in links[k] for k in ("open", "report"))
        simulated = int(links["simulated"])
        shots = tmp_path / "shots"
        shots.mkdir()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                     "is_mobile": True, "has_touch": True, "user_agent": WECHAT_UA,
                     "locale": "zh-CN"}  # fmt: skip
            try:
                page = browser.new_context(**phone).new_page()
                page.goto(links["respondent"])
                _answer_every_page(page)
                assert "提交成功，谢谢您！" in page.content()
                page.screenshot(path=str(shots / "respondent-done.png"), full_page=True)
                page = browser.new_context(**phone).new_page()
                page.goto(links["open"])
                page.locator("form button[type=submit]").click()
                _answer_every_page(page)
                staff = browser.new_context(**phone)
                page = staff.new_page()
                page.goto(links["admin"])
                page.fill("#username", "admin")
                page.fill("#password", links["password"])
                page.locator("form button[type=submit]").click()
                response = page.goto(links["dashboard"])
                assert response is not None and response.status == 200
                html = page.content()
                # the figures are cached: after new answers the page first shows the last
                # ones with "正在重新计算" and the new ones once computed - reload as asked
                deadline = time.monotonic() + 120
                while "正在重新计算" in html and time.monotonic() < deadline:
                    page.wait_for_timeout(1000)
                    page.reload()
                    html = page.content()
                page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
                assert f"以下估计基于 {simulated + 1} 份有抽样设计权数的完成问卷" in html
                assert "公开链接1份，非概率样本" in html
                # on the phone the page never scrolls sideways: wide tables scroll in their box
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, width
                pdf = page.request.get(links["report"] + "?language=en")
                assert pdf.status == 200
                text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
                text = re.sub(r"\s+", " ", text)
                assert f"data {simulated + 1} rows" in text  # the fingerprint of the estimated rows
                assert "open link: 1, not a probability sample" in text
            finally:
                browser.close()
        keep = os.environ.get("KESU_SCREENSHOT_DIR")
        if keep:
            for shot in shots.iterdir():
                shutil.copy(shot, Path(keep) / shot.name)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()


def test_large_text_at_390px_new_question_note_and_back_keeps_answers(tmp_path: Path) -> None:
    """Large text: help, progress, units, the required mark grow with the body and the
    headings stay larger; a question shown by an answer is a neutral note; "上一页" keeps
    what was chosen on the page."""
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'large.sqlite3'}"
    engine = create_db_engine(url)
    upgrade(engine)
    with sessionmaker(bind=engine)() as session:
        create_wave(session, name="w1", questionnaire_data=FEATURES.read_bytes(),
                    source_name="features.yaml", actor="test")  # fmt: skip
        set_wave_status(session, "w1", WaveStatus.OPEN, "test")
        token = create_invitations(session, "w1", 1, actor="test")[0]
    engine.dispose()
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        context = phone_context(pw, tmp_path / "profile")
        try:
            page = context.new_page()
            page.goto(f"{server.base}/s/{token}?text=large")
            page.screenshot(path=str(tmp_path / "large-consent.png"), full_page=True)
            page.get_by_role("button", name="我已阅读说明，同意参加").click()
            page.get_by_label("女", exact=True).check()
            page.get_by_label("您的出生年份").fill("1980")
            page.get_by_label("农民", exact=True).check()
            page.get_by_label("电视", exact=True).check()
            with page.expect_navigation():
                page.get_by_role("button", name="下一页").click()
            assert page.locator(".field-note").count() == 1
            assert page.locator(".field-error, .error-summary").count() == 0
            page.screenshot(path=str(tmp_path / "large-new-question.png"), full_page=True)
            body = page.locator(".opt span").first.evaluate(size)
            assert body >= 17 * 1.3 - 0.5  # the root grew by 30 %
            for small in (".progress label", ".mark", ".unit", ".note", ".field-note"):
                assert page.locator(small).first.evaluate(size) >= 0.84 * body, small
            assert page.locator("h1").evaluate(size) > body
            page.get_by_label("您务农多少年了？").fill("12")
            with page.expect_navigation():
                page.get_by_role("button", name="下一页").click()
            page.locator("#f-K1-T").check()
            with page.expect_navigation():
                page.get_by_role("button", name="上一页").click()
            assert "/q/about" in page.url
            with page.expect_navigation():
                page.get_by_role("button", name="下一页").click()
            assert page.locator("#f-K1-T").is_checked()  # kept, though never validated
            page.screenshot(path=str(tmp_path / "large-test-page.png"), full_page=True)
        finally:
            context.close()
