"""What the rules engine reads: registered visitors, closed visits, counts in a window, stored events, keys."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from protocol import to_epoch

VISIT_KEYS = ("zone", "station", "start_event", "end_event", "start", "end", "dwell_s")


def visitor_facts(conn: sqlite3.Connection, badges: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Return badge → {name, company, registered (yes|no), visitor, rep} for the registered ones among badges.

    `registered` is yes for a visitor badge registered with a company.
    """
    if not badges:
        return {}
    rows = conn.execute(
        "SELECT badge_id, name, company, visitor, rep, role FROM badges"
        f" WHERE badge_id IN ({','.join('?' * len(badges))})",
        badges,
    )
    return {
        r["badge_id"]: {"name": r["name"] or "", "company": r["company"] or "", "visitor": r["visitor"] or "",
                        "rep": r["rep"] or "",
                        "registered": "yes" if r["role"] == "visitor" and (r["company"] or "").strip() else "no"}
        for r in rows
    }  # fmt: skip


def badge_name(conn: sqlite3.Connection, badge: str) -> str:
    """Return the registered name of a badge ('' when unregistered or unnamed)."""
    row = conn.execute("SELECT name FROM badges WHERE badge_id=?", (badge,)).fetchone()
    return str(row["name"] or "") if row else ""


def closed_visit_rows(
    conn: sqlite3.Connection, site: str, badge: str, zones: list[str], shortest_s: float
) -> list[tuple[float, dict[str, Any]]]:
    """Return (end epoch, visit) of a badge's closed visits in these zones that lasted at least shortest_s."""
    rows = conn.execute(
        'SELECT zone, station, start_event, end_event, start, "end", dwell_s, start_epoch + dwell_s FROM visits'
        f' WHERE site=? AND badge=? AND "end" IS NOT NULL AND zone IN ({",".join("?" * len(zones))}) AND dwell_s >= ?'
        " ORDER BY start_epoch",
        (site, badge, *zones, shortest_s),
    )
    return [(row[7], dict(zip(VISIT_KEYS, row, strict=False))) for row in rows]


def tour_visits(conn: sqlite3.Connection, site: str, badges: tuple[str, ...], until: float) -> list[dict[str, Any]]:
    """Return the visits of these badges that began by `until`, each with its badge and dwell so far, oldest first.

    A visit still open at `until` (the visitor is in the zone while the rep dictates) counts until then.
    """
    if not badges:
        return []
    rows = conn.execute(
        'SELECT badge, zone, station, start_event, end_event, start, "end",'
        " CASE WHEN dwell_s IS NOT NULL AND start_epoch + dwell_s <= ? THEN dwell_s"
        " ELSE MIN(COALESCE(dwell_s, ? - start_epoch), ? - start_epoch) END FROM visits"
        f" WHERE site=? AND badge IN ({','.join('?' * len(badges))}) AND start_epoch <= ? ORDER BY start_epoch",
        (until + 0.001, until, until, site, *badges, until),
    )
    return [{"badge": row[0], **dict(zip(VISIT_KEYS, row[1:], strict=False))} for row in rows]


def count_in_window(
    conn: sqlite3.Connection, of: str, per: str, site: str, rep: str | None, since: float, until: float
) -> int:
    """Count new leads, notes or opportunities of a rep (per rep) or a site in (since, until]."""
    who, value = ("n.rep_badge", rep) if per == "rep" else ("n.site", site)
    if value is None:
        return 0
    if of == "new_leads":
        sql = (f"SELECT COUNT(*) FROM (SELECT nv.badge, MIN(n.ts_epoch) AS first FROM notes n"
               f" JOIN note_visitors nv ON nv.event_id = n.event_id WHERE {who} = ? GROUP BY nv.badge)"
               " WHERE first > ? AND first <= ?")  # fmt: skip
    elif of == "notes":
        sql = f"SELECT COUNT(*) FROM notes n WHERE {who} = ? AND n.ts_epoch > ? AND n.ts_epoch <= ?"
    else:
        sql = (f"SELECT COUNT(DISTINCT o.event_id) FROM rule_outcomes o JOIN notes n ON n.event_id = o.event_id"
               f" WHERE o.kind = 'opportunity' AND {who} = ? AND n.ts_epoch > ? AND n.ts_epoch <= ?")  # fmt: skip
    return int(conn.execute(sql, (value, since, until)).fetchone()[0])


def event_body(conn: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    """Return a stored event's envelope as a dict."""
    row = conn.execute("SELECT body FROM events WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def tap_and_note_bodies(conn: sqlite3.Connection, last: int | None = None) -> Iterator[dict[str, Any]]:
    """Yield every stored tap and note envelope (or the `last` newest) in time order, by instant: stations may
    stamp different offsets, and 09:00+08:00 sorts after 02:00+00:00 as text though it is earlier."""
    if last is None:
        rows = conn.execute("SELECT ts, id, body FROM events WHERE kind IN ('tap', 'note')").fetchall()
    else:  # the newest by instant (julianday reads ts's own offset), then ordered as above
        rows = conn.execute("SELECT ts, id, body FROM events WHERE kind IN ('tap', 'note')"
                            " ORDER BY julianday(ts) DESC, id DESC LIMIT ?", (last,)).fetchall()  # fmt: skip
    for _, _, body in sorted(rows, key=lambda row: (to_epoch(row[0]), row[1])):
        yield json.loads(body)


def count_history(conn: sqlite3.Connection) -> int:
    """Return how many taps and notes are stored (what a dry run would go through), from the running counts."""
    row = conn.execute("SELECT SUM(value) FROM hub_counters WHERE name IN ('events:tap', 'events:note')").fetchone()
    return int(row[0] or 0)


def has_tag(conn: sqlite3.Connection, site: str, badge: str, tag: str, rule: str | None = None) -> bool:
    """Return whether the badge holds the tag (given by `rule`, when one is named)."""
    sql, params = "SELECT 1 FROM tags WHERE site=? AND badge=? AND tag=?", [site, badge, tag]
    if rule is not None:
        sql, params = sql + " AND rule=?", [*params, rule]
    return conn.execute(sql, params).fetchone() is not None


def timer_exists(conn: sqlite3.Connection, key: str) -> bool:
    return conn.execute("SELECT 1 FROM rule_timers WHERE key=?", (key,)).fetchone() is not None
