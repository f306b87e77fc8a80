"""A rep's notes page is the same whether their scope is a few badges or hundreds (two query shapes, one answer)."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path

from hub.store import notes as store_notes
from hub.store.db import open_database
from tests.api.tourdata import note, store_events


def test_wide_and_narrow_scopes_page_alike(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    t0 = time.time() - 10_000
    events = [note("gate-a", f"R-{i % 3}", (f"G-{i:03d}",), f"备注{i}", i + 1, t0 + 10 * i) for i in range(400)]
    store_events(db, events)
    scope = {f"G-{i:03d}" for i in range(0, 400, 2)} | {f"X-{i}" for i in range(150)}  # 350 badges: wide
    assert len(scope) > store_notes.WIDE_SCOPE
    expected = [f"备注{i}" for i in reversed(range(400)) if i % 2 == 0 or i % 3 == 1]  # in scope, or R-1's own
    with closing(open_database(db)) as conn:
        for width in (store_notes.WIDE_SCOPE, 10_000):  # the wide shape, then the narrow one for the same scope
            store_notes.WIDE_SCOPE = width
            try:
                got, cursor = [], None
                while True:
                    found = store_notes.page_notes(conn, scope, rep="R-1", limit=37, cursor=cursor)
                    got += [n["text"] for n in found["items"]]
                    cursor = found["next"]
                    if cursor is None:
                        break
            finally:
                store_notes.WIDE_SCOPE = 200
            assert got == expected, width
