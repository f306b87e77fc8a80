"""Every default template, rendered from what the real rules engine queues, has every field filled.

A tour runs through the real ingest writer, note analysis and rules (the shipped defaults plus rules that use the
tag, warning and rule templates); each queued notification is rendered as the delivery worker would.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from hub.notify.templates import DEFAULT_TEMPLATES, TemplateSet
from hub.notify.worker import NotifyWorker
from hub.rules.engine.engine import default_rules_path
from hub.store.badges import Badge, upsert_badge
from hub.store.notify_outbox import list_outbox
from hub.store.tx import transaction
from tests.api.tourdata import note, tap
from tests.rules.conftest import Hub

EXTRA_RULES = """
  - name: 注塑推送
    when: {event: tap, dwell: {zone: injection, min_minutes: 2}}
    then: [{tag: 注塑工艺兴趣}, {notify: sales}]
  - name: 硬度提醒
    when: {event: note, param: {kind: hardness}}
    then: [{lookup: true}, {notify: sales, template: warning}]
  - name: 备注过多
    when: {count: {of: notes, per: rep, over_hours: 1, more_than: 0}}
    then: [{notify: manager}]
"""
RAW = "这 个 阀体 得 热处理 到 HRC 四十五 才行 麻烦 报 个 价"  # as the recognizer writes it
NORMALIZED = "这个阀体得热处理到HRC45才行麻烦报个价"
PUBLIC = "https://hub.example.com/tt"


@pytest.fixture
def pushes(tmp_path: Path) -> list[tuple[str, str, str]]:
    """Run the tour; return (template, title, text) of every queued notification, rendered."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(default_rules_path().read_text(encoding="utf-8") + EXTRA_RULES, encoding="utf-8")
    hub = Hub(tmp_path / "hub.sqlite3", rules)
    try:
        with transaction(hub.conn):
            upsert_badge(hub.conn, Badge("B-17", "visitor", "ACME-1", "王[建国](http://evil.example)", "苏州*精工*"))
            upsert_badge(hub.conn, Badge("B-18", "visitor", "ACME-2", "李四", ""))
            upsert_badge(hub.conn, Badge("R-007", "rep", None, "张<font>销售</font>", ""))
        t0 = time.time() - 4 * 3600
        hub.submit(tap("gate-injection", "injection", "B-17", 1, t0),
                   tap("gate-heat-treat", "heat-treat", "B-17", 1, t0 + 300),
                   note("gate-heat-treat", "R-007", ("B-17", "B-18"), RAW, 2, t0 + 320))  # fmt: skip
        with transaction(hub.conn):
            assert hub.rules.fire_due(hub.conn, time.time()) == 1  # no follow-up note within 2 h of the quote
        worker = NotifyWorker(str(tmp_path / "hub.sqlite3"), {}, TemplateSet(), base_url=PUBLIC)
        rows = list_outbox(hub.conn)
        return [(r["template"], *worker.render(r).__dict__.values()) for r in rows]  # as delivery renders them
    finally:
        hub.writer.close()


def test_every_default_template_is_sent_with_every_field_filled(pushes: list[tuple[str, str, str]]) -> None:
    assert {template for template, _, _ in pushes} == set(DEFAULT_TEMPLATES) - {"digest"}  # digest: not a rule
    for template, title, text in pushes:
        message = f"{template}: {title}\n{text}"
        assert title and "None" not in message and "****" not in message and "（）" not in message, message
        assert not re.search(r"：\s*(\n|$)", message), message  # a label with nothing after it
        assert not re.search(r"\b(quote|lead_time|sample|injection)\b", message), message  # internal names
        assert (
            "访客：**王［建国］（http：//evil.example）**（苏州＊精工＊）" in text
            or "ACME-2" in text
            or template == "rule"
        )
        assert "](http://evil" not in text and "<font>" not in text, message


def test_pushes_name_every_visitor_and_link_their_profiles(pushes: list[tuple[str, str, str]]) -> None:
    by_template: dict[str, list[str]] = {}
    for template, _, text in pushes:
        by_template.setdefault(template, []).append(text)
    for template in ("opportunity", "escalation", "warning"):  # the note named two visitors: each is told about
        texts = by_template[template]
        assert len(texts) == 2, texts
        assert any(f"[查看访客档案]({PUBLIC}/visitors/ACME-1)" in t for t in texts), texts
        assert any(f"[查看访客档案]({PUBLIC}/visitors/ACME-2)" in t for t in texts), texts
    opportunity = by_template["opportunity"][0]
    assert "- 信号：报价" in opportunity and f"- 备注：{NORMALIZED}" in opportunity
    assert "- 销售：张＜font＞销售＜/font＞" in opportunity
    assert (
        "- 标签：**注塑工艺兴趣**" in by_template["tag"][0] and "- 依据：在注塑车间停留5分钟" in by_template["tag"][0]
    )
    assert "- 提醒：客户提及HRC45，但当前库存材质最高适配HRC42" in by_template["warning"][0]
    assert "1小时内备注1条（上限0条）" in by_template["rule"][0]
    assert "- 报价后已过 2 小时仍无跟进" in by_template["escalation"][0]


def test_without_a_url_no_link_is_promised() -> None:
    message = TemplateSet().render("opportunity", {"visitor": "ACME-1", "signals": ["报价"]})
    assert "查看访客档案" not in message.text and "- 信号：报价" in message.text


def test_a_template_name_without_a_template_lists_only_what_it_has() -> None:
    message = TemplateSet().render("custom", {"visitor": "ACME-1", "rep": None, "signals": [], "note": "要[报价](x)"})
    assert message.text.splitlines()[1:] == ["- visitor：ACME-1", "- note：要［报价］（x）"]
