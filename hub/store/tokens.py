"""API tokens and browser sessions, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from typing import Any

from protocol import now_rfc3339

ROLES = ("admin", "manager", "rep", "it", "crm")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    conn: sqlite3.Connection,
    name: str,
    role: str,
    created_by: str,
    rep_badge: str | None = None,
    kind: str = "api",
    ttl_s: float | None = None,
    parent_id: int | None = None,
) -> tuple[int, str]:
    """Create a token and return (id, secret); the secret is shown once and never stored.

    A session names the API token it was opened with (`parent_id`): it lives only as long as that token."""
    secret = f"tt_{secrets.token_urlsafe(32)}"
    expires = None if ttl_s is None else time.time() + ttl_s
    cursor = conn.execute(
        "INSERT INTO tokens(token_hash, name, role, rep_badge, kind, created_at, created_by, expires_epoch,"
        " parent_id) VALUES (?,?,?,?,?,?,?,?,?)",
        (hash_token(secret), name, role, rep_badge, kind, now_rfc3339(), created_by, expires, parent_id),
    )
    return int(cursor.lastrowid or 0), secret


def find_token(conn: sqlite3.Connection, secret: str) -> dict[str, Any] | None:
    """Return the live (not revoked, not expired) token row for a secret."""
    row = conn.execute(
        "SELECT t.id, t.name, t.role, t.rep_badge, t.kind, t.parent_id, p.kind AS parent_kind,"
        " p.token_hash AS parent_hash FROM tokens t"
        " LEFT JOIN tokens p ON p.id = t.parent_id"
        " WHERE t.token_hash=? AND t.revoked_at IS NULL AND (t.expires_epoch IS NULL OR t.expires_epoch > ?)"
        " AND (t.parent_id IS NULL OR (p.revoked_at IS NULL AND (p.expires_epoch IS NULL OR p.expires_epoch > ?)))",
        (hash_token(secret), time.time(), time.time()),
    ).fetchone()
    return None if row is None else dict(row)


def admin_parent(conn: sqlite3.Connection, admin_token: str) -> int:
    """Return the row that stands for the configured admin token (kind 'admin', its hash only), created on first
    use: a session opened with the admin token names it, and ends once the hub runs with another admin token."""
    token_hash = hash_token(admin_token)
    conn.execute(
        "INSERT INTO tokens(token_hash, name, role, kind, created_at, created_by) SELECT ?, 'admin', 'admin',"
        " 'admin', ?, 'config' WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE token_hash=?)",
        (token_hash, now_rfc3339(), token_hash),
    )
    return int(conn.execute("SELECT id FROM tokens WHERE token_hash=?", (token_hash,)).fetchone()[0])


def renew_session(conn: sqlite3.Connection, secret: str, idle_s: float, max_s: float, every_s: float) -> None:
    """Push a live session's expiry to now + idle_s, capped at max_s after its login; write at most every every_s."""
    now = time.time()
    due = "token_hash=? AND kind='session' AND revoked_at IS NULL AND expires_epoch > ? AND expires_epoch < ?"
    args = (hash_token(secret), now, now + idle_s - every_s)
    if conn.execute(f"SELECT 1 FROM tokens WHERE {due}", args).fetchone() is None:
        return  # a read, so that pages do not queue for the write lock behind ingest
    conn.execute(f"UPDATE tokens SET expires_epoch = MIN(?, COALESCE(CAST(strftime('%s', created_at) AS REAL), 0)"
                 f" + ?) WHERE {due}", (now + idle_s, max_s, *args))  # fmt: skip


def prune_sessions(conn: sqlite3.Connection, now: float) -> int:
    """Delete the browser sessions that can never be used again (expired, logged out or revoked); return how many.

    Every login adds a session row; API tokens and the admin row are never pruned (they are listed and audited)."""
    cursor = conn.execute(
        "DELETE FROM tokens WHERE kind='session' AND (revoked_at IS NOT NULL OR expires_epoch IS NULL"
        " OR expires_epoch <= ?)",
        (now,),
    )
    return cursor.rowcount


def list_tokens(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return API tokens (not sessions), without hashes."""
    rows = conn.execute(
        "SELECT id, name, role, rep_badge, created_at, created_by, revoked_at FROM tokens WHERE kind='api' ORDER BY id"
    )
    return [dict(r) for r in rows]


def revoke_token(conn: sqlite3.Connection, token_id: int) -> bool:
    """Revoke a token and every session opened with it; return False when there is no such live token."""
    now = now_rfc3339()
    cursor = conn.execute("UPDATE tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL AND kind='api'",
                          (now, token_id))  # fmt: skip
    conn.execute("UPDATE tokens SET revoked_at=? WHERE parent_id=? AND revoked_at IS NULL", (now, token_id))
    return cursor.rowcount == 1


def revoke_secret(conn: sqlite3.Connection, secret: str) -> None:
    """Revoke whatever token or session a secret belongs to (logout)."""
    conn.execute("UPDATE tokens SET revoked_at=? WHERE token_hash=? AND revoked_at IS NULL", (now_rfc3339(),
                 hash_token(secret)))  # fmt: skip


def hub_secret(conn: sqlite3.Connection, name: str) -> str:
    """Return a named random secret of this hub, created on first use (session cookie signing)."""
    conn.execute("INSERT OR IGNORE INTO hub_secrets(name, value) VALUES (?, ?)", (name, secrets.token_hex(32)))
    return str(conn.execute("SELECT value FROM hub_secrets WHERE name=?", (name,)).fetchone()[0])
