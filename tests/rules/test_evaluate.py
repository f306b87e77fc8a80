"""Pure evaluation: facts and context in, keyed actions out (no database)."""

from __future__ import annotations

from hub.rules.engine import Context, EventFacts, evaluate, parse_rules

RULES = parse_rules(
    """
rules:
  - name: injection
    when: {event: tap, dwell: {zone: injection, min_minutes: 2}}
    then: [{tag: 注塑工艺兴趣}]
  - name: hard
    当: {param: {kind: hardness, scale: HRC, min: 40}}
    就: [{tag: 热处理需求}, {lookup: true}]
    否则: [{tag: 一般咨询}]
  - name: quote
    when: {signal: quote}
    then: [{opportunity: 报价}, {notify: sales}]
  - name: followup
    when: {no_followup: {after: quote, within_hours: 2}}
    then: [{escalate: manager}]
    else: [{tag: 已跟进}]
  - name: big-customer
    when: {event: note, visitor: {company: [华东阀门]}}
    then: [{tag: 重点客户}]
  - name: breaker
    when: {count: {of: new_leads, per: rep, over_hours: 1, more_than: 2}}
    then: [{hold: 线索过多}, {notify: manager}]
"""
)
NOW = 1_800_000_000.0


def tap_facts(dwell_s: float, zone: str = "injection") -> EventFacts:
    visit = {"zone": zone, "dwell_s": dwell_s, "start_event": "E-start", "end_event": "E-tap"}
    return EventFacts("E-tap", "tap", "demo", "gate-1", "t", NOW, ("V-1",), zone=zone, visits=(visit,))


def note_facts(params: tuple[dict, ...] = (), signals: tuple[str, ...] = (), leads: int = 0) -> EventFacts:
    return EventFacts(
        "E-note", "note", "demo", "gate-2", "t", NOW, ("V-1", "V-2"), rep="R-7", text="原话", normalized="原话",
        params=params, signals=signals, lookups=({"card_id": "HT-001"},), warnings=({"text": "库存最高HRC42"},),
        visitors={"V-1": {"name": "张伟", "company": "华东阀门"}}, counts={"new_leads/rep/1": leads},
    )  # fmt: skip


def kinds(actions: list) -> list[tuple[str, str, str, str | None]]:
    return [(a.rule, a.kind, a.value, a.badge) for a in actions]


def test_dwell_at_or_over_two_minutes_tags_the_tapped_badge() -> None:
    actions = evaluate(RULES, tap_facts(180), Context(NOW))
    assert kinds(actions) == [("injection", "tag", "注塑工艺兴趣", "V-1")]
    assert actions[0].evidence["dwell"][0]["dwell_s"] == 180
    assert actions[0].evidence["event_ids"] == ["E-tap", "E-start"]
    assert evaluate(RULES, tap_facts(119), Context(NOW)) == []
    assert evaluate(RULES, tap_facts(600, zone="machining"), Context(NOW)) == []


def test_hardness_range_then_and_else_go_to_every_visitor_badge() -> None:
    hrc45 = {"kind": "hardness", "scale": "HRC", "value": 45}
    actions = [a for a in evaluate(RULES, note_facts((hrc45,)), Context(NOW)) if a.rule == "hard"]
    assert kinds(actions) == [("hard", "tag", "热处理需求", "V-1"), ("hard", "tag", "热处理需求", "V-2"),
                              ("hard", "lookup", "lookups", None)]  # fmt: skip
    evidence = actions[0].evidence
    assert evidence["lookups"] == [{"card_id": "HT-001"}] and evidence["warnings"][0]["text"] == "库存最高HRC42"
    assert evidence["quote"] == "原话" and evidence["params"] == [hrc45]
    low = [a for a in evaluate(RULES, note_facts(({"kind": "hardness", "scale": "HRC", "value": 30},)), Context(NOW))
           if a.rule == "hard"]  # fmt: skip
    assert kinds(low) == [("hard", "tag", "一般咨询", "V-1"), ("hard", "tag", "一般咨询", "V-2")]
    ranged = {"kind": "hardness", "scale": "hrc", "value": [38, 42]}
    overlapping = [a for a in evaluate(RULES, note_facts((ranged,)), Context(NOW)) if a.rule == "hard"]
    assert overlapping[0].value == "热处理需求"


def test_quote_makes_opportunity_notify_and_a_followup_timer() -> None:
    actions = evaluate(RULES, note_facts(signals=("quote",)), Context(NOW))
    by_kind = {a.kind: a for a in actions}
    assert [a.badge for a in actions if a.kind == "opportunity"] == ["V-1", "V-2"]
    assert by_kind["notify"].value == "sales" and by_kind["notify"].template == "opportunity"
    assert [a.badge for a in actions if a.kind == "notify"] == ["V-1", "V-2"]  # a push for each visitor named
    assert by_kind["timer"].due_epoch == NOW + 7200 and by_kind["timer"].rule == "followup"
    assert len({a.key for a in actions}) == len(actions)
    assert "timer" not in {a.kind for a in evaluate(RULES, note_facts(), Context(NOW))}


def test_due_timer_escalates_without_followup_and_takes_else_with_one() -> None:
    facts = note_facts(signals=("quote",))
    late = evaluate(RULES, facts, Context(NOW + 7200, timer_rule="followup", followed_up=False))
    assert kinds(late) == [("followup", "escalate", "manager", "V-1"), ("followup", "escalate", "manager", "V-2")]
    assert late[0].template == "escalation" and late[0].evidence["hours"] == 2
    answered = evaluate(RULES, facts, Context(NOW + 7200, timer_rule="followup", followed_up=True))
    assert kinds(answered) == [("followup", "tag", "已跟进", "V-1"), ("followup", "tag", "已跟进", "V-2")]


def test_visitor_attribute_and_lead_circuit_breaker() -> None:
    big = [a for a in evaluate(RULES, note_facts(), Context(NOW)) if a.rule == "big-customer"]
    assert kinds(big) == [("big-customer", "tag", "重点客户", "V-1")]
    assert not [a for a in evaluate(RULES, note_facts(leads=2), Context(NOW)) if a.rule == "breaker"]
    tripped = [a for a in evaluate(RULES, note_facts(leads=3), Context(NOW)) if a.rule == "breaker"]
    assert [a.kind for a in tripped] == ["hold", "notify"]
    assert tripped[0].key == f"breaker|hold|R-7@{int(NOW // 3600)}"
    assert tripped[0].evidence["count"]["value"] == 3
