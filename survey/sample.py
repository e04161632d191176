"""Import a drawn sample into a wave; export its invitation links (CSV) and QR sheets (PDF).

A sample file is the CSV written by ``kesu sample draw`` (one row per household:
``household_id, stratum, town, psu, prob1, prob2, prob3, household_weight, ...``) or a
list of persons (``person_id`` instead of ``household_id``). Every row becomes an
invitation with an unguessable token; the design columns are kept in its attributes.
The import is one transaction: any problem (named by CSV line and column) imports
nothing.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.csvsafe import SpreadsheetWriter
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.models import Invitation
from survey.models import User
from survey.models import WaveMember
from survey.services import MODES
from survey.services import audit
from survey.services import get_wave
from survey.services import new_token
from survey.services import refuse_if_anonymous

logger = logging.getLogger(__name__)

ID_COLUMNS = ("household_id", "person_id")
REQUIRED = ("stratum", "psu")
#: columns that must be probabilities in (0, 1] when present and not empty
PROBABILITIES = ("prob1", "prob2", "prob3")
#: columns that must be positive numbers when present and not empty
POSITIVE = ("household_weight", "base_weight", "fpc1", "fpc2", "psu_size", "psu_households")
INTEGERS = ("household_number",)
#: other names of modes (telephone interviews are CATI)
MODE_ALIASES = {"phone": "cati", "telephone": "cati", "f2f": "capi"}
#: at most this many rows in one file
MAX_ROWS = 500_000


class SampleFileError(BadRequestError):
    """A sample file cannot be imported; the message names the line and column."""


@dataclass(frozen=True)
class ImportResult:
    """What an import created."""

    wave: str
    count: int
    towns: dict[str, int]
    interviewers: dict[str, int]


def _fail(
    line: int,
    column: str,
    message: str,
    got: Any = None,
    hint: str | None = None,
    *,
    ui: str,
    **params: Any,
) -> None:
    """Raise the error of one cell; ``ui`` names the page text (with line, column, got)."""
    raise SampleFileError(
        f"line {line}, column {column!r}: {message}", param=column, got=got, hint=hint,
        ui=ui, ui_params={"line": line, "column": column, "got": got, **params},
    )  # fmt: skip


def _number(line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        _fail(line, column, f"{text[:40]!r} is not a number", text[:40], ui="sample_not_number")
    return value


def _rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SampleFileError(
            f"line {line}: the file is not UTF-8 text", param="file", hint="save it as CSV UTF-8",
            ui="sample_not_utf8", ui_params={"line": line},
        ) from None  # fmt: skip
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SampleFileError("the file is empty", param="file", ui="sample_empty") from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                _fail(
                    reader.line_num,
                    header[min(len(values), len(header)) - 1] if header else "",
                    f"{len(values)} values for {len(header)} columns",
                    hint="check for a missing or an extra comma",
                    ui="sample_width",
                    values=len(values),
                    columns=len(header),
                )
            yield reader.line_num, {h: v.strip() for h, v in zip(header, values, strict=True)}

    return header, rows()


def parse_sample(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Check a sample file; returns ``(line, row)`` pairs. Raises SampleFileError."""
    header, rows = _rows(data)
    dup = [h for h, k in Counter(header).items() if k > 1]
    if dup:
        raise SampleFileError(
            f"line 1: column {dup[0]!r} appears twice", param=dup[0],
            ui="sample_dup_column", ui_params={"column": dup[0]},
        )  # fmt: skip
    id_col = next((c for c in ID_COLUMNS if c in header), None)
    missing = [c for c in REQUIRED if c not in header]
    if id_col is None or missing:
        name = missing[0] if id_col is not None else "household_id"
        raise SampleFileError(
            f"line 1: missing column {name!r}",
            param=name,
            expected=("household_id or person_id",) + REQUIRED,
            hint="use the file written by `kesu sample draw`",
            ui="sample_missing_column",
            ui_params={"column": name},
        )
    out: list[tuple[int, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if len(out) >= MAX_ROWS:
            raise SampleFileError(
                f"more than {MAX_ROWS} rows", param="file", hint="split it",
                ui="sample_too_many", ui_params={"max": MAX_ROWS},
            )  # fmt: skip
        case_id = row[id_col]
        if not case_id or len(case_id) > 64:
            _fail(line, id_col, "an id of 1-64 characters is needed", case_id[:64], ui="sample_id")
        if case_id in seen:
            _fail(line, id_col, f"{case_id!r} is also on line {seen[case_id]}", case_id,
                  ui="sample_id_twice", other=seen[case_id])  # fmt: skip
        seen[case_id] = line
        for col in REQUIRED:
            if not row[col] or len(row[col]) > 64:
                _fail(line, col, "a value of 1-64 characters is needed", row[col][:64],
                      ui="sample_value")  # fmt: skip
        for col in PROBABILITIES:
            if row.get(col):
                p = _number(line, col, row[col])
                if not 0 < p <= 1:
                    _fail(line, col, "a probability must be in (0, 1]", row[col],
                          ui="sample_probability")  # fmt: skip
        for col in POSITIVE:
            if row.get(col) and _number(line, col, row[col]) <= 0:
                _fail(line, col, "must be > 0", row[col], ui="sample_positive")
        for col in INTEGERS:
            if row.get(col) and not row[col].isdecimal():
                _fail(line, col, "must be a whole number >= 1", row[col], ui="sample_whole")
        if row.get("mode"):
            row["mode"] = MODE_ALIASES.get(row["mode"], row["mode"])
        if row.get("mode") and row["mode"] not in MODES:
            _fail(line, "mode", f"unknown mode (one of {', '.join(MODES)})", row["mode"],
                  ui="sample_mode", modes=", ".join(MODES))  # fmt: skip
        out.append((line, row))
    if not out:
        raise SampleFileError(
            "the file has a header but no rows", param="file", ui="sample_no_rows"
        )
    return out


def _attributes(row: dict[str, str], id_col: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, value in row.items():
        if key in (id_col, "stratum", "psu", "town", "mode", "interviewer") or value == "":
            continue
        if key in PROBABILITIES or key in POSITIVE:
            attrs[key] = float(value)
        elif key in INTEGERS:
            attrs[key] = int(value)
        else:
            attrs[key[:64]] = value[:200]
    attrs["case_type"] = "person" if id_col == "person_id" else "household"
    return attrs


def import_sample(
    session: Session, wave_name: str, data: bytes, *, actor: str, mode: str = "capi"
) -> ImportResult:
    """Create one invitation per row of a sample file (all or nothing; audited).

    An ``interviewer`` column assigns each case to that user (who becomes an interviewer
    on the wave if not yet a member); a ``mode`` column overrides ``mode`` per row.

    Raises:
        SampleFileError: the file names the line and column of the first problem.
        NotFoundError: no such wave.
    """
    mode = MODE_ALIASES.get(mode, mode)
    if mode not in MODES:
        raise BadRequestError("unknown mode", param="mode", got=mode, expected=MODES)
    rows = parse_sample(data)
    id_col = next(c for c in ID_COLUMNS if c in rows[0][1])
    begin_write(session)
    wave = get_wave(session, wave_name)
    refuse_if_anonymous(wave, "a sample of named cases")
    existing = set(
        session.scalars(
            select(Invitation.household_id).where(
                Invitation.wave_id == wave.id, Invitation.household_id.is_not(None)
            )
        ).all()
    )
    names = {row.get("interviewer", "") for _, row in rows} - {""}
    users = {
        u.username: u for u in session.scalars(select(User).where(User.username.in_(names))).all()
    }
    for line, row in rows:
        if row[id_col] in existing:
            _fail(line, id_col, f"{row[id_col]!r} is already in wave {wave_name}", row[id_col],
                  ui="sample_in_wave", wave=wave_name)  # fmt: skip
        name = row.get("interviewer", "")
        if name and name not in users:
            _fail(line, "interviewer", f"no user {name!r}", name, hint="kesu user create NAME",
                  ui="sample_no_user")  # fmt: skip
    members = set(
        session.scalars(select(WaveMember.user_id).where(WaveMember.wave_id == wave.id)).all()
    )
    for user in users.values():
        if user.id not in members and user.role != "admin":
            session.add(WaveMember(wave_id=wave.id, user_id=user.id, role="interviewer"))
    records = []
    for serial, (_, row) in enumerate(rows, start=1):
        attrs = _attributes(row, id_col)
        attrs.setdefault("household_number", serial)
        assigned = users.get(row.get("interviewer", ""))
        records.append(
            {
                "wave_id": wave.id,
                "token": new_token(),
                "stratum": row["stratum"],
                "psu": row["psu"],
                "town": row.get("town") or None,
                "mode": row.get("mode") or mode,
                "attributes": attrs,
                "open_link": False,
                "household_id": row[id_col],
                "interviewer_id": assigned.id if assigned else None,
            }
        )
    for chunk in _chunks(records, 5000):
        session.execute(insert(Invitation), chunk)
    towns: Counter[str] = Counter(str(r["town"] or "") for r in records)
    per_interviewer: Counter[str] = Counter(
        r.get("interviewer", "") for _, r in rows if r.get("interviewer")
    )
    audit(session, actor, "wave.import", wave_name, count=len(records), mode=mode)
    session.commit()
    logger.info("wave %s: imported %d cases", wave_name, len(records))
    return ImportResult(wave_name, len(records), dict(towns), dict(per_interviewer))


def _chunks(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- links and QR sheets -----------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationLink:
    """One invitation's printable facts."""

    household_id: str
    stratum: str
    psu: str
    town: str
    mode: str
    interviewer: str
    url: str


def invitation_links(session: Session, wave_name: str, base_url: str) -> list[InvitationLink]:
    """The wave's sample invitations (not open-link ones) with their links, by id."""
    wave = get_wave(session, wave_name)
    rows = session.execute(
        select(Invitation, User.username)
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False))
        .order_by(Invitation.id)
    ).all()
    base = base_url.rstrip("/")
    return [
        InvitationLink(
            household_id=inv.household_id or str(inv.id),
            stratum=inv.stratum or "",
            psu=inv.psu or "",
            town=inv.town or "",
            mode=inv.mode,
            interviewer=username or "",
            url=f"{base}/s/{inv.token}",
        )
        for inv, username in rows
    ]


def links_csv(links: Iterable[InvitationLink]) -> bytes:
    """The links as CSV, UTF-8 with BOM (Excel then shows Chinese correctly); sample texts
    a spreadsheet would run as formulas get a leading apostrophe (:mod:`survey.csvsafe`)."""
    buffer = io.StringIO(newline="")
    writer = SpreadsheetWriter(buffer)
    writer.writerow(["household_id", "stratum", "psu", "town", "mode", "interviewer", "link"])
    for link in links:
        writer.writerow(
            [link.household_id, link.stratum, link.psu, link.town, link.mode,
             link.interviewer, link.url]
        )  # fmt: skip
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def qr_sheet_pdf(
    links: list[InvitationLink],
    *,
    title: str = "",
    town_labels: dict[str, str] | None = None,
    columns: int = 3,
    rows: int = 4,
) -> bytes:
    """A4 pages of QR codes, ``columns x rows`` per page, with dashed cut lines and the
    household id and town under each code (CJK font from :mod:`reports.fonts`)."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from reports.fonts import register_cjk_font

    font = register_cjk_font()
    labels = town_labels or {}
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(title or "kesu invitations")
    width, height = A4
    margin = 10 * mm
    cell_w = (width - 2 * margin) / columns
    cell_h = (height - 2 * margin) / rows
    size = min(cell_w, cell_h) - 22 * mm
    per_page = columns * rows
    for start in range(0, max(len(links), 1), per_page):
        page = links[start : start + per_page]
        pdf.setDash(3, 3)
        pdf.setLineWidth(0.3)
        for c in range(columns + 1):
            x = margin + c * cell_w
            pdf.line(x, margin, x, height - margin)
        for r in range(rows + 1):
            y = margin + r * cell_h
            pdf.line(margin, y, width - margin, y)
        pdf.setDash()
        for k, link in enumerate(page):
            col, row = k % columns, k // columns
            x0 = margin + col * cell_w
            y0 = height - margin - (row + 1) * cell_h
            widget = QrCodeWidget(link.url, barLevel="M")
            bx0, by0, bx1, by1 = widget.getBounds()
            drawing = Drawing(size, size, transform=[size / (bx1 - bx0), 0, 0,
                                                     size / (by1 - by0), 0, 0])  # fmt: skip
            drawing.add(widget)
            renderPDF.draw(drawing, pdf, x0 + (cell_w - size) / 2, y0 + 16 * mm)
            pdf.setFont(font, 10)
            pdf.drawCentredString(x0 + cell_w / 2, y0 + 10 * mm, link.household_id)
            town = labels.get(link.town, link.town)
            pdf.setFont(font, 9)
            pdf.drawCentredString(x0 + cell_w / 2, y0 + 5 * mm, town)
        if title:
            pdf.setFont(font, 8)
            pdf.drawString(margin, height - margin + 3 * mm, title)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
