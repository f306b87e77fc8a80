"""JSON Schema of station.yaml, derived from the config dataclasses; regenerate: python -m firmware_config.schema."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any

from edge.agent.config import StationConfig
from protocol.messages import TAP_MODES
from protocol.topics import ID_RE

SCHEMA_PATH = Path(__file__).with_name("station.schema.json")

# Rules parse_config checks beyond the field types, keyed by setting path.
_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "site": {"pattern": ID_RE.pattern},
    "station": {"pattern": ID_RE.pattern},
    "tap_mode": {"enum": list(TAP_MODES)},
    "debounce_s": {"minimum": 0},
    "dwell_timeout_s": {"exclusiveMinimum": 0},
    "status_interval_s": {"exclusiveMinimum": 0},
    "broker.url": {"pattern": r"^mqtts?://[^/:]+"},
    "broker.keepalive_s": {"exclusiveMinimum": 0},
    "outbox.max_events": {"exclusiveMinimum": 0},
    "outbox.max_age_days": {"exclusiveMinimum": 0},
    "note.max_s": {"exclusiveMinimum": 0},
    "note.silence_ms": {"exclusiveMinimum": 0},
    "feedback.backend": {"enum": ["none", "gpio"]},
}
_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _type_schema(hint: Any, path: str) -> dict[str, Any]:
    """Return the schema of one annotated type."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _type_schema(members[0], path)
        if "type" in inner:
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(hint)[0], path)}
    if dataclasses.is_dataclass(hint):
        return _object_schema(typing.cast(type, hint), path)
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    raise TypeError(f"{path}: no JSON Schema mapping for {hint!r}")


def _object_schema(cls: type, prefix: str) -> dict[str, Any]:
    """Return the schema of a settings dataclass: known keys only, required ones without defaults."""
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        path = f"{prefix}.{f.name}" if prefix else f.name
        prop = {**_type_schema(hints[f.name], path), **_CONSTRAINTS.get(path, {})}
        if f.default is not dataclasses.MISSING and f.default is not None:
            prop["default"] = f.default
        properties[f.name] = prop
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) for station.yaml."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tourtrace.invalid/schema/station.schema.json",
        "title": "TourTrace station configuration (station.yaml)",
        **_object_schema(StationConfig, ""),
    }


def render_schema() -> str:
    """Return the schema as the JSON text stored in station.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
