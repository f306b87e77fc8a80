"""A rep's visitors list is read from rep_activity, an index that starts at the rep: the same visitors, in the same
order, as the registry-wide scope says, however badges are registered, reassigned or tapped; a page is a range of
the index, never a scan of everyone's activity."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from hub.store.badges import Badge, upsert_badge, visitors_of_rep
from hub.store.db import connect, open_database
from hub.store.schema import migrate
from hub.store.visitors import list_visitors
from tests.api.tourdata import store_events, tap

REPS = ("R-1", "R-2", "R-3")


def _every_page(conn: sqlite3.Connection, rep: str | None, allowed: set[str] | None) -> list[dict[str, object]]:
    items, cursor = [], None
    while True:
        found = list_visitors(conn, allowed, limit=2, cursor=cursor, rep=rep)
        items += found["items"]
        cursor = found["next"]
        if cursor is None:
            return items


def _same_as_the_registry_says(conn: sqlite3.Connection) -> None:
    for rep in REPS:
        by_scope = _every_page(conn, None, visitors_of_rep(conn, rep))
        assert _every_page(conn, rep, None) == by_scope, rep


def _history(db: Path) -> None:
    t0 = time.time() - 7200
    events = [tap("gate-injection", "injection", badge, seq, t0 + 60 * seq)
              for seq, badge in enumerate(["B-1", "B-2", "B-3", "V-4", "B-5", "B-6", "B-1"], start=1)]  # fmt: skip
    store_events(db, events)


def test_the_rep_index_follows_every_registry_change_and_tap(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    _history(db)
    with closing(open_database(db)) as conn:
        for rep in REPS:
            upsert_badge(conn, Badge(rep, "rep"))
        upsert_badge(conn, Badge("B-1", "visitor", "V-1", "甲", "华东阀门", "R-1"))
        upsert_badge(conn, Badge("B-2", "visitor", "V-2", "乙", "苏州精工", "R-1"))
        upsert_badge(conn, Badge("B-3", "visitor", "V-1", "甲", "华东阀门", "R-2"))  # V-1's second badge, another rep
        upsert_badge(conn, Badge("B-4", "visitor", "V-4", "丁", "", "R-2"))  # the bare badge V-4 tapped is V-4's
        upsert_badge(conn, Badge("B-7", "visitor", "V-7", "戊", "", "R-3"))  # registered, never seen
        _same_as_the_registry_says(conn)
        assert {v["id"] for v in _every_page(conn, "R-1", None)} == {"V-1", "V-2"}
        assert {v["id"] for v in _every_page(conn, "R-2", None)} == {"V-1", "V-4"}

        upsert_badge(conn, Badge("B-2", "visitor", "V-2", "乙", "苏州精工", "R-3"))  # reassigned
        upsert_badge(conn, Badge("B-3", "visitor", "V-5", "己", "", "R-2"))  # B-3 now someone else's
        upsert_badge(conn, Badge("B-5", "visitor", "V-5", "己", "", None))  # a badge of V-5 without a rep
        _same_as_the_registry_says(conn)
        assert {v["id"] for v in _every_page(conn, "R-1", None)} == {"V-1"}
        assert {v["id"] for v in _every_page(conn, "R-3", None)} == {"V-2", "V-7"}
    store_events(db, [tap("gate-machining", "machining", "B-2", 20, time.time() - 60),
                      tap("gate-machining", "machining", "B-9", 21, time.time() - 30),
                      tap("gate-machining", "machining", "B-4", 22, time.time() - 20)])  # fmt: skip
    with closing(connect(db)) as conn:
        upsert_badge(conn, Badge("B-9", "visitor", "V-2", "乙", "苏州精工", None))  # tapped before registered
        _same_as_the_registry_says(conn)
        assert [v["id"] for v in _every_page(conn, "R-3", None)] == ["V-2", "V-7"]  # last seen first
        assert _every_page(conn, "R-2", None)[0]["id"] == "V-4"  # V-4's badge, tapped last, moved it up


def test_the_migration_fills_the_rep_index_from_the_registry(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    _history(db)
    with closing(open_database(db)) as conn:
        upsert_badge(conn, Badge("B-1", "visitor", "V-1", "甲", "", "R-1"))
        upsert_badge(conn, Badge("B-3", "visitor", "V-1", "甲", "", "R-2"))
        upsert_badge(conn, Badge("B-4", "visitor", "V-4", "丁", "", "R-2"))
        expected = {rep: _every_page(conn, rep, None) for rep in REPS}
        conn.execute("DROP TABLE rep_activity")  # as the step before this one left a database
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'rep_activity%'").fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DELETE FROM _migrations WHERE name = '_v15_rep_activity'")
        assert migrate(conn) == ["_v15_rep_activity"]
        assert {rep: _every_page(conn, rep, None) for rep in REPS} == expected
        _same_as_the_registry_says(conn)


def test_a_reps_page_is_a_range_of_the_rep_index(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    _history(db)
    with closing(open_database(db)) as conn:
        upsert_badge(conn, Badge("B-1", "visitor", "V-1", "甲", "", "R-1"))
        first = list_visitors(conn, None, limit=1, rep="R-1")
        for cursor in (None, first["next"]):
            ran: list[str] = []
            conn.set_trace_callback(ran.append)  # the statement list_visitors really runs, parameters inlined
            list_visitors(conn, None, limit=1, cursor=cursor, rep="R-1")
            conn.set_trace_callback(None)
            query = next(sql for sql in ran if "rep_activity" in sql)
            plan = [str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {query}").fetchall()]
            assert any("SEARCH s USING" in step and "INDEX rep_activity_page (rep=?" in step for step in plan), plan
            assert not any(step.startswith("SCAN") for step in plan), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan  # read in order: no sort of the scope
