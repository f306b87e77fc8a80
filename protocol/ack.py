"""End-to-end acknowledgement (hub → station, topic kind `ack`): these event ids are stored at the hub.

A station deletes an event from its outbox only on this ack, not on the broker's PUBACK, so a broker that
crashes before saving its queue loses nothing: the station publishes again and the hub deduplicates by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from protocol import fields as f
from protocol.errors import ContractError
from protocol.ids import is_ulid

MAX_IDS = 1000  # keeps one ack well under the 64 KiB payload limit


@dataclass(frozen=True)
class Ack:
    """Event ids the hub has committed; `resend` asks the station to publish every unacknowledged event again
    (the hub sends it when it finds the broker lost its session, and with it whatever was queued)."""

    ids: tuple[str, ...]
    resend: bool = False

    def encode(self) -> bytes:
        body: dict[str, object] = {"v": 1, "kind": "ack", "ids": list(self.ids)}
        if self.resend:
            body["resend"] = True
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Ack:
        """Parse an ack; raise ContractError naming what is wrong."""
        try:
            obj = f.as_object(json.loads(payload.decode("utf-8")), "")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContractError(f"payload: bad JSON ack ({exc})") from None
        if f.get_int(obj, "v") != 1 or f.get_str(obj, "kind") != "ack":
            raise ContractError("ack: expected v 1 and kind 'ack'")
        ids = f.get_str_list(obj, "ids")
        bad = [i for i in ids if not is_ulid(i)]
        if bad:
            raise ContractError(f"ids: expected ULIDs, got {bad[0]!r}")
        resend = f.get_bool(obj, "resend") if "resend" in obj else False
        return cls(ids, resend)


def chunked(ids: list[str]) -> list[Ack]:
    """Split ids into acks of at most MAX_IDS."""
    return [Ack(tuple(ids[i : i + MAX_IDS])) for i in range(0, len(ids), MAX_IDS)]
