"""systemd notifications for Type=notify units: ready, watchdog keep-alive, status; no-ops outside systemd."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

DEFAULT_WATCHDOG_INTERVAL_S = 30.0


def _send(message: str) -> bool:
    """Send one notification; return False when not running under systemd (NOTIFY_SOCKET unset).

    The sd_notify protocol is one UTF-8 datagram to $NOTIFY_SOCKET ('@' = abstract namespace), so the stdlib
    suffices and the hub and the station can both use it without a dependency of either extra.
    """
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode("utf-8"), address)
    except OSError:
        return False
    return True


def notify_ready() -> bool:
    """Tell systemd the service has started and is healthy (READY=1)."""
    return _send("READY=1")


def notify_watchdog() -> bool:
    """Pet the watchdog (WATCHDOG=1); call only while the main loop is healthy."""
    return _send("WATCHDOG=1")


def notify_status(text: str) -> bool:
    """Show a one-line status in `systemctl status`."""
    return _send("STATUS=" + " ".join(text.split()))


def notify_stopping() -> bool:
    """Tell systemd the service is shutting down (STOPPING=1)."""
    return _send("STOPPING=1")


def watchdog_interval_s() -> float | None:
    """Return how often to pet the watchdog (half of WatchdogSec), or None when no watchdog is set for us."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def feed_watchdog_while(healthy: Callable[[], bool], stop: threading.Event, service: str) -> None:
    """Pet the watchdog every interval while `healthy()` holds, until `stop` is set (a service's watchdog loop).

    When a worker has died the watchdog is withheld, so systemd restarts the service instead of leaving it
    half alive.
    """
    interval = watchdog_interval_s() or DEFAULT_WATCHDOG_INTERVAL_S
    while not stop.wait(interval):
        if healthy():
            notify_watchdog()
        else:
            log.error("%s: a worker thread died; withholding the systemd watchdog so it is restarted", service)
