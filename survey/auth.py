"""Who is logged in, and what they may do: roles per wave and view decorators.

Roles (:data:`survey.models.ROLES`): ``admin`` may do everything on every wave;
``statistician`` monitors, reviews and exports; ``viewer`` sees aggregates only;
``interviewer`` works on their own assignments (``/field``). A non-admin's role on a
wave comes from a :class:`~survey.models.WaveMember` row; without one the wave does not
exist for them (404).

Decorators for views of any blueprint (the dashboard uses them too):

* :func:`public` - no login (respondent pages behind their unguessable token, the login
  page, the health check);
* :func:`login_required` - a logged-in staff user, else a redirect to the login page;
* :func:`role_required` ``(*roles)`` - the user's own role is one of ``roles`` (admin
  always passes), else 403;
* :func:`wave_role_required` ``(*roles, arg="name")`` - the user's role on the wave named
  by the view argument ``arg`` is one of ``roles``; 404 when not a member (exactly as for a
  wave that does not exist: no probing of names), 403 otherwise. The user is the API
  token's (``g.api_user``) under ``/api/``, else the logged-in one.

Each decorator records what it checks in the view's ``kesu_access`` (:class:`Access`):
``tests/survey/test_access.py`` walks the whole URL map and fails for a view without one,
and for a route with a wave name whose view is not :func:`wave_role_required`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import url_for
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from survey.ctx import current_g
from survey.ctx import current_session
from survey.db import begin_write
from survey.db import get_session
from survey.errors import ForbiddenError
from survey.errors import NotFoundError
from survey.i18n import ui_text
from survey.models import ApiToken
from survey.models import StaffSession
from survey.models import User
from survey.models import Wave
from survey.models import WaveMember
from survey.models import now_utc

logger = logging.getLogger(__name__)

#: roles that may read microdata (answers, exports, the JSON API)
DATA_ROLES = ("admin", "statistician")
#: roles that may see a wave's aggregates (monitor)
MONITOR_ROLES = ("admin", "statistician", "viewer")


def init_app(app: Flask) -> None:
    """Load the logged-in user before every request that carries a staff session."""
    app.before_request(load_user)


#: the session cookie's key naming the server-side :class:`StaffSession`
SESSION_KEY = "sid"
#: ``last_seen_at`` is written at most this often (one write, not one per request)
_SEEN_EVERY = timedelta(minutes=5)


def load_user() -> None:
    """Set ``g.user`` (and ``g.staff_session``) from the session cookie's key, when its
    server-side session is neither revoked nor expired and the user is active; None for
    respondents (no query then)."""
    ns = current_g()  # (every request: one lookup of g)
    ns.user = None
    key = current_session().get(SESSION_KEY)
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return
    db = get_session()
    row = db.execute(
        select(StaffSession, User)
        .join(User, StaffSession.user_id == User.id)
        .where(StaffSession.key_hash == hash_token(key), StaffSession.revoked_at.is_(None))
    ).one_or_none()
    now = now_utc()
    if row is None or row[0].expires_at <= now or not row[1].active:
        return
    staff, user = row
    if now - staff.last_seen_at > _SEEN_EVERY:
        db.rollback()
        begin_write(db)
        db.execute(update(StaffSession).where(StaffSession.id == staff.id).values(last_seen_at=now))
        db.commit()
    ns.user, ns.staff_session = user, staff


def start_staff_session(db: Session, user: User) -> str:
    """A new server-side session for ``user`` (not committed); returns the cookie's key.

    It expires after ``PERMANENT_SESSION_LIFETIME`` (12 h by default)."""
    key = secrets.token_urlsafe(32)
    now = now_utc()
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    db.add(StaffSession(user_id=user.id, key_hash=hash_token(key), created_at=now,
                        last_seen_at=now, expires_at=now + lifetime))  # fmt: skip
    return key


def end_staff_session(db: Session, key: Any, reason: str = "logout") -> bool:
    """Revoke the session whose cookie key is ``key`` (not committed); False if none."""
    if not isinstance(key, str):
        return False
    result = db.execute(
        update(StaffSession)
        .where(StaffSession.key_hash == hash_token(key), StaffSession.revoked_at.is_(None))
        .values(revoked_at=now_utc(), revoked_reason=reason)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_sessions(db: Session, user_id: int, reason: str) -> int:
    """Revoke every open session of a user (not committed); returns how many."""
    result = db.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now_utc(), revoked_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def current_user() -> User | None:
    """The logged-in staff user of this request (None for respondents)."""
    user: User | None = g.get("user")
    return user


def wave_role(db: Session, user: User | None, wave: Wave) -> str | None:
    """``user``'s role on ``wave``: ``admin`` for admins, the member role, or None."""
    if user is None or not user.active:
        return None
    if user.role == "admin":
        return "admin"
    role: str | None = db.scalars(
        select(WaveMember.role).where(WaveMember.wave_id == wave.id, WaveMember.user_id == user.id)
    ).one_or_none()
    return role


