"""Retire a revoked station: its broker user is gone, so its last will never arrives to say it is offline."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException

from hub.api.deps import get_db
from hub.auth.principal import Principal
from hub.auth.roles import operators
from hub.store.audit import record_change
from hub.store.stations import list_stations, retire_station
from hub.store.tx import transaction
from protocol import now_rfc3339

router = APIRouter()


@router.post("/api/stations/{site}/{station}/retire")
def retire(
    site: str,
    station: str,
    retired: bool = Body(True, embed=True),
    principal: Principal = Depends(operators),
    db: sqlite3.Connection = Depends(get_db),
) -> dict[str, Any]:
    """Retire a revoked station (it leaves the fleet's online count), or bring it back with {"retired": false}."""
    with transaction(db):
        if not retire_station(db, site, station, retired, now_rfc3339()):
            raise HTTPException(404, f"no station {site}/{station}")
        record_change(db, principal.name, principal.role, "station.retire" if retired else "station.restore",
                      f"station:{site}/{station}")  # fmt: skip
    return next(s for s in list_stations(db) if (s["site"], s["station"]) == (site, station))
