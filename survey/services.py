"""Survey services: waves, invitations, users, audit log and questionnaire versions.

Every function takes an explicit :class:`~sqlalchemy.orm.Session`, owns its commit or
rollback and raises :class:`~survey.errors.SurveyError` subclasses with a message that
says what to fix. The respondent workflow is in :mod:`survey.responses`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from questionnaires import Questionnaire
from questionnaires import QuestionnaireError
from questionnaires import parse_questionnaire
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ConflictError
from survey.errors import NotFoundError
from survey.errors import TooManyRequestsError
from survey.models import ROLES
from survey.models import AuditLog
from survey.models import Invitation
from survey.models import LoginFailure
from survey.models import QuestionnaireVersion
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.models import WaveStatus
from survey.models import now_utc
from survey.towns import town_code

logger = logging.getLogger(__name__)

#: bytes of randomness in an invitation token (192 bits; >= 128 required)
TOKEN_BYTES = 24
#: ``class``: a student in a proctored classroom session (survey/classroom.py)
MODES = ("web", "capi", "cati", "paper", "class")
#: a wave name: 1-64 ASCII letters, digits, '-', '_' or '.' (it appears in URLs, file names
#: and download headers; ``str.isalnum`` would also accept 义乌 and ²)
WAVE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CACHE_SIZE = 32
_questionnaires: OrderedDict[str, Questionnaire] = OrderedDict()


def new_token() -> str:
    """An unguessable URL-safe token (``secrets.token_urlsafe``, 192 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


# -- questionnaire versions ---------------------------------------------------------------
def cached_questionnaire(content_hash: str) -> Questionnaire | None:
    """The parsed questionnaire with this content hash, if this process has it cached."""
    return _questionnaires.get(content_hash)


def questionnaire_of(version: QuestionnaireVersion) -> Questionnaire:
    """The parsed questionnaire of a stored version (cached by content hash: immutable)."""
    cached = _questionnaires.get(version.content_hash)
    if cached is not None:
        _questionnaires.move_to_end(version.content_hash)
        return cached
    q = parse_questionnaire(version.yaml_text.encode("utf-8"), source=version.source_name)
    _questionnaires[version.content_hash] = q
    while len(_questionnaires) > _CACHE_SIZE:
        _questionnaires.popitem(last=False)
    return q


def store_questionnaire(
    session: Session, data: bytes, source_name: str
) -> tuple[QuestionnaireVersion, Questionnaire]:
    """Check a questionnaire file and store it (or find the identical stored version).

    Does not commit. Raises:
        BadRequestError: the file is not a valid questionnaire; lists its problems.
    """
    try:
        q = parse_questionnaire(data, source=source_name)
    except QuestionnaireError as exc:
        raise BadRequestError(
            f"the questionnaire file has problems:\n{exc}",
            param="questionnaire",
            hint="fix them (kesu questionnaire validate FILE) and upload again",
            ui="err_questionnaire_file",
            ui_params={"problems": str(exc)},
        ) from None
    existing = session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == q.content_hash)
    ).one_or_none()
    if existing is not None:
        return existing, q
    version = QuestionnaireVersion(
        questionnaire_id=q.id,
        version=q.version,
        content_hash=q.content_hash,
        yaml_text=data.decode("utf-8"),
        source_name=source_name[-255:],
    )
    session.add(version)
    session.flush()
    return version, q


# -- anonymous waves (the unit links and the rest: survey/anonymity.py) --------------------
def is_anonymous(q: Questionnaire, settings: dict[str, Any] | None) -> bool:
    """Anonymous by the questionnaire (``anonymous: true``) or by the wave's settings."""
    return bool(q.anonymous or (settings or {}).get("anonymous") is True)


def wave_is_anonymous(wave: Wave) -> bool:
    """Whether ``wave`` is anonymous (:func:`is_anonymous`)."""
    return is_anonymous(questionnaire_of(wave.questionnaire_version), wave.settings)


def completed_invitations(wave_id: int) -> Select[int]:
    """The ids of a wave's invitations whose response is complete (a subquery: what an
    assignment leaves alone and a QR sheet leaves out)."""
    return select(Response.invitation_id).where(
        Response.wave_id == wave_id, Response.status == ResponseStatus.COMPLETE
    )


