"""``kesu irt``: calibrate -> score -> link -> fit -> dif on a small CSV."""

from __future__ import annotations

import csv
import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from kesu.cli import main
from scoring.irt import ItemParameters
from scoring.irt import estimate_ability


def _write(path: Path, x: np.ndarray, sex: np.ndarray, weight: np.ndarray) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["respondent_id", "sex", "weight"] + [f"item_K{j}" for j in range(x.shape[1])])
        for i, row in enumerate(x):
            cells = ["" if np.isnan(v) else f"{2 * v:g}" for v in row]  # points: 0 or 2
            w.writerow([f"r{i}", int(sex[i]), f"{weight[i]:.4f}", *cells])


@pytest.fixture
def wave_csv(tmp_path: Path, sim: SimpleNamespace, rng: np.random.Generator) -> Path:
    x, _ = sim.two_pl(rng, 600, rng.uniform(0.8, 1.8, 8), np.linspace(-1.2, 1.2, 8))
    x[rng.random(x.shape) < 0.03] = np.nan
    path = tmp_path / "wave.csv"
    _write(path, x, rng.integers(1, 3, 600), rng.uniform(0.5, 2.0, 600))
    return path


def test_calibrate_score_link_fit_dif(wave_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    params_file = tmp_path / "old.params.json"
    res = runner.invoke(main, ["irt", "calibrate", str(wave_csv), "-o", str(params_file)])
    assert res.exit_code == 0, res.output
    params = ItemParameters.from_dict(json.loads(params_file.read_text()))
    assert params.item_ids == tuple(f"K{j}" for j in range(8))
    assert params.meta["score_values"]["K0"] == [0.0, 2.0]  # points mapped to 0/1

    yaml_file = tmp_path / "new.params.yaml"
    res = runner.invoke(
        main, ["irt", "calibrate", str(wave_csv), "--weights", "weight", "-o", str(yaml_file)]
    )
    assert res.exit_code == 0, res.output

    scores = tmp_path / "scores.csv"
    res = runner.invoke(
        main,
        ["irt", "score", str(params_file), str(wave_csv), "--method", "wle", "--pv", "5",
         "--seed", "3", "-o", str(scores)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    with scores.open(encoding="utf-8-sig") as fh:  # a BOM for Excel
        rows = list(csv.DictReader(fh))
    assert len(rows) == 600 and rows[0]["respondent_id"] == "r0" and "pv5" in rows[0]
    with wave_csv.open() as fh:
        first = next(csv.DictReader(fh))
    x0 = np.array([np.nan if first[f"item_K{j}"] == "" else float(first[f"item_K{j}"]) / 2
                   for j in range(8)])  # fmt: skip
    direct = estimate_ability(x0[None, :], params, method="wle")
    assert_allclose(float(rows[0]["theta"]), direct.theta[0], atol=1e-6)

    link_file = tmp_path / "link.json"
    res = runner.invoke(
        main, ["irt", "link", str(params_file), str(params_file), "-o", str(link_file)]
    )
    assert res.exit_code == 0, res.output
    linked = json.loads(link_file.read_text())
    assert_allclose([linked["slope"], linked["intercept"]], [1.0, 0.0], atol=1e-6)
    assert linked["stability"]["drifting"] == []
    res = runner.invoke(main, ["irt", "link", str(params_file), str(yaml_file), "--purify"])
    assert res.exit_code == 0, res.output

    res = runner.invoke(main, ["irt", "fit", str(params_file), str(wave_csv)])
    assert res.exit_code == 0 and res.output.startswith("item\tS-X2")
    res = runner.invoke(
        main, ["irt", "dif", str(wave_csv), "--group", "sex", "--focal", "2", "--reference", "1"]
    )
    assert res.exit_code == 0 and "ETS" in res.output


def test_wave_option_uses_the_survey_loader(
    wave_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wave_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    table = {k: np.array([np.nan if r[k] == "" else r[k] for r in rows], dtype=object)
             for k in rows[0]}  # fmt: skip
    fake = types.ModuleType("survey.analysis")
    fake.load_analysis_table = lambda name: table  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "survey.analysis", fake)
    out = tmp_path / "w.params.json"
    res = CliRunner().invoke(main, ["irt", "calibrate", "--wave", "w2025", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["meta"]["source"] == "wave:w2025"


def test_wave_loader_failure_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = types.ModuleType("survey.analysis")

    def broken(name: str) -> None:
        raise LookupError(f"no wave named {name!r}")

    fake.load_analysis_table = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "survey.analysis", fake)
    res = CliRunner().invoke(main, ["irt", "calibrate", "--wave", "nope", "-o", "x.json"])
    assert res.exit_code == 1
    assert "could not load the analysis table of wave 'nope'" in res.output


def test_usage_errors(wave_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["irt", "calibrate", "-o", str(tmp_path / "p.json")])
    assert res.exit_code == 2 and "either a DATA.csv" in res.output
    res = runner.invoke(
        main, ["irt", "calibrate", str(wave_csv), "--items", "K0,zz", "-o", "p.json"]
    )
    assert res.exit_code == 1 and "item columns not found: zz" in res.output
