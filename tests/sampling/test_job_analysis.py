"""Job files with models, quantiles, tables, t-tests, replicate-weight columns, ``prob:``,
raking to numeric totals and ``df:``, through ``kesu estimate --json``.

Reference values are R's, from ``tests/sampling/data/analysis_fixtures.json`` (written by
``tests/sampling/r/analysis.R``; each fixture carries its R code, printed on failure).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from kesu.cli import main
from sampling.errors import JobError
from sampling.job import parse_job

from .test_analysis import FIXTURES
from .test_analysis import check
from .test_analysis import r_value
from .test_analysis import statsmodels_name

DATA = Path(__file__).parent / "data"


def estimate(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    job = tmp_path / "job.yaml"
    job.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["estimate", str(job), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)["estimates"]
    return rows


@pytest.fixture
def two_csv(tmp_path: Path) -> Path:
    """two_stage.csv plus p = 1/w (selection probabilities)."""
    with (DATA / "two_stage.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    w = rows[0].index("w")
    rows[0].append("p")
    for r in rows[1:]:
        r.append(repr(1.0 / float(r[w])))
    out = tmp_path / "two.csv"
    with out.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return out


TWO_DESIGN = """
data: two.csv
design:
  prob: p
  strata: stratum
  psu: [psu, ssu]
  fpc: [fpc1, fpc2]
  nest: true
"""


def test_glm_quantile_table_ttest_rows_match_r(tmp_path: Path, two_csv: Path) -> None:
    rows = estimate(
        tmp_path,
        TWO_DESIGN
        + """
estimates:
  - glm: "literate ~ C(sex) + C(agegroup) + C(edu) + urban"
    family: binomial
    tests: ["C(agegroup)"]
  - quantile: score
    probs: [0.1, 0.5, 0.9]
  - table: [literate, edu]
    test: chisq
  - ttest: score
    by: urban
""",
    )
    coef = [r for r in rows if r["statistic"] == "coef"]
    names = [statsmodels_name(n) for n in FIXTURES["glm.two.binomial.names"]["value"]]
    assert [r["term"] for r in coef] == names
    check("glm.two.binomial.coef", [r["estimate"] for r in coef])
    check("glm.two.binomial.se", [r["se"] for r in coef])
    check("glm.two.binomial.p", [r["p"] for r in coef], rtol=1e-6)
    assert {r["df"] for r in coef} == {float(r_value("glm.two.binomial.df"))}
    ors = [r for r in rows if r["statistic"] == "odds_ratio"]
    or_ref = r_value("glm.two.binomial.or").reshape(3, -1)
    np.testing.assert_allclose([r["estimate"] for r in ors], or_ref[0], rtol=1e-6)
    np.testing.assert_allclose([r["ci_low"] for r in ors], or_ref[1], rtol=1e-6)
    np.testing.assert_allclose([r["ci_high"] for r in ors], or_ref[2], rtol=1e-6)
    (wald,) = [r for r in rows if r["statistic"] == "wald"]
    assert wald["term"] == "C(agegroup)"
    check("glm.two.binomial.test", [wald["f"], wald["df1"], wald["df2"], wald["p"]], rtol=1e-6)

    quant = [r for r in rows if r["statistic"] == "quantile"]
    assert [r["prob"] for r in quant] == [0.1, 0.5, 0.9]
    got = [[r["estimate"] for r in quant], [r["ci_low"] for r in quant]]
    got += [[r["ci_high"] for r in quant], [r["se"] for r in quant]]
    check("quantile.two.math", np.ravel(got), rtol=1e-9)

    cells = [r for r in rows if r["statistic"] == "total"]
    assert len(cells) == 2 * 3 and cells[0]["domain"] == {"literate": "0", "edu": "1"}
    (rs,) = [r for r in rows if r["statistic"] == "rao_scott"]
    check("chisq.two.F", [rs["f"], rs["df1"], rs["df2"], rs["p"]], rtol=1e-8)

    (diff,) = [r for r in rows if r["statistic"] == "difference"]
    assert diff["domain"] == {"urban": "1 - 0"}
    ref = r_value("ttest.two")  # estimate, t, df, p
    assert diff["estimate"] == pytest.approx(ref[0], rel=1e-8)
    assert diff["estimate"] / diff["se"] == pytest.approx(ref[1], rel=1e-8)
    assert diff["df"] == ref[2]
    assert diff["p"] == pytest.approx(ref[3], rel=1e-8)


def test_replicate_weight_columns_in_a_job(tmp_path: Path) -> None:
    shutil.copy(DATA / "two_stage.csv", tmp_path / "two.csv")
    scales = r_value("jkn_two.rscales")
    columns = ", ".join(f"repw{r}" for r in range(1, scales.size))
    rscales = ", ".join(repr(float(v)) for v in scales[1:])
    rows = estimate(
        tmp_path,
        f"""
