"""Fails if paho changes the internals hub/ingest/paho_internals.py relies on."""

from __future__ import annotations

import ast
import inspect
import struct
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK
from paho.mqtt.enums import CallbackAPIVersion

from hub.ingest.paho_internals import PUBLISH_PACKET, RELIED_ON, STOCK_DECODE_PUBLISH, ChunkedReadClient
from tests.pinned import assert_installed_within_pin


def test_paho_is_inside_the_pinned_range() -> None:
    assert_installed_within_pin("paho-mqtt")


def test_the_private_members_still_exist_with_the_signatures_used() -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    for name in RELIED_ON:
        assert hasattr(client, name), f"paho.mqtt.client.Client.{name} is gone"
    assert client._sock is None  # noqa: SLF001 (None until connected: loop_read's guard depends on it)
    assert list(inspect.signature(mqtt.Client._sock_recv).parameters) == ["self", "bufsize"]  # noqa: SLF001
    queue = inspect.signature(mqtt.Client._packet_queue).parameters  # noqa: SLF001
    assert list(queue)[:5] == ["self", "command", "packet", "mid", "qos"]
    loop_read = inspect.signature(mqtt.Client.loop_read).parameters
    assert list(loop_read) == ["self", "max_packets"]


def test_batched_pubacks_are_the_bytes_paho_would_send_one_by_one() -> None:
    batched = ChunkedReadClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    batched.queue_pubacks([1, 2, 65535])
    single = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    for mid in (1, 2, 65535):
        single.ack(mid, 1)
    queued_batch = b"".join(p["packet"] for p in batched._out_packet)  # noqa: SLF001
    queued_single = b"".join(p["packet"] for p in single._out_packet)  # noqa: SLF001
    assert queued_batch == queued_single == b"".join(struct.pack("!BBH", PUBACK, 2, m) for m in (1, 2, 65535))


def _private_paho_touches(path: Path) -> list[str]:
    """Imports of a private paho module, and any `<x>._packet`-style reach into one, in a Python file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("paho"):
            names = [*(node.module or "").split("."), *(alias.name for alias in node.names)]
            if any(name.startswith("_") for name in names):
                found.append(f"{node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.startswith("paho") and any(p.startswith("_") for p in a.name.split("."))]  # fmt: skip
        elif isinstance(node, ast.Attribute) and node.attr == "_packet":
            found.append(f"{node.lineno}: ._packet")
    return found


def test_only_the_adapter_touches_a_private_paho_module() -> None:
    hub = Path(__file__).resolve().parents[2] / "hub"
    touches = {
        str(path.relative_to(hub.parent)): hits
        for path in sorted(hub.rglob("*.py"))
        if path.name != "paho_internals.py" and (hits := _private_paho_touches(path))
    }
    assert touches == {}, "reach paho's private parts through hub/ingest/paho_internals.py"
    assert _private_paho_touches(hub / "ingest" / "paho_internals.py") != []  # the scanner does see one


def test_the_publish_decoder_paho_has_is_the_one_publish_decode_replaces() -> None:
    assert STOCK_DECODE_PUBLISH is not None and PUBLISH_PACKET is not None, "paho changed: revisit publish_decode"
    assert list(inspect.signature(STOCK_DECODE_PUBLISH).parameters)[:3] == ["header", "packet", "protocol"]
    assert "properties" in getattr(PUBLISH_PACKET, "_fields", ())
