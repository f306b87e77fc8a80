"""Visit intervals in SQLite: a badge's taps read back, its visits replaced (hub/rules/visits.py rebuilds them), queried
by the API."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from hub.store.paging import DEFAULT_LIMIT, decode_cursor, page, time_range

# (event_id, zone, station, ts, ts_epoch, boot, mono_ms, sig_ok)
TapRow = tuple[str, str, str, str, float, str, int, int | None]
# (site, badge, zone, station, start_event, end_event, start, start_epoch, end, dwell_s, timed_out, sig_ok)
VisitRow = tuple[str, str, str, str, str, str | None, str, float, str | None, float | None, int, int | None]


def station_settings(conn: sqlite3.Connection, site: str) -> dict[str, tuple[str, int]]:
    """Return (tap_mode, dwell_timeout_s) of every station of a site that has its own settings."""
    return {
        row[0]: (row[1], int(row[2]))
        for row in conn.execute("SELECT station, tap_mode, dwell_timeout_s FROM station_settings WHERE site=?", (site,))
    }


def rebuild_start(conn: sqlite3.Connection, site: str, badge: str, since: float) -> float:
    """Return the start of the last visit of a badge that opened before `since` on a tap no other tap of the badge
    shares a time with (taps at one time are ordered by mono_ms and id, so an earlier one at that time would be read
    back too); 0.0 when there is none."""
    anchor = conn.execute(
        "SELECT v.start_epoch FROM visits v WHERE v.site=? AND v.badge=? AND v.start_epoch < ? AND (SELECT"
        " COUNT(*) FROM taps t WHERE t.site=v.site AND t.badge=v.badge AND t.ts_epoch=v.start_epoch) = 1"
        " ORDER BY v.start_epoch DESC LIMIT 1",
        (site, badge, since),
    ).fetchone()
    return float(anchor[0]) if anchor is not None else 0.0


def badge_taps(conn: sqlite3.Connection, site: str, badge: str, start: float) -> list[TapRow]:
    """Return a badge's taps from `start` on as plain tuples (read on every batch that has one of its taps)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(
        "SELECT event_id, zone, station, ts, ts_epoch, boot, mono_ms, sig_ok FROM taps"
        " WHERE site=? AND badge=? AND ts_epoch >= ? AND sig_finding IS NOT 'mismatch'",  # a copy is not the badge
        (site, badge, start),
    ).fetchall()


