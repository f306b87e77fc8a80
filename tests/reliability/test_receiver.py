"""The hub's MQTT receiver runs in a process of its own: killing it loses nothing, and it dies with the hub."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from bench.common import envelopes
from firmware_config.local_broker import LocalBroker
from hub.ingest.client import HubClient, InMessage
from tests.reliability.harness import HubProcess, assert_exactly_once, stored_count, wait_until
from tests.reliability.mqtt_tools import publish_all
from tourtrace.broker_settings import BrokerSettings


def receiver_pid(hub_pid: int) -> int | None:
    """Return the pid of the hub's receiver process (a spawned child, not multiprocessing's resource tracker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == hub_pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            return int(entry.name)
    return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_receiver_is_restarted_and_every_message_is_stored_once(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess]
) -> None:
    hub = start_hub()
    assert hub.process is not None
    first = receiver_pid(hub.process.pid)
    assert first is not None
    assert Path(f"/proc/{first}/comm").read_text().strip() == "tt-hub-receiver"
    messages = envelopes(site_id, 3000)
    publish_all(broker.url, messages[:1500])
    assert wait_until(lambda: stored_count(hub.db, site_id) > 0, 20)
    os.kill(first, signal.SIGKILL)
    publish_all(broker.url, messages[1500:])
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 3000, 60), hub.log_tail()
    assert_exactly_once(hub.db, site_id, {"gate-0": 1000, "gate-1": 1000, "gate-2": 1000})
    second = receiver_pid(hub.process.pid)
    assert second is not None and second != first
    assert wait_until(lambda: hub.health()["broker"]["connected"], 10)
    assert hub.health()["broker"]["receiver_restarts"] == 1
    metrics = hub.get_text("/metrics")
    assert "tourtrace_receiver_restarts_total 1.0" in metrics and "tourtrace_broker_connected 1.0" in metrics
    assert "receiver process exited (code -9)" in hub.log_tail()


def test_the_receiver_goes_with_a_killed_hub_and_a_new_hub_takes_over(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess]
) -> None:
    hub = start_hub()
    assert hub.process is not None
    receiver = receiver_pid(hub.process.pid)
    assert receiver is not None
    hub.kill()
    assert wait_until(lambda: not alive(receiver), 5), "the receiver outlived its hub"
    publish_all(broker.url, envelopes(site_id, 300))
    hub.start()
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 300, 30), hub.log_tail()
    assert stored_count(hub.db, site_id) == 300


def test_an_ack_is_sent_only_on_the_connection_its_message_arrived_on(broker: LocalBroker, site_id: str) -> None:
    received: list[InMessage] = []
    arrived = threading.Event()

    def on_message(message: InMessage) -> None:
        received.append(message)
        arrived.set()

    client = HubClient(BrokerSettings(url=broker.url, client_id=f"hub-{site_id}"), on_message=on_message)
    client.start()
    try:
        assert client.subscribed.wait(10)
        publish_all(broker.url, envelopes(site_id, 1))
        assert arrived.wait(10)
        message = received[0]
        assert message.conn == client.connection == 1
        assert client.ack([(message.mid, message.qos, message.conn - 1)]) == 0
        assert client.ack([(message.mid, message.qos, message.conn)]) == 1
    finally:
        client.stop()
