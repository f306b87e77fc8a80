"""Hub ingest throughput vs a bare paho subscriber draining the same queued messages from the same Mosquitto.

Each consumer gets a persistent QoS 1 session, the same N messages are queued for it while it is away, and the
time from its first to its last message is measured: the bare subscriber only receives and PUBACKs, the hub
validates, group-commits to SQLite (WAL, synchronous=FULL), derives visits, notes and rules, and only then
acknowledges. The hub receives in a process of its own with paho reading in 64 KiB chunks
(hub/ingest/chunked.py); a bare subscriber using that same client is measured too, so the ratio against stock
paho (the goal) can be read beside the ratio against an equally fast receiver.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, drain_bare, envelopes, publish_all, queue_for, stored_span, workdir
from firmware_config.local_broker import LocalBroker
from hub.ingest.chunked import ChunkedReadClient
from tests.reliability.harness import HubProcess

SUBSCRIBE = "tourtrace/v1/+/+/+"


def run(count: int) -> list[Figure]:
    """Measure and return the hub's and the bare subscriber's messages per second."""
    base = workdir("ingest")
    broker = LocalBroker(base / "broker").start()
    hub = HubProcess(broker.url, base / "hub.sqlite3", base)
    try:
        queue_for(broker.url, "bench-bare", SUBSCRIBE)
        publish_all(broker.url, envelopes("bare", count), timeout_s=600)
        bare_s = drain_bare(broker.url, "bench-bare", count)
        queue_for(broker.url, "bench-chunked", SUBSCRIBE)
        publish_all(broker.url, envelopes("chunked", count), timeout_s=600)
        chunked_s = drain_bare(broker.url, "bench-chunked", count, client_class=ChunkedReadClient)

        hub.start()
        hub.stop()
        publish_all(broker.url, envelopes("hub", count), timeout_s=600)
        hub.spawn()
        hub_s = stored_span(hub.db, "hub", count)
    finally:
        hub.kill()
        broker.stop()
    return [Figure("ingest", f"hub ingest, {count:,} msgs QoS 1", count / hub_s, "msg/s",
                   "bare paho subscriber", count / bare_s, "goal ≥ 0.7×"),
            Figure("ingest", f"hub ingest, {count:,} msgs QoS 1", count / hub_s, "msg/s",
                   "bare subscriber with the hub's chunked paho reads", count / chunked_s)]  # fmt: skip


def main() -> None:
    """Print the hub's ingest rate next to the bare subscriber's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000, help="messages per consumer (default 50,000)")
    for figure in run(parser.parse_args().messages):
        print(figure.line())


if __name__ == "__main__":
    main()
