"""Nonresponse adjustment within weighting classes, with AAPOR dispositions.

Each sampled case has a final disposition (AAPOR 2023, Standard
Definitions): eligible respondent (1.1), eligible nonrespondent (1.2, 2.x),
unknown eligibility (3.x) or not eligible (4.x). Within each weighting class
(Valliant, Dever & Kreuter 2018, §13.5; Lohr 2022, §8.5):

1. the weights of unknown-eligibility cases are spread over the cases of
   known eligibility: ``a1 = sum(all) / sum(ER + ENR + IN)``;
2. the weights of eligible nonrespondents go to the respondents:
   ``a2 = sum(ER + ENR) / sum(ER)`` (after step 1).

Respondents end with ``w * a1 * a2``; every other case ends with weight 0
(ineligible cases may be kept with ``keep_ineligible=True``). Without
dispositions, a 0/1 response indicator gives step 2 only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import combine_codes
from sampling._codes import factorize
from sampling._codes import label_text
from sampling.errors import MarginError
from sampling.errors import SamplingError
from sampling.errors import WeightingError
from sampling.outcomes import weighting_outcome
from sampling.weighting.base import WeightingResult
from sampling.weighting.base import WeightingStep
from sampling.weighting.base import as_weights
from sampling.weighting.base import summarize

logger = logging.getLogger(__name__)

#: disposition categories
ER, ENR, UNK, IN = 0, 1, 2, 3
_NAMES = {
    "er": ER,
    "respondent": ER,
    "complete": ER,
    "enr": ENR,
    "nonrespondent": ENR,
    "refusal": ENR,
    "noncontact": ENR,
    "unk": UNK,
    "unknown": UNK,
    "in": IN,
    "ineligible": IN,
    "not eligible": IN,
}


def disposition_category(value: Any) -> int:
    """Map a disposition to ER (0), ENR (1), UNK (2) or IN (3).

    Accepts AAPOR codes, classed by :func:`sampling.outcomes.weighting_outcome` (the one
    place for it: ``1.1`` complete -> ER; ``1.2`` partial and ``2.x`` -> ENR, since the
    analysis table holds complete interviews only; ``3.x`` -> UNK; ``4.x`` -> IN), the
    names ``ER/ENR/UNK/IN`` (or respondent, nonrespondent, unknown, ineligible) and a 0/1
    response indicator (1 -> ER, 0 -> ENR; also ``1.0``/``0.0``, which are not final
    AAPOR codes).

    Raises:
        WeightingError: an unknown disposition.

    Example:
        >>> [disposition_category(v) for v in ("1.1", "1.2", "2.20", "UNK", 0, "1.0")]
        [0, 1, 1, 2, 1, 0]
    """
    text = label_text(value).strip().lower()
    if text in _NAMES:
        return _NAMES[text]
    if re.fullmatch(r"[01](\.0+)?", text):  # a 0/1 indicator, also written as 1.0/0.0
        return ER if text[0] == "1" else ENR
    head = text.split(".")[0]
    if head in ("1", "2", "3", "4") and text.replace(".", "", 1).isdecimal():
        try:
            return _NAMES[weighting_outcome(text).lower()]
        except SamplingError:
            pass  # not a final disposition code: the error below
    raise WeightingError(
        "unknown disposition",
        param="outcome",
        got=value,
        expected="AAPOR codes 1.x-4.x, ER/ENR/UNK/IN, or 0/1",
    )


def _categories(values: NDArray[Any]) -> NDArray[np.intp]:
    codes, uniq = factorize(values)
    cats = np.array([disposition_category(u) for u in uniq], dtype=np.intp)
    return cats[codes]


def adjust_nonresponse(
    weights: ArrayLike,
    variables: Mapping[str, Any],
    *,
    outcome: str,
    classes: Sequence[str] = (),
    keep_ineligible: bool = False,
) -> WeightingResult:
    """Weighting-class nonresponse adjustment (with unknown-eligibility step).

    ``w_i a1_c a2_c`` for respondents in class ``c``, with
    ``a1_c = W_c / (W_ER + W_ENR + W_IN)_c`` and
    ``a2_c = (W'_ER + W'_ENR)_c / W'_ER_c`` (Valliant, Dever & Kreuter 2018, §13.5).

    Args:
        weights: base weights of all sampled cases (respondents and not).
        variables: columns, including ``outcome`` and the class columns.
        outcome: column of dispositions or a 0/1 response indicator.
        classes: weighting-class columns (crossed); none: one class.
        keep_ineligible: keep the (step-1 adjusted) weights of ineligible cases.

    Returns:
        WeightingResult (no calibration record); the notes hold the weighted
        response rate of each class.

    Raises:
        MarginError: a class has eligible nonrespondents but no respondents.
        WeightingError: a column is missing or a disposition is unknown.

    Example:
        >>> r = adjust_nonresponse([2.0, 2.0, 2.0], {"r": [1, 1, 0]}, outcome="r")
        >>> r.weights.tolist()
        [3.0, 3.0, 0.0]
    """
    before = as_weights(weights)
    n = before.shape[0]
    for name in (outcome, *classes):
        if name not in variables:
            raise WeightingError(f"column {name!r} is not among the variables", param=name)
    cat = _categories(np.asarray(variables[outcome]).reshape(-1))
    if classes:
        parts = [factorize(np.asarray(variables[c]).reshape(-1)) for c in classes]
        cls, _ = combine_codes([p[0] for p in parts], [len(p[1]) for p in parts])
    else:
        parts = []
        cls = np.zeros(n, dtype=np.intp)
    k = int(cls.max()) + 1
    sums = np.bincount(cls * 4 + cat, weights=before, minlength=4 * k).reshape(k, 4)
    known = sums[:, ER] + sums[:, ENR] + sums[:, IN]
    total = sums.sum(axis=1)
    a1 = np.ones(k)
    np.divide(total, known, out=a1, where=known > 0)
    stranded = (known == 0) & (sums[:, UNK] > 0)
    eligible = (sums[:, ER] + sums[:, ENR]) * a1
    no_resp = (sums[:, ER] == 0) & (sums[:, ENR] > 0)
    for bad, what in ((stranded, "only unknown-eligibility cases"), (no_resp, "no respondents")):
        if bad.any():
            c = int(np.flatnonzero(bad)[0])
            row = int(np.flatnonzero(cls == c)[0])
            label = {name: label_text(variables[name][row]) for name in classes}
            raise MarginError(
                f"weighting class {label or 'all'} has {what}",
                param="classes",
                got=label,
                hint="collapse this class with a similar one",
            )
    resp = sums[:, ER] * a1
    a2 = np.ones(k)
    np.divide(eligible, resp, out=a2, where=resp > 0)
    factor = np.zeros(n)
    is_er = cat == ER
    factor[is_er] = (a1 * a2)[cls[is_er]]
    if keep_ineligible:
        is_in = cat == IN
        factor[is_in] = a1[cls[is_in]]
    after = before * factor
    rates = np.full(k, np.nan)
    elig_rate = np.ones(k)
    np.divide(sums[:, ER] + sums[:, ENR], known, out=elig_rate, where=known > 0)
    denom = sums[:, ER] + sums[:, ENR] + elig_rate * sums[:, UNK]
    np.divide(sums[:, ER], denom, out=rates, where=denom > 0)
    notes = {
        "classes": k,
        "response_rate_min": float(np.nanmin(rates)) if np.isfinite(rates).any() else None,
        "response_rate_max": float(np.nanmax(rates)) if np.isfinite(rates).any() else None,
        "adjustment_max": float((a1 * a2).max()),
        "respondents": int(is_er.sum()),
    }
    diagnostics = summarize("nonresponse", before, after, iterations=1, converged=True, notes=notes)
    cols = {name: np.asarray(variables[name]) for name in (outcome, *classes)}
    options = {"outcome": outcome, "classes": tuple(classes), "keep_ineligible": keep_ineligible}
    return WeightingResult(
        weights=after,
        converged=True,
        iterations=1,
        diagnostics=diagnostics,
        step=WeightingStep("nonresponse", cols, options),
        calibration=None,
    )
