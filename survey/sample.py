"""Import a drawn sample into a wave; export its invitation links (CSV) and QR sheets (PDF).

A sample file is the table written by ``kesu sample draw`` (one row per household:
``household_id, stratum, town, psu, prob1, prob2, prob3, household_weight, ...``) or a
list of persons (``person_id`` instead of ``household_id``), read by the one table
layer (:mod:`kesu.tables`): CSV in UTF-8, with a BOM or GB18030/GBK as Excel on
Chinese Windows saves it, ``.xlsx`` (first sheet) or Parquet, from a file or an
upload alike. Every row becomes an invitation with an unguessable token; the design
columns are kept in its attributes. When the wave's questionnaire asks for the town,
the ``town`` column is checked against its codes, and labels (``佛堂镇``, ``Fotang``)
are stored as codes. The import is one transaction: any problem (named by row and
column, as a spreadsheet numbers them) imports nothing.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import segno
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.tables import Table
from kesu.tables import TableError
from kesu.tables import parse_number
from kesu.tables import read_table
from questionnaires.codes import CodeMap
from questionnaires.codes import option_codes
from survey.csvsafe import SpreadsheetWriter
from survey.db import begin_write
from survey.errors import BadRequestError
from survey.models import Invitation
from survey.models import User
from survey.models import WaveMember
from survey.services import MODES
from survey.services import audit
from survey.services import completed_invitations
from survey.services import get_wave
from survey.services import new_token
from survey.services import questionnaire_of
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
        value = parse_number(text)
    except ValueError:
        value = None
    if value is None:
        _fail(line, column, f"{text[:40]!r} is not a number", text[:40], ui="sample_not_number")
        raise AssertionError  # pragma: no cover - _fail raises
    return value


#: how the table layer's reasons show on the import page
_TABLE_UI = {
    "encoding": "sample_not_utf8",
    "empty": "sample_empty",
    "width": "sample_width",
    "duplicate_column": "sample_dup_column",
    "blank_header": "sample_blank_header",
    "xls": "sample_xls",
    "workbook": "sample_not_workbook",
}


def _table(data: bytes, name: str) -> Table:
    """The file as a table (:func:`kesu.tables.read_table`); its errors as page texts."""
    try:
        return read_table(data, name=name, what="sample file")
    except TableError as exc:
        params = {"line": exc.row or 1, "column": exc.column or "", **exc.details}
        raise SampleFileError(
            str(exc),  # names the file, row and column, with the table layer's hint
            param="file",
            ui=_TABLE_UI.get(exc.reason, "sample_unreadable"),
            ui_params={"detail": exc.message, **params},
        ) from None


def parse_sample(data: bytes, name: str = "upload") -> list[tuple[int, dict[str, str]]]:
    """Check a sample file; returns ``(row, cells)`` pairs. Raises SampleFileError."""
    table = _table(data, name)
    header = list(table.order)
    id_col = next((c for c in ID_COLUMNS if c in header), None)
    missing = [c for c in REQUIRED if c not in header]
    if id_col is None or missing:
        missing_name = missing[0] if id_col is not None else "household_id"
        raise SampleFileError(
            f"line 1: missing column {missing_name!r}",
            param=missing_name,
            expected=("household_id or person_id",) + REQUIRED,
            hint="use the file written by `kesu sample draw`",
            ui="sample_missing_column",
            ui_params={"column": missing_name},
        )
    if table.n_rows > MAX_ROWS:
        raise SampleFileError(
            f"more than {MAX_ROWS} rows", param="file", hint="split it",
            ui="sample_too_many", ui_params={"max": MAX_ROWS},
        )  # fmt: skip
    cells = {h: table.labels(h).tolist() for h in header}
    out: list[tuple[int, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for i in range(table.n_rows):
        line = table.row_number(i)
        row = {h: cells[h][i] for h in header}
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
                row[col] = repr(p)
        for col in POSITIVE:
            if row.get(col):
                value = _number(line, col, row[col])
                if value <= 0:
                    _fail(line, col, "must be > 0", row[col], ui="sample_positive")
                row[col] = repr(value)
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


def _town_codes(rows: list[tuple[int, dict[str, str]]], towns: CodeMap | None) -> None:
    """Store the ``town`` of each row as the questionnaire's code (labels accepted)."""
    if towns is None:
        return
    for line, row in rows:
        value = row.get("town", "")
        if not value:
            continue
        code = towns.code_of(value)
        if code is None:
            _fail(line, "town", f"{value!r} is not a town of the questionnaire "
                  f"(codes: {towns.describe()})", value, ui="sample_town",
                  codes=towns.describe())  # fmt: skip
        row["town"] = code or value


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
    session: Session,
    wave_name: str,
    data: bytes,
    *,
    actor: str,
    mode: str = "capi",
    name: str = "upload",
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
    rows = parse_sample(data, name)
    id_col = next(c for c in ID_COLUMNS if c in rows[0][1])
    begin_write(session)
    wave = get_wave(session, wave_name)
    refuse_if_anonymous(wave, "a sample of named cases")
    q = questionnaire_of(wave.questionnaire_version)
    town_item = q.items_by_concept().get("town")
    _town_codes(rows, None if town_item is None else option_codes(q).get(town_item.id))
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
    #: the invitation's database id (its status is recorded by it)
    invitation_id: int = 0


