"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TESTS_DIR = Path(__file__).parent
REPO_DIR = TESTS_DIR.parent
FEATURES_QUESTIONNAIRE = TESTS_DIR / "questionnaires" / "data" / "features.yaml"


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator; each test gets its own (never a global seed)."""
    return np.random.default_rng(20250601)


@pytest.fixture
def features_path() -> Path:
    """The small questionnaire that exercises every feature of the format."""
    return FEATURES_QUESTIONNAIRE


@pytest.fixture
def realfiles():
    """``tests/realfiles.py``: one table as UTF-8 CSV, GB18030 CSV, .xlsx and Parquet."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("kesu_test_realfiles", TESTS_DIR / "realfiles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
