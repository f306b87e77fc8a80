"""Opportunities raised by rules at ingest: one open per visitor and rule, evidence, escalation stopped when handled."""

from __future__ import annotations

import json
import time

from hub.rules.engine import parse_rules
from hub.store.badges import Badge, upsert_badge
from hub.store.opportunities import change_status, list_opportunities
from hub.store.rules_state import list_outcomes
from tests.api.tourdata import note, tap
from tests.rules.conftest import Hub

GATE = """
rules:
  - name: 销售资格
    当:
      dwell: {zone: heat-treat, min_minutes: 5}
      signal: quote
      visitor: {registered: true}
    就:
      - tag: 销售池
      - opportunity: 合格商机
    否则:
      - tag: 培育池
"""


def opportunities(hub: Hub) -> list[dict]:
    return list_opportunities(hub.conn, limit=1000)[0]


def test_a_quote_raises_one_pending_opportunity_with_its_evidence_even_when_replayed(hub: Hub) -> None:
    t0 = time.time() - 900
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟", "华东阀门", "R-009"))
    hub.submit(
        tap("gate-heat-treat", "heat-treat", "V-0001", 1, t0),
        tap("gate-heat-treat", "heat-treat", "V-0001", 2, t0 + 120),
    )
    quote = note("gate-heat-treat", "R-007", ("V-0001",), "热处理到HRC45，麻烦给个报价", 3, t0 + 200)
    hub.submit(quote, quote)
    hub.submit(note("gate-heat-treat", "R-007", ("V-0001",), "报价 要 含 运费", 4, t0 + 260))
    [made] = opportunities(hub)
    assert (made["visitor"], made["rep"], made["status"], made["rule"]) == ("V-0001", "R-007", "pending", "报价商机")
    evidence = made["evidence"]
    assert evidence["note_id"] == quote.id and "报价" in evidence["quote"]
    assert [s["name"] for s in evidence["signals"]] == ["quote"]
    assert evidence["params"][0]["text"] == "HRC45" and evidence["dwell"] == {"heat-treat": 120.0}
    assert len(list_outcomes(hub.conn, kind="opportunity")) == 2  # each quote is still an outcome of the rule
    [context] = [json.loads(r[0]) for r in hub.conn.execute("SELECT context FROM notify_outbox ORDER BY id")]
    assert context["opportunity_id"] == made["id"]  # the second quote announced no second 新商机

    change_status(hub.conn, made["id"], "ignored", "王强", "rep")
    hub.submit(note("gate-heat-treat", "R-007", ("V-0001",), "还是 要 报价", 5, t0 + 300))
    assert [o["status"] for o in opportunities(hub)] == ["pending", "ignored"]


def test_the_rep_is_the_visitors_registered_rep_when_the_note_has_none(hub: Hub) -> None:
    upsert_badge(hub.conn, Badge("V-0003", "visitor", "P-3", "钱七", "", "R-009"))
    hub.submit(note("gate-1", "", ("V-0003",), "麻烦 报价", 1, time.time() - 60))
    [made] = opportunities(hub)
    assert (made["visitor"], made["badge"], made["rep"]) == ("P-3", "V-0003", "R-009")


def test_a_declined_quote_raises_nothing(hub: Hub) -> None:
    declined = note("gate-1", "R-007", ("V-0001",), "报价先缓缓", 1, time.time() - 60)
    rules, hub.writer.derivers[1:] = hub.writer.derivers[1], []
    hub.submit(declined)
    row = hub.conn.execute("SELECT result FROM note_analyses WHERE note_id=?", (declined.id,)).fetchone()
    result = json.loads(row[0])
    assert [s["name"] for s in result["signals"]] == ["quote"]  # today's analysis still hears a quote…
    result["signals"] = [{**s, "negated": True} for s in result["signals"]]  # …the meaning work marks it declined
    hub.conn.execute("UPDATE note_analyses SET result=? WHERE note_id=?", (json.dumps(result), declined.id))
    hub.conn.commit()
    assert rules is not None and hub.rules.actions_for(hub.conn, declined) == []
    assert opportunities(hub) == []


def test_handling_the_opportunity_stops_its_escalation(hub: Hub) -> None:
    t0 = time.time() - 600
    hub.submit(
        note("gate-1", "R-007", ("V-0001",), "麻烦 给 个 报价", 1, t0),
        note("gate-1", "R-009", ("V-0002",), "报价 单", 2, t0 + 5),
    )
    first = next(o for o in opportunities(hub) if o["visitor"] == "V-0001")
    change_status(hub.conn, first["id"], "contacted", "crm", "crm", "已电话联系")
    hub.conn.commit()
    assert hub.rules.sweep(hub.conn, now=t0 + 7300) == 1  # only V-0002's quote went unhandled
    assert [o["badge"] for o in list_outcomes(hub.conn, kind="escalate")] == ["V-0002"]
    states = dict(hub.conn.execute("SELECT rep, status FROM rule_timers").fetchall())
    assert states == {"R-007": "cancelled", "R-009": "fired"}


