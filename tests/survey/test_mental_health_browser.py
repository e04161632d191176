"""A phone-sized Chromium answers the anonymous mental-health survey through a unit link.

PHQ-9 item 9 answered "好几天": the help message with the hotlines is on the very next
page (rendered by the server; JavaScript is switched off to prove it) and on the thanks
page. A second respondent who answers "完全不会" sees no message on the pages and only
the general note on the thanks page. Afterwards neither the database nor gunicorn's
access log holds the browser's address or User-Agent. Uses Debian's /usr/bin/chromium
(never ``playwright install``); skipped only when it is absent.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from survey_testlib import MENTAL_HEALTH
from survey_testlib import LiveServer
from survey_testlib import needs_chromium
from test_browser import phone_context

from survey.anonymity import UnitSpec
from survey.anonymity import save_unit_links
from survey.anonymity import unit_links
from survey.db import Base
from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.services import create_wave
from survey.services import set_wave_status

pytestmark = needs_chromium


def _answer(page: object, base: str, unit: str, item9: str, shots: Path | None) -> None:
    from playwright.sync_api import Page
    from playwright.sync_api import expect

    assert isinstance(page, Page)
    page.set_default_timeout(20_000)  # the machine is shared: be patient, never flaky
    body = page.locator("body")
    page.goto(f"{base}/u/{unit}")
    expect(body).to_contain_text("参加匿名调查", timeout=20_000)
    page.get_by_role("button", name="开始答题").click()
    expect(body).to_contain_text("不记录您的IP地址", timeout=20_000)
    expect(body).to_contain_text("匿名调查。")
    page.get_by_role("button", name="我已阅读说明，同意参加").click()
    for i in range(1, 9):
        page.locator(f"#f-phq9_{i}-0").check()
    page.locator(f"#f-phq9_9-{item9}").check()
    page.locator("#f-phq9_difficulty-0").check()
    page.get_by_role("button", name="下一页").click()
    expect(body).to_contain_text("第 2 页，共 4 页", timeout=20_000)
    care = page.locator("#care")
    if item9 != "0":
        expect(care).to_be_visible()
        expect(care).to_contain_text("不如死掉或用某种方式伤害自己")
        expect(care.locator("a[href='tel:12356']")).to_be_visible()
        if shots is not None:
            page.screenshot(path=str(shots / "care-next-page.png"), full_page=True)
    else:
        expect(care).to_have_count(0)
    for i in range(1, 8):
        page.locator(f"#f-gad7_{i}-0").check()
    page.get_by_role("button", name="下一页").click()
    for i in range(1, 7):
        page.locator(f"#f-ws{i}-3").check()
    page.get_by_role("button", name="下一页").click()
    page.get_by_label("政府工作部门", exact=True).check()
    page.get_by_label("科员及以下", exact=True).check()
    page.get_by_label("30–39岁", exact=True).check()
    page.get_by_label("女", exact=True).check()
    page.get_by_role("button", name="提交问卷").click()
    expect(body).to_contain_text("提交成功，谢谢您！", timeout=20_000)
    expect(care).to_be_visible()
    expect(care.locator("a[href='tel:12356']")).to_be_visible()
    if item9 != "0":
        expect(care).to_contain_text("请关心一下自己")
        if shots is not None:
            page.screenshot(path=str(shots / "care-thanks.png"), full_page=True)
    else:
        expect(care).to_contain_text("需要帮助时")
        expect(care).not_to_contain_text("不如死掉")
        if shots is not None:
            page.screenshot(path=str(shots / "thanks-general.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_item_9_message_in_a_phone_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'mh.sqlite3'}"
    engine = create_db_engine(url)
    upgrade(engine)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        create_wave(session, name="mh", questionnaire_data=MENTAL_HEALTH.read_bytes(),
                    source_name=MENTAL_HEALTH.name, actor="test")  # fmt: skip
        set_wave_status(session, "mh", WaveStatus.OPEN, "test")
        save_unit_links(session, "mh", [UnitSpec("gov01", "市政府办公室", 20)], actor="test")
        unit = unit_links(session, "mh")[0].token
    shots = tmp_path / "shots"
    shots.mkdir()
    access_log = tmp_path / "access.log"
    args = ("--access-logfile", str(access_log))
    with LiveServer(url, tmp_path / "inst", workers=1, gunicorn_args=args) as server, \
            sync_playwright() as pw:  # fmt: skip
        for n, item9 in enumerate(("1", "0")):
            # JavaScript off: the message must come from the server
            context = phone_context(pw, tmp_path / f"profile{n}", java_script_enabled=False)
            try:
                _answer(context.new_page(), server.base, unit, item9, shots)
            finally:
                context.close()
    for name in ("care-next-page.png", "care-thanks.png", "thanks-general.png"):
        assert (shots / name).stat().st_size > 10_000
    keep = os.environ.get("KESU_SCREENSHOT_DIR")
    if keep:
        for shot in shots.iterdir():
            shutil.copy(shot, Path(keep) / shot.name)
    # the access log has the requests, without the address, the User-Agent or the tokens
    log = access_log.read_text(encoding="utf-8")
    assert log.count("/u/<token>") >= 2 and "/s/<token>/q/worry" in log
    # every line but the harness's own /api/health probes (staff areas keep addresses)
    public = "\n".join(line for line in log.splitlines() if '"GET /api/health' not in line)
    assert "/static/kesu.css" in public
    assert "127.0.0.1" not in public and "MicroMessenger" not in public and unit not in log
    with factory() as session:
        responses = session.scalars(select(Response).order_by(Response.id)).all()
        assert [r.status for r in responses] == [ResponseStatus.COMPLETE] * 2
        # one of each (in id order, which in an anonymous wave is not the order of answering)
        assert sorted(r.score["flags"]["self_harm"] for r in responses) == [0, 1]  # type: ignore[index]
        assert all(r.device_id is None and set(r.paradata) == {"seconds"} for r in responses)
    with engine.connect() as conn:
        dump = "\n".join(
            json.dumps(dict(row._mapping), default=str, ensure_ascii=False)
            for table in Base.metadata.sorted_tables
            for row in conn.execute(table.select())
        )
    assert "MicroMessenger" not in dump and "127.0.0.1" not in dump
    engine.dispose()
