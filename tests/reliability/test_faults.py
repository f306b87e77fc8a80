"""Issue 9 faults: a long broker outage, a full station disk, a locked and a read-only hub database."""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.common import envelopes
from edge.agent.outbox import Outbox
from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker
from tests.reliability.harness import (
    TOKEN,
    AgentProcess,
    HubProcess,
    assert_exactly_once,
    closing_db,
    seed_outbox,
    stored_count,
    wait_until,
)
from tests.reliability.mqtt_tools import publish_all

PR_CAPBSET_DROP = 24  # linux/prctl.h
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_SETPCAP = 1, 2, 3, 8  # linux/capability.h


def _station_status(hub: HubProcess, station: str) -> dict[str, Any]:
    for item in hub.get("/api/stations"):
        if item.get("station") == station:
            return dict(item)
    return {}


def test_ten_thousand_events_queued_during_a_broker_outage_drain_completely(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess], make_agent: Callable[..., AgentProcess]
) -> None:
    """10,000 events enter a running agent's outbox while the broker is down (seeded, not tapped), then drain."""
    hub = start_hub()
    agent = make_agent("gate-a").start()
    assert wait_until(lambda: bool(_station_status(hub, "gate-a")), 20), agent.log_tail()
    broker.stop()
    seed_outbox(agent.outbox_path, site_id, "gate-a", 10_000)
    time.sleep(1.0)
    assert agent.outbox_depth() == 10_000 and agent.running
    broker.start()
    started = time.monotonic()
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 10_000, 120), agent.log_tail()
    elapsed = time.monotonic() - started
    print(f"drained 10,000 queued events to the hub in {elapsed:.1f}s ({10_000 / elapsed:.0f} events/s)")
    assert_exactly_once(hub.db, site_id, {"gate-a": 10_000}, in_order=True)
    assert wait_until(lambda: agent.outbox_depth() == 0, 10)


def _file_size_limit(limit: int, liftable: bool = False) -> Callable[[], None]:
    """Return a preexec hook capping every file the child writes at `limit` bytes (a full disk: EFBIG).

    With `liftable` only the soft limit is set, so the test can give the space back to the running process.
    """

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY if liftable else limit))

    return apply


def _reader_present_since(hub: HubProcess, station: str, moment: datetime) -> bool:
    """Whether a status the station sent after `moment` says its reader is present (not a dead agent's status)."""
    item = _station_status(hub, station)
    sent = item.get("status_ts")
    return isinstance(sent, str) and datetime.fromisoformat(sent) > moment and item.get("reader") == "present"


def _fill_station_disk(hub: HubProcess, tap: Callable[[int], None]) -> int:
    """Tap distinct badges until the station says its outbox is full; return how many were presented."""
    presented = 0
    while presented < 30 and "outbox full" not in json.dumps(_station_status(hub, "gate-a")):
        tap(presented)
        presented += 1
        time.sleep(0.2)
    status = _station_status(hub, "gate-a")["status"]
    assert isinstance(status, dict) and status.get("error") == "outbox full: events are being refused", status
    return presented


def _station_with_a_small_disk(
    hub: HubProcess, make_agent: Callable[..., AgentProcess], liftable: bool
) -> tuple[AgentProcess, Callable[[int], None]]:
    """Start gate-a with files that cannot grow past 64 KiB (a limit that can be lifted, if asked) and its reader
    present; return it and what presents the n-th visitor badge on its emulated reader."""
    agent = make_agent("gate-a", preexec=_file_size_limit(64 * 1024, liftable=liftable))
    Outbox(agent.outbox_path, 1000, 30).close()
    emulator = TagEmulator(int(agent.config["reader"].rsplit(":", 1)[1]))
    agent.start()
    assert wait_until(lambda: _station_status(hub, "gate-a").get("status", {}).get("reader") == "present", 20)

    def tap(n: int) -> None:
        emulator.present(f"03FEFFE0{n:08X}", encode_badge_message(Badge(f"V-{n:04d}", "visitor", None)), hold_s=0.4)

    return agent, tap


