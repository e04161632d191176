"""The report's public entry points for other packages (the web survey's dashboard and main job).

* :func:`report_data_for_table` - every figure of the report (:class:`ReportData`;
  ``.to_dict()`` for JSON/HTML), from an analysis table;
* :func:`build_report_for_table` - the same figures rendered as the PDF (bytes).

Both are pure (no files, no database): the dashboard and ``kesu report`` use the
same code path, so the live page and the PDF never disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from questionnaires.model import Questionnaire
from reports.capacity import IndicatorProgress
from reports.data import build_report_data
from reports.fieldwork import FieldworkSummary
from reports.model import ReportData
from reports.model import WaveEstimates
from reports.pdf import build_pdf
from reports.spec import ReportSpec
from reports.spec import default_job

logger = logging.getLogger(__name__)


def infer_survey_year(table: Mapping[str, Any]) -> int:
    """The fieldwork year: the most common ``birth_year + age`` (0 when unknown).

    Example:
        >>> infer_survey_year({"birth_year": [1990, 1980], "age": [35, 45]})
        2025
    """
    if "birth_year" not in table or "age" not in table:
        return 0
    try:
        years = np.asarray(table["birth_year"], dtype=np.float64) + np.asarray(
            table["age"], dtype=np.float64
        )
    except (TypeError, ValueError):
        return 0
    years = years[np.isfinite(years)]
    if years.size == 0:
        return 0
    values, counts = np.unique(years.astype(np.int64), return_counts=True)
    return int(values[np.argmax(counts)])


def report_data_for_table(
    table: Mapping[str, Any],
    questionnaire: Questionnaire,
    spec: ReportSpec | None = None,
    *,
    wave_name: str = "",
    previous: Sequence[WaveEstimates] = (),
    capacity: Sequence[IndicatorProgress] | None = None,
    fieldwork: FieldworkSummary | None = None,
    generated: dt.date | None = None,
    cases: Mapping[str, Any] | None = None,
) -> ReportData:
    """The report's figures for an analysis table (e.g. ``survey.analysis.analysis_table``).

    Without ``spec`` the design comes from :func:`reports.spec.default_job` (weights
    ``weight``/``base_weight`` or equal weights, strata ``stratum``, PSUs ``psu``).
    ``cases`` is the cases table (e.g. ``survey.analysis.fieldwork_table``) that a
    spec whose job has a ``nonresponse:`` step needs.

    Example:
        >>> data = report_data_for_table(table, q, wave_name="yiwu-2025")  # doctest: +SKIP
        >>> data.to_dict()["overall"]["estimate"]                          # doctest: +SKIP
    """
    if spec is None:
        spec = ReportSpec(job=default_job(table, wave_name or "wave"), wave_name=wave_name)
    if not spec.survey_year:
        spec = dataclasses.replace(spec, survey_year=infer_survey_year(table))
    if wave_name and not spec.wave_name:
        spec = dataclasses.replace(spec, wave_name=wave_name)
    if not spec.job_text:
        # no job file: fingerprint the job actually used
        spec = dataclasses.replace(spec, job_text=repr(spec.job))
    return build_report_data(
        table,
        questionnaire,
        spec,
        previous=previous,
        capacity=capacity,
        fieldwork=fieldwork,
        generated=generated,
        cases=cases,
    )


def build_report_for_table(
    table: Mapping[str, Any],
    questionnaire: Questionnaire,
    spec: ReportSpec | None = None,
    *,
    lang: str = "zh-CN",
    **options: Any,
) -> bytes:
    """The PDF report for an analysis table: :func:`report_data_for_table` then
    :func:`reports.pdf.build_pdf`.

    Args:
        table: the analysis table (column -> array).
        questionnaire: the wave's questionnaire.
        spec: design and report options (default: :func:`reports.spec.default_job`).
        lang: ``zh-CN`` or ``en``.
        **options: ``wave_name``, ``previous``, ``capacity``, ``fieldwork``, ``generated``,
            ``cases``.

    Returns:
        The PDF bytes (send with ``send_file(BytesIO(pdf), mimetype="application/pdf")``).

    Example:
        >>> pdf = build_report_for_table(table, q, lang="en")  # doctest: +SKIP
        >>> pdf[:5]  # doctest: +SKIP
        b'%PDF-'
    """
    return build_pdf(report_data_for_table(table, questionnaire, spec, **options), lang)
