"""Visits, visitors, profiles, notes and the fleet per role: reps see only their own visitors, IT the fleet."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.tourdata import bearer


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("it", "/api/visits", 403),
        ("it", "/api/notes", 403),
        ("it", "/api/stations", 200),
        ("it", "/api/dead-letters", 200),
        ("rep", "/api/stations", 403),
        ("rep", "/api/dead-letters", 403),
        ("rep", "/api/visitors/V-0002/profile", 403),
        ("rep", "/api/visitors/V-0001/profile", 200),
        ("manager", "/api/visitors/V-0002/profile", 200),
        ("manager", "/api/stations", 200),
    ],
)
def test_each_role_reaches_what_it_should(
    client: TestClient, tokens: dict[str, str], role: str, path: str, status: int
) -> None:
    assert client.get(path, headers=bearer(tokens[role])).status_code == status


def test_rep_sees_only_their_visitors_and_notes(client: TestClient, tokens: dict[str, str]) -> None:
    rep = bearer(tokens["rep"])
    assert {v["badge"] for v in client.get("/api/visits", headers=rep).json()["items"]} == {"V-0001"}
    assert [v["id"] for v in client.get("/api/visitors", headers=rep).json()["items"]] == ["V-0001"]
    assert client.get("/api/visits", params={"visitor": "V-0002"}, headers=rep).json() == {"items": [], "next": None}
    notes = client.get("/api/notes", headers=rep).json()["items"]
    assert [n["rep_badge"] for n in notes] == ["R-007"]
    other = client.get("/api/notes", headers=bearer(tokens["manager"])).json()["items"]
    foreign = next(n for n in other if n["rep_badge"] == "R-009")
    assert client.get(f"/api/notes/{foreign['id']}", headers=rep).status_code == 403
    assert client.get(f"/api/notes/{notes[0]['id']}", headers=rep).json()["params"][0]["text"] == "HRC45"


def test_manager_sees_everyone(client: TestClient, tokens: dict[str, str]) -> None:
    manager = bearer(tokens["manager"])
    assert {v["badge"] for v in client.get("/api/visits", headers=manager).json()["items"]} == {"V-0001", "V-0002"}
    assert len(client.get("/api/notes", headers=manager).json()["items"]) == 2


def test_recompute_needs_a_manager(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.post("/api/notes/recompute", headers=bearer(tokens["rep"])).status_code == 403
    done = client.post("/api/notes/recompute", headers=bearer(tokens["manager"]))
    assert done.status_code == 200 and done.json()["notes"] == 2
    again = client.post("/api/notes/recompute", headers=bearer(tokens["manager"])).json()
    assert again["changed"] == 0
