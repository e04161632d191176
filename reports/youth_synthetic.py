"""A synthetic school population of Yiwu and simulated classroom sessions (youth monitoring).

**Everything here is synthetic** (模拟数据): a frame of primary, junior and
nine-year schools in the 14 towns/streets with plausible enrolments, every
grade-4 and grade-8 student with a latent ability, and the answers of the
students who sit the session, drawn from a **known IRT truth**:

* items: the grade-4 booklet's items have 2PL slopes ``a ~ U(0.8, 1.8)`` and
  difficulties centred so that the booklet's mean difficulty is 0 and its
  geometric-mean slope 1 (the scale's definition, :func:`scoring.irt.vertical.
  centre_on_items`); the grade-8 booklet's own items are shifted so that its
  mean difficulty is :data:`GRADE8_BOOKLET_MEAN` on the same scale; the anchor
  items ``C01-C10`` have one set of parameters for both grades; partial-credit
  items follow the graded response model with 3 thresholds.
* students: ``theta = mu_grade + town + school (sd 0.30) + 0.25 ses + 0.05 male
  + e``, with ``ses`` a family background factor that also drives books at home,
  devices, parents' schooling and visits to venues (so the background questions
  carry real information), and residual SD chosen so that the grade's SD is
  about 1.0 (grade 4) and 1.05 (grade 8).
* sessions: every sampled class sits its session; 2-10% of the seats are
  absent at random within the class (school-specific rate), 0.5% refuse, and
  3% of those present run out of time before the last test page (not reached).

The level shares of the whole simulated population (:func:`population_level_shares`)
are the truth the estimates are checked against (tests, ``bench/bench_youth_coverage.py``).
A whole round (frame, sample, sessions, answers, principals and teachers) is
:func:`reports.youth_round.simulate_youth_round`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires import QUESTIONNAIRE_DIR
from questionnaires import Questionnaire
from questionnaires import load_questionnaire
from questionnaires.model import Item
from questionnaires.model import ItemType
from reports.synthetic import YIWU_TOWNS
from scoring.irt.params import ItemModel
from scoring.irt.params import ItemParameters
from scoring.irt.vertical import DEFAULT_LEVELS
from scoring.irt.vertical import ProficiencyLevels
from scoring.irt.vertical import ReportingScale

logger = logging.getLogger(__name__)

#: the grades of the monitoring and their student booklets
YOUTH_GRADES: tuple[str, ...] = ("4", "8")
BOOKLETS: Mapping[str, str] = {"4": "youth-g4-2025.yaml", "8": "youth-g8-2025.yaml"}
PRINCIPAL_BOOKLET = "youth-principal-2025.yaml"
TEACHER_BOOKLET = "youth-teacher-2025.yaml"
#: mean item difficulty of the grade-8 booklet on the grade-4-centred scale (synthetic)
GRADE8_BOOKLET_MEAN = 1.2
#: synthetic ability distribution of each grade: (mean, SD) on the scale
GRADE_ABILITY: Mapping[str, tuple[float, float]] = {"4": (0.10, 1.00), "8": (1.25, 1.05)}
_SCHOOL_SD = 0.30
_SES_EFFECT = 0.25
_MALE_EFFECT = 0.05
_PRIVATE_EFFECT = 0.10
CLASS_SIZE = 45
#: seed of the synthetic item parameters (the "pilot calibration" of the demo)
TRUTH_SEED = 20250419


def load_youth_booklets() -> dict[str, Questionnaire]:
    """The grade booklets, grade -> questionnaire (bundled files)."""
    return {g: load_questionnaire(QUESTIONNAIRE_DIR / name) for g, name in BOOKLETS.items()}


@dataclass(frozen=True, slots=True)
class TrueItem:
    """True parameters of one item: slope and thresholds (one for a 0/1 item)."""

    a: float
    b: tuple[float, ...]


def _draw_items(q: Questionnaire, rng: np.random.Generator) -> dict[str, TrueItem]:
    out = {}
    for item in q.scored_items:
        a = float(rng.uniform(0.8, 1.8))
        centre = float(rng.normal(0.0, 0.85))
        if _categories(item) > 2:
            k = _categories(item) - 1
            steps = np.sort(rng.normal(0.0, 0.6, k)) + np.linspace(-0.6, 0.6, k)
            out[item.id] = TrueItem(a, tuple(float(centre + s) for s in np.sort(steps)))
        else:
            out[item.id] = TrueItem(a, (centre,))
    return out


def _categories(item: Item) -> int:
    """Score categories of a test item: 2, or keyed options + 1 with partial credit."""
    if item.key is not None and item.key.partial_credit:
        return len(item.key.correct) + 1
    return 2


def _shift(
    items: Mapping[str, TrueItem], ids: Sequence[str], a_scale: float, b_shift: float
) -> dict[str, TrueItem]:
    return {
        i: TrueItem(items[i].a / a_scale, tuple(a_scale * b + b_shift for b in items[i].b))
        for i in ids
    }


def youth_truth(booklets: Mapping[str, Questionnaire]) -> dict[str, TrueItem]:
    """Stable true item parameters for both booklets (drawn in item order, fixed seed).

    The grade-4 booklet is centred (mean difficulty 0, geometric-mean slope 1);
    the grade-8 booklet's own items are moved so that the whole grade-8 booklet
    has mean difficulty :data:`GRADE8_BOOKLET_MEAN`; the anchors keep one set
    of parameters.

    Example:
        >>> truth = youth_truth(load_youth_booklets())
        >>> sorted(truth)[:2]
        ['C01', 'C02']
    """
    q4, q8 = booklets["4"], booklets["8"]
    # a fixed seed (not the files' hashes): rewording an item keeps its parameters
    rng = np.random.default_rng(TRUTH_SEED)
    raw4 = _draw_items(q4, rng)
    raw8 = _draw_items(q8, rng)
    ids4 = [i.id for i in q4.scored_items]
    a_geo = math.exp(float(np.mean([math.log(raw4[i].a) for i in ids4])))
    b_bar = float(np.mean([np.mean(raw4[i].b) for i in ids4]))
    truth = _shift(raw4, ids4, a_geo, -a_geo * b_bar)
    own8 = [i.id for i in q8.scored_items if i.id not in truth]
    anchors8 = [i.id for i in q8.scored_items if i.id in truth]
    moved = _shift(raw8, own8, 1.0, 0.0)
    total = float(sum(np.mean(truth[i].b) for i in anchors8))
    # own items' mean difficulty such that the whole booklet averages GRADE8_BOOKLET_MEAN
    target_own = (GRADE8_BOOKLET_MEAN * (len(own8) + len(anchors8)) - total) / len(own8)
    own_mean = float(np.mean([np.mean(moved[i].b) for i in own8]))
    truth.update(_shift(moved, own8, 1.0, target_own - own_mean))
    return truth


def true_parameters(truth: Mapping[str, TrueItem], q: Questionnaire) -> ItemParameters:
    """The truth of one booklet as :class:`~scoring.irt.params.ItemParameters` (2PL/GRM)."""
    ids = [i.id for i in q.scored_items]
    kmax = max(len(truth[i].b) for i in ids)
    b = np.full((len(ids), kmax), np.nan)
    for j, i in enumerate(ids):
        b[j, : len(truth[i].b)] = truth[i].b
    models = tuple(ItemModel.GRM if len(truth[i].b) > 1 else ItemModel.TWO_PL for i in ids)
    a = np.array([truth[i].a for i in ids])
    return ItemParameters(tuple(ids), models, a, b, np.zeros(len(ids)))


def default_cuts_from_truth(
    booklets: Mapping[str, Questionnaire], rps: Sequence[float] = (0.40, 0.60, 0.80)
) -> dict[str, tuple[float, ...]]:
    """The documented rule for the default cut scores, applied to the pilot (true) parameters.

    Example:
        >>> default_cuts_from_truth(load_youth_booklets())["4"]
        (460.0, 540.0, 640.0)
    """
    from scoring.irt.vertical import item_mapping_cut

    truth = youth_truth(booklets)
    scale = ReportingScale()
    out = {}
    for g, q in booklets.items():
        params = true_parameters(truth, q)
        out[g] = tuple(5.0 * round(item_mapping_cut(params, rp, scale) / 5.0) for rp in rps)
    return out


# ------------------------------------------------------------------ the school frame
def synthetic_school_frame(rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    """Primary, junior and nine-year schools of the 14 towns/streets with grade-4/8 enrolments.

    Grade-4 enrolment is 1.35% and grade-8 enrolment 1.15% of a town's adults
    (about 18,600 and 15,900 students in all); a primary school has about 190
    grade-4 students, a junior school about 420 grade-8 students; every third
    town has a nine-year school with both grades; about 15% of the schools are
    private (民办). Classes hold up to 45 students.

    Returns columns ``school_id``, ``school_name``, ``town``, ``school_type``
    (``public``/``private``), ``level`` (``primary``/``junior``/``nine_year``),
    ``students_g4``, ``classes_g4``, ``students_g8``, ``classes_g8``.
    """
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "school_id",
            "school_name",
            "town",
            "school_type",
            "level",
            "students_g4",
            "classes_g4",
            "students_g8",
            "classes_g8",
        )
    }
    for t_index, t in enumerate(YIWU_TOWNS):
        g4_total, g8_total = 0.0135 * t.adults, 0.0115 * t.adults
        n_primary = max(2, round(g4_total / 190))
        n_junior = max(1, round(g8_total / 420))
        nine = t_index % 3 == 0
        plans = [("primary", j) for j in range(n_primary)] + [
            ("junior", j) for j in range(n_junior)
        ]
        if nine:
            plans.append(("nine_year", 0))
        g4_share = rng.lognormal(0, 0.35, n_primary + int(nine))
        g8_share = rng.lognormal(0, 0.30, n_junior + int(nine))
        g4 = np.maximum(np.round(g4_share / g4_share.sum() * g4_total), 25)
        g8 = np.maximum(np.round(g8_share / g8_share.sum() * g8_total), 25)
        i4 = i8 = 0
        for level, j in plans:
            m4 = int(g4[i4]) if level in ("primary", "nine_year") else 0
            m8 = int(g8[i8]) if level in ("junior", "nine_year") else 0
            i4 += level in ("primary", "nine_year")
            i8 += level in ("junior", "nine_year")
            code = {"primary": "p", "junior": "j", "nine_year": "n"}[level]
            name = {"primary": "小学", "junior": "初中", "nine_year": "九年一贯制学校"}[level]
            cols["school_id"].append(f"{t.code}-{code}{j + 1:02d}")
            cols["school_name"].append(f"{t.name}第{j + 1}{name}（模拟）")
            cols["town"].append(t.code)
            cols["school_type"].append("private" if rng.random() < 0.15 else "public")
            cols["level"].append(level)
            cols["students_g4"].append(m4)
            cols["classes_g4"].append(math.ceil(m4 / CLASS_SIZE) if m4 else 0)
            cols["students_g8"].append(m8)
            cols["classes_g8"].append(math.ceil(m8 / CLASS_SIZE) if m8 else 0)
    out: dict[str, NDArray[Any]] = {k: np.array(v) for k, v in cols.items()}
    return out


# ------------------------------------------------------------------ students
def simulate_students(
    frame: Mapping[str, NDArray[Any]], rng: np.random.Generator
) -> dict[str, NDArray[Any]]:
    """Every grade-4 and grade-8 student of the frame with background and true ability.

    Students of a school's grade are dealt to its classes in turn (class sizes
    differ by at most one); ``seat`` numbers run 1.. within a class. Columns:
    ``student_key`` (``<class>:<seat>``), ``grade``, ``school_id``, ``town``,
    ``school_type``, ``class_id``, ``seat``, ``sex``, ``ses``, ``theta``.
    """
    town_effect = {t.code: 0.6 * t.effect for t in YIWU_TOWNS}
    parts: dict[str, list[NDArray[Any]]] = {
        k: []
        for k in (
            "grade",
            "school_id",
            "town",
            "school_type",
            "class_id",
            "seat",
            "sex",
            "ses",
            "theta",
        )
    }
    n_schools = len(frame["school_id"])
    school_ses = rng.normal(0, 0.5, n_schools)
    school_u = rng.normal(0, _SCHOOL_SD, n_schools)
    for grade in YOUTH_GRADES:
        mu, sd = GRADE_ABILITY[grade]
        for i in range(n_schools):
            m = int(frame[f"students_g{grade}"][i])
            if m == 0:
                continue
            c = int(frame[f"classes_g{grade}"][i])
            number = np.arange(m) % c + 1
            seat = np.zeros(m, dtype=np.int64)
            for k in range(1, c + 1):
                seat[number == k] = np.arange(1, int((number == k).sum()) + 1)
            school = str(frame["school_id"][i])
            ses = school_ses[i] + rng.normal(0, 0.87, m)
            male = rng.random(m) < 0.53
            private = frame["school_type"][i] == "private"
            systematic = (
                town_effect[str(frame["town"][i])]
                + school_u[i]
                + _PRIVATE_EFFECT * private
                + _SES_EFFECT * ses
                + _MALE_EFFECT * male
            )
            resid = math.sqrt(max(sd**2 - _SCHOOL_SD**2 - (_SES_EFFECT**2), 0.2))
            parts["grade"].append(np.full(m, grade))
            parts["school_id"].append(np.full(m, school))
            parts["town"].append(np.full(m, str(frame["town"][i])))
            parts["school_type"].append(np.full(m, str(frame["school_type"][i])))
            parts["class_id"].append(np.array([f"{school}-g{grade}-{k:02d}" for k in number]))
            parts["seat"].append(seat)
            parts["sex"].append(np.where(male, "1", "2"))
            parts["ses"].append(ses)
            parts["theta"].append(mu + systematic + rng.normal(0, resid, m))
    out = {k: np.concatenate(v) for k, v in parts.items()}
    out["student_key"] = np.char.add(
        np.char.add(out["class_id"].astype(str), ":"), out["seat"].astype(str)
    )
    return out


def population_level_shares(
    students: Mapping[str, NDArray[Any]],
    levels: ProficiencyLevels = DEFAULT_LEVELS,
    scale: ReportingScale | None = None,
) -> dict[str, NDArray[np.float64]]:
    """The true share of each level in each grade of the whole simulated population.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> pop = simulate_students(synthetic_school_frame(rng), rng)
        >>> float(population_level_shares(pop)["4"].sum())
        1.0
    """
    scale = scale or ReportingScale()
    out = {}
    for g in YOUTH_GRADES:
        theta = students["theta"][students["grade"] == g]
        lv = levels.level_of(g, scale.to_score(theta))
        out[g] = np.bincount(lv, minlength=len(levels.codes)) / lv.size
    return out


# ------------------------------------------------------------------ sessions and answers
def simulate_attendance(
    class_ids: Sequence[str], students: Mapping[str, NDArray[Any]], rng: np.random.Generator
) -> dict[str, NDArray[Any]]:
    """The seats of every sampled class and what happened in its session.

    Returns one row per seat: ``class_id``, ``seat``, ``student_key``, ``status``
    (``complete``, ``timeout`` (ran out of time before the last test page),
    ``absent`` or ``refused``) and ``held`` (1: the session took place).
    """
    wanted = set(class_ids)
    rows = np.flatnonzero(np.isin(students["class_id"], list(wanted)))
    cls = students["class_id"][rows]
    rate = {c: float(rng.uniform(0.02, 0.10)) for c in sorted(wanted)}
    u = rng.random(rows.size)
    absent_p = np.array([rate[c] for c in cls])
    status = np.where(u < absent_p, "absent", np.where(u < absent_p + 0.005, "refused", "complete"))
    late = (status == "complete") & (rng.random(rows.size) < 0.03)
    status = np.where(late, "timeout", status)
    return {
        "class_id": cls,
        "seat": students["seat"][rows],
        "student_key": students["student_key"][rows],
        "status": status,
        "held": np.ones(rows.size, dtype=np.int64),
    }


def _grm_category(
    item: TrueItem, theta: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.int64]:
    b = np.asarray(item.b)
    above = 1.0 / (1.0 + np.exp(-item.a * (theta[:, None] - b[None, :])))  # P(X >= k), k = 1..
    u = rng.random(theta.size)
    category: NDArray[np.int64] = (u[:, None] < above).sum(axis=1).astype(np.int64)
    return category


def simulate_booklet_answers(
    q: Questionnaire,
    truth: Mapping[str, TrueItem],
    students: Mapping[str, NDArray[Any]],
    timeout: NDArray[np.bool_],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Answer records of the students present, from the IRT truth and their background.

    Test items: a right answer with the 2PL probability, else a random wrong
    option; partial-credit items: the GRM category ``k`` = number of keyed
    options chosen (``k = 0``: one wrong option). Students who ran out of time
    (``timeout``) leave the last test section and the questions after it empty.
    Background answers follow the student's ``ses`` and ability.
    """
    theta = np.asarray(students["theta"], dtype=np.float64)
    ses = np.asarray(students["ses"], dtype=np.float64)
    n = theta.size
    cols: dict[str, NDArray[Any]] = {}
    test_sections = [s.id for s in q.sections if any(i.key for i in s.items)]
    cut_section = test_sections[-1]
    late_ids: set[str] = set()
    reached_cut = False
    for section in q.sections:
        reached_cut = reached_cut or section.id == cut_section
        for item in section.items:
            if reached_cut:
                late_ids.update(item.variables)
            cols[item.id] = _answers(item, truth, students, theta, ses, rng)
    records = []
    for i in range(n):
        rec = {}
        for name, values in cols.items():
            value = values[i]
            if value is None or (timeout[i] and name in late_ids):
                continue
            rec[name] = value.item() if isinstance(value, np.generic) else value
        records.append(rec)
    return records


