"""A vertical scale across grades: link each grade's calibration through anchor items.

Each grade (4, 8, optionally a senior-high grade) is calibrated on its own
students (``calibrate``, latent N(0, 1) per grade), then the grades are
chained in ``order``: grade ``k`` is linked to grade ``k-1`` *already on the
base scale* through their common items (Stocking & Lord 1983 by default;
Kolen & Brennan 2014, ch. 6 and §9.8 on vertical scaling with separate
calibrations). The base grade's metric is then fixed by its own items,
:func:`centre_on_items`: mean difficulty 0 and geometric-mean slope 1 (the
Rasch convention of centring the items, extended to the slope), so that the
scale does not move with the sample's ability distribution; or, in later
rounds, by linking the base grade to the item bank of the first round.

The reporting scale is ``500 + 100 theta`` (:class:`ReportingScale`), and the
proficiency levels are grade-specific cut scores on it
(:class:`ProficiencyLevels`; defaults in :data:`DEFAULT_LEVELS`, documented in
``scoring/SCORING.md``).

The **linking error** of grade ``g`` is the standard error of the mean anchor
displacement after linking, :math:`\\sigma_L^2 = s^2(\\delta)/L` over the ``L``
anchors (the PISA link error; OECD 2014, PISA 2012 Technical Report ch. 12;
Monseur & Berezner 2007), summed along the chain to the base grade.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

from scoring.irt.errors import LinkingError
from scoring.irt.linking import AnchorStability
from scoring.irt.linking import Linking
from scoring.irt.linking import LinkingMethod
from scoring.irt.linking import anchor_stability
from scoring.irt.linking import common_items
from scoring.irt.linking import link
from scoring.irt.params import ItemParameters

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LEVELS",
    "ProficiencyLevels",
    "ReportingScale",
    "VerticalScale",
    "centre_on_items",
    "item_mapping_cut",
    "link_grades",
]


@dataclass(frozen=True, slots=True)
class ReportingScale:
    """The reported score ``mean + sd * theta`` (PISA-style 500/100).

    Example:
        >>> ReportingScale().to_score(np.array([0.0, -0.5])).tolist()
        [500.0, 450.0]
    """

    mean: float = 500.0
    sd: float = 100.0

    def to_score(self, theta: ArrayLike) -> NDArray[np.float64]:
        """``mean + sd * theta``."""
        return np.asarray(self.mean + self.sd * np.asarray(theta, dtype=np.float64))

    def to_theta(self, score: ArrayLike) -> NDArray[np.float64]:
        """``(score - mean) / sd``."""
        return np.asarray((np.asarray(score, dtype=np.float64) - self.mean) / self.sd)


@dataclass(frozen=True, slots=True)
class ProficiencyLevels:
    """Proficiency levels: codes (lowest first) and per grade the cut scores between them.

    A student with scale score ``s`` in grade ``g`` is at level ``k`` when
    ``cuts[g][k-1] <= s < cuts[g][k]`` (the lowest level below the first cut).

    Attributes:
        codes: level codes, lowest first (``low``, ``medium``, ``good``, ``excellent``).
        labels: code -> (zh-CN, en) labels.
        cuts: grade -> increasing cut scores (one fewer than the levels).
        basis: how the cuts were set (printed in the report's method notes).
    """

    codes: tuple[str, ...]
    labels: Mapping[str, tuple[str, str]]
    cuts: Mapping[str, tuple[float, ...]]
    basis: str = ""

    def __post_init__(self) -> None:
        for grade, cuts in self.cuts.items():
            if len(cuts) != len(self.codes) - 1 or list(cuts) != sorted(cuts):
                raise LinkingError(
                    f"grade {grade}: need {len(self.codes) - 1} increasing cut scores",
                    param="cuts",
                    got=list(cuts),
                )

    def level_of(self, grade: str, scores: ArrayLike) -> NDArray[np.int64]:
        """Level index (0 = lowest) of each score for the grade.

        Example:
            >>> DEFAULT_LEVELS.level_of("4", [300.0, 460.0, 700.0]).tolist()
            [0, 1, 3]
        """
        if grade not in self.cuts:
            raise LinkingError(
                f"no cut scores for grade {grade!r}", param="grade", expected=sorted(self.cuts)
            )
        cuts = np.asarray(self.cuts[grade], dtype=np.float64)
        return np.searchsorted(cuts, np.asarray(scores, dtype=np.float64), side="right").astype(
            np.int64
        )

    def label(self, code: str, lang: str = "zh-CN") -> str:
        """The level's label in ``lang`` (zh-CN or en)."""
        zh, en = self.labels[code]
        return en if lang == "en" else zh


def item_mapping_cut(params: ItemParameters, rp: float, scale: ReportingScale) -> float:
    """Scale score where a student gets the booklet's *average item* right with probability ``rp``.

    Formula: :math:`\\theta = \\bar b + \\mathrm{logit}(rp)/\\tilde a`, with
    :math:`\\bar b` the mean item difficulty (graded items: their mean threshold)
    and :math:`\\tilde a` the geometric-mean slope of the booklet: item mapping
    with a response probability (Huynh 1998; Zwick, Senturk, Wang & Loomis 2001).

    Example:
        >>> p = ItemParameters(("a", "b"), ("2pl", "2pl"), [1.0, 1.0], [[-1.0], [1.0]], [0, 0])
        >>> round(item_mapping_cut(p, 0.5, ReportingScale()), 6)
        500.0
    """
    if not 0.0 < rp < 1.0:
        raise LinkingError("rp must be in (0, 1)", param="rp", got=rp)
    b_bar = float(np.mean(np.nanmean(params.b, axis=1)))
    a_geo = float(np.exp(np.mean(np.log(params.a))))
    theta = b_bar + math.log(rp / (1.0 - rp)) / a_geo
    return float(scale.to_score(theta))


#: the monitoring's four levels (the national compulsory-education quality monitoring's
#: 待提高 / 中等 / 良好 / 优秀) with provisional cut scores on the 500/100 scale: item
#: mapping at RP 0.40 / 0.60 / 0.80 on each grade booklet's average item, rounded to 5
#: points, from the 2025 pilot parameters (scoring/SCORING.md). A standard-setting panel
#: (bookmark method) should confirm them before results are published as official.
DEFAULT_LEVELS = ProficiencyLevels(
    codes=("low", "medium", "good", "excellent"),
    labels={
        "low": ("待提高", "Needs improvement"),
        "medium": ("中等", "Medium"),
        "good": ("良好", "Good"),
        "excellent": ("优秀", "Excellent"),
    },
    cuts={"4": (460.0, 540.0, 640.0), "8": (585.0, 655.0, 735.0)},
    basis="item mapping RP 0.40/0.60/0.80 on the grade booklet's average item (provisional)",
)


def centre_on_items(params: ItemParameters, items: Sequence[str] | None = None) -> Linking:
    """The transformation that gives ``items`` mean difficulty 0 and geometric-mean slope 1.

    Formula: :math:`A = \\exp(\\overline{\\log a})`, :math:`B = -A\\,\\bar b` (graded
    items enter with their mean threshold), so that after
    :math:`a^* = a/A`, :math:`b^* = Ab + B` the items have
    :math:`\\overline{\\log a^*} = 0` and :math:`\\bar b^* = 0`.

    Returns:
        A :class:`~scoring.irt.linking.Linking` (method ``mean-sigma`` as a label; the
        anchors are ``items``).

    Example:
        >>> p = ItemParameters(("a", "b"), ("2pl", "2pl"), [2.0, 2.0], [[0.5], [1.5]], [0, 0])
        >>> lk = centre_on_items(p)
        >>> lk.slope, lk.intercept
        (2.0, -2.0)
    """
    ids = tuple(params.item_ids if items is None else items)
    sub = params.subset(ids)
    slope = float(np.exp(np.mean(np.log(sub.a))))
    b_bar = float(np.mean(np.nanmean(sub.b, axis=1)))
    return Linking(slope, -slope * b_bar, LinkingMethod.MEAN_SIGMA, ids, 0.0)


@dataclass(frozen=True, slots=True)
class VerticalScale:
    """Every grade's item parameters on the base grade's (centred) scale (frozen).

    Attributes:
        base: the base grade.
        order: grades in linking order (base first).
        params: grade -> item parameters on the common scale (``latent_mean`` and
            ``latent_sd`` are the grade's ability distribution on it).
        linkings: grade -> the link to the previous grade of the chain (base: the centring).
        stability: grade -> anchor displacement after linking (not for the base).
        link_error: grade -> SD of the grade's placement on the scale (0 for the base).
    """

    base: str
    order: tuple[str, ...]
    params: Mapping[str, ItemParameters]
    linkings: Mapping[str, Linking]
    stability: Mapping[str, AnchorStability] = field(default_factory=dict)
    link_error: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly summary (the scale file written by the youth pipeline)."""
        return {
            "base": self.base,
            "order": list(self.order),
            "params": {g: p.to_dict() for g, p in self.params.items()},
            "linkings": {g: lk.to_dict() for g, lk in self.linkings.items()},
            "stability": {g: s.to_dict() for g, s in self.stability.items()},
            "link_error": dict(self.link_error),
        }


def link_grades(
    params: Mapping[str, ItemParameters],
    *,
    order: Sequence[str],
    method: LinkingMethod | str = LinkingMethod.STOCKING_LORD,
    reference: ItemParameters | None = None,
) -> VerticalScale:
    """Chain separate grade calibrations onto one scale through their anchor items.

    Steps: (1) the base grade ``order[0]`` is put on the reference scale: by
    :func:`centre_on_items` over its own items, or, when ``reference`` (an earlier
    round's base-grade parameters) is given, by linking to it through their
    common items; (2) each next grade is linked to the previous one (already on
    the scale) with :func:`~scoring.irt.linking.link` over their common items,
    and :math:`\\sigma_L^2 = s^2(\\delta)/L` of the anchor displacements
    :math:`\\delta` (:func:`~scoring.irt.linking.anchor_stability`) adds to the
    previous grade's link variance.

    Args:
        params: grade -> separately calibrated item parameters.
        order: grades in chain order, base first (``("4", "8")``).
        method: linking method for the grade-to-grade links.
        reference: the base grade's parameters of an earlier round (item bank).

    Returns:
        :class:`VerticalScale`.

    Raises:
        LinkingError: a grade is missing, or two neighbouring grades share fewer
            than 2 anchors.

    Example:
        >>> p4 = ItemParameters(("c1", "c2", "x"), ("2pl",) * 3, [1, 1, 1],
        ...                     [[-1.0], [0.0], [1.0]], [0] * 3)
        >>> # the same items calibrated on abler students: each looks 1 logit easier
        >>> p8 = ItemParameters(("c1", "c2", "x"), ("2pl",) * 3, [1, 1, 1],
        ...                     [[-2.0], [-1.0], [0.0]], [0] * 3)
        >>> vs = link_grades({"4": p4, "8": p8}, order=("4", "8"), method="mean-sigma")
        >>> round(vs.params["8"].latent_mean, 6)
        1.0
    """
    grades = tuple(str(g) for g in order)
    missing = [g for g in grades if g not in params]
    if not grades or missing:
        raise LinkingError(
            "every grade of the chain needs its calibration",
            param="order",
            got=missing or list(grades),
            expected=sorted(params),
        )
    base = grades[0]
    if reference is None:
        first = centre_on_items(params[base])
    else:
        first = link(reference, params[base], method=method)
    on_scale = {base: first.apply(params[base])}
    linkings = {base: first}
    stability: dict[str, AnchorStability] = {}
    link_var = {base: 0.0}
    for prev, grade in zip(grades, grades[1:], strict=False):
        anchors = common_items(on_scale[prev], params[grade])
        if len(anchors) < 2:
            raise LinkingError(
                f"grades {prev} and {grade} share {len(anchors)} anchor item(s)",
                param="anchors",
                got=list(anchors),
                hint="give both booklets the same anchor items (same id, options and key)",
            )
        lk = link(on_scale[prev], params[grade], method=method, anchors=anchors)
        st = anchor_stability(on_scale[prev], params[grade], lk)
        on_scale[grade] = lk.apply(params[grade])
        linkings[grade] = lk
        stability[grade] = st
        var_shift = float(np.var(st.shift, ddof=1)) / len(anchors) if len(anchors) > 1 else 0.0
        link_var[grade] = link_var[prev] + var_shift
        logger.info(
            "grade %s on grade %s: A %.3f, B %.3f over %d anchors (link error %.3f; drifting: %s)",
            grade,
            prev,
            lk.slope,
            lk.intercept,
            len(anchors),
            math.sqrt(link_var[grade]),
            ", ".join(st.drifting) or "none",
        )
    return VerticalScale(
        base=base,
        order=grades,
        params=on_scale,
        linkings=linkings,
        stability=stability,
        link_error={g: math.sqrt(v) for g, v in link_var.items()},
    )
