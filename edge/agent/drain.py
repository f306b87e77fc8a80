"""Move events from the outbox to the broker, oldest first; an event is deleted only on the hub's ack."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt

from edge.agent.outbox import Outbox
from edge.agent.session import MqttSession

log = logging.getLogger(__name__)

STALE_SENT_S = 600.0  # a hub ack that never came (lost while we were offline): publish again after this


class Drainer:
    """Keeps up to `window` events in flight; rows whose PUBACK came are marked sent here, in batches.

    PUBACKs are read from each publish's MQTTMessageInfo rather than matched by mid in the callback: the
    callback can run before publish() returns the mid, and statuses share the mid space.
    """

    def __init__(
        self, outbox: Outbox, session: MqttSession, window: int = 500, on_drained: Callable[[], None] | None = None
    ) -> None:
        self.outbox = outbox
        self.on_drained = on_drained  # called when the hub's acks empty the outbox (fresh status for the fleet)
        self.session = session
        self.window = window
        self._lock = threading.Lock()
        self._inflight: dict[int, mqtt.MQTTMessageInfo] = {}  # outbox rowid -> its publish
        self._hub_acked: list[str] = []
        self._resend_all = threading.Event()
        self._wake = threading.Event()
        self._last_stale_check = time.monotonic()

    def wake(self) -> None:
        """Tell the drainer there is something new to send or to record."""
        self._wake.set()

    def on_connected(self) -> None:
        """After a (re)connect, publish again everything the hub has not acknowledged (the broker may have lost it)."""
        self._resend_all.set()
        self._wake.set()

    def on_acked(self, mid: int) -> None:
        """A PUBACK came (paho's network thread): wake up to record it."""
        self._wake.set()

    def on_hub_ack(self, event_ids: tuple[str, ...], resend: bool = False) -> None:
        """Record the hub's acknowledgement of stored events (called on paho's network thread)."""
        with self._lock:
            self._hub_acked.extend(event_ids)
        if resend:
            self._resend_all.set()
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Loop until stop is set: record acks, hand unsent rows to paho while connected."""
        while not stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                self._record_acks()
                if self.session.connected.is_set():
                    self._requeue()
                    self._send_more()
            except Exception:
                log.exception("drain step failed; retrying")
                stop.wait(1.0)
        self._record_acks()

    def _broker_acked(self) -> list[int]:
        """Take the rows whose publish was acknowledged; forget publishes paho refused (they stay unsent)."""
        done = []
        for rowid, info in list(self._inflight.items()):
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                del self._inflight[rowid]
            elif info.is_published():
                del self._inflight[rowid]
                done.append(rowid)
        return done

    def _record_acks(self) -> None:
        with self._lock:
            hub_acked, self._hub_acked = self._hub_acked, []
        try:
            self.outbox.mark_sent(self._broker_acked())
            deleted = self.outbox.delete_ids(hub_acked)
        except sqlite3.Error:
            with self._lock:  # keep the hub's acks for the next try (a full disk may come back)
                self._hub_acked[:0] = hub_acked
            raise
        if deleted and self.on_drained is not None and self.outbox.stats().depth == 0:
            self.on_drained()

    def _requeue(self) -> None:
        if self._resend_all.is_set():
            self._resend_all.clear()
            self.outbox.resend()
        elif time.monotonic() - self._last_stale_check > 60:
            self._last_stale_check = time.monotonic()
            self.outbox.resend(sent_before=time.time() - STALE_SENT_S)

    def _send_more(self) -> None:
        room = self.window - len(self._inflight)
        if room <= 0:
            return
        for item in self.outbox.unsent(room, skip=set(self._inflight)):
            self._inflight[item.rowid] = self.session.publish(item.topic, item.payload)
