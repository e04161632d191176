"""Integer codes for labels (strata, PSUs, domains, margin levels).

Every grouping in :mod:`sampling` is turned into dense integer codes once, so
that group sums are a single :func:`numpy.bincount` (Lumley's ``rowsum``).
Codes follow the sorted order of the labels; labels that all look like numbers
are sorted numerically, so ``"2"`` comes before ``"10"``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


def as_labels(values: ArrayLike) -> NDArray[Any]:
    """Return ``values`` as a 1-D numpy array without copying numbers needlessly."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    return arr


def factorize(values: ArrayLike) -> tuple[IntArray, NDArray[Any]]:
    """Dense codes ``0..k-1`` for ``values`` and the sorted unique labels.

    Small-range integer arrays take an O(n) path (no sort); everything else
    uses :func:`numpy.unique`. String labels that are all numeric are ordered
    by their numeric value.

    Example:
        >>> codes, uniq = factorize(["b", "a", "b"])
        >>> codes.tolist(), uniq.tolist()
        ([1, 0, 1], ['a', 'b'])
    """
    arr = as_labels(values)
    n = arr.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp), arr[:0]
    if arr.dtype.kind in "iub":
        lo = int(arr.min())
        hi = int(arr.max())
        span = hi - lo + 1
        if span <= max(4 * n, 1024):
            shifted = (arr.astype(np.intp, copy=False) - lo).astype(np.intp, copy=False)
            present = np.bincount(shifted, minlength=span) > 0
            lookup = np.cumsum(present, dtype=np.intp) - 1
            uniq = (np.flatnonzero(present) + lo).astype(arr.dtype)
            return lookup[shifted], uniq
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError("labels contain NaN")
    uniq, codes = np.unique(arr, return_inverse=True)
    codes = codes.astype(np.intp, copy=False).reshape(-1)
    if uniq.dtype.kind in "OUS":
        order = _numeric_order(uniq)
        if order is not None:
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size, dtype=np.intp)
            codes = rank[codes]
            uniq = uniq[order]
    return codes, uniq


def _numeric_order(uniq: NDArray[Any]) -> IntArray | None:
    """Order of string labels by numeric value, or None if some are not numbers."""
    try:
        keys = np.array([float(str(u)) for u in uniq], dtype=np.float64)
    except ValueError:
        return None
    if np.isnan(keys).any():
        return None
    return np.argsort(keys, kind="stable").astype(np.intp)


def combine_codes(codes: Sequence[IntArray], sizes: Sequence[int]) -> tuple[IntArray, IntArray]:
    """Cross several code arrays into one dense code (first array varies slowest).

    Returns the dense codes and, for each dense code, the row index of the
    crossed cell in the full grid (``c0 * sizes[1] * ... + c1 * ... + ...``).
    """
    flat = np.zeros(codes[0].shape[0], dtype=np.int64)
    for c, k in zip(codes, sizes, strict=True):
        flat = flat * int(k) + c.astype(np.int64, copy=False)
    dense, uniq = factorize(flat)
    return dense, uniq.astype(np.intp)


def label_text(value: Any) -> str:
    """Spelling of a label in output: strings unchanged, integral numbers without ``.0``.

    Example:
        >>> label_text(1.0), label_text("01"), label_text(np.int64(3))
        ('1', '01', '3')
    """
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if np.isfinite(f) and f == int(f):
            return str(int(f))
        return repr(f)
    return str(value)


def group_sum(codes: IntArray, n_groups: int, values: FloatArray) -> FloatArray:
    """Sum the rows of ``values`` (1-D or 2-D) within groups (R's ``rowsum``)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    k = values.shape[1]
    if k == 0:
        return np.zeros((n_groups, 0))
    if k <= 24:
        out = np.empty((n_groups, k))
        for j in range(k):
            out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
        return out
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sums = np.add.reduceat(values[order], starts, axis=0)
    out = np.zeros((n_groups, k))
    out[sorted_codes[starts]] = sums
    return out
