"""Delivery guarantees of issue 3 with real processes: replays, outages, SIGKILL of station and hub, bad input."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker
from protocol import MAX_PAYLOAD, Topic
from protocol.envelope import MAX_PACKET_SIZE
from tests.reliability.harness import (
    AgentProcess,
    HubProcess,
    assert_exactly_once,
    outbox_depth,
    seed_outbox,
    stored_count,
    stored_seqs,
    visitor_tap,
    wait_until,
)
from tests.reliability.mqtt_tools import Capture, connect, publish_all


def test_event_replayed_by_a_second_publisher_is_stored_once(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess], make_agent: Callable[..., AgentProcess]
) -> None:
    """The agent delivers an event; a plain paho client replays the captured bytes; the hub keeps one row."""
    hub = start_hub()
    capture = Capture(broker.url, f"tourtrace/v1/{site_id}/+/tap").start()
    agent = make_agent("gate-a")
    seed_outbox(agent.outbox_path, site_id, "gate-a", 1)
    agent.start()
    try:
        assert capture.wait_for(lambda m: len(m) == 1, 20), agent.log_tail()
        topic, payload, _ = capture.messages[0]
        sentinel = visitor_tap(site_id, "gate-a", "zone-gate-a", 2, "V-9999")
        publish_all(broker.url, [(topic, payload), (topic, payload), (str(sentinel.topic), sentinel.encode())])
        assert wait_until(lambda: stored_count(hub.db, site_id) >= 2, 20)
    finally:
        capture.stop()
    event_id = json.loads(payload)["id"]
    assert stored_seqs(hub.db, site_id) == {"gate-a": [1, 2]}
    metrics = hub.get_text("/metrics")
    assert 'tourtrace_events_stored_total{kind="tap"} 2.0' in metrics
    assert hub.get("/api/dead-letters")["total"] == 0
    assert event_id != sentinel.id


def test_broker_outage_and_station_sigkill_deliver_every_tap_once_in_order(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess], make_agent: Callable[..., AgentProcess]
) -> None:
    """Real emulated NFC taps, plus 300 seeded events for bulk, survive a broker stop and a SIGKILLed agent."""
    hub = start_hub()
    agent = make_agent("gate-a")
    emulator = TagEmulator(int(agent.config["reader"].rsplit(":", 1)[1]))
    agent.start()
    assert wait_until(lambda: _reader_present(hub, "gate-a"), 20), agent.log_tail()

    def tap(n: int) -> None:
        idm = f"03FEFFE0{n:08X}"
        emulator.present(idm, encode_badge_message(Badge(f"V-{n:04d}", "visitor", None)), hold_s=0.4)

    for n in range(2):
        tap(n)
    assert wait_until(lambda: stored_count(hub.db, site_id) == 2, 20), agent.log_tail()

    broker.stop()
    for n in range(2, 5):
        tap(n)
    assert wait_until(lambda: agent.outbox_depth() == 3, 10), agent.log_tail()
    seed_outbox(agent.outbox_path, site_id, "gate-a", 300)
    agent.kill()
    assert outbox_depth(agent.outbox_path) == 303
    assert stored_count(hub.db, site_id) == 2

    broker.start()
    agent.start()
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 305, 60), agent.log_tail()
    assert wait_until(lambda: agent.outbox_depth() == 0, 10)  # the hub has committed all it will get
    assert_exactly_once(hub.db, site_id, {"gate-a": 305}, in_order=True)
    assert wait_until(lambda: agent.outbox_depth() == 0, 10)


def _reader_present(hub: HubProcess, station: str) -> bool:
    return any(s.get("station") == station and '"reader": "present"' in json.dumps(s) for s in hub.get("/api/stations"))


def _malformed(site: str) -> list[tuple[str, bytes, str]]:
    """40 each of bad JSON, wrong types, wrong topic, oversize and unknown v, with the reason each must get."""
    cases: list[tuple[str, bytes, str]] = []
    for i in range(40):
        good = visitor_tap(site, "gate-a", "zone-a", i + 1, f"V-{i:04d}")
        topic, body = str(good.topic), good.to_dict()
        cases.append((topic, b'{"v": 1, "id": ' + str(i).encode(), "payload: bad JSON"))
        wrong_type = [("seq", str(i)), ("mono_ms", None), ("clock_synced", "yes"), ("data", [i])][i % 4]
        cases.append((topic, json.dumps({**body, wrong_type[0]: wrong_type[1]}).encode(), f"{wrong_type[0]}: "))
        wrong_topic = [f"tourtrace/v1/{site}/gate-a/bogus", f"tourtrace/v1/{site}/Gate_A/tap",
                       str(Topic(site, "gate-b", "tap")), str(Topic(site, "gate-a", "note"))][i % 4]  # fmt: skip
        cases.append((wrong_topic, good.encode(), ["topic.kind", "topic.station", "station:", "kind:"][i % 4]))
        padded = {**body, "data": {**body["data"], "padding": "x" * (MAX_PAYLOAD + i)}}
        cases.append((topic, json.dumps(padded).encode(), "payload: "))
        cases.append((topic, json.dumps({**body, "v": 2 + i}).encode(), "v: unsupported contract version"))
    return cases


def test_two_hundred_malformed_payloads_become_dead_letters_and_the_hub_keeps_serving(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess]
) -> None:
    """Every malformed message is kept with its reason; a valid event after them is still stored."""
    hub = start_hub()
    cases = _malformed(site_id)
    assert len(cases) == 200
    publish_all(broker.url, [(topic, payload) for topic, payload, _ in cases])
    assert wait_until(lambda: hub.get("/api/dead-letters", limit=1)["total"] >= 200, 30)
    items = hub.get("/api/dead-letters", limit=1000)["items"]
    assert len(items) == 200
    received = sorted(items, key=lambda item: item["id"])
    for (topic, payload, reason), item in zip(cases, received, strict=True):
        assert item["topic"] == topic
        assert item["payload_size"] == len(payload)
        assert item["reason"].startswith(reason) or reason in item["reason"], (reason, item["reason"])
    assert hub.health()["status"] == "ok"
    good = visitor_tap(site_id, "gate-a", "zone-a", 1, "V-0001")
    publish_all(broker.url, [(str(good.topic), good.encode())])
    assert wait_until(lambda: stored_count(hub.db, site_id) == 1, 10)
    assert hub.get("/api/dead-letters", limit=1)["total"] == 200


def test_hub_sigkill_while_thousands_of_events_arrive_loses_and_duplicates_nothing(
    broker: LocalBroker,
    site_id: str,
    tmp_path: Path,
    start_hub: Callable[..., HubProcess],
    make_agent: Callable[..., AgentProcess],
) -> None:
    """3 stations drain 1,000 seeded events each; the hub is SIGKILLed mid-stream and restarted on its database."""
    hub = start_hub()
    agents = [make_agent(f"gate-{n}") for n in range(3)]
    for agent in agents:
        seed_outbox(agent.outbox_path, site_id, agent.station, 1000)
        agent.start()
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 300, 30)
    hub.kill()
    stored_at_kill = stored_count(hub.db, site_id)
    assert stored_at_kill < 3000, "the hub must be killed while events are still arriving"
    time.sleep(0.5)
    hub.start()
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 3000, 90), hub.log_tail()
    assert wait_until(lambda: all(agent.outbox_depth() == 0 for agent in agents), 30)  # all committed and acked
    assert_exactly_once(hub.db, site_id, {agent.station: 1000 for agent in agents})


def test_a_packet_beyond_the_broker_limit_is_refused_and_the_hub_carries_on(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess]
) -> None:
    """Oversize events up to the broker's max_packet_size are dead-lettered; larger ones never reach the hub
    (the broker disconnects their sender), so a flood of them cannot fill the hub's memory."""
    hub = start_hub()
    good = visitor_tap(site_id, "gate-a", "zone-a", 1, "V-0001")
    body = good.to_dict()
    oversize = json.dumps({**body, "data": {**body["data"], "padding": "x" * (MAX_PAYLOAD + 10)}}).encode()
    huge = json.dumps({**body, "data": {**body["data"], "padding": "x" * MAX_PACKET_SIZE}}).encode()
    refused = connect(broker.url)
    dropped = threading.Event()
    refused.on_disconnect = lambda *args: dropped.set()
    refused.publish(str(good.topic), huge, qos=1)
    assert dropped.wait(10), "the broker kept a client that sent a huge packet"
    refused.disconnect()
    refused.loop_stop()
    publish_all(broker.url, [(str(good.topic), oversize), (str(good.topic), good.encode())])
    assert wait_until(lambda: stored_count(hub.db, site_id) == 1, 20), hub.log_tail()
    letters = hub.get("/api/dead-letters", limit=10)
    assert letters["total"] == 1 and letters["items"][0]["payload_size"] == len(oversize)
    assert hub.health()["status"] == "ok"
