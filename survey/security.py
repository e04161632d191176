"""CSRF protection, security headers, cookies and rate limits.

* CSRF: Flask-WTF's ``CSRFProtect`` checks every POST (forms carry ``csrf_token``).
* Headers: a strict Content-Security-Policy (no inline script or style, nothing from other
  origins, ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer`` (invitation tokens are in URLs) and ``no-store`` caching
  of pages (a phone may be shared).
* Rate limits: Flask-Limiter, one limiter per app, counters in Redis when ``REDIS_URL``
  is set (shared by all workers), else in memory (per worker). Limits are attached to
  endpoints with :func:`limit` after the blueprints are registered, on POSTs only: page
  loads skip the limiter altogether.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface
from flask.sessions import SessionMixin
from flask.wrappers import Request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from survey.caches import keep
from survey.ctx import current_application
from survey.ctx import current_g
from survey.ctx import current_request
from survey.ctx import current_session
from survey.errors import BadRequestError

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
#: pages are not kept by the browser or a proxy (static files are)
NO_STORE = {"Cache-Control": "no-store"}
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

#: endpoints allowed a bigger request body (the questionnaire upload)
UPLOAD_ENDPOINTS = {"admin.new_wave", "admin.import_cases", "admin.save_units"}
#: capacity evidence files and Excel templates (limit ``MAX_EVIDENCE_LENGTH``)
EVIDENCE_ENDPOINTS = {"capacity.evidence_upload", "capacity.upload"}


def uploaded_file(field: str = "file") -> tuple[bytes, str] | None:
    """The bytes and file name of the file chosen in the form's ``field``, for the
    endpoints above (whose request size limits bound what is read); None when no file
    was chosen: the field is missing, or the browser sent it empty and unnamed (the form
    submitted without choosing a file). The one reader of uploaded files."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    return upload.read(), upload.filename


_TOKEN_IN_PATH = re.compile(r"/(s|o|u)/[A-Za-z0-9_-]{16,64}")
#: the client address that starts a werkzeug or gunicorn (default format) access line
_LEADING_CLIENT = re.compile(r"^\S+(?= - \S+ \[)")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
#: gunicorn's default access line ends with "referer" "user agent"
_TRAILING_AGENT = re.compile(r'"[^"]*" "[^"]*"\s*$')


#: a request line of anything but the staff areas (/admin, /field, /api): respondent
#: pages and what a browser loads with them (static files, favicon, ...)
_PUBLIC_REQUEST = re.compile(r'"[A-Z]+ /(?!admin(?:[/?]|\s)|field(?:[/?]|\s)|api/)')


