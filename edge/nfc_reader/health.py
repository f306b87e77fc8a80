"""Reader supervision helpers: capped exponential backoff and poll-speed health (pure)."""

from __future__ import annotations


class Backoff:
    """Delays that double from first_s up to max_s; reset() starts over."""

    def __init__(self, first_s: float = 0.5, max_s: float = 10.0) -> None:
        self.first_s = first_s
        self.max_s = max_s
        self._next = first_s

    def next_delay(self) -> float:
        """Return the delay to wait now and double the following one (capped)."""
        delay = self._next
        self._next = min(self._next * 2, self.max_s)
        return delay

    def reset(self) -> None:
        """Start again from the first delay."""
        self._next = self.first_s


class PollHealth:
    """Flag a reader as degraded after `strikes` consecutive sense rounds slower than slow_s.

    PN532 readers on a UART slow down after hours idle (nfcpy issue #62: detection takes
    5 s after an hour, ~20 s after a day); reopening the device restores them.
    """

    def __init__(self, slow_s: float = 0.5, strikes: int = 3) -> None:
        self.slow_s = slow_s
        self.strikes = strikes
        self._slow_in_a_row = 0

    def record(self, sense_s: float) -> bool:
        """Record one empty sense round's duration; return True if the reader is degraded."""
        self._slow_in_a_row = self._slow_in_a_row + 1 if sense_s > self.slow_s else 0
        return self._slow_in_a_row >= self.strikes

    def reset(self) -> None:
        """Forget past rounds (after the reader was reopened)."""
        self._slow_in_a_row = 0
