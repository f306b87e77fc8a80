"""Station configuration (station.yaml): frozen pydantic settings, validated once at start with every error's path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field

from edge.voice.settings import RecorderSettings
from protocol.messages import TapMode
from protocol.topics import ID_RE
from tourtrace.broker_settings import BrokerSettings
from tourtrace.config_model import ConfigError, Settings, validate_settings

__all__ = ["BrokerSettings", "ConfigError", "StationConfig", "load_config", "parse_config"]


class OutboxSettings(Settings):
    max_events: int = Field(200_000, gt=0)
    max_age_days: int = Field(30, gt=0)


class FeedbackSettings(Settings):
    backend: Literal["none", "gpio"] = "none"
    buzzer_pin: int | None = None
    led_pin: int | None = None


class StationConfig(Settings):
    site: str = Field(pattern=ID_RE.pattern)
    station: str = Field(pattern=ID_RE.pattern)
    zone: str
    data_dir: str
    reader: str = "usb"
    audio: str | None = None
    model: str | None = None
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    debounce_s: float = Field(2.0, ge=0)
    tap_mode: TapMode = "toggle"
    dwell_timeout_s: int = Field(3600, gt=0)
    status_interval_s: float = Field(30.0, gt=0)
    site_key_file: str | None = None
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    note: RecorderSettings = Field(default_factory=RecorderSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict, as written to station.yaml."""
        return self.model_dump()

    def problems(self) -> list[str]:
        """Return GPIO pins given two jobs (the note button and the buzzer or LED)."""
        pins = {"feedback.buzzer_pin": self.feedback.buzzer_pin, "feedback.led_pin": self.feedback.led_pin}
        return [
            f"note.button_pin: GPIO{self.note.button_pin} is also {where}"
            for where, pin in pins.items()
            if pin is not None and pin == self.note.button_pin
        ]


def parse_config(obj: object, source: str = "station.yaml") -> StationConfig:
    """Validate a decoded YAML document; raise ConfigError listing every problem."""
    return validate_settings(StationConfig, obj, source)


def load_config(path: str | Path) -> StationConfig:
    """Read and validate station.yaml; raise ConfigError for a missing file, unreadable YAML or invalid settings."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source, ["no such file: give --config PATH (`tourtrace station add` writes one per station)"]
        ) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read file: {exc.strerror}"]) from None
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "file"
        raise ConfigError(source, [f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return parse_config(obj, source)
