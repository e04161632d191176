"""The examples in the docstrings of kesu/ run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("kesu.errors", "kesu.tables", "kesu.yamlsource", "kesu.i18n")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
