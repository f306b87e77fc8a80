"""Station clocks: boot id, monotonic milliseconds and whether the kernel says NTP has synced."""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from functools import lru_cache
from pathlib import Path

TIME_ERROR = 5  # adjtimex(2): clock not synchronised


@lru_cache(maxsize=1)  # constant for the life of the process
def boot_id() -> str:
    """Return the kernel's boot id; monotonic time is comparable only within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"


def mono_ms() -> int:
    """Return CLOCK_MONOTONIC in milliseconds (shared by every process of this boot)."""
    return time.monotonic_ns() // 1_000_000


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    """Load libc once: find_library runs ldconfig, far too slow for every event."""
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def clock_synced() -> bool:
    """Ask adjtimex(2) whether the system clock is synchronised (NTP/chrony)."""
    libc = _libc()
    if libc is None:
        return False
    buf = ctypes.create_string_buffer(512)  # struct timex with modes = 0: read only
    state = libc.adjtimex(buf)
    return bool(state >= 0 and state != TIME_ERROR)
