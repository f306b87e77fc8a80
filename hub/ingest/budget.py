"""A bound on what is held between a producer and a consumer thread, so a flood cannot exhaust the hub's memory.

The broker is asked to keep at most RECEIVE_MAXIMUM messages unacknowledged, but Mosquitto 2.0 overshoots that
quota once acknowledgements flow (a queued backlog of 30,000 arrived all at once in bench/ingest.py). So each hand-
over point holds a budget instead: the receiver's paho thread waits before queueing more than its share (and so
stops reading the socket: TCP holds the rest at the broker), and so does the hub's relay thread before queueing more
for the writer. Nothing is dropped; the broker keeps what was not read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from hub.ingest.client import InMessage

MESSAGE_OVERHEAD = 1024  # bytes a queued message costs beyond its payload (its Python objects)


class Budget:
    """Bytes taken by items in flight; `take` waits while the budget is spent (an item larger than the whole budget
    passes alone)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self._closed = False
        self._freed = threading.Condition()

    @property
    def used(self) -> int:
        return self._used

    def take(self, cost: int) -> None:
        """Wait until `cost` fits, then take it; once closed, return at once."""
        with self._freed:
            while self._used and self._used + cost > self.limit and not self._closed:
                self._freed.wait()
            self._used += cost

    def close(self) -> None:
        """Stop waiting for good: the consumer is gone (what is taken now is dropped, and never acknowledged)."""
        with self._freed:
            self._closed = True
            self._freed.notify_all()

    def give(self, cost: int) -> None:
        """Return what an item took once it has been handed on."""
        with self._freed:
            self._used -= cost
            self._freed.notify_all()


def cost_of(messages: Sequence[InMessage]) -> int:
    """Return what these messages take of a budget."""
    return sum(len(message.payload) for message in messages) + MESSAGE_OVERHEAD * len(messages)
