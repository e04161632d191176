"""The survey design: weights, strata, clusters per stage, fpc, lonely-PSU policy.

A :class:`SurveyDesign` is frozen. Everything the variance engine needs
(integer codes of strata and of the sampling units of each stage, numbers of
sampled and population units) is computed once in ``__post_init__``, so that
estimators only do group sums. Domains are zero weights
(:meth:`SurveyDesign.subset`), never dropped rows, as in R's
``"[.survey.design2"`` (Lumley 2010, §2.3).

Conventions follow R's ``svydesign(ids=, strata=, fpc=, weights=, nest=)``:

* ``psu`` gives the sampling units of each stage; later-stage codes are nested
  in the earlier stages automatically (R does the same).
* ``nest=True`` means PSU codes are only unique within a stratum.
* ``fpc`` per stage is either the population number of units (all values
  >= 1) or the sampling fraction (all values <= 1), constant within the
  stratum (stage 1) or within the sampled unit of the previous stage.
* Full multistage variance is used for as many stages as have an fpc; later
  stages are treated as sampled with replacement (R's rule).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from enum import Enum
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from sampling._codes import FloatArray
from sampling._codes import IntArray
from sampling._codes import combine_codes
from sampling._codes import factorize
from sampling._codes import label_text
from sampling._model import ModelMatrix
from sampling.errors import DesignError

if TYPE_CHECKING:
    from sampling.weighting.base import WeightingResult

logger = logging.getLogger(__name__)


class LonelyPSU(Enum):
    """What to do with a stratum that has a single sampled PSU (R's ``survey.lonely.psu``).

    * ``FAIL`` (default): raise :class:`~sampling.errors.SinglePSUError`.
    * ``CERTAINTY``: the stratum contributes no variance (a certainty PSU).
    * ``ADJUST``: centre the lonely PSU at zero instead of the stratum mean
      (conservative; R's ``"adjust"``).
    * ``AVERAGE``: drop the stratum and scale the variance up by
      (strata present) / (strata with more than one PSU).
    """

    FAIL = "fail"
    CERTAINTY = "certainty"
    ADJUST = "adjust"
    AVERAGE = "average"


@dataclass(frozen=True, slots=True, eq=False)
class CalibrationRecord:
    """What the variance engine needs to know about one calibration step.

    The Taylor variance of a calibrated estimator replaces each score ``z`` by
    ``w * (z / w - X b)``, the residual of the regression of ``z / w`` on the
    calibration variables ``X`` weighted by the weights before calibration
    ``d`` (Deville & Särndal 1992; R's ``svyrecvar`` with a
    ``greg_calibration`` entry). ``X`` is the intercept plus treatment
    dummies of the categorical margins and the numeric columns; for
    post-stratification it is the cell indicators, which gives R's
    ``postStratify`` variance.

    Attributes:
        method: name of the weighting method that produced it.
        model: the calibration model matrix.
        weights_before: the weights ``d`` before the step.
        weights_after: the weights ``w`` right after the step.
    """

    method: str
    model: ModelMatrix
    weights_before: FloatArray
    weights_after: FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class StageIndex:
    """Codes of the sampling units of one stage (computed by :class:`SurveyDesign`).

    Attributes:
        unit: row -> unit code (units nested in their stratum and parent units).
        n_units: number of distinct units.
        group: unit -> group code. At stage 1 a group is a stratum; at later
            stages it is the sampled unit of the previous stage.
        n_groups: number of groups.
        sampled: group -> number of sampled units in it.
        population: group -> number of units in the population (inf: no fpc).
        ancestor_fraction: group -> product of the sampling fractions n/N of
            the earlier stages (1 at stage 1); R multiplies a later stage's
            variance by it.
        label_values: per-row labels the group labels are read from (strata
            at stage 1, the previous stage's unit labels later).
        group_first_row: group -> first row of the group (to find its label).
        label_kind: "stratum" or "stage-k unit".
    """

    unit: IntArray
    n_units: int
    group: IntArray
    n_groups: int
    sampled: FloatArray
    population: FloatArray
    ancestor_fraction: FloatArray
    label_values: NDArray[Any] | None
    group_first_row: IntArray
    label_kind: str

    def group_label(self, g: int) -> str:
        """Printable label of group ``g`` (e.g. ``stratum '3'``), for messages."""
        if self.label_values is None:
            return f"{self.label_kind} '1'"
        value = self.label_values[int(self.group_first_row[g])]
        return f"{self.label_kind} {label_text(value)!r}"


def _as_float(values: ArrayLike, name: str, n: int | None = None) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"{name} must be numeric", param=name, hint="convert the column to numbers first"
        ) from exc
    arr = arr.reshape(-1).copy()
    if n is not None and arr.shape[0] != n:
        raise DesignError(
            f"{name} has the wrong length",
            param=name,
            got=arr.shape[0],
            expected=f"{n} (the number of rows)",
            hint="all design columns must have one value per respondent",
        )
    return arr


def _stage_list(values: Any, name: str) -> tuple[NDArray[Any], ...]:
    if values is None:
        return ()
    if isinstance(values, np.ndarray):
        if values.ndim == 1:
            return (values,)
        if values.ndim == 2:
            return tuple(values[:, j] for j in range(values.shape[1]))
        raise DesignError(f"{name} must be 1-D or 2-D", param=name, got=values.shape)
    if isinstance(values, (list, tuple)):
        if len(values) > 0 and all(np.ndim(v) == 1 for v in values):
            return tuple(np.asarray(v) for v in values)
        return (np.asarray(values),)
    return (np.asarray(values),)


def _readonly(arr: NDArray[Any]) -> NDArray[Any]:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class SurveyDesign:
    """A (stratified, multistage) survey design with fixed weights.

    Args:
        weights: sampling (or final) weights, finite and >= 0.
        strata: first-stage strata labels, or None.
        psu: sampling units: one array (first stage only), a 2-D array with a
            column per stage, or a list of arrays. None: each row is a PSU.
        fpc: per stage, the population number of units or the sampling
            fraction (same shapes as ``psu``). None: with replacement.
        nest: PSU labels are unique only within strata.
        lonely_psu: policy for strata with one PSU.
        calibrations: calibration steps already applied to ``weights``.

    Raises:
        DesignError: lengths differ, weights are negative/NaN, PSUs are not
            nested in strata (with ``nest=False``), fpc varies within a
            stratum or is smaller than the number of sampled units.

    Example:
        >>> d = SurveyDesign(weights=[2.0, 2.0, 3.0, 3.0], strata=[1, 1, 2, 2])
        >>> d.degf
        2
    """

    weights: FloatArray
    strata: NDArray[Any] | None = None
    psu: Any = None
    fpc: Any = None
    nest: bool = False
    lonely_psu: LonelyPSU = LonelyPSU.FAIL
    calibrations: tuple[CalibrationRecord, ...] = ()
    _stages: tuple[StageIndex, ...] = field(init=False, repr=False)
    _stratum_labels: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        weights = _as_float(self.weights, "weights")
        n = weights.shape[0]
        if n == 0:
            raise DesignError("the design has no rows", param="weights", got=0)
        bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
        if bad.size:
            raise DesignError(
                f"weights must be finite and >= 0 (row {int(bad[0]) + 1})",
                param="weights",
                got=float(weights[bad[0]]),
                hint="fix or drop respondents without a valid weight",
                row=int(bad[0]) + 1,
            )
        if not np.any(weights > 0):
            raise DesignError("all weights are zero", param="weights")
        if not isinstance(self.lonely_psu, LonelyPSU):
            try:
                object.__setattr__(self, "lonely_psu", LonelyPSU(str(self.lonely_psu)))
            except ValueError as exc:
                raise DesignError(
                    "unknown lonely_psu policy",
                    param="lonely_psu",
                    got=self.lonely_psu,
                    expected=", ".join(p.value for p in LonelyPSU),
                ) from exc
        psu = _stage_list(self.psu, "psu")
        fpc = _stage_list(self.fpc, "fpc")
        for j, p in enumerate(psu):
            if p.shape[0] != n:
                raise DesignError(
                    f"psu stage {j + 1} has the wrong length",
                    param="psu",
                    got=p.shape[0],
                    expected=n,
                )
        if fpc and len(fpc) > max(len(psu), 1):
            raise DesignError(
                "more fpc stages than sampling stages",
                param="fpc",
                got=len(fpc),
                expected=f"at most {max(len(psu), 1)}",
                hint="give one fpc column per psu column",
            )
        # private read-only copies: the caller's arrays may change, the design may not
        strata = None if self.strata is None else _readonly(np.array(self.strata).reshape(-1))
        psu = tuple(_readonly(np.array(p)) for p in psu)
        if strata is not None and strata.shape[0] != n:
            raise DesignError(
                "strata has the wrong length", param="strata", got=strata.shape[0], expected=n
            )
        fpc_float = tuple(_as_float(f, f"fpc stage {j + 1}", n) for j, f in enumerate(fpc))
        stages, labels = _build_stages(n, strata, psu, fpc_float, self.nest)
        object.__setattr__(self, "weights", _readonly(weights))
        object.__setattr__(self, "strata", strata)
        object.__setattr__(self, "psu", psu)
        object.__setattr__(self, "fpc", fpc_float)
        object.__setattr__(self, "calibrations", tuple(self.calibrations))
        object.__setattr__(self, "_stages", stages)
        object.__setattr__(self, "_stratum_labels", labels)

    # -- construction helpers ------------------------------------------------
    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, ArrayLike],
        *,
        weights: str,
        strata: str | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: LonelyPSU | str = LonelyPSU.FAIL,
    ) -> SurveyDesign:
        """Build a design from named columns (a dict of arrays, e.g. a loaded table).

        Raises:
            DesignError: a named column is missing.

        Example:
            >>> cols = {"w": [1.0, 2.0], "s": ["a", "b"]}
            >>> SurveyDesign.from_columns(cols, weights="w", strata="s").n
            2
        """

        def get(name: str, role: str) -> ArrayLike:
            if name not in columns:
                raise DesignError(
                    f"column {name!r} (design {role}) is not in the data",
                    param=role,
                    got=name,
                    expected=f"one of {sorted(columns)[:20]}",
                )
            return columns[name]

        def many(names: str | Sequence[str] | None, role: str) -> list[ArrayLike] | None:
            if names is None:
                return None
            if isinstance(names, str):
                names = [names]
            return [np.asarray(get(nm, role)) for nm in names]

        return cls(
            weights=np.asarray(get(weights, "weights"), dtype=np.float64),
            strata=None if strata is None else np.asarray(get(strata, "strata")),
            psu=many(psu, "psu"),
            fpc=many(fpc, "fpc"),
            nest=nest,
            lonely_psu=LonelyPSU(lonely_psu) if isinstance(lonely_psu, str) else lonely_psu,
        )

    # -- derived designs -----------------------------------------------------
    def _derive(
        self, weights: FloatArray, calibrations: tuple[CalibrationRecord, ...]
    ) -> SurveyDesign:
        new = object.__new__(SurveyDesign)
        for name in ("strata", "psu", "fpc", "nest", "lonely_psu", "_stages", "_stratum_labels"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "weights", _readonly(weights))
        object.__setattr__(new, "calibrations", calibrations)
        return new

    def subset(self, mask: ArrayLike) -> SurveyDesign:
        """The design restricted to a domain: rows outside get weight 0 (none dropped).

        Args:
            mask: boolean array, True for rows in the domain.

        Example:
            >>> d = SurveyDesign(weights=[1.0, 1.0, 1.0], psu=[1, 2, 3])
            >>> d.subset([True, False, True]).weights.tolist()
            [1.0, 0.0, 1.0]
        """
        m = np.asarray(mask)
        if m.dtype != np.bool_ or m.shape != (self.n,):
            raise DesignError(
                "subset mask must be a boolean array with one value per row",
                param="mask",
                got=f"{m.dtype} {m.shape}",
                expected=f"bool ({self.n},)",
            )
        return self._derive(np.where(m, self.weights, 0.0), self.calibrations)

    def with_weights(
        self, weights: ArrayLike, calibration: CalibrationRecord | None = None
    ) -> SurveyDesign:
        """The same design with new weights (and a calibration step to account for)."""
        w = _as_float(weights, "weights", self.n)
        if np.any(~np.isfinite(w) | (w < 0)):
            raise DesignError("new weights must be finite and >= 0", param="weights")
        cal = self.calibrations if calibration is None else (*self.calibrations, calibration)
        return self._derive(w, cal)

    def apply_weighting(self, result: WeightingResult) -> SurveyDesign:
        """The design after a weighting step (new weights; calibration kept for variance)."""
        return self.with_weights(result.weights, result.calibration)

    # -- properties ------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of rows (respondents), including rows with weight zero."""
        return int(self.weights.shape[0])

    @property
    def stages(self) -> tuple[StageIndex, ...]:
        """Unit codes of each stage used in the variance (see :class:`StageIndex`)."""
        return self._stages

    @property
    def stratum_labels(self) -> tuple[str, ...]:
        """Printable first-stage stratum labels in code order."""
        return self._stratum_labels

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata."""
        return self._stages[0].n_groups

    @property
    def n_psu(self) -> int:
        """Number of first-stage sampling units."""
        return self._stages[0].n_units

    @property
    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata, among rows with weight > 0.

        R's ``degf()`` for ``survey.design2``.
        """
        return design_df(self, self.weights > 0)

    @property
    def is_calibrated(self) -> bool:
        """True if a calibration step is recorded (its variance is taken into account)."""
        return bool(self.calibrations)

    def __repr__(self) -> str:
        return (
            f"SurveyDesign(n={self.n}, strata={self.n_strata}, psu={self.n_psu}, "
            f"stages={len(self.psu) or 1}, fpc_stages={len(self.fpc)}, "
            f"lonely_psu={self.lonely_psu.value}, calibrations={len(self.calibrations)})"
        )


def fpc_weights(strata: ArrayLike | None, psu: Any, fpc: Any, *, nest: bool = False) -> FloatArray:
    """Design weights implied by the fpc: the product over stages of ``N / n`` of each row's
    stratum (stage 1) or parent unit (later stages), R's ``svydesign`` without
    ``weights`` or ``probs`` (Lumley 2010, §2.2).

    Raises:
        DesignError: no fpc, or an fpc given as fractions of 0 (no population size).

    Example:
        >>> fpc_weights([1, 1, 2, 2], None, [10, 10, 4, 4]).tolist()
        [5.0, 5.0, 2.0, 2.0]
    """
    if fpc is None:
        raise DesignError("weights from the fpc need an fpc", param="fpc")
    n = len(_stage_list(fpc, "fpc")[0])
    trial = SurveyDesign(
        weights=np.ones(n),
        strata=None if strata is None else np.asarray(strata),
        psu=psu,
        fpc=fpc,
        nest=nest,
    )
    weights = np.ones(n)
    for stage in trial.stages:
        row_group = stage.group[stage.unit]
        ratio = stage.population / stage.sampled
        if not np.all(np.isfinite(ratio[row_group])):
            raise DesignError(
                "an fpc of 0 gives no population size to derive weights from",
                param="fpc",
                hint="give weights: or prob: instead",
            )
        weights *= ratio[row_group]
    return weights


def design_df(design: SurveyDesign, in_domain: NDArray[np.bool_]) -> int:
    """PSUs minus strata among the rows in ``in_domain`` (R's ``degf`` of a subset)."""
    st = design.stages[0]
    units = np.zeros(st.n_units, dtype=bool)
    units[st.unit[in_domain]] = True
    strata = np.zeros(st.n_groups, dtype=bool)
    strata[st.group[units]] = True
    return int(units.sum()) - int(strata.sum())


def _first_rows(codes: IntArray, n_groups: int) -> IntArray:
    first = np.full(n_groups, codes.shape[0], dtype=np.intp)
    np.minimum.at(first, codes, np.arange(codes.shape[0], dtype=np.intp))
    return first


def _population(
    fpc: FloatArray,
    group: IntArray,
    n_groups: int,
    sampled: FloatArray,
    stage: int,
    label: Callable[[int], str],
) -> FloatArray:
    """Population units per group from a per-row fpc (counts or fractions)."""
    per_group = np.full(n_groups, np.nan)
    per_group[group] = fpc
    varies = np.flatnonzero(fpc != per_group[group])
    if varies.size:
        g = int(group[varies[0]])
        raise DesignError(
            f"fpc varies within {label(g)} at stage {stage} (row {int(varies[0]) + 1})",
            param="fpc",
            hint="the fpc must be the same for every row of a stratum (or of a parent unit)",
            row=int(varies[0]) + 1,
        )

    def first_row(g: int) -> int:
        return int(np.flatnonzero(group == g)[0]) + 1

    bad = np.flatnonzero(np.isnan(per_group) | (per_group < 0))
    if bad.size:
        raise DesignError(
            f"fpc at stage {stage} must be >= 0 and not missing",
            param="fpc",
            got=float(per_group[bad[0]]),
            row=first_row(int(bad[0])),
        )
    if np.all(per_group == 1):
        # R's svydesign refuses this too: it cannot be a census of every stratum and a
        # population of one unit at the same time
        raise DesignError(
            f"fpc at stage {stage} is 1 in every row: as a sampling fraction it says every "
            "stratum is a census (no sampling error at all), as a population count it is "
            "fewer units than were sampled",
            param="fpc",
            got=1.0,
            hint="give the number of population units (N) of each stratum, or drop fpc: for a "
            "with-replacement variance",
            row=1,
        )
    if np.any(per_group > 1):
        if np.any((per_group < 1) & (per_group > 0)):
            raise DesignError(
                f"fpc at stage {stage} mixes population counts (>1) and fractions (<1)",
                param="fpc",
                hint="give either population sizes or sampling fractions, not both",
            )
        population = per_group
    else:
        population = np.full(n_groups, np.inf)
        positive = per_group > 0
        population[positive] = sampled[positive] / per_group[positive]
    short = np.flatnonzero(population < sampled - 1e-9 * np.maximum(sampled, 1.0))
    if short.size:
        g = int(short[0])
        raise DesignError(
            f"fpc implies more sampled than population units in {label(g)} at stage {stage}",
            param="fpc",
            got=float(population[g]),
            expected=f">= {int(sampled[g])} sampled units",
            hint="is the fpc a population count of the right units?",
            row=first_row(g),
        )
    return population


def _build_stages(
    n: int,
    strata: NDArray[Any] | None,
    psu: tuple[NDArray[Any], ...],
    fpc: tuple[FloatArray, ...],
    nest: bool,
) -> tuple[tuple[StageIndex, ...], tuple[str, ...]]:
    if strata is None:
        s_codes = np.zeros(n, dtype=np.intp)
        s_labels: tuple[str, ...] = ("1",)
    else:
        try:
            s_codes, s_uniq = factorize(strata)
        except (TypeError, ValueError) as exc:
            raise DesignError("strata contain missing values", param="strata") from exc
        s_labels = tuple(label_text(u) for u in s_uniq)
    n_strata = len(s_labels)

    # stage 1 units
    if psu:
        try:
            p_codes, p_uniq = factorize(psu[0])
        except (TypeError, ValueError) as exc:
            raise DesignError("psu contains missing values", param="psu") from exc
        if nest:
            unit, cells = combine_codes([s_codes, p_codes], [n_strata, len(p_uniq)])
            n_units = int(cells.shape[0])
        else:
            unit, n_units = p_codes, int(p_uniq.shape[0])
    else:
        unit, n_units = np.arange(n, dtype=np.intp), n
    group = np.full(n_units, -1, dtype=np.intp)
    group[unit] = s_codes
    if strata is not None and psu and not nest:
        spans = np.flatnonzero(group[unit] != s_codes)
        if spans.size:
            r = int(spans[0])
            raise DesignError(
                f"PSU {label_text(psu[0][r])!r} appears in more than one stratum",
                param="psu",
                hint="PSU codes are reused across strata: set nest=True",
            )
    sampled = np.bincount(group, minlength=n_strata).astype(np.float64)
    stage1 = StageIndex(
        unit=_readonly(unit),
        n_units=n_units,
        group=_readonly(group),
        n_groups=n_strata,
        sampled=_readonly(sampled),
        population=np.full(n_strata, np.inf),
        ancestor_fraction=_readonly(np.ones(n_strata)),
        label_values=strata,
        group_first_row=_readonly(_first_rows(s_codes, n_strata)),
        label_kind="stratum",
    )
    if fpc:
        population = _population(fpc[0], s_codes, n_strata, sampled, 1, stage1.group_label)
        object.__setattr__(stage1, "population", population)
    _readonly(stage1.population)
    stages = [stage1]
    # later stages: only as many as have an fpc (R's rule); the rest are with replacement
    for k in range(1, min(len(psu), len(fpc))):
        prev = stages[-1]
        try:
            c_codes, c_uniq = factorize(psu[k])
        except (TypeError, ValueError) as exc:
            raise DesignError(f"psu stage {k + 1} contains missing values", param="psu") from exc
        unit_k, cells = combine_codes([prev.unit, c_codes], [prev.n_units, len(c_uniq)])
        n_units_k = int(cells.shape[0])
        group_k = np.full(n_units_k, -1, dtype=np.intp)
        group_k[unit_k] = prev.unit
        sampled_k = np.bincount(group_k, minlength=prev.n_units).astype(np.float64)
        prev_fraction = np.zeros(prev.n_groups)
        finite = np.isfinite(prev.population)
        prev_fraction[finite] = prev.sampled[finite] / prev.population[finite]
        ancestor = (prev.ancestor_fraction * prev_fraction)[prev.group]
        stage_k = StageIndex(
            unit=_readonly(unit_k),
            n_units=n_units_k,
            group=_readonly(group_k),
            n_groups=prev.n_units,
            sampled=_readonly(sampled_k),
            population=np.full(prev.n_units, np.inf),
            ancestor_fraction=_readonly(ancestor),
            label_values=psu[k - 1],
            group_first_row=_readonly(_first_rows(prev.unit, prev.n_units)),
            label_kind=f"stage-{k} unit",
        )
        population_k = _population(
            fpc[k], prev.unit, prev.n_units, sampled_k, k + 1, stage_k.group_label
        )
        object.__setattr__(stage_k, "population", _readonly(population_k))
        stages.append(stage_k)
    if len(psu) > 1 and len(fpc) < len(psu):
        logger.info(
            "design has %d stages but fpc for %d: later stages treated as with replacement",
            len(psu),
            len(fpc),
        )
    return tuple(stages), s_labels
