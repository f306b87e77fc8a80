"""Station outbox drain after an outage (10k events) and agent RSS/CPU at idle and under 10 taps/s.

Drain: a running agent's outbox fills with N events while the broker is down (appended straight into the
outbox file, as taps are), the broker comes back and the drain to the broker (every event PUBACKed) and to the
hub (all stored and acknowledged back) is timed. Baseline: a bare paho client publishing the same payloads at QoS 1.
Resources: /proc of the agent process over a window at idle, then while emulated NFC badges are presented
10 times a second through nfcpy's udp driver (the real reader path).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, envelopes, publish_all, workdir
from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import (
    AgentProcess,
    HubProcess,
    outbox_unsent,
    seed_outbox,
    stored_count,
    wait_until,
    write_station_config,
)

TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _sample(pid: int, seconds: float) -> tuple[float, float]:
    """Return (CPU % of one core, peak RSS MB) of pid over `seconds`."""
    cpu0, start, peak = _cpu_s(pid), time.monotonic(), 0.0
    while time.monotonic() - start < seconds:
        peak = max(peak, _rss_mb(pid))
        time.sleep(0.2)
    return 100 * (_cpu_s(pid) - cpu0) / (time.monotonic() - start), peak


def _tap_at(emulator: TagEmulator, rate_hz: float, seconds: float) -> int:
    """Present a different badge every 1/rate_hz seconds; return how many were presented."""
    presented, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        idm = f"03FEFFE0{presented:08X}"
        emulator.present(idm, encode_badge_message(Badge(f"V-{presented:05d}", "visitor", None)), hold_s=0.03)
        presented += 1
        time.sleep(max(0.0, start + presented / rate_hz - time.monotonic()))
    return presented


def run(count: int, window_s: float) -> list[Figure]:
    """Measure drain rates and agent resources; return the figures."""
    base = workdir("drain")
    broker = LocalBroker(base / "broker").start()
    hub = HubProcess(broker.url, base / "hub.sqlite3", base).start()
    config = write_station_config(base / "gate-a", "bench", "gate-a", broker.url, debounce_s=0.0, status_interval_s=30)
    agent = AgentProcess(config).start()
    try:
        time.sleep(2.0)
        broker.stop()
        seed_outbox(agent.outbox_path, "bench", "gate-a", count)
        broker.start()
        start = time.monotonic()
        wait_until(lambda: outbox_unsent(agent.outbox_path) == 0, 600, 0.05)  # every event PUBACKed
        to_broker = time.monotonic() - start
        wait_until(lambda: stored_count(hub.db, "bench") >= count, 600, 0.05)
        to_hub = time.monotonic() - start

        payloads = envelopes("bare", count, stations=1)
        bare_start = time.monotonic()
        publish_all(broker.url, payloads, timeout_s=600)
        bare = time.monotonic() - bare_start

        assert agent.process is not None
        pid = agent.process.pid
        idle_cpu, idle_rss = _sample(pid, window_s)
        emulator = TagEmulator(int(agent.config["reader"].rsplit(":", 1)[1]))
        result: dict[str, float] = {}
        sampler = threading.Thread(
            target=lambda: result.update(zip(("cpu", "rss"), _sample(pid, window_s), strict=True))
        )
        sampler.start()
        presented = _tap_at(emulator, 10.0, window_s)
        sampler.join()
        taps_stored = stored_count(hub.db, "bench") - count
    finally:
        agent.kill()
        hub.kill()
        broker.stop()
    note = f"{presented / window_s:.1f} badges/s presented by the emulator, {taps_stored} taps stored"
    return [
        Figure("drain", f"outbox → broker after outage, {count:,} events", count / to_broker, "events/s",
               "bare paho QoS 1 publisher", count / bare),
        Figure("drain", f"outbox → hub stored, {count:,} events", count / to_hub, "events/s",
               "bare paho QoS 1 publisher", count / bare),
        Figure("drain", "agent CPU under 10 taps/s (target)", result["cpu"], "% of a core", "idle", idle_cpu, note),
        Figure("drain", "agent RSS under 10 taps/s", result["rss"], "MB", "idle", idle_rss),
    ]  # fmt: skip


def main() -> None:
    """Print drain rates and agent resources with their baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events queued during the outage")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per resource sample")
    args = parser.parse_args()
    for figure in run(args.events, args.window):
        print(figure.line())


if __name__ == "__main__":
    main()
