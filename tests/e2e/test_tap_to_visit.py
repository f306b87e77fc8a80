"""Badge taps on emulated readers → agent outbox → Mosquitto → hub → /api/visits, end to end."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message, sign
from edge.nfc_reader.emulator import TagEmulator
from tests.e2e.conftest import RunningHub
from tests.waiting import wait_idle

VISITOR_UID = "0101AABBCCDD0001"


def _badge(key: bytes, badge_id: str, uid: str) -> bytes:
    return encode_badge_message(Badge(badge_id, "visitor", sign(key, badge_id, "visitor", uid)))


def test_taps_at_two_stations_give_a_visit_with_the_replayed_dwell(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_key: tuple[bytes, Path]
) -> None:
    agent_a, reader_a = station("injection", site_key_file=str(site_key[1]))
    _, reader_b = station("machining")
    message = _badge(site_key[0], "V-0001", VISITOR_UID)

    started_a = time.monotonic()
    reader_a.present(VISITOR_UID, message, 0.3)
    time.sleep(2.2 - (time.monotonic() - started_a))
    started_b = time.monotonic()
    reader_b.present(VISITOR_UID, message, 0.3)
    replayed = started_b - started_a

    visits = hub.wait_for("/api/visits", lambda v: len(v["items"]) == 2, visitor="V-0001")["items"]
    assert [(v["zone"], v["open"]) for v in visits] == [("injection", False), ("machining", True)]
    first = visits[0]
    assert first["badge"] == "V-0001" and first["station"] == "gate-injection"
    assert abs(first["dwell_s"] - replayed) < 0.1, (first["dwell_s"], replayed)
    assert first["end"] == visits[1]["start"] and visits[1]["end"] is None
    assert first["timed_out"] is False and first["sig_ok"] is True

    profile = hub.get("/api/visitors/V-0001/profile")
    assert profile["dwell_per_zone"]["injection"] == first["dwell_s"]
    assert profile["unsigned_taps"] == 0
    assert [pattern.name for pattern in agent_a.feedback.played] == ["ok"]


def test_copied_badge_is_flagged_and_never_closes_the_real_visit(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_key: tuple[bytes, Path]
) -> None:
    agent, reader = station("heat-treat", site_key_file=str(site_key[1]))
    real = _badge(site_key[0], "V-0002", "0101AABBCCDD0002")
    copied = _badge(site_key[0], "V-0002", VISITOR_UID)  # signed for another tag's UID
    reader.present("0101AABBCCDD0002", real, 0.3)
    hub.wait_for("/api/visits", lambda v: len(v["items"]) == 1, visitor="V-0002")
    time.sleep(1.0)  # beyond debounce_s: a second tap of the real badge would be its tap-out
    reader.present("0101AABBCCDD0999", copied, 0.3)
    profile = hub.wait_for("/api/visitors/V-0002/profile", lambda p: p["badge_findings"])
    assert profile["badge_findings"] == {"signature does not match": 1}
    visits = profile["visits"]
    assert len(visits) == 1 and visits[0]["open"] is True and visits[0]["sig_ok"] is True  # the copy closed nothing

    time.sleep(1.0)  # an unsigned badge is a finding of its own (the hub still counts it: not every site signs)
    reader.present("0101AABBCCDD0777", encode_badge_message(Badge("V-0002", "visitor", None)), 0.3)
    profile = hub.wait_for("/api/visitors/V-0002/profile", lambda p: len(p["badge_findings"]) == 2)
    assert profile["badge_findings"] == {"signature does not match": 1, "unsigned": 1}
    assert [pattern.name for pattern in agent.feedback.played] == ["ok", "error", "error"]


def test_card_held_on_the_reader_gives_one_tap(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_key: tuple[bytes, Path]
) -> None:
    agent, reader = station("assembly", debounce_s=5.0)
    reader.present(VISITOR_UID, _badge(site_key[0], "V-0003", VISITOR_UID), 1.5)
    visits = hub.wait_for("/api/visits", lambda v: len(v["items"]) >= 1, visitor="V-0003")["items"]
    wait_idle(hub.runtime, [agent])
    assert len(hub.get("/api/visits", visitor="V-0003")["items"]) == 1
    assert agent.outbox.stats().last_seq == 1
    assert visits[0]["open"] is True


def test_fleet_view_and_metrics_reflect_the_station(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_key: tuple[bytes, Path]
) -> None:
    agent, reader = station("injection", status_interval_s=60)  # no periodic status within this test
    reader.present(VISITOR_UID, _badge(site_key[0], "V-0004", VISITOR_UID), 0.3)
    stations: list[dict[str, Any]] = hub.wait_for(
        "/api/stations",
        lambda s: len(s) == 1 and s[0]["reader"] == "present" and s[0]["last_seq"] == 1 and s[0]["outbox_depth"] == 0,
        timeout_s=5,
    )
    assert stations[0]["online"] is True and stations[0]["outbox_depth"] == 0
    assert stations[0]["station"] == "gate-injection"
    metrics = httpx.get(f"{hub.url}/metrics").text
    assert 'tourtrace_events_stored_total{kind="tap"} 1.0' in metrics
    assert "tourtrace_stations_online 1.0" in metrics

    agent.stop()
    offline = hub.wait_for("/api/stations", lambda s: s[0]["state"] == "offline")
    assert offline[0]["online"] is False


def test_api_requires_the_bearer_token(hub: RunningHub) -> None:
    assert httpx.get(f"{hub.url}/api/visits").status_code == 401
    bad = httpx.get(f"{hub.url}/api/visits", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert httpx.get(f"{hub.url}/api/health").status_code == 200
