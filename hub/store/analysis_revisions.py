"""Stored note analyses against the analysis revision in use: which are stale, replacing them, their tags."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_STALE = (
    "FROM events e LEFT JOIN note_analyses a ON a.note_id = e.id"
    " WHERE e.kind = 'note' AND (a.revision IS NULL OR a.revision != ?)"
)


@dataclass(frozen=True)
class StaleNote:
    """A note whose stored analysis (result None when it has none) was made by another revision."""

    note_id: str
    text: str
    result: str | None
    rowid: int


def count_stale(conn: sqlite3.Connection, revision: str) -> int:
    """Return how many stored notes have no analysis of this revision."""
    return int(conn.execute(f"SELECT count(*) {_STALE}", (revision,)).fetchone()[0])


def stale_notes(conn: sqlite3.Connection, revision: str, after: int, limit: int) -> list[StaleNote]:
    """Return up to limit notes without an analysis of this revision, in storage order from rowid `after` on."""
    rows = conn.execute(
        f"SELECT e.id, e.body, a.result, e.rowid {_STALE} AND e.rowid > ? ORDER BY e.rowid LIMIT ?",
        (revision, after, limit),
    )
    out = []
    for note_id, body, result, rowid in rows:
        try:
            data = json.loads(body).get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        text = data.get("text") if isinstance(data, dict) else None
        out.append(StaleNote(note_id, text if isinstance(text, str) else "", result, int(rowid)))
    return out


def replace_analysis(conn: sqlite3.Connection, note: StaleNote, result: dict[str, Any], revision: str) -> bool:
    """Store a recomputed analysis unless one of this revision is there already; return whether the result changed."""
    blob = json.dumps(result, ensure_ascii=False, sort_keys=True)
    conn.execute(
        "INSERT INTO note_analyses(note_id, normalized, result, revision, analyzed_at) VALUES (?,?,?,?,?)"
        " ON CONFLICT(note_id) DO UPDATE SET normalized = excluded.normalized, result = excluded.result,"
        " revision = excluded.revision, analyzed_at = excluded.analyzed_at"
        " WHERE note_analyses.revision != excluded.revision",
        (note.note_id, result.get("normalized", ""), blob, revision, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    return note.result != blob


def tags_first_shown_by(conn: sqlite3.Connection, event_id: str) -> list[tuple[int, str, str, str]]:
    """Return (id, site, badge, tag) of the tags whose evidence is this event."""
    rows = conn.execute(
        "SELECT id, site, badge, tag FROM tags WHERE json_extract(evidence, '$.event_ids[0]') = ?", (event_id,)
    )
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def remove_tag(conn: sqlite3.Connection, tag_id: int) -> None:
    """Delete one tag (its evidence no longer holds)."""
    conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))


def notes_of_badge(conn: sqlite3.Connection, badge: str, besides: str) -> list[str]:
    """Return the event ids of the other notes naming a visitor badge, oldest first."""
    rows = conn.execute(
        "SELECT v.event_id FROM note_visitors v JOIN notes n ON n.event_id = v.event_id"
        " WHERE v.badge = ? AND v.event_id != ? ORDER BY n.ts_epoch",
        (badge, besides),
    )
    return [str(r[0]) for r in rows]
