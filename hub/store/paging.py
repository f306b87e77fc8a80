"""Keyset paging (an opaque cursor names the last row of a page, so page N costs what page 1 costs) and search."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

DEFAULT_LIMIT = 100


class BadCursor(ValueError):
    """A cursor that this hub did not hand out (or from a list ordered another way)."""


def encode_cursor(key: list[Any]) -> str:
    """Return the opaque cursor for a row's sort key."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _fits(value: Any, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63  # what SQLite can compare with
    return not isinstance(value, float) or math.isfinite(value)


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> list[Any] | None:
    """Return the sort key a cursor names, checked against the expected types; None for no cursor."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    if not isinstance(key, list) or len(key) != len(types) or not all(map(_fits, key, types)):
        raise BadCursor(f"cursor: not one this hub gave out: {cursor[:40]!r}")
    return key


def page(keyed: list[tuple[list[Any], dict[str, Any]]], limit: int) -> dict[str, Any]:
    """Return {items, next} from (sort key, item) pairs; limit + 1 were read to know whether a next page exists."""
    items = [item for _, item in keyed[:limit]]
    return {"items": items, "next": encode_cursor(keyed[limit - 1][0]) if len(keyed) > limit else None}


def like_pattern(text: str) -> str:
    """Return a LIKE pattern (with ESCAPE '\\') matching text anywhere, its % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def time_range(column: str, since: object | None, until: object | None) -> tuple[list[str], list[object]]:
    """Return the WHERE clauses and parameters of a half-open range [since, until) on a column (None: unbounded)."""
    clauses: list[str] = []
    params: list[object] = []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(since)
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(until)
    return clauses, params
