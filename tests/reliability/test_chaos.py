"""Seeded chaos: SIGKILL agents, the hub and the broker at random moments while 3 stations produce events.

Events are appended straight into the agents' outbox files by a producer thread while the agents run (fast,
and exactly the outbox → MQTT → hub path taps take). After every trial everything is restarted and the hub
must hold every event exactly once with no seq gaps; at the end the visits must equal those a fresh hub
derives from the same events delivered without faults.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import (
    AgentProcess,
    HubProcess,
    assert_exactly_once,
    closing_db,
    seed_outbox,
    stored_count,
    wait_until,
)
from tests.reliability.mqtt_tools import publish_all

STATIONS = ("gate-a", "gate-b", "gate-c")


@dataclass
class Stack:
    broker: LocalBroker
    hub: HubProcess
    agents: dict[str, AgentProcess]

    def targets(self, with_broker: bool) -> list[str]:
        return [*self.agents, "hub", *(["broker"] if with_broker else [])]

    def kill(self, target: str) -> None:
        if target == "broker":
            self.broker.kill()
        elif target == "hub":
            self.hub.kill()
        else:
            self.agents[target].kill()

    def restart(self, target: str) -> None:
        if target == "broker":
            self.broker.start()
        elif target == "hub":
            self.hub.start()
        else:
            self.agents[target].start()


def _produce(stack: Stack, site: str, per_station: int, duration_s: float, rng: random.Random) -> threading.Thread:
    """Append per_station events to each outbox in small random bursts spread over duration_s."""

    def run() -> None:
        left = dict.fromkeys(stack.agents, per_station)
        deadline = time.monotonic() + duration_s
        while any(left.values()):
            station = rng.choice([s for s, n in left.items() if n])
            burst = min(left[station], rng.randint(1, 8))
            seed_outbox(stack.agents[station].outbox_path, site, station, burst)
            left[station] -= burst
            time.sleep(max(0.0, deadline - time.monotonic()) / max(1, sum(left.values())))

    thread = threading.Thread(target=run, name="producer", daemon=True)
    thread.start()
    return thread


def _stored_at_least(db: Path, site: str, total: int) -> bool:
    return stored_count(db, site) >= total


def _visits(hub: HubProcess) -> list[tuple[Any, ...]]:
    """Return visits comparably: an open visit's dwell_s grows with the clock, so it is left out."""
    items = hub.get("/api/visits", limit=10_000)["items"]
    return sorted((v["badge"], v["zone"], v["station"], v["start"], v["end"], v["end"] and v["dwell_s"], v["timed_out"])
                  for v in items)  # fmt: skip


def _reference_visits(db: Path, site: str, workdir: Path) -> list[tuple[Any, ...]]:
    """Deliver the stored events, in seq order and without faults, to a fresh broker and hub; return its visits."""
    with closing_db(db) as conn:
        rows = conn.execute(
            "SELECT kind, station, body FROM events WHERE site = ? AND kind IN ('tap','note') ORDER BY station, seq",
            (site,),
        ).fetchall()
    broker = LocalBroker(workdir / "broker").start()
    hub = HubProcess(broker.url, workdir / "hub.sqlite3", workdir)
    try:
        hub.start()
        publish_all(broker.url, [(f"tourtrace/v1/{site}/{station}/{kind}", body.encode())
                                 for kind, station, body in rows])  # fmt: skip
        assert wait_until(lambda: stored_count(hub.db, site) >= len(rows), 60)
        return _visits(hub)
    finally:
        hub.kill()
        broker.stop()


def run_chaos(
    seed: int,
    trials: int,
    per_station: int,
    tmp_path: Path,
    broker: LocalBroker,
    site: str,
    start_hub: Callable[..., HubProcess],
    make_agent: Callable[..., AgentProcess],
    with_broker: bool = True,
) -> None:
    """Run `trials` seeded trials of production plus 1–3 random SIGKILLs each; check delivery after each trial."""
    rng = random.Random(seed)
    stack = Stack(broker, start_hub(), {s: make_agent(s).start() for s in STATIONS})
    kills: list[str] = []
    for trial in range(1, trials + 1):
        duration = rng.uniform(1.5, 3.0)
        producer = _produce(stack, site, per_station, duration, random.Random(rng.random()))
        for _ in range(rng.randint(1, 3)):
            time.sleep(rng.uniform(0.0, duration / 2))
            target = rng.choice(stack.targets(with_broker))
            stack.kill(target)
            kills.append(f"{trial}:{target}")
            time.sleep(rng.uniform(0.1, 1.0))
            stack.restart(target)
        producer.join(60)
        expected = dict.fromkeys(STATIONS, trial * per_station)
        total = sum(expected.values())
        drained = wait_until(lambda: all(a.outbox_depth() == 0 for a in stack.agents.values()), 90, 0.2)
        delivered = drained and wait_until(partial(_stored_at_least, stack.hub.db, site, total), 15, 0.2)
        context = f"seed {seed}, kills {kills}"
        assert delivered, f"trial {trial}: {stored_count(stack.hub.db, site)} of {total} stored ({context})"
        try:
            assert_exactly_once(stack.hub.db, site, expected)
        except AssertionError as exc:
            raise AssertionError(f"trial {trial} ({context}): {exc}") from None
    assert _visits(stack.hub) == _reference_visits(stack.hub.db, site, tmp_path / "reference")


CHAOS_TARGETS = [pytest.param(False, id="agents+hub"), pytest.param(True, id="agents+hub+broker")]


@pytest.mark.parametrize("with_broker", CHAOS_TARGETS)
@pytest.mark.parametrize("seed", [7])
def test_chaos_fast(
    seed: int,
    with_broker: bool,
    tmp_path: Path,
    broker: LocalBroker,
    site_id: str,
    start_hub: Callable[..., HubProcess],
    make_agent: Callable[..., AgentProcess],
) -> None:
    """3 trials, 3 stations, 450 events, agents/hub (and the broker) SIGKILLed at seeded random moments."""
    run_chaos(seed, 3, 50, tmp_path, broker, site_id, start_hub, make_agent, with_broker)


@pytest.mark.slow
@pytest.mark.parametrize("with_broker", CHAOS_TARGETS)
@pytest.mark.parametrize("seed", [20260, 20261])
def test_chaos_full(
    seed: int,
    with_broker: bool,
    tmp_path: Path,
    broker: LocalBroker,
    site_id: str,
    start_hub: Callable[..., HubProcess],
    make_agent: Callable[..., AgentProcess],
) -> None:
    """20 trials, 3 stations, 2,400 events, agents/hub (and the broker) SIGKILLed at seeded random moments."""
    run_chaos(seed, 20, 40, tmp_path, broker, site_id, start_hub, make_agent, with_broker)
