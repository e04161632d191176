"""Staff accounts beyond creation: the list, disabling, roles, wave membership and API
tokens (audited).

Passwords and account creation are in :mod:`survey.services`; who may do what is
checked in :mod:`survey.auth`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.auth import hash_token
from survey.auth import revoke_user_sessions
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.models import ROLES
from survey.models import ApiToken
from survey.models import StaffSession
from survey.models import User
from survey.models import Wave
from survey.models import WaveMember
from survey.models import now_utc
from survey.services import audit
from survey.services import get_wave

logger = logging.getLogger(__name__)

#: prefix of API tokens (recognisable in a leaked file; secret scanners can match it)
TOKEN_PREFIX = "kesu_"


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`~survey.models.ROLES`, else BadRequestError."""
    if role not in ROLES:
        raise BadRequestError("unknown role", param="role", got=role[:32], expected=ROLES)
    return role


def get_user(session: Session, username: str) -> User:
    """The user called ``username``. Raises NotFoundError."""
    user = session.scalars(select(User).where(User.username == username[:64])).one_or_none()
    if user is None:
        raise NotFoundError(f"no user {username[:64]!r}", param="username", hint="kesu user list")
    return user


@dataclass(frozen=True)
class Account:
    """A staff account, for ``kesu user list``."""

    username: str
    role: str
    active: bool
    waves: tuple[tuple[str, str], ...]  # (wave, role) memberships
    sessions: int  # open (not revoked, not expired) sessions
    last_seen: datetime | None


def list_users(session: Session) -> list[Account]:
    """Every staff account by name, with its wave roles and open sessions."""
    now = now_utc()
    memberships: dict[int, list[tuple[str, str]]] = {}
    for user_id, wave, role in session.execute(
        select(WaveMember.user_id, Wave.name, WaveMember.role)
        .join(Wave, WaveMember.wave_id == Wave.id)
        .order_by(Wave.name)
    ):
        memberships.setdefault(user_id, []).append((wave, role))
    open_sessions = {
        user_id: (n, seen)
        for user_id, n, seen in session.execute(
            select(StaffSession.user_id, func.count(), func.max(StaffSession.last_seen_at))
            .where(StaffSession.revoked_at.is_(None), StaffSession.expires_at > now)
            .group_by(StaffSession.user_id)
        )
    }
    users = session.scalars(select(User).order_by(User.username)).all()
    out = [
        Account(u.username, u.role, u.active, tuple(memberships.get(u.id, [])),
                open_sessions.get(u.id, (0, None))[0], open_sessions.get(u.id, (0, None))[1])
        for u in users
    ]  # fmt: skip
    session.rollback()
    return out


def set_active(session: Session, username: str, active: bool, *, actor: str) -> int:
    """Disable (or enable again) an account; disabling ends every open session at once
    and its API tokens stop working (they are refused while the account is disabled).
    Returns the number of sessions ended (audited)."""
    begin_write(session)
    user = get_user(session, username)
    user.active = active
    ended = 0 if active else revoke_user_sessions(session, user.id, "disabled")
    audit(session, actor, "user.enable" if active else "user.disable", username,
          sessions_ended=ended)  # fmt: skip
    session.commit()
    return ended


def set_role(session: Session, username: str, role: str, *, actor: str) -> None:
    """Change a user's own role (audited)."""
    check_role(role)
    begin_write(session)
    user = get_user(session, username)
    previous, user.role = user.role, role
    audit(session, actor, "user.role", username, role=role, previous=previous)
    session.commit()


def _membership(
    session: Session, wave_name: str, username: str
) -> tuple[Wave, User, WaveMember | None]:
    """The wave, the user and the user's membership of the wave (None: not a member).

    Raises NotFoundError for an unknown wave or user."""
    wave = get_wave(session, wave_name)
    user = get_user(session, username)
    member = session.scalars(
        select(WaveMember).where(WaveMember.wave_id == wave.id, WaveMember.user_id == user.id)
    ).one_or_none()
    return wave, user, member


def grant(session: Session, wave_name: str, username: str, role: str, *, actor: str) -> None:
    """Give ``username`` the role ``role`` on a wave (replacing an earlier one; audited)."""
    check_role(role)
    begin_write(session)
    wave, user, member = _membership(session, wave_name, username)
    if member is None:
        session.add(WaveMember(wave_id=wave.id, user_id=user.id, role=role))
    else:
        member.role = role
    audit(session, actor, "wave.grant", wave_name, user=username, role=role)
    session.commit()


def revoke(session: Session, wave_name: str, username: str, *, actor: str) -> None:
    """Remove a user from a wave (audited; their assignments stay for reassignment)."""
    begin_write(session)
    _, _, member = _membership(session, wave_name, username)
    if member is None:
        raise NotFoundError(f"{username} is not a member of wave {wave_name}", param="username")
    session.delete(member)
    audit(session, actor, "wave.revoke", wave_name, user=username)
    session.commit()


@dataclass(frozen=True)
class Member:
    """A wave member, for lists."""

    username: str
    role: str


def members(session: Session, wave_name: str) -> list[Member]:
    """The wave's members by username."""
    wave = get_wave(session, wave_name)
    rows = session.execute(
        select(User.username, WaveMember.role)
        .join(WaveMember, WaveMember.user_id == User.id)
        .where(WaveMember.wave_id == wave.id)
        .order_by(User.username)
    ).all()
    return [Member(u, r) for u, r in rows]


def create_api_token(session: Session, username: str, *, actor: str, label: str = "") -> str:
    """A new read-only API token for ``username``; returned once, stored as SHA-256."""
    begin_write(session)
    user = get_user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label[:64]))
    audit(session, actor, "user.token", username, label=label[:64])
    session.commit()
    return token


def revoke_api_tokens(session: Session, username: str, *, actor: str) -> int:
    """Revoke every API token of ``username``; returns how many were active."""
    begin_write(session)
    user = get_user(session, username)
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    ).all()
    for t in tokens:
        t.revoked = True
    audit(session, actor, "user.token_revoke", username, count=len(tokens))
    session.commit()
    return len(tokens)


def revoke_api_token(session: Session, token_id: int, *, actor: str) -> str:
    """Revoke one API token by its id; returns its owner's name (audited).

    Raises:
        NotFoundError: no such token.
    """
    begin_write(session)
    found = session.execute(
        select(ApiToken, User.username)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.id == token_id)
    ).one_or_none()
    if found is None:
        session.rollback()
        raise NotFoundError("no such API token", param="token", ui="err_users_token")
    token, username = found
    was_active = not token.revoked
    token.revoked = True
    audit(session, actor, "user.token_revoke", username, token=token_id, label=token.label,
          was_active=was_active)  # fmt: skip
    session.commit()
    return str(username)
