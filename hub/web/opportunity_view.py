"""What pages show of opportunities: names, next statuses, evidence lines, history; today's pending count."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.store.badges import list_badges, visitor_card
from hub.store.opportunities import NEXT_STATUS, count_pending, history, list_opportunities
from hub.store.visitors import resolve_visitor
from hub.web.views import zone_names

PAGE = 300


def decorate(conn: sqlite3.Connection, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add what the page shows beside an opportunity: names, next statuses, evidence lines, its history."""
    reps = {b["badge_id"]: b["name"] for b in list_badges(conn, "rep")}
    zones = zone_names(conn)
    past = history(conn, [o["id"] for o in items])
    out = []
    for item in items:
        evidence = item["evidence"]
        out.append({
            **item, "card": visitor_card(conn, item["visitor"]), "rep_name": reps.get(item["rep"] or "", item["rep"]),
            "next": NEXT_STATUS[item["status"]], "history": past[item["id"]],
            "params": [p.get("text", "") for p in evidence.get("params", [])],
            "signals": [s.get("text") or s.get("name", "") for s in evidence.get("signals", [])],
            "dwell": {zones.get(z, z): round(float(s) / 60, 1) for z, s in (evidence.get("dwell") or {}).items()},
        })  # fmt: skip
    return out


def visitor_opportunities(conn: sqlite3.Connection, visitor: str) -> list[dict[str, Any]]:
    """The opportunities of one visitor (raised under their id or any of their badges) for the profile."""
    resolved = resolve_visitor(conn, visitor)
    return decorate(conn, list_opportunities(conn, asked={resolved["id"], *resolved["badges"]}, limit=PAGE)[0])


def pending_today(
    conn: sqlite3.Connection, visitors: set[str] | None, timezone: str, own_rep: str | None = None
) -> int:
    """Count the pending opportunities raised since midnight site time (of these visitors or a rep's own notes)."""
    midnight = datetime.now(ZoneInfo(timezone)).replace(hour=0, minute=0, second=0, microsecond=0)
    return count_pending(conn, since_epoch=midnight.timestamp(), visitors=visitors, own_rep=own_rep)
