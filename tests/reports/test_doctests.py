"""The examples in the docstrings of reports/ run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("reports.render", "reports.simulate", "reports.charts", "reports.capacity",
           "reports.model", "reports.spec", "reports.api", "reports.fieldwork",
           "reports.factors", "reports.data", "reports.wellbeing_demo")  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
