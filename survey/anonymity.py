"""Anonymous waves: open links per unit with a quota, and nothing that links an answer
to a person or a device.

A wave is anonymous when its questionnaire says ``anonymous: true`` or its settings do
(``kesu wave settings NAME '{"anonymous": true}'``, only before the first response).
For an anonymous wave kesu:

* recruits only through **unit links** (:class:`~survey.models.UnitLink`): one open link
  per unit (a department, a town office), each with a quota of completes; a new start
  is refused once the unit's completes reach the quota (a respondent already answering
  may finish: an acknowledged answer is never refused). Personal invitations, sample
  imports, CAPI and the wave-wide open link are refused;
* stores **no IP address, User-Agent, device class or device cookie** with a response
  (no ``device_id``, no ``paradata.device``), and no duplicate-device flag can arise;
* coarsens the response's and its invitation's timestamps to the day (UTC) when the
  response is complete, and every response's when the wave is closed; while a response
  is in progress its last-save time is kept, to time the pages (speeder check);
* draws the ids of its invitations and responses at random
  (:func:`~survey.services.unordered_id`), so that neither the ids nor the order of an
  export or of the response browser (by id) tells who started before whom;
* keys the unit link's rate limit by a hash of the unit's link, never by the client's
  address, and strips client addresses and User-Agents from request log lines of
  respondent pages (:mod:`survey.security`).

The consent page says what is (not) recorded. Services here take an explicit session
and own their commit, like :mod:`survey.services`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.tables import TableError
from kesu.tables import read_table
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.errors import ClosedError
from survey.errors import ConflictError
from survey.errors import NotFoundError
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import UnitLink
from survey.models import now_utc
from survey.services import audit
from survey.services import day_of
from survey.services import get_wave
from survey.services import new_token
from survey.services import unordered_id
from survey.services import wave_is_anonymous
from survey.services import wave_is_open

logger = logging.getLogger(__name__)

UNIT_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
MAX_QUOTA = 100_000
MAX_UNITS = 5_000


# -- unit links ---------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitSpec:
    """A unit to create or update: code, label and quota of completes."""

    unit: str
    label: str
    quota: int


@dataclass(frozen=True)
class UnitSummary:
    """A unit link with its progress."""

    unit: str
    label: str
    quota: int
    token: str
    started: int
    complete: int

    @property
    def full(self) -> bool:
        return self.complete >= self.quota


def check_unit(spec: UnitSpec, row: int | None = None) -> UnitSpec:
    """A checked unit spec (code pattern, label length, quota 1..100000).

    Raises:
        BadRequestError: naming the row when given.
    """
    where = f"row {row}: " if row is not None else ""
    if not UNIT_PATTERN.match(spec.unit):
        raise BadRequestError(
            f"{where}unit code {spec.unit[:64]!r} must be 1-64 letters, digits, '-', '_' or '.'",
            param="unit",
            ui="err_unit_code",
            ui_params={"row": row or 0},
        )
    label = spec.label.strip()
    if len(label) > 128 or "\x00" in label:
        raise BadRequestError(
            f"{where}the label is longer than 128 characters",
            param="label",
            ui="err_unit_label",
            ui_params={"row": row or 0},
        )
    if not 1 <= spec.quota <= MAX_QUOTA:
        raise BadRequestError(
            f"{where}quota must be a whole number from 1 to {MAX_QUOTA}",
            param="quota",
            got=spec.quota,
            ui="err_unit_quota",
            ui_params={"row": row or 0},
        )
    return UnitSpec(spec.unit, label, spec.quota)


def parse_units(data: bytes) -> list[UnitSpec]:
    """Units from a table with the columns ``unit``, ``label`` and ``quota`` (CSV in
    UTF-8 or GB18030, .xlsx or Parquet: :mod:`kesu.tables`), every row checked.

    Raises:
        BadRequestError: naming the row and column.
    """
    try:  # the one table layer: CSV in UTF-8 or GB18030, .xlsx, Parquet
        table = read_table(data, name="units", what="units file")
    except TableError as exc:
        raise BadRequestError(str(exc), param="file", ui="err_units_file") from None
    missing = {"unit", "quota"} - set(table.order)
    if missing:
        raise BadRequestError(
            f"the units file needs the columns unit, label, quota "
            f"(missing: {', '.join(sorted(missing))})",
            param="file",
            ui="err_units_file",
        )
    cells = {name: table.labels(name).tolist() for name in table.order}
    records = [{k: v[i] for k, v in cells.items()} for i in range(table.n_rows)]
    out: list[UnitSpec] = []
    for i, record in enumerate(records):
        row = table.row_number(i)
        quota_text = (record.get("quota") or "").strip()
        if not quota_text.isdecimal():
            raise BadRequestError(
                f"row {row}: quota {quota_text[:16]!r} is not a whole number",
                param="quota",
                ui="err_unit_quota",
                ui_params={"row": row},
            )
        spec = UnitSpec(
            (record.get("unit") or "").strip(), record.get("label") or "", int(quota_text[:7])
        )
        out.append(check_unit(spec, row))
    if not out:
        raise BadRequestError("the units file has no units", param="file", ui="err_units_file")
    return out


def save_unit_links(
    session: Session, wave_name: str, units: Sequence[UnitSpec], *, actor: str
) -> list[UnitSummary]:
    """Create the unit links of an anonymous wave, or change the label and quota of units
    that have one (their links stay the same). All or nothing; audited.

    Raises:
        ConflictError: the wave is not anonymous. BadRequestError: a bad or repeated unit.
    """
    checked = [check_unit(u) for u in units]
    codes = [u.unit for u in checked]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise BadRequestError(
            f"unit(s) listed twice: {', '.join(repeated)}",
            param="unit",
            ui="err_unit_twice",
            ui_params={"units": ", ".join(repeated)},
        )
    if not 1 <= len(checked) <= MAX_UNITS:
        raise BadRequestError(f"give 1 to {MAX_UNITS} units", param="units", got=len(checked))
    begin_write(session)
    wave = get_wave(session, wave_name)
    if not wave_is_anonymous(wave):
        raise ConflictError(
            f"wave {wave_name!r} is not anonymous: unit links are for anonymous waves",
            param="wave",
            hint="use invitations or the open link",
            ui="err_not_anonymous",
        )
    existing = {
        link.unit: link
        for link in session.scalars(select(UnitLink).where(UnitLink.wave_id == wave.id))
    }
    for spec in checked:
        link = existing.get(spec.unit)
        if link is None:
            session.add(
                UnitLink(
                    wave_id=wave.id,
                    token=new_token(),
                    unit=spec.unit,
                    label=spec.label,
                    quota=spec.quota,
                )
            )
        else:
            link.label, link.quota = spec.label, spec.quota
    audit(session, actor, "wave.units", wave_name, count=len(checked))
    session.commit()
    logger.info("wave %s: %d unit link(s) saved", wave_name, len(checked))
    return unit_links(session, wave_name)


def unit_links(session: Session, wave_name: str) -> list[UnitSummary]:
    """Every unit link of a wave with its started and complete responses, by unit code."""
    wave = get_wave(session, wave_name)
    complete = func.sum(case((Response.status == ResponseStatus.COMPLETE, 1), else_=0))
    counts = {
        unit: (int(started or 0), int(done or 0))
        for unit, started, done in session.execute(
            select(Invitation.psu, func.count(Response.id), complete)
            .join(Response, Response.invitation_id == Invitation.id)
            .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(True))
            .group_by(Invitation.psu)
        )
    }
    links = session.scalars(
        select(UnitLink).where(UnitLink.wave_id == wave.id).order_by(UnitLink.unit)
    ).all()
    out = [
        UnitSummary(link.unit, link.label, link.quota, link.token, *counts.get(link.unit, (0, 0)))
        for link in links
    ]
    session.rollback()
    return out


def unit_links_csv(links: Sequence[UnitSummary], base_url: str) -> bytes:
    """The unit links as CSV (UTF-8 with BOM) for the people who pass them on."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["unit", "label", "quota", "started", "complete", "link"])
    for link in links:
        writer.writerow(
            [
                link.unit,
                link.label,
                link.quota,
                link.started,
                link.complete,
                f"{base_url.rstrip('/')}/u/{link.token}",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _unit_link(session: Session, token: str) -> UnitLink:
    from survey.responses import valid_token

    link = None
    if valid_token(token):
        link = session.scalars(select(UnitLink).where(UnitLink.token == token)).one_or_none()
    if link is None:
        raise NotFoundError("no such survey link", param="token", ui="err_no_link")
    return link


def _completes(session: Session, link: UnitLink) -> int:
    return int(
        session.scalar(
            select(func.count(Response.id))
            .join(Invitation, Response.invitation_id == Invitation.id)
            .where(
                Invitation.wave_id == link.wave_id,
                Invitation.open_link.is_(True),
                Invitation.psu == link.unit,
                Response.status == ResponseStatus.COMPLETE,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class UnitState:
    """What the unit link's landing page needs."""

    label: str
    is_open: bool
    full: bool


def unit_state(session: Session, token: str) -> UnitState:
    """The state of a unit link. Raises NotFoundError for an unknown link."""
    link = _unit_link(session, token)
    state = UnitState(
        link.label or link.unit, wave_is_open(link.wave), _completes(session, link) >= link.quota
    )
    session.rollback()
    return state


def start_unit_response(session: Session, token: str) -> str:
    """Create an anonymous invitation from a unit link; returns its token.

    The invitation holds only the wave, the unit (as ``psu``), ``open_link`` and the day.

    Raises:
        NotFoundError: unknown link. ClosedError: the wave is not open or the unit's
            quota of completes is reached.
    """
    from survey.responses import valid_token

    if not valid_token(token):
        raise NotFoundError("no such survey link", param="token", ui="err_no_link")
    begin_write(session)
    link = _unit_link(session, token)
    if not wave_is_open(link.wave):
        raise ClosedError("this survey is not open", param="wave", ui="closed_body")
    if _completes(session, link) >= link.quota:
        raise ClosedError(
            "this unit's quota of answers is reached", param="unit", ui="unit_full_body"
        )
    invitation = new_token()
    session.add(
        Invitation(
            id=unordered_id(session, Invitation),
            wave_id=link.wave_id,
            token=invitation,
            mode="web",
            open_link=True,
            psu=link.unit,
            created_at=day_of(now_utc()),
        )
    )
    session.commit()
    return invitation
