"""The hub's chunked-read paho client receives every message intact, in order, across chunks and reconnects."""

from __future__ import annotations

import threading

from firmware_config.local_broker import LocalBroker
from hub.ingest.client import HubClient, InMessage
from hub.ingest.paho_internals import CHUNK
from tests.reliability.harness import wait_until
from tests.reliability.mqtt_tools import publish_all
from tourtrace.broker_settings import BrokerSettings


def _payloads(count: int) -> list[bytes]:
    """Mostly small payloads, with some that span several chunks and some whose length needs 3 length bytes."""
    sizes = [40 + (n * 37) % 600 for n in range(count)]
    for n in range(0, count, 97):
        sizes[n] = CHUNK + 500 + n  # longer than a chunk: always crosses a boundary (and under max_packet_size)
    for n in range(13, count, 101):
        sizes[n] = 20_000 + n  # a 3-byte remaining length
    return [f"{n:06d}:".encode() + bytes([65 + n % 26]) * size for n, size in enumerate(sizes)]


def _receive_with_hub_client(broker: LocalBroker, client_id: str) -> tuple[HubClient, list[InMessage]]:
    received: list[InMessage] = []
    lock = threading.Lock()

    def on_message(message: InMessage) -> None:
        with lock:
            received.append(message)

    client = HubClient(BrokerSettings(url=broker.url, client_id=client_id), on_message=on_message)
    client.start()
    assert client.subscribed.wait(10)
    return client, received


def test_every_message_arrives_intact_and_in_order_across_chunks(broker: LocalBroker, site_id: str) -> None:
    payloads = _payloads(1200)
    client, received = _receive_with_hub_client(broker, f"hub-{site_id}")
    try:
        topic = f"tourtrace/v1/{site_id}/gate-1/tap"
        publish_all(broker.url, [(topic, payload) for payload in payloads])
        assert wait_until(lambda: len(received) >= len(payloads), 30), f"{len(received)} of {len(payloads)}"
        assert [m.payload for m in received] == payloads
        assert sum(len(p) for p in payloads) > 20 * CHUNK  # the test really spans many chunks
    finally:
        client.stop()


def test_bytes_of_a_lost_connection_are_not_parsed_into_the_next(broker: LocalBroker, site_id: str) -> None:
    client, received = _receive_with_hub_client(broker, f"hub-{site_id}")
    topic = f"tourtrace/v1/{site_id}/gate-1/tap"
    try:
        publish_all(broker.url, [(topic, payload) for payload in _payloads(300)])
        broker.stop()  # mid-stream or after it: whatever was half read belongs to the old connection
        assert wait_until(lambda: not client.connected.is_set(), 10)
        broker.start()
        assert wait_until(client.subscribed.is_set, 30)
        after = [f"after:{n}".encode() for n in range(50)]
        publish_all(broker.url, [(topic, payload) for payload in after])
        assert wait_until(lambda: [m.payload for m in received][-50:] == after, 20)
        assert client.connection == 2
        assert all(m.payload.startswith((b"after:", b"0")) for m in received)  # nothing garbled
    finally:
        client.stop()
