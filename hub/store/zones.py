"""Zone display names: the sample plant's, overridden by the ones the process library stores."""

from __future__ import annotations

import json
import sqlite3

DEFAULT_ZONES = {"injection": "注塑车间", "heat-treat": "热处理车间", "machining": "机加工车间", "assembly": "装配车间"}


def zone_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Return zone id → display name."""
    names = dict(DEFAULT_ZONES)
    try:
        row = conn.execute("SELECT value FROM library_meta WHERE key='zones'").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is not None:
        try:
            stored = json.loads(row[0])
        except ValueError:
            stored = {}
        if isinstance(stored, dict):
            names.update({str(k): str(v) for k, v in stored.items()})
    return names
