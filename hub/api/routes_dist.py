"""The hub's wheelhouse at /dist/: stations install the agent from it (pip --no-index --find-links URL).

No token: pip cannot send one, and the wheels are the open-source package and its dependencies. Only plain file
names listed in settings.dist_dir are served, never a path.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter()

DIST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*\.(whl|tar\.gz|zip)$")


def _dist_files(request: Request) -> dict[str, Path]:
    folder = request.app.state.settings.dist_dir
    if not folder:
        raise HTTPException(404, "no wheelhouse: set dist_dir in hub.yaml (tourtrace hub install sets it)")
    try:
        names = os.listdir(folder)
    except OSError as exc:
        raise HTTPException(404, f"wheelhouse {folder} unreadable: {exc.strerror}") from None
    return {name: Path(folder) / name for name in sorted(names) if DIST_NAME.fullmatch(name)}


@router.get("/dist/", response_class=HTMLResponse)
def dist_index(request: Request) -> HTMLResponse:
    """List the wheels as a PEP 503-style page pip reads with --find-links."""
    links = "".join(f'<a href="{html.escape(name)}">{html.escape(name)}</a><br>\n' for name in _dist_files(request))
    return HTMLResponse(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")


@router.get("/dist/{name}")
def dist_file(name: str, request: Request) -> FileResponse:
    """Serve one file of the wheelhouse."""
    path = _dist_files(request).get(name)
    if path is None or not path.is_file():
        raise HTTPException(404, f"no {name} in the wheelhouse")
    return FileResponse(path, media_type="application/octet-stream", filename=name)
