"""Enrol and revoke stations in a provisioning directory: station.yaml, password, broker passwd/ACL/conf."""

from __future__ import annotations

import grp
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from edge.agent.config import parse_config
from firmware_config.broker_files import HUB_USER, render_acl, render_conf, station_user
from firmware_config.certs import CertPaths
from firmware_config.hub_files import site_key_path, write_hub_yaml
from firmware_config.passwd import (
    hash_password,
    new_password,
    read_passwd,
    verify_password,
    write_passwd,
    write_private,
)
from firmware_config.site_options import BrokerOptions, load_options
from protocol.topics import ID_RE

DEFAULT_DATA_DIR = "/var/lib/tourtrace"


class EnrolError(ValueError):
    """Provisioning cannot proceed; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    """Where everything lives inside a provisioning directory."""

    root: Path

    @property
    def stations(self) -> Path:
        return self.root / "stations"

    @property
    def mosquitto(self) -> Path:
        return self.root / "mosquitto"

    @property
    def passwd(self) -> Path:
        return self.mosquitto / "passwd"

    @property
    def acl(self) -> Path:
        return self.mosquitto / "acl"

    @property
    def conf(self) -> Path:
        return self.mosquitto / "tourtrace.conf"

    @property
    def hub_password(self) -> Path:
        return self.root / "hub" / "hub.password"

    def station_yaml(self, station: str) -> Path:
        return self.stations / f"{station}.yaml"

    def station_password(self, station: str) -> Path:
        return self.stations / f"{station}.password"


@dataclass(frozen=True)
class Enrolment:
    config_path: Path
    password_file: Path
    username: str
    password: str | None
    hub_password: str | None
    tls: bool


def check_id(value: str, flag: str) -> None:
    """Raise EnrolError unless value is a valid site/station id."""
    if not ID_RE.fullmatch(value):
        raise EnrolError(
            f"{flag} {value!r}: expected lower-case letters, digits and '-', 1-32 chars ([a-z0-9][a-z0-9-]{{0,31}})"
        )


def _prepare(layout: Layout) -> None:
    try:
        for folder in (layout.stations, layout.mosquitto, layout.hub_password.parent):
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("")
            probe.unlink()
    except OSError as exc:
        raise EnrolError(
            f"cannot write to {exc.filename or layout.root}: {exc.strerror} "
            "(choose another --dir or fix its permissions)"
        ) from None


def _default_broker_url(layout: Layout, options: BrokerOptions) -> str:
    url = options.station_url()
    if not CertPaths.in_dir(layout.root).complete():
        raise EnrolError(
            f"no broker certificates in {layout.root / 'certs'}: run `tourtrace certs init --dir {layout.root} "
            "--hub-name HOST` first, or pass --broker-url mqtt(s)://HOST:PORT"
        )
    if url is None:
        raise EnrolError(
            f"{layout.root} has certificates but no {layout.root / 'provision.yaml'} naming the hub (made by an "
            f"older version): rerun `tourtrace certs init --dir {layout.root} --hub-name HOST …` (the CA is kept)"
        )
    return url


def _group_for_broker(paths: list[Path]) -> None:
    """Let the mosquitto group read the broker files when running as root on the hub."""
    if os.geteuid() != 0:
        return
    try:
        grp.getgrnam("mosquitto")
    except KeyError:
        return
    for path in paths:
        if path.exists():
            shutil.chown(path, group="mosquitto")


def write_broker_files(layout: Layout, entries: dict[str, str]) -> None:
    """Write passwd, acl, tourtrace.conf and hub.yaml with the remembered options of the directory."""
    options = load_options(layout.root)
    write_passwd(layout.passwd, entries)
    write_private(layout.acl, render_acl(list(entries)), mode=0o640)
    tls = CertPaths.in_dir(layout.root).complete()
    write_private(layout.conf, render_conf(layout.root.resolve(), tls=tls, options=options), mode=0o644)
    _group_for_broker([layout.passwd, layout.acl, CertPaths.in_dir(layout.root).server_key])
    write_hub_yaml(layout.root, options)


def _ensure_password(entries: dict[str, str], user: str, file: Path, rotate: bool) -> str | None:
    """Keep the user's password when its file still matches the hash; else make a new one. Return a new one."""
    if not rotate and user in entries and file.exists():
        kept = file.read_text(encoding="utf-8").strip()
        if verify_password(kept, entries[user]):
            return None
    password = new_password()
    entries[user] = hash_password(password)
    write_private(file, password, mode=0o600)
    return password


