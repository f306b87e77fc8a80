"""Golden files pin wire contract v1: any change to the encoding fails here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from protocol import Envelope, decode
from tests.protocol.samples import SAMPLES

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_encoding_matches_golden_file(kind: str) -> None:
    envelope = SAMPLES[kind]
    path = GOLDEN / f"{kind}.json"
    encoded = json.loads(envelope.encode())
    if os.environ.get("TOURTRACE_UPDATE_GOLDEN"):
        path.write_text(json.dumps(encoded, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert encoded == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_golden_file_decodes_to_the_same_envelope(kind: str) -> None:
    payload = (GOLDEN / f"{kind}.json").read_bytes()
    envelope = decode(f"tourtrace/v1/demo/gate-injection/{kind}", payload)
    assert envelope == SAMPLES[kind]


def test_unknown_fields_are_ignored() -> None:
    obj = json.loads((GOLDEN / "tap.json").read_text(encoding="utf-8"))
    obj["future_field"] = {"x": 1}
    obj["data"]["antenna"] = 2
    assert Envelope.from_dict(obj) == SAMPLES["tap"]


def test_status_keeps_unknown_fields_for_the_fleet_view() -> None:
    obj = json.loads((GOLDEN / "status.json").read_text(encoding="utf-8"))
    obj["data"]["outbox_dropped"] = 4
    assert Envelope.from_dict(obj).data.to_dict()["outbox_dropped"] == 4