data: two.csv
design:
  weights: w
  replicate_weights:
    columns: [{columns}]
    type: JKn
    scale: {float(scales[0])!r}
    rscales: [{rscales}]
estimates:
  - mean: score
  - glm: "literate ~ C(sex) + C(agegroup) + C(edu) + urban"
    family: binomial
""",
    )
    mean = rows[0]
    ref = r_value("cols_two.mean.score")
    assert [mean["estimate"], mean["se"], mean["df"]] == pytest.approx(list(ref), rel=1e-9)
    coef = [r for r in rows if r["statistic"] == "coef"]
    check("glm.two_cols.binomial.coef", [r["estimate"] for r in coef])
    check("glm.two_cols.binomial.se", [r["se"] for r in coef])


@pytest.fixture
def clus1_csv(tmp_path: Path) -> Path:
    with (DATA / "apiclus1.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    rows[0] += ["awd", "p"]
    for r in rows[1:]:
        r += [
            "1" if r[head.index("awards")] == "Yes" else "0",
            repr(1.0 / float(r[head.index("pw")])),
        ]
    out = tmp_path / "clus1.csv"
    with out.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return out


def test_prob_raking_to_numeric_totals_and_design_df(tmp_path: Path, clus1_csv: Path) -> None:
    rows = estimate(
        tmp_path,
        """
data: clus1.csv
design: {prob: p, psu: dnum, fpc: fpc}
estimates:
  - mean: api00
  - mean: awd
    by: stype
    df: design
""",
    )
    check("prob.clus1.mean", [rows[0]["estimate"], rows[0]["se"]], rtol=1e-9)
    ref = r_value("ciprop.clus1.by_stype.design_df").reshape(3, -1)
    by = rows[1:]
    assert [r["df"] for r in by] == [14.0] * 3
    np.testing.assert_allclose([r["ci_low"] for r in by], ref[1], rtol=1e-8)
    np.testing.assert_allclose([r["ci_high"] for r in by], ref[2], rtol=1e-8)

    rows = estimate(
        tmp_path,
        """
data: clus1.csv
design: {weights: pw, psu: dnum, fpc: fpc}
calibration:
  method: raking
  margins: {stype: {E: 4421, H: 755, M: 1018}}
  totals: {api99: 3914069}
  tolerance: 1.0e-13
estimates:
  - mean: api00
""",
    )
    check("calibrate.raking_numeric.mean", [rows[0]["estimate"], rows[0]["se"]], rtol=1e-8)


def test_logit_on_a_replicate_job_is_r_logit_and_xlogit_the_delta_method(
    tmp_path: Path, clus1_csv: Path
) -> None:
    rows = estimate(
        tmp_path,
        """
data: clus1.csv
design: {weights: pw, psu: dnum, fpc: fpc}
variance: jk1
estimates:
  - mean: awd
    ci: logit
  - mean: awd
    ci: xlogit
