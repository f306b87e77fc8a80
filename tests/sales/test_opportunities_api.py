"""GET /api/opportunities (paged, scoped) and POST /api/opportunities/{id}/status for reps, managers and a CRM."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.api.tourdata import ADMIN_TOKEN, bearer, make_client, note, register_people
from tests.rules.conftest import Hub


@pytest.fixture
def sales(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Three quotes by R-007 (V-0001, V-0003, V-0004) and one by R-009 (V-0002), stored with the default rules."""
    db = tmp_path / "hub.sqlite3"
    hub = Hub(db)
    t0 = time.time() - 600
    hub.submit(
        note("gate-1", "R-007", ("V-0001",), "麻烦 给 个 报价", 1, t0),
        note("gate-1", "R-009", ("V-0002",), "报价 单 发 我", 2, t0 + 10),
        note("gate-1", "R-007", ("V-0003",), "要 报价", 3, t0 + 20),
        note("gate-1", "R-007", ("V-0004",), "报价 多少", 4, t0 + 30),
    )
    hub.writer.close()
    with make_client(db) as client:
        tokens = register_people(client)
        response = client.post("/api/tokens", json={"name": "纷享销客", "role": "crm"}, headers=bearer(ADMIN_TOKEN))
        assert response.status_code == 201, response.text
        tokens["crm"] = response.json()["token"]
        yield client, tokens


def test_list_pages_with_items_and_next_and_filters(sales: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = sales
    manager = bearer(tokens["manager"])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/opportunities", params=params, headers=manager).json()
        assert set(page) == {"items", "next"} and len(page["items"]) <= 3
        seen += page["items"]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 2 and [o["visitor"] for o in seen] == ["V-0004", "V-0003", "V-0002", "V-0001"]
    first = seen[-1]
    assert {"id", "visitor", "rep", "status", "rule", "created_at", "updated_at", "evidence"} <= set(first)
    assert (first["rep"], first["status"], first["evidence"]["quote"]) == ("R-007", "pending", "麻烦 给 个 报价")
    assert client.get("/api/opportunities", params={"limit": 100}, headers=manager).json()["next"] is None
    by_rep = client.get("/api/opportunities", params={"rep": "R-009"}, headers=manager).json()["items"]
    assert [o["visitor"] for o in by_rep] == ["V-0002"]
    by_visitor = client.get("/api/opportunities", params={"visitor": "V-0003"}, headers=manager).json()["items"]
    assert [o["visitor"] for o in by_visitor] == ["V-0003"]
    assert client.get("/api/opportunities", params={"status": "won"}, headers=manager).json()["items"] == []
    later = {"badge_id": "V-0003", "role": "visitor", "visitor": "P-3", "name": "钱七"}  # registered after the tour
    assert client.post("/api/badges", json=later, headers=bearer(ADMIN_TOKEN)).status_code == 200
    for asked in ("V-0003", "P-3"):
        found = client.get("/api/opportunities", params={"visitor": asked}, headers=manager).json()["items"]
        assert [o["visitor"] for o in found] == ["V-0003"], asked
    bad = client.get("/api/opportunities", params={"cursor": "bm9wZQ"}, headers=manager)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]
    assert client.get("/api/opportunities", params={"status": "maybe"}, headers=manager).status_code == 422
    assert client.get("/api/opportunities").status_code == 401
    assert client.get("/api/opportunities", headers=bearer(tokens["it"])).status_code == 403