def station_document(
    layout: Layout, site: str, station: str, zone: str, broker_url: str, options: dict[str, str | None]
) -> dict[str, Any]:
    """Return the station.yaml document for a station in this directory."""
    root = layout.root.resolve()
    ca = CertPaths.in_dir(root).ca_cert
    doc: dict[str, Any] = {"site": site, "station": station, "zone": zone}
    doc.update({k: v for k, v in options.items() if v is not None})
    doc["broker"] = {
        "url": broker_url,
        "username": station_user(site, station),
        "password_file": str(layout.station_password(station).resolve()),
    }
    if broker_url.startswith("mqtts://") and ca.exists():
        doc["broker"]["ca_file"] = str(ca)
    if site_key_path(root).exists():
        doc["site_key_file"] = str(site_key_path(root))
    return doc


def add_station(
    directory: Path,
    site: str,
    station: str,
    zone: str,
    *,
    broker_url: str | None = None,
    reader: str | None = None,
    audio: str | None = None,
    model: str | None = None,
    data_dir: str = DEFAULT_DATA_DIR,
    rotate: bool = False,
) -> Enrolment:
    """Write DIR/stations/ID.yaml + password and update DIR/mosquitto; idempotent, password kept unless rotate."""
    check_id(site, "--site")
    check_id(station, "--station")
    layout = Layout(directory)
    config_path = layout.station_yaml(station)
    if config_path.exists():
        existing = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        if isinstance(existing, dict) and existing.get("site") not in (None, site):
            raise EnrolError(
                f"station {station!r} already belongs to site {existing['site']!r} in {directory}: "
                f"remove it first (`tourtrace station remove --station {station} --dir {directory}`) "
                "or use another --dir"
            )
    url = broker_url or _default_broker_url(layout, load_options(layout.root))
    options = {"data_dir": data_dir, "reader": reader or "usb", "audio": audio, "model": model}
    document = station_document(layout, site, station, zone, url, options)
    parse_config(document, str(config_path))
    _prepare(layout)
    entries = read_passwd(layout.passwd)
    hub_password = _ensure_password(entries, HUB_USER, layout.hub_password, rotate=False)
    user = station_user(site, station)
    password = _ensure_password(entries, user, layout.station_password(station), rotate)
    header = f"# TourTrace station {site}/{station}, written by `tourtrace station add`.\n"
    write_private(config_path, header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), mode=0o644)
    write_broker_files(layout, entries)
    tls = url.startswith("mqtts://")
    return Enrolment(config_path, layout.station_password(station), user, password, hub_password, tls)


def refresh_broker(directory: Path) -> str | None:
    """Create the hub's broker user on first run and rewrite passwd/acl/conf; return a new hub password."""
    layout = Layout(directory)
    _prepare(layout)
    entries = read_passwd(layout.passwd)
    hub_password = _ensure_password(entries, HUB_USER, layout.hub_password, rotate=False)
    write_broker_files(layout, entries)
    return hub_password


def remove_station(directory: Path, station: str) -> str:
    """Revoke a station: drop its broker user and ACL block, delete its yaml and password; return the username."""
    check_id(station, "--station")
    layout = Layout(directory)
    entries = read_passwd(layout.passwd)
    users = [u for u in entries if u.partition(".")[2] == station]
    if not users and not layout.station_yaml(station).exists():
        raise EnrolError(f"station {station!r} is not provisioned in {directory} (see {layout.stations})")
    _prepare(layout)
    for user in users:
        del entries[user]
    write_broker_files(layout, entries)
    layout.station_yaml(station).unlink(missing_ok=True)
    layout.station_password(station).unlink(missing_ok=True)
    return ", ".join(users) or station
