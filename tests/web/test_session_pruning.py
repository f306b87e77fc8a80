"""Ended browser sessions are pruned (at login and by the hub's sweep): logins do not grow the tokens table."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from firmware_config.local_broker import LocalBroker
from hub.app import create_app
from hub.settings import HubSettings
from hub.store.db import connect, open_database
from hub.store.tokens import admin_parent, create_token, find_token, prune_sessions
from tests.reliability.harness import wait_until
from tests.web.test_pages import login


def _session_count(db: Path) -> int:
    conn = connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM tokens WHERE kind='session'").fetchone()[0])
    finally:
        conn.close()


def _end_all_sessions(db: Path) -> None:
    """One session is logged out, the others ran out of time."""
    conn = connect(db)
    try:
        conn.execute("UPDATE tokens SET expires_epoch=? WHERE kind='session'", (time.time() - 1,))
        conn.execute("UPDATE tokens SET revoked_at='2026-01-01T00:00:00Z' WHERE id = (SELECT min(id) FROM tokens"
                     " WHERE kind='session')")  # fmt: skip
    finally:
        conn.close()


def test_a_login_prunes_the_sessions_that_ended(client: TestClient, tokens: dict[str, str], hub_db: Path) -> None:
    for _ in range(3):
        login(client, tokens["rep"])
    assert _session_count(hub_db) == 3
    _end_all_sessions(hub_db)
    login(client, tokens["rep"])
    assert _session_count(hub_db) == 1  # only the new one
    assert client.get("/board", follow_redirects=False).status_code == 200


def test_pruning_keeps_live_sessions_api_tokens_and_the_admin_row(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "hub.db")
    api_id, api_secret = create_token(conn, "rep-1", "rep", "admin", "B-1")
    admin_id = admin_parent(conn, "tt_admin_secret")
    _, live = create_token(conn, "rep-1", "rep", "rep-1", "B-1", "session", 3600, api_id)
    _, expired = create_token(conn, "rep-1", "rep", "rep-1", "B-1", "session", -1, api_id)
    _, logged_out = create_token(conn, "admin", "admin", "admin", None, "session", 3600, admin_id)
    conn.execute("UPDATE tokens SET revoked_at='2026-01-01T00:00:00Z' WHERE kind='session' AND parent_id=?",
                 (admin_id,))  # fmt: skip
    assert prune_sessions(conn, time.time()) == 2
    assert prune_sessions(conn, time.time()) == 0
    kinds = sorted(r[0] for r in conn.execute("SELECT kind FROM tokens"))
    assert kinds == ["admin", "api", "session"]
    assert find_token(conn, live) is not None and find_token(conn, api_secret) is not None
    assert find_token(conn, expired) is None and find_token(conn, logged_out) is None
    conn.close()


def test_the_hubs_sweep_prunes_ended_sessions(tmp_path: Path, broker: LocalBroker, site_id: str) -> None:
    db = tmp_path / "hub.sqlite3"
    conn = open_database(db)
    api_id, _ = create_token(conn, "rep-1", "rep", "admin", "B-1")
    for _ in range(3):
        create_token(conn, "rep-1", "rep", "rep-1", "B-1", "session", 3600, api_id)
    conn.close()
    _end_all_sessions(db)
    settings = HubSettings(broker=broker.url, db=str(db), admin_token="sweep-admin", client_id=f"hub-{site_id}")
    with TestClient(create_app(settings)):  # the running hub: ingest, the sweep, the rules
        assert wait_until(lambda: _session_count(db) == 0, 60)  # the first sweep runs 10 s after the start
    conn = connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM tokens WHERE kind='api'").fetchone()[0] == 1
    finally:
        conn.close()
