"""TagSource: read tag UIDs and badges from an nfcpy reader chosen by URI.

URIs are nfcpy device strings: `usb`, `usb:VID[:PID]` (hex) or `usb:BUS[:DEV]` (decimal),
`tty:PORT:DRIVER` (e.g. `tty:USB0:pn532`, `tty:AMA0:pn532`) and `udp:HOST:PORT`.

On `udp` the "reader" is our own socket, so it is always present; a peer that is not
listening (ECONNREFUSED) means no tag is in the field, never a reader fault. Stock nfcpy
never sees ECONNREFUSED (Linux reports ICMP errors on unconnected UDP sockets only with
IP_RECVERR), so each empty sense would wait its full 1 s; the udp device (nfcpy_udp.py) sets
IP_RECVERR so an empty field is noticed at once, and caps every wait at 0.3 s so a request
lost on loopback costs little. Only Type 3 (212F) is sensed on udp
because nfcpy can only emulate Type 3 tags.
"""

from __future__ import annotations

import errno
import logging
import re
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import nfc
import nfc.clf
import nfc.tag

from edge.nfc_reader.badge import Badge, BadgeFormatError, parse_badge_message
from edge.nfc_reader.nfcpy_udp import UdpReaderDevice

log = logging.getLogger(__name__)

HARDWARE_TARGETS = ("106A", "106B", "212F")
UDP_TARGETS = ("212F",)
POLL_INTERVAL_S = 0.1
_URI_PATTERNS = (
    re.compile(r"usb(:[0-9a-fA-F]{4}(:[0-9a-fA-F]{4})?)?"),
    re.compile(r"usb:[0-9]{3}(:[0-9]{3})?"),
    re.compile(r"tty:[A-Za-z0-9_]+:[a-z0-9_]+"),
    re.compile(r"udp:[A-Za-z0-9.-]+:[0-9]{1,5}"),
)
_TAG_GONE_ERRNOS = {errno.ECONNREFUSED}


class ReaderAbsent(Exception):
    """The reader cannot be opened or stopped answering."""


@dataclass(frozen=True)
class TagRead:
    """One tag seen in the field: UID, nfcpy tag type, badge or the reason there is none."""

    uid: str
    tag_type: str
    badge: Badge | None
    ndef_error: str | None


def check_reader_uri(uri: str) -> str:
    """Return uri if it is a supported nfcpy device string, else raise ValueError saying why."""
    if not any(pattern.fullmatch(uri) for pattern in _URI_PATTERNS):
        raise ValueError(
            f"unsupported reader URI {uri!r}: use usb, usb:VID:PID, tty:USB0:pn532, tty:AMA0:pn532 or udp:HOST:PORT"
        )
    if uri.startswith("udp:") and not 0 < int(uri.rsplit(":", 1)[1]) < 65536:
        raise ValueError(f"reader URI {uri!r}: port must be 1-65535")
    return uri


def read_tag(tag: Any) -> TagRead:
    """Return the UID, type and badge (or why there is no badge) of an activated nfcpy tag."""
    uid = bytes(tag.identifier).hex().upper()
    tag_type = str(tag.type)
    try:
        ndef_area = tag.ndef
        octets = bytes(ndef_area.octets) if ndef_area is not None else None
    except (nfc.tag.TagCommandError, nfc.clf.CommunicationError) as error:
        return TagRead(uid, tag_type, None, f"could not read NDEF: {error}")
    if octets is None:
        return TagRead(uid, tag_type, None, "no NDEF data (unformatted, locked or unsupported tag)")
    try:
        return TagRead(uid, tag_type, parse_badge_message(octets), None)
    except BadgeFormatError as error:
        return TagRead(uid, tag_type, None, str(error))


class TagSource:
    """A reader chosen by URI; `read()` returns the tag in the field, or None."""

    def __init__(self, uri: str) -> None:
        self.uri = check_reader_uri(uri)
        self.is_udp = uri.startswith("udp:")
        self.targets = UDP_TARGETS if self.is_udp else HARDWARE_TARGETS
        self._clf: nfc.ContactlessFrontend | None = None
        self._held: tuple[Any, TagRead] | None = None
        self.last_sense_s = 0.0

    @classmethod
    def from_uri(cls, uri: str) -> TagSource:
        """Return a (closed) source for an nfcpy device string."""
        return cls(uri)

    def __enter__(self) -> TagSource:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        """Open the reader, raising ReaderAbsent with the reason if that is not possible."""
        self.close()
        clf = nfc.ContactlessFrontend()
        try:
            found = clf.open(self.uri) if not self.is_udp else self._open_udp(clf)
        except (OSError, ValueError) as error:
            raise ReaderAbsent(f"cannot open reader {self.uri}: {error}") from None
        if not found:
            raise ReaderAbsent(f"no reader found at {self.uri}")
        self._clf = clf

    def _open_udp(self, clf: nfc.ContactlessFrontend) -> bool:
        host, port = self.uri.split(":")[1:]
        clf.device = UdpReaderDevice.named(host, int(port), "udp reader")
        return True

    def close(self) -> None:
        """Release the reader (safe to call more than once)."""
        self._held = None
        if self._clf is not None:
            self._clf.close()
            self._clf = None

    def read(self, timeout_s: float) -> TagRead | None:
        """Return the tag in the field, waiting up to timeout_s; None if there is none.

        A card left on the reader is returned again at every call (checked with a cheap
        presence poll, not re-read); the loop's debounce turns that into one tap.
        """
        deadline = time.monotonic() + timeout_s
        if self._held is not None:
            if self._still_present(self._held[0]):
                time.sleep(max(0.0, min(POLL_INTERVAL_S, deadline - time.monotonic())))
                return self._held[1]
            self._held = None
        while True:
            tag = self.activate()
            if tag is not None:
                try:
                    self._held = (tag, read_tag(tag))
                    return self._held[1]
                except OSError as error:
                    self._raise_unless_tag_gone(error)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(POLL_INTERVAL_S, remaining))

    def activate(self) -> Any:
        """Sense once for a tag and return the activated nfcpy tag, or None."""
        if self._clf is None:
            raise ReaderAbsent(f"reader {self.uri} is not open")
        started = time.monotonic()
        try:
            target = self._clf.sense(*(nfc.clf.RemoteTarget(brty) for brty in self.targets), iterations=1)
            return nfc.tag.activate(self._clf, target) if target is not None else None
        except nfc.clf.CommunicationError as error:
            log.debug("sense on %s: %s", self.uri, error)
            return None
        except OSError as error:
            self._raise_unless_tag_gone(error)
            return None
        finally:
            self.last_sense_s = time.monotonic() - started

    def field_off(self, off_s: float) -> None:
        """Switch the RF field off for off_s seconds so the card resets (and forget it)."""
        self._held = None
        if self._clf is not None:
            with self._clf.lock:
                self._clf.device.mute()
        time.sleep(off_s)

    def _still_present(self, tag: Any) -> bool:
        try:
            return bool(tag.is_present)
        except nfc.clf.CommunicationError:
            return False
        except OSError as error:
            self._raise_unless_tag_gone(error)
            return False

    def _raise_unless_tag_gone(self, error: OSError) -> None:
        """Raise ReaderAbsent for a device error; return if it only means the udp peer left."""
        if not (self.is_udp and error.errno in _TAG_GONE_ERRNOS):
            raise ReaderAbsent(f"reader {self.uri} stopped answering: {error}") from None
