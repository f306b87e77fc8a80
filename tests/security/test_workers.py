"""The writer survives any error in one message, and health turns red when a worker thread stops (issue 19.1):
the real app with its ingest runtime, fed through a real Mosquitto."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firmware_config.local_broker import LocalBroker
from hub.app import create_app
from hub.service import HubRuntime
from hub.settings import HubSettings
from hub.store.events import BatchResult
from tests.api.tourdata import bearer, note
from tests.reliability.harness import closing_db, visitor_tap, wait_until
from tests.reliability.mqtt_tools import publish_all

TOKEN = "workers-admin-token"


def _app(tmp_path: Path, broker: LocalBroker, site_id: str, hook: Callable[[HubRuntime], None]) -> TestClient:
    settings = HubSettings(broker=broker.url, db=str(tmp_path / "hub.sqlite3"), admin_token=TOKEN,
                           client_id=f"hub-{site_id}")  # fmt: skip
    app = create_app(settings)
    app.state.runtime_hooks.append(hook)
    return TestClient(app)


def _stored(db: Path, event_id: str) -> bool:
    with closing_db(db) as conn:
        return conn.execute("SELECT 1 FROM events WHERE id=?", (event_id,)).fetchone() is not None


def test_a_message_the_store_cannot_take_is_dead_lettered_and_its_batch_stored(
    tmp_path: Path, broker: LocalBroker, site_id: str
) -> None:
    def explode_on_poison(conn: sqlite3.Connection, result: BatchResult) -> None:
        for event in result.new_events:
            if event.kind == "note" and "POISON" in getattr(event.data, "text", ""):
                raise OverflowError("Python int too large to convert to SQLite INTEGER")

    with _app(tmp_path, broker, site_id, lambda runtime: runtime.writer.derivers.append(explode_on_poison)) as client:
        assert wait_until(lambda: client.get("/api/health").json()["broker"]["connected"], 20)
        poison = replace(note("gate-a", "R-1", ("V-1",), "POISON", 1, 1_700_000_000.0), site=site_id)
        taps = [visitor_tap(site_id, "gate-a", "injection", seq, f"V-{seq}") for seq in range(2, 6)]
        publish_all(broker.url, [(str(poison.topic), poison.encode())] + [(str(t.topic), t.encode()) for t in taps])
        db = tmp_path / "hub.sqlite3"
        assert wait_until(lambda: all(_stored(db, t.id) for t in taps), 20)
        letters = client.get("/api/dead-letters", headers=bearer(TOKEN)).json()["items"]
        assert [d["reason"] for d in letters] == [
            "store: OverflowError: Python int too large to convert to SQLite INTEGER"
        ]
        assert not _stored(db, poison.id)
        health = client.get("/api/health", headers=bearer(TOKEN)).json()
        assert health["status"] == "ok" and health["ingest"]["last_error"] == "", health
        later = visitor_tap(site_id, "gate-a", "injection", 9, "V-9")
        publish_all(broker.url, [(str(later.topic), later.encode())])
        assert wait_until(lambda: _stored(db, later.id), 20)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the crash is the point
def test_health_turns_red_when_a_worker_thread_stops(tmp_path: Path, broker: LocalBroker, site_id: str) -> None:
    def crash(stop: Any) -> None:
        raise RuntimeError("the writer died")

    def break_writer(runtime: HubRuntime) -> None:
        runtime.writer.run = crash  # type: ignore[method-assign]

    with _app(tmp_path, broker, site_id, break_writer) as client:

        def dead() -> list[str]:
            return list(client.get("/api/health", headers=bearer(TOKEN)).json()["ingest"]["dead_workers"])

        assert wait_until(lambda: dead() == ["ingest"], 20)
        health = client.get("/api/health", headers=bearer(TOKEN)).json()
        assert health["status"] == "degraded" and "ingest" in health["ingest"]["last_error"]
        assert client.get("/api/health").json()["status"] == "degraded"  # anonymous callers see it too
        client.post("/login", data={"token": TOKEN})
        assert "stopped: ingest" in client.get("/fleet").text  # and the banner on every page
