"""certs init's broker options are remembered: station add, remove and a later certs init keep them everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tests.provisioning.conftest import cli_add
from tourtrace.cli.main import app


def certs(directory: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["certs", "init", "--dir", str(directory), *args])
    return result.exit_code, result.output


def files(directory: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    conf = (directory / "mosquitto" / "tourtrace.conf").read_text()
    hub = yaml.safe_load((directory / "hub" / "hub.yaml").read_text())
    station = yaml.safe_load((directory / "stations" / "gate-a.yaml").read_text())
    return conf, hub, station


def test_options_survive_every_later_rewrite(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    ports = ("--mqtt-port", "11883", "--mqtts-port", "18883")
    code, out = certs(d, "--hub-name", "10.0.0.5", "--hub-name", "hub.plant.local", *ports, "--bind", "10.0.0.5",
                      "--persistence-dir", "/srv/mosquitto/")  # fmt: skip
    assert code == 0, out
    assert "stations connect to mqtts://10.0.0.5:18883: 10.0.0.5 must be reachable from them" in out
    cli_add(d, "gate-a")
    cli_add(d, "gate-b")
    CliRunner().invoke(app, ["station", "remove", "--station", "gate-b", "--dir", str(d)])
    code, out = certs(d, "--hub-name", "10.0.0.5", "--hub-name", "hub.plant.local")  # no port options this time
    assert code == 0, out
    conf, hub, station = files(d)
    assert "listener 11883 127.0.0.1\n" in conf and "listener 18883 10.0.0.5\n" in conf
    assert "persistence_location /srv/mosquitto/\n" in conf and "1883 " not in conf.replace("11883 ", "")
    assert hub["broker"] == "mqtt://127.0.0.1:11883" and hub["http"] == "10.0.0.5:8080"
    assert station["broker"]["url"] == "mqtts://10.0.0.5:18883"  # the first --hub-name, not the cert's DNS name


def test_defaults_are_todays_and_hub_yaml_keeps_what_a_user_added(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    assert certs(d, "--hub-name", "hub.plant.local")[0] == 0
    conf = (d / "mosquitto" / "tourtrace.conf").read_text()
    assert "listener 1883 127.0.0.1\n" in conf and "listener 8883\n" in conf
    assert "persistence_location /var/lib/mosquitto/\n" in conf
    hub_yaml = d / "hub" / "hub.yaml"
    document = yaml.safe_load(hub_yaml.read_text())
    assert document["site_keys"] == {} and document["http"] == "0.0.0.0:8080"
    document.update(http="127.0.0.1:9090", notify={"sales": {"kind": "wecom", "url": "https://example.com/h"}})
    document["broker"] = "mqtt://elsewhere:1"
    hub_yaml.write_text(yaml.safe_dump(document))
    cli_add(d, "gate-a")
    after = yaml.safe_load(hub_yaml.read_text())
    assert after["http"] == "127.0.0.1:9090" and after["notify"] == document["notify"]
    assert after["broker"] == "mqtt://127.0.0.1:1883"  # provisioning's own key is rewritten
    assert after["site_keys"] == {"demo": str((d / "certs" / "site.key").resolve())}


def test_bad_options_are_refused_with_the_flag(tmp_path: Path) -> None:
    for args, message in (
        (("--mqtt-port", "8883"), "--mqtt-port and --mqtts-port are both 8883"),
        (("--mqtts-port", "70000"), "--mqtts-port 70000: expected a TCP port 1-65535"),
        (("--bind", "hub.local"), "--bind 'hub.local': expected an IP address"),
        (("--persistence-dir", "queue"), "--persistence-dir 'queue': expected an absolute directory"),
    ):
        code, out = certs(tmp_path / "plant", "--hub-name", "hub.plant.local", *args)
        assert code == 1 and message in out, out
    assert not (tmp_path / "plant" / "provision.yaml").exists()
