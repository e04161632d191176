"""Helpers shared by the survey tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from survey import create_app
from survey.models import WaveStatus
from survey.services import create_wave
from survey.services import set_wave_status

TESTS_DIR = Path(__file__).parent.parent
FEATURES = TESTS_DIR / "questionnaires" / "data" / "features.yaml"
PG_URL = os.environ.get("KESU_TEST_DATABASE_URL")
DB_KINDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

#: a complete, valid set of answers to features.yaml, page by page (all test items right)
FEATURES_PAGES: dict[str, dict[str, Any]] = {
    "about": {
        "q_sex": "2",
        "q_birth_year": "1980",
        "q_occupation": "farmer",
        "q_farm_years": "12",
        "q_channels": ["tv", "app"],
        "q_remark": "",
    },
    "test": {"q_K1": "T", "q_K2": "C", "q_M1": ["A", "B"], "q_S1": "F", "q_P1": "A"},
    "attitudes": {"q_interest": "4", "q_V1": "3", "q_V2": "3"},
}


def pg_schema_url(base: str, schema: str) -> str:
    """``base`` with every connection's search_path set to ``schema``."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def make_app(database_url: str, tmp_path: Path, **config: Any) -> Flask:
    settings: dict[str, Any] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SERVER_NAME": "survey.test",
    }
    settings.update(config)
    return create_app(settings)


def open_wave(session: Session, name: str = "w1", **kwargs: Any) -> str:
    """Create and open a wave with the features questionnaire; return its name."""
    create_wave(
        session,
        name=name,
        questionnaire_data=FEATURES.read_bytes(),
        source_name="features.yaml",
        actor="test",
        **kwargs,
    )
    set_wave_status(session, name, WaveStatus.OPEN, "test")
    return name


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def rev_from(html: str) -> str:
    match = re.search(r'name="rev" value="(\d+)"', html)
    assert match, "no revision in the page"
    return match.group(1)


def post_page(client: FlaskClient, token: str, page: str, data: dict[str, Any], rev: int) -> Any:
    form = {"rev": str(rev), "page": page, **data}
    return client.post(f"/s/{token}/q/{page}", data=form)


def complete(client: FlaskClient, token: str, pages: dict[str, dict[str, Any]] | None = None):
    """Consent and answer every page of features.yaml; return the last response."""
    pages = pages or FEATURES_PAGES
    r = client.post(f"/s/{token}")
    assert r.status_code == 303, r.data
    rev = 0
    for page, data in pages.items():
        r = post_page(client, token, page, data, rev)
        assert r.status_code == 303, (page, r.status_code, r.data[:2000])
        rev += 1
    return r
