"""Audit log: every change to badges, rules, library and tokens, with who and when."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from protocol import now_rfc3339


def record_change(
    conn: sqlite3.Connection, actor: str, role: str, action: str, target: str, detail: dict[str, Any] | None = None
) -> None:
    """Append one audit entry, e.g. record_change(conn, "alice", "admin", "rules.update", "rules", {...})."""
    conn.execute(
        "INSERT INTO audit(at, actor, role, action, target, detail) VALUES (?,?,?,?,?,?)",
        (now_rfc3339(), actor, role, action, target, json.dumps(detail or {}, ensure_ascii=False)),
    )


def list_audit(conn: sqlite3.Connection, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
    """Return audit entries newest first, optionally for actions starting with a prefix ("badge.")."""
    if action:
        rows = conn.execute("SELECT * FROM audit WHERE action LIKE ? ORDER BY id DESC LIMIT ?", (f"{action}%", limit))
    else:
        rows = conn.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]
