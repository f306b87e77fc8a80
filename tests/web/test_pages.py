"""Dashboard pages over the real app: login, role gates, language switch, board, profile, fleet."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hub.web.views import highlight


def login(client: TestClient, token: str) -> None:
    response = client.post("/login", data={"token": token, "next": "/board"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/board"
    assert "httponly" in response.headers["set-cookie"].lower()


def test_login_required_and_bad_token(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/board", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/board"
    failed = client.post("/login", data={"token": "tt_wrong", "next": "/board"})
    assert failed.status_code == 401 and "令牌无效" in failed.text
    client.cookies.set("tt_session", "forged.0123456789abcdef0123456789abcdef")
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_board_shows_who_is_where(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["manager"])
    page = client.get("/board")
    assert page.status_code == 200 and "实时参观" in page.text
    heat = re.search(r'data-zone="heat-treat".*?</div>', page.text, re.S)
    assert heat and "张伟" in heat.group(0) and 'data-since="' in heat.group(0)
    machining = re.search(r'data-zone="machining".*?</div>', client.get("/board?fragment=1").text, re.S)
    assert machining and "李娜" in machining.group(0)
    assert "<header" not in client.get("/board?fragment=1").text


def test_language_switch(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["admin"])
    english = client.get("/board?lang=en")
    assert "Live tours" in english.text and "tt_lang=en" in english.headers["set-cookie"]
    assert "Live tours" in client.get("/board").text  # remembered
    assert "实时参观" in client.get("/board?lang=zh").text


def test_profile_has_dwell_bars_timeline_and_notes(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["manager"])
    page = client.get("/visitors/V-0001").text
    assert "张伟" in page and "华东阀门" in page
    bars = re.findall(r'<g class="bar" data-zone="([a-z-]+)">.*?width="([\d.]+)"', page, re.S)
    assert sorted(zone for zone, _ in bars) == ["heat-treat", "injection"]
    widths = {zone: float(width) for zone, width in bars}
    assert max(widths.values()) == 420.0 and min(widths.values()) > 2
    assert "注塑车间" in page and "3.0 分钟" in page
    assert 'class="timeline"' in page and "HRC45" in page
    assert client.get("/visitors/nobody-999").status_code == 404


def test_rep_is_limited_to_own_visitors(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["rep"])
    assert client.get("/visitors/V-0001").status_code == 200
    denied = client.get("/visitors/V-0002")
    assert denied.status_code == 403 and "无权" in denied.text
    board = client.get("/board").text
    assert "张伟" in board and "李娜" not in board
    notes = client.get("/notes").text
    assert "HRC45" in notes and "交期" not in notes
    assert client.get("/fleet").status_code == 403
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", board, re.S)
    assert nav and "/fleet" not in nav.group(1) and "/notes" in nav.group(1)


def test_it_sees_fleet_and_dead_letters(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["it"])
    assert client.get("/", follow_redirects=False).headers["location"] == "/fleet"
    fleet = client.get("/fleet").text
    assert re.search(r'class="light-green" data-station="gate-injection"', fleet)
    assert re.search(r'class="light-red" data-station="gate-machining"', fleet)
    assert client.get("/dead-letters").status_code == 200
    assert client.get("/board").status_code == 403


def test_notes_search_and_badge_page(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["manager"])
    assert "交期" in client.get("/notes?q=机加工").text
    assert "HRC45" not in client.get("/notes?q=机加工").text
    badges = client.get("/badges").text
    assert "V-0002" in badges and 'id="badge-form"' in badges
    assert client.get("/notify").status_code == 200 and client.get("/rules").status_code == 200


def test_page_scripts_use_cookie_and_csrf_and_logout_ends_it(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["manager"])
    page = client.get("/board").text
    assert "tt-token" not in page and client.cookies["tt_session"].rpartition(".")[0] not in page
    csrf = re.search(r'name="tt-csrf" content="([^"]+)"', page)
    assert csrf
    assert client.get("/api/badges").status_code == 200  # the cookie alone reads
    badge = {"badge_id": "V-CSRF", "role": "visitor"}
    assert client.post("/api/badges", json=badge).status_code == 401  # a change needs the page's CSRF token
    assert client.post("/api/badges", json=badge, headers={"X-CSRF-Token": csrf.group(1)}).status_code == 200
    assert client.get("/logout").status_code == 405  # a link cannot log anyone out
    client.post("/logout")
    assert client.get("/api/badges").status_code == 401
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_highlight_marks_param_spans() -> None:
    pieces = highlight("热处理到HRC45才行", [{"kind": "hardness", "span": [4, 9], "text": "HRC45"}])
    assert [(p["text"], p["param"] is not None) for p in pieces] == [("热处理到", False), ("HRC45", True),
                                                                      ("才行", False)]  # fmt: skip
    assert highlight("abc", [{"span": [2, 9]}]) == [{"text": "abc", "param": None}]


def test_evidence_reads_as_a_sentence() -> None:
    from hub.rules.evidence import evidence_text

    evidence = {"rule": "注塑停留", "event_ids": ["01ABC"], "dwell": [{"zone": "injection", "dwell_s": 200.0,
                "start_event": "01ABC"}]}  # fmt: skip
    assert evidence_text(evidence, {"injection": "注塑车间"}) == "规则“注塑停留”；在注塑车间停留 3.3 分钟"
    assert evidence_text({"params": [{"text": "HRC45"}], "quote": "到HRC45"}) == "HRC45；原话“到HRC45”"
