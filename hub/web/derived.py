"""Read notes (with their analysis) and tags for people; tolerant of the derived tables not existing yet."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from typing import Any

_ANALYSIS_KEYS = ("normalized", "params", "signals", "lookups", "warnings")


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Return a table's column names, empty when it does not exist."""
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _first(columns: list[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in columns), None)


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _analyses(conn: sqlite3.Connection, note_ids: list[str]) -> dict[str, dict[str, Any]]:
    columns = table_columns(conn, "note_analyses")
    if not note_ids or "note_id" not in columns or "result" not in columns:
        return {}
    found = {}
    for chunk in range(0, len(note_ids), 500):
        ids = note_ids[chunk : chunk + 500]
        rows = conn.execute(
            f"SELECT note_id, result FROM note_analyses WHERE note_id IN ({','.join('?' * len(ids))})", ids
        )
        for note_id, result in rows:
            data = _json(result)
            if isinstance(data, dict):
                found[note_id] = data
    return found


def list_notes(
    conn: sqlite3.Connection,
    badges: Collection[str] | None = None,
    query: str = "",
    limit: int = 200,
    author: str | None = None,
) -> list[dict[str, Any]]:
    """Return notes newest first with their analysis; only those naming one of badges as a visitor (or dictated by
    `author`); text search on query. A badge a note names as its rep is never a visitor of it."""
    rows = conn.execute("SELECT id, site, station, ts, body FROM events WHERE kind='note' ORDER BY ts DESC, id DESC")
    picked: list[dict[str, Any]] = []
    wanted = None if badges is None else set(badges)
    for row in rows:
        data = json.loads(row["body"]).get("data") or {}
        visitors = [b for b in data.get("visitor_badges") or [] if isinstance(b, str)]
        rep = data.get("rep_badge")
        if wanted is not None and not wanted.intersection(visitors) and (author is None or rep != author):
            continue
        picked.append({"id": row["id"], "site": row["site"], "station": row["station"], "ts": row["ts"],
                       "rep_badge": rep, "visitor_badges": visitors, "text": str(data.get("text") or ""),
                       "duration_ms": data.get("duration_ms")})  # fmt: skip
    analyses = _analyses(conn, [n["id"] for n in picked])
    result = []
    for note in picked:
        analysis = analyses.get(note["id"], {})
        note.update({key: analysis.get(key, "" if key == "normalized" else []) for key in _ANALYSIS_KEYS})
        note["analyzed"] = note["id"] in analyses
        haystack = f"{note['text']} {note['normalized']} {note['rep_badge']} {' '.join(note['visitor_badges'])}"
        if query and query.lower() not in haystack.lower():
            continue
        result.append(note)
        if len(result) >= limit:
            break
    return result


def list_tags(conn: sqlite3.Connection, visitors: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Return tags {visitor, tag, evidence, at} for some visitors (ids or badges), or all when None."""
    columns = table_columns(conn, "tags")
    who = _first(columns, ("visitor", "visitor_id", "badge"))
    what = _first(columns, ("tag", "name", "label"))
    if who is None or what is None:
        return []
    why = _first(columns, ("evidence", "detail", "reason"))
    when = _first(columns, ("at", "created_at", "ts", "updated_at"))
    rows = conn.execute(f"SELECT * FROM tags ORDER BY {when or 'rowid'}").fetchall()
    wanted = None if visitors is None else set(visitors)
    return [
        {"visitor": row[who], "tag": row[what], "evidence": _json(row[why]) if why else None,
         "at": row[when] if when else None}
        for row in rows
        if wanted is None or row[who] in wanted
    ]  # fmt: skip


_SKIP = ("event_ids", "normalized", "lookups", "start_event", "end_event", "span", "param")


def _label(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("text") or item.get("title") or item.get("name") or "")
    return str(item)


def evidence_text(evidence: Any, zones: dict[str, str] | None = None) -> str:
    """Say a tag's evidence in one readable line: rule, dwell, params, the rep's words, warnings (ids left out)."""
    if evidence is None:
        return ""
    if isinstance(evidence, str):
        return evidence
    if isinstance(evidence, list):
        return "；".join(filter(None, (evidence_text(item, zones) for item in evidence)))
    if not isinstance(evidence, dict):
        return str(evidence)
    if "text" in evidence and len(evidence) <= 3:
        return str(evidence["text"])
    parts = []
    for key, value in evidence.items():
        if key in _SKIP or value in (None, "", [], {}):
            continue
        if key == "rule":
            parts.append(f"规则“{value}”")
        elif key == "dwell" and isinstance(value, dict | list):
            for item in value if isinstance(value, list) else [value]:
                zone = str(item.get("zone", "")) if isinstance(item, dict) else ""
                minutes = round(float(item.get("dwell_s") or 0) / 60, 1) if isinstance(item, dict) else 0
                parts.append(f"在{(zones or {}).get(zone, zone)}停留 {minutes} 分钟")
        elif key in ("params", "warnings", "signals") and isinstance(value, list):
            parts.append("、".join(_label(v) for v in value))
        elif key == "quote":
            parts.append(f"原话“{value}”")
        else:
            parts.append(f"{key}: {evidence_text(value, zones)}")
    return "；".join(parts)
