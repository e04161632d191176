"""Hadamard matrices for balanced repeated replication, as R's ``survey::hadamard``.

R's ``brrweights`` takes its matrices from four precomputed ones (orders 4, 16,
28 and 36, from N. J. A. Sloane's library of Hadamard matrices), from Paley's
construction and from Sylvester doubling. To give exactly R's replicates the
same choices are made here; orders 28 and 36 are stored (0/1 rows).
"""

from __future__ import annotations

import logging

import numpy as np

from sampling._codes import FloatArray

logger = logging.getLogger(__name__)

_H28 = (
    "1111111111111111111111111111",
    "1001110001110001110001111000",
    "1000001111001101001101111000",
    "1000001110110010111001100110",
    "1001101000001111100011010110",
    "1001010100101100010110101110",
    "1000110011010010001110011110",
    "0101100010101010011111110000",
    "0100010110110101100111010100",
    "0100011011001011110010101100",
    "0101011000010111011101001010",
    "0100101101100100111010011010",
    "0101100101011001101100100110",
    "0010110100011110101011101000",
    "0011011001100110101100110100",
    "0010101100111011010100011100",
    "0011000111010111010010110010",
    "0011001011111000100111001010",
    "0010110011101101011001000110",
    "1110101001010100010111100100",
    "1111000101100011001011001100",
    "1111000010011100111000011100",
    "1110010101001010110101010010",
    "1110011000111001001010110010",
    "1110100010100111100100101010",
    "1101111111111110000000000000",
    "1011111110000001111110000000",
    "0111111110000000000001111110",
)

_H36 = (
    "111111111111111111111111111111111111",
    "010111000111110111001000010101100100",
    "101110001111101110010000101011001000",
    "011100011111011100100001010110010010",
    "111000111110111001000010101100100100",
    "110001111101110010000101011001001010",
    "100011111011100100001010110010010110",
    "000111110111001000010101100100101110",
    "001111101110010000101011001001011100",
    "011111011100100001010110010010111000",
    "111110111001000010101100100101110000",
    "111101110010000101011001001011100010",
    "111011100100001010110010010111000110",
    "110111001000010101100100101110001110",
    "101110010000101011001001011100011110",
    "011100100001010110010010111000111110",
    "111001000010101100100101110001111100",
    "110010000101011001001011100011111010",
    "100100001010110010010111000111110110",
    "001000010101100100101110001111101110",
    "010000101011001001011100011111011100",
    "100001010110010010111000111110111000",
    "000010101100100101110001111101110010",
    "000101011001001011100011111011100100",
    "001010110010010111000111110111001000",
    "010101100100101110001111101110010000",
    "101011001001011100011111011100100000",
    "010110010010111000111110111001000010",
    "101100100101110001111101110010000100",
    "011001001011100011111011100100001010",
    "110010010111000111110111001000010100",
    "100100101110001111101110010000101010",
    "001001011100011111011100100001010110",
    "010010111000111110111001000010101100",
    "100101110001111101110010000101011000",
    "001011100011111011100100001010110010",
)


def _rows(rows: tuple[str, ...]) -> FloatArray:
    return np.array([[int(c) for c in r] for r in rows], dtype=np.float64)


def _double(h: FloatArray) -> FloatArray:
    """Sylvester doubling ``[[H, H], [H, 1 - H]]`` (R's ``hadamard.doubler``)."""
    return np.block([[h, h], [h, 1.0 - h]])


def _precooked() -> list[FloatArray]:
    h4 = np.array([[1, 1, 1, 1], [1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1]], dtype=np.float64)
    return [h4, _double(_double(h4)), _rows(_H28), _rows(_H36)]


_SIZES = (4, 16, 28, 36)


def _primes_3_mod_4(limit: int) -> list[int]:
    sieve = np.ones(limit + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = False
    return [int(p) for p in np.flatnonzero(sieve) if p % 4 == 3]


#: R's ``paley`` list of small primes (all primes = 3 mod 4 up to 7919)
_SMALL_PRIMES = _primes_3_mod_4(7919)


def _paley_prime(p: int) -> FloatArray:
    m = np.add.outer(np.arange(p), np.arange(p)) % p
    half = (p - 1) // 2
    residues = {0, 1} | {(i * i) % p for i in range(2, half + 1)}
    out = np.where(np.isin(m, list(residues)), 0.0, 1.0)
    full = np.ones((p + 1, p + 1))
    full[1:, 1:] = out
    return full


def paley(n: int, nmax: int | None = None) -> FloatArray | None:
    """Paley-construction Hadamard matrix of order > n, or None (R's ``paley``)."""
    if nmax is None:
        nmax = 2 * n
    nceil = nn = n + 4 - (n % 4)
    if (n % 4) + 4 == (n % 8):
        while nn % 8 == 0:
            nn //= 2
        if (nn - 1) in _SMALL_PRIMES:
            m = _paley_prime(nn - 1)
            while nn < nceil:
                m = _double(m)
                nn *= 2
            return m
    if n > _SMALL_PRIMES[-1]:
        return None
    p = min(q for q in _SMALL_PRIMES if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return paley(nceil + 3)
    if p > nmax:
        return None
    return _paley_prime(p)


def hadamard(n: int) -> FloatArray:
    """A 0/1 Hadamard matrix with more than ``n`` rows, chosen exactly as R's ``hadamard(n)``.

    Rows 2..n+1 assign the PSUs of each of ``n`` strata (pairs) to half-samples;
    each column is a replicate (McCarthy 1969; Wolter 2007, §3.3).

    Example:
        >>> hadamard(3).shape
        (4, 4)
    """
    pre = _precooked()
    m = n - (n % 4)
    fits = [i for i, s in enumerate(_SIZES) if m < s <= m + 4]
    if fits:
        return pre[min(fits)].copy()
    if all(m < s for s in _SIZES):
        return pre[0].copy()
    sizes = [s * 2 ** max(0, int(np.ceil(np.log2((n + 1) / s)))) for s in _SIZES]
    best = int(np.argmin([s - n for s in sizes]))
    h = None
    if sizes[best] - n > 4:
        h = paley(n, sizes[best])
    if h is None:
        doubles = int(np.ceil(np.log2(sizes[best] / _SIZES[best])))
        h = pre[best]
        for _ in range(doubles):
            h = _double(h)
    return h.copy()
