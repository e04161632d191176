"""The report job: a sampling job plus report options; errors name the key."""

from __future__ import annotations

import pytest

from reports.errors import SpecError
from reports.spec import UNIT_WEIGHT
from reports.spec import default_job
from reports.spec import parse_report_job
from sampling import JobError

BASE = {"data": "x.csv", "design": {"weights": "w", "strata": "s", "psu": "p"}}


def test_report_options_are_parsed(tmp_path):
    spec, inputs = parse_report_job(
        {**BASE, "report": {
            "wave_name": "w1", "survey_year": 2025, "suppress_below": 5,
            "comparisons": {"target": {"rate": 0.2, "year": 2026}, "zhejiang": None},
            "previous": ["a.json"], "capacity": {"values": "c.csv", "as_of": "2024-07-01"},
            "sae": {"covariates": "cov.csv"}, "fieldwork": "f.csv", "synthetic": True,
        }},
        tmp_path,
    )  # fmt: skip
    assert spec.wave_name == "w1" and spec.survey_year == 2025 and spec.suppress_below == 5
    keys = {c.key: c for c in spec.comparisons}
    assert "zhejiang" not in keys and keys["target"].rate == 0.2 and keys["national"].year == 2024
    assert inputs.previous == (tmp_path / "a.json",)
    assert inputs.capacity_values == tmp_path / "c.csv"
    assert str(inputs.capacity_as_of) == "2024-07-01"
    assert inputs.sae_covariates == tmp_path / "cov.csv" and spec.sae and spec.synthetic
    assert spec.job.design.weights == "w"


@pytest.mark.parametrize(
    ("report", "param"),
    [
        ({"colour": 1}, "report.colour"),
        ({"suppress_below": 0}, "report.suppress_below"),
        ({"comparisons": {"national": {"rate": 15.37}}}, "report.comparisons.national.rate"),
        ({"capacity": {"values": "c.csv", "as_of": "July"}}, "report.capacity.as_of"),
        ({"sae": "yes"}, "report.sae"),
        ({"previous": {"a": 1}}, "report.previous"),
    ],
)
def test_invalid_options_name_the_key(report, param):
    with pytest.raises(SpecError) as info:
        parse_report_job({**BASE, "report": report})
    assert info.value.param == param


def test_sampling_part_is_checked_by_sampling():
    with pytest.raises(JobError):
        parse_report_job({"data": "x.csv", "design": {"weights": "w", "colour": 1}})


def test_default_job_uses_what_the_table_has():
    job = default_job({"weight": [1.0], "stratum": ["a"], "psu": ["p1"]})
    assert (job.design.weights, job.design.strata, job.design.psu) == (
        "weight",
        "stratum",
        ("p1",)[:0] + ("psu",),
    )
    bare = default_job({"literate": [1], "psu": [""]})
    assert (
        bare.design.weights == UNIT_WEIGHT and bare.design.psu == () and bare.design.strata is None
    )
    assert bare.design.lonely_psu.value == "adjust"
