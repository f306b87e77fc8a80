"""`tourtrace station add|remove|cloud-init` and `certs init` through CliRunner, on real files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from cryptography import x509
from typer.testing import CliRunner

from edge.agent.config import load_config, parse_config
from firmware_config.certs import server_names
from firmware_config.passwd import hash_password, read_passwd, verify_password
from tests.provisioning.conftest import cli_add, cli_certs, password_of
from tourtrace.cli import certs_cmd, station_cmd


def add(directory: Path, station: str = "a", site: str = "demo", url: str = "mqtt://h:1") -> tuple[int, str]:
    extra = ["--broker-url", url] if url else []
    return run("add", "--site", site, "--station", station, "--zone", "z", "--dir", str(directory), *extra)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(station_cmd.app, list(args))
    return result.exit_code, result.output


def test_add_writes_valid_config_and_prints_password_once(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    cli_certs(d, "hub.plant.local", "10.0.0.5")
    first = cli_add(d, "gate-a", "--model", "/opt/vosk", "--audio", "sounddevice:default")
    config = load_config(d / "stations" / "gate-a.yaml")
    assert (config.site, config.station, config.zone) == ("demo", "gate-a", "injection")
    assert config.broker.url == "mqtts://hub.plant.local:8883"
    assert config.broker.username == "demo.gate-a"
    assert config.broker.ca_file == str((d / "certs" / "ca.crt").resolve())
    assert (config.model, config.audio) == ("/opt/vosk", "sounddevice:default")
    password = Path(config.broker.password_file or "").read_text()
    assert password in first
    assert (d / "stations" / "gate-a.password").stat().st_mode & 0o077 == 0
    second = cli_add(d, "gate-a")
    assert password not in second and "password unchanged" in second


def test_rerun_is_idempotent_and_rotate_changes_password(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    cli_add(d, "gate-a", "--broker-url", "mqtt://127.0.0.1:1883")
    before = {name: (d / "mosquitto" / name).read_text() for name in ("passwd", "acl", "tourtrace.conf")}
    cli_add(d, "gate-a", "--broker-url", "mqtt://127.0.0.1:1883")
    after = {name: (d / "mosquitto" / name).read_text() for name in ("passwd", "acl", "tourtrace.conf")}
    assert after == before
    assert after["acl"].count("user demo.gate-a\n") == 1
    assert list(read_passwd(d / "mosquitto" / "passwd")) == ["hub", "demo.gate-a"]
    old = password_of(d, "gate-a")
    hub = password_of(d, "hub")
    cli_add(d, "gate-a", "--broker-url", "mqtt://127.0.0.1:1883", "--rotate")
    new = password_of(d, "gate-a")
    entries = read_passwd(d / "mosquitto" / "passwd")
    assert (
        new != old and verify_password(new, entries["demo.gate-a"]) and not verify_password(old, entries["demo.gate-a"])
    )
    assert password_of(d, "hub") == hub


def test_passwd_hash_matches_mosquitto_passwd(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "alice", "s3cret"], check=True)
    theirs = read_passwd(path)["alice"]
    assert theirs.startswith("$7$") and verify_password("s3cret", theirs) and not verify_password("other", theirs)
    salt_b64 = theirs.split("$")[3]
    import base64

    ours = hash_password("s3cret", iterations=int(theirs.split("$")[2]), salt=base64.b64decode(salt_b64))
    assert ours == theirs


def test_bad_ids_and_unwritable_dir_give_clear_errors(tmp_path: Path) -> None:
    code, out = run(
        "add",
        "--site",
        "demo",
        "--station",
        "Gate A",
        "--zone",
        "z",
        "--dir",
        str(tmp_path),
        "--broker-url",
        "mqtt://h:1",
    )
    assert code == 1 and "--station 'Gate A'" in out and "Traceback" not in out
    code, out = run(
        "add", "--site", "de/mo", "--station", "a", "--zone", "z", "--dir", str(tmp_path), "--broker-url", "mqtt://h:1"
    )
    assert code == 1 and "--site 'de/mo'" in out
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, out = run(
        "add",
        "--site",
        "demo",
        "--station",
        "a",
        "--zone",
        "z",
        "--dir",
        str(blocker / "sub"),
        "--broker-url",
        "mqtt://h:1",
    )
    assert code == 1 and "cannot write to" in out
    code, out = add(tmp_path / "p", url="")
    assert code == 1 and "tourtrace certs init" in out
    code, out = run(
        "add",
        "--site",
        "demo",
        "--station",
        "a",
        "--zone",
        "z",
        "--dir",
        str(tmp_path / "p"),
        "--broker-url",
        "http://h",
    )
    assert code == 2 and "broker.url:" in out
    assert not (tmp_path / "p" / "stations" / "a.yaml").exists()


def test_same_station_id_of_another_site_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    cli_add(d, "gate-a", "--broker-url", "mqtt://127.0.0.1:1883")
    code, out = run(
        "add", "--site", "other", "--station", "gate-a", "--zone", "z", "--dir", str(d), "--broker-url", "mqtt://h:1"
    )
    assert code == 1 and "already belongs to site 'demo'" in out


def test_remove_revokes_and_unknown_station_errors(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    cli_add(d, "gate-a", "--broker-url", "mqtt://127.0.0.1:1883")
    cli_add(d, "gate-b", "--broker-url", "mqtt://127.0.0.1:1883")
    code, out = run("remove", "--station", "gate-a", "--dir", str(d))
    assert code == 0, out
    assert list(read_passwd(d / "mosquitto" / "passwd")) == ["hub", "demo.gate-b"]
    acl = (d / "mosquitto" / "acl").read_text()
    assert "gate-a" not in acl and "user demo.gate-b" in acl
    assert not (d / "stations" / "gate-a.password").exists()
    code, out = run("remove", "--station", "gate-a", "--dir", str(d))
    assert code == 1 and "not provisioned" in out


def test_certs_init_keeps_ca_and_reissues_on_new_names(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    cli_certs(d, "hub.plant.local", "192.0.2.10")
    ca = (d / "certs" / "ca.crt").read_bytes()
    server = (d / "certs" / "server.crt").read_bytes()
    assert set(server_names(d / "certs" / "server.crt")) == {"hub.plant.local", "192.0.2.10"}
    cli_certs(d, "hub.plant.local", "192.0.2.10")
    assert (d / "certs" / "server.crt").read_bytes() == server
    cli_certs(d, "hub2.plant.local")
    assert (d / "certs" / "ca.crt").read_bytes() == ca
    cert = x509.load_pem_x509_certificate((d / "certs" / "server.crt").read_bytes())
    assert server_names(d / "certs" / "server.crt") == ("hub2.plant.local",)
    assert cert.issuer == x509.load_pem_x509_certificate(ca).subject
    assert "listener 8883" in (d / "mosquitto" / "tourtrace.conf").read_text()
    result = CliRunner().invoke(certs_cmd.app, ["init", "--dir", str(d), "--hub-name", "bad_name!"])
    assert result.exit_code == 1 and "not a DNS name or IP address" in result.output


def test_cloud_init_embeds_station_with_on_device_paths(tmp_path: Path) -> None:
    d = tmp_path / "plant"
    cli_certs(d, "hub.plant.local")
    cli_add(d, "gate-a")
    out = tmp_path / "user-data"
    code, text = run("cloud-init", "--station", "gate-a", "--dir", str(d), "--out", str(out))
    assert code == 0, text
    body = out.read_text()
    assert body.startswith("#cloud-config\n")
    doc = yaml.safe_load(body)
    files = {f["path"]: f for f in doc["write_files"]}
    station = parse_config(yaml.safe_load(files["/etc/tourtrace/station.yaml"]["content"]))
    assert station.broker.password_file == "/etc/tourtrace/station.password"
    assert station.broker.ca_file == "/etc/tourtrace/ca.crt"
    assert files["/etc/tourtrace/station.password"]["content"] == password_of(d, "gate-a")
    assert files["/etc/tourtrace/ca.crt"]["content"] == (d / "certs" / "ca.crt").read_text()
    assert station.site_key_file == "/etc/tourtrace/site.key"
    assert files["/etc/tourtrace/site.key"]["content"] == (d / "certs" / "site.key").read_text()
    assert files["/etc/tourtrace/site.key"]["permissions"] == "0640"
    assert "Type=notify" in files["/etc/systemd/system/tourtrace-edge.service"]["content"]
    assert ["systemctl", "enable", "--now", "chrony.service", "tourtrace-edge.service"] in doc["runcmd"]
    assert doc["hostname"] == "tt-gate-a"
    code, text = run("cloud-init", "--station", "nope", "--dir", str(d))
    assert code == 1 and "not provisioned" in text
