"""`tourtrace hub install`: put a provisioned hub in its shipped layout, idempotently.

Layout (under --root, "/" on the hub itself):
  /etc/tourtrace/hub.yaml, hub.password, site.key   settings and secrets, root:tourtrace 0640
  /var/lib/tourtrace-hub/hub.sqlite3                 the database, in the unit's StateDirectory (writable under
                                                     ProtectSystem=strict)
  /opt/tourtrace/venv, /opt/tourtrace/dist           the hub's virtualenv, and the wheelhouse served at /dist/
  /etc/systemd/system/tourtrace-hub.service, mosquitto.service.d/tourtrace.conf
The broker keeps running on the provisioning directory's generated tourtrace.conf (the drop-in points at it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from firmware_config.hub_files import site_key_path
from firmware_config.passwd import write_private
from firmware_config.units import unit_text

USER = "tourtrace"
ETC = Path("/etc/tourtrace")
STATE = Path("/var/lib/tourtrace-hub")
OPT = Path("/opt/tourtrace")
UNITS = Path("/etc/systemd/system")
DROPIN_CONF = "/etc/tourtrace/mosquitto/tourtrace.conf"  # the path the shipped drop-in names


class InstallError(RuntimeError):
    """The hub cannot be installed; the message says what to do."""


@dataclass
class Installer:
    """Installs under root; `done` lists each step as it happened, for the CLI to print."""

    directory: Path
    root: Path = Path("/")
    wheelhouse: Path | None = None
    run: Callable[[list[str]], None] = field(default=lambda argv: None)
    done: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Whether this installs on the running system (users, chown, systemctl) or into a staging root."""
        return self.root.resolve() == Path("/")

    def at(self, path: Path) -> Path:
        """Return where an absolute system path lands under root."""
        return self.root / path.relative_to("/")

    def _owner(self, path: Path, user: str, group: str) -> None:
        if self.live and os.geteuid() == 0 and _user_exists(USER):
            shutil.chown(path, user, group)

    def _write(self, path: Path, text: str, mode: int, group: str = USER) -> None:
        target = self.at(path)
        changed = not target.exists() or target.read_text(encoding="utf-8") != text
        write_private(target, text, mode=mode)
        self._owner(target, "root", group)
        self.done.append(f"{'wrote' if changed else 'kept'} {path}")

    def ensure_user(self) -> None:
        if not self.live:
            self.done.append(f"skipped the {USER} user (--root: create it on the hub itself)")
        elif _user_exists(USER):
            self.done.append(f"kept user {USER}")
        else:
            self.run(["useradd", "--system", "--user-group", "--home-dir", str(STATE), "--shell", "/usr/sbin/nologin",
                      USER])  # fmt: skip
            self.done.append(f"created user {USER}")

    def ensure_dirs(self) -> None:
        for path, mode, owner in ((ETC, 0o755, "root"), (STATE, 0o750, USER), (OPT / "dist", 0o755, "root")):
            target = self.at(path)
            target.mkdir(parents=True, exist_ok=True)
            target.chmod(mode)
            self._owner(target, owner, USER if owner == USER else "root")
        self.done.append(f"directories {ETC}, {STATE} (writable by {USER}), {OPT / 'dist'}")

    def install_settings(self) -> None:
        """Copy the hub's secrets next to hub.yaml and point hub.yaml at them and at the state directory."""
        source = self.directory / "hub" / "hub.yaml"
        if not source.exists():
            raise InstallError(f"{source} not found: run `tourtrace certs init --dir {self.directory} --hub-name …`")
        document: Any = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        password = self.directory / "hub" / "hub.password"
        self._write(ETC / "hub.password", password.read_text(encoding="utf-8"), 0o640)
        document["password_file"] = str(ETC / "hub.password")
        key = site_key_path(self.directory)
        if key.exists():
            self._write(ETC / "site.key", key.read_text(encoding="utf-8"), 0o640)
            document["site_keys"] = {site: str(ETC / "site.key") for site in document.get("site_keys") or {}}
        document["db"] = str(STATE / "hub.sqlite3")
        document["dist_dir"] = str(OPT / "dist")
        header = f"# Installed by `tourtrace hub install --dir {self.directory.resolve()}`; change that and rerun.\n"
        self._write(ETC / "hub.yaml", header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), 0o640)

    def install_units(self) -> None:
        self._write(UNITS / "tourtrace-hub.service", unit_text("tourtrace-hub.service"), 0o644, "root")
        conf = str((self.directory / "mosquitto" / "tourtrace.conf").resolve())
        dropin = unit_text("mosquitto.service.d/tourtrace.conf").replace(DROPIN_CONF, conf)
        self._write(UNITS / "mosquitto.service.d" / "tourtrace.conf", dropin, 0o644, "root")

    def install_venv(self) -> None:
        """Fill the wheelhouse from --wheelhouse and install the hub from it (no package index needed)."""
        dist = self.at(OPT / "dist")
        if self.wheelhouse is not None:
            for wheel in sorted(self.wheelhouse.iterdir()):
                if wheel.is_file() and wheel.name.endswith((".whl", ".tar.gz")):
                    shutil.copy2(wheel, dist / wheel.name)
        if not any(dist.glob("tourtrace-*.whl")):
            self.done.append(
                f"skipped the virtualenv: no tourtrace-*.whl in {OPT / 'dist'} (pass --wheelhouse DIR with the "
                "wheels of tourtrace[hub,edge] and their dependencies; see docs/plant-setup.md)"
            )
            return
        if not self.live:  # a virtualenv records its own absolute path: it cannot be staged elsewhere
            self.done.append(f"skipped the virtualenv (--root): on the hub it is installed from {OPT / 'dist'}")
            return
        venv = self.at(OPT / "venv")
        if not (venv / "bin" / "python").exists():
            self.run([sys.executable, "-m", "venv", str(venv)])
        self.run([str(venv / "bin" / "pip"), "install", "--no-index", "--find-links", str(dist), "tourtrace[hub]"])
        self.done.append(f"installed tourtrace[hub] into {OPT / 'venv'} from {OPT / 'dist'}")

    def enable(self) -> None:
        if not self.live or shutil.which("systemctl") is None:
            self.done.append("then: systemctl daemon-reload && systemctl enable --now tourtrace-hub && "
                             "systemctl restart mosquitto")  # fmt: skip
            return
        self.run(["systemctl", "daemon-reload"])
        self.run(["systemctl", "restart", "mosquitto"])
        self.run(["systemctl", "enable", "--now", "tourtrace-hub"])
        self.done.append("enabled and started tourtrace-hub; restarted mosquitto")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def run_checked(argv: list[str]) -> None:
    """Run a system command; InstallError with its output when it fails."""
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise InstallError(f"{' '.join(argv)} failed: {(result.stderr or result.stdout).strip()}")


def install_hub(directory: Path, root: Path = Path("/"), wheelhouse: Path | None = None) -> list[str]:
    """Install the hub from a provisioning directory under root; return what was done, step by step."""
    installer = Installer(directory, root, wheelhouse, run=run_checked)
    if installer.live and os.geteuid() != 0:
        raise InstallError("run as root (sudo), or stage into a directory with --root DIR")
    installer.ensure_user()
    installer.ensure_dirs()
    installer.install_settings()
    installer.install_units()
    installer.install_venv()
    installer.enable()
    return installer.done
