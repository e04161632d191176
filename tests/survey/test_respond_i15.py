"""Respondent pages (issue 15): "上一页" keeps what was typed, large text scales every text,
English pages in English punctuation, the interface's Chinese texts without stray spaces."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from survey_testlib import FEATURES_PAGES
from survey_testlib import post_page

from kesu.i18n import CATALOGUE as MESSAGES
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import load_questionnaire
from questionnaires.model import Text
from survey.models import Invitation
from survey.models import Response
from survey.models import WaveStatus
from survey.services import create_invitations
from survey.services import create_wave
from survey.services import set_wave_status

#: full-width punctuation that has no place in English text (curly quotes are English too)
FULL_WIDTH = re.compile(r"[，。：；！？（）、【】《》]")
#: a space between two Chinese characters or marks (a folded YAML line break)
CJK_SPACE = re.compile(
    r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])"
)


def _response(session: Session, token: str) -> Response:
    session.rollback()
    inv = session.scalars(select(Invitation).where(Invitation.token == token)).one()
    return session.scalars(select(Response).where(Response.invitation_id == inv.id)).one()


def _loaded_zh_texts(node: Any, where: str = "") -> list[tuple[str, str]]:
    """(where, text) of every Chinese text of a loaded questionnaire (its Text fields)."""
    if isinstance(node, Text):
        return [(where, node.get("zh-CN"))]
    if isinstance(node, (list, tuple)):
        return [t for i, v in enumerate(node) for t in _loaded_zh_texts(v, f"{where}/{i}")]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [t for f in dataclasses.fields(node)
                for t in _loaded_zh_texts(getattr(node, f.name), f"{where}/{f.name}")]  # fmt: skip
    return []


def _texts(node: Any, path: str) -> list[tuple[str, str, str]]:
    """(path, language, text) of every text of a questionnaire file."""
    out: list[tuple[str, str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("en", "zh-CN") and isinstance(value, str):
                out.append((path, key, value))
            out += _texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _texts(value, f"{path}/{i}")
    return out


def test_english_texts_use_english_punctuation_and_chinese_texts_no_stray_spaces() -> None:
    files = sorted(QUESTIONNAIRE_DIR.glob("*.yaml"))
    assert files
    bad = []
    for path in files:
        for where, lang, text in _texts(yaml.safe_load(path.read_text("utf-8")), path.name):
            if lang == "en" and FULL_WIDTH.search(text):
                bad.append(f"{where} (en): {text[:60]}")
        # Chinese texts as the questionnaire gives them (a folded line break between two
        # Chinese characters is no space: questionnaires.model.join_wide_lines)
        for where, text in _loaded_zh_texts(load_questionnaire(path)):
            if CJK_SPACE.search(text):
                bad.append(f"{path.name} {where} (zh-CN, stray space): {text[:60]}")
    for key, text in MESSAGES["en"].items():
        if FULL_WIDTH.search(text):
            bad.append(f"catalogue en {key}: {text}")
    for key, text in MESSAGES["zh-CN"].items():
        if CJK_SPACE.search(text):
            bad.append(f"catalogue zh-CN {key}: {text}")
    assert not bad, "\n".join(bad)


def test_an_english_page_with_errors_has_no_chinese_punctuation(
    client: FlaskClient, token: str
) -> None:
    client.get(f"/s/{token}?lang=en")
    client.post(f"/s/{token}")
    r = post_page(client, token, "about", {"q_birth_year": "1980"}, 0)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    body = re.sub(r"<[^>]+>", " ", html.split('<main id="main">', 1)[1])
    assert "Your sex: " in body or "sex: " in body
    assert not FULL_WIDTH.search(body), FULL_WIDTH.findall(body)


def test_back_keeps_the_answers_typed_on_the_page(
    client: FlaskClient, session: Session, token: str
) -> None:
    client.post(f"/s/{token}")
    assert post_page(client, token, "about", FEATURES_PAGES["about"], 0).status_code == 303
    page = client.get(f"/s/{token}/q/test").get_data(as_text=True)
    assert 'name="action" value="back"' in page  # "上一页" is a button of the form
    # half of the page answered, one answer malformed: no validation, nothing asked
    data = {"q_K1": "T", "q_K2": "", "action": "back"}
    r = post_page(client, token, "test", data, 1)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/s/{token}/q/about")
    resp = _response(session, token)
    assert resp.answers["K1"] == "T" and "K2" not in resp.answers
    assert resp.page == "test"  # the furthest page reached stays
    # and forward again: the draft answer is on the page
    page = client.get(f"/s/{token}/q/test").get_data(as_text=True)
    assert re.search(r'value="T" checked', page)


def test_large_text_scales_the_root_so_notes_and_headings_grow() -> None:
    from pathlib import Path

    css = (Path(__file__).parents[2] / "survey" / "static" / "kesu.css").read_text("utf-8")
    assert re.search(r"html\.large\s*\{\s*font-size:\s*1[3-9]\d(\.\d+)?%", css)
    # the small texts and the headings are sized in rem (relative to the root)
    for selector in (".help", ".progress", ".mark", "h1", "h2"):
        rule = re.search(re.escape(selector) + r"[^{]*\{([^}]*)\}", css)
        assert rule and "rem" in rule.group(1), selector


def test_a_cached_fresh_page_is_the_page_rendered_anew(
    client: FlaskClient, session: Session, token: str
) -> None:
    """Pages with nothing filled in are rendered once per questionnaire, page and language:
    the cached markup is exactly what a fresh rendering gives, and answers are never cached."""
    import survey.respond

    client.post(f"/s/{token}")
    survey.respond._FRESH_PAGES.clear()
    first = client.get(f"/s/{token}/q/about").get_data(as_text=True)
    assert survey.respond._FRESH_PAGES  # stored
    again = client.get(f"/s/{token}/q/about").get_data(as_text=True)
    survey.respond._FRESH_PAGES.clear()
    anew = client.get(f"/s/{token}/q/about").get_data(as_text=True)
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", first) == strip.sub("", again) == strip.sub("", anew)
    english = client.get(f"/s/{token}/q/about?lang=en", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Your sex" in english and "您的性别" not in english
    # once answered, the page shows the answers (not the cached empty page)
    post_page(client, token, "about", FEATURES_PAGES["about"], 0)
    page = client.get(f"/s/{token}/q/about?lang=zh-CN", follow_redirects=True).get_data(
        as_text=True
    )
    assert 'value="1980"' in page


def test_the_consent_page_says_the_time_once_and_has_no_stray_spaces(
    client: FlaskClient, session: Session
) -> None:
    """The Yiwu description states 大约需要18分钟 itself: the page does not add it again;
    its folded privacy text reads as one line (行动（2021—2025年）, no space)."""
    create_wave(session, name="yiwu", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                source_name=DEFAULT_QUESTIONNAIRE.name, actor="test")  # fmt: skip
    set_wave_status(session, "yiwu", WaveStatus.OPEN, "test")
    token = create_invitations(session, "yiwu", 1, actor="test")[0]
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert html.count("18分钟") + html.count("18 分钟") == 1, html
    assert "行动（2021—2025年）提供依据" in html
