"""Derive notes at ingest: store each new note and its analysis (params, signals, lookups, warnings)."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from typing import Any

from hub.rules.analysis import AnalysisContext, analyze, load_default_context
from hub.store.events import BatchResult
from hub.store.library import load_library
from hub.store.notes import insert_note, save_analysis
from protocol import Envelope, NoteData

log = logging.getLogger(__name__)


def station_zone(conn: sqlite3.Connection, site: str, station: str) -> str | None:
    """Return the zone a station reported in its status, else the zone of its latest tap."""
    row = conn.execute("SELECT status FROM stations WHERE site=? AND station=?", (site, station)).fetchone()
    zone = json.loads(row[0]).get("zone") if row else None
    if zone:
        return str(zone)
    tap = conn.execute(
        "SELECT zone FROM taps WHERE site=? AND station=? ORDER BY ts_epoch DESC LIMIT 1", (site, station)
    ).fetchone()
    return None if tap is None else str(tap[0])


class NoteAnalyzer:
    """Holds the analysis context (lexicon + library from the database, or the seed) and applies it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: AnalysisContext | None = None
        self._revision: str | None = None

    def context(self, conn: sqlite3.Connection) -> AnalysisContext:
        """Return the current context, loading the stored library the first time."""
        with self._lock:
            return self._load(conn)[0]

    def _load(self, conn: sqlite3.Connection) -> tuple[AnalysisContext, str | None]:
        """The context and its revision if already hashed (call holding the lock)."""
        if self._context is None:
            default = load_default_context()
            stored = load_library(conn)
            self._context = AnalysisContext(default.lexicon, stored or default.library)
            self._revision = None
        return self._context, self._revision

    def invalidate(self) -> None:
        """Reload the library on next use (after it was edited or imported)."""
        with self._lock:
            self._context = None
            self._revision = None

    def revision(self, conn: sqlite3.Connection) -> str:
        """A short hash of the library in use, so recomputation can tell what changed (hashed once per load)."""
        with self._lock:
            context, revision = self._load(conn)
            if revision is None:
                blob = json.dumps(
                    context.library.to_dict() if context.library else {}, sort_keys=True, ensure_ascii=False
                )
                revision = self._revision = hashlib.sha256(blob.encode()).hexdigest()[:12]
            return revision

    def analyze_text(self, conn: sqlite3.Connection, text: str) -> dict[str, Any]:
        """Return the analysis JSON for a text."""
        context = self.context(conn)
        return analyze(text, context.lexicon, context.library).to_dict()

    def derive(self, conn: sqlite3.Connection, result: BatchResult) -> None:
        """Store every new note of a batch with its analysis (runs inside the ingest transaction)."""
        for envelope in result.new_events:
            if isinstance(envelope.data, NoteData):
                self.store_note(conn, envelope)

    def store_note(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        assert isinstance(envelope.data, NoteData)
        insert_note(conn, envelope, station_zone(conn, envelope.site, envelope.station))
        save_analysis(conn, envelope.id, self.analyze_text(conn, envelope.data.text), self.revision(conn))
