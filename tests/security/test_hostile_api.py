"""Hostile HTTP calls at a running `tourtrace hub serve` (issue 19.2, 19.4, 19.6, 19.7, 19.10, 19.11, 19.13, 19.14,
21.6): each gets a 4xx (never a 500), changes nothing, and the next call works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import Topic
from tests.reliability.harness import wait_until
from tests.security.conftest import Target, tap_body, token_for

SITE = "sec-api"
MB = 1024 * 1024


def _login(target: Target, token: str, **headers: str) -> httpx.Client:
    client = httpx.Client(base_url=target.url, timeout=30)
    response = client.post("/login", data={"token": token, "next": "/board"}, headers=headers)
    assert response.status_code == 303, response.text[:300]
    return client


def test_request_bodies_are_capped_and_the_caller_is_checked_before_the_body_is_read(target: Target) -> None:
    big = b'{"badge_id": "' + b"x" * (3 * MB // 2) + b'"}'
    assert target.call("POST", "/api/badges", token=None, content=big).status_code == 401  # no token: body unread
    assert target.call("POST", "/api/badges", content=b"x" * (3 * MB)).status_code == 413  # by Content-Length

    def chunks() -> Iterator[bytes]:
        for _ in range(48):
            yield b" " * 65536

    assert target.call("POST", "/api/badges", content=chunks()).status_code == 413  # streamed, no length
    target.reads_work()


def test_non_ascii_credentials_are_wrong_credentials(target: Target) -> None:
    assert (
        target.call("GET", "/api/notes", token=None, headers={"Authorization": "Bearer tökén".encode()}).status_code
        == 401
    )
    assert (
        target.call("GET", "/api/notes", token=None, headers={"Cookie": "tt_session=ü.ü".encode()}).status_code == 401
    )
    response = httpx.get(f"{target.url}/board", headers={b"Cookie": "tt_session=ü.ü".encode()}, follow_redirects=False)
    assert response.status_code == 303
    assert httpx.post(f"{target.url}/login", data={"token": "ключ"}).status_code == 401
    target.reads_work()


def test_malformed_bodies_get_a_4xx(target: Target) -> None:
    deep = b"[" * 30_000 + b"]" * 30_000
    assert 400 <= target.call("POST", "/api/badges", content=deep).status_code < 500
    huge_int = b'{"badge_id": ' + b"9" * 100_000 + b', "role": "visitor"}'
    assert 400 <= target.call("POST", "/api/badges", content=huge_int).status_code < 500

    def rules_problems(text: str) -> str:
        response = target.call("POST", "/api/rules/validate", json={"text": text})
        assert response.status_code == 200 and response.json()["ok"] is False, response.text[:300]
        return str(response.json()["errors"])

    assert "nested too deeply" in rules_problems("rules: " + "[" * 30_000)
    big = (
        "rules:\n- name: a\n  when: {event: tap, dwell: {zone: x, min_minutes: "
        + "9" * 5000
        + "}}\n  then: [{tag: t}]\n"
    )
    assert "min_minutes" in rules_problems(big)
    infinite = ("rules:\n- name: a\n  when: {event: note, no_followup: {after: quote, within_hours: .inf}}\n"
                "  then: [{escalate: m}]\n")  # fmt: skip
    assert "finite" in rules_problems(infinite)
    target.reads_work()


def test_station_config_is_bounded_merged_and_lists_every_problem(target: Target) -> None:
    path = f"/api/stations/{SITE}/gate-cfg/config"
    effective = target.call("GET", path)
    assert effective.status_code == 200 and effective.json()["pushed"] is False  # defaults, not 404
    first = target.call("PUT", path, json={"zone": "injection"})
    assert first.status_code == 200 and first.json()["config"]["tap_mode"] == "toggle"
    partial = target.call("PUT", path, json={"dwell_timeout_s": 900})
    assert partial.status_code == 200 and partial.json()["config"]["zone"] == "injection"  # merged onto rev 1
    rev = partial.json()["rev"]
    raw = b'{"debounce_s": NaN, "dwell_timeout_s": 1e23, "tap_mode": "x", "colour": 1}'
    bad = target.call("PUT", path, content=raw, headers={"Content-Type": "application/json"})
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        "colour: unknown field",
        "debounce_s: expected a finite number, got nan",
        "tap_mode: expected one of toggle|enter_only, got 'x'",
        "dwell_timeout_s: expected integer, got float",
    ]
    assert target.call("PUT", path, json={"dwell_timeout_s": 10**23}).status_code == 422
    huge_zone = target.call("PUT", path, json={"note": {"vocabulary": ["词" * 200] * 350}})  # ~70 kB
    assert huge_zone.status_code == 422 and "too large" in huge_zone.text
    assert target.call("GET", path).json()["rev"] == rev  # nothing stored that was not published
    target.reads_work()


def test_a_newline_in_a_station_id_never_reaches_the_broker(target: Target) -> None:
    for site, station in (("demo%0A", "gate-x"), ("demo", "gate-x%0A"), ("demo", "gate%2B"), ("demo", "%23")):
        response = target.call("PUT", f"/api/stations/{site}/{station}/config", json={"zone": "injection"})
        assert response.status_code == 422, (site, station, response.text)
    assert target.hub.health()["broker"]["connected"]
    target.valid_tap_goes_through(SITE)


def test_yaml_aliases_are_refused_by_the_library(target: Target) -> None:
    before = target.call("GET", "/api/library").json()
    bomb = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] +
                     [f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
                      for p, c in zip("abcdefgh", "bcdefghi", strict=True)])  # fmt: skip
    response = target.call("PUT", "/api/library", json={"text": bomb})
    assert response.status_code == 422 and "aliases" in response.text
    assert target.call("GET", "/api/library").json() == before
    target.reads_work()


def test_dry_run_is_bounded_with_a_clear_4xx(target: Target) -> None:
    taps = [tap_body(SITE, badge=f"V-D{i}") for i in range(30)]
    for body in taps:
        target.publish(str(Topic(SITE, "gate-a", "tap")), httpx.Request("POST", "/", json=body).content)
    assert wait_until(lambda: all(target.stored(t["id"]) for t in taps), 20)
    rule = "- name: r{0}\n  when: {{event: tap, dwell: {{zone: injection, min_minutes: 1}}}}\n  then: [{{tag: t{0}}}]\n"
    rules = "rules:\n" + "".join(rule.format(i) for i in range(800))
    assert target.call("POST", "/api/rules/validate", json={"text": rules}).json()["ok"] is True
    refused = target.call("POST", "/api/rules/dry-run", json={"text": rules})
    assert refused.status_code == 422 and "'last': 25" in refused.json()["detail"]
    bounded = target.call("POST", "/api/rules/dry-run", json={"text": rules, "last": 25})
    assert bounded.status_code == 200 and bounded.json()["events"] == 25
    target.reads_work()


def test_a_session_ends_with_its_token_and_the_page_holds_no_bearer(target: Target) -> None:
    token_id, secret = token_for(target, "manager")
    browser = _login(target, secret)
    page = browser.get("/board").text
    session = browser.cookies["tt_session"]
    assert "tt-token" not in page and session.rpartition(".")[0] not in page
    assert browser.get("/api/notes").status_code == 200
    assert target.call("GET", "/api/notes", token=session.rpartition(".")[0]).status_code == 401  # no bearer
    csrf = re.search(r'name="tt-csrf" content="([^"]+)"', page)
    assert csrf and browser.post("/api/analyze", json={"text": "HRC45"}).status_code == 401  # no CSRF token
    assert (
        browser.post("/api/analyze", json={"text": "HRC45"}, headers={"X-CSRF-Token": csrf.group(1)}).status_code == 200
    )
    assert target.call("DELETE", f"/api/tokens/{token_id}").status_code == 200
    assert browser.get("/api/notes").status_code == 401
    assert browser.get("/board", follow_redirects=False).status_code == 303


def test_it_reads_delivery_state_not_sales_data_and_cannot_reassign_visitors(target: Target) -> None:
    for badge in ({"badge_id": "R-IT1", "role": "rep"}, {"badge_id": "R-IT2", "role": "rep"},
                  {"badge_id": "V-IT", "role": "visitor", "name": "张伟", "rep": "R-IT1"}):  # fmt: skip
        assert target.call("POST", "/api/badges", json=badge).status_code == 200
    _, it = token_for(target, "it")
    note = tap_body(SITE, kind="note")
    note["data"] = {"trigger": "rep_badge", "rep_badge": "R-IT1", "visitor_badges": ["V-IT"], "duration_ms": 900,
                    "sample_rate": 16000, "lang": "zh", "model": "m", "text": "客户要报价，机密价格八十万", "words": [],
                    "audio": None}  # fmt: skip
    target.publish(str(Topic(SITE, "gate-a", "note")), httpx.Request("POST", "/", json=note).content)
    assert wait_until(lambda: target.call("GET", "/api/notify").json()["items"], 20)
    assert any("context" in item for item in target.call("GET", "/api/notify").json()["items"])
    seen_by_it = target.call("GET", "/api/notify", token=it)
    assert seen_by_it.status_code == 200 and seen_by_it.json()["items"]
    assert all("context" not in item for item in seen_by_it.json()["items"]) and "机密" not in seen_by_it.text

    target.publish(str(Topic(SITE, "gate-a", "note")), httpx.Request("POST", "/", json={**note, "seq": -1}).content)
    assert wait_until(lambda: any(d["topic"].endswith("/note") for d in target.dead_letters()), 20)
    letters = target.call("GET", "/api/dead-letters", token=it)
    assert letters.status_code == 200 and "机密" not in letters.text and "hidden" in letters.text
    assert "机密" in target.call("GET", "/api/dead-letters").text  # the admin sees the payload

    moved = target.call("POST", "/api/badges", token=it, json={"badge_id": "V-IT", "role": "visitor", "rep": "R-IT2"})
    assert moved.status_code == 403
    assert target.call("GET", "/api/badges").json()[0] is not None
    owner = [b["rep"] for b in target.call("GET", "/api/badges").json() if b["badge_id"] == "V-IT"]
    assert owner == ["R-IT1"]
    assert (
        target.call("POST", "/api/badges", token=it, json={"badge_id": "V-IT2", "role": "visitor"}).status_code == 200
    )


def test_hygiene_headers_health_secure_cookie_and_logout(target: Target) -> None:
    anonymous = httpx.get(f"{target.url}/api/health")
    assert anonymous.status_code == 200
    assert (
        target.broker.url not in anonymous.text
        and "rules" in anonymous.json()
        and "file" not in anonymous.json()["rules"]
    )
    for path in ("/login", "/api/health"):
        headers = httpx.get(f"{target.url}{path}").headers
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    _, secret = token_for(target, "manager")
    plain = httpx.post(f"{target.url}/login", data={"token": secret})
    assert "secure" not in plain.headers["set-cookie"].lower()
    proxied = httpx.post(f"{target.url}/login", data={"token": secret}, headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in proxied.headers["set-cookie"].lower()
    for elsewhere in ("//evil.example", "/\\evil.example", "https://evil.example", "/\tevil"):
        response = httpx.post(f"{target.url}/login", data={"token": secret, "next": elsewhere})
        assert response.headers["location"] == "/", elsewhere
    browser = _login(target, secret)
    assert browser.get("/logout").status_code == 405
    browser.post("/logout")
    assert browser.get("/api/notes").status_code == 401


HOSTILE: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/visits?limit=" + "9" * 200, {}),
    ("GET", "/api/visits?since=0001-01-01T00:00:00%2B99:99", {}),
    ("GET", "/api/visitors/%00/profile", {}),
    ("GET", "/api/visitors/" + "é" * 300 + "/profile", {}),
    ("GET", "/api/notes?q=" + "%" * 500, {}),
    ("GET", "/api/notes/%0A", {}),
    ("GET", "/api/dead-letters?offset=" + "9" * 30, {}),
    ("DELETE", "/api/tokens/" + "9" * 30, {}),
    ("POST", "/api/opportunities/" + "9" * 30 + "/status", {"json": {"status": "won"}}),
    ("POST", "/api/badges", {"json": {"badge_id": "V-\x01ctl", "role": "visitor"}}),
    ("POST", "/api/badges", {"json": {"badge_id": "V-1\n", "role": "visitor"}}),
    ("POST", "/api/badges", {"json": {"badge_id": "V-1", "role": "visitor", "name": "a\x00b"}}),
    ("POST", "/api/analyze", {"content": b'{"text": NaN}', "headers": {"Content-Type": "application/json"}}),
    ("POST", "/api/rules/dry-run", {"json": {"last": 10**30}}),
    ("PUT", "/api/rules", {"json": {"text": "rules: *x"}}),
    (
        "PUT",
        "/api/stations/demo/gate-a/config",
        {"content": b'{"debounce_s": Infinity}', "headers": {"Content-Type": "application/json"}},
    ),
    ("PUT", "/api/stations/demo/gate-a/config", {"json": []}),
    ("PUT", "/api/library", {"json": {"text": "[" * 10_000}}),
    ("GET", "/api/export.xlsx?since=garbage", {}),
    ("POST", "/api/badges", {"content": b'{"badge_id": "V-S", "role": "visitor", "name": "\\udcff"}'}),
    ("POST", "/api/tokens", {"content": b'{"name": "\\udcff", "role": "it"}'}),
    ("PUT", "/api/stations/demo/gate-a/config", {"content": b'{"zone": "\\ud800"}'}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), HOSTILE, ids=[f"{m} {p[:40]}" for m, p, _ in HOSTILE])
def test_any_single_hostile_call_gets_a_4xx_and_the_next_call_works(
    target: Target, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = target.call(method, path, **kwargs)
    assert response.status_code < 500, (response.status_code, response.text[:300])
    target.reads_work()
    assert target.hub.health()["status"] == "ok"


SEGMENTS = st.sampled_from(["V-0001", "%0A", "%00", "é" * 70, "9" * 40, "-1", "..", "%2F", "%23", "R-007%0D%0A",
                            "tt_" + "x" * 300, "NaN", "Infinity"])  # fmt: skip
TEMPLATES = st.sampled_from([
    ("GET", "/api/visitors/{}/profile"), ("GET", "/api/notes/{}"), ("GET", "/api/visits?visitor={}"),
    ("GET", "/api/notes?q={}"), ("GET", "/api/stations/{}/gate-a/config"), ("PUT", "/api/stations/demo/{}/config"),
    ("DELETE", "/api/tokens/{}"), ("POST", "/api/notify/{}/retry"), ("GET", "/api/dead-letters?limit={}"),
    ("POST", "/api/badges"), ("POST", "/api/analyze"), ("POST", "/api/rules/dry-run"), ("PUT", "/api/library"),
])  # fmt: skip
BODIES = st.sampled_from([b"", b"null", b"[]", b"{}", b'{"text": NaN}', b'{"badge_id": "V\\u0000", "role": "rep"}',
                          b"[" * 5000, b"9" * 5000, b'{"text": "rules: &a [*a]"}', b'{"zone": "' + b"z" * 5000 + b'"}',
                          "{\"text\": \"\udcff\"}".encode("utf-8", "surrogatepass"), b"\xff\xfe"])  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=TEMPLATES, segment=SEGMENTS, body=BODIES)
def test_generated_hostile_calls_get_a_4xx_and_the_next_call_works(
    target: Target, call: tuple[str, str], segment: str, body: bytes
) -> None:
    method, template = call
    response = target.call(method, template.format(segment), content=body if method != "GET" else None,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code < 500, (method, template, segment, body[:40], response.text[:300])
    assert target.call("GET", "/api/visitors").status_code == 200
