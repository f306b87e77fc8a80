"""The v1 envelope: one JSON object per MQTT message, validated strictly, read tolerantly."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from protocol import fields as f
from protocol.errors import ContractError
from protocol.ids import ULID_RE, is_ulid
from protocol.messages import ConfigData, NoteData, StatusData, TapData
from protocol.timefmt import to_epoch
from protocol.topics import ID_RE, Topic, check_id

VERSION = 1
MAX_PAYLOAD = 64 * 1024
MAX_PACKET_SIZE = (
    2 * MAX_PAYLOAD
)  # brokers and the hub refuse larger MQTT packets outright (the envelope is dead-lettered below that)
EVENT_KINDS = ("tap", "note", "status", "config")

Data = TapData | NoteData | StatusData | ConfigData
_DATA_TYPES: dict[str, Any] = {"tap": TapData, "note": NoteData, "status": StatusData, "config": ConfigData}
_ulid_match = ULID_RE.fullmatch
_id_match = ID_RE.fullmatch


@dataclass(frozen=True)
class Envelope:
    """One event on the wire; `id` is the idempotency key end to end."""

    id: str
    kind: str
    site: str
    station: str
    seq: int
    ts: str
    boot: str
    mono_ms: int
    clock_synced: bool
    data: Data
    v: int = VERSION

    @property
    def topic(self) -> Topic:
        return Topic(self.site, self.station, self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "id": self.id,
            "kind": self.kind,
            "site": self.site,
            "station": self.station,
            "seq": self.seq,
            "ts": self.ts,
            "boot": self.boot,
            "mono_ms": self.mono_ms,
            "clock_synced": self.clock_synced,
            "data": self.data.to_dict(),
        }

    def encode(self) -> bytes:
        """Return the UTF-8 JSON payload; raise ContractError if it exceeds 64 KiB."""
        payload = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
        if len(payload) > MAX_PAYLOAD:
            raise ContractError(f"payload: {len(payload)} bytes exceeds {MAX_PAYLOAD}")
        return payload

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Envelope:
        """Validate a decoded JSON object; raise ContractError naming the first bad field.

        Each field is checked inline for the common well-formed case; a field that fails the quick check goes
        through its strict reader in protocol.fields, which either accepts it too or raises the exact error.
        Fields are checked in wire order, so the first bad field is the one reported.
        """
        if type(obj) is not dict:
            obj = f.as_object(obj, "")
        get = obj.get
        version = get("v")
        if type(version) is not int or version != VERSION:
            version = f.get_int(obj, "v")
            if version != VERSION:
                raise ContractError(f"v: unsupported contract version {version} (this hub speaks {VERSION})")
        event_id = get("id")
        if type(event_id) is not str or not _ulid_match(event_id):
            event_id = f.get_str(obj, "id")
            if not is_ulid(event_id):
                raise ContractError(f"id: expected ULID, got {event_id!r}")
        kind = get("kind")
        if type(kind) is not str or kind not in EVENT_KINDS:
            kind = f.get_choice(obj, "kind", EVENT_KINDS)
        ts = get("ts")
        if type(ts) is not str:
            ts = f.get_str(obj, "ts")
        try:
            to_epoch(ts)  # parses it, and keeps the epoch that ingest, visits and rules ask for next
        except ValueError as exc:
            raise ContractError(f"ts: {exc}") from None
        site = get("site")
        if type(site) is not str or not _id_match(site):
            site = check_id(site, "site")
        station = get("station")
        if type(station) is not str or not _id_match(station):
            station = check_id(station, "station")
        seq = get("seq")
        if type(seq) is not int or seq < 0 or seq > f.INT_MAX:
            seq = f.get_int(obj, "seq")
        boot = f.get_name(obj, "boot", "")
        mono_ms = get("mono_ms")
        if type(mono_ms) is not int or mono_ms < 0 or mono_ms > f.INT_MAX:
            mono_ms = f.get_int(obj, "mono_ms")
        clock_synced = get("clock_synced")
        if clock_synced is not True and clock_synced is not False:
            clock_synced = f.get_bool(obj, "clock_synced")
        data = get("data")
        if type(data) is not dict:
            data = f.get_object(obj, "data")
        return cls(
            id=event_id,
            kind=kind,
            site=site,
            station=station,
            seq=seq,
            ts=ts,
            boot=boot,
            mono_ms=mono_ms,
            clock_synced=clock_synced,
            data=_DATA_TYPES[kind].from_dict(data, "data"),
        )


def decode(topic: str, payload: bytes) -> Envelope:
    """Decode and validate one MQTT message against its topic; raise ContractError with the reason."""
    if len(payload) > MAX_PAYLOAD:
        raise ContractError(f"payload: {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    parsed_topic = Topic.parse(topic)
    try:
        text = payload.decode("utf-8")
        obj = _parse_json(text)
    except UnicodeDecodeError as exc:
        raise ContractError(f"payload: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ContractError(f"payload: bad JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ContractError("payload: JSON nested too deeply") from None
    except ContractError:
        raise
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ContractError(f"payload: number out of range ({exc})") from None
    if "\\u" in text and _holds_lone_surrogate(obj):  # only an escape can make one: the common case skips the walk
        raise ContractError("payload: a string with a lone surrogate escape (not UTF-8 text; the store cannot hold it)")
    envelope = Envelope.from_dict(obj)
    if (envelope.site, envelope.station, envelope.kind) != (parsed_topic.site, parsed_topic.station, parsed_topic.kind):
        for name in ("site", "station", "kind"):
            if getattr(envelope, name) != getattr(parsed_topic, name):
                raise ContractError(
                    f"{name}: envelope says {getattr(envelope, name)!r} but topic says {getattr(parsed_topic, name)!r}"
                )
    return envelope


def _holds_lone_surrogate(value: Any, depth: int = 0) -> bool:
    if depth > 200:
        raise ContractError("payload: JSON nested too deeply")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(k) or _holds_lone_surrogate(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_lone_surrogate(item, depth + 1) for item in value)
    return False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ContractError(f"payload: number {text[:20]!r} is out of range (finite floats only)")
    return value


def _no_constant(name: str) -> Any:
    raise ContractError(f"payload: {name} is not JSON (non-finite numbers are refused)")


# NaN and Infinity (which json.dumps writes) and floats that overflow are refused wherever they appear; the integer
# fields a reader takes are bounded to 64 bits by protocol.fields, and Python's own limit (4,300 digits) is a
# ValueError below
_HOOKS: dict[str, Any] = {"parse_float": _finite_float, "parse_constant": _no_constant}
_JSON = json.JSONDecoder(**_HOOKS)


def _parse_json(text: str) -> Any:
    """Return json.loads(text): a payload that is exactly one JSON document skips json.loads' whitespace scans."""
    try:
        obj, end = _JSON.raw_decode(text)
    except json.JSONDecodeError:
        return json.loads(text, **_HOOKS)  # leading whitespace, or broken: json.loads accepts it or says why not
    return obj if end == len(text) else json.loads(text, **_HOOKS)
