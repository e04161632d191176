"""Validate and encode a response matrix for the estimation kernels.

A response matrix ``X`` has one row per person and one column per item:
``NaN`` for missing or not administered, ``0/1`` for right/wrong items and
``0..K-1`` for graded items. Encoding keeps each distinct response pattern
once, with the sum of its (normalised) survey weights, and builds the 0/1
design matrix ``Z = [Y | M]`` (stored transposed): ``Y`` has a column for every category
``k >= 1`` of every item, ``M`` marks the answered items (omitted when
nothing is missing). Then the log-likelihood of all patterns at all nodes
is one matrix product, :math:`\\log L = Z \\, [\\log P_k - \\log P_0;\\ \\log P_0]`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from scoring.irt.errors import ResponseDataError

logger = logging.getLogger(__name__)

__all__ = ["EncodedResponses", "check_responses", "encode_responses", "normalise_weights"]


@dataclass(frozen=True, slots=True)
class EncodedResponses:
    """Distinct response patterns with their weights and the design matrix.

    Attributes:
        codes: ``(U, J)`` int16 pattern matrix, ``-1`` = missing.
        weights: ``(U,)`` summed normalised weights of each pattern.
        weights_sq: ``(U,)`` summed squared normalised weights (for sandwich SEs).
        n_cat: ``(J,)`` categories per item.
        design_t: ``(C, U)`` float64 matrix ``[Y | M]^T`` (``M`` only if
            incomplete), stored transposed so that the E-step works on
            ``(nodes, patterns)`` arrays whose reductions run over short columns.
        col_item, col_cat: item and category of each ``Y`` column.
        complete: True when no response is missing.
        n_persons: number of input rows with positive weight.
        inverse: ``(n,)`` pattern index of every input row (``-1`` for rows
            with zero weight, which are left out).
    """

    codes: NDArray[np.int16]
    weights: NDArray[np.float64]
    weights_sq: NDArray[np.float64]
    n_cat: NDArray[np.int64]
    design_t: NDArray[np.float64]
    col_item: NDArray[np.int64]
    col_cat: NDArray[np.int64]
    complete: bool
    n_persons: int
    inverse: NDArray[np.int64]

    @property
    def n_items(self) -> int:
        """Number of items (columns)."""
        return int(self.n_cat.size)

    @property
    def n_y(self) -> int:
        """Number of category indicator columns (``sum(K_j - 1)``)."""
        return int(self.col_item.size)

    def pattern_sums(self, table: NDArray[np.float64]) -> NDArray[np.float64]:
        """:math:`S_{ti} = \\sum_{j \\in A_i} T_{j, x_{ij}, t}` for every pattern.

        Args:
            table: ``(J, Kmax, T)`` per item, category and grid point (e.g.
                log-probabilities); padded categories are never indexed.

        Returns:
            ``(T, U)``; one matrix product with the design matrix.
        """
        base = table[:, 0, :]
        diff = table[self.col_item, self.col_cat, :] - base[self.col_item]
        if self.complete:
            out = diff.T @ self.design_t
            out += base.sum(axis=0)[:, None]
            return np.asarray(out, dtype=np.float64)
        return np.asarray(np.vstack([diff, base]).T @ self.design_t, dtype=np.float64)

    def answered_sums(self, per_item: NDArray[np.float64]) -> NDArray[np.float64]:
        """:math:`\\sum_{j \\in A_i} v_{jt}` ``(T, U)`` for a ``(J, T)`` table."""
        if self.complete:
            return np.repeat(per_item.sum(axis=0)[:, None], self.codes.shape[0], axis=1)
        return np.asarray(per_item.T @ self.design_t[self.n_y :], dtype=np.float64)


def check_responses(
    responses: ArrayLike, item_ids: Sequence[str] | None = None
) -> NDArray[np.float64]:
    """Return ``responses`` as a float64 copy after checking its values.

    Raises:
        ResponseDataError: not 2-D, or a value that is not NaN nor a
            non-negative integer (the first offending row/item is named).
    """
    x = np.array(responses, dtype=np.float64, copy=True)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ResponseDataError(
            "responses must be a 2-D matrix persons x items",
            param="responses",
            got=x.shape,
            expected="(n_persons, n_items) with both > 0",
        )
    ids = _ids(item_ids, x.shape[1])
    bad = ~np.isnan(x) & ~((x >= 0) & (x == np.round(x)) & np.isfinite(x) & (x < 128))
    if np.any(bad):
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise ResponseDataError(
            f"invalid score at row {row}, item {ids[col]}",
            param="responses",
            got=float(x[row, col]),
            expected="NaN (missing) or an integer score 0..K-1 (K <= 127)",
            hint="code right/wrong items 0/1 and graded items 0..K-1; leave missing as NaN",
        )
    return x


def normalise_weights(weights: ArrayLike | None, n_rows: int) -> NDArray[np.float64]:
    """Survey weights scaled to mean 1 over the rows with positive weight.

    The scale does not change point estimates; mean 1 keeps the likelihood and
    the observed-information standard errors on the sample-size scale.

    Raises:
        ResponseDataError: wrong length, negative/non-finite weights, or all zero.
    """
    if weights is None:
        return np.ones(n_rows)
    w = np.array(weights, dtype=np.float64, copy=True).reshape(-1)
    if w.size != n_rows:
        raise ResponseDataError(
            "one weight per person (row) is needed",
            param="weights",
            got=w.size,
            expected=n_rows,
        )
    bad = ~np.isfinite(w) | (w < 0)
    if np.any(bad):
        row = int(np.nonzero(bad)[0][0])
        raise ResponseDataError(
            f"weights must be finite and >= 0 (row {row})",
            param="weights",
            got=float(w[row]),
            hint="use the final weight column 'weight'; give excluded persons weight 0",
        )
    positive = w > 0
    if not np.any(positive):
        raise ResponseDataError("all weights are zero", param="weights")
    return np.asarray(w / w[positive].mean(), dtype=np.float64)


def encode_responses(
    responses: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    item_ids: Sequence[str] | None = None,
    n_categories: ArrayLike | None = None,
) -> EncodedResponses:
    """Validate, compress to distinct patterns and build the design matrix.

    Args:
        responses: ``(n, J)`` matrix, NaN = missing.
        weights: optional survey weights ``(n,)`` (normalised to mean 1).
        item_ids: names used in error messages.
        n_categories: categories per item when scoring with fixed parameters;
            if omitted (calibration) every category ``0..max`` must be observed.

    Raises:
        ResponseDataError: invalid values, an item with fewer than two observed
            categories, or a category that is never observed (during
            calibration its threshold could not be estimated).
    """
    x = check_responses(responses, item_ids)
    n, n_items = x.shape
    ids = _ids(item_ids, n_items)
    w = normalise_weights(weights, n)
    keep = w > 0
    codes = np.where(np.isnan(x), -1, x).astype(np.int16)[keep]
    w = w[keep]
    if n_categories is None:
        n_cat = _observed_categories(codes, ids)
    else:
        n_cat = np.asarray(n_categories, dtype=np.int64).reshape(-1)
        if n_cat.size != n_items:
            raise ResponseDataError(
                "one category count per item",
                param="n_categories",
                got=n_cat.size,
                expected=n_items,
            )
        too_high = codes >= n_cat[None, :]
        if np.any(too_high):
            row, col = (int(v[0]) for v in np.nonzero(too_high))
            raise ResponseDataError(
                f"score above the top category of item {ids[col]} (row {row})",
                param="responses",
                got=int(codes[row, col]),
                expected=f"0..{int(n_cat[col]) - 1}",
            )
    uniq, inverse = _unique_rows(codes)
    full_inverse = np.full(n, -1, dtype=np.int64)
    full_inverse[keep] = inverse
    wsum = np.bincount(inverse, weights=w, minlength=uniq.shape[0]).astype(np.float64)
    wsq = np.bincount(inverse, weights=w * w, minlength=uniq.shape[0]).astype(np.float64)
    col_item = np.repeat(np.arange(n_items), n_cat - 1)
    col_cat = np.concatenate([np.arange(1, k) for k in n_cat]).astype(np.int64)
    ut = uniq.T
    y = (ut[col_item] == col_cat[:, None]).astype(np.float64)
    complete = not bool(np.any(uniq < 0))
    design = y if complete else np.vstack([y, (ut >= 0).astype(np.float64)])
    logger.debug("encoded %d persons into %d patterns (complete=%s)", n, uniq.shape[0], complete)
    return EncodedResponses(
        codes=uniq,
        weights=wsum,
        weights_sq=wsq,
        n_cat=n_cat,
        design_t=np.ascontiguousarray(design),
        col_item=col_item,
        col_cat=col_cat,
        complete=complete,
        n_persons=int(keep.sum()),
        inverse=full_inverse,
    )


def _ids(item_ids: Sequence[str] | None, n_items: int) -> list[str]:
    if item_ids is None:
        return [f"#{j}" for j in range(n_items)]
    ids = [str(i) for i in item_ids]
    if len(ids) != n_items:
        raise ResponseDataError(
            "one item id per column", param="item_ids", got=len(ids), expected=n_items
        )
    return ids


def _observed_categories(codes: NDArray[np.int16], ids: list[str]) -> NDArray[np.int64]:
    n_items = codes.shape[1]
    n_cat = np.zeros(n_items, dtype=np.int64)
    for j in range(n_items):
        col = codes[:, j]
        seen = np.unique(col[col >= 0])
        if seen.size < 2:
            raise ResponseDataError(
                f"item {ids[j]} has fewer than two observed score categories",
                param="responses",
                got=seen.tolist(),
                hint="drop the item from the calibration (it carries no information)",
            )
        k = int(seen[-1]) + 1
        if seen.size != k:
            gaps = sorted(set(range(k)) - {int(s) for s in seen})
            raise ResponseDataError(
                f"item {ids[j]}: score categories {gaps} are never observed",
                param="responses",
                got=seen.tolist(),
                expected=f"every score 0..{k - 1}",
                hint="collapse the empty categories into a neighbour before calibrating",
            )
        n_cat[j] = k
    return n_cat


def _unique_rows(codes: NDArray[np.int16]) -> tuple[NDArray[np.int16], NDArray[np.int64]]:
    """Distinct rows (as a contiguous byte view, much faster than axis=0)."""
    c = np.ascontiguousarray(codes)
    view = c.view(np.dtype((np.void, c.dtype.itemsize * c.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    return c[first], inverse.reshape(-1).astype(np.int64)
