"""The docs users read name every hub.yaml key and every certs init option (checked, as sqlite-utils does)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from hub.settings import SCHEMA_PATH, HubSettings, render_schema
from tests.provisioning.conftest import cli_add, cli_certs

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_hub_setting_is_documented() -> None:
    text = (DOCS / "hub-config.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`") for line in text.splitlines() if line.startswith("| `")}
    assert rows == set(HubSettings.model_fields)


def test_plant_setup_names_every_certs_init_option() -> None:
    text = (DOCS / "plant-setup.md").read_text(encoding="utf-8")
    for option in ("--hub-name", "--mqtt-port", "--mqtts-port", "--bind", "--persistence-dir", "hub install",
                   "station firstrun", "station cloud-init", "cmdline.txt", "/dist/"):  # fmt: skip
        assert option in text, option


def test_hub_schema_file_is_generated_from_the_model(tmp_path: Path) -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), "run: python -m hub.settings"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    cli_certs(tmp_path / "plant", "hub.plant.local")
    cli_add(tmp_path / "plant", "gate-a")
    generated = yaml.safe_load((tmp_path / "plant" / "hub" / "hub.yaml").read_text())
    jsonschema.validate(generated, schema)
    for bad in ({"http": 8080}, {"tap_mode": "sometimes"}, {"notify": {"x": {"kind": "slack", "url": "https://a/"}}}):
        assert not jsonschema.Draft202012Validator(schema).is_valid({**generated, **bad}), bad
