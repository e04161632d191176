"""The objects behind Flask's context proxies, for code that runs on every request.

Every attribute access on ``flask.request``, ``session``, ``g`` or ``current_app`` finds
the current object anew through werkzeug's ``LocalProxy`` (about 2 µs on the 2-core
benchmark machine, against 0.1 µs on the object itself; a question page made some forty
such accesses). The request hooks and the question page look each object up once with
these functions and use it directly.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import session
from flask.sessions import SessionMixin
from flask.wrappers import Request


def current_request() -> Request:
    """The current request (``flask.request`` itself, not its proxy)."""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    return req


def current_session() -> SessionMixin:
    """The current request's session (``flask.session`` itself)."""
    sess: SessionMixin = session._get_current_object()  # type: ignore[attr-defined]
    return sess


def current_g() -> Any:
    """The current app context's ``g`` namespace (``flask.g`` itself)."""
    return g._get_current_object()


def current_application() -> Flask:
    """The current application (``flask.current_app`` itself)."""
    flask_app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return flask_app
