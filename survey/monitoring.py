"""Fieldwork monitor: final dispositions per case, AAPOR rates by town and interviewer,
completes against targets, interview lengths, quality flags, and the review of responses.

Rates come from :mod:`sampling.outcomes` (the one place for AAPOR codes and formulas).
A case's final disposition (:func:`derive_disposition`): a complete interview is 1.1;
else a disposition set by staff; else a started interview is a partial (1.2) when at
least ``partial_threshold`` of its questions are answered and a break-off (2.12) below;
else the last contact attempt's code; else 3.19 (web: nothing returned) or 3.11 (not
attempted).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Questionnaire
from sampling.outcomes import OutcomeRates
from sampling.outcomes import aapor_category
from sampling.outcomes import count_categories
from sampling.outcomes import outcome_rates
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import NotFoundError
from survey.fieldwork import attempt_summary
from survey.fieldwork import wave_settings
from survey.flow import is_answered
from survey.flow import walk
from survey.models import ContactAttempt
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import Wave
from survey.models import now_utc
from survey.quality import FLAG_NAMES
from survey.quality import WaveQuality
from survey.quality import flags_for
from survey.quality import speeder_threshold
from survey.services import audit
from survey.services import get_wave
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

REVIEW_DECISIONS = ("accepted", "rejected")


def derive_disposition(
    *,
    explicit: str | None,
    status: str | None,
    answered_share: float | None,
    last_attempt: str | None,
    mode: str,
    partial_threshold: float = 0.5,
) -> str:
    """The final AAPOR disposition of one case (rules in the module docstring)."""
    if status == ResponseStatus.COMPLETE.value:
        return "1.1"
    if explicit:
        return explicit
    if status == ResponseStatus.PARTIAL.value:
        return "1.2" if (answered_share or 0.0) >= partial_threshold else "2.12"
    if last_attempt:
        return last_attempt
    return "3.19" if mode == "web" else "3.11"


def answered_share(q: Questionnaire, answers: dict[str, Any], survey_year: int) -> float:
    """Share of the questions shown so far (skip logic applied) that have an answer."""
    vis = walk(q, answers, survey_year)
    shown = vis.visible_variables
    if not shown:
        return 0.0
    return sum(1 for v in shown if is_answered(vis.answers.get(v))) / len(shown)


@dataclass(frozen=True)
class CaseOutcome:
    """One sampled case (a non-open-link invitation) with its final disposition."""

    invitation_id: int
    household_id: str
    stratum: str
    psu: str
    town: str
    mode: str
    interviewer: str
    attempts: int
    disposition: str
    category: str
    response_id: int | None
    status: str
    rejected: bool
    minutes: float
    attributes: dict[str, Any]


def case_outcomes(session: Session, wave: Wave) -> list[CaseOutcome]:
    """Every sampled case of ``wave`` with its final disposition, by invitation id."""
    settings = wave_settings(wave)
    q = questionnaire_of(wave.questionnaire_version)
    counts = attempt_summary(wave.id)
    last = ContactAttempt.__table__.alias("last_attempt")
    rows = session.execute(
        select(
            Invitation.id, Invitation.household_id, Invitation.stratum, Invitation.psu,
            Invitation.town, Invitation.mode, Invitation.attributes, Invitation.disposition,
            User.username, counts.c.n, last.c.disposition, Response.id, Response.status,
            Response.rejected, Response.duration_seconds,
        )
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .outerjoin(counts, counts.c.invitation_id == Invitation.id)
        .outerjoin(last, last.c.id == counts.c.last)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False))
        .order_by(Invitation.id)
    ).all()  # fmt: skip
    partial_ids = [r[11] for r in rows if r[12] is ResponseStatus.PARTIAL]
    shares: dict[int, float] = {}
    for start in range(0, len(partial_ids), 1000):
        chunk = partial_ids[start : start + 1000]
        for rid, answers in session.execute(
            select(Response.id, Response.answers).where(Response.id.in_(chunk))
        ):
            shares[rid] = answered_share(q, dict(answers or {}), wave.survey_year)
    session.rollback()
    out = []
    for r in rows:
        (inv_id, hh, stratum, psu, town, mode, attrs, explicit, username, n, last_code,
         resp_id, status, rejected, duration) = r  # fmt: skip
        status_text = status.value if status is not None else ""
        code = derive_disposition(
            explicit=explicit, status=status_text or None, answered_share=shares.get(resp_id),
            last_attempt=last_code, mode=mode,
            partial_threshold=float(settings["partial_threshold"]),
        )  # fmt: skip
        out.append(
            CaseOutcome(
                invitation_id=inv_id, household_id=hh or str(inv_id), stratum=stratum or "",
                psu=psu or "", town=town or "", mode=mode, interviewer=username or "",
                attempts=int(n or 0), disposition=code, category=aapor_category(code),
                response_id=resp_id, status=status_text, rejected=bool(rejected),
                minutes=duration / 60 if duration is not None else math.nan,
                attributes=dict(attrs or {}),
            )
        )  # fmt: skip
    return out


def quality_context(session: Session, wave: Wave) -> WaveQuality:
    """The wave-level facts of the quality flags (median length, duplicates)."""
    settings = wave_settings(wave)
    complete = (Response.wave_id == wave.id) & (Response.status == ResponseStatus.COMPLETE)
    median = median_duration(session, complete)
    hashes = session.scalars(
        select(Response.answers_hash)
        .where(complete, Response.answers_hash.is_not(None))
        .group_by(Response.answers_hash)
        .having(func.count() > 1)
    ).all()
    devices = session.scalars(
        select(Response.device_id)
        .where(complete, Response.device_id.is_not(None), Response.mode == "web")
        .group_by(Response.device_id)
        .having(func.count() > 1)
    ).all()
    session.rollback()
    return WaveQuality(
        median_seconds=median,
        speeder_seconds=speeder_threshold([median], float(settings["speeder_share"])),
        straightline_min_rows=int(settings["straightline_min_rows"]),
        duplicate_devices=frozenset(d for d in devices if d),
        duplicate_hashes=frozenset(h for h in hashes if h),
    )


def median_duration(session: Session, condition: Any) -> float:
    """The median of the finite ``duration_seconds`` of the responses meeting
    ``condition`` (NaN when there are none), as :func:`numpy.median` gives it (the mean of
    the two middle values of an even count), found by the database: it sorts the
    durations and sends the one or two middle values, not every duration."""
    finite = (Response.duration_seconds < 1e308) & (Response.duration_seconds > -1e308)
    where = (condition, Response.duration_seconds.is_not(None), finite)
    n = session.scalar(select(func.count()).select_from(Response).where(*where)) or 0
    if n == 0:
        return math.nan
    low, high = (n - 1) // 2, n // 2
    middle = session.scalars(
        select(Response.duration_seconds)
        .where(*where)
        .order_by(Response.duration_seconds)
        .offset(low)
        .limit(high - low + 1)
    ).all()
    return float(np.mean(np.asarray(middle, dtype=np.float64)))


@dataclass(frozen=True)
class CompleteRow:
    """What the monitor needs of one complete response."""

    response_id: int
    interviewer: str
    town: str
    groups: tuple[str, ...]
    flags: dict[str, int]
    minutes: float
    rejected: bool
    review: str


def complete_rows(session: Session, wave: Wave, context: WaveQuality) -> Iterator[CompleteRow]:
    """Flags and key groups of every complete response (streamed in id order)."""
    q = questionnaire_of(wave.questionnaire_version)
    town_item = q.items_by_concept().get("town")
    stmt = (
        select(Response.id, Response.answers, Response.duration_seconds, Response.device_id,
               Response.answers_hash, Response.mode, Response.rejected, Response.review,
               Invitation.town, User.username)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .where(Response.wave_id == wave.id, Response.status == ResponseStatus.COMPLETE)
        .order_by(Response.id)
        .execution_options(yield_per=2000)
    )  # fmt: skip
    for (
        rid,
        answers,
        duration,
        device,
        digest,
        mode,
        rejected,
        review,
        town,
        user,
    ) in session.execute(stmt):
        answers = dict(answers or {})
        env = q.environment(answers, wave.survey_year)
        groups = tuple(g.id for g in q.groups if g.rule.test(env))
        flags = flags_for(q, answers, duration=duration, device_id=device, answer_hash=digest,
                          mode=mode, context=context)  # fmt: skip
        answered_town = answers.get(town_item.id) if town_item is not None else None
        yield CompleteRow(
            response_id=rid, interviewer=user or "", town=town or str(answered_town or ""),
            groups=groups, flags=flags,
            minutes=duration / 60 if duration is not None else math.nan,
            rejected=bool(rejected), review=review or "",
        )  # fmt: skip


@dataclass(frozen=True)
class RateRow:
    """Figures of one group of cases (the wave, a town or an interviewer)."""

    key: str
    cases: int
    completes: int
    rates: OutcomeRates
    median_minutes: float
    flags: dict[str, int]
    target: int | None = None


@dataclass(frozen=True)
class TargetRow:
    """Completes against the target of a town (``group`` '' for all) or key group."""

    town: str
    group: str
    target: int
    completes: int

    @property
    def share(self) -> float:
        return self.completes / self.target if self.target else math.nan


@dataclass(frozen=True)
class FieldworkStatus:
    """Everything the monitor page and ``kesu fieldwork status`` show."""

    wave: str
    overall: RateRow
    by_town: list[RateRow]
    by_interviewer: list[RateRow]
    targets: list[TargetRow]
    flagged: list[CompleteRow]
    open_link_completes: int
    speeder_minutes: float
    settings: dict[str, Any] = field(default_factory=dict)
    #: all flagged or reviewed completes (``flagged`` holds the first ``max_flagged``)
    flagged_total: int = 0


def _median(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


@dataclass
class _Tally:
    """Running figures of the completes of one group (no per-response objects kept)."""

    minutes: list[float] = field(default_factory=list)
    flags: Counter[str] = field(default_factory=Counter)
    kept: int = 0
    groups: Counter[str] = field(default_factory=Counter)

    def add(self, row: CompleteRow) -> None:
        self.minutes.append(row.minutes)
        self.flags.update({k: v for k, v in row.flags.items() if v})
        if not row.rejected:
            self.kept += 1
            self.groups.update(row.groups)


def _rate_row(key: str, cases: list[CaseOutcome], tally: _Tally, target: int | None) -> RateRow:
    return RateRow(
        key=key,
        cases=len(cases),
        completes=sum(1 for c in cases if c.category == "I"),
        rates=outcome_rates(count_categories([c.disposition for c in cases])),
        median_minutes=_median(tally.minutes),
        flags={name: int(tally.flags.get(name, 0)) for name in FLAG_NAMES},
        target=target,
    )


def fieldwork_status(
    session: Session, wave_name: str, *, max_flagged: int = 200
) -> FieldworkStatus:
    """The monitor's figures for a wave (completes streamed). Raises NotFoundError."""
    wave = get_wave(session, wave_name)
    settings = wave_settings(wave)
    cases = case_outcomes(session, wave)
    context = quality_context(session, wave)
    by_response = {c.response_id: c for c in cases if c.response_id is not None}
    overall = _Tally()
    towns: defaultdict[str, _Tally] = defaultdict(_Tally)
    users: defaultdict[str, _Tally] = defaultdict(_Tally)
    flagged: list[CompleteRow] = []
    flagged_total = 0
    open_link = 0
    for row in complete_rows(session, wave, context):
        case = by_response.get(row.response_id)
        overall.add(row)
        if case is None:
            open_link += 1
        else:
            row = _with_case(row, case)
            towns[row.town].add(row)
            users[row.interviewer].add(row)
        if any(row.flags.values()) or row.review:
            flagged_total += 1
            if len(flagged) < max_flagged:
                flagged.append(row)
    session.rollback()
    town_cases: dict[str, list[CaseOutcome]] = defaultdict(list)
    user_cases: dict[str, list[CaseOutcome]] = defaultdict(list)
    for c in cases:
        town_cases[c.town].append(c)
        user_cases[c.interviewer].append(c)
    goals = settings.get("targets") or {}
    by_town = [
        _rate_row(t, cases_t, towns[t], int(goals.get(t, {}).get("total", len(cases_t))))
        for t, cases_t in sorted(town_cases.items())
    ]
    by_user = [_rate_row(u, user_cases[u], users[u], None) for u in sorted(user_cases)]
    return FieldworkStatus(
        wave=wave.name,
        overall=_rate_row("", cases, overall, len(cases) or None),
        by_town=by_town,
        by_interviewer=by_user,
        targets=_targets(goals, town_cases, towns),
        flagged=flagged,
        open_link_completes=open_link,
        speeder_minutes=context.speeder_seconds / 60,
        settings=settings,
        flagged_total=flagged_total,
    )


