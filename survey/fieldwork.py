"""Interviewer (CAPI) services: wave settings, assignments, contact attempts, the door-step
roster with respondent selection, and starting an interview.

An interviewer acts only on cases assigned to them: every function that takes a case
checks ``Invitation.interviewer_id`` and answers 404 (as for a missing case) otherwise,
so nothing about another interviewer's households leaks or changes.

The roster keeps only what the selection needs (a nickname or initials, sex, age and,
for the next-birthday rule, the birthday's month and day); the selection itself is
:func:`sampling.selection.kish_grid_select` (balanced grid on the household serial
number) or :func:`sampling.selection.next_birthday_select`, and its within-household
probability ``prob3 = 1 / eligible`` is stored so that the base weight is
``1 / (prob1 * prob2 * prob3)``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from sampling.errors import SamplingError
from sampling.outcomes import DISPOSITIONS
from sampling.outcomes import aapor_category
from sampling.selection import DoorSelection
from sampling.selection import RosterPerson
from sampling.selection import kish_grid_select
from sampling.selection import next_birthday_select
from survey.care import read_help_resources
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ClosedError
from survey.errors import ConflictError
from survey.errors import NotFoundError
from survey.flow import walk
from survey.models import ContactAttempt
from survey.models import HouseholdRoster
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.models import now_utc
from survey.quality import DEFAULT_SPEEDER_SHARE
from survey.quality import DEFAULT_STRAIGHTLINE_MIN_ROWS
from survey.services import audit
from survey.services import completed_invitations
from survey.services import get_wave
from survey.services import questionnaire_of
from survey.services import wave_is_open
from survey.towns import town_code

logger = logging.getLogger(__name__)

#: wave settings and their defaults (``Wave.settings`` overrides them)
WAVE_SETTINGS: dict[str, Any] = {
    #: ask for the respondent's consent and send the tablet's location with a CAPI start
    "gps": False,
    #: door-step rule: "kish" (balanced Kish grid) or "next_birthday"
    "selection": "kish",
    "speeder_share": DEFAULT_SPEEDER_SHARE,
    "straightline_min_rows": DEFAULT_STRAIGHTLINE_MIN_ROWS,
    #: a partial response with at least this share of its questions answered is a
    #: partial interview (1.2), below it a break-off (2.12) (AAPOR 2023, p. 12)
    "partial_threshold": 0.5,
    #: completes wanted: {town: {"total": n, "<group id>": m}}; a town's total defaults
    #: to its number of sampled cases
    "targets": {},
    #: an anonymous wave (also when its questionnaire says so): unit links only, no IP or
    #: device data (survey/anonymity.py); can be switched on only before the first response
    "anonymous": False,
    #: the city's own help lines for the duty-of-care message, replacing the
    #: questionnaire's defaults: [{name, phone, hours?, note?}] (survey/care.py)
    "help_resources": [],
}
#: dispositions an interviewer may record for an attempt (interviews are recorded by
#: the interview itself)
ATTEMPT_CODES: tuple[str, ...] = tuple(c for c in DISPOSITIONS if not c.startswith("1."))
SELECTION_METHODS = ("kish", "next_birthday")
MAX_ROSTER = 20


def wave_settings(wave: Wave) -> dict[str, Any]:
    """The wave's settings over :data:`WAVE_SETTINGS`."""
    out = dict(WAVE_SETTINGS)
    out.update(wave.settings or {})
    return out


def _check_settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in WAVE_SETTINGS:
            raise BadRequestError("unknown setting", param=key, expected=sorted(WAVE_SETTINGS))
        if key == "gps" and not isinstance(value, bool):
            raise BadRequestError("gps is true or false", param=key, got=value)
        if key == "selection" and value not in SELECTION_METHODS:
            raise BadRequestError("unknown rule", param=key, got=value, expected=SELECTION_METHODS)
        if key in ("speeder_share", "partial_threshold") and not (
            isinstance(value, int | float) and 0 < float(value) < 1
        ):
            raise BadRequestError(f"{key} is a share between 0 and 1", param=key, got=value)
        if key == "straightline_min_rows" and not (isinstance(value, int) and 2 <= value <= 100):
            raise BadRequestError("straightline_min_rows is 2..100", param=key, got=value)
        if key == "targets":
            _check_targets(value)
        if key == "anonymous" and not isinstance(value, bool):
            raise BadRequestError("anonymous is true or false", param=key, got=value)
        if key == "help_resources" and value != []:
            read_help_resources(value)
        out[key] = value
    return out


