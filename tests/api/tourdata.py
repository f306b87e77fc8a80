"""A small stored tour for API and web tests, written through the real ingest writer (no broker)."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.rules.notes_pipeline import NoteAnalyzer
from hub.settings import HubSettings
from hub.store.db import open_database
from protocol import BadgeNdef, Envelope, NoteData, StatusData, TapData, new_ulid
from protocol.envelope import Data
from protocol.timefmt import epoch_to_rfc3339

ADMIN_TOKEN = "admin-test-secret"
BOOT = "6f1c2a4e-3b8d-4e55-9a61-0c1d2e3f4a5b"


def envelope(kind: str, station: str, seq: int, at: float, data: Data, site: str = "demo") -> Envelope:
    return Envelope(id=new_ulid(int(at * 1000)), kind=kind, site=site, station=station, seq=seq,
                    ts=epoch_to_rfc3339(at), boot=BOOT, mono_ms=int(at * 1000) % 10**9, clock_synced=True,
                    data=data)  # fmt: skip


def tap(station: str, zone: str, badge: str, seq: int, at: float, role: str = "visitor") -> Envelope:
    data = TapData(uid=f"04{abs(hash(badge)) % 10**12:012X}", tag_type="Type3Tag", zone=zone,
                   ndef=BadgeNdef(badge_id=badge, role=role, sig=None), reader="udp:127.0.0.1:1")  # fmt: skip
    return envelope("tap", station, seq, at, data)


def note(station: str, rep: str, visitors: tuple[str, ...], text: str, seq: int, at: float) -> Envelope:
    data = NoteData(trigger="rep_badge", rep_badge=rep, visitor_badges=visitors, duration_ms=4200, sample_rate=16000,
                    lang="zh", model="test", text=text, words=(), audio=None)  # fmt: skip
    return envelope("note", station, seq, at, data)


def status(station: str, seq: int, at: float, state: str = "online") -> Envelope:
    data = StatusData(state=state, version="0.1.0", uptime_s=60, reader="present", mic="absent", outbox_depth=2,
                      oldest_unsent_s=0, disk_free_mb=1000, cpu_temp_c=45.0, clock_synced=True,
                      config_rev=3)  # fmt: skip
    return envelope("status", station, seq, at, data)


def sample_tour(now: float | None = None) -> list[Envelope]:
    """V-0001 spends 3 min in injection then goes to heat-treat; V-0002 is in machining; R-007 dictates a note."""
    t0 = (now or time.time()) - 600
    return [
        status("gate-injection", 0, t0),  # a status carries the last seq the station assigned: none yet
        tap("gate-injection", "injection", "V-0001", 1, t0 + 10),
        tap("gate-machining", "machining", "V-0002", 1, t0 + 20),
        tap("gate-heat-treat", "heat-treat", "V-0001", 1, t0 + 190),
        note("gate-heat-treat", "R-007", ("V-0001",), "这个阀体得热处理到HRC45才行，麻烦报价", 2, t0 + 200),
        note("gate-machining", "R-009", ("V-0002",), "看了机加工，交期要快", 2, t0 + 220),
    ]


def store_events(db: Path, events: list[Envelope]) -> None:
    """Store events through the hub's ingest writer, as if they came from the broker."""
    writer = IngestWriter(str(db), ack=lambda _m: None)
    writer.derivers.append(NoteAnalyzer().derive)
    try:
        messages = [InMessage(str(e.topic), e.encode(), i, 1) for i, e in enumerate(events)]
        writer.store(messages)
    finally:
        writer.close()


def make_client(db: Path, site_timezone: str | None = None) -> TestClient:
    """An API client over a migrated database; ingest is off (events are stored directly)."""
    open_database(db).close()
    settings = HubSettings(db=str(db), admin_token=ADMIN_TOKEN)
    if site_timezone is not None:
        settings = HubSettings(db=str(db), admin_token=ADMIN_TOKEN, site_timezone=site_timezone)
    return TestClient(create_app(settings, with_ingest=False))


def midday_zone(now: float | None = None) -> str:
    """An IANA zone in which it is about noon now. A rep's "today" starts at the site's midnight: with the default
    zone a tour that began ten minutes ago was yesterday's when the suite ran in the first minutes after midnight in
    Shanghai (16:00 UTC). Etc/GMT names count the other way: Etc/GMT-8 is eight hours east of UTC."""
    east = 12 - time.gmtime(time.time() if now is None else now).tm_hour  # -11 … 12
    return "Etc/GMT" + (f"{-east:+d}" if east else "")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# the demo's badges, as POST /api/badges takes them
PEOPLE = ({"badge_id": "R-007", "role": "rep", "name": "王强"},
          {"badge_id": "R-009", "role": "rep", "name": "赵敏"},
          {"badge_id": "V-0001", "role": "visitor", "visitor": "V-0001", "name": "张伟", "company": "华东阀门",
           "rep": "R-007"},
          {"badge_id": "V-0002", "role": "visitor", "visitor": "V-0002", "name": "李娜", "company": "苏北精密"},
          )  # fmt: skip


def register_people(client: TestClient) -> dict[str, str]:
    """Register the demo badges and create a token per role; return role → secret."""
    admin = bearer(ADMIN_TOKEN)
    for body in PEOPLE:
        assert client.post("/api/badges", json=body, headers=admin).status_code == 200
    tokens = {"admin": ADMIN_TOKEN}
    for role, extra in (("manager", {}), ("it", {}), ("rep", {"rep_badge": "R-007"})):
        response = client.post("/api/tokens", json={"name": f"{role}-user", "role": role, **extra}, headers=admin)
        assert response.status_code == 201, response.text
        tokens[role] = response.json()["token"]
    return tokens
