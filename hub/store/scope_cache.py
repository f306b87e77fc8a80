"""Keep a rep's scope (their visitors, those visitors' badges) between requests until it could have changed.

Working a rep's scope out reads every note they dictated and every visitor assigned to them: after ten years, a few
thousand rows on every page the rep opens, every two seconds on the live board. Triggers (schema step
_v13_read_paths) move the 'scope' counter on any change to badges, notes or note_visitors, whoever makes it; a kept
answer is used only while that counter and the database file are the ones it was computed under.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

KEEP = 256
_kept: OrderedDict[tuple[Hashable, ...], frozenset[str]] = OrderedDict()
_lock = threading.Lock()


def scope_version(conn: sqlite3.Connection) -> tuple[str, int] | None:
    """Return (database file, scope counter), None when there is nothing to key on (in-memory or unmigrated)."""
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    row = conn.execute("SELECT value FROM hub_counters WHERE name = 'scope'").fetchone()
    return None if not path or row is None else (path, int(row[0]))


def kept(conn: sqlite3.Connection, key: tuple[Hashable, ...], compute: Callable[[], set[str]]) -> set[str]:
    """Return compute()'s answer for key, reused while the scope version stands (always a fresh set)."""
    version = scope_version(conn)
    if version is None:
        return compute()
    full = (*version, *key)
    with _lock:
        found = _kept.get(full)
        if found is not None:
            _kept.move_to_end(full)
    if found is None:
        found = frozenset(compute())
        with _lock:
            _kept[full] = found
            while len(_kept) > KEEP:
                _kept.popitem(last=False)
    return set(found)
