"""A classroom session in Debian's Chromium: the proctor's board on a desktop, students on an
old school PC with JavaScript off and large text.

Screenshots go to ``KESU_SCREENSHOT_DIR`` when it is set (for reviewing the pages).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from survey_testlib import ARGS
from survey_testlib import CHROMIUM
from survey_testlib import LiveServer
from survey_testlib import needs_chromium

from questionnaires import QUESTIONNAIRE_DIR
from survey.classroom import grant_school
from survey.classroom import import_classes
from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import SessionSeat
from survey.models import WaveStatus
from survey.services import create_user
from survey.services import create_wave
from survey.services import set_wave_status

PASSWORD = "a long enough password"
#: an old school PC: Windows 7, a 1024 x 768 screen
OLD_PC_UA = (
    "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0 Safari/537.36"
)

pytestmark = needs_chromium


def _setup(url: str) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    booklet = QUESTIONNAIRE_DIR / "youth-g4-2025.yaml"
    with sessionmaker(bind=engine)() as session:
        create_wave(
            session,
            name="y4",
            questionnaire_data=booklet.read_bytes(),
            source_name=booklet.name,
            actor="test",
            modes=("class",),
            allow_learn=False,
        )
        set_wave_status(session, "y4", WaveStatus.OPEN, "test")
        row = {
            "class_id": "fotang-p02-g4-03",
            "grade": "4",
            "stratum": "fotang",
            "town": "fotang",
            "school_id": "fotang-p02",
            "school_name": "佛堂镇第2小学",
            "school_type": "public",
            "class_number": "3",
            "expected_students": "38",
            "prob1": "0.6",
            "prob2": "0.25",
            "prob3": "1.0",
            "class_weight": "6.67",
            "var_stratum": "fotang-g4",
            "var_psu": "fotang-p02-g4",
        }
        import_classes(session, "y4", [row], grade="4", actor="test")
        create_user(session, "teacher", PASSWORD, actor="test", role="proctor")
        grant_school(session, "y4", "teacher", "fotang-p02", "proctor", actor="test")
    engine.dispose()


def _follow(page: Any, target: Any) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded
    (reading the page right after the click races the navigation on a busy machine)."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def test_a_proctored_session_on_old_school_pcs(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    _setup(url)
    shots = tmp_path / "shots"
    shots.mkdir()
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            proctor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            board = proctor.new_page()
            board.goto(f"{server.base}/admin/login")
            board.get_by_label("用户名").fill("teacher")
            board.get_by_label("密码").fill(PASSWORD)
            _follow(board, board.get_by_role("button", name="登录"))
            assert "/class/w/" in board.url
            _follow(board, board.get_by_role("link", name="y4"))
            board.get_by_label("本班名单上的学生人数（座位数）").fill("38")
            _follow(board, board.get_by_role("button", name="开始一场测试"))
            assert "测试进行中" in board.content()
            code = re.sub(r"\s", "", board.locator(".session-code").inner_text())
            assert re.fullmatch(r"[A-Z2-9]{6}", code)
            board.wait_for_function(  # the QR image has loaded (not only its tag)
                "() => { const i = document.querySelector('.qr img');"
                " return i.complete && i.naturalWidth > 100; }",
                timeout=15_000,
            )
            board.screenshot(path=str(shots / "proctor-board-open.png"), full_page=True)

            # a student on an old PC: no JavaScript, large text
            pc = browser.new_context(
                viewport={"width": 1024, "height": 768},
                java_script_enabled=False,
                user_agent=OLD_PC_UA,
                locale="zh-CN",
            )
            student = pc.new_page()
            student.goto(f"{server.base}/class/?code={code.lower()}&text=large")
            assert student.locator("#code").input_value() == code  # from the QR link
            student.get_by_label("座位号").fill("7")
            student.screenshot(path=str(shots / "student-join.png"), full_page=True)
            _follow(student, student.get_by_role("button", name="进入"))
            assert "不用写名字" in student.content()  # the children's notice
            student.screenshot(path=str(shots / "student-notice.png"), full_page=True)
            _follow(student, student.get_by_role("button", name="我已阅读说明，同意参加"))
            student.get_by_label("女生", exact=True).check()
            student.get_by_label("你今年几岁？").fill("10")
            _follow(student, student.get_by_role("button", name="下一页"))
            assert "晚上我们能看见月亮" in student.content()
            student.screenshot(path=str(shots / "student-question-large.png"), full_page=True)
            assert student.evaluate("document.documentElement.scrollWidth") <= 1024

            # a classmate who types seat 7 by mistake is refused, and learns nothing of seat 7
            other = browser.new_context(
                viewport={"width": 1024, "height": 768}, java_script_enabled=False, locale="zh-CN"
            ).new_page()
            other.goto(f"{server.base}/class/")
            other.get_by_label("测试码（6位）").fill(code)
            other.get_by_label("座位号").fill("7")
            _follow(other, other.get_by_role("button", name="进入"))
            assert "这个座位号已经有人用了" in other.content()
            other.screenshot(path=str(shots / "student-seat-taken.png"), full_page=True)

            board.goto(board.url.split("?")[0])
            assert "答题中" in board.content() and "第 2/" in board.content()
            board.screenshot(path=str(shots / "proctor-board-answering.png"), full_page=True)
            _follow(board, board.get_by_role("button", name="结束本场测试"))
            assert "本场测试已结束" in board.content() and "缺席" in board.content()
            board.screenshot(path=str(shots / "proctor-board-closed.png"), full_page=True)
            student.get_by_role("radio").first.check()
            _follow(student, student.get_by_role("button", name="下一页"))
            assert "时间已到" in student.content()
        finally:
            browser.close()
    engine = create_db_engine(url)
    with sessionmaker(bind=engine)() as session:
        states = session.scalars(select(SessionSeat.status)).all()
        assert states.count("absent") == 37 and states.count("refused") == 1  # no test answer yet
    engine.dispose()
    for shot in shots.glob("*.png"):
        assert shot.stat().st_size > 5_000
    keep = os.environ.get("KESU_SCREENSHOT_DIR")
    if keep:
        for shot in shots.glob("*.png"):
            shutil.copy(shot, Path(keep) / shot.name)
