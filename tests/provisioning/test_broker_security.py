"""A real Mosquitto on the generated conf enforces authentication, the ACL, TLS and revocation."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.provisioning.conftest import PlantBroker, Session, cli_add, cli_certs, password_of
from tests.waiting import wait_until
from tourtrace.cli import station_cmd

T = "tourtrace/v1/demo"


def open_session(sessions: list[Session], port: int, user: str | None, password: str | None) -> Session:
    session = Session(user, password)
    sessions.append(session)
    session.connect(port)
    return session


def test_anonymous_connect_is_refused(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    session = open_session(sessions, plant_broker.plain_port, None, None)
    assert session.reason is not None and session.reason.is_failure
    assert session.reason.getName() == "Not authorized"


def test_wrong_password_is_refused_right_one_accepted(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    wrong = open_session(sessions, plant_broker.plain_port, "demo.gate-a", "not-the-password")
    assert wrong.reason is not None and wrong.reason.is_failure
    right = open_session(
        sessions, plant_broker.plain_port, "demo.gate-a", password_of(plant_broker.directory, "gate-a")
    )
    assert right.reason is not None and not right.reason.is_failure


def test_station_cannot_publish_into_another_station(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    d = plant_broker.directory
    hub = open_session(sessions, plant_broker.plain_port, "hub", password_of(d, "hub"))
    hub.subscribe("tourtrace/v1/#")
    a = open_session(sessions, plant_broker.plain_port, "demo.gate-a", password_of(d, "gate-a"))
    a.publish(f"{T}/gate-b/tap", "forged")
    a.publish("tourtrace/v1/other-site/gate-a/tap", "forged")
    a.publish(f"{T}/gate-a/tap", "real")
    assert hub.wait_for(f"{T}/gate-a/tap")  # sent last: a forged tap let through would have come before it
    assert hub.topics() == [f"{T}/gate-a/tap"]


def test_station_reads_only_its_own_config(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    d = plant_broker.directory
    hub = open_session(sessions, plant_broker.plain_port, "hub", password_of(d, "hub"))
    hub.publish(f"{T}/gate-b/config", '{"rev": 1}', retain=True)
    hub.publish(f"{T}/gate-a/config", '{"rev": 1}', retain=True)
    a = open_session(sessions, plant_broker.plain_port, "demo.gate-a", password_of(d, "gate-a"))
    a.subscribe(f"{T}/gate-b/config", f"{T}/gate-b/tap", "tourtrace/v1/#")
    b = open_session(sessions, plant_broker.plain_port, "demo.gate-b", password_of(d, "gate-b"))
    b.publish(f"{T}/gate-b/tap", "b's tap")
    hub.publish(f"{T}/gate-b/config", '{"rev": 2}')
    hub.publish(f"{T}/gate-a/config", '{"rev": 2}')
    wait_until(lambda: (f"{T}/gate-a/config", b'{"rev": 2}') in a.messages, 5, "the live rev 2, sent last")
    assert set(a.topics()) == {f"{T}/gate-a/config"}
    assert len(a.topics()) == 2  # the retained rev 1 and the live rev 2, via the wildcard subscription


def test_station_cannot_write_config_of_another(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    d = plant_broker.directory
    b = open_session(sessions, plant_broker.plain_port, "demo.gate-b", password_of(d, "gate-b"))
    b.subscribe(f"{T}/gate-b/config")
    a = open_session(sessions, plant_broker.plain_port, "demo.gate-a", password_of(d, "gate-a"))
    a.publish(f"{T}/gate-b/config", '{"rev": 99}')
    hub = open_session(sessions, plant_broker.plain_port, "hub", password_of(d, "hub"))
    hub.publish(f"{T}/gate-b/config", '{"rev": 3}')
    assert b.wait_for(f"{T}/gate-b/config")  # sent after the forged one, which would have come first
    assert [p for _, p in b.messages] == [b'{"rev": 3}']


def test_tls_with_generated_ca_works_and_wrong_ca_fails(
    plant_broker: PlantBroker, sessions: list[Session], tmp_path: Path
) -> None:
    d = plant_broker.directory
    good = Session("demo.gate-a", password_of(d, "gate-a")).tls(d / "certs" / "ca.crt")
    sessions.append(good)
    assert good.connect(plant_broker.tls_port, host="localhost")
    good.subscribe(f"{T}/gate-a/config")
    good.publish(f"{T}/gate-a/status", "online")
    other = tmp_path / "other-plant"
    cli_certs(other, "localhost")
    wrong = Session("demo.gate-a", password_of(d, "gate-a")).tls(other / "certs" / "ca.crt")
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        wrong.connect(plant_broker.tls_port, host="localhost")


def test_plain_port_listens_on_loopback_only(plant_dir: Path) -> None:
    conf = (plant_dir / "mosquitto" / "tourtrace.conf").read_text()
    assert "listener 1883 127.0.0.1\n" in conf
    assert "allow_anonymous false\n" in conf
    assert "max_queued_messages 1000000\n" in conf


def test_removed_station_is_locked_out_after_reload(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    d = plant_broker.directory
    a_password = password_of(d, "gate-a")
    connected = open_session(sessions, plant_broker.plain_port, "demo.gate-a", a_password)
    assert connected.reason is not None and not connected.reason.is_failure
    result = CliRunner().invoke(station_cmd.app, ["remove", "--station", "gate-a", "--dir", str(d)])
    assert result.exit_code == 0, result.output
    assert not (d / "stations" / "gate-a.yaml").exists()
    plant_broker.reload()
    assert connected.disconnected.wait(5), "the revoked station's live session survived the reload"
    connected.client.loop_stop()
    again = open_session(sessions, plant_broker.plain_port, "demo.gate-a", a_password)
    assert again.reason is not None and again.reason.is_failure
    b = open_session(sessions, plant_broker.plain_port, "demo.gate-b", password_of(d, "gate-b"))
    assert b.reason is not None and not b.reason.is_failure


def _accepts(plant_broker: PlantBroker, username: str, password: str) -> bool:
    session = Session(username, password)
    try:
        return session.connect(plant_broker.plain_port)
    finally:
        session.close()


def test_station_added_later_gets_in_after_reload(plant_broker: PlantBroker, sessions: list[Session]) -> None:
    d = plant_broker.directory
    cli_add(d, "gate-c")
    plant_broker.reload()
    wait_until(lambda: _accepts(plant_broker, "demo.gate-c", password_of(d, "gate-c")), 10, "the reload")
    c = open_session(sessions, plant_broker.plain_port, "demo.gate-c", password_of(d, "gate-c"))
    assert c.reason is not None and not c.reason.is_failure


def test_broker_queues_more_than_default_1000_for_an_offline_hub(plant_broker: PlantBroker) -> None:
    d = plant_broker.directory
    hub = Session("hub", password_of(d, "hub"), client_id="tourtrace-hub", clean=False)
    assert hub.connect(plant_broker.plain_port)
    hub.subscribe(f"{T}/+/tap")
    hub.close()
    hub.client.loop_stop()
    station = Session("demo.gate-a", password_of(d, "gate-a"))
    assert station.connect(plant_broker.plain_port)
    for i in range(1500):
        station.client.publish(f"{T}/gate-a/tap", str(i), qos=1)
    station.publish(f"{T}/gate-a/tap", "last")
    station.close()
    hub.connack.clear()
    assert hub.connect(plant_broker.plain_port)
    try:
        with hub.arrived:
            assert hub.arrived.wait_for(lambda: len(hub.messages) >= 1501, 10), len(hub.messages)
    finally:
        hub.close()


def test_station_reads_its_acks_but_cannot_forge_config_or_acks(
    plant_broker: PlantBroker, sessions: list[Session]
) -> None:
    d = plant_broker.directory
    a = open_session(sessions, plant_broker.plain_port, "demo.gate-a", password_of(d, "gate-a"))
    a.subscribe(f"{T}/gate-a/config", f"{T}/gate-a/ack")
    a.publish(f"{T}/gate-a/config", '{"rev": 99}')
    a.publish(f"{T}/gate-a/ack", '{"forged": true}')
    hub = open_session(sessions, plant_broker.plain_port, "hub", password_of(d, "hub"))
    hub.publish(f"{T}/gate-a/ack", '{"v":1,"kind":"ack","ids":[]}')
    assert a.wait_for(f"{T}/gate-a/ack")  # sent after the forged ones, which would have come first
    assert a.messages == [(f"{T}/gate-a/ack", b'{"v":1,"kind":"ack","ids":[]}')]
