"""The docs users read name every hub.yaml key and every certs init option (checked, as sqlite-utils does)."""

from __future__ import annotations

from pathlib import Path

from hub.settings import HubSettings

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
