"""Durable notification outbox: rows move pending → sending → sent | failed; one row per (channel, key)."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from hub.store.tx import transaction
from protocol import now_rfc3339

STATUSES = ("pending", "sending", "sent", "failed")


def enqueue(
    conn: sqlite3.Connection,
    channel: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str,
    not_before: float | None = None,
) -> bool:
    """Queue a notification in the caller's transaction; return False when (channel, key) was queued before."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO notify_outbox(channel, template, context, idempotency_key, next_attempt_epoch,"
        " created_at) VALUES (?,?,?,?,?,?)",
        (channel, template, json.dumps(context, ensure_ascii=False, default=str), idempotency_key,
         time.time() if not_before is None else not_before, now_rfc3339()),
    )  # fmt: skip
    return cursor.rowcount == 1


def defer(conn: sqlite3.Connection, row_id: int, until: float) -> None:
    """Put a claimed row back to wait until `until` without counting an attempt (a robot's rate limit)."""
    conn.execute("UPDATE notify_outbox SET status='pending', next_attempt_epoch=? WHERE id=?", (until, row_id))


def claim_due(conn: sqlite3.Connection, now: float, limit: int = 20) -> list[dict[str, Any]]:
    """Mark due pending rows as sending and return them, in one transaction.

    Nothing due is found with a plain read first: the worker wakes after every ingest batch, and an empty
    write transaction each time would take the write lock from ingest for nothing.
    """
    due = "SELECT 1 FROM notify_outbox WHERE status='pending' AND next_attempt_epoch <= ? LIMIT 1"
    if conn.execute(due, (now,)).fetchone() is None:
        return []
    with transaction(conn):
        rows = conn.execute(
            "SELECT * FROM notify_outbox WHERE status='pending' AND next_attempt_epoch <= ? ORDER BY id LIMIT ?",
            (now, limit),
        ).fetchall()
        conn.executemany("UPDATE notify_outbox SET status='sending' WHERE id=?", [(r["id"],) for r in rows])
    return [_row(r) for r in rows]


def mark_sent(conn: sqlite3.Connection, row_id: int) -> None:
    conn.execute(
        "UPDATE notify_outbox SET status='sent', attempts=attempts+1, sent_at=?, last_error='' WHERE id=?",
        (now_rfc3339(), row_id),
    )


def mark_failed(conn: sqlite3.Connection, row_id: int, error: str, retry_at: float | None) -> None:
    """Record a failed attempt: back to pending until retry_at, or failed for good when retry_at is None."""
    status = "failed" if retry_at is None else "pending"
    conn.execute(
        "UPDATE notify_outbox SET status=?, attempts=attempts+1, last_error=?, next_attempt_epoch=? WHERE id=?",
        (status, error[:500], retry_at if retry_at is not None else time.time(), row_id),
    )


def recover_interrupted(conn: sqlite3.Connection, resend_channels: set[str]) -> int:
    """After a restart, requeue rows left 'sending' on idempotent channels; fail the rest rather than risk a repeat."""
    stuck = conn.execute("SELECT id, channel FROM notify_outbox WHERE status='sending'").fetchall()
    for row in stuck:
        if row["channel"] in resend_channels:
            conn.execute("UPDATE notify_outbox SET status='pending' WHERE id=?", (row["id"],))
        else:
            mark_failed(conn, row["id"], "hub stopped during delivery; not resent to avoid a duplicate message", None)
    return len(stuck)


def retry_now(conn: sqlite3.Connection, row_id: int) -> bool:
    """Put a failed row back in the queue (an operator's decision); return False if it is not failed."""
    cursor = conn.execute(
        "UPDATE notify_outbox SET status='pending', next_attempt_epoch=? WHERE id=? AND status='failed'",
        (time.time(), row_id),
    )
    return cursor.rowcount == 1


def queue_depth(conn: sqlite3.Connection) -> int:
    """Return how many notifications are waiting for delivery."""
    return int(conn.execute("SELECT COUNT(*) FROM notify_outbox WHERE status IN ('pending','sending')").fetchone()[0])


def _row(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["context"] = json.loads(row["context"])
    return item


def list_outbox(conn: sqlite3.Connection, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Return outbox rows newest first, optionally of one status."""
    if status:
        rows = conn.execute("SELECT * FROM notify_outbox WHERE status=? ORDER BY id DESC LIMIT ?", (status, limit))
    else:
        rows = conn.execute("SELECT * FROM notify_outbox ORDER BY id DESC LIMIT ?", (limit,))
    return [_row(r) for r in rows]


def count_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r[0]: r[1] for r in conn.execute("SELECT status, COUNT(*) FROM notify_outbox GROUP BY status")})
    return counts
