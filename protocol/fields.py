"""Strict readers for JSON objects that name the failing field path in their errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from protocol.errors import ContractError

_MISSING = object()
INT_MAX = 2**63 - 1  # what an SQLite INTEGER holds: every integer on the wire is bounded by it
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")  # and lone surrogates (not UTF-8)
HEX_RE = re.compile(r"^[0-9A-F]{2,64}$")
_hex_match = HEX_RE.fullmatch


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def as_object(value: object, path: str) -> Mapping[str, Any]:
    """Return value when it is a JSON object."""
    if not isinstance(value, Mapping):
        raise ContractError(f"{path or 'message'}: expected object, got {type(value).__name__}")
    return value


def _get(obj: Mapping[str, Any], key: str, path: str, optional: bool) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        if optional:
            return None
        raise ContractError(f"{_join(path, key)}: required")
    return value


def get_str(obj: Mapping[str, Any], key: str, path: str = "", optional: bool = False) -> Any:
    """Read a string field (None allowed only when optional)."""
    value = _get(obj, key, path, optional)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ContractError(f"{_join(path, key)}: expected string, got {type(value).__name__}")
    return value


def has_control(value: str) -> bool:
    """Tell whether text holds a control character (C0, DEL, C1, a Unicode line/paragraph separator) or a lone
    surrogate (which UTF-8, and so SQLite, cannot hold)."""
    return _CONTROL_RE.search(value) is not None


def get_name(obj: Mapping[str, Any], key: str, path: str = "", optional: bool = False) -> Any:
    """Read an identifier-like string field (badge id, zone): no control characters, at most 256 characters."""
    value = obj.get(key)
    if type(value) is str and len(value) <= 256 and value.isprintable():  # the common case, without a regex
        return value
    value = get_str(obj, key, path, optional)
    if value is not None and (len(value) > 256 or has_control(value)):
        raise ContractError(f"{_join(path, key)}: expected at most 256 printable characters, got {value[:40]!r}")
    return value


def get_int(obj: Mapping[str, Any], key: str, path: str = "", minimum: int | None = 0, maximum: int = INT_MAX) -> int:
    """Read an integer field (booleans are not integers here), bounded by what the store holds."""
    value = _get(obj, key, path, False)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ContractError(f"{_join(path, key)}: expected integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ContractError(f"{_join(path, key)}: expected integer >= {minimum}, got {value}")
    if value > maximum or value < -INT_MAX - 1:
        raise ContractError(f"{_join(path, key)}: expected integer <= {maximum}, got {value}")
    return value


def get_number(obj: Mapping[str, Any], key: str, path: str = "", optional: bool = False) -> Any:
    """Read a number field (int or float, not bool)."""
    value = _get(obj, key, path, optional)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"{_join(path, key)}: expected number, got {type(value).__name__}")
    if (isinstance(value, float) and not math.isfinite(value)) or (isinstance(value, int) and abs(value) > INT_MAX):
        raise ContractError(f"{_join(path, key)}: expected a finite number, got {value!r}")
    return value


def get_bool(obj: Mapping[str, Any], key: str, path: str = "") -> bool:
    """Read a boolean field."""
    value = _get(obj, key, path, False)
    if not isinstance(value, bool):
        raise ContractError(f"{_join(path, key)}: expected boolean, got {type(value).__name__}")
    return value


def get_choice(obj: Mapping[str, Any], key: str, choices: tuple[str, ...], path: str = "") -> str:
    """Read a string field that must be one of choices."""
    value: str = get_str(obj, key, path)
    if value not in choices:
        raise ContractError(f"{_join(path, key)}: expected one of {'|'.join(choices)}, got {value!r}")
    return value


def is_hex(value: str) -> bool:
    """Tell whether a string is upper-case hex of whole bytes (1 to 32 of them)."""
    return not len(value) % 2 and _hex_match(value) is not None


def get_hex(obj: Mapping[str, Any], key: str, path: str = "") -> str:
    """Read an upper-case hex string field."""
    value = _get(obj, key, path, False)
    if not isinstance(value, str) or not is_hex(value):
        raise ContractError(f"{_join(path, key)}: expected hex string (upper case, whole bytes), got {value!r}")
    return value


def get_list(obj: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    """Read an array field."""
    value = _get(obj, key, path, False)
    if not isinstance(value, list):
        raise ContractError(f"{_join(path, key)}: expected array, got {type(value).__name__}")
    return value


def get_str_list(obj: Mapping[str, Any], key: str, path: str = "") -> tuple[str, ...]:
    """Read an array of strings."""
    items = get_list(obj, key, path)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ContractError(f"{_join(path, key)}[{index}]: expected string, got {type(item).__name__}")
        if len(item) > 256 or has_control(item):
            raise ContractError(f"{_join(path, key)}[{index}]: expected at most 256 printable characters")
    return tuple(items)


def get_object(obj: Mapping[str, Any], key: str, path: str = "", optional: bool = False) -> Any:
    """Read an object field (None allowed only when optional)."""
    value = _get(obj, key, path, optional)
    if value is None and optional:
        return None
    return as_object(value, _join(path, key))


def read_all(readers: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every field reader; return their values, or raise one ContractError listing every problem."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, read in readers.items():
        try:
            values[name] = read()
        except ContractError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ContractError("; ".join(problems), tuple(problems))
    return values
