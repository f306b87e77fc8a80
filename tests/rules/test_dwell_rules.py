"""Dwell rules act once per visit: not again at every later tap, and also for a visit only its timeout closed."""

from __future__ import annotations

import time
from pathlib import Path

from hub.rules.engine import parse_rules
from hub.rules.visits import close_timed_out
from hub.store.tx import transaction
from tests.api.tourdata import tap
from tests.rules.conftest import Hub

RULES = """
rules:
  - name: 热处理久留
    when:
      event: tap
      dwell: {zone: heat-treat, min_minutes: 3}
    then:
      - tag: 热处理兴趣
      - opportunity: 热处理商机
      - notify: sales
"""


def _hub(tmp_path: Path) -> Hub:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    return Hub(tmp_path / "hub.sqlite3", rules)


def _notified(hub: Hub) -> int:
    return hub.count("SELECT COUNT(*) FROM notify_outbox WHERE channel = 'sales'")


def _opportunities(hub: Hub) -> int:
    return hub.count("SELECT COUNT(*) FROM rule_outcomes WHERE kind = 'opportunity'")


def test_a_long_stay_is_announced_once_however_many_taps_follow(tmp_path: Path) -> None:
    hub = _hub(tmp_path)
    try:
        t0 = time.time() - 3000
        hub.submit(
            tap("gate-heat", "heat-treat", "V-0001", 1, t0), tap("gate-heat", "heat-treat", "V-0001", 2, t0 + 240)
        )
        assert (_notified(hub), _opportunities(hub)) == (1, 1)
        hub.submit(
            tap("gate-mach", "machining", "V-0001", 1, t0 + 300),
            tap("gate-mach", "machining", "V-0001", 2, t0 + 400),
            tap("gate-asm", "assembly", "V-0001", 1, t0 + 500),
        )
        assert (_notified(hub), _opportunities(hub)) == (1, 1)  # each of these taps still sees the long stay
        hub.submit(tap("gate-heat", "heat-treat", "V-0001", 3, t0 + 600), tap("gate-heat", "heat-treat", "V-0001", 4,
                                                                             t0 + 900))  # fmt: skip
        assert (_notified(hub), _opportunities(hub)) == (1, 2)  # a second long stay is an outcome of the rule, …
        assert hub.count("SELECT COUNT(*) FROM opportunities") == 1  # … but the visitor's opportunity is still open
        assert hub.count("SELECT COUNT(*) FROM tags WHERE tag = '热处理兴趣'") == 1
    finally:
        hub.writer.close()


def test_a_visit_that_arrives_already_expired_is_left_to_the_taps_that_follow(tmp_path: Path) -> None:
    """A drained outbox delivers old taps; the tap that closed the visit may still be queued at another station."""
    hub = _hub(tmp_path)
    try:
        t0 = time.time() - 5000
        hub.submit(tap("gate-heat", "heat-treat", "V-0002", 1, t0))  # past the 3600 s timeout on arrival
        visit = hub.conn.execute("SELECT timed_out, dwell_s FROM visits WHERE badge = 'V-0002'").fetchone()
        assert tuple(visit) == (1, 3600.0)
        assert (_notified(hub), _opportunities(hub)) == (0, 0)
        hub.submit(tap("gate-mach", "machining", "V-0002", 1, t0 + 60))  # the other station's outbox drains
        assert (_notified(hub), _opportunities(hub)) == (0, 0)  # one minute at heat-treat: no long stay after all
    finally:
        hub.writer.close()


def test_a_visit_closed_by_the_sweep_fires_its_dwell_rules_without_another_tap(tmp_path: Path) -> None:
    hub = _hub(tmp_path)
    try:
        opened = time.time() - 100
        opening = tap("gate-heat", "heat-treat", "V-0003", 1, opened)
        hub.submit(opening)
        assert (_notified(hub), _opportunities(hub)) == (0, 0)  # still there: nothing to judge yet
        later = opened + 3700
        with transaction(hub.conn):
            closed = close_timed_out(hub.conn, "toggle", 3600, later)  # what the hub's sweep thread does
            hub.rules.derive_timed_out(hub.conn, closed, later)
        assert closed == [opening.id]
        assert (_notified(hub), _opportunities(hub)) == (1, 1)
        evidence = hub.conn.execute("SELECT evidence FROM tags WHERE badge = 'V-0003'").fetchone()[0]
        assert '"dwell_s": 3600.0' in evidence or '"dwell_s":3600.0' in evidence
        hub.submit(tap("gate-asm", "assembly", "V-0003", 2, opened + 4000))  # the badge shows up again later
        assert (_notified(hub), _opportunities(hub)) == (1, 1)
    finally:
        hub.writer.close()


