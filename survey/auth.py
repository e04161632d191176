"""Who is logged in, and what they may do: roles per wave and view decorators.

Roles (:data:`survey.models.ROLES`): ``admin`` may do everything on every wave;
``statistician`` monitors, reviews and exports; ``viewer`` sees aggregates only;
``interviewer`` works on their own assignments (``/field``). A non-admin's role on a
wave comes from a :class:`~survey.models.WaveMember` row; without one the wave does not
exist for them (404).

Decorators for views of any blueprint (the dashboard uses them too):

* :func:`login_required` - a logged-in staff user, else a redirect to the login page;
* :func:`role_required` ``(*roles)`` - the user's own role is one of ``roles`` (admin
  always passes), else 403;
* :func:`wave_role_required` ``(*roles, arg="name")`` - the user's role on the wave named
  by the view argument ``arg`` is one of ``roles``; 404 when not a member, 403 otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import abort
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.db import get_session
from survey.i18n import ui_text
from survey.models import ApiToken
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


def load_user() -> None:
    """Set ``g.user`` from the session cookie (None for respondents: no query then)."""
    g.user = None
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        user = get_session().get(User, user_id)
        if user is not None and user.active:
            g.user = user


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


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Redirect to the login page unless a staff user is logged in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("admin.login"), code=303)
        return view(*args, **kwargs)

    return wrapped


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

        return wrapped

    return decorator


def wave_role_required(
    *roles: str, arg: str = "name"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in with one of ``roles`` on the wave named by view argument ``arg``.

    Sets ``g.wave`` and ``g.wave_role``. A wave the user is not a member of answers 404
    (as a missing one does); a member with another role gets 403.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                return redirect(url_for("admin.login"), code=303)
            db = get_session()
            name = str(kwargs.get(arg, ""))[:64]
            wave = db.scalars(select(Wave).where(Wave.name == name)).one_or_none()
            role = wave_role(db, user, wave) if wave is not None else None
            if wave is None or role is None:
                abort(404, ui_text("err_no_wave", name=name))
            if role != "admin" and role not in roles:
                logger.info("user %s (%s on wave %s) refused %s", user.id, role, wave.id,
                            request.endpoint)  # fmt: skip
                abort(403, ui_text("err_wave_role"))
            g.wave, g.wave_role = wave, role
            return view(*args, **kwargs)

        return wrapped

    return decorator


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
