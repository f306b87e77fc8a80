"""Visitors: a registered visitor owns badges; an unregistered badge is its own visitor."""

from __future__ import annotations

import sqlite3
from typing import Any


def resolve_visitor(conn: sqlite3.Connection, visitor_or_badge: str) -> dict[str, Any]:
    """Return {id, badges, registered} for a visitor id or a badge id."""
    has_registry = conn.execute("SELECT 1 FROM sqlite_master WHERE name='badges'").fetchone() is not None
    if has_registry:
        rows = conn.execute(
            "SELECT badge_id, visitor FROM badges WHERE visitor = ? OR badge_id = ?", (visitor_or_badge,) * 2
        ).fetchall()
        owners = {r["visitor"] for r in rows if r["visitor"]}
        if len(owners) == 1:
            owner = owners.pop()
            badges = [r[0] for r in conn.execute("SELECT badge_id FROM badges WHERE visitor = ?", (owner,))]
            return {"id": owner, "badges": badges, "registered": True}
    return {"id": visitor_or_badge, "badges": [visitor_or_badge], "registered": False}


def list_visitors(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return every badge seen with a visitor role (or no badge data), with first and last tap."""
    rows = conn.execute(
        "SELECT badge, MIN(ts) AS first_seen, MAX(ts) AS last_seen, COUNT(*) AS taps FROM taps"
        " WHERE role IS NULL OR role = 'visitor' GROUP BY site, badge ORDER BY MAX(ts_epoch) DESC"
    )
    return [{"id": r["badge"], "badges": [r["badge"]], "first_seen": r["first_seen"], "last_seen": r["last_seen"],
             "taps": r["taps"]} for r in rows]  # fmt: skip
