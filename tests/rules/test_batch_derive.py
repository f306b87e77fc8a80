"""Rules over a whole batch (visits read once per badge, bare taps skipped) decide exactly what per-event rules do."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.rules.engine import Context, EventFacts, RulesEngine, RuleSet, evaluate, parse_rules
from hub.rules.engine.apply import apply_actions
from hub.rules.engine.engine import default_rules_path
from hub.rules.engine.evaluate import acts_on_bare_tap
from hub.rules.engine.facts import ClosedVisits
from hub.rules.notes_pipeline import NoteAnalyzer
from hub.store.badges import Badge, upsert_badge
from hub.store.tx import transaction
from protocol import Envelope
from tests.api.tourdata import note, tap

RULES = {
    "default": None,
    "tap-else": """
rules:
  - name: dwell
    when: {event: tap, dwell: {zone: injection, min_minutes: 2}}
    then: [{tag: 注塑}]
    else: [{tag: 路过}]
  - name: quote
    when: {signal: quote}
    then: [{opportunity: 报价}]
""",
    "tap-visitor": """
rules:
  - name: big
    when: {event: tap, visitor: {company: [华东阀门]}}
    then: [{tag: 重点客户}, {notify: sales}]
  - name: long-heat
    when: {event: tap, dwell: {zone: heat-treat, min_minutes: 1}, visitor: {company: [华东阀门]}}
    then: [{opportunity: 热处理}]
""",
    "tap-followup": """
rules:
  - name: after-tap
    when: {no_followup: {after: tap, within_hours: 1}}
    then: [{escalate: manager}]
  - name: two-zones
    when: {event: tap, dwell: {zone: machining, min_minutes: 3}}
    then: [{tag: 机加工}]
  - name: breaker
    when: {count: {of: notes, per: site, over_hours: 1, more_than: 1}}
    then: [{hold: 太多}]
""",
}
ZONES = ("injection", "heat-treat", "machining")


def tour(t0: float, seq0: int) -> list[Envelope]:
    """Six visitors and a rep moving between zones with stays of 1 to 4 minutes, and notes in between."""
    events = []
    for step in range(8):
        for n in range(6):
            zone = ZONES[(n + step) % 3]
            at = t0 + step * 60 * (1 + n % 4) + n
            events.append(tap(f"gate-{zone}", zone, f"V-{n}", seq0 + step * 7 + n, at))
        events.append(tap("gate-injection", "injection", "R-1", seq0 + step * 7 + 6, t0 + step * 50, role="rep"))
    events.append(
        note("gate-injection", "R-1", ("V-0", "V-1"), "麻烦 给 个 报价 热 处理 到 h r c 四十五", seq0, t0 + 200)
    )
    events.append(note("gate-machining", "R-1", ("V-2",), "要 报价", seq0 + 1, t0 + 400))
    return events


def outcomes(writer: IngestWriter) -> dict[str, list[tuple[object, ...]]]:
    queries = {
        "tags": "SELECT site, badge, tag, rule, evidence FROM tags ORDER BY id",
        "outcomes": "SELECT key, rule, kind, value, site, badge, rep, event_id, evidence FROM rule_outcomes"
        " ORDER BY id",
        "timers": "SELECT key, rule, event_id, site, rep, after, due_epoch, status FROM rule_timers ORDER BY key",
        "notify": "SELECT channel, template, context, idempotency_key FROM notify_outbox ORDER BY id",
    }
    return {name: [tuple(row) for row in writer.conn.execute(sql)] for name, sql in queries.items()}


class VisitsPerTap(ClosedVisits):
    """The reference: one query per tap, bounded by the tap's time in SQL, as rules read visits before batching."""

    def of(self, site: str, badge: str, until_epoch: float) -> tuple[dict[str, Any], ...]:
        if self.scope is None:
            return ()
        zones, shortest = self.scope
        rows = self.conn.execute(
            'SELECT zone, station, start_event, end_event, start, "end", dwell_s FROM visits WHERE site=? AND badge=?'
            f' AND "end" IS NOT NULL AND zone IN ({",".join("?" * len(zones))}) AND dwell_s >= ?'
            " AND start_epoch + dwell_s <= ? ORDER BY start_epoch",
            (site, badge, *zones, shortest, until_epoch + 0.001),
        )
        return tuple(dict(row) for row in rows)


def ingest(db: Path, rules: RulesEngine, batches: list[list[Envelope]], per_event: bool) -> IngestWriter:
    """Store each batch; rules run as the batch deriver, or afterwards one event at a time (the reference)."""
    writer = IngestWriter(str(db), ack=lambda _m: None)
    with transaction(writer.conn):
        upsert_badge(writer.conn, Badge("V-1", "visitor", name="张伟", company="华东阀门"))
        upsert_badge(writer.conn, Badge("V-4", "visitor", name="李娜", company="别家"))
    writer.derivers.append(NoteAnalyzer().derive)
    if not per_event:
        writer.derivers.append(rules.derive)
    for batch in batches:
        result = writer.store([InMessage(str(e.topic), e.encode(), i + 1, 1) for i, e in enumerate(batch)])
        if per_event:
            with transaction(writer.conn):
                for envelope in result.new_events:
                    closed = VisitsPerTap(writer.conn, rules.rule_set)
                    apply_actions(writer.conn, rules.actions_for(writer.conn, envelope, closed=closed))
    return writer


@pytest.mark.parametrize("name", sorted(RULES))
def test_batch_rules_match_rules_applied_event_by_event(tmp_path: Path, name: str) -> None:
    text = RULES[name]
    rules_file = None
    if text is not None:
        rules_file = tmp_path / "rules.yaml"
        rules_file.write_text(text, encoding="utf-8")
    rules = RulesEngine(rules_file)
    assert not rules.errors
    t0 = time.time() - 3 * 3600
    batches = [tour(t0, 1), tour(t0 + 1800, 100)]
    found = {}
    for per_event in (False, True):
        writer = ingest(tmp_path / f"{name}-{per_event}.sqlite3", rules, batches, per_event)
        found[per_event] = outcomes(writer)
        writer.close()
    assert found[False] == found[True]
    assert sum(len(rows) for rows in found[False].values()) > 0


def test_a_rule_that_cannot_act_on_a_bare_tap_decides_nothing_for_one() -> None:
    visitors = {"V-1": {"name": "张伟", "company": "华东阀门"}}
    bare = EventFacts("01JDF8M6Q3X4T2V9YB7K1N0C5R", "tap", "demo", "gate-1", "2026-11-23T09:15:02.125+08:00",
                      1.8e9, ("V-1",), zone="injection", visitors=visitors)  # fmt: skip
    texts = [default_rules_path().read_text(encoding="utf-8"), *(t for t in RULES.values() if t)]
    acting = set()
    for text in texts:
        for rule in parse_rules(text).rules:
            decided = evaluate(RuleSet((rule,)), bare, Context(1.8e9))
            assert acts_on_bare_tap(rule) or decided == [], rule.name
            acting |= {rule.name} if decided else set()
    assert acting == {"big"}  # a dwell rule's else waits for a closed visit in its zone
