"""The board's pending-today count reads today's rows from an index, by the instant each opportunity was raised."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.store.db import connect, open_database
from hub.store.opportunities import change_status, count_pending, open_opportunity
from hub.store.schema import MIGRATIONS, _v14_opportunities_created_epoch, migrate
from protocol import to_epoch
from tests.old_schema import steps_as_released

DAY_START = to_epoch("2026-11-30T00:00:00+08:00")


def _raise(conn: sqlite3.Connection, visitor: str, rep: str, created_at: str) -> int:
    found = open_opportunity(conn, "demo", visitor, visitor, rep, "报价商机", "报价请求", f"E-{visitor}", {})
    assert found is not None
    conn.execute("UPDATE opportunities SET created_at=?, created_epoch=? WHERE id=?",
                 (created_at, to_epoch(created_at), found))  # fmt: skip
    return found


def test_pending_today_counts_todays_pending_of_the_visitors_asked(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "hub.sqlite3")
    _raise(conn, "V-1", "R-1", "2026-11-30T09:00:00+08:00")
    _raise(conn, "V-2", "R-2", "2026-11-30T01:30:00Z")  # 09:30 at +08:00: today
    _raise(conn, "V-3", "R-1", "2026-11-29T15:59:59Z")  # 23:59:59 yesterday at +08:00
    handled = _raise(conn, "V-4", "R-1", "2026-11-30T10:00:00+08:00")
    change_status(conn, handled, "contacted", "rep", "rep")
    assert count_pending(conn, since_epoch=DAY_START) == 2
    assert count_pending(conn) == 3
    assert count_pending(conn, since_epoch=DAY_START, visitors={"V-2"}) == 1
    assert count_pending(conn, since_epoch=DAY_START, visitors=set(), own_rep="R-1") == 1
    assert open_opportunity(conn, "demo", "V-5", "V-5", None, "r", "t", "E-5", {}) is not None  # stamped now
    assert count_pending(conn, since_epoch=DAY_START) == 3


def test_the_count_reads_the_status_and_created_epoch_index(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "hub.sqlite3")
    _raise(conn, "V-1", "R-1", "2026-11-30T09:00:00+08:00")
    ran: list[str] = []
    conn.set_trace_callback(ran.append)  # the statement count_pending really runs, parameters inlined
    assert count_pending(conn, since_epoch=DAY_START, visitors={"V-1"}) == 1
    conn.set_trace_callback(None)
    (query,) = [sql for sql in ran if sql.lstrip().upper().startswith("SELECT")]
    details = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {query}").fetchall())
    assert "USING INDEX opportunities_pending_since (status=? AND created_epoch>?)" in details, details


def test_the_migration_gives_existing_opportunities_their_instant(tmp_path: Path) -> None:
    before = MIGRATIONS.index(_v14_opportunities_created_epoch)
    conn = steps_as_released(connect(tmp_path / "old.sqlite3"), before)
    for visitor, created in (("V-1", "2026-11-30T08:00:00.250+08:00"), ("V-2", "2026-11-29T13:00:00Z")):
        conn.execute(
            "INSERT INTO opportunities(site, visitor, rule, title, status, event_id, evidence, created_at, updated_at)"
            " VALUES ('demo', ?, 'r', 't', 'pending', 'E', '{}', ?, ?)",
            (visitor, created, created),
        )
    assert migrate(conn) == [step.__name__ for step in MIGRATIONS[before:]]  # v14 and every later step
    epochs = dict(conn.execute("SELECT visitor, created_epoch FROM opportunities").fetchall())
    assert abs(epochs["V-1"] - to_epoch("2026-11-30T08:00:00.250+08:00")) < 0.001
    assert abs(epochs["V-2"] - to_epoch("2026-11-29T13:00:00Z")) < 0.001
    assert count_pending(conn, since_epoch=DAY_START) == 1
