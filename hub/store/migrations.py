"""Apply named schema steps once each, recording them in `_migrations` (the pattern of sqlite-utils' migrations).

A step is a function of the connection; its function name is its identity in `_migrations`, so a step is
never renamed, and its SQL is frozen where it is written (no calls to helpers that may change later).
Databases from before the table existed carry only PRAGMA user_version = N: they have applied the first N
steps, and are recorded as such on first open.

sqlite-utils is not a dependency (it was declared but never imported): the hub keeps plain autocommit sqlite3
connections with one `transaction()` helper, sqlite-utils' migrations live in a separate package (sqlite-migrate)
built around its own `Database` wrapper and transactions, and this runner is a few dozen lines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence

from hub.store.tx import transaction

Step = Callable[[sqlite3.Connection], None]

_RECORD_TABLE = "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"


def split_statements(script: str) -> Iterator[str]:
    """Yield each complete SQL statement of a script (a ";" inside a string or a trigger body does not split)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending.strip()
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:80]!r}")


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute every statement of a script inside the caller's transaction (executescript would commit)."""
    for statement in split_statements(script):
        conn.execute(statement)


def step_name(step: Step) -> str:
    """Return the name a step is recorded under."""
    return step.__name__


def applied_steps(conn: sqlite3.Connection, steps: Sequence[Step]) -> list[str]:
    """Return the recorded step names, first recording user_version's steps for a database from before."""
    with transaction(conn):
        known = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
        if known is None:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute(_RECORD_TABLE)
            conn.executemany(
                "INSERT INTO _migrations(name, applied_at) VALUES (?, 'before _migrations')",
                [(step_name(step),) for step in steps[:version]],
            )
        return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def apply_migrations(conn: sqlite3.Connection, steps: Sequence[Step]) -> list[str]:
    """Apply every step not yet recorded, each in its own transaction; return the names applied now.

    Each step is checked again once its transaction holds the write lock, so two processes opening one database
    at the same moment (the hub and `tourtrace token create`) never apply a step twice.
    """
    names = [step_name(step) for step in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"migration step names repeat: {names}")
    done = set(applied_steps(conn, steps))
    applied: list[str] = []
    for step in steps:
        name = step_name(step)
        if name in done:
            continue
        with transaction(conn):
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone() is not None:
                continue  # another connection applied it meanwhile
            step(conn)
            conn.execute(
                "INSERT INTO _migrations(name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", (name,)
            )
            count = conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(count)}")
        applied.append(name)
    return applied
