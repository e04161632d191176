"""The invitation slips (QR sheet): web invitations only unless asked, a town filter by code
or name, what the resident reads on each slip, and QR codes that carry the link (the
rendered page's pixels against the encoder's module matrix)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import DEFAULT_QUESTIONNAIRE
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.sample import QR_MASK
from survey.sample import InvitationLink
from survey.sample import import_sample
from survey.sample import qr_sheet_pdf
from survey.services import create_user
from survey.services import create_wave

PASSWORD = "a long enough password"
SAMPLE = (
    "household_id,stratum,town,psu,household_number,prob1,prob2,prob3,household_weight\n"
    "f-001,fotang,fotang,v01,2,0.2,0.05,,100\n"
    "f-002,fotang,fotang,v01,3,0.2,0.05,,100\n"
    "c-001,choucheng,choucheng,v02,1,0.25,0.04,,100\n"
)
CAPI = (
    "household_id,stratum,town,psu,household_number,prob1,prob2,prob3,household_weight\n"
    "f-101,fotang,fotang,v03,2,0.2,0.05,,100\n"
)


@pytest.fixture
def wave(session: Session) -> str:
    create_user(session, "ada", PASSWORD, actor="test", role="admin")
    create_wave(session, name="yw", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                source_name=DEFAULT_QUESTIONNAIRE.name, actor="test")  # fmt: skip
    import_sample(session, "yw", SAMPLE.encode(), actor="ada", mode="web")
    import_sample(session, "yw", CAPI.encode(), actor="ada", mode="capi")
    return "yw"


def _tokens(session: Session) -> dict[str, str]:
    session.rollback()
    return {
        hh: tok for hh, tok in session.execute(select(Invitation.household_id, Invitation.token))
    }


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_sheet_has_web_invitations_by_default_and_filters_by_town(
    app: Flask, session: Session, wave: str
) -> None:
    client = app.test_client()
    assert (
        client.post("/admin/login", data={"username": "ada", "password": PASSWORD}).status_code
        == 303
    )
    tokens = _tokens(session)
    r = client.get(f"/admin/waves/{wave}/qr.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    text = _text(r.data).replace("\n", "")
    # what the household reads: title, instruction, link, town name (not its code), privacy
    for words in ("义乌市公民科学素质调查", "请用手机微信", "扫一扫", "填写问卷",
                  "或在浏览器中输入", "佛堂镇", "稠城街道", "调查不问姓名",
                  "个人信息严格保密"):  # fmt: skip
        assert words in text, words
    compact = text
    for hh in ("f-001", "f-002", "c-001"):
        assert tokens[hh] in compact and hh in compact
    assert tokens["f-101"] not in compact  # the CAPI household gets no slip
    everyone = _text(client.get(f"/admin/waves/{wave}/qr.pdf?mode=all").data).replace("\n", "")
    assert tokens["f-101"] in everyone
    # a town by its name (as printed) or by its code
    for town in ("佛堂镇", "fotang"):
        only = _text(client.get(f"/admin/waves/{wave}/qr.pdf?town={town}").data)
        only = only.replace("\n", "")
        assert tokens["f-001"] in only and tokens["f-002"] in only
        assert tokens["c-001"] not in only and "稠城街道" not in only
    unknown = client.get(f"/admin/waves/{wave}/qr.pdf?town=稠城镇")
    assert unknown.status_code == 400 and "稠城镇" in unknown.get_data(as_text=True)
    # no web invitation in a town: said on the wave page, no empty sheet
    empty = client.get(f"/admin/waves/{wave}/qr.pdf?town=suxi")
    assert empty.status_code == 303
    page = client.get(empty.headers["Location"]).get_data(as_text=True)
    assert "没有可以打印的网上自填邀请（镇街：苏溪镇；已完成的不打印）" in page
    assert "?mode=all" not in page and "也打印入户面访的样本户" in page  # the tick box, named
    # a household that completed gets no slip, whatever the mode
    session.rollback()  # a new transaction: it sees what the requests wrote
    (f2,) = session.scalars(select(Invitation).where(Invitation.household_id == "f-002"))
    session.add(Response(wave_id=f2.wave_id, invitation_id=f2.id, status=ResponseStatus.COMPLETE,
                         answers={}, mode="web", language="zh-CN"))  # fmt: skip
    session.commit()
    for query in ("", "?mode=all"):
        text = _text(client.get(f"/admin/waves/{wave}/qr.pdf{query}").data).replace("\n", "")
        assert tokens["f-002"] not in text and tokens["f-001"] in text, query


def test_a_page_not_filled_has_blank_places_not_slips_without_a_code() -> None:
    links = [InvitationLink(f"h-{k}", "s", "p", "fotang", "web", "", f"https://k.cn/s/{k:032d}")
             for k in range(3)]  # fmt: skip
    text = _text(qr_sheet_pdf(links, town_labels={"fotang": "佛堂镇"})).replace("\n", "")
    # 3 slips on a page of 8: the instruction and the privacy line 3 times, not 8
    assert text.count("扫一扫") == 3 and text.count("调查不问姓名") == 3


def test_the_wave_page_offers_the_town_filter(app: Flask, session: Session, wave: str) -> None:
    client = app.test_client()
    client.post("/admin/login", data={"username": "ada", "password": PASSWORD})
    page = client.get(f"/admin/waves/{wave}?tab=sample").get_data(as_text=True)
    assert '<option value="fotang">佛堂镇</option>' in page and 'name="mode" value="all"' in page


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")
def test_the_printed_code_is_the_encoders_matrix(tmp_path: Path) -> None:
    """Render the first page, find the first slip's code and compare the centre pixel of
    every module with segno's matrix of the link."""
    import numpy as np

    url = "https://kesu.example.cn/s/AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    link = InvitationLink("h-1", "s", "p", "fotang", "web", "", url)
    (tmp_path / "s.pdf").write_bytes(qr_sheet_pdf([link], town_labels={"fotang": "佛堂镇"}))
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-f", "1", "-l", "1",
                    str(tmp_path / "s.pdf"), str(tmp_path / "p")], check=True)  # fmt: skip
    pgm = next(tmp_path.glob("p*.pgm")).read_bytes()
    # binary PGM: "P5\n<w> <h>\n255\n" then the pixels
    header = pgm.split(b"\n", 3)
    w, h = map(int, header[1].split())
    image = np.frombuffer(header[3], dtype=np.uint8)[: w * h].reshape(h, w)
    # the first slip: the top left quarter of the page minus the cut lines (grey, 0.6)
    region = image[: h // 4, : w // 2]
    dark = np.argwhere(region < 60)
    top, left = dark.min(axis=0)
    matrix = segno.make(url, error="m", boost_error=False, mask=QR_MASK).matrix
    n = len(matrix)
    # the code's right edge: the last dark column of the top finder pattern's row band
    band = region[top : top + 5]
    right = np.argwhere((band < 60).any(axis=0)).max()
    cols = [c for c in range(left, right + 1)]
    module = (cols[-1] - cols[0] + 1) / n
    for y in range(n):
        for x in range(n):
            px = image[int(top + (y + 0.5) * module), int(left + (x + 0.5) * module)]
            assert (px < 128) == bool(matrix[y][x]), (x, y)
