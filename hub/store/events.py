"""Store validated events and dead letters; INSERT OR IGNORE on the event id makes redelivery harmless."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.store.paging import DEFAULT_LIMIT, decode_cursor, page
from protocol import Envelope, TapData, to_epoch


@dataclass(frozen=True)
class DeadLetter:
    """A message that broke the contract, kept with the reason."""

    topic: str
    reason: str
    payload: bytes
    received_at: str


@dataclass
class BatchResult:
    """What one committed batch changed."""

    stored: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    dead_letters: int = 0
    new_taps: dict[tuple[str, str], float] = field(default_factory=dict)  # (site, badge) -> earliest new tap time
    new_events: list[Envelope] = field(default_factory=list)
    stored_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (site, station) -> tap/note ids
    stations_seen: set[tuple[str, str]] = field(default_factory=set)  # every station heard from in the batch
    untrusted: set[str] = field(default_factory=set)  # taps whose badge signature does not match: no visit, no rule
    badge_taps: dict[str, BadgeTaps] = field(default_factory=dict)  # badge -> its new taps in the batch
    tap_rows: dict[tuple[str, str], list[tuple[Any, ...]]] = field(default_factory=dict)  # (site, badge) -> new taps
    # (trusted ones, as hub.store.visits.TapRow)
    taps_before: int = 0  # the taps table's last rowid before the batch: a later one is a tap of this batch


@dataclass
class BadgeTaps:
    """A badge's newly stored taps in one batch, summed up for the badge_activity table."""

    role: str | None
    first_epoch: float
    first_ts: str
    last_epoch: float
    last_ts: str
    count: int = 1

    def add(self, role: str | None, epoch: float, ts: str) -> None:
        self.count += 1
        if epoch < self.first_epoch:
            self.first_epoch, self.first_ts = epoch, ts
        if epoch >= self.last_epoch:
            self.last_epoch, self.last_ts, self.role = epoch, ts, role


SIG_FINDINGS = {"ok": "signed", "unsigned": "unsigned", "mismatch": "signature does not match"}


def sig_finding_counts(conn: sqlite3.Connection, site_badges: list[str]) -> dict[str, int]:
    """Return how many taps of these badges were unsigned or had a signature that does not match (copied)."""
    if not site_badges:
        return {}
    marks = ",".join("?" * len(site_badges))
    rows = conn.execute(f"SELECT sig_finding, COUNT(*) FROM taps WHERE badge IN ({marks}) AND sig_finding IN"
                        f" ('unsigned', 'mismatch') GROUP BY sig_finding", site_badges)  # fmt: skip
    return {SIG_FINDINGS[finding]: count for finding, count in rows}


def merge_results(total: BatchResult, part: BatchResult) -> None:
    """Add what one committed part of a batch changed to the batch's total."""
    for kind, count in part.stored.items():
        total.stored[kind] = total.stored.get(kind, 0) + count
    total.duplicates += part.duplicates
    total.dead_letters += part.dead_letters
    for key, since in part.new_taps.items():
        total.new_taps[key] = min(since, total.new_taps.get(key, since))
    total.new_events.extend(part.new_events)
    for place, ids in part.stored_ids.items():
        total.stored_ids.setdefault(place, []).extend(ids)
    for key, rows in part.tap_rows.items():
        total.tap_rows.setdefault(key, []).extend(rows)
    total.stations_seen |= part.stations_seen
    total.untrusted |= part.untrusted


def badge_key(data: TapData) -> str:
    """Return the badge a tap counts for: its badge_id, else the tag UID."""
    return data.ndef.badge_id if data.ndef is not None else data.uid


def insert_event(
    conn: sqlite3.Connection,
    envelope: Envelope,
    received_at: str,
    result: BatchResult,
    sig_finding: str | None = None,
    body: str | None = None,
) -> None:
    """Insert one event unless its id is known (see insert_events)."""
    insert_events(conn, [(envelope, sig_finding, body)], received_at, result)


