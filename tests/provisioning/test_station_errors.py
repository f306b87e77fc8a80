"""`edge run` says what to do: a missing CA names the CA, a refused password names doctor and --rotate,
and two agents with one identity are told so (the broker's "Session taken over")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edge.agent.config import BrokerSettings
from edge.agent.session import MqttSession
from hub.ingest.client import HubClient
from tests.provisioning.conftest import PlantBroker, password_of
from tourtrace.cli.main import app

STATUS = "tourtrace/v1/demo/gate-a/status"


def wait_for(check: object, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def opened() -> Iterator[list[MqttSession]]:
    sessions: list[MqttSession] = []
    yield sessions
    for session in sessions:
        session.stop()


def session(broker: PlantBroker, opened: list[MqttSession], password_file: str, client_id: str) -> MqttSession:
    settings = BrokerSettings(
        url=f"mqtts://localhost:{broker.tls_port}",
        username="demo.gate-a",
        password_file=password_file,
        ca_file=str(broker.directory / "certs" / "ca.crt"),
    )
    made = MqttSession(settings, client_id, lambda: (STATUS, b"{}"), lambda: None, lambda mid: None)
    opened.append(made)
    made.start()
    return made


def test_missing_ca_is_named_not_the_data_dir(tmp_path: Path) -> None:
    config = tmp_path / "station.yaml"
    missing = tmp_path / "ca.crt"
    config.write_text(yaml.safe_dump({
        "site": "demo", "station": "gate-a", "zone": "injection", "data_dir": str(tmp_path / "data"),
        "reader": "udp:127.0.0.1:9", "broker": {"url": "mqtts://localhost:8883", "ca_file": str(missing)},
    }))  # fmt: skip
    result = CliRunner().invoke(app, ["edge", "run", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert f"broker.ca_file: cannot load {missing}" in result.output
    assert "data_dir" not in result.output and "Traceback" not in result.output


def test_refused_password_names_doctor_and_rotate(
    plant_broker: PlantBroker, opened: list[MqttSession], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password")
    refused = session(plant_broker, opened, str(wrong), "tourtrace-demo-gate-a")
    assert wait_for(lambda: refused.last_error), "no CONNACK"
    assert "tourtrace doctor" in refused.last_error and "--rotate" in refused.last_error
    assert str(wrong) in refused.last_error and not refused.connected.is_set()


def test_two_agents_with_one_identity_are_told_so(
    plant_broker: PlantBroker, opened: list[MqttSession], tmp_path: Path
) -> None:
    password = tmp_path / "gate-a.password"
    password.write_text(password_of(plant_broker.directory, "gate-a"))
    first = session(plant_broker, opened, str(password), "tourtrace-demo-gate-a")
    assert first.connected.wait(10)
    second = session(plant_broker, opened, str(password), "tourtrace-demo-gate-a")
    assert second.connected.wait(10)
    assert wait_for(lambda: "another agent" in first.last_error), first.last_error
    assert "with this station's identity (client id tourtrace-demo-gate-a)" in first.last_error


def test_hub_without_credentials_says_why_the_broker_refuses(plant_broker: PlantBroker) -> None:
    states: list[str] = []
    client = HubClient(BrokerSettings(url=f"mqtt://127.0.0.1:{plant_broker.plain_port}", client_id="hub-anon"),
                       on_message=lambda message: None, on_state=lambda up, error: states.append(error))  # fmt: skip
    client.start()
    try:
        assert wait_for(lambda: len(states) >= 2), states  # the refusal, then the disconnect that follows it
        assert all("Not authorized (no username)" in error for error in states), states
        assert "DIR/hub/hub.yaml" in client.last_error
    finally:
        client.stop()
