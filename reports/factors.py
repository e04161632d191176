"""Influencing factors: information channels and participation in science activities.

For an item of the questionnaire (``channels``, ``visit_venue``, ``events``,
``kepu_app`` by default; :data:`reports.spec.DEFAULT_FACTORS`) the report shows

* the share of respondents choosing each option, ``svy_proportion(1[chose c])``
  among those who answered the item; and
* the literacy rate of those who chose it (and, for multiple-answer items, of
  those who did not), ``svy_proportion(literate)`` on the domain "chose c" of the
  full design (Lumley 2010, §2.3); and
* the adjusted odds ratio of being literate for choosing it, from the
  survey-weighted logistic regression ``literate ~ item + C(age_band) +
  C(education) + C(urban)`` (:func:`sampling.glm.svy_glm`, R's ``svyglm`` with
  ``quasibinomial``): a single-answer item enters as dummies against its first
  option with respondents, a multiple-answer item as one 0/1 term per option
  (chose it or not). Intervals are ``exp`` of the t intervals of the
  coefficients on ``degf - p + 1`` df; the item's Wald F test
  (R's ``regTermTest``) says whether the item matters at all once the controls
  are held fixed (Lumley 2010, ch. 5).

:func:`median_scores` gives the median total score of everybody and of each key
group with Woodruff intervals (:func:`sampling.quantiles.svy_quantile`).

The item's answers are a column of the analysis table named after the item:
codes for single-answer items, codes joined with ``;`` (or lists) for
multiple-answer items; an empty cell means not asked or not answered.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from questionnaires.model import Questionnaire
from reports.model import Breakdown
from reports.model import DomainRow
from reports.model import FactorResult
from reports.model import SeparatedLevel
from reports.model import domain_rows
from reports.spec import FactorSpec
from sampling.errors import SamplingError
from sampling.glm import svy_glm
from sampling.quantiles import svy_quantile
from sampling.results import Estimate

logger = logging.getLogger(__name__)


class EstimationContext(Protocol):
    """What :func:`factor_results` needs from the report's estimation context."""

    spec: Any
    design: Any
    reliability: Any

    def has(self, name: str) -> bool: ...

    def numeric(self, name: str) -> NDArray[np.float64]: ...

    def raw(self, name: str) -> NDArray[Any]: ...

    def proportion(
        self, y: NDArray[np.float64], by: Mapping[str, Any] | None, name: str
    ) -> Estimate: ...

    def flag_rows(
        self, y: NDArray[np.float64], flags: Mapping[str, NDArray[np.float64]], variable: str,
        statistic: str = "proportion",
    ) -> Breakdown: ...  # fmt: skip


def choice_sets(values: NDArray[Any]) -> list[frozenset[str] | None]:
    """Parse a multiple-answer column: ``"a;b"`` / lists -> sets; empty -> None.

    Example:
        >>> [sorted(s) if s else s for s in choice_sets(np.array(["tv;internet", "", "none"]))]
        [['internet', 'tv'], None, ['none']]
    """
    out: list[frozenset[str] | None] = []
    for v in values.tolist():
        if isinstance(v, list | tuple | set | frozenset):
            codes = [str(c).strip() for c in v]
        elif v is None or (isinstance(v, float) and v != v):
            codes = []
        else:
            text = str(v).strip()
            for sep in (",", "|"):
                text = text.replace(sep, ";")
            codes = [c.strip() for c in text.split(";")] if text not in ("", "nan", "None") else []
        codes = [c for c in codes if c]
        out.append(frozenset(codes) if codes else None)
    return out


def _indicators(
    values: NDArray[Any], codes: Sequence[str], multiple: bool
) -> dict[str, NDArray[np.float64]]:
    """``1`` chose the code, ``0`` answered otherwise, NaN not answered."""
    n = values.shape[0]
    if multiple:
        # parse each distinct cell once (answer combinations repeat a lot)
        if values.dtype.kind == "O":
            keys = np.array([";".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
                             for v in values.tolist()])  # fmt: skip
        else:
            keys = values.astype(str)
        uniq, inverse = np.unique(keys, return_inverse=True)
        sets = choice_sets(uniq)
        answered = np.array([s is not None for s in sets])
        out = {}
        for c in codes:
            per_cell = np.where(answered, [1.0 if s and c in s else 0.0 for s in sets], np.nan)
            out[c] = per_cell[inverse] if n else np.zeros(0)
        return out
    text = np.array(["" if v is None else str(v).strip() for v in values.tolist()], dtype=str)
    answered = ~np.isin(text, ["", "nan", "None"])
    return {c: np.where(answered, (text == c).astype(np.float64), np.nan) for c in codes}


