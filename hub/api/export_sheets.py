"""The export's sheets: headers in the dashboard's language, rows read and written one at a time, cells made safe."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from hub.rules.evidence import evidence_text
from hub.store.badges import visitor_card, visitor_of_badge
from hub.store.notes import count_notes, count_tags, iter_notes, iter_tags
from hub.store.visits import count_visits, iter_visits
from hub.store.zones import zone_names

SHEETS = ("visits", "tags", "notes")
HEADERS = {
    "zh": {
        "visits": ["访客编号", "姓名", "公司", "工牌", "车间", "站点", "开始", "结束", "停留（秒）", "超时关闭"],
        "tags": ["访客编号", "姓名", "公司", "兴趣标签", "依据", "时间"],
        "notes": ["备注编号", "时间", "站点", "销售", "访客", "识别原文", "规范文本", "参数", "信号", "提醒"],
    },
    "en": {
        "visits": ["visitor", "name", "company", "badge", "zone", "station", "start", "end", "dwell_s", "timed_out"],
        "tags": ["visitor", "name", "company", "tag", "evidence", "at"],
        "notes": ["note_id", "ts", "station", "rep_badge", "visitors", "text", "normalized", "params", "signals",
                  "warnings"],
    },
}  # fmt: skip
_BOLD = Font(bold=True)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return a value a spreadsheet shows as written: control characters replaced, never a live formula."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        value = _CONTROL.sub("\ufffd", value)
        if value.startswith(_FORMULA_START):
            value = "'" + value
    return value


@dataclass(frozen=True)
class ExportScope:
    """What one export covers: some badges (None: all) and a time range (epochs; None: open)."""

    badges: list[str] | None
    since: float | None
    until: float | None

    def iso(self, epoch: float | None) -> str | None:
        return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


class _People:
    """Visitor id and name of the badges notes name, looked up once each (the most recent 10,000 kept)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.known: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def of(self, badge: str) -> tuple[str, str]:
        found = self.known.get(badge)
        if found is None:
            visitor = visitor_of_badge(self.conn, [badge]).get(badge, badge)
            found = self.known[badge] = (visitor, visitor_card(self.conn, visitor)["name"])
            if len(self.known) > 10_000:
                self.known.popitem(last=False)
        return found


def _label(item: Any) -> str:
    if isinstance(item, dict):
        said = item.get("text") or item.get("message") or item.get("name") or json.dumps(item, ensure_ascii=False)
        return f"{said}（已取消）" if item.get("negated") else str(said)
    return str(item)


def count_rows(conn: sqlite3.Connection, scope: ExportScope) -> int:
    """Return how many rows an export will write (index counts, for its progress)."""
    return (count_visits(conn, scope.badges, scope.since, scope.until)
            + count_tags(conn, scope.badges, scope.iso(scope.since), scope.iso(scope.until))
            + count_notes(conn, scope.badges, scope.since, scope.until))  # fmt: skip


def sheet_rows(conn: sqlite3.Connection, scope: ExportScope, sheet: str) -> Iterator[list[Any]]:
    """Yield the rows of one sheet as they are read, each cell safe."""
    people, zones = _People(conn), zone_names(conn)
    if sheet == "visits":
        for v in iter_visits(conn, scope.badges, scope.since, scope.until):
            zone = zones.get(v["zone"], v["zone"])
            yield [safe_cell(x) for x in (v["visitor"], v["name"], v["company"], v["badge"], zone, v["station"],
                   v["start"], v["end"], v["dwell_s"], v["timed_out"])]  # fmt: skip
    elif sheet == "tags":
        for t in iter_tags(conn, scope.badges, scope.iso(scope.since), scope.iso(scope.until)):
            why = evidence_text(t["evidence"], zones)
            yield [safe_cell(x) for x in (t["visitor"], t["name"], t["company"], t["tag"], why, t["created_at"])]
    else:
        for n in iter_notes(conn, scope.badges, scope.since, scope.until):
            visitors = "、".join(f"{name}（{who}）" if name else who
                                for who, name in (people.of(b) for b in n["visitor_badges"]))  # fmt: skip
            said = ("、".join(_label(p) for p in n["params"]), "、".join(_label(s) for s in n["signals"]),
                    "；".join(_label(w) for w in n["warnings"]))  # fmt: skip
            yield [safe_cell(x) for x in (n["id"], n["ts"], n["station"], n["rep_badge"], visitors, n["text"],
                   n["normalized"], *said)]  # fmt: skip


def write_workbook(
    conn: sqlite3.Connection,
    scope: ExportScope,
    lang: str,
    path: str,
    progress: Callable[[int], None] | None = None,
    more_sheets: Callable[[Workbook, sqlite3.Connection], None] | None = None,
) -> int:
    """Write the export workbook to path, one row at a time (then any more_sheets); return how many rows its own
    sheets hold."""
    book = Workbook(write_only=True)
    written = 0
    for sheet in SHEETS:
        ws = book.create_sheet(sheet)
        ws.freeze_panes = "A2"
        header = []
        for title in HEADERS[lang][sheet]:
            cell = WriteOnlyCell(ws, value=title)
            cell.font = _BOLD
            header.append(cell)
        ws.append(header)
        for row in sheet_rows(conn, scope, sheet):
            ws.append(row)
            written += 1
            if progress is not None and written % 1000 == 0:
                progress(written)
    if more_sheets is not None:
        more_sheets(book, conn)
    book.save(path)
    return written
