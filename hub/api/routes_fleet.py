"""Fleet and plumbing routes: health, stations, dead letters."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from hub.api.deps import cursor_errors, get_db
from hub.auth.principal import Principal, optional_principal
from hub.auth.roles import fleet_readers
from hub.auth.scope import dead_letter_for
from hub.store.db import connect
from hub.store.events import check_readable, count_dead_letters, page_dead_letters
from hub.store.paging import DEFAULT_LIMIT
from hub.store.stations import list_stations

router = APIRouter()


@router.get("/api/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness, broker connection and database state (no token needed; answers even when the database cannot).

    Without a token it says only what is up and what is not: the broker URL, file paths and error texts are
    for logged-in callers."""
    runtime = request.app.state.runtime
    db_ok, db_error = True, ""
    try:
        with closing(connect(request.app.state.settings.db)) as db:
            check_readable(db)
    except sqlite3.Error as exc:
        db_ok, db_error = False, str(exc)
    broker = {"connected": False, "url": request.app.state.settings.broker, "error": ""}
    ingest: dict[str, Any] = {}
    if runtime is not None:
        state = runtime.ingest_state()
        broker.update(connected=state.connected, error=state.broker_error, receiver_restarts=state.receiver_restarts)
        last_error = state.last_error
        if state.dead_workers:
            last_error = f"stopped: {', '.join(state.dead_workers)} (restart the hub)"
        ingest = {"queue": state.queue, "messages": state.messages, "last_error": last_error,
                  "retries": state.retries, "dead_workers": list(state.dead_workers)}  # fmt: skip
    checks = [db_ok, broker["connected"], not ingest.get("last_error")]
    extra = {name: probe() for name, probe in request.app.state.health_probes.items()}
    healthy = all(checks) and all(item.get("ok", True) for item in extra.values())
    body = {"status": "ok" if healthy else "degraded", "broker": broker, "db": {"ok": db_ok, "error": db_error},
            "ingest": ingest, **extra}  # fmt: skip
    return body if optional_principal(request) is not None else _public(body)


def _public(body: dict[str, Any]) -> dict[str, Any]:
    """Drop what tells an anonymous caller where things are: URLs, paths and error texts (they name both)."""
    hidden = ("url", "file", "error", "last_error")
    return {key: _public(value) if isinstance(value, dict) else value for key, value in body.items()
            if key not in hidden}  # fmt: skip


@router.get("/api/stations", dependencies=[Depends(fleet_readers)])
def stations(db: sqlite3.Connection = Depends(get_db)) -> list[dict[str, Any]]:
    """Every station with its last status: online, outbox depth, clock, config rev."""
    return list_stations(db)


@router.get("/api/dead-letters")
def dead_letters(
    db: sqlite3.Connection = Depends(get_db),
    principal: Principal = Depends(fleet_readers),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200, description="the previous page's next"),
) -> dict[str, Any]:
    """A page {items, next} of rejected messages with topic, reason and received time, newest first; total counts
    them all."""
    with cursor_errors():
        found = page_dead_letters(db, limit, cursor)
    return {"total": count_dead_letters(db), "items": [dead_letter_for(item, principal) for item in found["items"]],
            "next": found["next"]}  # fmt: skip
