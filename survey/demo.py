"""The demo set-up behind ``make run``: migrate, load the default questionnaire, open a
demo wave, create an administrator and serve.

``run_demo()`` is the hook the main job calls; ``kesu serve --demo`` does the same.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from questionnaires import DEFAULT_QUESTIONNAIRE
from survey import create_app
from survey.db import database
from survey.db import upgrade
from survey.errors import NotFoundError
from survey.models import Invitation
from survey.models import User
from survey.models import WaveStatus
from survey.services import create_invitations
from survey.services import create_user
from survey.services import create_wave
from survey.services import get_wave
from survey.services import set_password
from survey.services import set_wave_status

logger = logging.getLogger(__name__)

DEMO_WAVE = "demo"
DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoInfo:
    """Links and the login printed for the person running the demo."""

    wave: str
    respondent_url: str
    open_url: str
    admin_url: str
    username: str
    password: str

    def lines(self) -> list[str]:
        return [
            f"kesu demo wave '{self.wave}' is open.",
            f"  respondent link: {self.respondent_url}",
            f"  open link (anyone, once per browser): {self.open_url}",
            f"  admin: {self.admin_url}  user {self.username}  password {self.password}",
        ]


def prepare_demo(
    app: Flask,
    base_url: str,
    *,
    questionnaire: Path = DEFAULT_QUESTIONNAIRE,
    wave_name: str = DEMO_WAVE,
    username: str = DEMO_ADMIN,
) -> DemoInfo:
    """Migrate the database, create (or reuse) an open demo wave with one invitation, and
    give the ``admin`` user a fresh random password (printed once)."""
    db = database(app)
    upgrade(db.engine)
    actor = "demo"
    with app.app_context():
        session = db.sessionmaker()
        try:
            try:
                wave = get_wave(session, wave_name)
            except NotFoundError:
                create_wave(
                    session,
                    name=wave_name,
                    questionnaire_data=questionnaire.read_bytes(),
                    source_name=questionnaire.name,
                    actor=actor,
                    open_recruitment=True,
                )
                wave = get_wave(session, wave_name)
            if wave.status is not WaveStatus.OPEN:
                set_wave_status(session, wave_name, WaveStatus.OPEN, actor)
            wave = get_wave(session, wave_name)
            open_token = wave.open_token or ""
            token = session.scalars(
                select(Invitation.token)
                .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False))
                .order_by(Invitation.id.desc())
                .limit(1)
            ).first()
            session.rollback()
            if token is None:
                token = create_invitations(session, wave_name, 1, actor=actor)[0]
            password = secrets.token_urlsafe(12)
            exists = session.scalars(select(User).where(User.username == username)).first()
            session.rollback()
            if exists is None:
                create_user(session, username, password, actor=actor)
            else:
                set_password(session, username, password, actor=actor)
        finally:
            session.close()
    base = base_url.rstrip("/")
    return DemoInfo(
        wave=wave_name,
        respondent_url=f"{base}/s/{token}",
        open_url=f"{base}/o/{open_token}",
        admin_url=f"{base}/admin/",
        username=username,
        password=password,
    )


def run_demo(
    host: str = "127.0.0.1",
    port: int = 5000,
    *,
    config: Mapping[str, Any] | None = None,
    serve: bool = True,
    echo: Any = None,
) -> DemoInfo:
    """The ``make run`` hook: prepare the demo (see :func:`prepare_demo`), print the links
    with ``echo`` (default: the log) and serve with the development server until Ctrl-C."""
    settings: dict[str, Any] = {"GENERATE_SECRET_KEY": True, "COOKIE_SECURE": False}
    settings.update(config or {})
    app = create_app(settings)
    info = prepare_demo(app, f"http://{host}:{port}")
    for line in info.lines():
        (echo or logger.warning)(line)
    try:
        if serve:
            app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        database(app).engine.dispose()
    return info
