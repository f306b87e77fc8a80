"""401 without a token and 403 for the wrong role, on every route of the people's API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.tourdata import ADMIN_TOKEN, bearer

ROUTES = [
    # method, path, body, roles allowed besides admin
    ("GET", "/api/badges", None, {"manager", "it", "rep"}),
    ("POST", "/api/badges", {"badge_id": "V-0100", "role": "visitor"}, {"manager", "it"}),
    ("GET", "/api/tokens", None, set()),
    ("POST", "/api/tokens", {"name": "x", "role": "it"}, set()),
    ("DELETE", "/api/tokens/999", None, set()),
    ("GET", "/api/audit", None, set()),
    ("GET", "/api/notify", None, {"manager", "it"}),
    ("POST", "/api/notify/999/retry", None, {"it"}),
    ("GET", "/api/export.xlsx", None, {"manager", "rep"}),
    ("GET", "/api/export.csv?sheet=notes", None, {"manager", "rep"}),
    ("GET", "/api/opportunities", None, {"manager", "rep"}),
    ("POST", "/api/opportunities/999/status", {"status": "won"}, {"manager", "rep"}),
    ("POST", "/api/rules/form", {}, {"manager"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_roles(client: TestClient, tokens: dict[str, str], method: str, path: str, body: object,
               allowed: set[str]) -> None:  # fmt: skip
    assert client.request(method, path, json=body).status_code == 401
    assert client.request(method, path, json=body, headers=bearer("tt_not-a-token")).status_code == 401
    for role in ("admin", "manager", "it", "rep"):
        response = client.request(method, path, json=body, headers=bearer(tokens[role]))
        if role == "admin" or role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert role in response.json()["detail"]


def test_token_hashed_at_rest_and_revocable(client: TestClient, tokens: dict[str, str], hub_db) -> None:
    import sqlite3

    raw = sqlite3.connect(hub_db).execute("SELECT token_hash FROM tokens").fetchall()
    assert raw and all(tokens["manager"] not in row[0] for row in raw)
    listed = client.get("/api/tokens", headers=bearer(tokens["admin"])).json()
    manager = next(t for t in listed if t["role"] == "manager")
    assert "token" not in manager and "token_hash" not in manager
    assert client.get("/api/badges", headers=bearer(tokens["manager"])).status_code == 200
    assert client.delete(f"/api/tokens/{manager['id']}", headers=bearer(tokens["admin"])).status_code == 200
    assert client.get("/api/badges", headers=bearer(tokens["manager"])).status_code == 401
    assert client.delete(f"/api/tokens/{manager['id']}", headers=bearer(tokens["admin"])).status_code == 404


def test_token_request_validation(client: TestClient, tokens: dict[str, str]) -> None:
    admin = bearer(tokens["admin"])
    bad = client.post("/api/tokens", json={"name": "", "role": "boss"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        "name: required, 1-64 printable characters",
        "role: expected one of admin|manager|rep|it|crm, got 'boss'",
    ]
    rep = client.post("/api/tokens", json={"name": "x", "role": "rep", "rep_badge": "V-0001"}, headers=admin)
    assert rep.status_code == 422 and "rep_badge" in rep.json()["detail"][0]


def test_audit_records_who_and_when(client: TestClient, tokens: dict[str, str]) -> None:
    manager = bearer(tokens["manager"])
    assert client.post("/api/badges", json={"badge_id": "V-0003", "role": "visitor", "name": "周杰"},
                       headers=manager).status_code == 200  # fmt: skip
    entries = client.get("/api/audit?action=badge.", headers=bearer(tokens["admin"])).json()
    newest = entries[0]
    assert newest["action"] == "badge.create" and newest["target"] == "badge:V-0003"
    assert newest["actor"] == "manager-user" and newest["role"] == "manager"
    assert newest["at"].startswith("20") and newest["detail"]["name"] == "周杰"
    tokens_audit = client.get("/api/audit?action=token.", headers=bearer(tokens["admin"])).json()
    assert {e["detail"]["role"] for e in tokens_audit} == {"manager", "it", "rep"}
    assert all(e["actor"] == "admin" for e in tokens_audit)


def test_out_of_range_row_ids_are_rejected_not_a_server_error(client: TestClient) -> None:
    response = client.delete("/api/tokens/11398522702382671872", headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 422 and "less than or equal to" in response.text
    retry = client.post("/api/notify/41467503563508121862144/retry", headers=bearer(ADMIN_TOKEN))
    assert retry.status_code == 422
