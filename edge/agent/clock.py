"""Station clocks: boot id, monotonic milliseconds and whether the kernel says NTP has synced."""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from pathlib import Path

TIME_ERROR = 5  # adjtimex(2): clock not synchronised


def boot_id() -> str:
    """Return the kernel's boot id; monotonic time is comparable only within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"


def mono_ms() -> int:
    """Return CLOCK_MONOTONIC in milliseconds (shared by every process of this boot)."""
    return time.monotonic_ns() // 1_000_000


def clock_synced() -> bool:
    """Ask adjtimex(2) whether the system clock is synchronised (NTP/chrony)."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    buf = ctypes.create_string_buffer(512)  # struct timex with modes = 0: read only
    state = libc.adjtimex(buf)
    return bool(state >= 0 and state != TIME_ERROR)
