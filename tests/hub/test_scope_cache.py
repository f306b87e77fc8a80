"""A rep's kept scope follows every change to what they may see, whoever writes it."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path

from hub.store.badges import Badge, badges_of_visitors, upsert_badge, visitors_of_rep
from hub.store.db import open_database
from hub.store.scope_cache import scope_version
from hub.store.tx import transaction
from tests.api.tourdata import note, store_events


def test_scope_is_recomputed_when_badges_or_notes_change(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    with closing(open_database(db)) as conn:
        with transaction(conn):
            upsert_badge(conn, Badge("B-1", "visitor", "V-1", "张伟", "华东阀门", "R-1"))
        assert visitors_of_rep(conn, "R-1") == {"V-1"}
        with transaction(conn):
            upsert_badge(conn, Badge("B-2", "visitor", "V-2", "王建国", "苏州精工", "R-1"))
        assert visitors_of_rep(conn, "R-1") == {"V-1", "V-2"}
        many = {f"X-{i}" for i in range(60)} | {"V-2"}
        assert "B-2" in badges_of_visitors(conn, many)
        with transaction(conn):  # a writer that knows nothing of the kept scope: the triggers still see it
            conn.execute("UPDATE badges SET rep = 'R-9', visitor = 'V-9' WHERE badge_id = 'B-2'")
        assert visitors_of_rep(conn, "R-1") == {"V-1"}
        assert "B-2" not in badges_of_visitors(conn, many)
        found = visitors_of_rep(conn, "R-1")
        found.add("intruder")  # a caller changing its copy changes nothing kept
        assert visitors_of_rep(conn, "R-1") == {"V-1"}
        before = scope_version(conn)
    store_events(db, [note("gate-a", "R-1", ("V-1",), "看看", 1, time.time() - 60)])
    with closing(open_database(db)) as conn:
        after = scope_version(conn)
        assert before is not None and after is not None and after[1] > before[1]  # a stored note moves it too
