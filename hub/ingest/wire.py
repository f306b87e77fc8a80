"""What the receiver process sends the hub process over their pipe: batches of messages, and control items.

A batch travels as one pickled blob with its message count in front. The hub's relay thread only reads it off the
pipe (without holding the GIL) and queues it; the writer thread unpickles it when it takes the batch. Unpickling on
the relay thread made the two threads hand the GIL back and forth at every SQLite step of the writer's.
"""

from __future__ import annotations

import pickle
from typing import Any, NamedTuple

from hub.ingest.budget import MESSAGE_OVERHEAD
from hub.ingest.client import InMessage

_MESSAGES = b"M"
_CONTROL = b"C"


class Batch(NamedTuple):
    """Received messages as the receiver pickled them."""

    size: int  # messages in it
    blob: bytes

    @property
    def cost(self) -> int:
        """What the batch takes of a budget (hub/ingest/budget.py)."""
        return len(self.blob) + MESSAGE_OVERHEAD * self.size

    def messages(self) -> list[InMessage]:
        """Unpickle the messages (only ever from the hub's own receiver process)."""
        messages: list[InMessage] = pickle.loads(memoryview(self.blob)[5:])
        return messages


def batch_bytes(messages: list[InMessage]) -> bytes:
    """Return the bytes that carry a batch of messages."""
    return _MESSAGES + len(messages).to_bytes(4, "big") + pickle.dumps(messages, pickle.HIGHEST_PROTOCOL)


def control_bytes(item: tuple[Any, ...]) -> bytes:
    """Return the bytes that carry a control item (("state", connected, error) or ("fresh",))."""
    return _CONTROL + pickle.dumps(item, pickle.HIGHEST_PROTOCOL)


def read(data: bytes) -> Batch | tuple[Any, ...]:
    """Return what the receiver sent: a batch (still pickled) or a control item."""
    if data[:1] == _MESSAGES:
        return Batch(int.from_bytes(data[1:5], "big"), data)
    item: tuple[Any, ...] = pickle.loads(memoryview(data)[1:])
    return item
