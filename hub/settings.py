"""Hub settings: a YAML file, overridden by command-line flags, validated once with every error's path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from hub.notify.config import check_notify
from protocol.broker_url import BrokerUrl
from protocol.messages import TAP_MODES


class HubConfigError(ValueError):
    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(errors))
        self.source = source
        self.errors = errors


@dataclass(frozen=True)
class HubSettings:
    broker: str = "mqtt://127.0.0.1:1883"
    db: str = "tourtrace-hub.sqlite3"
    http: str = "127.0.0.1:8080"
    client_id: str = "tourtrace-hub"
    username: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    admin_token: str | None = None
    tap_mode: str = "toggle"
    dwell_timeout_s: int = 3600
    site_keys: Mapping[str, str] = field(default_factory=dict)  # site -> key file (badge signatures)
    sample_data: bool = False
    notify: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # channel -> {kind, url, secret}
    notify_templates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> {title, text}
    rules_file: str | None = None  # YAML rules (hot-reloaded); None: saved beside db (RulesEngine.for_hub) or defaults

    @property
    def http_host(self) -> str:
        return self.http.rsplit(":", 1)[0]

    @property
    def http_port(self) -> int:
        return int(self.http.rsplit(":", 1)[1])


_TYPES: dict[str, tuple[type, ...]] = {
    "broker": (str,), "db": (str,), "http": (str,), "client_id": (str,), "username": (str,),
    "password_file": (str,), "ca_file": (str,), "admin_token": (str,), "tap_mode": (str,),
    "dwell_timeout_s": (int,), "site_keys": (dict,), "sample_data": (bool,), "notify": (dict,),
    "notify_templates": (dict,), "rules_file": (str,),
}  # fmt: skip


def check_settings(settings: HubSettings, source: str) -> HubSettings:
    """Raise HubConfigError listing every invalid setting."""
    errors = []
    try:
        BrokerUrl.parse(settings.broker)
    except ValueError as exc:
        errors.append(f"broker: {exc}")
    host, _, port = settings.http.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        errors.append(f"http: expected HOST:PORT, got {settings.http!r}")
    if settings.tap_mode not in TAP_MODES:
        errors.append(f"tap_mode: expected one of {'|'.join(TAP_MODES)}, got {settings.tap_mode!r}")
    if settings.dwell_timeout_s <= 0:
        errors.append(f"dwell_timeout_s: must be > 0, got {settings.dwell_timeout_s}")
    errors += check_notify(settings.notify, settings.notify_templates)
    if errors:
        raise HubConfigError(source, errors)
    return settings


def load_settings(path: str | Path | None, overrides: Mapping[str, Any]) -> HubSettings:
    """Read the optional YAML file, apply non-None overrides and TOURTRACE_ADMIN_TOKEN, then validate."""
    source = str(path) if path else "command line"
    values: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise HubConfigError(source, [f"cannot read file: {exc.strerror}"]) from None
        except yaml.YAMLError as exc:
            raise HubConfigError(source, [f"invalid YAML: {exc}"]) from None
        if not isinstance(loaded, dict):
            raise HubConfigError(source, ["top level: expected mapping"])
        errors = []
        for key, value in loaded.items():
            if key not in _TYPES:
                errors.append(f"{key}: unknown setting")
            elif value is not None and (
                not isinstance(value, _TYPES[key]) or isinstance(value, bool) != (_TYPES[key] == (bool,))
            ):
                errors.append(f"{key}: expected {_TYPES[key][0].__name__}, got {type(value).__name__}")
            else:
                values[key] = value
        if errors:
            raise HubConfigError(source, errors)
    values.update({k: v for k, v in overrides.items() if v is not None})
    token = os.environ.get("TOURTRACE_ADMIN_TOKEN")
    if token:
        values["admin_token"] = token
    return check_settings(replace(HubSettings(), **values), source)
