"""Tap → hub visit row latency over emulated taps, beside the bare MQTT round trip on the same broker.

Software path: from the moment the reader loop hands a tag to the agent (on_tap) until the hub has committed
the tap and its visit row. Baseline: a QoS 1 publish from one paho client until another receives it.
Reader detection itself (nfcpy polling, ~0.1 s) is reported separately. Not a test: prints figures.

    python bench/tap_latency.py [--taps 500]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.agent.config import parse_config
from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker, free_port
from hub.service import HubRuntime
from hub.settings import HubSettings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bare_round_trip(broker: LocalBroker, count: int) -> list[float]:
    """Milliseconds from publish (QoS 1) to delivery at a second client."""
    received = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2)
    sub.on_message = lambda client, userdata, message: received.set()
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("bench/rtt", qos=1)
    sub.loop_start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    time.sleep(0.5)
    samples = []
    for _ in range(count):
        received.clear()
        start = time.perf_counter()
        pub.publish("bench/rtt", b"x" * 400, qos=1)
        received.wait(5)
        samples.append((time.perf_counter() - start) * 1000)
    for client in (pub, sub):
        client.loop_stop()
        client.disconnect()
    return samples


def tap_path(broker: LocalBroker, workdir: Path, taps: int) -> tuple[list[float], list[float]]:
    """Return (software path ms, reader detection ms) for emulated taps."""
    hub = HubRuntime(HubSettings(broker=broker.url, db=str(workdir / "hub.sqlite3")))
    hub.start()
    port = free_port()
    agent = Agent(parse_config({"site": "bench", "station": "gate-a", "zone": "injection",
                                "data_dir": str(workdir / "station"), "reader": f"udp:127.0.0.1:{port}",
                                "broker": {"url": broker.url}, "debounce_s": 0.3}))  # fmt: skip
    handed: dict[str, float] = {}
    original = agent.on_tap

    def timed_on_tap(tag: object) -> None:
        handed[tag.uid] = time.perf_counter()  # type: ignore[attr-defined]
        original(tag)  # type: ignore[arg-type]

    agent.reader.on_tap = timed_on_tap
    agent.start()
    emulator = TagEmulator(port)
    db = sqlite3.connect(workdir / "hub.sqlite3")
    time.sleep(1.0)
    software, detection = [], []
    for i in range(taps):
        uid = f"0102{i:012X}"
        message = encode_badge_message(Badge(f"B-{i}", "visitor", None))
        presented = time.perf_counter()
        holder = threading.Thread(target=emulator.present, args=(uid, message, 0.15))
        holder.start()
        deadline = presented + 5
        while time.perf_counter() < deadline:
            if db.execute("SELECT 1 FROM visits WHERE badge=?", (f"B-{i}",)).fetchone():
                stored = time.perf_counter()
                break
            time.sleep(0.001)
        else:
            print(f"tap {i}: no visit row within 5 s")
            holder.join()
            continue
        holder.join()
        if uid in handed:
            software.append((stored - handed[uid]) * 1000)
            detection.append((handed[uid] - presented) * 1000)
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{taps} taps")
    agent.stop()
    hub.stop()
    return software, detection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broker = LocalBroker(Path(tmp) / "broker").start()
        try:
            baseline = bare_round_trip(broker, args.taps)
            software, detection = tap_path(broker, Path(tmp), args.taps)
        finally:
            broker.stop()
    rows = [("bare MQTT QoS 1 round trip (baseline)", baseline), ("tap → visit row (agent + MQTT + hub)", software),
            ("reader detection (nfcpy udp polling)", detection)]  # fmt: skip
    print(f"\n| path ({len(software)} taps) | p50 ms | p99 ms |\n|---|---|---|")
    for name, values in rows:
        print(f"| {name} | {statistics.median(values):.1f} | {percentile(values, 99):.1f} |")
    extra = percentile(software, 99) - percentile(baseline, 99)
    print(f"\nsoftware path p99 above the bare round trip: {extra:.1f} ms (goal < 50 ms)")


if __name__ == "__main__":
    main()
