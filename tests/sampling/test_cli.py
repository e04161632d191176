"""``kesu weight`` / ``kesu estimate`` and the YAML job format, end to end.

Reference values are R's (tests/sampling/r/estimates.R, weighting.R, replicates.R);
the R code is repeated next to each.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from kesu.cli import main
from sampling.errors import JobError
from sampling.job import load_job
from sampling.job import load_table
from sampling.job import parse_job

from .conftest import DATA

GLM = 1e-8


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def write_job(tmp_path: Path, text: str) -> Path:
    job = tmp_path / "job.yaml"
    job.write_text(text, encoding="utf-8")
    return job


@pytest.fixture
def strat_csv(tmp_path: Path) -> Path:
    """apistrat.csv plus a 0/1 column awd = (awards == "Yes")."""
    src = DATA / "apistrat.csv"
    with src.open(newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("awd")
    for r in rows[1:]:
        r.append("1" if r[rows[0].index("awards")] == "Yes" else "0")
    out = tmp_path / "strat.csv"
    with out.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return out


STRAT_DESIGN = """
design:
  weights: pw
  strata: stype
  fpc: fpc
"""


def test_estimate_json_matches_r(tmp_path, strat_csv):
    job = write_job(
        tmp_path,
        f"data: {strat_csv.name}\n{STRAT_DESIGN}"
        "estimates:\n"
        "  - mean: api00\n"
        "  - mean: awd\n"
        "    by: stype\n"
        "    ci: logit\n"
        "    level: 0.95\n"
        "  - total: enroll\n",
    )
    code, out = run(["estimate", str(job), "--json"])
    assert code == 0, out
    rows = json.loads(out)["estimates"]
    assert set(rows[0]) == {
        "statistic",
        "variable",
        "domain",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "cv",
        "n",
        "flags",
    }
    # m <- svymean(~api00, dstrat, deff=TRUE); c(coef(m), SE(m), deff(m), degf(dstrat))
    ref = (662.28736315932076, 9.4089408027845831, 1.2044572685377175, 197.0)
    # confint(m, df=degf(dstrat))
    ref_ci = (643.7321882720862, 680.84253804655532)
    mean = rows[0]
    assert mean["statistic"] == "mean" and mean["domain"] == {} and mean["n"] == 200
    assert_allclose([mean["estimate"], mean["se"], mean["deff"], mean["df"]], ref, rtol=1e-9)
    assert_allclose([mean["ci_low"], mean["ci_high"]], ref_ci, rtol=1e-9)
    # b <- svyby(~awd, ~stype, dstrat, svyciprop, method="logit", vartype=c("se","ci"))
    # c(coef(b), SE(b), b$ci_l, b$ci_u)
    ref_p = np.reshape(
        (
            0.72999999999946841,
            0.32000000000009809,
            0.48000000000023041,
            0.04411208550124824,
            0.064395050509116258,
            0.069596602658173495,
            0.63426172256265978,
            0.20612034158237974,
            0.34516116912563682,
            0.8082534842320156,
            0.46031567048130428,
            0.61781688662269818,
        ),
        (4, 3),
    )
    props = rows[1:4]
    assert [r["statistic"] for r in props] == ["proportion"] * 3
    assert [r["domain"] for r in props] == [{"stype": "E"}, {"stype": "H"}, {"stype": "M"}]
    got = np.array([[r[k] for r in props] for k in ("estimate", "se", "ci_low", "ci_high")])
    assert_allclose(got, ref_p, rtol=GLM)
    # m <- svytotal(~enroll, dstrat, deff=TRUE); c(coef(m), SE(m), deff(m))
    ref_t = (3687177.5324382801, 114641.71610078031, 0.36201812236340364)
    total = rows[4]
    assert_allclose([total["estimate"], total["se"], total["deff"]], ref_t, rtol=1e-9)


def test_levels_keep_their_csv_spelling(tmp_path, strat_csv):
    job = write_job(
        tmp_path,
        f"data: {strat_csv.name}\n{STRAT_DESIGN}"
        "estimates:\n  - mean: api00\n    by: [stype, cnum]\n",
    )
    code, out = run(["estimate", str(job), "--json"])
    assert code == 0, out
    domains = [r["domain"] for r in json.loads(out)["estimates"]]
    assert {"stype": "E", "cnum": "18"} in domains
    assert all("." not in d["cnum"] for d in domains)
    cnums = [int(d["cnum"]) for d in domains if d["stype"] == "E"]
    assert cnums == sorted(cnums)


def test_weight_rakes_and_writes_output_matching_r(tmp_path):
    job = write_job(
        tmp_path,
        f"data: {DATA / 'apiclus1.csv'}\n"
        "design: {weights: pw, psu: dnum, fpc: fpc}\n"
        "calibration:\n"
        "  method: raking\n"
        "  margins: {stype: {E: 4421, H: 755, M: 1018}, sch.wide: {'No': 1072, 'Yes': 5122}}\n"
        "  tolerance: 1.0e-12\n"
        "  max_iter: 100\n"
        "output: weighted.csv\n",
    )
    code, out = run(["weight", str(job)])
    assert code == 0, out
    assert "rake: converged" in out and "Kish deff" in out and "stype=H: target 755" in out
    with (tmp_path / "weighted.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    w = np.array([float(r["weight"]) for r in rows])
    # cr <- calibrate(dclus1, ~stype+sch.wide, pop.rk, calfun="raking", epsilon=1e-13, maxit=100)
    # c(sum(w), sum(w^2), min(w), max(w)) with w <- weights(cr)
    ref = (6194.0, 220478.02175136161, 29.870675492685056, 67.125529241194243)
    assert_allclose([w.sum(), (w**2).sum(), w.min(), w.max()], ref, rtol=1e-6)
    assert rows[0]["stype"] == "H" and rows[0]["cds"] == "01612910137588"


def test_replicate_variance_job_matches_r(tmp_path):
    job = write_job(
        tmp_path,
        f"data: {DATA / 'apiclus1.csv'}\n"
        "design: {weights: pw, psu: dnum, fpc: fpc}\n"
        "variance: jk1\n"
        "estimates: [{mean: api00}]\n"
        "output: out.csv\n",
    )
    code, out = run(["estimate", str(job), "--json"])
    assert code == 0, out
    row = json.loads(out)["estimates"][0]
    # m <- svymean(~api00, as.svrepdesign(dclus1, type="JK1")); c(coef(m), SE(m))
    ref = (644.16939890710375, 26.329360589527564)
    assert_allclose([row["estimate"], row["se"]], ref, rtol=1e-9)
    # degf(as.svrepdesign(dclus1, type="JK1"))
    assert row["df"] == 14.0
    code, out = run(["weight", str(job)])
    assert code == 0, out
    header = (tmp_path / "out.csv").read_text().splitlines()[0].split(",")
    assert header[-16:] == ["weight"] + [f"repw_{i}" for i in range(1, 16)]


def test_table_output_lists_flags(tmp_path, strat_csv):
    job = write_job(
        tmp_path,
        f"data: {strat_csv.name}\n{STRAT_DESIGN}trim: {{upper_quantile: 0.9}}\n"
        "estimates: [{mean: awd, by: [stype, awards]}]\n",
    )
    code, out = run(["estimate", str(job)])
    assert code == 0, out
    assert out.splitlines()[0].split()[:4] == ["statistic", "variable", "domain", "estimate"]
    assert "stype=H, awards=No" in out and "flags:" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calibraton: {}\n", "unknown key calibraton"),
        ("estimates: [{mean: api00, bye: stype}]\n", r"unknown key estimates\[0\].bye"),
        (
            "estimates: [{mean: nope}]\n",
            r"strat.csv: there is no column 'nope' \(needed by estimates\[0\].mean\)",
        ),
        (
            "estimates: [{mean: name}]\n",
            r"strat.csv: row 2, column 'name': 'Open Magnet: Ce' is not a number",
        ),
        ("estimates: [{mean: api00, ci: beta}]\n", "ci beta is for proportions"),
        ("variance: jackknife\n", "invalid variance"),
        (
            "calibration: {method: raking, margins: {stype: {E: 1, H: 1}}}\n",
            "level 'M' of 'stype' without a population total",
        ),
    ],
)
def test_job_errors_name_the_key_column_and_row(tmp_path, strat_csv, text, message):
    job = write_job(tmp_path, f"data: {strat_csv.name}\n{STRAT_DESIGN}{text}")
    code, out = run(["estimate", str(job), "--json"])
    assert code != 0
    assert re.search(message, out), out


def test_non_numeric_weight_names_column_and_row(tmp_path, strat_csv):
    with strat_csv.open(newline="") as fh:
        rows = list(csv.reader(fh))
    rows[3][rows[0].index("pw")] = "abc"
    with (tmp_path / "bad.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    job = write_job(tmp_path, f"data: bad.csv\n{STRAT_DESIGN}")
    code, out = run(["estimate", str(job)])
    assert code != 0
    assert "bad.csv: row 4, column 'pw': 'abc' is not a number (needed by design.weights)" in out


def test_wave_jobs_use_the_loader_and_keep_level_spelling(tmp_path, monkeypatch):
    job = parse_job(
        {"wave": "yiwu-2025", "design": {"weights": "w"}, "estimates": [{"mean": "y", "by": "g"}]},
        tmp_path,
    )
    table = load_table(
        job, wave_loader=lambda name: {"w": np.ones(3), "y": [1.0, 2, 3], "g": [1.0, 2.0, 1.0]}
    )
    assert table.labels("g", key="by").tolist() == ["1", "2", "1"]
    with pytest.raises(JobError, match="a wave loader is needed"):
        load_table(job)
    import sampling.cli as cli

    monkeypatch.setitem(sys.modules, "survey.analysis", None)
    with pytest.raises(JobError, match="the wave source needs the survey package"):
        cli.load_wave("yiwu-2025")


def test_load_job_reports_bad_yaml(tmp_path):
    bad = write_job(tmp_path, "design: [unclosed\n")
    with pytest.raises(JobError, match=r"job\.yaml:2: YAML syntax error"):
        load_job(bad)


def test_job_calibrates_then_trims_like_r(tmp_path):
    job = write_job(
        tmp_path,
        f"data: {DATA / 'apiclus1.csv'}\n"
        "design: {weights: pw, psu: dnum, fpc: fpc}\n"
        "calibration:\n"
        "  method: linear\n"
        "  margins: {stype: {E: 4421, H: 755, M: 1018}}\n"
        "  totals: {api99: 3914069}\n"
        "trim: {upper: 36, lower: 30, recalibrate: false}\n"
        "estimates: [{mean: api00}]\n",
    )
    code, out = run(["estimate", str(job), "--json"])
    assert code == 0, out
    row = json.loads(out)["estimates"][0]
    # lin <- calibrate(dclus1, ~stype+api99, pop.lin)
    # m <- svymean(~api00, trimWeights(lin, upper=36, lower=30, strict=TRUE)); c(coef(m), SE(m))
    ref = (650.08947950598144, 4.7768878369403156)
    assert_allclose([row["estimate"], row["se"]], ref, rtol=1e-9)


def test_job_trims_and_rakes_again_until_caps_and_margins_hold_like_r(tmp_path):
    job = write_job(
        tmp_path,
        f"data: {DATA / 'apistrat.csv'}\n"
        "design: {weights: pw, strata: stype, fpc: fpc}\n"
        "calibration:\n"
        "  method: raking\n"
        "  margins: {sch.wide: {'No': 1072, 'Yes': 5122}, awards: {'No': 2027, 'Yes': 4167}}\n"
        "  tolerance: 1.0e-13\n"
        "trim: {upper: 40}\n"
        "estimates: [{mean: api00}]\n"
        "output: weighted.csv\n",
    )
    # d <- cal <- calibrate(dstrat, ~sch.wide + awards, pop, calfun = "raking")
    # repeat { tr <- trimWeights(d, upper = 40, strict = TRUE)
    #          if (margins of tr within 1e-12) break
    #          d <- calibrate(tr, ~sch.wide + awards, pop, calfun = "raking")
    #          if (max(weights(d)) <= 40) { tr <- d; break } }       # 36 cycles
    # w <- weights(tr); c(sum(w), sum(w^2), min(w), max(w))
    ref_w = (6194, 207368.18224506214, 15.646125771715075, 40)
    # m <- svymean(~api00, tr); c(coef(m), SE(m))   (R keeps every cycle's calibration)
    ref = (660.92795628601402, 8.6965120472151973)
    code, out = run(["estimate", str(job), "--json"])
    assert code == 0, out
    row = json.loads(out)["estimates"][0]
    assert_allclose([row["estimate"], row["se"]], ref, rtol=1e-8)
    assert run(["weight", str(job)])[0] == 0
    with (tmp_path / "weighted.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    w = np.array([float(r["weight"]) for r in rows])
    assert_allclose([w.sum(), (w * w).sum(), w.min(), w.max()], ref_w, rtol=1e-8)
    for var, targets in {"sch.wide": {"No": 1072, "Yes": 5122},
                         "awards": {"No": 2027, "Yes": 4167}}.items():  # fmt: skip
        for level, target in targets.items():
            total = sum(wi for wi, r in zip(w, rows, strict=True) if r[var] == level)
            assert abs(total - target) <= 1e-6 * target


def test_bootstrap_job_is_reproducible_with_a_seed(tmp_path):
    text = (
        f"data: {DATA / 'apistrat.csv'}\n"
        "design: {weights: pw, strata: stype}\n"
        "variance: bootstrap\n"
        "replicates: {replicates: 200, seed: 7}\n"
        "estimates: [{total: enroll}]\n"
    )
    job = write_job(tmp_path, text)
    first = json.loads(run(["estimate", str(job), "--json"])[1])["estimates"][0]
    second = json.loads(run(["estimate", str(job), "--json"])[1])["estimates"][0]
    assert first == second
    # m <- svytotal(~enroll, dstrat) (Taylor, with fpc): the bootstrap SE (no fpc) is close
    taylor_se = (3687177.5324382801, 114641.71610078031, 0.36201812236340364)[1]
    assert 0.8 < first["se"] / taylor_se < 1.3
