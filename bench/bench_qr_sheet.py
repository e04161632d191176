"""Benchmark: the printable invitation slips (QR sheet) of 2,500 web invitations.

Run: ``.venv/bin/python bench/bench_qr_sheet.py [--n 2500] [--capi 500] [--peer-n 100]``

Setup (not timed): a wave with the Yiwu questionnaire on SQLite (a temporary file) with
``--n`` web-mode invitations and ``--capi`` face-to-face ones (left out of the sheet).

Timed, in this process: what ``GET /admin/waves/<name>/qr.pdf`` does — read the web
invitations (:func:`survey.sample.invitation_links`), then draw the slips
(:func:`survey.sample.qr_sheet_pdf`); wall and CPU seconds, pages and file size.

Peer, side by side: the previous way (reportlab's ``QrCodeWidget`` rendered into a
``Drawing`` per code, 12 per page, as kesu did until issue 15) on ``--peer-n`` links,
extrapolated per slip; the ratio is peer / kesu seconds per slip.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(url: str, n: int, capi: int) -> None:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from questionnaires import DEFAULT_QUESTIONNAIRE
    from survey.db import Base
    from survey.db import create_db_engine
    from survey.models import Invitation
    from survey.services import create_wave

    towns = ["fotang", "suxi", "choucheng", "futian", "jiangdong", "houzhai"]
    engine = create_db_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        wave_id = create_wave(
            session, name="bench", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
            source_name=DEFAULT_QUESTIONNAIRE.name, actor="bench",
        ).id  # fmt: skip
        rows = [
            {"wave_id": wave_id, "token": uuid.uuid4().hex[:32], "town": towns[i % len(towns)],
             "stratum": towns[i % len(towns)], "psu": f"p{i % 40}",
             "mode": "web" if i < n else "capi", "attributes": {}, "open_link": False,
             "household_id": f"{towns[i % len(towns)]}-{i:06d}"}
            for i in range(n + capi)
        ]  # fmt: skip
        session.execute(insert(Invitation), rows)
        session.commit()
    engine.dispose()


def old_sheet(links: list, town_labels: dict[str, str]) -> bytes:  # type: ignore[type-arg]
    """The QR sheet as kesu drew it before issue 15 (reportlab widgets, 3 x 4 per page)."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from reports.fonts import register_cjk_font

    font = register_cjk_font()
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    width, height = A4
    margin, columns, rows = 10 * mm, 3, 4
    cell_w, cell_h = (width - 2 * margin) / columns, (height - 2 * margin) / rows
    size = min(cell_w, cell_h) - 22 * mm
    for start in range(0, len(links), columns * rows):
        for k, link in enumerate(links[start : start + columns * rows]):
            x0 = margin + (k % columns) * cell_w
            y0 = height - margin - (k // columns + 1) * cell_h
            widget = QrCodeWidget(link.url, barLevel="M")
            bx0, by0, bx1, by1 = widget.getBounds()
            drawing = Drawing(size, size, transform=[size / (bx1 - bx0), 0, 0,
                                                     size / (by1 - by0), 0, 0])  # fmt: skip
            drawing.add(widget)
            renderPDF.draw(drawing, pdf, x0 + (cell_w - size) / 2, y0 + 16 * mm)
            pdf.setFont(font, 10)
            pdf.drawCentredString(x0 + cell_w / 2, y0 + 10 * mm, link.household_id)
            pdf.setFont(font, 9)
            pdf.drawCentredString(x0 + cell_w / 2, y0 + 5 * mm, town_labels.get(link.town, ""))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2500)
    ap.add_argument("--capi", type=int, default=500)
    ap.add_argument("--peer-n", type=int, default=100)
    args = ap.parse_args()

    from sqlalchemy.orm import Session

    from reports.fonts import register_cjk_font
    from survey.db import create_db_engine
    from survey.sample import invitation_links
    from survey.sample import qr_sheet_pdf
    from survey.services import get_wave
    from survey.services import questionnaire_of
    from survey.towns import town_labels

    print(f"kesu QR sheet benchmark: {args.n:,} web + {args.capi:,} CAPI invitations; "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")  # fmt: skip
    register_cjk_font()  # once per process (the web server has it loaded)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'qr.sqlite3'}"
        fill(url, args.n, args.capi)
        engine = create_db_engine(url)
        with Session(engine) as session:
            q = questionnaire_of(get_wave(session, "bench").questionnaire_version)
            labels = town_labels(q)
            t0, c0 = time.perf_counter(), time.process_time()
            links = invitation_links(session, "bench", "https://kesu.example.cn", mode="web")
            pdf = qr_sheet_pdf(links, title="bench", town_labels=labels,
                               survey_title=q.title.get("zh-CN"))  # fmt: skip
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            assert len(links) == args.n, len(links)
            pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page ")
            out = Path(tmp) / "slips.pdf"
            out.write_bytes(pdf)
            print(f"kesu  {len(links):>6,} slips  {wall:6.2f} s wall  {cpu:6.2f} s CPU  "
                  f"{len(pdf) / 2**20:5.1f} MB  {len(links) / wall:7.0f} slips/s "
                  f"({'under' if wall < 10 else 'OVER'} the 10 s target)")  # fmt: skip
            del pages
            if args.peer_n:
                sample = links[: args.peer_n]
                t0 = time.perf_counter()
                old_sheet(sample, labels)
                peer = (time.perf_counter() - t0) / len(sample)
                print(f"peer  {len(sample):>6,} slips  {peer * len(sample):6.2f} s wall"
                      f"  (old widget path: {peer * args.n:.0f} s extrapolated to "
                      f"{args.n:,}); old/kesu per slip: {peer / (wall / args.n):.1f}")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
