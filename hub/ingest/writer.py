"""Group-commit ingest: validate a few milliseconds' worth of messages, commit them, then acknowledge them."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.ingest.budget import Budget, cost_of
from hub.ingest.client import InMessage
from hub.ingest.packing import unpack
from hub.ingest.validate import classify
from hub.ingest.wire import Batch
from hub.rules.visits import rebuild_badges, station_rules
from hub.store.db import open_database
from hub.store.events import (
    BatchResult,
    DeadLetter,
    insert_dead_letters,
    insert_events,
    merge_results,
    record_event_counts,
)
from hub.store.stations import record_status, touch_station
from hub.store.tx import transaction
from hub.store.visitors import record_badge_activity
from protocol import Envelope, StatusData, TapData, now_rfc3339, to_epoch

log = logging.getLogger(__name__)

INBOX_BYTES = 64 * 1024 * 1024  # received messages queued for the writer (hub/ingest/budget.py)

SigCheck = Callable[[Envelope], str | None]  # a tap's badge finding (hub.store.events.SIG_FINDINGS), None: no key
Deriver = Callable[[sqlite3.Connection, BatchResult], None]
AfterCommit = Callable[[BatchResult], None]


def is_environmental(exc: BaseException) -> bool:
    """Tell a failure of the database itself (locked, read-only, disk full, I/O), which is retried with the same
    batch, from one caused by a message's content, which only that message pays for."""
    return type(exc) in (sqlite3.OperationalError, sqlite3.DatabaseError, MemoryError)


@dataclass
class IngestStats:
    """Counters the health endpoint and metrics read."""

    batches: int = 0
    messages: int = 0
    last_lag_s: float = 0.0
    last_error: str = ""
    retries: int = 0
    queue_depth: Callable[[], int] = field(default=lambda: 0)


