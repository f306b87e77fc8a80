"""Schema, template, udev, modprobe, systemd units and sd_notify, checked with real tools where they exist."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from edge.agent.config import ConfigError, load_config, parse_config
from firmware_config.schema import SCHEMA_PATH, json_schema, render_schema
from tourtrace import sdnotify

ROOT = Path(__file__).resolve().parents[2]
FC = ROOT / "firmware_config"
UNITS = ROOT / "systemd"


def test_schema_file_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), "run: python -m firmware_config.schema"
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["site", "station", "zone", "data_dir"]
    assert set(schema["properties"]["broker"]["properties"]) == {
        "url",
        "username",
        "password_file",
        "ca_file",
        "keepalive_s",
        "client_id",
    }


def test_template_is_valid_for_both_parser_and_schema() -> None:
    config = load_config(FC / "station.template.yaml")
    assert config.station == "gate-injection"
    document = yaml.safe_load((FC / "station.template.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(document, json_schema())


GOOD = {"site": "demo", "station": "gate-a", "zone": "injection", "data_dir": "/var/lib/tourtrace"}
BAD = [
    {**GOOD, "station": "Gate A"},
    {**GOOD, "tap_mode": "sometimes"},
    {**GOOD, "debounce_s": -1},
    {**GOOD, "dwell_timeout_s": 0},
    {**GOOD, "colour": "red"},
    {**GOOD, "broker": {"url": "http://hub"}},
    {**GOOD, "broker": {"keepalive_s": "30"}},
    {**GOOD, "note": {"vocabulary": "淬火"}},
    {**GOOD, "note": {"grammar": 1}},
    {**GOOD, "feedback": {"backend": "pwm"}},
    {**GOOD, "outbox": {"max_events": 0}},
    {k: v for k, v in GOOD.items() if k != "zone"},
]


@pytest.mark.parametrize("document", [GOOD, {**GOOD, "note": {"vocabulary": ["淬火"], "beam": 10}}, *BAD])
def test_schema_and_parser_agree(document: dict[str, object]) -> None:
    try:
        parse_config(document)
        parser_ok = True
    except ConfigError:
        parser_ok = False
    schema_ok = jsonschema.Draft202012Validator(json_schema()).is_valid(document)
    assert parser_ok == schema_ok == (document not in BAD)


def test_udev_rule_covers_readers_with_symlink_and_group() -> None:
    text = (FC / "99-tourtrace-nfc.rules").read_text()
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    ids = {tuple(re.findall(r'idVendor}=="(\w+)".*idProduct}=="(\w+)"', r)[0]) for r in rules if "idVendor" in r}
    assert ids == {("054c", "06c1"), ("054c", "06c3"), ("072f", "2200"), ("1a86", "7523"), ("10c4", "ea60")}
    assert [r for r in rules if "idVendor" not in r] == [
        'SUBSYSTEM=="tty", KERNEL=="ttyAMA0|ttyS0", GROUP="tourtrace", MODE="0660", SYMLINK+="tourtrace-nfc"'
    ]  # the Pi's UART
    for rule in rules:
        assert 'GROUP="tourtrace"' in rule and 'MODE="0660"' in rule and 'SYMLINK+="tourtrace-nfc"' in rule
        assert rule.startswith(('SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device"', 'SUBSYSTEM=="tty"'))
    udevadm = shutil.which("udevadm")
    if udevadm and "verify" in subprocess.run([udevadm, "--help"], capture_output=True, text=True).stdout:
        result = subprocess.run([udevadm, "verify", str(FC / "99-tourtrace-nfc.rules")], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_modprobe_blacklist_blocks_kernel_nfc_drivers() -> None:
    lines = set((FC / "blacklist-tourtrace-nfc.conf").read_text().splitlines())
    for module in ("pn533_usb", "pn533", "port100"):
        assert f"blacklist {module}" in lines and f"install {module} /bin/false" in lines


def _verify(paths: list[Path], unit_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="notice")
    if unit_path is not None:
        env["SYSTEMD_UNIT_PATH"] = f"{unit_path}:"
    return subprocess.run(["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True, env=env)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_verify_clean_and_are_hardened(tmp_path: Path) -> None:
    tourtrace = Path(sys.executable).with_name("tourtrace")
    copies = []
    for unit in ("tourtrace-edge.service", "tourtrace-hub.service"):
        text = (UNITS / unit).read_text()
        for key in (
            "Type=notify",
            "WatchdogSec=",
            "Restart=on-failure",
            "User=tourtrace",
            "ProtectSystem=strict",
            "NoNewPrivileges=true",
            "PrivateTmp=true",
            "ProtectHome=true",
            "ReadWritePaths=/var/lib/",
        ):
            assert re.search(rf"^{re.escape(key)}", text, re.M), f"{unit}: {key} missing"
        if unit == "tourtrace-edge.service":
            assert re.search(r"^SupplementaryGroups=.*\bgpio\b.*\bdialout\b", text, re.M), "edge unit: groups"
        copy = tmp_path / unit
        copy.write_text(text.replace("/opt/tourtrace/venv/bin/tourtrace", str(tourtrace)))
        copies.append(copy)
    result = _verify(copies)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    broken = tmp_path / "tourtrace-broken.service"
    broken.write_text(copies[0].read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    assert "Unknown key" in _verify([broken]).stderr


@pytest.mark.skipif(not Path("/lib/systemd/system/mosquitto.service").exists(), reason="mosquitto unit missing")
def test_mosquitto_dropin_verifies_clean(tmp_path: Path) -> None:
    shutil.copy("/lib/systemd/system/mosquitto.service", tmp_path)
    shutil.copytree(UNITS / "mosquitto.service.d", tmp_path / "mosquitto.service.d")
    result = _verify([tmp_path / "mosquitto.service"], unit_path=tmp_path)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    text = (UNITS / "mosquitto.service.d" / "tourtrace.conf").read_text()
    assert "ExecStart=\nExecStart=/usr/sbin/mosquitto -c /etc/tourtrace/mosquitto/tourtrace.conf" in text


def test_sdnotify_sends_to_notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify_ready() is False
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert sdnotify.notify_ready() and sdnotify.notify_watchdog() and sdnotify.notify_status("reader ok\n 热处理")
        received = [server.recv(4096) for _ in range(3)]
    assert received == [b"READY=1", b"WATCHDOG=1", "STATUS=reader ok 热处理".encode()]
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval_s() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert sdnotify.watchdog_interval_s() is None
