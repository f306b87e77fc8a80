"""Debounce and supervision: held card, re-taps, emulator going away, a reader that gets slow."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from edge.nfc_reader.debounce import Debouncer
from edge.nfc_reader.emulator import TagEmulator
from edge.nfc_reader.health import Backoff, PollHealth
from edge.nfc_reader.loop import ReaderLoop
from tests.nfc.conftest import IDM_A, IDM_B, StartLoop
from tests.nfc.test_reader import signed_badge
from tests.waiting import wait_until


def test_debouncer_counts_a_held_card_once_and_a_retap_after_the_quiet_period() -> None:
    debouncer = Debouncer(2.0)
    sightings = [debouncer.seen("A", t / 10) for t in range(0, 100)]
    assert sightings.count(True) == 1
    assert debouncer.seen("A", 11.0) is False
    assert debouncer.seen("B", 11.0) is True
    assert debouncer.seen("A", 13.1) is True


def test_backoff_doubles_and_caps_and_health_needs_consecutive_slow_rounds() -> None:
    backoff = Backoff(0.5, 10.0)
    assert [backoff.next_delay() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
    health = PollHealth(slow_s=0.5, strikes=3)
    assert [health.record(s) for s in (0.9, 0.9, 0.1, 0.9, 0.9, 0.9)] == [False] * 5 + [True]


def test_held_card_is_one_tap_and_a_retap_after_debounce_is_another(
    emulator: TagEmulator, start_loop: StartLoop
) -> None:
    _, recorder = start_loop(debounce_s=0.5)
    message = signed_badge("V-0002", "visitor", IDM_A)
    emulator.present(IDM_A, message, hold_s=2.0)
    time.sleep(0.2)
    emulator.present(IDM_A, None, hold_s=0.3)
    time.sleep(0.3)
    assert len(recorder.taps) == 1
    time.sleep(0.4)
    emulator.present(IDM_A, None, hold_s=0.3)
    assert recorder.wait_for(lambda: len(recorder.taps) == 2, 2.0)
    time.sleep(0.3)
    assert [tag.uid for _, tag in recorder.taps] == [IDM_A, IDM_A]


def test_different_cards_in_a_row_are_separate_taps(emulator: TagEmulator, start_loop: StartLoop) -> None:
    _, recorder = start_loop(debounce_s=5.0)
    emulator.present(IDM_A, signed_badge("V-1", "visitor", IDM_A), hold_s=0.3)
    emulator.present(IDM_B, signed_badge("V-2", "visitor", IDM_B), hold_s=0.3)
    assert recorder.wait_for(lambda: len(recorder.taps) == 2, 2.0)
    assert [tag.badge.badge_id for _, tag in recorder.taps if tag.badge] == ["V-1", "V-2"]


def test_loop_survives_the_emulator_going_away_and_coming_back(udp_port: int, start_loop: StartLoop) -> None:
    loop, recorder = start_loop(debounce_s=0.2)
    TagEmulator(udp_port).present(IDM_A, signed_badge("V-3", "visitor", IDM_A), hold_s=0.3)
    time.sleep(1.0)
    TagEmulator(udp_port).present(IDM_A, signed_badge("V-3", "visitor", IDM_A), hold_s=0.3)
    assert recorder.wait_for(lambda: len(recorder.taps) == 2, 2.0)
    assert recorder.states == ["present"]
    assert loop.reopens == 0


def test_loop_reopens_a_reader_whose_sense_rounds_get_slow(udp_port: int, start_loop: StartLoop) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent_peer:
        silent_peer.bind(("127.0.0.1", udp_port))
        loop, recorder = start_loop(health=PollHealth(slow_s=0.2, strikes=2))
        assert recorder.wait_for(lambda: loop.reopens >= 1, 3.0)
    assert recorder.taps == []


def test_callback_errors_do_not_stop_the_loop(emulator: TagEmulator, udp_port: int) -> None:
    calls: list[str] = []

    def failing_on_tap(tag) -> None:
        calls.append(tag.uid)
        raise RuntimeError("downstream broke")

    loop = ReaderLoop(f"udp:127.0.0.1:{udp_port}", 0.2, failing_on_tap, lambda state: None)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        emulator.present(IDM_A, None, hold_s=0.3)
        time.sleep(0.5)
        emulator.present(IDM_A, None, hold_s=0.3)
        wait_until(lambda: len(calls) == 2, 5, "the second tap")
    finally:
        stop.set()
        thread.join(5)
    assert calls == [IDM_A, IDM_A]
    assert not thread.is_alive()


def test_bad_reader_uri_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="unsupported reader URI 'serial:/dev/ttyS0'"):
        ReaderLoop("serial:/dev/ttyS0", 1.0, lambda tag: None, lambda state: None)