def _check_targets(value: Any) -> None:
    if not isinstance(value, Mapping):
        raise BadRequestError("targets: {town: {total: n, group: m}}", param="targets")
    for town, goals in value.items():
        if not isinstance(goals, Mapping) or not all(
            isinstance(k, str) and isinstance(n, int) and n >= 0 for k, n in goals.items()
        ):
            raise BadRequestError(
                "each town's targets are whole numbers >= 0", param=f"targets.{town}", got=goals
            )


def update_settings(
    session: Session, wave_name: str, changes: Mapping[str, Any], *, actor: str
) -> dict[str, Any]:
    """Change wave settings (checked; audited). Returns the settings in force."""
    checked = _check_settings(changes)
    begin_write(session)
    wave = get_wave(session, wave_name)
    if "anonymous" in checked:
        _check_anonymous_change(session, wave, bool(checked["anonymous"]))
    merged = dict(wave.settings or {})
    merged.update(checked)
    wave.settings = merged
    audit(session, actor, "wave.settings", wave_name, **checked)
    session.commit()
    return wave_settings(wave)


def _check_anonymous_change(session: Session, wave: Wave, anonymous: bool) -> None:
    """Anonymity cannot be given up when the questionnaire asks for it, and cannot be
    switched on or off once responses (or personal invitations) exist."""
    if not anonymous and questionnaire_of(wave.questionnaire_version).anonymous:
        raise ConflictError("the questionnaire is anonymous: the wave cannot stop being so",
                            param="anonymous")  # fmt: skip
    if anonymous == bool((wave.settings or {}).get("anonymous")):
        return
    responses = session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))
    invitations = session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.wave_id == wave.id, Invitation.open_link.is_(False)
        )
    )
    if responses or invitations:
        raise ConflictError(
            "anonymity can be changed only before the wave has invitations or responses",
            param="anonymous", got={"responses": responses, "invitations": invitations},
        )  # fmt: skip


# -- assignments -------------------------------------------------------------------------------
def assign(
    session: Session,
    wave_name: str,
    username: str | None,
    *,
    actor: str,
    household_ids: Sequence[str] = (),
    town: str | None = None,
    psu: str | None = None,
) -> int:
    """Assign cases of a wave to an interviewer (None: unassign); audited. Returns the count.

    Cases are chosen by household ids, or by town and/or PSU; the town by its code or
    either of its names on the questionnaire's list (another is refused). Cases whose
    interview is complete keep their interviewer (the interview is done: a new one would
    only see it in a list of work to do, and the monitor's figures by interviewer would
    move).

    Raises:
        NotFoundError: a household id that is not one of the wave's (nothing is changed:
            a typo must not shrink an assignment silently); the ids are named.
    """
    if not household_ids and town is None and psu is None:
        raise BadRequestError("name households, a town or a PSU", param="household_ids")
    begin_write(session)
    wave = get_wave(session, wave_name)
    if household_ids:
        wanted = list(dict.fromkeys(household_ids))
        known: set[str] = set()
        for start in range(0, len(wanted), 1000):
            known.update(session.scalars(select(Invitation.household_id).where(
                Invitation.wave_id == wave.id,
                Invitation.household_id.in_(wanted[start : start + 1000]))))  # fmt: skip
        unknown = [h for h in wanted if h not in known]
        if unknown:
            session.rollback()
            raise NotFoundError(
                "no such household in this wave", param="household_ids",
                got=unknown[:10], ui="err_unknown_households",
                ui_params={"count": len(unknown), "ids": "、".join(h[:40] for h in unknown[:5])},
            )  # fmt: skip
    if town is not None:
        town = town_code(questionnaire_of(wave.questionnaire_version), town)
    user_id = None
    if username:
        from survey.users import get_user

        user = get_user(session, username)
        user_id = user.id
    stmt = update(Invitation).where(
        Invitation.wave_id == wave.id, Invitation.id.not_in(completed_invitations(wave.id))
    )
    if household_ids:
        stmt = stmt.where(Invitation.household_id.in_(list(household_ids)))
    if town is not None:
        stmt = stmt.where(Invitation.town == town)
    if psu is not None:
        stmt = stmt.where(Invitation.psu == psu)
    count = int(session.execute(stmt.values(interviewer_id=user_id)).rowcount or 0)  # type: ignore[attr-defined]
    if user_id is not None and username:
        from survey.models import WaveMember

        member = session.scalars(
            select(WaveMember).where(WaveMember.wave_id == wave.id, WaveMember.user_id == user_id)
        ).one_or_none()
        if member is None:
            session.add(WaveMember(wave_id=wave.id, user_id=user_id, role="interviewer"))
    audit(session, actor, "wave.assign", wave_name, user=username or "", count=count,
          town=town, psu=psu, households=len(household_ids))  # fmt: skip
    session.commit()
    return count


