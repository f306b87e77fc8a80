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
) -> tuple[int, str]:
    """Create a token and return (id, secret); the secret is shown once and never stored."""
    secret = f"tt_{secrets.token_urlsafe(32)}"
    expires = None if ttl_s is None else time.time() + ttl_s
    cursor = conn.execute(
        "INSERT INTO tokens(token_hash, name, role, rep_badge, kind, created_at, created_by, expires_epoch)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (hash_token(secret), name, role, rep_badge, kind, now_rfc3339(), created_by, expires),
    )
    return int(cursor.lastrowid or 0), secret


def find_token(conn: sqlite3.Connection, secret: str) -> dict[str, Any] | None:
    """Return the live (not revoked, not expired) token row for a secret."""
    row = conn.execute(
        "SELECT id, name, role, rep_badge, kind FROM tokens WHERE token_hash=? AND revoked_at IS NULL"
        " AND (expires_epoch IS NULL OR expires_epoch > ?)",
        (hash_token(secret), time.time()),
    ).fetchone()
    return None if row is None else dict(row)


def list_tokens(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return API tokens (not sessions), without hashes."""
    rows = conn.execute(
        "SELECT id, name, role, rep_badge, created_at, created_by, revoked_at FROM tokens WHERE kind='api' ORDER BY id"
    )
    return [dict(r) for r in rows]


def revoke_token(conn: sqlite3.Connection, token_id: int) -> bool:
    """Revoke a token; return False when there is no such live token."""
    cursor = conn.execute(
        "UPDATE tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL AND kind='api'", (now_rfc3339(), token_id)
    )
    return cursor.rowcount == 1


def revoke_secret(conn: sqlite3.Connection, secret: str) -> None:
    """Revoke whatever token or session a secret belongs to (logout)."""
    conn.execute("UPDATE tokens SET revoked_at=? WHERE token_hash=? AND revoked_at IS NULL", (now_rfc3339(),
                 hash_token(secret)))  # fmt: skip


def hub_secret(conn: sqlite3.Connection, name: str) -> str:
    """Return a named random secret of this hub, created on first use (session cookie signing)."""
    conn.execute("INSERT OR IGNORE INTO hub_secrets(name, value) VALUES (?, ?)", (name, secrets.token_hex(32)))
    return str(conn.execute("SELECT value FROM hub_secrets WHERE name=?", (name,)).fetchone()[0])