def refuse_if_anonymous(wave: Wave, what: str) -> None:
    """Stop personal recruitment on an anonymous wave with a clear 409.

    Raises:
        ConflictError: the wave is anonymous.
    """
    if wave_is_anonymous(wave):
        raise ConflictError(
            f"wave {wave.name!r} is anonymous: {what} would tie answers to people",
            param="wave",
            hint="recruit through unit links (kesu wave units NAME FILE.csv)",
            ui="err_anonymous_wave",
        )


def day_of(moment: datetime) -> datetime:
    """``moment`` truncated to the start of its UTC day (what an anonymous wave keeps)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


#: the ids an anonymous wave's invitations and responses are drawn from: [2**30, 2**30 +
#: 2**29), inside PostgreSQL's ``integer`` with 2**29 to spare above them (SQLite gives
#: the next automatic id after the largest, so ids made after a drawn one stay in range)
UNORDERED_ID_BASE = 1 << 30
UNORDERED_ID_SPAN = 1 << 29


def unordered_id(session: Session, model: type[Invitation] | type[Response]) -> int:
    """A free id for a new row of ``model`` in an anonymous wave, drawn at random
    (``secrets``) from :data:`UNORDERED_ID_BASE` + [0, :data:`UNORDERED_ID_SPAN`).

    Sequential ids would keep what the day-coarsened times hide: the order in which
    people started, which whoever saw them start could match to the rows of an export
    (sorted by id) or to the response browser. A drawn id says nothing of the order. A
    draw that hits an existing row (about one in 500,000 per row at 1,000 rows) is drawn
    again; the row's insert still guards the key."""
    while True:
        candidate = UNORDERED_ID_BASE + secrets.randbelow(UNORDERED_ID_SPAN)
        if session.get(model, candidate) is None:
            return candidate


def coarsen_wave_times(session: Session, wave_id: int) -> int:
    """Truncate every response time of a wave to its UTC day (when an anonymous wave is
    closed, so that abandoned partial responses lose their last-save time too); does not
    commit. Returns the number of responses."""
    responses = session.scalars(select(Response).where(Response.wave_id == wave_id)).all()
    for resp in responses:
        resp.started_at = day_of(resp.started_at)
        resp.updated_at = day_of(resp.updated_at)
        if resp.completed_at is not None:
            resp.completed_at = day_of(resp.completed_at)
    return len(responses)


# -- audit ---------------------------------------------------------------------------------
def audit(session: Session, actor: str, action: str, target: str = "", **details: Any) -> AuditLog:
    """Add an audit entry (committed with the action it records)."""
    entry = AuditLog(actor=actor[:64], action=action, target=target[:128], details=details)
    session.add(entry)
    return entry


# -- waves -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WaveSummary:
    """A wave with its response counts, for lists."""

    id: int
    name: str
    status: str
    questionnaire: str
    content_hash: str
    survey_year: int
    allow_learn: bool
    open_recruitment: bool
    open_token: str | None
    opens_at: datetime | None
    closes_at: datetime | None
    invitations: int
    partial: int
    complete: int
    created_at: datetime | None = None
    #: the last time a response of the wave was saved (None: no response yet)
    last_response_at: datetime | None = None


def get_wave(session: Session, name: str) -> Wave:
    """The wave called ``name``. Raises NotFoundError."""
    wave = session.scalars(select(Wave).where(Wave.name == name)).one_or_none()
    if wave is None:
        raise NotFoundError(f"no wave named {name!r}", param="wave", hint="kesu wave list")
    return wave