@dataclass(frozen=True)
class Assignment:
    """One case on an interviewer's list."""

    id: int
    wave: str
    household_id: str
    town: str
    psu: str
    attempts: int
    last_code: str | None
    status: str | None
    selected: str | None
    #: the village's (community's) name when the sample file gives one (see :func:`village_of`)
    village: str = ""


#: sample-file columns that may name a PSU's village or community (kept in the attributes)
VILLAGE_COLUMNS = ("psu_name", "village", "community")


def village_of(attributes: Mapping[str, Any] | None) -> str:
    """The village (community) name of a case from its sample attributes, "" if none."""
    for key in VILLAGE_COLUMNS:
        value = (attributes or {}).get(key)
        if value:
            return str(value)[:64]
    return ""


def attempt_summary(wave_id: int | None = None) -> Subquery:
    """Per invitation (``invitation_id``): the number of contact attempts ``n`` and the id
    of the last one ``last``; only the invitations of wave ``wave_id`` when given."""
    stmt = select(
        ContactAttempt.invitation_id,
        func.count().label("n"),
        func.max(ContactAttempt.id).label("last"),
    )
    if wave_id is not None:
        stmt = stmt.join(Invitation, ContactAttempt.invitation_id == Invitation.id).where(
            Invitation.wave_id == wave_id
        )
    return stmt.group_by(ContactAttempt.invitation_id).subquery()


def assignments(session: Session, user: User) -> list[Assignment]:
    """The cases assigned to ``user`` in open or draft waves, by wave and household."""
    attempts = attempt_summary()
    last = ContactAttempt.__table__.alias("last_attempt")
    rows = session.execute(
        select(
            Invitation.id, Wave.name, Invitation.household_id, Invitation.town, Invitation.psu,
            attempts.c.n, last.c.disposition, Response.status, HouseholdRoster.selected,
            Invitation.attributes,
        )
        .join(Wave, Invitation.wave_id == Wave.id)
        .outerjoin(attempts, attempts.c.invitation_id == Invitation.id)
        .outerjoin(last, last.c.id == attempts.c.last)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .outerjoin(HouseholdRoster, HouseholdRoster.invitation_id == Invitation.id)
        .where(Invitation.interviewer_id == user.id)
        .order_by(Wave.name, Invitation.household_id, Invitation.id)
    ).all()  # fmt: skip
    session.rollback()
    return [
        Assignment(
            id=r[0], wave=r[1], household_id=r[2] or str(r[0]), town=r[3] or "", psu=r[4] or "",
            attempts=int(r[5] or 0), last_code=r[6],
            status=r[7].value if r[7] is not None else None, selected=r[8],
            village=village_of(r[9]),
        )
        for r in rows
    ]  # fmt: skip


def own_case(session: Session, user: User, invitation_id: int, *, lock: bool = False) -> Invitation:
    """The case ``invitation_id`` if it is assigned to ``user`` (admins: any), else 404."""
    stmt = select(Invitation).where(Invitation.id == invitation_id)
    if user.role != "admin":
        stmt = stmt.where(Invitation.interviewer_id == user.id)
    if lock:
        stmt = stmt.with_for_update(of=Invitation)
    inv = session.scalars(stmt).one_or_none()
    if inv is None:
        raise NotFoundError("no such assignment", param="case", hint="open it from your list")
    return inv


