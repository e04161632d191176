"""The web survey: residents answer on their phones; answers are stored safely.

``create_app`` is the only way to get an application (no module-level app)::

    from survey import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})

Production: ``gunicorn -w 4 'survey:create_app()'`` with ``KESU_SECRET_KEY``,
``KESU_DATABASE_URL`` (PostgreSQL) and ``KESU_REDIS_URL`` set (see survey/README.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from typing import cast

from flask import Flask
from flask.wrappers import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.http import parse_cookie
from werkzeug.utils import cached_property

from survey.caches import keep
from survey.config import DEFAULT_SECRET_KEY
from survey.config import DEFAULTS
from survey.config import default_database_url
from survey.config import instance_secret_key
from survey.errors import SurveyError

logger = logging.getLogger(__name__)

__all__ = ["DEFAULTS", "SurveyError", "create_app"]


#: parsed ``Cookie`` headers by their text (see :class:`_Request`); immutable, so shared
_PARSED_COOKIES: dict[str, ImmutableMultiDict[str, str]] = {}
_PARSED_COOKIES_MAX = 1024
#: longer headers are parsed every time (the cache stays under about 1024 x 2 KB)
_PARSED_COOKIE_LENGTH = 1024


class _Request(Request):
    """Flask's request, reading its cookies straight from the WSGI environment.

    werkzeug finds the ``Cookie`` header by walking every header of the environment
    (``headers.getlist``), on every request that reads the session; a WSGI server passes
    all of a request's cookies as the one ``HTTP_COOKIE`` value, which is what that walk
    joins (so the result is the same). A browser sends the same header on each of its
    requests: its parsed form (an immutable dict, about 3 us to make) is kept.
    """

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        raw = str(self.environ.get("HTTP_COOKIE", ""))
        known = _PARSED_COOKIES.get(raw)
        if known is not None:
            return known
        parsed = cast("ImmutableMultiDict[str, str]", parse_cookie(raw, cls=ImmutableMultiDict))
        if len(raw) <= _PARSED_COOKIE_LENGTH:
            keep(_PARSED_COOKIES, raw, parsed, _PARSED_COOKIES_MAX)
        return parsed


class _Flask(Flask):
    """Flask, deciding once per function whether it is a coroutine function.

    Flask asks :func:`inspect.iscoroutinefunction` of every before/after/teardown hook and
    of the view on every request (a dozen times a page); the answer never changes.
    """

    request_class = _Request

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: set[Any] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._sync_functions:
                return func
        except TypeError:  # an unhashable callable: ask every time
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            self._sync_functions.add(func)
        return wrapped


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the survey application.

    Configuration is applied in this order: :data:`survey.config.DEFAULTS`, the instance
    folder's ``config.py`` (if present), ``KESU_*`` environment variables, then ``config``.
    ``INSTANCE_PATH`` (in ``config`` or as ``KESU_INSTANCE_PATH``) moves the instance folder.

    Raises:
        SurveyError: when ``SECRET_KEY`` is still the placeholder outside testing, or
            ``KESU_EXPORT_WORKERS`` is set to anything but a whole number of at least 1.
    """
    config = dict(config or {})
    instance_path = config.get("INSTANCE_PATH") or os.environ.get("KESU_INSTANCE_PATH")
    app = _Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("KESU")
    app.config.from_mapping(config)
    _finish_config(app)

    # the web modules are imported here, not with the package: a command or a worker
    # process that needs one module (an export, say) does not load the whole site
    from survey import auth
    from survey import db
    from survey import errors
    from survey import security

    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    return app


def _finish_config(app: Flask) -> None:
    cfg = app.config
    if cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY and not cfg.get("TESTING"):
        if cfg.get("GENERATE_SECRET_KEY"):
            cfg["SECRET_KEY"] = instance_secret_key(app.instance_path)
        else:
            raise SurveyError(
                "refusing to start with the placeholder SECRET_KEY",
                param="SECRET_KEY",
                hint="set KESU_SECRET_KEY to a long random string (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'), or use `kesu serve` for development",
            )
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = default_database_url(app.instance_path)
    if cfg.get("REDIS_URL") and not cfg.get("RATELIMIT_STORAGE_URI"):
        cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"]
    if cfg.get("COOKIE_SECURE") is None:
        # secure cookies everywhere except in tests and `kesu serve` over plain http
        cfg["COOKIE_SECURE"] = not cfg.get("TESTING")
    cfg["SESSION_COOKIE_SECURE"] = bool(cfg["COOKIE_SECURE"])
    from survey.export import export_workers

    export_workers()  # a bad KESU_EXPORT_WORKERS stops the start, not a later download


def _register_blueprints(app: Flask) -> None:
    from survey import admin
    from survey import api
    from survey import capi
    from survey import dashboard
    from survey import monitor
    from survey import respond
    from survey import sessions
    from survey import staff
    from survey.capacity import web as capacity_web

    app.register_blueprint(respond.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(capi.bp)
    app.register_blueprint(monitor.bp)
    app.register_blueprint(sessions.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(capacity_web.bp)
    respond.init_app(app)
    admin.init_app(app)
    dashboard.init_app(app)
    sessions.init_app(app)
    staff.init_app(app)
