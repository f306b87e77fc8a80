"""Request-scoped dependencies: a database connection per request."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Annotated

from fastapi import Path, Request

from hub.store.db import connect


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """Yield a connection to the hub database, closed after the request."""
    conn = connect(request.app.state.settings.db)
    try:
        yield conn
    finally:
        conn.close()


RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="a row id (SQLite INTEGER range)")]