def test_a_new_quote_on_an_opportunity_already_handled_escalates_only_if_nobody_acts_after_it(hub: Hub) -> None:
    now = time.time()
    hub.submit(note("gate-1", "R-007", ("V-0001",), "麻烦 给 个 报价", 1, now - 900),
               note("gate-1", "R-007", ("V-0002",), "要 报价", 2, now - 900))  # fmt: skip
    first, second = sorted(opportunities(hub), key=lambda o: o["visitor"])
    hub.submit(note("gate-1", "R-009", ("V-0002",), "报价 再 发 一 次", 3, now - 600))  # V-0002's opportunity again
    change_status(hub.conn, first["id"], "confirmed", "王强", "rep")  # V-0001: handled before its next quote …
    change_status(hub.conn, second["id"], "contacted", "赵敏", "rep")  # V-0002: handled after its second quote
    hub.conn.commit()
    hub.submit(note("gate-1", "R-009", ("V-0001",), "报价 第 二 次", 4, now + 60))  # … which comes later
    assert len(opportunities(hub)) == 2
    assert hub.rules.sweep(hub.conn, now=now + 7300) == 1
    assert [o["badge"] for o in list_outcomes(hub.conn, kind="escalate")] == ["V-0001"]
    states = sorted(tuple(r) for r in hub.conn.execute("SELECT event_id, status FROM rule_timers"))
    assert sorted(s for _e, s in states) == ["answered", "cancelled", "cancelled", "fired"]


def test_the_qualification_gate_combines_tour_dwell_what_was_said_and_who_the_visitor_is(hub: Hub) -> None:
    assert hub.rules.replace(GATE) == ([], False)
    t0 = time.time() - 1800
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟", "华东阀门", None))
    upsert_badge(hub.conn, Badge("V-0002", "visitor", "V-0002", "李娜", "", None))  # registered, but no company
    taps = [("V-0001", 0), ("V-0002", 1), ("V-0001", 200), ("V-0001", 300), ("V-0002", 400), ("V-0001", 420)]
    hub.submit(*(tap("gate-heat-treat", "heat-treat", b, seq, t0 + at) for seq, (b, at) in enumerate(taps, 1)))
    hub.submit(note("gate-heat-treat", "R-007", ("V-0001", "V-0002"), "麻烦 报价", 7, t0 + 600))
    tags = {(t["badge"], t["tag"]) for t in hub.conn.execute("SELECT badge, tag FROM tags").fetchall()}
    assert tags == {("V-0001", "销售池"), ("V-0002", "培育池")}  # V-0001: 200 + 120 s = 5 min 20 s; V-0002: no company
    [made] = opportunities(hub)
    assert made["visitor"] == "V-0001" and made["evidence"]["conditions"]["dwell"][0]["dwell_s"] == 320

    hub.submit(note("gate-heat-treat", "R-007", ("V-0001",), "看看 样品", 8, t0 + 700))  # no quote: else for all
    assert ("V-0001", "培育池") in {(t[0], t[1]) for t in hub.conn.execute("SELECT badge, tag FROM tags")}


def test_dry_run_shows_the_combined_rule(hub: Hub) -> None:
    t0 = time.time() - 1800
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟", "华东阀门", None))
    hub.submit(
        tap("gate-heat-treat", "heat-treat", "V-0001", 1, t0),
        tap("gate-heat-treat", "heat-treat", "V-0001", 2, t0 + 400),
        note("gate-heat-treat", "R-007", ("V-0001",), "麻烦 报价", 3, t0 + 500),
    )
    hub.submit(note("gate-heat-treat", "R-007", ("V-0001",), "报价 含 运费", 4, t0 + 600))
    result = hub.rules.dry_run(hub.conn, parse_rules(GATE))
    made = [(a["kind"], a["value"], a["badge"], a["new"]) for a in result["actions"]]
    assert ("tag", "销售池", "V-0001", True) in made
    assert [a[3] for a in made if a[0] == "opportunity"] == [True, False]  # one open per visitor and rule
    default = [(a["kind"], a["new"]) for a in hub.rules.dry_run(hub.conn)["actions"] if a["kind"] == "opportunity"]
    assert default == [("opportunity", False), ("opportunity", False)]  # stored already / the visitor's is open


def test_a_rule_can_ask_for_the_visitors_registered_rep(hub: Hub) -> None:
    rules = GATE.replace("visitor: {registered: true}", "visitor: {rep: R-009}").replace(
        "dwell: {zone: heat-treat, min_minutes: 5}", "event: note"
    )
    assert hub.rules.replace(rules) == ([], False)
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟", "华东阀门", "R-009"))
    hub.submit(note("gate-1", "R-007", ("V-0001", "V-0002"), "麻烦 报价", 1, time.time() - 60))
    tags = {(t[0], t[1]) for t in hub.conn.execute("SELECT badge, tag FROM tags")}
    assert tags == {("V-0001", "销售池"), ("V-0002", "培育池")}


def test_the_gate_counts_the_stay_the_visitor_is_still_in(hub: Hub) -> None:
    assert hub.rules.replace(GATE) == ([], False)
    t0 = time.time() - 1800
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟", "华东阀门", None))
    hub.submit(tap("gate-heat-treat", "heat-treat", "V-0001", 1, t0))  # still in heat-treat when the rep speaks
    hub.submit(note("gate-heat-treat", "R-007", ("V-0001",), "麻烦 报价", 2, t0 + 200))
    assert [t[0] for t in hub.conn.execute("SELECT tag FROM tags")] == ["培育池"]  # 3 min 20 s so far
    hub.submit(note("gate-heat-treat", "R-007", ("V-0001",), "报价 要 快", 3, t0 + 330))
    assert {t[0] for t in hub.conn.execute("SELECT tag FROM tags")} == {"培育池", "销售池"}  # 5 min 30 s
    [made] = opportunities(hub)
    assert made["evidence"]["conditions"]["dwell"] == [{"badge": "V-0001", "zone": "heat-treat", "dwell_s": 330.0}]
