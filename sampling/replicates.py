"""Replicate-weight designs: JK1, JKn, BRR, Fay's BRR and the Rao-Wu bootstrap.

:func:`replicate_design` turns a :class:`~sampling.design.SurveyDesign` into
a :class:`ReplicateDesign`, with the same replicate weights and variance
multipliers as R's ``as.svrepdesign`` (Wolter 2007; Lumley 2010, §2.3):

* ``jk1``: delete-one-PSU jackknife for unstratified designs,
  scale ``(n-1)/n (1-f)``;
* ``jkn``: stratified jackknife, one replicate per PSU, rscale
  ``(n_h-1)/n_h (1-f_h)``;
* ``brr`` / ``fay``: balanced half-samples from R's Hadamard matrices
  (factors 2 and 0, or ``2-rho`` and ``rho``), scale ``1/(R (1-rho)^2)``;
* ``bootstrap``: Rao & Wu (1988) rescaled bootstrap drawing ``n_h - 1`` PSUs
  with replacement (R's ``subbootstrap``), scale ``1/(R-1)``.

Replicate weights are stored compressed (one factor per PSU) until a weighting
step re-calibrates every replicate (:meth:`ReplicateDesign.apply_weighting`),
as R's ``calibrate``/``rake``/``postStratify`` on a ``svyrep.design`` do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._hadamard import hadamard
from sampling.design import LonelyPSU
from sampling.design import SurveyDesign
from sampling.errors import DesignError
from sampling.errors import SinglePSUError
from sampling.variance import CENSUS_TOLERANCE

if TYPE_CHECKING:
    from sampling.weighting.base import WeightingResult

logger = logging.getLogger(__name__)

REPLICATE_METHODS = ("jk1", "jkn", "brr", "fay", "bootstrap")

#: refuse to expand replicate weights beyond this many matrix cells (n * R)
MAX_EXPANDED_CELLS = 200_000_000


def _readonly(arr: NDArray[Any]) -> NDArray[Any]:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class ReplicateDesign:
    """Full-sample weights plus replicate weights and their variance multipliers.

    Replicate weight ``r`` of row ``i`` is ``base[i] * factors[index[i], r]``.

    Attributes:
        weights: full-sample weights (n,).
        base: row multipliers (n,) (the weights while factors are per PSU).
        factors: (m, R) replicate factors (m = PSUs) or full weights (m = n).
        index: row -> factor row.
        scale: overall variance multiplier.
        rscales: (R,) per-replicate multipliers.
        method: ``jk1``, ``jkn``, ``brr``, ``fay`` or ``bootstrap``.
        mse: centre replicates at the full-sample estimate (R's ``mse=TRUE``).
        rho: Fay's coefficient (0 for BRR).
        degf: degrees of freedom (rank of the replicate weights minus 1, R's ``degf``).
    """

    weights: FloatArray
    base: FloatArray
    factors: FloatArray
    index: IntArray
    scale: float
    rscales: FloatArray
    method: str
    mse: bool = False
    rho: float = 0.0
    _degf: int = field(default=-1, repr=False)

    def __post_init__(self) -> None:
        for name in ("weights", "base", "factors", "index", "rscales"):
            _readonly(getattr(self, name))
        if self._degf < 0:
            object.__setattr__(self, "_degf", self.domain_df(self.weights > 0))

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.weights.shape[0])

    @property
    def n_replicates(self) -> int:
        """Number of replicates R."""
        return int(self.factors.shape[1])

    @property
    def degf(self) -> int:
        """Rank of the replicate weights minus one (R's ``degf.svyrep.design``)."""
        return self._degf

    @property
    def compressed(self) -> bool:
        """True while replicate factors are stored per PSU."""
        return self.factors.shape[0] != self.n or not np.array_equal(self.index, np.arange(self.n))

    def replicate_weights(self) -> FloatArray:
        """The full (n, R) matrix of replicate weights."""
        return self.base[:, None] * self.factors[self.index]

    def replicate_totals(self, values: FloatArray, columns: IntArray, k: int) -> FloatArray:
        """(R, k) replicate totals of ``values`` summed by column code (``-1``: skipped)."""
        rows = columns >= 0
        m = self.factors.shape[0]
        keys = self.index[rows] * k + columns[rows]
        sums = np.bincount(keys, weights=(self.base * values)[rows], minlength=m * k)
        return self.factors.T @ sums.reshape(m, k)

    def domain_df(self, rows: NDArray[np.bool_]) -> int:
        """Rank of the replicate weights of ``rows`` minus one (R's ``degf`` of a subset)."""
        active = rows & (self.base != 0)
        groups = np.unique(self.index[active])
        if groups.size == 0:
            return 0
        mat = self.factors[groups]
        # rank from the smaller Gram matrix; eigenvalues below 1e-10 of the largest
        # (singular values below 1e-5, R's qr tolerance) count as zero
        gram = mat.T @ mat if mat.shape[0] >= mat.shape[1] else mat @ mat.T
        eig = np.linalg.eigvalsh(gram)
        top = float(eig.max()) if eig.size else 0.0
        rank = int(np.sum(eig > top * 1e-10)) if top > 0 else 0
        return rank - 1

    def subset(self, mask: ArrayLike) -> ReplicateDesign:
        """Restrict to a domain by zero weights (full-sample and replicates)."""
        m = np.asarray(mask)
        if m.dtype != np.bool_ or m.shape != (self.n,):
            raise DesignError("subset mask must be boolean with one value per row", param="mask")
        return self._replace(
            weights=np.where(m, self.weights, 0.0), base=np.where(m, self.base, 0.0)
        )

    def _replace(
        self,
        *,
        weights: FloatArray,
        base: FloatArray,
        factors: FloatArray | None = None,
        index: IntArray | None = None,
    ) -> ReplicateDesign:
        """A copy with new weights (and factors); ``degf`` is recomputed, not copied."""
        return ReplicateDesign(
            weights=weights,
            base=base,
            factors=self.factors if factors is None else factors,
            index=self.index if index is None else index,
            scale=self.scale,
            rscales=self.rscales,
            method=self.method,
            mse=self.mse,
            rho=self.rho,
        )

    def apply_weighting(self, result: WeightingResult) -> ReplicateDesign:
        """Apply a weighting step: the full sample gets ``result.weights`` and every
        replicate is re-weighted by re-running ``result.step`` on its own weights
        (R's ``calibrate``/``rake``/``postStratify``/``trimWeights`` on replicate designs).
        """
        cells = self.n * self.n_replicates
        if cells > MAX_EXPANDED_CELLS:
            raise DesignError(
                "too many replicate weights to re-calibrate",
                param="replicates",
                got=f"{self.n} rows x {self.n_replicates} replicates",
                hint="use Taylor variance, or fewer replicates (bootstrap/BRR)",
            )
        full = self.replicate_weights()
        out = np.empty_like(full)
        for r in range(self.n_replicates):
            out[:, r] = result.step.run(full[:, r]).weights
        return self._replace(
            weights=np.asarray(result.weights, dtype=np.float64).copy(),
            base=np.ones(self.n),
            factors=out,
            index=np.arange(self.n, dtype=np.intp),
        )

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign(method={self.method}, n={self.n}, replicates={self.n_replicates}, "
            f"scale={self.scale:.6g}, degf={self.degf})"
        )


def replicate_design(
    design: SurveyDesign,
    method: str = "jkn",
    *,
    replicates: int = 50,
    rng: np.random.Generator | None = None,
    fay_rho: float = 0.5,
    mse: bool = False,
) -> ReplicateDesign:
    """Replicate weights for ``design`` (R's ``as.svrepdesign``).

    Only first-stage units are resampled (R drops later-stage fpcs too).

    Args:
        design: the design (weights should be the design weights; apply
            weighting steps afterwards with :meth:`ReplicateDesign.apply_weighting`).
        method: ``jk1``, ``jkn``, ``brr``, ``fay`` or ``bootstrap``.
        replicates: number of bootstrap replicates.
        rng: random generator (required for ``bootstrap``).
        fay_rho: Fay's coefficient for ``fay``.
        mse: centre at the full-sample estimate instead of the replicate mean.

    Returns:
        A :class:`ReplicateDesign`.

    Raises:
        DesignError: method not suited to the design (JK1 with strata, JKn/BRR
            without strata, BRR with an odd stratum), calibrated input design.
        SinglePSUError: a stratum with one PSU and policy ``FAIL``.

    Example:
        >>> d = SurveyDesign(weights=[1.0, 1.0, 1.0], psu=[1, 2, 3])
        >>> replicate_design(d, "jk1").n_replicates
        3
    """
    if method not in REPLICATE_METHODS:
        raise DesignError(
            "unknown replicate method", param="method", got=method, expected=REPLICATE_METHODS
        )
    if design.calibrations:
        raise DesignError(
            "make replicate weights from the design weights, then apply the weighting",
            param="design",
            hint="replicate_design(base_design).apply_weighting(result)",
        )
    stage = design.stages[0]
    if len(design.psu) > 1 or len(design.fpc) > 1:
        logger.warning("replicate weights use the first stage only (as R's as.svrepdesign)")
    if method == "jk1":
        factors, scale, rscales = _jk1(design)
    elif method == "jkn":
        factors, scale, rscales = _jkn(design)
    elif method in ("brr", "fay"):
        rho = 0.0 if method == "brr" else float(fay_rho)
        if not 0.0 <= rho < 1.0:
            raise DesignError("fay_rho must be in [0, 1)", param="fay_rho", got=fay_rho)
        factors, scale, rscales = _brr(design, rho)
    else:
        if rng is None:
            raise DesignError(
                "the bootstrap needs a random generator",
                param="rng",
                hint="pass rng=np.random.default_rng(seed)",
            )
        factors, scale, rscales = _bootstrap(design, replicates, rng)
    return ReplicateDesign(
        weights=design.weights.copy(),
        base=design.weights.copy(),
        factors=factors,
        index=stage.unit.copy(),
        scale=float(scale),
        rscales=rscales,
        method=method,
        mse=mse,
        rho=0.0 if method != "fay" else float(fay_rho),
    )


def _fpc_factor(stage: Any) -> FloatArray:
    f = np.ones(stage.n_groups)
    finite = np.isfinite(stage.population)
    f[finite] = (stage.population[finite] - stage.sampled[finite]) / stage.population[finite]
    return f


def _jk1(design: SurveyDesign) -> tuple[FloatArray, float, FloatArray]:
    stage = design.stages[0]
    if stage.n_groups > 1:
        raise DesignError(
            "JK1 is for unstratified designs", param="method", got="jk1", hint="use jkn"
        )
    n = stage.n_units
    if n < 2:
        raise DesignError("JK1 needs at least two PSUs", param="psu", got=n)
    factors = np.full((n, n), n / (n - 1.0))
    np.fill_diagonal(factors, 0.0)
    scale = (n - 1.0) / n * float(_fpc_factor(stage)[0])
    return factors, scale, np.ones(n)


def _jkn(design: SurveyDesign) -> tuple[FloatArray, float, FloatArray]:
    stage = design.stages[0]
    if design.strata is None:
        raise DesignError(
            "JKn is for stratified designs", param="method", got="jkn", hint="use jk1"
        )
    f = _fpc_factor(stage)
    n_units = stage.n_units
    columns: list[FloatArray] = []
    rscales: list[float] = []
    skipped = 0
    policy = design.lonely_psu
    n_strata = stage.n_groups
    for h in range(n_strata):
        members = np.flatnonzero(stage.group == h)
        n_h = members.size
        if f[h] < CENSUS_TOLERANCE:
            continue
        if n_h == 1:
            if policy is LonelyPSU.FAIL:
                raise SinglePSUError(
                    f"{stage.group_label(h)} has only one PSU",
                    param="lonely_psu",
                    hint="collapse strata or choose another lonely_psu policy",
                )
            if policy is LonelyPSU.ADJUST:
                col = np.full(n_units, n_strata / (n_strata - 1.0))
                col[members] = 0.0
                columns.append(col)
                rscales.append((n_strata - 1.0) / n_strata)
            else:
                skipped += 1
            continue
        for drop in members:
            col = np.ones(n_units)
            col[members] = n_h / (n_h - 1.0)
            col[drop] = 0.0
            columns.append(col)
            rscales.append((n_h - 1.0) / n_h * f[h])
    if not columns:
        raise DesignError("all strata were sampled completely: no variance", param="fpc")
    scale = 1.0
    if policy is LonelyPSU.AVERAGE and skipped:
        scale = n_units / len(columns)
    return np.column_stack(columns), scale, np.asarray(rscales)


def _brr(design: SurveyDesign, rho: float) -> tuple[FloatArray, float, FloatArray]:
    stage = design.stages[0]
    if design.strata is None:
        raise DesignError("BRR needs strata with two PSUs each", param="method")
    if np.any(np.isfinite(stage.population)):
        logger.warning("BRR ignores the finite population correction (as R does)")
    # R numbers the PSUs of a stratum by first appearance and the strata by their
    # spelling (as.character), placing strata with more than two PSUs first.
    first_row = np.full(stage.n_units, stage.unit.shape[0], dtype=np.intp)
    np.minimum.at(first_row, stage.unit, np.arange(stage.unit.shape[0], dtype=np.intp))
    labels = design.stratum_labels
    order = sorted(range(stage.n_groups), key=lambda h: labels[h])
    first_psu = np.zeros(stage.n_units, dtype=bool)  # True: weights (0, 1) in R
    pair_of = np.zeros(stage.n_units, dtype=np.intp)
    pairs = 0
    large = [h for h in order if stage.sampled[h] > 2]
    good = [h for h in order if stage.sampled[h] == 2]
    for h in order:
        if stage.sampled[h] < 2:
            raise DesignError(
                f"{stage.group_label(h)} has fewer than 2 PSUs: BRR needs pairs",
                param="method",
                hint="collapse strata into pairs, or use jkn",
            )
        if stage.sampled[h] % 2:
            raise DesignError(
                f"{stage.group_label(h)} has an odd number of PSUs: BRR cannot split it",
                param="method",
                hint="use jkn or the bootstrap",
            )
    for h in large + good:
        members = np.flatnonzero(stage.group == h)
        members = members[np.argsort(first_row[members], kind="stable")]
        first_psu[members[0::2]] = True
        pair_of[members] = pairs + np.arange(members.size) // 2
        pairs += members.size // 2
    h_mat = hadamard(pairs)
    rows = h_mat[1 + pair_of]  # (units, R): 1 -> the first PSU of the pair is in
    in_half = np.where(first_psu[:, None], rows == 1, rows == 0)
    factors = np.where(in_half, 2.0 - rho, rho)
    n_rep = h_mat.shape[1]
    return factors, 1.0 / (n_rep * (1.0 - rho) ** 2), np.ones(n_rep)


def _bootstrap(
    design: SurveyDesign, replicates: int, rng: np.random.Generator
) -> tuple[FloatArray, float, FloatArray]:
    if replicates < 2:
        raise DesignError("the bootstrap needs at least 2 replicates", param="replicates")
    stage = design.stages[0]
    factors = np.ones((stage.n_units, replicates))
    for h in range(stage.n_groups):
        members = np.flatnonzero(stage.group == h)
        n_h = members.size
        if n_h == 1:
            if design.lonely_psu is LonelyPSU.CERTAINTY:
                continue
            raise SinglePSUError(
                f"{stage.group_label(h)} has only one PSU",
                param="lonely_psu",
                hint="collapse strata, or lonely_psu certainty",
            )
        draws = rng.integers(0, n_h, size=(replicates, n_h - 1))
        keys = (draws + n_h * np.arange(replicates)[:, None]).ravel()
        counts = np.bincount(keys, minlength=n_h * replicates).reshape(replicates, n_h).T
        factors[members] = counts * n_h / (n_h - 1.0)
    return factors, 1.0 / (replicates - 1.0), np.ones(replicates)


#: R's ``svrepdesign(type=)`` names accepted for replicate-weight columns, lower-cased
COLUMN_TYPES = {"jk1": "jk1", "jkn": "jkn", "brr": "brr", "fay": "fay", "bootstrap": "bootstrap"}


def replicate_design_from_weights(
    weights: ArrayLike,
    replicate_weights: ArrayLike,
    type: str,
    *,
    scale: float | None = None,
    rscales: ArrayLike | None = None,
    fay_rho: float | None = None,
    mse: bool = False,
) -> ReplicateDesign:
    """A replicate design from replicate-weight columns given with the data (R's ``svrepdesign``).

    The columns are full replicate weights (R's ``combined.weights=TRUE``).
    Multipliers as R sets them: ``BRR`` scale ``1/R``; ``Fay`` ``1/(R (1-rho)^2)``
    (``fay_rho`` required); ``bootstrap`` ``1/(R-1)`` unless given; ``JK1``
    ``(R-1)/R`` unless given; ``JKn`` needs ``rscales`` (``(n_h-1)/n_h`` of each
    replicate's stratum); ``rscales`` default 1.

    Args:
        weights: full-sample weights (n,).
        replicate_weights: (n, R) replicate weights.
        type: ``JK1``, ``JKn``, ``BRR``, ``Fay`` or ``bootstrap``.
        scale, rscales, fay_rho, mse: as R's ``scale``, ``rscales``, ``rho``, ``mse``.

    Raises:
        DesignError: an unknown type, missing or negative weights, wrong shapes,
            JKn without rscales, Fay without rho, or a scale given for BRR/Fay.

    Example:
        >>> d = replicate_design_from_weights([1.0, 1.0], [[0.0, 2.0], [2.0, 0.0]], "JK1")
        >>> d.scale, d.n_replicates
        (0.5, 2)
    """
    kind = COLUMN_TYPES.get(str(type).lower())
    if kind is None:
        raise DesignError(
            "unknown replicate-weight type",
            param="replicate_weights.type",
            got=type,
            expected="JK1 | JKn | BRR | Fay | bootstrap",
        )
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    reps = np.asarray(replicate_weights, dtype=np.float64)
    if reps.ndim != 2 or reps.shape[0] != w.shape[0] or reps.shape[1] < 2:
        raise DesignError(
            "replicate weights must be a matrix with one row per respondent and 2+ columns",
            param="replicate_weights.columns",
            got=reps.shape,
        )
    bad = ~np.isfinite(reps) | (reps < 0)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DesignError(
            f"replicate weight column {col + 1} row {row + 1} is missing or negative",
            param="replicate_weights.columns",
            hint="replicate weights must be numbers >= 0 (R refuses missing values too)",
        )
    n_rep = reps.shape[1]
    rs = None if rscales is None else np.asarray(rscales, dtype=np.float64).reshape(-1)
    if rs is not None and rs.shape[0] not in (1, n_rep):
        raise DesignError(
            "rscales needs one value per replicate",
            param="replicate_weights.rscales",
            got=rs.shape[0],
            expected=n_rep,
        )
    rho = 0.0
    if kind in ("brr", "fay") and scale is not None:
        raise DesignError(
            f"type {type} fixes the scale; leave scale out",
            param="replicate_weights.scale",
            got=scale,
        )
    if kind == "brr":
        scale = 1.0 / n_rep
    elif kind == "fay":
        if fay_rho is None or not 0.0 <= float(fay_rho) < 1.0:
            raise DesignError(
                "type Fay needs fay_rho in [0, 1)", param="replicate_weights.fay_rho", got=fay_rho
            )
        rho = float(fay_rho)
        scale = 1.0 / (n_rep * (1.0 - rho) ** 2)
    elif kind == "bootstrap" and scale is None:
        scale = 1.0 / (n_rep - 1.0)
    elif kind == "jk1" and scale is None:
        scale = (n_rep - 1.0) / n_rep
        logger.info("JK1 replicate weights without scale: (R-1)/R assumed, as R does")
    elif kind == "jkn" and rs is None:
        raise DesignError(
            "JKn replicate weights need rscales ((n_h - 1)/n_h of each replicate's stratum)",
            param="replicate_weights.rscales",
            hint="give rscales: [..] with one value per replicate column",
        )
    rscale_arr = np.ones(n_rep) if rs is None else np.broadcast_to(rs, (n_rep,)).copy()
    return ReplicateDesign(
        weights=w.copy(),
        base=np.ones(w.shape[0]),
        factors=reps.copy(),
        index=np.arange(w.shape[0], dtype=np.intp),
        scale=float(scale if scale is not None else 1.0),
        rscales=rscale_arr,
        method=kind,
        mse=mse,
        rho=rho,
    )
