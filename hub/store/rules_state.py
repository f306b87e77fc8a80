"""Rule outcomes (opportunities, escalations, holds, notifications, lookups) and follow-up timers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from protocol import now_rfc3339

OUTCOME_KINDS = ("opportunity", "escalate", "hold", "notify", "lookup")


def add_outcome(
    conn: sqlite3.Connection,
    key: str,
    rule: str,
    kind: str,
    value: str,
    site: str,
    event_id: str,
    badge: str | None,
    rep: str | None,
    evidence: dict[str, Any],
) -> bool:
    """Record a rule outcome once per key; return True when it is new."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO rule_outcomes(key, rule, kind, value, site, badge, rep, event_id, evidence, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (key, rule, kind, value, site, badge, rep, event_id, json.dumps(evidence, ensure_ascii=False, default=str),
         now_rfc3339()),
    )  # fmt: skip
    return cursor.rowcount == 1


def outcome_keys(conn: sqlite3.Connection, keys: list[str]) -> set[str]:
    """Return which of these keys already have an outcome."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = conn.execute(f"SELECT key FROM rule_outcomes WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        found.update(row[0] for row in rows)
    return found


def list_outcomes(
    conn: sqlite3.Connection, kind: str | None = None, badges: list[str] | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Return rule outcomes oldest first, optionally of one kind or for some badges."""
    clauses: list[str] = []
    params: list[object] = []
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    if badges is not None:
        clauses.append(f"badge IN ({','.join('?' * len(badges))})")
        params.extend(badges)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(f"SELECT * FROM rule_outcomes{where} ORDER BY id LIMIT ?", (*params, limit))
    return [
        {"kind": r["kind"], "rule": r["rule"], "value": r["value"], "site": r["site"], "badge": r["badge"],
         "rep": r["rep"], "event_id": r["event_id"], "evidence": json.loads(r["evidence"]), "key": r["key"],
         "created_at": r["created_at"]}
        for r in rows
    ]  # fmt: skip


def start_timer(
    conn: sqlite3.Connection, key: str, rule: str, event_id: str, site: str, rep: str | None, after: str, due: float
) -> bool:
    """Start a follow-up timer once per key; return True when it is new."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO rule_timers(key, rule, event_id, site, rep, after, due_epoch, created_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (key, rule, event_id, site, rep, after, due, now_rfc3339()),
    )
    return cursor.rowcount == 1


def due_timers(conn: sqlite3.Connection, now: float, limit: int = 200) -> list[dict[str, Any]]:
    """Return waiting timers whose time has come, oldest first."""
    rows = conn.execute(
        "SELECT * FROM rule_timers WHERE status='waiting' AND due_epoch <= ? ORDER BY due_epoch LIMIT ?", (now, limit)
    )
    return [dict(row) for row in rows]


def finish_timer(conn: sqlite3.Connection, key: str, status: str) -> None:
    """Mark a timer fired (no follow-up) or answered (followed up)."""
    conn.execute("UPDATE rule_timers SET status=?, done_at=? WHERE key=?", (status, now_rfc3339(), key))


def followed_up(conn: sqlite3.Connection, event_id: str, until_epoch: float) -> bool:
    """Return whether the rep of a note wrote a later note for one of its visitors before until_epoch."""
    row = conn.execute(
        "SELECT 1 FROM notes n JOIN notes later ON later.rep_badge = n.rep_badge AND later.event_id != n.event_id"
        " AND later.ts_epoch > n.ts_epoch AND later.ts_epoch <= ?"
        " JOIN note_visitors a ON a.event_id = n.event_id JOIN note_visitors b ON b.event_id = later.event_id"
        " AND b.badge = a.badge WHERE n.event_id = ? LIMIT 1",
        (until_epoch, event_id),
    ).fetchone()
    return row is not None


def held_by(conn: sqlite3.Connection, rep: str, event_id: str) -> str | None:
    """Return the rule holding a rep's leads at a note's time (a circuit-breaker hold within its window), if any."""
    note = conn.execute("SELECT ts_epoch FROM notes WHERE event_id=?", (event_id,)).fetchone()
    if note is None:
        return None
    rows = conn.execute(
        "SELECT o.rule, o.evidence, n.ts_epoch FROM rule_outcomes o JOIN notes n ON n.event_id = o.event_id"
        " WHERE o.kind = 'hold' AND o.rep = ? AND n.ts_epoch <= ?",
        (rep, note[0]),
    )
    for rule, evidence, since in rows:
        hours = float((json.loads(evidence).get("count") or {}).get("over_hours", 1.0))
        if note[0] < since + hours * 3600:
            return str(rule)
    return None
