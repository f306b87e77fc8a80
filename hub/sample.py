"""The sample forging and heat-treatment plant: library, stock and badges (`--sample-data`, `tourtrace demo`)."""

from __future__ import annotations

import sqlite3

from hub.rules.analysis import default_library
from hub.rules.stored_library import load_library, save_library
from hub.store.badges import Badge, upsert_badge
from hub.store.tx import transaction

SAMPLE_BADGES = (
    Badge("V-0001", "visitor", name="张伟", company="华东阀门", rep="R-007"),
    Badge("V-0002", "visitor", name="李娜", company="苏北精密", rep="R-007"),
    Badge("R-007", "rep", name="王磊", company="本厂销售部"),
)


def load_sample_data(conn: sqlite3.Connection) -> bool:
    """Load the sample library and badges unless a library is already stored; return True if loaded."""
    if load_library(conn) is not None:
        return False
    library = default_library()
    with transaction(conn):
        save_library(conn, library)
        for badge in SAMPLE_BADGES:
            upsert_badge(conn, badge)
    return True
