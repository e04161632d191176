"""Influencing factors: information channels and participation in science activities.

For an item of the questionnaire (``channels``, ``visit_venue``, ``events``,
``kepu_app`` by default; :data:`reports.spec.DEFAULT_FACTORS`) the report shows

* the share of respondents choosing each option, ``svy_proportion(1[chose c])``
  among those who answered the item; and
* the literacy rate of those who chose it (and, for multiple-answer items, of
  those who did not), ``svy_proportion(literate)`` on the domain "chose c" of the
  full design (Lumley 2010, §2.3).

The item's answers are a column of the analysis table named after the item:
codes for single-answer items, codes joined with ``;`` (or lists) for
multiple-answer items; an empty cell means not asked or not answered.
"""

from __future__ import annotations

import dataclasses
import logging
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
from reports.model import domain_rows
from reports.spec import FactorSpec
from sampling.results import Estimate

logger = logging.getLogger(__name__)


class EstimationContext(Protocol):
    """What :func:`factor_results` needs from the report's estimation context."""

    spec: Any

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
    ctx: EstimationContext, questionnaire: Questionnaire, factors: Sequence[FactorSpec]
) -> tuple[FactorResult, ...]:
    """Shares and literacy by choice for every factor item present in the table.

    Items missing from the table or the questionnaire are left out (logged).

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
        out.append(
            FactorResult(
                item=f.item,
                multiple=f.multiple,
                shares=Breakdown(f.item, f.item, tuple(share_rows)),
                literacy_yes=Breakdown(f.item, "literate", yes.rows),
                literacy_no=None if no is None else Breakdown(f.item, "literate", no.rows),
                answered=answered,
            )
        )
    return tuple(out)
