"""A plant's analysis_dir: its YAML merged over the shipped data, used by POST /api/analyze and the CLI, checked at
start with the file and entry named, and part of the stored analyses' revision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app
from hub.rules.analysis import ContextError, analyze, load_context
from hub.rules.analysis.overlay import OverlayError, merge, merge_grades, shipped_data
from hub.rules.notes_pipeline import NoteAnalyzer
from hub.settings import ConfigError, HubSettings, load_settings
from hub.store.db import open_database
from tests.api.tourdata import ADMIN_TOKEN, bearer
from tourtrace.cli.main import app

NOTE = "报价 就 先 不用 了 把 图纸 发 过来"
runner = CliRunner()


def plant_dir(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "analysis"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


SIGNALS = "drawing:\n  - 图纸\n  - '{发|给|寄}{个|一下|}图'\nquote:\n  - 算个账\n"


def signal_names(result: dict) -> list[str]:
    return [("!" if s.get("negated") else "") + s["name"] for s in result["signals"]]


def test_merge_adds_to_lists_and_mappings_replaces_on_request() -> None:
    shipped = shipped_data()
    signals = merge(shipped["signals"], {"drawing": ["图纸"], "quote": ["算个账", "报价"]})
    assert signals["drawing"] == ["图纸"]
    assert signals["quote"][: len(shipped["signals"]["quote"])] == shipped["signals"]["quote"]
    assert signals["quote"].count("报价") == 1 and signals["quote"][-1] == "算个账"
    grammar = merge(shipped["grammar"], {"angles": {"replace": ["倒角"]}, "negation": {"reach": 10}})
    assert grammar["angles"] == ["倒角"] and grammar["negation"]["reach"] == 10
    assert grammar["negation"]["before"] == shipped["grammar"]["negation"]["before"]
    withdrawn = merge(shipped["grammar"], {"replace": ["改换"]})  # grammar's own `replace` list gains an entry
    assert withdrawn["replace"] == [*shipped["grammar"]["replace"], "改换"] and withdrawn["angles"]
    grades = merge_grades(shipped["grades"], [{"grade": "Q235", "aliases": ["Q235"]}, {"grade": "TT-PLANT-1"}])
    assert len(grades) == len(shipped["grades"]) + 1
    assert next(g for g in grades if g["grade"] == "Q235") == {"grade": "Q235", "aliases": ["Q235"]}
    with pytest.raises(OverlayError, match=r"negation.before: expected a list"):
        merge(shipped["grammar"], {"negation": {"before": "犯不着"}})
    with pytest.raises(OverlayError, match=r"negation.reach: expected a single value"):
        merge(shipped["grammar"], {"negation": {"reach": [1]}})


def test_plant_signal_and_cue_are_used(tmp_path: Path) -> None:
    folder = plant_dir(tmp_path, signals=SIGNALS, grammar="negation:\n  after: [歇菜]\n")
    context = load_context(analysis_dir=folder)
    assert signal_names(analyze(NOTE, context.lexicon, context.library).to_dict()) == ["!quote", "drawing"]
    assert signal_names(analyze("报价 歇菜", context.lexicon).to_dict()) == ["!quote"]
    assert signal_names(analyze("帮 我 算个账", context.lexicon).to_dict()) == ["quote"]
    shipped = load_context()
    assert signal_names(analyze(NOTE, shipped.lexicon).to_dict()) == ["!quote"]
    assert signal_names(analyze("报价 歇菜", shipped.lexicon).to_dict()) == ["quote"]
    assert context.data_revision != shipped.data_revision


def test_post_analyze_uses_the_plant_data(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    open_database(db).close()
    settings = HubSettings(db=str(db), admin_token=ADMIN_TOKEN, analysis_dir=str(plant_dir(tmp_path, signals=SIGNALS)))
    with TestClient(create_app(settings, with_ingest=False)) as client:
        answer = client.post("/api/analyze", json={"text": NOTE}, headers=bearer(ADMIN_TOKEN))
    assert answer.status_code == 200, answer.text
    assert signal_names(answer.json()) == ["!quote", "drawing"]
    assert answer.json()["signals"][1]["text"] == "图纸"


def test_cli_uses_the_hub_config(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    folder = plant_dir(tmp_path, signals=SIGNALS)
    config.write_text(f"db: {tmp_path / 'hub.sqlite3'}\nanalysis_dir: {folder}\n", encoding="utf-8")
    with_plant = runner.invoke(app, ["analyze", "--config", str(config), NOTE])
    assert with_plant.exit_code == 0, with_plant.output
    assert signal_names(json.loads(with_plant.stdout)) == ["!quote", "drawing"]
    shipped = runner.invoke(app, ["analyze", NOTE])
    assert shipped.exit_code == 0 and signal_names(json.loads(shipped.stdout)) == ["!quote"]
    recompute = runner.invoke(app, ["analyze", "--recompute", "--config", str(config)])
    assert recompute.exit_code == 0, recompute.output
    assert json.loads(recompute.stdout)["notes"] == 0 and (tmp_path / "hub.sqlite3").exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"signals": "drawing:\n  - ''\n"}, r"signals.yaml: signals.drawing\[0\]: expected a non-empty string"),
        ({"signals": "drawing: 图纸\n"}, r"signals.yaml: signals.drawing: expected a list"),
        ({"grammar": "negation:\n  before: 犯不着\n"}, r"grammar.yaml: negation.before: expected a list"),
        ({"grades": "- {aliases: [X]}\n"}, r"grades.yaml: \[0\]: expected a mapping with `grade`"),
        ({"lexicon": "terms: [\n"}, r"lexicon.yaml: invalid YAML"),
        ({"signal": "drawing: [图纸]\n"}, r"signal.yaml: unknown analysis data file"),
    ],
)
def test_bad_plant_data_stops_the_start_naming_file_and_entry(tmp_path: Path, files: dict, message: str) -> None:
    folder = plant_dir(tmp_path, **files)
    with pytest.raises(ContextError, match=message):
        load_context(analysis_dir=folder)
    config = tmp_path / "hub.yaml"
    config.write_text(f"analysis_dir: {folder}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config, {})
    assert error.value.errors[0].startswith(f"analysis_dir: {folder}")
    result = runner.invoke(app, ["analyze", "--config", str(config), NOTE])
    assert result.exit_code == 2 and "analysis_dir:" in result.stderr and "Traceback" not in result.output


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a folder"):
        load_settings(None, {"analysis_dir": str(tmp_path / "nowhere")})


def test_plant_data_is_part_of_the_stored_revision(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "hub.sqlite3")
    try:
        shipped = NoteAnalyzer().revision(conn)
        plant = NoteAnalyzer(plant_dir(tmp_path, signals=SIGNALS)).revision(conn)
    finally:
        conn.close()
    assert shipped.split(".")[0] == plant.split(".")[0] and shipped.split(".")[2] == plant.split(".")[2]
    assert shipped != plant
