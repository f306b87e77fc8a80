"""Rebuild a badge's visits from its stored taps (hub/rules/dwell.py decides them, hub/store/visits.py holds them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from hub.rules.dwell import StationRules, TapPoint, build_visits
from hub.store.events import BatchResult
from hub.store.visits import (
    VisitRow,
    badge_taps,
    batch_taps,
    batch_visits,
    change_visits,
    rebuild_start,
    rebuild_starts,
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


def rebuild_badges(
    conn: sqlite3.Connection, site: str, since: dict[str, float], rules: StationRules, now: float, batch: BatchResult
) -> int:
    """Rebuild the visits of a batch's badges of a site, each from the earliest of its new taps (`since`, as in
    rebuild_badge), with a few statements for them all; return how many visits were (re)built.

    The batch's own taps are taken from it, not read back (every one of a badge is at or after its `since`), and
    only what changed is written: a visit still opened by the same tap keeps its row and id.
    """
    rebuild_starts(conn, site, since)
    taps: dict[str, list[TapPoint]] = {}
    for badge, *tap in batch_taps(conn, site, batch.taps_before):
        taps.setdefault(badge, []).append(_point(badge, tap))
    for badge in since:
        taps.setdefault(badge, []).extend(_point(badge, tap) for tap in batch.tap_rows.get((site, badge), ()))
    stored = {(row[1], row[4]): row for row in batch_visits(conn, site)}  # (badge, opening event) -> row
    ended: list[tuple[object, ...]] = []
    new: list[VisitRow] = []
    count = 0
    for badge in since:
        for v in build_visits(taps.get(badge, ()), rules, now):
            count += 1
            row: VisitRow = (site, badge, v.zone, v.station, v.start_event, v.end_event, v.start, v.start_epoch, v.end,
                             v.dwell_s, int(v.timed_out), None if v.sig_ok is None else int(v.sig_ok))  # fmt: skip
            old = stored.pop((badge, v.start_event), None)
            if old is None:
                new.append(row)
            elif old[1:] != row[1:]:  # the same opening tap: only how the visit ends can differ
                ended.append((v.end_event, v.end, v.dwell_s, int(v.timed_out), old[0]))
    change_visits(conn, [old[0] for old in stored.values()], ended, new)
    return count


_tuple_new = tuple.__new__  # builds a TapPoint without the Python-level __new__ of a NamedTuple (every batch builds
# one per tap of its badges it reads back)


def _point(badge: str, tap: Sequence[Any]) -> TapPoint:
    event_id, zone, station, ts, ts_epoch, boot, mono_ms, sig_ok = tap
    sig = None if sig_ok is None else bool(sig_ok)
    return _tuple_new(TapPoint, (event_id, badge, zone, station, ts, ts_epoch, boot, mono_ms, sig))


def close_timed_out(conn: sqlite3.Connection, default_mode: str, default_timeout_s: int, now: float) -> list[str]:
    """Rebuild badges whose open visit has outlived its station's dwell timeout; return those visits' opening
    event ids (a badge has at most one open visit, its last, and the rebuild closes it as timed out)."""
    stale = stale_open_visits(conn, default_timeout_s, now)
    for site, badge, _ in stale:
        rebuild_badge(conn, site, badge, station_rules(conn, site, default_mode, default_timeout_s), now)
    return [opening for _, _, opening in stale]