def visible_wave_ids(db: Session, user: User) -> set[int] | None:
    """Ids of the waves ``user`` may see (None: every wave, for admins)."""
    if user.role == "admin":
        return None
    return set(db.scalars(select(WaveMember.wave_id).where(WaveMember.user_id == user.id)).all())


@dataclass(frozen=True)
class Access:
    """What a view checks before it runs (set by the decorators of this module).

    Attributes:
        kind: ``public``, ``login`` (any staff user), ``role`` (the user's own role),
            ``wave`` (the user's role on the wave named by the view argument ``arg``) or
            ``token`` (an API token; combined with ``wave`` for wave-scoped API routes).
        roles: the roles let through (admin always is).
        arg: the view argument naming the wave (``wave`` only).
    """

    kind: str
    roles: tuple[str, ...] = ()
    arg: str = ""


def mark_access(view: Callable[..., Any], access: Access) -> Callable[..., Any]:
    """Record ``access`` on ``view`` (outer wrappers copy it with ``functools.wraps``);
    a wave check is kept when an outer decorator (the API token) is added on top."""
    found: Access | None = getattr(view, "kesu_access", None)
    if found is None or found.kind != "wave":
        view.kesu_access = access  # type: ignore[attr-defined]
    return view


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view anyone may open (its own token or form is its check)."""
    return mark_access(view, Access("public"))


def request_user() -> User | None:
    """The API token's user under ``/api/``, else the logged-in staff user, else None."""
    user: User | None = g.get("api_user") or g.get("user")
    return user


def _not_logged_in() -> Any:
    if request.path.startswith("/api/"):
        abort(401, "send Authorization: Bearer <token> (kesu user token USER)")
    return redirect(url_for("admin.login"), code=303)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Redirect to the login page unless a staff user is logged in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("admin.login"), code=303)
        return view(*args, **kwargs)

    return mark_access(wrapped, Access("login"))


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in, and the user's own role is one of ``roles`` (admins always pass), else 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                return redirect(url_for("admin.login"), code=303)
            if user.role != "admin" and user.role not in roles:
                logger.info("user %s (%s) refused %s", user.id, user.role, request.endpoint)
                abort(403, ui_text("err_role"))
            return view(*args, **kwargs)

        return mark_access(wrapped, Access("role", roles))

    return decorator


def wave_role_required(
    *roles: str, arg: str = "name"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in (or an API token) with one of ``roles`` on the wave named by view argument
    ``arg``; sets ``g.wave`` and ``g.wave_role``.

    :raise 404: the user has no role on the wave, or it does not exist (the same answer,
        so names cannot be probed).
    :raise 403: the user's role on the wave is not one of ``roles``.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = request_user()
            if user is None:
                return _not_logged_in()
            wave, role = wave_access(get_session(), user, str(kwargs.get(arg, "")), roles)
            g.wave, g.wave_role = wave, role
            return view(*args, **kwargs)

        return mark_access(wrapped, Access("wave", roles, arg))

    return decorator


def wave_access(db: Session, user: User, name: str, roles: tuple[str, ...]) -> tuple[Wave, str]:
    """The wave called ``name`` and ``user``'s role on it, when that role is one of ``roles``.

    Raises:
        NotFoundError: no such wave, or the user has no role on it (one answer for both).
        ForbiddenError: the user's role is not one of ``roles``.
    """
    wave = None
    if 0 < len(name) <= 64:
        wave = db.scalars(select(Wave).where(Wave.name == name)).one_or_none()
    role = wave_role(db, user, wave) if wave is not None else None
    if wave is None or role is None:
        shown = name[:64]
        raise NotFoundError(f"no wave named {shown!r}", param="wave", ui="err_no_wave",
                            ui_params={"name": shown})  # fmt: skip
    if role != "admin" and role not in roles:
        logger.info("user %s (%s on wave %s) refused %s", user.id, role, wave.id,
                    request.endpoint)  # fmt: skip
        raise ForbiddenError("your role on this wave does not allow this", param="role",
                             ui="err_wave_role")  # fmt: skip
    return wave, role


# -- API tokens --------------------------------------------------------------------------------
def hash_token(token: str) -> str:
    """SHA-256 hex of an API token (tokens are 192 random bits: no slow hash needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_for_api_token(db: Session, token: str) -> User | None:
    """The active user owning a non-revoked API token (and note its use), else None."""
    if not 20 <= len(token) <= 128:
        return None
    row = db.execute(
        select(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False))
    ).one_or_none()
    if row is None or not row[1].active:
        return None
    api_token, user = row
    now = now_utc()
    if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
        api_token.last_used_at = now
        db.commit()
    return user
