"""The hub process's end of the receiver process (hub/ingest/receiver.py): start it, keep it running, talk to it.

It offers what the rest of the hub needs from an MQTT client (`connected`, `last_error`, `ack`, `publish`,
`start`, `stop`). Received messages arrive in batches on `on_messages`, still pickled (hub/ingest/wire.py). A
receiver that dies is started again with a growing pause; the broker redelivers whatever it had not acknowledged.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from hub.ingest.client import InMessage
from hub.ingest.receiver import serve
from hub.ingest.wire import Batch, read
from protocol import ContractError
from protocol.topics import check_publishable
from tourtrace.broker_settings import BrokerSettings

log = logging.getLogger(__name__)

RESTART_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class ReceiverLink:
    """Runs the receiver process and relays between it and the hub."""

    def __init__(
        self,
        target: BrokerSettings,
        on_messages: Callable[[Batch], None],
        on_fresh_session: Callable[[], None] | None = None,
    ) -> None:
        self.target = target
        self.connected = threading.Event()
        self.last_error = ""
        self.restarts = 0
        self._on_messages = on_messages
        self._on_fresh_session = on_fresh_session
        self._context = multiprocessing.get_context("spawn")  # the hub has threads: never fork it
        self._send_lock = threading.Lock()
        self._stopping = threading.Event()
        self._pipe: Connection | None = None
        self._process: BaseProcess | None = None
        self._relay: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        """Whether the relay thread runs (it restarts a dead receiver itself)."""
        return self._relay is not None and self._relay.is_alive()

    def start(self) -> None:
        """Start the receiver process and the thread relaying its messages."""
        self._spawn()
        self._relay = threading.Thread(target=self._run, name="receiver-relay", daemon=True)
        self._relay.start()

    def _spawn(self) -> None:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve, args=(theirs, self.target, self.restarts, logging.getLogger().getEffectiveLevel()),
            name="tourtrace-hub-receiver", daemon=True,
        )  # fmt: skip
        process.start()
        theirs.close()
        with self._send_lock:
            if self._pipe is not None:
                self._pipe.close()
            self._pipe, self._process = ours, process

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            pipe = self._pipe
            assert pipe is not None
            try:
                while True:
                    self._dispatch(read(pipe.recv_bytes()))
                    failures = 0
            except (EOFError, OSError):
                pass
            if self._stopping.is_set():
                return
            self.connected.clear()
            code = None
            if self._process is not None:
                self._process.join(1.0)
                code = self._process.exitcode
            delay = RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S) - 1)]
            self.last_error = f"receiver process exited (code {code}); restarting in {delay:g}s"
            log.error("%s", self.last_error)
            failures += 1
            if self._stopping.wait(delay):
                return
            self.restarts += 1
            self._spawn()

    def _dispatch(self, item: Batch | tuple[Any, ...]) -> None:
        if isinstance(item, Batch):
            self._on_messages(item)
            return
        kind = item[0]
        if kind == "state":
            self.last_error = item[2]
            if item[1]:
                self.connected.set()
            else:
                self.connected.clear()
        elif kind == "fresh" and self._on_fresh_session is not None:
            self._on_fresh_session()

    def _send(self, item: tuple[Any, ...]) -> None:
        """Send to the receiver; if it is gone, drop the item (the relay thread restarts it, the broker redelivers)."""
        with self._send_lock:
            if self._pipe is None:
                return
            try:
                self._pipe.send(item)
            except OSError:
                log.debug("receiver gone; dropped %s", item[0])

    def ack(self, messages: Sequence[InMessage]) -> None:
        """Acknowledge stored messages to the broker (on the connection each arrived on)."""
        if messages:
            self._send(("ack", [(m.mid, m.qos, m.conn) for m in messages]))  # (mid, qos, conn): see HubClient.ack

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> bool:
        """Publish at QoS 1 through the receiver's connection; False (nothing sent) for a topic that is not v1."""
        try:
            check_publishable(topic)
        except ContractError as exc:
            log.error("not publishing on %r: %s", topic, exc)
            return False
        self._send(("publish", topic, payload, retain))
        return True

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the receiver to disconnect (the broker keeps the session) and wait for it to exit."""
        self._stopping.set()
        self._send(("stop",))
        if self._process is not None:
            self._process.join(timeout_s)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(1)
        if self._pipe is not None:
            self._pipe.close()
        self.connected.clear()
