"""Link two calibrations through anchor items (common-item nonequivalent groups).

A linking puts the *new* calibration on the *old* scale,
:math:`\\theta_{old} = A\\,\\theta_{new} + B`, so that
:math:`a^* = a/A`, :math:`b^* = A b + B`, :math:`c^* = c` (Kolen & Brennan 2014,
ch. 6). Methods: mean-mean (Loyd & Hoover 1980), mean-sigma (Marco 1977),
Stocking & Lord (1983) test characteristic curves and Haebara (1980) item
characteristic curves. Graded items enter the moment methods with all their
thresholds and the curve methods with their expected score (Stocking-Lord)
or category probabilities (Haebara) (Kim & Lee 2006).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from scoring.irt.errors import LinkingError
from scoring.irt.irf import category_log_probs
from scoring.irt.params import ItemParameters

logger = logging.getLogger(__name__)

__all__ = [
    "AnchorStability",
    "Linking",
    "LinkingMethod",
    "anchor_stability",
    "common_items",
    "link",
]


class LinkingMethod(StrEnum):
    """How the linking constants are found."""

    MEAN_MEAN = "mean-mean"
    MEAN_SIGMA = "mean-sigma"
    STOCKING_LORD = "stocking-lord"
    HAEBARA = "haebara"


@dataclass(frozen=True, slots=True)
class Linking:
    """Linking constants :math:`\\theta_{old} = A\\theta_{new} + B` (frozen).

    Attributes:
        slope, intercept: ``A`` and ``B``.
        method: how they were found.
        anchors: the anchor items used.
        criterion: the minimised loss (curve methods; 0 for moment methods).
    """

    slope: float
    intercept: float
    method: LinkingMethod
    anchors: tuple[str, ...]
    criterion: float

    def apply(self, params: ItemParameters) -> ItemParameters:
        """Put a parameter set calibrated on the new scale onto the old scale."""
        return params.transform(self.slope, self.intercept)

    def transform_theta(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """:math:`A\\theta + B` for abilities estimated with the new parameters."""
        return np.asarray(self.slope * np.asarray(theta, dtype=np.float64) + self.intercept)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly mapping (written by ``kesu irt link``)."""
        return {
            "slope": self.slope,
            "intercept": self.intercept,
            "method": self.method.value,
            "anchors": list(self.anchors),
            "criterion": self.criterion,
        }


def common_items(old: ItemParameters, new: ItemParameters) -> tuple[str, ...]:
    """Item ids present in both calibrations with the same number of categories."""
    pos = {i: j for j, i in enumerate(new.item_ids)}
    out = []
    for j, item in enumerate(old.item_ids):
        k = pos.get(item)
        if k is not None and old.n_categories[j] == new.n_categories[k]:
            out.append(item)
    return tuple(out)