def test_reps_act_on_their_own_visitors_and_every_change_is_audited(sales: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = sales
    rep = bearer(tokens["rep"])
    mine = client.get("/api/opportunities", headers=rep).json()["items"]
    assert sorted(o["visitor"] for o in mine) == ["V-0001", "V-0003", "V-0004"]
    others = client.get("/api/opportunities", params={"rep": "R-009"}, headers=bearer(tokens["manager"])).json()
    theirs = others["items"][0]["id"]
    refused = client.post(f"/api/opportunities/{theirs}/status", json={"status": "confirmed"}, headers=rep)
    assert refused.status_code == 403 and "not one of your visitors" in refused.json()["detail"]

    target = next(o for o in mine if o["visitor"] == "V-0001")["id"]
    done = client.post(f"/api/opportunities/{target}/status", json={"status": "contacted", "comment": "已电话联系"},
                       headers=rep)  # fmt: skip
    assert done.status_code == 200, done.text
    assert (done.json()["id"], done.json()["status"]) == (target, "contacted")
    kept = client.get("/api/opportunities", params={"visitor": "V-0001"}, headers=rep).json()["items"]
    assert [(o["id"], o["status"]) for o in kept] == [(target, "contacted")]
    audit = client.get("/api/audit", params={"action": "opportunity."}, headers=bearer(ADMIN_TOKEN)).json()
    assert [(a["actor"], a["role"], a["target"], a["detail"]["before"], a["detail"]["after"]) for a in audit] == [
        ("rep-user", "rep", str(target), "pending", "contacted")
    ]
    illegal = client.post(f"/api/opportunities/{target}/status", json={"status": "confirmed"}, headers=rep)
    assert illegal.status_code == 409
    assert illegal.json()["detail"] == f"opportunity {target} is contacted; it can become won|lost, not confirmed"
    assert (
        client.post(f"/api/opportunities/{target}/status", json={"status": "pending"}, headers=rep).status_code == 422
    )
    assert client.post("/api/opportunities/9999/status", json={"status": "won"}, headers=rep).status_code == 404


def test_a_crm_closes_the_loop_with_its_own_token(sales: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = sales
    crm = bearer(tokens["crm"])
    items = client.get("/api/opportunities", params={"visitor": "V-0002"}, headers=crm).json()["items"]
    target = items[0]["id"]
    for status in ("confirmed", "won"):
        response = client.post(f"/api/opportunities/{target}/status", json={"status": status}, headers=crm)
        assert response.status_code == 200 and response.json()["status"] == status
    closed = client.post(f"/api/opportunities/{target}/status", json={"status": "lost"}, headers=crm)
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    assert client.get("/api/badges", headers=crm).status_code == 403  # a CRM token does nothing else


def test_the_export_has_an_opportunities_sheet_scoped_to_the_caller(sales: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = sales
    target = client.get("/api/opportunities", params={"visitor": "V-0001"}, headers=bearer(tokens["rep"]))
    opportunity = target.json()["items"][0]["id"]
    client.post(f"/api/opportunities/{opportunity}/status", json={"status": "confirmed"}, headers=bearer(tokens["rep"]))
    everyone, mine = ["V-0001", "V-0002", "V-0003", "V-0004"], ["V-0001", "V-0003", "V-0004"]
    for role, visitors in (("manager", everyone), ("rep", mine)):
        response = client.get("/api/export.xlsx", headers=bearer(tokens[role]))
        rows = list(load_workbook(io.BytesIO(response.content))["opportunities"].iter_rows(values_only=True))
        assert rows[0][:6] == ("id", "visitor", "badge", "rep", "status", "rule")
        assert [r[1] for r in rows[1:]] == visitors
    first = rows[1]
    assert (first[4], first[6], first[8], first[10]) == ("confirmed", "报价请求", "麻烦 给 个 报价", "quote")


def test_the_opportunities_page_pages_one_status_and_caps_the_mixed_view(
    sales: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    import hub.web.routes_sales

    client, tokens = sales
    monkeypatch.setattr(hub.web.routes_sales, "PAGE", 3)
    login = client.post("/login", data={"token": tokens["manager"], "next": "/opportunities"}, follow_redirects=False)
    assert login.status_code == 303
    mixed = client.get("/opportunities").text
    assert len(re.findall(r"data-opportunity=", mixed)) == 3 and 'id="opportunities-capped"' in mixed
    seen, url = [], "/opportunities?status=pending"
    while url:
        page = client.get(url).text
        seen += re.findall(r'data-opportunity="(\d+)"', page)
        found = re.search(r'id="opportunities-more" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert len(seen) == 4 and len(set(seen)) == 4


def test_the_boards_pending_count_is_what_the_rep_sees_on_the_opportunities_page(
    sales: tuple[TestClient, dict[str, str]],
) -> None:
    import re

    client, tokens = sales
    login = client.post("/login", data={"token": tokens["rep"], "next": "/board"}, follow_redirects=False)
    assert login.status_code == 303
    shown = len(re.findall(r"data-opportunity=", client.get("/opportunities").text))
    count = re.search(r'id="pending-today".*?<strong>(\d+)</strong>', client.get("/board").text, re.S)
    assert shown == 3 and count is not None and int(count.group(1)) == 3  # V-0001 is theirs; V-0003/4 their notes'
