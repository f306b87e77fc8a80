"""JSON Schema of station.yaml, generated from its pydantic model; regenerate: python -m firmware_config.schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from edge.agent.config import StationConfig

SCHEMA_PATH = Path(__file__).with_name("station.schema.json")


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace each {"$ref": "#/$defs/X"} by X itself, so every setting reads in place."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        return {key: _inline(value, defs) for key, value in node.items() if key not in ("title", "$defs")}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return a settings model's JSON Schema with its nested models written in place."""
    raw = model.model_json_schema()
    return dict(_inline(raw, raw.get("$defs", {})))


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
