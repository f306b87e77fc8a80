"""Station configuration pushed by the hub: GET/PUT /api/stations/{site}/{station}/config."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from hub.api.deps import get_db
from hub.auth.principal import Principal, require_token
from hub.auth.roles import require_role
from hub.store.audit import record_change
from hub.store.station_config import get_station_config, next_rev, save_station_config
from hub.store.tx import transaction
from protocol import ConfigData, ContractError, Envelope, Topic, new_ulid, now_rfc3339

router = APIRouter()
it_or_admin = require_role("admin", "it")


def _topic(site: str, station: str) -> Topic:
    try:
        return Topic(site, station, "config")
    except ContractError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/stations/{site}/{station}/config", dependencies=[Depends(require_token)])
def read_config(site: str, station: str, db: sqlite3.Connection = Depends(get_db)) -> dict[str, Any]:
    """The configuration last pushed to a station."""
    _topic(site, station)
    current = get_station_config(db, site, station)
    if current is None:
        raise HTTPException(404, f"no configuration has been pushed to {site}/{station}")
    return current


@router.put("/api/stations/{site}/{station}/config")
def push_config(
    site: str,
    station: str,
    request: Request,
    body: dict[str, Any] = Body(
        ...,
        examples=[
            {
                "zone": "injection",
                "debounce_s": 2.0,
                "tap_mode": "toggle",
                "dwell_timeout_s": 1800,
                "note": {"max_s": 60, "silence_ms": 1500, "vocabulary": ["热处理"]},
            }
        ],
    ),
    db: sqlite3.Connection = Depends(get_db),
    caller: Principal = Depends(it_or_admin),
) -> dict[str, Any]:
    """Validate, store (next rev) and publish a station's configuration (retained); the station applies it live."""
    topic = _topic(site, station)
    with transaction(db):
        rev = next_rev(db, site, station)
        try:
            config = ConfigData.from_dict({**body, "rev": rev})
        except ContractError as exc:
            raise HTTPException(422, str(exc).replace("data.", "", 1)) from None
        save_station_config(db, site, station, config, caller.name)
        record_change(db, caller.name, caller.role, "station_config.update", f"{site}/{station}", config.to_dict())
    envelope = Envelope(id=new_ulid(), kind="config", site=site, station=station, seq=rev, ts=now_rfc3339(),
                        boot="hub", mono_ms=0, clock_synced=True, data=config)  # fmt: skip
    runtime = request.app.state.runtime
    published = runtime is not None and runtime.client.connected.is_set()
    if runtime is not None:
        runtime.client.publish(str(topic), envelope.encode(), retain=True)
    return {"rev": rev, "config": config.to_dict(), "published": published}