def link(
    old: ItemParameters,
    new: ItemParameters,
    *,
    method: LinkingMethod | str = LinkingMethod.STOCKING_LORD,
    anchors: Sequence[str] | None = None,
    n_points: int = 41,
    theta_range: tuple[float, float] = (-4.0, 4.0),
) -> Linking:
    """Linking constants that put ``new`` on the scale of ``old``.

    Formulas (Kolen & Brennan 2014, §6.2-6.4), over the anchors' parameters:

    * mean-mean: :math:`A = \\bar a_{new}/\\bar a_{old}`,
      :math:`B = \\bar b_{old} - A\\bar b_{new}`;
    * mean-sigma: :math:`A = s(b_{old})/s(b_{new})`, same :math:`B`;
    * Stocking-Lord: minimise :math:`\\sum_i w_i [\\sum_j E_j(\\theta_i; old) -
      \\sum_j E_j(\\theta_i; new^*)]^2`;
    * Haebara: minimise :math:`\\sum_i w_i \\sum_j\\sum_k [P_{jk}(\\theta_i; old) -
      P_{jk}(\\theta_i; new^*)]^2`,

    with :math:`new^*` the new parameters transformed by :math:`(A, B)` and
    :math:`\\theta_i` equally spaced over ``theta_range`` of the old scale,
    weighted by the old latent density.

    Args:
        old, new: two calibrations (e.g. two survey waves).
        method: a :class:`LinkingMethod`.
        anchors: anchor ids (default: all common items).
        n_points, theta_range: grid of the curve methods.

    Returns:
        :class:`Linking`.

    Raises:
        LinkingError: fewer than 2 anchors, unknown anchors or a degenerate spread.

    Example:
        >>> old = ItemParameters(("a", "b"), ("2pl", "2pl"), [1.0, 2.0], [[-1.0], [1.0]], [0, 0])
        >>> new = old.transform(0.5, 0.2)  # the same items on another scale
        >>> lk = link(old, new, method="mean-sigma")
        >>> round(lk.slope, 6), round(lk.intercept, 6)
        (2.0, -0.4)
    """
    how = LinkingMethod(method)
    ids = common_items(old, new) if anchors is None else tuple(str(a) for a in anchors)
    if len(ids) < 2:
        raise LinkingError(
            "linking needs at least 2 anchor items",
            param="anchors",
            got=list(ids),
            hint="keep 10+ common items (20% of the test) between waves",
        )
    po, pn = old.subset(ids), new.subset(ids)
    if not np.array_equal(po.n_categories, pn.n_categories):
        raise LinkingError("anchor items differ in their number of categories", param="anchors")
    bo, bn = po.b[~np.isnan(po.b)], pn.b[~np.isnan(pn.b)]
    a_ms = float(np.std(bo) / np.std(bn)) if np.std(bn) > 0 else np.nan
    if how is LinkingMethod.MEAN_MEAN:
        slope = float(np.mean(pn.a) / np.mean(po.a))
    else:
        slope = a_ms
    if not (np.isfinite(slope) and slope > 0):
        raise LinkingError(
            "anchor parameters give no usable slope",
            param="anchors",
            got=slope,
            hint="the anchors need different difficulties and positive slopes",
        )
    intercept = float(np.mean(bo) - slope * np.mean(bn))
    if how in (LinkingMethod.MEAN_MEAN, LinkingMethod.MEAN_SIGMA):
        return Linking(slope, intercept, how, ids, 0.0)
    grid = np.linspace(theta_range[0], theta_range[1], n_points)
    z = (grid - old.latent_mean) / old.latent_sd
    w = np.exp(-0.5 * z * z)
    w /= w.sum()
    loss = _curve_loss(po, pn, grid, w, how)
    res = minimize(
        lambda v: loss(np.exp(v[0]), v[1]),
        x0=np.array([np.log(slope), intercept]),
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-16, "maxiter": 4000},
    )
    res = minimize(
        lambda v: loss(np.exp(v[0]), v[1]),
        x0=res.x,
        method="BFGS",
        options={"gtol": 1e-12},
    )
    return Linking(float(np.exp(res.x[0])), float(res.x[1]), how, ids, float(res.fun))


def _curve_loss(
    old: ItemParameters,
    new: ItemParameters,
    grid: NDArray[np.float64],
    w: NDArray[np.float64],
    how: LinkingMethod,
) -> Callable[[float, float], float]:
    ao, do, co = old.slope_intercept()
    p_old = np.exp(category_log_probs(ao, do, co, old.n_categories, grid))  # (J, K, T)
    cats = np.arange(p_old.shape[1])[None, :, None]
    e_old = (p_old * cats).sum(axis=(0, 1))
    an, bn, cn = new.a, np.nan_to_num(new.b), new.c
    pad = np.isnan(new.b)
    n_cat = new.n_categories

    def loss(slope: float, intercept: float) -> float:
        a = an / slope
        d = np.where(pad, -np.inf, -a[:, None] * (slope * bn + intercept))
        p_new = np.exp(category_log_probs(a, d, cn, n_cat, grid))
        if how is LinkingMethod.STOCKING_LORD:
            diff = e_old - (p_new * cats).sum(axis=(0, 1))
            return float(w @ diff**2)
        return float(w @ ((p_old - p_new) ** 2).sum(axis=(0, 1)))

    return loss


