"""Every dashboard page on a phone (390 and 360 px, touch) and on a desk, in headless Chromium over a served hub."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from firmware_config.local_broker import free_port, wait_for_port
from hub.app import create_app
from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.sample import load_sample_data
from hub.settings import HubSettings
from hub.store.db import connect, open_database
from hub.store.notify_outbox import claim_due, enqueue, mark_failed
from hub.store.opportunities import open_opportunity
from hub.web.routes import NAV
from tests.api import tourdata
from tests.api.tourdata import (
    ADMIN_TOKEN,
    bearer,
    make_client,
    midday_zone,
    register_people,
    sample_tour,
    store_events,
)
from tests.web.chromium import NEEDS_CHROMIUM, launch

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + "x" * 40
OUT = Path(__file__).resolve().parents[2] / "test-output" / "phone"
PHONES = {"390": {"width": 390, "height": 844}, "360": {"width": 360, "height": 780}}
DESK = {"width": 1280, "height": 900}
TARGETS = "header.top a, header.top button, main button, main .button, main .visitor, main td a, #pending-today a"
PAGES = (
    "/board",
    "/visitors",
    "/visitors/V-0003",
    "/notes",
    "/badges",
    "/fleet",
    "/rules",
    "/notify",
    "/dead-letters",
    "/opportunities",
)
COMING = {"/opportunities"}  # being built in parallel: tested once the hub serves it
LONG_NAME, LONG_COMPANY = "欧阳娜娜", "江苏省无锡市锡山区华东精密阀门制造股份有限公司（集团）"
LONG_NOTE = ("客户对注塑车间的双色模具很感兴趣，阀体需要热处理到HRC45以上，下周三之前要正式报价，还要先打三件样品，"
             "交期最好控制在四周以内，另外希望安排技术部的工程师到现场看一下机加工的五轴设备。")  # fmt: skip
pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]


def realistic_plant(db: Path) -> dict[str, str]:
    """The sample plant, the small tour, a visitor with a long name and a long note, a dead letter, a failed push."""
    conn = open_database(db)
    load_sample_data(conn)
    conn.close()
    t0 = time.time() - 900
    events = [
        *sample_tour(),
        tourdata.status("gate-machining-east-line-2", 0, t0),
        tourdata.tap("gate-injection", "injection", "V-0003", 2, t0 + 30),
        tourdata.tap("gate-assembly", "assembly", "V-0003", 1, t0 + 400),
        tourdata.note("gate-assembly", "R-007", ("V-0003", "V-0001"), LONG_NOTE, 2, t0 + 420),
    ]
    store_events(db, events)
    writer = IngestWriter(str(db), ack=lambda _m: None)
    try:
        writer.store([InMessage(str(events[0].topic).replace("gate-injection", "gate-x" * 12), b"{not json", 1, 1)])
    finally:
        writer.close()
    with make_client(db) as client:
        tokens = register_people(client)
        body = {"badge_id": "V-0003", "role": "visitor", "visitor": "V-0003", "name": LONG_NAME,
                "company": LONG_COMPANY, "rep": "R-007"}  # fmt: skip
        assert client.post("/api/badges", json=body, headers=bearer(ADMIN_TOKEN)).status_code == 200
    conn = connect(db)
    try:
        enqueue(conn, "sales", "visitor_arrived", {"visitor": LONG_NAME}, "arrived-V-0003")
        evidence = {"quote": LONG_NOTE[:60], "params": [{"text": "HRC45"}], "signals": [{"name": "quote"}],
                    "dwell": {"injection": 372.0, "assembly": 505.0}}  # fmt: skip
        assert open_opportunity(conn, "demo", "V-0003", "V-0003", "R-007", "报价跟进", "双色模具阀体报价与打样（三件）",
                                events[-1].id, evidence)  # fmt: skip
        for row in claim_due(conn, time.time() + 1):
            mark_failed(conn, row["id"], f"HTTP 502 from {WEBHOOK}", None)
    finally:
        conn.close()
    return tokens


@dataclass(frozen=True)
class Hub:
    url: str
    tokens: dict[str, str]
    served: frozenset[str]  # of the pages still COMING, those this hub serves


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The hub served on a free loopback port over the realistic plant (ingest off: the data is stored)."""
    db = tmp_path_factory.mktemp("phone") / "hub.sqlite3"
    tokens = realistic_plant(db)
    port = free_port()
    app = create_app(HubSettings(db=str(db), admin_token=ADMIN_TOKEN, site_timezone=midday_zone()), with_ingest=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for_port(port, 15), "the hub did not start"
    url = f"http://127.0.0.1:{port}"
    served = frozenset(path for path in COMING if httpx.get(url + path, follow_redirects=False).status_code != 404)
    yield Hub(url, tokens, served)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    print(f"\nphone screenshots: {OUT}")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def open_tab(browser: Any, url: str, token: str | None, size: dict[str, int], phone: bool = True) -> Any:
    """A new browser context (a phone with touch, or a desk), logged in through the login form when given a token."""
    options: dict[str, Any] = {"viewport": size, "locale": "zh-CN"}
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=3)
    tab = browser.new_context(**options).new_page()
    if token is not None:
        tab.goto(f"{url}/login?next=/board")
        tab.fill("input[name=token]", token)
        tab.press("input[name=token]", "Enter")
        tab.wait_for_url(on_path("/board"))
    return tab


