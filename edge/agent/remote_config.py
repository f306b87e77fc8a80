"""Configuration pushed by the hub (retained `config` topic): validate, persist, and hand over to apply."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from protocol import ConfigData, ContractError, decode
from tourtrace.durable import write_durably

log = logging.getLogger(__name__)


class RemoteConfigError(ValueError):
    """A pushed configuration was rejected; the station keeps the one it has."""


def parse_pushed(topic: str, payload: bytes, site: str, station: str) -> ConfigData:
    """Validate a pushed config for this station; raise RemoteConfigError with the reason."""
    try:
        envelope = decode(topic, payload)
    except ContractError as exc:
        raise RemoteConfigError(f"rejected pushed config: {exc}") from None
    if not isinstance(envelope.data, ConfigData) or (envelope.site, envelope.station) != (site, station):
        raise RemoteConfigError(f"rejected pushed config: not for {site}/{station}")
    return envelope.data


class PushedConfigStore:
    """The last applied pushed config, kept in data_dir so a restart without a broker still uses it."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "pushed-config.json"

    def load(self) -> ConfigData | None:
        """Return the saved config, or None when there is none or it is unreadable (then say so)."""
        try:
            return ConfigData.from_dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.error("ignoring unreadable %s: %s", self.path, exc)
            return None

    def save(self, config: ConfigData) -> None:
        """Write atomically and durably (fsynced temp file, rename, fsynced directory); raise OSError if not."""
        write_durably(self.path, json.dumps(config.to_dict(), ensure_ascii=False).encode("utf-8"))
