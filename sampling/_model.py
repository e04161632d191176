"""Calibration model matrices without a dense matrix.

The calibration variables are an intercept, treatment dummies of categorical
margins (level 0 is the reference, as R's ``model.matrix(~sex + agegrp)``) and
numeric columns. Products with ``X`` are group sums (:func:`numpy.bincount`),
so a model on 300,000 rows with dozens of levels costs a few passes over the
data and never builds the ``n x p`` matrix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import group_sum

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class ModelMatrix:
    """An implicit model matrix ``X`` (intercept, dummies, numeric columns).

    Attributes:
        factors: codes 0..levels-1 of each categorical variable.
        n_levels: number of levels of each categorical variable.
        numeric: numeric columns, shape (n, q).
        intercept: whether ``X`` has an intercept column.
    """

    factors: tuple[IntArray, ...]
    n_levels: tuple[int, ...]
    numeric: FloatArray
    intercept: bool

    @property
    def n_rows(self) -> int:
        """Number of rows of ``X``."""
        return int(self.numeric.shape[0])

    @property
    def n_columns(self) -> int:
        """Number of columns of ``X``."""
        return int(self.intercept) + sum(k - 1 for k in self.n_levels) + int(self.numeric.shape[1])

    def offsets(self) -> list[int]:
        """Start column of each factor's dummies; the last entry starts the numeric columns."""
        out = [int(self.intercept)]
        for k in self.n_levels:
            out.append(out[-1] + k - 1)
        return out

    def gram(self, d: FloatArray) -> FloatArray:
        """``X' diag(d) X``."""
        p = self.n_columns
        gram = np.zeros((p, p))
        offsets = self.offsets()
        q0 = offsets[-1]
        num = self.numeric
        if self.intercept:
            gram[0, 0] = d.sum()
            if num.shape[1]:
                gram[0, q0:] = gram[q0:, 0] = num.T @ d
        for a, (codes_a, k_a) in enumerate(zip(self.factors, self.n_levels, strict=True)):
            oa = offsets[a]
            span = slice(oa, oa + k_a - 1)
            sums = np.bincount(codes_a, weights=d, minlength=k_a)[1:]
            if self.intercept:
                gram[0, span] = gram[span, 0] = sums
            gram[span, span] = np.diag(sums)
            for b in range(a + 1, len(self.factors)):
                codes_b, k_b = self.factors[b], self.n_levels[b]
                span_b = slice(offsets[b], offsets[b] + k_b - 1)
                cross = np.bincount(codes_a * k_b + codes_b, weights=d, minlength=k_a * k_b)
                block = cross.reshape(k_a, k_b)[1:, 1:]
                gram[span, span_b] = block
                gram[span_b, span] = block.T
            for j in range(num.shape[1]):
                col = np.bincount(codes_a, weights=d * num[:, j], minlength=k_a)[1:]
                gram[span, q0 + j] = gram[q0 + j, span] = col
        if num.shape[1]:
            gram[q0:, q0:] = (num * d[:, None]).T @ num
        return gram

    def xtdz(self, d: FloatArray, z: FloatArray) -> FloatArray:
        """``X' diag(d) z`` for ``z`` of shape (n,) or (n, k)."""
        vector = z.ndim == 1
        zz = z[:, None] if vector else z
        out = np.zeros((self.n_columns, zz.shape[1]))
        dz = zz * d[:, None]
        offsets = self.offsets()
        if self.intercept:
            out[0] = dz.sum(axis=0)
        for a, (codes, levels) in enumerate(zip(self.factors, self.n_levels, strict=True)):
            out[offsets[a] : offsets[a] + levels - 1] = group_sum(codes, levels, dz)[1:]
        if self.numeric.shape[1]:
            out[offsets[-1] :] = self.numeric.T @ dz
        return out[:, 0] if vector else out

    def xb(self, beta: FloatArray) -> FloatArray:
        """``X beta`` for ``beta`` of shape (p,) or (p, k)."""
        vector = beta.ndim == 1
        bb = beta[:, None] if vector else beta
        k = bb.shape[1]
        fit = np.zeros((self.n_rows, k))
        offsets = self.offsets()
        if self.intercept:
            fit += bb[0]
        for a, (codes, levels) in enumerate(zip(self.factors, self.n_levels, strict=True)):
            effects = np.vstack([np.zeros((1, k)), bb[offsets[a] : offsets[a] + levels - 1]])
            fit += effects[codes]
        if self.numeric.shape[1]:
            fit += self.numeric @ bb[offsets[-1] :]
        return fit[:, 0] if vector else fit


