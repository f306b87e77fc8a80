"""A hub served on a free loopback port and in-process station agents with emulated NFC readers."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from edge.agent.config import parse_config
from edge.agent.runner import Agent
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker, free_port, wait_for_port
from hub.app import create_app
from hub.service import HubRuntime
from hub.settings import HubSettings, check_settings

TOKEN = "e2e-admin-token"


@dataclass
class RunningHub:
    url: str
    settings: HubSettings
    server: uvicorn.Server
    app: FastAPI

    @property
    def runtime(self) -> HubRuntime:
        """The hub's running parts (ingest writer, receiver link, rules) inside the served app."""
        runtime = self.app.state.runtime
        assert isinstance(runtime, HubRuntime)
        return runtime

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, headers={"Authorization": f"Bearer {TOKEN}"})
        response.raise_for_status()
        return response.json()

    def wait_for(self, path: str, predicate: Callable[[Any], bool], timeout_s: float = 10.0, **params: Any) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            body = self.get(path, **params)
            if predicate(body) or time.monotonic() > deadline:
                return body
            time.sleep(0.1)


@pytest.fixture
def site_key(tmp_path: Path) -> tuple[bytes, Path]:
    key = secrets.token_hex(32).encode()
    path = tmp_path / "site.key"
    path.write_bytes(key)
    return key, path


@pytest.fixture
def hub(tmp_path: Path, broker: LocalBroker, site_id: str, site_key: tuple[bytes, Path]) -> Iterator[RunningHub]:
    port = free_port()
    settings = check_settings(
        HubSettings(
            broker=broker.url,
            db=str(tmp_path / "hub.sqlite3"),
            http=f"127.0.0.1:{port}",
            admin_token=TOKEN,
            client_id=f"hub-{site_id}",
            site_keys={site_id: str(site_key[1])},
        ),
        "test",
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for_port(port, 15)
    running = RunningHub(f"http://127.0.0.1:{port}", settings, server, app)
    running.wait_for("/api/health", lambda body: body["broker"]["connected"])
    yield running
    server.should_exit = True
    thread.join(10)


def wait_reader_present(agent: Agent, timeout_s: float = 20.0) -> None:
    """Wait until the agent's reader loop has opened its reader: a card presented before that is never read."""
    deadline = time.monotonic() + timeout_s
    while agent.health.reader != "present":
        assert time.monotonic() < deadline, f"reader {agent.config.reader} not present after {timeout_s} s"
        time.sleep(0.02)


@pytest.fixture
def station(tmp_path: Path, broker: LocalBroker, site_id: str) -> Iterator[Callable[..., tuple[Agent, TagEmulator]]]:
    """Factory: start an agent for a zone with its own emulated reader."""
    agents: list[Agent] = []

    def start(zone: str, **overrides: Any) -> tuple[Agent, TagEmulator]:
        port = free_port()
        config = parse_config(
            {
                "site": site_id,
                "station": f"gate-{zone}",
                "zone": zone,
                "data_dir": str(tmp_path / f"station-{zone}"),
                "reader": f"udp:127.0.0.1:{port}",
                "broker": {"url": broker.url},
                "debounce_s": 0.5,
                "status_interval_s": 2,
                **overrides,
            }
        )
        agent = Agent(config)
        agent.start()
        agents.append(agent)
        wait_reader_present(agent)
        return agent, TagEmulator(port)

    yield start
    for agent in agents:
        agent.stop()
