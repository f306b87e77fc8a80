"""The station's MQTT session: paho-mqtt v2 over MQTT 5, QoS 1, last will, reconnect with backoff.

Two agents with one identity take the session from each other in turn: a broker that says so sends "Session
taken over" (MQTT 5); one that just closes the socket (Mosquitto 2.0.11) drops a freshly accepted session again
and again, which is told apart from a network fault by happening twice in a row within seconds of the CONNACK.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.agent.config import BrokerSettings, ConfigError

log = logging.getLogger(__name__)

REFUSED_CREDENTIALS = {"Not authorized", "Bad user name or password"}
TAKEN_OVER = "Session taken over"
QUICK_DROP_S = 15.0  # a session the broker closes this soon after accepting it, twice in a row, was taken over


class MqttSession:
    """Owns the paho client; reports connects and PUBACKs through callbacks, never raises on network errors."""

    def __init__(
        self,
        settings: BrokerSettings,
        client_id: str,
        will: Callable[[], tuple[str, bytes]],
        on_connected: Callable[[], None],
        on_acked: Callable[[int], None],
        on_message: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.settings = settings
        self.connected = threading.Event()
        self._will = will
        self._on_connected = on_connected
        self._on_acked = on_acked
        self._on_message = on_message
        self.subscriptions: list[str] = []
        self.client_id = client_id
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(100)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        if settings.username:
            client.username_pw_set(settings.username, settings.read_password())
        if settings.address.tls:
            try:
                client.tls_set(ca_certs=settings.ca_file, cert_reqs=ssl.CERT_REQUIRED)
            except (OSError, ssl.SSLError) as exc:
                why = getattr(exc, "strerror", None) or exc
                raise ConfigError("station.yaml", [f"broker.ca_file: cannot load {settings.ca_file}: {why}"]) from None
        client.on_pre_connect = self._pre_connect
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_publish = self._published
        client.on_message = self._message
        self.client = client
        self.last_error = ""
        self._stopping = False
        self._connected_at = 0.0
        self._quick_drops = 0

    def _pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        topic, payload = self._will()
        client.will_set(topic, payload, qos=1, retain=True)

    def _connected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.last_error = f"broker refused connection: {reason}"
            if str(reason) in REFUSED_CREDENTIALS:
                self.last_error += (
                    f" (user {self.settings.username!r}, password from {self.settings.password_file}): "
                    "check with `tourtrace doctor`; on the hub, `tourtrace station add … --rotate` issues a new "
                    "password to copy here"
                )
            log.warning("%s", self.last_error)
            return
        self.last_error = ""
        self._connected_at = time.monotonic()
        log.info("connected to %s", self.settings.url)
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)
        self.connected.set()
        self._on_connected()

    def _disconnected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self.connected.is_set() and not self._stopping:
            quick = time.monotonic() - self._connected_at < QUICK_DROP_S
            self._quick_drops = self._quick_drops + 1 if quick else 0
        if str(reason) == TAKEN_OVER:
            self.last_error = (
                f"another agent connected with this station's identity (client id {self.client_id}) and took "
                "the session over: run one agent per station, each with its own station.yaml"
            )
            log.error("%s", self.last_error)
        elif self._quick_drops >= 2:
            self.last_error = (
                "the broker dropped this session twice right after accepting it: most likely another agent runs "
                f"with this station's identity (client id {self.client_id}) and they take the session from each "
                "other; run one agent per station, each with its own station.yaml"
            )
            log.error("%s", self.last_error)
        elif self.connected.is_set() and not self._stopping:
            log.warning("disconnected from %s: %s", self.settings.url, reason)
        self.connected.clear()

    def _published(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        self._on_acked(mid)

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._on_message is not None:
            self._on_message(message.topic, bytes(message.payload))

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting with backoff."""
        address = self.settings.address
        self.client.connect_async(address.host, address.port, keepalive=self.settings.keepalive_s, clean_start=True)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Hand a QoS 1 message to paho (which resends it after a reconnect); the info tells when it is PUBACKed."""
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def stop(self, final: tuple[str, bytes] | None = None) -> None:
        """Publish a final retained message if connected, then disconnect cleanly."""
        self._stopping = True
        if final is not None and self.connected.is_set():
            info = self.client.publish(final[0], final[1], qos=1, retain=True)
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()
