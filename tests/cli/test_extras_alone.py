"""Each extra alone gives working commands for its side: `.[hub]` serves, `.[edge]` runs a station.

The real `tourtrace` runs in a subprocess whose imports of the other extra's modules (derived from
pyproject.toml, transitively) fail as if they were not installed: no extra venvs needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from firmware_config.local_broker import LocalBroker, free_port
from tests.cli.extras.closure import modules_missing_without
from tests.reliability.mqtt_tools import connect

BLOCKER_DIR = Path(__file__).parent / "extras"
TOURTRACE = Path(sys.executable).with_name("tourtrace")
TOKEN = "extras-admin-token"


def _env(extra: str) -> dict[str, str]:
    """Environment of a `tourtrace` that has the project with `extra` only."""
    path = os.pathsep.join(filter(None, [str(BLOCKER_DIR), os.environ.get("PYTHONPATH")]))
    blocked = ",".join(modules_missing_without(extra))
    return {**os.environ, "PYTHONPATH": path, "TOURTRACE_BLOCKED_MODULES": blocked, "TOURTRACE_ADMIN_TOKEN": TOKEN}


def _run(extra: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TOURTRACE), *args], env=_env(extra), cwd=cwd, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_the_blocker_refuses_the_other_extra(tmp_path: Path) -> None:
    """Without this the other tests could pass on a venv that simply has everything."""
    blocked_for_hub, blocked_for_edge = set(modules_missing_without("hub")), set(modules_missing_without("edge"))
    assert {"nfc", "ndef", "vosk", "sounddevice", "webrtcvad", "gpiozero"} <= blocked_for_hub
    assert {"fastapi", "uvicorn", "jinja2", "openpyxl", "pypinyin"} <= blocked_for_edge
    assert not blocked_for_hub & {"paho", "yaml", "typer", "rich"}  # the base dependencies stay
    probe = "import ndef"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=_env("hub"), capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 1 and "No module named 'ndef'" in result.stderr, result.stderr


def test_hub_extra_alone_serves(broker: LocalBroker, tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    port = free_port()
    with (tmp_path / "hub.log").open("wb") as log:
        spawned.append(subprocess.Popen(
            [str(TOURTRACE), "hub", "serve", "--broker", broker.url, "--db", str(tmp_path / "hub.sqlite3"),
             "--http", f"127.0.0.1:{port}", "--sample-data"],
            env=_env("hub"), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline, health = time.monotonic() + 90, None
    while time.monotonic() < deadline and spawned[0].poll() is None:
        try:
            health = httpx.get(f"{base}/api/health", timeout=5).json()
            if health["broker"]["connected"]:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    output = (tmp_path / "hub.log").read_text(errors="replace")
    assert health is not None and health["db"]["ok"] and health["broker"]["connected"], output[-3000:]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for path in ("/api/stations", "/api/rules", "/api/visitors"):
        assert httpx.get(f"{base}{path}", headers=auth, timeout=30).status_code == 200, path
    analyzed = httpx.post(f"{base}/api/analyze", json={"text": "热处理到HRC45"}, headers=auth, timeout=30).json()
    assert analyzed["params"], analyzed
    assert "ModuleNotFoundError" not in output


@pytest.mark.parametrize("command", [["hub", "serve"], ["station", "add"], ["certs", "init"], ["token", "create"]])
def test_hub_extra_alone_knows_its_commands(command: list[str], tmp_path: Path) -> None:
    result = _run("hub", *command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage" in result.stdout, result.stdout + result.stderr


def test_hub_extra_alone_analyzes(tmp_path: Path) -> None:
    result = _run("hub", "analyze", "热处理到HRC45", cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["params"][0]["kind"] == "hardness", result.stderr


@pytest.mark.parametrize(
    "command", [["edge", "run"], ["badge", "write"], ["transcribe"], ["doctor"], ["model", "fetch"]]
)
def test_edge_extra_alone_knows_its_commands(command: list[str], tmp_path: Path) -> None:
    result = _run("edge", *command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage" in result.stdout, result.stdout + result.stderr


def test_edge_extra_alone_runs_doctor_and_a_station(
    broker: LocalBroker, site_id: str, tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    config = tmp_path / "station.yaml"
    config.write_text(yaml.safe_dump({"site": site_id, "station": "gate-a", "zone": "injection",
                                      "data_dir": str(tmp_path / "data"), "reader": f"udp:127.0.0.1:{free_port()}",
                                      "broker": {"url": broker.url}, "status_interval_s": 1}))  # fmt: skip
    doctor = _run("edge", "doctor", "--config", str(config), cwd=tmp_path)
    assert "✓ config" in doctor.stdout and "✓ broker" in doctor.stdout, doctor.stdout + doctor.stderr
    assert "Traceback" not in doctor.stdout + doctor.stderr

    statuses: list[bytes] = []
    listener = connect(broker.url)
    listener.on_message = lambda _client, _userdata, message: statuses.append(bytes(message.payload))
    listener.subscribe(f"tourtrace/v1/{site_id}/gate-a/status", qos=1)
    try:
        with (tmp_path / "agent.log").open("wb") as log:
            command = [str(TOURTRACE), "edge", "run", "--config", str(config)]
            spawned.append(
                subprocess.Popen(command, env=_env("edge"), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
            )
        deadline = time.monotonic() + 90
        while not any(json.loads(s)["data"]["state"] == "online" for s in statuses) and time.monotonic() < deadline:
            assert spawned[0].poll() is None, (tmp_path / "agent.log").read_text(errors="replace")
            time.sleep(0.2)
        assert any(json.loads(s)["data"]["state"] == "online" for s in statuses), (tmp_path / "agent.log").read_text(
            errors="replace"
        )
    finally:
        listener.loop_stop()
        listener.disconnect()