def test_full_station_disk_refuses_taps_with_a_status_error_and_corrupts_nothing(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess], make_agent: Callable[..., AgentProcess]
) -> None:
    """Real emulated taps into an agent whose files cannot grow past 64 KiB; then the limit is lifted."""
    hub = start_hub()
    agent, tap = _station_with_a_small_disk(hub, make_agent, liftable=False)
    presented = _fill_station_disk(hub, tap)
    assert agent.running, agent.log_tail()
    agent.kill()
    killed_at = datetime.now(UTC)
    refusals = agent.log_tail(20_000)
    unmasked = "disk I/O error" in refusals or "database or disk is full" in refusals  # EFBIG, as SQLite says it
    assert "cannot rollback" not in refusals and unmasked, refusals

    with closing_db(agent.outbox_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        accepted = int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
    assert 0 < accepted < presented, f"{accepted} of {presented} taps accepted"

    healthy = make_agent("gate-a", reader=agent.config["reader"]).start()
    # the dead agent's last status also says "present": wait for one the restarted agent sent
    assert wait_until(lambda: _reader_present_since(hub, "gate-a", killed_at), 20), healthy.log_tail()
    tap(presented)
    assert wait_until(lambda: stored_count(hub.db, site_id) >= accepted + 1, 20), healthy.log_tail()
    assert_exactly_once(hub.db, site_id, {"gate-a": accepted + 1})
    assert wait_until(lambda: "error" not in _station_status(hub, "gate-a")["status"], 10)


def test_station_disk_freed_while_running_takes_taps_again_without_a_restart(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess], make_agent: Callable[..., AgentProcess]
) -> None:
    """The same agent process refuses taps while its files cannot grow, and stores them again once they can."""
    hub = start_hub()
    agent, tap = _station_with_a_small_disk(hub, make_agent, liftable=True)
    presented = _fill_station_disk(hub, tap)
    assert agent.process is not None
    resource.prlimit(agent.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    tap(presented)
    assert wait_until(lambda: "error" not in _station_status(hub, "gate-a")["status"], 20), agent.log_tail()
    with closing_db(agent.outbox_path) as conn:
        accepted = int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
    assert 0 < accepted <= presented, f"{accepted} of {presented + 1} taps accepted"
    assert wait_until(lambda: stored_count(hub.db, site_id) >= accepted, 20), agent.log_tail()
    assert_exactly_once(hub.db, site_id, {"gate-a": accepted})
    assert "cannot rollback" not in agent.log_tail(20_000)
    assert wait_until(lambda: agent.outbox_depth() == 0, 20), agent.log_tail()


def test_locked_hub_database_is_waited_out_and_nothing_unstored_is_acknowledged(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess], make_agent: Callable[..., AgentProcess]
) -> None:
    """Another writer holds BEGIN EXCLUSIVE: the hub stores nothing, and when it is SIGKILLed meanwhile the
    broker still redelivers everything it had received, because none of it was acknowledged. The station
    keeps every event (broker PUBACK only marks it sent) until the hub acknowledges storing it."""
    hub = start_hub()
    agent = make_agent("gate-a")
    locker = sqlite3.connect(hub.db, isolation_level=None, timeout=30)
    locker.execute("BEGIN EXCLUSIVE")
    seed_outbox(agent.outbox_path, site_id, "gate-a", 300)
    agent.start()
    assert wait_until(lambda: agent.outbox_unsent() == 0, 20), agent.log_tail()
    time.sleep(1.0)
    assert stored_count(hub.db, site_id) == 0
    assert agent.outbox_depth() == 300  # handed to the broker, not yet stored at the hub: kept
    assert hub.health()["db"]["ok"]
    locker.execute("ROLLBACK")
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 300, 30), hub.log_tail()
    assert_exactly_once(hub.db, site_id, {"gate-a": 300})
    assert wait_until(lambda: agent.outbox_depth() == 0, 10)  # the hub's acks let the station forget them

    locker.execute("BEGIN EXCLUSIVE")
    seed_outbox(agent.outbox_path, site_id, "gate-a", 300)
    assert wait_until(lambda: agent.outbox_unsent() == 0, 20), agent.log_tail()
    time.sleep(1.0)
    with closing_db(Path(hub.db)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'tap'").fetchone()[0] == 300
    hub.kill()
    locker.execute("ROLLBACK")
    locker.close()
    hub.start()
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 600, 30), hub.log_tail()
    assert wait_until(lambda: agent.outbox_depth() == 0, 10)  # the hub has committed all it will get
    assert_exactly_once(hub.db, site_id, {"gate-a": 600})