@dataclass(frozen=True, slots=True)
class AnchorStability:
    """How much each anchor moved between two calibrations after linking (frozen).

    Attributes:
        item_ids: anchors.
        b_old, b_new: mean threshold on the old scale, old and linked new.
        shift: ``b_new - b_old`` (displacement in logits).
        a_ratio: ``a_new* / a_old``.
        robust_z: :math:`(shift - \\mathrm{median})/(0.74\\,\\mathrm{IQR})`.
        drifting: anchors with ``|robust_z| > z_critical`` and
            ``|shift| >= min_shift`` (named in the report).
    """

    item_ids: tuple[str, ...]
    b_old: NDArray[np.float64]
    b_new: NDArray[np.float64]
    shift: NDArray[np.float64]
    a_ratio: NDArray[np.float64]
    robust_z: NDArray[np.float64]
    drifting: tuple[str, ...]
    z_critical: float
    min_shift: float

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly report."""
        rows = []
        for j, item in enumerate(self.item_ids):
            rows.append(
                {
                    "id": item,
                    "b_old": float(self.b_old[j]),
                    "b_new": float(self.b_new[j]),
                    "shift": float(self.shift[j]),
                    "a_ratio": float(self.a_ratio[j]),
                    "robust_z": float(self.robust_z[j]) if np.isfinite(self.robust_z[j]) else None,
                    "drifting": item in self.drifting,
                }
            )
        return {
            "z_critical": self.z_critical,
            "min_shift": self.min_shift,
            "drifting": list(self.drifting),
            "anchors": rows,
        }


def anchor_stability(
    old: ItemParameters,
    new: ItemParameters,
    linking: Linking,
    *,
    z_critical: float = 1.96,
    min_shift: float = 0.3,
) -> AnchorStability:
    """Flag anchors whose difficulty drifted between the two calibrations.

    Formula: after linking, :math:`\\delta_j = \\bar b^*_{j,new} - \\bar b_{j,old}`;
    robust z (Huynh & Meyer 2010) :math:`z_j = (\\delta_j - \\mathrm{med}\\,\\delta)/
    (0.74\\,\\mathrm{IQR}(\\delta))`. An anchor drifts when :math:`|z_j| > z_{crit}` and
    :math:`|\\delta_j| \\ge` ``min_shift`` (0.3 logits is a common rule for a
    substantive move; Wright & Douglas 1975). Relink without the drifting
    anchors (``link(..., anchors=...)``) to purify the link.

    Returns:
        :class:`AnchorStability`.

    Example:
        >>> old = ItemParameters(("a", "b", "c"), ("2pl",) * 3, [1] * 3, [[-1], [0], [1]], [0] * 3)
        >>> lk = link(old, old, method="mean-sigma")
        >>> anchor_stability(old, old, lk).drifting
        ()
    """
    ids = linking.anchors
    po = old.subset(ids)
    pn = linking.apply(new.subset(ids))
    b_old = np.nanmean(po.b, axis=1)
    b_new = np.nanmean(pn.b, axis=1)
    shift = b_new - b_old
    q75, q25 = np.percentile(shift, [75, 25])
    spread = 0.74 * (q75 - q25)
    centred = shift - np.median(shift)
    if spread > 0:
        z = centred / spread
    else:  # identical shifts but one: that one is infinitely far out
        far = np.abs(centred) > 1e-12
        z = np.where(far, np.where(centred > 0, np.inf, -np.inf), 0.0)
    flags = (np.abs(z) > z_critical) & (np.abs(shift) >= min_shift)
    drifting = tuple(i for i, f in zip(ids, flags, strict=True) if f)
    if drifting:
        logger.info("drifting anchors: %s", ", ".join(drifting))
    return AnchorStability(
        item_ids=ids,
        b_old=b_old,
        b_new=b_new,
        shift=shift,
        a_ratio=pn.a / po.a,
        robust_z=z,
        drifting=drifting,
        z_critical=float(z_critical),
        min_shift=float(min_shift),
    )
