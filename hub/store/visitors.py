"""Visitors: a registered visitor owns badges; an unregistered badge is its own visitor."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from typing import Any

from hub.store.events import BatchResult
from hub.store.paging import DEFAULT_LIMIT, decode_cursor, like_pattern, page


def resolve_visitor(conn: sqlite3.Connection, visitor_or_badge: str) -> dict[str, Any]:
    """Return {id, badges, registered} for a visitor id or a badge id; an id that is both (a visitor registered under
    a badge id that was later reissued to someone else) is the visitor's."""
    rows = conn.execute(
        "SELECT badge_id, visitor FROM badges WHERE visitor = ? OR badge_id = ?", (visitor_or_badge,) * 2
    ).fetchall()
    owners = {r["visitor"] for r in rows if r["visitor"]}
    if len(owners) == 1 or visitor_or_badge in owners:
        owner = visitor_or_badge if visitor_or_badge in owners else owners.pop()
        badges = [r[0] for r in conn.execute("SELECT badge_id FROM badges WHERE visitor = ?", (owner,))]
        return {"id": owner, "badges": badges, "registered": True}
    return {"id": visitor_or_badge, "badges": [visitor_or_badge], "registered": False}


def record_badge_activity(conn: sqlite3.Connection, result: BatchResult) -> None:
    """Add a batch's new taps to each badge's first/last tap and count (what the visitors list pages over)."""
    conn.executemany(
        "INSERT INTO badge_activity(badge, role, first_ts, first_epoch, last_ts, last_epoch, taps)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT(badge) DO UPDATE SET"
        " role = CASE WHEN excluded.last_epoch >= last_epoch THEN excluded.role ELSE role END,"
        " first_ts = CASE WHEN first_epoch IS NULL OR excluded.first_epoch < first_epoch"
        "  THEN excluded.first_ts ELSE first_ts END,"
        " first_epoch = MIN(COALESCE(first_epoch, excluded.first_epoch), excluded.first_epoch),"
        " last_ts = CASE WHEN excluded.last_epoch >= last_epoch THEN excluded.last_ts ELSE last_ts END,"
        " last_epoch = MAX(last_epoch, excluded.last_epoch), taps = taps + excluded.taps",
        [
            (badge, seen.role, seen.first_ts, seen.first_epoch, seen.last_ts, seen.last_epoch, seen.count)
            for badge, seen in result.badge_taps.items()
        ],
    )


def note_registered_badge(conn: sqlite3.Connection, badge_id: str, role: str) -> None:
    """List a newly registered badge among visitors even before its first tap."""
    conn.execute("INSERT OR IGNORE INTO badge_activity(badge, role) VALUES (?, ?)", (badge_id, role))


_COLUMNS = (
    "SELECT a.badge, a.first_ts, a.last_ts, a.last_epoch, a.taps, COALESCE(b.visitor, a.badge) AS visitor,"
    " COALESCE(b.name, '') AS name, COALESCE(b.company, '') AS company, b.rep"
)
_EVERYONE = " FROM badge_activity a LEFT JOIN badges b ON b.badge_id = a.badge"
_WHERE = (
    " WHERE COALESCE(b.role, a.role, 'visitor') = 'visitor'"
    " AND NOT EXISTS (SELECT 1 FROM badges o JOIN badge_activity oa ON oa.badge = o.badge_id"
    "  WHERE b.visitor IS NOT NULL AND o.visitor = b.visitor AND o.role = 'visitor' AND o.badge_id != a.badge"
    "  AND (oa.last_epoch, oa.badge) > (a.last_epoch, a.badge))"
)
# A rep's list: the rep's own rows of rep_activity (every badge whose visitor is registered to the rep), newest
# first by index, so a page costs the same whatever the rep or anyone else saw before it.
_OF_REP = (
    " FROM rep_activity s CROSS JOIN badge_activity a ON a.badge = s.badge LEFT JOIN badges b ON b.badge_id = a.badge"
)
_SEARCH = (
    " AND (b.name LIKE :q ESCAPE '\\' OR b.company LIKE :q ESCAPE '\\' OR a.badge LIKE :q ESCAPE '\\'"
    " OR b.visitor LIKE :q ESCAPE '\\' OR EXISTS (SELECT 1 FROM tags t WHERE t.tag LIKE :q ESCAPE '\\'"
    " AND (t.badge = a.badge OR t.badge IN (SELECT o.badge_id FROM badges o WHERE o.visitor = b.visitor))))"
)


