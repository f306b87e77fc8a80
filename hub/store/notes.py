"""Notes (derived from note events) with their analyses, and interest tags with evidence."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from hub.store.paging import DEFAULT_LIMIT, decode_cursor, like_pattern, page, time_range
from protocol import Envelope, NoteData, to_epoch


def insert_note(conn: sqlite3.Connection, envelope: Envelope, zone: str | None) -> None:
    """Record a newly stored note event in the notes tables."""
    assert isinstance(envelope.data, NoteData)
    data = envelope.data
    conn.execute(
        "INSERT OR IGNORE INTO notes(event_id, site, station, zone, rep_badge, visitor_badges, ts, ts_epoch, text)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (
            envelope.id,
            envelope.site,
            envelope.station,
            zone,
            data.rep_badge,
            json.dumps(list(data.visitor_badges)),
            envelope.ts,
            to_epoch(envelope.ts),
            data.text,
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO note_visitors(event_id, badge) VALUES (?, ?)",
        [(envelope.id, badge) for badge in data.visitor_badges],
    )


def save_analysis(conn: sqlite3.Connection, note_id: str, result: dict[str, Any], revision: str) -> None:
    """Store (or replace) the analysis of a note."""
    conn.execute(
        "INSERT INTO note_analyses(note_id, normalized, result, revision, analyzed_at) VALUES (?,?,?,?,?)"
        " ON CONFLICT(note_id) DO UPDATE SET normalized=excluded.normalized, result=excluded.result,"
        " revision=excluded.revision, analyzed_at=excluded.analyzed_at",
        (
            note_id,
            result.get("normalized", ""),
            json.dumps(result, ensure_ascii=False, sort_keys=True),
            revision,
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )


def _note_row(row: sqlite3.Row) -> dict[str, Any]:
    analysis = json.loads(row["result"]) if row["result"] else None
    return {
        "id": row["event_id"],
        "site": row["site"],
        "station": row["station"],
        "zone": row["zone"],
        "rep_badge": row["rep_badge"],
        "visitor_badges": json.loads(row["visitor_badges"]),
        "ts": row["ts"],
        "text": row["text"],
        "normalized": None if analysis is None else analysis.get("normalized"),
        "params": [] if analysis is None else analysis.get("params", []),
        "signals": [] if analysis is None else analysis.get("signals", []),
        "lookups": [] if analysis is None else analysis.get("lookups", []),
        "warnings": [] if analysis is None else analysis.get("warnings", []),
        "analyzed": analysis is not None,
    }


_SELECT = "SELECT n.*, a.result FROM notes n LEFT JOIN note_analyses a ON a.note_id = n.event_id"
# A rep's notes: the rep's own rows of note_readers (each note the rep may read, by its time), newest first by index.
_OF_READER = (
    "SELECT n.*, a.result FROM note_readers s CROSS JOIN notes n ON n.event_id = s.event_id"
    " LEFT JOIN note_analyses a ON a.note_id = n.event_id"
)


def get_note(conn: sqlite3.Connection, note_id: str) -> dict[str, Any] | None:
    """Return a note with raw text, normalised text, params, lookups and warnings."""
    row = conn.execute(f"{_SELECT} WHERE n.event_id = ?", (note_id,)).fetchone()
    return None if row is None else _note_row(row)


# A filter by many badges (a rep's scope after years) reads notes newest first and tests each: its cost follows the
# page and how large a share of the notes the scope holds, not how many notes the scope has gathered over the years.
WIDE_SCOPE = 200


def _note_filters(
    badges: Collection[str] | None,
    query: str | None,
    rep: str | None,
    since_epoch: float | None,
    until_epoch: float | None,
) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if badges is not None:
        chosen = sorted(badges)
        if len(chosen) > WIDE_SCOPE:  # test each note, newest first, against the scope ("+": no lookup per badge)
            about = "EXISTS (SELECT 1 FROM note_visitors v WHERE v.event_id = n.event_id AND +v.badge IN (SELECT value"
            about += " FROM json_each(?)))"
            params.append(json.dumps(chosen))
        else:  # look the few badges' notes up, then sort them
            about = f"n.event_id IN (SELECT event_id FROM note_visitors WHERE badge IN ({','.join('?' * len(chosen))}))"
            params.extend(chosen)
        mine = "+n.rep_badge = ?" if len(chosen) > WIDE_SCOPE else "n.rep_badge = ?"
        clauses.append(f"({about} OR {mine})" if rep else about)
        if rep:
            params.append(rep)
    if query:
        clauses.append("(n.text LIKE ? ESCAPE '\\' OR a.normalized LIKE ? ESCAPE '\\')")
        params.extend([like_pattern(query)] * 2)
    ranged, bounds = time_range("n.ts_epoch", since_epoch, until_epoch)
    return clauses + ranged, params + bounds


def page_notes(
    conn: sqlite3.Connection,
    badges: Collection[str] | None = None,
    query: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    rep: str | None = None,
    seen_by: str | None = None,
) -> dict[str, Any]:
    """Return a page {items, next} of notes newest first: about some visitor badges (or dictated by rep, when
    badges are given), containing a search string. Given seen_by (a rep badge), the notes that rep may read, read
    from the rep's own range of note_readers (badges and rep unused): a page costs the same however many notes the
    rep's scope has gathered."""
    after = decode_cursor(cursor, (float, str))
    select, key = _SELECT, "n"
    clauses, params = _note_filters(None if seen_by else badges, query, rep, None, None)
    if seen_by is not None:
        select, key = _OF_READER, "s"
        clauses, params = ["s.rep = ?", *clauses], [seen_by, *params]
    if after is not None:
        clauses.append(f"({key}.ts_epoch, {key}.event_id) < (?, ?)")
        params.extend(after)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    order = f"ORDER BY {key}.ts_epoch DESC, {key}.event_id DESC"
    rows = conn.execute(f"{select}{where} {order} LIMIT ?", (*params, limit + 1))
    return page([([row["ts_epoch"], row["event_id"]], _note_row(row)) for row in rows], limit)