@dataclass(frozen=True)
class CaseView:
    """What the household page shows."""

    invitation: Invitation
    attempts: list[ContactAttempt]
    roster: HouseholdRoster | None
    response: Response | None
    settings: dict[str, Any]
    is_open: bool


def case_view(session: Session, user: User, invitation_id: int) -> CaseView:
    """One assigned case with its attempts, roster and interview. Raises NotFoundError."""
    inv = own_case(session, user, invitation_id)
    attempts = list(
        session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.invitation_id == inv.id)
            .order_by(ContactAttempt.id)
        ).all()
    )
    roster = session.scalars(
        select(HouseholdRoster).where(HouseholdRoster.invitation_id == inv.id)
    ).one_or_none()
    resp = session.scalars(select(Response).where(Response.invitation_id == inv.id)).one_or_none()
    view = CaseView(inv, attempts, roster, resp, wave_settings(inv.wave), wave_is_open(inv.wave))
    session.rollback()
    return view


def record_attempt(
    session: Session, user: User, invitation_id: int, code: str, note: str = ""
) -> ContactAttempt:
    """Record a contact attempt with an AAPOR disposition code (not 1.x). Raises 400/404."""
    if code not in ATTEMPT_CODES:
        raise BadRequestError("choose an outcome from the list", param="disposition",
                              got=code[:16], ui="err_choose_outcome")  # fmt: skip
    if len(note) > 200:
        raise BadRequestError("a note has at most 200 characters", param="note",
                              ui="err_note_long", ui_params={"max": 200})  # fmt: skip
    if looks_like_contact(note):
        raise BadRequestError("a note must not hold a phone or ID number", param="note",
                              ui="err_note_personal")  # fmt: skip
    begin_write(session)
    inv = own_case(session, user, invitation_id)
    attempt = ContactAttempt(
        invitation_id=inv.id, interviewer_id=user.id, disposition=code, note=note.strip()
    )
    session.add(attempt)
    audit(session, user.username, "case.attempt", f"invitation:{inv.id}", disposition=code)
    session.commit()
    logger.info("case %s: attempt %s (%s)", inv.id, code, aapor_category(code))
    return attempt


# -- the door step -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberInput:
    """One roster line as entered: a nickname/initials, sex code, age, birthday MM-DD."""

    label: str
    sex: str
    age: int
    birthday: str = ""


#: seven digits or more in a row (spaces, '-' and '+' between them allowed): a phone number
#: (8 digits fixed, 11 mobile) or an ID number, which interviewers' notes must not hold
_CONTACT_NUMBER = re.compile(r"\d(?:[\s+-]*\d){6,}")
#: a date (2026-12-07, 2026/12/07), which a note may hold: taken out before the search
_DATE = re.compile(r"\b\d{4}[-/]\d{1,2}[-/]\d{1,2}\b")


def looks_like_contact(text: str) -> bool:
    """Whether ``text`` holds a phone or ID number (the interviewer's notes and nicknames
    are kept with the case; the survey collects no contact details).

    Example:
        >>> looks_like_contact("下午再来"), looks_like_contact("电话 138-0000-1234")
        (False, True)
        >>> looks_like_contact("约 2026-12-08 10:00 再访")  # a date and a time are no number
        False
    """
    return _CONTACT_NUMBER.search(_DATE.sub(" ", text)) is not None


class RosterProblems(BadRequestError):
    """The problems of several roster lines, said at once (:func:`parse_roster`):
    ``problems`` one per line, in order; ``param`` is the first one's."""

    def __init__(self, problems: list[BadRequestError]) -> None:
        first = problems[0]
        super().__init__("; ".join(p.message for p in problems), param=first.param,
                         ui=first.ui, ui_params=first.ui_params)  # fmt: skip
        self.problems = problems

    def page_text(self) -> str:
        from survey.i18n import ui_text

        return ui_text("list_sep").join(p.page_text() for p in self.problems)


