"""Plain paho-mqtt publishers and subscribers (no TourTrace code) for replaying and observing traffic."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

_ids = itertools.count()


def connect(url: str, timeout_s: float = 10.0, client_id: str = "") -> mqtt.Client:
    """Return a connected MQTT 3.1.1 client with its network loop running."""
    parts = urlsplit(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"plain-{next(_ids)}")
    client.max_inflight_messages_set(1000)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, reason, p: connected.set() if not reason.is_failure else None
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    if not connected.wait(timeout_s):
        client.loop_stop()
        raise AssertionError(f"plain MQTT client could not connect to {url}")
    return client


def publish_all(url: str, messages: Iterable[tuple[str, bytes]], timeout_s: float = 60.0) -> int:
    """Publish messages at QoS 1 from a fresh client, wait for every PUBACK and return how many were sent."""
    client = connect(url)
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(timeout_s)
            if not info.is_published():
                raise AssertionError(f"no PUBACK for mid {info.mid} within {timeout_s}s")
        return len(infos)
    finally:
        client.disconnect()
        client.loop_stop()


@dataclass
class Capture:
    """Every message received on a topic filter, with a condition to wait on."""

    url: str
    topic_filter: str
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    client: Any = None

    def start(self) -> Capture:
        subscribed = threading.Event()
        self.client = connect(self.url)
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.subscribe(self.topic_filter, qos=1)
        if not subscribed.wait(10):
            raise AssertionError(f"could not subscribe to {self.topic_filter}")
        return self

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.changed:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[list[tuple[str, bytes, bool]]], bool], timeout_s: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.messages), timeout_s)

    def stop(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()
