"""Apply rule actions idempotently (every action is keyed), or report which would be new without writing."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.rules.engine.model import Action
from hub.store.notes import add_tag
from hub.store.notify_outbox import enqueue
from hub.store.rules_state import add_outcome, held_by, outcome_keys, start_timer

HOLDABLE = ("opportunity", "notify")  # a rep's held leads are recorded, not announced


def _notify_context(conn: sqlite3.Connection, action: Action) -> dict[str, Any]:
    evidence = action.evidence
    row = None
    if action.badge:
        row = conn.execute("SELECT visitor, name, company FROM badges WHERE badge_id=?", (action.badge,)).fetchone()
    rep = None
    if action.rep:
        rep_row = conn.execute("SELECT name FROM badges WHERE badge_id=?", (action.rep,)).fetchone()
        rep = (rep_row["name"] if rep_row and rep_row["name"] else None) or action.rep
    return {
        "visitor": (row["visitor"] if row and row["visitor"] else None) or action.badge or "",
        "visitor_name": row["name"] if row else "",
        "company": row["company"] if row else "",
        "rep": rep,
        "signals": list(evidence.get("signals", [])),
        "note": evidence.get("quote", ""),
        "rule": action.rule,
        "event_id": action.event_id,
        "hours": evidence.get("hours"),
    }


def apply_action(conn: sqlite3.Connection, action: Action) -> bool:
    """Apply one action in the caller's transaction; return True when it changed anything."""
    evidence = {"rule": action.rule, **action.evidence}
    if action.kind == "tag":
        if action.badge is None:
            return False
        return add_tag(conn, action.site, action.badge, action.value, action.rule, evidence)
    if action.kind == "timer":
        return start_timer(conn, action.key, action.rule, action.event_id, action.site, action.rep, action.value,
                           action.due_epoch or 0.0)  # fmt: skip
    hold = held_by(conn, action.rep, action.event_id) if action.rep and action.kind in HOLDABLE else None
    if hold is not None and hold != action.rule:
        evidence["held_by"] = hold
    new = add_outcome(conn, action.key, action.rule, action.kind, action.value, action.site, action.event_id,
                      action.badge, action.rep, evidence)  # fmt: skip
    if new and action.kind in ("notify", "escalate") and "held_by" not in evidence:
        enqueue(conn, action.value, action.template or "rule", _notify_context(conn, action), action.key)
    return new


def apply_actions(conn: sqlite3.Connection, actions: list[Action]) -> int:
    """Apply actions in order; return how many were new."""
    return sum(apply_action(conn, action) for action in actions)


def pending_flags(conn: sqlite3.Connection, actions: list[Action]) -> list[bool]:
    """Return, for each action, whether applying it now would add something (reads only)."""
    keys = outcome_keys(conn, [a.key for a in actions if a.kind not in ("tag", "timer")])
    timers = {
        row[0]
        for a in actions
        if a.kind == "timer"
        for row in conn.execute("SELECT key FROM rule_timers WHERE key=?", (a.key,)).fetchall()
    }
    seen: set[str] = set()
    flags = []
    for action in actions:
        if action.kind == "tag":
            exists = (
                action.badge is None
                or conn.execute(
                    "SELECT 1 FROM tags WHERE site=? AND badge=? AND tag=?", (action.site, action.badge, action.value)
                ).fetchone()
                is not None
            )
        else:
            exists = action.key in keys or action.key in timers
        flags.append(not exists and action.key not in seen)
        seen.add(action.key)
    return flags
