"""Rules at ingest: the real IngestWriter on a tmp SQLite, notes analysed first, then rules, all idempotent."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hub.rules.engine.apply import apply_actions
from hub.store.notes import list_tags
from hub.store.rules_state import list_outcomes
from tests.api.tourdata import note, tap
from tests.rules.conftest import Hub

HARDNESS_NOTE = "这个 阀 体 得 热 处理 到 h r c 四十五 才 行"


def tags_of(hub: Hub) -> dict[tuple[str, str], dict]:
    return {(t["badge"], t["tag"]): t["evidence"] for t in list_tags(hub.conn)}


def test_three_minutes_at_injection_then_a_hardness_note_tag_the_visitor(hub: Hub) -> None:
    t0 = time.time() - 900
    hub.submit(tap("gate-injection", "injection", "V-0001", 1, t0))
    assert tags_of(hub) == {}
    closing = tap("gate-injection", "injection", "V-0001", 2, t0 + 180)
    hub.submit(closing)
    evidence = tags_of(hub)[("V-0001", "注塑工艺兴趣")]
    assert evidence["dwell"][0]["zone"] == "injection" and evidence["dwell"][0]["dwell_s"] == 180
    assert closing.id in evidence["event_ids"] and len(evidence["event_ids"]) == 2

    spoken = note("gate-heat-treat", "R-007", ("V-0001", "V-0002"), HARDNESS_NOTE, 1, t0 + 240)
    hub.submit(spoken)
    tags = tags_of(hub)
    for badge in ("V-0001", "V-0002"):
        heat = tags[(badge, "热处理需求")]
        assert heat["quote"] == HARDNESS_NOTE and heat["event_ids"] == [spoken.id]
        assert heat["params"][0]["text"] == "HRC45"
        assert heat["lookups"][0]["process"] == "热处理"
        assert "HRC45" in heat["warnings"][0]["text"]
    assert ("V-0002", "注塑工艺兴趣") not in tags
    assert hub.count("SELECT COUNT(*) FROM rule_timers") == 0  # no quote, no follow-up timer


def test_short_dwell_gives_no_tag(hub: Hub) -> None:
    t0 = time.time() - 900
    hub.submit(tap("gate-injection", "injection", "V-0003", 1, t0), tap("gate-injection", "injection", "V-0003", 2,
                                                                         t0 + 90))  # fmt: skip
    assert tags_of(hub) == {}


def test_quote_opportunity_notification_and_escalation_after_two_hours(hub: Hub) -> None:
    t0 = time.time() - 600
    quote = note("gate-1", "R-007", ("V-0001",), "麻烦 给 个 报价", 1, t0)
    hub.submit(quote)
    made = [(o["kind"], o["badge"]) for o in list_outcomes(hub.conn)]
    assert made == [("opportunity", "V-0001"), ("notify", "V-0001")]
    outbox = hub.conn.execute("SELECT channel, template, context FROM notify_outbox").fetchall()
    assert [(r[0], r[1]) for r in outbox] == [("sales", "opportunity")] and "报价" in outbox[0][2]
    assert hub.rules.sweep(hub.conn, now=t0 + 3600) == 0  # not due yet
    assert hub.rules.sweep(hub.conn, now=t0 + 7201) == 1
    assert [o["value"] for o in list_outcomes(hub.conn, kind="escalate")] == ["manager"]
    assert hub.count("SELECT COUNT(*) FROM notify_outbox WHERE channel='manager' AND template='escalation'") == 1
    assert hub.rules.sweep(hub.conn, now=t0 + 9000) == 0  # fired once only


def test_a_later_note_by_the_same_rep_is_a_followup(hub: Hub) -> None:
    t0 = time.time() - 600
    hub.submit(note("gate-1", "R-007", ("V-0001",), "要 报价", 1, t0),
               note("gate-2", "R-007", ("V-0001",), "已经 发 了 资料", 2, t0 + 60),
               note("gate-1", "R-009", ("V-0002",), "报价 单", 3, t0 + 5))  # fmt: skip
    assert hub.rules.sweep(hub.conn, now=t0 + 7300) == 1  # only R-009's quote went unanswered
    assert [o["badge"] for o in list_outcomes(hub.conn, kind="escalate")] == ["V-0002"]
    states = dict(hub.conn.execute("SELECT rep, status FROM rule_timers").fetchall())
    assert states == {"R-007": "answered", "R-009": "fired"}


def test_reapplying_the_same_events_adds_nothing(hub: Hub) -> None:
    t0 = time.time() - 900
    events = [tap("gate-injection", "injection", "V-0001", 1, t0), tap("gate-injection", "injection", "V-0001", 2,
              t0 + 180), note("gate-h", "R-007", ("V-0001",), HARDNESS_NOTE + " 报价", 1, t0 + 200)]  # fmt: skip
    hub.submit(*events)
    counts = [hub.count(f"SELECT COUNT(*) FROM {t}") for t in ("tags", "rule_outcomes", "notify_outbox", "rule_timers")]
    assert counts == [2, 3, 1, 1]  # 2 tags; lookup, opportunity, notify; outbox row; follow-up timer
    hub.conn.execute("BEGIN")
    added = sum(apply_actions(hub.conn, hub.rules.actions_for(hub.conn, e)) for e in events)
    hub.conn.execute("COMMIT")
    assert added == 0
    hub.submit(*events)  # broker redelivery: duplicates are not new events
    assert [hub.count(f"SELECT COUNT(*) FROM {t}") for t in ("tags", "rule_outcomes", "notify_outbox",
                                                              "rule_timers")] == counts  # fmt: skip
    dry = hub.rules.dry_run(hub.conn)
    assert dry["events"] == 3 and dry["actions"] and not any(a["new"] for a in dry["actions"])


def test_lead_circuit_breaker_holds_and_notifies_once_per_window(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    when = "{count: {of: new_leads, per: rep, over_hours: 1, more_than: 3}}"
    rules.write_text(
        f"rules:\n  - name: quote\n    when: {{signal: quote}}\n    then: [{{notify: sales}}]\n"
        f"  - name: breaker\n    when: {when}\n    then: [{{hold: 暂停}}, {{notify: manager}}]\n"
    )
    hub = Hub(tmp_path / "hub.sqlite3", rules)
    try:
        t0 = time.time() - 1200
        hub.submit(*[note("g", "R-007", (f"V-{i:04d}",), "要 报价", i + 1, t0 + i * 10) for i in range(6)])
        holds = list_outcomes(hub.conn, kind="hold")
        assert len(holds) == 1 and holds[0]["evidence"]["count"]["value"] == 4 and holds[0]["rep"] == "R-007"
        assert hub.count("SELECT COUNT(*) FROM notify_outbox WHERE channel='manager'") == 1
        sales = list_outcomes(hub.conn, kind="notify")
        assert [o["evidence"].get("held_by") for o in sales if o["value"] == "sales"] == [None] * 4 + ["breaker"] * 2
        assert hub.count("SELECT COUNT(*) FROM notify_outbox WHERE channel='sales'") == 4  # the 5th and 6th held
    finally:
        hub.writer.close()


def test_sweep_reloads_a_changed_file_and_a_broken_one_keeps_the_last_good_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    template = (
        "rules:\n  - name: m\n    when: {{dwell: {{zone: machining, min_minutes: {minutes}}}}}\n"
        "    then: [{{tag: {tag}}}]\n"
    )
    rules.write_text(template.format(minutes=1, tag="甲"), encoding="utf-8")
    hub = Hub(tmp_path / "hub.sqlite3", rules)
    try:
        rules.write_text(template.format(minutes=1, tag="乙"), encoding="utf-8")
        os.utime(rules, (time.time() + 5, time.time() + 5))
        hub.rules.sweep(hub.conn)
        t0 = time.time() - 900
        hub.submit(tap("g", "machining", "V-1", 1, t0), tap("g", "machining", "V-1", 2, t0 + 61))
        rules.write_text(template.format(minutes="soon", tag="丙"), encoding="utf-8")
        os.utime(rules, (time.time() + 10, time.time() + 10))
        hub.rules.sweep(hub.conn)
        assert hub.rules.health()["ok"] is False and ":3:" in hub.rules.health()["error"]
        hub.submit(tap("g", "machining", "V-2", 3, t0 + 100), tap("g", "machining", "V-2", 4, t0 + 200))
        assert {(t["badge"], t["tag"]) for t in list_tags(hub.conn)} == {("V-1", "乙"), ("V-2", "乙")}
    finally:
        hub.writer.close()


def test_a_withdrawn_hardness_tags_nothing_and_its_replacement_does(hub: Hub) -> None:
    t0 = time.time() - 600
    hub.submit(note("gate-1", "R-007", ("V-0001",), "h r c 五十 不用 了", 1, t0))
    assert tags_of(hub) == {}
    hub.submit(note("gate-1", "R-007", ("V-0002",), "h r c 五十 不用 了 四十八 就 行", 2, t0 + 10))
    heat = tags_of(hub)[("V-0002", "热处理需求")]
    assert [(p["value"], p.get("negated")) for p in heat["params"]] == [(48, None)]
