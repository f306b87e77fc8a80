"""How a validated envelope travels from the receiver process to the hub process.

The receiver validates what it receives (its interpreter has time to spare; the hub's writer has not), and sends the
result through a pipe. Pickling the envelope objects themselves costs the hub about 4 µs a message to unpickle; a
tap, the message that comes by the thousand, travels as one flat tuple instead (under 1 µs) and is rebuilt here
without being checked again, with the epoch of its `ts` that validation already computed. Other kinds travel as
the envelope itself. Only the hub's own receiver is trusted this way: what comes over MQTT is always validated.
"""

from __future__ import annotations

from typing import Any

from protocol import VERSION, Envelope, TapData
from protocol.messages import BadgeNdef
from protocol.timefmt import remember_epoch, to_epoch

Packed = tuple[Any, ...] | Envelope


_shared: dict[str, str] = {}  # one object per distinct value, so each pipe message pickles a repeated value once
_SHARED_KEPT = 10_000


def share(value: str) -> str:
    """Return one shared object for text that repeats from message to message (site, station, zone, badge)."""
    kept = _shared.get(value)
    if kept is None:
        if len(_shared) >= _SHARED_KEPT:
            _shared.clear()
        kept = _shared[value] = value
    return kept


def pack(envelope: Envelope) -> Packed:
    """Return what the receiver sends for a validated envelope (see `unpack`)."""
    data = envelope.data
    if type(data) is not TapData:
        return envelope
    ndef = data.ndef
    badge = (None, None, None) if ndef is None else (share(ndef.badge_id), share(ndef.role), ndef.sig)
    head = (envelope.id, share(envelope.site), share(envelope.station), envelope.seq, envelope.ts,
            share(envelope.boot), envelope.mono_ms)  # fmt: skip
    tap = (share(data.uid), share(data.tag_type), share(data.zone), share(data.reader))
    return (*head, envelope.clock_synced, *tap, *badge, to_epoch(envelope.ts))


_new = object.__new__
_set = object.__setattr__
_tap_data: dict[tuple[Any, ...], TapData] = {}
_TAP_DATA_KEPT = 10_000


def unpack(packed: Packed) -> Envelope:
    """Return the envelope the receiver packed; a tap's `ts` epoch is remembered for protocol.to_epoch."""
    if type(packed) is not tuple:
        return packed  # type: ignore[return-value]  # an envelope that travelled as itself
    (event_id, site, station, seq, ts, boot, mono_ms, synced, uid, tag_type, zone, reader, badge_id, role, sig,
     epoch) = packed  # fmt: skip
    remember_epoch(ts, epoch)
    key = packed[8:15]
    data = _tap_data.get(key)
    if data is None:  # a badge's taps at one zone carry equal data: one (immutable) object serves them all
        if len(_tap_data) >= _TAP_DATA_KEPT:
            _tap_data.clear()
        ndef = None if badge_id is None else BadgeNdef(badge_id, role, sig)
        data = _tap_data[key] = TapData(uid, tag_type, zone, ndef, reader)
    fields = {"id": event_id, "kind": "tap", "site": site, "station": station, "seq": seq, "ts": ts, "boot": boot,
              "mono_ms": mono_ms, "clock_synced": synced, "data": data, "v": VERSION}  # fmt: skip
    envelope = _new(Envelope)  # its frozen __init__ sets each field through object.__setattr__: twice the time
    _set(envelope, "__dict__", fields)
    return envelope
