"""What the daily digest reads (a day's visits, notes, tags, open follow-ups) and which digests went out."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from protocol import now_rfc3339, to_epoch


def day_visits(conn: sqlite3.Connection, since: float, until: float) -> list[dict[str, Any]]:
    """Return the visits that started in [since, until): badge, zone, dwell_s (0 while open)."""
    rows = conn.execute(
        "SELECT badge, zone, COALESCE(dwell_s, 0) FROM visits WHERE start_epoch >= ? AND start_epoch < ?"
        " ORDER BY start_epoch",
        (since, until),
    )
    return [{"badge": r[0], "zone": r[1], "dwell_s": float(r[2])} for r in rows]


def day_notes(conn: sqlite3.Connection, since: float, until: float) -> list[dict[str, Any]]:
    """Return the notes dictated in [since, until) with their visitor badges and analysis."""
    rows = conn.execute(
        "SELECT n.event_id, n.visitor_badges, n.rep_badge, n.text, a.result FROM notes n"
        " LEFT JOIN note_analyses a ON a.note_id = n.event_id WHERE n.ts_epoch >= ? AND n.ts_epoch < ?"
        " ORDER BY n.ts_epoch",
        (since, until),
    )
    notes = []
    for event_id, badges, rep, text, result in rows:
        analysis = json.loads(result) if result else {}
        notes.append({"id": event_id, "badges": json.loads(badges), "rep": rep, "text": text,
                      "signals": analysis.get("signals", []), "warnings": analysis.get("warnings", [])})  # fmt: skip
    return notes


def day_tags(conn: sqlite3.Connection, since: float, until: float) -> list[dict[str, Any]]:
    """Return the interest tags given in [since, until): badge and tag."""
    rows = conn.execute("SELECT badge, tag, created_at FROM tags ORDER BY id").fetchall()
    return [{"badge": r[0], "tag": r[1]} for r in rows if since <= to_epoch(r[2]) < until]


def overdue_opportunities(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return opportunities still pending or only confirmed whose note's follow-up timer fired (escalated)."""
    rows = conn.execute(
        "SELECT DISTINCT o.id, o.visitor, o.rep, o.title, o.status, o.created_at FROM opportunities o"
        " JOIN rule_timers t ON t.event_id = o.event_id AND t.status = 'fired'"
        " WHERE o.status IN ('pending', 'confirmed') ORDER BY o.id"
    )
    return [dict(r) for r in rows]


def digest_sent(conn: sqlite3.Connection, channel: str, day: str) -> bool:
    """Tell whether the digest of a day already went to a channel."""
    found = conn.execute("SELECT 1 FROM digests_sent WHERE channel=? AND day=?", (channel, day)).fetchone()
    return found is not None


def record_digest(conn: sqlite3.Connection, channel: str, day: str, parts: int) -> bool:
    """Record a day's digest for a channel once (in the caller's transaction); return False if it was before."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO digests_sent(channel, day, parts, sent_at) VALUES (?,?,?,?)",
        (channel, day, parts, now_rfc3339()),
    )
    return cursor.rowcount == 1
