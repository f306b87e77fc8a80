"""Badge registry: validation messages, updates, rep scoping and the link to visitor profiles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.tourdata import bearer


def test_register_and_list(client: TestClient, tokens: dict[str, str]) -> None:
    it = bearer(tokens["it"])
    created = client.post("/api/badges", json={"badge_id": "B-77", "role": "visitor", "visitor": "V-0001"}, headers=it)
    assert created.status_code == 200 and created.json()["created"] is True
    updated = client.post("/api/badges", json={"badge_id": "B-77", "role": "visitor", "visitor": "V-0001",
                                               "name": "张伟"}, headers=it)  # fmt: skip
    assert updated.json()["created"] is False and updated.json()["name"] == "张伟"
    listed = client.get("/api/badges?role=visitor", headers=it).json()
    assert {b["badge_id"] for b in listed} == {"B-77", "V-0001", "V-0002"}
    assert client.get("/api/visitors/B-77/profile", headers=it).status_code == 403  # IT: fleet, not visitors
    profile = client.get("/api/visitors/B-77/profile", headers=bearer(tokens["manager"])).json()
    assert profile["id"] == "V-0001" and set(profile["badges"]) == {"B-77", "V-0001"}


def test_unregistered_visitor_badge_is_its_own_visitor(client: TestClient, tokens: dict[str, str]) -> None:
    body = client.post("/api/badges", json={"badge_id": "V-0200", "role": "visitor"}, headers=bearer(tokens["it"]))
    assert body.json()["visitor"] == "V-0200"


def test_validation_messages(client: TestClient, tokens: dict[str, str]) -> None:
    it = bearer(tokens["it"])
    response = client.post("/api/badges", json={"badge_id": "bad id!", "role": "guest", "colour": "red"}, headers=it)
    assert response.status_code == 422
    assert response.json()["detail"] == ["colour: unknown field"]
    response = client.post("/api/badges", json={"badge_id": "bad id!", "role": "guest"}, headers=it)
    detail = response.json()["detail"]
    assert any(d.startswith("badge_id:") for d in detail) and "role: expected one of visitor|rep, got 'guest'" in detail
    manager = bearer(tokens["manager"])  # only a manager assigns visitors to reps
    response = client.post("/api/badges", json={"badge_id": "V-9", "role": "visitor", "rep": "V-0001"},
                           headers=manager)  # fmt: skip
    assert response.json()["detail"] == ["rep: 'V-0001' is not a registered rep badge"]
    response = client.post("/api/badges", json=["V-9"], headers=it)
    assert response.status_code == 422 and "JSON object" in response.json()["detail"][0]
    response = client.post("/api/badges", json={"badge_id": "R-1", "role": "rep", "visitor": "V-1"}, headers=it)
    assert response.json()["detail"] == ["visitor: a rep badge has no visitor id"]
    assert client.get("/api/badges?role=guest", headers=it).status_code == 422


def test_rep_sees_only_own_visitors(client: TestClient, tokens: dict[str, str]) -> None:
    seen = {b["badge_id"] for b in client.get("/api/badges", headers=bearer(tokens["rep"])).json()}
    assert seen == {"R-007", "V-0001"}
    everyone = {b["badge_id"] for b in client.get("/api/badges", headers=bearer(tokens["manager"])).json()}
    assert everyone == {"R-007", "R-009", "V-0001", "V-0002"}
