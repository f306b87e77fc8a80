"""Render cloud-init user-data that installs the agent on a fresh Raspberry Pi OS / Debian and enrols a station."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml

from edge.agent.config import ConfigError, load_config
from firmware_config.enrol import EnrolError, Layout, check_id
from firmware_config.units import UnitMissing, unit_text

HERE = Path(__file__).parent
TEMPLATE = HERE / "cloud-init.user-data.yaml"
ETC = "/etc/tourtrace"
VENV = "/opt/tourtrace/venv"


class _BlockDumper(yaml.SafeDumper):
    """Dump multi-line strings (embedded files) as readable literal blocks."""


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_block)


def _file(path: str, content: str, permissions: str, owner: str = "root:root") -> dict[str, Any]:
    # defer: written in the final stage, after the tourtrace user and the packages exist.
    return {"path": path, "content": content, "permissions": permissions, "owner": owner, "defer": True}


def _substitute(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        return string.Template(node).substitute(values)
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    return node


def station_files(layout: Layout, station: str) -> list[dict[str, Any]]:
    """Return the write_files entries: station.yaml with on-device paths, password, CA, udev, modprobe, unit."""
    config_path = layout.station_yaml(station)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise EnrolError(f"station {station!r} is not provisioned or invalid: {'; '.join(exc.errors)}") from None
    document = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    broker = document["broker"]
    files = []
    if config.broker.password_file:
        broker["password_file"] = f"{ETC}/station.password"
        try:
            password = config.broker.read_password() or ""
        except ConfigError as exc:
            raise EnrolError(exc.errors[0]) from None
        files.append(_file(broker["password_file"], password, "0640", "root:tourtrace"))
    if config.broker.ca_file:
        broker["ca_file"] = f"{ETC}/ca.crt"
        files.append(_file(broker["ca_file"], Path(config.broker.ca_file).read_text(encoding="utf-8"), "0644"))
    if config.site_key_file:
        document["site_key_file"] = f"{ETC}/site.key"
        key = Path(config.site_key_file).read_text(encoding="utf-8")
        files.append(_file(document["site_key_file"], key, "0640", "root:tourtrace"))
    station_yaml = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    files.insert(0, _file(f"{ETC}/station.yaml", station_yaml, "0640", "root:tourtrace"))
    try:
        edge_unit = unit_text("tourtrace-edge.service")
    except UnitMissing as exc:
        raise EnrolError(str(exc)) from None
    files += [
        _file("/etc/udev/rules.d/99-tourtrace-nfc.rules", (HERE / "99-tourtrace-nfc.rules").read_text(), "0644"),
        _file(
            "/etc/modprobe.d/blacklist-tourtrace-nfc.conf", (HERE / "blacklist-tourtrace-nfc.conf").read_text(), "0644"
        ),
        _file("/etc/systemd/system/tourtrace-edge.service", edge_unit, "0644"),
    ]
    return files


def pip_install(package: str, wheels: str | None) -> list[str]:
    """Return the pip command that installs the agent: from the hub's wheelhouse, or the package index."""
    pip = f"{VENV}/bin/pip"
    return [pip, "install", "--no-index", "--find-links", wheels, package] if wheels else [pip, "install", package]


def render_user_data(
    directory: Path,
    station: str,
    *,
    package: str = "tourtrace[edge]",
    timezone: str = "Etc/UTC",
    wheels: str | None = None,
) -> str:
    """Return the #cloud-config document for one provisioned station (it contains the station's password)."""
    check_id(station, "--station")
    layout = Layout(directory)
    files = station_files(layout, station)
    site = load_config(layout.station_yaml(station)).site
    values = {"site": site, "station": station, "package": package, "timezone": timezone}
    text = TEMPLATE.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    document = _substitute(yaml.safe_load(text), values)
    document["write_files"] = files
    document["runcmd"] = [pip_install(package, wheels) if step == pip_install(package, None) else step
                          for step in document["runcmd"]]  # fmt: skip
    body = yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=1000)
    return string.Template(header).substitute(values) + body
