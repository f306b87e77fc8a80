"""Fails if nfcpy changes the internals edge/nfc_reader/nfcpy_udp.py relies on."""

from __future__ import annotations

import inspect

import nfc.clf.udp

from edge.nfc_reader.nfcpy_udp import RELIED_ON, HostBoundTagDevice, UdpReaderDevice
from tests.pinned import assert_installed_within_pin


def test_nfcpy_is_inside_the_pinned_range() -> None:
    assert_installed_within_pin("nfcpy")


def test_the_overridden_methods_still_exist_with_the_signatures_used() -> None:
    for name in RELIED_ON["methods"]:
        assert name in vars(nfc.clf.udp.Device), f"nfc.clf.udp.Device.{name} is gone"
    signature = inspect.signature
    assert list(signature(nfc.clf.udp.Device._recv_data).parameters) == ["self", "timeout", "brty_list"]  # noqa: SLF001
    assert list(signature(nfc.clf.udp.Device._create_socket).parameters) == ["self"]  # noqa: SLF001
    assert list(signature(nfc.clf.udp.Device._bind_socket).parameters) == ["self", "time_to_return"]  # noqa: SLF001


def test_the_names_set_are_the_ones_nfcpy_sets_and_reads(udp_port: int) -> None:
    stock = nfc.clf.udp.init("127.0.0.1", udp_port)
    try:
        assert all(name in vars(stock) for name in RELIED_ON["names"]), "nfcpy's udp.init() sets other names"
    finally:
        stock.close()
    for device_class in (UdpReaderDevice, HostBoundTagDevice):
        device = device_class.named("127.0.0.1", udp_port, "probe")
        try:
            assert (device.vendor_name, device.product_name, device.chipset_name) == ("TourTrace", "probe", "UDP")
        finally:
            device.close()