def list_notes(
    conn: sqlite3.Connection, badges: list[str] | None = None, query: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Return notes newest first, for some visitor badges and/or containing a search string."""
    return page_notes(conn, badges, query, limit)["items"]


def iter_notes(
    conn: sqlite3.Connection, badges: Collection[str] | None, since_epoch: float | None, until_epoch: float | None
) -> Iterator[dict[str, Any]]:
    """Yield notes oldest first as they are read (for exports)."""
    clauses, params = _note_filters(badges, None, None, since_epoch, until_epoch)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    for row in conn.execute(f"{_SELECT}{where} ORDER BY n.ts_epoch, n.event_id", params):
        yield _note_row(row)


def count_notes(
    conn: sqlite3.Connection, badges: Collection[str] | None, since_epoch: float | None, until_epoch: float | None
) -> int:
    """Return how many notes a filter selects."""
    clauses, params = _note_filters(badges, None, None, since_epoch, until_epoch)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM notes n{where}", params).fetchone()[0])


def add_tag(
    conn: sqlite3.Connection,
    site: str,
    badge: str,
    tag: str,
    rule: str,
    evidence: dict[str, Any],
    created_at: str | None = None,
) -> bool:
    """Give a visitor badge an interest tag once (given now, unless created_at says when); return True when it is
    new (re-running adds nothing)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO tags(site, badge, tag, rule, evidence, created_at) VALUES (?,?,?,?,?,?)",
        (
            site,
            badge,
            tag,
            rule,
            json.dumps(evidence, ensure_ascii=False),
            created_at or datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    return cursor.rowcount == 1


def remove_tag(conn: sqlite3.Connection, site: str, badge: str, tag: str, rule: str) -> bool:
    """Take back a tag a rule gave (its other branch now holds); return True when there was one."""
    cursor = conn.execute("DELETE FROM tags WHERE site=? AND badge=? AND tag=? AND rule=?", (site, badge, tag, rule))
    return cursor.rowcount > 0


_TAGS = (
    "SELECT t.*, COALESCE(b.visitor, t.badge) AS visitor, COALESCE(b.name, '') AS name,"
    " COALESCE(b.company, '') AS company FROM tags t LEFT JOIN badges b ON b.badge_id = t.badge AND b.role = 'visitor'"
)


def _tag_row(r: sqlite3.Row) -> dict[str, Any]:
    return {"badge": r["badge"], "visitor": r["visitor"], "name": r["name"], "company": r["company"], "tag": r["tag"],
            "rule": r["rule"], "evidence": json.loads(r["evidence"]), "created_at": r["created_at"],
            "site": r["site"]}  # fmt: skip


def list_tags(conn: sqlite3.Connection, badges: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Return tags oldest first with their evidence and the visitor (id, name, company) who owns the badge."""
    where, params = "", []
    if badges is not None:
        where, params = f" WHERE t.badge IN ({','.join('?' * len(badges))})", sorted(badges)
    return [_tag_row(r) for r in conn.execute(f"{_TAGS}{where} ORDER BY t.id", params)]


def iter_tags(
    conn: sqlite3.Connection, badges: Collection[str] | None, since: str | None, until: str | None
) -> Iterator[dict[str, Any]]:
    """Yield tags oldest first as they are read, given between two UTC times (ISO text, as created_at is kept)."""
    clauses, params = _tag_filters(badges, since, until)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    for row in conn.execute(f"{_TAGS}{where} ORDER BY t.created_at, t.id", params):
        yield _tag_row(row)


def count_tags(conn: sqlite3.Connection, badges: Collection[str] | None, since: str | None, until: str | None) -> int:
    """Return how many tags a filter selects."""
    clauses, params = _tag_filters(badges, since, until)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM tags t{where}", params).fetchone()[0])


def _tag_filters(
    badges: Collection[str] | None, since: str | None, until: str | None
) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if badges is not None:
        clauses.append(f"t.badge IN ({','.join('?' * len(badges))})")
        params.extend(sorted(badges))
    ranged, bounds = time_range("t.created_at", since, until)
    return clauses + ranged, params + bounds