def list_visitors(
    conn: sqlite3.Connection,
    allowed: Collection[str] | None = None,
    query: str = "",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    rep: str | None = None,
) -> dict[str, Any]:
    """Return a page {items, next} of visitors, last seen first (registered but never seen ones last).

    Each: {id, badges, name, company, rep, first_seen, last_seen, taps, tags}; only visitors in allowed unless None,
    or, given rep, only the visitors registered to that rep badge (read from the rep's own index; allowed unused);
    query matches name, company, visitor or badge id, or an interest tag.
    """
    after = decode_cursor(cursor, (float, str))
    sql, params = _COLUMNS + _EVERYONE + _WHERE, dict[str, object](limit=limit + 1)
    key = "a"
    if rep is not None:
        sql, key = _COLUMNS + _OF_REP + _WHERE + " AND s.rep = :rep", "s"
        params["rep"] = rep
    if after is not None:
        sql += f" AND ({key}.last_epoch, {key}.badge) < (:after_epoch, :after_badge)"
        params.update(after_epoch=after[0], after_badge=after[1])
    if allowed is not None and rep is None:  # one JSON parameter: thousands of bound names cost more than the page
        sql += " AND COALESCE(b.visitor, a.badge) IN (SELECT value FROM json_each(:allowed))"
        params["allowed"] = json.dumps(sorted(allowed))
    if query:
        sql += _SEARCH
        params["q"] = like_pattern(query)
    rows = conn.execute(f"{sql} ORDER BY {key}.last_epoch DESC, {key}.badge DESC LIMIT :limit", params).fetchall()
    visitors = [r["visitor"] for r in rows]
    owned = badges_by_visitor(conn, visitors)
    tags = tags_by_visitor(conn, owned)
    return page([([r["last_epoch"], r["badge"]],
                  {"id": r["visitor"], "badges": owned[r["visitor"]], "name": r["name"], "company": r["company"],
                   "rep": r["rep"], "first_seen": r["first_ts"], "last_seen": r["last_ts"], "taps": r["taps"],
                   "tags": tags.get(r["visitor"], [])}) for r in rows], limit)  # fmt: skip


def badges_by_visitor(conn: sqlite3.Connection, visitors: Collection[str]) -> dict[str, list[str]]:
    """Return each visitor's badges (a bare badge id is its own)."""
    found: dict[str, list[str]] = {who: [] for who in visitors}
    chosen = sorted(found)
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        rows = conn.execute(
            f"SELECT badge_id, visitor FROM badges WHERE visitor IN ({','.join('?' * len(chunk))}) ORDER BY badge_id",
            chunk,
        )
        for badge, visitor in rows:
            found[visitor].append(badge)
    return {who: badges or [who] for who, badges in found.items()}


def tags_by_visitor(conn: sqlite3.Connection, badges: dict[str, list[str]]) -> dict[str, list[str]]:
    """Return each visitor's interest tags (by their badges), oldest first, no repeats."""
    owner = {badge: who for who, owned in badges.items() for badge in owned}
    found: dict[str, list[str]] = {}
    chosen = sorted(owner)
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        for badge, tag in conn.execute(
            f"SELECT badge, tag FROM tags WHERE badge IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk
        ):
            names = found.setdefault(owner[badge], [])
            if tag not in names:
                names.append(tag)
    return found
