"""The export's fast paths (issue 15) against plain per-row references: the CSV writer
(values remembered across rows and columns), the .sav/.dta record packer (conversions
remembered per column group), the derived columns remembered by their inputs, the JSON
columns read by msgspec (as dicts, and as records of the keys an export reads), and large
exports made by worker processes."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from reports.demo import simulate_wave
from survey.csvsafe import FORMULA_STARTS
from survey.csvsafe import spreadsheet_safe
from survey.db import json_loads
from survey.demo import seed_simulated_wave
from survey.export import Column
from survey.export import export_plan
from survey.export import export_rows
from survey.export import iter_csv
from survey.services import create_wave


def _reference_csv(names: list[str], rows: list[dict[str, Any]]) -> bytes:
    """The CSV as the per-row writer before issue 15 made it (one cell at a time; since
    then True/False are written 1/0, as the .sav and .dta files store them)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(names)
    for row in rows:
        cells = []
        for v in (row.get(n) for n in names):
            if type(v) is str and v.startswith(FORMULA_STARTS):
                v = spreadsheet_safe(v)
            elif type(v) is bool:
                v = int(v)
            elif type(v) is float:
                v = "" if not math.isfinite(v) else (str(int(v)) if v.is_integer() else repr(v))
            cells.append(v)
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


class _Plan:
    def __init__(self, names: list[str]) -> None:
        self.columns = [Column(n, n, "str") for n in names]


def test_the_chunked_csv_writer_writes_what_the_per_row_writer_wrote() -> None:
    rng = np.random.default_rng(3)
    names = [f"c{i}" for i in range(12)]
    pool: list[Any] = [None, 0, 1, 7, 1.0, 2.5, 0.1 + 0.2, float("nan"), float("inf"), -3.0,
                       "A", "1", "=SUM(A1)", "+86 139", "-5", "@x", "含,逗号", 'say "hi"',
                       "line\nbreak", "", True]  # fmt: skip
    rows = []
    for i in range(1234):
        row = {n: pool[int(rng.integers(len(pool)))] for n in names if rng.random() < 0.9}
        row["c0"] = [1, "x"] if i % 97 == 0 else row.get("c0")  # an unhashable cell
        rows.append(row)
    rows[5]["c0"] = [1, "x"]
    rows += [{"c1": 1, "c2": 1.0, "c3": True}, {"c1": True, "c2": 1, "c3": 1.0}]  # equal values
    rows += [{"c4": float("nan")}, {"c4": float("nan")}, {"c5": -0.0}, {"c5": 0}]
    expected = _reference_csv(names, rows)
    tuples = [tuple(row.get(n) for n in names) for row in rows]
    for size in (1, 7, 500, 5000):
        batches = [tuples[i : i + size] for i in range(0, len(tuples), size)]
        got = b"".join(iter_csv(_Plan(names), iter(batches)))  # type: ignore[arg-type]
        assert got == expected, size
    assert b"".join(iter_csv(_Plan(names), iter([]))) == expected.split(b"\r\n")[0] + b"\r\n"  # type: ignore[arg-type]


def _simulated_wave(
    session: Session, name: str, seed: int, households_per_psu: int
) -> Questionnaire:
    """A wave ``name`` of the default questionnaire filled with a simulated fieldwork round
    (28 PSUs); returns the questionnaire."""
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    create_wave(session, name=name, questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                source_name=DEFAULT_QUESTIONNAIRE.name, actor="test")  # fmt: skip
    rng = np.random.default_rng(seed)
    simulated = simulate_wave(q, rng, n_psu=28, households_per_psu=households_per_psu)
    seed_simulated_wave(session, name, q, simulated, actor="test", rng=rng)
    return q


def test_derived_columns_equal_the_questionnaires_own_rules(session: Session) -> None:
    q = _simulated_wave(session, "d", seed=11, households_per_psu=3)
    plan = export_plan(session, "d")
    rows = list(export_rows(session, plan))
    assert len(rows) >= 40
    from sqlalchemy import select

    from survey.models import Response

    session.rollback()
    answers = {i: a for i, a in session.execute(select(Response.id, Response.answers))}
    year = plan.wave.survey_year
    for row in rows:
        env = q.environment(answers[row["respondent_id"]], year)
        flags = q.group_flags(answers[row["respondent_id"]], year)
        for group, member in flags.items():
            assert row[f"group_{group}"] == int(member)
        if "age" in row:
            assert row["age"] == env.get("age")