class RedactTokens(logging.Filter):
    """Replace invitation, open-link and unit-link tokens in log lines (request logs print
    paths); on request lines of the public side (respondent pages, static files, favicon)
    also drop the client address and User-Agent, so no log line can tie an answer, or
    taking part, to a person or a device (anonymous waves). Staff areas keep them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_IN_PATH.sub(r"/\1/<token>", message)
        if redacted != message or _PUBLIC_REQUEST.search(message):
            redacted = _LEADING_CLIENT.sub("-", redacted)
            redacted = _IPV4.sub("-", _TRAILING_AGENT.sub('"-" "-"', redacted))
            record.msg, record.args = redacted, ()
        return True


def redact_request_logs() -> None:
    """Install :class:`RedactTokens` on the request loggers (werkzeug, gunicorn), once."""
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in target.filters):
            target.addFilter(RedactTokens())


#: the largest id a URL may carry: PostgreSQL's ``integer`` (the id columns), on every database
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id 1..:data:`MAX_ID`; anything else matches no route (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug)
        super().__init__(map, min=1, max=MAX_ID)


def refuse_nul_bytes() -> None:
    """400 for a NUL character anywhere in the path, the query or a form field or file name.

    PostgreSQL cannot store NUL in text (it answered 500 before this check); no survey
    answer or staff form needs it. Checked before CSRF and the views, on every request.
    """
    req = current_request()
    values = [req.path]
    sources = []
    # the query decodes to a NUL only from "%00" or a NUL byte: without either (every page
    # load), its parameters need no look
    query = req.query_string
    if b"\x00" in query or b"%00" in query:
        sources.append(req.args)
    if req.method in ("POST", "PUT", "PATCH"):
        sources.append(req.form)
        values += [f.filename or "" for f in req.files.values()]
    for source in sources:
        for key, items in source.lists():
            values.append(key)
            values += items
    if any("\x00" in v for v in values):
        raise BadRequestError("NUL characters are not allowed in a request", param="request",
                              ui="error_bad_input")  # fmt: skip


#: signed CSRF tokens by (secret, the session's raw token); see :func:`csrf_token`
_SIGNED_CSRF: dict[tuple[str, str], str] = {}
_SIGNED_CSRF_MAX = 4096


def csrf_token() -> str:
    """The signed CSRF token for this session's forms (Flask-WTF's ``generate_csrf``).

    Signing costs a key derivation and an HMAC on every page (about 40 µs). When tokens
    do not expire (``WTF_CSRF_TIME_LIMIT`` None, kesu's default: a respondent may pause
    for hours), a token signed for this session's raw token earlier is exactly as valid as
    a new one (the check compares the raw token and the signature, not the age), so it is
    reused (the token signed when a session's raw token is made is remembered too, so a
    session's forms carry one token from its first page on); a time limit takes
    Flask-WTF's path.
    """
    app, ns, sess = current_application(), current_g(), current_session()
    cfg = app.config
    field = str(cfg.get("WTF_CSRF_FIELD_NAME") or "csrf_token")
    if field in ns or cfg.get("WTF_CSRF_TIME_LIMIT") is not None:
        return str(generate_csrf())
    secret = str(cfg.get("WTF_CSRF_SECRET_KEY") or app.secret_key)
    raw = sess.get(field)
    if not isinstance(raw, str):
        first = str(generate_csrf())  # sets the session's raw token: remembered with it
        raw = sess.get(field)
        if isinstance(raw, str):
            keep(_SIGNED_CSRF, (secret, raw), first, _SIGNED_CSRF_MAX)
        return first
    key = (secret, raw)
    signed = _SIGNED_CSRF.get(key)
    if signed is None:
        signed = keep(_SIGNED_CSRF, key, str(generate_csrf()), _SIGNED_CSRF_MAX)
    else:
        setattr(ns, field, signed)
    return signed


#: session values that a dict copy cannot share with another request (immutable)
_SCALARS = (str, int, float, bool, type(None))


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, each cookie value's signature checked once.

    Flask builds a serializer, checks the cookie's HMAC (a key derivation and two hashes)
    and decodes its tagged JSON on every request. Here the serializer is kept per secret
    key, and a cookie value whose signature was found valid is remembered with its
    signing time and contents: the same value under the same keys is valid again (a
    signature check is deterministic), so only its age is checked against
    ``PERMANENT_SESSION_LIFETIME``; each request gets its own session object (contents of
    plain values are copied; others, such as flashed messages, are decoded anew). Anything
    else - no cookie, a new value, a bad signature, an expired one - takes Flask's path.
    Saving writes the cookie exactly when Flask would.
    """

    _remembered_max = 4096

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}
        #: (keys, cookie value) -> (signed payload, signing time in s since the epoch,
        #: the contents when all are plain values, else None)
        self._verified: dict[
            tuple[tuple[Any, ...], str], tuple[bytes, float, dict[str, Any] | None]
        ] = {}

    @staticmethod
    def _keys(app: Flask) -> tuple[Any, ...]:
        return (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:  # pragma: no cover - a secret key is set
                return None
            self._serializers[keys] = serializer
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._keys(app), value)
        known = self._verified.get(key)
        if known is not None and 0 <= time.time() - known[1] <= max_age:
            if known[2] is not None:
                return self.session_class(dict(known[2]))
            return self.session_class(serializer.load_payload(known[0]))
        try:
            signer = serializer.make_signer(serializer.salt)
            assert isinstance(signer, TimestampSigner)  # what a timed serializer makes
            payload, signed_at = signer.unsign(value, max_age=max_age, return_timestamp=True)
            data = serializer.load_payload(payload)
        except BadSignature:
            return self.session_class()
        plain = None
        if isinstance(data, dict) and all(isinstance(v, _SCALARS) for v in data.values()):
            plain = dict(data)
        keep(self._verified, key, (payload, signed_at.timestamp(), plain), self._remembered_max)
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            super().save_session(app, session, response)
            return
        # nothing to write (Flask would only add "Vary: Cookie" when the session was read)
        if session.accessed:
            # (getlist: ``"Vary" in headers`` raises and catches an HTTP exception when
            # the header is absent, as it is on almost every response)
            if response.headers.getlist("Vary"):
                response.vary.add("Cookie")
            else:
                response.headers["Vary"] = "Cookie"


