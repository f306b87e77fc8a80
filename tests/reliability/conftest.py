"""Reliability fixtures: hub and agent subprocesses that are always reaped, whatever a test did to them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import AgentProcess, HubProcess, Proc, write_station_config


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Every process a test started; killed after the test."""
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


@pytest.fixture
def start_hub(broker: LocalBroker, tmp_path: Path, procs: list[Proc]) -> Callable[..., HubProcess]:
    """Start `tourtrace hub serve` on the test's broker and tmp_path/hub.sqlite3."""

    def start(db: Path | None = None, preexec: Callable[[], None] | None = None) -> HubProcess:
        hub = HubProcess(broker.url, db or tmp_path / "hub.sqlite3", tmp_path, preexec)
        procs.append(hub)
        return hub.start()

    return start


@pytest.fixture
def make_agent(broker: LocalBroker, tmp_path: Path, site_id: str, procs: list[Proc]) -> Callable[..., AgentProcess]:
    """Write station.yaml for a station of this test's site and return its (not yet started) agent."""

    def make(station: str, preexec: Callable[[], None] | None = None, **overrides: Any) -> AgentProcess:
        config = write_station_config(tmp_path / station, site_id, station, broker.url, **overrides)
        agent = AgentProcess(config, preexec=preexec)
        procs.append(agent)
        return agent

    return make
