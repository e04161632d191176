"""Capacity reporting in Debian's Chromium: a unit reporter fills in and submits its figures,
the 科协 returns them with a reason, the reporter corrects and resubmits, the 科协 accepts,
and the wave's PDF report shows the accepted figures and the unit's history.

Screenshots go to ``KESU_SCREENSHOT_DIR`` when it is set (for reviewing the pages).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import sessionmaker
from survey_testlib import ARGS
from survey_testlib import CHROMIUM
from survey_testlib import LiveServer
from survey_testlib import needs_chromium

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.demo import simulate_wave
from survey.capacity.services import bind_reporter
from survey.capacity.services import open_round
from survey.db import create_db_engine
from survey.db import upgrade
from survey.demo import seed_simulated_wave
from survey.models import WaveStatus
from survey.services import create_user
from survey.services import create_wave
from survey.services import set_wave_status

PASSWORD = "a long enough password"
ROUND = "2025年度"

pytestmark = needs_chromium


def _setup(url: str) -> None:
    engine = create_db_engine(url)
    upgrade(engine)  # the migrations, 0006 included
    with sessionmaker(bind=engine)() as session:
        create_wave(
            session,
            name="w25",
            questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
            source_name=DEFAULT_QUESTIONNAIRE.name,
            actor="test",
            survey_year=2025,
        )
        set_wave_status(session, "w25", WaveStatus.OPEN, "test")
        q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
        rng = np.random.default_rng(3)
        simulated = simulate_wave(q, rng, n_psu=28, households_per_psu=4)
        seed_simulated_wave(session, "w25", q, simulated, actor="test", rng=rng)
        create_user(session, "kexie", PASSWORD, actor="test", role="admin")
        create_user(session, "tuanshiwei", PASSWORD, actor="test", role="reporter")
        bind_reporter(session, "tuanshiwei", "tsw", actor="test")
        open_round(session, ROUND, 2025, dt.date(2026, 1, 31), None, actor="test")
    engine.dispose()


def _follow(page: Any, target: Any) -> None:
    """Click and wait for the page it leads to (no race with the navigation)."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def _login(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{base}/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    _follow(page, page.get_by_role("button", name="登录"))
    return page


def test_report_return_correct_accept_and_the_report_shows_it(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    url = f"sqlite:///{tmp_path / 'cap.sqlite3'}"
    _setup(url)
    shots = tmp_path / "shots"
    shots.mkdir()
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            unit = _login(browser, server.base, "tuanshiwei")
            assert unit.url.endswith("/capacity/")
            _follow(unit, unit.get_by_role("link", name=ROUND))
            unit.get_by_label("科技志愿者").fill("450")
            unit.get_by_label("特色科技志愿服务队伍").fill("8")
            unit.screenshot(path=str(shots / "capacity-form.png"), full_page=True)
            _follow(unit, unit.get_by_role("button", name="提交审核"))
            assert "已提交，待审核" in unit.locator("#cap-status").inner_text()

            office = _login(browser, server.base, "kexie")
            office.goto(f"{server.base}/capacity/rounds/{ROUND}")
            # the due date has passed: the units without a submission are overdue, with reminders
            assert "逾期未报" in office.content() and "贵单位尚未提交" in office.content()
            office.screenshot(path=str(shots / "capacity-round.png"), full_page=True)
            row = office.locator("#cap-units tr", has_text="团市委")
            _follow(office, row.get_by_role("link", name="查看/审核"))
            office.get_by_label("退回理由（退回时必填）：").fill(
                "志愿者人数与志愿服务系统不符，请核对"
            )
            office.screenshot(path=str(shots / "capacity-review.png"), full_page=True)
            _follow(office, office.get_by_role("button", name="退回修改"))

            unit.reload()
            assert "已退回" in unit.locator("#cap-status").inner_text()
            assert "志愿者人数与志愿服务系统不符" in unit.locator("#cap-reason").inner_text()
            unit.get_by_label("科技志愿者").fill("470")
            unit.screenshot(path=str(shots / "capacity-returned.png"), full_page=True)
            _follow(unit, unit.get_by_role("button", name="提交审核"))
            assert "第2版" in unit.content()

            office.goto(f"{server.base}/capacity/rounds/{ROUND}/units/tsw")
            _follow(office, office.get_by_role("button", name="审核通过"))
            page = office.content()
            assert re.search(r"科技志愿者</td><td>[^<]*</td><td>470</td>", page), "progress table"
            response = office.request.get(f"{server.base}/admin/waves/w25/report.pdf")
            assert response.status == 200
            pdf = response.body()
        finally:
            browser.close()
    (tmp_path / "report.pdf").write_bytes(pdf)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "“2025年度”填报轮次" in flat and "团市委已通过（逾期）（退回1次）" in flat
    assert "科技志愿者1,500人市科协、团市委470" in flat  # the accepted value in the table
    assert "市科协未报送" in flat  # units that have not reported are named
    for shot in shots.glob("*.png"):
        assert shot.stat().st_size > 5_000
    keep = os.environ.get("KESU_SCREENSHOT_DIR")
    if keep:
        for shot in shots.glob("*.png"):
            shutil.copy(shot, Path(keep) / shot.name)
