"""paho's MQTT client as the hub's receiver needs it: every touch of paho internals, in one place.

paho-mqtt is pinned `>=2.1,<2.3` in pyproject: what follows relies on private parts of paho 2.1-2.2, which a
minor release may change. tests/hub/test_paho_internals.py fails if the installed paho no longer has them;
tests/hub/test_chunked.py checks the behaviour end to end against a real broker.

Chunked reads. Stock paho asks the socket for each PUBLISH in pieces (1 byte of packet type, 1 byte per
remaining-length byte, then the rest) and goes back to select() after every packet: four system calls and a trip
through its loop per message. Serving those reads from one chunk, and parsing every whole packet in it before
select() again, makes receiving about 1.8x cheaper (bench/ingest.py measures both). This overrides `_sock_recv`,
reads `_sock`, and leans on `loop_read`'s contract (one call per readable socket).

Batched PUBACKs. paho's public `ack()` queues one packet and wakes its network thread once per message; for a
committed batch the PUBACKs go through `_packet_queue` as one write (same bytes on the wire, one wake-up).

PUBLISH decoding. hub/ingest/publish_decode.py replaces paho's private `_packet.decode_publish` in the receiver
process and builds `_packet.PublishPacket` itself; this module is where that private module is reached.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK
from paho.mqtt.enums import MQTTErrorCode

CHUNK = 65536

# The private paho members this module depends on, checked by the test against the installed paho.
RELIED_ON = ("_sock_recv", "_sock", "_packet_queue")

# paho's private PUBLISH decoding module and the two names of it publish_decode uses (None on another paho).
PAHO_PACKET = mqtt._packet  # noqa: SLF001 (private to paho-mqtt, pinned >=2.1,<2.3: its PUBLISH decoder)
STOCK_DECODE_PUBLISH: Callable[..., Any] | None = getattr(PAHO_PACKET, "decode_publish", None)
PUBLISH_PACKET: Callable[..., Any] | None = getattr(PAHO_PACKET, "PublishPacket", None)


def replace_decode_publish(decode: Callable[..., Any]) -> bool:
    """Make every paho client of this process decode PUBLISH with `decode`; False (nothing changed) on a paho
    without the decoder or packet type it stands in for."""
    if STOCK_DECODE_PUBLISH is None or PUBLISH_PACKET is None:
        return False
    PAHO_PACKET.decode_publish = decode
    return True


class ChunkedReadClient(mqtt.Client):
    """A paho Client whose reads come from a per-connection buffer filled CHUNK bytes at a time."""

    _chunk = b""
    _offset = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        """Serve paho's small reads from the current chunk (overrides a paho private method)."""
        if self._offset >= len(self._chunk):
            data = super()._sock_recv(CHUNK)  # raises BlockingIOError when nothing is there, as paho expects
            if not data:
                return data  # the broker closed the connection
            self._chunk, self._offset = data, 0
        end = self._offset + bufsize
        piece = self._chunk[self._offset : end]
        self._offset = end
        return piece

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Parse every packet already read before returning to select() (it only sees the socket, not us)."""
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._offset < len(self._chunk) and self._sock is not None:
            rc = super().loop_read(max_packets)
        return rc

    def reconnect(self) -> MQTTErrorCode:
        """Forget any bytes of the previous connection before opening a new one."""
        self._chunk, self._offset = b"", 0
        return super().reconnect()

    def queue_pubacks(self, mids: Sequence[int]) -> None:
        """Queue QoS 1 PUBACKs for these packet ids as one write (paho's private `_packet_queue`)."""
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        self._packet_queue(PUBACK, packet, mids[-1], 1)
