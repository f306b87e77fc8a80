"""`tourtrace hub install --root DIR`: the shipped layout in a throwaway root, twice (idempotent); /dist/ serves it."""

from __future__ import annotations

import stat
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app
from hub.settings import load_settings
from tourtrace.cli.main import app

WHEEL = "paho_mqtt-2.1.0-py3-none-any.whl"


def install(plant: Path, root: Path, *extra: str) -> list[str]:
    result = CliRunner().invoke(app, ["hub", "install", "--dir", str(plant), "--root", str(root), *extra])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_lays_out_the_hub_idempotently(plant_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    (wheelhouse / WHEEL).write_bytes(b"PK\x03\x04 not really a wheel")
    system_had = Path("/etc/tourtrace/hub.yaml").exists()
    first = install(plant_dir, root, "--wheelhouse", str(wheelhouse))
    assert "✓ wrote /etc/tourtrace/hub.yaml" in first and "✓ wrote /etc/tourtrace/hub.password" in first
    assert any(line.startswith("✓ skipped the tourtrace user (--root") for line in first)
    assert any("skipped the virtualenv: no tourtrace-*.whl" in line for line in first)
    (wheelhouse / "tourtrace-0.1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04")
    second = install(plant_dir, root, "--wheelhouse", str(wheelhouse))
    assert "✓ skipped the virtualenv (--root): on the hub it is installed from /opt/tourtrace/dist" in second
    assert [line for line in second if line.startswith("✓ wrote")] == []
    assert "✓ kept /etc/tourtrace/hub.yaml" in second
    assert Path("/etc/tourtrace/hub.yaml").exists() == system_had, "--root wrote outside the root"

    etc = root / "etc" / "tourtrace"
    settings = load_settings(etc / "hub.yaml", {})
    provisioned = load_settings(plant_dir / "hub" / "hub.yaml", {})
    assert (settings.broker, settings.username) == (provisioned.broker, "hub")
    assert settings.password_file == "/etc/tourtrace/hub.password"
    assert settings.db == "/var/lib/tourtrace-hub/hub.sqlite3" and settings.dist_dir == "/opt/tourtrace/dist"
    assert settings.site_keys == {"demo": "/etc/tourtrace/site.key"}
    assert (etc / "hub.password").read_text() == (plant_dir / "hub" / "hub.password").read_text()
    assert (etc / "site.key").read_text() == (plant_dir / "certs" / "site.key").read_text()
    assert mode(etc / "hub.password") == mode(etc / "site.key") == mode(etc / "hub.yaml") == 0o640
    assert mode(root / "var" / "lib" / "tourtrace-hub") == 0o750

    units = root / "etc" / "systemd" / "system"
    assert (
        "ExecStart=/opt/tourtrace/venv/bin/tourtrace hub serve --config /etc/tourtrace/hub.yaml"
        in (units / "tourtrace-hub.service").read_text()
    )
    conf = (plant_dir / "mosquitto" / "tourtrace.conf").resolve()
    dropin = (units / "mosquitto.service.d" / "tourtrace.conf").read_text()
    assert f"ExecStart=/usr/sbin/mosquitto -c {conf}\n" in dropin

    dist = root / "opt" / "tourtrace" / "dist"
    hub = load_settings(None, {"db": str(tmp_path / "hub.sqlite3"), "dist_dir": str(dist)})
    with TestClient(create_app(hub, with_ingest=False)) as client:
        index = client.get("/dist/")
        assert index.status_code == 200 and f'<a href="{WHEEL}">' in index.text
        assert client.get(f"/dist/{WHEEL}").content == (wheelhouse / WHEEL).read_bytes()
        assert client.get("/dist/hub.yaml").status_code == 404
        assert client.get("/dist/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_install_without_provisioning_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["hub", "install", "--dir", str(tmp_path / "none"), "--root", str(tmp_path)])
    assert result.exit_code == 1 and "tourtrace certs init --dir" in result.output
