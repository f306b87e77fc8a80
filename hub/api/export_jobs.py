"""Long exports as jobs: written in a thread of their own, their progress (rows of total) asked for by the dashboard.

A job's file lives in a temporary directory for an hour after it is done, readable only by whoever started it.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from hub.api.export_sheets import ExportScope, count_rows, write_workbook
from hub.store.db import connect

log = logging.getLogger(__name__)
KEEP_S = 3600
MAX_RUNNING = 2


@dataclass
class ExportJob:
    """One export being written, or written."""

    id: str
    owner: str
    total: int
    path: Path
    rows: int = 0
    state: str = "running"  # running | done | failed
    error: str = ""
    finished: float = field(default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "rows": self.rows, "total": self.total, "error": self.error}


class ExportJobs:
    """The export jobs of one hub process."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.directory = Path(tempfile.mkdtemp(prefix="tourtrace-exports-"))
        self.jobs: dict[str, ExportJob] = {}
        self.lock = threading.Lock()

    def start(
        self,
        scope: ExportScope,
        lang: str,
        owner: str,
        more_sheets: Callable[[Workbook, sqlite3.Connection], None] | None = None,
    ) -> ExportJob | None:
        """Start writing an export; None when MAX_RUNNING exports are being written already."""
        self._forget_old()
        with self.lock:
            if sum(job.state == "running" for job in self.jobs.values()) >= MAX_RUNNING:
                return None
            with closing(connect(self.db_path)) as conn:
                total = count_rows(conn, scope)
            job = ExportJob(secrets.token_urlsafe(12), owner, total, self.directory / f"{secrets.token_hex(8)}.xlsx")
            self.jobs[job.id] = job

        def write() -> None:
            try:
                with closing(connect(self.db_path)) as conn:
                    job.rows = write_workbook(
                        conn, scope, lang, str(job.path), lambda rows: setattr(job, "rows", rows), more_sheets
                    )
                job.state = "done"
            except Exception as exc:  # a failed export is reported to whoever asked, never takes the hub down
                log.exception("export %s failed", job.id)
                job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
            job.finished = time.monotonic()

        threading.Thread(target=write, name=f"export-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str, owner: str) -> ExportJob | None:
        """Return a job if it exists and belongs to owner."""
        job = self.jobs.get(job_id)
        return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def _forget_old(self) -> None:
        now = time.monotonic()
        with self.lock:
            for job_id, job in list(self.jobs.items()):
                if job.state != "running" and now - job.finished > KEEP_S:
                    job.path.unlink(missing_ok=True)
                    del self.jobs[job_id]

    def close(self) -> None:
        """Remove every file (the hub is stopping)."""
        shutil.rmtree(self.directory, ignore_errors=True)
