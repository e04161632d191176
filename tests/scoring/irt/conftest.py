"""Fixtures of the IRT tests: the small data sets also used by the R reference."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.special import expit

DATA = Path(__file__).parent / "data"


def read_matrix(name: str) -> NDArray[np.float64]:
    """A small response matrix from tests/scoring/irt/data (empty cell = NaN)."""
    return np.genfromtxt(DATA / name, delimiter=",", skip_header=1)


@pytest.fixture
def small2pl() -> NDArray[np.float64]:
    return read_matrix("small2pl.csv")


@pytest.fixture
def small3pl() -> NDArray[np.float64]:
    return read_matrix("small3pl.csv")


@pytest.fixture
def smallgrm() -> NDArray[np.float64]:
    return read_matrix("smallgrm.csv")


def simulate_2pl(
    rng: np.random.Generator, n: int, a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    theta = rng.normal(size=n)
    x = (rng.random((n, a.size)) < expit(a * (theta[:, None] - b))).astype(float)
    return x, theta


def simulate_3pl(
    rng: np.random.Generator,
    n: int,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    c: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    theta = rng.normal(size=n)
    p = c + (1 - c) * expit(a * (theta[:, None] - b))
    return (rng.random((n, a.size)) < p).astype(float), theta


def simulate_grm(
    rng: np.random.Generator, n: int, a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """b: (J, K-1) increasing thresholds."""
    theta = rng.normal(size=n)
    star = expit(a[None, :, None] * (theta[:, None, None] - b[None, :, :]))
    u = rng.random((n, a.size, 1))
    return (u < star).sum(axis=2).astype(float), theta


@pytest.fixture
def sim() -> SimpleNamespace:
    """Simulators with known truth: ``sim.two_pl``, ``sim.three_pl``, ``sim.grm``."""
    return SimpleNamespace(two_pl=simulate_2pl, three_pl=simulate_3pl, grm=simulate_grm)
