"""The read-path migration backfills badge activity from stored taps; ingest keeps it current afterwards."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from hub.store.analysis_revisions import _STALE
from hub.store.db import connect, open_database
from hub.store.events import count_dead_letters, count_events, sig_finding_counts
from hub.store.rule_facts import count_history
from hub.store.schema import migrate
from hub.store.visitors import list_visitors
from tests.api.tourdata import store_events, tap


def _activity(conn: sqlite3.Connection) -> dict[str, tuple[object, ...]]:
    rows = conn.execute("SELECT badge, role, first_ts, last_ts, taps FROM badge_activity")
    return {r[0]: tuple(r[1:]) for r in rows}


def test_migration_backfills_what_ingest_would_have_recorded(tmp_path: Path) -> None:
    t0 = time.time() - 3600
    events = [tap("gate-injection", "injection", "V-1", 1, t0), tap("gate-machining", "machining", "V-1", 2, t0 + 90),
              tap("gate-injection", "injection", "R-7", 3, t0 + 100, role="rep"),
              tap("gate-injection", "injection", "V-2", 4, t0 + 200)]  # fmt: skip
    live = tmp_path / "live.sqlite3"
    store_events(live, events)
    with closing(connect(live)) as conn:
        expected = _activity(conn)
        assert count_events(conn) == {"tap": 4} and count_dead_letters(conn) == 0
    assert expected["V-1"] == ("visitor", events[0].ts, events[1].ts, 2) and expected["R-7"][0] == "rep"

    old = tmp_path / "old.sqlite3"
    store_events(old, events)
    with closing(connect(old)) as conn:  # a database as the version before this migration left it
        conn.execute("DROP TABLE badge_activity")
        conn.execute("DROP TABLE hub_counters")
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("CREATE INDEX visits_badge ON visits(site, badge, start_epoch)")
        for index in ("visits_badge_start", "visits_start", "visits_open", "notes_ts_id", "notes_rep", "tags_created"):
            conn.execute(f"DROP INDEX {index}")
        conn.execute("DELETE FROM _migrations WHERE name = '_v13_read_paths'")
        assert migrate(conn) == ["_v13_read_paths"]
        assert _activity(conn) == expected
        assert count_events(conn) == {"tap": 4} and count_dead_letters(conn) == 0
        assert [v["id"] for v in list_visitors(conn)["items"]] == ["V-2", "V-1"]


def test_reads_use_indexes_not_scans(tmp_path: Path) -> None:
    with closing(open_database(tmp_path / "hub.sqlite3")) as conn:
        plans = {  # query → the index it must use (a visitor's own visits may be sorted: they are few)
            "SELECT * FROM visits WHERE badge IN ('a','b') ORDER BY start_epoch, id": "visits_badge_start",
            'SELECT * FROM visits WHERE "end" IS NULL': "visits_open",
            "SELECT * FROM notes ORDER BY ts_epoch DESC, event_id DESC LIMIT 101": "notes_ts_id",
            "SELECT * FROM badge_activity ORDER BY last_epoch DESC, badge DESC LIMIT 101": "badge_activity_last",
            "SELECT 1 FROM notes WHERE rep_badge = 'R-1'": "notes_rep",
            "SELECT * FROM visits WHERE start_epoch >= 0 ORDER BY start_epoch, id LIMIT 101": "visits_start",
        }
        for sql, index in plans.items():
            plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert f"INDEX {index}" in plan, (sql, plan)
            assert "LIMIT" not in sql or "TEMP B-TREE" not in plan, (sql, plan)


def test_a_visitors_badge_findings_are_counted_from_an_index(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    store_events(db, [tap("gate-injection", "injection", "V-1", 1, time.time() - 60)])
    with closing(open_database(db)) as conn:
        conn.execute("UPDATE taps SET sig_finding = 'mismatch'")  # a copied badge
        ran: list[str] = []
        conn.set_trace_callback(ran.append)  # the statement the profile's count really runs, parameters inlined
        assert sig_finding_counts(conn, ["V-1", "V-2"]) == {"signature does not match": 1}
        conn.set_trace_callback(None)
        (query,) = [sql for sql in ran if "FROM taps" in sql]
        plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "INDEX taps_badge_findings (badge=?" in plan and "SCAN" not in plan, plan


def test_notes_are_found_among_events_through_an_index_that_taps_never_enter(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    store_events(db, [tap("gate-injection", "injection", "V-1", seq, time.time() - 60 + seq) for seq in (1, 2)])
    with closing(open_database(db)) as conn:
        notes = conn.execute("SELECT COUNT(*) FROM events INDEXED BY events_notes WHERE kind = 'note'").fetchone()
        assert tuple(notes) == (0,)
        assert "events_kind" not in {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        stale = f"EXPLAIN QUERY PLAN SELECT e.id {_STALE} AND e.rowid > 0 ORDER BY e.rowid LIMIT 10"
        plan = " ".join(str(row[-1]) for row in conn.execute(stale, ("rev",)))
        assert "INDEX events_notes (kind=? AND rowid>?)" in plan and "TEMP B-TREE" not in plan, plan
        assert count_history(conn) == 2  # from the running counts, not a scan of events
