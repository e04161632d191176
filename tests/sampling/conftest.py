"""Fixtures for the sampling tests: the api data sets (``rng`` comes from tests/conftest.py)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


def load_api(name: str) -> dict[str, Any]:
    """Read ``data/<name>.csv`` (R's write.csv of the api data) into numpy columns.

    Columns whose values are all numbers or ``NA`` become float arrays (NA -> NaN);
    the others stay strings.
    """
    with (DATA / f"{name}.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    cols: dict[str, Any] = {}
    for j, col in enumerate(header):
        raw = [r[j] for r in body]
        try:
            cols[col] = np.array([np.nan if v == "NA" else float(v) for v in raw])
        except ValueError:
            cols[col] = np.array(raw)
    return cols


@pytest.fixture(scope="session")
def apistrat() -> dict[str, Any]:
    cols = load_api("apistrat")
    cols["awd"] = (cols["awards"] == "Yes").astype(float)
    return cols


@pytest.fixture(scope="session")
def apiclus1() -> dict[str, Any]:
    cols = load_api("apiclus1")
    cols["awd"] = (cols["awards"] == "Yes").astype(float)
    return cols


@pytest.fixture(scope="session")
def apiclus2() -> dict[str, Any]:
    cols = load_api("apiclus2")
    cols["awd"] = (cols["awards"] == "Yes").astype(float)
    return cols
