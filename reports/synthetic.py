"""A synthetic Yiwu population and simulated answers, for the demo, benchmarks and tests.

**Everything here is synthetic** (模拟数据). Town sizes are rounded, plausible
figures of the order of Yiwu's 2020 census (about 1.86 million residents,
roughly 1.35 million aged 18-69), not official counts; group shares and the
answer model are chosen so that the simulated literacy rate and its gradients
look like the published national pattern (../shared/domain.md: urban above
rural, young above old, rising with education), with Yiwu a little above the
national 2024 rate of 15.37%.

The answer model is a three-parameter logistic IRT model (Lord 1980; Baker &
Kim 2004 ch. 2): a person's ability is

    theta = mu_edu + b_age * (age - 45) / 10 + b_urban * urban + b_male * male
            + town effect + N(0, sigma^2)

and the chance of a right answer to test item j is
``c_j + (1 - c_j) / (1 + exp(-a_j (theta - b_j)))``. Item parameters are drawn
once per questionnaire from a generator seeded by the questionnaire's hash,
so the same questionnaire always gets the same synthetic items. Wrong answers
are "don't know" (more often for older and less educated people) or a wrong
option. Everything is vectorised over persons; loops run over items only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import DONT_KNOW
from questionnaires.model import Item
from questionnaires.model import ItemType
from questionnaires.model import Questionnaire

logger = logging.getLogger(__name__)

SYNTHETIC_LABEL = "模拟数据（非真实调查） / synthetic data, not a real survey"


@dataclass(frozen=True, slots=True)
class TownSpec:
    """A town (镇) or street (街道) of the synthetic Yiwu population."""

    code: str
    name: str
    kind: str  # "town" or "street"
    adults: int  # residents aged 18-69 (synthetic, plausible)
    urban_share: float
    effect: float  # town effect on ability (synthetic)


#: the 14 towns/streets of Yiwu's plan, with synthetic adult populations (18-69)
YIWU_TOWNS: tuple[TownSpec, ...] = (
    TownSpec("fotang", "佛堂镇", "town", 105_000, 0.45, -0.10),
    TownSpec("suxi", "苏溪镇", "town", 95_000, 0.50, -0.10),
    TownSpec("shangxi", "上溪镇", "town", 52_000, 0.35, -0.20),
    TownSpec("dachen", "大陈镇", "town", 42_000, 0.30, -0.25),
    TownSpec("yiting", "义亭镇", "town", 70_000, 0.40, -0.15),
    TownSpec("chian", "赤岸镇", "town", 36_000, 0.25, -0.25),
    TownSpec("choucheng", "稠城街道", "street", 165_000, 1.00, 0.20),
    TownSpec("futian", "福田街道", "street", 110_000, 0.95, 0.15),
    TownSpec("jiangdong", "江东街道", "street", 160_000, 0.90, 0.05),
    TownSpec("choujiang", "稠江街道", "street", 135_000, 0.85, 0.00),
    TownSpec("beiyuan", "北苑街道", "street", 135_000, 0.90, 0.05),
    TownSpec("houzhai", "后宅街道", "street", 115_000, 0.75, -0.05),
    TownSpec("niansanli", "廿三里街道", "street", 100_000, 0.60, -0.05),
    TownSpec("chengxi", "城西街道", "street", 62_000, 0.55, -0.10),
)

EDUCATION = ("none", "primary", "junior", "senior", "college", "bachelor", "graduate")
#: shares of education levels among adults 18-69 that the cut points give (synthetic):
#: none 3%, primary 14%, junior 36%, senior 21%, college 11%, bachelor 13%, graduate 2%.
#: The model parameters below were tuned by simulation so that about 17% are literate,
#: by age 32/22/14/8/5% (18-29 ... 60-69), urban 21% vs rural 7%, bachelor 48%.
#: mean ability by education (index as EDUCATION)
_MU_EDU = np.array([-0.875, -0.65, -0.375, -0.075, 0.15, 0.35, 0.525])
_EDU_CUTS = np.array([-1.45, -0.17, 1.26, 2.05, 2.59, 3.94])
_B_AGE, _B_URBAN, _B_MALE, _SIGMA, _INTERCEPT = -0.05, 0.22, 0.05, 0.45, -0.6


def _town_arrays() -> tuple[
    NDArray[np.str_], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]:
    codes = np.array([t.code for t in YIWU_TOWNS])
    sizes = np.array([t.adults for t in YIWU_TOWNS], dtype=np.float64)
    urban = np.array([t.urban_share for t in YIWU_TOWNS])
    effect = np.array([t.effect for t in YIWU_TOWNS])
    return codes, sizes, urban, effect


def synthetic_frame(
    rng: np.random.Generator, communities_per_10k: float = 1.6
) -> dict[str, NDArray[Any]]:
    """A PSU frame: every town/street split into villages/communities with adult counts.

    Returns columns ``stratum`` (town code), ``town``, ``psu`` (a stable id such as
    ``fotang-007``), ``urban`` (1 for a community, 0 for a village) and ``size``
    (adults 18-69), summing to each town's synthetic population.
    """
    cols: dict[str, list[Any]] = {"stratum": [], "town": [], "psu": [], "urban": [], "size": []}
    for t in YIWU_TOWNS:
        k = max(4, int(round(t.adults / 10_000 * communities_per_10k)))
        shares = rng.lognormal(0.0, 0.5, size=k)
        sizes = np.maximum(np.round(shares / shares.sum() * t.adults), 150)
        sizes[-1] += t.adults - sizes.sum()
        n_urban = int(round(k * t.urban_share))
        for j in range(k):
            cols["stratum"].append(t.code)
            cols["town"].append(t.code)
            cols["psu"].append(f"{t.code}-{j + 1:03d}")
            cols["urban"].append(1 if j < n_urban else 0)
            cols["size"].append(int(sizes[j]))
    return {
        "stratum": np.array(cols["stratum"]),
        "town": np.array(cols["town"]),
        "psu": np.array(cols["psu"]),
        "urban": np.array(cols["urban"], dtype=np.int64),
        "size": np.array(cols["size"], dtype=np.int64),
    }


def simulate_people(
    n: int,
    rng: np.random.Generator,
    *,
    survey_year: int = 2025,
    town: NDArray[np.str_] | None = None,
    urban: NDArray[np.int64] | None = None,
) -> dict[str, NDArray[Any]]:
    """Demographics and latent ability of ``n`` synthetic adults aged 18-69.

    ``town`` and ``urban`` may be given (for people living in sampled PSUs);
    otherwise towns are drawn in proportion to their adult populations.
    Returns arrays keyed by the questionnaire's demographic ids plus ``theta``.
    """
    codes, sizes, urban_share, effect = _town_arrays()
    if town is None:
        town_idx = rng.choice(len(codes), size=n, p=sizes / sizes.sum())
    else:
        lookup = {c: i for i, c in enumerate(codes)}
        town_idx = np.array([lookup[str(t)] for t in town])
    if urban is None:
        urban = (rng.random(n) < urban_share[town_idx]).astype(np.int64)
    # Yiwu's workforce: many migrants aged 20-45
    young = rng.random(n) < 0.62
    age = np.where(young, rng.normal(34, 8.5, n), rng.normal(55, 8, n))
    age = np.clip(np.round(age), 18, 69).astype(np.int64)
    sex = np.where(rng.random(n) < 0.53, "1", "2")
    # education: younger and urban people have more schooling
    latent = 0.9 - 0.055 * (age - 40) + 0.5 * urban + rng.normal(0, 1.15, n)
    cuts = _EDU_CUTS
    edu_idx = np.searchsorted(cuts, latent)
    education = np.array(EDUCATION)[edu_idx]
    occupation = _occupation(rng, age, edu_idx, urban)
    employer = _employer(rng, occupation)
    years = np.where(
        rng.random(n) < 0.45, age - 18 + rng.integers(0, 19, n), rng.integers(0, 20, n)
    )
    years = np.clip(years, 0, age).astype(np.int64)
    theta = (
        _INTERCEPT
        + _MU_EDU[edu_idx]
        + _B_AGE * (age - 45) / 10
        + _B_URBAN * urban
        + _B_MALE * (sex == "1")
        + effect[town_idx]
        + rng.normal(0, _SIGMA, n)
    )
    return {
        "sex": sex,
        "birth_year": (survey_year - age).astype(np.int64),
        "age": age,
        "education": education,
        "occupation": occupation,
        "employer": employer,
        "town": codes[town_idx],
        "urban": np.where(urban == 1, "urban", "rural"),
        "years_in_yiwu": years,
        "theta": theta,
    }


def _occupation(
    rng: np.random.Generator,
    age: NDArray[np.int64],
    edu: NDArray[np.intp],
    urban: NDArray[np.int64],
) -> NDArray[np.str_]:
    n = len(age)
    out = np.empty(n, dtype=object)
    u = rng.random(n)
    retired = (age >= 60) & (u < 0.55)
    student = (age <= 23) & (edu >= 3) & (u < 0.45)
    out[retired] = "retired"
    out[student] = "student"
    rest = ~(retired | student)
    labels = np.array(
        [
            "head",
            "professional",
            "clerk",
            "service",
            "agriculture",
            "production",
            "other_work",
            "unemployed",
        ]
    )
    # weights by education band (low, middle, high) and residence
    low = np.array([0.01, 0.01, 0.03, 0.28, 0.22, 0.33, 0.05, 0.07])
    mid = np.array([0.03, 0.08, 0.10, 0.38, 0.06, 0.26, 0.04, 0.05])
    high = np.array([0.08, 0.34, 0.22, 0.24, 0.01, 0.07, 0.02, 0.02])
    band = np.where(edu <= 2, 0, np.where(edu <= 3, 1, 2))
    for b, w in enumerate((low, mid, high)):
        for is_urban in (0, 1):
            mask = rest & (band == b) & (urban == is_urban)
            weights = w.copy()
            if not is_urban:
                weights[4] *= 3.0  # agriculture in villages
            weights /= weights.sum()
            out[mask] = rng.choice(labels, size=int(mask.sum()), p=weights)
    return out.astype(str)


def _employer(rng: np.random.Generator, occupation: NDArray[np.str_]) -> NDArray[np.object_]:
    n = len(occupation)
    out = np.full(n, None, dtype=object)
    labels = np.array(
        ["party_gov", "public_inst", "soe", "private", "foreign", "self_employed", "none"]
    )
    table = {
        "head": [0.20, 0.20, 0.10, 0.35, 0.03, 0.12, 0.00],
        "professional": [0.05, 0.35, 0.10, 0.40, 0.05, 0.05, 0.00],
        "clerk": [0.25, 0.20, 0.10, 0.38, 0.04, 0.03, 0.00],
        "service": [0.01, 0.03, 0.03, 0.45, 0.02, 0.40, 0.06],
        "agriculture": [0.00, 0.00, 0.00, 0.05, 0.00, 0.10, 0.85],
        "production": [0.00, 0.01, 0.08, 0.80, 0.06, 0.05, 0.00],
        "other_work": [0.00, 0.02, 0.02, 0.30, 0.01, 0.25, 0.40],
    }
    for occ, p in table.items():
        mask = occupation == occ
        out[mask] = rng.choice(labels, size=int(mask.sum()), p=np.array(p) / sum(p))
    return out


@dataclass(frozen=True, slots=True)
class SyntheticItem:
    """3PL parameters of one simulated test item."""

    a: float
    b: float
    c: float


def synthetic_item_parameters(questionnaire: Questionnaire) -> dict[str, SyntheticItem]:
    """Stable synthetic 3PL parameters for each scored item of a questionnaire."""
    seed = int(questionnaire.content_hash[:16] or "0", 16)
    rng = np.random.default_rng(seed)
    out: dict[str, SyntheticItem] = {}
    for item in questionnaire.scored_items:
        guess = {ItemType.TRUEFALSE: 0.20, ItemType.SINGLE: 0.12, ItemType.MULTIPLE: 0.03}
        out[item.id] = SyntheticItem(
            a=float(rng.uniform(0.9, 2.0)),
            b=float(rng.normal(-0.45, 0.75)),
            c=guess.get(item.type, 0.0),
        )
    return out


def simulate_answers(
    questionnaire: Questionnaire, people: Mapping[str, NDArray[Any]], rng: np.random.Generator
) -> dict[str, NDArray[Any]]:
    """Answers of the simulated people to every item, column by column.

    Returns ``{variable: array}``; single codes are strings, multiple answers are
    lists (object arrays), skipped or unanswered values are ``None``. Skip logic
    is applied per person afterwards by :func:`answers_to_records`.
    """
    n = len(people["theta"])
    theta = people["theta"]
    age = people["age"]
    edu_idx = np.searchsorted(np.array(EDUCATION), people["education"])
    params = synthetic_item_parameters(questionnaire)
    dk_propensity = np.clip(0.25 + 0.01 * (age - 40) - 0.06 * edu_idx, 0.05, 0.75)
    cols: dict[str, NDArray[Any]] = {}
    for item in questionnaire.items:
        if item.concept and item.concept in people:
            cols[item.id] = np.asarray(people[item.concept], dtype=object)
        elif item.key is not None:
            p = params[item.id]
            prob = p.c + (1 - p.c) / (1 + np.exp(-p.a * (theta - p.b)))
            right = rng.random(n) < prob
            cols[item.id] = _test_answers(item, right, dk_propensity, rng)
        elif item.type is ItemType.GRID:
            for row in item.rows:
                cols[row.id] = _likert(item, theta, rng, row.attention_expect)
        elif item.type is ItemType.LIKERT:
            cols[item.id] = _likert(item, theta, rng, item.attention_expect)
        elif item.type is ItemType.MULTIPLE:
            cols[item.id] = _multiple_habits(item, theta, age, rng)
        elif item.type is ItemType.SINGLE:
            cols[item.id] = _single_habit(item, theta, rng)
        elif item.type is ItemType.NUMBER:
            lo = item.minimum if item.minimum is not None else 0
            hi = item.maximum if item.maximum is not None else lo + 10
            cols[item.id] = np.round(rng.uniform(lo, hi, n)).astype(object)
        else:  # free text: almost always left empty
            cols[item.id] = np.full(n, None, dtype=object)
    return cols


def _test_answers(
    item: Item, right: NDArray[np.bool_], dk: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[Any]:
    if item.key is None:
        raise ValueError(f"item {item.id} has no answer key")
    n = len(right)
    out = np.empty(n, dtype=object)
    key = sorted(item.key.correct)
    if item.type is ItemType.MULTIPLE:
        codes = [c for c in item.codes if c != DONT_KNOW]
        for i in np.flatnonzero(right):
            out[i] = list(key)
        wrong_idx = np.flatnonzero(~right)
        picks = rng.random((len(wrong_idx), len(codes))) < 0.5
        for row, i in enumerate(wrong_idx):
            chosen = [c for c, keep in zip(codes, picks[row], strict=True) if keep]
            if sorted(chosen) == key or not chosen:
                chosen = [c for c in codes if c not in key][:1] + key[:1]
            out[i] = sorted(chosen)
        return out
    wrong_codes = [c for c in item.codes if c not in item.key.correct and c != DONT_KNOW]
    has_dk = DONT_KNOW in item.codes
    say_dk = has_dk & (rng.random(n) < dk)
    wrong_pick = np.array(wrong_codes, dtype=object)[rng.integers(0, len(wrong_codes), n)]
    out[:] = np.where(right, key[0], np.where(say_dk, DONT_KNOW, wrong_pick))
    return out


def _likert(
    item: Item, theta: NDArray[np.float64], rng: np.random.Generator, attention: str | None
) -> NDArray[Any]:
    codes = np.array(item.codes, dtype=object)
    k = len(codes)
    if attention is not None:
        attentive = rng.random(len(theta)) < 0.95
        random_pick = codes[rng.integers(0, k, len(theta))]
        return np.where(attentive, attention, random_pick)
    mid = (k - 1) / 2 + 0.5 * theta + rng.normal(0, 0.9, len(theta))
    return codes[np.clip(np.round(mid), 0, k - 1).astype(np.int64)]


def _multiple_habits(
    item: Item, theta: NDArray[np.float64], age: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[Any]:
    n = len(theta)
    exclusive = [o.code for o in item.options if o.exclusive]
    regular = [o.code for o in item.options if not o.exclusive]
    young = (age < 45).astype(np.float64)
    base = 0.25 + 0.10 * theta[:, None] + 0.10 * young[:, None] * rng.uniform(-1, 1, len(regular))
    picks = rng.random((n, len(regular))) < np.clip(base, 0.02, 0.9)
    out = np.empty(n, dtype=object)
    for i in range(n):
        chosen = [c for c, keep in zip(regular, picks[i], strict=True) if keep]
        out[i] = chosen or exclusive[:1] or regular[:1]
    return out


def _single_habit(item: Item, theta: NDArray[np.float64], rng: np.random.Generator) -> NDArray[Any]:
    codes = np.array(item.codes, dtype=object)
    # options listed from most to least engaged: higher ability, earlier option
    position = np.clip(
        np.round((len(codes) - 1) * (0.55 - 0.2 * theta) + rng.normal(0, 0.8, len(theta))),
        0,
        len(codes) - 1,
    )
    return codes[position.astype(np.int64)]


def answers_to_records(
    questionnaire: Questionnaire,
    columns: Mapping[str, NDArray[Any]],
    survey_year: int | None = None,
) -> list[dict[str, Any]]:
    """Per-person answer dicts with skip logic applied (hidden items removed)."""
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    records: list[dict[str, Any]] = []
    conditional = [(item, item.relevant) for item in questionnaire.items if item.relevant]
    hidden_sections = [(s, s.relevant) for s in questionnaire.sections if s.relevant]
    for i in range(n):
        rec: dict[str, Any] = {}
        for name in names:
            value = columns[name][i]
            if value is None:
                continue
            rec[name] = value.item() if isinstance(value, np.generic) else value
        if conditional or hidden_sections:
            env = questionnaire.environment(rec, survey_year)
            for section, cond in hidden_sections:
                if not cond.test(env):
                    for it in section.items:
                        for var in it.variables:
                            rec.pop(var, None)
            for item, cond in conditional:
                if not cond.test(env):
                    for var in item.variables:
                        rec.pop(var, None)
        records.append(rec)
    return records