def factor_results(
    ctx: EstimationContext,
    questionnaire: Questionnaire,
    factors: Sequence[FactorSpec],
    controls: Mapping[str, NDArray[Any]] | None = None,
) -> tuple[FactorResult, ...]:
    """Shares, literacy by choice and adjusted odds ratios for every factor item in the table.

    Items missing from the table or the questionnaire are left out (logged).
    ``controls`` are the adjustment variables (name -> labels, "" missing).

    Example:
        >>> [f.item for f in factor_results(ctx, q, DEFAULT_FACTORS)]  # doctest: +SKIP
        ['channels', 'visit_venue', 'events', 'kepu_app']
    """
    out = []
    literate = ctx.numeric("literate")
    suppress = ctx.spec.suppress_below
    for f in factors:
        if not ctx.has(f.item) or not questionnaire.has_variable(f.item):
            logger.info("factor %s: no column or item, left out", f.item)
            continue
        item = questionnaire.item(f.item)
        codes = list(item.codes)
        ind = _indicators(ctx.raw(f.item), codes, f.multiple)
        answered = int(np.isfinite(next(iter(ind.values()))).sum()) if ind else 0
        if answered == 0:
            continue
        share_rows = []
        for c in codes:
            if not np.any(np.isfinite(ind[c])):
                share_rows.append(DomainRow.empty(c))
                continue
            est = ctx.proportion(ind[c], None, f"{f.item}={c}")
            share_rows.append(dataclasses.replace(domain_rows(est, None, suppress)[0], key=c))
        yes = ctx.flag_rows(literate, ind, "literate")
        no = None
        if f.multiple:
            not_chosen = {c: np.where(v == 0, 1.0, 0.0) for c, v in ind.items()}
            no = ctx.flag_rows(literate, not_chosen, "literate")
        adjusted, test, note, separated = adjusted_odds_ratios(
            ctx, f.item, codes, ind, f.multiple, literate, controls or {}
        )
        out.append(
            FactorResult(
                item=f.item,
                multiple=f.multiple,
                shares=Breakdown(f.item, f.item, tuple(share_rows)),
                literacy_yes=Breakdown(f.item, "literate", yes.rows),
                literacy_no=None if no is None else Breakdown(f.item, "literate", no.rows),
                answered=answered,
                adjusted=adjusted,
                adjusted_test=test,
                adjusted_note=note,
                adjusted_separated=separated,
            )
        )
    return tuple(out)


def _answered_all(controls: Mapping[str, NDArray[Any]]) -> Any:
    """Rows with a level of every control (True where there are none)."""
    rows: Any = True
    for values in controls.values():
        rows = rows & (values != None)  # noqa: E711 (elementwise on an object array)
    return rows


def _seen(levels: NDArray[Any], rows: NDArray[np.bool_]) -> set[Any]:
    """The levels present (not None) in ``rows``."""
    return {v for v in levels[rows].tolist() if v is not None}


def separating_levels(
    outcome: NDArray[np.float64],
    controls: Mapping[str, NDArray[Any]],
    used: NDArray[np.bool_],
) -> tuple[SeparatedLevel, ...]:
    """Levels of the control variables in which the 0/1 ``outcome`` never varies.

    A level where everybody (or nobody) in ``used`` has the outcome separates the
    data: its coefficient in a logistic regression has no finite maximum likelihood
    estimate (it runs off to -inf or +inf, and R warns "fitted probabilities
    numerically 0 or 1 occurred"). As it does, the likelihood of that level's rows
    tends to 1 whatever the other coefficients, so the limit of the other
    coefficients is their maximum likelihood estimate with those rows left out
    (Albert & Anderson 1984, quasi-complete separation). The report fits that model
    and says which rows it left out. Levels are checked again after each removal (a
    removal can leave another level separated); a control with one level left
    leaves the model.

    Example:
        >>> y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 0.0])
        >>> edu = np.array(["none", "none", "senior", "senior", "college", "college"], dtype=object)
        >>> separating_levels(y, {"education": edu}, np.ones(6, dtype=bool))
        (SeparatedLevel(control='education', level='none', n=2, outcome=0),)
    """
    rows = used.copy()
    found: list[SeparatedLevel] = []
    changed = True
    while changed:
        changed = False
        for name, values in controls.items():
            present = _seen(values, rows)
            if len(present) < 2:
                continue
            for level in sorted(present, key=str):
                cell = rows & (values == level)
                y = outcome[cell]
                if y.size and (np.all(y == 0) or np.all(y == 1)):
                    found.append(SeparatedLevel(name, str(level), int(y.size), int(y[0])))
                    rows &= ~cell
                    changed = True
    return tuple(found)


def _as_levels(values: NDArray[Any]) -> NDArray[Any]:
    """Labels as objects for a model: None where empty (that row leaves the model)."""
    text = np.array(["" if v is None else str(v).strip() for v in values.tolist()], dtype=object)
    text[np.isin(text, ["", "nan", "None"])] = None
    return text


