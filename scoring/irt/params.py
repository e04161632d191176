"""Item parameters: the frozen result of a calibration and the params file.

An :class:`ItemParameters` holds, per item, the model, the discrimination
:math:`a`, the difficulties/thresholds :math:`b_1 < \\dots < b_{K-1}` and the
lower asymptote :math:`c`, in the logistic metric

.. math:: P^*_k(\\theta) = c + (1-c)\\,\\sigma\\big(a(\\theta - b_k)\\big),

(:math:`c = 0` except for 3PL items), together with the latent distribution
:math:`N(\\mu, \\sigma^2)` of the calibration sample. ``to_dict``/``from_dict``
give the JSON/YAML params file written by ``kesu irt calibrate``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.irt.errors import ParamsFileError

logger = logging.getLogger(__name__)

__all__ = ["PARAMS_FORMAT", "ItemModel", "ItemParameters"]

#: value of the ``format`` key of a params file
PARAMS_FORMAT = "kesu.irt.item-parameters/1"


class ItemModel(StrEnum):
    """Item response model of one item.

    ``RASCH`` and ``ONE_PL`` are the same model (one slope shared by all such
    items): ``ONE_PL`` reports it with :math:`\\theta \\sim N(0, 1)` and a common
    :math:`a`, ``RASCH`` with :math:`a = 1` and the latent SD estimated.
    ``GRM`` is Samejima's graded response model; with two categories it is the
    2PL.
    """

    RASCH = "rasch"
    ONE_PL = "1pl"
    TWO_PL = "2pl"
    THREE_PL = "3pl"
    GRM = "grm"

    @classmethod
    def parse(cls, value: str | ItemModel, *, param: str = "model") -> ItemModel:
        """Parse a model name (case-insensitive), failing with the valid names."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ParamsFileError(
                "unknown item model",
                param=param,
                got=value,
                expected=", ".join(m.value for m in cls),
            ) from None


