"""Debounce: turn repeated sightings of a tag into taps (pure, clock passed in)."""

from __future__ import annotations


class Debouncer:
    """A sighting is a new tap unless the same UID was seen less than debounce_s ago.

    The reader reports a card left in the field at every poll, so "seen" is refreshed
    while it is held: a held card is one tap, and a re-tap counts only once the card has
    been away for more than debounce_s.
    """

    def __init__(self, debounce_s: float) -> None:
        if debounce_s < 0:
            raise ValueError("debounce_s must not be negative")
        self.debounce_s = debounce_s
        self._last_seen: dict[str, float] = {}

    def seen(self, uid: str, now: float) -> bool:
        """Record a sighting of uid at time now; return True if it is a new tap."""
        last = self._last_seen.get(uid)
        self._last_seen = {u: t for u, t in self._last_seen.items() if now - t <= self.debounce_s}
        self._last_seen[uid] = now
        return last is None or now - last > self.debounce_s
