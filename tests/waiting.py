"""Wait on real conditions, never on a bare sleep: the test harness's readiness helpers.

As Home Assistant's `async_block_till_done()`: a test first waits until the system is where it needs it (a
reader present, a subscription in place, the hub idle), then asserts. Every wait has a deadline and says what
it was waiting for when it gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.02


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll `predicate` until it returns something truthy and return that; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_S)
