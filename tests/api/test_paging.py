"""List routes page with limit and an opaque cursor ({items, next}); the visitors list searches and shows tags."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hub.store.db import open_database
from hub.store.events import BatchResult, DeadLetter, insert_dead_letters
from hub.store.notes import add_tag
from hub.store.tx import transaction
from tests.api.tourdata import ADMIN_TOKEN, bearer, note, store_events, tap

ADMIN = bearer(ADMIN_TOKEN)


def _all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=ADMIN)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) >= {"items", "next"} and len(body["items"]) <= params.get("limit", 100)
        items.extend(body["items"])
        cursor = body["next"]
        if cursor is None:
            return items
    raise AssertionError("paging never ended")


def _more_history(hub_db: Path) -> None:
    t0 = time.time() - 5000
    events = []
    for i in range(12):
        badge = f"G-{i:03d}"
        events += [tap("gate-injection", "injection", badge, 100 + 2 * i, t0 + 60 * i),
                   tap("gate-machining", "machining", badge, 101 + 2 * i, t0 + 60 * i + 30)]  # fmt: skip
    events += [note("gate-machining", "R-009", (f"G-{i:03d}",), f"第{i}条备注", 200 + i, t0 + 60 * i + 40)
               for i in range(7)]  # fmt: skip
    store_events(hub_db, events)


def test_each_list_pages_through_everything_once(client: TestClient, tokens: dict[str, str], hub_db: Path) -> None:
    _more_history(hub_db)
    visits = _all_pages(client, "/api/visits", limit=5)
    assert len(visits) == 27 and len({(v["badge"], v["start"]) for v in visits}) == 27
    assert [v["start"] for v in visits] == sorted(v["start"] for v in visits)
    visitors = _all_pages(client, "/api/visitors", limit=4)
    ids = [v["id"] for v in visitors]
    assert len(ids) == len(set(ids)) and set(ids) >= {"V-0001", "V-0002", *(f"G-{i:03d}" for i in range(12))}
    assert "R-007" not in ids and "R-009" not in ids
    notes = _all_pages(client, "/api/notes", limit=3)
    assert len(notes) == 9 and [n["ts"] for n in notes] == sorted((n["ts"] for n in notes), reverse=True)
    assert client.get("/api/visits", params={"limit": 5}, headers=ADMIN).json()["next"] is not None
    bad = client.get("/api/visits", params={"cursor": "not-ours"}, headers=ADMIN)
    assert bad.status_code == 422 and "cursor" in bad.text


def test_visitors_list_shows_and_searches_name_company_tag(client: TestClient, tokens: dict[str, str],
                                                           hub_db: Path) -> None:  # fmt: skip
    body = {"badge_id": "B-17", "role": "visitor", "visitor": "ACME-1", "name": "王建国", "company": "苏州精工",
            "rep": "R-007"}  # fmt: skip
    assert client.post("/api/badges", json=body, headers=ADMIN).status_code == 200
    store_events(hub_db, [tap("gate-injection", "injection", "B-17", 300, time.time() - 10)])
    with closing(open_database(hub_db)) as conn, transaction(conn):
        add_tag(conn, "demo", "B-17", "注塑工艺兴趣", "r", {})
    first = client.get("/api/visitors", headers=ADMIN).json()["items"][0]
    assert first["id"] == "ACME-1" and first["badges"] == ["B-17"] and first["tags"] == ["注塑工艺兴趣"]
    assert (first["name"], first["company"], first["rep"]) == ("王建国", "苏州精工", "R-007")
    for query in ("王建", "精工", "注塑工艺", "ACME"):
        found = client.get("/api/visitors", params={"q": query}, headers=ADMIN).json()["items"]
        assert [v["id"] for v in found] == ["ACME-1"], query
    assert client.get("/api/visitors", params={"q": "100%"}, headers=ADMIN).json()["items"] == []
    rep = client.get("/api/visitors", headers=bearer(tokens["rep"])).json()["items"]
    assert {v["id"] for v in rep} == {"V-0001", "ACME-1"}


def test_dead_letters_page_by_cursor(client: TestClient, tokens: dict[str, str], hub_db: Path) -> None:
    letters = [
        DeadLetter(f"tourtrace/v1/demo/s{i}/tap", "bad json", b"{", "2026-01-01T00:00:00+00:00") for i in range(7)
    ]
    with closing(open_database(hub_db)) as conn, transaction(conn):
        insert_dead_letters(conn, letters, BatchResult())
    body = client.get("/api/dead-letters", params={"limit": 5}, headers=bearer(tokens["it"])).json()
    assert body["total"] == 7 and len(body["items"]) == 5 and body["next"]
    items = _all_pages(client, "/api/dead-letters", limit=3)
    assert [d["topic"] for d in items] == [f"tourtrace/v1/demo/s{i}/tap" for i in reversed(range(7))]
