"""Derive notes at ingest: store each new note and its analysis (params, signals, lookups, warnings).

Stored analyses carry the revision that made them (analysis code, data files, library); those of another
revision are recomputed in the background, and the tags they showed follow the new result.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from hub.rules.analysis import ANALYSIS_VERSION, AnalysisContext, analyze, load_default_context, load_lexicon
from hub.rules.engine import Action, RulesEngine
from hub.rules.engine.apply import apply_actions
from hub.rules.engine.facts import stored_event
from hub.rules.stored_library import load_library
from hub.rules.withdraw import Raised, raised, withdraw_unasked
from hub.store.analysis_revisions import (
    StaleNote,
    count_stale,
    notes_of_badge,
    remove_tag,
    replace_analysis,
    stale_notes,
    tags_first_shown_by,
)
from hub.store.db import connect
from hub.store.events import BatchResult
from hub.store.library import RecomputeReport, recompute_note_analyses
from hub.store.notes import insert_note, save_analysis
from hub.store.stations import station_zone
from hub.store.tx import savepoint, transaction
from protocol import Envelope, NoteData

log = logging.getLogger(__name__)


class NoteAnalyzer:
    """Holds the analysis context (lexicon + library from the database, or the seed) and applies it."""

    def __init__(self, analysis_dir: str | Path | None = None) -> None:
        self._analysis_dir = Path(analysis_dir) if analysis_dir else None
        self._lock = threading.Lock()
        self._context: AnalysisContext | None = None
        self._revision: str | None = None
        self.on_change: list[Callable[[], None]] = []  # called after invalidate: the revision may differ

    def context(self, conn: sqlite3.Connection) -> AnalysisContext:
        """Return the current context, loading the stored library the first time."""
        with self._lock:
            return self._load(conn)[0]

    def _load(self, conn: sqlite3.Connection) -> tuple[AnalysisContext, str | None]:
        """The context and its revision if already hashed (call holding the lock)."""
        if self._context is None:
            lexicon, data_revision = load_lexicon(self._analysis_dir)
            stored = load_library(conn)
            self._context = AnalysisContext(lexicon, stored or load_default_context().library, data_revision)
            self._revision = None
        return self._context, self._revision

    def invalidate(self) -> None:
        """Reload the library on next use (after it was edited or imported)."""
        with self._lock:
            self._context = None
            self._revision = None
        for listener in self.on_change:
            listener()

    def revision(self, conn: sqlite3.Connection) -> str:
        """What the analyses made now depend on: code version, data files and library (hashed once per load)."""
        with self._lock:
            context, revision = self._load(conn)
            if revision is None:
                library = context.library.revision() if context.library else "none"
                revision = self._revision = f"a{ANALYSIS_VERSION}.{context.data_revision}.{library}"
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


def _tag_actions(conn: sqlite3.Connection, rules: RulesEngine, envelope: Envelope | None) -> list[Action]:
    return [] if envelope is None else [a for a in rules.actions_for(conn, envelope) if a.kind == "tag"]


def follow_tags(conn: sqlite3.Connection, rules: RulesEngine, note_id: str) -> None:
    """Make the tags a note shows follow its recomputed analysis: add what it says now, drop what it no longer
    says unless another note of the visitor says it. Only tags: a recompute is no new event, so it opens no
    opportunity, timer or notification."""
    wanted = _tag_actions(conn, rules, stored_event(conn, note_id))
    apply_actions(conn, wanted)
    said = {(a.site, a.badge, a.value) for a in wanted}
    for tag_id, site, badge, tag in tags_first_shown_by(conn, note_id):
        if (site, badge, tag) in said:
            continue
        remove_tag(conn, tag_id)
        for other in notes_of_badge(conn, badge, note_id):
            again = [a for a in _tag_actions(conn, rules, stored_event(conn, other)) if a.value == tag]
            if again:
                apply_actions(conn, again[:1])
                break


class StaleAnalyses:
    """Recompute, in the background, the stored analyses another revision made, in short batches."""

    def __init__(self, analyzer: NoteAnalyzer, rules: RulesEngine | None, batch: int = 50) -> None:
        self.analyzer = analyzer
        self.rules = rules
        self.batch = batch
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"ok": True, "stale": None, "recomputing": False, "recomputed": 0,
                                       "changed": 0, "revision": None, "error": ""}  # fmt: skip
        self._thread: threading.Thread | None = None
        self._again = False
        self.retry_s = 30.0  # after a failed run

    def start(self, db_path: str, stop: threading.Event) -> None:
        """Run in a background thread; asked while one runs, it runs once more after that one."""
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._thread = threading.Thread(target=self._runs, args=(db_path, stop), name="analysis", daemon=True)
            self._thread.start()

    def _runs(self, db_path: str, stop: threading.Event) -> None:
        while True:
            if not self.run(db_path, stop) and not stop.wait(self.retry_s):
                continue  # e.g. the database was locked or unavailable: try again, stale analyses are still served
            with self._lock:
                if not self._again or stop.is_set():
                    self._thread = None
                    return
                self._again = False

    def join(self, timeout: float) -> None:
        """Wait for the background run to end (after stop was set)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def state(self) -> dict[str, Any]:
        """Return the /api/health probe: {ok, stale, recomputing, recomputed, changed, revision, error}."""
        with self._lock:
            return dict(self._state)

    def _update(self, **values: Any) -> None:
        with self._lock:
            self._state.update(values)

    def run(self, db_path: str, stop: threading.Event | None = None) -> bool:
        """Recompute every stale analysis (until stop is set); errors are logged and shown, never raised."""
        try:
            with closing(connect(db_path)) as conn:
                self.run_on(conn, stop)
        except Exception as exc:
            log.exception("recomputing stale note analyses failed")
            self._update(ok=False, recomputing=False, error=str(exc))
            return False
        self._update(ok=True, error="")
        return True

    def run_on(self, conn: sqlite3.Connection, stop: threading.Event | None = None) -> int:
        """Recompute the stale analyses on this connection; return how many results changed."""
        revision = self.analyzer.revision(conn)
        stale = count_stale(conn, revision)
        self._update(stale=stale, revision=revision, recomputing=stale > 0, recomputed=0, changed=0)
        if stale:
            log.info("analysis revision %s: recomputing %d stored note analyses in the background", revision, stale)
        after, done, changed, started = 0, 0, 0, time.monotonic()
        while stale and not (stop is not None and stop.is_set()):
            revision = self.analyzer.revision(conn)  # an edited library changes it mid-way
            notes = stale_notes(conn, revision, after, self.batch)
            if not notes:
                break
            changed += self._recompute(conn, notes, revision)
            after, done = notes[-1].rowid, done + len(notes)
            self._update(stale=max(stale - done, 0), recomputed=done, changed=changed, revision=revision)
            log.info("recomputed %d/%d note analyses (%d changed)", done, stale, changed)
        left = count_stale(conn, self.analyzer.revision(conn))
        self._update(stale=left, recomputing=False)
        if stale:
            log.info("note analyses recomputed: %d in %.1f s, %d changed, %d left", done,
                     time.monotonic() - started, changed, left)  # fmt: skip
        return changed

    def _recompute(self, conn: sqlite3.Connection, notes: list[StaleNote], revision: str) -> int:
        """Analyse a batch outside the transaction, then store it (and follow its tags) in one short one."""
        results = [(note, self.analyzer.analyze_text(conn, note.text)) for note in notes]
        changed = 0
        with transaction(conn):
            for note, result in results:
                before = self._raised(conn, note.note_id)
                if replace_analysis(conn, note, result, revision):
                    changed += 1
                    if self.rules is not None:
                        self._follow(conn, self.rules, note.note_id, before)
        return changed

    def _raised(self, conn: sqlite3.Connection, note_id: str) -> Raised:
        try:
            return set() if self.rules is None else raised(conn, self.rules, note_id)
        except Exception:
            log.exception("rules failed on stored note %s; its opportunities are left as they are", note_id)
            return set()

    @staticmethod
    def _follow(conn: sqlite3.Connection, rules: RulesEngine, note_id: str, before: Raised) -> None:
        """Follow one note's tags and opportunities all or nothing; a rule that fails leaves them as they were."""
        try:
            with savepoint(conn, "follow_tags"):
                follow_tags(conn, rules, note_id)
                if withdrawn := withdraw_unasked(conn, rules, note_id, before):
                    log.info("note %s, analysed again, asks for no opportunity %s: withdrawn", note_id, withdrawn)
        except Exception:
            log.exception("rules failed on recomputed note %s; its tags are left as they were", note_id)


def recompute_all(conn: sqlite3.Connection, analyzer: NoteAnalyzer, rules: RulesEngine | None) -> RecomputeReport:
    """Recompute the stale analyses (their tags follow), then re-analyse every note; the counts cover both."""
    analyzer.invalidate()
    refreshed = StaleAnalyses(analyzer, rules).run_on(conn)
    report = recompute_note_analyses(conn, lambda text: analyzer.analyze_text(conn, text), analyzer.revision(conn))
    changed = report.changed + refreshed
    return RecomputeReport(notes=report.notes, changed=changed, unchanged=report.notes - changed)
