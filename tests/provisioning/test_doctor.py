"""`tourtrace doctor` against a real broker, real SQLite outbox, a WAV source and sysfs/proc-shaped trees."""

from __future__ import annotations

import socket
import sqlite3
import time
import wave
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from edge.agent.clock import clock_synced
from edge.agent.config import StationConfig
from edge.agent.outbox import SCHEMA
from edge.nfc_reader.diagnose import SystemPaths
from firmware_config.doctor import check_reader
from tests.provisioning.conftest import PlantBroker, cli_certs
from tourtrace.cli import doctor_cmd

app = typer.Typer()
app.command()(doctor_cmd.doctor)


def free_udp_port() -> int:
    """Return a UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def station_yaml(broker: PlantBroker, tmp_path: Path, reader: str = "", **broker_changes: str) -> Path:
    """Turn the generated gate-a config into one that runs here: TLS port, udp reader, WAV audio, tmp data dir."""
    document = yaml.safe_load((broker.directory / "stations" / "gate-a.yaml").read_text())
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (tmp_path / "model" / "am").mkdir(parents=True, exist_ok=True)
    (tmp_path / "model" / "am" / "final.mdl").write_bytes(b"\0")
    with wave.open(str(tmp_path / "note.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\0\0" * 1600)
    document.update(
        data_dir=str(data), reader=reader or f"udp:127.0.0.1:{free_udp_port()}", audio=f"wav:{tmp_path / 'note.wav'}"
    )
    document["model"] = str(tmp_path / "model")
    document["broker"]["url"] = f"mqtts://localhost:{broker.tls_port}"
    document["broker"].update(broker_changes)
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def doctor(config: Path) -> tuple[int, dict[str, str]]:
    result = CliRunner().invoke(app, ["--config", str(config), "--timeout", "3"])
    lines: dict[str, str] = {}
    for line in result.output.splitlines():
        if line[:1] in "✓✗":
            lines[line.split()[1]] = line
        elif "fix:" in line:
            lines[list(lines)[-1]] += "\n" + line
    return result.exit_code, lines


def test_doctor_passes_a_healthy_station(plant_broker: PlantBroker, tmp_path: Path) -> None:
    config = station_yaml(plant_broker, tmp_path)
    with sqlite3.connect(tmp_path / "data" / "outbox.sqlite3") as db:
        db.executescript(SCHEMA)
        for i in range(2):
            db.execute(
                "INSERT INTO outbox (id, topic, payload, created) VALUES (?, 't', x'00', ?)", (f"e{i}", time.time() - 5)
            )
    code, lines = doctor(config)
    for name in ("config", "reader", "microphone", "model", "broker", "site-key", "disk", "outbox"):
        assert lines[name].startswith("✓"), lines[name]
    assert "badge signatures are checked here too" in lines["site-key"]
    assert "TLS verified" in lines["broker"] and "demo.gate-a" in lines["broker"]
    assert "2 unsent" in lines["outbox"]
    assert lines["clock"].startswith("✓" if clock_synced() else "✗")
    assert code == (0 if clock_synced() else 1)


def test_doctor_names_broker_problems_and_their_fix(plant_broker: PlantBroker, tmp_path: Path) -> None:
    bad_password = tmp_path / "wrong.password"
    bad_password.write_text("nope")
    code, lines = doctor(station_yaml(plant_broker, tmp_path, password_file=str(bad_password)))
    assert code == 1 and lines["broker"].startswith("✗") and "--rotate" in lines["broker"]
    cli_certs(tmp_path / "other", "localhost")
    code, lines = doctor(station_yaml(plant_broker, tmp_path, ca_file=str(tmp_path / "other" / "certs" / "ca.crt")))
    assert code == 1 and "TLS" in lines["broker"] and "ca.crt" in lines["broker"]
    code, lines = doctor(station_yaml(plant_broker, tmp_path, url=f"mqtt://127.0.0.1:{plant_broker.plain_port + 0}"))
    assert lines["broker"].startswith("✓")  # the loopback listener, no TLS, same credentials
    code, lines = doctor(station_yaml(plant_broker, tmp_path, url="mqtt://127.0.0.1:9"))
    assert "cannot reach 127.0.0.1:9" in lines["broker"] and "systemctl status mosquitto" in lines["broker"]


def test_doctor_never_sends_the_hubs_ca_over_the_system_bundle(plant_broker: PlantBroker, tmp_path: Path) -> None:
    cli_certs(tmp_path / "other", "localhost")
    wrong = str(tmp_path / "other" / "certs" / "ca.crt")
    code, lines = doctor(station_yaml(plant_broker, tmp_path, ca_file=wrong))
    assert code == 1 and f"copy the hub's DIR/certs/ca.crt to {wrong}" in lines["broker"]
    for system in ("/etc/ssl/certs/ca-certificates.crt", None):
        path = station_yaml(plant_broker, tmp_path)
        document = yaml.safe_load(path.read_text())
        document["broker"]["ca_file"] = system
        path.write_text(yaml.safe_dump(document))
        code, lines = doctor(path)
        assert code == 1 and "TLS" in lines["broker"], lines["broker"]
        assert "to /etc/tourtrace/ca.crt and set broker.ca_file: /etc/tourtrace/ca.crt" in lines["broker"]
        assert "leave the system's CA bundle alone" in lines["broker"]


def test_doctor_names_a_scheme_and_port_mismatch(plant_broker: PlantBroker, tmp_path: Path) -> None:
    code, lines = doctor(station_yaml(plant_broker, tmp_path, url=f"mqtt://127.0.0.1:{plant_broker.tls_port}"))
    assert code == 1 and f"mqtt:// URL, but 127.0.0.1:{plant_broker.tls_port} speaks TLS" in lines["broker"]
    assert f"mqtts://127.0.0.1:{plant_broker.tls_port}" in lines["broker"]
    code, lines = doctor(station_yaml(plant_broker, tmp_path, url=f"mqtts://localhost:{plant_broker.plain_port}"))
    assert code == 1 and f"mqtts:// URL, but localhost:{plant_broker.plain_port} does not speak TLS" in lines["broker"]


def test_doctor_names_an_unreadable_site_key(plant_broker: PlantBroker, tmp_path: Path) -> None:
    path = station_yaml(plant_broker, tmp_path)
    document = yaml.safe_load(path.read_text())
    document["site_key_file"] = str(tmp_path / "missing.key")
    path.write_text(yaml.safe_dump(document))
    code, lines = doctor(path)
    assert code == 1 and lines["site-key"].startswith("✗") and "cannot read site key file" in lines["site-key"]
    assert f"copy the hub's DIR/certs/site.key to {tmp_path / 'missing.key'}" in lines["site-key"]


def test_doctor_lists_every_config_error(tmp_path: Path) -> None:
    path = tmp_path / "station.yaml"
    path.write_text("site: Demo\nzone: 3\ntap_mode: sometimes\nbroker: {url: 'http://x'}\n")
    result = CliRunner().invoke(app, ["--config", str(path)])
    assert result.exit_code == 1
    for error in ("site: expected", "station: required", "zone: expected str", "tap_mode: expected", "broker.url:"):
        assert error in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1 and "no such file" in result.output and "firmware_config/" not in result.output


def test_doctor_flags_a_stuck_outbox(plant_broker: PlantBroker, tmp_path: Path) -> None:
    config = station_yaml(plant_broker, tmp_path)
    with sqlite3.connect(tmp_path / "data" / "outbox.sqlite3") as db:
        db.executescript(SCHEMA)
        db.execute(
            "INSERT INTO outbox (id, topic, payload, created) VALUES ('e', 't', x'00', ?)", (time.time() - 7200,)
        )
    code, lines = doctor(config)
    assert code == 1 and lines["outbox"].startswith("✗") and "oldest 7200 s" in lines["outbox"]


def test_doctor_names_a_missing_serial_reader_and_its_fix(plant_broker: PlantBroker, tmp_path: Path) -> None:
    code, lines = doctor(station_yaml(plant_broker, tmp_path, reader="tty:USBZ9:pn532"))
    assert code == 1
    assert lines["reader"].splitlines() == [
        "✗ reader     /dev/ttyUSBZ9 does not exist",
        "             fix: plug in the PN532's USB-serial board; `ls /dev/ttyUSB* /dev/ttyACM*` names the port for "
        "tty:USBZ9",
    ]
    code, lines = doctor(station_yaml(plant_broker, tmp_path, reader="bluetooth"))
    assert code == 1 and "unsupported reader URI 'bluetooth'" in lines["reader"]
    assert "fix: set reader: in station.yaml to usb, tty:AMA0:pn532 or udp:HOST:PORT" in lines["reader"]


def test_reader_check_reports_the_cause_not_the_failed_open(tmp_path: Path) -> None:
    device = tmp_path / "sys" / "1-1"
    device.mkdir(parents=True)
    for name, value in (("idVendor", "054c"), ("idProduct", "06c3"), ("busnum", "1"), ("devnum", "4")):
        (device / name).write_text(value + "\n")
    (tmp_path / "modules").write_text("port100 16384 0 - Live 0x0\nnfc 1 1 port100, Live 0x0\n")
    (tmp_path / "proc").mkdir()
    paths = SystemPaths(tmp_path / "modules", tmp_path / "proc", tmp_path / "sys", tmp_path / "usb", tmp_path)
    config = StationConfig(site="demo", station="gate-a", zone="injection", data_dir=str(tmp_path), reader="usb")
    check = check_reader(config, paths)
    assert (check.check, check.ok) == ("reader", False)
    assert check.detail == "kernel module(s) port100 loaded: they claim the reader"
    assert (
        check.fix == 'echo "blacklist port100" | sudo tee -a /etc/modprobe.d/blacklist-tourtrace-nfc.conf'
        " && sudo modprobe -r port100"
    )
    (tmp_path / "modules").write_text("snd 1 0 - Live 0\n")
    (device / "idProduct").write_text("ffff\n")
    check = check_reader(config, paths)
    assert not check.ok and check.detail == "no supported NFC reader on USB" and "lsusb" in (check.fix or "")
