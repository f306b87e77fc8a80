"""Export visits, tags and notes for the CRM as XLSX (one sheet each) or CSV (one sheet), for a time range.

Rows are written as they are read (openpyxl's write-only mode spools each sheet to disk), so memory stays flat
however much history there is; a long export can run as a job whose progress the dashboard shows.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook

from hub.api.deps import get_db
from hub.api.export_jobs import ExportJobs
from hub.api.export_opportunities import add_opportunities_sheet
from hub.api.export_sheets import HEADERS, SHEETS, ExportScope, sheet_rows, write_workbook
from hub.auth.principal import Principal
from hub.auth.roles import visitor_readers
from hub.auth.scope import visible_badges
from hub.store.db import connect
from protocol import to_epoch

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _epoch(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return to_epoch(value)
    except ValueError:
        raise HTTPException(422, f"{name}: expected RFC 3339 time with offset, got {value!r}") from None


class ExportQuery:
    """The time range and header language every export route takes (one FastAPI dependency for all three)."""

    def __init__(
        self,
        since: str | None = Query(None, description="RFC 3339; from this time on"),
        until: str | None = Query(None, description="RFC 3339; before this time"),
        lang: str = Query("zh", description="header language: zh|en"),
    ) -> None:
        self.since, self.until, self.lang = since, until, lang

    def scope(self, conn: sqlite3.Connection, principal: Principal) -> ExportScope:
        """Return what the caller may export in the time range (a rep: only their visitors)."""
        visible = visible_badges(conn, principal)
        since, until = _epoch("since", self.since), _epoch("until", self.until)
        return ExportScope(None if visible is None else sorted(visible), since, until)

    def header_lang(self) -> str:
        return _lang(self.lang)


def opportunities_of(principal: Principal) -> Callable[[Workbook, sqlite3.Connection], None]:
    """Return what writes the caller's opportunities sheet into an export workbook."""
    return lambda book, conn: add_opportunities_sheet(book, conn, principal)


def _lang(lang: str) -> str:
    if lang not in HEADERS:
        raise HTTPException(422, f"lang: expected one of {'|'.join(HEADERS)}, got {lang!r}")
    return lang


@router.get("/api/export.xlsx")
def export_xlsx(
    background: BackgroundTasks,
    principal: Principal = Depends(visitor_readers),
    db: sqlite3.Connection = Depends(get_db),
    query: ExportQuery = Depends(),
) -> FileResponse:
    """Workbook with sheets visits, tags, notes (for a time range; all history without one) and opportunities."""
    scope = query.scope(db, principal)
    handle, path = tempfile.mkstemp(prefix="tourtrace-export-", suffix=".xlsx")
    os.close(handle)
    background.add_task(os.unlink, path)
    write_workbook(db, scope, query.header_lang(), path, more_sheets=opportunities_of(principal))
    return FileResponse(path, media_type=XLSX, filename="tourtrace-export.xlsx")


def _csv_lines(db_path: str, scope: ExportScope, lang: str, sheet: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADERS[lang][sheet])
    with closing(connect(db_path)) as conn:
        for count, row in enumerate(sheet_rows(conn, scope, sheet), start=1):
            writer.writerow(row)
            if count % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


@router.get("/api/export.csv")
def export_csv(
    request: Request,
    principal: Principal = Depends(visitor_readers),
    db: sqlite3.Connection = Depends(get_db),
    sheet: str = Query("visits", description="visits|tags|notes"),
    query: ExportQuery = Depends(),
) -> StreamingResponse:
    """One sheet as UTF-8 CSV with a BOM (so Excel shows Chinese correctly), streamed as it is read."""
    if sheet not in SHEETS:
        raise HTTPException(422, f"sheet: expected one of {'|'.join(SHEETS)}, got {sheet!r}")
    scope = query.scope(db, principal)
    return StreamingResponse(
        _csv_lines(request.app.state.settings.db, scope, query.header_lang(), sheet),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tourtrace-{sheet}.csv"'},
    )


_JOBS_LOCK = threading.Lock()


def _jobs(request: Request) -> ExportJobs:
    with _JOBS_LOCK:
        if not hasattr(request.app.state, "export_jobs"):
            request.app.state.export_jobs = ExportJobs(request.app.state.settings.db)
        jobs: ExportJobs = request.app.state.export_jobs
        return jobs


@router.post("/api/exports", status_code=202)
def start_export(
    request: Request,
    principal: Principal = Depends(visitor_readers),
    db: sqlite3.Connection = Depends(get_db),
    query: ExportQuery = Depends(),
) -> dict[str, Any]:
    """Start writing the export workbook; poll GET /api/exports/{id} for {state, rows, total}, then fetch its file."""
    scope = query.scope(db, principal)
    job = _jobs(request).start(scope, query.header_lang(), principal.name, opportunities_of(principal))
    if job is None:
        raise HTTPException(429, "exports: two are being written already; try again when one is done")
    return job.to_dict()


@router.get("/api/exports/{job_id}")
def export_progress(job_id: str, request: Request, principal: Principal = Depends(visitor_readers)) -> dict[str, Any]:
    """How far an export is: state running|done|failed, rows written of total."""
    job = _jobs(request).get(job_id, principal.name)
    if job is None:
        raise HTTPException(404, f"no export {job_id!r} of yours")
    return job.to_dict()


@router.get("/api/exports/{job_id}/file")
def export_file(job_id: str, request: Request, principal: Principal = Depends(visitor_readers)) -> FileResponse:
    """The workbook of a finished export."""
    job = _jobs(request).get(job_id, principal.name)
    if job is None:
        raise HTTPException(404, f"no export {job_id!r} of yours")
    if job.state != "done":
        raise HTTPException(409, f"export {job_id!r} is {job.state}, not done")
    return FileResponse(job.path, media_type=XLSX, filename="tourtrace-export.xlsx")
