"""Offline CAPI in Chromium (Playwright's offline mode): an interview with its roster is
answered with the network cut and a reload in between, arrives once when the network
returns; a second tablet's stale copy gets the conflict message; logout wipes the tablet."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from survey_testlib import ARGS
from survey_testlib import CHROMIUM
from survey_testlib import LiveServer
from survey_testlib import needs_chromium
from survey_testlib import open_wave

from survey.db import create_db_engine
from survey.db import upgrade
from survey.models import HouseholdRoster
from survey.models import OfflineSubmission
from survey.models import Response
from survey.models import ResponseStatus
from survey.sample import import_sample
from survey.services import create_user

pytestmark = needs_chromium
PASSWORD = "a long enough password"
SAMPLE = (
    b"household_id,stratum,town,psu,household_number,prob1,prob2,prob3,household_weight,interviewer\n"
    b"v01-0001,fotang,fotang,v01,2,0.2,0.05,,100,ivy\n"
    b"v01-0002,fotang,fotang,v01,3,0.2,0.05,,100,ivy\n"
)


def tablet(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 800, "height": 1280}, locale="zh-CN",
                               service_workers="allow")  # fmt: skip


def login(page: Any, base: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#username", "ivy")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    page.goto(f"{base}/field/offline")
    page.wait_for_selector("a.case")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def roster(page: Any) -> None:
    page.locator("a.case", has_text="v01-0001").click()
    rows = page.locator("#roster tr")
    for i, (label, sex, age) in enumerate((("wang", "1", "45"), ("li", "2", "43"))):
        rows.nth(i).locator("[name=label]").fill(label)
        rows.nth(i).locator("[name=sex]").select_option(sex)
        rows.nth(i).locator("[name=age]").fill(age)
    page.click("#select")
    page.wait_for_selector("#selected")
    page.click("#start")
    page.wait_for_selector("#page[data-page=about]")


def answer_rest(page: Any) -> None:
    page.click("#next")
    page.wait_for_selector("#page[data-page=test]")
    for name, value in (("K1", "T"), ("K2", "C"), ("M1", "A"), ("M1", "B"), ("S1", "F"),
                        ("P1", "A")):  # fmt: skip
        page.check(f"input[name=q_{name}][value={value}]")
    page.click("#next")
    page.wait_for_selector("#page[data-page=attitudes]")
    for name in ("interest", "V1", "V2"):
        page.check(f"input[name=q_{name}][value='3']")
    page.click("#next")
    page.wait_for_selector("#outbox li")


def test_offline_interview_arrives_once(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'offline.sqlite3'}"
    engine = create_db_engine(url)
    upgrade(engine)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        create_user(session, "ivy", PASSWORD, actor="test", role="interviewer")
        wave = open_wave(session, modes=("capi",))
        import_sample(session, wave, SAMPLE, actor="test", mode="capi")
    shots = tmp_path / "shots"
    shots.mkdir()
    with LiveServer(url, tmp_path / "inst", workers=1) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        a, b = tablet(browser), tablet(browser)
        try:
            pa, pb = a.new_page(), b.new_page()
            login(pa, server.base)
            login(pb, server.base)  # the second tablet takes the same cases
            a.set_offline(True)
            pa.evaluate("window.dispatchEvent(new Event('offline'))")
            roster(pa)
            pa.check("input[name=q_sex][value='2']")
            pa.fill("input[name=q_birth_year]", "1980")
            pa.check("input[name=q_occupation][value=farmer]")
            pa.wait_for_selector("input[name=q_farm_years]")  # skip logic on the tablet
            pa.fill("input[name=q_farm_years]", "12")
            pa.check("input[name=q_channels][value=tv]")
            pa.locator("input[name=q_channels][value=tv]").dispatch_event("change")
            pa.wait_for_timeout(300)
            pa.reload()  # offline: the service worker serves the page, IndexedDB the draft
            pa.wait_for_selector("#page[data-page=about]")
            assert pa.input_value("input[name=q_farm_years]") == "12"
            assert "离线" in pa.inner_text("#net")
            pa.fill("input[name=q_birth_year]", "1890")  # the questionnaire's range, offline
            pa.click("#next")
            pa.wait_for_selector(".field-error")
            assert pa.input_value("input[name=q_birth_year]") == "1890"  # kept to correct
            pa.screenshot(path=str(shots / "offline-error.png"), full_page=True)
            pa.fill("input[name=q_birth_year]", "1980")
            pa.fill("input[name=q_museum_day]", "2023-07-01")  # a date question
            answer_rest(pa)
            assert "等待上传" in pa.inner_text("#outbox")
            assert "只保存在本设备上" in pa.inner_text("#device-note")
            pa.screenshot(path=str(shots / "offline-waiting.png"), full_page=True)
            with factory() as session:
                assert session.scalar(select(func.count()).select_from(Response)) == 0
            a.set_offline(False)
            pa.evaluate("window.dispatchEvent(new Event('online'))")
            pa.wait_for_selector("#outbox li.sync-sent", timeout=20_000)
            pa.screenshot(path=str(shots / "offline-sent.png"), full_page=True)
            pa.click("#sync-now")  # nothing waits: nothing is sent twice
            # the second tablet's copy, started before the first one's upload
            roster(pb)
            pb.check("input[name=q_sex][value='1']")
            pb.fill("input[name=q_birth_year]", "1970")
            pb.check("input[name=q_occupation][value=other]")
            # an option offered only for other occupations disappears (its condition)
            pb.wait_for_selector("input[name=q_channels][value=paper]", state="detached")
            pb.check("input[name=q_occupation][value=worker]")
            pb.wait_for_selector("input[name=q_channels][value=paper]")
            pb.check("input[name=q_channels][value=app]")
            answer_rest(pb)
            pb.wait_for_selector("#outbox li.sync-refused", timeout=20_000)
            refused = pb.inner_text("#outbox")
            assert "被拒绝" in refused and "已在另一台设备上完成" in refused
            pb.screenshot(path=str(shots / "second-tablet-refused.png"), full_page=True)
            # logout wipes the tablet
            pa.click("#logout")
            pa.wait_for_url("**/admin/login")
            names = pa.evaluate("indexedDB.databases().then(ds => ds.map(d => d.name))")
            assert "kesu-capi" not in names
            assert pa.evaluate("caches.keys()") == []
            assert pa.evaluate("sessionStorage.length") == 0
        except Exception:
            for name, p in (("a", pa), ("b", pb)):
                p.screenshot(path=str(Path(os.environ.get("KESU_SCREENSHOT_DIR") or shots)
                                      / f"failed-{name}.png"), full_page=True)  # fmt: skip
            raise
        finally:
            a.close()
            b.close()
            browser.close()
    with factory() as session:
        resp = session.scalars(select(Response)).one()
        assert resp.status is ResponseStatus.COMPLETE and resp.mode == "capi"
        assert resp.answers["farm_years"] == 12 and resp.answers["birth_year"] == 1980
        assert resp.answers["museum_day"] == "2023-07-01"
        assert session.scalar(select(func.count()).select_from(HouseholdRoster)) == 1
        assert session.scalar(select(func.count()).select_from(OfflineSubmission)) == 2
        # household 2 of the Kish serial grid: the second listed adult (men first)
        assert session.scalars(select(HouseholdRoster.selected)).one() == "li"
    keep = os.environ.get("KESU_SCREENSHOT_DIR")
    if keep:
        for shot in shots.iterdir():
            shutil.copy(shot, Path(keep) / shot.name)
    engine.dispose()