class SecurityHeaders:
    """WSGI middleware: the security headers (``defaults``) and, except on static files,
    ``Cache-Control: no-store``, each on every response whose view did not set its own.

    Added to the header list the app hands to ``start_response``, after Flask and
    werkzeug are done with the response: an ``after_request`` hook adding them to
    ``response.headers`` costs each one a validation there and a second when werkzeug
    copies the headers for the server (together about a tenth of a question page's own
    time in the server). The values are constants, checked once here. It also covers
    responses that no ``after_request`` hook sees.
    """

    def __init__(self, app: Callable[..., Any], defaults: dict[str, str]) -> None:
        self.app = app
        for value in (*defaults.values(), *NO_STORE.values()):
            if "\n" in value or "\r" in value:
                raise ValueError(f"a header value with a line break: {value!r}")
        self.pages = [(k.lower(), k, v) for k, v in {**defaults, **NO_STORE}.items()]
        self.static = [(k.lower(), k, v) for k, v in defaults.items()]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        static = str(environ.get("PATH_INFO", "")).startswith("/static/")
        wanted = self.static if static else self.pages

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {key.lower() for key, _ in headers}
            extra = [(k, v) for low, k, v in wanted if low not in present]
            return start_response(status, headers + extra, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    """Attach CSRF, headers, body-size limits, proxy handling and the rate limiter."""
    redact_request_logs()
    app.session_interface = CookieSessions()
    app.url_map.converters["id"] = IdConverter
    if int(app.config.get("PROXY_FIX_X_FOR") or 0) > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1
        )
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]

    # registered before CSRFProtect so that it runs before the form is parsed
    @app.before_request
    def _allow_upload() -> None:
        endpoint = request.endpoint
        if endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = int(app.config["MAX_UPLOAD_LENGTH"])
            request.max_form_memory_size = int(app.config["MAX_UPLOAD_LENGTH"])
        elif endpoint in EVIDENCE_ENDPOINTS:
            request.max_content_length = int(app.config["MAX_EVIDENCE_LENGTH"])

    app.before_request(refuse_nul_bytes)
    # Flask-WTF's own hook looks up the view's exemptions before the method on every
    # request; this one checks exactly what it would (CSRFProtect.protect), on writes only
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    @app.before_request
    def _check_csrf() -> None:
        if request.method in app.config["WTF_CSRF_METHODS"] and app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)

    # templates sign the CSRF token with csrf_token() below (Flask-WTF's as a fallback)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})

    defaults = dict(SECURITY_HEADERS)
    if app.config["SESSION_COOKIE_SECURE"]:
        defaults["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    app.wsgi_app = SecurityHeaders(app.wsgi_app, defaults)  # type: ignore[method-assign]

    storage_uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    shared = not storage_uri.startswith("memory://")
    # a dead Redis must not hang requests: short timeouts, then in-memory limits
    options: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    limiter = _Limiter(
        key_func=get_remote_address,
        storage_uri=storage_uri,
        storage_options=options if shared else {},
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        enabled=bool(app.config["RATELIMIT_ENABLED"]),
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    _forward_limiter_warnings()

    app.extensions["kesu_limiter"] = limiter


#: methods that read: no limit applies to them (every kesu limit is on a POST)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Limiter(Limiter):
    """Flask-Limiter without its bookkeeping on page loads: every kesu limit is on a
    POST, so for a read its checks (before the request and in the decorated view), its
    rate-limit headers and its per-request cleanup (about 80 µs together on every page)
    return at once."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        for hooks in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
            for i, hook in enumerate(hooks):
                bound = hook.args[:1] if isinstance(hook, functools.partial) else ()
                if getattr(hook, "__self__", None) is self or bound == (self,):
                    hooks[i] = _on_writes(hook)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if current_request().method in READ_METHODS:
            return
        super()._check_request_limit(callable_name, in_middleware)


def _on_writes(hook: Callable[..., Any]) -> Callable[..., Any]:
    """``hook`` (an after-request or teardown function) on writing requests only; on a read
    its argument is handed back unchanged (the response, or the teardown's exception)."""

    def run(value: Any) -> Any:
        return value if current_request().method in READ_METHODS else hook(value)

    return run


class _LimiterWarnings(logging.Handler):
    """Repeats Flask-Limiter's storage warnings on kesu's logger, which gunicorn shows
    (Flask-Limiter's own logger has a NullHandler, so they would be lost)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            logger.warning(
                "rate-limit storage (Redis) problem: %s; limits count in each worker's memory "
                "until it answers again (/api/health says degraded)",
                record.getMessage(),
            )


def _forward_limiter_warnings() -> None:
    target = logging.getLogger("flask-limiter")
    if not any(isinstance(h, _LimiterWarnings) for h in target.handlers):
        target.addHandler(_LimiterWarnings())


def rate_limit_state(app: Flask) -> str:
    """``memory`` (no Redis configured: per-worker counters), ``ok`` (Redis answers) or
    ``degraded`` (Redis configured but down: in-memory counters per worker, logged)."""
    limiter: Limiter = app.extensions["kesu_limiter"]
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith("memory://"):
        return "memory"
    try:
        alive = bool(limiter.storage.check())
    except Exception as exc:  # noqa: BLE001 - any client error means: not reachable
        logger.warning("rate-limit storage check failed: %s", type(exc).__name__)
        alive = False
    if not alive:
        logger.warning("rate-limit storage (Redis) does not answer: limits are per worker")
    return "ok" if alive else "degraded"


def limit(
    app: Flask,
    endpoint: str,
    config_key: str,
    *,
    key_func: Callable[[], str] = get_remote_address,
    methods: list[str],
) -> None:
    """Rate-limit ``endpoint`` at ``app.config[config_key]`` (e.g. ``"10 per minute"``) for
    the writing ``methods`` (reads are never limited, see :class:`_Limiter`).

    Raises:
        ValueError: ``methods`` names a reading method (GET, HEAD, OPTIONS) or none.
    """
    if not methods or READ_METHODS.intersection(m.upper() for m in methods):
        raise ValueError(f"rate limits apply to writing methods only, not {methods}")
    limiter: Limiter = app.extensions["kesu_limiter"]
    view = app.view_functions[endpoint]
    limited: Any = limiter.limit(
        lambda: current_app.config[config_key], key_func=key_func, methods=methods
    )(view)

    # a read goes to the view itself: Flask-Limiter's wrapper would look the endpoint and
    # its limits up on every page load only to find that none applies to the method
    @functools.wraps(view)
    def view_or_limited(*args: Any, **kwargs: Any) -> Any:
        if current_request().method in READ_METHODS:
            return view(*args, **kwargs)
        return limited(*args, **kwargs)

    app.view_functions[endpoint] = view_or_limited


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value for a download called ``filename`` (RFC 6266): an
    ASCII ``filename`` fallback and the exact name as UTF-8 in ``filename*`` (RFC 8187), so
    a name such as ``义乌2026.csv`` neither breaks the header nor loses its characters.

    Example:
        >>> attachment("义乌2026.csv")
        'attachment; filename="2026.csv"; filename*=UTF-8\'\'%E4%B9%89%E4%B9%8C2026.csv'
    """
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("_") or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def client_address() -> str:
    """The client's address as the rate limiter sees it."""
    return get_remote_address()
