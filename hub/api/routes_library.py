"""The process-parameter library and stock: GET/PUT /api/library, GET /api/library/export (YAML or XLSX)."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from hub.api.deps import get_db
from hub.auth.principal import Principal, require_token
from hub.auth.roles import require_role
from hub.rules.analysis import default_library
from hub.rules.analysis.library import Library, LibraryError
from hub.rules.analysis.library_files import library_from_yaml, library_to_xlsx, library_to_yaml
from hub.rules.stored_library import load_library, save_library
from hub.store.audit import record_change
from hub.store.tx import transaction

router = APIRouter()
library_editors = require_role("manager")


class LibraryText(BaseModel):
    text: str = Field(..., max_length=2_000_000, description="the library as YAML (as exported)")


def _current(db: sqlite3.Connection) -> tuple[Library, bool]:
    stored = load_library(db)
    return (stored, True) if stored is not None else (default_library(), False)


@router.get("/api/library", dependencies=[Depends(require_token)])
def read_library(db: sqlite3.Connection = Depends(get_db)) -> dict[str, Any]:
    """Process cards, materials and stock the note lookups use (the seed until one is stored)."""
    library, stored = _current(db)
    return {"stored": stored, "revision": library.revision(), **library.to_dict()}


@router.get("/api/library/export", dependencies=[Depends(require_token)])
def export_library(
    db: sqlite3.Connection = Depends(get_db), format: str = Query("yaml", pattern="^(yaml|xlsx)$")
) -> Response:
    """Download the library as YAML or XLSX (the same files `tourtrace analyze --import-library` reads)."""
    library, _ = _current(db)
    if format == "xlsx":
        return Response(
            library_to_xlsx(library),
            headers={"Content-Disposition": 'attachment; filename="library.xlsx"'},
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(library_to_yaml(library), media_type="application/yaml; charset=utf-8")


@router.put("/api/library")
def replace_library(
    body: LibraryText,
    request: Request,
    db: sqlite3.Connection = Depends(get_db),
    caller: Principal = Depends(library_editors),
) -> dict[str, Any]:
    """Replace the library from YAML; invalid text is a 422 with the reason and the old library stays."""
    try:
        library = library_from_yaml(body.text)
    except LibraryError as exc:
        raise HTTPException(422, str(exc)) from None
    with transaction(db):
        save_library(db, library)
        record_change(db, caller.name, caller.role, "library.replace", "library", {"revision": library.revision()})
    runtime = request.app.state.runtime
    if runtime is not None:
        runtime.notes.invalidate()
    return {"revision": library.revision(), "cards": len(library.to_dict().get("cards", []))}
