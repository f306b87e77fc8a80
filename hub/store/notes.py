"""Notes (derived from note events) with their analyses, and interest tags with evidence."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

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
    }


_SELECT = "SELECT n.*, a.result FROM notes n LEFT JOIN note_analyses a ON a.note_id = n.event_id"


def get_note(conn: sqlite3.Connection, note_id: str) -> dict[str, Any] | None:
    """Return a note with raw text, normalised text, params, lookups and warnings."""
    row = conn.execute(f"{_SELECT} WHERE n.event_id = ?", (note_id,)).fetchone()
    return None if row is None else _note_row(row)


def list_notes(
    conn: sqlite3.Connection, badges: list[str] | None = None, query: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Return notes newest first, for some visitor badges and/or containing a search string."""
    clauses: list[str] = []
    params: list[object] = []
    if badges is not None:
        clauses.append(
            f"n.event_id IN (SELECT event_id FROM note_visitors WHERE badge IN ({','.join('?' * len(badges))}))"
        )
        params.extend(badges)
    if query:
        clauses.append("(n.text LIKE ? OR a.normalized LIKE ?)")
        params.extend([f"%{query}%"] * 2)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(f"{_SELECT}{where} ORDER BY n.ts_epoch DESC LIMIT ?", (*params, limit))
    return [_note_row(row) for row in rows]


def add_tag(conn: sqlite3.Connection, site: str, badge: str, tag: str, rule: str, evidence: dict[str, Any]) -> bool:
    """Give a visitor badge an interest tag once; return True when it is new (re-running adds nothing)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO tags(site, badge, tag, rule, evidence, created_at) VALUES (?,?,?,?,?,?)",
        (
            site,
            badge,
            tag,
            rule,
            json.dumps(evidence, ensure_ascii=False),
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    return cursor.rowcount == 1


def list_tags(conn: sqlite3.Connection, badges: list[str] | None = None) -> list[dict[str, Any]]:
    """Return tags with their evidence, oldest first."""
    where, params = "", []
    if badges is not None:
        where, params = f" WHERE badge IN ({','.join('?' * len(badges))})", list(badges)
    rows = conn.execute(f"SELECT * FROM tags{where} ORDER BY id", params)
    return [{"badge": r["badge"], "tag": r["tag"], "rule": r["rule"], "evidence": json.loads(r["evidence"]),
             "created_at": r["created_at"], "site": r["site"]} for r in rows]  # fmt: skip
