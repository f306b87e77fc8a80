"""Real processes for reliability tests: hub and station agents as subprocesses, events seeded into outboxes.

The hub and the agents run the real `tourtrace hub serve` and `tourtrace edge run` commands in their own
processes (assembled like tourtrace/cli/main.py from the hub and edge sub-apps only, so that an unrelated CLI
module cannot break these tests), which makes SIGKILL real.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml

from edge.agent.clock import boot_id, mono_ms
from edge.agent.outbox import Outbox
from firmware_config.local_broker import free_port
from protocol import BadgeNdef, Envelope, TapData, new_ulid, now_rfc3339
from tests.waiting import holds_within as wait_until  # the boolean form: assert wait_until(…), log_tail()

TOKEN = "reliability-admin-token"
LAUNCH = (
    "import typer\n"
    "from tourtrace.cli import edge_cmd, hub_cmd\n"
    "app = typer.Typer(pretty_exceptions_enable=False)\n"
    "app.add_typer(hub_cmd.app, name='hub')\n"
    "app.add_typer(edge_cmd.app, name='edge')\n"
    "app()\n"
)


def tourtrace_argv(*args: str) -> list[str]:
    """Return the argv that runs `tourtrace ARGS…` with this interpreter (the venv's, locally and in CI)."""
    return [sys.executable, "-c", LAUNCH, *args]


@dataclass
class Proc:
    """A subprocess with its log file; kill() is SIGKILL, stop() is SIGTERM."""

    argv: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    preexec: Callable[[], None] | None = None
    process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
                preexec_fn=self.preexec,
            )  # fmt: skip

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """SIGTERM the process and wait for a clean exit (SIGKILL after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class HubProcess(Proc):
    """`tourtrace hub serve` on a fixed loopback port and database, restartable on the same database."""

    def __init__(self, broker_url: str, db: Path, workdir: Path, preexec: Callable[[], None] | None = None) -> None:
        self.db = db
        self.port = free_port()
        argv = tourtrace_argv("hub", "serve", "--broker", broker_url, "--db", str(db),
                              "--http", f"127.0.0.1:{self.port}", "--log-level", "warning")  # fmt: skip
        super().__init__(argv, workdir / "hub.log", env={"TOURTRACE_ADMIN_TOKEN": TOKEN}, preexec=preexec)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> HubProcess:
        """Start the hub and wait until /api/health says the broker is connected."""
        self.spawn()
        if not wait_until(self._connected, timeout_s, 0.1):
            raise AssertionError(f"hub did not become healthy in {timeout_s}s:\n{self.log_tail()}")
        return self

    def _connected(self) -> bool:
        if not self.running:
            raise AssertionError(f"hub exited with {self.process and self.process.returncode}:\n{self.log_tail()}")
        try:
            return bool(self.health()["broker"]["connected"])
        except httpx.HTTPError:
            return False

    def health(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/api/health", timeout=5, headers={"Authorization": f"Bearer {TOKEN}"})
        response.raise_for_status()
        return dict(response.json())

    def get(self, path: str, **params: Any) -> Any:
        """GET an API path with the admin token and return the decoded JSON."""
        response = httpx.get(f"{self.base_url}{path}", params=params, timeout=10,
                             headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        response.raise_for_status()
        return response.json()

    def get_text(self, path: str) -> str:
        """GET a plain-text path (/metrics)."""
        response = httpx.get(f"{self.base_url}{path}", timeout=10)
        response.raise_for_status()
        return response.text


def write_station_config(directory: Path, site: str, station: str, broker_url: str, **overrides: Any) -> Path:
    """Write station.yaml for an agent whose reader is an idle udp port unless `reader` is given."""
    directory.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "site": site,
        "station": station,
        "zone": f"zone-{station}",
        "data_dir": str(directory / "data"),
        "reader": f"udp:127.0.0.1:{free_port()}",
        "broker": {"url": broker_url},
        "debounce_s": 0.5,
        "status_interval_s": 1,
        "outbox": {"max_events": 1_000_000, "max_age_days": 30},
    }
    config.update(overrides)
    path = directory / "station.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


class AgentProcess(Proc):
    """`tourtrace edge run --config station.yaml` for one station."""

    def __init__(self, config_path: Path, preexec: Callable[[], None] | None = None) -> None:
        self.config_path = config_path
        self.config = yaml.safe_load(config_path.read_text())
        argv = tourtrace_argv("edge", "run", "--config", str(config_path), "--log-level", "warning")
        super().__init__(argv, config_path.parent / "agent.log", preexec=preexec)

    @property
    def station(self) -> str:
        return str(self.config["station"])

    @property
    def outbox_path(self) -> Path:
        return Path(self.config["data_dir"]) / "outbox.sqlite3"

    def start(self) -> AgentProcess:
        self.spawn()
        return self

    def outbox_depth(self) -> int:
        return outbox_depth(self.outbox_path)

    def outbox_unsent(self) -> int:
        return outbox_unsent(self.outbox_path)


def visitor_tap(site: str, station: str, zone: str, seq: int, badge: str) -> Envelope:
    """Build the tap envelope the agent builds for a debounced read of an unsigned visitor badge."""
    uid = (badge.encode().hex().upper() + "0" * 16)[:16]
    return Envelope(
        id=new_ulid(), kind="tap", site=site, station=station, seq=seq, ts=now_rfc3339(), boot=boot_id(),
        mono_ms=mono_ms(), clock_synced=False,
        data=TapData(uid=uid, tag_type="Type3Tag", zone=zone, ndef=BadgeNdef(badge, "visitor", None),
                     reader="udp:127.0.0.1:0"),
    )  # fmt: skip


def seed_outbox(outbox_path: Path, site: str, station: str, count: int, badges: int = 7) -> list[Envelope]:
    """Append `count` visitor taps to a station's outbox exactly as Agent.record does; return them in seq order.

    Appending goes through edge.agent.outbox.Outbox (BEGIN IMMEDIATE, seq from the outbox's meta table), so it
    is safe while the agent process runs and the events travel outbox → MQTT → hub exactly like real taps.
    """
    outbox = Outbox(outbox_path, max_events=1_000_000, max_age_days=30)
    try:
        return [outbox.append(partial(_seeded_tap, site, station, f"V-{i % badges:04d}")) for i in range(count)]
    finally:
        outbox.close()


def _seeded_tap(site: str, station: str, badge: str, seq: int) -> Envelope:
    return visitor_tap(site, station, f"zone-{station}", seq, badge)


def outbox_depth(path: Path) -> int:
    """Return how many events wait in an outbox file (0 when it does not exist yet)."""
    if not path.exists():
        return 0
    with closing_db(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def outbox_unsent(path: Path) -> int:
    """Return how many events in an outbox the broker has not acknowledged yet."""
    if not path.exists():
        return 0
    with closing_db(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0])


@contextmanager
def closing_db(path: Path) -> Iterator[sqlite3.Connection]:
    """A short-lived read connection to a SQLite file written by another process."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def stored_seqs(db: Path, site: str) -> dict[str, list[int]]:
    """Return, per station, the seqs of stored tap/note events in insertion order (duplicates kept)."""
    result: dict[str, list[int]] = {}
    if not db.exists():
        return result
    with closing_db(db) as conn:
        rows = conn.execute(
            "SELECT station, seq FROM events WHERE site = ? AND kind IN ('tap', 'note') ORDER BY rowid", (site,)
        ).fetchall()
    for station, seq in rows:
        result.setdefault(station, []).append(int(seq))
    return result


def stored_count(db: Path, site: str) -> int:
    return sum(len(seqs) for seqs in stored_seqs(db, site).values())


def assert_exactly_once(db: Path, site: str, expected: dict[str, int], in_order: bool = False) -> None:
    """Assert each station's seqs 1..n are stored exactly once (no gaps, no duplicates), optionally in order."""
    seqs = stored_seqs(db, site)
    assert set(seqs) == set(expected), f"stations stored {sorted(seqs)}, expected {sorted(expected)}"
    for station, count in expected.items():
        got = seqs[station]
        missing = sorted(set(range(1, count + 1)) - set(got))
        duplicated = len(got) - len(set(got))
        assert not missing and not duplicated and len(got) == count, (
            f"{station}: stored {len(got)} of {count}; missing seqs {missing[:20]} ({len(missing)}),"
            f" {duplicated} duplicates"
        )
        if in_order:
            assert got == sorted(got), f"{station}: stored out of seq order: {got[:50]}"