def create_wave(
    session: Session,
    *,
    name: str,
    questionnaire_data: bytes,
    source_name: str,
    actor: str,
    survey_year: int | None = None,
    allow_learn: bool = True,
    open_recruitment: bool = False,
    modes: tuple[str, ...] = ("web",),
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> WaveSummary:
    """Create a draft wave that freezes the given questionnaire file.

    Raises:
        BadRequestError: invalid name, modes, dates or questionnaire.
        ConflictError: a wave with this name exists.
    """
    name = name.strip()
    if not WAVE_NAME.fullmatch(name):
        raise BadRequestError(
            "a wave name is 1-64 letters, digits, '-', '_' or '.'", param="name", got=name[:64],
            ui="err_wave_name",
        )  # fmt: skip
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise BadRequestError("unknown mode", param="modes", got=bad, expected=MODES)
    if opens_at and closes_at and closes_at <= opens_at:
        raise BadRequestError(
            "the wave must close after it opens", param="closes_at", ui="err_wave_dates"
        )
    begin_write(session)
    version, q = store_questionnaire(session, questionnaire_data, source_name)
    if q.anonymous and (open_recruitment or set(modes) != {"web"}):
        raise BadRequestError(
            "an anonymous questionnaire is answered on the web through unit links only: "
            "no wave-wide open link, no interviewer modes",
            param="modes", got=list(modes), ui="err_anonymous_modes",
        )  # fmt: skip
    if survey_year is not None and not 1900 <= survey_year <= 2200:
        raise BadRequestError("survey year out of range", param="survey_year", got=survey_year,
                              ui="err_survey_year")  # fmt: skip
    wave = Wave(
        name=name,
        questionnaire_version_id=version.id,
        status=WaveStatus.DRAFT,
        survey_year=survey_year or q.reference_year,
        allow_learn=allow_learn,
        open_recruitment=open_recruitment,
        open_token=new_token() if open_recruitment else None,
        modes=list(modes),
        opens_at=opens_at,
        closes_at=closes_at,
    )
    session.add(wave)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"a wave named {name!r} exists already", param="name",
                            ui="err_wave_exists", ui_params={"name": name}) from None  # fmt: skip
    audit(session, actor, "wave.create", name, questionnaire=q.id, content_hash=q.content_hash)
    session.commit()
    logger.info("wave %s created with questionnaire %s", name, q.short_hash)
    return summarize(session, wave)


def set_wave_status(session: Session, name: str, status: WaveStatus, actor: str) -> WaveSummary:
    """Open or close a wave (a closed wave can be reopened). Raises NotFoundError."""
    begin_write(session)
    wave = get_wave(session, name)
    old = wave.status
    wave.status = status
    if status is WaveStatus.CLOSED and wave_is_anonymous(wave):
        coarsen_wave_times(session, wave.id)
    audit(session, actor, f"wave.{status.value}", name, previous=old.value)
    session.commit()
    return summarize(session, wave)


def summarize(session: Session, wave: Wave) -> WaveSummary:
    """A :class:`WaveSummary` with counts."""
    invitations = session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.wave_id == wave.id)
    )
    counts = dict(
        session.execute(
            select(Response.status, func.count())
            .where(Response.wave_id == wave.id)
            .group_by(Response.status)
        ).all()
    )
    last = session.scalar(select(func.max(Response.updated_at)).where(Response.wave_id == wave.id))
    if last is not None and last.tzinfo is None:  # SQLite forgets the zone of an aggregate
        last = last.replace(tzinfo=UTC)
    qv = wave.questionnaire_version
    return WaveSummary(
        id=wave.id,
        name=wave.name,
        status=wave.status.value,
        questionnaire=f"{qv.questionnaire_id} v{qv.version}",
        content_hash=qv.content_hash,
        survey_year=wave.survey_year,
        allow_learn=wave.allow_learn,
        open_recruitment=wave.open_recruitment,
        open_token=wave.open_token,
        opens_at=wave.opens_at,
        closes_at=wave.closes_at,
        invitations=int(invitations or 0),
        partial=int(counts.get(ResponseStatus.PARTIAL, 0)),
        complete=int(counts.get(ResponseStatus.COMPLETE, 0)),
        created_at=wave.created_at,
        last_response_at=last,
    )


def list_waves(session: Session) -> list[WaveSummary]:
    """Every wave, newest first, with counts."""
    waves = session.scalars(select(Wave).order_by(Wave.id.desc())).all()
    return [summarize(session, w) for w in waves]


def create_invitations(
    session: Session,
    wave_name: str,
    count: int,
    *,
    actor: str,
    stratum: str | None = None,
    psu: str | None = None,
    town: str | None = None,
    mode: str = "web",
    attributes: dict[str, Any] | None = None,
) -> list[str]:
    """Create ``count`` invitations (1..10000) and return their tokens.

    ``town`` is stored as the questionnaire's code (its code or either name accepted).

    Raises:
        BadRequestError: a count out of range, an unknown mode, a town not on the
            questionnaire's list.
    """
    if not 1 <= count <= 10_000:
        raise BadRequestError("count must be 1..10000", param="count", got=count)
    if mode not in MODES:
        raise BadRequestError("unknown mode", param="mode", got=mode, expected=MODES)
    begin_write(session)
    wave = get_wave(session, wave_name)
    refuse_if_anonymous(wave, "personal invitations")
    if town is not None:
        town = town_code(questionnaire_of(wave.questionnaire_version), town)
    tokens = [new_token() for _ in range(count)]
    session.add_all(
        Invitation(
            wave_id=wave.id,
            token=t,
            stratum=stratum,
            psu=psu,
            town=town,
            mode=mode,
            attributes=dict(attributes or {}),
        )
        for t in tokens
    )
    audit(session, actor, "wave.invite", wave_name, count=count, stratum=stratum, psu=psu)
    session.commit()
    return tokens


