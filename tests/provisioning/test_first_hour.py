"""Plant IT's first hour: from an empty folder to a visit over TLS with the generated files only, no hand edits.

`certs init` (with its port options) → `station add` → Mosquitto on the generated tourtrace.conf → `hub serve
--config DIR/hub/hub.yaml` connected → `edge run` over TLS → an emulated tap becomes a visit, the station is online.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from edge.nfc_reader.badge import Badge, encode_badge_message, load_site_key, sign
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import free_port, wait_for_port
from tourtrace.cli.main import app

TOKEN = "first-hour-token"
UID = "0101AABBCCDD0042"
TOURTRACE = [str(Path(sys.executable).with_name("tourtrace"))]


@pytest.fixture
def workdir() -> Iterator[Path]:
    """An empty folder the broker's own user can reach when mosquitto drops root (as on a real hub)."""
    path = Path(tempfile.mkdtemp(prefix="tt-first-hour-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def wait_until(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Processes:
    """Child processes of the test, each logging to a file; stopped in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.running.append((name, process))
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for _, process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


@pytest.fixture
def processes(workdir: Path) -> Iterator[Processes]:
    running = Processes(workdir)
    yield running
    running.stop()


def test_empty_folder_to_a_visit_over_tls_without_hand_edits(workdir: Path, processes: Processes) -> None:
    plant = workdir / "plant"
    queue = workdir / "mosquitto-queue"
    queue.mkdir()
    if os.geteuid() == 0:  # mosquitto started as root runs as its own user, as /var/lib/mosquitto is theirs
        user = pwd.getpwnam("mosquitto")
        os.chown(queue, user.pw_uid, user.pw_gid)
    mqtt_port, mqtts_port, reader_port, http_port = free_port(), free_port(), free_port(), free_port()

    out = cli("certs", "init", "--dir", str(plant), "--hub-name", "localhost", "--hub-name", "127.0.0.1",
              "--mqtt-port", str(mqtt_port), "--mqtts-port", str(mqtts_port), "--bind", "127.0.0.1",
              "--persistence-dir", str(queue))  # fmt: skip
    assert f"mqtts://localhost:{mqtts_port}" in out
    cli("station", "add", "--site", "demo", "--station", "gate-a", "--zone", "injection", "--dir", str(plant),
        "--reader", f"udp:127.0.0.1:{reader_port}", "--data-dir", str(workdir / "station-data"))  # fmt: skip

    station_yaml = yaml.safe_load((plant / "stations" / "gate-a.yaml").read_text())
    assert station_yaml["broker"]["url"] == f"mqtts://localhost:{mqtts_port}"
    key_file = Path(station_yaml["site_key_file"])
    hub_yaml = yaml.safe_load((plant / "hub" / "hub.yaml").read_text())
    assert hub_yaml["broker"] == f"mqtt://127.0.0.1:{mqtt_port}" and hub_yaml["site_keys"] == {"demo": str(key_file)}
    assert Path(hub_yaml["db"]).is_absolute()
    conf = (plant / "mosquitto" / "tourtrace.conf").read_text()
    assert f"listener {mqtt_port} 127.0.0.1\n" in conf and f"listener {mqtts_port} 127.0.0.1\n" in conf
    assert f"persistence_location {queue}\n" in conf

    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    processes.start("mosquitto", [mosquitto, "-c", str(plant / "mosquitto" / "tourtrace.conf")])
    assert wait_for_port(mqtts_port, 10), processes.log("mosquitto")
    hub = processes.start(
        "hub",
        [*TOURTRACE, "hub", "serve", "--config", str(plant / "hub" / "hub.yaml"), "--http", f"127.0.0.1:{http_port}"],
        env={"TOURTRACE_ADMIN_TOKEN": TOKEN},
    )
    base = f"http://127.0.0.1:{http_port}"
    wait_until(
        lambda: hub.poll() is None and httpx.get(f"{base}/api/health").json()["broker"]["connected"],
        60,
        "the hub to connect to the generated broker",
    )
    processes.start("edge", [*TOURTRACE, "edge", "run", "--config", str(plant / "stations" / "gate-a.yaml")])
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def stations() -> list[dict[str, Any]]:
        return list(httpx.get(f"{base}/api/stations", headers=headers).json())

    online = wait_until(
        lambda: [s for s in stations() if s["online"] and s["reader"] == "present"], 60, "the station online"
    )
    assert online[0]["station"] == "gate-a", processes.log("edge")

    key = load_site_key(key_file)
    message = encode_badge_message(Badge("V-0042", "visitor", sign(key, "V-0042", "visitor", UID)))
    TagEmulator(reader_port).present(UID, message, 0.3)

    def visits() -> list[dict[str, Any]]:
        body = httpx.get(f"{base}/api/visits", params={"visitor": "V-0042"}, headers=headers).json()
        return list(body["items"] if isinstance(body, dict) else body)

    visit = wait_until(visits, 30, "the tap to become a visit")[0]
    assert (visit["zone"], visit["station"], visit["open"], visit["sig_ok"]) == ("injection", "gate-a", True, True)
    assert [s["online"] for s in stations()] == [True]
