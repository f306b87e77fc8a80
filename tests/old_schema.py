"""A database as an older hub left it: the first migration steps, recorded only in PRAGMA user_version (as before
the `_migrations` table), so a test can migrate it the rest of the way."""

from __future__ import annotations

import sqlite3

from hub.store.schema import MIGRATIONS


def steps_as_released(conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """Apply the first `version` steps to an autocommit connection, each in its own transaction; return conn."""
    for number, step in enumerate(MIGRATIONS[:version], start=1):
        conn.execute("BEGIN IMMEDIATE")
        step(conn)
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    return conn
