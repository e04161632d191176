"""The export's fast paths (issue 15) against plain per-row references: the CSV writer
formatting a chunk column by column, the derived columns remembered by their inputs, and
the JSON columns read by orjson."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import load_questionnaire
from reports.demo import simulate_wave
from survey.csvsafe import FORMULA_STARTS
from survey.csvsafe import spreadsheet_safe
from survey.db import json_loads
from survey.demo import seed_simulated_wave
from survey.export import export_plan
from survey.export import export_rows
from survey.export import iter_csv
from survey.services import create_wave


def _reference_csv(names: list[str], rows: list[dict[str, Any]]) -> bytes:
    """The CSV as the per-row writer before issue 15 made it (one cell at a time)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(names)
    for row in rows:
        cells = []
        for v in (row.get(n) for n in names):
            if type(v) is str and v.startswith(FORMULA_STARTS):
                v = spreadsheet_safe(v)
            elif type(v) is float:
                v = "" if not math.isfinite(v) else (str(int(v)) if v.is_integer() else repr(v))
            cells.append(v)
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


class _Plan:
    def __init__(self, names: list[str]) -> None:
        self.columns = [type("C", (), {"name": n})() for n in names]


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
    expected = _reference_csv(names, rows)
    for chunk in (1, 7, 500, 5000):
        got = b"".join(iter_csv(_Plan(names), iter(rows), chunk_rows=chunk))  # type: ignore[arg-type]
        assert got == expected, chunk


def test_derived_columns_equal_the_questionnaires_own_rules(session: Session) -> None:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    create_wave(session, name="d", questionnaire_data=DEFAULT_QUESTIONNAIRE.read_bytes(),
                source_name=DEFAULT_QUESTIONNAIRE.name, actor="test")  # fmt: skip
    rng = np.random.default_rng(11)
    seed_simulated_wave(session, "d", q, simulate_wave(q, rng, n_psu=28, households_per_psu=3),
                        actor="test", rng=rng)  # fmt: skip
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
                 "[18446744073709551616, -9223372036854775809, 0.30000000000000004]"):  # fmt: skip
        got, want = json_loads(text), json.loads(text)
        assert repr(got) == repr(want), text


def test_columnwise_conversion_equals_converting_each_value() -> None:
    from survey.statfiles import columnwise

    rng = np.random.default_rng(5)
    pool: list[Any] = [None, 0, 1, 1.0, True, False, 2.5, float("nan"), "1", "A", "", [1]]
    converters = [repr, lambda v: type(v).__name__ + str(v), str]
    rows = [tuple(pool[int(rng.integers(len(pool)))] for _ in converters) for _ in range(2500)]
    rows += [(1, 1.0, "x")] * 3 + [(True, 1, 1.0)] * 3  # equal values of different types
    expected = [tuple(f(v) for f, v in zip(converters, row, strict=True)) for row in rows]
    for batch in (1, 3, 1000):
        assert list(columnwise(rows, converters, batch=batch)) == expected
    # a column of one type: each distinct value converted once
    calls: list[Any] = []
    out = list(columnwise([("a",), ("b",), ("a",)] * 100, [lambda v: calls.append(v) or v]))
    assert [v for (v,) in out] == ["a", "b", "a"] * 100 and sorted(calls) == ["a", "b"]