def _has_capability(capability: int) -> bool:
    """Whether this process's effective capability set holds `capability` (linux/capability.h number)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> capability & 1)
    return False


def _file_modes_apply() -> None:
    """preexec: as root, drop the capabilities that override file modes, so that a read-only file is one."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed: cannot make file modes apply to root")


def _chmod_database(db: Path, mode: int) -> None:
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            path.chmod(mode)


def test_read_only_hub_database_is_retried_unacknowledged_and_recovered_without_restart(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess]
) -> None:
    """The database file turns read-only (say, restored with the wrong owner): the hub starts, reports it,
    stores and acknowledges nothing (a SIGKILLed hub's successor still gets every message from the broker),
    and once the file is writable again it stores everything without being restarted."""
    if os.geteuid() == 0 and not _has_capability(CAP_SETPCAP):
        pytest.skip("root without CAP_SETPCAP cannot drop CAP_DAC_OVERRIDE, so a read-only file would not bind it")
    hub = start_hub(preexec=_file_modes_apply)
    hub.stop()
    _chmod_database(hub.db, 0o444)
    hub.start()
    publish_all(broker.url, envelopes(site_id, 300))

    def failing() -> bool:
        ingest = hub.health()["ingest"]
        return ingest["retries"] >= 2 and "readonly" in ingest["last_error"]

    assert wait_until(failing, 20), hub.health()
    assert hub.health()["status"] == "degraded"
    retries = re.search(r"^tourtrace_ingest_retries_total (\d+)", hub.get_text("/metrics"), re.M)
    assert retries and int(retries.group(1)) >= 2
    assert stored_count(hub.db, site_id) == 0
    hub.kill()

    hub.start()
    assert wait_until(failing, 20), hub.health()
    _chmod_database(hub.db, 0o644)
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 300, 30), hub.log_tail()
    assert_exactly_once(hub.db, site_id, {"gate-0": 100, "gate-1": 100, "gate-2": 100})
    assert wait_until(lambda: hub.health()["status"] == "ok", 10), hub.health()


def test_full_hub_disk_is_retried_unacknowledged_and_recovered_without_restart(
    broker: LocalBroker, site_id: str, start_hub: Callable[..., HubProcess]
) -> None:
    """The hub's files cannot grow (RLIMIT_FSIZE set on the running hub, as a full disk would refuse writes):
    nothing is stored or acknowledged, health says why; once there is room again everything is stored once."""
    hub = start_hub()
    assert hub.process is not None
    publish_all(broker.url, envelopes(site_id, 30)[:15])
    assert wait_until(lambda: stored_count(hub.db, site_id) == 15, 20)
    resource.prlimit(hub.process.pid, resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
    try:
        publish_all(broker.url, envelopes(site_id, 3000)[15:])

        def failing() -> bool:
            return hub.health()["ingest"]["retries"] >= 2

        assert wait_until(failing, 20), hub.health()
        assert hub.health()["status"] == "degraded" and hub.health()["ingest"]["last_error"].startswith("database: ")
        assert stored_count(hub.db, site_id) == 15
        visits = httpx.get(f"{hub.base_url}/api/visits", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert visits.status_code in (200, 503)  # reads may still work; if not, a 503 that says why, never a 500
        if visits.status_code == 503:
            assert visits.json()["detail"].startswith("database unavailable: ")
    finally:
        resource.prlimit(hub.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert wait_until(lambda: stored_count(hub.db, site_id) >= 3000, 60), hub.health()
    assert_exactly_once(hub.db, site_id, {"gate-0": 1000, "gate-1": 1000, "gate-2": 1000})
    assert wait_until(lambda: hub.health()["status"] == "ok", 10), hub.health()
    with closing_db(hub.db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
