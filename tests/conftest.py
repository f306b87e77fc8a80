"""Shared fixtures: a real Mosquitto per test on a free loopback port, unique site ids."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware_config.local_broker import LocalBroker

_counter = itertools.count()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A running mosquitto on 127.0.0.1:<free port>, persistence in tmp_path; stopped after the test."""
    instance = LocalBroker(tmp_path / "broker").start()
    yield instance
    instance.stop()


@pytest.fixture
def site_id() -> str:
    """A site id unique to this test, so topics never collide."""
    return f"t{os.getpid() % 10000}-{next(_counter)}"
