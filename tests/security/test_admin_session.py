"""A dashboard session opened with the configured admin token ends when the hub runs with another one (issue 19.6):
two instances of the real app over one database, as before and after an admin token change and restart."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings
from hub.store.db import open_database


def _browser(db: Path, admin_token: str) -> TestClient:
    return TestClient(create_app(HubSettings(db=str(db), admin_token=admin_token), with_ingest=False))


def test_an_admin_session_ends_with_the_admin_token(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    open_database(db).close()
    before = _browser(db, "old-admin-token")
    assert before.post("/login", data={"token": "old-admin-token"}, follow_redirects=False).status_code == 303
    assert before.get("/api/tokens").status_code == 200
    cookie = before.cookies["tt_session"]

    after = _browser(db, "new-admin-token")  # the token was changed and the hub restarted
    after.cookies.set("tt_session", cookie)
    assert after.get("/api/tokens").status_code == 401
    assert after.get("/board", follow_redirects=False).status_code == 303
    assert before.get("/api/tokens").status_code == 200  # the same hub with the same token keeps it
