"""Fleet view: the latest status of every station, from status events and last wills."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from protocol import Envelope, StatusData, to_epoch


def record_status(conn: sqlite3.Connection, envelope: Envelope, received_at: str) -> None:
    """Keep the newest status (by station time) of a station."""
    assert isinstance(envelope.data, StatusData)
    row = conn.execute(
        "SELECT status_ts FROM stations WHERE site=? AND station=?", (envelope.site, envelope.station)
    ).fetchone()
    if row is not None and to_epoch(row[0]) > to_epoch(envelope.ts):
        conn.execute(
            "UPDATE stations SET last_seen=? WHERE site=? AND station=?", (received_at, envelope.site, envelope.station)
        )
        return
    conn.execute(
        "INSERT INTO stations(site, station, state, status, status_ts, last_seen, last_seq) VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT(site, station) DO UPDATE SET state=excluded.state, status=excluded.status,"
        " status_ts=excluded.status_ts, last_seen=excluded.last_seen, last_seq=MAX(last_seq, excluded.last_seq)",
        (
            envelope.site,
            envelope.station,
            envelope.data.state,
            json.dumps({**envelope.data.to_dict(), "clock_synced": envelope.clock_synced}, ensure_ascii=False),
            envelope.ts,
            received_at,
            envelope.seq,
        ),
    )


def touch_station(
    conn: sqlite3.Connection, envelope: Envelope, received_at: str, max_seq: int, new_events: int
) -> None:
    """Note that a station was heard from, and count its newly stored taps and notes (seq gaps show as missing)."""
    conn.execute(
        "INSERT INTO stations(site, station, state, status, status_ts, last_seen, last_seq, max_event_seq,"
        " events_seen) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(site, station) DO UPDATE SET"
        " last_seen=excluded.last_seen, last_seq=MAX(last_seq, excluded.last_seq),"
        " max_event_seq=MAX(max_event_seq, excluded.max_event_seq), events_seen=events_seen + excluded.events_seen",
        (envelope.site, envelope.station, "unknown", "{}", envelope.ts, received_at, max_seq, max_seq, new_events),
    )


def list_stations(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return every known station with its last status."""
    result = []
    for row in conn.execute("SELECT * FROM stations ORDER BY site, station"):
        status = json.loads(row["status"])
        retired = row["retired_at"] is not None
        result.append(
            {
                "site": row["site"],
                "station": row["station"],
                "online": row["state"] == "online" and not retired,
                "state": "retired" if retired else row["state"],
                "retired_at": row["retired_at"],
                "last_seen": row["last_seen"],
                "status_ts": row["status_ts"],
                "last_seq": row["last_seq"],
                "missing_seq": max(0, row["max_event_seq"] - row["events_seen"]),
                "outbox_depth": status.get("outbox_depth"),
                "clock_synced": status.get("clock_synced"),
                "config_rev": status.get("config_rev"),
                "reader": status.get("reader"),
                "mic": status.get("mic"),
                "zone": status.get("zone"),
                "status": status,
            }
        )
    return result


def known_stations(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """Return (site, station) of every station the hub has heard from."""
    return {(row[0], row[1]) for row in conn.execute("SELECT site, station FROM stations")}


def stations_online(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM stations WHERE state='online' AND retired_at IS NULL").fetchone()[0])


def retire_station(conn: sqlite3.Connection, site: str, station: str, retired: bool, at: str) -> bool:
    """Mark a revoked station retired (its last will never arrives), or bring it back; False if it is unknown."""
    cursor = conn.execute(
        "UPDATE stations SET retired_at=? WHERE site=? AND station=?", (at if retired else None, site, station)
    )
    return cursor.rowcount > 0


def station_zone(conn: sqlite3.Connection, site: str, station: str) -> str | None:
    """Return the zone a station reported in its status, else the zone of its latest tap."""
    row = conn.execute("SELECT status FROM stations WHERE site=? AND station=?", (site, station)).fetchone()
    zone = json.loads(row[0]).get("zone") if row else None
    if zone:
        return str(zone)
    tap = conn.execute(
        "SELECT zone FROM taps WHERE site=? AND station=? ORDER BY ts_epoch DESC LIMIT 1", (site, station)
    ).fetchone()
    return None if tap is None else str(tap[0])
