"""The running rules engine: the active rule set (hot-reloaded, last good kept), ingest deriver, timer sweep."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

import hub.data
from hub.rules.engine.apply import apply_actions, pending_flags
from hub.rules.engine.evaluate import acts_on_bare_tap, evaluate
from hub.rules.engine.facts import ClosedVisits, facts_for, stored_event, stored_history
from hub.rules.engine.model import Action, Context, RuleError, RuleSet
from hub.rules.engine.parse import RulesInvalid, parse_rules
from hub.store.db import connect
from hub.store.events import BatchResult
from hub.store.opportunities import handled_after
from hub.store.rule_facts import count_history
from hub.store.rules_state import due_timers, finish_timer, followed_up
from hub.store.tx import savepoint, transaction
from protocol import Envelope, TapData, now_rfc3339
from tourtrace.durable import write_durably

log = logging.getLogger(__name__)


def default_rules_path() -> Path:
    """Return the packaged default rules file."""
    return Path(hub.data.__file__).parent / "rules" / "default.yaml"


LOCAL_RULES = "tourtrace-rules.yaml"  # beside the database: rules edited on a hub without a rules_file


class RulesEngine:
    """Holds the active rule set; a broken file keeps the last good rules active and reports the errors.

    Rules come from `path`, else from `save_to` once something was saved there, else the packaged defaults;
    replaced rules are written to `path`, else to `save_to` (without either they live in memory only).
    """

    def __init__(self, path: str | Path | None = None, save_to: str | Path | None = None) -> None:
        self.save_to = Path(path) if path else Path(save_to) if save_to else None
        self.path = self.save_to if self.save_to and (path or self.save_to.exists()) else default_rules_path()
        self.persist = self.save_to is not None
        self._lock = threading.Lock()
        self.rule_set = RuleSet(())
        self.text = ""
        self.active_since: str | None = None
        self.errors: list[RuleError] = []
        self._mtime: float | None = None
        self.reload()

    @classmethod
    def for_hub(cls, rules_file: str | None, db: str) -> RulesEngine:
        """The hub's engine: its rules_file, or rules saved beside its database (see LOCAL_RULES)."""
        return cls(rules_file, save_to=None if rules_file else Path(db).parent / LOCAL_RULES)

    def reload(self) -> bool:
        """Re-read the rules file when its mtime changed; return True when new rules became active."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            with self._lock:
                self.errors = [RuleError(str(self.path), 1, 1, f"cannot read rules file: {exc.strerror}")]
            return False
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            with self._lock:
                self.errors = [RuleError(str(self.path), 1, 1, f"cannot read rules file: {exc}")]
            return False
        return self._activate(text)

    def _activate(self, text: str) -> bool:
        try:
            rule_set = parse_rules(text, str(self.path))
        except RulesInvalid as exc:
            with self._lock:
                self.errors = exc.errors
            log.error("rules file %s is invalid; keeping the last good rules: %s", self.path, exc)
            return False
        with self._lock:
            self.rule_set, self.text, self.errors = rule_set, text, []
            self.active_since = now_rfc3339()
        log.info("activated %d rules from %s", len(rule_set.rules), self.path)
        return True

    def replace(self, text: str) -> tuple[list[RuleError], bool]:
        """Validate and activate a new rules text, writing it to the rules file when one is configured."""
        try:
            parse_rules(text, str(self.path))
        except RulesInvalid as exc:
            return exc.errors, False
        if self.save_to is not None:
            write_durably(self.save_to, text.encode("utf-8"))
            self.path = self.save_to
            self._mtime = self.path.stat().st_mtime
        self._activate(text)
        return [], self.persist

    def state(self) -> dict[str, Any]:
        """Return the active rules text and where it came from, with the file's current errors."""
        with self._lock:
            return {
                "text": self.text,
                "file": str(self.path),
                "active_since": self.active_since,
                "rules": [rule.name for rule in self.rule_set.rules],
                "error": [e.to_dict() for e in self.errors] or None,
            }

    def health(self) -> dict[str, Any]:
        """Return the /api/health probe: not ok when the file is broken (the last good rules stay active)."""
        with self._lock:
            error = None
            if self.errors:
                first = self.errors[0]
                error = f"{first.file}:{first.line}:{first.column}: {first.message}"
                if self.active_since:
                    error += f" (keeping the rules active since {self.active_since})"
            return {"ok": not self.errors, "error": error, "file": str(self.path), "rules": len(self.rule_set.rules)}

    def actions_for(
        self,
        conn: sqlite3.Connection,
        envelope: Envelope,
        rule_set: RuleSet | None = None,
        closed: ClosedVisits | None = None,
    ) -> list[Action]:
        """Return what the rules decide for one stored event."""
        rules = rule_set or self.rule_set
        facts = facts_for(conn, envelope, rules, closed)
        return [] if facts is None else evaluate(rules, facts, Context(time.time()))

    def derive(self, conn: sqlite3.Connection, result: BatchResult) -> None:
        """Apply the rules to a batch's new taps and notes inside the ingest transaction (after notes analysis).

        Closed visits are read once per badge for the batch; a tap of a badge without a closed visit any dwell rule
        could match is skipped when no rule can act on such a tap.
        """
        rules = self.rule_set
        kinds = {kind for rule in rules.rules for kind in rule.when.events}
        closed = ClosedVisits(conn, rules)
        skip_bare_taps = not any(acts_on_bare_tap(rule) for rule in rules.rules)
        for envelope in result.new_events:
            if envelope.kind not in ("tap", "note") or envelope.kind not in kinds or envelope.id in result.untrusted:
                continue
            try:
                if skip_bare_taps and isinstance(envelope.data, TapData) and not closed.of_tap(envelope):
                    continue
                _apply(conn, self.actions_for(conn, envelope, rules, closed))
            except Exception:
                log.exception("rules failed on event %s; the event is stored without rule actions", envelope.id)

    def derive_timed_out(self, conn: sqlite3.Connection, openings: Iterable[str], now: float) -> None:
        """Apply dwell rules to visits the dwell timeout just closed, given by their opening events (the hub's
        sweep calls this with what hub.rules.visits.close_timed_out returns).

        A visit closed by a tap is seen by the rules at that tap; one closed by the timeout is the badge's last
        and no later tap may ever show it, so it is judged now, triggered by the tap that opened it. Dwell
        actions are keyed on the visit, so a later tap that sees it again changes nothing. Ingest does not call
        this for visits that arrive already expired (a station draining its outbox after an outage): the tap that
        really closed such a visit may still be queued at another station, and taps judge it once it is in.
        """
        rules = self.rule_set
        if not any(rule.when.dwell is not None for rule in rules.rules):
            return
        closed = ClosedVisits(conn, rules)
        for event_id in openings:
            opening = stored_event(conn, event_id)
            try:
                facts = None if opening is None else facts_for(conn, opening, rules, closed, visits_until=now)
                if facts is not None:
                    _apply(conn, evaluate(rules, facts, Context(now)))
            except Exception:
                log.exception("rules failed on the timed-out visit opened by %s", event_id)

    def fire_due(self, conn: sqlite3.Connection, now: float) -> int:
        """Evaluate every due follow-up timer (in the caller's transaction); return how many fired."""
        fired = 0
        for timer in due_timers(conn, now):
            envelope = stored_event(conn, timer["event_id"])
            facts = None if envelope is None else facts_for(conn, envelope, self.rule_set)
            answered = followed_up(conn, timer["event_id"], timer["due_epoch"]) or handled_after(
                conn, timer["event_id"]
            )
            if facts is not None:
                actions = evaluate(self.rule_set, facts, Context(now, timer["rule"], answered))
                apply_actions(conn, actions)
            finish_timer(conn, timer["key"], "answered" if answered else "fired")
            fired += 0 if answered else 1
        return fired

    def sweep(self, conn: sqlite3.Connection, now: float | None = None) -> int:
        """Reload a changed rules file and fire due timers in one transaction; return how many fired."""
        self.reload()
        with transaction(conn):
            return self.fire_due(conn, time.time() if now is None else now)

    def run(self, db_path: str, stop: threading.Event, interval_s: float = 5.0) -> None:
        """Sweep every interval_s until stop is set."""
        while not stop.wait(interval_s):
            try:
                with closing(connect(db_path)) as conn:  # short-lived: see IngestWriter._reopen
                    self.sweep(conn)
            except Exception:
                log.exception("rules sweep failed")

    def dry_run(
        self,
        conn: sqlite3.Connection,
        rule_set: RuleSet | None = None,
        now: float | None = None,
        last: int | None = None,
    ) -> dict[str, Any]:
        """Run a rule set over stored history (or its `last` newest events) without writing; return every action
        and whether it would be new. Raise DryRunTooLarge when rules x events exceeds MAX_DRY_RUN_WORK."""
        rules = rule_set or self.rule_set
        now = time.time() if now is None else now
        history = count_history(conn) if last is None else min(last, count_history(conn))
        if len(rules.rules) * history > MAX_DRY_RUN_WORK:
            raise DryRunTooLarge(
                f"a dry run of {len(rules.rules)} rules over {history} events is {len(rules.rules) * history}"
                f" evaluations, over the limit of {MAX_DRY_RUN_WORK}: try fewer rules or the newest events only"
                f" ('last': {max(1, MAX_DRY_RUN_WORK // max(1, len(rules.rules)))})"
            )
        actions: list[Action] = []
        events = 0
        for envelope in stored_history(conn, last):
            facts = facts_for(conn, envelope, rules)
            if facts is None:
                continue
            events += 1
            for action in evaluate(rules, facts, Context(now)):
                if action.kind == "timer" and (action.due_epoch or 0.0) <= now:
                    answered = followed_up(conn, action.event_id, action.due_epoch or 0.0)
                    actions += evaluate(rules, facts, Context(now, action.rule, answered))
                else:
                    actions.append(action)
        flags = pending_flags(conn, actions)
        summary: dict[str, int] = {}
        for action in actions:
            summary[action.kind] = summary.get(action.kind, 0) + 1
        return {"events": events, "rules": [r.name for r in rules.rules], "summary": summary,
                "actions": [{**a.to_dict(), "new": new} for a, new in zip(actions, flags, strict=True)]}  # fmt: skip


MAX_DRY_RUN_WORK = 20_000  # rules x events: 800 rules over 231 events took 34 s and 111 MB


class DryRunTooLarge(ValueError):
    """A dry run would evaluate more rule-event pairs than MAX_DRY_RUN_WORK."""


def _apply(conn: sqlite3.Connection, actions: list[Action]) -> None:
    """Apply one event's actions all or nothing (a savepoint inside the caller's transaction)."""
    if not actions:
        return
    with savepoint(conn, "rules_event"):
        apply_actions(conn, actions)
