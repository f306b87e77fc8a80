"""A browser session slides: it outlives a phone locked through a tour, dies when idle too long or too old."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from hub.auth.session import SESSION_IDLE_S, SESSION_MAX_S, SESSION_RENEW_EVERY_S
from hub.store.db import connect
from protocol.timefmt import epoch_to_rfc3339
from tests.web.test_pages import login


def session_row(db: Path) -> dict[str, float | str]:
    conn = connect(db)
    try:
        row = conn.execute("SELECT expires_epoch, created_at FROM tokens WHERE kind='session'").fetchone()
        return dict(row)
    finally:
        conn.close()


def age_session(db: Path, idle_left_s: float, logged_in_ago_s: float = 0.0) -> None:
    """Move the clock on: the session has idle_left_s to live, its login was logged_in_ago_s ago."""
    conn = connect(db)
    try:
        now = time.time()
        conn.execute("UPDATE tokens SET expires_epoch=?, created_at=? WHERE kind='session'",
                     (now + idle_left_s, epoch_to_rfc3339(now - logged_in_ago_s)))  # fmt: skip
    finally:
        conn.close()


def test_a_tour_with_the_phone_locked_keeps_the_session(client: TestClient, tokens: dict[str, str],
                                                        hub_db: Path) -> None:  # fmt: skip
    login(client, tokens["rep"])
    fresh = session_row(hub_db)["expires_epoch"]
    assert abs(float(fresh) - (time.time() + SESSION_IDLE_S)) < 60
    assert client.get("/board").status_code == 200
    assert session_row(hub_db)["expires_epoch"] == fresh  # used within the renew interval: no write
    age_session(hub_db, idle_left_s=60, logged_in_ago_s=SESSION_IDLE_S - 60)  # locked in a pocket for ~4 h
    assert client.get("/board", follow_redirects=False).status_code == 200
    renewed = float(session_row(hub_db)["expires_epoch"])
    assert renewed > time.time() + SESSION_IDLE_S - 60 - SESSION_RENEW_EVERY_S


def test_renewal_stops_at_the_maximum_age(client: TestClient, tokens: dict[str, str], hub_db: Path) -> None:
    login(client, tokens["rep"])
    age_session(hub_db, idle_left_s=60, logged_in_ago_s=SESSION_MAX_S - 600)
    assert client.get("/board", follow_redirects=False).status_code == 200
    assert float(session_row(hub_db)["expires_epoch"]) < time.time() + 601


def test_an_idle_or_old_session_sends_the_phone_to_login(client: TestClient, tokens: dict[str, str],
                                                          hub_db: Path) -> None:  # fmt: skip
    login(client, tokens["rep"])
    age_session(hub_db, idle_left_s=-1, logged_in_ago_s=SESSION_IDLE_S + 1)
    response = client.get("/board", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/board"
    assert float(session_row(hub_db)["expires_epoch"]) < time.time()  # an expired session is not revived


def test_the_cookie_lasts_as_long_as_the_longest_session(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/login", data={"token": tokens["rep"], "next": "/board"}, follow_redirects=False)
    assert f"max-age={SESSION_MAX_S}" in response.headers["set-cookie"].lower()


def test_a_database_that_cannot_be_written_still_serves_the_page(client: TestClient, tokens: dict[str, str],
                                                                 hub_db: Path) -> None:  # fmt: skip
    login(client, tokens["rep"])
    age_session(hub_db, idle_left_s=60)
    conn = connect(hub_db)
    try:
        conn.execute("CREATE TRIGGER full_disk BEFORE UPDATE ON tokens BEGIN SELECT RAISE(FAIL, 'disk full'); END")
    finally:
        conn.close()
    assert client.get("/board", follow_redirects=False).status_code == 200
    assert float(session_row(hub_db)["expires_epoch"]) < time.time() + 61  # not renewed, and not lost
