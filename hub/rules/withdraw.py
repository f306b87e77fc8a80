"""Opportunities a note no longer asks for once it is analysed again: withdrawn, and the reason kept.

A newer analysis can read a stored note differently ("报价就先不用了" is a declined quote, not a request). The rules
are evaluated on the note as it read before and as it reads now; an opportunity the note raised that the rules no
longer raise, and that nobody has acted on yet (pending), becomes `ignored` by `analysis`, with the note's words in
its history. One a rep or the CRM has moved on stays as they left it.
"""

from __future__ import annotations

import sqlite3

from hub.rules.engine import RulesEngine
from hub.rules.engine.facts import stored_event
from hub.store.audit import record_change
from hub.store.opportunities import change_status, pending_of_event
from protocol import Envelope

Raised = set[tuple[str, str | None]]  # (rule, badge) of the opportunities the rules raise for a note


def raised(conn: sqlite3.Connection, rules: RulesEngine, note_id: str) -> Raised:
    """Return what the rules raise for a stored note as it is analysed now; nothing is evaluated (and nothing
    returned) for a note without a pending opportunity."""
    envelope = stored_event(conn, note_id) if pending_of_event(conn, note_id) else None
    return set() if envelope is None else _raised_for(conn, rules, envelope)


def _raised_for(conn: sqlite3.Connection, rules: RulesEngine, envelope: Envelope) -> Raised:
    return {(a.rule, a.badge) for a in rules.actions_for(conn, envelope) if a.kind == "opportunity"}


def withdraw_unasked(conn: sqlite3.Connection, rules: RulesEngine, note_id: str, before: Raised) -> list[int]:
    """Withdraw the note's pending opportunities that the rules raised `before` its analysis changed and no longer
    raise; return their ids."""
    pending = pending_of_event(conn, note_id) if before else []
    envelope = stored_event(conn, note_id) if pending else None
    if envelope is None:
        return []
    now = _raised_for(conn, rules, envelope)
    words = str(getattr(envelope.data, "text", ""))[:200]
    withdrawn = []
    for opportunity in pending:
        key = (opportunity["rule"], opportunity["badge"])
        if key in before and key not in now:
            comment = f"the note, analysed again, no longer asks for it: {words}"
            change_status(conn, opportunity["id"], "ignored", "analysis", "system", comment)
            record_change(conn, "analysis", "system", "opportunity.status", str(opportunity["id"]),
                          {"before": "pending", "after": "ignored", "comment": comment})  # fmt: skip
            withdrawn.append(opportunity["id"])
    return withdrawn
