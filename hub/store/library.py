"""Process-parameter library and note analyses in SQLite, and the library as YAML or XLSX files."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from hub.plain_yaml import load_plain_yaml
from hub.rules.analysis.library import Library, LibraryError
from hub.store.tx import transaction


def save_library(conn: sqlite3.Connection, library: Library) -> None:
    """Replace the stored library with `library` in one transaction."""
    data = library.to_dict()
    with transaction(conn):
        for table in ("library_meta", "library_materials", "library_cards", "library_stock"):
            conn.execute(f"DELETE FROM {table}")
        meta = {
            "site": library.site,
            "zones": json.dumps(library.zones, ensure_ascii=False),
            "revision": library.revision(),
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


def load_library(conn: sqlite3.Connection) -> Library | None:
    """Return the stored library, or None when none has been saved."""
    meta = {r["key"]: r["value"] for r in _rows(conn, "SELECT key, value FROM library_meta")}
    if not meta:
        return None
    cards = [
        {**c, "specs": json.loads(c["specs"]), "steps": json.loads(c["steps"])}
        for c in _rows(conn, "SELECT * FROM library_cards ORDER BY rowid")
    ]
    return Library.from_dict(
        {
            "site": meta.get("site", ""),
            "zones": json.loads(meta.get("zones", "{}")),
            "materials": _rows(conn, "SELECT * FROM library_materials ORDER BY rowid"),
            "cards": cards,
            "stock": _rows(conn, "SELECT * FROM library_stock ORDER BY rowid"),
        }
    )


def library_to_yaml(library: Library) -> str:
    """Return the library as YAML text (the format of hub/data/library.yaml)."""
    return yaml.safe_dump(library.to_dict(), allow_unicode=True, sort_keys=False, width=120)


def library_from_yaml(text: str) -> Library:
    """Parse YAML text into a library; raise LibraryError on bad YAML or bad entries."""
    try:
        data = load_plain_yaml(text)  # no aliases: a few hundred bytes must not expand to megabytes
    except yaml.YAMLError as exc:
        raise LibraryError(f"invalid YAML: {exc}") from None
    return Library.from_dict(data)


_SHEETS: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "zones": ("id", "name"),
    "materials": ("grade", "name", "category"),
    "cards": ("id", "process", "title", "material", "zone", "steps", "notes"),
    "specs": ("card_id", "kind", "scale", "unit", "low", "high", "label"),
    "stock": ("id", "material", "form", "qty", "unit", "max_hardness_scale", "max_hardness", "location"),
}


def library_to_xlsx(library: Library) -> bytes:
    """Return the library as an XLSX workbook, one sheet per table, cards' specs on their own sheet."""
    from openpyxl import Workbook

    data = library.to_dict()
    rows: dict[str, list[dict[str, Any]]] = {
        "meta": [{"key": "site", "value": library.site}],
        "zones": [{"id": k, "name": v} for k, v in library.zones.items()],
        "materials": data["materials"],
        "cards": [{**c, "steps": "\n".join(c["steps"])} for c in data["cards"]],
        "specs": [{"card_id": c["id"], **s} for c in data["cards"] for s in c["specs"]],
        "stock": data["stock"],
    }
    book = Workbook()
    book.remove(book.active)
    for name, columns in _SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in rows[name]:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_rows(book: Any, name: str) -> list[dict[str, Any]]:
    if name not in book.sheetnames:
        raise LibraryError(f"sheet {name!r} missing")
    values = list(book[name].iter_rows(values_only=True))
    if not values:
        return []
    header = [str(h) if h is not None else "" for h in values[0]]
    return [
        {h: v for h, v in zip(header, row, strict=False) if h and v is not None}
        for row in values[1:]
        if any(v is not None for v in row)
    ]


def library_from_xlsx(blob: bytes) -> Library:
    """Parse a workbook written by `library_to_xlsx` (or edited by hand in the same layout)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(blob), read_only=True, data_only=True)
    except Exception as exc:
        raise LibraryError(f"not an XLSX workbook: {exc}") from None
    specs: dict[str, list[dict[str, Any]]] = {}
    for spec in _sheet_rows(book, "specs"):
        specs.setdefault(str(spec.pop("card_id", "")), []).append(spec)
    cards = [
        {**c, "steps": [s for s in str(c.get("steps", "")).split("\n") if s], "specs": specs.get(str(c.get("id")), [])}
        for c in _sheet_rows(book, "cards")
    ]
    meta = {str(r.get("key")): r.get("value") for r in _sheet_rows(book, "meta")}
    return Library.from_dict(
        {
            "site": meta.get("site") or "",
            "zones": {str(r["id"]): str(r.get("name", "")) for r in _sheet_rows(book, "zones") if "id" in r},
            "materials": _sheet_rows(book, "materials"),
            "cards": cards,
            "stock": _sheet_rows(book, "stock"),
        }
    )


def read_library_file(path: Path) -> Library:
    """Read a library from .yaml/.yml or .xlsx; raise LibraryError naming the file on any problem."""
    try:
        if path.suffix.lower() == ".xlsx":
            return library_from_xlsx(path.read_bytes())
        return library_from_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LibraryError(f"{path}: {exc.strerror or exc}") from None
    except LibraryError as exc:
        raise LibraryError(f"{path}: {exc}") from None


def write_library_file(library: Library, path: Path) -> None:
    """Write the library as .yaml/.yml or .xlsx, chosen by the file suffix."""
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(library_to_xlsx(library))
    else:
        path.write_text(library_to_yaml(library), encoding="utf-8")


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
