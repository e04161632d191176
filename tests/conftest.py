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
