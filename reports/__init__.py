"""reports: the evaluation report (PDF) and the figures behind it.

>>> from reports import build_report_for_table, report_data_for_table
>>> pdf = build_report_for_table(table, questionnaire)          # doctest: +SKIP
>>> data = report_data_for_table(table, questionnaire)           # doctest: +SKIP
>>> data.to_dict()["overall"]                                    # doctest: +SKIP

Every figure comes from :mod:`sampling` and :mod:`scoring`; this package chooses
what to estimate, formats it and lays it out. See ``reports/REPORTS.md``.

The names below are imported on first use, so ``import reports.fonts`` (used by
:mod:`reports.items_page`) stays light.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

logger = logging.getLogger(__name__)

_EXPORTS = {
    "CapacityError": "reports.errors",
    "ReportData": "reports.model",
    "ReportError": "reports.errors",
    "ReportSpec": "reports.spec",
    "SpecError": "reports.errors",
    "WaveEstimates": "reports.model",
    "build_pdf": "reports.pdf",
    "build_report_data": "reports.data",
    "build_report_for_table": "reports.api",
    "default_job": "reports.spec",
    "report_data_for_table": "reports.api",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'reports' has no attribute {name!r}")
