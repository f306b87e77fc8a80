"""Move events from the outbox to the broker, oldest first; delete each only after its PUBACK."""

from __future__ import annotations

import logging
import threading

from edge.agent.outbox import Outbox
from edge.agent.session import MqttSession

log = logging.getLogger(__name__)


class Drainer:
    """Keeps up to `window` events in flight; PUBACKs arrive on paho's thread and are deleted here in batches."""

    def __init__(self, outbox: Outbox, session: MqttSession, window: int = 500) -> None:
        self.outbox = outbox
        self.session = session
        self.window = window
        self._lock = threading.Lock()
        self._inflight: dict[int, int] = {}  # mid -> outbox rowid
        self._early: set[int] = set()  # PUBACKs that beat publish() returning its mid
        self._acked: list[int] = []
        self._last_rowid = 0
        self._wake = threading.Event()

    def wake(self) -> None:
        """Tell the drainer there is something new to send or to delete."""
        self._wake.set()

    def on_acked(self, mid: int) -> None:
        """Record a PUBACK (called on paho's network thread)."""
        with self._lock:
            rowid = self._inflight.pop(mid, None)
            if rowid is None:
                self._early.add(mid)
            else:
                self._acked.append(rowid)
        self._wake.set()

    def in_flight(self) -> int:
        with self._lock:
            return len(self._inflight)

    def run(self, stop: threading.Event) -> None:
        """Loop until stop is set: delete acknowledged rows, hand new rows to paho while connected."""
        while not stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                self._delete_acked()
                if self.session.connected.is_set():
                    self._send_more()
            except Exception:
                log.exception("drain step failed; retrying")
                stop.wait(1.0)
        self._delete_acked()

    def _delete_acked(self) -> None:
        with self._lock:
            acked, self._acked = self._acked, []
        self.outbox.delete(acked)

    def _send_more(self) -> None:
        room = self.window - self.in_flight()
        if room <= 0:
            return
        for item in self.outbox.pending(room, after_rowid=self._last_rowid):
            mid = self.session.publish(item.topic, item.payload)
            self._last_rowid = item.rowid
            with self._lock:
                if mid in self._early:
                    self._early.discard(mid)
                    self._acked.append(item.rowid)
                else:
                    self._inflight[mid] = item.rowid
