"""Errors of the web survey and the HTTP error pages.

Service functions raise :class:`SurveyError` subclasses carrying an HTTP status; views
let them propagate and :func:`init_app` turns them (and Werkzeug's HTTP errors) into a
page or, under ``/api/``, JSON. Nothing a client sends may produce a 500: the 500
handler rolls back and answers with a generic message that reveals nothing. Pages show
their title and message in the language of the request (zh-CN first; a service error
with a ``ui`` key shows that catalogue text); JSON answers keep the English error names
and the services' English messages.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]
from sqlalchemy.exc import DataError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException

from kesu.errors import KesuError
from kesu.i18n import has_key
from survey.i18n import current_language
from survey.i18n import ui_text

logger = logging.getLogger(__name__)


class SurveyError(KesuError):
    """Base class: a request or command cannot be carried out; ``status`` is the HTTP code.

    A :class:`kesu.errors.KesuError` (one error base for every package: ``except
    KesuError`` catches these too) with what a web answer needs besides. Its text leaves
    out ``got``: what a client sent is echoed in no page, JSON answer or log line (the
    attribute keeps it for the code that handles the error).

    Attributes:
        param: the field, item or object concerned.
        got: what was given.
        expected: what would have been accepted.
        hint: how to fix it.
        ui: a key of :data:`kesu.i18n.CATALOGUE`: what the error page says, in the
            request's language (errors a respondent can meet); JSON keeps ``message``.
        ui_params: the values the ``ui`` text names (line, column, value...).
    """

    status = 400

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        got: Any = None,
        expected: Any = None,
        hint: str | None = None,
        ui: str | None = None,
        ui_params: dict[str, Any] | None = None,
    ) -> None:
        self.ui = ui
        self.ui_params = dict(ui_params or {})
        super().__init__(message, param=param, got=got, expected=expected, hint=hint)

    def _render(self) -> str:
        parts = [self.message]
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        if self.hint:
            parts.append(self.hint)
        return "; ".join(parts)

    def page_text(self) -> str:
        """What a page shows: the ``ui`` catalogue text in the request's language (with
        ``ui_params``), else the English message."""
        return ui_text(self.ui, **self.ui_params) if self.ui else str(self)

    def __str__(self) -> str:
        return self._render()


class BadRequestError(SurveyError):
    """Malformed or tampered request (400)."""

    status = 400


class ForbiddenError(SurveyError):
    """The request is understood but this user (or no user) may not do it (403)."""

    status = 403


class TooManyRequestsError(SurveyError):
    """Too many attempts; ``retry_after`` seconds until the next is accepted (429)."""

    status = 429

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class NotFoundError(SurveyError):
    """No such wave, invitation or page (404)."""

    status = 404


class ClosedError(SurveyError):
    """The wave is not open for answers (403)."""

    status = 403


class ConflictError(SurveyError):
    """The object exists already or cannot change any more (409)."""

    status = 409


class InvalidAnswersError(SurveyError):
    """Answers failed validation (422); ``errors`` maps variable names to messages."""

    status = 422

    def __init__(self, errors: dict[str, str], message: str = "some answers need attention"):
        super().__init__(message, param=", ".join(sorted(errors)))
        self.errors = errors


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


#: page messages replacing Werkzeug's default (English) descriptions
_DEFAULT_MESSAGES = {404: "error_not_found", 405: "error_method", 413: "error_too_large"}


def _render(status: int, title: str, message: str, page_message: str | None = None) -> Any:
    """JSON with ``title`` and ``message``, or the page: the title in the request's language
    and ``page_message`` (a translation of ``message``) when given."""
    if _wants_json():
        return jsonify({"error": title, "message": message, "status": status}), status
    if g.get("lang") is None:  # refused before the language hook ran (CSRF, rate limit)
        g.lang = current_language()
    key = f"error_{status}"
    if has_key(key):
        title = ui_text(key)
    page = render_template(
        "error.html", status=status, title=title, message=page_message or message
    )
    return page, status


def _rollback() -> None:
    session = g.get("kesu_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(SurveyError)
    def survey_error(exc: SurveyError) -> Any:
        _rollback()
        out = app.make_response(_render(exc.status, type(exc).__name__, str(exc), exc.page_text()))
        if isinstance(exc, TooManyRequestsError):
            out.headers["Retry-After"] = str(exc.retry_after)
        return out

    @app.errorhandler(StatementError)
    def statement_error(exc: StatementError) -> Any:
        # a value refused while binding (survey.models.CheckedString): the client's input
        if isinstance(exc.orig, SurveyError):
            return survey_error(exc.orig)
        if isinstance(exc, DataError):
            # the database refused a value (out of range, malformed): never the server's fault
            # that a client sent it; the parameters (personal data) are not logged
            _rollback()
            logger.warning("database refused a value on %s: %s", request.endpoint,
                           type(exc.orig).__name__)  # fmt: skip
            message = "A value in the request cannot be stored (too long, too large or malformed)."
            return _render(400, "Bad Request", message, ui_text("error_bad_value"))
        return server_error(exc)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        _rollback()
        message = f"{exc.description} Reload the page and try again."
        return _render(400, "CSRF", message, ui_text("error_csrf", detail=exc.description))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        _rollback()
        response = exc.get_response()
        code = exc.code or 400
        message = exc.description or exc.name
        page_message = None
        if code in _DEFAULT_MESSAGES and message == type(exc).description:
            page_message = ui_text(_DEFAULT_MESSAGES[code])
        elif code == 429:  # the rate limiter's description is its limit ("10 per 1 minute")
            page_message = ui_text("error_rate_limited", limit=message)
        out = app.make_response(_render(code, exc.name, message, page_message))
        for key in ("Allow", "Retry-After"):
            if key in response.headers:
                out.headers[key] = response.headers[key]
        return out

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError) -> Any:
        # locked (SQLite under a write burst) or unreachable database: nothing was
        # acknowledged, so the client may safely send the same form again
        _rollback()
        logger.warning("database unavailable on %s: %s", request.endpoint, type(exc.orig).__name__)
        busy = "The survey is busy; please try again."
        out = app.make_response(_render(503, "Service Unavailable", busy, ui_text("error_busy")))
        out.headers["Retry-After"] = "2"
        return out

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> Any:
        _rollback()
        logger.exception("unhandled error on %s %s", request.method, request.endpoint)
        return _render(
            500, "Internal Server Error", "Something went wrong; please try again.",
            ui_text("error_server"),
        )  # fmt: skip