def invitation_links(
    session: Session,
    wave_name: str,
    base_url: str,
    *,
    mode: str | None = None,
    town: str | None = None,
    not_completed: bool = False,
) -> list[InvitationLink]:
    """The wave's sample invitations (not open-link ones) with their links, by id; only
    those of ``mode`` (e.g. ``web``) and of ``town`` (a town code) when given, and with
    ``not_completed`` only those whose response is not complete (a slip to hand out)."""
    wave = get_wave(session, wave_name)
    stmt = (
        select(Invitation.id, Invitation.household_id, Invitation.stratum, Invitation.psu,
               Invitation.town, Invitation.mode, Invitation.token, User.username)
        .outerjoin(User, Invitation.interviewer_id == User.id)
        .where(Invitation.wave_id == wave.id, Invitation.open_link.is_(False))
        .order_by(Invitation.id)
    )  # fmt: skip
    if mode is not None:
        stmt = stmt.where(Invitation.mode == mode)
    if town is not None:
        stmt = stmt.where(Invitation.town == town)
    if not_completed:
        stmt = stmt.where(Invitation.id.not_in(completed_invitations(wave.id)))
    base = base_url.rstrip("/")
    return [
        InvitationLink(
            household_id=hh or str(inv_id),
            stratum=stratum or "",
            psu=psu or "",
            town=inv_town or "",
            mode=inv_mode,
            interviewer=username or "",
            url=f"{base}/s/{token}",
            invitation_id=inv_id,
        )
        for inv_id, hh, stratum, psu, inv_town, inv_mode, token, username in session.execute(stmt)
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


#: marks that never start a line of a slip's text
CLOSING = frozenset("，。、；：！？）》」』”,.;:!?)")
#: the QR mask pattern of the invitation slips (see :func:`_qr_runs`)
QR_MASK = 2


def _qr_runs(url: str) -> tuple[int, str]:
    """The QR code of ``url`` (segno, error level M, mask pattern 2) as PDF path
    operators in module units: one ``x y w 1 re`` per horizontal run of dark modules,
    rows counted from the top. Returns (modules per side, operators).

    Any of the 8 mask patterns gives a valid code (ISO/IEC 18004 section 7.8); scoring all
    eight to pick the best is 80 % of segno's time. Pattern 2 is the one segno picks for
    most invitation links (three in four); a fixed mask makes 2,500 codes take seconds."""
    code = segno.make(url, error="m", boost_error=False, mask=QR_MASK)
    ops: list[str] = []
    size = 0
    for y, row in enumerate(code.matrix):
        size = len(row)
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                ops.append(f"{start} {y} {x - start} 1 re")
            else:
                x += 1
    return size, "\n".join(ops)


def qr_sheet_pdf(
    links: list[InvitationLink],
    *,
    title: str = "",
    town_labels: dict[str, str] | None = None,
    survey_title: str = "",
    columns: int = 2,
    rows: int = 4,
) -> bytes:
    """A4 pages of invitation slips, ``columns x rows`` per page with dashed cut lines.

    Each slip is what a household reads: the survey's title, a one-line instruction in
    plain Chinese (14 pt, for elderly readers), the QR code, the link written out (to type
    when scanning fails), the town's name (``town_labels``: code -> name) and a privacy
    line; the case id is printed small for the field staff. The QR codes are drawn as
    vector paths from segno's module matrix (runs of dark modules as rectangles), not as
    images or reportlab widgets, and the parts every slip shares (cut lines, instruction,
    privacy line) are one PDF form drawn on each page: 2,500 slips take seconds.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    from kesu.i18n import tr
    from reports.fonts import register_cjk_font

    font = register_cjk_font()
    mono = "Courier"
    labels = town_labels or {}
    heading = survey_title or title or "kesu"
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    pdf.setTitle(title or "kesu invitations")
    width, height = A4
    margin = 10 * mm
    pad = 5 * mm  # also the QR code's quiet zone (about 4 modules) to the cut line
    cell_w = (width - 2 * margin) / columns
    cell_h = (height - 2 * margin) / rows
    qr_side = min(cell_h - 24 * mm, cell_w * 0.45)
    text_x = pad + qr_side + 5 * mm  # the text column beside the code, from the slip's left
    text_w = cell_w - text_x - pad
    per_page = columns * rows

    def fit_lines(text: str, font_name: str, size: float, room: float) -> list[str]:
        """``text`` broken into lines no wider than ``room`` (CJK: at any character)."""
        lines, line = [], ""
        for ch in text:
            # a closing mark never starts a line (it may hang past the right edge)
            if line and ch not in CLOSING and stringWidth(line + ch, font_name, size) > room:
                lines.append(line)
                line = ""
            line += ch
        return lines + ([line] if line else [])

    # the shared parts, drawn once into forms: the cut lines (placed once per page) and a
    # slip's words (placed on each slip that has a link: the last page's empty places stay
    # blank instead of asking to scan a code that is not there)
    pdf.beginForm("cuts")
    pdf.setDash(3, 3)
    pdf.setLineWidth(0.3)
    pdf.setStrokeGray(0.6)
    for c in range(columns + 1):
        pdf.line(margin + c * cell_w, margin, margin + c * cell_w, height - margin)
    for r in range(rows + 1):
        pdf.line(margin, margin + r * cell_h, width - margin, margin + r * cell_h)
    pdf.setDash()
    pdf.endForm()
    instruction = fit_lines(tr("zh-CN", "slip_instruction"), font, 14, text_w)
    privacy = fit_lines(tr("zh-CN", "slip_privacy"), font, 8, cell_w - 2 * pad)
    heading_lines = fit_lines(heading, font, 11, text_w)[:2]
    pdf.beginForm("slip")  # one slip's words, its bottom left corner at (0, 0)
    y = cell_h - pad - 11
    pdf.setFont(font, 11)
    for line in heading_lines:
        pdf.drawString(text_x, y, line)
        y -= 14
    y -= 4
    pdf.setFont(font, 14)
    for line in instruction:
        pdf.drawString(text_x, y, line)
        y -= 18
    pdf.setFont(font, 8)
    for i, line in enumerate(privacy):
        pdf.drawString(pad, pad + 2 + 10 * (len(privacy) - 1 - i), line)
    pdf.endForm()

    link_size = 9.0
    for start in range(0, max(len(links), 1), per_page):
        page = links[start : start + per_page]
        pdf.doForm("cuts")
        if title:
            pdf.setFont(font, 7)
            pdf.drawString(margin, height - margin + 3 * mm, title)
        for k, link in enumerate(page):
            x0 = margin + (k % columns) * cell_w
            top = height - margin - (k // columns) * cell_h
            bottom = top - cell_h
            pdf.saveState()
            pdf.translate(x0, bottom)
            pdf.doForm("slip")
            pdf.restoreState()
            n, ops = _qr_runs(link.url)
            unit = qr_side / n
            # module (0, 0) at the code's top left, y growing downwards
            pdf.saveState()
            pdf.transform(unit, 0, 0, -unit, x0 + pad, top - pad)
            pdf.addLiteral(ops + "\nf")
            pdf.restoreState()
            town = labels.get(link.town, link.town)
            pdf.setFont(font, 13)
            pdf.drawString(x0 + text_x, top - pad - qr_side + 2, town)
            # the link written out, on two lines (address, then the code) when too wide
            room = cell_w - 2 * pad
            lines = [link.url]
            if stringWidth(link.url, mono, link_size) > room and "/s/" in link.url:
                head, _, token = link.url.rpartition("/s/")
                lines = [f"{head}/s/", token]
            pdf.setFont(mono, link_size)
            y = bottom + pad + 10 * len(privacy) + 3
            for line in reversed(lines):
                size = link_size
                while size > 5 and stringWidth(line, mono, size) > room:
                    size -= 0.5
                pdf.setFont(mono, size)
                pdf.drawString(x0 + pad, y, line)
                y += 11
            pdf.setFont(font, 8)
            pdf.drawString(x0 + pad, y, tr("zh-CN", "slip_link"))
            pdf.setFont(font, 7)
            pdf.drawRightString(x0 + cell_w - pad, y,
                                f"{tr('zh-CN', 'slip_household')} {link.household_id}")  # fmt: skip
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
