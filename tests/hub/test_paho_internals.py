"""Fails if paho changes the internals hub/ingest/paho_internals.py relies on."""

from __future__ import annotations

import inspect
import struct

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK
from paho.mqtt.enums import CallbackAPIVersion

from hub.ingest.paho_internals import RELIED_ON, ChunkedReadClient
from tests.pinned import assert_installed_within_pin


def test_paho_is_inside_the_pinned_range() -> None:
    assert_installed_within_pin("paho-mqtt")


def test_the_private_members_still_exist_with_the_signatures_used() -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    for name in RELIED_ON:
        assert hasattr(client, name), f"paho.mqtt.client.Client.{name} is gone"
    assert client._sock is None  # noqa: SLF001 (None until connected: loop_read's guard depends on it)
    assert list(inspect.signature(mqtt.Client._sock_recv).parameters) == ["self", "bufsize"]  # noqa: SLF001
    queue = inspect.signature(mqtt.Client._packet_queue).parameters  # noqa: SLF001
    assert list(queue)[:5] == ["self", "command", "packet", "mid", "qos"]
    loop_read = inspect.signature(mqtt.Client.loop_read).parameters
    assert list(loop_read) == ["self", "max_packets"]


def test_batched_pubacks_are_the_bytes_paho_would_send_one_by_one() -> None:
    batched = ChunkedReadClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    batched.queue_pubacks([1, 2, 65535])
    single = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    for mid in (1, 2, 65535):
        single.ack(mid, 1)
    queued_batch = b"".join(p["packet"] for p in batched._out_packet)  # noqa: SLF001
    queued_single = b"".join(p["packet"] for p in single._out_packet)  # noqa: SLF001
    assert queued_batch == queued_single == b"".join(struct.pack("!BBH", PUBACK, 2, m) for m in (1, 2, 65535))