# -- users -----------------------------------------------------------------------------------
#: the shortest password accepted
MIN_PASSWORD_LENGTH = 12
#: zxcvbn's score (0-4) a password needs: 3 = "safely unguessable" (about 10^10 guesses)
MIN_PASSWORD_SCORE = 3


def check_password(username: str, password: str) -> None:
    """The password policy: at least :data:`MIN_PASSWORD_LENGTH` characters, not the user
    name (nor containing it), not in zxcvbn's list of the 30,000 most common passwords, and
    a zxcvbn score of at least :data:`MIN_PASSWORD_SCORE` (no keyboard runs, repeats or
    dates dressed up as a password).

    Raises:
        BadRequestError: what is wrong, and how to choose better.
    """
    import zxcvbn
    from zxcvbn.matching import RANKED_DICTIONARIES

    hint = "use four or more unrelated words, or a password manager's random password"
    folded, name = password.casefold(), username.strip().casefold()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequestError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
                              param="password", hint=hint, ui="err_password_short",
                              ui_params={"n": MIN_PASSWORD_LENGTH})  # fmt: skip
    if name and (folded == name or (len(name) >= 3 and name in folded)):
        raise BadRequestError("a password must not contain the user name", param="password",
                              hint=hint, ui="err_password_name")  # fmt: skip
    if folded in RANKED_DICTIONARIES["passwords"]:
        raise BadRequestError("this is one of the most common passwords", param="password",
                              hint=hint, ui="err_password_common")  # fmt: skip
    result = zxcvbn.zxcvbn(password[:200], user_inputs=[username, "kesu", "yiwu", "survey"])
    if result["score"] < MIN_PASSWORD_SCORE:
        why = result["feedback"]["warning"] or "it is easy to guess"
        raise BadRequestError(f"this password is too easy to guess ({why})", param="password",
                              hint=hint, ui="err_password_weak")  # fmt: skip


def create_user(
    session: Session, username: str, password: str, *, actor: str, role: str = "viewer"
) -> User:
    """Create a staff account (password stored as a salted scrypt hash).

    The default role is the least privilege: ``viewer``, which sees nothing until given a
    role on a wave (``kesu user grant``).

    Raises:
        BadRequestError: username not 1-64 safe characters, or a password refused by
            :func:`check_password`.
        ConflictError: the username is taken.
    """
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise BadRequestError("a username is 1-64 letters, digits or -_.@", param="username",
                              got=username[:64], ui="err_username_form")  # fmt: skip
    check_password(username, password)
    if role not in ROLES:
        raise BadRequestError("unknown role", param="role", got=role[:32], expected=ROLES)
    begin_write(session)
    # "Admin" beside "admin" would be two accounts that staff and the audit log confuse
    taken = session.scalars(
        select(User.username).where(func.lower(User.username) == username.lower())
    ).first()
    if taken is not None:
        session.rollback()
        raise _user_exists(taken)
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # made meanwhile by another request
        session.rollback()
        raise _user_exists(username) from None
    audit(session, actor, "user.create", username, role=role)
    session.commit()
    return user


def _user_exists(username: str) -> ConflictError:
    return ConflictError(f"user {username!r} exists already", param="username",
                         ui="err_user_exists", ui_params={"user": username})  # fmt: skip


#: a username: ASCII letters, digits and -_.@ (it appears in logs and the audit trail)
USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def set_password(session: Session, username: str, password: str, *, actor: str) -> int:
    """Replace a user's password and end every session of theirs (audited); returns the
    number of sessions ended.

    Raises:
        BadRequestError: the password is refused (:func:`check_password`).
        NotFoundError: no such user.
    """
    from survey.auth import revoke_user_sessions

    check_password(username, password)
    begin_write(session)
    user = session.scalars(select(User).where(User.username == username[:64])).one_or_none()
    if user is None:
        raise NotFoundError(f"no user {username[:64]!r}", param="username", hint="kesu user list")
    user.password_hash = generate_password_hash(password)
    ended = revoke_user_sessions(session, user.id, "password")
    audit(session, actor, "user.password", username, sessions_ended=ended)
    session.commit()
    return ended