def _with_case(row: CompleteRow, case: CaseOutcome) -> CompleteRow:
    return CompleteRow(
        response_id=row.response_id, interviewer=case.interviewer or row.interviewer,
        town=case.town or row.town, groups=row.groups, flags=row.flags, minutes=row.minutes,
        rejected=row.rejected, review=row.review,
    )  # fmt: skip


def _targets(
    goals: dict[str, Any], town_cases: dict[str, list[CaseOutcome]], towns: dict[str, _Tally]
) -> list[TargetRow]:
    out = []
    for town in sorted(set(town_cases) | set(goals)):
        wanted = dict(goals.get(town, {}))
        total = int(wanted.pop("total", len(town_cases.get(town, []))))
        tally = towns.get(town) or _Tally()
        out.append(TargetRow(town, "", total, tally.kept))
        for group, target in sorted(wanted.items()):
            out.append(TargetRow(town, group, int(target), tally.groups.get(group, 0)))
    return out


# -- review ------------------------------------------------------------------------------------
def review_response(
    session: Session, response_id: int, decision: str, reason: str, *, actor: str,
    wave_name: str | None = None,
) -> None:  # fmt: skip
    """Accept or reject a complete response with a reason (audited; never deleted).

    A rejected response stays in the database and in exports (``rejected`` = 1) but is
    left out of the analysis table and so of every estimate.

    Raises:
        BadRequestError: unknown decision or no reason. NotFoundError: no such response
        (in ``wave_name`` when given).
    """
    if decision not in REVIEW_DECISIONS:
        raise BadRequestError("decision is accepted or rejected", param="decision",
                              got=decision[:16])  # fmt: skip
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise BadRequestError("give a reason (3-500 characters)", param="reason",
                              ui="err_review_reason")  # fmt: skip
    begin_write(session)
    stmt = select(Response).where(Response.id == response_id).with_for_update()
    resp = session.scalars(stmt).one_or_none()
    if resp is None or (wave_name is not None and get_wave(session, wave_name).id != resp.wave_id):
        raise NotFoundError("no such response", param="response")
    previous = resp.review
    resp.review = decision
    resp.rejected = decision == "rejected"
    resp.review_reason = reason
    resp.reviewed_by = actor[:64]
    resp.reviewed_at = now_utc()
    audit(session, actor, f"response.{decision[:-2]}", f"response:{resp.id}", reason=reason,
          previous=previous)  # fmt: skip
    session.commit()
    logger.info("response %s %s", resp.id, decision)


def format_time(value: datetime | None) -> str:
    """ISO time without microseconds ('' for None)."""
    return value.isoformat(timespec="seconds") if value is not None else ""
