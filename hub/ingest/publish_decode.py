"""paho's PUBLISH decoding without a Properties object for a message that carries none (a station's never do).

paho 2.2 builds an MQTT v5 `Properties` object for every PUBLISH and clears it attribute by attribute before
unpacking: on a drained backlog that is about a third of the receiver's time (bench/ingest.py, cProfile). The
receiver process, which runs nothing but the hub's client, swaps in `decode_publish` below: a PUBLISH whose
property length is 0 is decoded directly, with one shared empty Properties; anything else goes to paho's own
decoder. It leans on paho's private `_packet.decode_publish` (paho-mqtt 2.2), reached only through the paho adapter
hub/ingest/paho_internals.py; tests/hub/test_publish_decode.py checks it gives what paho gives, and `install` leaves
paho alone where that function is missing.
"""

from __future__ import annotations

from typing import Any

from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.ingest.paho_internals import PUBLISH_PACKET, STOCK_DECODE_PUBLISH, replace_decode_publish

NO_PROPERTIES = Properties(PacketTypes.PUBLISH)


def decode_publish(header: int, packet: bytes | bytearray, protocol: MQTTProtocolVersion) -> Any:
    """Decode a PUBLISH as paho does; skip building Properties when the v5 property length is 0."""
    if protocol == MQTTProtocolVersion.MQTTv5 and len(packet) >= 2:
        qos = (header & 0x06) >> 1
        length = (packet[0] << 8) | packet[1]
        at = 2 + length + (2 if qos else 0)
        if qos < 3 and len(packet) > at and packet[at] == 0:
            mid = (packet[at - 2] << 8) | packet[at - 1] if qos else 0
            assert PUBLISH_PACKET is not None
            return PUBLISH_PACKET(dup=bool(header & 0x08), qos=qos, retain=bool(header & 0x01),
                                  topic=bytes(packet[2 : 2 + length]), mid=mid, properties=NO_PROPERTIES,
                                  payload=bytes(packet[at + 1 :]))  # fmt: skip
    assert STOCK_DECODE_PUBLISH is not None
    return STOCK_DECODE_PUBLISH(header, packet, protocol)


def install() -> bool:
    """Use decode_publish for every paho client of this process; False (nothing changed) on another paho."""
    return replace_decode_publish(decode_publish)
