"""Durable station outbox: every event is committed to SQLite before it is published.

A row goes unsent → sent (broker PUBACK) → deleted (hub ack). Only the hub's ack deletes: a broker that
crashes before saving its queue would otherwise lose events it had acknowledged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from protocol import Envelope

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"  # in the station's data_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL,
    sent_at REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class OutboxFull(RuntimeError):
    """The outbox cannot take the event (disk full or database unwritable)."""


@dataclass(frozen=True)
class Pending:
    """An event waiting for its PUBACK."""

    rowid: int
    topic: str
    payload: bytes


@dataclass(frozen=True)
class OutboxStats:
    depth: int
    oldest_unsent_s: int
    dropped_cap: int
    dropped_age: int
    last_seq: int


def peek_depth(path: Path, now: float | None = None) -> tuple[int, int]:
    """Return (events waiting, age in seconds of the oldest) from an outbox file, read-only (for `doctor`).

    Raises sqlite3.Error when the file cannot be read as an outbox.
    """
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)) as db:
        depth, oldest = db.execute("SELECT COUNT(*), MIN(created) FROM outbox").fetchone()
    return int(depth), 0 if oldest is None else int((time.time() if now is None else now) - oldest)


class Outbox:
    """SQLite (WAL, synchronous=FULL) queue of encoded envelopes, oldest first, bounded by count and age."""

    def __init__(self, path: Path, max_events: int, max_age_days: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_events = max_events
        self.max_age_s = max_age_days * 86400
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "sent_at" not in columns:  # outbox files written before end-to-end acks
            self._db.execute("ALTER TABLE outbox ADD COLUMN sent_at REAL")

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _bump(self, key: str, by: int) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
            (key, by),
        )

    def append(self, build: Callable[[int], Envelope]) -> Envelope:
        """Assign the next seq, build the envelope with it and commit both atomically."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    seq = self._meta("seq") + 1
                    envelope = build(seq)
                    self._db.execute(
                        "INSERT INTO outbox(id, topic, payload, created) VALUES (?, ?, ?, ?)",
                        (envelope.id, str(envelope.topic), envelope.encode(), time.time()),
                    )
                    self._bump("seq", 1)
                    self._enforce_cap()
                    self._db.execute("COMMIT")
                except BaseException as exc:
                    self._roll_back(exc)
                    raise
            except sqlite3.OperationalError as exc:
                raise OutboxFull(f"outbox {self.path} cannot store the event: {_describe(exc)}") from exc
        return envelope

    def _roll_back(self, cause: BaseException) -> None:
        """Roll back the open transaction, if SQLite has not already; never let a failed ROLLBACK hide `cause`."""
        if not self._db.in_transaction:
            return
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("outbox %s: rollback after %s failed: %s", self.path, _describe(cause), exc)

    def _enforce_cap(self) -> None:
        depth = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        excess = depth - self.max_events
        if excess > 0:
            self._db.execute(
                "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox ORDER BY rowid LIMIT ?)", (excess,)
            )
            self._bump("dropped_cap", excess)

    def expire(self, now: float | None = None) -> int:
        """Drop events older than the age limit, counting them; return how many were dropped."""
        cutoff = (time.time() if now is None else now) - self.max_age_s
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                dropped = self._db.execute("DELETE FROM outbox WHERE created < ?", (cutoff,)).rowcount
                if dropped:
                    self._bump("dropped_age", dropped)
                self._db.execute("COMMIT")
            except BaseException as exc:  # left open, every later BEGIN would fail: the station would stay deaf
                self._roll_back(exc)
                raise
        return dropped

    def unsent(self, limit: int, skip: set[int]) -> list[Pending]:
        """Return up to limit events not yet acknowledged by the broker, oldest first, leaving out skip."""
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid, topic, payload FROM outbox WHERE sent_at IS NULL ORDER BY rowid LIMIT ?",
                (limit + len(skip),),
            ).fetchall()
        return [Pending(r[0], r[1], bytes(r[2])) for r in rows if r[0] not in skip][:limit]

    def _write(self, sql: str, params: list[tuple[object, ...]]) -> int:
        if not params:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(sql, params)
                changed = self._db.total_changes - before
                self._db.execute("COMMIT")
            except BaseException as exc:
                self._roll_back(exc)
                raise
        return changed

    def mark_sent(self, rowids: Iterable[int], now: float | None = None) -> None:
        """Record the broker's PUBACK; the event stays until the hub acknowledges it."""
        moment = time.time() if now is None else now
        self._write("UPDATE outbox SET sent_at = ? WHERE rowid = ?", [(moment, r) for r in rowids])

    def delete_ids(self, event_ids: Iterable[str]) -> int:
        """Forget events the hub has stored; return how many were still here."""
        return self._write("DELETE FROM outbox WHERE id = ?", [(i,) for i in event_ids])

    def resend(self, sent_before: float | None = None) -> int:
        """Mark sent-but-unacknowledged events unsent again (all, or those sent before a time)."""
        with self._lock:
            if sent_before is None:
                cursor = self._db.execute("UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL")
            else:
                cursor = self._db.execute("UPDATE outbox SET sent_at = NULL WHERE sent_at < ?", (sent_before,))
        return cursor.rowcount

    def stats(self, now: float | None = None) -> OutboxStats:
        """Return depth, age of the oldest event, drop counters and the last assigned seq."""
        with self._lock:
            depth, oldest = self._db.execute("SELECT COUNT(*), MIN(created) FROM outbox").fetchone()
            return OutboxStats(
                depth=depth,
                oldest_unsent_s=0 if oldest is None else max(0, int((time.time() if now is None else now) - oldest)),
                dropped_cap=self._meta("dropped_cap"),
                dropped_age=self._meta("dropped_age"),
                last_seq=self._meta("seq"),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _describe(exc: BaseException) -> str:
    """Name a SQLite error with its extended code (`disk I/O error (SQLITE_IOERR_WRITE)`)."""
    name = getattr(exc, "sqlite_errorname", None)
    return f"{exc} ({name})" if name else str(exc)
