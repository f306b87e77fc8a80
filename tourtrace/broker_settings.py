"""How a station or the hub reaches the broker: URL, user, password file and CA; one model for both sides."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from protocol.broker_url import BrokerUrl
from tourtrace.config_model import ConfigError, Settings


class BrokerSettings(Settings):
    url: str = Field("mqtt://127.0.0.1:1883", json_schema_extra={"pattern": r"^mqtts?://[^/:]+"})
    username: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    keepalive_s: int = Field(30, gt=0)
    client_id: str | None = None  # None: a station is tourtrace-<site>-<station>; the hub sets its own

    @field_validator("url")
    @classmethod
    def _parse_url(cls, url: str) -> str:
        BrokerUrl.parse(url)
        return url

    @property
    def address(self) -> BrokerUrl:
        """Host, port and whether TLS is used (the URL is checked when the config is loaded)."""
        return BrokerUrl.parse(self.url)

    def read_password(self, source: str = "station.yaml", path: str = "broker.password_file") -> str | None:
        """Return the password from password_file (None without one); ConfigError when it cannot be read."""
        if not self.password_file:
            return None
        try:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(source, [f"{path}: cannot read {self.password_file}: {exc.strerror}"]) from None
