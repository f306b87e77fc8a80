"""Station configuration (station.yaml): frozen settings, validated once at start with every error's path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from protocol.broker_url import BrokerUrl
from protocol.messages import TAP_MODES
from protocol.topics import ID_RE


class ConfigError(ValueError):
    """Station configuration is invalid; `errors` lists every problem as 'path: message'."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(errors))
        self.source = source
        self.errors = errors


@dataclass(frozen=True)
class BrokerSettings:
    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    keepalive_s: int = 30

    @property
    def address(self) -> BrokerUrl:
        """Host, port and whether TLS is used (the URL is checked when the config is loaded)."""
        return BrokerUrl.parse(self.url)

    def read_password(self) -> str | None:
        """Return the password from password_file (None without one); ConfigError when it cannot be read."""
        if not self.password_file:
            return None
        try:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                "station.yaml", [f"broker.password_file: cannot read {self.password_file}: {exc.strerror}"]
            ) from None


@dataclass(frozen=True)
class OutboxSettings:
    max_events: int = 200_000
    max_age_days: int = 30


@dataclass(frozen=True)
class NoteSettings:
    max_s: int = 60
    silence_ms: int = 1500
    vocabulary: tuple[str, ...] = ()
    grammar: bool = False
    keep_audio_days: int = 0
    lang: str = "zh"
    max_active: int | None = None
    beam: float | None = None
    lattice_beam: float | None = None
    button_pin: int | None = None  # a push button (BCM pin) that starts/ends a note, as a rep badge tap does


@dataclass(frozen=True)
class FeedbackSettings:
    backend: str = "none"
    buzzer_pin: int | None = None
    led_pin: int | None = None


