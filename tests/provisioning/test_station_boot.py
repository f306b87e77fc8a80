"""A station's first boot: cloud-init user-data and the Bookworm first-boot script install from the hub's /dist/."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import yaml
from typer.testing import CliRunner

from edge.agent.config import parse_config
from tests.provisioning.conftest import cli_add, cli_certs
from tourtrace.cli import station_cmd

PIP = "/opt/tourtrace/venv/bin/pip"


def run(*args: str) -> str:
    result = CliRunner().invoke(station_cmd.app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def plant(tmp_path: Path) -> Path:
    directory = tmp_path / "plant"
    cli_certs(directory, "hub.plant.local", "10.0.0.5")
    cli_add(directory, "gate-a")
    return directory


def test_cloud_init_installs_from_the_hubs_wheelhouse(tmp_path: Path) -> None:
    d = plant(tmp_path)
    doc = yaml.safe_load(run("cloud-init", "--station", "gate-a", "--dir", str(d)))
    wheels = [PIP, "install", "--no-index", "--find-links", "http://hub.plant.local:8080/dist/", "tourtrace[edge]"]
    assert wheels in doc["runcmd"]
    assert "gpio" in doc["groups"] and {"audio", "gpio", "dialout"} <= set(doc["users"][1]["groups"])
    indexed = yaml.safe_load(run("cloud-init", "--station", "gate-a", "--dir", str(d), "--from-index"))
    assert [PIP, "install", "tourtrace[edge]"] in indexed["runcmd"] and wheels not in indexed["runcmd"]


def test_bookworm_firstrun_writes_the_same_files_and_an_install_unit(tmp_path: Path) -> None:
    d = plant(tmp_path)
    script = tmp_path / "tourtrace-firstrun.sh"
    output = run("firstrun", "--station", "gate-a", "--dir", str(d), "--out", str(script))
    assert "systemd.run=/boot/firmware/tourtrace-firstrun.sh" in output
    assert stat.S_IMODE(script.stat().st_mode) == 0o700
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0

    root = tmp_path / "root"
    result = subprocess.run(["bash", str(script)], env={**os.environ, "TOURTRACE_ROOT": str(root)},
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    user_data = yaml.safe_load(run("cloud-init", "--station", "gate-a", "--dir", str(d)))
    for entry in user_data["write_files"]:
        written = root / entry["path"].lstrip("/")
        assert written.read_text() == entry["content"], entry["path"]
        assert oct(stat.S_IMODE(written.stat().st_mode)) == oct(int(entry["permissions"], 8)), entry["path"]
    station = parse_config(yaml.safe_load((root / "etc" / "tourtrace" / "station.yaml").read_text()))
    assert station.broker.url == "mqtts://hub.plant.local:8883" and station.site_key_file == "/etc/tourtrace/site.key"
    unit = (root / "etc" / "systemd" / "system" / "tourtrace-install.service").read_text()
    assert "After=network-online.target" in unit and "ExecStart=/bin/sh /etc/tourtrace/install-agent.sh" in unit
    steps = (root / "etc" / "tourtrace" / "install-agent.sh").read_text()
    assert f"{PIP} install --no-index --find-links http://hub.plant.local:8080/dist/ 'tourtrace[edge]'\n" in steps
    assert steps.endswith("systemctl enable --now tourtrace-edge.service\n")
    assert not (root / "boot").exists(), "a dry run must not touch the boot partition"
    if shutil.which("systemd-analyze"):
        unit_file = str(root / "etc/systemd/system/tourtrace-install.service")
        env = {**os.environ, "SYSTEMD_LOG_LEVEL": "notice"}
        verify = subprocess.run(["systemd-analyze", "verify", unit_file], capture_output=True, text=True, env=env)
        assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
