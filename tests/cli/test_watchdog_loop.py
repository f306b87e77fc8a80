"""The one systemd watchdog loop both services use: fed while healthy, withheld (and logged) when not."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from pathlib import Path

import pytest

from tests.waiting import wait_until
from tourtrace.sdnotify import feed_watchdog_while


def test_the_watchdog_is_fed_only_while_healthy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notify.sock"
    healthy = threading.Event()
    healthy.set()
    stop = threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.setenv("WATCHDOG_USEC", "40000")  # pet every 20 ms
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
        loop = threading.Thread(target=feed_watchdog_while, args=(healthy.is_set, stop, "test service"))
        with caplog.at_level(logging.ERROR, logger="tourtrace.sdnotify"):
            loop.start()
            assert server.recv(64) == b"WATCHDOG=1"
            healthy.clear()
            wait_until(lambda: "test service: a worker thread died" in caplog.text, 10, "the unhealthy log line")
            server.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                while True:
                    server.recv(64)  # pets already sent before the worker died
            server.settimeout(0.2)  # ten watchdog intervals: not one pet while unhealthy
            with pytest.raises(TimeoutError, match="timed out"):
                server.recv(64)
            stop.set()
            loop.join(10)
    assert not loop.is_alive()
    assert "withholding the systemd watchdog" in caplog.text