@pytest.fixture(scope="module")
def phones(browser: Any, hub: Hub) -> Iterator[dict[tuple[str, str], Any]]:
    """A logged-in phone tab per (width, role), made on first use."""

    class Tabs(dict[tuple[str, str], Any]):
        def __missing__(self, key: tuple[str, str]) -> Any:
            self[key] = open_tab(browser, hub.url, hub.tokens[key[1]], PHONES[key[0]])
            return self[key]

    tabs = Tabs()
    yield tabs
    for tab in tabs.values():
        tab.context.close()


def on_path(path: str) -> Callable[[str], bool]:
    """A URL predicate: the page is at path (a glob like **/board would also match /login?next=/board)."""
    return lambda url: urlsplit(url).path == path


def layout(tab: Any) -> dict[str, float]:
    return tab.evaluate(
        """() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth,
                   height: window.innerHeight, h1: document.querySelector('h1').getBoundingClientRect().bottom})"""
    )


def short_targets(tab: Any, selector: str) -> list[str]:
    """Return the visible elements matching selector that are less than 44 px tall (as 'text: height')."""
    return tab.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
             .filter((el) => el.offsetParent !== null)
             .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height])
             .filter(([, h]) => h < 44).map(([t, h]) => t + ': ' + h)""",
        selector,
    )


@pytest.mark.parametrize("width", sorted(PHONES))
@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone(hub: Hub, phones: dict[tuple[str, str], Any], width: str,
                           path: str) -> None:  # fmt: skip
    if path in COMING and path not in hub.served:
        pytest.skip(f"{path} is not in this hub yet")
    tab = phones[(width, "admin")]
    tab.goto(hub.url + path)
    tab.locator("h1").wait_for()
    shot = OUT / f"{path.strip('/').replace('/', '-')}-{width}.png"
    tab.screenshot(path=str(shot), full_page=True)
    box = layout(tab)
    assert box["width"] == int(width)
    assert box["scroll"] <= box["width"], f"{path} scrolls sideways at {width} px ({box['scroll']}): see {shot}"
    assert box["h1"] <= box["height"], f"{path}'s heading is below the first screen ({box['h1']}): see {shot}"
    assert short_targets(tab, TARGETS) == []
    assert tab.locator("#site-menu nav").is_hidden()
    assert tab.locator("script:not([src])").count() == 0  # the hub's CSP runs only its own script files


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone_in_english(hub: Hub, phones: dict[tuple[str, str], Any], path: str) -> None:
    if path in COMING and path not in hub.served:
        pytest.skip(f"{path} is not in this hub yet")
    tab = phones[("360", "admin")]
    tab.goto(f"{hub.url}{path}?lang=en")
    tab.locator("h1").wait_for()
    shot = OUT / f"{path.strip('/').replace('/', '-')}-360-en.png"
    tab.screenshot(path=str(shot), full_page=True)
    box = layout(tab)
    assert box["scroll"] <= box["width"], f"{path} scrolls sideways in English ({box['scroll']}): see {shot}"
    assert box["h1"] <= box["height"]
    tab.goto(f"{hub.url}/board?lang=zh")


@pytest.mark.parametrize("width", sorted(PHONES))
def test_menu_button_opens_the_nav(hub: Hub, phones: dict[tuple[str, str], Any],
                                   width: str) -> None:  # fmt: skip
    from playwright.sync_api import expect

    tab = phones[(width, "admin")]
    tab.goto(hub.url + "/visitors/V-0003")
    toggle = tab.locator("#menu-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    links = tab.locator("#site-menu nav a")
    expect(links.last).to_be_visible()
    assert links.count() == len(NAV)  # the admin sees every page
    tab.screenshot(path=str(OUT / f"menu-open-{width}.png"), full_page=True)
    assert short_targets(tab, "#site-menu a, #site-menu button, #menu-toggle") == []
    assert layout(tab)["scroll"] <= int(width)
    tab.locator("#site-menu nav a", has_text="语音备注").tap()
    tab.wait_for_url(on_path("/notes"))
    expect(tab.locator("h1")).to_have_text("语音备注")
    expect(tab.locator("#site-menu nav")).to_be_hidden()


def test_menu_works_from_the_keyboard(hub: Hub, phones: dict[tuple[str, str], Any]) -> None:
    from playwright.sync_api import expect

    tab = phones[("390", "admin")]
    tab.goto(hub.url + "/board")
    toggle = tab.locator("#menu-toggle")
    toggle.focus()
    tab.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.closest('#site-menu nav') !== null")
    tab.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(tab.locator("#site-menu nav")).to_be_hidden()
    assert tab.evaluate("document.activeElement.id") == "menu-toggle"


def test_without_scripts_the_phone_menu_stays_open(browser: Any, hub: Hub) -> None:
    from playwright.sync_api import expect

    tab = open_tab(browser, hub.url, hub.tokens["manager"], PHONES["360"])
    context = tab.context
    nojs = browser.new_context(viewport=PHONES["360"], is_mobile=True, has_touch=True, java_script_enabled=False,
                               storage_state=context.storage_state()).new_page()  # fmt: skip
    try:
        nojs.goto(f"{hub.url}/visitors")
        expect(nojs.locator("#menu-toggle")).to_be_hidden()
        expect(nojs.locator("#site-menu nav a").first).to_be_visible()
        assert layout(nojs)["scroll"] <= 360
        nojs.screenshot(path=str(OUT / "visitors-360-nojs.png"), full_page=True)
    finally:
        nojs.context.close()
        context.close()


def test_desk_shows_the_nav_without_a_button(browser: Any, hub: Hub) -> None:
    from playwright.sync_api import expect

    url, tokens = hub.url, hub.tokens
    tab = open_tab(browser, url, tokens["admin"], DESK, phone=False)
    try:
        expect(tab.locator("#menu-toggle")).to_be_hidden()
        links = tab.locator("#site-menu nav a")
        expect(links).to_have_count(len(NAV))
        for i in range(len(NAV)):
            expect(links.nth(i)).to_be_visible()
        tops = {round(links.nth(i).bounding_box()["y"]) for i in range(len(NAV))}
        assert len(tops) == 1, f"the desk nav wraps: {tops}"
        tab.screenshot(path=str(OUT / "board-desk.png"), full_page=True)
    finally:
        tab.context.close()


@pytest.mark.parametrize("width", sorted(PHONES))
def test_rep_lands_on_own_visitors_today(hub: Hub, phones: dict[tuple[str, str], Any],
                                         width: str) -> None:  # fmt: skip
    from playwright.sync_api import expect

    url = hub.url
    tab = phones[(width, "rep")]
    tab.goto(url + "/")
    tab.wait_for_url(on_path("/board"))
    today = tab.locator("#my-today")
    expect(today.locator(".visitor")).to_have_count(2)  # both on tour now: the latest to arrive in a zone first
    expect(today.locator(".visitor").first).to_contain_text("张伟")
    expect(today.locator(".visitor").last).to_contain_text(LONG_NAME)
    expect(today).not_to_contain_text("李娜")
    tab.screenshot(path=str(OUT / f"rep-board-{width}.png"), full_page=True)
    first = today.locator(".visitor").first.bounding_box()
    assert first["y"] + first["height"] <= PHONES[width]["height"], "the rep's visitors are not on the first screen"
    assert layout(tab)["scroll"] <= int(width)
    pending = tab.locator("#pending-today")  # their pending opportunities come right below
    expect(pending).to_be_visible()
    assert tab.evaluate("document.querySelector('#my-today + #pending-today + .zones') !== null")
    tab.goto(url + "/visitors/V-0003")
    expect(tab.locator("h1")).to_contain_text(LONG_NAME)
    tab.screenshot(path=str(OUT / f"rep-profile-{width}.png"), full_page=True)
    assert layout(tab)["scroll"] <= int(width)


def test_login_with_the_phone_keyboard(browser: Any, hub: Hub) -> None:
    url, tokens = hub.url, hub.tokens
    tab = open_tab(browser, url, None, PHONES["390"])
    try:
        tab.goto(url + "/board")
        tab.wait_for_url("**/login?next=/board")
        field = tab.locator("input[name=token]")
        assert field.get_attribute("autocomplete") == "current-password"
        assert field.get_attribute("autocapitalize") == "off" and field.get_attribute("spellcheck") == "false"
        assert float(field.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 16
        assert tab.evaluate("document.activeElement.name") == "token"
        box = layout(tab)
        assert box["scroll"] <= box["width"] and box["h1"] <= box["height"]
        assert short_targets(tab, "main button, main input, header a") == []
        tab.screenshot(path=str(OUT / "login-390.png"), full_page=True)
        tab.keyboard.type(tokens["rep"])
        tab.keyboard.press("Enter")
        tab.wait_for_url(on_path("/board"))
        assert tab.locator("#my-today").is_visible()
    finally:
        tab.context.close()


def test_open_board_goes_to_login_when_the_session_is_gone(browser: Any, hub: Hub) -> None:
    url, tokens = hub.url, hub.tokens
    tab = open_tab(browser, url, tokens["rep"], PHONES["390"])
    try:
        tab.context.clear_cookies()  # the session ended while the phone was locked
        tab.wait_for_url("**/login?next=%2Fboard", timeout=15000)
        assert tab.locator("#board").count() == 0
    finally:
        tab.context.close()
