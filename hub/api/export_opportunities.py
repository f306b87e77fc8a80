"""The opportunities sheet of /api/export.xlsx: status, rep, evidence and times, a rep's own visitors only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from hub.api.export_sheets import safe_cell
from hub.auth.principal import Principal
from hub.auth.roles import rep_badge_of
from hub.auth.scope import opportunity_visitors
from hub.store.opportunities import iter_opportunities

SHEET = "opportunities"
HEADER = ["id", "visitor", "badge", "rep", "status", "rule", "title", "note_id", "quote", "params", "signals",
          "dwell_min", "created_at", "updated_at"]  # fmt: skip


def opportunity_rows(conn: sqlite3.Connection, principal: Principal) -> Iterator[list[Any]]:
    """Yield one row per opportunity the caller may see, oldest first."""
    scope = opportunity_visitors(conn, principal)
    for o in iter_opportunities(conn, scope, rep_badge_of(principal) if scope is not None else None):
        evidence = o["evidence"]
        dwell = "、".join(f"{zone} {float(s) / 60:.1f}" for zone, s in (evidence.get("dwell") or {}).items())
        yield [o["id"], o["visitor"], o["badge"], o["rep"], o["status"], o["rule"], o["title"],
               evidence.get("note_id"), evidence.get("quote", ""),
               "、".join(str(p.get("text", "")) for p in evidence.get("params", [])),
               "、".join(str(s.get("name", "")) for s in evidence.get("signals", [])),
               dwell, o["created_at"], o["updated_at"]]  # fmt: skip


def add_opportunities_sheet(book: Workbook, conn: sqlite3.Connection, principal: Principal) -> None:
    """Append the opportunities sheet to a workbook (plain appends, so a write-only workbook works too)."""
    sheet = book.create_sheet(SHEET)
    sheet.append(HEADER)
    for row in opportunity_rows(conn, principal):
        sheet.append([safe_cell(value) for value in row])
