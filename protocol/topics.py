"""MQTT topics of wire contract v1: tourtrace/v1/<site>/<station>/<kind>."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from protocol.errors import ContractError

PREFIX = "tourtrace/v1"
KINDS = ("tap", "note", "status", "config", "ack")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
SUBSCRIBE_ALL = f"{PREFIX}/+/+/+"


def check_id(value: object, path: str) -> str:
    """Return value when it is a valid site or station id, else raise ContractError naming path."""
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise ContractError(f"{path}: expected id matching [a-z0-9][a-z0-9-]{{0,31}}, got {value!r}")
    return value


@dataclass(frozen=True)
class Topic:
    """A validated v1 topic."""

    site: str
    station: str
    kind: str

    def __post_init__(self) -> None:
        check_id(self.site, "topic.site")
        check_id(self.station, "topic.station")
        if self.kind not in KINDS:
            raise ContractError(f"topic.kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/{self.station}/{self.kind}"

    @staticmethod
    def parse(text: str) -> Topic:
        """Parse a topic string; raise ContractError when it is not a v1 topic."""
        return _parse(text)

    @staticmethod
    def station_filter(site: str, station: str) -> str:
        """Return the wildcard filter for every kind of one station."""
        return f"{PREFIX}/{check_id(site, 'site')}/{check_id(station, 'station')}/#"


@lru_cache(maxsize=4096)  # a station publishes on the same few topics: each is parsed once (errors are not cached)
def _parse(text: str) -> Topic:
    parts = text.split("/")
    if len(parts) != 5 or "/".join(parts[:2]) != PREFIX:
        raise ContractError(f"topic: expected {PREFIX}/<site>/<station>/<kind>, got {text!r}")
    return Topic(parts[2], parts[3], parts[4])


def check_publishable(topic: str) -> Topic:
    """Return the parsed topic when it is a v1 topic the hub may publish on; raise ContractError otherwise.

    A broker drops the connection over a malformed topic (a newline, a wildcard) and a client would send the same
    packet again after every reconnect: what is not a v1 topic is never handed to the MQTT client."""
    return _parse(topic)