def _answers(
    item: Item,
    truth: Mapping[str, TrueItem],
    students: Mapping[str, NDArray[Any]],
    theta: NDArray[np.float64],
    ses: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[Any]:
    n = theta.size
    out = np.empty(n, dtype=object)
    if item.concept == "sex":
        out[:] = students["sex"]
        return out
    if item.key is not None:
        t = truth[item.id]
        if len(t.b) > 1:
            cat = _grm_category(t, theta, rng)
            keyed = sorted(item.key.correct)
            wrong = [c for c in item.codes if c not in item.key.correct]
            for i in range(n):
                k = int(cat[i])
                out[i] = (
                    sorted(rng.choice(keyed, size=k, replace=False).tolist())
                    if k
                    else [str(rng.choice(wrong))]
                )
            return out
        p = 1.0 / (1.0 + np.exp(-t.a * (theta - t.b[0])))
        right = rng.random(n) < p
        key = sorted(item.key.correct)[0]
        wrong_codes = np.array([c for c in item.codes if c not in item.key.correct], dtype=object)
        out[:] = np.where(right, key, wrong_codes[rng.integers(0, wrong_codes.size, n)])
        return out
    if item.type is ItemType.NUMBER:
        lo = int(item.minimum or 0)
        hi = int(item.maximum or lo)
        grade_age = round((lo + hi) / 2)
        out[:] = np.clip(grade_age + rng.integers(-1, 1, n), lo, hi).astype(object)
        return out
    return _background(item, theta, ses, rng)


def _background(
    item: Item, theta: NDArray[np.float64], ses: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[Any]:
    """Background answers: ordered options follow ``ses`` (books, devices, parents, venues)."""
    n = theta.size
    out = np.empty(n, dtype=object)
    codes = [c for c in item.codes]
    skip = rng.random(n) < 0.02  # optional questions are sometimes left out
    if item.type is ItemType.MULTIPLE:
        regular = [o.code for o in item.options if not o.exclusive]
        exclusive = [o.code for o in item.options if o.exclusive]
        p = np.clip(0.25 + 0.12 * ses[:, None] + 0.05 * theta[:, None], 0.03, 0.9)
        picks = rng.random((n, len(regular))) < p
        for i in range(n):
            if skip[i]:
                continue
            chosen = [c for c, keep in zip(regular, picks[i], strict=True) if keep]
            out[i] = chosen or exclusive[:1]
        return out
    driver = {
        "like_science": 0.5 * theta,
        "read_science": 0.3 * theta + 0.4 * ses,
        "science_job": -0.3 * theta,
    }.get(item.id, 0.8 * ses)
    ordered = [c for c in codes if c not in ("unknown", "other", "unsure")]
    k = len(ordered)
    if item.id in ("lives_with", "venue_time"):  # options listed best first
        driver = -driver
    position = np.clip(np.round((k - 1) / 2 + driver + rng.normal(0, 0.9, n)), 0, k - 1)
    values = np.array(ordered, dtype=object)[position.astype(np.int64)]
    if item.id == "parent_edu":
        values = np.where(rng.random(n) < 0.08, "unknown", values)
    if item.id in ("device", "other_venues"):  # "yes" first
        values = np.where(ses + rng.normal(0, 0.8, n) > -0.9, "yes", "no")
    out[:] = values
    out[skip] = None
    return out
