"""Gather the facts rules look at for one stored tap or note (visits, note analysis, badges, counts)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from hub.rules.engine.model import Count, EventFacts, RuleSet
from hub.store.events import badge_key
from hub.store.notes import get_note
from protocol import Envelope, NoteData, TapData, to_epoch


def _visitors(conn: sqlite3.Connection, badges: tuple[str, ...]) -> dict[str, dict[str, str]]:
    if not badges:
        return {}
    rows = conn.execute(
        f"SELECT badge_id, name, company FROM badges WHERE badge_id IN ({','.join('?' * len(badges))})", badges
    )
    return {r["badge_id"]: {"name": r["name"] or "", "company": r["company"] or ""} for r in rows}


def _needs_visitors(rule_set: RuleSet) -> bool:
    return any(rule.when.visitor for rule in rule_set.rules)


_VISIT_KEYS = ("zone", "station", "start_event", "end_event", "start", "end", "dwell_s")


def _dwell_scope(rule_set: RuleSet) -> tuple[list[str], float] | None:
    """Return the zones of the dwell rules and their shortest dwell in seconds (None without dwell rules)."""
    dwell_rules = [r.when.dwell for r in rule_set.rules if r.when.dwell is not None]
    if not dwell_rules:
        return None
    return sorted({d.zone for d in dwell_rules}), min(d.min_minutes for d in dwell_rules) * 60


def _closed_visit_rows(
    conn: sqlite3.Connection, site: str, badge: str, scope: tuple[list[str], float]
) -> list[tuple[float, dict[str, Any]]]:
    """Return (end epoch, visit) of a badge's closed visits in the scope's zones that lasted long enough."""
    zones, shortest = scope
    rows = conn.execute(
        'SELECT zone, station, start_event, end_event, start, "end", dwell_s, start_epoch + dwell_s FROM visits'
        f' WHERE site=? AND badge=? AND "end" IS NOT NULL AND zone IN ({",".join("?" * len(zones))}) AND dwell_s >= ?'
        " ORDER BY start_epoch",
        (site, badge, *zones, shortest),
    )
    return [(row[7], dict(zip(_VISIT_KEYS, row, strict=False))) for row in rows]


class ClosedVisits:
    """Closed visits that some dwell rule could match, read once per (site, badge) and filtered per tap.

    Rules do not write visits, so one read of a badge's candidates (whenever they ended) serves every tap of it
    in a batch; each tap keeps those that ended by its time.
    """

    def __init__(self, conn: sqlite3.Connection, rule_set: RuleSet) -> None:
        self.conn = conn
        self.scope = _dwell_scope(rule_set)
        self.read: dict[tuple[str, str], list[tuple[float, dict[str, Any]]]] = {}

    def of(self, site: str, badge: str, until_epoch: float) -> tuple[dict[str, Any], ...]:
        """Return the badge's candidate visits that ended by until_epoch, oldest first."""
        if self.scope is None:
            return ()
        rows = self.read.get((site, badge))
        if rows is None:
            rows = self.read[(site, badge)] = _closed_visit_rows(self.conn, site, badge, self.scope)
        if not rows:
            return ()
        limit = until_epoch + 0.001
        return tuple(visit for end, visit in rows if end <= limit)

    def of_tap(self, tap: Envelope) -> tuple[dict[str, Any], ...]:
        """Return the candidate visits of a tap's badge that ended by the tap."""
        assert isinstance(tap.data, TapData)
        return self.of(tap.site, badge_key(tap.data), to_epoch(tap.ts))