ELSE_RULES = """
rules:
  - name: 热处理停留
    when: {event: tap, dwell: {zone: heat-treat, min_minutes: 3}}
    then: [{tag: 热处理重点客户}]
    否则: [{tag: 热处理一般关注}, {opportunity: 回访}]
"""


def _else_tour(t0: float) -> list:
    """V-1 stays long, V-2 passes by once, V-3 passes by and later comes back for long; taps elsewhere between."""
    return [
        tap("gate-inj", "injection", "V-1", 1, t0), tap("gate-heat", "heat-treat", "V-1", 1, t0 + 60),
        tap("gate-mach", "machining", "V-1", 1, t0 + 600), tap("gate-asm", "assembly", "V-1", 1, t0 + 700),
        tap("gate-heat", "heat-treat", "V-2", 2, t0), tap("gate-mach", "machining", "V-2", 2, t0 + 60),
        tap("gate-asm", "assembly", "V-2", 2, t0 + 120), tap("gate-inj", "injection", "V-2", 2, t0 + 200),
        tap("gate-heat", "heat-treat", "V-3", 3, t0), tap("gate-mach", "machining", "V-3", 3, t0 + 60),
        tap("gate-heat", "heat-treat", "V-3", 4, t0 + 300), tap("gate-mach", "machining", "V-3", 4, t0 + 900),
        tap("gate-asm", "assembly", "V-3", 3, t0 + 1000),
    ]  # fmt: skip


EXPECTED_TAGS = {"V-1": {"热处理重点客户"}, "V-2": {"热处理一般关注"}, "V-3": {"热处理重点客户"}}
EXPECTED_ELSE_DECISIONS = {"V-2": 1, "V-3": 1}  # once per short closed visit, never per tap


def test_else_on_a_dwell_rule_is_decided_once_per_closed_visit_live(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(ELSE_RULES, encoding="utf-8")
    hub = Hub(tmp_path / "hub.sqlite3", rules)
    try:
        hub.submit(*_else_tour(time.time() - 3000))
        held: dict[str, set[str]] = {}
        for badge, tag in hub.conn.execute("SELECT badge, tag FROM tags"):
            held.setdefault(badge, set()).add(tag)
        assert held == EXPECTED_TAGS
        rows = hub.conn.execute("SELECT badge, COUNT(*) FROM rule_outcomes WHERE kind='opportunity' GROUP BY badge")
        assert dict(rows.fetchall()) == EXPECTED_ELSE_DECISIONS
    finally:
        hub.writer.close()


def test_else_on_a_dwell_rule_is_decided_once_per_closed_visit_in_a_dry_run(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.sqlite3")  # the default rules: this one is only tried
    try:
        hub.submit(*_else_tour(time.time() - 3000))
        result = hub.rules.dry_run(hub.conn, parse_rules(ELSE_RULES))
        held: dict[str, set[str]] = {}
        decisions: dict[str, set[str]] = {}
        for action in result["actions"]:  # replay in order, as applying them would
            if action["kind"] == "tag":
                held.setdefault(action["badge"], set()).add(action["value"])
            elif action["kind"] == "untag":
                held.get(action["badge"], set()).discard(action["value"])
            elif action["kind"] == "opportunity":
                decisions.setdefault(action["badge"], set()).add(action["key"])
        assert {badge: tags for badge, tags in held.items() if tags} == EXPECTED_TAGS
        assert {badge: len(keys) for badge, keys in decisions.items()} == EXPECTED_ELSE_DECISIONS
    finally:
        hub.writer.close()