def test_json_columns_read_as_the_standard_library_reads_them() -> None:
    for text in ('{"a": [1, 2.5, "x"], "b": null, "c": {"d": true}}', "1e400", "NaN",
                 '{"x": Infinity}', "123456789012345678901234567890", '"\\u4e2d"',
                 "[18446744073709551616, -9223372036854775809, 0.30000000000000004]",
                 '"\\ud800"', '{"a": 1, "a": 2}'):  # fmt: skip
        got, want = json_loads(text), json.loads(text)
        assert repr(got) == repr(want), text


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_packed_records_equal_converting_each_value(fmt: str) -> None:
    from survey.statfiles import StatColumn
    from survey.statfiles import record_packer

    codes = {"A": 1, "B": 2, "1": 7}
    columns = [
        StatColumn("num", "n", True), StatColumn("num2", "n2", True),
        StatColumn("code", "c", True, value_labels={1: "a", 2: "b", 7: "x"}, codes=codes),
        StatColumn("code2", "c2", True, value_labels={1: "a", 2: "b", 7: "x"}, codes=codes),
        StatColumn("flag", "f", True, value_labels={0: "no", 1: "yes"}),
        StatColumn("text", "t", False, width=12), StatColumn("text2", "t2", False, width=3),
        StatColumn("id", "i", True, unique=True), StatColumn("free", "x", False, 40, unique=True),
    ]  # fmt: skip
    rng = np.random.default_rng(8)
    pool: list[Any] = [None, 0, 1, 1.0, True, False, 2.5, float("nan"), -0.0, "1", "A", "B",
                       "", "长文本长文本长文本", [1], 7, "7"]  # fmt: skip
    rows = [tuple(pool[int(rng.integers(len(pool)))] for _ in columns) for _ in range(3000)]
    rows = [tuple(0 if c.value_labels and not c.codes and type(v) is not int else v
                  for c, v in zip(columns, row, strict=True)) for row in rows]  # fmt: skip
    packer = record_packer(columns, fmt)
    expected = b"".join(
        packer.pack(*(convert(v) for convert, v in zip(packer.converters, row, strict=True)))
        for row in rows
    )
    out = io.BytesIO()
    assert packer.records(rows, out) == len(rows)
    assert out.getvalue() == expected
    # equal values of two types differ in a code column (True is no code, 1 is "1")
    assert packer.converters[2](True) != packer.converters[2](1)
    # the memo of a unique column keeps only None's conversion, whatever it converted
    assert [len(packer.memos[i]) for i in (7, 8)] == [1, 1]
    # a None in the layout: that value of each row is skipped, the records are the same
    extra = ["A;B", None, "", "长文本", 3, [1, 2], ("x",)]
    wider = [(*row[:3], extra[k % len(extra)], *row[3:]) for k, row in enumerate(rows)]
    skipping = record_packer([*columns[:3], None, *columns[3:]], fmt)
    out = io.BytesIO()
    assert skipping.records(wider, out) == len(rows)
    assert out.getvalue() == expected
    # the writers check that a layout holds the file's variables in order
    from survey.statfiles import write_dta
    from survey.statfiles import write_sav

    writer = write_sav if fmt == "sav" else write_dta
    with pytest.raises(ValueError, match="layout"):
        writer(io.BytesIO(), columns, wider, layout=[*columns[1:3], None, columns[0], *columns[3:]])


def _comparable(data: bytes, fmt: str) -> bytes:
    """A file without the time it was written (.sav header, .dta timestamp)."""
    if fmt == "sav":
        return data[:92] + data[109:]
    if fmt == "dta":
        return re.sub(rb"<timestamp>.*?</timestamp>", b"", data, count=1, flags=re.S)
    return data


