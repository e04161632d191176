"""The analysis table of a wave, and rescoring.

:func:`load_analysis_table` is what ``sampling``/``reports`` jobs call for ``wave: NAME``:
one row per complete, non-rejected response, columns as in the shared analysis-table
contract (ids/design, demographics, ``group_*`` flags, scores, quality), as numpy arrays.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import ItemType
from questionnaires import Questionnaire
from scoring import score_responses
from survey.db import begin_write
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.services import audit
from survey.services import get_wave
from survey.services import questionnaire_of

logger = logging.getLogger(__name__)

#: demographic concepts of the contract, in column order
DEMOGRAPHICS = (
    "sex",
    "birth_year",
    "age",
    "education",
    "occupation",
    "town",
    "urban",
    "years_in_yiwu",
)
#: optional design columns read from an invitation's sample attributes
DESIGN_NUMERIC = ("prob1", "prob2", "prob3", "fpc1", "fpc2", "base_weight")
DESIGN_TEXT = ("ssu",)


def _text(values: list[Any]) -> NDArray[np.str_]:
    return np.array(["" if v is None else str(v) for v in values], dtype=np.str_)


def _float(values: list[Any]) -> NDArray[np.float64]:
    out = np.full(len(values), np.nan, dtype=np.float64)
    for i, v in enumerate(values):
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            out[i] = float(v)
        elif isinstance(v, str):
            try:
                out[i] = float(v)
            except ValueError:
                continue
    return out


def _attention_failed(q: Questionnaire, answers: Mapping[str, Any]) -> bool:
    for item in q.items:
        if item.attention_expect is not None:
            given = answers.get(item.id)
            if given is not None and given != item.attention_expect:
                return True
        for row in item.rows:
            if row.attention_expect is not None:
                given = answers.get(row.id)
                if given is not None and given != row.attention_expect:
                    return True
    return False


def _analysed_rows(session: Session, wave_id: int) -> list[Any]:
    """Complete, non-rejected responses with their invitations, by response id."""
    rows = session.execute(
        select(Response, Invitation)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .where(
            Response.wave_id == wave_id,
            Response.status == ResponseStatus.COMPLETE,
            Response.rejected.is_(False),
        )
        .order_by(Response.id)
    ).all()
    session.rollback()
    return list(rows)


def wave_answers(session: Session, wave_name: str) -> list[dict[str, Any]]:
    """The answers of the rows of :func:`analysis_table`, in the same order.

    Each dict maps answer variables to codes, code lists or numbers, as stored
    (input for :func:`scoring.score_responses` and the item analysis).
    """
    wave = get_wave(session, wave_name)
    return [dict(resp.answers) for resp, _ in _analysed_rows(session, wave.id)]


def analysis_table(session: Session, wave_name: str) -> dict[str, NDArray[Any]]:
    """The analysis table of wave ``wave_name`` (see the module docstring).

    Columns: ``respondent_id`` (int64, the response id), ``wave``, ``stratum``, ``psu``
    (strings, '' when unknown), design columns present in the invitations' attributes,
    demographics by questionnaire concept (numbers as float64 with NaN, codes as strings;
    ``age`` from the derived variable), ``group_<id>`` (int8 0/1), ``item_<ID>``,
    ``score_<dimension>``, ``score_total`` (float64), ``level`` (str), ``literate``,
    ``rejected``, ``quality_attention`` (int8) and ``status``.

    Raises:
        NotFoundError: no such wave.
    """
    wave = get_wave(session, wave_name)
    q = questionnaire_of(wave.questionnaire_version)
    rows = _analysed_rows(session, wave.id)
    answers = [dict(resp.answers) for resp, _ in rows]
    invitations = [inv for _, inv in rows]
    n = len(rows)
    table: dict[str, NDArray[Any]] = {
        "respondent_id": np.array([resp.id for resp, _ in rows], dtype=np.int64),
        "wave": _text([wave.name] * n),
        "stratum": _text([inv.stratum for inv in invitations]),
        "psu": _text([inv.psu for inv in invitations]),
    }
    for key in DESIGN_TEXT:
        if any(key in inv.attributes for inv in invitations):
            table[key] = _text([inv.attributes.get(key) for inv in invitations])
    for key in DESIGN_NUMERIC:
        if any(key in inv.attributes for inv in invitations):
            table[key] = _float([inv.attributes.get(key) for inv in invitations])
    envs = [q.environment(a, wave.survey_year) for a in answers]
    concepts = q.items_by_concept()
    for concept in DEMOGRAPHICS:
        item = concepts.get(concept)
        if item is not None:
            values = [a.get(item.id) for a in answers]
            numeric = item.type is ItemType.NUMBER
            table[concept] = _float(values) if numeric else _text(values)
        elif concept == "age" and any(d.name == "age" for d in q.derived):
            table["age"] = _float([env.get("age") for env in envs])
        elif concept == "town":
            table["town"] = _text([inv.town for inv in invitations])
    for group in q.groups:
        table[f"group_{group.id}"] = np.array(
            [1 if group.rule.test(env) else 0 for env in envs], dtype=np.int8
        )
    table.update(_score_columns(q, [resp for resp, _ in rows], answers))
    table["status"] = _text([ResponseStatus.COMPLETE.value] * n)
    table["rejected"] = np.zeros(n, dtype=np.int8)
    table["quality_attention"] = np.array(
        [1 if _attention_failed(q, a) else 0 for a in answers], dtype=np.int8
    )
    return table


def _score_columns(
    q: Questionnaire, responses: list[Response], answers: list[dict[str, Any]]
) -> dict[str, NDArray[Any]]:
    stored = [r.score for r in responses]
    usable = all(s is not None and s.get("content_hash") == q.content_hash for s in stored)
    if not usable:
        # some responses lack a stored sheet (or were scored with another file): score now
        logger.warning("wave has responses without a current score sheet; scoring on the fly")
        return dict(score_responses(q, answers).columns())
    sheets = [s for s in stored if s is not None]
    dims = [d.id for d in q.scoring.dimensions]
    items = [i.id for i in q.scored_items]
    out: dict[str, NDArray[Any]] = {}
    for item_id in items:
        out[f"item_{item_id}"] = np.array([s["items"][item_id] for s in sheets], dtype=np.float64)
    for dim in dims:
        out[f"score_{dim}"] = np.array([s["dimensions"][dim] for s in sheets], dtype=np.float64)
    out["score_total"] = np.array([s["total"] for s in sheets], dtype=np.float64)
    out["level"] = _text([s["level"] for s in sheets])
    out["literate"] = np.array([1 if s["literate"] else 0 for s in sheets], dtype=np.int8)
    return out


def load_analysis_table(wave_name: str, database_url: str | None = None) -> dict[str, NDArray[Any]]:
    """The analysis table of a wave, reading the configured database.

    Args:
        wave_name: the wave (``kesu wave list``).
        database_url: SQLAlchemy URL; default: the app's configuration (instance config,
            then ``KESU_DATABASE_URL``).

    Example:
        >>> table = load_analysis_table("yiwu-2025")  # doctest: +SKIP
        >>> table["score_total"].mean()               # doctest: +SKIP
    """
    from sqlalchemy.orm import sessionmaker

    from survey import create_app
    from survey.db import create_db_engine
    from survey.db import database

    if database_url is None:
        app = create_app({"GENERATE_SECRET_KEY": True})
        database_url = str(app.config["DATABASE_URL"])
        database(app).engine.dispose()
    engine = create_db_engine(database_url)
    try:
        with sessionmaker(bind=engine)() as session:
            return analysis_table(session, wave_name)
    finally:
        engine.dispose()


def rescore_wave(session: Session, wave_name: str, actor: str) -> int:
    """Recompute and store the score sheet of every complete response of a wave.

    Answers are never changed; an audit entry records the rescoring. Returns the count.
    """
    begin_write(session)
    wave = get_wave(session, wave_name)
    q = questionnaire_of(wave.questionnaire_version)
    responses = session.scalars(
        select(Response)
        .where(Response.wave_id == wave.id, Response.status == ResponseStatus.COMPLETE)
        .order_by(Response.id)
    ).all()
    if responses:
        sheet = score_responses(q, [dict(r.answers) for r in responses])
        for i, resp in enumerate(responses):
            resp.score = sheet.to_dict(i)
    audit(
        session, actor, "wave.rescore", wave_name, count=len(responses), content_hash=q.content_hash
    )
    session.commit()
    logger.info("rescored %d responses of wave %s", len(responses), wave_name)
    return len(responses)
