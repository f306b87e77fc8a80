"""Headless Chromium: a rep handles an opportunity on the 商机 page; a manager writes rules with the 当/就/否则 form."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from firmware_config.local_broker import free_port, wait_for_port
from hub.app import create_app
from hub.rules.engine import parse_rules
from hub.settings import HubSettings
from hub.store.db import open_database
from tests.api.tourdata import ADMIN_TOKEN, PEOPLE, bearer, note, tap
from tests.rules.conftest import Hub
from tests.web.chromium import NEEDS_CHROMIUM, launch
from tests.web.test_browser_tour import OUT

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]


@dataclass
class Served:
    url: str
    tokens: dict[str, str]

    def api(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", headers=bearer(self.tokens[role]), **kwargs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """V-0001 (张伟, 华东阀门, rep R-007) stays 6 min at injection and heat-treat and asks for a quote; V-0002 too."""
    db = tmp_path_factory.mktemp("sales") / "hub.sqlite3"
    hub = Hub(db)
    t0 = time.time() - 3600
    hub.submit(
        tap("gate-injection", "injection", "V-0001", 1, t0),
        tap("gate-injection", "injection", "V-0001", 2, t0 + 360),
        tap("gate-heat-treat", "heat-treat", "V-0001", 1, t0 + 400),
        tap("gate-heat-treat", "heat-treat", "V-0001", 2, t0 + 760),
        note("gate-heat-treat", "R-007", ("V-0001",), "热处理到HRC45，麻烦报价", 3, t0 + 800),
        note("gate-machining", "R-009", ("V-0002",), "报价 单 发 我", 1, t0 + 900),
    )
    hub.writer.close()
    open_database(db).close()
    port = free_port()
    app = create_app(HubSettings(db=str(db), admin_token=ADMIN_TOKEN, http=f"127.0.0.1:{port}"), with_ingest=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for_port(port, 15)
    running = Served(f"http://127.0.0.1:{port}", {"admin": ADMIN_TOKEN})
    for body in PEOPLE:
        assert running.api("POST", "/api/badges", json=body).status_code == 200
    for role, extra in (("manager", {}), ("rep", {"rep_badge": "R-007"})):
        made = running.api("POST", "/api/tokens", json={"name": f"{role}-user", "role": role, **extra})
        running.tokens[role] = made.json()["token"]
    yield running
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def _login(browser: Any, served: Served, role: str, path: str) -> Any:
    tab = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    tab.goto(f"{served.url}/login?next={path}")
    tab.fill("input[name=token]", served.tokens[role])
    tab.click("button[type=submit]")
    tab.wait_for_url(f"**{path}")
    return tab


def test_a_rep_marks_their_opportunity_contacted(served: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    tab = _login(browser, served, "rep", "/board")
    expect(tab.locator("#pending-today strong")).to_have_text("1")  # only V-0001 is the rep's visitor
    tab.click("#pending-today a")
    cards = tab.locator("[data-opportunity]")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_contain_text("张伟")
    expect(card).to_contain_text("待确认")
    expect(card).to_contain_text("热处理到HRC45，麻烦报价")
    expect(card.locator("mark.param")).to_have_text("HRC45")
    expect(card.locator("[data-set-status]")).to_have_count(3)  # 确认转商机, 忽略, 已联系
    card.locator('input[name="comment"]').fill("已电话联系")
    card.locator('[data-set-status="contacted"]').click()
    expect(tab.locator("[data-opportunity]")).to_have_count(0, timeout=10000)  # reloaded: no longer pending
    tab.goto(f"{served.url}/opportunities")
    kept = tab.locator("[data-opportunity]").first
    expect(kept).to_contain_text("已联系")
    expect(kept.locator("[data-set-status]")).to_have_count(2)  # won, lost
    expect(kept.locator("details")).to_contain_text("待确认 → 已联系（已电话联系）")
    tab.screenshot(path=str(OUT / "opportunities.png"), full_page=True)

    tab.goto(f"{served.url}/visitors/V-0001")
    expect(tab.locator("#visitor-opportunities [data-opportunity]")).to_have_count(1)
    expect(tab.locator("#visitor-opportunities")).to_contain_text("rep-user")
    api = served.api("GET", "/api/opportunities", "manager", params={"visitor": "V-0001"}).json()
    assert [o["status"] for o in api["items"]] == ["contacted"]


def _write(tab: Any) -> None:
    from playwright.sync_api import expect

    tab.click("#rb-write")
    expect(tab.locator("#rules-result")).to_contain_text("已写入规则", timeout=10000)


def test_a_manager_writes_the_dwell_rule_and_the_qualification_gate_without_yaml(served: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    tab = _login(browser, served, "manager", "/rules")
    expect(tab.locator("#rb-pick option")).to_have_count(6, timeout=10000)  # new + the five default rules
    tab.fill('#rule-builder [name="name"]', "注塑停留5分钟")
    tab.select_option('#rule-builder [name="dwell_zone"]', "injection")
    tab.fill('#rule-builder [name="dwell_minutes"]', "5")
    then = tab.locator('[data-branch="then"] .rb-action').first
    then.locator('[name="kind"]').select_option("tag")
    then.locator('[name="value"]').fill("注塑深度兴趣")
    _write(tab)

    tab.select_option("#rb-pick", "")
    tab.fill('#rule-builder [name="name"]', "销售资格")
    tab.select_option('#rule-builder [name="dwell_zone"]', "heat-treat")
    tab.fill('#rule-builder [name="dwell_minutes"]', "5")
    tab.select_option('#rule-builder [name="signal"]', "quote")
    tab.check('#rule-builder [name="registered"]')
    tab.locator('[data-branch="then"] .rb-action [name="value"]').first.fill("销售池")
    tab.click('[data-add-action="then"]')
    second = tab.locator('[data-branch="then"] .rb-action').nth(1)
    second.locator('[name="kind"]').select_option("opportunity")
    second.locator('[name="value"]').fill("合格商机")
    tab.click('[data-add-action="else"]')
    tab.locator('[data-branch="else"] .rb-action [name="value"]').fill("培育池")
    _write(tab)

    tab.click('#rule-builder [data-rules="validate"]')
    expect(tab.locator("#rules-result")).to_contain_text('"ok": true', timeout=10000)
    tab.click("#rb-dry-run")
    expect(tab.locator("#rules-result")).to_contain_text("将新增", timeout=20000)
    # V-0002 made no heat-treat stay
    outcome = "销售资格：标签「销售池」 → V-0001；商机「合格商机」 → V-0001；标签「培育池」 → V-0002"
    expect(tab.locator("#rules-result")).to_contain_text(outcome)
    expect(tab.locator("#rules-result")).to_contain_text("注塑停留5分钟：标签「注塑深度兴趣」 → V-0001")
    tab.screenshot(path=str(OUT / "rules-builder.png"), full_page=True)
    tab.click('#rule-builder [data-rules="save"]')
    expect(tab.locator("#rules-result")).to_contain_text('"persisted": true', timeout=10000)

    active = parse_rules(served.api("GET", "/api/rules", "manager").json()["text"])
    rules = {rule.name: rule for rule in active.rules}
    dwell = rules["注塑停留5分钟"].when.dwell
    assert dwell is not None and (dwell.zone, dwell.min_minutes) == ("injection", 5)
    gate = rules["销售资格"]
    assert gate.when.dwell is not None and gate.when.dwell.zone == "heat-treat" and gate.when.signals == ("quote",)
    assert dict(gate.when.visitor) == {"registered": ("yes",)} and gate.when.events == ("note",)
    assert [(a.kind, a.value) for a in gate.then] == [("tag", "销售池"), ("opportunity", "合格商机")]
    assert [(a.kind, a.value) for a in gate.otherwise] == [("tag", "培育池")]
    assert "报价商机" in rules and len(rules) == 7  # the defaults are kept

    tab.reload()
    tab.select_option("#rb-pick", "销售资格")  # reads the saved YAML back into the form
    expect(tab.locator('#rule-builder [name="dwell_zone"]')).to_have_value("heat-treat")
    expect(tab.locator('#rule-builder [name="registered"]')).to_be_checked()
    expect(tab.locator('[data-branch="else"] .rb-action [name="value"]')).to_have_value("培育池")