def _frozen(values: Any, *, shape: tuple[int, ...] | None = None) -> NDArray[np.float64]:
    arr = np.array(values, dtype=np.float64, copy=True)
    if shape is not None:
        arr = arr.reshape(shape)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class ItemParameters:
    """Calibrated item parameters (frozen; arrays are read-only copies).

    Attributes:
        item_ids: item identifiers, in column order.
        models: one :class:`ItemModel` per item.
        a: discriminations ``(J,)``.
        b: difficulties/thresholds ``(J, Kmax-1)``, NaN-padded on the right.
        c: lower asymptotes ``(J,)``, 0 except for 3PL items.
        se_a, se_b, se_c: standard errors of the same shapes, or ``None``.
        latent_mean, latent_sd: the calibration sample's latent distribution.
        meta: JSON-friendly facts about the calibration (convergence, SE method...).
    """

    item_ids: tuple[str, ...]
    models: tuple[ItemModel, ...]
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    c: NDArray[np.float64]
    se_a: NDArray[np.float64] | None = None
    se_b: NDArray[np.float64] | None = None
    se_c: NDArray[np.float64] | None = None
    latent_mean: float = 0.0
    latent_sd: float = 1.0
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = tuple(str(i) for i in self.item_ids)
        n = len(ids)
        if n == 0:
            raise ParamsFileError("no items", param="item_ids", got=0, expected=">= 1 item")
        if len(set(ids)) != n:
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ParamsFileError("duplicate item ids", param="item_ids", got=dup)
        models = tuple(ItemModel.parse(m) for m in self.models)
        if len(models) != n:
            raise ParamsFileError("one model per item", param="models", got=len(models), expected=n)
        b = np.array(self.b, dtype=np.float64, copy=True)
        if b.ndim == 1:
            b = b[:, None]
        a = _frozen(self.a, shape=(n,))
        c = _frozen(self.c, shape=(n,))
        if b.shape[0] != n or b.shape[1] < 1:
            raise ParamsFileError("b must have one row per item", param="b", got=b.shape)
        for j, item in enumerate(ids):
            self._check_item(item, models[j], a[j], b[j], c[j])
        object.__setattr__(self, "item_ids", ids)
        object.__setattr__(self, "models", models)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", _frozen(b))
        object.__setattr__(self, "c", c)
        for name, shape in (("se_a", (n,)), ("se_b", b.shape), ("se_c", (n,))):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _frozen(value, shape=shape))
        if not (math.isfinite(self.latent_mean) and math.isfinite(self.latent_sd)):
            raise ParamsFileError("latent mean/sd must be finite", param="latent")
        if self.latent_sd <= 0:
            raise ParamsFileError("latent sd must be > 0", param="latent_sd", got=self.latent_sd)
        object.__setattr__(self, "latent_mean", float(self.latent_mean))
        object.__setattr__(self, "latent_sd", float(self.latent_sd))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @staticmethod
    def _check_item(
        item: str, model: ItemModel, a: float, b: NDArray[np.float64], c: float
    ) -> None:
        thr = b[~np.isnan(b)]
        k = thr.size + 1
        if not (math.isfinite(a) and a != 0.0):
            raise ParamsFileError(
                f"item {item}: slope a must be finite and non-zero", param="a", got=a
            )
        if thr.size == 0 or np.any(np.isnan(b[: thr.size])) or not np.all(np.isfinite(thr)):
            raise ParamsFileError(
                f"item {item}: thresholds must be finite and NaN only as right padding",
                param="b",
                got=b.tolist(),
            )
        # P*_k = sigma(a(theta - b_k)) decreases in k: b increases when a > 0
        if np.any(np.sign(a) * np.diff(thr) <= 0):
            raise ParamsFileError(
                f"item {item}: thresholds must increase (decrease when a < 0)",
                param="b",
                got=thr.tolist(),
            )
        if model in (ItemModel.TWO_PL, ItemModel.THREE_PL) and k != 2:
            raise ParamsFileError(
                f"item {item}: model {model.value} needs 2 categories",
                param="models",
                got=k,
                hint="use 'grm' for items scored 0..K-1",
            )
        if not (0.0 <= c < 1.0) or (c > 0 and model is not ItemModel.THREE_PL):
            raise ParamsFileError(
                f"item {item}: c must be in [0, 1) and 0 unless the model is 3pl",
                param="c",
                got=c,
            )

    # ---------------------------------------------------------------- views
    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    @property
    def n_categories(self) -> NDArray[np.int64]:
        """Number of score categories per item (2 for right/wrong items)."""
        return np.asarray((~np.isnan(self.b)).sum(axis=1) + 1, dtype=np.int64)

    def slope_intercept(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Return ``(a, d, c)`` with :math:`d_k = -a b_k` and ``-inf`` padding."""
        d = np.where(np.isnan(self.b), -np.inf, -self.a[:, None] * np.nan_to_num(self.b))
        return self.a.copy(), d, self.c.copy()

    def index(self, item_ids: Sequence[str]) -> NDArray[np.int64]:
        """Positions of ``item_ids`` in this parameter set.

        Raises:
            ParamsFileError: an id is unknown (all unknown ids are listed).
        """
        pos = {item: j for j, item in enumerate(self.item_ids)}
        missing = [str(i) for i in item_ids if str(i) not in pos]
        if missing:
            raise ParamsFileError(
                "items not in the parameter set",
                param="item_ids",
                got=missing,
                hint="check the item ids (columns item_<ID>) against the params file",
            )
        return np.array([pos[str(i)] for i in item_ids], dtype=np.int64)

    def subset(self, item_ids: Sequence[str]) -> ItemParameters:
        """The parameters of ``item_ids`` only, in that order."""
        idx = self.index(item_ids)
        b = self.b[idx]
        width = max(1, int((~np.isnan(b)).sum(axis=1).max()))

        def pick(x: NDArray[np.float64] | None) -> NDArray[np.float64] | None:
            return None if x is None else x[idx]

        se_b = None if self.se_b is None else self.se_b[idx][:, :width]
        return ItemParameters(
            item_ids=tuple(self.item_ids[i] for i in idx),
            models=tuple(self.models[i] for i in idx),
            a=self.a[idx],
            b=b[:, :width],
            c=self.c[idx],
            se_a=pick(self.se_a),
            se_b=se_b,
            se_c=pick(self.se_c),
            latent_mean=self.latent_mean,
            latent_sd=self.latent_sd,
            meta=self.meta,
        )

    def transform(self, slope: float, intercept: float) -> ItemParameters:
        """Put the parameters on the scale :math:`\\theta^* = A\\theta + B`.

        Formula: :math:`a^* = a/A`, :math:`b^* = A b + B`, :math:`c^* = c`,
        :math:`\\mu^* = A\\mu + B`, :math:`\\sigma^* = A\\sigma` (Kolen & Brennan
        2014, eq. 6.3-6.6). Standard errors are scaled the same way (the
        linking constants are treated as known).

        Example:
            >>> p = ItemParameters(("q1",), ("2pl",), [2.0], [[0.5]], [0.0])
            >>> t = p.transform(2.0, 1.0)
            >>> float(t.a[0]), float(t.b[0, 0])
            (1.0, 2.0)
        """
        if not (math.isfinite(slope) and slope > 0 and math.isfinite(intercept)):
            raise ParamsFileError(
                "linking slope A must be > 0 and both constants finite",
                param="slope",
                got=(slope, intercept),
            )
        return ItemParameters(
            item_ids=self.item_ids,
            models=self.models,
            a=self.a / slope,
            b=slope * self.b + intercept,
            c=self.c,
            se_a=None if self.se_a is None else self.se_a / slope,
            se_b=None if self.se_b is None else self.se_b * slope,
            se_c=self.se_c,
            latent_mean=slope * self.latent_mean + intercept,
            latent_sd=slope * self.latent_sd,
            meta={**self.meta, "transformed": {"A": slope, "B": intercept}},
        )

    # ------------------------------------------------------------ serialise
    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-friendly mapping (the params file).

        Example:
            >>> p = ItemParameters(("q1",), ("2pl",), [1.0], [[0.0]], [0.0])
            >>> ItemParameters.from_dict(p.to_dict()).item_ids
            ('q1',)
        """
        items = []
        for j, item in enumerate(self.item_ids):
            k = int(self.n_categories[j]) - 1
            entry: dict[str, Any] = {
                "id": item,
                "model": self.models[j].value,
                "a": float(self.a[j]),
                "b": [float(v) for v in self.b[j, :k]],
                "c": float(self.c[j]),
            }
            if self.se_a is not None or self.se_b is not None or self.se_c is not None:
                entry["se"] = {
                    "a": None if self.se_a is None else _num(self.se_a[j]),
                    "b": None if self.se_b is None else [_num(v) for v in self.se_b[j, :k]],
                    "c": None if self.se_c is None else _num(self.se_c[j]),
                }
            items.append(entry)
        return {
            "format": PARAMS_FORMAT,
            "metric": "logistic (D = 1)",
            "latent": {"mean": self.latent_mean, "sd": self.latent_sd},
            "items": items,
            "meta": _plain(dict(self.meta)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemParameters:
        """Rebuild from :meth:`to_dict` output (e.g. a loaded JSON/YAML file).

        Raises:
            ParamsFileError: wrong format tag, missing keys or invalid values;
                the message names the item.
        """
        if not isinstance(data, Mapping) or data.get("format") != PARAMS_FORMAT:
            got = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise ParamsFileError(
                "not a kesu item-parameter file",
                param="format",
                got=got,
                expected=PARAMS_FORMAT,
                hint="write the file with `kesu irt calibrate`",
            )
        items = data.get("items")
        if not isinstance(items, Sequence) or not items:
            raise ParamsFileError("params file has no items", param="items")
        width = 1
        for entry in items:
            b = entry.get("b") if isinstance(entry, Mapping) else None
            if not isinstance(b, Sequence) or not b:
                raise ParamsFileError(
                    "each item needs id, model, a, b, c", param="items", got=entry
                )
            width = max(width, len(b))
        n = len(items)
        b_arr = np.full((n, width), np.nan)
        se_b = np.full((n, width), np.nan)
        se_a = np.full(n, np.nan)
        se_c = np.full(n, np.nan)
        has_se = False
        ids, models, a, c = [], [], [], []
        for j, entry in enumerate(items):
            try:
                ids.append(str(entry["id"]))
                models.append(ItemModel.parse(entry["model"], param=f"items[{j}].model"))
                a.append(float(entry["a"]))
                c.append(float(entry.get("c", 0.0)))
                b_arr[j, : len(entry["b"])] = [float(v) for v in entry["b"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise ParamsFileError(
                    f"item {entry.get('id', j)!s}: bad entry ({exc})",
                    param=f"items[{j}]",
                    got=entry,
                    expected="keys id, model, a, b (list), c",
                ) from None
            se = entry.get("se")
            if isinstance(se, Mapping):
                has_se = True
                se_a[j] = _float_or_nan(se.get("a"))
                se_c[j] = _float_or_nan(se.get("c"))
                if se.get("b") is not None:
                    se_b[j, : len(se["b"])] = [_float_or_nan(v) for v in se["b"]]
        latent = data.get("latent", {}) or {}
        return cls(
            item_ids=tuple(ids),
            models=tuple(models),
            a=np.array(a),
            b=b_arr,
            c=np.array(c),
            se_a=se_a if has_se else None,
            se_b=se_b if has_se else None,
            se_c=se_c if has_se else None,
            latent_mean=float(latent.get("mean", 0.0)),
            latent_sd=float(latent.get("sd", 1.0)),
            meta=dict(data.get("meta", {}) or {}),
        )


def _num(value: float) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def _float_or_nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and mappings to plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value