def adjusted_odds_ratios(
    ctx: EstimationContext,
    item: str,
    codes: Sequence[str],
    ind: Mapping[str, NDArray[np.float64]],
    multiple: bool,
    literate: NDArray[np.float64],
    controls: Mapping[str, NDArray[Any]],
) -> tuple[Breakdown | None, Any, str, tuple[SeparatedLevel, ...]]:
    """Adjusted odds ratios of literacy for each option of ``item`` (see the module docstring).

    Returns:
        ``(rows, test, note, separated)``: one :class:`DomainRow` per option (estimate the
        odds ratio, interval ``exp`` of the coefficient's; the reference option
        of a single-answer item is 1 with flag ``reference``; options chosen by
        fewer than ``suppress_below`` model respondents are suppressed), the
        item's Wald test, a note ("" or why the model was not fitted), and the
        control levels left out of the model because they separate the outcome
        (:func:`separating_levels`).
    """
    suppress = ctx.spec.suppress_below
    answered = np.isfinite(next(iter(ind.values())))
    levels = {name: _as_levels(values) for name, values in controls.items()}
    base = np.isfinite(literate) & answered & (ctx.design.weights > 0)
    kept = {name: v for name, v in levels.items() if len(_seen(v, base)) >= 2}
    used = base & _answered_all(kept)
    separated = separating_levels(literate, kept, used)
    outcome = literate.copy()
    for s in separated:
        left = kept[s.control] == s.level
        outcome[left] = np.nan
        base &= ~left
    # a control left with one level leaves the model (its missing values drop no row)
    kept = {name: v for name, v in kept.items() if len(_seen(v, base & _answered_all(kept))) >= 2}
    used = base & _answered_all(kept)
    data: dict[str, NDArray[Any]] = {"literate": outcome, **kept}
    terms = [f"C({name})" for name in kept]
    counts = {c: int(np.sum(used & (ind[c] == 1))) for c in codes}
    if multiple:
        names = {c: f"opt_{i}" for i, c in enumerate(codes) if 0 < counts[c] < int(used.sum())}
        for c, col in names.items():
            data[col] = ind[c]
        item_terms = list(names.values())
        columns = dict(names)
        reference: str | None = None
    else:
        present = [c for c in codes if counts[c] > 0]
        if len(present) < 2:
            return None, None, "one_option", separated
        reference = present[0]
        choice = np.full(literate.shape, None, dtype=object)
        for c in present:
            choice[ind[c] == 1] = c
        data["choice"] = choice
        term = f'C(choice, Treatment(reference="{reference}"))'
        item_terms = [term]
        columns = {}
    if not item_terms:
        return None, None, "one_option", separated
    formula = "literate ~ " + " + ".join(item_terms + terms)
    try:
        model = svy_glm(
            formula, data, ctx.design, family="binomial", level=ctx.spec.level,
            reliability=ctx.reliability,
        )  # fmt: skip
        test = model.wald_test(*item_terms)
    except SamplingError as exc:
        logger.warning("factor %s: adjusted odds ratios not fitted: %s", item, exc)
        return None, None, "not_fitted", separated
    if not multiple:
        # the dummies' names end in [T.<code>] (the engine may requote the term itself)
        for i in model.frame.term_indices(item_terms[0]):
            found = re.search(r"\[T\.(.+)\]$", model.columns[i])
            if found:
                columns[found.group(1)] = model.columns[i]
    ors = model.odds_ratios()
    low, high = ors.confint()
    index = {d["term"]: i for i, d in enumerate(ors.domains)}
    rows = []
    for c in codes:
        if c == reference:
            rows.append(
                DomainRow(c, 1.0, 0.0, 1.0, 1.0, math.nan, math.nan, float(model.df_residual),
                          counts[c], ("reference",), counts[c] < suppress, False)
            )  # fmt: skip
            continue
        col = columns.get(c, "")
        if col not in index:
            rows.append(DomainRow.empty(c))
            continue
        i = index[col]
        rows.append(
            DomainRow(
                key=c,
                estimate=float(ors.estimate[i]),
                se=float(ors.se[i]),
                ci_low=float(low[i]),
                ci_high=float(high[i]),
                cv=math.nan,
                deff=math.nan,
                df=float(ors.df[i]),
                n=counts[c],
                flags=(),
                suppressed=counts[c] < suppress,
                unreliable=False,
            )
        )
    return Breakdown(item, "adjusted_odds_ratio", tuple(rows)), test, "", separated


def median_scores(
    ctx: EstimationContext, score: NDArray[np.float64], flags: Mapping[str, NDArray[np.float64]]
) -> Breakdown:
    """Median total score of everybody (key "") and of each key group, Woodruff intervals.

    ``svy_quantile(score, design, [0.5], by={"member": flag})`` for each group (R's
    ``svyby(~score, ~member, design, svyquantile, quantiles=0.5)``).
    """
    suppress = ctx.spec.suppress_below
    rows = []
    for key, flag in {"": None, **flags}.items():
        usable = np.isfinite(score) & (ctx.design.weights > 0)
        if flag is not None:
            usable &= flag == 1
        if not usable.any():
            rows.append(DomainRow.empty(key))
            continue
        by = None if flag is None else {"member": np.where(flag == 1, "1", "0")}
        q = svy_quantile(
            score, ctx.design, [0.5], by=by, na_rm=True, name="score_total",
            level=ctx.spec.level, reliability=ctx.reliability,
        )  # fmt: skip
        if flag is not None:
            q = q.select(member="1")
        rows.append(dataclasses.replace(domain_rows(q, None, suppress)[0], key=key))
    return Breakdown("group", "median_score", tuple(rows))