""",
    )
    check(
        "ciprop.jk1_clus1.logit", [rows[0][k] for k in ("estimate", "ci_low", "ci_high")], rtol=1e-8
    )
    check(
        "ciprop.jk1_clus1.xlogit",
        [rows[1][k] for k in ("estimate", "ci_low", "ci_high")],
        rtol=1e-8,
    )


def test_the_table_output_lists_models_and_tests(tmp_path: Path, clus1_csv: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text(
        """
data: clus1.csv
design: {weights: pw, psu: dnum, fpc: fpc}
estimates:
  - glm: "awd ~ C(stype) + api99"
    family: binomial
    tests: ["C(stype)"]
  - quantile: api00
    probs: [0.5]
    by: stype
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["estimate", str(job)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "term=C(stype)[T.H]" in result.output
    assert "odds_ratio" in result.output
    assert "wald C(stype): F = " in result.output
    assert "stype=E, prob=0.5" in result.output


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"glm": "y"}, "formula"),
        ({"glm": "y ~ x", "family": "poisson"}, "family"),
        ({"glm": "y ~ x", "by": "g"}, "unknown key"),
        ({"quantile": "y", "probs": [1.5]}, "probs"),
        ({"quantile": "y", "qrule": "hf9"}, "qrule"),
        ({"table": ["a", "b", "c"], "test": "chisq"}, "two variables"),
        ({"ttest": "y"}, "two levels"),
        ({"glm": "y ~ x", "quantile": "y"}, "exactly one"),
        ({"mean": "y", "df": "psu"}, "df"),
    ],
)
def test_bad_analysis_entries_name_the_key(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(JobError, match=message):
        parse_job({"data": "d.csv", "design": {"weights": "w"}, "estimates": [entry]})


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"weights": "w", "prob": "p"}, "exactly one of weights"),
        ({"weights": "w", "replicate_weights": {"columns": ["r1"], "type": "JKn"}}, "2 or more"),
        ({"weights": "w", "replicate_weights": {"columns": ["a", "b"], "type": "SDR"}}, "type"),
    ],
)
def test_bad_design_keys(design: dict[str, Any], message: str) -> None:
    with pytest.raises(JobError, match=message):
        parse_job({"data": "d.csv", "design": design})


def test_bad_probabilities_and_replicate_columns_name_the_row(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("p,y,r1,r2\n0.5,1,1,1\n1.5,2,1,1\n", encoding="utf-8")
    job = tmp_path / "job.yaml"
    job.write_text("data: d.csv\ndesign: {prob: p}\nestimates: [{mean: y}]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["estimate", str(job)])
    assert result.exit_code != 0 and "row 2" in result.output and "(0, 1]" in result.output
    job.write_text(
        "data: d.csv\ndesign:\n  weights: y\n  replicate_weights: {columns: [r1, r2], type: JKn}\n"
        "estimates: [{mean: y}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["estimate", str(job)])
    assert result.exit_code != 0 and "rscales" in result.output


def test_weights_from_the_fpc_alone(tmp_path: Path) -> None:
    """No weights, no prob: N/n per stage from the fpc, as R's svydesign."""
    shutil.copy(DATA / "apiclus2.csv", tmp_path / "clus2.csv")
    rows = estimate(
        tmp_path,
        "data: clus2.csv\ndesign: {psu: [dnum, snum], fpc: [fpc1, fpc2]}\n"
        "estimates: [{mean: api00}]\n",
    )
    ref = r_value("fpc.clus2.mean")
    assert [rows[0]["estimate"], rows[0]["se"]] == pytest.approx(list(ref[:2]), rel=1e-9)


def test_fpc_weights_by_hand() -> None:
    from sampling.design import fpc_weights

    # stratum 1: 2 of 10 PSUs, stratum 2: 2 of 4; then 1 of 3 persons in each PSU
    w = fpc_weights([1, 1, 2, 2], [[1, 2, 3, 4], [1, 1, 1, 1]], [[10, 10, 4, 4], [3, 3, 3, 3]])
    assert w.tolist() == [15.0, 15.0, 6.0, 6.0]
