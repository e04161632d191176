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
from typing import cast

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from kesu.tables import label_text

logger = logging.getLogger(__name__)

__all__ = [
    "FloatArray",
    "IntArray",
    "as_labels",
    "combine_codes",
    "factorize",
    "group_sum",
    "label_text",
]

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
    if arr.dtype.kind in "US" and n > 10_000:
        fast = _factorize_text(arr)
        if fast is not None:
            return fast
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


def _factorize_text(
    arr: NDArray[Any], bits: int | None = None
) -> tuple[IntArray, NDArray[Any]] | None:
    """O(n) factorisation of fixed-width strings: hash into buckets, verify, sort the few labels.

    A multiplicative hash of the characters picks one of ``2^bits`` buckets (65,536 by
    default); every row is compared with its bucket's representative, so a collision is
    always detected, and the rows of a colliding label (never the representative of
    another bucket: a label always hashes to the same bucket) are factorised apart with
    :func:`numpy.unique` and given codes after the others. Returns None for an empty
    string dtype or when more than an eighth of the rows collide (labels nearly all
    distinct): the caller then sorts them with :func:`numpy.unique`.
    """
    n = arr.shape[0]
    width = arr.dtype.itemsize // (4 if arr.dtype.kind == "U" else 1)
    if width == 0:
        return None
    contiguous = np.ascontiguousarray(arr)
    chars: NDArray[np.unsignedinteger[Any]] = (
        contiguous.view(np.uint32) if arr.dtype.kind == "U" else contiguous.view(np.uint8)
    )
    chars = chars.reshape(n, width)
    h = chars[:, 0].astype(np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    for j in range(1, width):
        h *= mult
        h ^= chars[:, j]
    h *= mult
    if bits is None:
        # 2^16 buckets: cheap to count and scan; the few rows of colliding labels (about
        # k^2 / 2^17 labels of k) are sorted apart below
        bits = 16
    slot = (h >> np.uint64(64 - bits)).astype(np.intp)
    present = np.bincount(slot, minlength=1 << bits) > 0
    dense = np.cumsum(present, dtype=np.intp) - 1
    codes = dense[slot]
    k = int(dense[-1]) + 1
    rep = np.empty(k, dtype=np.intp)
    rep[codes] = np.arange(n, dtype=np.intp)
    labels = arr[rep]
    # compare code points, not str objects: every row against its representative
    clash = np.flatnonzero(np.any(chars != chars[rep][codes], axis=1))
    if clash.size > n // 8:  # many distinct labels (ids): sorting them all is faster
        return None
    if clash.size:
        extra, extra_codes = np.unique(arr[clash], return_inverse=True)
        codes[clash] = k + extra_codes.reshape(-1)
        labels = np.concatenate([labels, extra.astype(labels.dtype)])
        k += extra.shape[0]
    order = _numeric_order(labels)
    if order is None:
        order = np.argsort(labels, kind="stable").astype(np.intp)
    rank = np.empty(k, dtype=np.intp)
    rank[order] = np.arange(k, dtype=np.intp)
    return rank[codes], labels[order]


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


def group_sum(codes: IntArray, n_groups: int, values: FloatArray) -> FloatArray:
    """Sum the rows of ``values`` (1-D or 2-D) within groups (R's ``rowsum``)."""
    if values.ndim == 1:
        # numpy's stubs type bincount as intp; with float weights it returns float64
        return cast(FloatArray, np.bincount(codes, weights=values, minlength=n_groups))
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
