"""The analysis table of a wave, its fieldwork cases, and rescoring.

:func:`load_analysis_table` is what ``sampling``/``reports`` jobs call for ``wave: NAME``:
one row per complete, non-rejected response (rejected ones with ``include_rejected``),
columns as in the shared analysis-table contract (ids/design, demographics, ``group_*``
flags, scores, quality) plus the unscored answers, as numpy arrays.
:func:`load_fieldwork` gives one row per sampled case with its final AAPOR disposition
and interview length (the report's methodology appendix).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import ItemType
from questionnaires import Questionnaire
from scoring import score_records
from scoring import score_responses
from scoring import score_scales
from survey.db import begin_write
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.monitoring import quality_context
from survey.quality import FLAG_NAMES
from survey.quality import flags_for
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


def _analysed_rows(session: Session, wave_id: int, include_rejected: bool = False) -> list[Any]:
    """Complete (by default non-rejected) responses with their invitations, by response id."""
    conditions = [Response.wave_id == wave_id, Response.status == ResponseStatus.COMPLETE]
    if not include_rejected:
        conditions.append(Response.rejected.is_(False))
    rows = session.execute(
        select(Response, Invitation)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .where(*conditions)
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


def analysis_table(
    session: Session, wave_name: str, *, include_rejected: bool = False
) -> dict[str, NDArray[Any]]:
    """The analysis table of wave ``wave_name`` (see the module docstring).

    Columns: ``respondent_id`` (int64, the response id), ``wave``, ``stratum``, ``psu``
    (strings, '' when unknown), design columns present in the invitations' attributes
    (``base_weight`` = 1 / (prob1 prob2 prob3) when not given), ``mode``, ``open_link``
    (int8: 1 for a response through the wave's open link, a non-probability sample),
    ``questionnaire_hash``, demographics by questionnaire concept (numbers as float64 with
    NaN, codes as strings; ``age`` from the derived variable), ``group_<id>`` (int8 0/1),
    the unscored answers (:func:`answer_columns`), ``item_<ID>``, ``score_<dimension>``,
    ``score_total`` (float64), ``level`` (str), ``literate`` (these only for a questionnaire
    with test items), ``scale_<id>`` (float64, NaN when too few items were answered),
    ``band_<id>`` (str), ``flag_<id>`` (float64 1/0/NaN) for its scales, ``status``, ``rejected``,
    ``quality_<flag>`` for :data:`survey.quality.FLAG_NAMES` and ``quality_flags`` (int8).

    Args:
        include_rejected: keep responses a statistician rejected (``rejected`` = 1); every
            estimate must then filter them (the reports do).

    Raises:
        NotFoundError: no such wave.
    """
    wave = get_wave(session, wave_name)
    q = questionnaire_of(wave.questionnaire_version)
    context = quality_context(session, wave)
    rows = _analysed_rows(session, wave.id, include_rejected)
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
    if "base_weight" not in table and all(k in table for k in ("prob1", "prob2", "prob3")):
        with np.errstate(divide="ignore", invalid="ignore"):
            table["base_weight"] = 1.0 / (table["prob1"] * table["prob2"] * table["prob3"])
    table["mode"] = _text([resp.mode for resp, _ in rows])
    table["open_link"] = np.array([1 if inv.open_link else 0 for inv in invitations], dtype=np.int8)
    table["questionnaire_hash"] = _text([q.content_hash] * n)
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
    for name, column in answer_columns(q, answers).items():
        if name not in table:
            table[name] = column
    if q.scored_items:
        table.update(_score_columns(q, [resp for resp, _ in rows], answers))
    if q.scales:
        # scales are cheap to score and deterministic: always from the stored answers
        table.update(score_scales(q, answers).columns())
    table["status"] = _text([ResponseStatus.COMPLETE.value] * n)
    table["rejected"] = np.array([1 if resp.rejected else 0 for resp, _ in rows], dtype=np.int8)
    flags = [
        flags_for(q, a, duration=resp.duration_seconds, device_id=resp.device_id,
                  answer_hash=resp.answers_hash, mode=resp.mode, context=context)
        for (resp, _), a in zip(rows, answers, strict=True)
    ]  # fmt: skip
    for name in FLAG_NAMES:
        table[f"quality_{name}"] = np.array([f[name] for f in flags], dtype=np.int8)
    table["quality_flags"] = np.array([sum(f.values()) for f in flags], dtype=np.int8)
    return table


def answer_columns(q: Questionnaire, answers: list[dict[str, Any]]) -> dict[str, NDArray[Any]]:
    """Columns of the unscored answers (items without a key or a demographic concept).

    Single-answer, true/false and Likert items and grid rows: the answer code (str, ''
    when not asked or not answered); multiple-answer items: the codes joined by ';' (str)
    and one column ``<item>_<code>`` per option (float64 1/0, NaN when not answered);
    numbers: float64 with NaN. Free-text items are left out (exports keep them).
    """
    out: dict[str, NDArray[Any]] = {}
    for item in q.items:
        if (
            item.scored
            or item.concept in DEMOGRAPHICS
            or item.type in (ItemType.TEXT, ItemType.DATE)
        ):
            continue
        if item.type is ItemType.MULTIPLE:
            given = [a.get(item.id) for a in answers]
            out[item.id] = _text([";".join(v) if isinstance(v, list) else v for v in given])
            for code in item.codes:
                out[f"{item.id}_{code}"] = np.array(
                    [(1.0 if code in v else 0.0) if isinstance(v, list) and v else np.nan
                     for v in given], dtype=np.float64,
                )  # fmt: skip
        elif item.type is ItemType.NUMBER:
            out[item.id] = _float([a.get(item.id) for a in answers])
        else:
            for var in item.variables:
                out[var] = _text([a.get(var) for a in answers])
    return out


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
    table: dict[str, NDArray[Any]] = _with_database(analysis_table, wave_name, database_url)
    return table


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
        records = score_records(q, [dict(r.answers) for r in responses])
        for resp, record in zip(responses, records, strict=True):
            resp.score = record
    audit(
        session, actor, "wave.rescore", wave_name, count=len(responses), content_hash=q.content_hash
    )
    session.commit()
    logger.info("rescored %d responses of wave %s", len(responses), wave_name)
    return len(responses)


def fieldwork_table(session: Session, wave_name: str) -> dict[str, NDArray[Any]]:
    """One row per sampled case of a wave with its final AAPOR disposition.

    Columns (numpy arrays): ``household_id``, ``stratum``, ``psu``, ``town``, ``mode``,
    ``interviewer`` (str), ``attempts`` (int64), ``outcome`` (the AAPOR disposition code,
    str), ``aapor_category`` (I/P/R/NC/O/UH/UO/NE), ``weighting_outcome`` (ER/ENR/UNK/IN; a
    rejected interview counts as ENR), ``respondent_id`` (int64, -1 without a response),
    ``rejected`` (int8), ``prob1``, ``prob2``, ``prob3``, ``household_weight``,
    ``base_weight`` and ``minutes`` (float64, NaN when unknown). ``outcome`` and ``minutes``
    are what :func:`reports.fieldwork.summarize_fieldwork` takes.

    Raises:
        NotFoundError: no such wave.
    """
    from survey.cases import CASE_COLUMNS
    from survey.cases import case_record
    from survey.monitoring import case_outcomes

    records = [case_record(c) for c in case_outcomes(session, get_wave(session, wave_name))]
    table: dict[str, NDArray[Any]] = {}
    for name in CASE_COLUMNS:
        values = [r[name] for r in records]
        key = "outcome" if name == "disposition" else name
        if name in ("attempts",):
            table[key] = np.array(values, dtype=np.int64)
        elif name == "respondent_id":
            table[key] = np.array([-1 if v is None else v for v in values], dtype=np.int64)
        elif name == "rejected":
            table[key] = np.array(values, dtype=np.int8)
        elif name in ("prob1", "prob2", "prob3", "household_weight", "base_weight", "minutes"):
            table[key] = _float(values)
        else:
            table[key] = _text(values)
    return table


def load_fieldwork(wave_name: str, database_url: str | None = None) -> dict[str, NDArray[Any]]:
    """:func:`fieldwork_table` of a wave, reading the configured database.

    Example:
        >>> fw = load_fieldwork("yiwu-2025")                                 # doctest: +SKIP
        >>> summarize_fieldwork(fw["outcome"], fw["minutes"]).rr3            # doctest: +SKIP
    """
    table: dict[str, NDArray[Any]] = _with_database(fieldwork_table, wave_name, database_url)
    return table


def _with_database(fn: Any, wave_name: str, database_url: str | None) -> Any:
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
            return fn(session, wave_name)
    finally:
        engine.dispose()
