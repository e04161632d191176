"""A report job with a ``nonresponse:`` step: the cases loader, the weights, the appendix."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pypdf import PdfReader

from reports.api import report_data_for_table
from reports.data import build_report_data
from reports.errors import ReportError
from reports.loaders import report_from_job
from reports.pdf import build_pdf
from reports.spec import ReportSpec
from sampling import LonelyPSU
from sampling import SurveyDesign
from sampling import svy_proportion
from sampling.job import parse_job

from .conftest import REPORT_DATE

JOB = """\
wave: test-2025
design: {weights: weight, strata: stratum, psu: psu, nest: true, lonely_psu: adjust}
nonresponse: {weights: weight, classes: [town]}
report: {survey_year: 2025, sae: false}
"""


@pytest.fixture(scope="module")
def small(table_factory: Any) -> dict[str, Any]:
    return table_factory(400, 3)


def make_cases(table: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
    """The respondents as ER cases plus, in each town, ENR and UNK cases; the expected factor.

    Without ineligible cases ``a1 a2 = W_all / W_ER`` in each class.
    """
    town = np.asarray(table["town"])
    weight = np.asarray(table["weight"], dtype=float)
    towns = sorted(set(town.tolist()))
    cols: dict[str, list[Any]] = {"town": [], "weighting_outcome": [], "respondent_id": [],
                                  "weight": []}  # fmt: skip
    for t, w, rid in zip(town, weight, table["respondent_id"], strict=True):
        cols["town"].append(t)
        cols["weighting_outcome"].append("ER")
        cols["respondent_id"].append(int(rid))
        cols["weight"].append(float(w))
    factor = {}
    for k, t in enumerate(towns):
        extra = [("ENR", 40.0 + k), ("ENR", 60.0), ("UNK", 25.0 + 2 * k)]
        for outcome, w in extra:
            cols["town"].append(t)
            cols["weighting_outcome"].append(outcome)
            cols["respondent_id"].append(-1)
            cols["weight"].append(w)
        er = weight[town == t].sum()
        factor[t] = (er + sum(w for _, w in extra)) / er
    cases = {k: np.asarray(v) for k, v in cols.items()}
    return cases, np.array([factor[t] for t in town])


def test_wave_report_job_uses_the_fieldwork_loader(tmp_path: Path, small: dict[str, Any]) -> None:
    cases, factor = make_cases(small)
    job = tmp_path / "job.yaml"
    job.write_text(JOB, encoding="utf-8")
    asked: list[str] = []

    def cases_loader(name: str) -> dict[str, Any]:
        asked.append(name)
        return cases

    data = report_from_job(
        job, wave_loader=lambda name: small, cases_loader=cases_loader, generated=REPORT_DATE
    )
    assert asked == ["test-2025"]
    design = SurveyDesign(
        weights=np.asarray(small["weight"], dtype=float) * factor,
        strata=small["stratum"],
        psu=[small["psu"]],
        nest=True,
        lonely_psu=LonelyPSU.ADJUST,
    )
    expected = svy_proportion(np.asarray(small["literate"], dtype=float), design)
    assert data.overall.estimate == pytest.approx(float(expected.estimate[0]), rel=1e-12)
    assert data.overall.se == pytest.approx(float(expected.se[0]), rel=1e-10)
    step = data.design.steps[0]
    assert step.method == "nonresponse" and step.notes["classes"] == len(set(small["town"]))
    assert data.design.weight_sum == pytest.approx(float(np.sum(cases["weight"])))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(build_pdf(data, "en"))).pages)
    assert "Nonresponse adjustment" in text and "weighting classes" in text


def test_the_api_takes_the_cases_and_errors_become_report_errors(
    small: dict[str, Any], questionnaire: Any
) -> None:
    cases, factor = make_cases(small)
    job = parse_job({"wave": "w", "design": {"weights": "weight", "lonely_psu": "adjust"},
                     "nonresponse": {"weights": "weight", "classes": "town"}})  # fmt: skip
    spec = ReportSpec(job=job, wave_name="w", survey_year=2025, sae=False)
    data = report_data_for_table(small, questionnaire, spec, cases=cases)
    w = np.asarray(small["weight"], dtype=float) * factor
    lit = np.asarray(small["literate"], dtype=float)
    assert data.overall.estimate == pytest.approx(float(np.sum(w * lit) / np.sum(w)), rel=1e-12)
    with pytest.raises(ReportError, match="no cases table was given"):
        build_report_data(small, questionnaire, spec)
    broken = dict(cases)
    broken["respondent_id"] = np.where(cases["respondent_id"] == 5, 4, cases["respondent_id"])
    with pytest.raises(ReportError, match="rows 5 and 6 are respondents with the same id '4'"):
        build_report_data(small, questionnaire, spec, cases=broken)
