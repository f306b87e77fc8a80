"""The receiver's PUBLISH decoder gives exactly what paho's gives, for packets with and without properties."""

from __future__ import annotations

import itertools

import pytest
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.ingest import publish_decode
from hub.ingest.paho_internals import PUBLISH_PACKET, STOCK_DECODE_PUBLISH

STOCK = STOCK_DECODE_PUBLISH  # paho's own decoder, kept by the paho adapter


def _packet_bytes(topic: bytes, qos: int, mid: int, props: bytes, payload: bytes) -> bytes:
    return len(topic).to_bytes(2, "big") + topic + (mid.to_bytes(2, "big") if qos else b"") + props + payload


def test_paho_still_has_the_decoder_we_replace() -> None:
    assert STOCK is not None and PUBLISH_PACKET is not None, "paho changed: revisit hub/ingest/publish_decode"


@pytest.mark.parametrize(("qos", "retain", "dup"), list(itertools.product((0, 1, 2), (0, 1), (0, 1))))
def test_same_result_as_paho(qos: int, retain: int, dup: int) -> None:
    assert STOCK is not None
    expiry = Properties(PacketTypes.PUBLISH)
    expiry.MessageExpiryInterval = 60
    header = 0x30 | (dup << 3) | (qos << 1) | retain
    for props in (b"\x00", expiry.pack()):
        for topic, payload in ((b"tourtrace/v1/demo/gate-a/tap", b'{"v":1}'), (b"t", b""), (b"", b"\x00" * 300)):
            raw = _packet_bytes(topic, qos, 4242, props, payload)
            for packet in (raw, bytearray(raw)):
                ours = publish_decode.decode_publish(header, packet, MQTTProtocolVersion.MQTTv5)
                theirs = STOCK(header, packet, MQTTProtocolVersion.MQTTv5)
                assert ours._replace(properties=None) == theirs._replace(properties=None)
                assert ours.properties is not None and theirs.properties is not None
                assert ours.properties.pack() == theirs.properties.pack()
                assert type(ours.payload) is type(theirs.payload) is bytes
        v311 = _packet_bytes(b"a/b", qos, 7, b"", b"x")
        assert publish_decode.decode_publish(header, v311, MQTTProtocolVersion.MQTTv311) == STOCK(
            header, v311, MQTTProtocolVersion.MQTTv311
        )


def test_malformed_packets_fail_as_paho_says() -> None:
    from paho.mqtt.exception import MalformedPacket

    for packet in (b"\x00", b"\x00\x09abc", b"\x00\x01a\x00"):
        with pytest.raises(MalformedPacket):
            publish_decode.decode_publish(0x32, packet, MQTTProtocolVersion.MQTTv5)
