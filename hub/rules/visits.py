"""Rebuild a badge's visits from its stored taps (hub/rules/dwell.py decides them, hub/store/visits.py holds them)."""

from __future__ import annotations

import sqlite3

from hub.rules.dwell import StationRules, TapPoint, build_visits
from hub.store.visits import (
    VisitRow,
    badge_taps,
    rebuild_start,
    replace_visits,
    stale_open_visits,
    station_settings,
)


def station_rules(conn: sqlite3.Connection, site: str, default_mode: str, default_timeout_s: int) -> StationRules:
    """Return a lookup of (tap_mode, dwell_timeout_s) per station of a site, with defaults."""
    settings = station_settings(conn, site)
    return lambda station: settings.get(station, (default_mode, default_timeout_s))


def rebuild_badge(
    conn: sqlite3.Connection, site: str, badge: str, rules: StationRules, now: float, since: float | None = None
) -> int:
    """Rebuild one badge's visits from its taps; return how many were (re)built.

    With `since` (the earliest new tap), only visits from the last one that started before it are rebuilt: the
    builder's state at a visit's opening tap does not depend on earlier taps, so earlier visits stand (see
    `rebuild_start` for which visit may anchor).
    """
    start = rebuild_start(conn, site, badge, since) if since is not None else 0.0
    taps = [
        TapPoint(event_id, badge, zone, station, ts, ts_epoch, boot, mono_ms, None if sig_ok is None else bool(sig_ok))
        for event_id, zone, station, ts, ts_epoch, boot, mono_ms, sig_ok in badge_taps(conn, site, badge, start)
    ]
    visits = build_visits(taps, rules, now)
    rows: list[VisitRow] = [
        (site, v.badge, v.zone, v.station, v.start_event, v.end_event, v.start, v.start_epoch, v.end, v.dwell_s,
         int(v.timed_out), None if v.sig_ok is None else int(v.sig_ok))
        for v in visits
    ]  # fmt: skip
    replace_visits(conn, site, badge, start, rows)
    return len(visits)


def close_timed_out(conn: sqlite3.Connection, default_mode: str, default_timeout_s: int, now: float) -> list[str]:
    """Rebuild badges whose open visit has outlived its station's dwell timeout; return those visits' opening
    event ids (a badge has at most one open visit, its last, and the rebuild closes it as timed out)."""
    stale = stale_open_visits(conn, default_timeout_s, now)
    for site, badge, _ in stale:
        rebuild_badge(conn, site, badge, station_rules(conn, site, default_mode, default_timeout_s), now)
    return [opening for _, _, opening in stale]
