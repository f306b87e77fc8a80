"""Hub settings (hub.yaml): a pydantic model, overridden by command-line flags, validated once with every error's path.

Every key is described in docs/hub-config.md; docs/hub.schema.json is generated: python -m hub.settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from hub.notify.config import ChannelSettings, DigestTime, TemplateSettings
from hub.rules.analysis import ContextError, load_lexicon
from protocol.broker_url import BrokerUrl
from protocol.messages import TapMode
from tourtrace.broker_settings import BrokerSettings
from tourtrace.config_model import ConfigError, Settings, model_schema, validate_settings

__all__ = ["ConfigError", "HubSettings", "check_settings", "load_settings"]


class HubSettings(Settings):
    broker: str = Field("mqtt://127.0.0.1:1883", description="broker URL: mqtt://HOST:PORT or mqtts://HOST:PORT")
    db: str = Field("tourtrace-hub.sqlite3", description="SQLite database path (give an absolute one)")
    http: str = Field("127.0.0.1:8080", description="HOST:PORT the API and dashboard listen on")
    client_id: str = Field("tourtrace-hub", description="MQTT client id of the hub's persistent session")
    username: str | None = Field(None, description="broker user (provisioning creates `hub`)")
    password_file: str | None = Field(None, description="file holding the broker user's password")
    ca_file: str | None = Field(None, description="CA that signed the broker's certificate (mqtts:// only)")
    admin_token: str | None = Field(None, description="admin API token; TOURTRACE_ADMIN_TOKEN overrides it")
    tap_mode: TapMode = Field("toggle", description="default tap mode of stations")
    dwell_timeout_s: int = Field(3600, gt=0, description="a visit open this long is closed as timed out")
    site_keys: dict[str, str] = Field(default_factory=dict, description="site → badge-signing key file")
    sample_data: bool = Field(False, description="load the sample forging plant on first start")
    notify: dict[str, ChannelSettings] = Field(default_factory=dict, description="channel name → kind, url, secret")
    notify_templates: dict[str, TemplateSettings] = Field(
        default_factory=dict, description="template name → Jinja2 title and text"
    )
    rules_file: str | None = Field(None, description="YAML rules, hot-reloaded; default: saved beside db")
    dist_dir: str | None = Field(None, description="wheelhouse served at /dist/ for stations to install from")
    analysis_dir: str | None = Field(
        None, description="folder of the plant's signals/lexicon/grammar/grades.yaml, merged over the shipped ones"
    )
    site_timezone: str = Field(
        "Asia/Shanghai", description="the plant's time zone: every time the API and pages give out, 'today', digests"
    )
    digest: dict[str, DigestTime] = Field(
        default_factory=dict,
        description="notify channel → HH:MM site time of the managers' daily digest; default: manager at 18:00",
    )
    public_url: str | None = Field(
        None, description="the dashboard as people reach it, for profile links in messages; default http://<http>"
    )

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, url: str) -> str:
        BrokerUrl.parse(url)
        return url

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str | None) -> str | None:
        parts = urlsplit(url or "")
        if url is not None and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
                                or parts.fragment):  # fmt: skip
            raise PydanticCustomError(
                "public_url", "expected http(s)://HOST[:PORT][/PATH], got {url}", {"url": repr(url)}
            )
        return url

    @field_validator("http")
    @classmethod
    def _host_port(cls, http: str) -> str:
        host, _, port = http.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise PydanticCustomError("http", "expected HOST:PORT, got {http}", {"http": repr(http)})
        return http

    @field_validator("analysis_dir")
    @classmethod
    def _analysis_data(cls, folder: str | None) -> str | None:
        if folder is not None:
            try:
                load_lexicon(Path(folder))
            except ContextError as exc:
                raise PydanticCustomError("analysis_dir", "{error}", {"error": str(exc)}) from None
        return folder

    @field_validator("site_timezone")
    @classmethod
    def _time_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "site_timezone", "unknown time zone {zone} (e.g. Asia/Shanghai)", {"zone": repr(zone)}
            ) from None
        return zone

    def problems(self) -> list[str]:
        """A digest goes to a configured notify channel."""
        return [f"digest.{name}: no notify channel named {name!r}" for name in self.digest if name not in self.notify]

    @property
    def http_host(self) -> str:
        return self.http.rsplit(":", 1)[0]

    @property
    def http_port(self) -> int:
        return int(self.http.rsplit(":", 1)[1])

    def broker_settings(self) -> BrokerSettings:
        """Return how the hub reaches the broker, in the form the station uses too."""
        return BrokerSettings(url=self.broker, username=self.username, password_file=self.password_file,
                              ca_file=self.ca_file, client_id=self.client_id)  # fmt: skip


def check_settings(settings: HubSettings | Mapping[str, Any], source: str) -> HubSettings:
    """Validate settings (a model or a plain mapping); raise ConfigError listing every invalid setting."""
    values = settings.model_dump() if isinstance(settings, HubSettings) else settings
    return validate_settings(HubSettings, values, source)


def load_settings(path: str | Path | None, overrides: Mapping[str, Any]) -> HubSettings:
    """Read the optional YAML file, apply non-None overrides and TOURTRACE_ADMIN_TOKEN, then validate."""
    source = str(path) if path else "command line"
    values: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(
                source, ["no such file: give --config PATH (`tourtrace certs init` writes DIR/hub/hub.yaml)"]
            ) from None
        except OSError as exc:
            raise ConfigError(source, [f"cannot read file: {exc.strerror}"]) from None
        except yaml.YAMLError as exc:
            raise ConfigError(source, [f"invalid YAML: {exc}"]) from None
        if not isinstance(loaded, dict):
            raise ConfigError(source, ["top level: expected mapping"])
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    token = os.environ.get("TOURTRACE_ADMIN_TOKEN")
    if token:
        values["admin_token"] = token
    return check_settings(values, source)


SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "hub.schema.json"


def render_schema() -> str:
    """Return the JSON Schema of hub.yaml as stored in docs/hub.schema.json."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tourtrace.invalid/schema/hub.schema.json",
        "title": "TourTrace hub settings (hub.yaml)",
        **model_schema(HubSettings),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
