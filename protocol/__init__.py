"""Wire contract v1 shared by edge and hub (stdlib only)."""

from protocol.envelope import EVENT_KINDS, MAX_PAYLOAD, VERSION, Envelope, decode
from protocol.errors import ContractError
from protocol.ids import is_ulid, new_ulid
from protocol.messages import (
    AudioRef,
    BadgeNdef,
    ConfigData,
    NoteData,
    NoteSettings,
    StatusData,
    TapData,
    Word,
)
from protocol.timefmt import now_rfc3339, parse_rfc3339, to_epoch
from protocol.topics import SUBSCRIBE_ALL, Topic

__all__ = [
    "EVENT_KINDS",
    "MAX_PAYLOAD",
    "SUBSCRIBE_ALL",
    "VERSION",
    "AudioRef",
    "BadgeNdef",
    "ConfigData",
    "ContractError",
    "Envelope",
    "NoteData",
    "NoteSettings",
    "StatusData",
    "TapData",
    "Topic",
    "Word",
    "decode",
    "is_ulid",
    "new_ulid",
    "now_rfc3339",
    "parse_rfc3339",
    "to_epoch",
]
