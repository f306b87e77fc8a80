"""Configurations the hub pushes to stations: one current revision per station."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from protocol import ConfigData, now_rfc3339


def get_station_config(conn: sqlite3.Connection, site: str, station: str) -> dict[str, Any] | None:
    """Return {rev, config, updated_at, updated_by} or None when nothing was pushed yet."""
    row = conn.execute("SELECT * FROM station_config WHERE site=? AND station=?", (site, station)).fetchone()
    if row is None:
        return None
    return {"rev": row["rev"], "config": json.loads(row["body"]), "updated_at": row["updated_at"],
            "updated_by": row["updated_by"]}  # fmt: skip


def last_tap_zone(conn: sqlite3.Connection, site: str, station: str) -> str | None:
    """Return the zone of a station's latest tap (what it was provisioned with), None when it never tapped."""
    row = conn.execute(
        "SELECT json_extract(body, '$.data.zone') FROM events WHERE site=? AND station=? AND kind='tap'"
        " ORDER BY received_at DESC, rowid DESC LIMIT 1",
        (site, station),
    ).fetchone()
    return None if row is None else row[0]


def next_rev(conn: sqlite3.Connection, site: str, station: str) -> int:
    row = conn.execute("SELECT rev FROM station_config WHERE site=? AND station=?", (site, station)).fetchone()
    return 1 if row is None else int(row[0]) + 1


def save_station_config(conn: sqlite3.Connection, site: str, station: str, config: ConfigData, by: str) -> None:
    """Store a new revision and the dwell settings the visit builder uses for this station."""
    conn.execute(
        "INSERT INTO station_config(site, station, rev, body, updated_at, updated_by) VALUES (?,?,?,?,?,?)"
        " ON CONFLICT(site, station) DO UPDATE SET rev=excluded.rev, body=excluded.body,"
        " updated_at=excluded.updated_at, updated_by=excluded.updated_by",
        (site, station, config.rev, json.dumps(config.to_dict(), ensure_ascii=False), now_rfc3339(), by),
    )
    conn.execute(
        "INSERT INTO station_settings(site, station, tap_mode, dwell_timeout_s) VALUES (?,?,?,?)"
        " ON CONFLICT(site, station) DO UPDATE SET tap_mode=excluded.tap_mode,"
        " dwell_timeout_s=excluded.dwell_timeout_s",
        (site, station, config.tap_mode, config.dwell_timeout_s),
    )
