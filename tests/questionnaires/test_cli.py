"""``kesu questionnaire validate`` and ``show``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kesu.cli import main


def test_validate_ok(features_path: Path) -> None:
    result = CliRunner().invoke(main, ["questionnaire", "validate", str(features_path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_validate_reports_file_line_item(features_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = features_path.read_text(encoding="utf-8").replace("        key: C\n", "        key: D\n")
    broken.write_text(text, encoding="utf-8")
    line = text[: text.index("        key: D")].count("\n") + 1
    result = CliRunner().invoke(
        main, ["questionnaire", "validate", str(features_path), str(broken)]
    )
    assert result.exit_code == 1
    assert f"{broken}:{line}: item K2: answer key 'D' is not one of the options A, B, C" in (
        result.output
    )


def test_show_outline(features_path: Path) -> None:
    result = CliRunner().invoke(main, ["questionnaire", "show", str(features_path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Feature test questionnaire  [features-test v1.0]" in out
    assert "== test: Science   [if age >= 18]" in out
    assert "K2             single" in out and "(key C; 2 pt knowledge)" in out
    assert "key A/B; 2 pt method" in out
    assert "- V2" in out
    assert "total" in out and "10 -> 10" in out


def test_show_broken_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["questionnaire", "show", str(bad)])
    assert result.exit_code == 1
    assert "YAML syntax error" in result.output
