"""Render a first-boot script for Raspberry Pi OS Bookworm, which has no cloud-init: the same files as user-data.

Bookworm runs a script from the boot partition once when cmdline.txt says
`systemd.run=/boot/firmware/tourtrace-firstrun.sh systemd.run_success_action=reboot
systemd.unit=kernel-command-line.target` (the mechanism Raspberry Pi Imager's firstrun.sh uses). That runs before
the network is up, so the script only writes files and creates the user; a one-shot unit installs the agent from
the hub's wheelhouse once the network is online, then starts it. The script removes itself and its cmdline.txt
entry. TOURTRACE_ROOT, when set, writes everything under that directory and runs no system command (a dry run).
"""

from __future__ import annotations

import base64
import shlex
from pathlib import Path
from typing import Any

from firmware_config.cloud_init import VENV, pip_install, station_files
from firmware_config.enrol import Layout, check_id

SCRIPT = "/boot/firmware/tourtrace-firstrun.sh"
INSTALL_UNIT = "/etc/systemd/system/tourtrace-install.service"
INSTALL_SCRIPT = "/etc/tourtrace/install-agent.sh"


def install_script(package: str, wheels: str | None) -> str:
    """Return the shell steps that install the agent and hand over to its unit."""
    return f"""\
#!/bin/sh
# Install the TourTrace agent (run once by tourtrace-install.service, after the network is up).
set -e
apt-get install -y libportaudio2 chrony || echo "no Debian mirror: libportaudio2 and chrony skipped"
python3 -m venv {VENV}
{shlex.join(pip_install(package, wheels))}
systemctl disable tourtrace-install.service
systemctl enable --now tourtrace-edge.service
"""


def install_unit() -> str:
    """Return the one-shot unit that installs the agent once the network is up, retrying until it can."""
    return f"""\
# Installs the TourTrace agent at first boot (written by tourtrace-firstrun.sh); retries until the hub answers.
[Unit]
Description=Install the TourTrace station agent
Wants=network-online.target
After=network-online.target
ConditionPathExists=!{VENV}/bin/tourtrace

[Service]
Type=oneshot
ExecStart=/bin/sh {INSTALL_SCRIPT}
Restart=on-failure
RestartSec=30

[Install]
WantedBy=multi-user.target
"""


def _write(entry: dict[str, Any]) -> str:
    owner = entry.get("owner", "root:root")
    encoded = base64.b64encode(entry["content"].encode("utf-8")).decode("ascii")
    path = entry["path"]
    return (
        f'install -d "$R{Path(path).parent}"\n'
        f"base64 -d > \"$R{path}\" <<'TOURTRACE_EOF'\n{encoded}\nTOURTRACE_EOF\n"
        f'chmod {entry["permissions"]} "$R{path}"\n'
        f'[ -n "$R" ] || chown {owner} "{path}"\n'
    )


def render_firstrun(
    directory: Path, station: str, *, package: str = "tourtrace[edge]", wheels: str | None, timezone: str = "Etc/UTC"
) -> str:
    """Return the first-boot script for one provisioned station (it contains the station's password)."""
    check_id(station, "--station")
    files = station_files(Layout(directory), station)
    files.append({"path": INSTALL_SCRIPT, "content": install_script(package, wheels), "permissions": "0755"})
    files.append({"path": INSTALL_UNIT, "content": install_unit(), "permissions": "0644"})
    writes = "".join(_write(entry) for entry in files)
    return f"""\
#!/bin/bash
# TourTrace station {station}: first boot on Raspberry Pi OS Bookworm. Rendered by
# `tourtrace station firstrun --station {station} --dir DIR`; it holds the station's broker password.
# Copy it to the boot partition as tourtrace-firstrun.sh and append to the one line of cmdline.txt:
#   systemd.run={SCRIPT} systemd.run_success_action=reboot systemd.unit=kernel-command-line.target
set -eu
R="${{TOURTRACE_ROOT:-}}"
if [ -z "$R" ]; then
  getent group gpio >/dev/null || groupadd --system gpio
  id tourtrace >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/tourtrace \\
    --shell /usr/sbin/nologin --groups audio,gpio,dialout tourtrace
  install -d -o tourtrace -g tourtrace -m 0750 /var/lib/tourtrace
  ln -sf /usr/share/zoneinfo/{timezone} /etc/localtime && echo {timezone} > /etc/timezone
  echo tt-{station} > /etc/hostname && sed -i 's/^127\\.0\\.1\\.1.*/127.0.1.1\\ttt-{station}/' /etc/hosts
fi
{writes}if [ -z "$R" ]; then
  systemctl enable tourtrace-install.service
  rm -f {SCRIPT}
  sed -i 's| systemd.run=[^ ]*||; s| systemd.run_success_action=[^ ]*||; s| systemd.unit=[^ ]*||' \\
    /boot/firmware/cmdline.txt
fi
exit 0
"""