def parse_roster(form: Mapping[str, Sequence[str]]) -> list[MemberInput]:
    """Roster lines from form lists ``label``, ``sex``, ``age``, ``birthday`` (blank lines
    skipped). Raises BadRequestError naming the line and field, the first problem of
    every line at once (:class:`RosterProblems` when there are several)."""
    labels, sexes = form.get("label", []), form.get("sex", [])
    ages, birthdays = form.get("age", []), form.get("birthday", [])
    out = []
    problems: list[BadRequestError] = []
    for i, label in enumerate(labels[:MAX_ROSTER]):
        label = label.strip()
        age_text = ages[i].strip() if i < len(ages) else ""
        if not label and not age_text:
            continue
        where, line = f"roster line {i + 1}", {"line": i + 1}
        sex = sexes[i] if i < len(sexes) else ""
        if not label or len(label) > 16 or looks_like_contact(label):
            problems.append(BadRequestError(
                f"{where}: a nickname or initials (1-16 characters)", param=f"label.{i}",
                ui="err_roster_label", ui_params=line,
            ))  # fmt: skip
        elif sex not in ("1", "2"):
            problems.append(BadRequestError(f"{where}: choose the sex", param=f"sex.{i}",
                                            ui="err_roster_sex", ui_params=line))  # fmt: skip
        elif not age_text.isdecimal() or not 0 <= int(age_text) <= 120:
            problems.append(BadRequestError(
                f"{where}: age is a whole number 0-120", param=f"age.{i}",
                ui="err_roster_age", ui_params={**line, "value": age_text[:8]},
            ))  # fmt: skip
        else:
            birthday = birthdays[i].strip() if i < len(birthdays) else ""
            out.append(MemberInput(label, sex, int(age_text), birthday))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise RosterProblems(problems)
    if not out:
        raise BadRequestError("list the household members first", param="roster",
                              ui="err_roster_empty")  # fmt: skip
    if len({m.label for m in out}) != len(out):
        raise BadRequestError("give each member a different nickname", param="roster",
                              ui="err_roster_same_label")  # fmt: skip
    return out


def _date_of_birth(member: MemberInput, on: dt.date) -> dt.date:
    """A date of birth with ``member.age`` on ``on`` and the given month-day."""
    try:
        month, day = (int(x) for x in member.birthday.split("-"))
        dt.date(2000, month, day)  # a valid month-day (29 February allowed)
    except ValueError:
        raise BadRequestError(
            f"{member.label}: birthday as MM-DD (e.g. 03-15)", param="birthday"
        ) from None
    had_birthday = (month, day) <= (on.month, on.day)
    year = on.year - member.age - (0 if had_birthday else 1)
    try:
        return dt.date(year, month, day)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


def select_respondent(
    members: Sequence[MemberInput],
    method: str,
    *,
    serial: int,
    on: dt.date,
    min_age: int,
    max_age: int,
) -> DoorSelection:
    """The door-step selection (``kish``: balanced grid on ``serial``; ``next_birthday``)."""
    if not any(min_age <= m.age <= max_age for m in members):
        raise BadRequestError(
            f"no household member aged {min_age}-{max_age}: record the outcome 4.70 "
            "(no eligible respondent)", param="roster",
            ui="err_roster_no_adult", ui_params={"low": min_age, "high": max_age},
        )  # fmt: skip
    try:
        if method == "kish":
            roster = [RosterPerson(m.label, m.sex, m.age) for m in members]
            return kish_grid_select(roster, serial=serial, min_age=min_age, max_age=max_age)
        if method == "next_birthday":
            people = [(m.label, _date_of_birth(m, on)) for m in members]
            return next_birthday_select(people, on, min_age=min_age, max_age=max_age)
    except SamplingError as exc:
        raise BadRequestError(exc.message, param="roster", hint=exc.hint, ui="err_roster_other",
                              ui_params={"detail": exc.message}) from None  # fmt: skip
    raise BadRequestError("unknown rule", param="method", got=method, expected=SELECTION_METHODS)


