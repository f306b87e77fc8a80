"""A real Mosquitto and a real `tourtrace hub serve` process shared by a module's attacks, with helpers to send
raw MQTT messages and HTTP requests at them and to check that the hub still works afterwards."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from firmware_config.local_broker import LocalBroker
from protocol import Envelope
from tests.e2e.conftest import hub, site_key, station  # noqa: F401  (an in-process hub and station agents)
from tests.notify.conftest import receiver  # noqa: F401  (the WeCom stand-in)
from tests.reliability.harness import TOKEN, HubProcess, closing_db, visitor_tap, wait_until
from tests.reliability.mqtt_tools import publish_all

_seq = itertools.count(1)


@dataclass
class Target:
    """The broker and hub under attack."""

    broker: LocalBroker
    hub: HubProcess

    @property
    def url(self) -> str:
        return self.hub.base_url

    def publish(self, topic: str, payload: bytes) -> None:
        publish_all(self.broker.url, [(topic, payload)])

    def call(self, method: str, path: str, token: str | None = TOKEN, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def stored(self, event_id: str) -> bool:
        with closing_db(self.hub.db) as conn:
            return conn.execute("SELECT 1 FROM events WHERE id=?", (event_id,)).fetchone() is not None

    def dead_letters(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/api/dead-letters", params={"limit": 1000}).json()["items"])

    def valid_tap_goes_through(self, site: str = "sec-ok") -> Envelope:
        """Publish a valid tap and assert that it is stored, the broker link is up and health is truthful."""
        tap = visitor_tap(site, "gate-a", "injection", next(_seq), "V-OK")
        self.publish(str(tap.topic), tap.encode())
        assert wait_until(lambda: self.stored(tap.id), 20), self.hub.log_tail()
        health = self.hub.health()
        assert health["status"] == "ok" and health["broker"]["connected"], health
        assert health["ingest"]["dead_workers"] == [] and health["ingest"]["last_error"] == ""
        return tap

    def reads_work(self) -> None:
        for path in ("/api/visitors", "/api/notes", "/api/visits", "/api/stations"):
            response = self.call("GET", path)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    workdir = tmp_path_factory.mktemp("security")
    broker = LocalBroker(workdir / "broker").start()
    process = HubProcess(broker.url, workdir / "hub.sqlite3", workdir)
    try:
        yield Target(broker, process.start())
    finally:
        process.kill()
        broker.stop()


def tap_body(site: str, gate: str = "gate-a", badge: str = "V-0001", **changes: Any) -> dict[str, Any]:
    """A valid tap envelope as a JSON object, with top-level changes applied."""
    body = visitor_tap(site, gate, "injection", next(_seq), badge).to_dict()
    body.update(changes)
    return body


def encode(body: object) -> bytes:
    """JSON exactly as a careless publisher writes it (NaN and Infinity included)."""
    return json.dumps(body, ensure_ascii=False).encode()


def token_for(target: Target, role: str, rep_badge: str | None = None) -> tuple[int, str]:
    """Create an API token of a role through the API; return (id, secret)."""
    response = target.call("POST", "/api/tokens", json={"name": f"{role}-{next(_seq)}", "role": role,
                                                        "rep_badge": rep_badge})  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


def register(target: Target, **badge: Any) -> None:
    response = target.call("POST", "/api/badges", json=badge)
    assert response.status_code == 200, response.text


def hub_log(target: Target) -> str:
    return target.hub.log_tail(5000)


def db_path(target: Target) -> Path:
    return target.hub.db
