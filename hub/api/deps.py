"""Request-scoped dependencies: a database connection per request; a bad paging cursor as a 422."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import HTTPException, Path, Request

from hub.store.db import connect
from hub.store.paging import BadCursor


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """Yield a connection to the hub database, closed after the request."""
    conn = connect(request.app.state.settings.db)
    try:
        yield conn
    finally:
        conn.close()


RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="a row id (SQLite INTEGER range)")]


@contextmanager
def cursor_errors() -> Iterator[None]:
    """Answer a cursor this hub did not give out with 422, saying so."""
    try:
        yield
    except BadCursor as exc:
        raise HTTPException(422, str(exc)) from None
