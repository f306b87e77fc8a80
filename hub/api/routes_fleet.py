"""Fleet and plumbing routes: health, stations, dead letters."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from hub.api.deps import get_db
from hub.auth.roles import fleet_readers
from hub.store.db import connect
from hub.store.events import count_dead_letters, list_dead_letters
from hub.store.stations import list_stations

router = APIRouter()


@router.get("/api/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness, broker connection and database state (no token needed; answers even when the database cannot)."""
    runtime = request.app.state.runtime
    db_ok, db_error = True, ""
    try:
        with closing(connect(request.app.state.settings.db)) as db:
            db.execute("SELECT 1 FROM events LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        db_ok, db_error = False, str(exc)
    broker = {"connected": False, "url": request.app.state.settings.broker, "error": ""}
    ingest: dict[str, Any] = {}
    if runtime is not None:
        state = runtime.ingest_state()
        broker.update(connected=state.connected, error=state.broker_error, receiver_restarts=state.receiver_restarts)
        ingest = {"queue": state.queue, "messages": state.messages, "last_error": state.last_error,
                  "retries": state.retries}  # fmt: skip
    checks = [db_ok, broker["connected"], not ingest.get("last_error")]
    extra = {name: probe() for name, probe in request.app.state.health_probes.items()}
    healthy = all(checks) and all(item.get("ok", True) for item in extra.values())
    return {"status": "ok" if healthy else "degraded", "broker": broker, "db": {"ok": db_ok, "error": db_error},
            "ingest": ingest, **extra}  # fmt: skip


@router.get("/api/stations", dependencies=[Depends(fleet_readers)])
def stations(db: sqlite3.Connection = Depends(get_db)) -> list[dict[str, Any]]:
    """Every station with its last status: online, outbox depth, clock, config rev."""
    return list_stations(db)


@router.get("/api/dead-letters", dependencies=[Depends(fleet_readers)])
def dead_letters(
    db: sqlite3.Connection = Depends(get_db),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**63 - 1),
) -> dict[str, Any]:
    """Rejected messages with topic, reason and received time, newest first."""
    return {"total": count_dead_letters(db), "items": list_dead_letters(db, limit, offset)}
