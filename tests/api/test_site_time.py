"""Every time the API and the pages give out is RFC 3339 in the site's zone (hub setting `site_timezone`)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import ConfigError, HubSettings, load_settings
from hub.store.db import open_database
from protocol import Envelope
from protocol.timefmt import format_rfc3339, to_epoch
from tests.api.tourdata import ADMIN_TOKEN, bearer, register_people, sample_tour, store_events, tap
from tests.web.test_pages import login

ZONE = "America/Sao_Paulo"  # -03:00 all year: unlike this host, unlike the stations, unlike UTC
OFFSET = "-03:00"
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _at_station(event: Envelope) -> Envelope:
    """The event as a station in China stamps it (+08:00)."""
    return replace(event, ts=format_rfc3339(datetime.fromtimestamp(to_epoch(event.ts), ZoneInfo("Asia/Shanghai"))))


def _times(value: Any) -> Iterator[str]:
    if isinstance(value, str) and TIME.match(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _times(item)
    elif isinstance(value, list):
        for item in value:
            yield from _times(item)


def test_api_and_pages_give_every_time_in_the_site_zone(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    now = time.time()
    tour = [_at_station(e) for e in sample_tour(now)]
    stale = _at_station(tap("gate-assembly", "assembly", "V-0003", 1, now - 7200))
    store_events(db, [*tour, stale])
    stored = {(row[0], row[1]): row[2] for row in open_database(db).execute('SELECT badge, start, "end" FROM visits')}
    assert any(end and end.endswith("+00:00") for end in stored.values())  # timed out: end computed in UTC
    assert any(start.endswith("+08:00") for _, start in stored)  # as the stations stamped them

    settings = HubSettings(db=str(db), admin_token=ADMIN_TOKEN, site_timezone=ZONE)
    with TestClient(create_app(settings, with_ingest=False)) as client:
        tokens = register_people(client)
        admin = bearer(ADMIN_TOKEN)
        visits = client.get("/api/visits", headers=admin).json()
        note_id = client.get("/api/visitors/V-0001/profile", headers=admin).json()["notes"][0]["id"]
        paths = ["/api/stations", "/api/visitors/V-0001/profile", f"/api/notes/{note_id}", "/api/badges", "/api/rules"]
        responses = [visits, *(client.get(path, headers=admin).json() for path in paths)]
        given = [t for response in responses for t in _times(response)]
        assert len(given) > 10 and all(t.endswith(OFFSET) for t in given), [t for t in given if not t.endswith(OFFSET)]
        items = visits["items"] if isinstance(visits, dict) else visits
        by_start = {to_epoch(s): e for (_, s), e in stored.items()}
        for visit in items:  # the same instants, only written in the site's zone
            assert to_epoch(visit["start"]) in by_start
            original_end = by_start[to_epoch(visit["start"])]
            assert (visit["end"] is None) == (original_end is None)
            if original_end:
                assert to_epoch(visit["end"]) == to_epoch(original_end)

        login(client, tokens["manager"])
        page = client.get("/visitors/V-0001").text
        first = min(to_epoch(v["start"]) for v in items if v.get("badge", v.get("visitor")) == "V-0001")
        local = datetime.fromtimestamp(first, ZoneInfo(ZONE)).strftime("%H:%M:%S")
        assert local in page, local


def test_an_unknown_timezone_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("site_timezone: Mars/Olympus\n")
    try:
        load_settings(config, {})
    except ConfigError as exc:
        assert "site_timezone: unknown time zone 'Mars/Olympus'" in str(exc)
    else:
        raise AssertionError("accepted an unknown time zone")


def test_first_and_last_seen_are_by_instant_when_stations_stamp_different_offsets(tmp_path: Path) -> None:
    """09:00+08:00 is before 02:00+00:00, though it sorts after it as text."""
    db = tmp_path / "hub.sqlite3"
    now = time.time()
    first = _at_station(tap("gate-injection", "injection", "V-0009", 1, now - 600))  # +08:00
    last = tap("gate-machining", "machining", "V-0009", 1, now - 300)  # +00:00
    store_events(db, [first, last])
    settings = HubSettings(db=str(db), admin_token=ADMIN_TOKEN, site_timezone=ZONE)
    with TestClient(create_app(settings, with_ingest=False)) as client:
        body = client.get("/api/visitors", headers=bearer(ADMIN_TOKEN)).json()
    items = body["items"] if isinstance(body, dict) else body
    seen = next(v for v in items if v["id"] == "V-0009")
    assert to_epoch(seen["first_seen"]) == to_epoch(first.ts) and to_epoch(seen["last_seen"]) == to_epoch(last.ts)
    assert seen["last_seen"].endswith(OFFSET)
