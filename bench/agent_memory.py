"""Agent memory over a long run: RSS after every 10k of 100k events flowing outbox → MQTT → hub.

Events are appended into the running agent's outbox file (as taps are, through edge.agent.outbox) in chunks;
after each chunk has been stored and acknowledged, the agent's RSS is read from /proc. The baseline is the
agent's RSS after the first chunk (warm), so the ratio is the growth over the run. Not a test: prints figures.

    python bench/agent_memory.py [--events 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, workdir
from bench.drain import _rss_mb
from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import (
    AgentProcess,
    HubProcess,
    outbox_depth,
    seed_outbox,
    stored_count,
    wait_until,
    write_station_config,
)

CHUNK = 10_000


def run(events: int) -> list[Figure]:
    """Feed `events` through a running agent in chunks; return warm and final RSS."""
    base = workdir("memory")
    broker = LocalBroker(base / "broker").start()
    hub = HubProcess(broker.url, base / "hub.sqlite3", base).start()
    config = write_station_config(base / "gate-a", "bench", "gate-a", broker.url, status_interval_s=30)
    agent = AgentProcess(config).start()
    samples: list[tuple[int, float]] = []
    try:
        assert agent.process is not None
        time.sleep(2.0)
        for sent in range(CHUNK, events + 1, CHUNK):
            seed_outbox(agent.outbox_path, "bench", "gate-a", CHUNK)
            if not wait_until(lambda: outbox_depth(agent.outbox_path) == 0, 600, 0.1):
                raise RuntimeError(f"the outbox did not drain after {sent} events")
            samples.append((sent, _rss_mb(agent.process.pid)))
            print(f"  {sent:>7,} events: agent RSS {samples[-1][1]:.1f} MB", flush=True)
        stored = stored_count(hub.db, "bench")
    finally:
        agent.kill()
        hub.kill()
        broker.stop()
    warm, final = samples[0][1], samples[-1][1]
    return [Figure("memory", f"agent RSS after {samples[-1][0]:,} events ({stored:,} stored)", final, "MB",
                   f"after the first {CHUNK:,} (warm)", warm, f"growth {final - warm:+.1f} MB")]  # fmt: skip


def main() -> None:
    """Print the agent's RSS growth over a long run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    for figure in run(parser.parse_args().events):
        print(figure.line())


if __name__ == "__main__":
    main()
