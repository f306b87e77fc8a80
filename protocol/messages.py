"""Kind-specific `data` of wire contract v1: frozen dataclasses with to_dict/from_dict.

The readers of frequent messages (taps) check each field inline for the common well-formed case and hand a field
that fails the quick check to its strict reader in protocol.fields, which accepts it too or raises the exact error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from protocol import fields as f
from protocol.errors import ContractError

ROLES = ("visitor", "rep")
TRIGGERS = ("rep_badge", "button")
TapMode = Literal["toggle", "enter_only"]  # the type settings models validate with
TAP_MODES: tuple[str, ...] = get_args(TapMode)
MAX_DEBOUNCE_S = 3600
MAX_DWELL_TIMEOUT_S = 7 * 86400


@dataclass(frozen=True)
class BadgeNdef:
    """What a TourTrace badge carries in its NDEF record."""

    badge_id: str
    role: str
    sig: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"badge_id": self.badge_id, "role": self.role, "sig": self.sig}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data.ndef") -> BadgeNdef:
        get = obj.get
        badge_id = f.get_name(obj, "badge_id", path)
        role = get("role")
        if type(role) is not str or role not in ROLES:
            role = f.get_choice(obj, "role", ROLES, path)
        sig = get("sig")
        if sig is not None and type(sig) is not str:
            sig = f.get_str(obj, "sig", path, optional=True)
        return cls(badge_id=badge_id, role=role, sig=sig)


@dataclass(frozen=True)
class TapData:
    """A badge seen by a station's reader."""

    uid: str
    tag_type: str
    zone: str
    ndef: BadgeNdef | None
    reader: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "tag_type": self.tag_type,
            "zone": self.zone,
            "ndef": None if self.ndef is None else self.ndef.to_dict(),
            "reader": self.reader,
        }

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data") -> TapData:
        get = obj.get
        ndef = get("ndef")
        if ndef is not None and type(ndef) is not dict:
            ndef = f.get_object(obj, "ndef", path, optional=True)
        uid = get("uid")
        if type(uid) is not str or not f.is_hex(uid):
            uid = f.get_hex(obj, "uid", path)
        tag_type = f.get_name(obj, "tag_type", path)
        zone = f.get_name(obj, "zone", path)
        badge = None if ndef is None else BadgeNdef.from_dict(ndef, f"{path}.ndef")
        reader = f.get_name(obj, "reader", path)
        return cls(uid=uid, tag_type=tag_type, zone=zone, ndef=badge, reader=reader)


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span in seconds and confidence."""

    w: str
    start: float
    end: float
    conf: float

    def to_dict(self) -> dict[str, Any]:
        return {"w": self.w, "start": self.start, "end": self.end, "conf": self.conf}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str) -> Word:
        word = cls(
            w=f.get_str(obj, "w", path),
            start=float(f.get_number(obj, "start", path)),
            end=float(f.get_number(obj, "end", path)),
            conf=float(f.get_number(obj, "conf", path)),
        )
        if word.end < word.start:
            raise ContractError(f"{path}.end: expected >= start ({word.start}), got {word.end}")
        return word


@dataclass(frozen=True)
class AudioRef:
    """A kept recording of a note: its hash and when it will be deleted."""

    sha256: str
    kept_until: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "kept_until": self.kept_until}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data.audio") -> AudioRef:
        return cls(sha256=f.get_str(obj, "sha256", path), kept_until=f.get_str(obj, "kept_until", path))


@dataclass(frozen=True)
class NoteData:
    """A dictated note transcribed on the station."""

    trigger: str
    rep_badge: str | None
    visitor_badges: tuple[str, ...]
    duration_ms: int
    sample_rate: int
    lang: str
    model: str
    text: str
    words: tuple[Word, ...]
    audio: AudioRef | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "rep_badge": self.rep_badge,
            "visitor_badges": list(self.visitor_badges),
            "duration_ms": self.duration_ms,
            "sample_rate": self.sample_rate,
            "lang": self.lang,
            "model": self.model,
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
            "audio": None if self.audio is None else self.audio.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data") -> NoteData:
        words = f.get_list(obj, "words", path)
        audio = f.get_object(obj, "audio", path, optional=True)
        return cls(
            trigger=f.get_choice(obj, "trigger", TRIGGERS, path),
            rep_badge=f.get_name(obj, "rep_badge", path, optional=True),
            visitor_badges=f.get_str_list(obj, "visitor_badges", path),
            duration_ms=f.get_int(obj, "duration_ms", path),
            sample_rate=f.get_int(obj, "sample_rate", path, minimum=1),
            lang=f.get_str(obj, "lang", path),
            model=f.get_str(obj, "model", path),
            text=f.get_str(obj, "text", path),
            words=tuple(
                Word.from_dict(f.as_object(w, f"{path}.words[{i}]"), f"{path}.words[{i}]") for i, w in enumerate(words)
            ),
            audio=None if audio is None else AudioRef.from_dict(audio, f"{path}.audio"),
        )


@dataclass(frozen=True)
class StatusData:
    """Station health, published retained; the last will publishes state `offline`."""

    state: str
    version: str
    uptime_s: int = 0
    reader: str = "unknown"
    mic: str = "none"
    outbox_depth: int = 0
    oldest_unsent_s: int = 0
    disk_free_mb: int = 0
    cpu_temp_c: float | None = None
    clock_synced: bool = False
    config_rev: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        body = {
            "state": self.state,
            "version": self.version,
            "uptime_s": self.uptime_s,
            "reader": self.reader,
            "mic": self.mic,
            "outbox_depth": self.outbox_depth,
            "oldest_unsent_s": self.oldest_unsent_s,
            "disk_free_mb": self.disk_free_mb,
            "cpu_temp_c": self.cpu_temp_c,
            "clock_synced": self.clock_synced,
            "config_rev": self.config_rev,
        }
        body.update({k: v for k, v in self.extra.items() if k not in body})
        return body

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data") -> StatusData:
        known = {
            "state", "version", "uptime_s", "reader", "mic", "outbox_depth", "oldest_unsent_s",
            "disk_free_mb", "cpu_temp_c", "clock_synced", "config_rev",
        }  # fmt: skip
        state = f.get_str(obj, "state", path)
        offline = state == "offline"

        def opt_int(key: str) -> int:
            return 0 if offline and key not in obj else f.get_int(obj, key, path)

        return cls(
            state=state,
            version=f.get_str(obj, "version", path) if "version" in obj or not offline else "",
            uptime_s=opt_int("uptime_s"),
            reader=str(obj.get("reader", "unknown")),
            mic=str(obj.get("mic", "none")),
            outbox_depth=opt_int("outbox_depth"),
            oldest_unsent_s=opt_int("oldest_unsent_s"),
            disk_free_mb=opt_int("disk_free_mb"),
            cpu_temp_c=f.get_number(obj, "cpu_temp_c", path, optional=True),
            clock_synced=f.get_bool(obj, "clock_synced", path) if "clock_synced" in obj else False,
            config_rev=opt_int("config_rev"),
            extra={k: v for k, v in obj.items() if k not in known},
        )


@dataclass(frozen=True)
class NoteSettings:
    """Recording settings pushed to a station."""

    max_s: int = 60
    silence_ms: int = 1500
    vocabulary: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"max_s": self.max_s, "silence_ms": self.silence_ms, "vocabulary": list(self.vocabulary)}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data.note") -> NoteSettings:
        return cls(**f.read_all({
            "max_s": lambda: f.get_int(obj, "max_s", path, minimum=1, maximum=3600),
            "silence_ms": lambda: f.get_int(obj, "silence_ms", path, minimum=100, maximum=60_000),
            "vocabulary": lambda: f.get_str_list(obj, "vocabulary", path),
        }))  # fmt: skip


@dataclass(frozen=True)
class ConfigData:
    """Station configuration pushed by the hub (retained)."""

    rev: int
    zone: str
    debounce_s: float = 2.0
    tap_mode: str = "toggle"
    dwell_timeout_s: int = 3600
    note: NoteSettings = field(default_factory=NoteSettings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rev": self.rev,
            "zone": self.zone,
            "debounce_s": self.debounce_s,
            "tap_mode": self.tap_mode,
            "dwell_timeout_s": self.dwell_timeout_s,
            "note": self.note.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], path: str = "data") -> ConfigData:
        """Read a config, reporting every bad field at once."""

        def debounce() -> float:
            value = f.get_number(obj, "debounce_s", path)
            if not 0 <= value <= MAX_DEBOUNCE_S:
                raise ContractError(f"{path}.debounce_s: expected 0 to {MAX_DEBOUNCE_S}, got {value}")
            return float(value)

        return cls(**f.read_all({
            "rev": lambda: f.get_int(obj, "rev", path),
            "zone": lambda: f.get_name(obj, "zone", path),
            "debounce_s": debounce,
            "tap_mode": lambda: f.get_choice(obj, "tap_mode", TAP_MODES, path),
            "dwell_timeout_s": lambda: f.get_int(obj, "dwell_timeout_s", path, minimum=1, maximum=MAX_DWELL_TIMEOUT_S),
            "note": lambda: NoteSettings.from_dict(f.get_object(obj, "note", path), f"{path}.note"),
        }))  # fmt: skip