def record_roster(
    session: Session,
    user: User,
    invitation_id: int,
    members: Sequence[MemberInput],
    *,
    on: dt.date | None = None,
) -> HouseholdRoster:
    """Store the roster and the selected respondent (once per household).

    Raises:
        ConflictError: a roster is recorded already. BadRequestError: no eligible adult
        (record 4.70 as the outcome) or bad lines. NotFoundError: not your case.
    """
    begin_write(session)
    inv = own_case(session, user, invitation_id, lock=True)
    exists = session.scalars(
        select(HouseholdRoster.id).where(HouseholdRoster.invitation_id == inv.id)
    ).first()
    if exists is not None:
        raise ConflictError("this household's roster is recorded already", param="roster")
    settings = wave_settings(inv.wave)
    population = questionnaire_of(inv.wave.questionnaire_version).population
    method = str(settings["selection"])
    serial = int(inv.attributes.get("household_number") or inv.id)
    today = on or now_utc().date()
    chosen = select_respondent(
        members, method, serial=serial, on=today,
        min_age=population.min_age, max_age=population.max_age,
    )  # fmt: skip
    stored = [
        {"label": m.label, "sex": m.sex, "age": m.age, **({"birthday": m.birthday}
                                                          if method == "next_birthday" else {})}
        for m in members
    ]  # fmt: skip
    roster = HouseholdRoster(
        invitation_id=inv.id, interviewer_id=user.id, method=chosen.rule, members=stored,
        selected=chosen.person_id, eligible=chosen.eligible, prob3=chosen.probability,
    )  # fmt: skip
    session.add(roster)
    attrs = dict(inv.attributes)
    attrs["prob3"] = chosen.probability
    if "prob1" in attrs and "prob2" in attrs:
        attrs["base_weight"] = 1.0 / (attrs["prob1"] * attrs["prob2"] * chosen.probability)
    inv.attributes = attrs
    audit(session, user.username, "case.roster", f"invitation:{inv.id}", method=chosen.rule,
          eligible=chosen.eligible)  # fmt: skip
    session.commit()
    return roster


def start_interview(
    session: Session,
    user: User,
    invitation_id: int,
    *,
    device: Mapping[str, str],
    gps: tuple[float, float, float | None] | None = None,
    language: str = "zh-CN",
) -> str:
    """Start (or resume) the CAPI interview of an assigned case; returns its token.

    The response records the interviewer and the start time; with the wave's GPS
    setting on and the respondent's consent, ``gps`` = (latitude, longitude, accuracy m).

    Raises:
        ClosedError: wave not open. ConflictError: a household case without a roster.
    """
    begin_write(session)
    inv = own_case(session, user, invitation_id, lock=True)
    if not wave_is_open(inv.wave):
        raise ClosedError("this wave is not open", param="wave")
    resp = session.scalars(select(Response).where(Response.invitation_id == inv.id)).one_or_none()
    if resp is not None:
        token = inv.token
        session.rollback()
        return token
    settings = wave_settings(inv.wave)
    if inv.attributes.get("case_type", "household") == "household":
        roster = session.scalars(
            select(HouseholdRoster.id).where(HouseholdRoster.invitation_id == inv.id)
        ).first()
        if roster is None:
            raise ConflictError("select the respondent from the roster first", param="roster")
    q = questionnaire_of(inv.wave.questionnaire_version)
    first = walk(q, {}, inv.wave.survey_year).section_ids
    now = now_utc()
    paradata: dict[str, Any] = {
        "device": dict(device),
        "seconds": {},
        "interviewer_id": user.id,
        "started": now.isoformat(),
    }
    if gps is not None and settings["gps"]:
        lat, lon, acc = gps
        paradata["gps"] = {"lat": round(lat, 5), "lon": round(lon, 5),
                           "accuracy": None if acc is None else round(acc)}  # fmt: skip
    session.add(
        Response(
            wave_id=inv.wave_id, invitation_id=inv.id, status=ResponseStatus.PARTIAL,
            started_at=now, updated_at=now, mode="capi", language=language, answers={},
            paradata=paradata, page=first[0] if first else "", revision=0,
            interviewer_id=user.id,
        )
    )  # fmt: skip
    audit(session, user.username, "case.start", f"invitation:{inv.id}", gps=gps is not None)
    token = inv.token
    session.commit()
    return token
