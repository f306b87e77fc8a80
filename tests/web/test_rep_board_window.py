"""A rep's board reads its recent and today's visits for the rep's badges tapped within its window only (a range of
rep_activity), and shows exactly what it showed reading them for every badge of the rep's scope."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from hub.auth.roles import Caller
from hub.auth.scope import tapped_since, visible_badges
from hub.store.badges import Badge, badges_tapped_since, upsert_badge
from hub.store.db import open_database
from hub.web import views
from tests.api.tourdata import store_events, tap

DAY = 86400.0
R1 = Caller("R-1-user", "rep", rep_badge="R-1")


def _tour(badge: str, at: float, seq: int) -> list[Any]:
    return [tap("gate-injection", "injection", badge, seq, at), tap("gate-machining", "machining", badge, seq + 1,
            at + 120), tap("gate-machining", "machining", badge, seq + 2, at + 300)]  # fmt: skip


def _plant(db: Path, now: float) -> None:
    tours = [("B-1", now - 3600), ("B-2", now - 3 * DAY), ("B-3", now - 20 * DAY), ("B-9", now - 1800),
             ("B-6", now - 600), ("B-1", now - 30 * DAY)]  # fmt: skip
    store_events(db, [event for seq, (badge, at) in enumerate(tours) for event in _tour(badge, at, 1 + 3 * seq)])
    with closing(open_database(db)) as conn:
        for rep in ("R-1", "R-2"):
            upsert_badge(conn, Badge(rep, "rep"))
        upsert_badge(conn, Badge("B-1", "visitor", "V-1", "甲", "", "R-1"))  # today
        upsert_badge(conn, Badge("B-2", "visitor", "V-2", "乙", "", "R-1"))  # three days ago: "recently left"
        upsert_badge(conn, Badge("B-3", "visitor", "V-3", "丙", "", "R-1"))  # twenty days ago: neither
        upsert_badge(conn, Badge("B-5", "visitor", "B-9", "丁", "", "R-1"))  # R-1's visitor id B-9 ...
        upsert_badge(conn, Badge("B-9", "visitor", "W-9", "戊", "", "R-2"))  # ... is W-9's badge (reissued): not R-1's
        upsert_badge(conn, Badge("B-6", "visitor", "V-6", "己", "", "R-2"))  # another rep's visitor


def _shown(board: dict[str, Any]) -> dict[str, Any]:
    return {"recent": [(v["badge"], v["start"]) for v in board["recent"]],
            "today": [(v["visitor"], v["badge"], v["start"]) for v in board["today"] or []],
            "zones": [(z["id"], [v["badge"] for v in z["visitors"]]) for z in board["zones"]]}  # fmt: skip


def test_a_reps_board_reads_only_the_badges_tapped_in_its_window_and_shows_the_same(tmp_path: Path) -> None:
    db, now = tmp_path / "hub.sqlite3", time.time()
    _plant(db, now)
    today = now - 6 * 3600
    with closing(open_database(db)) as conn:
        allowed = visible_badges(conn, R1)
        assert allowed is not None and {"B-1", "B-2", "B-3"} <= allowed and not {"B-6", "B-9"} & allowed
        tapped = tapped_since(conn, R1, allowed, views.board_since(now, today))
        assert tapped == {"B-1", "B-2"}
        narrow = _shown(views.board(conn, allowed, today, tapped, now))
        assert narrow == _shown(views.board(conn, allowed, today, None, now))  # as read for the whole scope
        assert [badge for _, badge, _ in narrow["today"]] == ["B-1"]
        assert {badge for badge, _ in narrow["recent"]} == {"B-1", "B-2"}  # not W-9's tour on badge B-9
        manager = Caller("boss", "manager")
        assert tapped_since(conn, manager, visible_badges(conn, manager), now - DAY) is None  # everyone's board


def test_the_badges_tapped_since_are_a_range_of_the_rep_index(tmp_path: Path) -> None:
    db, now = tmp_path / "hub.sqlite3", time.time()
    _plant(db, now)
    with closing(open_database(db)) as conn:
        ran: list[str] = []
        conn.set_trace_callback(ran.append)  # the statement really run, parameters inlined
        assert badges_tapped_since(conn, "R-1", now - 7 * DAY) == {"B-1", "B-2"}
        conn.set_trace_callback(None)
        plan = _plan(conn, next(sql for sql in ran if "rep_activity" in sql))
        assert any("USING COVERING INDEX rep_activity_page (rep=? AND last_epoch>?)" in step for step in plan), plan
        assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), plan


def _plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]
