"""Fuzz fixtures: one broker and one `tourtrace hub serve` subprocess shared by a module's examples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import HubProcess


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalBroker, HubProcess]]:
    """A running broker and hub, kept across hypothesis examples so each example costs one publish."""
    workdir = tmp_path_factory.mktemp("fuzz-hub")
    broker = LocalBroker(workdir / "broker").start()
    hub = HubProcess(broker.url, workdir / "hub.sqlite3", workdir)
    try:
        yield broker, hub.start()
    finally:
        hub.kill()
        broker.stop()