def count_in_window(conn: sqlite3.Connection, count: Count, site: str, rep: str | None, until: float) -> int:
    """Count new leads, notes or opportunities of a rep (or site) in the window ending at `until`."""
    since = until - count.over_hours * 3600
    who, value = ("n.rep_badge", rep) if count.per == "rep" else ("n.site", site)
    if value is None:
        return 0
    if count.of == "new_leads":
        sql = (f"SELECT COUNT(*) FROM (SELECT nv.badge, MIN(n.ts_epoch) AS first FROM notes n"
               f" JOIN note_visitors nv ON nv.event_id = n.event_id WHERE {who} = ? GROUP BY nv.badge)"
               " WHERE first > ? AND first <= ?")  # fmt: skip
    elif count.of == "notes":
        sql = f"SELECT COUNT(*) FROM notes n WHERE {who} = ? AND n.ts_epoch > ? AND n.ts_epoch <= ?"
    else:
        sql = (f"SELECT COUNT(DISTINCT o.event_id) FROM rule_outcomes o JOIN notes n ON n.event_id = o.event_id"
               f" WHERE o.kind = 'opportunity' AND {who} = ? AND n.ts_epoch > ? AND n.ts_epoch <= ?")  # fmt: skip
    return int(conn.execute(sql, (value, since, until)).fetchone()[0])


def facts_for(
    conn: sqlite3.Connection,
    envelope: Envelope,
    rule_set: RuleSet,
    closed: ClosedVisits | None = None,
    visits_until: float | None = None,
) -> EventFacts | None:
    """Return the facts of a stored tap or note (None for other kinds); `closed` reads visits once per badge.

    A tap sees the visits that ended by its time, or by `visits_until` (a visit closed later by its timeout).
    """
    ts_epoch = to_epoch(envelope.ts)
    if isinstance(envelope.data, TapData):
        data = envelope.data
        badge = badge_key(data)
        tapped = () if data.ndef is not None and data.ndef.role == "rep" else (badge,)
        until = ts_epoch if visits_until is None else visits_until
        visits = (closed or ClosedVisits(conn, rule_set)).of(envelope.site, badge, until)
        return EventFacts(envelope.id, envelope.kind, envelope.site, envelope.station, envelope.ts, ts_epoch, tapped,
                          zone=data.zone, visits=visits,
                          visitors=_visitors(conn, tapped) if _needs_visitors(rule_set) else {})  # fmt: skip
    if not isinstance(envelope.data, NoteData):
        return None
    note = get_note(conn, envelope.id) or {}
    badges = tuple(envelope.data.visitor_badges)
    rep = envelope.data.rep_badge
    counts = {
        c.key: count_in_window(conn, c, envelope.site, rep, ts_epoch)
        for c in {r.when.count for r in rule_set.rules if r.when.count is not None}
    }
    return EventFacts(
        envelope.id,
        envelope.kind,
        envelope.site,
        envelope.station,
        envelope.ts,
        ts_epoch,
        badges,
        rep=rep,
        zone=note.get("zone"),
        text=envelope.data.text,
        normalized=note.get("normalized") or "",
        params=tuple(p for p in note.get("params", []) if not p.get("negated")),  # declined: not said
        signals=tuple(s.get("name", "") for s in note.get("signals", []) if not s.get("negated")),
        lookups=tuple(note.get("lookups", [])),
        warnings=tuple(note.get("warnings", [])),
        visitors=_visitors(conn, badges),
        counts=counts,
    )


def stored_event(conn: sqlite3.Connection, event_id: str) -> Envelope | None:
    """Return a stored event as an envelope."""
    row = conn.execute("SELECT body FROM events WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else Envelope.from_dict(json.loads(row[0]))


def stored_history(conn: sqlite3.Connection, last: int | None = None) -> Iterator[Envelope]:
    """Yield every stored tap and note (or the `last` newest) in time order."""
    if last is None:
        rows = conn.execute("SELECT body FROM events WHERE kind IN ('tap', 'note') ORDER BY ts, id")
    else:
        rows = conn.execute("SELECT body FROM (SELECT body, ts, id FROM events WHERE kind IN ('tap', 'note')"
                            " ORDER BY ts DESC, id DESC LIMIT ?) ORDER BY ts, id", (last,))  # fmt: skip
    for (body,) in rows.fetchall():
        yield Envelope.from_dict(json.loads(body))


def count_history(conn: sqlite3.Connection) -> int:
    """Return how many taps and notes are stored (what a dry run would go through)."""
    return int(conn.execute("SELECT COUNT(*) FROM events WHERE kind IN ('tap', 'note')").fetchone()[0])
