"""Open the hub database with the pragmas every connection needs and bring its schema up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.store.schema import migrate


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection (WAL, synchronous=FULL, foreign keys, busy timeout); rows behave like dicts."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def open_database(path: str | Path) -> sqlite3.Connection:
    """Open the hub database for writing and apply pending migrations."""
    conn = connect(path)
    migrate(conn)
    return conn
