"""One write transaction as a context manager, for every module that writes the hub database."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error).

    Inside a transaction the caller already holds, the block simply joins it.
    """
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException as exc:
        roll_back(conn, exc)
        raise


@contextmanager
def savepoint(conn: sqlite3.Connection, name: str) -> Iterator[None]:
    """Run the block all or nothing inside the caller's transaction (SAVEPOINT … RELEASE, ROLLBACK TO on error)."""
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException as exc:
        if conn.in_transaction:  # after an I/O error SQLite may have rolled back the whole transaction
            try:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            except sqlite3.Error as failed:
                log.warning("rollback to savepoint %s after %r failed: %s", name, exc, failed)
        raise
    conn.execute(f"RELEASE {name}")


def roll_back(conn: sqlite3.Connection, cause: BaseException) -> None:
    """Roll back the open transaction, if SQLite has not already; a failed ROLLBACK never hides `cause`."""
    if not conn.in_transaction:  # SQLite rolls back by itself after e.g. a disk I/O error
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as failed:
        log.warning("rollback after %r failed: %s", cause, failed)
