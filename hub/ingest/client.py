"""The hub's MQTT client: persistent session (fixed id, clean start off), QoS 1, manual acknowledgements."""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.ingest.packing import Packed
from hub.ingest.paho_internals import ChunkedReadClient
from hub.store.events import DeadLetter
from protocol import SUBSCRIBE_ALL, ContractError
from protocol.envelope import MAX_PACKET_SIZE
from protocol.topics import check_publishable
from tourtrace.broker_settings import BrokerSettings

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600


class InMessage(NamedTuple):
    """A received message that must be acknowledged once stored.

    `conn` numbers the broker connection it arrived on: an acknowledgement is only sent on that same connection
    (after a reconnect the broker redelivers, and a stale packet id could name a different message). `checked` is
    what the receiver process found validating it (hub/ingest/packing.py), None where nobody has yet.
    """

    topic: str
    payload: bytes
    mid: int
    qos: int
    conn: int = 0
    checked: Packed | DeadLetter | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        """Unpickle through tuple.__new__ (C) rather than the Python-level __new__ a NamedTuple has: the hub's relay
        thread unpickles every message the receiver process sends, and that call was half of its time."""
        return (tuple.__new__, (InMessage, tuple(self)))


# Unacknowledged messages the broker may send ahead: twice the writer's largest batch, so the receiver reads and
# validates the next batch while one commits. The hub's memory is bounded by hub/ingest/budget.py, not by this:
# Mosquitto 2.0 sends beyond it once acknowledgements flow.
RECEIVE_MAXIMUM = 20_000
DEFAULT_CLIENT_ID = "tourtrace-hub"


class HubClient:
    """Receives every station's events; nothing is acknowledged until `ack` is called after commit."""

    def __init__(
        self,
        target: BrokerSettings,
        on_message: Callable[[InMessage], None],
        on_fresh_session: Callable[[], object] | None = None,
        on_state: Callable[[bool, str], object] | None = None,
    ) -> None:
        self.target = target
        self._on_fresh_session = on_fresh_session
        self._on_state = on_state
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker has confirmed this connection's subscription (SUBACK)
        self.last_error = ""
        self.connection = 0  # bumped on every successful connect; see InMessage.conn
        self._on_message = on_message
        client = ChunkedReadClient(
            CallbackAPIVersion.VERSION2,
            client_id=target.client_id or DEFAULT_CLIENT_ID,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        if target.username:
            client.username_pw_set(target.username, target.read_password("hub.yaml", "password_file"))
        if target.address.tls:
            client.tls_set(ca_certs=target.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        client.on_subscribe = self._subscribed
        self.client = client
        self._stopping = False

    def _connected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            error = f"broker refused connection: {reason}"
            if str(reason) in ("Not authorized", "Bad user name or password"):
                who = f"user {self.target.username!r}" if self.target.username else "no username"
                error += (
                    f" ({who}): hub.yaml's username and password_file must match the broker's passwd; "
                    "`tourtrace certs init` writes both (DIR/hub/hub.yaml)"
                )
            self._state(False, error)
            log.warning("%s", self.last_error)
            return
        self.connection += 1
        log.info("hub connected to %s (session present: %s)", self.target.url, flags.session_present)
        client.subscribe(SUBSCRIBE_ALL, qos=1)
        self._state(True, "")
        if not flags.session_present and self._on_fresh_session is not None:
            self._on_fresh_session()

    def _subscribed(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        if all(not reason.is_failure for reason in reasons):
            self.subscribed.set()
        else:
            log.error("broker refused the subscription to %s: %s", SUBSCRIBE_ALL, reasons)

    def _disconnected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.subscribed.clear()
        refused = not self.connected.is_set() and self.last_error.startswith("broker refused")
        self._state(False, self.last_error if refused else f"disconnected: {reason}")  # keep saying why
        if not self._stopping:
            log.warning("hub lost the broker: %s", reason)

    def _state(self, connected: bool, error: str) -> None:
        self.last_error = error
        if connected:
            self.connected.set()
        else:
            self.connected.clear()
        if self._on_state is not None:
            self._on_state(connected, error)

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._on_message(InMessage(message.topic, bytes(message.payload), message.mid, message.qos, self.connection))

    def start(self) -> None:
        """Connect in the background with a persistent session."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        props.MaximumPacketSize = MAX_PACKET_SIZE  # a broker not configured by us drops larger ones for the hub
        address = self.target.address
        self.client.connect_async(address.host, address.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

    def ack(self, messages: Iterable[tuple[int, int, int]]) -> int:
        """Acknowledge stored messages given as (mid, qos, connection), in order; return how many were sent.

        Messages that arrived on an earlier connection are skipped: the broker redelivers them on this one.
        A batch of QoS 1 acknowledgements is queued as one write (see paho_internals.py).
        """
        current = [(mid, qos) for mid, qos, conn in messages if conn == self.connection and qos > 0]
        mids = [mid for mid, qos in current if qos == 1]
        if len(mids) < 2 or len(mids) != len(current):
            for mid, qos in current:
                self.client.ack(mid, qos)
            return len(current)
        self.client.queue_pubacks(mids)
        return len(current)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> bool:
        """Publish at QoS 1 (station config, acks); False, and nothing sent, for what the broker would refuse."""
        try:
            check_publishable(topic)
        except ContractError as exc:
            log.error("not publishing on %r: %s", topic, exc)
            return False
        if len(payload) > MAX_PACKET_SIZE - len(topic.encode()) - 16:
            log.error("not publishing %d bytes on %s: over the packet size the broker accepts", len(payload), topic)
            return False
        self.client.publish(topic, payload, qos=1, retain=retain)
        return True

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()
