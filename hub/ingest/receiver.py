"""The hub's MQTT receiver process: paho's network loop on an interpreter (and GIL) of its own.

Receiving is as costly per message as validating and storing it, so both ran at half speed while they shared
one GIL. Here the receiver forwards what arrives to the hub process in batches (whatever accumulated while the
previous batch was being sent: no added delay) and carries out what the hub asks of it: PUBACK what is stored,
publish acks and config. It holds no state worth keeping: if it dies, the broker redelivers what it did not ack.
"""

from __future__ import annotations

import ctypes
import logging
import queue
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from hub.ingest import publish_decode
from hub.ingest.budget import Budget, cost_of
from hub.ingest.client import HubClient, InMessage
from hub.ingest.packing import pack, share
from hub.ingest.validate import classify
from hub.ingest.wire import batch_bytes, control_bytes
from hub.store.events import DeadLetter
from protocol import now_rfc3339
from tourtrace.broker_settings import BrokerSettings
from tourtrace.heap import settle

log = logging.getLogger(__name__)

CONNECTIONS_PER_GENERATION = 1_000_000
FORWARD_BYTES = 32 * 1024 * 1024  # received messages not yet sent to the hub process (hub/ingest/budget.py)
PROCESS_NAME = b"tt-hub-receiver"  # what top and `ps -o comm` show (15 bytes at most)
PR_SET_NAME = 15  # linux/prctl.h


def _set_process_name(name: bytes) -> None:
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, name, 0, 0, 0)
    except (OSError, AttributeError):
        log.debug("cannot name the receiver process")


class Forwarder:
    """Validate everything received and send it to the hub process; one sender thread, batches formed by its own
    latency. Validating here takes that work off the hub's writer, which is the slower of the two; a message that
    is not for ingest (the hub's own acks to stations) is acknowledged here at once."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self.acknowledge: Callable[[list[InMessage]], object] = lambda _messages: None
        self._budget = Budget(FORWARD_BYTES)
        self._send_lock = threading.Lock()
        self._queue: queue.SimpleQueue[InMessage | None] = queue.SimpleQueue()  # None: stop

    def message(self, message: InMessage) -> None:
        """Queue a message from paho's network thread (which waits, and so stops reading, while FORWARD_BYTES are
        queued already)."""
        self._budget.take(cost_of((message,)))
        self._queue.put(message)

    def send(self, item: tuple[Any, ...]) -> bool:
        """Send a control item to the hub; False when the hub process is gone (the main loop then stops)."""
        return self._send_bytes(control_bytes(item))

    def _send_bytes(self, data: bytes) -> bool:
        with self._send_lock:
            try:
                self.pipe.send_bytes(data)
            except OSError:
                return False
        return True

    def run(self) -> None:
        """Forward queued messages until closed; stop quietly when the hub process is gone."""
        while True:
            batch = [self._queue.get()]
            try:
                while True:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            closed = batch[-1] is None
            received = [message for message in batch if message is not None]
            messages = self._check(received)
            sent = not messages or self._send_bytes(batch_bytes(messages))
            self._budget.give(cost_of(received))
            if not sent:  # the hub process is gone: paho's thread must not wait for room that never comes
                self._budget.close()
            if closed or not sent:
                return

    def _check(self, messages: list[InMessage]) -> list[InMessage]:
        """Return the messages for ingest, each with what validating it found; acknowledge the others."""
        received_at = now_rfc3339()
        checked: list[InMessage] = []
        ignored: list[InMessage] = []
        for topic, payload, mid, qos, conn, _ in messages:
            topic = share(topic)
            item = classify(topic, payload, received_at)
            if item is None:
                ignored.append(InMessage(topic, payload, mid, qos, conn))
            else:
                found = item if isinstance(item, DeadLetter) else pack(item)
                checked.append(InMessage(topic, payload, mid, qos, conn, found))
        if ignored:
            self.acknowledge(ignored)
        return checked

    def close(self) -> None:
        """Stop forwarding; a paho thread waiting for room goes on (what it queues is never sent nor acknowledged,
        so the broker delivers it again)."""
        self._budget.close()
        self._queue.put(None)


def serve(pipe: Connection, target: BrokerSettings, generation: int, log_level: int) -> None:
    """Run the receiver until the hub says stop or its end of the pipe closes (the hub exited or was killed).

    `generation` counts receivers started by this hub process; it keeps connection numbers unique across them.
    """
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _set_process_name(PROCESS_NAME)
    if not publish_decode.install():
        log.info("paho's PUBLISH decoder is not the one publish_decode knows; receiving with it unchanged")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the hub process orders the shutdown
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    forwarder = Forwarder(pipe)
    client = HubClient(
        target,
        on_message=forwarder.message,
        on_fresh_session=lambda: forwarder.send(("fresh",)),
        on_state=lambda connected, error: forwarder.send(("state", connected, error)),
    )
    client.connection = generation * CONNECTIONS_PER_GENERATION
    settle()
    forwarder.acknowledge = lambda messages: client.ack([(m.mid, m.qos, m.conn) for m in messages])
    sender = threading.Thread(target=forwarder.run, name="forward", daemon=True)
    sender.start()
    client.start()
    try:
        while True:
            command = pipe.recv()
            if command[0] == "ack":
                client.ack(command[1])
            elif command[0] == "publish":
                client.publish(command[1], command[2], retain=command[3])
            elif command[0] == "stop":
                break
    except (EOFError, OSError):
        log.warning("the hub process went away; the receiver stops")
    finally:
        forwarder.close()  # first: paho's thread may be waiting for room, and stop() waits for paho's thread
        client.stop()
