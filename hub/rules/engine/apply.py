"""Apply rule actions idempotently (every action is keyed), or report which would be new without writing."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from hub.rules.engine.facts import said
from hub.rules.engine.model import Action
from hub.rules.engine.notify_context import message_words
from hub.store.notes import add_tag, get_note, remove_tag
from hub.store.notify_outbox import enqueue
from hub.store.opportunities import has_open_opportunity, open_opportunity, opportunity_of_event
from hub.store.rule_facts import badge_name, has_tag, timer_exists, tour_visits, visitor_facts
from hub.store.rules_state import add_outcome, held_by, outcome_keys, start_timer

HOLDABLE = ("opportunity", "notify")  # a rep's held leads are recorded, not announced


def _visitor_and_rep(conn: sqlite3.Connection, action: Action) -> tuple[dict[str, str], str | None]:
    """Return the registered card of the action's badge and its rep: the note's rep, else the visitor's."""
    card = visitor_facts(conn, (action.badge,)).get(action.badge or "", {}) if action.badge else {}
    return card, action.rep or card.get("rep") or None


def _notify_context(conn: sqlite3.Connection, action: Action) -> dict[str, Any]:
    card, rep = _visitor_and_rep(conn, action)
    visitor = card.get("visitor") or action.badge or ""
    opportunity = opportunity_of_event(conn, action.event_id, visitor) if visitor else None
    return {
        "visitor": visitor,
        "visitor_name": card.get("name", ""),
        "company": card.get("company", ""),
        "rep": (badge_name(conn, rep) or rep) if rep else None,
        "rule": action.rule,
        "event_id": action.event_id,
        "opportunity_id": opportunity,
        **message_words(conn, action),  # signals, note, tag, evidence, warning, hours: in words
    }


def opportunity_evidence(conn: sqlite3.Connection, action: Action) -> dict[str, Any]:
    """Return what an opportunity shows as its reason: the note and its quote, params, signals, the tour's dwell."""
    note = get_note(conn, action.event_id) or {}
    dwell: dict[str, float] = {}
    if action.badge:
        for visit in tour_visits(conn, action.site, (action.badge,), time.time()):
            dwell[visit["zone"]] = dwell.get(visit["zone"], 0.0) + float(visit["dwell_s"] or 0)
    return {
        "note_id": note.get("id"),
        "quote": action.evidence.get("quote", note.get("text", "")),
        "params": [dict(p) for p in said(note.get("params"))],
        "signals": [dict(s) for s in said(note.get("signals"))],
        "dwell": dwell,
        "conditions": {k: action.evidence[k] for k in ("dwell", "signals", "badges") if k in action.evidence},
        "event_ids": list(action.evidence.get("event_ids", [])),
        "title": action.value,
    }


def _open_opportunity(conn: sqlite3.Connection, action: Action) -> None:
    if not action.badge:
        return
    card, rep = _visitor_and_rep(conn, action)
    visitor = card.get("visitor") or action.badge
    open_opportunity(conn, action.site, visitor, action.badge, rep, action.rule, action.value, action.event_id,
                     opportunity_evidence(conn, action))  # fmt: skip


def apply_action(conn: sqlite3.Connection, action: Action) -> bool:
    """Apply one action in the caller's transaction; return True when it changed anything."""
    evidence = {"rule": action.rule, **action.evidence}
    if action.kind == "tag":
        if action.badge is None:
            return False
        return add_tag(conn, action.site, action.badge, action.value, action.rule, evidence)
    if action.kind == "untag":
        return action.badge is not None and remove_tag(conn, action.site, action.badge, action.value, action.rule)
    if action.kind == "timer":
        return start_timer(conn, action.key, action.rule, action.event_id, action.site, action.rep, action.value,
                           action.due_epoch or 0.0)  # fmt: skip
    hold = held_by(conn, action.rep, action.event_id) if action.rep and action.kind in HOLDABLE else None
    if hold is not None and hold != action.rule:
        evidence["held_by"] = hold
    new = add_outcome(conn, action.key, action.rule, action.kind, action.value, action.site, action.event_id,
                      action.badge, action.rep, evidence)  # fmt: skip
    if new and action.kind == "opportunity" and "held_by" not in evidence:
        _open_opportunity(conn, action)
    if new and action.kind in ("notify", "escalate") and "held_by" not in evidence:
        context = _notify_context(conn, action)
        if action.template == "opportunity" and context["opportunity_id"] is None:
            return new  # the visitor's opportunity is open already: announced when it opened
        enqueue(conn, action.value, action.template or "rule", context, action.key)
    return new


def apply_actions(conn: sqlite3.Connection, actions: list[Action]) -> int:
    """Apply actions in order; return how many were new."""
    return sum(apply_action(conn, action) for action in actions)


def pending_flags(conn: sqlite3.Connection, actions: list[Action]) -> list[bool]:
    """Return, for each action, whether applying it now would add something (reads only)."""
    keys = outcome_keys(conn, [a.key for a in actions if a.kind not in ("tag", "timer")])
    seen: set[str] = set()
    flags = []
    for action in actions:
        if action.kind in ("tag", "untag"):
            by = action.rule if action.kind == "untag" else None
            tagged = action.badge is not None and has_tag(conn, action.site, action.badge, action.value, by)
            exists = action.badge is None or (tagged if action.kind == "tag" else not tagged)
        elif action.kind == "timer":
            exists = timer_exists(conn, action.key)
        else:
            exists = action.key in keys
        if action.kind == "opportunity" and action.badge and not exists:  # one open per visitor and rule
            visitor = _visitor_and_rep(conn, action)[0].get("visitor") or action.badge
            opened = f"open|{action.site}|{visitor}|{action.rule}"
            exists = opened in seen or has_open_opportunity(conn, action.site, visitor, action.rule)
            seen.add(opened)
        flags.append(not exists and action.key not in seen)
        seen.add(action.key)
    return flags
