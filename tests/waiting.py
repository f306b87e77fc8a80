"""Wait on real conditions, never on a bare sleep: the test harness's readiness helpers.

As Home Assistant's `async_block_till_done()`: a test first waits until the system is where it needs it (a
reader present, a subscription in place, the hub idle), then asserts. Every wait has a deadline and says what
it was waiting for when it gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from edge.agent.runner import Agent
    from hub.service import HubRuntime

T = TypeVar("T")

POLL_S = 0.02


def holds_within(predicate: Callable[[], object], timeout_s: float, interval_s: float = POLL_S) -> bool:
    """Poll `predicate` until it holds or `timeout_s` passes; return whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())


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


def wait_reader_present(agent: Agent, timeout: float = 10.0) -> None:
    """Wait until a station agent's NFC reader loop is open and polling (a tap presented now is seen)."""
    wait_until(lambda: agent.health.reader == "present", timeout, f"reader of {agent.config.station} present")


def wait_idle(runtime: HubRuntime, agents: Iterable[Agent] = (), timeout: float = 10.0) -> None:
    """Wait until the hub has committed and derived everything these agents sent (as HA's block_till_done).

    The hub acknowledges an event to its station only after the batch holding it, and the visits, notes and
    rule outcomes derived from it in the same transaction, have committed: so every outbox is empty, and
    nothing is left queued for the writer.
    """
    stations = list(agents)

    def idle() -> bool:
        return all(a.outbox.stats().depth == 0 for a in stations) and runtime.writer.stats.queue_depth() == 0

    wait_until(idle, timeout, "the hub to commit and derive every event sent")
