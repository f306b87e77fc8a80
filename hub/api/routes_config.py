"""Station configuration pushed by the hub: GET/PUT /api/stations/{site}/{station}/config."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from hub.api.deps import get_db
from hub.auth.principal import Principal, require_token
from hub.auth.roles import require_role
from hub.store.audit import record_change
from hub.store.station_config import get_station_config, last_tap_zone, next_rev, save_station_config
from hub.store.tx import transaction
from protocol import ConfigData, ContractError, Envelope, Topic, new_ulid, now_rfc3339

router = APIRouter()
it_or_admin = require_role("admin", "it")


def _topic(site: str, station: str) -> Topic:
    try:
        return Topic(site, station, "config")
    except ContractError as exc:
        raise HTTPException(422, str(exc)) from None


def effective_config(db: sqlite3.Connection, site: str, station: str) -> dict[str, Any]:
    """The configuration last pushed, or (rev 0, never pushed) the defaults a station runs with and its zone."""
    current = get_station_config(db, site, station)
    if current is not None:
        return {**current, "pushed": True}
    defaults = ConfigData(rev=0, zone=last_tap_zone(db, site, station) or "").to_dict()
    return {"rev": 0, "config": defaults, "updated_at": None, "updated_by": None, "pushed": False}


@router.get("/api/stations/{site}/{station}/config", dependencies=[Depends(require_token)])
def read_config(site: str, station: str, db: sqlite3.Connection = Depends(get_db)) -> dict[str, Any]:
    """The configuration in effect at a station: the last one pushed, else the defaults (`pushed: false`)."""
    _topic(site, station)
    return effective_config(db, site, station)


def _merged(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    note = body.get("note")
    merged = {**current, **body}
    if isinstance(note, dict) and isinstance(current.get("note"), dict):
        merged["note"] = {**current["note"], **note}
    return merged


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
            },
            {"dwell_timeout_s": 900},
        ],
    ),
    db: sqlite3.Connection = Depends(get_db),
    caller: Principal = Depends(it_or_admin),
) -> dict[str, Any]:
    """Merge the fields given onto the station's current configuration, validate the whole (422 listing every
    problem), store it as the next rev and publish it retained; the station applies it live.

    A configuration is stored only when it can be published (it fits one message), so store and station agree."""
    topic = _topic(site, station)
    unknown = sorted(set(body) - {"zone", "debounce_s", "tap_mode", "dwell_timeout_s", "note"})
    with transaction(db):
        rev = next_rev(db, site, station)
        merged = _merged(effective_config(db, site, station)["config"], body)
        problems = [f"{key}: unknown field" for key in unknown]
        try:
            config = ConfigData.from_dict({**merged, "rev": rev})
        except ContractError as exc:
            problems += [problem.replace("data.", "", 1) for problem in exc.problems]
        if problems:
            raise HTTPException(422, problems)
        envelope = Envelope(id=new_ulid(), kind="config", site=site, station=station, seq=rev, ts=now_rfc3339(),
                            boot="hub", mono_ms=0, clock_synced=True, data=config)  # fmt: skip
        try:
            payload = envelope.encode()
        except ContractError as exc:
            raise HTTPException(422, [f"config: too large to publish ({exc})"]) from None
        save_station_config(db, site, station, config, caller.name)
        record_change(db, caller.name, caller.role, "station_config.update", f"{site}/{station}", config.to_dict())
    runtime = request.app.state.runtime
    published = runtime is not None and runtime.client.connected.is_set()
    if runtime is not None:
        runtime.client.publish(str(topic), payload, retain=True)
    return {"rev": rev, "config": config.to_dict(), "published": published}
