"""Move events from the outbox to the broker, oldest first; an event is deleted only on the hub's ack."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from edge.agent.outbox import Outbox
from edge.agent.session import MqttSession

log = logging.getLogger(__name__)

STALE_SENT_S = 600.0  # a hub ack that never came (lost while we were offline): publish again after this


class Drainer:
    """Keeps up to `window` events in flight; PUBACKs (paho's thread) mark rows sent, in batches here."""

    def __init__(
        self, outbox: Outbox, session: MqttSession, window: int = 500, on_drained: Callable[[], None] | None = None
    ) -> None:
        self.outbox = outbox
        self.on_drained = on_drained  # called when the hub's acks empty the outbox (fresh status for the fleet)
        self.session = session
        self.window = window
        self._lock = threading.Lock()
        self._inflight: dict[int, int] = {}  # mid -> outbox rowid
        self._early: set[int] = set()  # PUBACKs that beat publish() returning its mid
        self._sent: list[int] = []
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
        """Record a broker PUBACK (called on paho's network thread)."""
        with self._lock:
            rowid = self._inflight.pop(mid, None)
            if rowid is None:
                self._early.add(mid)
            else:
                self._sent.append(rowid)
        self._wake.set()

    def on_hub_ack(self, event_ids: tuple[str, ...], resend: bool = False) -> None:
        """Record the hub's acknowledgement of stored events (called on paho's network thread)."""
        with self._lock:
            self._hub_acked.extend(event_ids)
        if resend:
            self._resend_all.set()
        self._wake.set()

    def in_flight(self) -> int:
        with self._lock:
            return len(self._inflight)

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

    def _record_acks(self) -> None:
        with self._lock:
            sent, self._sent = self._sent, []
            hub_acked, self._hub_acked = self._hub_acked, []
        self.outbox.mark_sent(sent)
        if self.outbox.delete_ids(hub_acked) and self.on_drained is not None and self.outbox.stats().depth == 0:
            self.on_drained()

    def _requeue(self) -> None:
        if self._resend_all.is_set():
            self._resend_all.clear()
            self.outbox.resend()
        elif time.monotonic() - self._last_stale_check > 60:
            self._last_stale_check = time.monotonic()
            self.outbox.resend(sent_before=time.time() - STALE_SENT_S)

    def _send_more(self) -> None:
        with self._lock:
            room = self.window - len(self._inflight)
            busy = set(self._inflight.values())
        if room <= 0:
            return
        for item in self.outbox.unsent(room, skip=busy):
            mid = self.session.publish(item.topic, item.payload)
            with self._lock:
                if mid in self._early:
                    self._early.discard(mid)
                    self._sent.append(item.rowid)
                else:
                    self._inflight[mid] = item.rowid
