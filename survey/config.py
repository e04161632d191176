"""Configuration defaults and the instance secret key.

Order of precedence (later wins), applied by :func:`survey.create_app`:
``DEFAULTS`` < instance ``config.py`` < ``KESU_*`` environment variables (JSON-parsed,
e.g. ``KESU_DATABASE_URL``, ``KESU_SECRET_KEY``, ``KESU_REDIS_URL``) < the caller's mapping.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: the placeholder secret; the factory refuses it unless TESTING
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
SECRET_KEY_FILE = "secret_key"

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    #: when the secret is still the placeholder, read or create ``instance/secret_key``
    #: (``kesu serve`` and the CLI set this; production sets KESU_SECRET_KEY instead)
    "GENERATE_SECRET_KEY": False,
    #: None: a SQLite file ``kesu.sqlite3`` in the instance folder
    "DATABASE_URL": None,
    "DATABASE_POOL_SIZE": 5,
    #: test pooled connections with a round trip before each use (see create_db_engine)
    "DATABASE_PRE_PING": False,
    "SQLITE_BUSY_TIMEOUT_MS": 10_000,
    #: Redis for the rate-limit counters (shared by every worker); None: in memory
    "REDIS_URL": None,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "kesu",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    #: answer submissions per invitation link, and starts of open-link responses per address
    "RATE_LIMIT_SUBMIT": "60 per minute",
    "RATE_LIMIT_OPEN_START": "30 per minute",
    "RATE_LIMIT_LOGIN": "10 per minute",
    # a whole class joins a classroom session from one school address within a minute
    "RATE_LIMIT_CLASS_JOIN": "200 per minute",
    #: request bodies above this size get 413 (an answer page is a few KiB)
    "MAX_CONTENT_LENGTH": 64 * 1024,
    #: the admin's questionnaire upload may be larger
    "MAX_UPLOAD_LENGTH": 2 * 1024 * 1024,
    #: a capacity evidence file (10 MiB, ``survey.capacity.services.EVIDENCE_MAX_BYTES``)
    #: and the form around it
    "MAX_EVIDENCE_LENGTH": 10 * 1024 * 1024 + 64 * 1024,
    "MAX_FORM_PARTS": 500,
    "SESSION_COOKIE_NAME": "kesu_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    #: Secure cookies: None means yes, except under TESTING (``kesu serve`` over plain
    #: http sets False); Flask's SESSION_COOKIE_SECURE is derived from it
    "COOKIE_SECURE": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    #: CSRF tokens last as long as the session: a respondent may pause on a page for hours
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_SSL_STRICT": False,
    #: days an open-link cookie remembers that this browser already has a response
    "OPEN_LINK_COOKIE_DAYS": 180,
    #: start of every link respondents get (e.g. ``https://survey.example.cn``); None: the
    #: address a page was requested at (the port really served). The CLI, which serves
    #: nothing, needs it (or ``--base-url``) to print or export links.
    "PUBLIC_BASE_URL": None,
    #: number of reverse proxies in front of the app whose X-Forwarded-For can be trusted
    "PROXY_FIX_X_FOR": 0,
    "TEMPLATES_AUTO_RELOAD": False,
}


def instance_secret_key(instance_path: str | Path) -> str:
    """Read the secret key stored in the instance folder, creating it (0600) if missing."""
    path = Path(instance_path) / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    logger.info("created a new secret key in %s", path)
    return key


def default_database_url(instance_path: str | Path) -> str:
    """The embedded default: a SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'kesu.sqlite3'}"
