"""The plant's library in the hub database: hub/store keeps it as plain data, this gives and takes a Library."""

from __future__ import annotations

import sqlite3

from hub.rules.analysis.library import Library
from hub.store.library import load_library_data, save_library_data


def save_library(conn: sqlite3.Connection, library: Library) -> None:
    """Replace the stored library with `library` in one transaction."""
    save_library_data(conn, library.to_dict(), library.revision())


def load_library(conn: sqlite3.Connection) -> Library | None:
    """Return the stored library, or None when none has been saved."""
    data = load_library_data(conn)
    return None if data is None else Library.from_dict(data)