def insert_events(
    conn: sqlite3.Connection,
    items: Sequence[tuple[Envelope, str | None, str | None]],
    received_at: str,
    result: BatchResult,
) -> None:
    """Insert events (envelope, sig_finding, body) whose id is not known yet; record taps in the taps table.

    `sig_finding` is the badge check of a tap (SIG_FINDINGS; None where the site has no key): a tap whose
    signature does not match (a copied badge) is kept and shown, but builds no visit of the badge it claims.
    `body` is the payload as received (unknown fields kept); without it the envelope is encoded again. The ids
    already stored are looked up once, and the new rows written with one statement per table.
    """
    result.taps_before = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM taps").fetchone()[0]
    known = {row[0] for row in conn.execute("SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?))",
                                            (json.dumps([item[0].id for item in items]),))}  # fmt: skip
    events: list[tuple[Any, ...]] = []
    taps: list[tuple[Any, ...]] = []
    for envelope, sig_finding, body in items:
        event_id, kind, site, station = envelope.id, envelope.kind, envelope.site, envelope.station
        place = (site, station)
        result.stations_seen.add(place)
        if kind == "tap" or kind == "note":
            ids = result.stored_ids.get(place)
            if ids is None:
                ids = result.stored_ids[place] = []
            ids.append(event_id)
        if event_id in known:
            result.duplicates += 1
            continue
        known.add(event_id)
        if body is None:
            body = json.dumps(envelope.to_dict(), ensure_ascii=False, separators=(",", ":"))
        events.append((event_id, kind, site, station, envelope.seq, envelope.ts, received_at, body))
        result.stored[kind] = result.stored.get(kind, 0) + 1
        result.new_events.append(envelope)
        data = envelope.data
        if isinstance(data, TapData):
            taps.append(_tap_row(envelope, data, sig_finding, result))
    conn.executemany(  # OR IGNORE: the lookup above already left known ids out
        "INSERT OR IGNORE INTO events(id, kind, site, station, seq, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
        events,
    )
    conn.executemany(
        "INSERT INTO taps(event_id, site, station, badge, uid, role, sig_ok, sig_finding, zone, ts, ts_epoch,"
        " boot, mono_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        taps,
    )


def _tap_row(envelope: Envelope, data: TapData, sig_finding: str | None, result: BatchResult) -> tuple[Any, ...]:
    """Note a new tap in the batch's result; return its taps row."""
    ndef = data.ndef
    badge, role = (data.uid, None) if ndef is None else (ndef.badge_id, ndef.role)
    ts_epoch = to_epoch(envelope.ts)
    event_id, site = envelope.id, envelope.site
    row = (event_id, site, envelope.station, badge, data.uid, role,
           None if sig_finding is None else int(sig_finding == "ok"), sig_finding, data.zone, envelope.ts, ts_epoch,
           envelope.boot, envelope.mono_ms)  # fmt: skip
    if sig_finding == "mismatch":
        result.untrusted.add(event_id)
        return row
    key = (site, badge)
    earliest = result.new_taps.get(key)
    if earliest is None or ts_epoch < earliest:
        result.new_taps[key] = ts_epoch
    tap = (event_id, data.zone, envelope.station, envelope.ts, ts_epoch, envelope.boot, envelope.mono_ms, row[6])
    taps = result.tap_rows.get(key)
    if taps is None:
        result.tap_rows[key] = [tap]
    else:
        taps.append(tap)
    seen = result.badge_taps.get(badge)
    if seen is None:
        result.badge_taps[badge] = BadgeTaps(role, ts_epoch, envelope.ts, ts_epoch, envelope.ts)
    else:
        seen.add(role, ts_epoch, envelope.ts)
    return row


def insert_dead_letters(conn: sqlite3.Connection, letters: Sequence[DeadLetter], result: BatchResult) -> None:
    """Keep rejected messages with their reason (payload stored as text, undecodable bytes replaced)."""
    conn.executemany(
        "INSERT INTO dead_letters(topic, reason, payload, payload_size, received_at) VALUES (?,?,?,?,?)",
        [
            (d.topic, d.reason, d.payload[:65536].decode("utf-8", errors="replace"), len(d.payload), d.received_at)
            for d in letters
        ],
    )
    result.dead_letters += len(letters)
    if letters:
        _add_counts(conn, {"dead_letters": len(letters)})


def _add_counts(conn: sqlite3.Connection, counts: dict[str, int]) -> None:
    conn.executemany(
        "INSERT INTO hub_counters(name, value) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
        list(counts.items()),
    )


def record_event_counts(conn: sqlite3.Connection, result: BatchResult) -> None:
    """Add a batch's newly stored events, per kind, to the running counts /metrics reads."""
    if result.stored:
        _add_counts(conn, {f"events:{kind}": n for kind, n in result.stored.items()})


def count_events(conn: sqlite3.Connection) -> dict[str, int]:
    """Return stored events per kind (kept as they are stored)."""
    rows = conn.execute("SELECT name, value FROM hub_counters WHERE name LIKE 'events:%'")
    return {name.removeprefix("events:"): value for name, value in rows}


def check_readable(conn: sqlite3.Connection) -> None:
    """Read one row of the events table: raises sqlite3.Error when the database cannot be read."""
    conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()


def count_dead_letters(conn: sqlite3.Connection) -> int:
    """Return how many messages were dead-lettered (kept as they are stored)."""
    row = conn.execute("SELECT value FROM hub_counters WHERE name = 'dead_letters'").fetchone()
    return 0 if row is None else int(row[0])


def page_dead_letters(
    conn: sqlite3.Connection, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> dict[str, Any]:
    """Return a page {items, next} of rejected messages, newest first."""
    after = decode_cursor(cursor, (int,))
    rows = conn.execute(
        "SELECT id, topic, reason, payload, payload_size, received_at FROM dead_letters"
        " WHERE id < ? ORDER BY id DESC LIMIT ?",
        (2**63 - 1 if after is None else after[0], limit + 1),
    )
    return page([([row["id"]], dict(row)) for row in rows], limit)
