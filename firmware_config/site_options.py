"""The broker options `certs init` was given (ports, bind address, persistence), kept in DIR/provision.yaml.

Every later rewrite (`station add`, `station remove`, `certs init` again) reads them back, so the broker config,
the station URLs and hub.yaml keep the ports and names the plant chose instead of falling back to defaults.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from firmware_config.passwd import write_private

OPTIONS_FILE = "provision.yaml"
DEFAULT_MQTT_PORT = 1883
DEFAULT_MQTTS_PORT = 8883
DEFAULT_PERSISTENCE_DIR = "/var/lib/mosquitto/"


class OptionsError(ValueError):
    """A provisioning option or file is invalid; the message names the flag or the file."""


@dataclass(frozen=True)
class BrokerOptions:
    """Where the plant broker listens and keeps its queue; hub_names[0] is the name stations connect to."""

    hub_names: tuple[str, ...] = ()
    mqtt_port: int = DEFAULT_MQTT_PORT
    mqtts_port: int = DEFAULT_MQTTS_PORT
    bind: str | None = None  # address of the TLS listener; None listens on every interface
    persistence_dir: str = DEFAULT_PERSISTENCE_DIR

    @property
    def station_host(self) -> str | None:
        """Return the name stations use to reach the hub (the first --hub-name), None before `certs init`."""
        return self.hub_names[0] if self.hub_names else None

    def station_url(self) -> str | None:
        """Return the mqtts:// URL stations connect to, None before `certs init`."""
        host = self.station_host
        if host is None:
            return None
        return f"mqtts://{_url_host(host)}:{self.mqtts_port}"

    def hub_url(self) -> str:
        """Return the URL the hub uses: the plain listener on this host's loopback."""
        return f"mqtt://127.0.0.1:{self.mqtt_port}"


def _url_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def check_options(options: BrokerOptions) -> BrokerOptions:
    """Raise OptionsError for a port out of range, equal ports, a bad bind address or a relative directory."""
    for flag, port in (("--mqtt-port", options.mqtt_port), ("--mqtts-port", options.mqtts_port)):
        if not 0 < port < 65536:
            raise OptionsError(f"{flag} {port}: expected a TCP port 1-65535")
    if options.mqtt_port == options.mqtts_port:
        raise OptionsError(f"--mqtt-port and --mqtts-port are both {options.mqtt_port}: give two different ports")
    if options.bind is not None:
        try:
            ipaddress.ip_address(options.bind)
        except ValueError:
            raise OptionsError(f"--bind {options.bind!r}: expected an IP address of this host, e.g. 10.0.0.5") from None
    if not options.persistence_dir.startswith("/"):
        raise OptionsError(f"--persistence-dir {options.persistence_dir!r}: expected an absolute directory")
    return options


def load_options(directory: Path) -> BrokerOptions:
    """Return the remembered options of a provisioning directory (defaults when there are none yet)."""
    path = directory / OPTIONS_FILE
    if not path.exists():
        return BrokerOptions()
    try:
        stored: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        options = BrokerOptions(
            hub_names=tuple(str(n) for n in stored.get("hub_names") or ()),
            mqtt_port=int(stored.get("mqtt_port", DEFAULT_MQTT_PORT)),
            mqtts_port=int(stored.get("mqtts_port", DEFAULT_MQTTS_PORT)),
            bind=stored.get("bind"),
            persistence_dir=str(stored.get("persistence_dir", DEFAULT_PERSISTENCE_DIR)),
        )
        return check_options(options)
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        raise OptionsError(f"{path}: {exc}; rerun `tourtrace certs init --dir {directory} …` to rewrite it") from None


def merge_options(current: BrokerOptions, **given: Any) -> BrokerOptions:
    """Return current with every option that was given (not None) replaced, checked."""
    changes: dict[str, Any] = {
        k: (tuple(v) if k == "hub_names" else v) for k, v in given.items() if v is not None and v != []
    }
    return check_options(replace(current, **changes))


def save_options(directory: Path, options: BrokerOptions) -> None:
    """Write DIR/provision.yaml."""
    document = {**asdict(options), "hub_names": list(options.hub_names)}
    header = (
        "# TourTrace provisioning options, written by `tourtrace certs init`; `station add` and later runs\n"
        "# reuse them.\n"
        "# Change them with `tourtrace certs init --dir DIR --hub-name … [--mqtt-port P] [--mqtts-port P] "
        "[--bind ADDR] [--persistence-dir DIR]`.\n"
    )
    write_private(directory / OPTIONS_FILE, header + yaml.safe_dump(document, sort_keys=False), mode=0o644)