@dataclass(frozen=True)
class StationConfig:
    site: str
    station: str
    zone: str
    data_dir: str
    reader: str = "usb"
    audio: str | None = None
    model: str | None = None
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    debounce_s: float = 2.0
    tap_mode: str = "toggle"
    dwell_timeout_s: int = 3600
    status_interval_s: float = 30.0
    site_key_file: str | None = None
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    note: NoteSettings = field(default_factory=NoteSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict, as written to station.yaml."""
        return asdict(self)


class _Checker:
    """Collects every error with its path instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def typed(self, obj: Mapping[str, Any], key: str, path: str, kinds: tuple[type, ...], default: Any) -> Any:
        where = f"{path}.{key}" if path else key
        if key not in obj or obj[key] is None:
            if default is _REQUIRED:
                self.errors.append(f"{where}: required")
            return None if default is _REQUIRED else default
        value = obj[key]
        if isinstance(value, bool) and bool not in kinds:
            self.errors.append(f"{where}: expected {'/'.join(k.__name__ for k in kinds)}, got bool")
            return default
        if not isinstance(value, kinds):
            self.errors.append(f"{where}: expected {'/'.join(k.__name__ for k in kinds)}, got {type(value).__name__}")
            return None if default is _REQUIRED else default
        return value

    def section(self, obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = obj.get(key) or {}
        if not isinstance(value, Mapping):
            self.errors.append(f"{key}: expected mapping, got {type(value).__name__}")
            return {}
        for unknown in sorted(set(value) - _KNOWN[key], key=str):
            self.errors.append(f"{key}.{unknown}: unknown setting")
        return value

    def positive(self, value: float | None, where: str) -> None:
        if value is not None and value <= 0:
            self.errors.append(f"{where}: must be > 0, got {value}")


_REQUIRED = object()
_KNOWN = {
    "": {f for f in StationConfig.__dataclass_fields__},
    "broker": set(BrokerSettings.__dataclass_fields__),
    "outbox": set(OutboxSettings.__dataclass_fields__),
    "note": set(NoteSettings.__dataclass_fields__),
    "feedback": set(FeedbackSettings.__dataclass_fields__),
}


def parse_config(obj: object, source: str = "station.yaml") -> StationConfig:
    """Validate a decoded YAML document; raise ConfigError listing every problem."""
    if not isinstance(obj, Mapping):
        raise ConfigError(source, [f"top level: expected mapping, got {type(obj).__name__}"])
    c = _Checker()
    c.errors.extend(f"{k}: unknown setting" for k in sorted(set(obj) - _KNOWN[""], key=str))
    num = (int, float)
    site = c.typed(obj, "site", "", (str,), _REQUIRED)
    station = c.typed(obj, "station", "", (str,), _REQUIRED)
    for name, value in (("site", site), ("station", station)):
        if isinstance(value, str) and not ID_RE.match(value):
            c.errors.append(f"{name}: expected [a-z0-9][a-z0-9-]{{0,31}}, got {value!r}")
    zone = c.typed(obj, "zone", "", (str,), _REQUIRED)
    data_dir = c.typed(obj, "data_dir", "", (str,), _REQUIRED)
    tap_mode = c.typed(obj, "tap_mode", "", (str,), "toggle")
    if tap_mode not in TAP_MODES:
        c.errors.append(f"tap_mode: expected one of {'|'.join(TAP_MODES)}, got {tap_mode!r}")
    b, o, n, fb = (c.section(obj, k) for k in ("broker", "outbox", "note", "feedback"))
    broker = BrokerSettings(
        url=c.typed(b, "url", "broker", (str,), BrokerSettings.url),
        username=c.typed(b, "username", "broker", (str,), None),
        password_file=c.typed(b, "password_file", "broker", (str,), None),
        ca_file=c.typed(b, "ca_file", "broker", (str,), None),
        keepalive_s=c.typed(b, "keepalive_s", "broker", (int,), 30),
    )
    try:
        BrokerUrl.parse(broker.url)
    except ValueError as exc:
        c.errors.append(f"broker.url: {exc}")
    vocabulary = c.typed(n, "vocabulary", "note", (list,), [])
    if any(not isinstance(w, str) for w in vocabulary):
        c.errors.append("note.vocabulary: expected a list of words (strings)")
    note = NoteSettings(
        max_s=c.typed(n, "max_s", "note", (int,), 60),
        silence_ms=c.typed(n, "silence_ms", "note", (int,), 1500),
        vocabulary=tuple(str(w) for w in vocabulary),
        grammar=c.typed(n, "grammar", "note", (bool,), False),
        keep_audio_days=c.typed(n, "keep_audio_days", "note", (int,), 0),
        lang=c.typed(n, "lang", "note", (str,), "zh"),
        max_active=c.typed(n, "max_active", "note", (int,), None),
        beam=c.typed(n, "beam", "note", num, None),
        lattice_beam=c.typed(n, "lattice_beam", "note", num, None),
        button_pin=c.typed(n, "button_pin", "note", (int,), None),
    )
    feedback = FeedbackSettings(
        backend=c.typed(fb, "backend", "feedback", (str,), "none"),
        buzzer_pin=c.typed(fb, "buzzer_pin", "feedback", (int,), None),
        led_pin=c.typed(fb, "led_pin", "feedback", (int,), None),
    )
    if feedback.backend not in ("none", "gpio"):
        c.errors.append(f"feedback.backend: expected none|gpio, got {feedback.backend!r}")
    outbox = OutboxSettings(
        max_events=c.typed(o, "max_events", "outbox", (int,), OutboxSettings.max_events),
        max_age_days=c.typed(o, "max_age_days", "outbox", (int,), OutboxSettings.max_age_days),
    )
    config = StationConfig(
        site=site or "",
        station=station or "",
        zone=zone or "",
        data_dir=data_dir or "",
        reader=c.typed(obj, "reader", "", (str,), "usb"),
        audio=c.typed(obj, "audio", "", (str,), None),
        model=c.typed(obj, "model", "", (str,), None),
        broker=broker,
        debounce_s=float(c.typed(obj, "debounce_s", "", num, 2.0)),
        tap_mode=tap_mode,
        dwell_timeout_s=c.typed(obj, "dwell_timeout_s", "", (int,), 3600),
        status_interval_s=float(c.typed(obj, "status_interval_s", "", num, 30.0)),
        site_key_file=c.typed(obj, "site_key_file", "", (str,), None),
        outbox=outbox,
        note=note,
        feedback=feedback,
    )
    for where, value in (
        ("dwell_timeout_s", config.dwell_timeout_s),
        ("status_interval_s", config.status_interval_s),
        ("outbox.max_events", outbox.max_events),
        ("outbox.max_age_days", outbox.max_age_days),
        ("note.max_s", note.max_s),
        ("note.silence_ms", note.silence_ms),
        ("broker.keepalive_s", broker.keepalive_s),
    ):
        c.positive(value, where)
    if config.debounce_s < 0:
        c.errors.append(f"debounce_s: must be >= 0, got {config.debounce_s}")
    if c.errors:
        raise ConfigError(source, c.errors)
    return config


def load_config(path: str | Path) -> StationConfig:
    """Read and validate station.yaml; raise ConfigError for unreadable YAML or invalid settings."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [f"cannot read file: {exc.strerror}"]) from None
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "file"
        raise ConfigError(source, [f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return parse_config(obj, source)
