"""Process-parameter library (as plain data: the shape of `Library.to_dict`) and note analyses in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.store.tx import transaction


def save_library_data(conn: sqlite3.Connection, data: dict[str, Any], revision: str) -> None:
    """Replace the stored library with `data` (site, zones, materials, cards, stock) in one transaction."""
    with transaction(conn):
        for table in ("library_meta", "library_materials", "library_cards", "library_stock"):
            conn.execute(f"DELETE FROM {table}")
        meta = {
            "site": data.get("site") or "",
            "zones": json.dumps(data.get("zones") or {}, ensure_ascii=False),
            "revision": revision,
        }
        conn.executemany("INSERT INTO library_meta(key, value) VALUES (?, ?)", meta.items())
        conn.executemany(
            "INSERT INTO library_materials(grade, name, category) VALUES (:grade, :name, :category)", data["materials"]
        )
        conn.executemany(
            "INSERT INTO library_cards(id, process, title, material, zone, specs, steps, notes)"
            " VALUES (:id, :process, :title, :material, :zone, :specs, :steps, :notes)",
            [
                {
                    **c,
                    "specs": json.dumps(c["specs"], ensure_ascii=False),
                    "steps": json.dumps(c["steps"], ensure_ascii=False),
                }
                for c in data["cards"]
            ],
        )
        conn.executemany(
            "INSERT INTO library_stock(id, material, form, qty, unit, max_hardness_scale, max_hardness, location)"
            " VALUES (:id, :material, :form, :qty, :unit, :max_hardness_scale, :max_hardness, :location)",
            data["stock"],
        )


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_library_data(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """Return the stored library as plain data (the shape `save_library_data` took), or None when none is saved."""
    meta = {r["key"]: r["value"] for r in _rows(conn, "SELECT key, value FROM library_meta")}
    if not meta:
        return None
    cards = [
        {**c, "specs": json.loads(c["specs"]), "steps": json.loads(c["steps"])}
        for c in _rows(conn, "SELECT * FROM library_cards ORDER BY rowid")
    ]
    return {
        "site": meta.get("site", ""),
        "zones": json.loads(meta.get("zones", "{}")),
        "materials": _rows(conn, "SELECT * FROM library_materials ORDER BY rowid"),
        "cards": cards,
        "stock": _rows(conn, "SELECT * FROM library_stock ORDER BY rowid"),
    }


@dataclass(frozen=True)
class RecomputeReport:
    """What a recompute run did."""

    notes: int
    changed: int
    unchanged: int

    def to_dict(self) -> dict[str, int]:
        return {"notes": self.notes, "changed": self.changed, "unchanged": self.unchanged}


def note_texts(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Return (event id, raw text) of every stored note event, oldest first."""
    out = []
    for event_id, body in conn.execute("SELECT id, body FROM events WHERE kind = 'note' ORDER BY received_at, id"):
        try:
            data = json.loads(body).get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        text = data.get("text") if isinstance(data, dict) else None
        out.append((event_id, text if isinstance(text, str) else ""))
    return out


def recompute_note_analyses(
    conn: sqlite3.Connection, analyze_text: Callable[[str], dict[str, Any]], revision: str
) -> RecomputeReport:
    """Re-analyze every stored note; rows whose result is unchanged are left untouched (idempotent)."""
    stored = {r[0]: r[1] for r in conn.execute("SELECT note_id, result FROM note_analyses")}
    changed = 0
    notes = note_texts(conn)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with transaction(conn):
        for note_id, text in notes:
            result = analyze_text(text)
            blob = json.dumps(result, ensure_ascii=False, sort_keys=True)
            if stored.get(note_id) == blob:
                continue
            changed += 1
            conn.execute(
                "INSERT INTO note_analyses(note_id, normalized, result, revision, analyzed_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT(note_id) DO UPDATE SET normalized = excluded.normalized, result = excluded.result,"
                " revision = excluded.revision, analyzed_at = excluded.analyzed_at",
                (note_id, result.get("normalized", ""), blob, revision, now),
            )
    return RecomputeReport(notes=len(notes), changed=changed, unchanged=len(notes) - changed)


def get_note_analysis(conn: sqlite3.Connection, note_id: str) -> dict[str, Any] | None:
    """Return the stored analysis of one note ({normalized, params, signals, lookups, warnings}) or None."""
    row = conn.execute("SELECT result FROM note_analyses WHERE note_id = ?", (note_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))
