"""The synthetic population and answer simulator produce answers the questionnaire accepts."""

from __future__ import annotations

import numpy as np

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import ItemType
from questionnaires import load_questionnaire
from reports.synthetic import YIWU_TOWNS
from reports.synthetic import answers_to_records
from reports.synthetic import simulate_answers
from reports.synthetic import simulate_people
from reports.synthetic import synthetic_frame


def test_records_are_valid_answers(rng: np.random.Generator) -> None:
    q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    people = simulate_people(400, rng)
    records = answers_to_records(q, simulate_answers(q, people, rng))
    assert len(records) == 400
    for rec in records:
        env = q.environment(rec)
        for item in q.items:
            shown = item.relevant is None or item.relevant.test(env)
            for var in item.variables:
                value = rec.get(var)
                if not shown:
                    assert value is None, f"{var} answered although hidden"
                    continue
                if item.type in (
                    ItemType.SINGLE,
                    ItemType.TRUEFALSE,
                    ItemType.LIKERT,
                    ItemType.GRID,
                ):
                    assert value in item.codes, (var, value)
                elif item.type is ItemType.MULTIPLE:
                    assert value and set(value) <= set(item.codes), (var, value)
                    exclusive = {o.code for o in item.options if o.exclusive}
                    assert not (set(value) & exclusive) or len(value) == 1
                elif item.type is ItemType.NUMBER:
                    assert item.minimum <= value <= item.maximum, (var, value)
                if item.constraint is not None and value is not None:
                    assert item.constraint.test(env), (var, value, item.constraint.source)


def test_population_matches_the_town_sizes(rng: np.random.Generator) -> None:
    people = simulate_people(200_000, rng)
    sizes = np.array([t.adults for t in YIWU_TOWNS], dtype=float)
    shares = np.array([(people["town"] == t.code).mean() for t in YIWU_TOWNS])
    # multinomial shares: within 5 standard errors of the town's population share
    p = sizes / sizes.sum()
    assert np.all(np.abs(shares - p) < 5 * np.sqrt(p * (1 - p) / 200_000))
    assert people["age"].min() >= 18 and people["age"].max() <= 69


def test_frame_sums_to_town_populations(rng: np.random.Generator) -> None:
    frame = synthetic_frame(rng)
    for t in YIWU_TOWNS:
        mask = frame["town"] == t.code
        assert frame["size"][mask].sum() == t.adults
        assert mask.sum() >= 4
    assert len(set(frame["psu"].tolist())) == len(frame["psu"])
    assert (frame["size"] > 0).all()
