"""Property tests of protocol.decode: it returns an Envelope or raises ContractError, never anything else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import ContractError, Envelope, decode
from tests.fuzz.strategies import REQUIRED, broken_messages, valid_taps

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
topics = st.sampled_from(["tourtrace/v1/s/st/tap", "tourtrace/v1/s/st/note", "tourtrace/v1/s/st/status"]) | st.text(
    max_size=60
)


def _decode_or_contract_error(topic: str, payload: bytes) -> Envelope | None:
    try:
        return decode(topic, payload)
    except ContractError as exc:
        assert str(exc), "a ContractError must say what is wrong"
        return None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(topic=topics, payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_contract_error(topic: str, payload: bytes) -> None:
    _decode_or_contract_error(topic, payload)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    topic=topics,
    body=st.fixed_dictionaries({}, optional={key: json_values for key in REQUIRED}),
    v=st.sampled_from([1, 1, 2, "1"]),
    kind=st.sampled_from(["tap", "note", "status", "config", "ack", 1]),
)
def test_envelope_shaped_json_never_raises_anything_but_contract_error(
    topic: str, body: dict[str, Any], v: object, kind: object
) -> None:
    payload = json.dumps({**body, "v": v, "kind": kind}).encode()
    _decode_or_contract_error(topic, payload)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(envelope=valid_taps("fuzz"))
def test_valid_envelopes_round_trip(envelope: Envelope) -> None:
    assert decode(str(envelope.topic), envelope.encode()) == envelope


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(message=broken_messages("fuzz"))
def test_broken_messages_are_rejected_with_a_reason(message: tuple[str, bytes, str]) -> None:
    topic, payload, how = message
    assert _decode_or_contract_error(topic, payload) is None, f"{how} was accepted"
