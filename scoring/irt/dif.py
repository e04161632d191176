"""Differential item functioning: Mantel-Haenszel with the ETS A/B/C rules.

Persons of a *focal* and a *reference* group are matched on the total score;
in each score stratum :math:`k` a right/wrong item gives the 2x2 table
(reference right :math:`A_k`, wrong :math:`B_k`; focal right :math:`C_k`, wrong
:math:`D_k`; total :math:`T_k`). Graded items get Mantel's (1963) ordinal
test and the standardised mean difference (Zwick, Donoghue & Grima 1993).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray
from scipy import stats

from scoring.irt.data import check_responses
from scoring.irt.errors import ResponseDataError

logger = logging.getLogger(__name__)

__all__ = ["DIFResult", "MHTable", "ets_class", "mantel_haenszel", "mantel_haenszel_dif"]

#: ETS delta metric: Delta = -2.35 ln(alpha) (Holland & Thayer 1988)
DELTA_SCALE = -2.35


@dataclass(frozen=True, slots=True)
class MHTable:
    """Mantel-Haenszel statistics of one 2x2xK table (frozen)."""

    alpha: float  #: common odds ratio (reference vs focal odds of a right answer)
    delta: float  #: ETS delta, -2.35 ln alpha (negative: the item favours the reference group)
    se_delta: float  #: 2.35 x SE(ln alpha), Robins-Breslow-Greenland variance
    chi2: float  #: MH chi-square (1 df), continuity-corrected if asked
    p_value: float  #: upper-tail chi-square(1) probability


def mantel_haenszel(tables: ArrayLike, *, correct: bool = True) -> MHTable:
    """Mantel-Haenszel common odds ratio and chi-square of ``K`` 2x2 tables.

    Formula: :math:`\\hat\\alpha = \\sum_k A_kD_k/T_k \\big/ \\sum_k B_kC_k/T_k`;
    :math:`\\chi^2 = (|\\sum A_k - \\sum E A_k| - \\tfrac12)^2/\\sum \\mathrm{Var}A_k` with
    :math:`E A_k = n_{Rk}m_{1k}/T_k`,
    :math:`\\mathrm{Var} A_k = n_{Rk}n_{Fk}m_{1k}m_{0k}/(T_k^2(T_k-1))`
    (Mantel & Haenszel 1959; Holland & Thayer 1988); :math:`\\mathrm{Var}\\ln\\hat\\alpha`
    of Robins, Breslow & Greenland (1986). Strata with :math:`T_k < 2` are skipped.

    Args:
        tables: ``(K, 2, 2)``: ``[[A, B], [C, D]]`` per stratum (rows reference,
            focal; columns right, wrong).
        correct: continuity correction (as R's ``mantelhaen.test``).

    Returns:
        :class:`MHTable`.

    Example:
        >>> t = [[[10, 10], [5, 15]], [[20, 5], [10, 10]]]
        >>> round(mantel_haenszel(t).alpha, 4)  # (150/40 + 200/45) / (50/40 + 50/45)
        3.4706
    """
    t = np.asarray(tables, dtype=np.float64)
    if t.ndim != 3 or t.shape[1:] != (2, 2) or np.any(t < 0):
        raise ResponseDataError(
            "tables must be non-negative (K, 2, 2)", param="tables", got=t.shape
        )
    a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    n = a + b + c + d
    use = n >= 2
    a, b, c, d, n = a[use], b[use], c[use], d[use], n[use]
    n_ref, n_foc = a + b, c + d
    m1, m0 = a + c, b + d
    r = a * d / n
    s = b * c / n
    sr, ss = float(r.sum()), float(s.sum())
    alpha = sr / ss if ss > 0 else np.inf
    ea = n_ref * m1 / n
    va = n_ref * n_foc * m1 * m0 / (n * n * (n - 1))
    diff = abs(float(a.sum() - ea.sum())) - (0.5 if correct else 0.0)
    vsum = float(va.sum())
    chi2 = max(diff, 0.0) ** 2 / vsum if vsum > 0 else 0.0
    pp, qq = (a + d) / n, (b + c) / n
    if sr > 0 and ss > 0:
        var_log = (
            float((pp * r).sum()) / (2 * sr * sr)
            + float((pp * s + qq * r).sum()) / (2 * sr * ss)
            + float((qq * s).sum()) / (2 * ss * ss)
        )
        delta = DELTA_SCALE * float(np.log(alpha))
        se = abs(DELTA_SCALE) * float(np.sqrt(var_log))
    else:
        delta, se = (np.nan, np.nan)
    return MHTable(float(alpha), delta, se, chi2, float(stats.chi2.sf(chi2, 1)))


def ets_class(delta: float, se: float, p_value: float, *, alpha_level: float = 0.05) -> str:
    """ETS DIF category (Zieky 1993; Zwick 2012, ETS RR-12-08).

    * ``A``: :math:`|\\Delta| < 1` or the MH test is not significant;
    * ``C``: :math:`|\\Delta| \\ge 1.5` and :math:`|\\Delta|` significantly above 1
      (one-sided z-test, :math:`(|\\Delta|-1)/SE > 1.645`);
    * ``B``: otherwise. A ``-`` suffix marks items that favour the reference
      group (:math:`\\Delta < 0`), ``+`` the focal group.

    Example:
        >>> ets_class(-1.8, 0.2, 0.001)
        'C-'
    """
    if not np.isfinite(delta) or abs(delta) < 1.0 or not p_value < alpha_level:
        return "A"
    z_crit = stats.norm.ppf(1.0 - alpha_level)
    sign = "-" if delta < 0 else "+"
    if abs(delta) >= 1.5 and (abs(delta) - 1.0) / se > z_crit:
        return "C" + sign
    return "B" + sign


@dataclass(frozen=True, slots=True)
class DIFResult:
    """DIF statistics per item (frozen).

    Attributes:
        item_ids: items.
        alpha_mh, delta_mh, se_delta: MH odds ratio, ETS delta and its SE
            (NaN for graded items).
        chi2, p_value: MH chi-square (right/wrong items) or Mantel's ordinal
            chi-square (graded items), 1 df.
        smd: standardised mean difference focal - reference (item-score metric).
        ets: ETS category (``A``, ``B±``, ``C±``; ``AA/BB/CC`` for graded items).
        n_reference, n_focal: persons used.
        focal, reference: the group labels.
        matched_on: items in the matching score (after purification).
    """

    item_ids: tuple[str, ...]
    alpha_mh: NDArray[np.float64]
    delta_mh: NDArray[np.float64]
    se_delta: NDArray[np.float64]
    chi2: NDArray[np.float64]
    p_value: NDArray[np.float64]
    smd: NDArray[np.float64]
    ets: tuple[str, ...]
    n_reference: int
    n_focal: int
    focal: str
    reference: str
    matched_on: tuple[str, ...]

    def flagged(self, categories: Sequence[str] = ("C",)) -> tuple[str, ...]:
        """Items whose ETS category starts with one of ``categories``."""
        return tuple(
            i for i, e in zip(self.item_ids, self.ets, strict=True) if e[:1] in set(categories)
        )


def mantel_haenszel_dif(
    responses: ArrayLike,
    groups: ArrayLike,
    *,
    focal: object,
    reference: object,
    item_ids: Sequence[str] | None = None,
    purify: bool = False,
    correct: bool = True,
) -> DIFResult:
    """Mantel-Haenszel DIF of every item between two groups.

    Formula: see :func:`mantel_haenszel`; strata are the total scores on the
    matching items plus the studied item (Holland & Thayer 1988). With
    ``purify`` the items classified B or C in a first pass are removed from
    the matching score and the statistics recomputed (two-stage purification,
    Holland & Thayer 1988). Persons with a missing response or another group
    label are left out.

    Args:
        responses: ``(n, J)`` scores (0/1 or 0..K-1).
        groups: ``(n,)`` group labels (e.g. sex codes or a key-group flag).
        focal, reference: the two labels compared.
        item_ids: item names.
        purify: two-stage purification of the matching score.
        correct: continuity correction of the MH chi-square.

    Returns:
        :class:`DIFResult`.

    Raises:
        ResponseDataError: shape mismatch, or a group with no complete pattern.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = (rng.random((400, 4)) < 0.6).astype(float)
        >>> g = np.repeat([1, 2], 200)
        >>> res = mantel_haenszel_dif(x, g, focal=2, reference=1)
        >>> len(res.ets)
        4
    """
    x = check_responses(responses, item_ids)
    n, n_items = x.shape
    ids = tuple(f"item{j + 1}" for j in range(n_items)) if item_ids is None else tuple(item_ids)
    g = np.asarray(groups, dtype=object).reshape(-1)
    if g.size != n:
        raise ResponseDataError(
            "one group label per person", param="groups", got=g.size, expected=n
        )
    is_ref = g == reference
    is_foc = g == focal
    use = (is_ref | is_foc) & ~np.isnan(x).any(axis=1)
    if not (np.any(use & is_ref) and np.any(use & is_foc)):
        raise ResponseDataError(
            "both groups need persons with complete responses",
            param="groups",
            got={"reference": int((use & is_ref).sum()), "focal": int((use & is_foc).sum())},
            hint="check the focal/reference labels against the group column",
        )
    xs = x[use].astype(np.int64)
    foc = is_foc[use]
    matching = np.ones(n_items, dtype=bool)
    first = _dif_pass(xs, foc, matching, correct)
    if purify:
        clean = np.array([e == "A" or e == "AA" for e in first[5]])
        matching = clean if clean.any() else matching
        first = _dif_pass(xs, foc, matching, correct)
    alpha, delta, se, chi2, pval, ets, smd = first
    return DIFResult(
        item_ids=ids,
        alpha_mh=alpha,
        delta_mh=delta,
        se_delta=se,
        chi2=chi2,
        p_value=pval,
        smd=smd,
        ets=ets,
        n_reference=int((~foc).sum()),
        n_focal=int(foc.sum()),
        focal=str(focal),
        reference=str(reference),
        matched_on=tuple(i for i, m in zip(ids, matching, strict=True) if m),
    )


def _dif_pass(
    xs: NDArray[np.int64], foc: NDArray[np.bool_], matching: NDArray[np.bool_], correct: bool
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    tuple[str, ...],
    NDArray[np.float64],
]:
    n_items = xs.shape[1]
    base = xs[:, matching].sum(axis=1)
    out = np.full((6, n_items), np.nan)
    ets: list[str] = []
    for j in range(n_items):
        score = base + (0 if matching[j] else xs[:, j])
        y = xs[:, j]
        if y.max() <= 1:
            tables = _tables(score, y, foc)
            mh = mantel_haenszel(tables, correct=correct)
            out[:5, j] = (mh.alpha, mh.delta, mh.se_delta, mh.chi2, mh.p_value)
            out[5, j] = _smd(score, y, foc)
            ets.append(ets_class(mh.delta, mh.se_delta, mh.p_value))
        else:
            chi2 = _mantel_ordinal(score, y, foc)
            p = float(stats.chi2.sf(chi2, 1))
            smd = _smd(score, y, foc)
            out[3, j], out[4, j], out[5, j] = chi2, p, smd
            sd = float(y[foc].std(ddof=1)) if foc.sum() > 1 else np.nan
            ets.append(_ets_poly(smd, sd, p))
    return out[0], out[1], out[2], out[3], out[4], tuple(ets), out[5]


def _tables(
    score: NDArray[np.int64], y: NDArray[np.int64], foc: NDArray[np.bool_]
) -> NDArray[np.float64]:
    levels = np.unique(score)
    idx = np.searchsorted(levels, score)
    t = np.zeros((levels.size, 2, 2))
    np.add.at(t, (idx, foc.astype(np.int64), 1 - y), 1.0)
    return t


def _mantel_ordinal(
    score: NDArray[np.int64], y: NDArray[np.int64], foc: NDArray[np.bool_]
) -> float:
    """Mantel (1963) 1-df chi-square for an ordinal item score."""
    num, var = 0.0, 0.0
    for s in np.unique(score):
        sel = score == s
        nk = float(sel.sum())
        nf = float((sel & foc).sum())
        nr = nk - nf
        if nk < 2 or nf == 0 or nr == 0:
            continue
        ys = y[sel].astype(np.float64)
        tot, tot2 = ys.sum(), (ys * ys).sum()
        num += float(y[sel & foc].sum()) - nf * tot / nk
        var += nr * nf * (nk * tot2 - tot * tot) / (nk * nk * (nk - 1.0))
    return num * num / var if var > 0 else 0.0


def _smd(score: NDArray[np.int64], y: NDArray[np.int64], foc: NDArray[np.bool_]) -> float:
    """Standardised mean difference, weighted by the focal group's score distribution."""
    n_f = float(foc.sum())
    total = 0.0
    for s in np.unique(score[foc]):
        sel = score == s
        ref = sel & ~foc
        if not ref.any():
            continue
        wf = float((sel & foc).sum()) / n_f
        total += wf * (float(y[sel & foc].mean()) - float(y[ref].mean()))
    return total


def _ets_poly(smd: float, sd: float, p: float) -> str:
    """ETS categories for graded items: AA/BB/CC by |SMD|/SD (Zwick 2012)."""
    if not np.isfinite(sd) or sd <= 0:
        return "AA"
    eff = abs(smd) / sd
    if p >= 0.05 or eff <= 0.17:
        return "AA"
    return "CC" if eff > 0.25 else "BB"