def replace_visits(conn: sqlite3.Connection, site: str, badge: str, start: float, rows: list[VisitRow]) -> None:
    """Replace a badge's visits from `start` on with these rows (VisitRow)."""
    conn.execute("DELETE FROM visits WHERE site=? AND badge=? AND start_epoch >= ?", (site, badge, start))
    conn.executemany(
        'INSERT INTO visits(site, badge, zone, station, start_event, end_event, start, start_epoch, "end", dwell_s,'
        " timed_out, sig_ok) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def rebuild_starts(conn: sqlite3.Connection, site: str, since: dict[str, float]) -> None:
    """Note in temp.visit_rebuild the badges of a batch and where each one's rebuild starts (`rebuild_start` of its
    earliest new tap), with one statement for them all; `batch_taps` and `batch_visits` read from there."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS visit_rebuild(badge TEXT PRIMARY KEY, since REAL, start REAL)")
    conn.execute("DELETE FROM temp.visit_rebuild")
    conn.executemany("INSERT INTO temp.visit_rebuild(badge, since) VALUES (?, ?)", since.items())
    conn.execute(
        "UPDATE temp.visit_rebuild AS r SET start = COALESCE((SELECT v.start_epoch FROM visits v WHERE v.site=? AND"
        " v.badge=r.badge AND v.start_epoch < r.since AND (SELECT COUNT(*) FROM taps t WHERE t.site=v.site AND"
        " t.badge=v.badge AND t.ts_epoch=v.start_epoch) = 1 ORDER BY v.start_epoch DESC LIMIT 1), 0.0)",
        (site,),
    )


def batch_taps(conn: sqlite3.Connection, site: str, stored_until: int) -> list[tuple[Any, ...]]:
    """Return (badge, *TapRow) of the taps of rebuild_starts' badges from each one's start on, only those stored up
    to rowid `stored_until` (the taps table's last before the batch: the batch has its own)."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: every batch reads the taps of each badge it has, from its anchor on
    return cursor.execute(
        "SELECT t.badge, t.event_id, t.zone, t.station, t.ts, t.ts_epoch, t.boot, t.mono_ms, t.sig_ok"
        " FROM temp.visit_rebuild r CROSS JOIN taps t ON t.site=? AND t.badge=r.badge AND t.ts_epoch >= r.start"
        " WHERE t.rowid <= ? AND t.sig_finding IS NOT 'mismatch'",  # a copy is not the badge
        (site, stored_until),
    ).fetchall()


def batch_visits(conn: sqlite3.Connection, site: str) -> list[tuple[Any, ...]]:
    """Return (id, *VisitRow without the site) of the stored visits of rebuild_starts' badges from each one's start."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(
        'SELECT v.id, v.badge, v.zone, v.station, v.start_event, v.end_event, v.start, v.start_epoch, v."end",'
        " v.dwell_s, v.timed_out, v.sig_ok FROM temp.visit_rebuild r CROSS JOIN visits v ON v.badge=r.badge"
        " AND v.start_epoch >= r.start WHERE v.site=?",
        (site,),
    ).fetchall()


def change_visits(conn: sqlite3.Connection, gone: list[int], ended: list[tuple[Any, ...]], new: list[VisitRow]) -> None:
    """Delete visits by id, change how visits end ((end_event, end, dwell_s, timed_out, id): no index on a visit's
    start is rewritten), and insert new ones (VisitRow)."""
    conn.executemany("DELETE FROM visits WHERE id=?", [(visit_id,) for visit_id in gone])
    conn.executemany('UPDATE visits SET end_event=?, "end"=?, dwell_s=?, timed_out=? WHERE id=?', ended)
    conn.executemany(
        'INSERT INTO visits(site, badge, zone, station, start_event, end_event, start, start_epoch, "end", dwell_s,'
        " timed_out, sig_ok) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        new,
    )


def stale_open_visits(conn: sqlite3.Connection, default_timeout_s: int, now: float) -> list[tuple[str, str, str]]:
    """Return (site, badge, opening event) of open visits that have outlived their station's dwell timeout."""
    return [
        (row[0], row[1], row[2])
        for row in conn.execute(
            "SELECT v.site, v.badge, v.start_event FROM visits v LEFT JOIN station_settings s ON s.site=v.site AND "
            's.station=v.station WHERE v."end" IS NULL AND ? - v.start_epoch > COALESCE(s.dwell_timeout_s, ?)',
            (now, default_timeout_s),
        )
    ]


def _visit_row(row: sqlite3.Row, now: float) -> dict[str, Any]:
    dwell = row["dwell_s"]
    if row["end"] is None:
        dwell = round(max(0.0, now - row["start_epoch"]), 3)
    return {
        "badge": row["badge"],
        "zone": row["zone"],
        "station": row["station"],
        "start": row["start"],
        "end": row["end"],
        "dwell_s": dwell,
        "timed_out": bool(row["timed_out"]),
        "open": row["end"] is None,
        "sig_ok": None if row["sig_ok"] is None else bool(row["sig_ok"]),
        "site": row["site"],
        "start_event": row["start_event"],
    }


def _visit_filters(
    badges: list[str] | None, zone: str | None, since_epoch: float | None, until_epoch: float | None
) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if badges is not None:
        clauses.append(f"badge IN ({','.join('?' * len(badges))})")
        params.extend(badges)
    if zone is not None:
        clauses.append("zone = ?")
        params.append(zone)
    ranged, bounds = time_range("start_epoch", since_epoch, until_epoch)
    return clauses + ranged, params + bounds


def list_visits(
    conn: sqlite3.Connection,
    badges: list[str] | None = None,
    zone: str | None = None,
    since_epoch: float | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Return visits oldest first, filtered by badges, zone and start time; open visits show elapsed dwell."""
    return page_visits(conn, badges, zone, since_epoch, limit)["items"]


def page_visits(
    conn: sqlite3.Connection,
    badges: list[str] | None = None,
    zone: str | None = None,
    since_epoch: float | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    until_epoch: float | None = None,
) -> dict[str, Any]:
    """Return a page {items, next} of visits oldest first, filtered by badges, zone and start time."""
    after = decode_cursor(cursor, (float, int))
    clauses, params = _visit_filters(badges, zone, since_epoch, until_epoch)
    if after is not None:
        clauses.append("(start_epoch, id) > (?, ?)")
        params.extend(after)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(f"SELECT * FROM visits {where} ORDER BY start_epoch, id LIMIT ?", (*params, limit + 1))
    now = time.time()
    return page([([row["start_epoch"], row["id"]], _visit_row(row, now)) for row in rows], limit)


def iter_visits(
    conn: sqlite3.Connection, badges: list[str] | None, since_epoch: float | None, until_epoch: float | None
) -> Iterator[dict[str, Any]]:
    """Yield visits oldest first as they are read, each with its visitor's id, name and company (for exports:
    memory stays flat however many there are)."""
    clauses, params = _visit_filters(badges, None, since_epoch, until_epoch)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    now = time.time()
    rows = conn.execute(
        "SELECT visits.*, COALESCE(b.visitor, visits.badge) AS visitor, COALESCE(b.name, '') AS name,"
        " COALESCE(b.company, '') AS company FROM visits LEFT JOIN badges b ON b.badge_id = visits.badge"
        f" AND b.role = 'visitor' {where} ORDER BY start_epoch, visits.id",
        params,
    )
    for row in rows:
        yield {**_visit_row(row, now), "visitor": row["visitor"], "name": row["name"], "company": row["company"]}


def count_visits(
    conn: sqlite3.Connection, badges: list[str] | None, since_epoch: float | None, until_epoch: float | None
) -> int:
    """Return how many visits a filter selects (an index range count)."""
    clauses, params = _visit_filters(badges, None, since_epoch, until_epoch)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM visits {where}", params).fetchone()[0])


def open_visits(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return the visits still open (people in a zone now), oldest first, reps left out."""
    rows = conn.execute(
        'SELECT v.* FROM visits v WHERE v."end" IS NULL AND NOT EXISTS (SELECT 1 FROM badges b'
        " WHERE b.badge_id = v.badge AND b.role = 'rep') AND NOT EXISTS (SELECT 1 FROM badge_activity a"
        " WHERE a.badge = v.badge AND a.role = 'rep') ORDER BY v.start_epoch, v.id"
    )
    now = time.time()
    return [_visit_row(row, now) for row in rows]


def recent_closed_visits(
    conn: sqlite3.Connection, badges: set[str] | None, limit: int, since_epoch: float
) -> list[dict[str, Any]]:
    """Return the latest closed visits that started after since_epoch (newest first), reps left out, only of some
    badges unless None. Read newest first along the start-time index, so the cost is bounded by the visits since
    since_epoch however much history there is (and however many badges a rep's scope holds)."""
    only, params = "", []
    if badges is not None:  # "+": test each row rather than look up every badge's visits and sort them all
        only, params = f" AND +v.badge IN ({','.join('?' * len(badges))})", sorted(badges)
    rows = conn.execute(
        'SELECT v.* FROM visits v WHERE v.start_epoch >= ? AND v."end" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM'
        " badges b WHERE b.badge_id = v.badge AND b.role = 'rep') AND NOT EXISTS (SELECT 1 FROM badge_activity a"
        f" WHERE a.badge = v.badge AND a.role = 'rep'){only} ORDER BY v.start_epoch DESC, v.id DESC LIMIT ?",
        (since_epoch, *params, limit),
    )
    now = time.time()
    return [_visit_row(row, now) for row in rows]


def dwell_per_zone(visits: list[dict[str, Any]]) -> dict[str, float]:
    """Sum dwell seconds per zone."""
    totals: dict[str, float] = {}
    for visit in visits:
        totals[visit["zone"]] = round(totals.get(visit["zone"], 0.0) + (visit["dwell_s"] or 0.0), 3)
    return totals