def test_worker_processes_write_the_same_files(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import survey.export as export
    from survey.browse import ResponseFilter
    from survey.export import export_stream

    _simulated_wave(session, "p", seed=4, households_per_psu=3)
    used: list[bool] = []
    parts_of = export._parallel_parts

    def spy(*args: Any, **kwargs: Any) -> Any:
        parts = parts_of(*args, **kwargs)
        used.append(parts is not None)
        return parts

    monkeypatch.setattr(export, "_parallel_parts", spy)
    streamed: list[str] = []
    stat_stream = export._stat_stream

    def stream_spy(plan: Any, fmt: str, *args: Any) -> Any:
        streamed.append(fmt)
        return stat_stream(plan, fmt, *args)

    monkeypatch.setattr(export, "_stat_stream", stream_spy)
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "1")
    cases = [("csv", None), ("sav", None), ("dta", None), ("csv", ResponseFilter(flag="any"))]

    def whole(fmt: str, only: Any) -> bytes:
        stream = export_stream(session, "p", fmt, only)
        data = b"".join(stream)
        # a .sav/.dta states its length before its first byte (a download's Content-Length)
        assert isinstance(stream, export.SizedStream) == (fmt != "csv")
        assert fmt == "csv" or stream.length == len(data)  # type: ignore[attr-defined]
        return data

    alone = [whole(fmt, only) for fmt, only in cases]
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "2")
    monkeypatch.setattr(export, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(export, "CHUNK_ROWS", 13)
    shared = [whole(fmt, only) for fmt, only in cases]
    assert used == [False] * 4 + [True] * 4
    # PostgreSQL: the workers share the snapshot in which the rows were counted, so the
    # .sav and .dta files are streamed front to back; SQLite: joined in a spool first
    postgres = session.get_bind().dialect.name == "postgresql"
    assert streamed == (["sav", "dta"] if postgres else [])
    for (fmt, _), one, many in zip(cases, alone, shared, strict=True):
        assert _comparable(many, fmt) == _comparable(one, fmt), fmt
    assert alone[0].count(b"\r\n") > 40  # header and every response: 4 chunks of 13


def test_a_slow_download_outlasts_the_servers_idle_transaction_timeout(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the export's snapshot transaction waits, idle, while the client reads;
    a server that ends idle transactions after 300 ms must not cut a download whose
    client pauses 0.8 s between parts (the next worker imports that snapshot)."""
    import time

    from sqlalchemy import event

    import survey.export as export
    from survey.db import create_db_engine
    from survey.export import export_stream

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("an idle-transaction timeout is PostgreSQL's")
    _simulated_wave(session, "slow", seed=5, households_per_psu=3)
    url = session.get_bind().url.render_as_string(hide_password=False)
    impatient = create_db_engine(url)  # its connections end idle transactions at 300 ms

    @event.listens_for(impatient, "connect")
    def _timeout(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cur:
            cur.execute("SET idle_in_transaction_session_timeout = 300")
        dbapi_connection.commit()

    # the export's own connection (the one holding the snapshot) comes from that engine
    make_parts = export._WorkerParts.__init__

    def on_impatient(self: Any, engine: Any, *args: Any) -> None:
        make_parts(self, impatient, *args)

    monkeypatch.setattr(export._WorkerParts, "__init__", on_impatient)
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "2")
    monkeypatch.setattr(export, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(export, "CHUNK_ROWS", 13)
    try:
        stream = export_stream(session, "slow", "sav")
        session.rollback()
        parts = []
        for part in stream:
            parts.append(part)
            time.sleep(0.8)
        data = b"".join(parts)
        assert len(parts) > 4 and len(data) == stream.length  # type: ignore[attr-defined]
    finally:
        impatient.dispose()


@pytest.mark.parametrize("fmt", ["csv", "sav"])
def test_the_workers_read_the_wave_as_it_was_when_the_export_began(
    session: Session, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """PostgreSQL: after the export took its snapshot but before its workers start, the
    wave is renamed and its survey year moved 30 years on (ages and age groups derive from
    it). The workers still find it under its old name and write the file the export would
    have written before the change (they read the wave in that snapshot)."""
    from sqlalchemy import text

    import survey.export as export
    from survey.export import export_stream

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's workers read the database as it is (no shared snapshot)")
    _simulated_wave(session, "old", seed=6, households_per_psu=3)
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "1")
    before = b"".join(export_stream(session, "old", fmt))
    session.rollback()
    engine = session.get_bind()
    facts = export.quality_context

    def change_meanwhile(own: Session, wave: Any) -> Any:
        with engine.begin() as other:  # another connection, committed at once
            other.execute(text("UPDATE wave SET name = 'new', survey_year = survey_year + 30 "
                               "WHERE name = 'old'"))  # fmt: skip
        return facts(own, wave)

    monkeypatch.setattr(export, "quality_context", change_meanwhile)
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "2")
    monkeypatch.setattr(export, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(export, "CHUNK_ROWS", 13)
    data = b"".join(export_stream(session, "old", fmt))
    session.rollback()
    assert session.scalar(text("SELECT count(*) FROM wave WHERE name = 'new'")) == 1
    assert _comparable(data, fmt) == _comparable(before, fmt)


def test_times_read_without_type_processing_are_written_as_before() -> None:
    from datetime import UTC
    from datetime import datetime
    from datetime import timedelta
    from datetime import timezone

    from survey.export import _utc_text
    from survey.monitoring import format_time

    moment = datetime(2025, 5, 1, 8, 0, 59, 987654, tzinfo=UTC)
    expected = format_time(moment)
    assert expected == "2025-05-01T08:00:59+00:00"
    # SQLite's text as SQLAlchemy stores a UTC time, with and without microseconds
    assert _utc_text("2025-05-01 08:00:59.987654") == expected
    assert _utc_text("2025-05-01 08:00:59") == expected
    assert _utc_text("2025-05-01T08:00:59+00:00") == expected  # another writer's text
    # the driver's datetimes (PostgreSQL): aware as they are, naive as UTC
    assert _utc_text(moment) == expected and _utc_text(moment.replace(tzinfo=None)) == expected
    beijing = moment.astimezone(timezone(timedelta(hours=8)))
    assert _utc_text(beijing) == format_time(beijing) == "2025-05-01T16:00:59+08:00"
    # PostgreSQL's text of a time in UTC (the export sets TimeZone UTC, DateStyle ISO)
    assert _utc_text("2025-05-01 08:00:59+00") == expected
    assert _utc_text("2025-05-01 08:00:59.987654+00") == expected
    # any other offset is read, not cut: kept as format_time keeps an aware time's
    assert _utc_text("2025-05-01 16:00:59+08") == "2025-05-01T16:00:59+08:00"
    assert _utc_text(None) == ""


def test_times_are_written_in_utc_whatever_the_servers_time_settings(session: Session) -> None:
    """A PostgreSQL session in Beijing time: the export's times are the stored moments in
    UTC all the same, as on SQLite (before, they came out in the session's time zone)."""
    from datetime import UTC

    from sqlalchemy import event
    from sqlalchemy import select

    from survey.models import Response
    from survey.monitoring import format_time

    _simulated_wave(session, "t", seed=5, households_per_psu=2)
    engine = session.get_bind()
    session.close()
    if engine.dialect.name == "postgresql":

        def _beijing(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET TimeZone = 'Asia/Shanghai'")
            dbapi_connection.commit()

        engine.dispose()
        event.listen(engine, "connect", _beijing)

    def utc(moment: Any) -> str:
        return format_time(moment.astimezone(UTC))

    stored = select(Response.id, Response.started_at, Response.completed_at)
    times = {rid: (utc(began), utc(done)) for rid, began, done in session.execute(stored)}
    session.rollback()
    rows = list(export_rows(session, export_plan(session, "t")))
    assert len(rows) >= 20
    for row in rows:
        began, done = times[row["respondent_id"]]
        assert (row["started_at"], row["completed_at"]) == (began, done)
        assert row["started_at"].endswith("+00:00")


def test_json_records_hold_what_the_standard_library_reads(session: Session) -> None:
    """The export decodes each JSON document into a record of the keys it reads
    (msgspec); every value read from it equals the value of :func:`json.loads`' dict,
    texts msgspec refuses (NaN, 1e400, a lone surrogate) and JSON null included."""
    from scoring.record import score_records
    from survey.export import DESIGN_NUMERIC
    from survey.export import _RowMaker
    from survey.export import _values_of
    from survey.monitoring import quality_context

    q = _simulated_wave(session, "j", seed=13, households_per_psu=2)
    plan = export_plan(session, "j")
    maker = _RowMaker(plan, quality_context(session, plan.wave))
    session.rollback()
    from sqlalchemy import select

    from survey.models import Response

    stored = [json.dumps(a) for a in session.scalars(select(Response.answers))]
    assert len(stored) >= 20
    edge = ['{"K01": "T", "M02": ["A", "B"], "birth_year": 123456789012345678901234567890, '
            '"not_an_item": {"a": [1, NaN]}}', '{"K01": "\\ud800", "V1": 1e400}', "null",
            "{}", '{"sex": null, "V1": "4", "V1": "5"}']  # fmt: skip
    for text in stored + edge:
        want = json.loads(text) or {}
        record = _values_of(maker.read_answers(text) or maker.no_answers)
        for getter, keys in ((maker.answer_values, maker.answer_keys),
                             (maker.derive_values, maker.derive_inputs),
                             (maker.flag_values, maker.flag_inputs)):  # fmt: skip
            assert repr(getter(record)) == repr(tuple(want.get(k) for k in keys)), text
    for text in ('{"prob1": 0.1, "prob2": 0.5, "prob3": 1, "x": [1]}', '{"prob1": NaN}',
                 '{"base_weight": 12345678901234567890123}', "null", "{}"):  # fmt: skip
        want = json.loads(text) or {}
        record = _values_of(maker.read_design(text) or maker.no_design)
        assert repr(record) == repr(tuple(map(want.get, DESIGN_NUMERIC)))
    records = simulate_wave(q, np.random.default_rng(5), n_psu=28, households_per_psu=1).records
    sheets = [json.dumps(sheet) for sheet in score_records(q, records)]
    sheets += [json.dumps({"content_hash": q.content_hash, "total": math.nan,
                           "items": {"K01": 2.0, "X": 1}, "level": "basic"}),
               json.dumps({"content_hash": q.content_hash, "total": 1e308 * 10}),
               json.dumps({"content_hash": "another version", "total": 50.0}), "null"]  # fmt: skip
    for text in sheets:
        want = json.loads(text)
        got = maker.scores(maker.read_sheet(text))
        if want is None or want.get("content_hash") != q.content_hash:
            assert got == maker.blank_scores
            continue
        items, dims = want.get("items") or {}, want.get("dimensions") or {}
        literacy = (
            *(items.get(i.id) for i in q.scored_items),
            *(dims.get(d.id) for d in q.scoring.dimensions),
            want.get("total"), want.get("level"), int(bool(want.get("literate"))),
        )  # fmt: skip
        assert repr(got[: len(literacy)]) == repr(literacy), text


def test_a_chunk_holds_only_its_waves_responses_read_in_id_order(session: Session) -> None:
    """A worker's chunk reads by the primary key (no sort of the wide rows on SQLite) and
    still tests the wave, though no index serves that test (``wave_id + 0``)."""
    from sqlalchemy import select

    from survey.export import _SELECTED
    from survey.export import _selection
    from survey.models import Response
    from survey.models import Wave

    for seed, name in enumerate(("a", "b"), start=6):
        _simulated_wave(session, name, seed=seed, households_per_psu=1)
    waves = {w.name: w.id for w in session.scalars(select(Wave))}
    ids_of = {
        wave: set(session.scalars(select(Response.id).where(Response.wave_id == wave_id)))
        for wave, wave_id in waves.items()
    }
    low, high = min(ids_of["a"] | ids_of["b"]), max(ids_of["a"] | ids_of["b"])
    assert ids_of["a"] and ids_of["b"] and max(ids_of["a"]) < high  # b's ids after a's
    for wave in ("a", "b"):
        got = list(session.scalars(_selection(waves[wave], (Response.id,), True, None,
                                              (low, high))))  # fmt: skip
        assert got == sorted(i for i in ids_of[wave] if low <= i <= high)
        assert list(session.scalars(_selection(waves[wave], (Response.id,), True, None,
                                               (low, None)))) == got  # fmt: skip
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        stmt = _selection(waves["a"], _SELECTED, True, None, (low, high))
        sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        steps = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
        assert any(s.startswith("SEARCH response USING INTEGER PRIMARY KEY") for s in steps), steps
        assert not any("TEMP B-TREE" in s for s in steps), steps
    session.rollback()


@pytest.mark.parametrize("kernel_copy", ["yes", "refused", "absent"])
def test_a_part_file_is_appended_whole(tmp_path: Any, monkeypatch: Any, kernel_copy: str) -> None:
    from survey.statfiles import append_file

    if kernel_copy == "refused":

        def refuse(*_args: Any) -> int:
            raise OSError(18, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    elif kernel_copy == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    part = tmp_path / "1.part"
    payload = bytes(range(256)) * 5000 + b"end"
    part.write_bytes(payload)
    with open(tmp_path / "spool", "w+b") as out:
        out.write(b"head")
        append_file(out, str(part))
        out.write(b"tail")
        append_file(out, str(part))
        out.seek(0)
        assert out.read() == b"head" + payload + b"tail" + payload


def test_a_stat_export_leaves_no_part_files(session: Session, monkeypatch: Any) -> None:
    """Whether the file is streamed as the workers make it (PostgreSQL) or joined in a
    spool first (SQLite, or a quality-flag filter, whose rows are not counted
    beforehand): no part file is left, after a whole download, a download cut short,
    or a failure while joining."""
    import tempfile

    import survey.export as export
    import survey.statfiles as statfiles
    from survey.browse import ResponseFilter
    from survey.export import export_stream

    _simulated_wave(session, "f", seed=9, households_per_psu=1)
    made: list[str] = []
    mkdtemp = tempfile.mkdtemp

    def remembered_mkdtemp(*args: Any, **kwargs: Any) -> str:
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", remembered_mkdtemp)
    monkeypatch.setenv("KESU_EXPORT_WORKERS", "2")
    monkeypatch.setattr(export, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(export, "CHUNK_ROWS", 5)

    def parts_left() -> list[str]:
        dirs = [d for d in made if os.path.basename(d).startswith("kesu-export-")]
        assert dirs  # the export made its parts directory
        return [d for d in dirs if os.path.exists(d)]

    whole = b"".join(export_stream(session, "f", "dta"))
    assert whole.startswith(b"<stata_dta>") and parts_left() == []
    # a download cut short after its first bytes (while the workers make the next parts,
    # where the file is streamed)
    stream = export_stream(session, "f", "sav")
    assert next(stream).startswith(b"$FL2")
    stream.close()  # type: ignore[attr-defined]
    assert parts_left() == []
    # joining into the spool fails on the third part
    joined: list[str] = []
    append = statfiles.append_file

    def fail_on_the_third(out: Any, path: str) -> None:
        joined.append(path)
        if len(joined) == 3:
            raise OSError(28, "No space left on device")
        append(out, path)

    monkeypatch.setattr(statfiles, "append_file", fail_on_the_third)
    with pytest.raises(OSError, match="No space"):
        export_stream(session, "f", "sav", ResponseFilter(flag="none"))
    assert len(joined) == 3 and parts_left() == []  # the parts not joined are removed too


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_file_written_front_to_back_is_the_file_written_with_a_seek(fmt: str) -> None:
    """The ends of a .sav/.dta file for a row count known beforehand (a streamed
    export), around the packed records, make the same bytes as the seekable writer,
    which writes the beginning again once it has counted; pyreadstat reads it."""
    import datetime as dt

    import pyreadstat

    import survey.statfiles as statfiles
    from survey.statfiles import StatColumn
    from survey.statfiles import record_packer
    from survey.statfiles import record_size
    from survey.statfiles import stat_file_ends

    columns = [
        StatColumn("id", "编号", True, unique=True),
        StatColumn("town", "镇街", False, 24),
        StatColumn("q1", "问题一", True, value_labels={1: "是", 2: "否"}, codes={"1": 1, "2": 2}),
        StatColumn("big", "大数", True, value_labels={1: "一", 1000: "千"}),
        StatColumn("long_text_variable_name", "x" * 300, False, 400),
    ]
    rows = [(i, "稠城街道" if i % 2 else None, str(i % 3), 1000 if i % 5 else None,
             "长" * (i % 150)) for i in range(257)]  # fmt: skip
    when = dt.datetime(2026, 12, 7, 8, 30, 15)
    packer = record_packer(columns, fmt)
    assert record_size(columns, fmt) == packer.pack.__self__.size  # type: ignore[attr-defined]
    for n in (0, len(rows)):
        records = io.BytesIO()
        assert packer.records(rows[:n], records) == n
        head, tail = stat_file_ends(columns, fmt, n, file_label="kesu 文件", when=when)
        streamed = head + records.getvalue() + tail

        class _Now(dt.datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return when

        seekable = io.BytesIO()
        seekable.write(b"before")  # the writer's offsets count from where it starts
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(statfiles.dt, "datetime", _Now)
            writer = statfiles.write_sav if fmt == "sav" else statfiles.write_dta
            assert writer(seekable, columns, rows[:n], file_label="kesu 文件") == n
        assert seekable.getvalue() == b"before" + streamed
        assert len(records.getvalue()) == n * record_size(columns, fmt)
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=f".{fmt}") as fh:
        fh.write(streamed)
        fh.flush()
        read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        frame, meta = read(fh.name)
    assert meta.number_rows == len(rows) and list(frame["id"]) == list(range(len(rows)))
    assert meta.column_labels[1] == "镇街" and meta.file_label == "kesu 文件"
    # what readers trust without checking: the .sav case count (byte 80) and each offset of
    # the .dta map (pyreadstat reads a file whose map is off for most of its sections)
    import struct

    if fmt == "sav":
        assert struct.unpack_from("<i", streamed, 80)[0] == len(rows)
        return
    tags = [b"<stata_dta>", b"<map>", b"<variable_types>", b"<varnames>", b"<sortlist>",
            b"<formats>", b"<value_label_names>", b"<variable_labels>", b"<characteristics>",
            b"<data>", b"<strls>", b"<value_labels>", b"</stata_dta>"]  # fmt: skip
    at = streamed.index(b"<map>") + len(b"<map>")
    offsets = struct.unpack_from("<14Q", streamed, at)
    for tag, offset in zip(tags, offsets, strict=False):
        assert streamed[offset : offset + len(tag)] == tag, tag
    assert offsets[13] == len(streamed)
    assert offsets[10] - offsets[9] == len(b"<data></data>") + len(rows) * record_size(columns, fmt)


def test_a_streamed_file_with_another_row_count_than_counted_is_cut_short() -> None:
    """The beginning of a streamed .sav/.dta says how many rows follow: parts that hold
    another number, or a part whose bytes are not its rows' records, end the download
    with an error (a file whose beginning lies would be read wrong), and the workers'
    parts are closed at once."""
    from types import SimpleNamespace

    from survey.export import _stat_stream

    plan = SimpleNamespace(columns=[Column("x", "x", "num")],
                           wave=SimpleNamespace(name="w"),
                           questionnaire=SimpleNamespace(id="q", version="1"))  # fmt: skip
    record = b"\0" * 8  # one number: 8 bytes in either format
    closed: list[bool] = []

    def parts(*made: tuple[bytes, int]) -> Any:
        try:
            yield from made
        finally:
            closed.append(True)

    cases = [
        (4, [(record, 1), (record, 1)]),  # three rows in all, four counted
        (2, [(record, 1), (record, 1)]),  # more than counted
        (3, [(record, 2), (record, 1)]),  # a part of two rows with one row's bytes
    ]
    for rows, more in cases:
        closed.clear()
        chunks = []
        with pytest.raises(RuntimeError, match=f"do not hold the {rows} rows counted"):
            for chunk in _stat_stream(plan, "sav", rows, [(record, 1)], parts(*more)):  # type: ignore[arg-type]
                chunks.append(chunk)
        assert closed == [True], rows
        assert b"".join(chunks[1:]) in (record * 3, record * 2, record)  # no end written
    whole = b"".join(_stat_stream(plan, "dta", 2, [(record, 1)], parts((record, 1))))  # type: ignore[arg-type]
    assert whole.startswith(b"<stata_dta>") and whole.endswith(b"</stata_dta>")
    # columns a file cannot hold: the error comes before the download, the parts closed
    closed.clear()
    wide = SimpleNamespace(columns=[Column(f"x{i}", "x", "num") for i in range(32768)],
                           wave=plan.wave, questionnaire=plan.questionnaire)  # fmt: skip
    started = parts((record, 1), (record, 1))
    first = next(started)  # export_stream makes the first part before it streams
    with pytest.raises(ValueError, match="32,767"):
        _stat_stream(wide, "dta", 2, [first], started)  # type: ignore[arg-type]
    assert closed == [True]