def scaled_pinv(gram: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Pseudo-inverse of a Jacobi-scaled Gram matrix, and the scaling.

    ``inv(G) ~ S^-1 pinv(S^-1 G S^-1) S^-1`` with ``S = sqrt(diag(G))``; the
    scaling makes dummies and numeric columns of very different size
    comparable, and the pseudo-inverse copes with redundant columns (as R's
    pivoted QR does).
    """
    diag = np.diag(gram)
    scaling = np.sqrt(np.where(diag > 0, diag, 1.0))
    pinv = np.linalg.pinv(gram / np.outer(scaling, scaling), rcond=1e-12, hermitian=True)
    return pinv, scaling


def weighted_residuals(model: ModelMatrix, d: FloatArray, z: FloatArray) -> FloatArray:
    """Residuals of the ``d``-weighted least-squares fit of ``z`` (n, k) on ``X``.

    Solved by the scaled normal equations plus one step of iterative refinement.
    """
    pinv, scaling = scaled_pinv(model.gram(d))

    def solve(rhs: FloatArray) -> FloatArray:
        return (pinv @ (rhs / scaling[:, None])) / scaling[:, None]

    beta = solve(model.xtdz(d, z))
    resid = z - model.xb(beta)
    return resid - model.xb(solve(model.xtdz(d, resid)))


def xtdz_coded(
    model: ModelMatrix, d: FloatArray, values: FloatArray, cols: IntArray, k: int
) -> FloatArray:
    """``X' D z`` for scores with one non-zero column per row (``cols``, -1: none)."""
    rows = cols >= 0
    c = cols[rows]
    dz = (d * values)[rows]
    out = np.zeros((model.n_columns, k))
    offsets = model.offsets()
    if model.intercept:
        out[0] = np.bincount(c, weights=dz, minlength=k)
    for a, (codes, levels) in enumerate(zip(model.factors, model.n_levels, strict=True)):
        sums = np.bincount(codes[rows] * k + c, weights=dz, minlength=levels * k)
        out[offsets[a] : offsets[a] + levels - 1] = sums.reshape(levels, k)[1:]
    for j in range(model.numeric.shape[1]):
        out[offsets[-1] + j] = np.bincount(c, weights=dz * model.numeric[rows, j], minlength=k)
    return out


def group_fitted(
    model: ModelMatrix, unit: IntArray, n_units: int, w: FloatArray, beta: FloatArray
) -> FloatArray:
    """``sum_{i in u} w_i x_i' beta`` for every unit ``u``: (n_units, k), no (n, k) array."""
    k = beta.shape[1]
    out = np.zeros((n_units, k))
    offsets = model.offsets()
    if model.intercept:
        out += np.bincount(unit, weights=w, minlength=n_units)[:, None] * beta[0]
    for a, (codes, levels) in enumerate(zip(model.factors, model.n_levels, strict=True)):
        table = np.bincount(unit * levels + codes, weights=w, minlength=n_units * levels)
        out += table.reshape(n_units, levels)[:, 1:] @ beta[offsets[a] : offsets[a] + levels - 1]
    for j in range(model.numeric.shape[1]):
        col = np.bincount(unit, weights=w * model.numeric[:, j], minlength=n_units)
        out += col[:, None] * beta[offsets[-1] + j]
    return out


def solve_normal(model: ModelMatrix, d: FloatArray, rhs: FloatArray) -> FloatArray:
    """``beta = (X' D X)^- rhs`` with Jacobi scaling and one refinement step."""
    gram = model.gram(d)
    pinv, scaling = scaled_pinv(gram)

    def solve(b: FloatArray) -> FloatArray:
        return (pinv @ (b / scaling[:, None])) / scaling[:, None]

    beta = solve(rhs)
    return beta + solve(rhs - gram @ beta)
