"""Notes and note analysis: GET /api/notes, /api/notes/{id}, POST /api/analyze, POST /api/notes/recompute."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from hub.api.deps import cursor_errors, get_db
from hub.auth.principal import Principal, require_token
from hub.auth.roles import require_role, visitor_readers
from hub.auth.scope import note_list_scope, restrict, visible_badges, visible_note
from hub.rules.notes_pipeline import NoteAnalyzer, recompute_all
from hub.store.notes import get_note, page_notes
from hub.store.paging import DEFAULT_LIMIT
from hub.store.visitors import resolve_visitor

managers = require_role("manager")

router = APIRouter()

MAX_TEXT = 10_000


class AnalyzeBody(BaseModel):
    text: str = Field(..., max_length=MAX_TEXT, description="raw recognizer text (or any note text)")


def _analyzer(request: Request) -> NoteAnalyzer:
    runtime = request.app.state.runtime
    if runtime is not None:
        analyzer: NoteAnalyzer = runtime.notes
        return analyzer
    if not hasattr(request.app.state, "offline_notes"):
        request.app.state.offline_notes = NoteAnalyzer(request.app.state.settings.analysis_dir)
    offline: NoteAnalyzer = request.app.state.offline_notes
    return offline


@router.post("/api/analyze", dependencies=[Depends(require_token)])
def analyze_text(body: AnalyzeBody, request: Request, db: sqlite3.Connection = Depends(get_db)) -> dict[str, Any]:
    """Analyse a text: {normalized, params, signals, lookups, warnings}; nothing is stored."""
    return _analyzer(request).analyze_text(db, body.text)


@router.get("/api/notes")
def notes(
    db: sqlite3.Connection = Depends(get_db),
    visitor: str | None = Query(None, description="visitor id or badge id"),
    q: str | None = Query(None, max_length=200, description="search raw and normalised text"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=2000),
    cursor: str | None = Query(None, max_length=200, description="the previous page's next"),
    caller: Principal = Depends(visitor_readers),
) -> dict[str, Any]:
    """A page {items, next} of notes, newest first; a rep sees notes about their visitors and their own."""
    with cursor_errors():
        if visitor is None:  # a rep's own list (their visitors' notes and their own) is read from the rep's index
            allowed, reader = note_list_scope(db, caller)
            return page_notes(db, allowed, query=q, limit=limit, cursor=cursor, seen_by=reader)
        badges = resolve_visitor(db, visitor)["badges"]
        return page_notes(db, restrict(badges, visible_badges(db, caller)), query=q, limit=limit, cursor=cursor)


@router.get("/api/notes/{note_id}")
def note(
    note_id: str, db: sqlite3.Connection = Depends(get_db), caller: Principal = Depends(visitor_readers)
) -> dict[str, Any]:
    """A note with raw text, normalised text, params, lookups and warnings."""
    found = get_note(db, note_id)
    if found is None:
        raise HTTPException(404, f"no note {note_id!r}")
    if not visible_note(found, visible_badges(db, caller), caller):
        raise HTTPException(403, f"note {note_id!r} is not about one of your visitors")
    return found


@router.post("/api/notes/recompute", dependencies=[Depends(managers)])
def recompute(request: Request, db: sqlite3.Connection = Depends(get_db)) -> dict[str, int]:
    """Re-analyse every stored note against the current data and library (idempotent); tags follow."""
    runtime = request.app.state.runtime
    return recompute_all(db, _analyzer(request), None if runtime is None else runtime.rules).to_dict()
