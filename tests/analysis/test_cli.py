"""`tourtrace analyze` through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.rules.analysis import default_library
from hub.rules.analysis.library_files import write_library_file
from tourtrace.cli.main import app

runner = CliRunner()


def test_analyze_prints_the_api_json() -> None:
    result = runner.invoke(app, ["analyze", "这个 阀 体 得 热 处理 到 h r c 四十五 才 行"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["warnings"][0]["text"] == "客户提及HRC45，但当前库存材质最高适配HRC42，建议准备替代方案"
    assert "客户提及" in result.stdout and '\n  "params": [' in result.stdout


def test_analyze_with_library_file(tmp_path: Path) -> None:
    data = default_library().to_dict()
    data["stock"] = []
    path = tmp_path / "lib.yaml"
    from hub.rules.analysis.library import Library

    write_library_file(Library.from_dict(data), path)
    result = runner.invoke(app, ["analyze", "热处理 到 h r c 四十五", "--library", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == []


def test_bad_library_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "lib.yaml"
    path.write_text("stock:\n  - {material: 40Cr}\n", encoding="utf-8")
    result = runner.invoke(app, ["analyze", "HRC45", "--library", str(path)])
    assert result.exit_code == 2
    assert "stock[0].id: required" in result.stderr
    assert "Traceback" not in result.output


def test_recompute_import_and_export_with_db(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    result = runner.invoke(app, ["analyze", "--recompute", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notes"] == 0
    source = tmp_path / "lib.yaml"
    write_library_file(default_library(), source)
    out = tmp_path / "out.xlsx"
    result = runner.invoke(
        app, ["analyze", "--import-library", "--library", str(source), "--db", str(db), "--export-library", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    assert runner.invoke(app, ["analyze", "--recompute"]).exit_code == 2
