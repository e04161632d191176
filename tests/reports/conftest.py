"""Fixtures for the report tests: a synthetic analysis table, its report data and PDFs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from reports.synthetic import YIWU_TOWNS
from reports.synthetic import answers_to_records
from reports.synthetic import simulate_answers
from reports.synthetic import simulate_people
from scoring import score_responses

REPORT_DATE = dt.date(2025, 9, 30)


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return load_questionnaire(DEFAULT_QUESTIONNAIRE)


def make_table(q: Questionnaire, n: int, seed: int) -> dict[str, Any]:
    """A synthetic analysis table (the shared contract) with a stratified cluster design.

    Strata are the towns; within a town respondents are split into 3 PSUs;
    weights are town population / town sample size times a random factor.
    """
    rng = np.random.default_rng(seed)
    people = simulate_people(n, rng)
    records = answers_to_records(q, simulate_answers(q, people, rng), 2025)
    sheet = score_responses(q, records)
    table: dict[str, Any] = {k: np.asarray(v) for k, v in people.items() if k != "theta"}
    table["respondent_id"] = np.arange(1, n + 1)
    table["wave"] = np.full(n, "test-2025")
    town = people["town"]
    table["stratum"] = town
    table["psu"] = np.array([f"{t}-{i % 3}" for i, t in enumerate(town)])
    sizes = {t.code: t.adults for t in YIWU_TOWNS}
    counts = {c: max(int((town == c).sum()), 1) for c in sizes}
    table["weight"] = np.array([sizes[t] / counts[t] for t in town]) * rng.uniform(0.7, 1.3, n)
    for g in q.groups:
        table[f"group_{g.id}"] = np.array([int(q.group_flags(r, 2025)[g.id]) for r in records])
    table.update(sheet.columns())
    for item in ("channels", "visit_venue", "events", "kepu_app"):
        values = [r.get(item) for r in records]
        table[item] = np.array(
            [";".join(v) if isinstance(v, list) else ("" if v is None else v) for v in values]
        )
    table["status"] = np.full(n, "complete")
    table["rejected"] = np.zeros(n, dtype=np.int8)
    return table


@pytest.fixture(scope="session")
def table_factory(questionnaire: Questionnaire) -> Callable[[int, int], dict[str, Any]]:
    return lambda n, seed: make_table(questionnaire, n, seed)


@pytest.fixture(scope="session")
def table(questionnaire: Questionnaire) -> dict[str, Any]:
    return make_table(questionnaire, 1500, 11)
