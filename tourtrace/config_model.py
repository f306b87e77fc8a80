"""One way to validate configuration (station.yaml, hub.yaml, notify channels): pydantic models, one error type.

Every problem is reported at once as 'path: message' (`stations[2].zone: required`, `broker.url: …`), in the
words the CLI has always printed, never as a pydantic traceback. Both the station and the hub import this module;
it imports neither of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails

M = TypeVar("M", bound=BaseModel)

_TYPE_WORDS = {
    "string_type": "str",
    "int_type": "int",
    "float_type": "int/float",
    "bool_type": "bool",
    "list_type": "list",
    "tuple_type": "list",
    "dict_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
}


class ConfigError(ValueError):
    """Configuration is invalid; `errors` lists every problem as 'path: message'."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(errors))
        self.source = source
        self.errors = errors


class Settings(BaseModel):
    """Base of every settings model: frozen, no unknown keys, no silent coercion; a null value means 'default'."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data

    def problems(self) -> list[str]:
        """Return rules across settings that fields cannot say alone, as 'path: message'; checked after them."""
        return []


def _path(loc: tuple[int | str, ...]) -> str:
    """Return the setting path of an error location: `stations[2].zone`, `note.vocabulary`, or `top level`."""
    text = ""
    for part in loc:
        if isinstance(part, int) and text:
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "top level"


def _number(bound: Any) -> Any:
    """Print a float bound that is whole as an integer (`> 0`, not `> 0.0`)."""
    return int(bound) if isinstance(bound, float) and bound.is_integer() else bound


def _message(error: ErrorDetails) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx") or {}
    if kind == "missing":
        return "required"
    if kind in ("extra_forbidden", "invalid_key"):
        return "unknown setting"
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, got {type(value).__name__}"
    if kind == "literal_error":
        choices = "|".join(re.findall(r"'([^']*)'", str(ctx["expected"])))
        return f"expected one of {choices}, got {value!r}"
    if kind == "greater_than":
        return f"must be > {_number(ctx['gt'])}, got {value}"
    if kind == "greater_than_equal":
        return f"must be >= {_number(ctx['ge'])}, got {value}"
    if kind == "string_pattern_mismatch":
        return f"expected {str(ctx['pattern']).strip('^$')}, got {value!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def error_messages(exc: ValidationError) -> list[str]:
    """Turn a ValidationError into 'path: message' lines, in the order of the settings, without repeats."""
    lines: list[str] = []
    for error in exc.errors():
        loc = error["loc"]
        if error["type"] == "invalid_key":  # a key that is not a string: its loc is the key, maybe coerced
            loc = (*loc[:-1], str(error["input"]))
        if error["type"] == "string_type" and len(loc) > 1 and isinstance(loc[-1], int):  # a word list's item
            line = f"{_path(loc[:-1])}: expected a list of words (strings)"
        else:
            line = f"{_path(loc)}: {_message(error)}"
        if line not in lines:
            lines.append(line)
    return lines


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
    """Return a settings model's JSON Schema (draft 2020-12) with its nested models written in place."""
    raw = model.model_json_schema()
    return dict(_inline(raw, raw.get("$defs", {})))


def validate_settings(model: type[M], obj: object, source: str) -> M:
    """Validate a decoded document against a settings model; raise ConfigError listing every problem."""
    try:
        settings = model.model_validate(obj)
    except ValidationError as exc:
        raise ConfigError(source, error_messages(exc)) from None
    problems = settings.problems() if isinstance(settings, Settings) else []
    if problems:
        raise ConfigError(source, problems)
    return settings
