"""Hub ingest throughput vs a bare paho subscriber draining the same queued messages from the same Mosquitto.

Each consumer gets a persistent QoS 1 session, the same N messages are queued for it while it is away, and the
time from its first to its last message is measured: the bare subscriber only receives and PUBACKs, the hub
validates, group-commits to SQLite (WAL, synchronous=FULL), derives visits, notes and rules, and only then
acknowledges. The hub receives and validates in a process of its own with paho reading in 64 KiB chunks
(hub/ingest/paho_internals.py); a bare subscriber using that same client is measured too, so the ratio against stock
paho (the goal) can be read beside the ratio against an equally fast receiver. On a shared machine a run's load moves
either side, so the hub and stock paho run in pairs, back to back, and the pair with the median ratio is reported.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion

from bench.common import Figure, drain_bare, envelopes, publish_all, queue_for, stored_span, workdir
from firmware_config.local_broker import LocalBroker
from hub.ingest import publish_decode
from hub.ingest.paho_internals import ChunkedReadClient
from tests.reliability.harness import HubProcess

SUBSCRIBE = "tourtrace/v1/+/+/+"


@contextmanager
def fresh_broker(base: Path, name: str) -> Iterator[LocalBroker]:
    """A broker of its own for one consumer: no other session is queued for, or sent, what it drains."""
    broker = LocalBroker(base / f"broker-{name}").start()
    try:
        yield broker
    finally:
        broker.stop()


def drain_hub(base: Path, name: str, count: int, badges: int) -> tuple[float, str]:
    """Queue `count` taps for a hub with a fresh database while it is down, start it; return its msg/s and CPU."""
    with fresh_broker(base, name) as broker:
        hub = HubProcess(broker.url, base / f"{name}.sqlite3", base / name)
        try:
            hub.start()
            hub.stop()
            publish_all(broker.url, envelopes(name, count, badges=badges), timeout_s=600)
            hub.spawn()
            assert hub.process is not None
            main_pid = hub.process.pid
            hub_s, cpu = stored_span(hub.db, name, count, pid=main_pid)
        finally:
            hub.kill()
    receiver = sum(v for p, v in cpu.items() if p != main_pid)
    return count / hub_s, f"main process {cpu.get(main_pid, 0.0) * 1e6:.0f} us, receiver {receiver * 1e6:.0f} us"


def drain_stock(base: Path, name: str, count: int, badges: int, protocol: MQTTProtocolVersion,
                client_class: type[mqtt.Client] = mqtt.Client) -> float:  # fmt: skip
    """Queue `count` taps for a bare paho subscriber while it is away; return the msg/s it drains them at."""
    with fresh_broker(base, name) as broker:
        queue_for(broker.url, name, SUBSCRIBE, protocol)
        publish_all(broker.url, envelopes(name.replace(".", ""), count, badges=badges), timeout_s=600)
        return count / drain_bare(broker.url, name, count, client_class=client_class, protocol=protocol)


def run(count: int, badges: int = 500, pairs: int = 3) -> list[Figure]:
    """Measure the hub against stock paho on MQTT 3.1.1 `pairs` times, each pair run back to back (load on a shared
    machine moves both sides of a pair alike), then against paho v5 and a receiver-like subscriber once; return
    the figures of the pair with the median ratio. Every consumer drains from a broker of its own."""
    base = workdir("ingest")
    measured: list[tuple[float, float]] = []
    for n in range(pairs):
        stock = drain_stock(base, f"bench-3.1.1-{n}", count, badges, mqtt.MQTTv311)
        hub, cpu = drain_hub(base, f"hub{n}", count, badges)
        measured.append((hub, stock))
        print(f"pair {n + 1}: hub {hub:,.0f} msg/s, stock paho 3.1.1 {stock:,.0f} msg/s, ratio {hub / stock:.2f}"
              f" (hub CPU per stored message: {cpu})")  # fmt: skip
    v5 = drain_stock(base, "bench-v5", count, badges, mqtt.MQTTv5)
    publish_decode.install()  # reads and decodes like the hub's receiver (after the stock baselines ran)
    chunked = drain_stock(base, "bench-chunked", count, badges, mqtt.MQTTv5, ChunkedReadClient)
    hub, stock = sorted(measured, key=lambda pair: pair[0] / pair[1])[len(measured) // 2]
    metric = f"hub ingest, {count:,} msgs QoS 1, {badges} badges"
    median = f"bare paho subscriber, MQTT 3.1.1 (the median of {pairs} pairs)"
    return [
        Figure("ingest", metric, hub, "msg/s", median, stock, "goal ≥ 0.7×"),
        Figure("ingest", metric, hub, "msg/s", "bare paho subscriber, MQTT v5", v5),
        Figure("ingest", metric, hub, "msg/s", "bare subscriber reading like the hub's receiver", chunked),
    ]


def main() -> None:
    """Print the hub's ingest rate next to the bare subscriber's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000, help="messages per consumer (default 50,000)")
    parser.add_argument("--badges", type=int, default=500, help="badges the taps spread over (default 500)")
    parser.add_argument("--pairs", type=int, default=3, help="hub/baseline pairs, median reported (default 3)")
    args = parser.parse_args()
    for figure in run(args.messages, args.badges, args.pairs):
        print(figure.line())


if __name__ == "__main__":
    main()
