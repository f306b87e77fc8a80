"""Hypothesis strategies for wire contract v1: valid envelopes, and broken messages that must be rejected."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from protocol import MAX_PAYLOAD, BadgeNdef, Envelope, TapData

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

ids = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,31}\Z")
ulids = st.integers(0, (1 << 128) - 1).map(lambda n: "".join(_ALPHABET[(n >> (5 * i)) & 31] for i in range(25, -1, -1)))
ulids = ulids.filter(lambda u: u[0] in "01234567")
timestamps = st.builds(
    lambda y, mo, d, h, mi, s, ms, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}{off}",
    st.integers(2000, 2099), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59),
    st.integers(0, 59), st.integers(0, 999), st.sampled_from(["Z", "+00:00", "+08:00", "-05:30"]),
)  # fmt: skip
uids = st.binary(min_size=4, max_size=10).map(lambda b: b.hex().upper())
badges = st.none() | st.builds(
    BadgeNdef,
    badge_id=st.from_regex(r"\A[A-Za-z0-9_-]{1,32}\Z"),
    role=st.sampled_from(["visitor", "rep"]),
    sig=st.none() | st.binary(min_size=32, max_size=32).map(bytes.hex),
)
short_text = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)  # printable


def valid_taps(site: str) -> st.SearchStrategy[Envelope]:
    """Tap envelopes that satisfy every rule of the contract, for the given site."""
    return st.builds(
        Envelope,
        id=ulids, kind=st.just("tap"), site=st.just(site), station=ids, seq=st.integers(0, 2**53),
        ts=timestamps, boot=short_text, mono_ms=st.integers(0, 2**53), clock_synced=st.booleans(),
        data=st.builds(TapData, uid=uids, tag_type=short_text, zone=short_text, ndef=badges, reader=short_text),
    )  # fmt: skip


REQUIRED = ("v", "id", "kind", "site", "station", "seq", "ts", "boot", "mono_ms", "clock_synced", "data")
WRONG_TYPE: dict[str, Any] = {
    "v": "1", "id": 7, "kind": ["tap"], "site": 3, "station": None, "seq": "1", "ts": 1700000000,
    "boot": {"id": 1}, "mono_ms": 1.5, "clock_synced": "true", "data": [1],
}  # fmt: skip
DATA_WRONG_TYPE: dict[str, Any] = {"uid": "not hex", "tag_type": 3, "zone": None, "ndef": "V-1", "reader": []}


@st.composite
def broken_messages(draw: st.DrawFn, site: str) -> tuple[str, bytes, str]:
    """Return (topic, payload, what is wrong) for a message the hub must put in dead_letters."""
    envelope = draw(valid_taps(site))
    topic, body = str(envelope.topic), envelope.to_dict()
    how = draw(st.sampled_from(["missing", "wrong type", "data", "version", "truncated", "not utf-8", "oversize",
                                "topic mismatch", "bad topic", "not an object"]))  # fmt: skip
    if how == "missing":
        del body[draw(st.sampled_from(REQUIRED))]
    elif how == "wrong type":
        key = draw(st.sampled_from(REQUIRED))
        body[key] = WRONG_TYPE[key]
    elif how == "data":
        key = draw(st.sampled_from(sorted(DATA_WRONG_TYPE)))
        body["data"][key] = DATA_WRONG_TYPE[key]
    elif how == "version":
        body["v"] = draw(st.integers().filter(lambda v: v != 1))
    elif how == "oversize":
        body["data"]["padding"] = "x" * (MAX_PAYLOAD + draw(st.integers(0, 1000)))
    elif how == "topic mismatch":
        topic = f"tourtrace/v1/{site}/{draw(ids.filter(lambda s: s != envelope.station))}/tap"
    elif how == "bad topic":
        topic = f"tourtrace/v1/{site}/{envelope.station}/{draw(st.sampled_from(['taps', 'Tap', 'event', 'x']))}"
    payload = json.dumps(body, ensure_ascii=False).encode()
    if how == "truncated":
        payload = payload[: draw(st.integers(0, len(payload) - 1))]
    elif how == "not utf-8":
        payload = payload[:10] + b"\xff\xfe" + payload[10:]
    elif how == "not an object":
        payload = json.dumps(draw(st.lists(st.integers(), max_size=3) | st.text(max_size=10) | st.none())).encode()
    return topic, payload, how
