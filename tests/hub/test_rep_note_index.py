"""A rep's notes list is read from note_readers, an index that starts at the rep: the same notes, in the same order,
as the registry-wide scope says (notes about the rep's visitors' badges, and those the rep dictated), however
badges are registered, reassigned or removed and notes stored or removed; a page is a range of the index."""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from hub.auth.roles import Caller
from hub.auth.scope import note_list_scope, visible_badges
from hub.store.badges import Badge, upsert_badge
from hub.store.db import open_database
from hub.store.events import BatchResult, insert_event
from hub.store.notes import insert_note, page_notes
from hub.store.schema import migrate
from protocol.timefmt import epoch_to_rfc3339
from tests.api.tourdata import note

REPS = ("R-1", "R-2", "R-3")
BADGES = ("B-1", "B-2", "B-3", "B-4", "B-5", "V-1", "R-2")  # V-1: a bare badge that is also a visitor id
VISITORS = ("V-1", "V-2", "V-3", "B-4", "R-3")  # B-4: a visitor id that is another badge; R-3: a rep badge


def _pages(conn: sqlite3.Connection, **scope: object) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        found = page_notes(conn, limit=3, cursor=cursor, **scope)  # type: ignore[arg-type]
        ids += [n["id"] for n in found["items"]]
        cursor = found["next"]
        if cursor is None:
            return ids


def _same_as_the_registry_says(conn: sqlite3.Connection) -> None:
    for rep in REPS:
        caller = Caller(f"{rep}-user", "rep", rep_badge=rep)
        badges, reader = note_list_scope(conn, caller)
        assert (badges, reader) == (None, rep)
        by_scope = _pages(conn, badges=visible_badges(conn, caller), rep=rep)  # what the scope module says
        assert _pages(conn, seen_by=reader) == by_scope, rep


def _store_note(conn: sqlite3.Connection, seq: int, rep: str | None, visitors: tuple[str, ...]) -> None:
    at = time.time() - 3600 + seq * (seq % 3)  # some notes share a time: the id orders them
    envelope = note("gate-a", rep, visitors, f"备注{seq}", seq, at)  # type: ignore[arg-type]
    insert_event(conn, envelope, epoch_to_rfc3339(at), BatchResult())
    insert_note(conn, envelope, "heat-treat")


def test_the_rep_note_index_follows_every_registry_and_note_change(tmp_path: Path) -> None:
    chance = random.Random(16)
    with closing(open_database(tmp_path / "hub.sqlite3")) as conn:
        for rep in REPS:
            upsert_badge(conn, Badge(rep, "rep"))
        for seq in range(1, 13):
            _store_note(conn, seq, chance.choice((*REPS, None)), tuple(chance.sample(BADGES + VISITORS, 2)))
        _same_as_the_registry_says(conn)
        for step in range(120):
            move = chance.random()
            badge = chance.choice(BADGES)
            if move < 0.5:
                visitor = chance.choice((None, *VISITORS))
                upsert_badge(conn, Badge(badge, "visitor", visitor, "", "", chance.choice((None, *REPS))))
            elif move < 0.6:
                upsert_badge(conn, Badge(badge, "rep"))
            elif move < 0.7:
                conn.execute("DELETE FROM badges WHERE badge_id = ?", (badge,))
            elif move < 0.9:
                _store_note(conn, 100 + step, chance.choice((*REPS, None)), tuple(chance.sample(BADGES + VISITORS, 2)))
            else:
                gone = conn.execute("SELECT event_id FROM notes ORDER BY random() LIMIT 1").fetchone()[0]
                conn.execute("DELETE FROM note_visitors WHERE event_id = ?", (gone,))
                conn.execute("DELETE FROM notes WHERE event_id = ?", (gone,))
            _same_as_the_registry_says(conn)
        assert any(_pages(conn, seen_by=rep) for rep in REPS)  # the walk left notes to read


def test_the_migration_fills_the_rep_note_index(tmp_path: Path) -> None:
    with closing(open_database(tmp_path / "hub.sqlite3")) as conn:
        upsert_badge(conn, Badge("B-1", "visitor", "V-1", "", "", "R-1"))
        upsert_badge(conn, Badge("B-2", "visitor", "V-1", "", "", "R-2"))
        upsert_badge(conn, Badge("B-4", "visitor", "V-4", "", "", "R-3"))
        upsert_badge(conn, Badge("B-5", "visitor", "B-4", "", "", "R-1"))  # R-1's visitor id B-4 is V-4's badge
        for seq, (rep, visitors) in enumerate(
            [("R-3", ("B-1",)), (None, ("B-2", "X-9")), ("R-2", ("B-4",)), (None, ("V-1",)), ("R-1", ())], start=1
        ):
            _store_note(conn, seq, rep, visitors)
        expected = {rep: _pages(conn, seen_by=rep) for rep in REPS}
        conn.execute("DROP TABLE note_readers")  # as the step before this one left a database
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'note_readers%'").fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DELETE FROM _migrations WHERE name = '_v18_note_readers'")
        assert migrate(conn) == ["_v18_note_readers"]
        assert {rep: _pages(conn, seen_by=rep) for rep in REPS} == expected
        assert [len(expected[rep]) for rep in REPS] == [4, 4, 2]  # R-1's visitor id B-4 is V-4's badge: not R-1's
        _same_as_the_registry_says(conn)


def test_a_reps_notes_page_is_a_range_of_the_rep_note_index(tmp_path: Path) -> None:
    with closing(open_database(tmp_path / "hub.sqlite3")) as conn:
        upsert_badge(conn, Badge("B-1", "visitor", "V-1", "", "", "R-1"))
        for seq in range(1, 4):
            _store_note(conn, seq, "R-2", ("B-1",))
        first = page_notes(conn, limit=1, seen_by="R-1")
        for cursor, query in ((None, None), (first["next"], None), (None, "备注")):
            ran: list[str] = []
            conn.set_trace_callback(ran.append)  # the statement page_notes really runs, parameters inlined
            page_notes(conn, query=query, limit=1, cursor=cursor, seen_by="R-1")
            conn.set_trace_callback(None)
            sql = next(statement for statement in ran if "note_readers" in statement)
            plan = [str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]
            assert any(step.startswith("SEARCH s USING PRIMARY KEY (rep=?") for step in plan), plan
            assert not any(step.startswith("SCAN") for step in plan), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan  # read in order: no sort of the scope
