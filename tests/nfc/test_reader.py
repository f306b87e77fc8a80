"""Badges read from an emulated Type 3 tag through TagSource and ReaderLoop on nfcpy's udp driver."""

from __future__ import annotations

import threading
import time

import ndef

from edge.nfc_reader.badge import Badge, encode_badge_message, sign, verify
from edge.nfc_reader.emulator import TagEmulator
from edge.nfc_reader.source import TagSource
from tests.nfc.conftest import IDM_A, IDM_B, SITE_KEY, StartLoop


def signed_badge(badge_id: str, role: str, idm: str) -> bytes:
    return encode_badge_message(Badge(badge_id, role, sign(SITE_KEY, badge_id, role, idm)))


def test_signed_badge_reaches_on_tap_well_under_a_second(emulator: TagEmulator, start_loop: StartLoop) -> None:
    _, recorder = start_loop(debounce_s=1.0)
    presented_at = time.monotonic()
    emulator.present(IDM_A, signed_badge("V-0001", "visitor", IDM_A), hold_s=0.6)
    assert recorder.wait_for(lambda: len(recorder.taps) == 1)
    tapped_at, tag = recorder.taps[0]
    latency = tapped_at - presented_at
    print(f"tap latency over udp: {latency * 1000:.1f} ms")
    assert latency < 0.5
    assert (tag.uid, tag.tag_type, tag.ndef_error) == (IDM_A, "Type3Tag", None)
    assert tag.badge is not None and (tag.badge.badge_id, tag.badge.role) == ("V-0001", "visitor")
    assert verify(SITE_KEY, tag.badge.badge_id, tag.badge.role, tag.uid, tag.badge.sig)


def test_badge_copied_to_another_tag_fails_verification(emulator: TagEmulator, udp_port: int) -> None:
    copied = signed_badge("R-007", "rep", IDM_A)
    presenter = threading.Thread(target=emulator.present, args=(IDM_B, copied, 0.8))
    with TagSource.from_uri(f"udp:127.0.0.1:{udp_port}") as source:
        presenter.start()
        tag = source.read(2.0)
    presenter.join()
    assert tag is not None and tag.uid == IDM_B and tag.badge is not None
    assert tag.badge.badge_id == "R-007"
    assert not verify(SITE_KEY, tag.badge.badge_id, tag.badge.role, tag.uid, tag.badge.sig)
    assert verify(SITE_KEY, tag.badge.badge_id, tag.badge.role, IDM_A, tag.badge.sig)


def test_malformed_and_foreign_ndef_give_ndef_error_not_a_crash(emulator: TagEmulator, start_loop: StartLoop) -> None:
    _, recorder = start_loop(debounce_s=0.3)
    text_record = b"".join(ndef.message_encoder([ndef.TextRecord("hello")]))
    emulator.present(IDM_A, b"\xd1\x01\x40T", hold_s=0.4)
    assert recorder.wait_for(lambda: len(recorder.taps) == 1)
    emulator.present(IDM_B, text_record, hold_s=0.4)
    assert recorder.wait_for(lambda: len(recorder.taps) == 2)
    (_, broken), (_, foreign) = recorder.taps
    assert (broken.uid, broken.badge) == (IDM_A, None)
    assert broken.ndef_error is not None and "malformed NDEF" in broken.ndef_error
    assert (foreign.uid, foreign.badge) == (IDM_B, None)
    assert foreign.ndef_error == "not a TourTrace badge: record type is 'urn:nfc:wkt:T'"


def test_blank_tag_gives_uid_and_ndef_error(emulator: TagEmulator, udp_port: int) -> None:
    presenter = threading.Thread(target=emulator.present, args=(IDM_A, None, 0.5))
    with TagSource.from_uri(f"udp:127.0.0.1:{udp_port}") as source:
        presenter.start()
        tag = source.read(2.0)
    presenter.join()
    assert tag is not None
    assert (tag.uid, tag.badge, tag.ndef_error) == (IDM_A, None, "empty NDEF message (blank tag)")


def test_no_emulator_listening_is_no_tag_and_reader_stays_present(udp_port: int, start_loop: StartLoop) -> None:
    with TagSource.from_uri(f"udp:127.0.0.1:{udp_port}") as source:
        started = time.monotonic()
        assert source.read(0.3) is None
        assert time.monotonic() - started < 0.6
        assert source.last_sense_s < 0.05
    _, recorder = start_loop()
    time.sleep(1.0)
    assert recorder.states == ["present"]
    assert recorder.taps == []
