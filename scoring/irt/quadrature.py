"""Gauss-Hermite quadrature for a normal latent distribution.

For :math:`\\theta \\sim N(\\mu, \\sigma^2)`,
:math:`E[f(\\theta)] \\approx \\sum_q w_q f(\\mu + \\sigma x_q)` where
:math:`x_q, w_q` are the probabilists' Gauss-Hermite nodes and weights
(weight function :math:`e^{-x^2/2}`) with the weights divided by
:math:`\\sqrt{2\\pi}` so that they sum to one. The rule is exact for
polynomials of degree :math:`\\le 2Q-1` (Abramowitz & Stegun 25.4.46;
Bock & Aitkin 1981 use it for marginal maximum likelihood).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.typing import NDArray

from scoring.irt.errors import IRTError

logger = logging.getLogger(__name__)

__all__ = ["Quadrature", "gauss_hermite"]


@dataclass(frozen=True, slots=True)
class Quadrature:
    """Nodes and weights (summing to 1) of a quadrature rule for the latent trait."""

    nodes: NDArray[np.float64]
    weights: NDArray[np.float64]

    @property
    def log_weights(self) -> NDArray[np.float64]:
        """Natural log of the weights (for log-space E-steps)."""
        return np.log(self.weights)

    def expect(self, values: NDArray[np.float64]) -> float:
        """Return :math:`\\sum_q w_q f(x_q)` for ``values = f(nodes)``."""
        return float(self.weights @ values)


def gauss_hermite(n_points: int = 21, mean: float = 0.0, sd: float = 1.0) -> Quadrature:
    """Gauss-Hermite rule for :math:`N(\\mu, \\sigma^2)`.

    Formula: nodes :math:`\\mu + \\sigma x_q`, weights :math:`w_q/\\sqrt{2\\pi}`
    with :math:`(x_q, w_q)` the probabilists' Gauss-Hermite rule
    (Abramowitz & Stegun 1964, 25.4.46).

    Args:
        n_points: number of nodes, 2..200.
        mean: mean of the normal distribution.
        sd: standard deviation, > 0.

    Returns:
        A :class:`Quadrature` whose weights sum to 1.

    Raises:
        IRTError: ``n_points`` out of range or ``sd`` not positive.

    Example:
        >>> q = gauss_hermite(5)
        >>> round(q.expect(q.nodes**4), 12)  # E[Z^4] = 3
        3.0
    """
    if not 2 <= int(n_points) <= 200:
        raise IRTError(
            "quadrature needs between 2 and 200 points",
            param="n_points",
            got=n_points,
            expected="2..200",
            hint="21 points are plenty for a unidimensional model",
        )
    if not (np.isfinite(sd) and sd > 0):
        raise IRTError("latent SD must be positive", param="sd", got=sd, expected="> 0")
    x, w = hermegauss(int(n_points))
    w = w / np.sqrt(2.0 * np.pi)
    w = w / w.sum()
    nodes = np.asarray(mean + sd * x, dtype=np.float64)
    nodes.setflags(write=False)
    w.setflags(write=False)
    return Quadrature(nodes=nodes, weights=w)
