"""Each malformed field is rejected with a message naming its path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from protocol import ContractError, Topic, decode, new_ulid
from protocol.ids import is_ulid

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def _golden(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def _set(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    *parents, last = path.split(".")
    target = obj
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return obj


_DELETE = object()

CASES = [
    ("tap", "v", 2, "v: unsupported contract version 2"),
    ("tap", "v", "1", "v: expected integer, got str"),
    ("tap", "id", "not-a-ulid", "id: expected ULID"),
    ("tap", "id", _DELETE, "id: required"),
    ("tap", "seq", -1, "seq: expected integer >= 0"),
    ("tap", "seq", True, "seq: expected integer, got bool"),
    ("tap", "ts", "2026-11-23 09:15", "ts: not an RFC 3339 time"),
    ("tap", "ts", "2026-11-23T09:15:02", "ts: not an RFC 3339 time"),
    ("tap", "clock_synced", "yes", "clock_synced: expected boolean"),
    ("tap", "mono_ms", 1.5, "mono_ms: expected integer, got float"),
    ("tap", "site", "Demo", "site: expected id"),
    ("tap", "data", [], "data: expected object, got list"),
    ("tap", "data.uid", "xyz", "data.uid: expected hex string"),
    ("tap", "data.uid", "0102a3", "data.uid: expected hex string"),
    ("tap", "data.zone", 5, "data.zone: expected string, got int"),
    ("tap", "data.ndef.role", "boss", "data.ndef.role: expected one of visitor|rep"),
    ("tap", "data.ndef.badge_id", _DELETE, "data.ndef.badge_id: required"),
    ("note", "data.words", {}, "data.words: expected array"),
    ("note", "data.trigger", "voice", "data.trigger: expected one of rep_badge|button"),
    ("note", "data.visitor_badges", ["V-1", 2], "data.visitor_badges[1]: expected string"),
    ("note", "data.sample_rate", 0, "data.sample_rate: expected integer >= 1"),
    ("status", "data.outbox_depth", "3", "data.outbox_depth: expected integer"),
    ("config", "data.tap_mode", "both", "data.tap_mode: expected one of toggle|enter_only"),
    ("config", "data.note.silence_ms", 10, "data.note.silence_ms: expected integer >= 100"),
]


@pytest.mark.parametrize(("kind", "path", "value", "message"), CASES)
def test_malformed_field_is_rejected_with_its_path(kind: str, path: str, value: Any, message: str) -> None:
    payload = json.dumps(_set(_golden(kind), path, value)).encode()
    with pytest.raises(ContractError) as err:
        decode(f"tourtrace/v1/demo/gate-injection/{kind}", payload)
    assert message in str(err.value)


def test_word_end_before_start_is_rejected() -> None:
    obj = _golden("note")
    obj["data"]["words"][0]["end"] = 0.0
    with pytest.raises(ContractError, match=r"data.words\[0\].end: expected >= start"):
        decode("tourtrace/v1/demo/gate-injection/note", json.dumps(obj).encode())


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("tourtrace/v1/demo/gate-machining/tap", "station: envelope says 'gate-injection' but topic says"),
        ("tourtrace/v1/demo/gate-injection/note", "kind: envelope says 'tap' but topic says 'note'"),
        ("tourtrace/v2/demo/gate-injection/tap", "topic: expected tourtrace/v1/"),
        ("tourtrace/v1/demo/gate-injection/tap/extra", "topic: expected"),
        ("tourtrace/v1/demo/gate-injection/beep", "topic.kind: expected one of"),
    ],
)
def test_topic_and_envelope_must_agree(topic: str, message: str) -> None:
    with pytest.raises(ContractError) as err:
        decode(topic, (GOLDEN / "tap.json").read_bytes())
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "payload: bad JSON"),
        (b"\xff\xfe", "payload: not UTF-8"),
        (b"[1, 2]", "message: expected object, got list"),
        (b" " * (64 * 1024 + 1), "exceeds 65536"),
    ],
)
def test_broken_payloads_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(ContractError) as err:
        decode("tourtrace/v1/demo/gate-injection/tap", payload)
    assert message in str(err.value)


def test_ulids_are_unique_sortable_and_well_formed() -> None:
    ids = [new_ulid() for _ in range(5000)]
    assert len(set(ids)) == 5000
    assert ids == sorted(ids)
    assert all(is_ulid(i) for i in ids)


def test_topic_round_trip() -> None:
    topic = Topic("demo", "gate-heat-treat", "status")
    assert str(topic) == "tourtrace/v1/demo/gate-heat-treat/status"
    assert Topic.parse(str(topic)) == topic
    assert Topic.station_filter("demo", "gate-a") == "tourtrace/v1/demo/gate-a/#"


def test_ack_round_trip_and_errors() -> None:
    from protocol.ack import MAX_IDS, Ack, chunked

    ids = tuple(new_ulid() for _ in range(3))
    assert Ack.decode(Ack(ids).encode()) == Ack(ids)
    assert Ack.decode(Ack((), resend=True).encode()).resend is True
    assert [len(a.ids) for a in chunked([new_ulid() for _ in range(MAX_IDS + 5)])] == [MAX_IDS, 5]
    for payload, message in (
        (b"nope", "bad JSON ack"),
        (b'{"v":1,"kind":"tap","ids":[]}', "expected v 1 and kind 'ack'"),
        (b'{"v":1,"kind":"ack","ids":["x"]}', "ids: expected ULIDs"),
        (b'{"v":1,"kind":"ack","ids":[],"resend":"yes"}', "resend: expected boolean"),
    ):
        with pytest.raises(ContractError, match=message):
            Ack.decode(payload)
