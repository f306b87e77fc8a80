"""A database the hub cannot open answers 503 with the reason on every route, and health still reports."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings
from tests.api.tourdata import ADMIN_TOKEN, bearer


def test_unusable_database_is_a_503_that_says_why_and_health_still_answers(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    db.mkdir()  # a directory where the database file should be: SQLite cannot open it
    client = TestClient(create_app(HubSettings(db=str(db), admin_token=ADMIN_TOKEN), with_ingest=False))
    visits = client.get("/api/visits", headers=bearer(ADMIN_TOKEN))
    assert visits.status_code == 503
    assert visits.json() == {"detail": "database unavailable: unable to open database file"}
    with_session = client.post("/api/analyze", json={"text": "x"}, headers={"Cookie": "tt_session=s.sig"})
    assert with_session.status_code == 503 and "database unavailable" in with_session.text  # sessions live there
    health = client.get("/api/health", headers=bearer(ADMIN_TOKEN))
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["db"] == {"ok": False, "error": "unable to open database file"}
