"""Provisioning fixtures: a directory made by the real CLI and a real Mosquitto started on its generated conf."""

from __future__ import annotations

import getpass
import re
import shutil
import signal
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from typer.testing import CliRunner

from firmware_config.local_broker import free_port, wait_for_port
from tourtrace.cli import certs_cmd, station_cmd

SITE = "demo"


def cli_add(directory: Path, station: str, *extra: str, site: str = SITE) -> str:
    """Run `tourtrace station add` and return its output; fail the test on a non-zero exit."""
    args = ["add", "--site", site, "--station", station, "--zone", "injection", "--dir", str(directory), *extra]
    result = CliRunner().invoke(station_cmd.app, args)
    assert result.exit_code == 0, result.output
    return result.output


def cli_certs(directory: Path, *names: str) -> None:
    """Run `tourtrace certs init` with the given hub names."""
    args = ["init", "--dir", str(directory)] + [a for n in names for a in ("--hub-name", n)]
    result = CliRunner().invoke(certs_cmd.app, args)
    assert result.exit_code == 0, result.output


def password_of(directory: Path, name: str) -> str:
    """Return the plaintext password the CLI stored for a station (or 'hub')."""
    path = directory / "hub" / "hub.password" if name == "hub" else directory / "stations" / f"{name}.password"
    return path.read_text().strip()


@pytest.fixture
def plant_dir(tmp_path: Path) -> Path:
    """A provisioning dir with certs for localhost/127.0.0.1 and stations gate-a, gate-b of site demo."""
    directory = tmp_path / "plant"
    cli_certs(directory, "localhost", "127.0.0.1")
    cli_add(directory, "gate-a")
    cli_add(directory, "gate-b")
    return directory


@dataclass
class PlantBroker:
    """Mosquitto running the generated tourtrace.conf with its listeners moved to free loopback ports."""

    directory: Path
    plain_port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self, work: Path) -> PlantBroker:
        """Rewrite ports, persistence dir and run-as user of the generated conf; start and wait for both ports."""
        text = (self.directory / "mosquitto" / "tourtrace.conf").read_text()
        text, plain = re.subn(
            r"^listener 1883 127\.0\.0\.1$", f"listener {self.plain_port} 127.0.0.1", text, flags=re.M
        )
        text, tls = re.subn(r"^listener 8883$", f"listener {self.tls_port} 127.0.0.1", text, flags=re.M)
        assert plain == 1 and tls == 1, "generated conf lost a listener"
        text = re.sub(r"^persistence_location .*$", f"persistence_location {work}/", text, flags=re.M)
        work.mkdir(parents=True, exist_ok=True)
        conf = work / "mosquitto.conf"
        conf.write_text(text + f"user {getpass.getuser()}\n")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.log = work / "mosquitto.log"
        self.process = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=self.log.open("wb")
        )
        ok = wait_for_port(self.plain_port, 10) and wait_for_port(self.tls_port, 10)
        assert ok, self.log.read_text()
        return self

    def reload(self) -> None:
        """Send SIGHUP: mosquitto re-reads passwd and ACL and re-checks connected clients."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        """Stop mosquitto."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)


@pytest.fixture
def plant_broker(plant_dir: Path, tmp_path: Path) -> Iterator[PlantBroker]:
    """A running Mosquitto on the generated conf of plant_dir."""
    broker = PlantBroker(plant_dir).start(tmp_path / "broker")
    yield broker
    broker.stop()


class Session:
    """A paho-mqtt 2.x client that records its CONNACK and every message it receives."""

    def __init__(self, user: str | None, password: str | None, client_id: str = "", clean: bool = True) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean, protocol=mqtt.MQTTv311
        )
        if user is not None:
            self.client.username_pw_set(user, password)
        self.connack = threading.Event()
        self.reason: mqtt.ReasonCode | None = None
        self.disconnected = threading.Event()
        self.messages: list[tuple[str, bytes | bytearray]] = []
        self.arrived = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: mqtt.ReasonCode, props: object
    ) -> None:
        self.reason = reason
        self.connack.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        self.disconnected.set()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self.arrived:
            self.messages.append((message.topic, message.payload))
            self.arrived.notify_all()

    def tls(self, ca_file: Path) -> Session:
        """Verify the broker against ca_file (hostname included)."""
        self.client.tls_set(ca_certs=str(ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        return self

    def connect(self, port: int, host: str = "127.0.0.1") -> bool:
        """Connect and wait for the CONNACK; return whether the broker accepted."""
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        assert self.connack.wait(5), "no CONNACK"
        return self.reason is not None and not self.reason.is_failure

    def subscribe(self, *filters: str) -> None:
        """Subscribe at QoS 1 and wait for the SUBACK."""
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe([(f, 1) for f in filters])
        assert done.wait(5), "no SUBACK"

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        """Publish at QoS 1 and wait for the PUBACK."""
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def wait_for(self, topic: str, timeout_s: float = 5) -> bool:
        """Wait until a message on topic has arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: any(t == topic for t, _ in self.messages), timeout_s)

    def topics(self) -> list[str]:
        """Return the topics received so far, in order."""
        with self.arrived:
            return [t for t, _ in self.messages]

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    """Collects sessions a test opens and closes them afterwards."""
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.close()
