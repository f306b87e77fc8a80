"""Hub ingest throughput vs a bare paho subscriber draining the same queued messages from the same Mosquitto.

Each consumer gets a persistent QoS 1 session, the same N messages are queued for it while it is away, and the
time from its first to its last message is measured: the bare subscriber only receives and PUBACKs, the hub
validates, group-commits to SQLite (WAL, synchronous=FULL), derives visits, notes and rules, and only then
acknowledges. The hub receives in a process of its own with paho reading in 64 KiB chunks
(hub/ingest/paho_internals.py); a bare subscriber using that same client is measured too, so the ratio against stock
paho (the goal) can be read beside the ratio against an equally fast receiver.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as mqtt

from bench.common import Figure, drain_bare, envelopes, publish_all, queue_for, stored_span, workdir
from firmware_config.local_broker import LocalBroker
from hub.ingest import publish_decode
from hub.ingest.paho_internals import ChunkedReadClient
from tests.reliability.harness import HubProcess

SUBSCRIBE = "tourtrace/v1/+/+/+"


def run(count: int, badges: int = 500) -> list[Figure]:
    """Measure and return the hub's and the bare subscribers' messages per second."""
    base = workdir("ingest")
    broker = LocalBroker(base / "broker").start()
    hub = HubProcess(broker.url, base / "hub.sqlite3", base)
    try:
        bare: dict[str, float] = {}
        for name, protocol, client_class in (("3.1.1", mqtt.MQTTv311, mqtt.Client), ("v5", mqtt.MQTTv5, mqtt.Client),
                                             ("chunked", mqtt.MQTTv5, ChunkedReadClient)):  # fmt: skip
            if name == "chunked":  # reads and decodes like the hub's receiver (after the stock baselines ran)
                publish_decode.install()
            queue_for(broker.url, f"bench-{name}", SUBSCRIBE, protocol)
            publish_all(broker.url, envelopes(name.replace(".", ""), count, badges=badges), timeout_s=600)
            bare[name] = drain_bare(broker.url, f"bench-{name}", count, client_class=client_class, protocol=protocol)

        hub.start()
        hub.stop()
        publish_all(broker.url, envelopes("hub", count, badges=badges), timeout_s=600)
        hub.spawn()
        assert hub.process is not None
        main_pid = hub.process.pid
        hub_s, cpu = stored_span(hub.db, "hub", count, pid=main_pid)
    finally:
        hub.kill()
        broker.stop()
    print(f"hub CPU per stored message: main process {cpu.get(main_pid, 0.0) * 1e6:.0f} us, its children (the"
          f" receiver) {sum(v for p, v in cpu.items() if p != main_pid) * 1e6:.0f} us")  # fmt: skip
    metric = f"hub ingest, {count:,} msgs QoS 1, {badges} badges"
    return [Figure("ingest", metric, count / hub_s, "msg/s", "bare paho subscriber, MQTT 3.1.1", count / bare["3.1.1"],
                   "goal ≥ 0.7×"),
            Figure("ingest", metric, count / hub_s, "msg/s", "bare paho subscriber, MQTT v5", count / bare["v5"]),
            Figure("ingest", metric, count / hub_s, "msg/s", "bare subscriber reading like the hub's receiver",
                   count / bare["chunked"])]  # fmt: skip


def main() -> None:
    """Print the hub's ingest rate next to the bare subscriber's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000, help="messages per consumer (default 50,000)")
    parser.add_argument("--badges", type=int, default=500, help="badges the taps spread over (default 500)")
    args = parser.parse_args()
    for figure in run(args.messages, args.badges):
        print(figure.line())


if __name__ == "__main__":
    main()