@functools.cache
def _dummy_hash() -> str:
    """A real hash, so that unknown usernames take as long as wrong passwords (made on
    first use: scrypt costs ~0.1 s, which every process importing this module paid)."""
    return generate_password_hash("not-a-password-kesu")


#: failed logins of one account allowed before the slowdown starts
FREE_LOGIN_FAILURES = 5
#: the first wait after them (doubling with every further failure) and the longest
FIRST_LOGIN_DELAY = 15
MAX_LOGIN_DELAY = 900


def login_delay(failures: int) -> int:
    """Seconds an account must wait after ``failures`` consecutive failed logins: none for
    the first :data:`FREE_LOGIN_FAILURES`, then 15 s doubling up to 15 minutes.

    Example:
        >>> [login_delay(n) for n in (4, 5, 6, 7, 12)]
        [0, 15, 30, 60, 900]
    """
    if failures < FREE_LOGIN_FAILURES:
        return 0
    return int(min(FIRST_LOGIN_DELAY * 2 ** (failures - FREE_LOGIN_FAILURES), MAX_LOGIN_DELAY))


def _login_key(username: str) -> str:
    return hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()


def authenticate(
    session: Session, username: str, password: str, *, address: str = "-"
) -> User | None:
    """The active user with this username and password, else None (constant-ish time).

    Every failure is written to the audit log (``user.login_failed``: the account when it
    exists, the address, the count; never the password or an unknown name) and logged as a
    warning (shown by gunicorn). After :data:`FREE_LOGIN_FAILURES` consecutive failures for
    a username (known or not, so the slowdown does not tell which exist) each further try
    must wait :func:`login_delay`; a success clears the count. This works across workers
    and without Redis (the counts are in the database), beside the per-address rate limit.

    Raises:
        TooManyRequestsError: the username's slowdown is running (``retry_after`` seconds).
    """
    key = _login_key(username)
    now = now_utc()
    begin_write(session)
    failure = session.get(LoginFailure, key, with_for_update=True)
    if failure is not None:
        wait = (failure.last_failed_at - now).total_seconds() + login_delay(failure.failures)
        if wait > 0:
            session.rollback()
            logger.warning("login refused: %d failed logins in a row for one username "
                           "(from %s); wait %d s", failure.failures, address, wait)  # fmt: skip
            raise TooManyRequestsError(
                "too many failed logins for this account; wait and try again",
                retry_after=int(wait) + 1, param="username", ui="err_login_slowdown",
                ui_params={"seconds": int(wait) + 1},
            )  # fmt: skip
    user = None
    if len(username) <= 64:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password)
    if ok:
        if failure is not None:
            session.delete(failure)
            session.commit()
        else:
            session.rollback()
        return user
    if failure is None:
        failure = LoginFailure(key_hash=key, failures=0)
        session.add(failure)
        # forget old counts now and then (names tried once by a scanner stay a day at most)
        if secrets.randbelow(50) == 0:
            session.execute(delete(LoginFailure).where(
                LoginFailure.last_failed_at < now - timedelta(days=1)))  # fmt: skip
    failure.failures += 1
    failure.last_failed_at = now
    account = user.username if user is not None else ""
    reason = "unknown user" if user is None else ("disabled" if not user.active else "password")
    audit(session, "-", "user.login_failed", account, address=address[:64],
          failures=failure.failures, reason=reason)  # fmt: skip
    count = failure.failures
    session.commit()
    logger.warning("failed login for %s from %s (%s; %d in a row)",
                   repr(account) if account else "an unknown username", address, reason,
                   count)  # fmt: skip
    return None


def wave_is_open(wave: Wave, at: datetime | None = None) -> bool:
    """Open status and within the open/close dates."""
    at = at or now_utc()
    if wave.status is not WaveStatus.OPEN:
        return False
    if wave.opens_at is not None and at < wave.opens_at:
        return False
    return not (wave.closes_at is not None and at >= wave.closes_at)
