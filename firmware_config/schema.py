"""JSON Schema of station.yaml, generated from its pydantic model; regenerate: python -m firmware_config.schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edge.agent.config import StationConfig
from tourtrace.config_model import model_schema

SCHEMA_PATH = Path(__file__).with_name("station.schema.json")


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) for station.yaml."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tourtrace.invalid/schema/station.schema.json",
        "title": "TourTrace station configuration (station.yaml)",
        **model_schema(StationConfig),
    }


def render_schema() -> str:
    """Return the schema as the JSON text stored in station.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
