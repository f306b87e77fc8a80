"""systemd notifications for Type=notify units: ready, watchdog keep-alive, status; no-ops outside systemd."""

from __future__ import annotations

import os
import threading

import sdnotify

_lock = threading.Lock()
_notifier: sdnotify.SystemdNotifier | None = None
_socket_path: str | None = None


def _send(message: str) -> bool:
    """Send one notification; return False when not running under systemd (NOTIFY_SOCKET unset)."""
    global _notifier, _socket_path
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    with _lock:
        if _notifier is None or path != _socket_path:
            _notifier, _socket_path = sdnotify.SystemdNotifier(), path
        # sdnotify encodes latin-1; handing it UTF-8 bytes as latin-1 text sends systemd the UTF-8 it expects.
        _notifier.notify(message.encode("utf-8").decode("latin-1"))
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
