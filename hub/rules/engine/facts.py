"""Gather the facts rules look at for one stored tap or note (visits, note analysis, badges, counts)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from hub.rules.engine.model import EventFacts, RuleSet
from hub.store.events import badge_key
from hub.store.notes import get_note
from hub.store.rule_facts import (
    closed_visit_rows,
    count_in_window,
    event_body,
    tap_and_note_bodies,
    tour_visits,
    visitor_facts,
)
from protocol import Envelope, NoteData, TapData, to_epoch


def _needs_visitors(rule_set: RuleSet) -> bool:
    return any(rule.when.visitor for rule in rule_set.rules)


def _needs_tour(rule_set: RuleSet) -> bool:
    """Tell whether a rule judges a note by the visitors' whole tour (dwell with note conditions)."""
    return any(rule.when.dwell is not None and "note" in rule.when.events for rule in rule_set.rules)


def _dwell_scope(rule_set: RuleSet) -> tuple[list[str], float] | None:
    """Return the zones of the tap dwell rules and the shortest dwell any of them judges, in seconds (None without)."""
    dwell_rules = [r for r in rule_set.rules if r.when.dwell is not None and "tap" in r.when.events]
    if not dwell_rules:
        return None
    zones = sorted({r.when.dwell.zone for r in dwell_rules if r.when.dwell is not None})
    if any(r.otherwise for r in dwell_rules):  # an else branch judges short visits too
        return zones, 0.0
    return zones, min(r.when.dwell.min_minutes for r in dwell_rules if r.when.dwell is not None) * 60


def said(items: object) -> list[Mapping[str, Any]]:
    """Return the params or signals a note really asks for: those the speaker declined (negated) drive nothing."""
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping) and item.get("negated") is not True]


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
            rows = self.read[(site, badge)] = closed_visit_rows(self.conn, site, badge, *self.scope)
        if not rows:
            return ()
        limit = until_epoch + 0.001
        return tuple(visit for end, visit in rows if end <= limit)

    def of_tap(self, tap: Envelope) -> tuple[dict[str, Any], ...]:
        """Return the candidate visits of a tap's badge that ended by the tap."""
        assert isinstance(tap.data, TapData)
        return self.of(tap.site, badge_key(tap.data), to_epoch(tap.ts))


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
                          visitors=visitor_facts(conn, tapped) if _needs_visitors(rule_set) else {})  # fmt: skip
    if not isinstance(envelope.data, NoteData):
        return None
    note = get_note(conn, envelope.id) or {}
    badges = tuple(envelope.data.visitor_badges)
    rep = envelope.data.rep_badge
    counts = {
        c.key: count_in_window(conn, c.of, c.per, envelope.site, rep, ts_epoch - c.over_hours * 3600, ts_epoch)
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
        params=tuple(said(note.get("params"))),
        signals=tuple(str(s.get("name", "")) for s in said(note.get("signals"))),
        lookups=tuple(note.get("lookups", [])),
        warnings=tuple(note.get("warnings", [])),
        visits=tuple(tour_visits(conn, envelope.site, badges, ts_epoch)) if _needs_tour(rule_set) else (),
        visitors=visitor_facts(conn, badges),
        counts=counts,
    )


def stored_event(conn: sqlite3.Connection, event_id: str) -> Envelope | None:
    """Return a stored event as an envelope."""
    body = event_body(conn, event_id)
    return None if body is None else Envelope.from_dict(body)


def stored_history(conn: sqlite3.Connection, last: int | None = None) -> Iterator[Envelope]:
    """Yield every stored tap and note (or the `last` newest) in time order."""
    for body in tap_and_note_bodies(conn, last):
        yield Envelope.from_dict(body)