class IngestWriter:
    """Owns the write connection; a message is acknowledged only after the transaction holding it commits."""

    def __init__(
        self,
        db_path: str,
        ack: Callable[[list[InMessage]], None],
        default_tap_mode: str = "toggle",
        default_dwell_timeout_s: int = 3600,
        sig_check: SigCheck | None = None,
        max_batch: int = 10_000,  # half the receive maximum: the receiver fills the other half meanwhile
        max_wait_s: float = 0.005,
    ) -> None:
        self.db_path = db_path
        self.ack = ack
        self.default_tap_mode = default_tap_mode
        self.default_dwell_timeout_s = default_dwell_timeout_s
        self.sig_check = sig_check
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.inbox: queue.Queue[list[InMessage] | Batch] = queue.Queue()  # batches as the receiver forwarded them
        self._queued = 0  # messages in inbox and _leftover
        self._queued_lock = threading.Lock()
        self._leftover: list[InMessage] = []  # the part of a forwarded batch beyond max_batch
        self._budget = Budget(INBOX_BYTES)
        self.derivers: list[Deriver] = []  # run inside the batch transaction: derived data commits with events
        self.after_commit: list[AfterCommit] = []  # side effects once the batch is durable
        self.stats = IngestStats(queue_depth=lambda: self._queued)
        self.conn = open_database(db_path)
        self._closed = False  # see _reopen

    def submit(self, received: list[InMessage] | Batch) -> None:
        """Queue received messages (a batch as the receiver process pickled it, from the relay thread); wait while
        INBOX_BYTES are queued already."""
        if isinstance(received, Batch):
            count, cost = received.size, received.cost
        else:
            count, cost = len(received), cost_of(received)
        self._budget.take(cost)
        with self._queued_lock:
            self._queued += count
        self.inbox.put(received)

    def _take(self, timeout: float | None) -> list[InMessage]:
        """Return the next queued messages (unpickled here, on the writer thread); raise queue.Empty."""
        received = self.inbox.get(timeout=timeout) if timeout is None or timeout > 0 else self.inbox.get_nowait()
        if isinstance(received, Batch):
            self._budget.give(received.cost)
            return received.messages()
        self._budget.give(cost_of(received))
        return received

    def _collect(self) -> list[InMessage]:
        """Return up to max_batch messages: what is queued now plus what arrives within max_wait_s."""
        batch, self._leftover = self._leftover, []
        if not batch:
            try:
                batch = self._take(0.2)
            except queue.Empty:
                return []
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch:
            try:
                batch = batch + self._take(deadline - time.monotonic())
            except queue.Empty:
                break
        batch, self._leftover = batch[: self.max_batch], batch[self.max_batch :]
        with self._queued_lock:
            self._queued -= len(batch)
        return batch

    def store(self, batch: list[InMessage]) -> BatchResult:
        """Store one batch in a single transaction; raise sqlite3.Error (nothing committed) when it cannot."""
        if self._closed:
            self.conn = open_database(self.db_path)
            self._closed = False
        received_at = now_rfc3339()
        result = BatchResult()
        dead: list[DeadLetter] = []
        heard: dict[tuple[str, str], Envelope] = {}  # the latest tap/note of each station in this batch
        events: list[tuple[Envelope, str | None, str | None]] = []
        with transaction(self.conn):
            for message in batch:
                checked = message.checked
                if checked is None:  # not validated by the receiver process
                    item = classify(message.topic, message.payload, received_at)
                    if item is None:
                        continue
                else:
                    item = checked if isinstance(checked, DeadLetter) else unpack(checked)
                if isinstance(item, DeadLetter):
                    dead.append(item)
                    continue
                finding = self.sig_check(item) if self.sig_check and isinstance(item.data, TapData) else None
                events.append((item, finding, message.payload.decode("utf-8")))
                if isinstance(item.data, StatusData):
                    record_status(self.conn, item, received_at)
                elif item.kind in ("tap", "note"):
                    heard[(item.site, item.station)] = item
            insert_events(self.conn, events, received_at, result)
            self._touch_stations(heard, result, received_at)
            insert_dead_letters(self.conn, dead, result)
            record_event_counts(self.conn, result)
            self._rebuild_visits(result)
            for derive in self.derivers:
                derive(self.conn, result)
        return result

    def _touch_stations(self, heard: dict[tuple[str, str], Envelope], result: BatchResult, received_at: str) -> None:
        counts: dict[tuple[str, str], int] = {}
        top: dict[tuple[str, str], int] = {}
        for event in result.new_events:
            if event.kind in ("tap", "note"):
                key = (event.site, event.station)
                counts[key] = counts.get(key, 0) + 1
                top[key] = max(top.get(key, 0), event.seq)
        for key, latest in heard.items():
            touch_station(self.conn, latest, received_at, top.get(key, latest.seq), counts.get(key, 0))

    def _rebuild_visits(self, result: BatchResult) -> None:
        now = time.time()
        since_by_site: dict[str, dict[str, float]] = {}
        for (site, badge), earliest in sorted(result.new_taps.items()):
            since_by_site.setdefault(site, {})[badge] = earliest
        for site, since in since_by_site.items():
            rules = station_rules(self.conn, site, self.default_tap_mode, self.default_dwell_timeout_s)
            rebuild_badges(self.conn, site, since, rules, now, result)
        record_badge_activity(self.conn, result)

    def run(self, stop: threading.Event) -> None:
        """Store and acknowledge batches until stop is set; on a database error retry the same batch."""
        pending: list[InMessage] = []
        backoff = 0.1
        while not stop.is_set() or pending:
            if not pending:
                if stop.is_set():
                    break
                pending = self._collect()
                if not pending:
                    continue
            try:
                result = self._store_isolating(pending)
            except Exception as exc:  # the database itself failed: nothing acknowledged, the same batch again
                self._retry_later(pending, exc, backoff)
                if stop.wait(backoff):
                    break
                backoff = min(backoff * 2, 5.0)
                self._reopen()
                continue
            self._acknowledge(pending, result)
            pending, backoff = [], 0.1

    def _store_isolating(self, batch: list[InMessage]) -> BatchResult:
        """Store a batch; if one of its messages makes the store fail, store them one by one instead."""
        try:
            return self.store(batch)
        except Exception as exc:
            if is_environmental(exc):
                raise
            log.warning("a batch failed on one of its messages (%s: %s); storing one by one", type(exc).__name__,
                        exc)  # fmt: skip
        return self.store_one_by_one(batch)

    def _retry_later(self, pending: list[InMessage], exc: Exception, backoff: float) -> None:
        self.stats.last_error = f"database: {exc}"
        self.stats.retries += 1
        log.error("cannot store %d messages (%s); not acknowledging, retrying in %.1fs", len(pending), exc, backoff)

    def _acknowledge(self, pending: list[InMessage], result: BatchResult) -> None:
        """Run the after-commit hooks (the stations' `ack` messages among them), then PUBACK the batch to the broker.

        In that order: a hub that dies in between has not PUBACKed, so the broker delivers the batch again and the
        stations get their acks then. PUBACKed first, a station whose ack was not yet published kept those events
        unacknowledged until it next reconnected (tests/reliability/test_chaos.py, a hub killed right after a
        commit)."""
        for hook in self.after_commit:
            try:
                hook(result)
            except Exception:
                log.exception("after-commit hook failed")
        self.ack(pending)
        self._note_batch(pending, result)

    def store_one_by_one(self, batch: list[InMessage]) -> BatchResult:
        """Store each message in its own transaction; one the store refuses becomes a dead letter with the reason.

        Raise (nothing of the failing message committed) only on an error of the database itself."""
        total = BatchResult()
        for message in batch:
            try:
                merge_results(total, self.store([message]))
            except Exception as exc:
                if is_environmental(exc):
                    raise
                log.error("message on %s cannot be stored (%s: %s); dead-lettered", message.topic,
                          type(exc).__name__, exc)  # fmt: skip
                letter = DeadLetter(message.topic, f"store: {type(exc).__name__}: {exc}"[:500], message.payload,
                                    now_rfc3339())  # fmt: skip
                with transaction(self.conn):
                    insert_dead_letters(self.conn, [letter], total)
        return total

    def _reopen(self) -> None:
        """Drop the write connection; the next batch opens a fresh one.

        A connection opened while the file was read-only stays read-only after the file is fixed, and so does
        SQLite's shared-memory mapping as long as any connection of this process still uses it: so the old
        connection is closed before the new one opens (the hub's other connections are short-lived).
        """
        self.conn.close()
        self._closed = True

    def _note_batch(self, batch: list[InMessage], result: BatchResult) -> None:
        self.stats.batches += 1
        self.stats.messages += len(batch)
        self.stats.last_error = ""
        if result.new_events:
            self.stats.last_lag_s = max(0.0, time.time() - to_epoch(result.new_events[-1].ts))

    def close(self) -> None:
        self._budget.close()  # a relay thread waiting for room goes on (the broker redelivers what is not stored)
        self.conn.close()
