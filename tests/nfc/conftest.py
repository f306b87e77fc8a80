"""NFC fixtures: a free loopback UDP port, a Type 3 tag emulator on it, a running ReaderLoop."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from edge.nfc_reader.emulator import TagEmulator
from edge.nfc_reader.loop import ReaderLoop
from edge.nfc_reader.source import TagRead

SITE_KEY = b"site-key-for-tests-0123456789abcdef"
IDM_A = "03FEFFE011223344"
IDM_B = "03FEFFE0AABBCCDD"


@pytest.fixture
def udp_port() -> int:
    """A UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator(udp_port: int) -> TagEmulator:
    """A Type 3 tag emulator for a reader on udp:127.0.0.1:<udp_port>."""
    return TagEmulator(udp_port)


@dataclass
class Recorder:
    """Taps and reader states reported by a ReaderLoop, with their arrival times."""

    taps: list[tuple[float, TagRead]] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def on_tap(self, tag: TagRead) -> None:
        with self.changed:
            self.taps.append((time.monotonic(), tag))
            self.changed.notify_all()

    def on_state(self, state: str) -> None:
        with self.changed:
            self.states.append(state)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout_s)


StartLoop = Callable[..., tuple[ReaderLoop, Recorder]]


@pytest.fixture
def start_loop(udp_port: int) -> Iterator[StartLoop]:
    """Start a ReaderLoop on the emulator's port in a thread; stopped and joined after the test."""
    started: list[tuple[threading.Event, threading.Thread]] = []

    def start(debounce_s: float = 1.0, **options: Any) -> tuple[ReaderLoop, Recorder]:
        recorder = Recorder()
        loop = ReaderLoop(f"udp:127.0.0.1:{udp_port}", debounce_s, recorder.on_tap, recorder.on_state, **options)
        stop = threading.Event()
        thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
        thread.start()
        started.append((stop, thread))
        assert recorder.wait_for(lambda: recorder.states == ["present"], 2.0)
        return loop, recorder

    yield start
    for stop, thread in started:
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive(), "ReaderLoop did not stop within 5 s"
