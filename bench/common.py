"""Shared bench plumbing: a private broker, prepared envelopes, and timing of a queue drained by a subscriber."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.harness import visitor_tap
from tests.reliability.mqtt_tools import publish_all


@dataclass(frozen=True)
class Figure:
    """One measured row of bench/results.md."""

    bench: str
    metric: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")

    def line(self) -> str:
        return (f"{self.bench}: {self.metric} = {self.value:,.1f} {self.unit}; baseline {self.baseline} ="
                f" {self.baseline_value:,.1f} {self.unit} (ratio {self.ratio:.2f}) {self.note}").strip()  # fmt: skip


def workdir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"tourtrace-bench-{name}-"))


def envelopes(site: str, count: int, stations: int = 3, badges: int = 50) -> list[tuple[str, bytes]]:
    """Return `count` valid tap messages (topic, payload) spread over `stations` stations and `badges` badges."""
    messages = []
    for n in range(count):
        station = f"gate-{n % stations}"
        tap = visitor_tap(site, station, f"zone-{n % stations}", n // stations + 1, f"V-{n % badges:04d}")
        messages.append((str(tap.topic), tap.encode()))
    return messages


def queue_for(url: str, client_id: str, topic_filter: str, protocol: MQTTProtocolVersion = mqtt.MQTTv5) -> None:
    """Create a persistent MQTT session (v5 or 3.1.1) subscribed at QoS 1, then leave so the broker queues for it."""
    client = _client(client_id, protocol=protocol)
    done = threading.Event()
    client.on_subscribe = lambda *args: done.set()
    client.on_connect = lambda c, *args: c.subscribe(topic_filter, qos=1)
    _connect(client, url, protocol)
    client.loop_start()
    if not done.wait(10):
        raise RuntimeError(f"could not subscribe {client_id}")
    client.disconnect()
    client.loop_stop()


def drain_bare(
    url: str,
    client_id: str,
    count: int,
    timeout_s: float = 600,
    client_class: type[mqtt.Client] = mqtt.Client,
    protocol: MQTTProtocolVersion = mqtt.MQTTv5,
) -> float:
    """Reconnect a queued session with plain paho (auto PUBACK) and return seconds from first to last message."""
    client = _client(client_id, client_class, protocol)
    times: list[float] = []
    finished = threading.Event()

    def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        times.append(time.perf_counter())
        if len(times) >= count:
            finished.set()

    client.on_message = on_message
    _connect(client, url, protocol)
    client.loop_start()
    if not finished.wait(timeout_s):
        raise RuntimeError(f"bare subscriber got {len(times)} of {count}")
    client.disconnect()
    client.loop_stop()
    return times[-1] - times[0]


def cpu_s(pid: int) -> dict[int, float]:
    """Return the CPU seconds (user + system) of a process and of each of its children, by process id (Linux)."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for each in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        found[each] = (int(fields[11]) + int(fields[12])) / tick
    return found


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _stored_taps(conn: sqlite3.Connection, site: str) -> int:
    """Return the stored taps: the hub's running count where there is one (a single row: polling it every 20 ms
    costs nothing, where counting rows took CPU from the hub being measured), a count of rows elsewhere (Node-RED's
    table). A hub database of the bench holds one site."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'hub_counters'").fetchone():
        row = conn.execute("SELECT value FROM hub_counters WHERE name = 'events:tap'").fetchone()
        return 0 if row is None else int(row[0])
    return int(conn.execute("SELECT COUNT(*) FROM events WHERE site=? AND kind='tap'", (site,)).fetchone()[0])


def stored_span(
    db: Path, site: str, count: int, timeout_s: float = 600, pid: int | None = None
) -> tuple[float, dict[int, float]]:
    """Wait until the hub stored `count` events of site; return seconds from the first to the last commit, and
    the CPU seconds per stored message that process `pid` and each of its children spent meanwhile."""
    deadline = time.monotonic() + timeout_s
    first = 0.0
    seen = first_seen = 0
    cpu_first: dict[int, float] = {}
    while time.monotonic() < deadline:
        if db.exists():
            conn = sqlite3.connect(db, timeout=30)
            try:
                seen = _stored_taps(conn, site)
            except sqlite3.OperationalError:
                seen = 0
            finally:
                conn.close()
        now = time.perf_counter()
        if seen and not first:
            first, first_seen = now, seen
            cpu_first = cpu_s(pid) if pid else {}
        if seen >= count:
            cpu_last = cpu_s(pid) if pid else {}
            stored = max(1, seen - first_seen)
            return now - first, {p: (cpu_last[p] - cpu_first.get(p, 0.0)) / stored for p in cpu_last}
        time.sleep(0.02)
    raise RuntimeError(f"hub stored {seen} of {count}")


def _client(
    client_id: str, client_class: type[mqtt.Client] = mqtt.Client, protocol: MQTTProtocolVersion = mqtt.MQTTv5
) -> mqtt.Client:
    if protocol == mqtt.MQTTv5:
        return client_class(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    return client_class(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, clean_session=False)


def _connect(client: mqtt.Client, url: str, protocol: MQTTProtocolVersion) -> None:
    parts = urlsplit(url)
    if protocol != mqtt.MQTTv5:
        client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        return
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 1000
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883, clean_start=False, properties=props)


__all__ = ["Figure", "drain_bare", "envelopes", "publish_all", "queue_for", "stored_span", "workdir"]
