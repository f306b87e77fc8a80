"""nfcpy's udp transport as TourTrace uses it: every touch of nfcpy internals, in one place.

nfcpy (pinned `nfcpy>=1.0.4,<1.1` in pyproject; 1.0.4 is the last release, 2022) has no public way to
build a named udp device bound to a host, or to shorten its waits, so these classes override private methods
of `nfc.clf.udp.Device` and set the names its own `nfc.clf.udp.init()` sets:

- the reader side sets IP_RECVERR on its socket (Linux reports ICMP "port unreachable" on an unconnected UDP
  socket only with it), so an empty field is seen at once instead of after nfcpy's 1 s wait, and caps every
  wait at UDP_MAX_WAIT_S (an answer that late on loopback is never coming);
- the tag side (the emulator) listens on the given host, not 0.0.0.0, and keeps one socket per presentation:
  stock nfcpy closes and rebinds it at every listen, dropping a request already queued on it.

tests/nfc/test_nfcpy_udp.py fails if nfcpy changes any of what is relied on here.
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import Any

import nfc.clf.udp

UDP_MAX_WAIT_S = 0.3
_LINUX_IP_RECVERR = 11

# The private nfcpy names this module depends on, checked by the test against the installed nfcpy.
RELIED_ON = {
    "methods": ("_recv_data", "_create_socket", "_bind_socket", "mute", "close"),
    "names": ("_vendor_name", "_device_name", "_chipset_name"),
}


def _name(device: nfc.clf.udp.Device, vendor: str, product: str) -> None:
    """Give the device the names nfcpy's udp.init() would (ContactlessFrontend prints them)."""
    device._vendor_name = vendor  # noqa: SLF001
    device._device_name = product  # noqa: SLF001
    device._chipset_name = "UDP"  # noqa: SLF001


class UdpReaderDevice(nfc.clf.udp.Device):
    """The reader's end of nfcpy's udp transport: ICMP errors reach the socket, waits are short."""

    def _recv_data(self, timeout: float | None, *brty_list: str) -> Any:
        """Wait at most UDP_MAX_WAIT_S (overrides an nfcpy private method)."""
        wait = UDP_MAX_WAIT_S if timeout is None else min(timeout, UDP_MAX_WAIT_S)
        return super()._recv_data(wait, *brty_list)

    def _create_socket(self) -> None:
        """Create nfcpy's socket, then ask Linux for ICMP errors on it (overrides an nfcpy private method)."""
        created = self.socket is None
        super()._create_socket()
        if created and sys.platform.startswith("linux"):
            self.socket.setsockopt(socket.IPPROTO_IP, _LINUX_IP_RECVERR, 1)

    @classmethod
    def named(cls, host: str, port: int, product: str) -> UdpReaderDevice:
        device = cls(host, port)
        _name(device, "TourTrace", product)
        return device


class HostBoundTagDevice(nfc.clf.udp.Device):
    """The tag's end: listens on the given host with one socket per presentation."""

    socket: Any

    def mute(self) -> None:
        """Keep the socket (and anything queued on it) between activations."""

    def close(self) -> None:
        """Close the socket: the tag leaves the field."""
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def _bind_socket(self, time_to_return: float) -> bool:
        """Bind once per presentation (overrides an nfcpy private method)."""
        if self.socket.getsockname()[1] == self.addr[1]:
            return True
        try:
            self.socket.bind(self.addr)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
        return True

    @classmethod
    def named(cls, host: str, port: int, product: str) -> HostBoundTagDevice:
        device = cls(host, port)
        _name(device, "TourTrace", product)
        return device
