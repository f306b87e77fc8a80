"""Export visits, tags and notes for the CRM as XLSX (one sheet each) or CSV (one sheet)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from openpyxl import Workbook
from openpyxl.styles import Font

from hub.api.deps import get_db
from hub.api.export_opportunities import add_opportunities_sheet
from hub.auth.principal import Principal
from hub.auth.roles import visitor_readers
from hub.auth.scope import visible_badges, visible_visitors
from hub.store.badges import visitor_of_badge
from hub.store.visits import list_visits
from hub.web.derived import evidence_text, list_notes, list_tags

router = APIRouter()
SHEETS = ("visits", "tags", "notes")
HEADERS = {
    "visits": ["visitor", "name", "company", "badge", "zone", "station", "start", "end", "dwell_s", "timed_out"],
    "tags": ["visitor", "name", "company", "tag", "evidence", "at"],
    "notes": ["note_id", "ts", "station", "rep_badge", "visitor_badges", "text", "normalized", "params", "signals",
              "warnings"],
}  # fmt: skip


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _label(item: Any) -> str:
    if isinstance(item, dict):
        said = item.get("text") or item.get("message") or item.get("name") or json.dumps(item, ensure_ascii=False)
        return f"{said}（已取消）" if item.get("negated") else str(said)
    return str(item)


def sheet_rows(conn: sqlite3.Connection, principal: Principal, sheet: str) -> list[list[Any]]:
    """Return the rows of one sheet, limited to the caller's visitors for a rep."""
    allowed = visible_visitors(conn, principal)
    visible = visible_badges(conn, principal)
    badges = None if visible is None else sorted(visible)
    owners = visitor_of_badge(conn)
    cards = {r["visitor"]: (r["name"], r["company"]) for r in conn.execute(
        "SELECT visitor, name, company FROM badges WHERE role='visitor'")}  # fmt: skip
    if sheet == "visits":
        rows = []
        for v in list_visits(conn, badges=badges, limit=1_000_000):
            who = owners.get(v["badge"], v["badge"])
            name, company = cards.get(who, ("", ""))
            rows.append([who, name, company, v["badge"], v["zone"], v["station"], v["start"], v["end"], v["dwell_s"],
                         v["timed_out"]])  # fmt: skip
        return rows
    if sheet == "tags":
        tags = list_tags(conn, None if badges is None else {*badges, *(allowed or set())})
        return [[t["visitor"], *cards.get(t["visitor"], ("", "")), t["tag"], evidence_text(t["evidence"]), t["at"]]
                for t in tags]  # fmt: skip
    return [
        [n["id"], n["ts"], n["station"], n["rep_badge"], _cell(n["visitor_badges"]), n["text"], n["normalized"],
         "、".join(_label(p) for p in n["params"]), "、".join(_label(s) for s in n["signals"]),
         "；".join(_label(w) for w in n["warnings"])]
        for n in list_notes(conn, badges, limit=1_000_000)
    ]  # fmt: skip


@router.get("/api/export.xlsx")
def export_xlsx(principal: Principal = Depends(visitor_readers), db: sqlite3.Connection = Depends(get_db)) -> Response:
    """Workbook with sheets visits, tags, notes, opportunities."""
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet)
        ws.append(HEADERS[sheet])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet_rows(db, principal, sheet):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
    add_opportunities_sheet(book, db, principal)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="tourtrace-export.xlsx"'},
    )


@router.get("/api/export.csv")
def export_csv(
    principal: Principal = Depends(visitor_readers),
    db: sqlite3.Connection = Depends(get_db),
    sheet: str = Query("visits", description="visits|tags|notes"),
) -> Response:
    """One sheet as UTF-8 CSV with a BOM (so Excel shows Chinese correctly)."""
    if sheet not in SHEETS:
        raise HTTPException(422, f"sheet: expected one of {'|'.join(SHEETS)}, got {sheet!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS[sheet])
    writer.writerows([[_cell(v) for v in row] for row in sheet_rows(db, principal, sheet)])
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tourtrace-{sheet}.csv"'},
    )
